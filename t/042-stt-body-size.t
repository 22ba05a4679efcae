# waav_stt bounds uploads with waav_stt_max_size only where the user set no
# client_max_body_size: in the location (before or after waav_stt), in its
# server, or at http level, the user's bound wins.
use Waav::Blocks 'no_plan';

# a WAV of silence: 16 kHz, mono, 16-bit
sub main::wav {
    my ($bytes) = @_;
    my $data = "\0" x $bytes;
    return 'RIFF' . pack('V', 36 + length $data) . 'WAVE'
         . 'fmt ' . pack('VvvVVvv', 16, 1, 1, 16000, 32000, 2, 16)
         . 'data' . pack('V', length $data) . $data;
}

our $Http = <<'_EOC_';
    waav_provider deepgram key=test-deepgram-key;
_EOC_

our $Mock = <<'_EOC_';
    location /__mock/ { proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT; }

    location /_waav/ {
        internal;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        subrequest_output_buffer_size 1m;
        client_max_body_size 0;

        location /_waav/deepgram/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/;
        }
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http . ($block->http_config // ''));
    $block->set_value('config', $Mock . ($block->config // ''));
    $block->set_value('more_headers', 'Content-Type: audio/wav')
        unless defined $block->more_headers;
});

no_root_location();
run_tests();

__DATA__

=== TEST 1: client_max_body_size before waav_stt in the location wins
--- config
    location = /listen { client_max_body_size 1k; waav_stt deepgram; }
--- request eval
["POST /listen\n" . ::wav(10000), 'GET /__mock/count']
--- error_code eval
[413, 200]
--- response_body eval
['{"error":"Request body too large","code":"PAYLOAD_TOO_LARGE"}', '0']



=== TEST 2: client_max_body_size after waav_stt in the location wins
--- config
    location = /listen { waav_stt deepgram; client_max_body_size 1k; }
--- request eval
["POST /listen\n" . ::wav(10000), 'GET /__mock/count']
--- error_code eval
[413, 200]
--- response_body eval
['{"error":"Request body too large","code":"PAYLOAD_TOO_LARGE"}', '0']



=== TEST 3: the server's client_max_body_size wins
--- config
    client_max_body_size 2k;
    location = /listen { waav_stt deepgram; }
--- request eval
["POST /listen\n" . ::wav(10000), 'GET /__mock/count']
--- error_code eval
[413, 200]
--- response_body eval
['{"error":"Request body too large","code":"PAYLOAD_TOO_LARGE"}', '0']



=== TEST 4: http level, even at nginx's default value, wins
--- http_config
    client_max_body_size 1m;
--- config
    location = /listen { waav_stt deepgram; }
--- request eval
["POST /listen\n" . ::wav(1100000), 'GET /__mock/count']
--- error_code eval
[413, 200]
--- response_body eval
['{"error":"Request body too large","code":"PAYLOAD_TOO_LARGE"}', '0']



=== TEST 5: none set: waav_stt_max_size (25m) takes a body over nginx's 1m
--- config
    location = /listen { waav_stt deepgram; }
--- request eval
["POST /listen\n" . ::wav(1100000), 'GET /__mock/count']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/"transcript":"hello world from the mock"/, qr/^1$/]



=== TEST 6: none set: waav_stt_max_size bounds the body
--- config
    location = /listen { waav_stt deepgram; waav_stt_max_size 8k; }
--- request eval
["POST /listen\n" . ::wav(10000), 'GET /__mock/count', "POST /listen\n" . ::wav(4000)]
--- error_code eval
[413, 200, 200]
--- response_body_like eval
[qr/PAYLOAD_TOO_LARGE/, qr/^0$/, qr/"transcript"/]



=== TEST 7: waav_stt_max_size beats the server's client_max_body_size
--- config
    client_max_body_size 30m;
    location = /listen { waav_stt deepgram; waav_stt_max_size 8k; }
--- request eval
["POST /listen\n" . ::wav(10000), 'GET /__mock/count']
--- error_code eval
[413, 200]
--- response_body_like eval
[qr/PAYLOAD_TOO_LARGE/, qr/^0$/]



=== TEST 8: waav_stt_max_size at http level beats the server's too, not the location's
--- http_config
    waav_stt_max_size 8k;
--- config
    client_max_body_size 30m;
    location = /listen { waav_stt deepgram; }
    location = /big/listen { waav_stt deepgram; client_max_body_size 64k; }
--- request eval
["POST /listen\n" . ::wav(10000), "POST /big/listen\n" . ::wav(10000), 'GET /__mock/count']
--- error_code eval
[413, 200, 200]
--- response_body_like eval
[qr/PAYLOAD_TOO_LARGE/, qr/"transcript"/, qr/^1$/]
