# make run's CORS (CORS_ALLOWED_ORIGINS), its health check outside the
# per-IP rate limit, and WaaV's /dag routes (501 in its default build),
# through make run's own configuration (scripts/run.sh, conf/waav.conf).
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;

sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; <$fh> }

my %env = Waav::Run::mock_env();
my %auth = (AUTH_REQUIRED => 'true', AUTH_API_SECRET => 'sekrit',
            AUTH_API_SECRET_ID => 'acme');
my $bearer = 'Authorization: Bearer sekrit';
my $dag_off = '{"error":"DAG routing is not enabled",'
            . '"message":"Build with --features dag-routing to enable DAG support"}';
my $speak = qq(POST /speak\n{"text":"Hi","tts_config":{"provider":"deepgram"}});

# --- the value: "*", origins separated by commas, or make run refuses -----
subtest 'CORS_ALLOWED_ORIGINS: written as waav_cors, a bad value refused' => sub {
    my %want = ('*' => '*', ' https://a.example , http://localhost:8080' =>
                'https://a.example,http://localhost:8080', '' => 'same-origin');
    for my $v (sort keys %want) {
        my $c = Waav::Run->configure('071c', env => {CORS_ALLOWED_ORIGINS => $v});
        is slurp($c->prefix . '/conf/run.d/cors.conf'), qq(waav_cors "$want{$v}";\n),
           "\"$v\"";
    }
    my $c = Waav::Run->configure('071c', env => {});
    is slurp($c->prefix . '/conf/run.d/cors.conf'), qq(waav_cors "same-origin";\n), 'unset';
    like $c->nginx('-t'), qr/test is successful/, 'nginx -t takes it';

    for my $bad ('app.example', 'https://a.example/path', 'https://a.example,*',
                 'https://user@a.example', 'https://a.example:123456') {
        ok !eval { Waav::Run->configure('071c', env => {CORS_ALLOWED_ORIGINS => $bad}); 1 },
           "\"$bad\" refused";
        like $@, qr/CORS_ALLOWED_ORIGINS must be "\*" or origins \(scheme:\/\/host\[:port\]\)/,
             'with a message';
    }
};

# --- a list, auth on, a tiny rate ------------------------------------------
my $w = Waav::Run->start('071', env => {%env, %auth,
    CORS_ALLOWED_ORIGINS => 'https://app.example, http://localhost:8080',
    RATE_LIMIT_REQUESTS_PER_SECOND => 1, RATE_LIMIT_BURST_SIZE => 1});

subtest 'preflights: 204 before auth and the rate limit, never counted' => sub {
    for my $path (('/speak') x 4, qw(/livekit/token /ws /dag/validate / /nope)) {
        my $r = $w->request("OPTIONS $path", join("\n",
            'Origin: http://localhost:8080', 'Access-Control-Request-Method: POST',
             'Access-Control-Request-Headers: authorization, content-type'));
        is $r->{status}, 204, "OPTIONS $path: 204";
        is $r->{headers}{'access-control-allow-origin'}, 'http://localhost:8080', 'origin echoed';
        is $r->{headers}{'access-control-allow-credentials'}, 'true', 'credentials';
        is $r->{headers}{'access-control-allow-methods'}, 'GET,POST,PUT,DELETE,OPTIONS', 'methods';
        is $r->{headers}{'access-control-allow-headers'},
           'authorization,content-type,x-provider-api-key', 'headers';
        is $r->{headers}{'x-frame-options'}, 'DENY', 'X-Frame-Options';
    }
    my $r = $w->request('OPTIONS /speak', join("\n", 'Origin: https://evil.example',
                                           'Access-Control-Request-Method: POST'));
    is $r->{status}, 204, 'an unlisted origin: 204';
    ok !exists $r->{headers}{'access-control-allow-origin'}, 'but no origin allowed';
};

subtest 'GET / is not rate limited while /speak is' => sub {
    my ($r, $n);
    for $n (1 .. 20) {
        $r = $w->request($speak, join("\n", 'Content-Type: application/json', $bearer,
                                  'Origin: https://app.example'));
        last if $r->{status} == 429;
    }
    is $r->{status}, 429, '/speak: 429 once the burst is spent';
    is $r->{headers}{'access-control-allow-origin'}, 'https://app.example',
       'the 429 carries CORS headers';
    like $r->{headers}{'access-control-expose-headers'} // '', qr/Retry-After/,
         'Retry-After exposed';
    is $r->{headers}{'x-frame-options'}, 'DENY', 'and X-Frame-Options';
    for (1 .. 5) {
        my $h = $w->request('GET /');
        is $h->{status}, 200, "GET / ($_): 200";
        is $h->{body}, '{"status":"OK"}', 'the health answer';
    }
};

$w->finish;

# --- "*", auth on, no rate limit: /dag ---------------------------------------
my $d = Waav::Run->start('071d', env => {%env, %auth, CORS_ALLOWED_ORIGINS => '*'});

subtest '/dag: WaaV\'s default build answers 501, behind auth' => sub {
    for my $req ('GET /dag/templates', 'GET /dag/templates/voice-agent',
                 "POST /dag/validate\n{\"dag\":{}}") {
        my ($line) = split /\n/, $req;
        my $r = $d->request($req, 'Content-Type: application/json');
        is $r->{status}, 401, "$line without a token: 401";
        is $r->{headers}{'access-control-allow-origin'}, '*', 'with CORS headers';
        $r = $d->request($req, "Content-Type: application/json\n$bearer");
        is $r->{status}, 501, "$line: 501";
        is $r->{body}, $dag_off, 'WaaV\'s body';
        is $r->{headers}{'content-type'}, 'application/json', 'as JSON';
        is $r->{headers}{'x-frame-options'}, 'DENY', 'X-Frame-Options';
        is $r->{headers}{'x-content-type-options'}, 'nosniff', 'nosniff';
        ok !exists $r->{headers}{'access-control-allow-credentials'}, '"*": no credentials';
    }
    my $r = $d->request('POST /dag/templates', $bearer);
    is $r->{status}, 405, 'POST /dag/templates: 405';
    $r = $d->request("POST /dag/validate\ndag", "Content-Type: text/plain\n$bearer");
    is $r->{status}, 415, '/dag/validate takes JSON (WaaV\'s extractor)';
    $r = $d->request('GET /dag/templates/a/b', $bearer);
    is $r->{status}, 404, 'one path segment only';
};

$d->finish;

done_testing;
