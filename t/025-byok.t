# What WaaV's clients send on /speak: their own provider key (waav_byok),
# provider names in any case and WaaV's aliases, the SDKs' flat body, and
# OpenAI's model and voice names as WaaV reads them (/v1/audio/speech takes
# them as named).  The mock says what the provider received.
use Waav::Blocks 'no_plan';
use Waav::Mock ();
use Waav::Tts;
use Cwd qw(getcwd);

$ENV{TEST_NGINX_WAAV_ROOT} = getcwd();

# a WAV of silence: 16 kHz, mono, 16-bit
sub main::wav {
    my ($seconds) = @_;
    my $data = "\0" x (16000 * 2 * $seconds);
    return 'RIFF' . pack('V', 36 + length $data) . 'WAVE'
         . 'fmt ' . pack('VvvVVvv', 16, 1, 1, 16000, 32000, 2, 16)
         . 'data' . pack('V', length $data) . $data;
}

tts_defaults();
log_level('info');

no_root_location();
run_tests();

__DATA__

=== TEST 1: BYOK off (the default): a client's key is refused, nobody is called
--- request eval
['POST /__mock/reset', 'POST /speak
{"text":"Hello","tts_config":{"provider":"openai","api_key":"client-key-0123456789"}}',
'GET /__mock/count']
--- error_code eval
[204, 403, 200]
--- response_body eval
['', '{"error":"This server does not accept clients\' provider API keys (api_key, X-Provider-Api-Key); send the request without one","code":"BYOK_DISABLED"}', '0']
--- no_error_log
client-key-0123456789



=== TEST 2: BYOK off: the X-Provider-Api-Key header is refused too
--- more_headers
Content-Type: application/json
X-Provider-Api-Key: client-key-0123456789
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}
--- error_code: 403
--- response_body_like: "code":"BYOK_DISABLED"



=== TEST 3: BYOK on, a provider declared without a key: the client's key is used (was 400 PROVIDER_NOT_CONFIGURED)
--- http_config
    waav_byok on;
    waav_provider openai;
--- request eval
['POST /speak
{"text":"Hello","tts_config":{"provider":"openai","api_key":"test-openai-key"}}',
'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr/\nauthorization: Bearer test-openai-key\n/]
--- no_error_log
test-openai-key



=== TEST 4: BYOK on: the client's key wins over the server's, for that call only
--- http_config
    waav_byok on;
    waav_provider openai key=server-key-ABCDEFGHIJKL;
--- request eval
['POST /speak
{"text":"Hello","tts_config":{"provider":"openai","api_key":"test-openai-key"}}',
'GET /__mock/last',
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai"}}',
'GET /__mock/last']
--- error_code eval
[200, 200, 502, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr/\nauthorization: Bearer test-openai-key\n/,
 qr/"code":"PROVIDER_ERROR"/, qr/\nauthorization: Bearer server-key-ABCDEFGHIJKL\n/]
--- response_body_unlike eval
[qr/server-key/, qr/^$/, qr/ABCDEFGH|server-key/, qr/^$/]



=== TEST 5: BYOK on: X-Provider-Api-Key (the dashboard's header) is the key when the body has none
--- http_config
    waav_byok on;
    waav_provider deepgram;
--- more_headers
Content-Type: application/json
X-Provider-Api-Key: test-deepgram-key
--- request eval
['POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}',
'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr/\nauthorization: Token test-deepgram-key\n/]



=== TEST 6: BYOK on: the body's api_key wins over the header
--- http_config
    waav_byok on;
    waav_provider deepgram;
--- more_headers
Content-Type: application/json
X-Provider-Api-Key: header-key-0123456789
--- request eval
['POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram","api_key":"test-deepgram-key"}}',
'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr/\nauthorization: Token test-deepgram-key\n/]
--- no_error_log
header-key-0123456789



=== TEST 7: a client's key that could not be a header is refused, never quoted
--- http_config
    waav_byok on;
--- request eval
['POST /__mock/reset',
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai","api_key":"sk-bad\r\nX-Injected: 1"}}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai","api_key":"sk-bad key"}}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai","api_key":"' . ('k' x 4097) . '"}}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai","api_key":42}}',
'GET /__mock/count']
--- error_code eval
[204, 400, 400, 400, 400, 200]
--- response_body eval
['',
'{"error":"tts_config.api_key must be up to 4096 bytes of visible ASCII","code":"INVALID_REQUEST"}',
'{"error":"tts_config.api_key must be up to 4096 bytes of visible ASCII","code":"INVALID_REQUEST"}',
'{"error":"tts_config.api_key must be up to 4096 bytes of visible ASCII","code":"INVALID_REQUEST"}',
'{"error":"tts_config.api_key must be a string","code":"INVALID_REQUEST"}',
'0']



