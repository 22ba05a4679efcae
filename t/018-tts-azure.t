# waav_tts with Microsoft Azure Speech through make run's own configuration
# (conf/waav.conf and the locations scripts/providers-conf.sh writes:
# /_waav/azure/ for the speech host, /_waav/azure-token/ for the token host)
# with two workers, against the provider mock: the key is exchanged for a
# token (the credentials hook), the token is kept in shared memory (one
# exchange for both workers), refreshed before it expires, dropped when the
# provider refuses it; a failed exchange is 502 PROVIDER_AUTH_FAILED and no
# speech call; the key reaches only the token host and no answer or log.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::Mock qw(mock_audio mock_key);
use JSON::PP qw(decode_json);
use Time::HiRes qw(sleep time);
use POSIX ();

my $JSON = 'Content-Type: application/json';
my $KEY = mock_key('azure');

sub speak {
    my ($w, $cfg, $text) = @_;
    $text //= 'Hello from waav';
    return $w->request(qq{POST /speak\n{"text":"$text","tts_config":{"provider":"azure"$cfg}}}, $JSON);
}

sub count { $_[0]->mock("/__mock/count?provider=$_[1]") }
sub records { @{decode_json($_[0]->mock('/__mock/requests'))} }
sub ssml {
    my ($lang, $voice, $text) = @_;
    return "<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='$lang'>"
         . "<voice name='$voice'>$text</voice></speak>";
}

my $w = Waav::Run->start('018', env => {Waav::Run::mock_env(), WORKER_PROCESSES => 2});

# first: nothing is cached yet
subtest 'both workers, one exchange: the token is shared' => sub {
    Waav::Run::mock_reset();
    my ($n, @bad) = (0);
    # until both workers have called the speech host (one kept connection
    # each), at least 20 requests
    while ($n < 20 || $w->mock('/__mock/connections?provider=azure') < 2) {
        last if $n >= 400;
        my $res = speak($w, '');
        push @bad, "$res->{status} $res->{body}" unless $res->{status} == 200;
        $n++;
    }
    is_deeply \@bad, [], "$n requests, all 200";
    cmp_ok $w->mock('/__mock/connections?provider=azure'), '>=', 2,
           'both workers called the speech host';
    is count($w, 'azure-token'), 1, 'the key was exchanged once';
    is count($w, 'azure'), $n, "and the speech host saw $n calls";
};

