# Azure speech to text (the REST API for short audio) through make run's
# own configuration (conf/waav.conf and the locations
# scripts/providers-conf.sh writes: /_waav/azure-stream/ for the
# speech-to-text host, /_waav/azure-token/ for issueToken) against the
# provider mock: the key is exchanged once for a token that the
# speech-to-text host gets (the TTS one's), the audio goes byte for byte
# with Azure's documented Content-Type, the detailed answer comes back
# normalized (words with times in seconds); what Azure would refuse (its
# types, over 60 s, a model it lacks) is refused before any call.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::Mock qw(mock_key mock_wav_header);
use JSON::PP qw(decode_json);
use MIME::Base64 qw(decode_base64);

my $KEY = mock_key('azure');
my $PATH = '/azure-stream/speech/recognition/conversation/cognitiveservices/v1';
my $WAV_CT = 'audio/wav; codecs=audio/pcm; samplerate=16000';

# a WAV of 16 kHz mono 16-bit samples that are not all alike
sub wav {
    my ($seconds) = @_;
    my $data = pack('v*', map { $_ % 997 } 1 .. 16000 * $seconds);
    return mock_wav_header(16000, 1, 16, length $data) . $data;
}

# a WAV header with any rate, channels and sample size (PCM)
sub wav_hdr {
    my ($rate, $ch, $bits, $len) = @_;
    my $align = $ch * $bits / 8;
    return pack 'A4 V A4 A4 V v v V V v v A4 V', 'RIFF', 36 + $len, 'WAVE', 'fmt ', 16,
        1, $ch, $rate, $rate * $align, $align, $bits, 'data', $len;
}

