# Google through make run's own configuration, two workers, against the
# provider mock: GOOGLE_APPLICATION_CREDENTIALS names a service account's
# file (an RSA key made here, the account registered with the mock's strict
# token endpoint, which verifies the assertion's signature and claims);
# waav exchanges an RS256 assertion for an OAuth2 access token at the
# file's token_uri (one exchange for both workers, refreshed before it
# expires), and the token is what text to speech and speech to text
# (speech:recognize, the audio base64 in JSON) get.  A failed exchange is
# 502 PROVIDER_AUTH_FAILED naming the provider, never the key or a token.
# Last, GOOGLE_API_KEY alone: the key as it is, no exchange.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::GoogleSA;
use Waav::Mock qw(mock_audio mock_key mock_wav_header);
use JSON::PP qw(decode_json);
use MIME::Base64 qw(decode_base64);
use Time::HiRes qw(sleep time);
use POSIX ();
use File::Temp ();

my $JSON = 'Content-Type: application/json';

Waav::Blocks::start_mock();
my $MOCK = "127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}";
my $TOKEN_URI = "http://$MOCK/google-token/token";
my $sa = Waav::GoogleSA->new(token_uri => $TOKEN_URI);
is $sa->register, 204, 'the service account is known to the mock';

# the private key's body, without its armour: what must never leak
(my $SECRET = $sa->private_key) =~ s/-----[^-]+-----|\s//g;
$SECRET = substr $SECRET, 100, 64;

sub speak {
    my ($w, $cfg, $text) = @_;
    $text //= 'Hello from waav';
    return $w->request(qq{POST /speak\n{"text":"$text","tts_config":{"provider":"google"$cfg}}}, $JSON);
}

sub wav {
    my ($seconds) = @_;
    my $data = join '', map { chr($_ % 251) } 0 .. 16000 * 2 * $seconds - 1;
    return mock_wav_header(16000, 1, 16, length $data) . $data;
}

