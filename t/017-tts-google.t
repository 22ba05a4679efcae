# waav_tts with Google Cloud Text-to-Speech (an API key) against the
# provider mock's imitation of text:synthesize: WaaV's /speak and OpenAI's
# /v1/audio/speech, the audio decoded from the JSON answer byte for byte
# (Google's WAV header dropped unless the client asked for wav), the exact
# request Google received, and Google's errors as the other adapters map
# them (t/011-tts-errors.t): 502 with the provider's message, 429 passed on,
# what Google would refuse never sent.
use Waav::Blocks 'no_plan';
use Waav::Mock qw(mock_audio);
use Waav::Tts ();
use Cwd qw(getcwd);

# the shipped configuration snippets (conf/waav/tts-cache.conf)
$ENV{TEST_NGINX_WAAV_ROOT} = getcwd();

# Google's LINEAR16 / MULAW / ALAW answer: a WAV file (format tag, bits)
sub google_wav {
    my ($tag, $bits, $rate, $data) = @_;
    return pack('A4 V A4 A4 V v v V V v v A4 V', 'RIFF', 36 + length $data,
                'WAVE', 'fmt ', 16, $tag, 1, $rate, $rate * $bits / 8,
                $bits / 8, $bits, 'data', length $data) . $data;
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', "    waav_provider google key=test-google-key;\n")
        unless defined $block->http_config;
    $block->set_value('config', <<'_EOC_' . ($block->config // ''));
    location = /speak { waav_tts; }
    location = /v1/audio/speech { waav_tts openai; }
    location /__mock/ { proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT; }
    location /_waav/ {
        internal;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_buffering off;
        proxy_read_timeout 5s;
        location /_waav/google/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/google/v1/;
        }
    }
_EOC_
    $block->set_value('more_headers', 'Content-Type: application/json')
        unless defined $block->more_headers;
});

no_root_location();
run_tests();

__DATA__

=== TEST 1: /speak with the defaults: LINEAR16 at 24000 Hz, the WAV header dropped
--- request eval
[
'POST /speak
{"text":"Hello from waav","tts_config":{"provider":"google"}}',
'GET /__mock/last',
]
--- error_code eval
[200, 200]
--- response_headers eval
["Content-Type: audio/pcm
x-audio-format: linear16
x-sample-rate: 24000
X-Content-Type-Options: nosniff", ""]
--- response_body eval
[
Waav::Mock::mock_audio('google', 16000),
::last_request('POST /google/v1/text:synthesize',
    '{"input":{"text":"Hello from waav"},"voice":{"languageCode":"en-US","name":"en-US-Standard-C"},"audioConfig":{"audioEncoding":"LINEAR16","sampleRateHertz":24000}}',
    'content-type: application/json',
    'x-goog-api-key: test-google-key'),
]
--- no_error_log
[error]



=== TEST 2: wav keeps Google's WAV header, whole
--- request
POST /speak
{"text":"Hi","tts_config":{"provider":"google","audio_format":"wav","sample_rate":16000}}
--- error_code: 200
--- response_headers
Content-Type: audio/wav
x-audio-format: wav
x-sample-rate: 16000
--- response_body eval
main::google_wav(1, 16, 16000, Waav::Mock::mock_audio('google', 16000))



=== TEST 3: mulaw at 8000 with a voice and a speaking rate: MULAW, the voice's language, its header dropped
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"google","voice_id":"en-GB-Neural2-B","audio_format":"mulaw","sample_rate":8000,"speaking_rate":1.5}}',
'GET /__mock/last',
]
--- error_code eval
[200, 200]
--- response_headers eval
["Content-Type: audio/basic
x-audio-format: mulaw
x-sample-rate: 8000", ""]
--- response_body eval
[
Waav::Mock::mock_audio('google', 16000),
::last_request('POST /google/v1/text:synthesize',
    '{"input":{"text":"Hi"},"voice":{"languageCode":"en-GB","name":"en-GB-Neural2-B"},"audioConfig":{"audioEncoding":"MULAW","sampleRateHertz":8000,"speakingRate":1.5}}',
    'content-type: application/json',
    'x-goog-api-key: test-google-key'),
]



=== TEST 4: alaw, mp3 and opus: ALAW loses its header, MP3 and OGG_OPUS are Google's bytes as they are
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"google","audio_format":"alaw"}}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"google","audio_format":"mp3"}}',
'GET /__mock/last',
'POST /speak
{"text":"Hi","tts_config":{"provider":"google","audio_format":"opus","sample_rate":48000}}',
'GET /__mock/last',
]
--- error_code eval
[200, 200, 200, 200, 200]
--- response_headers eval
["Content-Type: application/octet-stream\nx-audio-format: alaw\nx-sample-rate: 8000",
 "Content-Type: audio/mpeg\nx-audio-format: mp3",
 "",
 "x-audio-format: opus\nx-sample-rate: 48000",
 ""]
