# WaaV's external-auth-service mode through nginx's auth_request, as
# conf/examples/auth-request.conf shows; the "service" is a server here.
use Waav::Blocks 'no_plan';
use IO::Socket::INET;

$ENV{TEST_NGINX_AUTH_PORT} = Waav::Blocks::free_port();

no_root_location();
run_tests();

__DATA__

=== TEST 1: the service allows, names the tenant; refuses other tokens
--- http_config
    # the mock auth service: one good token, the tenant in a header
    server {
        listen 127.0.0.1:$TEST_NGINX_AUTH_PORT;
        location = /authorize {
            if ($http_authorization = "Bearer good-token") {
                add_header X-WaaV-Tenant acme;
                return 200;
            }
            return 401;
        }
    }
--- config
    location = /_waav_auth {
        internal;
        proxy_pass              http://127.0.0.1:$TEST_NGINX_AUTH_PORT/authorize;
        proxy_pass_request_body off;
        proxy_set_header        Content-Length "";
        proxy_set_header        X-Original-Method $request_method;
        proxy_set_header        X-Original-URI $request_uri;
    }
    location = /private {
        waav_json_errors on;
        auth_request /_waav_auth;
        auth_request_set $waav_ext_tenant $upstream_http_x_waav_tenant;
        add_header X-Tenant $waav_ext_tenant;
        waav_health;
    }
--- request eval
["GET /private", "GET /private", "GET /private"]
--- more_headers eval
["Authorization: Bearer good-token", "Authorization: Bearer bad-token", ""]
--- error_code eval
[200, 401, 401]
--- response_headers eval
["X-Tenant: acme", "Content-Type: application/json", ""]
--- response_body eval
['{"status":"OK"}', '{"error":"Unauthorized","code":"UNAUTHORIZED"}', '{"error":"Unauthorized","code":"UNAUTHORIZED"}']
