# waav_tts: WaaV's POST /speak and OpenAI's POST /v1/audio/speech through
# every TTS adapter, against the provider mock (t/mock).  Each success test
# checks the audio byte for byte, the headers, and the exact request the
# provider received (GET /__mock/last).
use Waav::Blocks 'no_plan';
use Waav::Mock qw(mock_audio);
use Waav::Tts;

tts_defaults();

no_root_location();
run_tests();

__DATA__

=== TEST 1: deepgram: /speak with WaaV's defaults
--- request eval
[
'POST /speak
{"text":"Hello from waav","tts_config":{"provider":"deepgram"}}',
'GET /__mock/last',
]
--- error_code eval
[200, 200]
--- response_headers eval
["Content-Type: audio/pcm
Content-Length: 16000
x-audio-format: linear16
x-sample-rate: 24000
X-Content-Type-Options: nosniff", ""]
--- response_body eval
[
Waav::Mock::mock_audio('deepgram', 16000),
::last_request('POST /deepgram/v1/speak?model=aura-asteria-en&encoding=linear16&container=none&sample_rate=24000',
    '{"text":"Hello from waav"}',
    'authorization: Token test-deepgram-key',
    'content-type: application/json'),
]
--- no_error_log
[error]



=== TEST 2: deepgram: model, mulaw at 8000 and speed
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"deepgram","model":"aura-2-thalia-en","audio_format":"mulaw","sample_rate":8000,"speaking_rate":1.2}}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/basic
x-audio-format: mulaw
x-sample-rate: 8000", ""]
--- response_body eval
[
Waav::Mock::mock_audio('deepgram', 16000),
::last_request('POST /deepgram/v1/speak?model=aura-2-thalia-en&encoding=mulaw&container=none&sample_rate=8000&speed=1.2',
    '{"text":"Hi"}',
    'authorization: Token test-deepgram-key',
    'content-type: application/json'),
]



=== TEST 3: elevenlabs: streaming endpoint, mp3, speed in voice_settings
--- request eval
[
'POST /speak
{"text":"Hello","tts_config":{"provider":"elevenlabs","model":"eleven_flash_v2_5","audio_format":"mp3","speaking_rate":1.1}}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/mpeg
x-audio-format: mp3
x-sample-rate: 44100
!Content-Length", ""]
--- response_body eval
[
Waav::Mock::mock_audio('elevenlabs', 16000),
::last_request('POST /elevenlabs/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream?output_format=mp3_44100_128',
    '{"text":"Hello","model_id":"eleven_flash_v2_5","voice_settings":{"speed":1.1}}',
    'accept: audio/mpeg',
    'content-type: application/json',
    'xi-api-key: test-elevenlabs-key'),
]



=== TEST 4: elevenlabs: pcm at 16000 with another voice
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"elevenlabs","voice_id":"EXAVITQu4vr4xnSDxMaL","audio_format":"pcm","sample_rate":16000}}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/pcm
x-audio-format: pcm
x-sample-rate: 16000", ""]
--- response_body eval
[
Waav::Mock::mock_audio('elevenlabs', 16000),
::last_request('POST /elevenlabs/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL/stream?output_format=pcm_16000',
    '{"text":"Hi","model_id":"eleven_multilingual_v2"}',
    'accept: audio/pcm',
    'content-type: application/json',
    'xi-api-key: test-elevenlabs-key'),
]



