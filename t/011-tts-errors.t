# waav_tts: provider failures become JSON errors before the first audio
# byte and a cut-off response after it; bad requests never reach the
# provider (the mock's request count stays 0).
use Waav::Blocks 'no_plan';
use Waav::Mock qw(mock_audio);
use Waav::Tts;

tts_defaults();

no_root_location();
run_tests();

__DATA__

=== TEST 1: the provider refuses the key: 502 PROVIDER_ERROR with its message
--- http_config
    waav_provider deepgram key=wrong-deepgram-key-0123456789;
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}
--- error_code: 502
--- response_headers
Content-Type: application/json
X-Content-Type-Options: nosniff
--- response_body chomp
{"error":"Provider deepgram answered 401: Invalid credentials.","code":"PROVIDER_ERROR"}



=== TEST 2: OpenAI's 401 message names a masked key; the key itself never shows
--- http_config
    waav_provider openai key=sk-wrong-0123456789abcdef;
--- request
POST /v1/audio/speech
{"model":"tts-1","input":"Hello","voice":"alloy"}
--- error_code: 502
--- response_body_like: ^\{"error":"Provider openai answered 401: Incorrect API key provided: [^"]*","code":"PROVIDER_ERROR"\}$
--- response_body_unlike: 0123456789abcdef



=== TEST 3: 429 is passed on as PROVIDER_RATE_LIMITED with Retry-After
--- request eval
[
'POST /__mock/behavior
{"status":429,"retry_after":7}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai"}}',
]
--- error_code eval
[204, 429]
--- response_headers eval
["", "Retry-After: 7
Content-Type: application/json"]
--- response_body_like eval
[qr/^$/, qr/^\{"error":"Provider openai is rate limiting: Rate limit reached[^"]*","code":"PROVIDER_RATE_LIMITED"\}$/]



=== TEST 4: 429 without Retry-After still tells the client when to retry
--- request eval
[
'POST /__mock/behavior
{"status":429}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"elevenlabs"}}',
]
--- error_code eval
[204, 429]
--- response_headers eval
["", "Retry-After: 1"]
--- response_body_like eval
[qr/^$/, qr/"code":"PROVIDER_RATE_LIMITED"/]



=== TEST 5: a provider 500 is 502 PROVIDER_ERROR
--- request eval
[
'POST /__mock/behavior
{"status":500}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai"}}',
]
--- error_code eval
[204, 502]
--- response_body eval
['', '{"error":"Provider openai answered 500: The server had an error while processing your request. Sorry about that!","code":"PROVIDER_ERROR"}']



=== TEST 6: a provider slower than proxy_read_timeout is 504 PROVIDER_TIMEOUT
--- config
    location /_waav_slow/ {
        internal;
        proxy_read_timeout 300ms;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/;
    }
--- http_config
    waav_provider deepgram key=test-deepgram-key location=/_waav_slow;
--- request eval
[
'POST /__mock/behavior
{"delay_ms":1500}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}',
]
--- error_code eval
[204, 504]
--- response_body eval
['', '{"error":"Provider deepgram did not answer in time","code":"PROVIDER_TIMEOUT"}']



=== TEST 7: a provider that cannot be reached is 502
--- config
    location /_waav_nowhere/ {
        internal;
        proxy_pass http://127.0.0.1:1/;
    }
--- http_config
    waav_provider deepgram key=test-deepgram-key location=/_waav_nowhere;
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}
--- error_code: 502
--- response_body chomp
{"error":"Could not reach provider deepgram","code":"PROVIDER_ERROR"}



=== TEST 8: a reset before the first audio byte is a JSON error
--- request eval
[
'POST /__mock/behavior
{"reset_after":0}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"elevenlabs"}}',
]
--- error_code eval
[204, 502]
--- response_body eval
['', '{"error":"Provider elevenlabs returned no audio","code":"PROVIDER_BAD_RESPONSE"}']



=== TEST 9: a reset after audio started cuts the response short
--- request eval
[
'POST /__mock/behavior
{"reset_after":4096}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"elevenlabs"}}',
]
--- error_code eval
[204, 200]
--- response_truncated
--- response_body eval
['', Waav::Mock::mock_audio('elevenlabs', 4096)]
--- error_log
provider "elevenlabs" stopped mid-audio



=== TEST 10: the provider's validation error (ElevenLabs: unknown voice) is a 502 with its message
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"elevenlabs","voice_id":"NoSuchVoice123"}}
--- error_code: 502
--- response_body chomp
{"error":"Provider elevenlabs answered 404: A voice with voice_id 'NoSuchVoice123' was not found.","code":"PROVIDER_ERROR"}



