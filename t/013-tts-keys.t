# Provider keys never reach the client, the error log (at info level; nginx's
# debug log prints upstream request headers) or a variable.
use Waav::Blocks 'no_plan';
use Waav::Tts;

# key=env: reads nginx's own environment when the config is loaded
$ENV{WAAV_TEST_ELEVENLABS_KEY} = 'test-elevenlabs-key';

tts_defaults();
log_level('info');

no_root_location();
run_tests();

__DATA__

=== TEST 1: a refused key: neither the answer nor the log shows it
--- http_config
    waav_provider openai key=sk-secret-ABCDEFGHIJKLMNOP;
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"openai"}}
--- error_code: 502
--- response_body_unlike: ABCDEFGH|IJKLMNOP|sk-secret
--- error_log
waav: Provider openai answered 401
--- no_error_log
ABCDEFGH
IJKLMNOP
sk-secret



=== TEST 2: a key from a file, trailing newline stripped, reaches the provider
--- http_config
    waav_provider deepgram key=file:$TEST_NGINX_HTML_DIR/deepgram.key;
--- user_files
>>> deepgram.key
test-deepgram-key
--- request eval
[
'POST /speak
{"text":"Hello","tts_config":{"provider":"deepgram"}}',
'GET /__mock/last',
]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr/\nauthorization: Token test-deepgram-key\n/]
--- no_error_log
test-deepgram-key



=== TEST 3: a key from the environment
--- http_config
    waav_provider elevenlabs key=env:WAAV_TEST_ELEVENLABS_KEY;
--- request
POST /speak
{"text":"Hello","tts_config":{"provider":"elevenlabs"}}
--- error_code: 200



=== TEST 4: a key with a line break is refused at start-up, without echoing it
--- http_config
    waav_provider deepgram "key=abc
def";
--- must_die
--- error_log
the key of waav provider "deepgram" must be visible ASCII



=== TEST 5: token_location= on a provider that does not exchange its key is refused
--- http_config
    waav_provider deepgram key=k token_location=/_waav/dg-token;
--- must_die
--- error_log
waav_provider "deepgram": token_location= is for a provider that exchanges its key



=== TEST 6: a token location that is another provider's location is refused
--- http_config
    waav_provider azure key=k;
    waav_provider azure-token type=openai-compatible;
--- must_die
--- error_log
waav_provider "azure": its token location "/_waav/azure-token" is in provider "azure-token"'s location



=== TEST 7: a token location under another provider's location is refused, with or without a trailing slash
--- http_config
    waav_provider deepgram key=k;
    waav_provider azure key=k token_location=/_waav/deepgram/;
--- must_die
--- error_log
waav_provider "azure": its token location "/_waav/deepgram" is in provider "deepgram"'s location



=== TEST 7b: a token location below another provider's location is refused
--- http_config
    waav_provider deepgram key=k;
    waav_provider azure key=k token_location=/_waav/deepgram/x;
--- must_die
--- error_log
waav_provider "azure": its token location "/_waav/deepgram/x" is in provider "deepgram"'s location

