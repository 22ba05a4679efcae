# Provider TLS: SNI and certificate verification as conf/waav/providers.conf
# sets them, against a local TLS front for the mock with its own CA.
use Waav::Blocks 'no_plan';
use Waav::Mock qw(mock_audio);
use Waav::Tts;
use Waav::Tls;
use File::Temp qw(tempdir);
use IO::Socket::INET;

# a CA, a certificate for api.mock.test signed by it, and an unrelated CA
my $dir = tempdir(CLEANUP => 1);
Waav::Tls::ca($dir, $_) for qw(ca other);
Waav::Tls::cert($dir, 'server', 'ca', 'DNS:api.mock.test');

$ENV{TEST_NGINX_CERT_DIR} = $dir;
$ENV{TEST_NGINX_TLS_PORT} = Waav::Blocks::free_port();

our $Front = <<'_EOC_';
    waav_provider deepgram key=test-deepgram-key location=/_tls/deepgram;

    server {
        listen 127.0.0.1:$TEST_NGINX_TLS_PORT ssl;
        server_name api.mock.test;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.pem;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        location / {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
        }
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Front);
});
tts_defaults();

no_root_location();
run_tests();

__DATA__

=== TEST 1: verified TLS with SNI reaches the provider
--- config
    location /_tls/deepgram/ {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_PORT/deepgram/;
        proxy_ssl_server_name on;
        proxy_ssl_name api.mock.test;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.pem;
    }
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}
--- error_code: 200
--- response_body eval
Waav::Mock::mock_audio('deepgram', 16000)



=== TEST 2: a certificate from an untrusted CA is refused: 502, nothing sent
--- config
    location /_tls/deepgram/ {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_PORT/deepgram/;
        proxy_ssl_server_name on;
        proxy_ssl_name api.mock.test;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/other.pem;
    }
--- request eval
[
'POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count',
]
--- error_code eval
[502, 200]
--- response_body eval
['{"error":"Could not reach provider deepgram","code":"PROVIDER_ERROR"}', '0']
--- error_log
upstream SSL certificate verify error



=== TEST 3: a certificate for another name is refused
--- config
    location /_tls/deepgram/ {
        internal;
        proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_PORT/deepgram/;
        proxy_ssl_server_name on;
        proxy_ssl_name api.deepgram.com;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.pem;
    }
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}
--- error_code: 502
--- error_log
upstream SSL certificate does not match "api.deepgram.com"
