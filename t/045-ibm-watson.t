# IBM Watson through make run's own configuration (conf/waav.conf and the
# locations scripts/providers-conf.sh writes: /_waav/ibm-watson/ for the
# text-to-speech host, /_waav/ibm-watson-stream/ for the speech-to-text
# one, /_waav/ibm-watson-token/ for IAM) with two workers, against the
# provider mock: the API key is exchanged at IAM for a token (one exchange
# for both workers, refreshed before it expires), the token is what the
# speech hosts get; /voices uses Basic apikey:<key>; a failed exchange is
# 502 PROVIDER_AUTH_FAILED naming the provider, never the key.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::Mock qw(mock_audio mock_key mock_wav_header);
use JSON::PP qw(decode_json);
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(sleep time);
use POSIX ();

my $JSON = 'Content-Type: application/json';
my $KEY = mock_key('ibm-watson');
my $INSTANCE = 'mock-ibm-watson-instance-id';

sub speak {
    my ($w, $cfg, $text) = @_;
    $text //= 'Hello from waav';
    return $w->request(qq{POST /speak\n{"text":"$text","tts_config":{"provider":"ibm-watson"$cfg}}}, $JSON);
}

sub wav {
    my ($seconds) = @_;
    my $data = "\0" x (16000 * 2 * $seconds);
    return mock_wav_header(16000, 1, 16, length $data) . $data;
}

sub stt {
    my ($w, $query) = @_;
    return $w->request("POST /listen?provider=ibm-watson$query\n" . wav(2), 'Content-Type: audio/wav');
}

sub count { $_[0]->mock("/__mock/count?provider=$_[1]") }
sub records { @{decode_json($_[0]->mock('/__mock/requests'))} }

my $w = Waav::Run->start('045', env => {Waav::Run::mock_env(), WORKER_PROCESSES => 2});

