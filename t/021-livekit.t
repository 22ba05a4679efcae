# POST /livekit/token: a LiveKit access token signed with the API secret,
# the room scoped to the caller's tenant as WaaV does.  Requests are
# application/json unless a block says otherwise.
use Waav::Blocks 'no_plan';
use Waav::Jwt;
use JSON::PP ();
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(decode_base64);

my $Json = JSON::PP->new->canonical;
my ($T, $F) = (JSON::PP::true, JSON::PP::false);
my $Grants = {room => 'R', destinationRoom => '', canPublishSources => [],
              roomJoin => $T, roomRecord => $T, roomList => $T, roomCreate => $T,
              canPublish => $T, canSubscribe => $T, canPublishData => $T,
              canUpdateOwnMetadata => $T, roomAdmin => $F, ingressAdmin => $F,
              hidden => $F, recorder => $F};

# checks a token from the answer: signature with the secret, then claims
sub main::livekit_ok {
    my ($body, $room, $identity, $name) = @_;
    my $res = eval { JSON::PP::decode_json($body) } or return "not JSON: $body";
    my ($h, $p, $s) = split /\./, $res->{token} // '';
    my $dec = sub { my $x = shift; $x =~ tr{-_}{+/}; decode_base64($x . '=' x ((4 - length($x) % 4) % 4)) };
    return 'bad signature'
        unless $dec->($s) eq hmac_sha256("$h.$p", 'lk-secret-lk-secret-lk-secret-123');
    my $hdr = JSON::PP::decode_json($dec->($h));
    my $c = JSON::PP::decode_json($dec->($p));
    my $now = time;
    my @bad = grep { $_ } (
        $hdr->{alg} ne 'HS256' && 'alg',
        $c->{iss} ne 'APIwaavtest' && 'iss',
        $c->{sub} ne $identity && 'sub',
        $c->{name} ne $name && 'name',
        abs($c->{nbf} - $now) > 5 && 'nbf',
        $c->{exp} - $c->{nbf} != 600 && 'exp',
        $c->{video}{room} ne $room && 'video.room',
        # WaaV's token_permissions for a user, as livekit-api 0.4.9 writes them
        $Json->encode({%{$c->{video}}, room => 'R'}) ne $Json->encode($Grants) && 'video grants',
        $Json->encode($c->{sip} // {}) ne '{"admin":false,"call":false}' && 'sip grants',
        $res->{room_name} ne $room && 'room_name',
        $res->{participant_identity} ne $identity && 'participant_identity',
        $res->{livekit_url} ne 'wss://livekit.test' && 'livekit_url',
    );
    return @bad ? "wrong: @bad" : 'ok';
}

our $Http = <<'_EOC_';
    waav_auth_secret acme secret-acme-0000-acme;
    waav_livekit api_key=APIwaavtest api_secret=lk-secret-lk-secret-lk-secret-123
                 url=wss://livekit.test ttl=10m;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http) unless defined $block->http_config;
    # JSON bodies, as /speak takes them; a block naming its own type keeps it
    my $h = $block->more_headers // '';
    $block->set_value('more_headers', "Content-Type: application/json\n$h")
        unless ref $h || $h =~ /Content-Type:/i;
    $block->set_value('config', <<'_EOC_') unless defined $block->config;
    location = /livekit/token { waav_auth on; waav_livekit_token; }
    location = /open/livekit/token { waav_livekit_token; }
_EOC_
});

no_root_location();
run_tests();

__DATA__

=== TEST 1: a token for the tenant's room
--- request
POST /livekit/token
{"room_name":"lobby","participant_name":"Ada","participant_identity":"ada-1"}
--- more_headers
Authorization: Bearer secret-acme-0000-acme
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like: ^\{"token":"[\w-]+\.[\w-]+\.[\w-]+","room_name":"acme_lobby","participant_identity":"ada-1","livekit_url":"wss://livekit.test"\}$



=== TEST 2: the signature and claims check out; an already-scoped room stays as is
--- request
POST /livekit/token
{"room_name":"acme_lobby","participant_name":"Bob \"B\"","participant_identity":"bob"}
--- more_headers
Authorization: Bearer secret-acme-0000-acme
--- error_code: 200
--- response_body_filters eval
sub { ::livekit_ok($_[0], 'acme_lobby', 'bob', 'Bob "B"') }
--- response_body chomp
ok



=== TEST 3: without auth the room is not prefixed
--- request
POST /open/livekit/token
{"room_name":"lobby","participant_name":"Ada","participant_identity":"ada-1"}
--- error_code: 200
--- response_body_like: "room_name":"lobby"



