# waav_tts with Play.ht through make run's own configuration
# (PLAYHT_API_KEY and PLAYHT_USER_ID, joined by waav_provider's user=;
# PLAYHT_BASE_URL) against the provider mock: the exact request Play.ht
# receives (both secrets in their headers, Accept asking for audio, the
# body), its streamed audio byte for byte, WaaV's names (play-ht, play_ht,
# play.ht) and engines, what Play.ht cannot do refused before any call,
# its errors as waav's JSON without either secret, GET /voices, and the
# configurations without the user id.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::Mock qw(mock_audio mock_key mock_user mock_wav);
use JSON::PP qw(decode_json);

my $JSON = 'Content-Type: application/json';
my $KEY = mock_key('playht');
my $USER = mock_user('playht');
my $VOICE = 's3://voice-cloning-zero-shot/d9ff78ba-d016-47f6-b0ef-dd630f59414e/female-cs/manifest.json';

sub records { @{decode_json($_[0]->mock('/__mock/requests'))} }

my $w = Waav::Run->start('083', env => {Waav::Run::mock_env()});

sub speak {
    my ($cfg, $text) = @_;
    $text //= 'Hello from waav';
    return $w->request(qq{POST /speak\n{"text":"$text","tts_config":{"provider":"playht"$cfg}}}, $JSON);
}

