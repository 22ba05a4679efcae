# WaaV's external auth service (AUTH_SERVICE_URL, AUTH_SIGNING_KEY_PATH,
# AUTH_TIMEOUT_SECONDS) under make run's configuration: the signed JWT the
# service gets (t/mock/auth-service.pl verifies it with the public key),
# allowed (the service's id as the tenant), denied (WaaV's 401 bodies),
# down, slow or failing (503, never open), the answers kept per token for
# AUTH_CACHE_SECONDS, and /ws's upgrade with the token in the query.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP ();
use Time::HiRes qw(time sleep);
use IO::Socket::INET;
use lib 't/lib';
use Waav::Blocks ();
use Waav::Run;
use Waav::WS;

my $dir = tempdir(CLEANUP => 1);
system("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $dir/sign.pem 2>/dev/null"
       . " && openssl pkey -in $dir/sign.pem -pubout -out $dir/sign.pub 2>/dev/null") == 0
    or die "openssl";
my $json = JSON::PP->new->canonical;

# the auth service mock
my $aport = Waav::Blocks::free_port();
my $apid = fork // die;
if ($apid == 0) {
    $ENV{AUTH_MOCK_PUBKEY} = "$dir/sign.pub";
    open STDOUT, '>', '/dev/null';
    exec $^X, 't/mock/auth-service.pl', 'daemon', '-l', "http://127.0.0.1:$aport" or exit 127;
}
END { if ($apid) { kill 'TERM', $apid; waitpid $apid, 0 } }
Waav::Blocks::wait_port($aport, 20) or die "the auth service mock did not start";

sub mock_get {
    my ($method, $path) = @_;
    my $res = Waav::Blocks::http_request('127.0.0.1', $aport,
        "$method $path HTTP/1.1\r\nHost: m\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 10);
    return Waav::Blocks::parse_response($res->{raw})->{body};
}
sub calls { $json->decode(mock_get('GET', '/__calls')) }
sub reset_calls { mock_get('POST', '/__reset') }

my %base = (
    AUTH_REQUIRED => 'true',
    AUTH_SIGNING_KEY_PATH => "$dir/sign.pem",
    AUTH_TIMEOUT_SECONDS => 2,
    LIVEKIT_API_KEY => 'APIwaavtest',
    LIVEKIT_API_SECRET => 'lk-secret-lk-secret-lk-secret-123',
    ACCESS_LOG => 'unbuffered',
);

my $w = Waav::Run->start('024', env => {
    %base, AUTH_SERVICE_URL => "http://127.0.0.1:$aport/validate",
    AUTH_CACHE_SECONDS => 3 });

my $body = '{"room_name":"lobby","participant_name":"Ada","participant_identity":"ada-1"}';
sub token_req {
    my ($srv, $tok, @h) = @_;
    return $srv->request("POST /livekit/token?x=1\n$body", join("\n",
        "Content-Type: application/json", "User-Agent: waav-test",
        "Cookie: s=1", "X-Forwarded-For: 9.9.9.9",
        (defined $tok ? "Authorization: Bearer $tok" : ()), @h));
}

subtest 'allowed: the signed question WaaV sends, the id as the tenant' => sub {
    reset_calls();
    my $r = token_req($w, 'allow-acme');
    is $r->{status}, 200, 'status 200' or diag explain $r;
    like $r->{body}, qr/"room_name":"acme_lobby"/, "the room is scoped to the service's id";
    my $c = calls();
    is scalar @$c, 1, 'one call to the service';
    ok !$c->[0]{error}, 'the JWT verifies with the public key, the claims are WaaV\'s'
        or diag $c->[0]{error};
    is $c->[0]{content_type}, 'application/jwt', 'Content-Type: application/jwt';
    my $d = $c->[0]{claims}{auth_data};
    is $d->{token}, 'allow-acme', 'auth_data.token';
    is $d->{request_path}, '/livekit/token', 'auth_data.request_path (no query)';
    is $d->{request_method}, 'POST', 'auth_data.request_method';
    is $d->{request_headers}{'user-agent'}, 'waav-test', 'a client header goes';
    ok !exists $d->{request_headers}{$_}, "$_ does not go"
        for qw(authorization cookie host x-forwarded-for);
    like $w->error_log . Waav::Blocks::read_file($w->prefix . '/logs/stdout.log'),
         qr/tenant="acme"/, '$waav_tenant is the id (access log)';
    unlike Waav::Blocks::read_file($w->prefix . '/logs/stdout.log')
           . $w->error_log, qr/allow-acme/, 'the token is in no log';
};

subtest 'kept per token for AUTH_CACHE_SECONDS, then asked again' => sub {
    reset_calls();
    my $t0 = time;
    my @st = map { token_req($w, 'allow-cached')->{status} } 1 .. 5;
    my $t1 = time;
    is_deeply \@st, [(200) x 5], 'five requests allowed';
    # only meaningful when the five took less than the 3 s the answer is kept
    if ($t1 - $t0 < 2) {
        is scalar @{calls()}, 1, 'one call to the service for five requests';
    }
    is token_req($w, 'allow-other')->{status}, 200, 'another token';
    my $n = scalar @{calls()};
    ok $n >= 2, 'another token is asked about';
    sleep 4.2;   # past the 3 s the answer is kept (a lower bound: no race)
    is token_req($w, 'allow-cached')->{status}, 200, 'allowed again after the TTL';
    is scalar @{calls()}, $n + 1, 'the service was asked again';
};

subtest 'denied: WaaV\'s 401 bodies, refusals not kept' => sub {
    reset_calls();
    my $r = token_req($w, 'deny-1');
    is $r->{status}, 401, 'status 401';
    is $r->{body}, '{"error":"unauthorized","message":"Unauthorized: token revoked"}', 'WaaV\'s body';
    is token_req($w, 'deny-1')->{status}, 401, 'again 401';
    is scalar @{calls()}, 2, 'a refusal is asked about each time';
    $r = token_req($w, 'forbid');
    is $r->{status}, 401, 'a 403 from the service is 401';
    is $r->{body}, '{"error":"auth_service_error","message":"Auth service error (403): not for you"}',
       'auth_service_error';
    $r = token_req($w, undef);
    is $r->{status}, 401, 'no token: 401 before any call';
    like $r->{body}, qr/missing_auth_header/, 'missing_auth_header';
};

subtest 'a failing service is 503, never open' => sub {
    my $r = token_req($w, 'boom');
    is $r->{status}, 503, 'a 5xx: 503';
    is $r->{body}, '{"error":"auth_service_error","message":"Auth service error (500): exploded"}',
       'the body says so';
    $r = token_req($w, 'badid');
    is $r->{status}, 503, 'an id that cannot be a tenant: 503';
    my $t0 = time;
    $r = token_req($w, 'slow');
    is $r->{status}, 503, 'no answer within AUTH_TIMEOUT_SECONDS: 503';
    like $r->{body}, qr/"error":"auth_service_unavailable"/, 'auth_service_unavailable';
    ok time - $t0 < 4.9, 'answered before the service would have';
    $r = token_req($w, 'empty');
    is $r->{status}, 200, 'an empty 200 allows, with no tenant (WaaV\'s Auth::empty)';
    like $r->{body}, qr/"room_name":"lobby"/, 'the room is not scoped';
};

subtest '/ws: the upgrade asks the service for ?token=' => sub {
    reset_calls();
    my $port = $w->port;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10) or die;
    print $s "GET /ws?token=allow-wsco HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           . "Sec-WebSocket-Version: 13\r\n\r\n";
    my $head = '';
    while ($head !~ /\r\n\r\n/) { sysread($s, $head, 1024, length $head) or last }
    like $head, qr{^HTTP/1.1 101}, 'status 101';
    close $s;
    my $c = calls();
    is scalar @$c, 1, 'one call';
    is $c->[0]{claims}{auth_data}{request_path}, '/ws', 'for /ws';
    is $c->[0]{claims}{auth_data}{request_method}, 'GET', 'GET';

    $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10) or die;
    print $s "GET /ws?token=deny-ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           . "Sec-WebSocket-Version: 13\r\n\r\n";
    $head = '';
    while ($head !~ /\r\n\r\n/) { sysread($s, $head, 1024, length $head) or last }
    like $head, qr{^HTTP/1.1 401}, 'a denied token: 401, no upgrade';
    close $s;
};