=== TEST 11: invalid JSON: 400, nothing sent
--- request eval
[
'POST /speak
{"text":"Hello","tts_config":',
'GET /__mock/count',
]
--- error_code eval
[400, 200]
--- response_body eval
['{"error":"Failed to parse the request body as JSON","code":"INVALID_JSON"}', '0']



=== TEST 12: wrong JSON types: 400, nothing sent
--- request eval
[
'POST /speak
{"text":["Hello"],"tts_config":{"provider":"deepgram"}}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram","sample_rate":"24000"}}',
'POST /speak
{"text":"Hello","tts_config":[]}',
'POST /v1/audio/speech
{"model":"tts-1","input":"Hi","speed":"fast"}',
'GET /__mock/count',
]
--- error_code eval
[400, 400, 400, 400, 200]
--- response_body eval
[
'{"error":"text must be a string","code":"INVALID_REQUEST"}',
'{"error":"tts_config.sample_rate must be a number","code":"INVALID_REQUEST"}',
'{"error":"tts_config must be an object","code":"INVALID_REQUEST"}',
'{"error":"speed must be a number","code":"INVALID_REQUEST"}',
'0',
]



=== TEST 13: missing and unknown providers: 400 with the configured list
--- request eval
[
'POST /speak
{"text":"Hello","tts_config":{}}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"polly"}}',
'GET /__mock/count',
]
--- error_code eval
[400, 400, 200]
--- response_body eval
[
'{"error":"tts_config.provider is required","code":"INVALID_PROVIDER"}',
'{"error":"Unknown TTS provider \'polly\' (configured providers: deepgram, elevenlabs, openai, cartesia, kokoro)","code":"INVALID_PROVIDER"}',
'0',
]



=== TEST 14: a provider without a key: 400 PROVIDER_NOT_CONFIGURED
--- http_config
    waav_provider deepgram key=env:WAAV_TEST_KEY_THAT_IS_NOT_SET;
--- request eval
[
'POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count',
]
--- error_code eval
[400, 200]
--- response_body eval
['{"error":"API key not configured for provider: deepgram","code":"PROVIDER_NOT_CONFIGURED"}', '0']



=== TEST 15: blank and oversized text
--- request eval
[
'POST /speak
{"text":"  \n\t ","tts_config":{"provider":"deepgram"}}',
'POST /speak
{"text":"' . ('a' x 10241) . '","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count',
]
--- error_code eval
[400, 400, 200]
--- response_body eval
[
'{"error":"Text cannot be empty","code":"INVALID_REQUEST"}',
'{"error":"Text too long: 10241 bytes exceeds maximum 10240 bytes","code":"TEXT_TOO_LONG"}',
'0',
]



=== TEST 16: text that is not UTF-8
--- request eval
[
"POST /speak
{\"text\":\"caf\xe9 \xff\",\"tts_config\":{\"provider\":\"deepgram\"}}",
'GET /__mock/count',
]
--- error_code eval
[400, 200]
--- response_body eval
['{"error":"Text is not valid UTF-8","code":"INVALID_REQUEST"}', '0']



=== TEST 17: voice_id and model values that would break the provider URL
--- request eval
[
(map { my $v = $_; "POST /speak\n{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"elevenlabs\",\"voice_id\":\"$v\"}}" }
    '../../v1/user', 'a/b', 'a%2Fb', 'a?x=1', 'a#b', 'a\\r\\nX-Injected: 1', 'v' x 257),
(map { my $v = $_; "POST /speak\n{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"deepgram\",\"model\":\"$v\"}}" }
    'aura/../x', 'a&encoding=mp3', 'a\\u0000'),
'GET /__mock/count',
]
--- error_code eval
[(400) x 10, 200]
--- response_body_like eval
[(qr/"code":"INVALID_REQUEST"/) x 10, qr/^0$/]



=== TEST 18: speaking_rate and sample_rate out of range
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"openai","speaking_rate":0}}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"openai","speaking_rate":100}}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"deepgram","sample_rate":-24000}}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"deepgram","sample_rate":99999999999}}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"deepgram","sample_rate":12345}}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"openai","sample_rate":16000}}',
'GET /__mock/count',
]
--- error_code eval
[400, 400, 400, 400, 400, 400, 200]
--- response_body eval
[
'{"error":"tts_config.speaking_rate must be from 0.25 to 4","code":"INVALID_REQUEST"}',
'{"error":"tts_config.speaking_rate must be from 0.25 to 4","code":"INVALID_REQUEST"}',
'{"error":"tts_config.sample_rate must be an integer from 8000 to 48000","code":"INVALID_REQUEST"}',
'{"error":"tts_config.sample_rate must be an integer from 8000 to 48000","code":"INVALID_REQUEST"}',
'{"error":"deepgram does not support sample_rate 12345 for linear16 (it can do 8000, 16000, 24000, 32000, 48000)","code":"UNSUPPORTED_OPTION"}',
'{"error":"openai does not support sample_rate 16000 for pcm (it can do 24000)","code":"UNSUPPORTED_OPTION"}',
'0',
]



