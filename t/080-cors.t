# waav_cors (WaaV's CORS_ALLOWED_ORIGINS) and the security headers WaaV
# sets on every answer (X-Content-Type-Options, X-Frame-Options).
# Preflights are answered before waav_auth and waav_limit, on every route;
# the other answers, errors and streamed audio included, carry the headers.
use Waav::Blocks 'no_plan';
use Waav::Mock qw(mock_audio);
use Waav::Tts;

# the TTS locations (t/lib/Waav/Tts.pm), a health check, one with auth,
# one with a rate of one request a minute
our $More = <<'_EOC_';
    waav_json_errors on;
    location = / { waav_health; }
    location = /auth { waav_auth on; waav_health; }
    location = /limited { waav_limit zone=ip rate=1r/m burst=1; waav_health; }
    location = /ws { waav_ws; }
    location = /dag/validate {
        default_type application/json;
        return 501 '{"error":"DAG routing is not enabled"}';
    }
_EOC_

our $Http = $Waav::Tts::Providers . <<'_EOC_';
    waav_limit_zone ip:1m key=$binary_remote_addr;
    waav_auth_secret acme secret-acme-0000-acme;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http) unless defined $block->http_config;
    $block->set_value('config', $Waav::Tts::Locations . $More
                                . ($block->config // ''))
        unless defined $block->must_die;
    $block->set_value('more_headers', '') unless defined $block->more_headers;
});

no_root_location();
run_tests();

__DATA__

=== TEST 1: "*": a preflight for POST /speak (a POST-only location) is 204 with WaaV's methods and headers
--- config
    waav_cors *;
--- request
OPTIONS /speak
--- more_headers
Origin: https://app.example
Access-Control-Request-Method: POST
Access-Control-Request-Headers: authorization, content-type
--- error_code: 204
--- response_headers
Access-Control-Allow-Origin: *
Access-Control-Allow-Methods: GET,POST,PUT,DELETE,OPTIONS
Access-Control-Allow-Headers: authorization,content-type,x-provider-api-key
!Access-Control-Allow-Credentials
!Access-Control-Max-Age
!Access-Control-Expose-Headers
X-Frame-Options: DENY
X-Content-Type-Options: nosniff
Vary: origin, access-control-request-method, access-control-request-headers
--- response_body chomp



=== TEST 2: "*": preflights before auth and the rate limit, on several routes, never counted
--- config
    waav_cors *;