subtest '/speak with the defaults: the exact request, the audio' => sub {
    Waav::Run::mock_reset();
    my $res = speak('', 'Tom & \"Jerry\"');
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    is $res->{headers}{'content-type'}, 'audio/pcm', 'audio/pcm';
    is $res->{headers}{'x-audio-format'}, 'linear16', 'x-audio-format';
    is $res->{headers}{'x-sample-rate'}, 24000, 'x-sample-rate';
    is $res->{body}, mock_audio('playht', 16000), 'the audio, byte for byte';

    my @r = records($w);
    is scalar @r, 1, 'one call';
    is "$r[0]{method} $r[0]{path}", 'POST /playht/api/v2/tts/stream', 'POST /api/v2/tts/stream';
    is $r[0]{query}, '', 'no query';
    is $r[0]{headers}{'x-user-id'}, $USER, 'X-USER-ID: the user id';
    is $r[0]{headers}{authorization}, $KEY, 'AUTHORIZATION: the key alone';
    is $r[0]{headers}{accept}, 'audio/pcm', 'Accept: audio (not JSON: a URL)';
    is $r[0]{headers}{'content-type'}, 'application/json', 'JSON';
    is $r[0]{body}, qq({"text":"Tom & \\"Jerry\\"","voice":"$VOICE","voice_engine":"Play3.0-mini",)
                  . '"output_format":"raw","sample_rate":24000}', 'the body';
};

subtest 'WaaV\'s names, engines, formats, rates and speed' => sub {
    my @cases = (
        ['play-ht', ',"voice_id":"v1","model":"dialog","audio_format":"wav","sample_rate":16000',
         'audio/wav', 16000, undef, mock_wav('playht', 16000), 'audio/wav',
         '{"text":"Hi","voice":"v1","voice_engine":"PlayDialog","output_format":"wav","sample_rate":16000}'],
        ['Play.ht', ',"audio_format":"mp3","sample_rate":44100,"speaking_rate":1.5',
         'audio/mpeg', 44100, '1.5', mock_audio('playht', 16000), 'audio/mpeg',
         qq({"text":"Hi","voice":"$VOICE","voice_engine":"Play3.0-mini","output_format":"mp3","sample_rate":44100,"speed":1.5})],
        ['play_ht', ',"model":"turbo","audio_format":"mulaw"',
         'audio/basic', 8000, undef, mock_audio('playht', 16000), 'audio/basic',
         qq({"text":"Hi","voice":"$VOICE","voice_engine":"PlayHT2.0-turbo","output_format":"mulaw","sample_rate":8000})],
        # a cloned voice's id: an s3:// URL (with a space), not an identifier
        ['playht', ',"voice_id":"s3://voice-cloning-zero-shot/u1/my voice/manifest.json"',
         'audio/pcm', 24000, undef, mock_audio('playht', 16000), 'audio/pcm',
         '{"text":"Hi","voice":"s3://voice-cloning-zero-shot/u1/my voice/manifest.json","voice_engine":"Play3.0-mini","output_format":"raw","sample_rate":24000}'],
    );
    for my $c (@cases) {
        my ($name, $cfg, $ct, $rate, $speed, $audio, $accept, $body) = @$c;
        Waav::Run::mock_reset();
        my $res = $w->request(qq{POST /speak\n{"text":"Hi","tts_config":{"provider":"$name"$cfg}}}, $JSON);
        is $res->{status}, 200, "$name$cfg: 200" or diag $res->{body};
        is $res->{headers}{'content-type'}, $ct, $ct;
        is $res->{headers}{'x-sample-rate'}, $rate, "x-sample-rate $rate";
        is $res->{headers}{'x-speaking-rate'}, $speed, 'x-speaking-rate ' . ($speed // 'none');
        is $res->{body}, $audio, 'the audio, byte for byte';
        my ($r) = records($w);
        is $r->{headers}{accept}, $accept, "Accept: $accept";
        is $r->{body}, $body, 'the body';
    }
};

subtest 'what Play.ht cannot do never reaches it' => sub {
    for my $c (['"audio_format":"aac"', 'UNSUPPORTED_OPTION'],
               ['"model":"PlayHT1.0"', 'INVALID_MODEL']) {
        Waav::Run::mock_reset();
        my $res = speak(",$c->[0]");
        is $res->{status}, 400, "$c->[0]: 400";
        is eval { decode_json($res->{body})->{code} }, $c->[1], "$c->[0]: $c->[1]";
        is $w->mock('/__mock/count'), 0, "$c->[0]: no call";
    }
    Waav::Run::mock_reset();
    my $res = speak(',"model":"PlayDialog"', 'x' x 2001);
    is $res->{status}, 400, 'PlayDialog, 2001 characters: 400';
    is eval { decode_json($res->{body})->{code} }, 'TEXT_TOO_LONG', 'TEXT_TOO_LONG';
    is $w->mock('/__mock/count'), 0, 'no call';
    is speak('', 'x' x 2001)->{status}, 200, 'Play3.0-mini takes them';
};

subtest 'Play.ht\'s errors: waav\'s JSON, neither secret' => sub {
    for my $c ([400, 'PROVIDER_ERROR', 502, qr/Something went wrong/],
               [401, 'PROVIDER_ERROR', 502, qr/Invalid credentials/],
               [429, 'PROVIDER_RATE_LIMITED', 429, qr/Too many requests/]) {
        Waav::Run::mock_reset();
        $w->mock_behavior(qq{{"status":$c->[0]}});
        my $res = speak('');
        is $res->{status}, $c->[2], "$c->[0]: $c->[2]";
        is eval { decode_json($res->{body})->{code} }, $c->[1], "$c->[0]: $c->[1]";
        like $res->{body}, $c->[3], "$c->[0]: Play.ht's message";
        unlike $res->{body}, qr/\Q$KEY\E|\Q$USER\E/, "$c->[0]: neither secret";
    }
    unlike $w->error_log, qr/\Q$KEY\E/, 'the key is in no log';
};

subtest 'GET /voices?provider=playht' => sub {
    Waav::Run::mock_reset();
    my $res = $w->request("GET /voices?provider=playht");
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    my $v = decode_json($res->{body})->{playht};
    is scalar @$v, 3, 'three voices';
    is_deeply $v->[0], {id => $VOICE, name => 'Jennifer', sample => 'https://peregrine-samples.s3.amazonaws.com/jennifer.wav',
                        accent => 'american', gender => 'Female', language => 'English (US)'}, 'Jennifer';
    is_deeply [@{$v->[1]}{qw(gender language accent)}], [qw(Male English British)], 'from the language code';
    my ($r) = records($w);
    is "$r->{method} $r->{path}", 'GET /playht/api/v2/voices', 'the listing';
    is_deeply [@{$r->{headers}}{qw(x-user-id authorization)}], [$USER, $KEY], 'with both secrets';
};

$w->finish;

subtest 'make run without PLAYHT_USER_ID: not configured, named at start' => sub {
    my %env = Waav::Run::mock_env();
    delete $env{PLAYHT_USER_ID};
    my $c = Waav::Run->configure('083u', env => \%env);
    like $c->nginx('-t'), qr/provider "playht" \(playht\) via \/_waav\/playht\/ not configured/,
         'declared, not usable';
    is $c->status, 0, 'nginx -t passes';
};

subtest 'waav_provider playht: a key without its user id is refused at start' => sub {
    my $c = Waav::Run->configure('083k', env => {Waav::Run::mock_env()});
    $c->add_conf('waav/upstreams.conf', 'waav_provider playht2 type=playht key=just-a-key;');
    like $c->nginx('-t'), qr/waav provider "playht2" needs user= \(its X-USER-ID\) or a key of the form USER_ID:API_KEY/,
         'the error names what is missing';
    isnt $c->status, 0, 'nginx -t fails';
    unlike $c->nginx('-t'), qr/just-a-key/, 'and never shows the key';
};

done_testing;