=== TEST 4: blank and overlong fields are 400
--- request eval
[
'POST /open/livekit/token
{"room_name":"  ","participant_name":"Ada","participant_identity":"ada-1"}',
'POST /open/livekit/token
{"room_name":"r","participant_name":"","participant_identity":"ada-1"}',
'POST /open/livekit/token
{"room_name":"r","participant_name":"Ada"}',
'POST /open/livekit/token
{"room_name":"r","participant_name":"' . ('n' x 129) . '","participant_identity":"i"}',
'POST /open/livekit/token
not json',
]
--- error_code eval
[400, 400, 400, 400, 400]
--- response_body eval
[
'{"error":"Invalid request: room_name cannot be empty","code":"INVALID_REQUEST"}',
'{"error":"Invalid request: participant_name cannot be empty","code":"INVALID_REQUEST"}',
'{"error":"Invalid request: participant_identity is required","code":"INVALID_REQUEST"}',
'{"error":"Invalid request: participant_name exceeds maximum length of 128 characters","code":"INVALID_REQUEST"}',
'{"error":"Failed to parse the request body as JSON","code":"INVALID_JSON"}',
]



=== TEST 5: not configured: 500 before the fields are looked at
--- http_config
    # (waav_auth on elsewhere needs a method, or nginx refuses to start)
    waav_auth_secret tenant-x secret-xxxx-0000-xxxx;
--- request
POST /open/livekit/token
{}
--- error_code: 500
--- response_body chomp
{"error":"Failed to generate LiveKit token: LiveKit service not configured","code":"LIVEKIT_NOT_CONFIGURED"}



=== TEST 6: GET is 405
--- request
GET /open/livekit/token
--- error_code: 405



=== TEST 7: a tenant id with '_' mints rooms as WaaV's: "<id>_<room>" unless it starts so already
--- http_config
    waav_auth_secret acme_eu secret-acme-eu-0000;
    waav_livekit api_key=APIwaavtest api_secret=lk-secret-lk-secret-lk-secret-123
                 url=wss://livekit.test ttl=10m;
--- request eval
[
'POST /livekit/token
{"room_name":"standup","participant_name":"Ada","participant_identity":"ada-1"}',
'POST /livekit/token
{"room_name":"acme_eu_standup","participant_name":"Ada","participant_identity":"ada-1"}',
]
--- more_headers
Authorization: Bearer secret-acme-eu-0000
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_filters eval
sub { ::livekit_ok($_[0], 'acme_eu_standup', 'ada-1', 'Ada') }
--- response_body eval
['ok', 'ok']



=== TEST 7b: the SDKs' shape: identity and name (TS, Python, the dashboard), name optional
--- request eval
[
'POST /livekit/token
{"room_name":"lobby","identity":"ts-user","name":"TS User","ttl":60,"metadata":"m"}',
'POST /livekit/token
{"room_name":"lobby","identity":"py-user"}',
'POST /livekit/token
{"room_name":"lobby","identity":"dash-user","name":""}',
]
--- more_headers
Authorization: Bearer secret-acme-0000-acme
Content-Type: application/json
--- error_code eval
[200, 200, 200]
--- response_body_filters eval
sub {
    my $b = shift;
    my ($who) = $b =~ /"participant_identity":"([^"]+)"/ or return "no identity: $b";
    ::livekit_ok($b, 'acme_lobby', $who, $who eq 'ts-user' ? 'TS User' : $who)
}
--- response_body eval
['ok', 'ok', 'ok']



=== TEST 8: a body that is not application/json is 415, as on /speak
--- request eval
[
'POST /open/livekit/token
{"room_name":"r","participant_name":"Ada","participant_identity":"ada-1"}',
'POST /open/livekit/token
{"room_name":"r","participant_name":"Ada","participant_identity":"ada-1"}',
'POST /open/livekit/token
{"room_name":"r","participant_name":"Ada","participant_identity":"ada-1"}',
]
--- more_headers eval
["Content-Type: text/plain", "Content-Type: application/jsonx", "Content-Type: application/json ; charset=utf-8"]
--- error_code eval
[415, 415, 200]
--- response_body_like eval
[
'^\{"error":"Expected request with Content-Type: application/json","code":"UNSUPPORTED_MEDIA_TYPE"\}$',
'UNSUPPORTED_MEDIA_TYPE',
'"room_name":"r"',
]



