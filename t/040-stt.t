# waav_stt: POST /listen with raw audio, through each STT adapter against
# the provider mock, into one normalized answer.
use Waav::Blocks 'no_plan';

# a WAV of silence: 16 kHz, mono, 16-bit
sub main::wav {
    my ($seconds) = @_;
    my $data = "\0" x (16000 * 2 * $seconds);
    return 'RIFF' . pack('V', 36 + length $data) . 'WAVE'
         . 'fmt ' . pack('VvvVVvv', 16, 1, 1, 16000, 32000, 2, 16)
         . 'data' . pack('V', length $data) . $data;
}

our $Http = <<'_EOC_';
    waav_provider deepgram   key=test-deepgram-key;
    waav_provider openai     key=test-openai-key;
    waav_provider groq       key=test-groq-key;
    waav_provider elevenlabs key=test-elevenlabs-key;
    waav_provider local      type=openai-compatible;
    waav_provider nokey      type=deepgram key=env:WAAV_TEST_NO_SUCH_KEY;
_EOC_

our $Config = <<'_EOC_';
    location = /listen { waav_stt deepgram; }
    location = /small/listen { waav_stt deepgram; waav_stt_max_size 1k; }
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
        location /_waav/openai/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/openai/v1/;
        }
        location /_waav/groq/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/groq/openai/v1/;
        }
        location /_waav/elevenlabs/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/elevenlabs/;
        }
        location /_waav/local/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/compat/v1/;
        }
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http) unless defined $block->http_config;
    $block->set_value('config', $Config . ($block->config // ''));
    $block->set_value('more_headers', 'Content-Type: audio/wav')
        unless defined $block->more_headers;
});

no_root_location();
run_tests();

__DATA__

=== TEST 1: deepgram: the WAV as the body, the answer normalized
--- request eval
["POST /listen\n" . ::wav(1), 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_headers eval
["Content-Type: application/json", ""]
--- response_body eval
['{"transcript":"hello world from the mock","confidence":0.99,"language":"en","duration":1,"words":[{"word":"hello","start":0,"end":0.18,"confidence":0.99},{"word":"world","start":0.2,"end":0.38,"confidence":0.99},{"word":"from","start":0.4,"end":0.58,"confidence":0.99},{"word":"the","start":0.6,"end":0.78,"confidence":0.99},{"word":"mock","start":0.8,"end":0.98,"confidence":0.99}],"provider":"deepgram","model":"nova-3"}',
 "POST /deepgram/v1/listen?model=nova-3&detect_language=true\nauthorization: Token test-deepgram-key\ncontent-length: 32044\ncontent-type: audio/wav\n\n" . ::wav(1)]



=== TEST 2: deepgram: query options reach the provider
--- request eval
["POST /listen?model=nova-2&language=en-US&punctuate=true&keywords=waav:2,open%20ai\n" . ::wav(1),
 'GET /__mock/last']
--- response_body_like eval
[qr/^\{"transcript":"Hello world from the mock\.","confidence":0\.99,"language":"en-US","duration":1,"words":\[\{"word":"Hello",.*"provider":"deepgram","model":"nova-2"\}$/,
 qr{^POST /deepgram/v1/listen\?model=nova-2&language=en-US&punctuate=true&keywords=waav:2&keywords=open%20ai\n}]



=== TEST 3: openai: a multipart form around the audio
--- request eval
["POST /listen?provider=openai&language=en\n" . ::wav(1), 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"transcript":"[Hh]ello world from the mock\.?","language":"english","duration":1,"words":\[\{"word":"[Hh]ello","start":0,"end":0\.18\},.*\],"provider":"openai","model":"whisper-1"\}$/,
 qr{^POST /openai/v1/audio/transcriptions\nauthorization: Bearer test-openai-key\ncontent-length: \d+\ncontent-type: multipart/form-data; boundary=waav-[0-9a-f]+\n\nname=model; length=9; value=whisper-1\nname=language; length=2; value=en\nname=response_format; length=12; value=verbose_json\nname=timestamp_granularities\[\]; length=4; value=word\nname=file; filename=audio\.wav; content-type=audio/wav; length=32044\n$}]



=== TEST 3b: a long Content-Type (parameters up to nginx's header limit) is taken; the provider gets the type waav validated, never the client's parameters
--- request eval
["POST /listen?provider=openai\n" . ::wav(1), 'GET /__mock/last',
 "POST /listen\n" . ::wav(1), 'GET /__mock/last']
--- more_headers eval
["Content-Type: audio/x-wav; x=" . ('a' x 3000), "",
 "Content-Type: audio/wave;codecs=1", ""]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/"provider":"openai"/,
 qr{name=file; filename=audio\.wav; content-type=audio/wav; length=32044\n$},
 qr/"provider":"deepgram"/,
 qr{\ncontent-type: audio/wav\n}]



=== TEST 4: groq and a self-hosted OpenAI-compatible server
--- request eval
["POST /listen?provider=groq\n" . ::wav(1), 'GET /__mock/last',
 "POST /listen?provider=local&model=Systran/faster-whisper-small\n" . ::wav(1)]
--- error_code eval
[200, 200, 400]
--- response_body_like eval
[qr/"provider":"groq","model":"whisper-large-v3-turbo"\}$/,
 qr{^POST /groq/openai/v1/audio/transcriptions\n.*name=model; length=22; value=whisper-large-v3-turbo\n}s,
 qr/"code":"INVALID_REQUEST"/]



=== TEST 5: an OpenAI-compatible server without a key gets no Authorization
--- request eval
["POST /listen?provider=local&model=whisper-small\n" . ::wav(1), 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/"provider":"local","model":"whisper-small"\}$/,
 qr{^POST /compat/v1/audio/transcriptions\ncontent-length: }]