sub stt {
    my ($w, $query, $body, $ct) = @_;
    return $w->request("POST /listen?provider=azure$query\n" . ($body // wav(2)),
                       'Content-Type: ' . ($ct // 'audio/wav'));
}

sub records { @{decode_json($_[0]->mock('/__mock/requests'))} }
sub count { $_[0]->mock('/__mock/count' . (defined $_[1] ? "?provider=$_[1]" : '')) }
sub body_of { $_[0]{body_base64} ? decode_base64($_[0]{body}) : $_[0]{body} }

my $w = Waav::Run->start('046', env => {Waav::Run::mock_env(), WORKER_PROCESSES => 2});

subtest 'make run: the speech-to-text host has a location of its own' => sub {
    my $conf = Waav::Blocks::read_file($w->prefix . '/conf/waav/providers.conf');
    like $conf, qr{location /_waav/azure-stream/ \{\n    proxy_pass http://waav_azure_stream/azure-stream/;},
         'AZURE_STT_BASE_URL';
};

subtest '/listen: the WAV as it came, the token, the answer normalized' => sub {
    Waav::Run::mock_reset();
    my $audio = wav(2);
    my $res = stt($w, '&language=en-GB', $audio);
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    my $j = decode_json($res->{body});
    is $j->{transcript}, 'Hello world from the mock.', 'the best recognition\'s Display';
    is $j->{provider}, 'azure', 'provider';
    is $j->{model}, 'conversation', 'model: the recognition mode';
    is $j->{language}, 'en-GB', 'language';
    cmp_ok abs($j->{confidence} - 0.93), '<', 1e-9, 'confidence';
    is scalar @{$j->{words}}, 5, 'five words';
    is $j->{words}[1]{word}, 'world', 'their text';
    cmp_ok abs($j->{words}[1]{start} - 0.4), '<', 1e-6, 'a start: ticks to seconds';
    cmp_ok abs($j->{words}[1]{end} - 0.76), '<', 1e-6, 'an end: Offset + Duration';
    cmp_ok abs($j->{duration} - 1.96), '<', 1e-6, 'duration: where the speech ends';

    my @r = records($w);
    is_deeply [map { $_->{provider} } @r], ['azure-token', 'azure-stream'], 'a token, then the STT host';
    my $r = $r[1];
    is $r->{method}, 'POST', 'POST';
    is $r->{path}, $PATH, 'the short-audio path';
    is $r->{query}, 'language=en-GB&format=detailed&profanity=masked&wordLevelTimestamps=true', 'the query';
    is $r->{headers}{'content-type'}, $WAV_CT, 'Azure\'s PCM WAV type';
    is $r->{headers}{accept}, 'application/json', 'Accept: JSON';
    like $r->{headers}{authorization}, qr/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, 'the bearer token';
    is $r->{headers}{'ocp-apim-subscription-key'}, undef, 'not the key';
    is body_of($r), $audio, 'the audio, byte for byte';
};

subtest 'one exchange for text to speech and speech to text' => sub {
    Waav::Run::mock_reset();
    my @bad;
    for my $i (1 .. 6) {
        my $res = $i % 2 ? stt($w, '')
                         : $w->request(qq{POST /speak\n{"text":"Hi","tts_config":{"provider":"azure"}}},
                                       'Content-Type: application/json');
        push @bad, "$res->{status} $res->{body}" unless $res->{status} == 200;
    }
    is_deeply \@bad, [], 'six calls, both services: 200';
    is count($w, 'azure-token'), 0, 'the token of the first subtest, not a new one';
    is count($w, 'azure-stream'), 3, 'three recognitions';
    is count($w, 'azure'), 3, 'three syntheses';
};

subtest 'options: punctuation, the alias, languages' => sub {
    Waav::Run::mock_reset();
    my $res = stt($w, '&punctuate=false');
    is $res->{status}, 200, 'punctuate=false: 200' or diag $res->{body};
    is decode_json($res->{body})->{transcript}, 'hello world from the mock', 'the Lexical form';
    my @cases = (['', 'en-US'], ['&language=fr', 'fr-FR'], ['&language=de-CH', 'de-CH']);
    for my $c (@cases) {
        Waav::Run::mock_reset();
        $res = $w->request("POST /listen?provider=microsoft-azure$c->[0]\n" . wav(1), 'Content-Type: audio/wav');
        is $res->{status}, 200, "'$c->[0]': 200" or diag $res->{body};
        is decode_json($res->{body})->{language}, $c->[1], "'$c->[0]': answered as $c->[1]";
        my ($r) = records($w);
        like $r->{query}, qr/^language=\Q$c->[1]\E&format=detailed&/, "'$c->[0]': language=$c->[1]";
    }
};

subtest 'headerless 16 kHz PCM goes as a WAV; Ogg Opus as Azure names it' => sub {
    Waav::Run::mock_reset();
    my $pcm = pack('v*', map { ($_ * 7) % 5000 } 1 .. 16000);
    my $res = stt($w, '', $pcm, 'audio/L16;rate=16000');
    is $res->{status}, 200, 'L16: 200' or diag $res->{body};
    my ($r) = records($w);
    is $r->{headers}{'content-type'}, $WAV_CT, 'the PCM WAV type';
    is body_of($r), mock_wav_header(16000, 1, 16, length $pcm) . $pcm, 'a 44-byte WAV header, then the PCM';
    is $r->{headers}{'content-length'}, 44 + length $pcm, 'its length counted';

    Waav::Run::mock_reset();
    my $ogg = 'OggS' . join('', map { chr($_ % 256) } 1 .. 3000);
    $res = stt($w, '', $ogg, 'audio/ogg');
    is $res->{status}, 200, 'Ogg: 200' or diag $res->{body};
    ($r) = records($w);
    is $r->{headers}{'content-type'}, 'audio/ogg; codecs=opus', 'audio/ogg; codecs=opus';
    is body_of($r), $ogg, 'the Ogg bytes';
    # a Broadcast WAV: its bext chunk (602 bytes) before fmt
    my $pcm = "\1\0" x 16000;
    my $bwf = pack('A4 V A4', 'RIFF', 4 + 610 + 24 + 8 + length $pcm, 'WAVE')
            . pack('A4 V', 'bext', 602) . ("\0" x 602)
            . substr(wav_hdr(16000, 1, 16, length $pcm), 12) . $pcm;
    $res = stt($w, '', $bwf, 'audio/wav');
    is $res->{status}, 200, 'a WAV with a bext chunk before fmt: 200' or diag $res->{body};
    # 1.5 MB of Ogg: 94 s at 128 kbit/s, but no duration is known here (it
    # may be a high-rate one): Azure judges it
    $res = stt($w, '', 'OggS' . ("\0" x 1_500_000), 'audio/ogg');
    is $res->{status}, 200, 'a 1.5 MB Ogg: not refused here' or diag $res->{body};
};

subtest 'refused before any call: types, rates, length, models' => sub {
    my @cases = (
        ['', "\xff\xfb\x90\x00" . ("\0" x 500), 'audio/mpeg', 415, 'UNSUPPORTED_MEDIA_TYPE', 'MP3'],
        ['', "\0" x 16000, 'audio/L16;rate=8000', 400, 'UNSUPPORTED_OPTION', '8 kHz PCM'],
        ['', wav(61), 'audio/wav', 413, 'AUDIO_TOO_LONG', '61 s'],
        # compressed: at least its bytes over 48 kHz stereo 16-bit's rate
        ['', 'OggS' . ("\0" x (192000 * 62 - 4)), 'audio/ogg', 413, 'AUDIO_TOO_LONG', 'Ogg of at least 62 s',
         qr/at most 60 s of audio a request \(its REST API\); this audio is at least 62 s/],
        ['&model=whisper-1', wav(1), 'audio/wav', 400, 'INVALID_MODEL', 'a model Azure lacks'],
        # Azure takes PCM WAV at 16 kHz mono only: the fmt chunk says
        ['', wav_hdr(44100, 2, 16, 17640) . ("\1" x 17640), 'audio/wav', 400, 'UNSUPPORTED_OPTION',
         'a 44.1 kHz stereo WAV', qr/16-bit PCM, 16 kHz, mono only \(this WAV: PCM, 16-bit, 44100 Hz, 2 channels\)/],
        ['', wav_hdr(8000, 1, 16, 16000) . ("\1" x 16000), 'audio/wav', 400, 'UNSUPPORTED_OPTION',
         'an 8 kHz WAV', qr/this WAV: PCM, 16-bit, 8000 Hz, 1 channel\)/],
        ['', wav_hdr(16000, 2, 16, 64000) . ("\1" x 64000), 'audio/wav', 400, 'UNSUPPORTED_OPTION',
         'a 16 kHz stereo WAV', qr/16000 Hz, 2 channels/],
        ['', wav_hdr(16000, 1, 8, 16000) . ("\1" x 16000), 'audio/wav', 400, 'UNSUPPORTED_OPTION',
         'an 8-bit WAV', qr/8-bit, 16000 Hz/],
    );
    for my $c (@cases) {
        my ($q, $body, $ct, $status, $code, $what, $msg) = @$c;
        # no token cached: a call that went on would exchange the key first
        Waav::Run::mock_reset();
        $w->mock_behavior('{"status":401}');
        is stt($w, '')->{status}, 502, "$what: the cached token refused, dropped";
        Waav::Run::mock_reset();
        my $res = stt($w, $q, $body, $ct);
        is $res->{status}, $status, "$what: $status" or diag $res->{body};
        is decode_json($res->{body})->{code}, $code, "$what: $code";
        like decode_json($res->{body})->{error}, $msg, "$what: what Azure needs" if $msg;
        is count($w), 0, "$what: no call, not even a token";
    }

    Waav::Run::mock_reset();
    my $res = stt($w, '', wav(60));
    is $res->{status}, 200, '60 s: 200' or diag $res->{body};
    is count($w, 'azure-stream'), 1, '60 s: recognized';
    Waav::Run::mock_reset();
    $res = stt($w, '', wav(61));
    is $res->{body}, '{"error":"azure transcribes at most 60 s of audio a request (its REST API); '
                   . 'this audio is 61 s","code":"AUDIO_TOO_LONG"}', 'the 413 says why, as Google\'s';
};

# as on text to speech: a client's key goes as it is, never exchanged (the
# token cache is the server key's)
subtest 'a client\'s own key: Ocp-Apim-Subscription-Key, no token' => sub {
    Waav::Run::mock_reset();
    my $res = $w->request("POST /listen?provider=azure\n" . wav(1),
                          "Content-Type: audio/wav\nX-Provider-Api-Key: $KEY");
    is $res->{status}, 200, 'the key: 200' or diag $res->{body};
    is decode_json($res->{body})->{transcript}, 'Hello world from the mock.', 'the transcript';
    my @r = records($w);
    is_deeply [map { $_->{provider} } @r], ['azure-stream'], 'no exchange';
    is $r[0]{headers}{'ocp-apim-subscription-key'}, $KEY, 'the client\'s key';
    is $r[0]{headers}{authorization}, undef, 'not the server\'s token';

    Waav::Run::mock_reset();
    $res = $w->request("POST /listen?provider=azure\n" . wav(1),
                       "Content-Type: audio/wav\nX-Provider-Api-Key: client-key");
    isnt $res->{status}, 500, "a key Azure refuses: $res->{status}, not 500";
    like $res->{body}, qr/^\{"error":"[^"]+","code":"[A-Z_]+"\}$/, 'a JSON error';
    unlike $res->{body}, qr/client-key/, 'the key not quoted';
    @r = records($w);
    is_deeply [map { $_->{provider} } @r], ['azure-stream'], 'no exchange';
    is $r[0]{headers}{'ocp-apim-subscription-key'}, 'client-key', 'the client\'s key as it is';
};

subtest 'no speech: an empty transcript; Error and refusals: 502' => sub {
    for my $st (qw(NoMatch InitialSilenceTimeout BabbleTimeout)) {
        Waav::Run::mock_reset();
        $w->mock_behavior(qq{{"az_recognition":"$st"}});
        my $res = stt($w, '');
        is $res->{status}, 200, "$st: 200" or diag $res->{body};
        my $j = decode_json($res->{body});
        is $j->{transcript}, '', "$st: an empty transcript";
        is $j->{words}, undef, "$st: no words";
        cmp_ok abs($j->{duration} - 2), '<', 1e-6, "$st: where Azure listened to";
    }
    Waav::Run::mock_reset();
    $w->mock_behavior('{"az_recognition":"Error"}');
    my $res = stt($w, '');
    is $res->{status}, 502, 'Error: 502';
    is $res->{body}, '{"error":"Provider azure could not recognize the audio (RecognitionStatus Error)",'
                   . '"code":"PROVIDER_ERROR"}', 'Error: PROVIDER_ERROR';

    # the token refused: the provider's 401 as for any provider, and the
    # next call exchanges the key again
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    $res = stt($w, '');
    is $res->{status}, 502, '401: 502';
    is decode_json($res->{body})->{code}, 'PROVIDER_ERROR', '401: PROVIDER_ERROR';
    like decode_json($res->{body})->{error}, qr/^Provider azure answered 401/, '401: the status named';
    unlike $res->{body}, qr/\Q$KEY\E/, 'not the key';
    $res = stt($w, '');
    is $res->{status}, 200, 'the next call: 200' or diag $res->{body};
    is_deeply [map { $_->{provider} } records($w)], ['azure-stream', 'azure-token', 'azure-stream'],
              'refused, exchanged again, recognized';

    # the exchange refused: 502 PROVIDER_AUTH_FAILED, no recognition
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    stt($w, '');
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    $res = stt($w, '');
    is $res->{status}, 502, 'the exchange refused: 502';
    is $res->{body}, '{"error":"Provider azure refused its key for a token (401)","code":"PROVIDER_AUTH_FAILED"}',
       'PROVIDER_AUTH_FAILED';
    is_deeply [map { $_->{provider} } records($w)], ['azure-token'], 'no recognition';
    is stt($w, '')->{status}, 200, 'then 200';
};

subtest '/v1/audio/transcriptions with azure: OpenAI\'s shapes' => sub {
    my $B = 'azure-Boundary-1';
    my $audio = wav(2);
    my $form = sub {
        my (@f) = @_;
        my $s = '';
        while (my ($k, $v) = splice @f, 0, 2) {
            $s .= "--$B\r\nContent-Disposition: form-data; name=\"$k\"\r\n\r\n$v\r\n";
        }
        return $s . "--$B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
             . "Content-Type: audio/wav\r\n\r\n$audio\r\n--$B--\r\n";
    };
    Waav::Run::mock_reset();
    my $res = $w->request("POST /v1/audio/transcriptions\n" . $form->(model => 'azure/conversation', language => 'en-AU'),
                          "Content-Type: multipart/form-data; boundary=$B");
    is $res->{status}, 200, 'provider/model: 200' or diag $res->{body};
    is $res->{body}, '{"text":"Hello world from the mock."}', 'json: the text';
    my ($r) = records($w);
    is $r->{path}, $PATH, 'the short-audio path';
    like $r->{query}, qr/^language=en-AU&/, 'the language';
    is body_of($r), $audio, 'the file part\'s bytes alone';

    Waav::Run::mock_reset();
    $res = $w->request("POST /v1/audio/transcriptions\n"
                       . $form->(provider => 'azure', response_format => 'verbose_json',
                                 'timestamp_granularities[]' => 'word'),
                       "Content-Type: multipart/form-data; boundary=$B");
    is $res->{status}, 200, 'verbose_json: 200' or diag $res->{body};
    my $j = decode_json($res->{body});
    is $j->{text}, 'Hello world from the mock.', 'verbose_json: the text';
    is scalar @{$j->{words}}, 5, 'verbose_json: the words';
    cmp_ok abs($j->{words}[4]{end} - 1.96), '<', 1e-6, 'verbose_json: their times';
};

subtest 'the key is in no log' => sub {
    unlike $w->error_log, qr/\Q$KEY\E/, 'not in the error log';
};

$w->finish;

done_testing;
