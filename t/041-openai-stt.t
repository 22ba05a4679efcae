# OpenAI's POST /v1/audio/transcriptions: a multipart/form-data form (what
# any OpenAI SDK sends) to any STT provider, answered in OpenAI's shapes.
use Waav::Blocks 'no_plan';

# a WAV of silence: 16 kHz, mono, 16-bit
sub main::wav {
    my ($seconds) = @_;
    my $data = "\0" x (16000 * 2 * $seconds);
    return 'RIFF' . pack('V', 36 + length $data) . 'WAVE'
         . 'fmt ' . pack('VvvVVvv', 16, 1, 1, 16000, 32000, 2, 16)
         . 'data' . pack('V', length $data) . $data;
}

our $B = 'sdk-Boundary-7MA4YWxkTrZu0gW';
our $CT = "Content-Type: multipart/form-data; boundary=$B";

# the form: [name => value] fields, then the file (filename, type, bytes)
sub main::form {
    my ($fields, $file) = @_;
    my $s = '';
    for (my $i = 0; $i < @$fields; $i += 2) {
        $s .= "--$B\r\nContent-Disposition: form-data; name=\"$fields->[$i]\""
            . "\r\n\r\n$fields->[$i + 1]\r\n";
    }
    if ($file) {
        my ($name, $type, $bytes) = @$file;
        $s .= "--$B\r\nContent-Disposition: form-data; name=\"file\"; "
            . "filename=\"$name\"\r\n"
            . ($type ? "Content-Type: $type\r\n" : '') . "\r\n$bytes\r\n";
    }
    return $s . "--$B--\r\n";
}

our $Http = <<'_EOC_';
    waav_provider deepgram   key=test-deepgram-key;
    waav_provider openai     key=test-openai-key;
    waav_provider groq       key=test-groq-key;
_EOC_

our $Config = <<'_EOC_';
    location = /v1/audio/transcriptions { waav_stt openai; }
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
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Http) unless defined $block->http_config;
    $block->set_value('config', $Config . ($block->config // ''));
    $block->set_value('more_headers', $main::CT)
        unless defined $block->more_headers;
});

no_root_location();
run_tests();

__DATA__

