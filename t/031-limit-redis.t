# waav_limit with Redis: the scenarios both backends pass
# (t/lib/Waav/Limits.pm, decided in Redis, failing closed), then what only
# Redis does: one set of counters for a fleet of nginx, checks batched into
# one script call, failing open (to local counters) or closed (503) when
# Redis is away, waiting for a connect under way, and coming back by
# itself.  A real redis-server and a second nginx are started here.
use Waav::Blocks 'no_plan';
use Waav::Mock qw(mock_audio);
use Waav::Tts;
use Waav::Redis;
use Waav::Limits;

redis_start();

my $second;

# the second nginx of the fleet: same zone, same Redis
sub main::second {
    my ($http, $server) = @_;
    $second = second_nginx($http, $server);
    $ENV{TEST_NGINX_SECOND_PORT} = $second;
}

# raw requests, each on its own connection, all sent before any answer
sub main::at_once {
    my ($n, $meanwhile, @headers) = @_;
    return Waav::Redis::parallel_requests(
        Waav::Blocks::server_port(),
        [map { "GET /limited HTTP/1.1\r\nHost: t\r\n"
               . (ref $headers[0] ? $headers[0]->($_) : '')
               . "Connection: close\r\n\r\n" } 1 .. $n],
        $meanwhile);
}

# Redis' clock in ms, and the slots whose lease has not ended by it
sub main::redis_ms {
    my ($ms) = Waav::Redis::redis_cmd(q{EVAL "local t=redis.call('TIME') return t[1]*1000+math.floor(t[2]/1000)" 0}) =~ /^:(\d+)/;
    return $ms // 0;
}

sub main::live_slots {
    Waav::Redis::redis_cmd(q{EVAL "local t=redis.call('TIME') local now=t[1]*1000+math.floor(t[2]/1000) local n=0 for _,k in ipairs(redis.call('KEYS','waav:*:slots')) do n=n+redis.call('ZCOUNT',k,'('..now,'+inf') end return n" 0});
}

# the lease's end of the one slot held (its score)
sub main::slot_expiry {
    my ($ms) = Waav::Redis::redis_cmd(q{EVAL "for _,k in ipairs(redis.call('KEYS','waav:*:slots')) do local m=redis.call('ZRANGE',k,0,0,'WITHSCORES') return tonumber(m[2]) end return 0" 0}) =~ /^:(\d+)/;
    return $ms // 0;
}

# an upload that holds its request open until its last byte is sent
my $upload;

sub main::upload_start {
    $upload = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                    PeerPort => Waav::Blocks::server_port())
        or die "connect: $!";
    $upload->autoflush(1);
    print $upload "POST /hold HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n"
                . "Connection: close\r\n\r\nx";
}

sub main::upload_end {
    print $upload "y";
    local $/;
    my $raw = <$upload> // '';
    close $upload;
    my ($status) = $raw =~ m{^HTTP/1\.\d (\d+)};
    return $status // 0;
}

tts_defaults();
limit_backend('redis');
no_root_location();
run_limit_tests();

__DATA__

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
     my @a = main::at_once(30, sub {
         Waav::Limits::wait_until('30 checks in the worker',
             sub { Waav::Limits::error_log_count(qr/"fleet": rate check queued/) == 30 });
         Waav::Redis::redis_signal('CONT');
     });
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
--- no_error_log
waav: redis



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
     my @a = main::at_once(20, sub {
         Waav::Limits::wait_until('20 checks in the worker',
             sub { Waav::Limits::error_log_count(qr/"fleet": rate check queued/) == 20 });
         Waav::Redis::redis_signal('CONT');
     }, sub { "X-Key: " . ($_[0] % 2 ? 'a' : 'b') . "\r\n" });
     for my $k (0, 1) {
         my @mine = @a[grep { $_ % 2 == $k } 0 .. 19];
         Test::More::is((grep { $_->[0] == 200 } @mine), 3, "key $k: 3 pass");
         Test::More::is((grep { $_->[0] == 429 } @mine), 7, "key $k: 7 refused");
     }
     # the passed requests took concurrency slots and gave them back
     Waav::Limits::wait_until('no concurrency slot held',
                              sub { Waav::Redis::redis_slots() eq ':0' });
 }]
