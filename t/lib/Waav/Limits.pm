package Waav::Limits;

# The limit scenarios both backends must pass, in one table (after
# __DATA__ below): t/030-limit.t runs them against shared memory,
# t/031-limit-redis.t against Redis, each before its own blocks.
#
#   use Waav::Blocks 'no_plan';
#   use Waav::Tts;
#   use Waav::Limits;
#
#   tts_defaults();
#   limit_backend('shm');          # or 'redis', after redis_start()
#   no_root_location();
#   run_limit_tests();             # the table, then this file's __DATA__
#
# A scenario declares its zones with $TEST_NGINX_LIMIT_ZONE after the
# name and key: nothing for shared memory; for Redis the zone's redis=
# with redis_fail=closed, so that a check Redis did not decide answers 503
# instead of passing on the node's own counters, and each block starts
# from an empty Redis and must log no Redis failure.
#
# Waiting for a state: wait_until(WHAT, CODE [, SECONDS]) polls CODE until
# it is true (a failed test after 10 s); mock_count(), access_log_count(RE),
# error_log_count(RE) (the runner logs at debug level) and
# background_done(N) are states to wait for.

use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use Waav::Blocks ();

our @EXPORT = qw(limit_backend run_limit_tests wait_until mock_count
                 access_log_count error_log_count background_done);

my $Backend;

sub limit_backend {
    ($Backend) = @_;

    if ($Backend eq 'shm') {
        $ENV{TEST_NGINX_LIMIT_ZONE} = '';
        return;
    }

    $ENV{TEST_NGINX_LIMIT_ZONE} = "redis=redis://127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT}"
                                . ' redis_fail=closed redis_timeout=3s';

    Waav::Blocks::add_block_preprocessor(sub {
        my $block = shift;
        return unless defined $block->limit_scenario;
        Waav::Redis::redis_cmd('FLUSHALL');
        my $no = $block->no_error_log // '';
        $block->set_value('no_error_log', "$no\nwaav: redis\n");
    });
}

# the table's blocks, named for the backend, then the caller's own
sub run_limit_tests {
    my $table = do { local $/; <DATA> };
    $table =~ s/^=== (TEST \S+)/=== $1 [$Backend]/mg;
    $table =~ s/^(=== .*\n)/$1--- limit_scenario\n/mg;

    my $own = do { local $/; my $fh = \*main::DATA; <$fh> } // '';

    Test::Base::spec_string($table . "\n\n" . $own);
    Waav::Blocks::run_tests();
}

sub wait_until {
    my ($what, $cond, $secs) = @_;
    $secs //= 10;
    my $until = time + $secs;
    while (time < $until) {
        return 1 if $cond->();
        sleep 0.02;
    }
    Test::More::fail("waited ${secs}s for $what");
    return 0;
}

# requests the mock got since the block began
sub mock_count {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_MOCK_PORT})
        or return -1;
    print $s "GET /__mock/count HTTP/1.0\r\nHost: mock\r\n\r\n";
    local $/;
    my $raw = <$s> // '';
    return $raw =~ /\r\n\r\n(\d+)$/ ? $1 : -1;
}

sub log_count {
    my ($file, $re) = @_;
    open my $fh, '<', Waav::Blocks::server_root() . "/logs/$file" or return 0;
    return scalar grep { $_ =~ $re } <$fh>;
}

# lines of the access log (a request logged is a request ended) like RE
sub access_log_count { log_count('access.log', @_) }

sub error_log_count { log_count('error.log', @_) }

# the block's background requests that have their answer (or gave up)
sub background_done {
    my ($n) = @_;
    my $root = Waav::Blocks::server_root();
    return !grep { !-s "$root/logs/bg.$_" } 0 .. $n - 1;
}

# a WAV of silence: 16 kHz, mono, 16-bit
sub main::wav {
    my ($seconds) = @_;
    my $data = "\0" x (16000 * 2 * $seconds);
    return 'RIFF' . pack('V', 36 + length $data) . 'WAVE'
         . 'fmt ' . pack('VvvVVvv', 16, 1, 1, 16000, 32000, 2, 16)
         . 'data' . pack('V', length $data) . $data;
}

