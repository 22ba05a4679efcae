# waav_limit with the shared-memory backend: request rate (GCRA), TTS
# character quotas charged before the provider call, and concurrency
# released however a request ends.
use Waav::Blocks 'no_plan';
use Waav::Mock qw(mock_audio);
use Waav::Tts;

tts_defaults();

# a WAV of silence: 16 kHz, mono, 16-bit
sub main::wav {
    my ($seconds) = @_;
    my $data = "\0" x (16000 * 2 * $seconds);
    return 'RIFF' . pack('V', 36 + length $data) . 'WAVE'
         . 'fmt ' . pack('VvvVVvv', 16, 1, 1, 16000, 32000, 2, 16)
         . 'data' . pack('V', length $data) . $data;
}

no_root_location();
run_tests();

__DATA__

=== TEST 1: rate 2 r/s, burst 5: of 20 quick requests 5 to 8 pass, the rest get WaaV's 429
--- http_config
    waav_limit_zone ip:1m;
--- config
    location = /limited {
        waav_limit zone=ip rate=2r/s burst=5;
        waav_health;
    }
--- pipelined_requests eval
[map { "GET /limited" } 1 .. 20]
--- error_code: 200
--- response_body_like eval
qr/^(\{"status":"OK"\}){5,8}(\{"error":"Too Many Requests! Wait for 1s","code":"RATE_LIMITED"\}){12,15}$/



=== TEST 2: the refusal's headers
--- http_config
    waav_limit_zone ip:1m;
--- config
    location = /limited {
        waav_limit zone=ip rate=1r/m burst=2;
        add_header X-Limit $waav_limit_status always;
        waav_health;
    }
