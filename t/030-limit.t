# waav_limit with the shared-memory backend: the scenarios both backends
# pass (t/lib/Waav/Limits.pm: request rate, TTS and STT quotas charged
# before the provider call and given back, concurrency released however a
# request ends, refusals logged), then what is checked once: the
# configuration.
use Waav::Blocks 'no_plan';
use Waav::Mock qw(mock_audio);
use Waav::Tts;
use Waav::Limits;

tts_defaults();
limit_backend('shm');
no_root_location();
run_limit_tests();

__DATA__

=== TEST 10: configuration errors
--- http_config
    waav_limit_zone ip:1m;
--- config
    location = /x { waav_limit zone=ip rate=fast; }
--- must_die
--- error_log
"waav_limit" directive needs rate=Nr/s or rate=Nr/m



=== TEST 11: a zone that is not declared
--- config
    location = /x { waav_limit zone=nope concurrency=1; waav_health; }
--- must_die
--- error_log
zero size shared memory zone "nope"



=== TEST 12: one limit a line: rate= and concurrency= together would drop the rate
--- http_config
    waav_limit_zone ip:1m;
--- config
    location = /x { waav_limit zone=ip rate=1r/s concurrency=2; waav_health; }
--- must_die
--- error_log
"waav_limit" directive takes one of rate=, tts_chars=, stt_seconds= or concurrency= (one waav_limit line each)



=== TEST 13: one limit a line, whichever two
--- http_config
    waav_limit_zone ip:1m;
--- config
    location = /x { waav_limit zone=ip tts_chars=10/m tts_chars=20/d; waav_health; }
--- must_die
--- error_log
"waav_limit" directive takes one of rate=



=== TEST 14: waav_limit_log_level takes limit_req's levels only
--- http_config
    waav_limit_zone ip:1m;
    waav_limit_log_level debug;
--- config
    location = /x { waav_limit zone=ip concurrency=1; waav_health; }
--- must_die
--- error_log
invalid value "debug" in



=== TEST 15: waav_limit_log_level info in a location: a refusal logged at info
--- http_config
    waav_limit_zone ip:1m;
    waav_limit_log_level error;
--- config
    location = /limited {
        waav_limit zone=ip rate=1r/m burst=1;
        waav_limit_log_level info;
        waav_health;
    }
--- request eval
["GET /limited", "GET /limited"]
--- error_code eval
[200, 429]
--- error_log eval
qr/\[info\] .*waav: limiting requests, rate of zone "ip"/
--- no_error_log
[error]



=== TEST 16: status= is an error status
--- http_config
    waav_limit_zone ip:1m;
--- config
    location = /x { waav_limit zone=ip concurrency=1 status=200; waav_health; }
--- must_die
--- error_log
"waav_limit" directive needs status=N (400 to 599)



=== TEST 17: message= is text, without control characters
--- http_config
    waav_limit_zone ip:1m;
--- config
    location = /x { waav_limit zone=ip concurrency=1 "message=a\tb"; waav_health; }
--- must_die
--- error_log
"waav_limit" directive needs message=TEXT (1 to 255 bytes of UTF-8 text)



=== TEST 18: message= up to 255 bytes
--- http_config
    waav_limit_zone ip:1m;
--- config eval
'location = /x { waav_limit zone=ip concurrency=1 message=' . ('a' x 256) . '; waav_health; }'
--- must_die
--- error_log
"waav_limit" directive needs message=TEXT (1 to 255 bytes of UTF-8 text)



=== TEST 19: code= is UPPER_SNAKE
--- http_config
    waav_limit_zone ip:1m;
--- config
    location = /x { waav_limit zone=ip concurrency=1 code=busy; waav_health; }
--- must_die
--- error_log
"waav_limit" directive needs code=UPPER_SNAKE (up to 64 of A-Z, 0-9 and _)