=== TEST 6: elevenlabs: multipart with model_id, words only (no spacing)
--- request eval
["POST /listen?provider=elevenlabs&diarize=true\n" . ::wav(1), 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"transcript":"[^"]+","language":"[a-z]+","duration":[\d.]+,"words":\[\{"word":"[^" ]+","start":[\d.]+,"end":[\d.]+\}(,\{"word":"[^" ]+","start":[\d.]+,"end":[\d.]+\})*\],"provider":"elevenlabs","model":"scribe_v1"\}$/,
 qr{^POST /elevenlabs/v1/speech-to-text\n.*xi-api-key: test-elevenlabs-key\n\nname=model_id; length=9; value=scribe_v1\nname=diarize; length=4; value=true\nname=file; filename=audio\.wav}s]



=== TEST 7: headerless PCM needs its rate; Deepgram is told the encoding, OpenAI gets a WAV
--- request eval
["POST /listen\n" . ("\0" x 32000), 'GET /__mock/last',
 "POST /listen?provider=openai\n" . ("\0" x 32000), 'GET /__mock/last',
 "POST /listen\n" . ("\0" x 3200)]
--- more_headers eval
["Content-Type: audio/L16;rate=16000;channels=1", "",
 "Content-Type: audio/L16;rate=16000;channels=1", "",
 "Content-Type: audio/L16"]
--- error_code eval
[200, 200, 200, 200, 415]
--- response_body_like eval
[qr/"duration":1,/,
 qr{^POST /deepgram/v1/listen\?model=nova-3&detect_language=true&encoding=linear16&sample_rate=16000&channels=1\n},
 qr/"duration":1,/,
 qr{\nname=file; filename=audio\.wav; content-type=audio/wav; length=32044\n$},
 qr/UNSUPPORTED_MEDIA_TYPE/]



=== TEST 8: bad requests never reach the provider
--- request eval
["POST /listen\n",
 "POST /listen?provider=nope\n" . ::wav(1),
 "POST /listen?language=en%2F..%2Fx\n" . ::wav(1),
 "POST /listen?model=nova-3%3Fx%3D1\n" . ::wav(1),
 "POST /listen?punctuate=maybe\n" . ::wav(1),
 "POST /listen?provider=nokey\n" . ::wav(1),
 "GET /listen",
 'GET /__mock/count']
