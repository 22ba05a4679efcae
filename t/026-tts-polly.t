# waav_tts with Amazon Polly through make run's own configuration
# (conf/waav.conf, the aws-polly locations scripts/providers-conf.sh writes
# from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION
# and AWS_POLLY_BASE_URL) against the provider mock, which recomputes every
# request's Signature Version 4 as AWS does: the mock saw the exact request
# (method, path, headers with the signature, body) and the client got the
# mock's audio; wrong credentials are AWS's 403, passed on as waav's JSON
# error without the secret; bad requests never reach Polly; /voices lists
# Polly's voices.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::Mock qw(mock_audio mock_aws_creds);
use JSON::PP qw(decode_json);
use Digest::SHA qw(sha256_hex hmac_sha256 hmac_sha256_hex);

my $JSON = 'Content-Type: application/json';
my ($AKID, $SECRET) = mock_aws_creds(0);

sub speak {
    my ($w, $cfg, $text, @h) = @_;
    $text //= 'Hello from waav';
    return $w->request(qq{POST /speak\n{"text":"$text","tts_config":{"provider":"aws-polly"$cfg}}},
                       join "\r\n", $JSON, @h);
}

sub records { @{decode_json($_[0]->mock('/__mock/requests'))} }

# the signature of a recorded request, computed here from its parts, as the
# test suite's vectors say (t/unit/test_sigv4.c checks the signer on them)
sub signature {
    my ($r, $secret, $region) = @_;
    my ($date, $signed) = $r->{headers}{authorization}
        =~ m{Credential=[^/]+/(\d{8})/[^,]+, SignedHeaders=([^,]+), };
    my $creq = join "\n", $r->{method}, $r->{path}, $r->{query},
        (join '', map { "$_:$r->{headers}{$_}\n" } split /;/, $signed), $signed,
        sha256_hex($r->{body});
    my $sts = join "\n", 'AWS4-HMAC-SHA256', $r->{headers}{'x-amz-date'},
        "$date/$region/polly/aws4_request", sha256_hex($creq);
    my $k = hmac_sha256($date, "AWS4$secret");
    $k = hmac_sha256($_, $k) for $region, 'polly', 'aws4_request';
    return hmac_sha256_hex($sts, $k);
}

my $w = Waav::Run->start('026', env => {Waav::Run::mock_env(), WORKER_PROCESSES => 1,
                                        VOICES_CACHE_TTL => 0});

subtest '/speak: SynthesizeSpeech, signed; the mock\'s audio back' => sub {
    Waav::Run::mock_reset();
    my $res = speak($w, '');
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    is $res->{headers}{'content-type'}, 'audio/pcm', 'audio/pcm';
    is $res->{headers}{'x-audio-format'}, 'linear16', 'x-audio-format';
    is $res->{headers}{'x-sample-rate'}, 16000, 'x-sample-rate: Polly\'s pcm rate';
    is $res->{body}, mock_audio('aws-polly', 16000), 'the audio, byte for byte';

    my @r = records($w);
    is scalar @r, 1, 'one call';
    my ($r, $h) = ($r[0], $r[0]{headers});
    is "$r->{method} $r->{path}", 'POST /aws-polly/v1/speech', 'POST /v1/speech';
    is $r->{query}, '', 'no query';
    is $h->{'content-type'}, 'application/json', 'JSON';
    is $h->{host}, '127.0.0.1:' . $ENV{TEST_NGINX_MOCK_PORT}, 'the Host signed for';
    like $h->{'x-amz-date'}, qr/^\d{8}T\d{6}Z$/, 'X-Amz-Date';
    is $h->{'x-amz-security-token'}, undef, 'no session token';
    like $h->{authorization},
         qr{^AWS4-HMAC-SHA256 Credential=\Q$AKID\E/\d{8}/us-east-1/polly/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$},
         'Authorization: the scope, the signed headers';
    my ($sig) = $h->{authorization} =~ /Signature=(\w+)$/;
    is $sig, signature($r, $SECRET, 'us-east-1'), 'the signature, recomputed here';
    is $r->{body}, '{"Engine":"neural","OutputFormat":"pcm","SampleRate":"16000",'
                 . '"Text":"Hello from waav","TextType":"text","VoiceId":"Joanna"}', 'the body';
    unlike join(' ', %$h), qr/\Q$SECRET\E/, 'the secret is in no header';
};

