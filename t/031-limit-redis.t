# waav_limit with Redis: one set of counters for a fleet of nginx, failing
# open (to local counters) or closed (503) when Redis is away, and coming
# back by itself.  A real redis-server and a second nginx are started here.
use Waav::Blocks 'no_plan';
use Waav::Mock qw(mock_audio);
use Waav::Redis;
use Time::HiRes qw(sleep);

redis_start();

my $second;

# the second nginx of the fleet: same zone, same Redis
sub main::second {
    my ($http, $server) = @_;
    $second = second_nginx($http, $server);
    $ENV{TEST_NGINX_SECOND_PORT} = $second;
}

add_block_preprocessor(sub {
    my $block = shift;
    my $cfg = $block->config // '';
    $block->set_value('config', $cfg . <<'_EOC_');
    location /__mock/ { proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT; }
_EOC_
});

no_root_location();
run_tests();

__DATA__

=== TEST 1: rate 2 r/s, burst 5 through Redis: 5 to 8 of 20 quick requests pass
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /limited {
        waav_limit zone=fleet rate=2r/s burst=5;
        waav_health;
    }
--- pipelined_requests eval
[map { "GET /limited" } 1 .. 20]
--- error_code: 200
--- response_body_like eval
qr/^(\{"status":"OK"\}){5,8}(\{"error":"Too Many Requests! Wait for 1s","code":"RATE_LIMITED"\}){12,15}$/
--- no_error_log
waav: redis



=== TEST 1b: 30 requests at once are decided together: exactly the burst passes, in a few script calls
--- init
Waav::Redis::redis_cmd('FLUSHALL', 'CONFIG RESETSTAT');
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                    redis_timeout=5s;
--- config
    location = /limited {
        waav_limit zone=fleet rate=1r/m burst=5;
        waav_health;
    }
--- request eval
[sub {
     # Redis paused: the checks pile up in the worker and go out together
     Waav::Redis::redis_signal('STOP');
     my @a = Waav::Redis::parallel_requests(
         Waav::Blocks::server_port(),
         [("GET /limited HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") x 30],
         sub { Time::HiRes::sleep(0.5); Waav::Redis::redis_signal('CONT') });
     my @ok = grep { $_->[0] == 200 } @a;
     my @no = grep { $_->[0] == 429 } @a;
     Test::More::is(scalar @ok, 5, 'exactly the burst passes');
     Test::More::is(scalar @no, 25, 'the rest is refused');
     Test::More::is((grep { $_->[2] eq '{"error":"Too Many Requests! Wait for 60s","code":"RATE_LIMITED"}'
                            && $_->[1]{'retry-after'} eq '60'
                            && $_->[1]{'ratelimit-remaining'} eq '0' } @no),
                    25, 'each refusal waits for the one slot a minute');
     my $calls = Waav::Redis::redis_script_calls();
     Test::More::ok($calls >= 1 && $calls <= 3, "30 checks in $calls script calls");
 },
 'GET /limited']
--- error_code eval
[0, 429]



=== TEST 1c: one batch, two keys and a concurrency limit: each counter decided on its own
--- init
Waav::Redis::redis_cmd('FLUSHALL', 'CONFIG RESETSTAT');
--- http_config
    waav_limit_zone fleet:1m key=$http_x_key
                    redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT redis_timeout=5s;
--- config
    location = /limited {
        waav_limit zone=fleet rate=1r/m burst=3;
        waav_limit zone=fleet concurrency=100;
        waav_health;
    }
--- request eval
[sub {
     Waav::Redis::redis_signal('STOP');
     my @a = Waav::Redis::parallel_requests(
         Waav::Blocks::server_port(),
         [map { "GET /limited HTTP/1.1\r\nHost: t\r\nX-Key: " . ($_ % 2 ? 'a' : 'b')
                . "\r\nConnection: close\r\n\r\n" } 1 .. 20],
         sub { Time::HiRes::sleep(0.5); Waav::Redis::redis_signal('CONT') });
     for my $k (0, 1) {
         my @mine = @a[grep { $_ % 2 == $k } 0 .. 19];
         Test::More::is((grep { $_->[0] == 200 } @mine), 3, "key $k: 3 pass");
         Test::More::is((grep { $_->[0] == 429 } @mine), 7, "key $k: 7 refused");
     }
     # the passed requests took concurrency slots and gave them back
     Time::HiRes::sleep(0.3);
     Test::More::is(Waav::Redis::redis_slots(),
                    ':0', 'no concurrency slot is left held');
 }]