--- error_code eval
[0]
--- no_error_log
waav: redis



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
    "location = /speak { waav_limit zone=fleet tts_chars=100/d; waav_tts; }\n"
    . "location /_waav/deepgram/ { internal; "
    . "proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}/deepgram/; }");
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /quota/speak {
        waav_limit zone=fleet tts_chars=100/d;
        waav_tts;
    }
    location = /second/speak {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SECOND_PORT/speak;
    }
--- request eval
[
'POST /quota/speak
{"text":"' . ('a' x 40) . '","tts_config":{"provider":"deepgram"}}',
'POST /second/speak
{"text":"' . ('b' x 40) . '","tts_config":{"provider":"deepgram"}}',
'POST /quota/speak
{"text":"' . ('c' x 40) . '","tts_config":{"provider":"deepgram"}}',
'POST /second/speak
{"text":"' . ('d' x 40) . '","tts_config":{"provider":"deepgram"}}',
'GET /__mock/count',
sub { Waav::Redis::second_nginx_stop() },
]
--- error_code eval
[200, 200, 429, 429, 200, 0]
--- response_body_like eval
[qr/^.{16000}$/s, qr/^.{16000}$/s, qr/"code":"QUOTA_EXCEEDED"/,
 qr/"code":"QUOTA_EXCEEDED"/, qr/^2$/, qr/^/]



=== TEST 3d: a quota charge Redis makes after the request stopped waiting for it is given back
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                    redis_timeout=200ms;
--- config
    location = /listen {
        waav_limit zone=fleet stt_seconds=100/d;
        waav_stt deepgram;
    }
