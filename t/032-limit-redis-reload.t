# waav_limit with Redis across a reload: the old worker gives back the
# concurrency slots its last requests held before it exits, even when Redis
# is paused at that moment and a call of its own is still out.
use Waav::Blocks 'no_plan';
use Waav::Redis;
use Time::HiRes qw(sleep);

master_on();
redis_start();

sub main::slots { Waav::Redis::redis_slots() }

no_root_location();
run_tests();

__DATA__

=== TEST 1: a reload while two requests hold slots in Redis, Redis paused as they end: both slots come back
--- init
Waav::Redis::redis_cmd('FLUSHALL');
--- http_config
    waav_limit_zone fleet:1m redis=redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                    redis_timeout=2s;
--- config
    location /slow {
        waav_limit zone=fleet concurrency=1000;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_set_header X-Mock-Behavior "delay_ms=800";
    }
    location = /fast {
        waav_limit zone=fleet concurrency=1000;
        waav_health;
    }
--- request eval
# the first request finds the worker up and its Redis connection warming
['GET /fast',
 sub {
     Time::HiRes::sleep(0.3);
     my $master = do {
         open my $fh, '<', Waav::Blocks::server_root() . '/logs/nginx.pid' or die;
         my $pid = <$fh>; CORE::chomp($pid); $pid
     };
     my @a = Waav::Redis::parallel_requests(
         Waav::Blocks::server_port(),
         [("GET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") x 2],
         sub {
             Time::HiRes::sleep(0.3);
             Test::More::is(main::slots(), ':2', 'two slots held in Redis');
             kill 'HUP', $master;
             Time::HiRes::sleep(0.1);
             Waav::Redis::redis_signal('STOP');
         });
     Test::More::is(CORE::join(',', map { $_->[0] } @a), '200,200',
                    'the old worker finished both requests');
     Time::HiRes::sleep(0.5);
     Waav::Redis::redis_signal('CONT');
     Time::HiRes::sleep(0.5);
     Test::More::is(main::slots(), ':0', 'both slots were given back');
 },
 'GET /slow']
--- error_code eval
[200, 0, 200]
--- no_error_log
open socket
[alert]