--- error_code eval
[400, 400, 400, 400, 400, 400, 405, 200]
--- response_body_like eval
[qr/"code":"EMPTY_BODY"/,
 qr/^\{"error":"Unknown STT provider 'nope' \(configured providers: deepgram, openai, groq, elevenlabs, local, nokey\)","code":"INVALID_PROVIDER"\}$/,
 qr/"code":"INVALID_REQUEST"/, qr/"code":"INVALID_REQUEST"/, qr/"code":"INVALID_REQUEST"/,
 qr/"code":"PROVIDER_NOT_CONFIGURED"/, qr/"code":"METHOD_NOT_ALLOWED"/, qr/^0$/]



=== TEST 9: a wrong or missing Content-Type is 415
--- request eval
["POST /listen\n" . ::wav(1), "POST /listen\n" . ::wav(1), 'GET /__mock/count']
--- more_headers eval
["Content-Type: text/plain", "", ""]
--- error_code eval
[415, 415, 200]
--- response_body_like eval
[qr/"code":"UNSUPPORTED_MEDIA_TYPE"/, qr/"code":"UNSUPPORTED_MEDIA_TYPE"/, qr/^0$/]



=== TEST 10: a body over waav_stt_max_size is 413 JSON
--- request eval
["POST /small/listen\n" . ::wav(1), 'GET /__mock/count']
--- error_code eval
[413, 200]
--- response_body eval
['{"error":"Request body too large","code":"PAYLOAD_TOO_LARGE"}', '0']



=== TEST 11: provider errors: 401 as 502, malformed JSON as PROVIDER_BAD_RESPONSE
--- http_config
    waav_provider deepgram key=wrong-deepgram-key-0123456789;
--- request eval
["POST /listen\n" . ::wav(1)]
--- error_code: 502
--- response_body chomp
{"error":"Provider deepgram answered 401: Invalid credentials.","code":"PROVIDER_ERROR"}



=== TEST 12: a provider answer that is not the expected JSON is 502 PROVIDER_BAD_RESPONSE
--- request eval
['POST /__mock/behavior
{"malformed_json":1}',
 "POST /listen\n" . ::wav(1)]
--- more_headers eval
["Content-Type: application/json", "Content-Type: audio/wav"]
--- error_code eval
[204, 502]
--- response_body eval
['', '{"error":"Provider deepgram returned an answer without a transcript","code":"PROVIDER_BAD_RESPONSE"}']



=== TEST 13: a provider 429 is passed on with Retry-After
--- request eval
['POST /__mock/behavior
{"status":429,"retry_after":9}',
 "POST /listen?provider=openai\n" . ::wav(1)]
--- more_headers eval
["Content-Type: application/json", "Content-Type: audio/wav"]
--- error_code eval
[204, 429]
--- response_headers eval
["", "Retry-After: 9"]
--- response_body_like eval
[qr/^$/, qr/"code":"PROVIDER_RATE_LIMITED"/]



=== TEST 14: a large upload (2 MB) spills to a temp file and still goes through whole
--- config
    location = /big/listen { waav_stt deepgram; client_body_buffer_size 8k; }
--- request eval
["POST /big/listen\n" . ::wav(64), 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/"duration":64,/, qr/\ncontent-length: 2048044\n/]
--- error_log
a client request body is buffered to a temporary file



=== TEST 15: assemblyai: upload, create, poll until completed (queued, processing, completed)
--- http_config
    waav_provider assemblyai key=test-assemblyai-key;
--- config
    location = /aai/listen {
        waav_stt assemblyai;
        waav_stt_poll_interval 100ms;
    }
    location /_waav/assemblyai/ {
        internal;
        subrequest_output_buffer_size 1m;
        client_max_body_size 0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/assemblyai/;
    }
