# waav_limit with Redis across a reload: the old worker gives back the
# concurrency slots its last requests held before it exits, even when Redis
# is paused at that moment and a call of its own is still out.
use Waav::Blocks 'no_plan';
use Waav::Redis;
use Waav::Limits;
use Time::HiRes ();

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
                    redis_timeout=10s;
--- config
    location /slow {
        waav_limit zone=fleet concurrency=1000;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_set_header X-Mock-Behavior "delay_ms=3000";
    }
    location = /fast {
        waav_limit zone=fleet concurrency=1000;
        waav_health;
    }
--- request eval
# the first request finds the worker up and its Redis connection warming
['GET /fast',
 sub {
     my $pidfile = Waav::Blocks::server_root() . '/logs/nginx.pid';
     Waav::Limits::wait_until('the master\'s pid', sub { -s $pidfile });
     my $master = do {
         open my $fh, '<', $pidfile or die;
         my $pid = <$fh>; CORE::chomp($pid); $pid
     };
     my @a = Waav::Redis::parallel_requests(
         Waav::Blocks::server_port(),
         [("GET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") x 2],
         sub {
             Waav::Limits::wait_until('two slots held in Redis',
                                      sub { main::slots() eq ':2' });
             kill 'HUP', $master;
             Waav::Limits::wait_until('the old worker shutting down',
                 sub { Waav::Limits::error_log_count(qr/gracefully shutting down/) >= 1 });
             Waav::Redis::redis_signal('STOP');
         });
     Test::More::is(CORE::join(',', map { $_->[0] } @a), '200,200',
                    'the old worker finished both requests');
     # both releases went out to the paused Redis; the old worker stays
     # until Redis has them (up to redis_timeout), then exits
     Waav::Limits::wait_until('both slots released by the old worker',
         sub { Waav::Limits::error_log_count(qr/slot \d+ released in redis/) >= 3 });
     my $log = Waav::Blocks::read_file(Waav::Blocks::server_root() . '/logs/error.log');
     my ($old) = $log =~ /(\d+)#\d+: gracefully shutting down/;
     Time::HiRes::sleep(0.5);
     Test::More::ok(kill(0, $old), 'the old worker waits for Redis\'s answer');
     Waav::Redis::redis_signal('CONT');
     Waav::Limits::wait_until('both slots given back',
                              sub { main::slots() eq ':0' });
     Waav::Limits::wait_until('the old worker gone', sub { !kill 0, $old });
 },
 'GET /slow']
--- error_code eval
[200, 0, 200]
--- no_error_log
open socket
[alert]
waav: redis
