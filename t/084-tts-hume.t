# waav_tts with Hume (Octave) through make run's own configuration
# (HUME_API_KEY, HUME_BASE_URL) against the provider mock: the exact
# request Hume receives (method, path, headers, body: a Voice Library name
# or a voice id, the format's type, the version), its streamed audio byte
# for byte, WaaV's names (hume-ai, hume_ai), what Hume cannot do refused
# before any call, its errors as waav's JSON without the key, GET /voices.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::Mock qw(mock_audio mock_key mock_wav);
use JSON::PP qw(decode_json);

my $JSON = 'Content-Type: application/json';
my $KEY = mock_key('hume');
my $AVA = '9e068547-5ba4-4c8e-8e03-69282a008f04';

sub records { @{decode_json($_[0]->mock('/__mock/requests'))} }

my $w = Waav::Run->start('084', env => {Waav::Run::mock_env()});

sub speak {
    my ($cfg, $text) = @_;
    $text //= 'Hello from waav';
    return $w->request(qq{POST /speak\n{"text":"$text","tts_config":{"provider":"hume"$cfg}}}, $JSON);
}

subtest '/speak with the defaults: the exact request, the audio' => sub {
    Waav::Run::mock_reset();
    my $res = speak('', 'Tom & \"Jerry\"');
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    is $res->{headers}{'content-type'}, 'audio/pcm', 'audio/pcm';
    is $res->{headers}{'x-audio-format'}, 'linear16', 'x-audio-format';
    is $res->{headers}{'x-sample-rate'}, 48000, 'x-sample-rate: Hume\'s 48000';
    is $res->{body}, mock_audio('hume', 16000), 'the audio, byte for byte';

    my @r = records($w);
    is scalar @r, 1, 'one call';
    is "$r[0]{method} $r[0]{path}", 'POST /hume/v0/tts/stream/file', 'POST /v0/tts/stream/file';
    is $r[0]{query}, '', 'no query';
    is $r[0]{headers}{'x-hume-api-key'}, $KEY, 'X-Hume-Api-Key: the key';
    is $r[0]{headers}{authorization}, undef, 'no Authorization';
    is $r[0]{headers}{'content-type'}, 'application/json', 'JSON';
    is $r[0]{body}, '{"utterances":[{"text":"Tom & \"Jerry\"","voice":{"name":"Male English Actor",'
                  . '"provider":"HUME_AI"}}],"format":{"type":"pcm"},"strip_headers":true}', 'the body';
};

subtest 'WaaV\'s names, voices, versions, formats and speed' => sub {
    my @cases = (
        ['hume-ai', qq(,"voice_id":"$AVA","model":"octave-2","audio_format":"wav","sample_rate":16000,"speaking_rate":1.5),
         'audio/wav', '1.5', mock_wav('hume', 48000),
         qq({"utterances":[{"text":"Hi","voice":{"id":"$AVA"},"speed":1.5}],"format":{"type":"wav"},"strip_headers":true,"version":"2"})],
        ['HUME_AI', ',"voice_id":"Kora","audio_format":"mp3"',
         'audio/mpeg', undef, mock_audio('hume', 16000),
         '{"utterances":[{"text":"Hi","voice":{"name":"Kora","provider":"HUME_AI"}}],"format":{"type":"mp3"},"strip_headers":true}'],
        # Hume's voice names have spaces: text, not an identifier
        ['hume', ',"voice_id":"Colton Rivers","audio_format":"mp3"',
         'audio/mpeg', undef, mock_audio('hume', 16000),
         '{"utterances":[{"text":"Hi","voice":{"name":"Colton Rivers","provider":"HUME_AI"}}],"format":{"type":"mp3"},"strip_headers":true}'],
    );
    for my $c (@cases) {
        my ($name, $cfg, $ct, $speed, $audio, $body) = @$c;
        Waav::Run::mock_reset();
        my $res = $w->request(qq{POST /speak\n{"text":"Hi","tts_config":{"provider":"$name"$cfg}}}, $JSON);
        is $res->{status}, 200, "$name$cfg: 200" or diag $res->{body};
        is $res->{headers}{'content-type'}, $ct, $ct;
        is $res->{headers}{'x-sample-rate'}, 48000, 'x-sample-rate 48000';
        is $res->{headers}{'x-speaking-rate'}, $speed, 'x-speaking-rate ' . ($speed // 'none');
        is $res->{body}, $audio, 'the audio, byte for byte';
        my ($r) = records($w);
        is $r->{body}, $body, 'the body';
    }
};

subtest 'what Hume cannot do never reaches it' => sub {
    for my $c (['"audio_format":"linear16","sample_rate":24000', 'UNSUPPORTED_OPTION'],
               ['"audio_format":"mulaw"', 'UNSUPPORTED_OPTION'],
               ['"model":"octave-9"', 'INVALID_MODEL']) {
        Waav::Run::mock_reset();
        my $res = speak(",$c->[0]");
        is $res->{status}, 400, "$c->[0]: 400";
        is eval { decode_json($res->{body})->{code} }, $c->[1], "$c->[0]: $c->[1]";
        is $w->mock('/__mock/count'), 0, "$c->[0]: no call";
    }
};

subtest 'Hume\'s errors: waav\'s JSON, never the key' => sub {
    Waav::Run::mock_reset();
    my $res = speak(',"voice_id":"Nobody"');
    is $res->{status}, 502, 'an unknown voice: 502' or diag $res->{body};
    my $e = decode_json($res->{body});
    is $e->{code}, 'PROVIDER_ERROR', 'PROVIDER_ERROR';
    like $e->{error}, qr/Voice not found: Nobody/, 'with Hume\'s message';

    for my $c ([401, 'PROVIDER_ERROR', 502, qr/Invalid ApiKey/],
               [429, 'PROVIDER_RATE_LIMITED', 429, qr/Rate limit exceeded/]) {
        Waav::Run::mock_reset();
        $w->mock_behavior(qq{{"status":$c->[0]}});
        $res = speak('');
        is $res->{status}, $c->[2], "$c->[0]: $c->[2]";
        is eval { decode_json($res->{body})->{code} }, $c->[1], "$c->[0]: $c->[1]";
        like $res->{body}, $c->[3], "$c->[0]: Hume's message";
        unlike $res->{body}, qr/\Q$KEY\E/, "$c->[0]: not the key";
    }
    unlike $w->error_log, qr/\Q$KEY\E/, 'the key is in no log';
};

subtest 'GET /voices?provider=hume: the Voice Library' => sub {
    Waav::Run::mock_reset();
    my $res = $w->request("GET /voices?provider=hume");
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    my $v = decode_json($res->{body})->{hume};
    is_deeply [map { $_->{name} } @$v], ['Male English Actor', 'Ava Song', 'Colton Rivers', 'Kora'], 'the library';
    is_deeply $v->[1], {id => $AVA, name => 'Ava Song', sample => '', accent => 'Unknown', gender => 'Unknown',
                        language => 'Unknown'}, 'Ava Song';
    my ($r) = records($w);
    is "$r->{method} $r->{path}?$r->{query}", 'GET /hume/v0/tts/voices?provider=HUME_AI&page_size=100', 'the listing';
    is $r->{headers}{'x-hume-api-key'}, $KEY, 'with the key';

    # the id listed is one /speak takes
    Waav::Run::mock_reset();
    is speak(qq(,"voice_id":"$v->[2]{id}"))->{status}, 200, 'speaking with a listed id: 200';
};

$w->finish;

done_testing;