--- request eval
["POST /aai/listen?language=en-US&punctuate=true\n" . ::wav(1), 'GET /__mock/requests']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"transcript":"Hello world from the mock\.","confidence":0\.98,"language":"en_us","duration":1,"words":\[\{"word":"Hello","start":0,"end":0\.18,"confidence":0\.98\},.*\],"provider":"assemblyai","model":"best"\}$/,
 qr{^(?=.*"path":"\\/assemblyai\\/v2\\/upload")(?=.*audio_url\\":\\"http:\\/\\/127\.0\.0\.1:\d+\\/assemblyai\\/files\\/[-0-9a-f]+\\",\\"language_code\\":\\"en_us\\",\\"punctuate\\":true\})(?=.*"method":"GET","path":"\\/assemblyai\\/v2\\/transcript\\/[-0-9a-f]+")}s]



=== TEST 16: assemblyai: a transcript that ends in error is a 502 with its message
--- http_config
    waav_provider assemblyai key=test-assemblyai-key;
--- config
    location = /aai/listen { waav_stt assemblyai; waav_stt_poll_interval 100ms; }
    location /_waav/assemblyai/ {
        internal;
        subrequest_output_buffer_size 1m;
        client_max_body_size 0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/assemblyai/;
    }
--- request eval
['POST /__mock/behavior
{"assemblyai_final":"error"}', 'POST /__mock/behavior
{"assemblyai_final":"error"}', "POST /aai/listen\n" . ::wav(1)]
--- more_headers eval
["Content-Type: application/json", "Content-Type: application/json", "Content-Type: audio/wav"]
--- error_code eval
[204, 204, 502]
--- response_body_like eval
[qr/^$/, qr/^$/, qr/^\{"error":"Provider assemblyai could not transcribe: [^"]+","code":"PROVIDER_ERROR"\}$/]



=== TEST 16b: assemblyai: an error message that quotes the key reaches the client with the key redacted
--- http_config
    waav_provider assemblyai key=test-assemblyai-key;
--- config
    location = /aai/listen { waav_stt assemblyai; waav_stt_poll_interval 100ms; }
    location /_waav/assemblyai/ {
        internal;
        subrequest_output_buffer_size 1m;
        client_max_body_size 0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/assemblyai/;
    }
--- request eval
['POST /__mock/behavior
{"assemblyai_final":"error","echo_key":1}', 'POST /__mock/behavior
{"assemblyai_final":"error","echo_key":1}', "POST /aai/listen\n" . ::wav(1)]
--- more_headers eval
["Content-Type: application/json", "Content-Type: application/json", "Content-Type: audio/wav"]
--- error_code eval
[204, 204, 502]
--- response_body eval
['', '', '{"error":"Provider assemblyai could not transcribe: Transcoding failed for the request authorized with [redacted]","code":"PROVIDER_ERROR"}']



=== TEST 17: assemblyai: a transcript that never finishes is 504 after waav_stt_poll_timeout
--- http_config
    waav_provider assemblyai key=test-assemblyai-key;
--- config
    location = /aai/listen {
        waav_stt assemblyai;
        waav_stt_poll_interval 100ms;
        waav_stt_poll_timeout 500ms;
    }
    location /_waav/assemblyai/ {
        internal;
        subrequest_output_buffer_size 1m;
        client_max_body_size 0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/assemblyai/;
        proxy_set_header X-Mock-Behavior "assemblyai_final=never";
    }
--- request eval
"POST /aai/listen\n" . ::wav(1)
--- error_code: 504
--- response_body chomp
{"error":"Provider assemblyai did not finish in 500 ms","code":"PROVIDER_TIMEOUT"}



=== TEST 18: a WAV whose header lies about its size is refused before the provider
--- request eval
["POST /listen\n" . substr(::wav(1), 0, 20000),
 "POST /listen\n" . do { my $w = ::wav(1); substr($w, 40, 4) = pack('V', 10_000_000); $w },
 "POST /listen\n" . do { my $w = ::wav(1); substr($w, 4, 4) = pack('V', 36); $w },
 'GET /__mock/count']
--- error_code eval
[400, 400, 400, 200]
--- response_body eval
[('{"error":"The WAV header does not match the body\'s length","code":"INVALID_AUDIO"}') x 3, '0']



=== TEST 18b: a WAV written as it streams (sizes 0 or 0xffffffff: unknown) is transcribed, the header alone is not
--- request eval
["POST /listen\n" . do { my $w = ::wav(1); substr($w, 4, 4) = pack('V', 0xffffffff); substr($w, 40, 4) = pack('V', 0xffffffff); $w },
 "POST /listen\n" . do { my $w = ::wav(1); substr($w, 4, 4) = pack('V', 0); substr($w, 40, 4) = pack('V', 0); $w },
 "POST /listen\n" . do { my $w = substr(::wav(1), 0, 44); substr($w, 4, 4) = pack('V', 0xffffffff); substr($w, 40, 4) = pack('V', 0xffffffff); $w },
 'GET /__mock/count']
--- error_code eval
[200, 200, 400, 200]
--- response_body_like eval
[qr/"transcript":"hello world from the mock"/, qr/"transcript":"hello world from the mock"/,
 qr/^\{"error":"The WAV file holds no audio","code":"INVALID_AUDIO"\}$/, qr/^2$/]



=== TEST 19: a lying header is caught in a body spooled to a temp file too
--- config
    location = /big/listen { waav_stt deepgram; client_body_buffer_size 8k; }
--- request eval
["POST /big/listen\n" . substr(::wav(8), 0, 200000), 'GET /__mock/count']
--- error_code eval
[400, 200]
--- response_body_like eval
[qr/INVALID_AUDIO/, qr/^0$/]



=== TEST 20: a 3 MB provider answer (over subrequest_output_buffer_size) is 502 PROVIDER_BAD_RESPONSE
--- request eval
['POST /__mock/behavior
{"json_pad":3000000}',
 "POST /listen\n" . ::wav(1)]
--- more_headers eval
["Content-Type: application/json", "Content-Type: audio/wav"]
--- error_code eval
[204, 502]
--- response_headers eval
["", "Content-Type: application/json"]
--- response_body eval
['', '{"error":"Provider deepgram returned an answer over 1048576 bytes (subrequest_output_buffer_size)","code":"PROVIDER_BAD_RESPONSE"}']
--- error_log
answered more than 1048576 bytes (subrequest_output_buffer_size)
--- no_error_log
too big subrequest response



=== TEST 21: the same without Content-Length (chunked), and through OpenAI's form
--- request eval
['POST /__mock/behavior
{"json_pad":3000000,"chunked":1}',
 "POST /listen?provider=openai\n" . ::wav(1),
 'POST /__mock/behavior
{"json_pad":1100000}',
 "POST /v1/audio/transcriptions
--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n" . ::wav(1) . "\r\n--b--\r\n"]
--- config
    location = /v1/audio/transcriptions { waav_stt openai; }
--- more_headers eval
["Content-Type: application/json", "Content-Type: audio/wav", "Content-Type: application/json",
 "Content-Type: multipart/form-data; boundary=b"]
--- error_code eval
[204, 502, 204, 502]
--- response_body eval
['', '{"error":"Provider openai returned an answer over 1048576 bytes (subrequest_output_buffer_size)","code":"PROVIDER_BAD_RESPONSE"}',
 '', '{"error":"Provider openai returned an answer over 1048576 bytes (subrequest_output_buffer_size)","code":"PROVIDER_BAD_RESPONSE"}']
--- no_error_log
too big subrequest response



=== TEST 22: a huge error answer keeps its status and the start of its message
--- request eval
['POST /__mock/behavior
{"json_pad":2000000,"status":500}',
 "POST /listen\n" . ::wav(1),
 "POST /listen\n" . ::wav(1)]
--- more_headers eval
["Content-Type: application/json", "Content-Type: audio/wav", "Content-Type: audio/wav"]
--- error_code eval
[204, 502, 200]
--- response_body_like eval
[qr/^$/, qr/^\{"error":"Provider deepgram answered 500: .*","code":"PROVIDER_ERROR"\}$/, qr/"transcript":"hello world from the mock"/]
--- no_error_log
too big subrequest response



=== TEST 23: an answer that just fits is transcribed
--- config
    location = /fit/listen { waav_stt deepgram; }
--- request eval
['POST /__mock/behavior
{"json_pad":1000000}',
 "POST /fit/listen\n" . ::wav(1)]
--- more_headers eval
["Content-Type: application/json", "Content-Type: audio/wav"]
--- error_code eval
[204, 200]
--- response_body_like eval
[qr/^$/, qr/^\{"transcript":"hello world from the mock",/]



=== TEST 24: a NUL byte in an option never reaches the provider
--- request eval
["POST /listen?keywords=a%00b\n" . ::wav(1),
 "POST /listen?language=en%00\n" . ::wav(1),
 "POST /listen?provider=openai&prompt=say%00this\n" . ::wav(1),
 'GET /__mock/count']
--- error_code eval
[400, 400, 400, 200]
--- response_body_like eval
[qr/^\{"error":"keywords must be [^"]+","code":"INVALID_REQUEST"\}$/,
 qr/^\{"error":"language must be [^"]+","code":"INVALID_REQUEST"\}$/,
 qr/^\{"error":"prompt must be [^"]+","code":"INVALID_REQUEST"\}$/,
 qr/^0$/]



=== TEST 25: audio that is not what its Content-Type says is 400 INVALID_AUDIO and never reaches the provider
--- request eval
# a WAV header with the given channels, rate and data bytes
sub wavh {
    my ($ch, $rate, $n) = @_;
    return 'RIFF' . pack('V', 36 + $n) . 'WAVE'
         . 'fmt ' . pack('VvvVVvv', 16, 1, $ch, $rate, $rate * 2 * $ch, 2 * $ch, 16)
         . 'data' . pack('V', $n) . ("\0" x $n);
}
["POST /listen\n" . ('ID3' . "\0" x 997),
 "POST /listen\n" . wavh(0, 16000, 32000),
 "POST /listen\n" . wavh(1, 0, 32000),
 "POST /listen\n" . ::wav(0),
 "POST /listen\n" . ("\0" x 32000),
 "POST /listen\n" . ("\0" x 32000),
 "POST /listen\n" . ("\0" x 32001),
 "POST /listen\n" . ("\0" x 32002),
 "POST /listen\n" . ('hello' x 200),
 'GET /__mock/count']
--- more_headers eval
["Content-Type: audio/wav", "Content-Type: audio/wav", "Content-Type: audio/x-wav",
 "Content-Type: audio/wav", "Content-Type: audio/L16;channels=0",
 "Content-Type: audio/L16;rate=16000;channels=0",
 "Content-Type: audio/L16;rate=16000", "Content-Type: audio/L16;rate=16000;channels=4",
 "Content-Type: audio/ogg", ""]
--- error_code eval
[400, 400, 400, 400, 400, 400, 400, 400, 400, 200]
--- response_body eval
['{"error":"audio/wav must be a RIFF/WAVE file","code":"INVALID_AUDIO"}',
 '{"error":"The WAV header must say 1 to 16 channels","code":"INVALID_AUDIO"}',
 '{"error":"The WAV header must say a sample rate from 1000 to 384000 Hz","code":"INVALID_AUDIO"}',
 '{"error":"The WAV file holds no audio","code":"INVALID_AUDIO"}',
 ('{"error":"audio/L16 takes rate=8000 to 192000 and channels=1 to 8, once each","code":"INVALID_AUDIO"}') x 2,
 ('{"error":"Headerless 16-bit PCM must be whole samples of every channel","code":"INVALID_AUDIO"}') x 2,
 '{"error":"The body is not audio/ogg audio","code":"INVALID_AUDIO"}',
 '0']



=== TEST 26: what is sent for headerless PCM is the type waav validated, channels included
--- request eval
["POST /listen\n" . ("\0" x 64000), 'GET /__mock/last']
--- more_headers eval
["Content-Type: audio/L16; channels=2; rate=16000; endianness=little", ""]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/"duration":1,/,
 qr{^POST /deepgram/v1/listen\?model=nova-3&detect_language=true&encoding=linear16&sample_rate=16000&channels=2\nauthorization: Token test-deepgram-key\ncontent-length: 64000\ncontent-type: audio/L16;rate=16000;channels=2\n}]



=== TEST 27: a provider whose speech to text is streaming only (cartesia): 400, the provider never called
--- http_config
    waav_provider cartesia key=test-cartesia-key;
--- config
    location = /cartesia/listen { waav_stt cartesia; }
--- request eval
["POST /listen?provider=cartesia\n" . ::wav(1), "POST /cartesia/listen\n" . ::wav(1),
 'GET /__mock/count']
--- error_code eval
[400, 400, 200]
--- response_body eval
[('{"error":"cartesia has no REST transcription; use it on /ws","code":"INVALID_PROVIDER"}') x 2,
 '0']
