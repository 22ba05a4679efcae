# waav_auth: WaaV's API secrets and our JWTs (HS256, RS256, ES256, kid),
# with WaaV's 401 shapes; $waav_tenant and $waav_auth_method.  Tokens are
# made here (t/lib/Waav/Jwt.pm: Perl and openssl).
use Waav::Blocks 'no_plan';
use Waav::Jwt;

my $dir = keys_dir();
my $hs = 'hs256-secret-for-the-waav-tests-0001';
my $now = time;

$ENV{TEST_NGINX_KEYS} = $dir;
$ENV{TEST_NGINX_HS_SECRET} = $hs;

sub claims { json_of(sub => 'tenant-jwt', iss => 'https://issuer.test',
                     aud => 'waav', exp => $now + 600, @_) }

my %tok = (
    hs      => jwt(alg => 'HS256', key => $hs, claims => claims(), kid => 'h1'),
    hs_nokid=> jwt(alg => 'HS256', key => $hs, claims => claims()),
    rs      => jwt(alg => 'RS256', key => "$dir/rsa.pem", claims => claims(sub => 'tenant-rsa'), kid => 'r1'),
    es      => jwt(alg => 'ES256', key => "$dir/ec.pem", claims => claims(sub => 'tenant-ec'), kid => 'e1'),
    expired => jwt(alg => 'HS256', key => $hs, claims => claims(exp => $now - 3600), kid => 'h1'),
    future  => jwt(alg => 'HS256', key => $hs, claims => claims(nbf => $now + 3600), kid => 'h1'),
    iss     => jwt(alg => 'HS256', key => $hs, claims => claims(iss => 'https://evil.test'), kid => 'h1'),
    aud     => jwt(alg => 'HS256', key => $hs, claims => claims(aud => 'other'), kid => 'h1'),
    badsig  => jwt(alg => 'HS256', key => 'not-the-secret-not-the-secret-000', claims => claims(), kid => 'h1'),
    none    => b64url('{"alg":"none","typ":"JWT"}') . '.' . b64url(claims()) . '.',
    none_sig=> b64url('{"alg":"none"}') . '.' . b64url(claims()) . '.c2ln',
    # HS256 "signed" with the RSA public key as the secret (alg confusion)
    confuse => jwt(alg => 'HS256', key => do { local (@ARGV, $/) = "$dir/rsa.pub"; <> },
                   claims => claims(), kid => 'r1'),
    kid     => jwt(alg => 'HS256', key => $hs, claims => claims(), kid => 'nope'),
    rs2     => jwt(alg => 'RS256', key => "$dir/rsa2.pem", claims => claims(), kid => 'r1'),
    notobj  => jwt(alg => 'HS256', key => $hs, claims => '["sub","x"]', kid => 'h1'),
    subnum  => jwt(alg => 'HS256', key => $hs, claims => json_of(sub => \'42', exp => $now + 600,
                   iss => 'https://issuer.test', aud => 'waav'), kid => 'h1'),
    expstr  => jwt(alg => 'HS256', key => $hs, claims => claims(exp => 'tomorrow'), kid => 'h1'),
    big     => jwt(alg => 'HS256', key => $hs, claims => claims(pad => 'x' x 4400), kid => 'h1'),
);
$tok{lastbyte} = $tok{hs};
substr($tok{lastbyte}, -1, 1) = substr($tok{lastbyte}, -1) eq 'A' ? 'B' : 'A';
$tok{truncated} = substr $tok{hs}, 0, rindex($tok{hs}, '.');
$tok{nonb64} = $tok{hs} =~ s/^(.{5})./$1*/r;
length $tok{big} > 6000 && length $tok{big} < 6400 or die "the big token is not ~6 KiB";

# an identity provider's JWK Set: keys with kids, and one for encryption
write_file("$dir/jwks.json", '{"keys":[' . join(',',
    jwk("$dir/rsa2.pub", kid => 'idp-enc', use => 'enc'),
    jwk("$dir/rsa.pub", kid => 'idp-r', use => 'sig', alg => 'RS256'),
    jwk("$dir/ec.pub", kid => 'idp-e')) . ']}');
write_file("$dir/jwks-private.json",
    '{"keys":[' . jwk("$dir/ec.pub", d => 'AAAA') . ']}');
$tok{idp_rs} = jwt(alg => 'RS256', key => "$dir/rsa.pem", claims => claims(sub => 'idp-rsa'), kid => 'idp-r');
$tok{idp_es} = jwt(alg => 'ES256', key => "$dir/ec.pem", claims => claims(sub => 'idp-ec'), kid => 'idp-e');
$tok{idp_other} = jwt(alg => 'RS256', key => "$dir/rsa.pem", claims => claims(), kid => 'idp-x');
$tok{idp_enc} = jwt(alg => 'RS256', key => "$dir/rsa2.pem", claims => claims(), kid => 'idp-enc');

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
}