--- error_code eval
[0]



=== TEST 2: two nginx sharing one Redis enforce one limit between them
--- init
Waav::Redis::redis_cmd('FLUSHALL');
main::second(
    "waav_limit_zone fleet:1m redis=redis://127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};",
    "location = /limited { waav_limit zone=fleet rate=1r/m burst=4; waav_health; }");
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /limited {
        waav_limit zone=fleet rate=1r/m burst=4;
        waav_health;
    }
    location = /second/limited {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SECOND_PORT/limited;
    }
--- request eval
[map { ("GET /limited", "GET /second/limited") } 1 .. 4]
--- error_code eval
[200, 200, 200, 200, 429, 429, 429, 429]
--- response_body_like eval
[(qr/OK/) x 4, (qr/"code":"RATE_LIMITED"/) x 4]



=== TEST 3: a character quota shared by two nginx: 100 characters between them
--- init
Waav::Redis::redis_cmd('FLUSHALL');
start_mock();
main::second(
    "waav_provider deepgram key=test-deepgram-key;\n"
    . "waav_limit_zone fleet:1m redis=redis://127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};",
    "location = /speak { waav_limit zone=fleet tts_chars=100/m; waav_tts; }\n"
    . "location /_waav/deepgram/ { internal; "
    . "proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/deepgram/; }");
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /speak {
        waav_limit zone=fleet tts_chars=100/m;
        waav_tts;
    }
    location /_waav/deepgram/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/;
    }
    location = /second/speak {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SECOND_PORT/speak;
    }
--- request eval
[
'POST /speak
{"text":"' . ('a' x 40) . '","tts_config":{"provider":"deepgram"}}',
'POST /second/speak
{"text":"' . ('b' x 40) . '","tts_config":{"provider":"deepgram"}}',
'POST /speak
{"text":"' . ('c' x 40) . '","tts_config":{"provider":"deepgram"}}',
'POST /second/speak
{"text":"' . ('d' x 40) . '","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count',
]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 429, 429, 200]
--- response_body_like eval
[qr/^.{16000}$/s, qr/^.{16000}$/s, qr/"code":"QUOTA_EXCEEDED"/,
 qr/"code":"QUOTA_EXCEEDED"/, qr/^2$/]



=== TEST 3b: an STT seconds quota through Redis: 1 s + 2 s pass a 3 s budget, the next second is refused; compressed audio is trued up
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    waav_limit_zone mp3:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /listen {
        waav_limit zone=fleet stt_seconds=3/m;
        waav_stt deepgram;
    }
    location = /mp3/listen {
        waav_limit zone=mp3 stt_seconds=3/m;
        waav_stt deepgram;
    }
    location /_waav/deepgram/ {
        internal;
        client_max_body_size 0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/;
    }
--- request eval
["POST /listen\n" . ("\0" x 32000), "POST /listen\n" . ("\0" x 64000),
 "POST /listen\n" . ("\0" x 32000), 'GET /__mock/count',
 'POST /__mock/reset', "POST /mp3/listen\n" . ('ID3' . "\0" x 997),
 "POST /mp3/listen\n" . ('ID3' . "\0" x 997), 'GET /__mock/count']
--- more_headers eval
["Content-Type: audio/L16;rate=16000", "Content-Type: audio/L16;rate=16000",
 "Content-Type: audio/L16;rate=16000", "", "", "Content-Type: audio/mpeg",
 "Content-Type: audio/mpeg", ""]
--- error_code eval
[200, 200, 429, 200, 204, 200, 429, 200]
--- response_body_like eval
[qr/"duration":1,/, qr/"duration":2,/, qr/"code":"QUOTA_EXCEEDED"/, qr/^2$/,
 qr/^/, qr/"duration":2\.5,/, qr/"code":"QUOTA_EXCEEDED"/, qr/^1$/]
--- no_error_log
waav: redis
[alert]



=== TEST 3c: through Redis, seconds charged beyond what the provider reports, and those of a failed call, are given back
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
    waav_limit_zone failing:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /listen {
        waav_limit zone=fleet stt_seconds=6/m;
        waav_stt deepgram;
    }
    location = /failing/listen {
        waav_limit zone=failing stt_seconds=3/m;
        waav_stt deepgram;
    }
    location /_waav/deepgram/ {
        internal;
        client_max_body_size 0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/;
    }