subtest '/speak: the exchange, then SSML with the bearer token' => sub {
    Waav::Run::mock_reset();
    my $res = speak($w, '', q{Tom & Jerry say \"<hi>\" it's});
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    is $res->{headers}{'content-type'}, 'audio/pcm', 'audio/pcm';
    is $res->{headers}{'x-audio-format'}, 'linear16', 'x-audio-format';
    is $res->{headers}{'x-sample-rate'}, 24000, 'x-sample-rate';
    is $res->{body}, mock_audio('azure', 16000), 'the audio, byte for byte';

    my @r = records($w);
    is scalar @r, 1, 'one call: the token was cached';
    my $h = $r[0]{headers};
    is $r[0]{path}, '/azure/cognitiveservices/v1', 'to the speech host';
    like $h->{authorization}, qr/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/, 'with the bearer token';
    unlike $h->{authorization}, qr/\Q$KEY\E/, 'not the key';
    is $h->{'ocp-apim-subscription-key'}, undef, 'and no key header';
    is $h->{'content-type'}, 'application/ssml+xml', 'SSML';
    is $h->{'x-microsoft-outputformat'}, 'raw-24khz-16bit-mono-pcm', 'raw PCM at 24 kHz';
    is $r[0]{body}, ssml('en-US', 'en-US-JennyNeural',
                         'Tom &amp; Jerry say &quot;&lt;hi&gt;&quot; it&apos;s'),
       'the text XML-escaped';
};

subtest 'the exchange request itself' => sub {
    Waav::Run::mock_reset();
    # a refused token is dropped: the next call exchanges again
    is $w->mock_behavior('{"status":401}'), 204, 'the speech host will refuse the token';
    my $res = speak($w, '');
    is $res->{status}, 502, 'status 502' or diag $res->{body};
    is decode_json($res->{body})->{code}, 'PROVIDER_ERROR', 'the provider\'s refusal';
    is speak($w, '')->{status}, 200, 'the next call: 200';
    my @r = records($w);
    is_deeply [map { $_->{path} } @r],
              ['/azure/cognitiveservices/v1', '/azure-token/sts/v1.0/issueToken',
               '/azure/cognitiveservices/v1'], 'a new token was fetched first';
    is $r[1]{method}, 'POST', 'POST';
    is $r[1]{headers}{'ocp-apim-subscription-key'}, $KEY, 'the key, to the token host only';
    is $r[1]{headers}{'content-length'}, 0, 'an empty body';
    is $r[1]{headers}{authorization}, undef, 'no Authorization';
    isnt $r[2]{headers}{authorization}, $r[0]{headers}{authorization}, 'a new token';
};

subtest 'OpenAI\'s /v1/audio/speech, formats, rates, voices' => sub {
    my @cases = (
        [q{POST /v1/audio/speech
{"model":"azure/neural","input":"Hi","voice":"en-GB-SoniaNeural"}},
         'audio-24khz-96kbitrate-mono-mp3', 'audio/mpeg', 24000, ssml('en-GB', 'en-GB-SoniaNeural', 'Hi')],
        [q{POST /speak
{"text":"Hi","tts_config":{"provider":"azure","audio_format":"wav","sample_rate":16000,"speaking_rate":1.5}}},
         'riff-16khz-16bit-mono-pcm', 'audio/wav', 16000,
         ssml('en-US', 'en-US-JennyNeural', "<prosody rate='1.50'>Hi</prosody>")],
        [q{POST /speak
{"text":"Hi","tts_config":{"provider":"azure","audio_format":"mulaw","voice_id":"fr-FR-DeniseNeural"}}},
         'raw-8khz-8bit-mono-mulaw', 'audio/basic', 8000, ssml('fr-FR', 'fr-FR-DeniseNeural', 'Hi')],
        [q{POST /speak
{"text":"Hi","tts_config":{"provider":"azure","audio_format":"opus","sample_rate":48000,"speaking_rate":1.005}}},
         'ogg-48khz-16bit-mono-opus', 'audio/ogg', 48000, ssml('en-US', 'en-US-JennyNeural', 'Hi')],
    );
    for my $c (@cases) {
        my ($req, $fmt, $ct, $rate, $body) = @$c;
        Waav::Run::mock_reset();
        my $res = $w->request($req, $JSON);
        is $res->{status}, 200, "$fmt: 200" or diag $res->{body};
        is $res->{headers}{'content-type'}, $ct, "$fmt: $ct";
        is $res->{headers}{'x-sample-rate'}, $rate, "$fmt: x-sample-rate $rate";
        my ($r) = records($w);
        is $r->{headers}{'x-microsoft-outputformat'}, $fmt, "$fmt: the output format";
        is $r->{body}, $body, "$fmt: the SSML";
    }

    # what Azure has no format for never reaches it
    for my $c (['"audio_format":"linear16","sample_rate":32000', 'UNSUPPORTED_OPTION'],
               ['"audio_format":"flac"', 'UNSUPPORTED_OPTION'],
               ['"audio_format":"mulaw","sample_rate":16000', 'UNSUPPORTED_OPTION']) {
        Waav::Run::mock_reset();
        my $res = speak($w, ",$c->[0]");
        is $res->{status}, 400, "$c->[0]: 400";
        is eval { decode_json($res->{body})->{code} }, $c->[1], "$c->[0]: $c->[1]";
        is $w->mock('/__mock/count'), 0, "$c->[0]: no call";
    }
};

subtest 'a short-lived token is refreshed before it expires' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'the cached token refused, dropped';
    $w->mock_behavior('{"token_ttl":3}');
    is speak($w, '')->{status}, 200, 'a token valid 3 s';
    is count($w, 'azure-token'), 1, 'exchanged';
    # calls until a second exchange; the mock refuses an expired token, so
    # every one of them must be 200
    my ($n, @bad) = (0);
    my $until = time + 20;
    while (count($w, 'azure-token') < 2 && time < $until) {
        my $res = speak($w, '');
        push @bad, "$res->{status} $res->{body}" unless $res->{status} == 200;
        $n++;
        sleep 0.05;
    }
    is count($w, 'azure-token'), 2, "refreshed (after $n calls)";
    is_deeply \@bad, [], 'no call failed';
    is speak($w, '')->{status}, 200, 'and the new token works';
};

subtest 'a token the speech host does not know: 502, then a new one' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'the cached token refused, dropped';
    $w->mock_behavior('{"token":"invalid"}');
    my $res = speak($w, '');
    is $res->{status}, 502, 'the invalid token: 502';
    is decode_json($res->{body})->{code}, 'PROVIDER_ERROR', 'PROVIDER_ERROR';
    is speak($w, '')->{status}, 200, 'the next call exchanges again: 200';
    is count($w, 'azure-token'), 2, 'two exchanges';
};