subtest 'WaaV\'s names; mp3, ogg, a speaking rate; OpenAI\'s shape' => sub {
    for my $c (['polly', ',"audio_format":"mp3","sample_rate":22050,"voice_id":"matthew","model":"standard"',
                'audio/mpeg', 22050, '{"Engine":"standard","OutputFormat":"mp3","SampleRate":"22050",'
                . '"Text":"Hi","TextType":"text","VoiceId":"Matthew"}'],
               ['Amazon-Polly', ',"audio_format":"ogg","sample_rate":48000,"model":"generative","voice_id":"Amy"',
                'audio/ogg', 24000, '{"Engine":"generative","OutputFormat":"ogg_vorbis","SampleRate":"24000",'
                . '"Text":"Hi","TextType":"text","VoiceId":"Amy"}'],
               ['aws_polly', ',"speaking_rate":1.5',
                'audio/pcm', 16000, '{"Engine":"neural","OutputFormat":"pcm","SampleRate":"16000",'
                . '"Text":"<speak><prosody rate=\"150%\">Hi</prosody></speak>","TextType":"ssml","VoiceId":"Joanna"}']) {
        my ($name, $cfg, $ct, $rate, $body) = @$c;
        Waav::Run::mock_reset();
        my $res = $w->request(qq{POST /speak\n{"text":"Hi","tts_config":{"provider":"$name"$cfg}}}, $JSON);
        is $res->{status}, 200, "$name: 200" or diag $res->{body};
        is $res->{headers}{'content-type'}, $ct, "$name: $ct";
        is $res->{headers}{'x-sample-rate'}, $rate, "$name: x-sample-rate $rate";
        my ($r) = records($w);
        is $r->{body}, $body, "$name: the body";
        is $r->{path}, '/aws-polly/v1/speech', "$name: to Polly";
    }
    is speak($w, ',"speaking_rate":1.5')->{headers}{'x-speaking-rate'}, 1.5, 'x-speaking-rate';

    Waav::Run::mock_reset();
    my $res = $w->request(qq{POST /v1/audio/speech\n{"model":"aws-polly/neural","input":"Hi","voice":"Ivy","response_format":"mp3"}}, $JSON);
    is $res->{status}, 200, '/v1/audio/speech: 200' or diag $res->{body};
    is $res->{headers}{'content-type'}, 'audio/mpeg', 'mp3';
    my ($r) = records($w);
    is $r->{body}, '{"Engine":"neural","OutputFormat":"mp3","SampleRate":"24000","Text":"Hi","TextType":"text",'
                 . '"VoiceId":"Ivy"}', 'the body';
};

subtest 'what Polly cannot do never reaches it' => sub {
    for my $c (['"sample_rate":24000', 'UNSUPPORTED_OPTION', qr/aws-polly does not support sample_rate 24000 for linear16 \(it can do 8000, 16000\)/],
               ['"audio_format":"opus"', 'UNSUPPORTED_OPTION', qr/linear16, mp3 or ogg/],
               ['"audio_format":"mulaw"', 'UNSUPPORTED_OPTION', qr/linear16, mp3 or ogg/],
               ['"model":"aura"', 'INVALID_MODEL', qr/standard, neural, long-form, generative/],
               ['"voice_id":"en-US-Joanna"', 'INVALID_REQUEST', qr/voice_id/]) {
        Waav::Run::mock_reset();
        my $res = speak($w, ",$c->[0]");
        is $res->{status}, 400, "$c->[0]: 400";
        my $j = eval { decode_json($res->{body}) } // {};
        is $j->{code}, $c->[1], "$c->[0]: $c->[1]";
        like $j->{error}, $c->[2], "$c->[0]: says why";
        is $w->mock('/__mock/count'), 0, "$c->[0]: no call";
    }
    Waav::Run::mock_reset();
    my $res = speak($w, '', 'x' x 3001);
    is $res->{status}, 400, '3001 characters: 400';
    is eval { decode_json($res->{body})->{code} }, 'TEXT_TOO_LONG', 'TEXT_TOO_LONG';
    is $w->mock('/__mock/count'), 0, 'no call';
};