--- request eval
[map { "OPTIONS $_" } qw(/auth /limited /limited /limited / /ws /livekit/nope /dag/validate)]
--- more_headers
Origin: https://app.example
Access-Control-Request-Method: GET
--- error_code eval
[(204) x 8]
--- response_headers eval
[("Access-Control-Allow-Origin: *
Access-Control-Allow-Methods: GET,POST,PUT,DELETE,OPTIONS
!WWW-Authenticate
!Retry-After") x 8]



=== TEST 3: a list: a listed origin is echoed, with credentials and CorsLayer's Vary
--- config
    waav_cors https://app.example "http://localhost:8080, http://[::1]:3000";
--- request eval
["OPTIONS /speak", "OPTIONS /auth", "GET /"]
--- more_headers eval
["Origin: http://localhost:8080\nAccess-Control-Request-Method: POST",
 "Origin: https://app.example\nAccess-Control-Request-Method: GET",
 "Origin: http://[::1]:3000"]
--- error_code eval
[204, 204, 200]
--- response_headers eval
["Access-Control-Allow-Origin: http://localhost:8080
Access-Control-Allow-Credentials: true
Access-Control-Allow-Methods: GET,POST,PUT,DELETE,OPTIONS
Access-Control-Allow-Headers: authorization,content-type,x-provider-api-key
Vary: origin, access-control-request-method, access-control-request-headers",
"Access-Control-Allow-Origin: https://app.example
Access-Control-Allow-Credentials: true",
"Access-Control-Allow-Origin: http://[::1]:3000
Access-Control-Allow-Credentials: true
Access-Control-Expose-Headers: x-audio-format,x-sample-rate,x-speaking-rate,Retry-After,RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset
Vary: origin, access-control-request-method, access-control-request-headers"]



=== TEST 4: a list: an unlisted origin (or none) gets no Access-Control-Allow-Origin
--- config
    waav_cors https://app.example;
--- request eval
["OPTIONS /speak", "GET /", "GET /"]
--- more_headers eval
["Origin: https://evil.example\nAccess-Control-Request-Method: POST",
 "Origin: https://app.example.evil",
 ""]
--- error_code eval
[204, 200, 200]
--- response_headers eval
["!Access-Control-Allow-Origin
Access-Control-Allow-Credentials: true
Vary: origin, access-control-request-method, access-control-request-headers",
"!Access-Control-Allow-Origin",
"!Access-Control-Allow-Origin"]



=== TEST 5: same-origin (WaaV without CORS_ALLOWED_ORIGINS): preflight answered, no origin allowed
--- config
    waav_cors same-origin;
--- request eval
["OPTIONS /speak", "GET /"]
--- more_headers
Origin: https://app.example
Access-Control-Request-Method: POST
--- error_code eval
[204, 200]
--- response_headers eval
["!Access-Control-Allow-Origin
!Access-Control-Allow-Credentials
Vary: origin, access-control-request-method, access-control-request-headers
Access-Control-Allow-Methods: GET,POST,OPTIONS
Access-Control-Allow-Headers: authorization,content-type,x-provider-api-key",
"!Access-Control-Allow-Origin
!Access-Control-Expose-Headers"]



=== TEST 6: off (the default): OPTIONS is the location's, no CORS header
--- request
OPTIONS /speak
--- more_headers
Origin: https://app.example
Access-Control-Request-Method: POST
--- error_code: 405
--- response_headers
!Access-Control-Allow-Origin
!Access-Control-Allow-Methods
!Vary
X-Frame-Options: DENY



=== TEST 7: a location's waav_cors replaces the server's; off turns it off
--- config
    waav_cors *;
    location = /private { waav_cors off; waav_health; }
    location = /partner { waav_cors https://partner.example; waav_health; }
--- request eval
["OPTIONS /private", "GET /partner", "GET /"]
--- more_headers
Origin: https://partner.example
--- error_code eval
[405, 200, 200]
--- response_headers eval
["!Access-Control-Allow-Origin",
"Access-Control-Allow-Origin: https://partner.example",
"Access-Control-Allow-Origin: *"]



=== TEST 8: streamed audio (200) carries the CORS and security headers, exposed to the page
--- config
    waav_cors *;
--- request
POST /speak
{"text":"Hello from waav","tts_config":{"provider":"deepgram"}}
--- more_headers
Content-Type: application/json
Origin: https://app.example
--- error_code: 200
--- response_headers
Access-Control-Allow-Origin: *
Access-Control-Expose-Headers: x-audio-format,x-sample-rate,x-speaking-rate,Retry-After,RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset
X-Frame-Options: DENY
X-Content-Type-Options: nosniff
Content-Type: audio/wav
x-audio-format: wav
x-sample-rate: 24000
--- response_body eval
Waav::Mock::mock_wav('deepgram', 24000)



=== TEST 9: a 401 and a 429 carry the CORS headers (a browser reads the error)
--- config
    waav_cors https://app.example;
--- request eval
["GET /auth", "GET /limited", "GET /limited"]
--- more_headers
Origin: https://app.example
--- error_code eval
[401, 200, 429]
--- response_headers eval
["Access-Control-Allow-Origin: https://app.example
Access-Control-Allow-Credentials: true
WWW-Authenticate: Bearer
X-Frame-Options: DENY
X-Content-Type-Options: nosniff",
"Access-Control-Allow-Origin: https://app.example",
"Access-Control-Allow-Origin: https://app.example
Access-Control-Allow-Credentials: true
Access-Control-Expose-Headers: x-audio-format,x-sample-rate,x-speaking-rate,Retry-After,RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset
X-Frame-Options: DENY
X-Content-Type-Options: nosniff"]
--- response_headers_like eval
["", "", "Retry-After: ^\\d+\$"]



=== TEST 10: X-Frame-Options: DENY and nosniff, once each (a repeat would read "DENY, DENY"), on a 200, 404, 401, 429, an nginx 413, a /ws refusal and a return
--- config
    location = /small { client_max_body_size 4; waav_health; }
--- request eval
["GET /", "GET /nope", "GET /auth", "GET /limited", "GET /limited",
 "POST /small\n0123456789", "GET /ws", "GET /dag/validate"]
--- error_code eval
[200, 404, 401, 200, 429, 413, 426, 501]
--- response_headers eval
[("X-Frame-Options: DENY
X-Content-Type-Options: nosniff") x 8]



=== TEST 11: a bad origin is a configuration error
--- config
    waav_cors https://app.example/path;
--- must_die
--- error_log
invalid origin "https://app.example/path": "*" or scheme://host[:port] expected



=== TEST 12: an origin without a scheme is refused too
--- config
    waav_cors "app.example, https://ok.example";
--- must_die
--- error_log
invalid origin "app.example"



=== TEST 13: waav_cors once per level
--- config
    waav_cors *;
    waav_cors off;
--- must_die
--- error_log
"waav_cors" directive is duplicate



=== TEST 14: waav_limit off: a location without the server's limits (make run's health check)
--- config
    waav_limit zone=ip rate=1r/m burst=1;
    location = /free { waav_limit off; waav_health; }
--- request eval
["GET /limited", "GET /limited", "GET /free", "GET /free", "GET /free", "GET /auth"]
--- more_headers
Authorization: Bearer secret-acme-0000-acme
--- error_code eval
[200, 429, 200, 200, 200, 429]



=== TEST 15: waav_limit off stands alone on its level
--- http_config
    waav_limit_zone ip:1m;
--- config
    location = /x { waav_limit off; waav_limit zone=ip concurrency=1; waav_health; }
--- must_die
--- error_log
"waav_limit" directive off cannot be combined with other waav_limit lines
