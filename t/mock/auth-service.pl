#!/usr/bin/env perl
# A mock of WaaV's external auth service (AUTH_SERVICE_URL), for
# t/024-auth-service.t: it takes what WaaV sends (POST, Content-Type:
# application/jwt, an RS256 JWT signed with AUTH_SIGNING_KEY_PATH's key,
# claims {sub: "waav-auth", iat, exp: iat + 300, auth_data: {token,
# request_body, request_headers, request_path, request_method}}), verifies
# the signature with the public key (openssl), and answers by the token:
#   allow-<id>  200 {"id": "<id>"}       empty    200, no body
#   deny...     401 "token revoked"       forbid   403 "not for you"
#   boom        500 "exploded"            slow     200 after 5 s
#   badid       200 {"id": "a\nb"}        anything else: 401 "unknown token"
# A request that is not WaaV's gets 400 and is recorded with its error.
#
#   AUTH_MOCK_PUBKEY=pub.pem perl t/mock/auth-service.pl daemon -l http://127.0.0.1:PORT
#   GET  /__calls   every request so far: [{token, claims, error}, ...]
#   POST /__reset   forgets them
use Mojolicious::Lite -signatures;
use Mojo::JSON qw(decode_json encode_json);
use MIME::Base64 qw(decode_base64);
use File::Temp qw(tempdir);

my $Pub = $ENV{AUTH_MOCK_PUBKEY} or die "AUTH_MOCK_PUBKEY is not set\n";
my $Tmp = tempdir(CLEANUP => 1);
my @Calls;

app->log->level('fatal');

sub b64url_decode {
    my ($s) = @_;
    $s =~ tr/-_/+\//;
    $s .= '=' x ((4 - length($s) % 4) % 4);
    return decode_base64($s);
}

# the claims, or dies with what is wrong
sub verify {
    my ($jwt) = @_;
    my ($h, $p, $s) = split /\./, $jwt, -1;
    die "not three parts\n" unless defined $s && length $s;
    my $header = decode_json(b64url_decode($h));
    die "alg is $header->{alg}, not RS256\n" unless ($header->{alg} // '') eq 'RS256';
    die "typ is not JWT\n" unless ($header->{typ} // '') eq 'JWT';
    open my $in, '>', "$Tmp/in" or die; print $in "$h.$p"; close $in;
    open my $sig, '>', "$Tmp/sig" or die; print $sig b64url_decode($s); close $sig;
    my $out = `openssl dgst -sha256 -verify $Pub -signature $Tmp/sig $Tmp/in 2>&1`;
    die "bad signature: $out" unless $out =~ /Verified OK/;
    my $c = decode_json(b64url_decode($p));
    die "sub is not waav-auth\n" unless ($c->{sub} // '') eq 'waav-auth';
    die "exp is not iat + 300\n" unless ($c->{exp} // 0) - ($c->{iat} // 0) == 300;
    die "iat is not now\n" unless abs(($c->{iat} // 0) - time) < 60;
    my $d = $c->{auth_data} or die "no auth_data\n";
    for (qw(token request_path request_method)) {
        die "auth_data.$_ is not a string\n" unless defined $d->{$_} && !ref $d->{$_};
    }
    die "auth_data.request_body is not an object\n" unless ref $d->{request_body} eq 'HASH';
    die "auth_data.request_headers is not an object\n" unless ref $d->{request_headers} eq 'HASH';
    return $c;
}

post '/validate' => sub ($c) {
    my $call = { content_type => $c->req->headers->content_type // '' };
    push @Calls, $call;
    my $claims = eval {
        die "Content-Type is not application/jwt\n"
            unless $call->{content_type} eq 'application/jwt';
        verify($c->req->body);
    };
    if (!$claims) {
        $call->{error} = $@;
        return $c->render(status => 400, text => "bad request: $@");
    }
    $call->{claims} = $claims;
    my $t = $call->{token} = $claims->{auth_data}{token};

    return $c->render(json => { id => $1, plan => 'pro' }) if $t =~ /^allow-(.+)$/;
    return $c->render(data => '') if $t eq 'empty';
    return $c->render(json => { id => "a\nb" }) if $t eq 'badid';
    return $c->render(status => 401, text => 'token revoked') if $t =~ /^deny/;
    return $c->render(status => 403, text => 'not for you') if $t eq 'forbid';
    return $c->render(status => 500, text => 'exploded') if $t eq 'boom';
    if ($t eq 'slow') {
        $c->inactivity_timeout(30);
        Mojo::IOLoop->timer(5 => sub { $c->render(json => { id => "late" }) if $c->tx });
        return $c->render_later;
    }
    return $c->render(status => 401, text => 'unknown token');
};

get '/__calls' => sub ($c) { $c->render(json => \@Calls) };
post '/__reset' => sub ($c) { @Calls = (); $c->render(text => 'ok') };

app->start;
