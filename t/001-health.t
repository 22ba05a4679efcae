# waav_health and the JSON error shape.
use Waav::Blocks 'no_plan';

no_root_location();
run_tests();

__DATA__

=== TEST 1: GET / answers {"status":"OK"} as JSON
--- config
    location = / { waav_health; }
--- request
GET /
--- error_code: 200
--- response_headers
Content-Type: application/json
Content-Length: 15
X-Content-Type-Options: nosniff
--- response_body chomp
{"status":"OK"}
--- no_error_log
[error]



=== TEST 2: HEAD / has the headers and no body
--- config
    location = / { waav_health; }
--- request
HEAD /
--- error_code: 200
--- response_headers
Content-Type: application/json
Content-Length: 15
--- response_body chomp



=== TEST 3: POST / is 405 with a JSON error and Allow
--- config
    location = / { waav_health; }
--- request
POST /
{"x":1}
--- error_code: 405
--- response_headers
Content-Type: application/json
Allow: GET, HEAD
X-Content-Type-Options: nosniff
--- response_body chomp
{"error":"Method not allowed: use GET or HEAD","code":"METHOD_NOT_ALLOWED"}



=== TEST 4: DELETE / is 405 too
--- config
    location = / { waav_health; }
--- request
DELETE /
--- error_code: 405
--- response_body chomp
{"error":"Method not allowed: use GET or HEAD","code":"METHOD_NOT_ALLOWED"}



=== TEST 5: a query string does not change the answer
--- config
    location = / { waav_health; }
--- request
GET /?probe=1
--- error_code: 200
--- response_body chomp
{"status":"OK"}



=== TEST 6: a body over client_max_body_size in a waav location is 413 JSON, not HTML
--- config
    location = / {
        client_max_body_size 10;
        waav_health;
    }
--- request
POST /
0123456789abcdef
--- error_code: 413
--- response_headers
Content-Type: application/json
X-Content-Type-Options: nosniff
--- response_body chomp
{"error":"Request body too large","code":"PAYLOAD_TOO_LARGE"}



=== TEST 7: waav_json_errors on at server level turns nginx's 404 into JSON
--- config
    waav_json_errors on;
    location = / { waav_health; }
    location /static { root html; }
--- request
GET /static/missing
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":"Not found","code":"NOT_FOUND"}



=== TEST 8: locations without waav keep nginx's HTML error pages
--- config
    location = / { waav_health; }
    location /static { root html; }
--- request
GET /static/missing
--- error_code: 404
--- response_headers
Content-Type: text/html
--- response_body_like: <title>404 Not Found</title>



=== TEST 9: waav_json_errors off in a waav location keeps HTML
--- config
    location = / {
        waav_json_errors off;
        client_max_body_size 10;
        waav_health;
    }
--- request
POST /
0123456789abcdef
--- error_code: 413
--- response_headers
Content-Type: text/html
--- response_body_like: 413 Request Entity Too Large



=== TEST 10: a user's error_page still wins over the JSON errors
--- config
    waav_json_errors on;
    error_page 404 /custom404;
    location = /custom404 { return 404 "custom page\n"; }
    location /static { root html; }
--- request
GET /static/missing
--- error_code: 404
--- response_body
custom page



=== TEST 11: a 500 from a failing handler is JSON with the status' code
--- config
    waav_json_errors on;
    location = /fail { return 500; }
--- request
GET /fail
--- error_code: 500
--- response_body chomp
{"error":"Internal server error","code":"INTERNAL_ERROR"}



=== TEST 12: an unknown 4xx status still gets a JSON body
--- config
    waav_json_errors on;
    location = /teapot { return 418; }
--- request
GET /teapot
--- error_code: 418
--- response_body chomp
{"error":"Client error","code":"CLIENT_ERROR"}



=== TEST 13: waav_health takes no arguments
--- config
    location = / { waav_health on; }
--- must_die
--- error_log
invalid number of arguments in "waav_health" directive



=== TEST 14: a location cannot have two waav handlers
--- config
    location = / { waav_health; waav_health; }
--- must_die
--- error_log
"waav_health" directive is duplicate or conflicts with another waav handler



=== TEST 15: 200 pipelined requests that nginx answers 404 all get their JSON
--- config
    waav_json_errors on;
    location = / { waav_health; }
--- pipelined_requests eval
[map { "GET /missing/$_" } 1 .. 200]
--- error_code: 404
--- response_body eval
'{"error":"Not found","code":"NOT_FOUND"}' x 200
--- timeout: 10



=== TEST 16: conditional headers do not turn the health answer into 304 or 412
--- config
    location = / { waav_health; }
--- request eval
["GET /", "GET /"]
--- more_headers eval
["If-None-Match: *", "If-Match: \"x\""]
--- error_code eval
[200, 200]
--- response_body eval
['{"status":"OK"}', '{"status":"OK"}']
