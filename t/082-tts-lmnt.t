# waav_tts with LMNT through make run's own configuration (LMNT_API_KEY,
# LMNT_BASE_URL: conf/waav.conf and scripts/providers-conf.sh's
# /_waav/lmnt/ location) against the provider mock: the exact request LMNT
# receives (method, path, headers, body), its audio byte for byte, WaaV's
# names (lmnt-ai, lmnt_ai), what LMNT cannot do refused before any call,
# LMNT's errors as waav's JSON without the key, and GET /voices.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::Mock qw(mock_audio mock_key mock_wav);
use JSON::PP qw(decode_json);

my $JSON = 'Content-Type: application/json';
my $KEY = mock_key('lmnt');

sub records { @{decode_json($_[0]->mock('/__mock/requests'))} }

my $w = Waav::Run->start('082', env => {Waav::Run::mock_env()});

sub speak {
    my ($cfg, $text) = @_;
    $text //= 'Hello from waav';
    return $w->request(qq{POST /speak\n{"text":"$text","tts_config":{"provider":"lmnt"$cfg}}}, $JSON);
}

subtest '/speak with the defaults: the exact request, the audio' => sub {
    Waav::Run::mock_reset();
    my $res = speak('', 'Tom & \"Jerry\"');
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    is $res->{headers}{'content-type'}, 'audio/pcm', 'audio/pcm';
    is $res->{headers}{'x-audio-format'}, 'linear16', 'x-audio-format';
    is $res->{headers}{'x-sample-rate'}, 24000, 'x-sample-rate';
    is $res->{body}, mock_audio('lmnt', 16000), 'the audio, byte for byte';

    my @r = records($w);
    is scalar @r, 1, 'one call';
    is $r[0]{method}, 'POST', 'POST';
    is $r[0]{path}, '/lmnt/v1/ai/speech/bytes', 'to /v1/ai/speech/bytes';
    is $r[0]{query}, '', 'no query';
    is $r[0]{headers}{'x-api-key'}, $KEY, 'X-API-Key: the key';
    is $r[0]{headers}{authorization}, undef, 'no Authorization';
    is $r[0]{headers}{'content-type'}, 'application/json', 'JSON';
    is $r[0]{body}, '{"voice":"leah","text":"Tom & \"Jerry\"","model":"blizzard",'
                  . '"format":"pcm_s16le","sample_rate":24000}', 'the body';
};

subtest 'WaaV\'s names, formats and rates' => sub {
    my @cases = (
        ['lmnt-ai', ',"voice_id":"morgan","audio_format":"wav","sample_rate":16000',
         'audio/wav', 16000, mock_wav('lmnt', 16000),
         '{"voice":"morgan","text":"Hi","model":"blizzard","format":"wav","sample_rate":16000}'],
        ['LMNT_AI', ',"audio_format":"mp3","sample_rate":44100,"speaking_rate":1.5',
         'audio/mpeg', 24000, mock_audio('lmnt', 16000),
         '{"voice":"leah","text":"Hi","model":"blizzard","format":"mp3","sample_rate":24000}'],
        ['lmnt', ',"audio_format":"linear16","sample_rate":8000',
         'audio/pcm', 8000, mock_audio('lmnt', 16000),
         '{"voice":"leah","text":"Hi","model":"blizzard","format":"pcm_s16le","sample_rate":8000}'],
    );
    for my $c (@cases) {
        my ($name, $cfg, $ct, $rate, $audio, $body) = @$c;
        Waav::Run::mock_reset();
        my $res = $w->request(qq{POST /speak\n{"text":"Hi","tts_config":{"provider":"$name"$cfg}}}, $JSON);
        is $res->{status}, 200, "$name$cfg: 200" or diag $res->{body};
        is $res->{headers}{'content-type'}, $ct, "$ct";
        is $res->{headers}{'x-sample-rate'}, $rate, "x-sample-rate $rate";
        is $res->{headers}{'x-speaking-rate'}, undef, 'no x-speaking-rate: LMNT has no speed';
        is $res->{body}, $audio, 'the audio, byte for byte';
        my ($r) = records($w);
        is $r->{body}, $body, 'the body';
    }
};

subtest 'what LMNT cannot do never reaches it' => sub {
    for my $c (['"audio_format":"linear16","sample_rate":22050', 'UNSUPPORTED_OPTION'],
               ['"audio_format":"mulaw"', 'UNSUPPORTED_OPTION'],
               ['"audio_format":"opus"', 'UNSUPPORTED_OPTION']) {
        Waav::Run::mock_reset();
        my $res = speak(",$c->[0]");
        is $res->{status}, 400, "$c->[0]: 400";
        is eval { decode_json($res->{body})->{code} }, $c->[1], "$c->[0]: $c->[1]";
        is $w->mock('/__mock/count'), 0, "$c->[0]: no call";
    }
    Waav::Run::mock_reset();
    my $res = speak('', 'x' x 5001);
    is $res->{status}, 400, '5001 characters: 400';
    is eval { decode_json($res->{body})->{code} }, 'TEXT_TOO_LONG', 'TEXT_TOO_LONG';
    is $w->mock('/__mock/count'), 0, 'no call';
};

subtest 'LMNT\'s errors: waav\'s JSON, never the key' => sub {
    Waav::Run::mock_reset();
    my $res = speak(',"voice_id":"nobody"');
    is $res->{status}, 502, 'an unknown voice: 502' or diag $res->{body};
    my $e = decode_json($res->{body});
    is $e->{code}, 'PROVIDER_ERROR', 'PROVIDER_ERROR';
    like $e->{error}, qr/Voice not found: nobody/, 'with LMNT\'s message';

    for my $c ([401, "PROVIDER_ERROR", 502], [429, "PROVIDER_RATE_LIMITED", 429]) {
        Waav::Run::mock_reset();
        $w->mock_behavior(qq{{"status":$c->[0],"retry_after":"7"}});
        $res = speak('');
        my $code = eval { decode_json($res->{body})->{code} } // '';
        is $code, $c->[1], "$c->[0]: $c->[1]";
        is $res->{status}, $c->[2], "$c->[0]: status $c->[2]";
        like $res->{body}, $c->[0] == 401 ? qr/Invalid API key/ : qr/Rate limit exceeded/,
             "$c->[0]: LMNT's message";
        unlike $res->{body}, qr/\Q$KEY\E/, "$c->[0]: not the key";
    }
    is $res->{headers}{'retry-after'}, 7, '429: Retry-After passed on';
    unlike $w->error_log, qr/\Q$KEY\E/, 'the key is in no log';
};

subtest 'GET /voices?provider=lmnt: LMNT\'s ready voices, as WaaV maps them' => sub {
    Waav::Run::mock_reset();
    my $res = $w->request("GET /voices?provider=lmnt");
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    my $v = decode_json($res->{body})->{lmnt};
    is_deeply [map { $_->{id} } @$v], [qw(leah lily morgan my-clone shared-1)], 'the ready ones';
    is_deeply $v->[0], {id => 'leah', name => 'Leah', sample => 'https://api.lmnt.com/v1/ai/voice/leah/preview',
                        accent => 'Standard', gender => 'Female', language => 'English'}, 'leah';
    is $v->[1]{gender}, 'Female', 'from the description';
    is $v->[3]{accent}, 'Custom', 'the account\'s own';
    is $v->[4]{gender}, 'Male', 'a male voice';
    my ($r) = records($w);
    is "$r->{method} $r->{path}", 'GET /lmnt/v1/ai/voice/list', 'the listing';
    is $r->{headers}{'x-api-key'}, $KEY, 'with the key';
};

$w->finish;

done_testing;