=== TEST 9: no Content-Type at all is 415
--- raw_request eval
"POST /open/livekit/token HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 72\r\n\r\n"
. '{"room_name":"r","participant_name":"Ada","participant_identity":"ada-1"}'
--- error_code: 415
--- response_body chomp
{"error":"Expected request with Content-Type: application/json","code":"UNSUPPORTED_MEDIA_TYPE"}



=== TEST 10: invalid UTF-8 is 400 INVALID_REQUEST (it was a 500: libjwt refused to sign it)
--- request eval
[
"POST /open/livekit/token\n{\"room_name\":\"r\xff\",\"participant_name\":\"Ada\",\"participant_identity\":\"ada-1\"}",
"POST /open/livekit/token\n{\"room_name\":\"r\",\"participant_name\":\"\xc3\x28\",\"participant_identity\":\"ada-1\"}",
"POST /open/livekit/token\n{\"room_name\":\"r\",\"participant_name\":\"Ada\",\"participant_identity\":\"\xc0\xaf\"}",
]
--- error_code eval
[400, 400, 400]
--- response_body eval
[('{"error":"Invalid request: the body is not valid UTF-8","code":"INVALID_REQUEST"}') x 3]



=== TEST 11: a NUL in a string is 400, not a name cut short ("a\u0000b" was "a")
--- request eval
[
'POST /open/livekit/token
{"room_name":"r","participant_name":"Ada","participant_identity":"a\u0000b"}',
'POST /open/livekit/token
{"room_name":"\u0000","participant_name":"Ada","participant_identity":"a"}',
"POST /open/livekit/token\n{\"room_name\":\"r\",\"participant_name\":\"A\0da\",\"participant_identity\":\"a\"}",
'POST /open/livekit/token
{"room_name":"r","participant_name":"Ada","participant_identity":"a\\\\u0000b"}',
]
--- error_code eval
[400, 400, 400, 200]
--- response_body_like eval
[
'^\{"error":"Invalid request: strings must not contain NUL","code":"INVALID_REQUEST"\}$',
'^\{"error":"Invalid request: strings must not contain NUL","code":"INVALID_REQUEST"\}$',
'^\{"error":"Invalid request: strings must not contain NUL","code":"INVALID_REQUEST"\}$',
'"participant_identity":"a\\\\\\\\u0000b"',
]



=== TEST 12: bytes after the JSON object, or not an object, are INVALID_JSON
--- request eval
[
'POST /open/livekit/token
{"room_name":"r","participant_name":"Ada","participant_identity":"a"} x',
'POST /open/livekit/token
["room_name"]',
'POST /open/livekit/token
{"room_name":"r","participant_name":"Ada","participant_identity":"a"}
',
]
--- error_code eval
[400, 400, 200]
--- response_body_like eval
[
'^\{"error":"Failed to parse the request body as JSON","code":"INVALID_JSON"\}$',
'^\{"error":"Failed to parse the request body as JSON","code":"INVALID_JSON"\}$',
'"room_name":"r"',
]



=== TEST 12b: a key twice is 400: no layer may read the first value while another reads the second
--- request eval
[
'POST /open/livekit/token
{"room_name":"r","participant_name":"Ada","participant_identity":"a","participant_identity":"admin"}',
'POST /open/livekit/token
{"room_name":"r","participant_name":"Ada","participant_identity":"a","x":{"k":1,"k":2}}',
]
--- error_code eval
[400, 400]
--- response_body eval
[
'{"error":"A JSON object has the same key twice","code":"INVALID_REQUEST"}',
'{"error":"A JSON object has the same key twice","code":"INVALID_REQUEST"}',
]



=== TEST 13: the answer is JSON whatever the names hold (quotes, backslashes, non-ASCII)
--- request
POST /livekit/token
{"room_name":"l\"o\\b\u00e9","participant_name":"Zoë \"Z\"","participant_identity":"id\"1"}
--- more_headers
Authorization: Bearer secret-acme-0000-acme
--- error_code: 200
--- response_body_filters eval
sub { ::livekit_ok($_[0], "acme_l\"o\\b\x{e9}", 'id"1', "Zo\x{eb} \"Z\"") }
--- response_body chomp
ok



=== TEST 14: a body nginx spools to a file is too large for a token request
--- config
    location = /open/livekit/token { client_body_buffer_size 1k; waav_livekit_token; }
--- request eval
'POST /open/livekit/token
{"room_name":"r","participant_name":"Ada","participant_identity":"a","pad":"' . ('x' x 2000) . '"}'
--- error_code: 413
--- response_body chomp
{"error":"Request body too large","code":"PAYLOAD_TOO_LARGE"}