subtest 'Polly\'s own refusals: 400 ValidationException passed on' => sub {
    Waav::Run::mock_reset();
    # a voice that is a name but not Polly's: the mock refuses it as AWS does
    my $res = speak($w, ',"voice_id":"Nobody"');
    is $res->{status}, 502, 'status 502' or diag $res->{body};
    my $j = decode_json($res->{body});
    is $j->{code}, 'PROVIDER_ERROR', 'PROVIDER_ERROR';
    like $j->{error}, qr/aws-polly answered 400: 1 validation error detected: Value 'Nobody' at 'voiceId'/, 'Polly\'s message';
    # an engine the voice lacks
    $res = speak($w, ',"voice_id":"Hans"');
    like decode_json($res->{body})->{error}, qr/answered 400: This voice does not support the selected engine: neural/,
         'EngineNotSupportedException';
};

subtest 'wrong credentials: AWS\'s 403, no secret in the answer' => sub {
    my $wrong = 'wrong/Secret+Key0123456789';
    for my $c (["$AKID:$wrong", qr/The request signature we calculated does not match/, 'a wrong secret'],
               ["AKIAUNKNOWNKEY:$SECRET", qr/The security token included in the request is invalid/, 'an unknown key'],
               [join(':', (mock_aws_creds(1))[0, 1]), qr/The security token included in the request is invalid/,
                'temporary keys without their token']) {
        my ($key, $msg, $what) = @$c;
        Waav::Run::mock_reset();
        # a client's own key (X-Provider-Api-Key, waav_byok on in make run's
        # configuration as in WaaV): signed with it
        my $res = speak($w, '', 'Hi', "X-Provider-Api-Key: $key");
        is $res->{status}, 502, "$what: 502" or diag $res->{body};
        my $j = eval { decode_json($res->{body}) } // {};
        is $j->{code}, 'PROVIDER_ERROR', "$what: PROVIDER_ERROR";
        like $j->{error}, qr/^Provider aws-polly answered 403: /, "$what: the provider's 403";
        like $j->{error}, $msg, "$what: AWS's message";
        my ($secret) = $key =~ /:([^:]+)/;
        unlike $res->{body}, qr/\Q$secret\E/, "$what: the secret is not in the answer";
        is $w->mock('/__mock/count?provider=aws-polly'), 1, "$what: one call";
    }

    # temporary keys with their session token: signed too
    Waav::Run::mock_reset();
    my @t = mock_aws_creds(1);
    my $res = speak($w, '', 'Hi', 'X-Provider-Api-Key: ' . join ':', @t);
    is $res->{status}, 200, 'temporary keys with their token: 200' or diag $res->{body};
    my ($r) = records($w);
    is $r->{headers}{'x-amz-security-token'}, $t[2], 'X-Amz-Security-Token';
    like $r->{headers}{authorization}, qr/SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,/,
         'the token signed';
    my ($sig) = $r->{headers}{authorization} =~ /Signature=(\w+)$/;
    is $sig, signature($r, $t[1], 'us-east-1'), 'the signature, recomputed here';

    # not AKID:SECRET: refused before any call
    Waav::Run::mock_reset();
    $res = speak($w, '', 'Hi', 'X-Provider-Api-Key: just-one-key');
    is $res->{status}, 401, 'a key that is no AWS key: 401';
    is eval { decode_json($res->{body})->{code} }, 'PROVIDER_AUTH_FAILED', 'PROVIDER_AUTH_FAILED';
    is $w->mock('/__mock/count'), 0, 'no call';
};