=== TEST 5: openai: /speak with a voice and wav
--- request eval
[
'POST /speak
{"text":"Hello","tts_config":{"provider":"openai","voice_id":"nova","audio_format":"wav"}}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/wav
x-audio-format: wav
x-sample-rate: 24000", ""]
--- response_body eval
[
Waav::Mock::mock_wav('openai', 24000),
::last_request('POST /openai/v1/audio/speech',
    '{"model":"tts-1","input":"Hello","voice":"nova","response_format":"wav"}',
    'authorization: Bearer test-openai-key',
    'content-type: application/json'),
]



=== TEST 6: cartesia: /speak with a voice id, linear16 at 16000
--- request eval
[
'POST /speak
{"text":"Hello","tts_config":{"provider":"cartesia","voice_id":"a0e99841-438c-4a64-b679-ae501e7d6091","sample_rate":16000}}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/pcm
x-audio-format: linear16
x-sample-rate: 16000", ""]
--- response_body eval
[
Waav::Mock::mock_audio('cartesia', 16000),
::last_request('POST /cartesia/tts/bytes',
    '{"model_id":"sonic-2","transcript":"Hello","voice":{"mode":"id","id":"a0e99841-438c-4a64-b679-ae501e7d6091"},"output_format":{"container":"raw","encoding":"pcm_s16le","sample_rate":16000},"language":"en"}',
    'authorization: Bearer test-cartesia-key',
    'cartesia-version: 2025-04-16',
    'content-type: application/json'),
]



=== TEST 7: an OpenAI-compatible server by base URL, no key
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"kokoro","model":"kokoro","voice_id":"af_heart","audio_format":"mp3"}}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/mpeg", ""]
--- response_body eval
[
Waav::Mock::mock_audio('compat', 16000),
::last_request('POST /compat/v1/audio/speech',
    '{"model":"kokoro","input":"Hi","voice":"af_heart","response_format":"mp3"}',
    'content-type: application/json'),
]



=== TEST 8: pronunciations are applied to whole words before synthesis
--- request eval
[
'POST /speak
{"text":"SQL is not mySQL, but SQL.","tts_config":{"provider":"deepgram","pronunciations":[{"word":"SQL","pronunciation":"sequel"}]}}',
'GET /__mock/last',
]
--- response_body_like eval
[qr/^/, qr/\n\n\{"text":"sequel is not mySQL, but sequel\."\}$/]