$ENV{"TEST_NGINX_TOK_\U$_"} = $tok{$_} for keys %tok;
$ENV{TEST_NGINX_HUGE} = 'a' x 10240;

our $Http = <<'_EOC_';
    waav_auth_secret tenant-a secret-aaaa-0000-aaaa;
    waav_auth_secret tenant-b secret-bbbb-1111-bbbb;
    waav_auth_jwt_key hs256 $TEST_NGINX_HS_SECRET kid=h1;
    waav_auth_jwt_key rs256 file:$TEST_NGINX_KEYS/rsa.pub kid=r1;
    waav_auth_jwt_key es256 file:$TEST_NGINX_KEYS/ec.pub kid=e1;
    waav_auth_jwt_issuer https://issuer.test;
    waav_auth_jwt_audience waav;
_EOC_

our $Config = <<'_EOC_';
    location = / { waav_health; }
    location = /private {
        waav_auth on;
        add_header X-Tenant $waav_tenant;
        add_header X-Auth-Method $waav_auth_method;
        waav_health;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http) unless defined $block->http_config;
    $block->set_value('config', $Config . ($block->config // ''));
});

no_root_location();
run_tests();

__DATA__

=== TEST 1: GET / stays public
--- request
GET /
--- error_code: 200



=== TEST 2: an API secret: tenant is the secret's id
--- request
GET /private
--- more_headers
Authorization: Bearer secret-bbbb-1111-bbbb
--- error_code: 200
--- response_headers
X-Tenant: tenant-b
X-Auth-Method: api_secret



=== TEST 3: ?token= when there is no Authorization header
--- request
GET /private?token=secret-aaaa-0000-aaaa
--- error_code: 200
--- response_headers
X-Tenant: tenant-a



=== TEST 4: HS256, RS256 and ES256 JWTs, picked by kid
--- request eval
["GET /private?token=$ENV{TEST_NGINX_TOK_HS}",
 "GET /private?token=$ENV{TEST_NGINX_TOK_RS}",
 "GET /private?token=$ENV{TEST_NGINX_TOK_ES}",
 "GET /private?token=$ENV{TEST_NGINX_TOK_HS_NOKID}"]
--- error_code eval
[200, 200, 200, 200]
--- response_headers eval
["X-Tenant: tenant-jwt\nX-Auth-Method: jwt", "X-Tenant: tenant-rsa", "X-Tenant: tenant-ec", "X-Tenant: tenant-jwt"]