subtest '/voices lists Polly\'s voices (DescribeVoices, signed)' => sub {
    Waav::Run::mock_reset();
    my $res = $w->request('GET /voices?provider=aws-polly');
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    my $j = decode_json($res->{body});
    my @v = @{$j->{'aws-polly'} // []};
    is scalar @v, 7, 'seven voices';
    is_deeply $v[0], {id => 'Joanna', name => 'Joanna', gender => 'Female', language => 'English',
                      accent => 'American', sample => ''}, 'in WaaV\'s shape';
    my ($r) = records($w);
    is "$r->{method} $r->{path}", 'GET /aws-polly/v1/voices', 'GET /v1/voices';
    like $r->{headers}{authorization}, qr{^AWS4-HMAC-SHA256 Credential=\Q$AKID\E/\d{8}/us-east-1/polly/aws4_request, SignedHeaders=host;x-amz-date, },
         'signed';
    my ($sig) = $r->{headers}{authorization} =~ /Signature=(\w+)$/;
    is $sig, signature($r, $SECRET, 'us-east-1'), 'the signature, recomputed here';

    $res = $w->request('GET /voices');
    ok exists decode_json($res->{body})->{'aws-polly'}, 'in the listing of every provider';
};

subtest 'the secret is in no log' => sub {
    unlike $w->error_log, qr/\Q$SECRET\E/, 'not in the error log';
};

$w->finish;

# make run with temporary keys: AWS_SESSION_TOKEN joins the key
# (key=env:AWS_ACCESS_KEY_ID:AWS_SECRET_ACCESS_KEY:AWS_SESSION_TOKEN) and is
# sent, signed
subtest 'make run: AWS_SESSION_TOKEN' => sub {
    my @t = mock_aws_creds(1);
    my $t = Waav::Run->start('026t', env => {Waav::Run::mock_env(), WORKER_PROCESSES => 1,
        AWS_ACCESS_KEY_ID => $t[0], AWS_SECRET_ACCESS_KEY => $t[1], AWS_SESSION_TOKEN => $t[2]});
    Waav::Run::mock_reset();
    my $res = speak($t, '');
    is $res->{status}, 200, 'status 200' or diag $res->{body};
    my ($r) = records($t);
    is $r->{headers}{'x-amz-security-token'}, $t[2], 'the session token sent';
    like $r->{headers}{authorization}, qr{Credential=\Q$t[0]\E/.*SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,},
         'and signed';
    $t->finish;

    # a key that is not ACCESS_KEY_ID:SECRET (the secret unset): nginx
    # refuses to start, without echoing the key
    my $c = Waav::Run->configure('026b', env => {Waav::Run::mock_env(), AWS_SECRET_ACCESS_KEY => '',
                                                 AWS_ACCESS_KEY_ID => 'AKIAONLYTHEID'});
    my $out = $c->nginx('-t');
    isnt $c->status, 0, 'nginx -t fails';
    like $out, qr/the key of waav provider "aws-polly" is not of the form its type takes \(aws-polly: ACCESS_KEY_ID:SECRET_ACCESS_KEY\[:SESSION_TOKEN\]\)/,
         'says why';
    unlike $out, qr/AKIAONLYTHEID/, 'without the key';
};

# make run's environment: AWS's variables, named at start
subtest 'scripts/providers-conf.sh --env: AWS_*' => sub {
    my $dir = "$ENV{TEST_NGINX_SERVROOT_BASE}/polly-conf";
    my $out = do {
        local %ENV = (PATH => $ENV{PATH}, AWS_ACCESS_KEY_ID => 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY => 's',
                      AWS_REGION => 'eu-west-2');
        `scripts/providers-conf.sh "$dir" --env 2>&1`;
    };
    is $?, 0, 'runs' or diag $out;
    like $out, qr{aws-polly \(https://polly\.eu-west-2\.amazonaws\.com\)}, 'usable, in the region';
    my $up = Waav::Blocks::read_file("$dir/upstreams.conf");
    like $up, qr{^waav_provider aws-polly type=aws-polly key=env:AWS_ACCESS_KEY_ID:AWS_SECRET_ACCESS_KEY:AWS_SESSION_TOKEN url=https://polly\.eu-west-2\.amazonaws\.com region=eu-west-2;$}m,
         'the key from the three variables, signed for the URL and region';
    $out = do {
        local %ENV = (PATH => $ENV{PATH});
        `scripts/providers-conf.sh "$dir" --env 2>&1`;
    };
    like $out, qr/not configured:.*aws-polly \(AWS_ACCESS_KEY_ID:AWS_SECRET_ACCESS_KEY:AWS_SESSION_TOKEN\)/s,
         'without them: named as not configured';
};

done_testing;