=== TEST 9: /v1/audio/speech: an OpenAI model goes to openai, mp3 by default
--- request eval
[
'POST /v1/audio/speech
{"model":"tts-1","input":"Hello","voice":"alloy"}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/mpeg
x-audio-format: mp3", ""]
--- response_body eval
[
Waav::Mock::mock_audio('openai', 16000),
::last_request('POST /openai/v1/audio/speech',
    '{"model":"tts-1","input":"Hello","voice":"alloy","response_format":"mp3"}',
    'authorization: Bearer test-openai-key',
    'content-type: application/json'),
]



=== TEST 10: /v1/audio/speech: provider/model picks deepgram; speed and pcm
--- request eval
[
'POST /v1/audio/speech
{"model":"deepgram/aura-2-thalia-en","input":"Hi","response_format":"pcm","speed":0.9}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/pcm
x-audio-format: pcm
x-sample-rate: 24000", ""]
--- response_body eval
[
Waav::Mock::mock_audio('deepgram', 16000),
::last_request('POST /deepgram/v1/speak?model=aura-2-thalia-en&encoding=linear16&container=none&sample_rate=24000&speed=0.9',
    '{"text":"Hi"}',
    'authorization: Token test-deepgram-key',
    'content-type: application/json'),
]



=== TEST 11: /v1/audio/speech: an ElevenLabs model name picks elevenlabs
--- request eval
[
'POST /v1/audio/speech
{"model":"eleven_multilingual_v2","input":"Hi","voice":"pNInz6obpgDQGcFmaJgB"}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/mpeg", ""]
--- response_body eval
[
Waav::Mock::mock_audio('elevenlabs', 16000),
::last_request('POST /elevenlabs/v1/text-to-speech/pNInz6obpgDQGcFmaJgB/stream?output_format=mp3_44100_128',
    '{"text":"Hi","model_id":"eleven_multilingual_v2"}',
    'accept: audio/mpeg',
    'content-type: application/json',
    'xi-api-key: test-elevenlabs-key'),
]



=== TEST 12: /v1/audio/speech: a sonic model picks cartesia
--- request eval
[
'POST /v1/audio/speech
{"model":"sonic-2","input":"Hi","voice":"a0e99841-438c-4a64-b679-ae501e7d6091","response_format":"wav"}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/wav
x-sample-rate: 24000", ""]
--- response_body eval
[
Waav::Mock::mock_wav('cartesia', 24000),
::last_request('POST /cartesia/tts/bytes',
    '{"model_id":"sonic-2","transcript":"Hi","voice":{"mode":"id","id":"a0e99841-438c-4a64-b679-ae501e7d6091"},"output_format":{"container":"wav","encoding":"pcm_s16le","sample_rate":24000},"language":"en"}',
    'authorization: Bearer test-cartesia-key',
    'cartesia-version: 2025-04-16',
    'content-type: application/json'),
]



=== TEST 13: /v1/audio/speech: instructions reach OpenAI
--- request eval
[
'POST /v1/audio/speech
{"model":"openai/gpt-4o-mini-tts","input":"Hi","voice":"coral","instructions":"Speak like a pirate"}',
'GET /__mock/last',
]
--- response_body eval
[
Waav::Mock::mock_audio('openai', 16000),
::last_request('POST /openai/v1/audio/speech',
    '{"model":"gpt-4o-mini-tts","input":"Hi","voice":"coral","response_format":"mp3","instructions":"Speak like a pirate"}',
    'authorization: Bearer test-openai-key',
    'content-type: application/json'),
]



=== TEST 14: /v1/audio/speech: a model nobody serves is 400, provider untouched
--- request eval
[
'POST /v1/audio/speech
{"model":"whisper-tts-9","input":"Hi"}',
'GET /__mock/count',
]
--- error_code eval
[400, 200]
--- response_body eval
[
'{"error":"No configured provider serves model \'whisper-tts-9\'; name one as provider/model (configured providers: deepgram, elevenlabs, openai, cartesia, kokoro)","code":"INVALID_PROVIDER"}',
'0',
]



=== TEST 15: streaming: the first 4 KiB arrive before the provider's pause ends
--- request eval
[
'POST /__mock/behavior
{"split":4096,"pause_ms":1500}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"elevenlabs"}}',
]
--- error_code eval
[204, 200]
--- first_body_bytes_before_end: 4096 0.75
--- min_duration: 1.5
--- response_body eval
['', Waav::Mock::mock_audio('elevenlabs', 16000)]



=== TEST 16: /v1/audio/speech to an OpenAI-compatible server by provider/model
--- request eval
[
'POST /v1/audio/speech
{"model":"kokoro/kokoro","input":"Hi","voice":"af_heart","response_format":"wav","speed":1.2}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/wav
x-audio-format: wav", ""]
--- response_body eval
[
Waav::Mock::mock_wav('compat', 24000),
::last_request('POST /compat/v1/audio/speech',
    '{"model":"kokoro","input":"Hi","voice":"af_heart","response_format":"wav","speed":1.2}',
    'content-type: application/json'),
]



=== TEST 17: audio inside JSON (Google): the response hook decodes it as it arrives, in pieces; raw PCM loses Google's WAV header, wav keeps it
--- http_config
    waav_provider google key=test-google-key location=/_google;
--- config eval
# 2,400 bytes of "audio": Google's 44-byte WAV header, then a pattern
my $pcm = pack('C*', map { ($_ * 7) & 0xff } 0 .. 2355);
my $audio = pack('A4 V A4 A4 V v v V V v v A4 V', 'RIFF', 36 + length $pcm, 'WAVE', 'fmt ', 16,
                 1, 1, 24000, 48000, 2, 16, 'data', length $pcm) . $pcm;
require MIME::Base64;
my $b64 = MIME::Base64::encode_base64($audio, '');
"    location /_google/ {
        internal;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/fake-google/;
        proxy_buffering off;
        proxy_buffer_size 1k;
    }
    location = /fake-google/text:synthesize {
        if (\$http_x_goog_api_key != test-google-key) {
            return 401 '{\"error\":{\"message\":\"API key not valid\"}}';
        }
        default_type application/json;
        return 200 '{\"timepoints\": [{\"markName\": \"a\"}],\\n \"audioContent\": \"$b64\"}';
    }
    location = /google-key-check { return 204; }"
--- request eval
['POST /speak
{"text":"Hello","tts_config":{"provider":"google"}}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"google","audio_format":"wav"}}']
--- error_code eval
[200, 200]
--- response_headers eval
["Content-Type: audio/pcm\nx-audio-format: linear16\nx-sample-rate: 24000\n!Content-Length",
 "Content-Type: audio/wav\nx-audio-format: wav"]
--- response_body eval
[pack('C*', map { ($_ * 7) & 0xff } 0 .. 2355),
 pack('A4 V A4 A4 V v v V V v v A4 V', 'RIFF', 36 + 2356, 'WAVE', 'fmt ', 16, 1, 1, 24000, 48000, 2, 16, 'data', 2356)
 . pack('C*', map { ($_ * 7) & 0xff } 0 .. 2355)]
--- no_error_log
[alert]
[error]



=== TEST 18: a 200 without the audio the response hook expects is 502 PROVIDER_BAD_RESPONSE
--- http_config
    waav_provider google key=test-google-key location=/_google;
--- config
    location /_google/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake-google/;
    }
    location /fake-google/ {
        default_type application/json;
        return 200 '{"error": "no audio today"}';
    }
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"google"}}
--- error_code: 502
--- response_body chomp
{"error":"Provider google returned no audio","code":"PROVIDER_BAD_RESPONSE"}
--- error_log
answered without the audio its adapter expects