--- response_body eval
[
Waav::Mock::mock_audio('google', 16000),
Waav::Mock::mock_audio('google', 16000),
::last_request('POST /google/v1/text:synthesize',
    '{"input":{"text":"Hi"},"voice":{"languageCode":"en-US","name":"en-US-Standard-C"},"audioConfig":{"audioEncoding":"MP3"}}',
    'content-type: application/json',
    'x-goog-api-key: test-google-key'),
Waav::Mock::mock_audio('google', 16000),
::last_request('POST /google/v1/text:synthesize',
    '{"input":{"text":"Hi"},"voice":{"languageCode":"en-US","name":"en-US-Standard-C"},"audioConfig":{"audioEncoding":"OGG_OPUS","sampleRateHertz":48000}}',
    'content-type: application/json',
    'x-goog-api-key: test-google-key'),
]



=== TEST 5: /v1/audio/speech by provider/model: voice, pcm and speed; 5000 bytes of text pass
--- request eval
[
'POST /v1/audio/speech
{"model":"google/standard","input":"Hi","voice":"cmn-CN-Wavenet-A","response_format":"pcm","speed":0.5}',
'GET /__mock/last',
'POST /v1/audio/speech
{"model":"google/standard","input":"' . ("\xc3\xa9" x 2500) . '","voice":"en-US-Neural2-C","response_format":"wav"}',
]
--- error_code eval
[200, 200, 200]
--- response_headers eval
["Content-Type: audio/pcm\nx-audio-format: pcm", "", "Content-Type: audio/wav"]
--- response_body eval
[
Waav::Mock::mock_audio('google', 16000),
::last_request('POST /google/v1/text:synthesize',
    '{"input":{"text":"Hi"},"voice":{"languageCode":"cmn-CN","name":"cmn-CN-Wavenet-A"},"audioConfig":{"audioEncoding":"LINEAR16","sampleRateHertz":24000,"speakingRate":0.5}}',
    'content-type: application/json',
    'x-goog-api-key: test-google-key'),
main::google_wav(1, 16, 24000, Waav::Mock::mock_audio('google', 16000)),
]



=== TEST 6: a voice Google does not know: 502 with Google's message
--- request
POST /speak
{"text":"Hi","tts_config":{"provider":"google","voice_id":"en-US-NoSuchVoice-Z"}}
--- error_code: 502
--- response_body chomp
{"error":"Provider google answered 400: Voice 'en-US-NoSuchVoice-Z' does not exist. Is it misspelled?","code":"PROVIDER_ERROR"}



=== TEST 7: a key Google refuses (its 400 API_KEY_INVALID): 502 with its message, the key never shown
--- http_config
    waav_provider google key=wrong-google-key-0123456789;
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"google"}}',
'GET /__mock/last',
]
--- error_code eval
[502, 200]
--- response_body_like eval
[qr/^\{"error":"Provider google answered 400: API key not valid\. Please pass a valid API key\.","code":"PROVIDER_ERROR"\}$/,
 qr/^POST \/google\/v1\/text:synthesize\n(?:.*\n)*x-goog-api-key: wrong-google-key-0123456789\n/]
--- response_body_unlike eval
[qr/0123456789/, qr/^$/]



=== TEST 8: Google's 401, 403 and 500 are 502 with Google's message; its 429 is passed on
--- request eval
[
'POST /__mock/behavior
{"status":401}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"google"}}',
'POST /__mock/behavior
{"status":403}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"google"}}',
'POST /__mock/behavior
{"status":500}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"google"}}',
'POST /__mock/behavior
{"status":429,"retry_after":7}',
'POST /v1/audio/speech
{"model":"google/standard","input":"Hi","voice":"en-US-Neural2-C"}',
]
--- error_code eval
[204, 502, 204, 502, 204, 502, 204, 429]
--- response_headers eval
["", "", "", "", "", "", "", "Retry-After: 7\nContent-Type: application/json"]
--- response_body eval
['',
 '{"error":"Provider google answered 401: Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","code":"PROVIDER_ERROR"}',
 '',
 '{"error":"Provider google answered 403: The caller does not have permission","code":"PROVIDER_ERROR"}',
 '',
 '{"error":"Provider google answered 500: Internal error encountered.","code":"PROVIDER_ERROR"}',
 '',
 '{"error":"Provider google is rate limiting: Quota exceeded for quota metric \'Requests\' and limit \'Requests per minute\' of service \'texttospeech.googleapis.com\' for consumer \'project_number:000000000000\'.","code":"PROVIDER_RATE_LIMITED"}']



