# The provider mock answers like the real APIs: a wrong key or path gets the
# provider's own error, and every request is recorded (t/mock/README.md).
# Requests go through nginx, as the gateway's subrequests will.
use Waav::Blocks 'no_plan';

no_root_location();
run_tests();

__DATA__

=== TEST 1: Deepgram with a wrong key: 401 INVALID_AUTH, recorded
--- config
    location /deepgram/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
    location /__mock/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request eval
[
"POST /deepgram/v1/speak?model=aura-asteria-en&encoding=mp3
{\"text\":\"hi\"}",
"GET /__mock/count",
]
--- more_headers
Authorization: Token wrong-key
Content-Type: application/json
--- error_code eval
[401, 200]
--- response_body_like eval
[qr/^\{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials\.","request_id":"[-0-9a-f]+"\}$/, qr/^1$/]



=== TEST 2: Deepgram with the right key returns the mock's audio
--- config
    location /deepgram/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
POST /deepgram/v1/speak?model=aura-asteria-en&encoding=linear16&container=none&sample_rate=16000
{"text":"hi"}
--- more_headers
Authorization: Token test-deepgram-key
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: audio/l16
Content-Length: 16000



=== TEST 3: Deepgram with a wrong path: Deepgram's 404
--- config
    location /deepgram/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
POST /deepgram/v1/speek
{"text":"hi"}
--- more_headers
Authorization: Token test-deepgram-key
Content-Type: application/json
--- error_code: 404
--- response_body_like: "err_code":"NOT_FOUND"



=== TEST 4: OpenAI with a wrong key: invalid_api_key, the key masked
--- config
    location /openai/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
POST /openai/v1/audio/speech
{"model":"tts-1","input":"hi","voice":"alloy"}
--- more_headers
Authorization: Bearer sk-wrong-0123456789
Content-Type: application/json
--- error_code: 401
--- response_body_like: "code":"invalid_api_key"
--- response_body_unlike: sk-wrong-0123456789



=== TEST 5: OpenAI with a wrong path: "Invalid URL"
--- config
    location /openai/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
POST /openai/v1/audio/speak
{"model":"tts-1","input":"hi","voice":"alloy"}
--- more_headers
Authorization: Bearer test-openai-key
Content-Type: application/json
--- error_code: 404
--- response_body_like: Invalid URL \(POST /v1/audio/speak\)



=== TEST 6: ElevenLabs without a key: 401 needs_authorization
--- config
    location /elevenlabs/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request
POST /elevenlabs/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM
{"text":"hi"}
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_body_like: needs_authorization



=== TEST 7: the request log shows what the provider received
--- config
    location /cartesia/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
    location /__mock/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
--- request eval
[
"POST /cartesia/tts/bytes
{\"model_id\":\"sonic-2\",\"transcript\":\"hi\",\"voice\":{\"mode\":\"id\",\"id\":\"a0e99841-438c-4a64-b679-ae501e7d6091\"},\"output_format\":{\"container\":\"raw\",\"encoding\":\"pcm_s16le\",\"sample_rate\":24000},\"language\":\"en\"}",
"GET /__mock/last",
]
--- more_headers
Authorization: Bearer test-cartesia-key
Cartesia-Version: 2025-04-16
Content-Type: application/json
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr{^POST /cartesia/tts/bytes\nauthorization: Bearer test-cartesia-key\ncartesia-version: 2025-04-16\ncontent-length: 201\ncontent-type: application/json\n\n\{"model_id":"sonic-2"}]