subtest '/ws: an auth message asks the service; the session waits for it' => sub {
    reset_calls();
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws');
    ok $ws->upgraded, 'upgraded without a token';
    is $ws->next_json(10)->{type}, 'auth_required', 'auth_required';
    $ws->send_json({type => 'auth', token => 'allow-wsmsg'});
    $ws->send_json({type => 'ping'});
    is_deeply $ws->next_json(10), {type => 'authenticated', id => 'wsmsg'}, "the service's id";
    is $ws->next_json(10)->{type}, 'pong', 'the ping behind it, answered after it';
    my $c = calls();
    is scalar @$c, 1, 'one call';
    is $c->[0]{claims}{auth_data}{token}, 'allow-wsmsg', 'the message\'s token';
    is $c->[0]{claims}{auth_data}{request_path}, '/ws', 'for /ws';
    $ws->send_json({type => 'auth', token => 'allow-other'});
    is_deeply $ws->next_json(10), {type => 'error', message => 'Already authenticated'},
        'a second auth message does not move the session to another tenant';
    $ws->send_json({type => 'ping'});
    is $ws->next_json(10)->{type}, 'pong', 'the session goes on';
    is scalar @{calls()}, 1, 'the service was not asked again';
    $ws->send_close(1000);

    my $d = Waav::WS->connect(port => $w->port, path => '/ws');
    is $d->next_json(10)->{type}, 'auth_required', 'auth_required';
    $d->send_json({type => 'auth', token => 'deny-wsmsg'});
    is_deeply $d->next_json(10), {type => 'error', message => 'Invalid authentication token'},
        "a refused token: WaaV's words";
    my $cl = $d->next_message(10);
    is $cl->{type}, 'close', 'then a close';
    is $cl->{code}, 1008, 'code 1008';
};

$w->finish;

subtest 'the service down: 503' => sub {
    my $port = Waav::Blocks::free_port();
    my $d = Waav::Run->start('024d', env => {
        %base, AUTH_SERVICE_URL => "http://127.0.0.1:$port/validate" });
    my $r = token_req($d, 'allow-acme');
    is $r->{status}, 503, 'status 503';
    is $r->{body}, '{"error":"auth_service_unavailable","message":"Auth service unavailable: no answer"}',
       'auth_service_unavailable';
    $d->finish;
};

subtest 'API secrets win, as in WaaV: the service is not asked' => sub {
    reset_calls();
    my $s = Waav::Run->start('024s', env => {
        %base, AUTH_SERVICE_URL => "http://127.0.0.1:$aport/validate",
        AUTH_API_SECRET => 'secret-0000-aaaa' });
    is token_req($s, 'allow-acme')->{status}, 401, 'a service token is refused';
    is token_req($s, 'secret-0000-aaaa')->{status}, 200, 'the secret works';
    is scalar @{calls()}, 0, 'the service was never asked';
    $s->finish;
};

done_testing;