=== TEST 5: a JWT in the Authorization header, twice (the second from the worker's cache)
--- request eval
["GET /private", "GET /private"]
--- more_headers
Authorization: Bearer $TEST_NGINX_TOK_RS
--- error_code eval
[200, 200]
--- response_headers eval
["X-Tenant: tenant-rsa", "X-Tenant: tenant-rsa"]
--- error_log
waav auth: token in Authorization
waav auth: not in the worker's cache, verifying
waav auth: token from the worker's cache
waav auth: jwt, tenant "tenant-rsa"



=== TEST 6: no token at all
--- request
GET /private
--- error_code: 401
--- response_headers
Content-Type: application/json
WWW-Authenticate: Bearer
--- response_body chomp
{"error":"missing_auth_header","message":"Missing Authorization header"}



=== TEST 7: malformed Authorization headers
--- request eval
["GET /private", "GET /private", "GET /private", "GET /private", "GET /private?token=secret-aaaa-0000-aaaa"]
--- more_headers eval
["Authorization:", "Authorization: Bearer", "Authorization: Basic dXNlcjpwYXNz",
 "Authorization: bearer secret-aaaa-0000-aaaa", "Authorization: Token secret-aaaa-0000-aaaa"]
--- error_code eval
[401, 401, 401, 401, 401]
--- response_body eval
[('{"error":"invalid_auth_header","message":"Invalid Authorization header format"}') x 5]



=== TEST 8: wrong API secrets, including one differing in the last byte
--- http_config
    waav_auth_secret tenant-a secret-aaaa-0000-aaaa;
--- request eval
["GET /private?token=secret-aaaa-0000-aaab", "GET /private?token=wrong", "GET /private?token=secret-aaaa-0000-aaaaa"]
--- error_code eval
[401, 401, 401]
--- response_body eval
[('{"error":"unauthorized","message":"Unauthorized: Invalid API secret"}') x 3]



=== TEST 9: rejected JWTs, each 401 with a reason
--- request eval
[map { "GET /private?token=$ENV{qq{TEST_NGINX_TOK_\U$_}}" }
 qw(expired future iss aud badsig lastbyte none none_sig confuse kid rs2 truncated nonb64 notobj subnum expstr)]
--- error_code eval
[(401) x 16]
--- response_body eval
[map { qq{{"error":"unauthorized","message":"Unauthorized: $_"}} }
 'token expired', 'token not yet valid', 'wrong issuer', 'wrong audience',
 'bad signature', 'bad signature', 'malformed token', 'unsupported algorithm',
 'unknown kid', 'unknown kid', 'bad signature', 'malformed token', 'malformed token',
 'token claims are not a JSON object', 'the tenant claim is missing or not a string',
 'exp is not a number']



=== TEST 10: a 6 KiB token is refused
--- request
GET /private
--- more_headers
Authorization: Bearer $TEST_NGINX_TOK_BIG
--- error_code: 401
--- response_body chomp
{"error":"unauthorized","message":"Unauthorized: token too large"}



=== TEST 11: two Authorization headers: nginx refuses the request itself (400, JSON)
--- config
    waav_json_errors on;
--- request
GET /private
--- more_headers
Authorization: Bearer secret-aaaa-0000-aaaa
Authorization: Bearer secret-bbbb-1111-bbbb
--- error_code: 400
--- response_body chomp
{"error":"Bad request","code":"BAD_REQUEST"}



=== TEST 12: a CR inside the header is malformed HTTP: nginx answers 400 before auth
--- config
    waav_json_errors on;
--- raw_request eval
"GET /private HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer secret-aaaa\r0000-aaaa\r\nConnection: close\r\n\r\n"
--- error_code: 400



=== TEST 13: auth on with nothing configured is refused at start-up (fail closed)
--- http_config
    waav_auth_secret tenant-a env:WAAV_TEST_UNSET_SECRET;
--- must_die
--- error_log
"waav_auth on" needs an auth method



=== TEST 14: secrets from AUTH_API_SECRETS_JSON-style JSON
--- http_config
    waav_auth_secrets_json '[{"id":"t1","secret":"one-one-one-one"},{"id":"t2","secret":"two-two-two-two"}]';
--- request eval
["GET /private?token=two-two-two-two", "GET /private?token=three"]
--- error_code eval
[200, 401]
--- response_headers eval
["X-Tenant: t2", ""]



=== TEST 15: a custom tenant claim
--- http_config
    waav_auth_jwt_key hs256 $TEST_NGINX_HS_SECRET;
    waav_auth_jwt_tenant_claim iss;
--- request eval
"GET /private?token=$ENV{TEST_NGINX_TOK_HS_NOKID}"
--- error_code: 200
--- response_headers
X-Tenant: https://issuer.test



=== TEST 16: a protected /speak refuses before anything reaches a provider
--- config
    location = /speak { waav_auth on; waav_tts; }
    location /__mock/ { proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT; }
--- http_config
    waav_auth_secret tenant-a secret-aaaa-0000-aaaa;
    waav_provider deepgram key=test-deepgram-key;
--- request eval
['POST /speak
{"text":"Hi","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count']
--- more_headers
Content-Type: application/json
Authorization: Bearer nope
--- error_code eval
[401, 200]
--- response_body eval
['{"error":"unauthorized","message":"Unauthorized: Invalid API secret"}', '0']



=== TEST 17: an RSA key given as es256 (or an EC key as rs256) is refused at start
--- http_config
    waav_auth_jwt_key es256 file:$TEST_NGINX_KEYS/rsa.pub;
--- must_die
--- error_log
needs a P-256 EC public key in PEM



=== TEST 18: an EC key given as rs256 is refused at start
--- http_config
    waav_auth_jwt_key rs256 file:$TEST_NGINX_KEYS/ec.pub;
--- must_die
--- error_log
needs an RSA public key in PEM



=== TEST 19: keys without a kid take tokens that carry one (identity providers always send one)
--- http_config
    waav_auth_jwt_key hs256 $TEST_NGINX_HS_SECRET;
    waav_auth_jwt_key rs256 file:$TEST_NGINX_KEYS/rsa.pub;
    waav_auth_jwt_key es256 file:$TEST_NGINX_KEYS/ec.pub;
--- request eval
["GET /private?token=$ENV{TEST_NGINX_TOK_HS}",
 "GET /private?token=$ENV{TEST_NGINX_TOK_RS}",
 "GET /private?token=$ENV{TEST_NGINX_TOK_ES}",
 "GET /private?token=$ENV{TEST_NGINX_TOK_RS2}"]
--- error_code eval
[200, 200, 200, 401]
--- response_headers eval
["X-Tenant: tenant-jwt", "X-Tenant: tenant-rsa", "X-Tenant: tenant-ec", "WWW-Authenticate: Bearer"]
--- response_body_like eval
["OK", "OK", "OK", "bad signature"]



=== TEST 20: keys from a JWK Set, selected by kid; a key for encryption is not used
--- http_config
    waav_auth_jwt_jwks file:$TEST_NGINX_KEYS/jwks.json;
--- request eval
["GET /private?token=$ENV{TEST_NGINX_TOK_IDP_RS}",
 "GET /private?token=$ENV{TEST_NGINX_TOK_IDP_ES}",
 "GET /private?token=$ENV{TEST_NGINX_TOK_IDP_OTHER}",
 "GET /private?token=$ENV{TEST_NGINX_TOK_IDP_ENC}"]
--- error_code eval
[200, 200, 401, 401]
--- response_headers eval
["X-Tenant: idp-rsa\nX-Auth-Method: jwt", "X-Tenant: idp-ec", "", ""]
--- response_body_like eval
["OK", "OK", "unknown kid", "unknown kid"]



=== TEST 21: a JWK Set with a private key is refused at start
--- http_config
    waav_auth_jwt_jwks file:$TEST_NGINX_KEYS/jwks-private.json;
--- must_die
--- error_log
JWKS key 0: a private key ("d"): publish only the public key



=== TEST 22: a JWK Set that is not one is refused at start
--- http_config
    waav_auth_jwt_jwks '{"keys":"none"}';
--- must_die
--- error_log
not a JWK Set



=== TEST 23: a 10 KB bearer token: nginx refuses the header line, the answer is auth's 401
--- config
    waav_auth on;
--- request
GET /private
--- more_headers
Authorization: Bearer $TEST_NGINX_HUGE
--- error_code: 401
--- response_headers
Content-Type: application/json
WWW-Authenticate: Bearer
--- response_body chomp
{"error":"unauthorized","message":"Unauthorized: token too large"}
--- error_log
client sent too long header line
waav auth: refused: nginx's 400 for an oversized token



=== TEST 24: a 10 KB ?token=: nginx refuses the request line (414), the answer is auth's 401
--- config
    waav_auth on;
--- request
GET /private?a=1&token=$TEST_NGINX_HUGE
--- error_code: 401
--- response_headers
Content-Type: application/json
WWW-Authenticate: Bearer
--- response_body chomp
{"error":"unauthorized","message":"Unauthorized: token too large"}
--- error_log
client sent too long URI



=== TEST 25: other oversized lines stay nginx's own answers (a cookie; a long URI without token)
--- config
    waav_auth on;
    waav_json_errors on;
--- request eval
["GET /private", "GET /private?x=$ENV{TEST_NGINX_HUGE}"]
--- more_headers eval
["Cookie: c=$ENV{TEST_NGINX_HUGE}", ""]
--- error_code eval
[400, 414]
--- response_headers eval
["!WWW-Authenticate", "!WWW-Authenticate"]



=== TEST 26: waav_auth only in a location: nginx refuses before one is chosen, the server answers auth's 401 all the same
--- config
    waav_json_errors on;
--- request
GET /private
--- more_headers
Authorization: Bearer $TEST_NGINX_HUGE
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer
--- response_body chomp
{"error":"unauthorized","message":"Unauthorized: token too large"}



=== TEST 26b: a server with no waav_auth anywhere keeps nginx's answer (JSON 400)
--- http_config eval
$::Http . '
    server {
        listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
        server_name open.test;
        waav_json_errors on;
        location / { waav_health; }
    }'
--- request
GET /
--- more_headers eval
"Host: open.test\nAuthorization: Bearer $ENV{TEST_NGINX_HUGE}"
--- error_code: 400
--- response_headers
!WWW-Authenticate
--- response_body chomp
{"error":"Bad request","code":"BAD_REQUEST"}



=== TEST 27: each step of the access phase is in the debug log
--- request eval
["GET /private?token=secret-aaaa-0000-aaaa", "GET /private?token=nope"]
--- error_code eval
[200, 401]
--- error_log
waav auth: token in ?token=, 21 bytes
waav auth: api_secret, tenant "tenant-a"
waav auth: no API secret matched, trying a JWT
waav auth: refused: unauthorized "Unauthorized: malformed token"