=== TEST 8: a header key with a control character is refused, never quoted
--- http_config
    waav_byok on;
    waav_provider openai key=test-openai-key;
--- more_headers eval
"Content-Type: application/json\r\nX-Provider-Api-Key: sk-bad\x01key-XYZ"
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"openai"}}
--- error_code: 400
--- response_body: {"error":"X-Provider-Api-Key must be 1-4096 bytes of visible ASCII","code":"INVALID_REQUEST"}



=== TEST 9: a provider that quotes the client's key in its refusal: the key is scrubbed from the answer and the log
--- http_config
    waav_byok on;
    waav_provider openai key=server-key-ABCDEFGHIJKL;
--- no_default_locations
--- config
    location = /speak { waav_tts; }
    location /_waav/openai/ {
        internal;
        default_type application/json;
        return 401 '{"error":{"message":"Incorrect API key provided: $http_authorization","code":"invalid_api_key"}}';
    }
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"openai","api_key":"byok-SECRET-0123456789"}}
--- error_code: 502
--- response_body_like: ^\{"error":"Provider openai answered 401: Incorrect API key provided: Bearer \S+","code":"PROVIDER_ERROR"\}$
--- response_body_unlike: SECRET|0123456789
--- error_log
waav: Provider openai answered 401
--- no_error_log
byok-SECRET
SECRET-0123456789



=== TEST 10: BYOK with a provider that exchanges its key for a token (azure): the client's key is sent as it is, no exchange, the server's token untouched
--- http_config
    waav_byok on;
    waav_provider azure key=server-azure-key-ABCDEFGH;
--- config
    location /_waav/azure/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/azure/;
    }
    location /_waav/azure-token/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/azure-token/;
    }
--- request eval
['POST /__mock/reset', 'POST /speak
{"text":"Hello","tts_config":{"provider":"azure","api_key":"test-azure-key"}}',
'GET /__mock/last', 'GET /__mock/count?provider=azure-token',
'POST /speak
{"text":"Hello","tts_config":{"provider":"azure","api_key":"client-wrong-key-0123456789"}}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"azure"}}',
'GET /__mock/count?provider=azure-token']
--- error_code eval
[204, 200, 200, 200, 502, 502, 200]
--- response_body_like eval
['^$', qr/^.{16000}$/s,
 qr{^POST /azure/cognitiveservices/v1\n(?:(?!authorization:).)*\nocp-apim-subscription-key: test-azure-key\n}s,
 '^0$', qr/^\{"error":"Provider azure answered 401: [^"]*","code":"PROVIDER_ERROR"\}$/,
 qr/"code":"PROVIDER_AUTH_FAILED"/, '^1$']
--- response_body_unlike eval
['x^', 'x^', 'x^', 'x^', qr/0123456789|client-wrong/, qr/ABCDEFGH/, 'x^']
--- no_error_log
client-wrong-key
test-azure-key



=== TEST 11: the quota is charged to a BYOK call as to any
--- http_config
    waav_byok on;
    waav_provider deepgram;
    waav_limit_zone chars:1m key=$remote_addr;
--- config
    location = /quota/speak {
        waav_limit zone=chars tts_chars=8/d;
        waav_tts;
    }
--- request eval
['POST /quota/speak
{"text":"Hello","tts_config":{"provider":"deepgram","api_key":"test-deepgram-key"}}',
'POST /quota/speak
{"text":"Hello","tts_config":{"provider":"deepgram","api_key":"test-deepgram-key"}}']
--- error_code eval
[200, 429]
--- response_body_like eval
[qr/^.{16000}$/s, qr/"code":"QUOTA_EXCEEDED"/]



=== TEST 12: provider names in any case
--- request eval
['POST /speak
{"text":"Hello","tts_config":{"provider":"Deepgram"}}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"OPENAI"}}',
'GET /__mock/last',
'POST /speak
{"text":"Hello","tts_config":{"provider":"KOKORO"}}']
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr/^.{16000}$/s, qr{^POST /openai/v1/audio/speech\n}, qr/^.{16000}$/s]



=== TEST 13: a type's name or alias reaches the provider declared of that type
--- http_config
    waav_provider kokoro type=openai-compatible;
    waav_provider openai2 type=openai key=test-openai-key;
--- request eval
['POST /speak
{"text":"Hello","tts_config":{"provider":"OpenAI_Compatible"}}',
'GET /__mock/last',
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai"}}',
'GET /__mock/last']
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr{^POST /compat/v1/audio/speech\n}, qr/^.{16000}$/s, qr{^POST /openai/v1/audio/speech\n}]
--- config
    location /_waav/openai2/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/openai/v1/;
    }