=== TEST 19: a body over client_max_body_size is 413 JSON
--- config
    location = /small { client_max_body_size 64; waav_tts; }
--- request eval
[
'POST /small
{"text":"' . ('a' x 100) . '","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count',
]
--- error_code eval
[413, 200]
--- response_headers eval
["Content-Type: application/json", ""]
--- response_body eval
['{"error":"Request body too large","code":"PAYLOAD_TOO_LARGE"}', '0']



=== TEST 20: GET /speak is 405 JSON with Allow: POST
--- request
GET /speak
--- error_code: 405
--- response_headers
Allow: POST
Content-Type: application/json
--- response_body chomp
{"error":"Method not allowed: use POST","code":"METHOD_NOT_ALLOWED"}



=== TEST 21: a body that is not JSON by Content-Type is 415
--- more_headers
Content-Type: text/plain
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}
--- error_code: 415
--- response_body chomp
{"error":"Expected request with Content-Type: application/json","code":"UNSUPPORTED_MEDIA_TYPE"}



=== TEST 22: an empty body is 400
--- request
POST /speak
--- error_code: 400
--- response_body chomp
{"error":"Failed to parse the request body as JSON: empty body","code":"INVALID_JSON"}



=== TEST 23: unsupported format for the provider is 400 before the call
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"cartesia","voice_id":"a0e99841-438c-4a64-b679-ae501e7d6091","audio_format":"opus"}}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"cartesia"}}',
'GET /__mock/count',
]
--- error_code eval
[400, 400, 200]
--- response_body eval
[
'{"error":"cartesia does not support this audio_format (use linear16, wav, mulaw, alaw or mp3)","code":"UNSUPPORTED_OPTION"}',
'{"error":"a voice is required for cartesia (voice_id)","code":"INVALID_REQUEST"}',
'0',
]



=== TEST 24: a 30 KB body (10,000 bytes of text, escaped) stays in memory and works
--- request eval
[
'POST /speak
{"text":"' . ('\u00e9' x 5000) . '","tts_config":{"provider":"elevenlabs"}}',
'GET /__mock/last',
]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr/\n\n\{"text":"(\xc3\xa9){5000}","model_id":"eleven_multilingual_v2"\}$/]
--- no_error_log
client request body is buffered to a temporary file



=== TEST 25: a client that leaves mid-audio: the worker carries on serving
--- request eval
[
'POST /__mock/behavior
{"split":2048,"pause_ms":1500}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"elevenlabs"}}',
]
--- timeout: 0.5
--- abort
--- error_code eval
[204, 200]
--- response_body eval
['', Waav::Mock::mock_audio('elevenlabs', 2048)]
--- response_truncated
--- error_log
waav tts: provider "elevenlabs" done
--- no_error_log
[alert]
[crit]



=== TEST 26: a redirect from the provider is an error, not audio
--- config
    location /_redirect/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake302/;
    }
    location /fake302/ {
        return 302 http://example.invalid/;
    }
--- http_config
    waav_provider deepgram key=test-deepgram-key location=/_redirect;
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}
--- error_code: 502
--- response_body_like: ^\{"error":"Provider deepgram answered 302: [^"]*","code":"PROVIDER_ERROR"\}$



=== TEST 27: conditional headers do not turn a synthesis into 304 or 412
--- request eval
['POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}']
--- more_headers eval
["Content-Type: application/json\nIf-None-Match: *",
 "Content-Type: application/json\nIf-Match: \"x\"",
 "Content-Type: application/json\nIf-Unmodified-Since: Thu, 01 Jan 1970 00:00:01 GMT"]
--- error_code eval
[200, 200, 200]
--- response_body eval
[(Waav::Mock::mock_audio('deepgram', 16000)) x 3]



=== TEST 28: a raw NUL byte in the body is refused, not cut short
--- request eval
["POST /speak\n{\"text\":\"Hel\0lo secret\",\"tts_config\":{\"provider\":\"deepgram\"}}",
 'GET /__mock/count']
--- error_code eval
[400, 200]
--- response_body eval
['{"error":"JSON strings must not contain \\\\u0000","code":"INVALID_REQUEST"}', '0']