1;

__DATA__

=== TEST L1: rate 2 r/s, burst 5: of 20 quick requests 5 to 8 pass, the rest get WaaV's 429
--- http_config
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
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



=== TEST L2: the refusal's headers
--- http_config
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
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



=== TEST L3: keys are separate: another tenant has its own bucket
--- http_config
    waav_auth_secret t1 secret-one-secret-one;
    waav_auth_secret t2 secret-two-secret-two;
    waav_limit_zone tenants:1m key=$waav_tenant $TEST_NGINX_LIMIT_ZONE;
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



=== TEST L4: a 100-character quota: two 40-character syntheses, the third refused before the provider
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
--- config
    location = /quota/speak {
        waav_limit zone=ip tts_chars=100/d;
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



=== TEST L5: quota counts characters, not bytes
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
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



=== TEST L5a: the characters of a call the provider failed are given back
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
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



=== TEST L5b: an STT seconds quota: 1 s and 2 s of audio pass a 3 s budget, a third second is refused before the provider
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
--- config
    location = /quota/listen {
        waav_limit zone=ip stt_seconds=3/d;
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



=== TEST L5c: compressed audio is estimated (128 kbit/s) before the call and trued up from the duration the provider reports
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
--- config
    location = /quota/listen {
        waav_limit zone=ip stt_seconds=3/d;
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



=== TEST L5d: seconds charged beyond what the provider reports are given back
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
--- config
    location = /quota/listen {
        waav_limit zone=ip stt_seconds=6/d;
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



=== TEST L5e: the seconds of a call the provider failed are given back
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
--- config
    location = /quota/listen {
        waav_limit zone=ip stt_seconds=3/d;
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



=== TEST L5f: refused by a second quota, the first gives its charge back
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
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



=== TEST L6: concurrency 2: a third concurrent request is refused
--- http_config
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
--- config
    location /slow {
        waav_limit zone=ip concurrency=2;
        waav_json_errors on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_set_header X-Mock-Behavior "delay_ms=3000";
    }
--- background_requests eval
["GET /slow", "GET /slow"]
--- background_error_code eval
[200, 200]
--- background_wait: 0
--- request eval
# both reached the provider: they hold the two slots
[sub { Waav::Limits::wait_until('two requests at the mock',
                                sub { Waav::Limits::mock_count() == 2 }) },
 'GET /slow']
--- error_code eval
[0, 429]
--- response_body eval
['', '{"error":"Too Many Requests! Wait for 1s","code":"TOO_MANY_CONCURRENT"}']



=== TEST L7: slots come back when the requests finish
--- http_config
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
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
--- background_wait: 0
--- request eval
[sub { Waav::Limits::wait_until('two slots taken',
                                sub { Waav::Limits::mock_count() == 2 }) },
 sub { Waav::Limits::wait_until('both answered',
                                sub { Waav::Limits::background_done(2) }) },
 "GET /slow", "GET /slow"]
--- error_code eval
[0, 0, 200, 200]



=== TEST L8: slots come back when the clients hang up
--- http_config
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
--- config
    location /slow {
        waav_limit zone=ip concurrency=2;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_set_header X-Mock-Behavior "delay_ms=4000";
    }
    location = /fast {
        waav_limit zone=ip concurrency=2;
        waav_health;
    }
--- background_requests eval
["GET /slow", "GET /slow"]
--- background_timeout: 0.5
--- background_error_code eval
["none", "none"]
--- background_wait: 0
--- request eval
# both hung up (holding their slots, L6): nginx logs each as 499 as it
# lets go
[sub { Waav::Limits::wait_until('both clients gone',
                                sub { Waav::Limits::access_log_count(qr/"GET \/slow HTTP\/1.1" 499 /) == 2 }) },
 "GET /fast"]
--- error_code eval
[0, 200]
--- timeout: 5



=== TEST L9: an empty key is not limited
--- http_config
    waav_limit_zone tenants:1m key=$waav_tenant $TEST_NGINX_LIMIT_ZONE;
--- config
    location = /limited {
        waav_limit zone=tenants rate=1r/m burst=1;
        waav_health;
    }
--- request eval
["GET /limited", "GET /limited", "GET /limited"]
--- error_code eval
[200, 200, 200]



=== TEST L12: under "satisfy any" a passed waav_auth still meets the limits
--- http_config
    waav_auth_secret t1 secret-one-secret-one;
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
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



=== TEST L13: a key longer than 255 bytes is limited too (by its hash)
--- http_config
    waav_limit_zone hdr:1m key=$http_x_key $TEST_NGINX_LIMIT_ZONE;
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



=== TEST L14: an internal redirect does not count the request twice
--- http_config
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
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



=== TEST L15: a refusal is logged at error by default (as limit_req's)
--- http_config
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
--- config
    location = /limited {
        waav_limit zone=ip rate=1r/m burst=1;
        waav_health;
    }
--- request eval
["GET /limited", "GET /limited"]
--- error_code eval
[200, 429]
--- error_log eval
qr/\[error\] .*waav: limiting requests, rate of zone "ip", 0 of 1 left, retry in 60 s, client: 127\.0\.0\.1/



=== TEST L16: waav_limit_log_level warn: refusals at warn, a quota's too
--- http_config
    waav_provider deepgram key=test-deepgram-key;
    waav_limit_zone ip:1m $TEST_NGINX_LIMIT_ZONE;
    waav_limit_log_level warn;
--- config
    location = /limited {
        waav_limit zone=ip concurrency=1;
        waav_limit zone=ip tts_chars=10/d;
        waav_tts;
    }
--- request eval
['POST /limited
{"text":"' . ('a' x 11) . '","tts_config":{"provider":"deepgram"}}']
--- error_code: 429
--- error_log eval
qr/\[warn\] .*waav: limiting requests, tts_chars of zone "ip", 10 of 10 left, retry in \d+ s/
--- no_error_log
[error]



=== TEST L17: a line's own refusal (WaaV's session limits): status=, message=, code=
--- http_config
    waav_limit_zone all:1m key=all $TEST_NGINX_LIMIT_ZONE;
    waav_limit_zone ip:1m key=$arg_ip $TEST_NGINX_LIMIT_ZONE;
--- config
    location /slow {
        waav_limit zone=all concurrency=1 status=503
                   "message=Server at capacity. Please try again later."
                   code=SERVER_AT_CAPACITY;
        waav_limit zone=ip concurrency=1
                   "message=Too many connections from your IP address.";
        waav_json_errors on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_MOCK_PORT/deepgram/v1/models;
        proxy_set_header X-Mock-Behavior "delay_ms=3000";
    }
    location /ip {
        waav_limit zone=ip concurrency=1
                   "message=Too many connections from your IP address.";
        waav_health;
    }
--- background_requests eval
["GET /slow?ip=a"]
--- background_error_code eval
[200]
--- background_wait: 0
--- request eval
# a's request holds the one slot of both zones: a again is refused by its
# IP's line, b by the global one (which comes first), and b holds nothing
[sub { Waav::Limits::wait_until('a request at the mock',
                                sub { Waav::Limits::mock_count() == 1 }) },
 'GET /ip?ip=a', 'GET /slow?ip=b', 'GET /ip?ip=b']
--- error_code eval
[0, 429, 503, 200]
--- response_body eval
['', '{"error":"Too many connections from your IP address.","code":"TOO_MANY_CONCURRENT"}',
 '{"error":"Server at capacity. Please try again later.","code":"SERVER_AT_CAPACITY"}',
 '{"status":"OK"}']
--- response_headers eval
['', 'Retry-After: 1', 'Retry-After: 1', '']