=== TEST 14: WaaV's name for azure (microsoft-azure) and an unknown name, which lists the configured ones
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_provider azure key=test-azure-key;
--- request eval
['POST /speak
{"text":"Hello","tts_config":{"provider":"Microsoft-Azure","api_key":"x"}}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"polly"}}']
--- error_code eval
[403, 400]
--- response_body eval
['{"error":"This server does not accept clients\' provider API keys (api_key, X-Provider-Api-Key); send the request without one","code":"BYOK_DISABLED"}',
'{"error":"Unknown TTS provider \'polly\' (configured providers: deepgram, azure)","code":"INVALID_PROVIDER"}']



=== TEST 15: the SDKs' flat body (RestClient.speak) is the nested one
--- request eval
['POST /speak
{"text":"Hello","provider":"deepgram","voice_id":"aura-luna-en","sample_rate":24000,"audio_format":"linear16"}',
'GET /__mock/last',
'POST /speak
{"text":"Hello","provider":"openai","voice":"nova","model":"tts-1-hd","sample_rate":24000}',
'GET /__mock/last']
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr{^POST /deepgram/v1/speak\?model=aura-luna-en&encoding=linear16\S*&sample_rate=24000\n},
 qr/^.{16000}$/s, qr/"model":"tts-1-hd".*"voice":"nova"/s]