--- request eval
["POST /listen\n" . ('ID3' . "\0" x 79997), "POST /listen\n" . ("\0" x 96000),
 "POST /listen\n" . ("\0" x 32000),
 "POST /__mock/behavior\n{\"status\":500}", "POST /failing/listen\n" . ("\0" x 96000),
 "POST /failing/listen\n" . ("\0" x 96000), "POST /failing/listen\n" . ("\0" x 32000),
 'GET /__mock/count']
--- more_headers eval
["Content-Type: audio/mpeg", "Content-Type: audio/L16;rate=16000",
 "Content-Type: audio/L16;rate=16000", "Content-Type: application/json",
 "Content-Type: audio/L16;rate=16000", "Content-Type: audio/L16;rate=16000",
 "Content-Type: audio/L16;rate=16000", ""]
--- error_code eval
[200, 200, 429, 204, 502, 200, 429, 200]
--- response_body_like eval
[qr/"duration":2\.5,/, qr/"duration":3,/, qr/"code":"QUOTA_EXCEEDED"/, qr/^$/,
 qr/"code":"PROVIDER_ERROR"/, qr/"duration":3,/, qr/"code":"QUOTA_EXCEEDED"/, qr/^4$/]
--- no_error_log
[alert]



=== TEST 3d: a quota charge Redis makes after the request stopped waiting for it is given back
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                    redis_timeout=200ms;
--- config
    location = /listen {
        waav_limit zone=fleet stt_seconds=100/m;
        waav_stt deepgram;
    }
    location /_waav/deepgram/ {
        internal;
        client_max_body_size 0;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/;
    }
--- request eval
# Redis paused: the check times out, the node's own counters stand in and
# the call is made; Redis, back, makes the charge late: it is given back
['GET /__mock/count',
 sub { Waav::Redis::redis_signal('STOP') },
 "POST /listen\n" . ("\0" x 64000),
 sub {
     Waav::Redis::redis_signal('CONT');
     Time::HiRes::sleep(0.5);
     Test::More::is(Waav::Redis::redis_cmd(q{EVAL "local s=0 for _,k in ipairs(redis.call('KEYS','waav:*')) do if redis.call('TYPE',k).ok=='string' then s=s+tonumber(redis.call('GET',k)) end end return s" 0}),
                    ':0', 'no seconds left charged in Redis');
 }]
--- more_headers eval
["", "", "Content-Type: audio/L16;rate=16000", ""]
--- error_code eval
[200, 0, 200, 0]



=== TEST 4: Redis stops: fail open serves within the local limit; Redis returns: shared again, no reload
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT redis_fail=open;
--- config
    location = /limited {
        waav_limit zone=fleet rate=1r/m burst=2;
        waav_health;
    }
--- request eval
[
'GET /limited',
sub { Waav::Redis::redis_stop(); Time::HiRes::sleep(0.2) },
'GET /limited', 'GET /limited', 'GET /limited',
sub { Waav::Redis::redis_start(); Time::HiRes::sleep(1.5) },
'GET /limited', 'GET /limited', 'GET /limited',
sub {
    Test::More::like(Waav::Redis::redis_cmd('DBSIZE'), qr/^:[1-9]/,
                     'the counters are in Redis again');
},
]
--- error_code eval
[200, 0, 200, 200, 429, 0, 200, 200, 429, 0]
--- error_log
waav: redis redis://127.0.0.1
fall back to local counters
is back



=== TEST 5: Redis away and the zone fails closed: 503
--- init
Waav::Redis::redis_stop();
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT redis_fail=closed;
--- config
    location = /limited {
        waav_limit zone=fleet rate=10r/s burst=10;
        waav_health;
    }
--- request eval
['GET /limited', sub { Waav::Redis::redis_start() }]
--- error_code eval
[503, 0]
--- response_body eval
['{"error":"Rate limiting is unavailable, try again later","code":"LIMIT_BACKEND_UNAVAILABLE"}', '']



=== TEST 6: concurrency through Redis: the third concurrent request is refused, slots come back
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location /slow {
        waav_limit zone=fleet concurrency=2;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_set_header X-Mock-Behavior "delay_ms=800";
    }
--- background_requests eval
["GET /slow", "GET /slow"]
--- background_error_code eval
[200, 200]
--- request eval
['GET /slow', sub { Time::HiRes::sleep(1.2) }, 'GET /slow']
--- error_code eval
[429, 0, 200]