sub stt {
    my ($w, $query, $audio) = @_;
    return $w->request("POST /listen?provider=google$query\n" . ($audio // wav(2)), 'Content-Type: audio/wav');
}

sub count { $_[0]->mock("/__mock/count?provider=$_[1]") }
sub records { @{decode_json($_[0]->mock('/__mock/requests'))} }

# no leak of the key (the file, its private key) or of a token
sub no_secret {
    my ($text, $what) = @_;
    unlike $text, qr/\Q$SECRET\E/, "$what: not the private key";
    unlike $text, qr/ya29\.mock-/, "$what: no access token";
    unlike $text, qr/eyJ[\w-]+\.eyJ/, "$what: no assertion";
}

my %env = (Waav::Run::mock_env(), WORKER_PROCESSES => 2,
           GOOGLE_APPLICATION_CREDENTIALS => $sa->file);
# the token host: the file's token_uri's, when GOOGLE_TOKEN_URL is not set
delete $env{GOOGLE_TOKEN_URL};

subtest 'make run: the file as the key, the token host from its token_uri' => sub {
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    my $out = do {
        local %ENV = (%env, PATH => $ENV{PATH});
        `scripts/providers-conf.sh $dir --env 2>&1`;
    };
    like $out, qr{google \(http://\Q$MOCK\E/google/v1, key: GOOGLE_APPLICATION_CREDENTIALS=\Q${\ $sa->file}\E\)},
         'named at start, with the file';
};

subtest 'a file that is no service account stops nginx at start, unquoted' => sub {
    my $bad = Waav::GoogleSA->new(token_uri => $TOKEN_URI,
                                  fields => {private_key => "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"});
    my $c = Waav::Run->configure('048bad', env => {%env, GOOGLE_APPLICATION_CREDENTIALS => $bad->file});
    my $out = $c->nginx('-t');
    isnt $c->status, 0, 'nginx -t fails';
    like $out, qr/the key of waav provider "google" is not of the form its type takes \(google: a service account's JSON file/,
         'the reason';
    unlike $out, qr/bm90IGEga2V5/, 'the file is not quoted';
};

my $w = Waav::Run->start('048', env => \%env);

subtest 'the generated configuration' => sub {
    my $up = Waav::Blocks::read_file($w->prefix . '/conf/waav/upstreams.conf');
    like $up, qr{^waav_provider google type=google key=file:\Q${\ $sa->file}\E;$}m, 'key=file: the service account';
    my $conf = Waav::Blocks::read_file($w->prefix . '/conf/waav/providers.conf');
    like $conf, qr{location /_waav/google-token/ \{\n    proxy_pass http://waav_google_token/;}, 'the token location';
    like $up, qr{upstream waav_google_token \{\n    server \Q$MOCK\E;}, 'at the token_uri\'s host';
    like $conf, qr{location /_waav/google-stream/ \{\n    proxy_pass http://waav_google_stream/google-stream/;},
         'the speech-to-text host';
};

# first: nothing is cached yet
subtest 'both workers, one exchange: the token is shared' => sub {
    Waav::Run::mock_reset();
    my ($n, @bad) = (0);
    while ($n < 20 || $w->mock('/__mock/connections?provider=google') < 2) {
        last if $n >= 400;
        my $res = speak($w, '');
        push @bad, "$res->{status} $res->{body}" unless $res->{status} == 200;
        $n++;
    }
    is_deeply \@bad, [], "$n requests, all 200";
    cmp_ok $w->mock('/__mock/connections?provider=google'), '>=', 2, 'both workers called Google';
    is count($w, 'google-token'), 1, 'one exchange';
    is count($w, 'google'), $n, "and Google saw $n calls";
};

subtest 'the exchange request (the assertion verified by the mock) and /speak with the token' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'the cached token refused, dropped';
    my $t0 = time;
    my $res = speak($w, '', q{Tom & \"Jerry\"});
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    is $res->{headers}{'content-type'}, 'audio/pcm', 'audio/pcm';
    is $res->{body}, mock_audio('google', 16000), 'the audio, decoded, its WAV header dropped';

    my @r = records($w);
    is_deeply [map { $_->{provider} } @r], ['google', 'google-token', 'google'], 'refused, exchanged, called';
    my ($t, $s) = @r[1, 2];
    is $t->{method}, 'POST', 'token: POST';
    is $t->{path}, '/google-token/token', 'token: the token_uri\'s path';
    is $t->{headers}{'content-type'}, 'application/x-www-form-urlencoded', 'token: a form';
    is $t->{headers}{host}, $MOCK, 'token: the token_uri\'s host';
    like $t->{body}, qr{^grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=([\w-]+)\.([\w-]+)\.([\w-]+)$},
         'token: the JWT-bearer grant and an assertion';
    my ($h, $c) = map { decode_json(decode_base64($_ =~ tr/-_/+\//r)) } $t->{body} =~ /assertion=([\w-]+)\.([\w-]+)\./;
    is_deeply $h, {alg => 'RS256', typ => 'JWT'}, 'RS256';
    is $c->{iss}, $sa->client_email, 'iss: the client_email';
    is $c->{aud}, $TOKEN_URI, 'aud: the token_uri';
    is $c->{scope}, 'https://www.googleapis.com/auth/cloud-platform', 'scope: cloud-platform';
    cmp_ok abs($c->{iat} - $t0), '<=', 5, 'iat: now';
    is $c->{exp} - $c->{iat}, 3600, 'exp: an hour later';

    is $s->{path}, '/google/v1/text:synthesize', 'text:synthesize';
    like $s->{headers}{authorization}, qr/^Bearer ya29\.mock-\w+$/, 'the bearer token';
    is $s->{headers}{'x-goog-api-key'}, undef, 'no API key';
    is decode_json($s->{body})->{input}{text}, 'Tom & "Jerry"', 'the text';
};

subtest '/listen: the audio base64 in JSON to speech:recognize, the answer normalized' => sub {
    Waav::Run::mock_reset();
    my $audio = wav(2);
    my $res = stt($w, '&language=en-GB&keywords=waav,nginx%20module', $audio);
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    my $j = decode_json($res->{body});
    is $j->{transcript}, 'Hello world from the mock.', 'both results, joined';
    is $j->{provider}, 'google', 'provider';
    is $j->{model}, 'latest_long', 'the default model';
    is $j->{language}, 'en-gb', 'the language Google names';
    cmp_ok abs($j->{confidence} - 0.92), '<', 1e-9, 'confidence';
    is scalar @{$j->{words}}, 5, 'five words';
    is $j->{words}[0]{word}, 'Hello', 'with their text';
    cmp_ok abs($j->{words}[0]{confidence} - 0.9), '<', 1e-9, 'their confidence';
    cmp_ok $j->{words}[4]{end}, '>', 1.5, 'their times, from "1.800s"';
    cmp_ok abs($j->{duration} - 2), '<', 1e-6, 'the duration: the last result\'s end';

    my ($r) = records($w);
    is $r->{provider}, 'google-stream', 'the speech-to-text host';
    is $r->{method}, 'POST', 'POST';
    is $r->{path}, '/google-stream/v1/speech:recognize', 'speech:recognize';
    is $r->{query}, '', 'no query';
    like $r->{headers}{authorization}, qr/^Bearer ya29\.mock-\w+$/, 'the bearer token';
    is $r->{headers}{'content-type'}, 'application/json', 'JSON';
    is $r->{body_length}, $r->{headers}{'content-length'}, 'the length announced';
    my $b = decode_json($r->{body});
    is_deeply $b->{config}, {languageCode => 'en-GB', model => 'latest_long',
        enableAutomaticPunctuation => JSON::PP::true, enableWordTimeOffsets => JSON::PP::true,
        enableWordConfidence => JSON::PP::true,
        speechContexts => [{phrases => ['waav', 'nginx module']}]}, 'the config (a WAV: no encoding, its header says)';
    ok decode_base64($b->{audio}{content}) eq $audio, 'the audio, base64, byte for byte';

    Waav::Run::mock_reset();
    my $pcm = join '', map { chr($_ % 253) } 1 .. 32000;
    $res = $w->request("POST /listen?provider=google&model=phone_call&punctuate=false\n$pcm",
                       'Content-Type: audio/L16;rate=8000;channels=2');
    is $res->{status}, 200, 'headerless PCM: 200' or diag $res->{body};
    is decode_json($res->{body})->{transcript}, 'hello world from the mock', 'not punctuated';
    ($r) = records($w);
    $b = decode_json($r->{body});
    is_deeply $b->{config}, {encoding => 'LINEAR16', sampleRateHertz => 8000, audioChannelCount => 2,
        languageCode => 'en-US', model => 'phone_call', enableAutomaticPunctuation => JSON::PP::false,
        enableWordTimeOffsets => JSON::PP::true, enableWordConfidence => JSON::PP::true},
        'LINEAR16 at its rate and channels, the model asked for, no punctuation';
    ok decode_base64($b->{audio}{content}) eq $pcm, 'the PCM, byte for byte';
};

subtest '/listen: what Google refuses is refused first' => sub {
    Waav::Run::mock_reset();
    my $long = "\0" x (8000 * 2 * 61);
    my $res = $w->request("POST /listen?provider=google\n$long", 'Content-Type: audio/L16;rate=8000');
    is $res->{status}, 413, 'over a minute of PCM: 413';
    is $res->{body}, '{"error":"google transcribes at most 60 s of audio a request (its REST API); '
                   . 'this audio is 61 s","code":"AUDIO_TOO_LONG"}', 'AUDIO_TOO_LONG, as Azure says it';
    $res = $w->request("POST /listen?provider=google\n" . ("\0" x 8_000_000),
                       'Content-Type: audio/L16;rate=48000;channels=2');
    is $res->{status}, 413, 'over 10 MB once base64: 413' or diag $res->{body};
    like $res->{body}, qr/"code":"PAYLOAD_TOO_LARGE"/, 'PAYLOAD_TOO_LARGE';
    $res = $w->request("POST /listen?provider=google\n" . "\xff\xfb\x90\x00" . ("\0" x 4000), 'Content-Type: audio/mpeg');
    is $res->{status}, 415, 'MP3: 415';
    $res = stt($w, '', wav(61));
    is $res->{status}, 413, 'a WAV over a minute: 413' or diag $res->{body};
    like $res->{body}, qr/"code":"AUDIO_TOO_LONG"/, 'AUDIO_TOO_LONG';
    is count($w, 'google-stream'), 0, 'no call';
    # compressed: no duration known here; a 1.5 MB FLAC (94 s at 128
    # kbit/s, 15 s of 44.1 kHz stereo) is Google's to judge, not refused
    $res = $w->request("POST /listen?provider=google\n" . 'fLaC' . ("\0" x 1_500_000), 'Content-Type: audio/flac');
    is $res->{status}, 200, 'a 1.5 MB FLAC: 200' or diag $res->{body};
    is count($w, 'google-stream'), 1, 'Google was asked';
    Waav::Run::mock_reset();

    # compressed: no duration known here, Google is told the codec
    $res = $w->request("POST /listen?provider=google\n" . 'OggS' . ("\0" x 1000), 'Content-Type: audio/ogg');
    is $res->{status}, 200, 'Ogg: Opus at 48 kHz, 200' or diag $res->{body};
    my ($r) = records($w);
    is_deeply [@{decode_json($r->{body})->{config}}{qw(encoding sampleRateHertz)}], ['OGG_OPUS', 48000], 'OGG_OPUS, 48000';
};

subtest 'a short-lived token is refreshed before it expires' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    is speak($w, '')->{status}, 502, 'the cached token refused, dropped';
    $w->mock_behavior('{"token_ttl":3}');
    is speak($w, '')->{status}, 200, 'a token valid 3 s';
    is count($w, 'google-token'), 1, 'exchanged';
    my ($n, @bad) = (0);
    my $until = time + 20;
    while (count($w, 'google-token') < 2 && time < $until) {
        my $res = ($n % 2) ? stt($w, '') : speak($w, '');
        push @bad, "$res->{status} $res->{body}" unless $res->{status} == 200;
        $n++;
        sleep 0.05;
    }
    is count($w, 'google-token'), 2, "refreshed (after $n calls, TTS and STT)";
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
    is $res->{body}, '{"error":"The token service of provider google answered 400",'
                   . '"code":"PROVIDER_AUTH_FAILED"}', 'PROVIDER_AUTH_FAILED, the provider named';
    no_secret($res->{body}, 'the answer');
    is_deeply [map { $_->{provider} } records($w)], ['google-token'], 'only the exchange reached the mock';

    Waav::Run::mock_reset();
    $w->mock_behavior('{"status":401}');
    $res = stt($w, '');
    is $res->{status}, 502, '/listen: 502';
    is $res->{body}, '{"error":"Provider google refused its key for a token (401)",'
                   . '"code":"PROVIDER_AUTH_FAILED"}', '/listen: PROVIDER_AUTH_FAILED';
    is_deeply [map { $_->{provider} } records($w)], ['google-token'], '/listen: no recognize call';
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
    is count($w, 'google-token'), 1, 'one exchange';
};

subtest 'a client\'s own key is an API key' => sub {
    Waav::Run::mock_reset();
    my $res = $w->request(qq{POST /speak\n{"text":"hi","tts_config":{"provider":"google"}}},
                          $JSON . "\nX-Provider-Api-Key: " . mock_key('google'));
    is $res->{status}, 200, '/speak with X-Provider-Api-Key: 200' or diag $res->{body};
    my ($r) = records($w);
    is $r->{headers}{'x-goog-api-key'}, mock_key('google'), 'sent as X-Goog-Api-Key';
    is $r->{headers}{authorization}, undef, 'not the server\'s token';
};

# a client's own key on /listen, as on /speak: an API key, even one that
# looks like a service account's JSON; never exchanged, never 500
sub client_key_stt {
    my ($s, $what) = @_;
    for my $key (mock_key('google'), '{"type":"service_account"}') {
        Waav::Run::mock_reset();
        my $res = $s->request("POST /listen?provider=google\n" . wav(1),
                              "Content-Type: audio/wav\nX-Provider-Api-Key: $key");
        if ($key eq mock_key('google')) {
            is $res->{status}, 200, "$what: an API key: 200" or diag $res->{body};
        } else {
            isnt $res->{status}, 500, "$what: a key that is JSON: $res->{status}, not 500";
            like $res->{body}, qr/^\{"error":"[^"]+","code":"[A-Z_]+"\}$/, "$what: a JSON error";
            unlike $res->{body}, qr/service_account/, "$what: the key not quoted";
        }
        my @r = records($s);
        is_deeply [map { $_->{provider} } @r], ['google-stream'], "$what: no exchange";
        is $r[0]{headers}{'x-goog-api-key'}, $key, "$what: the client's key as X-Goog-Api-Key";
        is $r[0]{headers}{authorization}, undef, "$what: not the server's token";
    }
}

subtest 'a client\'s own key on /listen is an API key too' => sub {
    client_key_stt($w, 'service account server');
};

subtest '/voices with a service account: listed with the exchanged token' => sub {
    Waav::Run::mock_reset();
    my $res = $w->request("GET /voices?provider=google\n");
    is $res->{status}, 200, 'status 200';
    my $j = eval { decode_json($res->{body}) } // {};
    ok @{$j->{google} // []} > 0, 'Google\'s voices' or diag $res->{body};
    no_secret($res->{body}, '/voices');
    my ($r) = grep { $_->{provider} eq 'google' } records($w);
    is $r && $r->{path}, '/google/v1/voices', 'the listing call' or diag explain [records($w)];
    like $r && $r->{headers}{authorization}, qr/^Bearer ya29\.mock-/, 'with a token of the mock\'s';
    is $r && $r->{headers}{'x-goog-api-key'}, undef, 'no API key';
    # the token came from the cache the speeches filled, or from one exchange
    ok count($w, 'google-token') <= 1, 'at most one exchange';
    no_secret($w->error_log, 'the error log');
    # every provider at once: Google among them
    $res = $w->request("GET /voices\n");
    $j = eval { decode_json($res->{body}) } // {};
    ok @{$j->{google} // []} > 0, 'GET /voices: Google among the providers' or diag $res->{body};

    # a new server: /voices is its first call, it waits for the exchange
    Waav::Run::mock_reset();
    my $v = Waav::Run->start('048v', env => \%env);
    $res = $v->request("GET /voices\n");
    $j = eval { decode_json($res->{body}) } // {};
    ok @{$j->{google} // []} > 0, 'first call: Google listed after the exchange' or diag $res->{body};
    ok @{$j->{deepgram} // []} > 0, 'and the others' or diag $res->{body};
    is count($v, 'google-token'), 1, 'one exchange';
    no_secret($v->error_log, 'its error log');
    $v->finish;
};

subtest 'the key and the tokens are in no log' => sub {
    no_secret($w->error_log, 'the error log');
};

$w->finish;

# an API key alone: sent as it is, nothing exchanged; its debug log says
# where the audio was encoded
my $k = Waav::Run->configure('048k', env => {Waav::Run::mock_env()})
    ->add_conf('run.d/main.conf', 'error_log logs/error.log debug;')->launch;

subtest 'GOOGLE_API_KEY: X-Goog-Api-Key on both hosts, no exchange' => sub {
    Waav::Run::mock_reset();
    is speak($k, '')->{status}, 200, '/speak: 200';
    my $res = stt($k, '');
    is $res->{status}, 200, '/listen: 200' or diag $res->{body};
    is decode_json($res->{body})->{transcript}, 'Hello world from the mock.', 'the transcript';
    my @r = records($k);
    is_deeply [map { $_->{provider} } @r], ['google', 'google-stream'], 'no exchange';
    is_deeply [map { $_->{headers}{'x-goog-api-key'} } @r], [(mock_key('google')) x 2], 'the key';
    is_deeply [map { $_->{headers}{authorization} } @r], [undef, undef], 'no Authorization';
};

subtest 'a client\'s own key on /listen with an API key server' => sub {
    client_key_stt($k, 'API key server');
    # debug lines show the request's headers: the others never
    unlike join("\n", grep { m{^\d{4}/\d\d/\d\d \S+ \[(?!debug)} } split /\n/, $k->error_log),
           qr/service_account/,
           'the key in no log line';
};

subtest '/listen: a body nginx spooled to a temp file is read in the thread pool, base64 byte for byte' => sub {
    # over client_body_buffer_size: the whole body in nginx's temp file;
    # sizes that leave 0, 1 and 2 bytes over a 48k chunk's groups of three
    for my $case ([wav(20) . "\x01", 'audio/wav'], [wav(3) . "\x01\x02", 'audio/wav'],
                  [join('', map { chr($_ % 241) } 1 .. 3 * 49152 + 4), 'audio/L16;rate=16000'],
                  [join('', map { chr($_ % 239) } 1 .. 49152), 'audio/L16;rate=16000']) {
        my ($audio, $type) = @$case;
        my $n = length $audio;
        Waav::Run::mock_reset();
        my $before = length $k->error_log;
        my $res = $k->request("POST /listen?provider=google\n$audio", "Content-Type: $type");
        is $res->{status}, 200, "$n bytes: 200" or diag $res->{body};
        like decode_json($res->{body})->{transcript}, qr/^Hello world from the mock\.$/, "$n bytes: the transcript";
        my ($r) = records($k);
        is $r->{body_length}, $r->{headers}{'content-length'}, "$n bytes: the length announced";
        my $b64 = decode_json($r->{body})->{audio}{content};
        ok $b64 eq MIME::Base64::encode_base64($audio, ''), "$n bytes: the mock saw exactly the audio's base64";
        my $log = substr $k->error_log, $before;
        like $log, qr/a client request body is buffered to a temporary file/, "$n bytes: the body was spooled";
        like $log, qr/waav stt: base64 of $n file bytes in the thread pool/, "$n bytes: encoded in the thread pool";
        like $log, qr/waav stt: base64 of $n file bytes done/, "$n bytes: and back";
    }

    # a body in memory: encoded at once, no task
    Waav::Run::mock_reset();
    my $before = length $k->error_log;
    my $pcm = join '', map { chr($_ % 13) } 1 .. 1000;
    my $res = $k->request("POST /listen?provider=google\n$pcm", 'Content-Type: audio/L16;rate=16000');
    is $res->{status}, 200, 'in memory: 200' or diag $res->{body};
    my ($r) = records($k);
    ok decode_json($r->{body})->{audio}{content} eq MIME::Base64::encode_base64($pcm, ''), 'in memory: the base64';
    unlike substr($k->error_log, $before), qr/thread pool|temporary file/, 'in memory: no temp file, no task';
};

$k->finish;

done_testing;