=== TEST 9: what Google would refuse is never sent: speaking_rate over 2 (clamped), Opus at a rate Opus lacks (the nearest), over 5000 bytes, flac and aac
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"google","speaking_rate":3}}',
'POST /v1/audio/speech
{"model":"google/standard","input":"Hi","voice":"en-US-Neural2-C","speed":0.25}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"google","audio_format":"opus","sample_rate":22050}}',
'POST /speak
{"text":"' . ("\xc3\xa9" x 2500) . 'a","tts_config":{"provider":"google"}}',
'POST /speak
{"text":"Hi","tts_config":{"provider":"google","audio_format":"flac"}}',
'POST /v1/audio/speech
{"model":"google/standard","input":"Hi","voice":"en-US-Neural2-C","response_format":"aac"}',
'GET /__mock/count',
]
--- error_code eval
[200, 200, 200, 400, 400, 400, 200]
--- response_body eval
[
Waav::Mock::mock_audio('google', 16000),
Waav::Mock::mock_audio('google', 16000),
Waav::Mock::mock_audio('google', 16000),
'{"error":"google takes at most 5000 bytes of text","code":"TEXT_TOO_LONG"}',
'{"error":"google does not support this audio_format (use linear16, wav, mulaw, alaw, mp3 or opus)","code":"UNSUPPORTED_OPTION"}',
'{"error":"google does not support this audio_format (use linear16, wav, mulaw, alaw, mp3 or opus)","code":"UNSUPPORTED_OPTION"}',
'3',
]



=== TEST 10: streaming: the audio is decoded as Google's JSON arrives, before the provider's pause ends
--- request eval
[
'POST /__mock/behavior
{"split":8192,"pause_ms":1500}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"google"}}',
]
--- error_code eval
[204, 200]
--- first_body_bytes_before_end: 4096 0.75
--- min_duration: 1.5
--- response_body eval
['', Waav::Mock::mock_audio('google', 16000)]



=== TEST 11: a reset before the first audio byte is a JSON error; after it, the response is cut short
--- request eval
[
'POST /__mock/behavior
{"reset_after":10}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"google"}}',
'POST /__mock/behavior
{"reset_after":8021}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"google"}}',
]
--- error_code eval
[204, 502, 204, 200]
--- response_truncated
--- response_body eval
['', '{"error":"Provider google returned no audio","code":"PROVIDER_BAD_RESPONSE"}',
 '', substr(Waav::Mock::mock_audio('google', 16000), 0, 6000 - 44)]
--- error_log
provider "google" stopped mid-audio



=== TEST 12: Google's JSON cut short (malformed): the audio stops where the JSON does, the response cut
--- request eval
[
'POST /__mock/behavior
{"malformed_json":1,"bytes":1000}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"google"}}',
]
--- error_code eval
[204, 200]
--- response_truncated
--- response_body eval
# 1044 bytes of WAV in 1392 base64 characters: the first 708 bytes of the
# 1416-byte JSON carry 687 of them (515 bytes), 44 of which are the header
['', substr(Waav::Mock::mock_audio('google', 1000), 0, 515 - 44)]
--- error_log
provider "google" stopped mid-audio



=== TEST 13: a 3 MB member after the audio, chunked: skipped in constant memory, the audio whole
--- request eval
[
'POST /__mock/behavior
{"json_pad":3000000,"chunked":1}',
'POST /speak
{"text":"Hello","tts_config":{"provider":"google","audio_format":"wav"}}',
]
--- error_code eval
[204, 200]
--- response_body eval
['', main::google_wav(1, 16, 24000, Waav::Mock::mock_audio('google', 16000))]



=== TEST 14: a voice that is only a language: Google chooses the voice (it refuses "en-GB" as a voice name)
--- request eval
[
'POST /speak
{"text":"Hi","tts_config":{"provider":"google","voice_id":"en-GB","audio_format":"mp3"}}',
'GET /__mock/last',
]
--- error_code eval
[200, 200]
--- response_body eval
[
Waav::Mock::mock_audio('google', 16000),
::last_request('POST /google/v1/text:synthesize',
    '{"input":{"text":"Hi"},"voice":{"languageCode":"en-GB"},"audioConfig":{"audioEncoding":"MP3"}}',
    'content-type: application/json',
    'x-goog-api-key: test-google-key'),
]



=== TEST 15: cached (the shipped tts-cache.conf) with sendfile on: the answer comes from a file, miss and hit, and is decoded all the same
--- http_config
    proxy_cache_path tts_cache levels=1:2 keys_zone=waav_tts:1m max_size=100m
                     inactive=1d use_temp_path=off;
    sendfile on;
    waav_provider google key=test-google-key location=/_cached/google;
--- config
    location /_cached/ {
        internal;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_buffering off;
        location /_cached/google/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/google/v1/;
            include $TEST_NGINX_WAAV_ROOT/conf/waav/tts-cache.conf;
        }
    }
--- request eval
[
'POST /speak
{"text":"Cache me","tts_config":{"provider":"google"}}',
'POST /speak
{"text":"Cache me","tts_config":{"provider":"google"}}',
'GET /__mock/count',
]
--- error_code eval
[200, 200, 200]
--- response_body eval
[Waav::Mock::mock_audio('google', 16000), Waav::Mock::mock_audio('google', 16000), '1']