--- request eval
# Redis paused: the check times out, the node's own counters stand in and
# the call is made; Redis, back, makes the charge late: it is given back
['GET /__mock/count',
 sub { Waav::Redis::redis_signal('STOP') },
 "POST /listen\n" . ("\0" x 64000),
 sub {
     Waav::Redis::redis_signal('CONT');
     Waav::Limits::wait_until('no seconds left charged in Redis', sub {
         Waav::Redis::redis_cmd(q{EVAL "local s=0 for _,k in ipairs(redis.call('KEYS','waav:*')) do if redis.call('TYPE',k).ok=='string' then s=s+tonumber(redis.call('GET',k)) end end return s" 0}) eq ':0'
     });
     # and it was charged, then given back (not never charged)
     Test::More::ok(Waav::Limits::error_log_count(qr/2 units given back to window \d+ in redis/) >= 1,
                    'the late charge was given back');
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
sub { Waav::Redis::redis_stop() },
'GET /limited', 'GET /limited', 'GET /limited',
sub {
    Waav::Redis::redis_start();
    Waav::Limits::wait_until('nginx connected again',
                             sub { Waav::Redis::redis_clients() >= 1 });
},
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



=== TEST 6b: a slot whose release never comes is gone when its lease ends
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location /slow {
        waav_limit zone=fleet concurrency=1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_set_header X-Mock-Behavior "delay_ms=3000";
    }
--- background_requests eval
["GET /slow"]
--- background_error_code eval
[200]
--- background_wait: 0
--- request eval
# the slow request holds the one slot: refused; its slot aged past the
# lease in Redis (as if its node had died an hour ago): the next one passes
[sub { Waav::Limits::wait_until('the slow request at the mock',
                                sub { Waav::Limits::mock_count() == 1 }) },
 'GET /slow',
 sub {
     Test::More::is(Waav::Redis::redis_slots(), ':1', 'one slot held');
     Test::More::is(Waav::Redis::redis_cmd(q{EVAL "local n=0 for _,k in ipairs(redis.call('KEYS','waav:*:slots')) do for _,m in ipairs(redis.call('ZRANGE',k,0,-1)) do redis.call('ZADD',k,1,m) n=n+1 end end return n" 0}),
                    ':1', 'its lease ended');
 },
 'GET /slow']
--- error_code eval
[0, 429, 0, 200]



=== TEST 6c: a request held longer than two leases renews its slot: it still counts; gone when it ends
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                    redis_lease=1s;
--- config
    location = /hold {
        waav_limit zone=fleet concurrency=1;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_method GET;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
    }
    location = /limited {
        waav_limit zone=fleet concurrency=1;
        waav_health;
    }
--- request eval
# the upload's body is not all there: its request holds the one slot
[sub {
     main::upload_start();
     Waav::Limits::wait_until('the upload holds the slot',
                              sub { Waav::Redis::redis_slots() eq ':1' });
     my $acquired = main::slot_expiry() - 1000;
     Waav::Limits::wait_until('two leases past the acquire',
                              sub { main::redis_ms() > $acquired + 2500 });
     Test::More::is(main::live_slots(), ':1', 'its lease was renewed');
     Test::More::ok(main::slot_expiry() > $acquired + 2500,
                    'and ends a lease after a recent renewal');
 },
 'GET /limited',
 sub {
     Test::More::is(main::upload_end(), 200, 'the upload ends');
     Waav::Limits::wait_until('its slot released',
                              sub { Waav::Redis::redis_slots() eq ':0' });
     Test::More::ok(Waav::Limits::error_log_count(qr/slot \d+ renewed in redis for 1000 ms/) >= 2,
                    'renewed every third of the lease');
 },
 'GET /limited']
--- error_code eval
[0, 429, 0, 200]
--- no_error_log
waav: redis



=== TEST 6d: redis_lease= is 1 s or more, and only with redis=
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                    redis_lease=500ms;
--- config
    location = /x { waav_limit zone=fleet concurrency=1; waav_health; }
--- must_die
--- error_log
"waav_limit_zone" directive has an invalid redis_lease (1s or more)



=== TEST 6e: redis_lease= without redis=
--- http_config
    waav_limit_zone fleet:1m redis_lease=10s;
--- config
    location = /x { waav_limit zone=fleet concurrency=1; waav_health; }
--- must_die
--- error_log
"waav_limit_zone" directive takes redis_timeout=, redis_lease= and redis_fail= only with redis=



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



=== TEST 7b: failing closed, a request waits for the worker's connect under way instead of failing
--- init
Waav::Redis::redis_cmd('FLUSHALL');
Waav::Redis::redis_signal('STOP');
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT/2
                    redis_fail=closed redis_timeout=5s;
--- config
    location = /limited {
        waav_limit zone=fleet rate=1r/m burst=1;
        waav_health;
    }
--- request eval
# Redis paused as nginx starts: the kernel takes the worker's connection,
# Redis does not answer its SELECT; a request meanwhile waits for it
[sub {
     my @a = main::at_once(1, sub {
         Waav::Limits::wait_until('the check waiting for the connect',
             sub { Waav::Limits::error_log_count(qr/rate check queued, waiting for the connect/) == 1 });
         Waav::Redis::redis_signal('CONT');
     });
     Test::More::is($a[0][0], 200, 'the check waited and passed');
 },
 'GET /limited',
 sub {
     Test::More::is(Waav::Redis::redis_cmd('SELECT 2', 'DBSIZE'), ':1',
                    'decided in Redis, database 2');
 }]
--- error_code eval
[0, 429, 0]
--- no_error_log
waav: redis



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
     Waav::Limits::wait_until('no slot left held in Redis',
                              sub { Waav::Redis::redis_slots() eq ':0' });
     Test::More::ok(Waav::Limits::error_log_count(qr/slot \d+ released in redis/) >= 2,
                    'the late slot was released');
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
# dropped; Redis, back, still runs them; the worker connects again and
# releases the three slots
['GET /limited',
 sub {
     Waav::Redis::redis_signal('STOP');
     my @a = main::at_once(3);
     Test::More::is(CORE::join(',', map { $_->[0] } @a), '200,200,200', 'served from local counters');
     Waav::Redis::redis_signal('CONT');
     Waav::Limits::wait_until('the releases sent on the new connection',
         sub { Waav::Limits::error_log_count(qr/3 releases of unanswered acquires sent/) == 1 });
     Waav::Limits::wait_until('no slot left held',
                              sub { Waav::Redis::redis_slots() eq ':0' });
 },
 'GET /limited']
--- error_code eval
[200, 0, 200]



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
['GET /limited', 'GET /limited',
 sub { Waav::Redis::redis_stop(); Waav::Redis::redis_start() }]
--- error_code eval
[503, 503, 0]
--- error_log
AUTH failed