--- request eval
["GET /limited", "GET /limited", "GET /limited"]
--- error_code eval
[200, 200, 429]
--- response_headers eval
["X-Limit: PASSED", "X-Limit: PASSED", "Retry-After: 60
RateLimit-Limit: 2
RateLimit-Remaining: 0
RateLimit-Reset: 60
Content-Type: application/json
X-Limit: RATE_LIMITED"]
--- response_body eval
['{"status":"OK"}', '{"status":"OK"}', '{"error":"Too Many Requests! Wait for 60s","code":"RATE_LIMITED"}']



=== TEST 3: keys are separate: another tenant has its own bucket
--- http_config
    waav_auth_secret t1 secret-one-secret-one;
    waav_auth_secret t2 secret-two-secret-two;
    waav_limit_zone tenants:1m key=$waav_tenant;
--- config
    location = /limited {
        waav_auth on;
        waav_limit zone=tenants rate=1r/m burst=1;
        waav_health;
    }
--- request eval
["GET /limited?token=secret-one-secret-one", "GET /limited?token=secret-one-secret-one",
 "GET /limited?token=secret-two-secret-two", "GET /limited?token=wrong"]
--- error_code eval
[200, 429, 200, 401]



=== TEST 4: a 100-character quota: two 40-character syntheses, the third refused before the provider
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m;
--- config
    location = /quota/speak {
        waav_limit zone=ip tts_chars=100/m;
        waav_tts;
    }
--- request eval
[
'POST /quota/speak
{"text":"' . ('a' x 40) . '","tts_config":{"provider":"deepgram"}}',
'POST /quota/speak
{"text":"' . ('b' x 40) . '","tts_config":{"provider":"deepgram"}}',
'POST /quota/speak
{"text":"' . ('c' x 40) . '","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count',
'POST /quota/speak
{"text":"' . ('d' x 20) . '","tts_config":{"provider":"deepgram"}}',
]
--- error_code eval
[200, 200, 429, 200, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr/^.{16000}$/s,
 qr/^\{"error":"Too Many Requests! Wait for \d+s","code":"QUOTA_EXCEEDED"\}$/,
 qr/^2$/, qr/^.{16000}$/s]



=== TEST 5: quota counts characters, not bytes
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m;
--- config
    location = /quota/speak {
        waav_limit zone=ip tts_chars=10/d;
        waav_tts;
    }
--- request eval
[
'POST /quota/speak
{"text":"' . ("\xc3\xa9" x 10) . '","tts_config":{"provider":"deepgram"}}',
'POST /quota/speak
{"text":"x","tts_config":{"provider":"deepgram"}}',
]
--- error_code eval
[200, 429]



=== TEST 5a: the characters of a call the provider failed are given back
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m;
--- config
    location = /quota/speak {
        waav_limit zone=ip tts_chars=10/d;
        waav_tts;
    }
--- request eval
[
"POST /__mock/behavior\n{\"status\":500}",
'POST /quota/speak
{"text":"0123456789","tts_config":{"provider":"deepgram"}}',
'POST /quota/speak
{"text":"0123456789","tts_config":{"provider":"deepgram"}}',
'POST /quota/speak
{"text":"x","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count',
]
--- error_code eval
[204, 502, 200, 429, 200]
--- response_body_like eval
[qr/^$/, qr/"code":"PROVIDER_ERROR"/, qr/^/, qr/"code":"QUOTA_EXCEEDED"/, qr/^2$/]



=== TEST 5b: an STT seconds quota: 1 s and 2 s of audio pass a 3 s budget, a third second is refused before the provider
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m;
--- config
    location = /quota/listen {
        waav_limit zone=ip stt_seconds=3/m;
        waav_stt deepgram;
    }
--- request eval
["POST /quota/listen\n" . ::wav(1), "POST /quota/listen\n" . ::wav(2),
 "POST /quota/listen\n" . ::wav(1), 'GET /__mock/count',
 "POST /quota/listen\n" . substr(::wav(1), 44)]
--- more_headers eval
["Content-Type: audio/wav", "Content-Type: audio/wav", "Content-Type: audio/wav", "",
 "Content-Type: audio/L16;rate=16000"]
--- error_code eval
[200, 200, 429, 200, 429]
--- response_body_like eval
[qr/"duration":1,/, qr/"duration":2,/,
 qr/^\{"error":"Too Many Requests! Wait for \d+s","code":"QUOTA_EXCEEDED"\}$/,
 qr/^2$/, qr/"code":"QUOTA_EXCEEDED"/]



=== TEST 5c: compressed audio is estimated (128 kbit/s) before the call and trued up from the duration the provider reports
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m;
--- config
    location = /quota/listen {
        waav_limit zone=ip stt_seconds=3/m;
        waav_stt deepgram;
    }
--- request eval
["POST /quota/listen\n" . ('ID3' . "\0" x 997), "POST /quota/listen\n" . ('ID3' . "\0" x 997),
 'GET /__mock/count']
--- more_headers eval
["Content-Type: audio/mpeg", "Content-Type: audio/mpeg", ""]
--- error_code eval
[200, 429, 200]
--- response_body_like eval
[qr/"duration":2\.5,/, qr/"code":"QUOTA_EXCEEDED"/, qr/^1$/]



=== TEST 5d: seconds charged beyond what the provider reports are given back
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m;
--- config
    location = /quota/listen {
        waav_limit zone=ip stt_seconds=6/m;
        waav_stt deepgram;
    }
--- request eval
# 80000 bytes of mp3: 5 s at 128 kbit/s before the call, 2.5 s (3) reported,
# 2 given back; 3 s more fit the 6 s only with them; 1 s more does not
["POST /quota/listen\n" . ('ID3' . "\0" x 79997), "POST /quota/listen\n" . ::wav(3),
 "POST /quota/listen\n" . ::wav(1), 'GET /__mock/count']
--- more_headers eval
["Content-Type: audio/mpeg", "Content-Type: audio/wav", "Content-Type: audio/wav", ""]
--- error_code eval
[200, 200, 429, 200]
--- response_body_like eval
[qr/"duration":2\.5,/, qr/"duration":3,/, qr/"code":"QUOTA_EXCEEDED"/, qr/^2$/]



=== TEST 5e: the seconds of a call the provider failed are given back
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m;
--- config
    location = /quota/listen {
        waav_limit zone=ip stt_seconds=3/m;
        waav_stt deepgram;
    }
--- request eval
["POST /__mock/behavior\n{\"status\":500}", "POST /quota/listen\n" . ::wav(3),
 "POST /quota/listen\n" . ::wav(3), "POST /quota/listen\n" . ::wav(1),
 'GET /__mock/count']
--- more_headers eval
["Content-Type: application/json", "Content-Type: audio/wav", "Content-Type: audio/wav",
 "Content-Type: audio/wav", ""]
--- error_code eval
[204, 502, 200, 429, 200]
--- response_body_like eval
[qr/^$/, qr/"code":"PROVIDER_ERROR"/, qr/"duration":3,/, qr/"code":"QUOTA_EXCEEDED"/,
 qr/^2$/]



=== TEST 5f: refused by a second quota, the first gives its charge back
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m;
--- config
    location = /quota/listen {
        waav_limit zone=ip stt_seconds=5/d;
        waav_limit zone=ip stt_seconds=4/m;
        waav_stt deepgram;
    }
--- request eval
# 3 s: 3/5 and 3/4; 2 s: 5/5 taken, refused by 5/4, given back; 1 s: 4/5, 4/4
["POST /quota/listen\n" . ::wav(3), "POST /quota/listen\n" . ::wav(2),
 "POST /quota/listen\n" . ::wav(1), 'GET /__mock/count']
--- more_headers eval
["Content-Type: audio/wav", "Content-Type: audio/wav", "Content-Type: audio/wav", ""]
--- error_code eval
[200, 429, 200, 200]
--- response_body_like eval
[qr/"duration":3,/, qr/"code":"QUOTA_EXCEEDED"/, qr/"duration":1,/, qr/^2$/]



=== TEST 6: concurrency 2: a third concurrent request is refused
--- http_config
    waav_limit_zone ip:1m;
--- config
    location /slow {
        waav_limit zone=ip concurrency=2;
        waav_json_errors on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_set_header X-Mock-Behavior "delay_ms=1000";
    }
--- background_requests eval
["GET /slow", "GET /slow"]
--- background_error_code eval
[200, 200]
--- request
GET /slow
--- error_code: 429
--- response_body chomp
{"error":"Too Many Requests! Wait for 1s","code":"TOO_MANY_CONCURRENT"}



=== TEST 7: slots come back when the requests finish
--- http_config
    waav_limit_zone ip:1m;
--- config
    location /slow {
        waav_limit zone=ip concurrency=2;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_set_header X-Mock-Behavior "delay_ms=400";
    }
--- background_requests eval
["GET /slow", "GET /slow"]
--- background_error_code eval
[200, 200]
--- background_wait: 0.8
--- request eval
["GET /slow", "GET /slow"]
--- error_code eval
[200, 200]



=== TEST 8: slots come back when the clients hang up
--- http_config
    waav_limit_zone ip:1m;
--- config
    location /slow {
        waav_limit zone=ip concurrency=2;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_set_header X-Mock-Behavior "delay_ms=1500";
    }
--- background_requests eval
["GET /slow", "GET /slow"]
--- background_timeout: 0.2
--- background_error_code eval
["none", "none"]
--- background_wait: 0.6
--- request
GET /slow
--- error_code: 200
--- timeout: 5



=== TEST 9: an empty key is not limited
--- http_config
    waav_limit_zone tenants:1m key=$waav_tenant;
--- config
    location = /limited {
        waav_limit zone=tenants rate=1r/m burst=1;
        waav_health;
    }
--- request eval
["GET /limited", "GET /limited", "GET /limited"]
--- error_code eval
[200, 200, 200]



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



=== TEST 12: under "satisfy any" a passed waav_auth still meets the limits
--- http_config
    waav_auth_secret t1 secret-one-secret-one;
    waav_limit_zone ip:1m;
--- config
    location = /limited {
        satisfy any;
        waav_auth on;
        waav_limit zone=ip rate=1r/m burst=1;
        waav_health;
    }
--- request eval
["GET /limited?token=secret-one-secret-one", "GET /limited?token=secret-one-secret-one"]
--- error_code eval
[200, 429]



=== TEST 13: a key longer than 255 bytes is limited too (by its hash)
--- http_config
    waav_limit_zone hdr:1m key=$http_x_key;
--- config
    location = /limited {
        waav_limit zone=hdr rate=1r/m burst=1;
        waav_health;
    }
--- request eval
["GET /limited", "GET /limited"]
--- more_headers eval
["X-Key: " . ("k" x 300), "X-Key: " . ("k" x 300)]
--- error_code eval
[200, 429]



=== TEST 14: an internal redirect does not count the request twice
--- http_config
    waav_limit_zone ip:1m;
--- config
    location = /a {
        waav_limit zone=ip concurrency=1;
        waav_limit zone=ip rate=1r/m burst=1;
        try_files /nothing-here @b;
    }
    location @b {
        waav_limit zone=ip concurrency=1;
        waav_health;
    }
--- request eval
["GET /a", "GET /a"]
--- error_code eval
[200, 429]
--- response_body eval
['{"status":"OK"}', '{"error":"Too Many Requests! Wait for 60s","code":"RATE_LIMITED"}']
