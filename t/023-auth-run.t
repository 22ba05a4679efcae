# make run's authentication settings (scripts/run.sh): AUTH_REQUIRED read
# as WaaV's parse_bool (true/1/yes, false/0/no, any case), anything else
# refused; on with no method refused, as WaaV refuses to start; the
# external auth service's variables both or neither.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use lib 't/lib';
use Waav::Run;

my $dir = tempdir(CLEANUP => 1);
system("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
       . "-out $dir/sign.pem 2>/dev/null") == 0 or die "openssl genpkey";

sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; <$fh> }

# run.sh --write with env: (refused, its output, server.conf, http.conf)
sub write_conf {
    my (%env) = @_;
    my $c = eval { Waav::Run->configure('023', env => \%env) };
    return (1, $@, '', '') unless $c;
    return (0, '', slurp($c->prefix . '/conf/run.d/server.conf'),
            slurp($c->prefix . '/conf/run.d/http.conf'));
}

my %secret = (AUTH_API_SECRET => 'secret-0000-aaaa');

for my $v (qw(true TRUE True 1 yes Yes YES)) {
    my ($refused, $out, $server) = write_conf(AUTH_REQUIRED => $v, %secret);
    ok !$refused, "AUTH_REQUIRED=$v is accepted" or diag $out;
    like $server, qr/^waav_auth on;$/m, "AUTH_REQUIRED=$v: auth on";
}

for my $v (qw(false FALSE False 0 no No NO), '') {
    my ($refused, $out, $server) = write_conf(AUTH_REQUIRED => $v);
    ok !$refused, "AUTH_REQUIRED='$v' is accepted" or diag $out;
    like $server, qr/^waav_auth off;$/m, "AUTH_REQUIRED='$v': auth off";
}

for my $v ('on', 'garbage', 'ture', 'yes ', ' true', 'enabled', '2') {
    my ($refused, $out) = write_conf(AUTH_REQUIRED => $v, %secret);
    ok $refused, "AUTH_REQUIRED='$v' is refused (fail closed)";
    like $out, qr/AUTH_REQUIRED must be true, 1, yes, false, 0 or no/,
         "AUTH_REQUIRED='$v': the message says what it takes";
}

# on with no method at all: refused, whatever the spelling
for my $v (qw(true Yes 1)) {
    my ($refused, $out) = write_conf(AUTH_REQUIRED => $v);
    ok $refused, "AUTH_REQUIRED=$v without a method is refused";
    like $out, qr/no auth method is configured/, 'the message names it';
}

# each method alone is enough
for my $m ([AUTH_API_SECRETS_JSON => '[{"id":"a","secret":"s-0000-0000"}]'],
           [AUTH_API_SECRET => 'secret-0000-aaaa'],
           [AUTH_JWT_SECRET => 'x' x 32],
           [AUTH_SERVICE_URL => 'http://127.0.0.1:9/auth',
            AUTH_SIGNING_KEY_PATH => "$dir/sign.pem"]) {
    my ($refused, $out) = write_conf(AUTH_REQUIRED => 'true', @$m);
    ok !$refused, "AUTH_REQUIRED=true with $m->[0] starts" or diag $out;
}

# WaaV's rule for the service: both variables or neither, the key there
{
    my ($refused, $out) = write_conf(AUTH_SERVICE_URL => 'http://127.0.0.1:9/a');
    ok $refused, 'AUTH_SERVICE_URL without AUTH_SIGNING_KEY_PATH is refused';
    like $out, qr/AUTH_SIGNING_KEY_PATH is required/, 'and said';
    ($refused, $out) = write_conf(AUTH_SIGNING_KEY_PATH => "$dir/sign.pem");
    ok $refused, 'AUTH_SIGNING_KEY_PATH without AUTH_SERVICE_URL is refused';
    like $out, qr/AUTH_SERVICE_URL is required/, 'and said';
    ($refused, $out) = write_conf(AUTH_SERVICE_URL => 'http://127.0.0.1:9/a',
                                  AUTH_SIGNING_KEY_PATH => "$dir/none.pem");
    ok $refused, 'a signing key that is not there is refused';
    like $out, qr/AUTH_SIGNING_KEY_PATH file does not exist/, 'and said';
}

# the module refuses the same: waav_auth on with a secret whose variable
# is unset (none configured) fails nginx -t
{
    my $c = Waav::Run->configure('023m', env => { AUTH_REQUIRED => 'true',
                                                  %secret });
    $c->add_conf('run.d/http.conf', '');
    my $out = $c->nginx('-t');
    is $c->status, 0, 'make run\'s configuration passes nginx -t' or diag $out;
}

subtest '?token= (the SDKs\' /ws?token=) is in no log' => sub {
    my $w = Waav::Run->configure('023l', env => {AUTH_REQUIRED => 'true', %secret,
                                                ACCESS_LOG => 'unbuffered'})
        ->add_conf('run.d/main.conf', 'error_log logs/error.log info;')->launch;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $w->port, Timeout => 10) or die;
    print $s "GET /ws?a=1&token=secret-0000-aaaa HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           . "Sec-WebSocket-Version: 13\r\n\r\n";
    my $head = '';
    while ($head !~ /\r\n\r\n/) { sysread($s, $head, 1024, length $head) or last }
    like $head, qr{^HTTP/1.1 101}, 'the token in the query: upgraded';
    close $s;
    my $r = $w->request('GET /voices?token=wrong-secret-zzzz&provider=deepgram');
    is $r->{status}, 401, 'a wrong one: 401';
    my $logs = '';
    for (1 .. 100) {        # the session's line is written when it ends
        $logs = slurp($w->prefix . '/logs/stdout.log');
        last if $logs =~ m{GET /ws};
        select undef, undef, undef, 0.1;
    }
    like $logs, qr{"GET /ws\?a=1&token=\*{16} HTTP/1.1" 101}, 'access log: the value starred';
    like $logs, qr{"GET /voices\?token=\*{17}&provider=deepgram HTTP/1.1" 401}, 'a refused one too';
    my $all = $logs . slurp($w->prefix . '/logs/error.log');
    unlike $all, qr/secret-0000-aaaa|wrong-secret-zzzz/, 'neither token in the access or error log';
    $w->finish;
};

done_testing;