subtest 'make run names the provider and its hosts' => sub {
    my $conf = Waav::Blocks::read_file($w->prefix . '/conf/waav/providers.conf');
    like $conf, qr{location /_waav/ibm-watson/ \{\n    proxy_pass http://waav_ibm_watson/ibm-watson/instances/\Q$INSTANCE\E/;},
         'the TTS host, the instance in its path';
    like $conf, qr{location /_waav/ibm-watson-stream/ \{\n    proxy_pass http://waav_ibm_watson_stream/ibm-watson-stream/instances/\Q$INSTANCE\E/;},
         'the STT host';
    like $conf, qr{location /_waav/ibm-watson-token/ \{\n    proxy_pass http://waav_ibm_watson_token/ibm-watson-token/;},
         'IAM';
};

# first: nothing is cached yet
subtest 'both workers, one exchange: the token is shared' => sub {
    Waav::Run::mock_reset();
    my ($n, @bad) = (0);
    while ($n < 20 || $w->mock('/__mock/connections?provider=ibm-watson') < 2) {
        last if $n >= 400;
        my $res = speak($w, '');
        push @bad, "$res->{status} $res->{body}" unless $res->{status} == 200;
        $n++;
    }
    is_deeply \@bad, [], "$n requests, all 200";
    cmp_ok $w->mock('/__mock/connections?provider=ibm-watson'), '>=', 2,
           'both workers called the speech host';
    is count($w, 'ibm-watson-token'), 1, 'the key was exchanged once';
    is count($w, 'ibm-watson'), $n, "and the speech host saw $n calls";
};

subtest 'the exchange request and /speak with the token' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'the cached token refused, dropped';
    my $res = speak($w, '', q{Tom & \"Jerry\"});
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    is $res->{headers}{'content-type'}, 'audio/pcm', 'audio/pcm';
    is $res->{headers}{'x-audio-format'}, 'linear16', 'x-audio-format';
    is $res->{headers}{'x-sample-rate'}, 22050, 'x-sample-rate: IBM\'s rate';
    is $res->{body}, mock_audio('ibm-watson', 16000), 'the audio, byte for byte';

    my @r = records($w);
    is_deeply [map { $_->{provider} } @r], ['ibm-watson', 'ibm-watson-token', 'ibm-watson'],
              'refused, exchanged, called';
    my ($t, $s) = @r[1, 2];
    is $t->{method}, 'POST', 'IAM: POST';
    is $t->{path}, '/ibm-watson-token/identity/token', 'IAM: /identity/token';
    is $t->{headers}{'content-type'}, 'application/x-www-form-urlencoded', 'IAM: a form';
    is $t->{headers}{accept}, 'application/json', 'IAM: Accept JSON';
    is $t->{body}, "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=$KEY",
       'IAM: the grant type and the key';
    is $t->{headers}{authorization}, undef, 'IAM: no Authorization';

    is $s->{method}, 'POST', 'POST';
    is $s->{path}, "/ibm-watson/instances/$INSTANCE/v1/synthesize", 'the instance\'s synthesize';
    is $s->{query}, 'voice=en-US_AllisonV3Voice', 'the default voice';
    like $s->{headers}{authorization}, qr/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, 'the bearer token';
    unlike $s->{headers}{authorization}, qr/\Q$KEY\E/, 'not the key';
    is $s->{headers}{'content-type'}, 'application/json', 'JSON';
    is $s->{headers}{accept}, 'audio/l16;rate=22050;endianness=little-endian', 'Accept: L16, little-endian';
    is $s->{body}, '{"text":"Tom & \"Jerry\""}', 'the text';
};

subtest 'formats, rates, voices, speed' => sub {
    my @cases = (
        [',"audio_format":"wav","sample_rate":16000', 'audio/wav;rate=16000', 'audio/wav', 16000],
        [',"audio_format":"mp3","voice_id":"en-GB_KateV3Voice"', 'audio/mp3;rate=22050', 'audio/mpeg', 22050,
         'voice=en-GB_KateV3Voice'],
        [',"audio_format":"opus","sample_rate":44100', 'audio/ogg;codecs=opus;rate=48000', 'audio/ogg', 48000],
        [',"audio_format":"mulaw"', 'audio/mulaw;rate=8000', 'audio/basic', 8000],
        [',"audio_format":"linear16","sample_rate":16000,"speaking_rate":1.5',
         'audio/l16;rate=16000;endianness=little-endian', 'audio/pcm', 16000,
         'voice=en-US_AllisonV3Voice&rate_percentage=50'],
    );
    for my $c (@cases) {
        my ($cfg, $accept, $ct, $rate, $query) = @$c;
        Waav::Run::mock_reset();
        my $res = speak($w, $cfg);
        is $res->{status}, 200, "$cfg: 200" or diag $res->{body};
        is $res->{headers}{'content-type'}, $ct, "$cfg: $ct";
        is $res->{headers}{'x-sample-rate'}, $rate, "$cfg: x-sample-rate $rate";
        my ($r) = records($w);
        is $r->{headers}{accept}, $accept, "$cfg: Accept $accept";
        is $r->{query}, $query // 'voice=en-US_AllisonV3Voice', "$cfg: the query";
    }
    for my $c (['"audio_format":"aac"', 400], ['"voice_id":"en US"', 400]) {
        Waav::Run::mock_reset();
        my $res = speak($w, ",$c->[0]");
        is $res->{status}, $c->[1], "$c->[0]: $c->[1]" or diag $res->{body};
        is $w->mock('/__mock/count'), 0, "$c->[0]: no call";
    }
};

subtest '/listen: the audio to the speech-to-text host, the answer normalized' => sub {
    Waav::Run::mock_reset();
    my $res = stt($w, '&language=en-GB&punctuate=true');
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    my $j = decode_json($res->{body});
    is $j->{transcript}, 'Hello world from the mock', 'both phrases, joined';
    is $j->{provider}, 'ibm-watson', 'provider';
    cmp_ok abs($j->{confidence} - 0.9), '<', 1e-9, 'confidence';
    is scalar @{$j->{words}}, 5, 'five words';
    is $j->{words}[0]{word}, 'hello', 'with their text';
    cmp_ok abs($j->{words}[0]{confidence} - 0.95), '<', 1e-9, 'and confidence';
    cmp_ok $j->{duration}, '>', 1.5, 'the duration: the last word\'s end';

    my ($r) = records($w);
    is $r->{provider}, 'ibm-watson-stream', 'the speech-to-text host';
    is $r->{path}, "/ibm-watson-stream/instances/$INSTANCE/v1/recognize", 'the instance\'s recognize';
    is $r->{query}, 'model=en-GB_Multimedia&timestamps=true&word_confidence=true&smart_formatting=true',
       'the language\'s model, timestamps, smart formatting';
    like $r->{headers}{authorization}, qr/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, 'the bearer token';
    is $r->{headers}{'content-type'}, 'audio/wav', 'audio/wav';
    is $r->{body_length}, length(wav(2)), 'the audio, whole';

    Waav::Run::mock_reset();
    my $pcm = "\0" x 32000;
    $res = $w->request("POST /listen?provider=watson&model=en-US_Telephony\n$pcm",
                       'Content-Type: audio/L16;rate=8000');
    is $res->{status}, 200, 'headerless PCM, an alias: 200' or diag $res->{body};
    ($r) = records($w);
    is $r->{headers}{'content-type'}, 'audio/l16;rate=8000;channels=1;endianness=little-endian',
       'L16 with its rate, channels and byte order';
    like $r->{query}, qr/^model=en-US_Telephony&/, 'the model asked for';
};

# as on text to speech: a client's key as HTTP Basic apikey:<key>, never
# exchanged (the token cache is the server key's)
subtest '/listen with a client\'s own key: Basic apikey, no exchange' => sub {
    Waav::Run::mock_reset();
    my $res = $w->request("POST /listen?provider=ibm-watson\n" . wav(1),
                          "Content-Type: audio/wav\nX-Provider-Api-Key: $KEY");
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    my @r = records($w);
    is_deeply [map { $_->{provider} } @r], ['ibm-watson-stream'], 'no exchange';
    is $r[0]{headers}{authorization}, 'Basic ' . MIME::Base64::encode_base64("apikey:$KEY", ''),
       'Basic apikey:<the client\'s key>';
};

subtest 'GET /voices: Basic apikey, the list mapped' => sub {
    Waav::Run::mock_reset();
    my $res = $w->request("GET /voices?provider=ibm-watson\n");
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    my $v = decode_json($res->{body})->{'ibm-watson'};
    is_deeply $v->[0], {id => 'en-US_AllisonV3Voice', name => 'Allison', gender => 'Female',
                        language => 'English', accent => 'American', sample => ''}, 'Allison';
    is scalar @$v, 4, 'four voices';
    my ($r) = grep { $_->{provider} eq 'ibm-watson' } records($w);
    if ($r) {
        is $r->{path}, "/ibm-watson/instances/$INSTANCE/v1/voices", 'GET /v1/voices';
        is $r->{headers}{authorization}, 'Basic ' . encode_base64("apikey:$KEY", ''), 'Basic apikey:<key>';
    } else {
        pass 'the listing came from the cache';
    }
};

subtest 'a short-lived token is refreshed before it expires' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'the cached token refused, dropped';
    $w->mock_behavior('{"token_ttl":3}');
    is speak($w, '')->{status}, 200, 'a token valid 3 s';
    is count($w, 'ibm-watson-token'), 1, 'exchanged';
    my ($n, @bad) = (0);
    my $until = time + 20;
    while (count($w, 'ibm-watson-token') < 2 && time < $until) {
        my $res = ($n % 2) ? stt($w, '') : speak($w, '');
        push @bad, "$res->{status} $res->{body}" unless $res->{status} == 200;
        $n++;
        sleep 0.05;
    }
    is count($w, 'ibm-watson-token'), 2, "refreshed (after $n calls, TTS and STT)";
    is_deeply \@bad, [], 'no call failed (the mock refuses an expired token)';
};

subtest 'the exchange refused: 502 PROVIDER_AUTH_FAILED, no speech call' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'the cached token refused, dropped';
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":400}');
    my $res = speak($w, '');
    is $res->{status}, 502, 'status 502';
    is $res->{body}, '{"error":"The token service of provider ibm-watson answered 400",'
                   . '"code":"PROVIDER_AUTH_FAILED"}', 'PROVIDER_AUTH_FAILED, the provider named';
    unlike $res->{body}, qr/\Q$KEY\E/, 'the key is not in the answer';
    is_deeply [map { $_->{provider} } records($w)], ['ibm-watson-token'],
              'only the exchange reached the mock';

    # the same on /listen
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    $res = stt($w, '');
    is $res->{status}, 502, '/listen: 502';
    is $res->{body}, '{"error":"Provider ibm-watson refused its key for a token (401)",'
                   . '"code":"PROVIDER_AUTH_FAILED"}', '/listen: PROVIDER_AUTH_FAILED';
    is_deeply [map { $_->{provider} } records($w)], ['ibm-watson-token'], '/listen: no recognize call';
    is stt($w, '')->{status}, 200, 'the next call exchanges again: 200';
};

subtest 'concurrent calls across workers during an exchange: one exchange' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'the cached token refused, dropped';
    $w->mock_behavior('{"delay_ms":1000}');
    my @pids = map {
        my $i = $_;
        my $pid = fork // die "fork: $!";
        unless ($pid) {
            my $res = $i % 2 ? stt($w, '') : speak($w, '');
            POSIX::_exit($res->{status} == 200 ? 0 : 1);
        }
        $pid;
    } 1 .. 8;
    my @st = map { waitpid($_, 0); $? >> 8 } @pids;
    is_deeply \@st, [(0) x 8], 'eight concurrent calls (TTS and STT): all 200';
    is count($w, 'ibm-watson-token'), 1, 'one exchange';
};

subtest 'the key is in no log' => sub {
    unlike $w->error_log, qr/\Q$KEY\E/, 'not in the error log';
};

$w->finish;

done_testing;