=== TEST 29: one answer only for an empty body (no "header already sent")
--- request
POST /speak
--- error_code: 400
--- no_error_log
[alert]
header already sent



=== TEST 30: a POST retried on the next provider server is sent whole again
--- http_config
    upstream deepgram_pool {
        server 127.0.0.1:1;
        server 127.0.0.1:$TEST_NGINX_MOCK_PORT;
    }
    waav_provider deepgram key=test-deepgram-key location=/_pool;
--- config
    location /_pool/ {
        internal;
        proxy_pass http://deepgram_pool/deepgram/;
        proxy_next_upstream error timeout non_idempotent;
    }
--- request eval
['POST /speak
{"text":"Hello again","tts_config":{"provider":"deepgram"}}',
'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body eval
[Waav::Mock::mock_audio('deepgram', 16000),
 ::last_request('POST /deepgram/v1/speak?model=aura-asteria-en&encoding=linear16&container=none&sample_rate=24000',
    '{"text":"Hello again"}',
    'authorization: Token test-deepgram-key',
    'content-type: application/json')]



=== TEST 31: a 200 that is not audio (a captive portal's page) is 502, none of it sent
--- request eval
['POST /__mock/behavior
{"content_type":"text/html"}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count']
--- error_code eval
[204, 502, 200]
--- response_headers eval
['', 'Content-Type: application/json', '']
--- response_body eval
['', '{"error":"Provider deepgram returned text/html, not audio","code":"PROVIDER_BAD_RESPONSE"}', '1']
--- error_log
waav: Provider deepgram returned text/html, not audio



=== TEST 32: OpenAI's route too; a JSON body with 200 is not audio either
--- request eval
['POST /__mock/behavior
{"content_type":"application/json"}',
'POST /v1/audio/speech
{"model":"tts-1","input":"Hello","voice":"alloy"}']
--- error_code eval
[204, 502]
--- response_body eval
['', '{"error":"Provider openai returned application/json, not audio","code":"PROVIDER_BAD_RESPONSE"}']



=== TEST 33: per adapter: octet-stream is audio from Deepgram, not from ElevenLabs
--- request eval
['POST /__mock/behavior
{"content_type":"application/octet-stream"}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}',
'POST /__mock/behavior
{"content_type":"application/octet-stream"}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"elevenlabs"}}']
--- error_code eval
[204, 200, 204, 502]
--- response_headers eval
['', 'Content-Type: audio/pcm', '', 'Content-Type: application/json']
--- response_body eval
['', Waav::Mock::mock_audio('deepgram', 16000), '',
 '{"error":"Provider elevenlabs returned application/octet-stream, not audio","code":"PROVIDER_BAD_RESPONSE"}']



=== TEST 34: no Content-Type at all is not audio; the quota is given back
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone chars:1m key=$remote_addr;
--- config
    location = /quota/speak {
        waav_limit zone=chars tts_chars=5/m;
        waav_tts;
    }
--- request eval
['POST /__mock/behavior
{"content_type":"none"}',
'POST /quota/speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}',
'POST /quota/speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}']
--- error_code eval
[204, 502, 200]
--- response_body eval
['', '{"error":"Provider deepgram returned no Content-Type, not audio","code":"PROVIDER_BAD_RESPONSE"}',
 Waav::Mock::mock_audio('deepgram', 16000)]



=== TEST 35: audio types with parameters pass, whatever their case
--- request eval
['POST /__mock/behavior
{"content_type":"AUDIO/L16"}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"cartesia","voice_id":"694f9389-aac1-45b6-b726-9d9369183238"}}']
--- error_code eval
[204, 200]
--- response_body eval
['', Waav::Mock::mock_audio('cartesia', 16000)]



=== TEST 36: a key twice, at any depth, is 400 on both routes: no layer may read the first value while another reads the second
--- request eval
['POST /speak
{"text":"hi","text":"","tts_config":{"provider":"deepgram"}}',
'POST /speak
{"text":"hi","tts_config":{"provider":"deepgram","provider":"openai"}}',
'POST /speak
{"text":"hi","tts_config":{"provider":"deepgram","pronunciations":[{"word":"hi","word":"ho","pronunciation":"x"}]}}',
'POST /v1/audio/speech
{"model":"tts-1","input":"Hi","voice":"alloy","input":"x"}',
'POST /v1/audio/speech
{"model":"tts-1","input":"Hi","voice":"alloy","\u0076oice":"nova"}',
'GET /__mock/count']
--- error_code eval
[400, 400, 400, 400, 400, 200]
--- response_body eval
[('{"error":"A JSON object has the same key twice","code":"INVALID_REQUEST"}') x 5, '0']