=== TEST 6b: a slot whose release never comes is gone when its lease ends
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location /slow {
        waav_limit zone=fleet concurrency=1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_set_header X-Mock-Behavior "delay_ms=1500";
    }
--- background_requests eval
["GET /slow"]
--- background_error_code eval
[200]
--- request eval
# the slow request holds the one slot: refused; its slot aged past the
# lease in Redis (as if its node had died an hour ago): the next one passes
['GET /slow',
 sub {
     Test::More::is(Waav::Redis::redis_slots(), ':1', 'one slot held');
     Test::More::is(Waav::Redis::redis_cmd(q{EVAL "local n=0 for _,k in ipairs(redis.call('KEYS','waav:*:slots')) do for _,m in ipairs(redis.call('ZRANGE',k,0,-1)) do redis.call('ZADD',k,1,m) n=n+1 end end return n" 0}),
                    ':1', 'its lease ended');
 },
 'GET /slow']
--- error_code eval
[429, 0, 200]



=== TEST 7: a Redis database index and password
--- init
Waav::Redis::redis_stop();
Waav::Redis::redis_start('--requirepass', 'sekret-redis');
--- http_config
    waav_limit_zone fleet:1m redis=redis://:sekret-redis@127.0.0.1:$TEST_NGINX_REDIS_PORT/3 redis_fail=closed;
--- config
    location = /limited {
        waav_limit zone=fleet rate=1r/m burst=1;
        waav_health;
    }
--- request eval
['GET /limited', 'GET /limited',
 sub {
     Test::More::is(Waav::Redis::redis_cmd('AUTH sekret-redis', 'SELECT 3', 'DBSIZE'), ':1',
                    'the counter is in database 3');
     Waav::Redis::redis_stop();
     Waav::Redis::redis_start();
 }]
--- error_code eval
[200, 429, 0]



=== TEST 8: an acquire whose request gave up waiting gives its slot back when Redis answers late
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT redis_timeout=200ms;
--- config
    location = /limited {
        waav_limit zone=fleet concurrency=5;
        waav_health;
    }
--- request eval
['GET /limited',
 sub { Waav::Redis::redis_signal('STOP') },
 'GET /limited',
 sub {
     Waav::Redis::redis_signal('CONT');
     Time::HiRes::sleep(0.5);
     Test::More::is(Waav::Redis::redis_slots(),
                    ':0', 'no slot is left held in Redis');
 }]
--- error_code eval
[200, 0, 200, 0]
--- no_error_log
open socket



=== TEST 8b: acquires on a connection dropped unanswered are released once Redis is back
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT redis_timeout=200ms;
--- config
    location = /limited {
        waav_limit zone=fleet concurrency=5;
        waav_health;
    }
--- request eval
# Redis paused: three checks time out (fail open), the connection is
# dropped; Redis, back, still runs them; the next request finds it again
# and the three slots are released
['GET /limited',
 sub {
     Waav::Redis::redis_signal('STOP');
     my @a = Waav::Redis::parallel_requests(
         Waav::Blocks::server_port(),
         [("GET /limited HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") x 3]);
     Test::More::is(CORE::join(',', map { $_->[0] } @a), '200,200,200', 'served from local counters');
     Waav::Redis::redis_signal('CONT');
     Time::HiRes::sleep(0.5);
 },
 'GET /limited',
 sub {
     Time::HiRes::sleep(0.3);
     Test::More::is(Waav::Redis::redis_slots(), ':0', 'no slot left held');
 }]
--- error_code eval
[200, 0, 200, 0]



=== TEST 9: a wrong Redis password: not usable; fail closed answers 503 and says why once
--- init
Waav::Redis::redis_stop();
Waav::Redis::redis_start('--requirepass', 'right-password');
--- http_config
    waav_limit_zone fleet:1m redis=redis://:wrong-password@127.0.0.1:$TEST_NGINX_REDIS_PORT redis_fail=closed;
--- config
    location = /limited {
        waav_limit zone=fleet rate=10r/s burst=10;
        waav_health;
    }
--- request eval
[sub { Time::HiRes::sleep(0.3) }, 'GET /limited', 'GET /limited',
 sub { Waav::Redis::redis_stop(); Waav::Redis::redis_start() }]
--- error_code eval
[0, 503, 503, 0]
--- error_log
AUTH failed