=== TEST 16: both shapes: tts_config alone counts (as WaaV), the top level is ignored
--- request eval
['POST /speak
{"text":"Hello","provider":"openai","voice_id":"bogus voice","tts_config":{"provider":"deepgram","voice_id":"aura-luna-en"}}',
'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr{^POST /deepgram/v1/speak\?model=aura-luna-en}]



=== TEST 17: flat body errors name the top-level fields
--- request eval
['POST /speak
{"text":"Hello"}',
'POST /speak
{"text":"Hello","provider":"deepgram","sample_rate":"24000"}']
--- error_code eval
[400, 400]
--- response_body eval
['{"error":"tts_config is required (or provider and the other settings at the top level)","code":"INVALID_REQUEST"}',
'{"error":"sample_rate must be a number","code":"INVALID_REQUEST"}']



=== TEST 18: OpenAI on /speak: WaaV's names (the dashboard sends the voice as the model)
--- request eval
['POST /speak
{"text":"Hello","tts_config":{"provider":"openai","model":"nova","voice_id":"nova"}}',
'GET /__mock/last',
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai","model":"TTS1HD","voice_id":"Shimmer"}}',
'GET /__mock/last',
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai","model":"aura-asteria-en","voice_id":"aura-asteria-en"}}',
'GET /__mock/last',
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai","model":"gpt-4o-mini-tts-2025-12-15","voice_id":"marin"}}',
'GET /__mock/last']
--- error_code eval
[200, 200, 200, 200, 200, 200, 200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr/"model":"tts-1".*"voice":"nova"/s,
 qr/^.{16000}$/s, qr/"model":"tts-1-hd".*"voice":"shimmer"/s,
 qr/^.{16000}$/s, qr/"model":"tts-1".*"voice":"alloy"/s,
 qr/^.{16000}$/s, qr/"model":"gpt-4o-mini-tts-2025-12-15".*"voice":"marin"/s]



=== TEST 19: OpenAI's own API (/v1/audio/speech) takes model and voice as named
--- request eval
['POST /v1/audio/speech
{"model":"openai/nova","input":"Hello","voice":"nova"}',
'GET /__mock/last',
'POST /v1/audio/speech
{"model":"tts-1","input":"Hello","voice":"Shimmer"}',
'GET /__mock/last']
--- error_code eval
[502, 200, 502, 200]
--- response_body_like eval
[qr/"code":"PROVIDER_ERROR"/, qr/"model":"nova"/, qr/"code":"PROVIDER_ERROR"/, qr/"voice":"Shimmer"/]



=== TEST 20: /listen: provider names in any case too
--- config
    location = /listen { waav_stt deepgram; }
--- more_headers
Content-Type: audio/wav
--- request eval
["POST /listen?provider=OpenAI\n" . ::wav(1), 'GET /__mock/last',
 "POST /listen?provider=DEEPGRAM\n" . ::wav(1), 'GET /__mock/last',
 "POST /listen?provider=polly\n" . ::wav(1)]
--- error_code eval
[200, 200, 200, 200, 400]
--- response_body_like eval
[qr/"provider":"openai"/, qr{^POST /openai/v1/audio/transcriptions\n},
 qr/"provider":"deepgram"/, qr{^POST /deepgram/v1/listen\?},
 qr/^\{"error":"Unknown STT provider 'polly' \(configured providers: deepgram, elevenlabs, openai, cartesia, kokoro\)","code":"INVALID_PROVIDER"\}$/]



=== TEST 21: with the TTS cache (conf/waav/tts-cache.conf), a BYOK synthesis is neither served from it nor stored
--- http_config
    proxy_cache_path tts_cache levels=1:2 keys_zone=waav_tts:1m max_size=100m
                     inactive=1d use_temp_path=off;
    waav_byok on;
    waav_provider deepgram key=test-deepgram-key location=/_cached/deepgram;
--- config
    location /_cached/ {
        internal;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_buffering off;

        location /_cached/deepgram/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/;
            include $TEST_NGINX_WAAV_ROOT/conf/waav/tts-cache.conf;
        }
    }
--- request eval
['POST /__mock/reset',
'POST /speak
{"text":"Cache me","tts_config":{"provider":"deepgram"}}',
'POST /speak
{"text":"Cache me","tts_config":{"provider":"deepgram","api_key":"test-deepgram-key"}}',
'POST /speak
{"text":"Cache BYOK","tts_config":{"provider":"deepgram","api_key":"test-deepgram-key"}}',
'POST /speak
{"text":"Cache BYOK","tts_config":{"provider":"deepgram"}}',
'POST /speak
{"text":"Cache me","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count']
--- error_code eval
[204, 200, 200, 200, 200, 200, 200]
--- response_body eval
['', Waav::Mock::mock_audio('deepgram', 16000), Waav::Mock::mock_audio('deepgram', 16000),
 Waav::Mock::mock_audio('deepgram', 16000), Waav::Mock::mock_audio('deepgram', 16000),
 Waav::Mock::mock_audio('deepgram', 16000), '4']



=== TEST 22: /listen: X-Provider-Api-Key with waav_byok on, for a provider declared without a key
--- http_config
    waav_byok on;
    waav_provider deepgram;
--- config
    location = /listen { waav_stt deepgram; }
--- more_headers
Content-Type: audio/wav
X-Provider-Api-Key: test-deepgram-key
--- request eval
["POST /listen\n" . ::wav(1), 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/"provider":"deepgram"/, qr{\nauthorization: Token test-deepgram-key\n}]



=== TEST 23: /v1/audio/speech: the provider part of provider/model in any case
--- request eval
['POST /v1/audio/speech
{"model":"OpenAI/tts-1","input":"Hello","voice":"nova","response_format":"pcm"}',
'GET /__mock/last',
'POST /v1/audio/speech
{"model":"DEEPGRAM/aura-luna-en","input":"Hello","response_format":"pcm"}',
'GET /__mock/last']
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr/"model":"tts-1"/, qr/^.{16000}$/s, qr{^POST /deepgram/v1/speak\?model=aura-luna-en}]



=== TEST 24: /voices?provider= with X-Provider-Api-Key where waav_byok is off: 403 BYOK_DISABLED, nobody asked, the key not echoed
--- config
    location = /voices { waav_voices direct; }
--- request eval
['POST /__mock/reset', 'GET /voices?provider=deepgram', 'GET /__mock/count']
--- more_headers eval
["", "X-Provider-Api-Key: caller-key-0123456789", ""]
--- error_code eval
[204, 403, 200]
--- response_body_like eval
['^$', qr/^\{"error":"[^"]*","code":"BYOK_DISABLED"\}$/, '^0$']
--- response_body_unlike eval
['x^', qr/0123456789/, 'x^']



=== TEST 25: /voices?provider= with the caller's key: a provider declared without a key is listed with it; without it, 400 PROVIDER_NOT_CONFIGURED; a key it refuses is the provider's refusal (502), scrubbed
--- http_config
    waav_byok on;
    waav_provider cartesia;
--- config
    location = /voices { waav_voices direct; }
--- request eval
['POST /__mock/reset', 'GET /voices?provider=cartesia', 'GET /__mock/last',
 'GET /voices?provider=cartesia', 'GET /voices?provider=cartesia', 'GET /voices?provider=cartesia&x=1']
--- more_headers eval
["", "X-Provider-Api-Key: test-cartesia-key", "", "", "X-Provider-Api-Key: caller-wrong-0123456789", "X-Provider-Api-Key: a b"]
--- error_code eval
[204, 200, 200, 400, 502, 400]
--- response_body_like eval
['^$', qr/^\{"cartesia":\[\{"id":/, qr{^GET /cartesia/voices\?limit=100\nauthorization: Bearer test-cartesia-key\n}s,
 qr/^\{"error":"API key not configured for provider: cartesia","code":"PROVIDER_NOT_CONFIGURED"\}$/,
 qr/^\{"error":"Provider cartesia answered 401: [^"]*","code":"PROVIDER_ERROR"\}$/,
 qr/^\{"error":"X-Provider-Api-Key must be 1-4096 bytes of visible ASCII","code":"INVALID_REQUEST"\}$/]
--- response_body_unlike eval
['x^', 'x^', 'x^', 'x^', qr/0123456789|caller-wrong/, qr/a b/]
--- no_error_log
caller-wrong