subtest 'the exchange refused: 502 PROVIDER_AUTH_FAILED, no speech call' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'the cached token refused, dropped';
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    my $res = speak($w, '');
    is $res->{status}, 502, 'status 502';
    is $res->{body}, '{"error":"Provider azure refused its key for a token (401)",'
                   . '"code":"PROVIDER_AUTH_FAILED"}', 'PROVIDER_AUTH_FAILED';
    unlike $res->{body}, qr/\Q$KEY\E/, 'the key is not in the answer';
    is_deeply [map { $_->{provider} } records($w)], ['azure-token'],
              'only the exchange reached the mock';
    is speak($w, '')->{status}, 200, 'the next call exchanges again: 200';
    is count($w, 'azure-token'), 2, 'two exchanges';
};

subtest 'a bad request exchanges nothing: it is refused before any token' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'the cached token refused, dropped';
    Waav::Run::mock_reset();
    for my $bad ('"audio_format":"linear16","sample_rate":32000',
                 '"audio_format":"alaw","sample_rate":24000') {
        my $res = speak($w, ",$bad");
        is $res->{status}, 400, "$bad: 400" or diag $res->{body};
    }
    is count($w, 'azure-token'), 0, 'the key went nowhere';
    is count($w, 'azure'), 0, 'nor did the call';
};

subtest 'calls that wait for a refused exchange fail with it: one exchange' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'no token cached (the provider refused it, or none was)';
    Waav::Run::mock_reset();
    # the exchange is refused after 4 s; five calls come while it is out
    # (they wait for it, and fail with it rather than each trying the key)
    $w->mock_behavior('{"status":401,"delay_ms":4000}');
    my $call = sub {
        my $pid = fork // die "fork: $!";
        return $pid if $pid;
        my $res = speak($w, '');
        POSIX::_exit($res->{status} == 502
                     && $res->{body} =~ /"code":"PROVIDER_AUTH_FAILED"/ ? 0 : 1);
    };
    my @pids = ($call->());
    my $until = time + 10;
    sleep 0.02 while count($w, 'azure-token') < 1 && time < $until;
    is count($w, 'azure-token'), 1, 'the exchange is out';
    push @pids, $call->() for 1 .. 5;
    my @st = map { waitpid($_, 0); $? >> 8 } @pids;
    is_deeply \@st, [(0) x 6], 'six calls: 502 PROVIDER_AUTH_FAILED';
    is count($w, 'azure-token'), 1, 'one exchange';
    is count($w, 'azure'), 0, 'no speech call';
    is speak($w, '')->{status}, 200, 'the next call exchanges again: 200';
};

subtest 'calls during an exchange wait for it: one exchange' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'the cached token refused, dropped';
    # the exchange takes a second; calls that come meanwhile wait for it
    # (and those that come after it use its token: one exchange either way)
    $w->mock_behavior('{"delay_ms":1000}');
    my @pids = map {
        my $pid = fork // die "fork: $!";
        POSIX::_exit(speak($w, '')->{status} == 200 ? 0 : 1) unless $pid;
        $pid;
    } 1 .. 6;
    my @st = map { waitpid($_, 0); $? >> 8 } @pids;
    is_deeply \@st, [(0) x 6], 'six concurrent calls: all 200';
    is count($w, 'azure-token'), 1, 'one exchange';
    is count($w, 'azure'), 7, 'and the six calls (after the refused one)';
};

subtest 'the key is in no log' => sub {
    unlike $w->error_log, qr/\Q$KEY\E/, 'not in the error log';
};

$w->finish;

done_testing;
