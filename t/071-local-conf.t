# waav_local and the `local` provider in a configuration of one's own:
# nginx's default thread pool when waav_local names none, a pool declared
# with thread_pool, and what is refused at start-up.
use Waav::Blocks 'no_plan';

no_root_location();
run_tests();

__DATA__

=== TEST 1: a local provider without waav_local: nginx's default pool
--- http_config
    waav_provider local type=local;
--- config
    location = /speak { waav_tts; }
--- request
POST /speak
{"text":"one two three","tts_config":{"provider":"local","audio_format":"mulaw"}}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: audio/basic
x-sample-rate: 8000



=== TEST 2: a named pool, as thread_pool declares it; another name for the provider
--- main_config
    thread_pool speech threads=1;
--- http_config
    waav_provider espeak type=local;
    waav_local pool=speech max=2 queue=0;
--- config
    location = /v1/audio/speech { waav_tts openai; }
--- request
POST /v1/audio/speech
{"model":"espeak/en-gb","input":"one two three","response_format":"wav"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like: ^RIFF



=== TEST 3: a pool nobody declared stops nginx
--- http_config
    waav_provider local type=local;
    waav_local pool=nowhere;
--- must_die
--- error_log
unknown thread pool "nowhere"



=== TEST 4: max=0 is refused
--- http_config
    waav_local max=0;
--- must_die
--- error_log
invalid "max=0" (max: 1-65536, queue: 0-65536, sessions: 1-65536)



=== TEST 4b: sessions=0 is refused
--- http_config
    waav_local sessions=0;
--- must_die
--- error_log
invalid "sessions=0" (max: 1-65536, queue: 0-65536, sessions: 1-65536)



=== TEST 5: an unknown parameter is refused
--- http_config
    waav_local threads=4;
--- must_die
--- error_log
invalid parameter "threads=4"



=== TEST 6: waav_local twice is refused
--- http_config
    waav_local max=1;
    waav_local max=2;
--- must_die
--- error_log
"waav_local" directive is duplicate



=== TEST 7: waav_tts default=: the provider of a body that names none
--- http_config
    waav_provider local type=local;
--- config
    location = /speak { waav_tts default=local; }
--- request
POST /speak
{"text":"one two three","tts_config":{"audio_format":"mulaw"}}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: audio/basic
x-sample-rate: 8000



=== TEST 8: a default no waav_provider declares: the request's 400
--- http_config
    waav_provider local type=local;
--- config
    location = /speak { waav_tts waav default=nowhere; }
--- request
POST /speak
{"text":"one two three"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "code":"INVALID_PROVIDER"



=== TEST 9: OpenAI's shape takes no default (its model names the provider)
--- config
    location = /v1/audio/speech { waav_tts openai default=local; }
--- must_die
--- error_log
and for waav "default=PROVIDER"



=== TEST 10: a default that is not a provider name is refused
--- config
    location = /speak { waav_tts default=a/b; }
--- must_die
--- error_log
"waav_tts" directive takes "waav"



=== TEST 11: waav_ws takes tts_default=PROVIDER only
--- config
    location = /ws { waav_ws default=local; }
--- must_die
--- error_log
"waav_ws" directive takes "tts_default=PROVIDER"



=== TEST 12: waav_ws tts_default= that is not a provider name is refused
--- config
    location = /ws { waav_ws tts_default=a/b; }
--- must_die
--- error_log
"waav_ws" directive takes "tts_default=PROVIDER"