=== TEST 1: an OpenAI SDK's form: whisper-1 to OpenAI, the file part sent on byte for byte, {"text"} back
--- request eval
["POST /v1/audio/transcriptions\n"
   . ::form([model => 'whisper-1'], ['speech.wav', 'audio/wav', ::wav(1)]),
 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_headers eval
["Content-Type: application/json", ""]
--- response_body_like eval
[qr/^\{"text":"[Hh]ello world from the mock\.?"\}$/,
 qr{^POST /openai/v1/audio/transcriptions\nauthorization: Bearer test-openai-key\n.*\nname=model; length=9; value=whisper-1\n.*name=file; filename=audio\.wav; content-type=audio/wav; length=32044\n$}s]



=== TEST 2: the model picks the provider (nova-3: Deepgram gets exactly the file's bytes); text format
--- request eval
["POST /v1/audio/transcriptions\n"
   . ::form([model => 'nova-3', response_format => 'text', language => 'en'],
            ['a.wav', 'audio/wav', ::wav(1)]),
 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_headers eval
["Content-Type: text/plain; charset=utf-8", ""]
--- response_body eval
["hello world from the mock\n",
 "POST /deepgram/v1/listen?model=nova-3&language=en\nauthorization: Token test-deepgram-key\ncontent-length: 32044\ncontent-type: audio/wav\n\n" . ::wav(1)]



=== TEST 3: verbose_json with word timings through Groq (whisper-large-v3), the type from the file name
--- request eval
["POST /v1/audio/transcriptions\n"
   . ::form([model => 'whisper-large-v3', response_format => 'verbose_json',
             'timestamp_granularities[]' => 'segment', 'timestamp_granularities[]' => 'word'],
            ['clip.WAV', 'application/octet-stream', ::wav(1)]),
 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"task":"transcribe","language":"english","duration":1,"text":"[Hh]ello world from the mock\.?","words":\[\{"word":"[Hh]ello","start":0,"end":0\.18\},/,
 qr{^POST /groq/openai/v1/audio/transcriptions\n.*name=model; length=16; value=whisper-large-v3\n.*content-type=audio/wav; length=32044\n$}s]



=== TEST 4: srt and vtt: one cue spanning the audio
--- request eval
["POST /v1/audio/transcriptions\n"
   . ::form([model => 'nova-3', response_format => 'srt'], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n"
   . ::form([model => 'nova-3', response_format => 'vtt'], ['a.wav', 'audio/wav', ::wav(1)])]
--- error_code eval
[200, 200]
--- response_headers eval
["Content-Type: application/x-subrip", "Content-Type: text/vtt"]
--- response_body eval
["1\n00:00:00,000 --> 00:00:01,000\nhello world from the mock\n",
 "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhello world from the mock\n"]



=== TEST 5: a 2 MB form spills to a temp file; the provider still gets exactly the file part
--- config
    location = /big/transcriptions { waav_stt deepgram; client_body_buffer_size 8k; }
--- request eval
["POST /big/transcriptions\n"
   . ::form([model => 'nova-3', prompt => 'x' x 100], ['big.wav', 'audio/wav', ::wav(64)]),
 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body eval
['{"text":"hello world from the mock"}',
 "POST /deepgram/v1/listen?model=nova-3&detect_language=true\nauthorization: Token test-deepgram-key\ncontent-length: 2048044\ncontent-type: audio/wav\n\n" . ::wav(64)]
--- error_log
a client request body is buffered to a temporary file



=== TEST 6: bad forms never reach a provider
--- request eval
["POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1'], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . substr(::form([model => 'whisper-1'], ['a.wav', 'audio/wav', ::wav(1)]), 0, -8),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1']),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1', response_format => 'xml'], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1'], ['notes.txt', 'text/plain', 'hello']),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1'], ['a.wav', 'audio/wav', substr(::wav(1), 0, 1000)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1', language => 'en/../x'], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'nova-3'], ['a.wav', "audio/wav;\nX-Injected: yes\nContent-Length: 0\n\nGET /smuggled HTTP/1.1", ::wav(1)]),
 'GET /__mock/count']
--- more_headers eval
["Content-Type: multipart/form-data", $::CT, $::CT, $::CT, $::CT, $::CT, $::CT, $::CT, ""]
--- error_code eval
[400, 400, 400, 400, 415, 400, 400, 400, 200]
--- response_body_like eval
[qr/^\{"error":"multipart\/form-data needs a boundary","code":"INVALID_REQUEST"\}$/,
 qr/"code":"INVALID_REQUEST"/, qr/"code":"INVALID_REQUEST"/,
 qr/^\{"error":"response_format must be json, text, verbose_json, srt or vtt","code":"INVALID_REQUEST"\}$/,
 qr/"code":"UNSUPPORTED_MEDIA_TYPE"/, qr/"code":"INVALID_AUDIO"/,
 qr/"code":"INVALID_REQUEST"/,
 qr/^\{"error":"The form is not valid multipart\/form-data: a multipart part header has a control character","code":"INVALID_REQUEST"\}$/,
 qr/^0$/]



=== TEST 7: verbose_json without timestamp_granularities[]=word has no words, as OpenAI's
--- request eval
["POST /v1/audio/transcriptions\n"
   . ::form([model => 'nova-3', response_format => 'verbose_json'], ['a.wav', 'audio/wav', ::wav(1)])]
--- response_body eval
['{"task":"transcribe","language":"en","duration":1,"text":"hello world from the mock"}']



=== TEST 8: provider/model names both; temperature goes on to OpenAI-style providers
--- request eval
["POST /v1/audio/transcriptions\n"
   . ::form([model => 'groq/whisper-large-v3-turbo', temperature => '0.2', language => 'de'],
            ['a.mp3', 'audio/mpeg', 'ID3' . ("\x00" x 997)]),
 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"text":"/,
 qr{^POST /groq/openai/v1/audio/transcriptions\n.*\nname=model; length=22; value=whisper-large-v3-turbo\nname=language; length=2; value=de\nname=response_format; length=12; value=verbose_json\nname=temperature; length=3; value=0\.2\nname=file; filename=audio\.mp3; content-type=audio/mpeg; length=1000\n$}s]



=== TEST 9: a model whose provider is not configured: the location's provider and its default model
--- request eval
["POST /v1/audio/transcriptions\n"
   . ::form([model => 'scribe_v1'], ['a.wav', 'audio/wav', ::wav(1)]),
 'GET /__mock/last']
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"text":"/, qr{^POST /openai/v1/audio/transcriptions\n.*name=model; length=9; value=whisper-1\n}s]



=== TEST 10: more bad forms: two files, a file over the limit, unknown provider or model, bad temperature, a field twice (a [] list may repeat)
--- config
    location = /small/transcriptions { waav_stt openai; waav_stt_max_size 1k; }
--- request eval
[do {
    (my $two = ::form([model => 'whisper-1'], ['a.wav', 'audio/wav', ::wav(1)]))
        =~ s/--\Q$::B\E--\r\n$//;
    "POST /v1/audio/transcriptions\n" . $two
      . "--$::B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.wav\"\r\n"
      . "Content-Type: audio/wav\r\n\r\n" . ::wav(1) . "\r\n--$::B--\r\n"
 },
 "POST /small/transcriptions\n" . ::form([model => 'whisper-1'], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1', provider => 'nope'], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'nope/whisper-1'], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'my-model'], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1', temperature => '1.5'], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'openai/whisper-1?x=1'], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1', language => 'en', language => 'fr'], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1', response_format => 'verbose_json', 'timestamp_granularities[]' => 'word', 'timestamp_granularities[]' => 'segment'], ['a.wav', 'audio/wav', ::wav(1)]),
 'GET /__mock/count']
--- more_headers eval
[$::CT, $::CT, $::CT, $::CT, $::CT, $::CT, $::CT, $::CT, $::CT, ""]
--- error_code eval
[400, 413, 400, 400, 400, 400, 400, 400, 200, 200]
--- response_body_like eval
[qr/^\{"error":"The form is not valid multipart\/form-data: there must be one file part, not two","code":"INVALID_REQUEST"\}$/,
 qr/"code":"PAYLOAD_TOO_LARGE"/,
 qr/"code":"INVALID_PROVIDER"/, qr/"code":"INVALID_PROVIDER"/,
 qr/^\{"error":"Unknown model 'my-model': name its provider too, as provider\/model","code":"INVALID_MODEL"\}$/,
 qr/^\{"error":"temperature must be a number from 0 to 1","code":"INVALID_REQUEST"\}$/,
 qr/"code":"INVALID_REQUEST"/,
 qr/^\{"error":"The form is not valid multipart\/form-data: a multipart field is there twice","code":"INVALID_REQUEST"\}$/,
 qr/"words":\[/, qr/^1$/]



=== TEST 11: the other providers through the form: elevenlabs (scribe), a keyless OpenAI-compatible server, assemblyai's flow
--- http_config
    waav_provider openai     key=test-openai-key;
    waav_provider elevenlabs key=test-elevenlabs-key;
    waav_provider local      type=openai-compatible;
    waav_provider assemblyai key=test-assemblyai-key;
--- config
    location /_waav/elevenlabs/ {
        internal;
        subrequest_output_buffer_size 1m;
        client_max_body_size 0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/elevenlabs/;
    }
    location /_waav/local/ {
        internal;
        subrequest_output_buffer_size 1m;
        client_max_body_size 0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/compat/v1/;
    }
    location /_waav/assemblyai/ {
        internal;
        subrequest_output_buffer_size 1m;
        client_max_body_size 0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/assemblyai/;
    }
    location = /aai/transcriptions { waav_stt openai; waav_stt_poll_interval 100ms; }
--- request eval
["POST /v1/audio/transcriptions\n" . ::form([model => 'scribe_v1', language => 'en'], ['a.wav', 'audio/wav', ::wav(1)]),
 'GET /__mock/last',
 "POST /v1/audio/transcriptions\n" . ::form([model => 'local/whisper-small'], ['a.wav', 'audio/wav', ::wav(1)]),
 'GET /__mock/last',
 "POST /aai/transcriptions\n" . ::form([model => 'best', response_format => 'vtt'], ['a.wav', 'audio/wav', ::wav(1)]),
 'GET /__mock/requests']
--- more_headers eval
[$::CT, "", $::CT, "", $::CT, ""]
--- error_code eval
[200, 200, 200, 200, 200, 200]
--- response_body_like eval
[qr/^\{"text":"[^"]+"\}$/,
 qr{^POST /elevenlabs/v1/speech-to-text\n.*xi-api-key: test-elevenlabs-key\n\nname=model_id; length=9; value=scribe_v1\nname=language_code; length=2; value=en\nname=file; filename=audio\.wav; content-type=audio/wav; length=32044\n$}s,
 qr/^\{"text":"[^"]+"\}$/,
 qr{^POST /compat/v1/audio/transcriptions\ncontent-length: \d+\ncontent-type: multipart/form-data; boundary=\S+\n\nname=model; length=13; value=whisper-small\n.*length=32044\n$}s,
 qr/^WEBVTT\n\n00:00:00\.000 --> 00:00:01\.000\nHello world from the mock\.\n$/,
 qr{^(?=.*"body_length":32044,[^{]*\{[^}]*\},"method":"POST","path":"\\/assemblyai\\/v2\\/upload")(?=.*"method":"GET","path":"\\/assemblyai\\/v2\\/transcript\\/[-0-9a-f]+")}s]



=== TEST 12: a NUL in a form field, or a file that is not the audio its type says, never reaches a provider
--- request eval
["POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1', language => "en\0"], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1', prompt => "a\0b"], ['a.wav', 'audio/wav', ::wav(1)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1'], ['a.wav', 'audio/wav', 'ID3' . ("\0" x 997)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1'], ['a.mp3', '', 'RIFF' . ("\0" x 996)]),
 "POST /v1/audio/transcriptions\n" . ::form([model => 'whisper-1'], ['a.pcm', 'audio/L16;rate=16000;channels=0', "\0" x 1000]),
 'GET /__mock/count']
--- more_headers eval
[$::CT, $::CT, $::CT, $::CT, $::CT, ""]
--- error_code eval
[400, 400, 400, 400, 400, 200]
--- response_body_like eval
[qr/^\{"error":"language must be [^"]+","code":"INVALID_REQUEST"\}$/,
 qr/^\{"error":"prompt must be [^"]+","code":"INVALID_REQUEST"\}$/,
 qr/^\{"error":"audio\/wav must be a RIFF\/WAVE file","code":"INVALID_AUDIO"\}$/,
 qr/^\{"error":"audio\/mpeg must start with an ID3 tag or an MPEG frame","code":"INVALID_AUDIO"\}$/,
 qr/"code":"INVALID_AUDIO"/,
 qr/^0$/]