=== TEST 19: a browser's /speak without audio_format (WaaV's dashboard A/B): wav, which an <audio> element plays; the voice sent as the model is no model
--- request eval
[
'POST /speak
{"text":"Hello","tts_config":{"provider":"cartesia","voice_id":"a0e99841-438c-4a64-b679-ae501e7d6091","model":"a0e99841-438c-4a64-b679-ae501e7d6091"}}',
'GET /__mock/last',
]
--- more_headers eval
["Content-Type: application/json
Sec-Fetch-Site: same-origin
Sec-Fetch-Mode: cors
Sec-Fetch-Dest: empty", ""]
--- response_headers eval
["Content-Type: audio/wav
x-audio-format: wav
x-sample-rate: 24000", ""]
--- response_body eval
[
Waav::Mock::mock_wav('cartesia', 24000),
::last_request('POST /cartesia/tts/bytes',
    '{"model_id":"sonic-2","transcript":"Hello","voice":{"mode":"id","id":"a0e99841-438c-4a64-b679-ae501e7d6091"},"output_format":{"container":"wav","encoding":"pcm_s16le","sample_rate":24000},"language":"en"}',
    'authorization: Bearer test-cartesia-key',
    'cartesia-version: 2025-04-16',
    'content-type: application/json'),
]



=== TEST 20: a browser (Origin) that names audio_format gets it; elevenlabs: the voice as the model is the default model
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"elevenlabs","voice_id":"EXAVITQu4vr4xnSDxMaL","model":"EXAVITQu4vr4xnSDxMaL","audio_format":"pcm","sample_rate":16000}}',
'GET /__mock/last',
]
--- more_headers eval
["Content-Type: application/json
Origin: https://app.example", ""]
--- response_headers eval
["Content-Type: audio/pcm
x-audio-format: pcm
x-sample-rate: 16000", ""]
--- response_body eval
[
Waav::Mock::mock_audio('elevenlabs', 16000),
::last_request('POST /elevenlabs/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL/stream?output_format=pcm_16000',
    '{"text":"Hi","model_id":"eleven_multilingual_v2"}',
    'accept: audio/pcm',
    'content-type: application/json',
    'xi-api-key: test-elevenlabs-key'),
]



=== TEST 21: deepgram's model is its voice: the same name twice is that voice
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"deepgram","voice_id":"aura-2-thalia-en","model":"aura-2-thalia-en"}}',
'GET /__mock/last',
]
--- response_headers eval
["Content-Type: audio/pcm
x-audio-format: linear16", ""]
--- response_body eval
[
Waav::Mock::mock_audio('deepgram', 16000),
::last_request('POST /deepgram/v1/speak?model=aura-2-thalia-en&encoding=linear16&container=none&sample_rate=24000',
    '{"text":"Hi"}',
    'authorization: Token test-deepgram-key',
    'content-type: application/json'),
]



=== TEST 22: Node's fetch (the SDKs) sends Sec-Fetch-Mode, not Origin or Sec-Fetch-Dest: WaaV's linear16
--- request
POST /speak
{"text":"Hi","tts_config":{"provider":"deepgram"}}
--- more_headers
Content-Type: application/json
accept: */*
sec-fetch-mode: cors
user-agent: node
--- error_code: 200
--- response_headers
Content-Type: audio/pcm
x-audio-format: linear16
--- response_body eval
Waav::Mock::mock_audio('deepgram', 16000)



=== TEST 23: the SDKs' flat body from a browser: linear16, which their speak() reports when no format is asked
--- request
POST /speak
{"text":"Hi","provider":"deepgram"}
--- more_headers
Content-Type: application/json
Origin: https://app.example
Sec-Fetch-Dest: empty
--- error_code: 200
--- response_headers
Content-Type: audio/pcm
x-audio-format: linear16
--- response_body eval
Waav::Mock::mock_audio('deepgram', 16000)
