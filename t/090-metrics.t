# waav_metrics and the log variables through make run's own configuration
# (scripts/run.sh, conf/waav.conf): known traffic against the mock, then
# the counters /metrics shows, the access log's fields, and promtool's
# check of the exposition.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use Waav::Run;
use Waav::Redis;
use Waav::WS;
use JSON::PP ();

sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; <$fh> }

redis_start();
my $redis_port = $ENV{TEST_NGINX_REDIS_PORT};

my %env = Waav::Run::mock_env();
my %auth = (AUTH_REQUIRED => 'true', AUTH_API_SECRET => 'sekrit',
            AUTH_API_SECRET_ID => 'acme');
my $bearer = 'Authorization: Bearer sekrit';
my $json = "Content-Type: application/json\n$bearer";

my $w = Waav::Run->start('090', env => {%env, %auth, ACCESS_LOG => 'unbuffered',
    WORKER_PROCESSES => 2, REDIS_URL => "redis://127.0.0.1:$redis_port",
    RATE_LIMIT_REQUESTS_PER_SECOND => 1, RATE_LIMIT_BURST_SIZE => 30});

# /metrics as {series => value} (series: name{labels}), and the response
sub metrics {
    my ($inst, $headers) = @_;
    my $r = $inst->request('GET /metrics', $headers // $bearer);
    my %m;
    for (split /\n/, $r->{body} // '') {
        next if /^#/;
        $m{$1} = $2 if /^(\S+) (\S+)$/;
    }
    return (\%m, $r);
}

# polls /metrics until the check passes (the workers' states change apart
# from the requests: sessions close, Redis connects)
sub metrics_until {
    my ($check, $secs) = @_;
    my $until = time + ($secs // 20);
    my $m;
    while (1) {
        ($m) = metrics($w);
        return $m if $check->($m) || time > $until;
        sleep 0.05;
    }
}

# the access log line of the request matching the regex, once written
sub log_line {
    my ($re) = @_;
    my $until = time + 10;
    while (time < $until) {
        my ($l) = grep { /$re/ } reverse split /\n/,
                       Waav::Blocks::read_file($w->prefix . '/logs/stdout.log');
        return $l if $l;
        sleep 0.05;
    }
    return '';
}

# a WAV of 16 kHz mono 16-bit PCM, $secs seconds of silence
sub wav {
    my ($secs) = @_;
    my $data = "\0" x (32000 * $secs);
    return 'RIFF' . pack('V', 36 + length $data) . 'WAVEfmt '
         . pack('VvvVVvv', 16, 1, 1, 16000, 32000, 2, 16) . 'data'
         . pack('V', length $data) . $data;
}

my $speak = qq(POST /speak\n{"text":"Hello world","tts_config":{"provider":"deepgram","voice_id":"aura-2-thalia-en"}});

subtest '/metrics: behind auth as the server is, Prometheus text' => sub {
    my $r = $w->request('GET /metrics');
    is $r->{status}, 401, 'no credentials: 401';
    (my $m, $r) = metrics($w);
    is $r->{status}, 200, 'with them: 200';
    is $r->{headers}{'content-type'}, 'text/plain; version=0.0.4', 'the exposition type';
    like $r->{body}, qr/^# TYPE waav_build_info gauge\n/m, 'typed';
    is $m->{'waav_build_info{version="0.1.0",nginx="1.22.1"}'}, 1, 'build info';
    is $w->request('POST /metrics', $bearer)->{status}, 405, 'POST: 405';
};

subtest 'known traffic, counted' => sub {
    is $w->request('GET /')->{status}, 200, "GET /: 200" for 1 .. 3;
    for (1 .. 2) {
        my $r = $w->request($speak, $json);
        is $r->{status}, 200, '/speak: 200';
        ok length($r->{body}) > 0, 'audio';
    }
    my $r = $w->request(qq(POST /speak\n{"text":"Hi","tts_config":{"provider":"nope"}}), $json);
    is $r->{status}, 400, 'an unknown provider: 400';

    $r = $w->request("POST /listen\n" . wav(2), "Content-Type: audio/wav\n$bearer");
    is $r->{status}, 200, '/listen: 200' or diag $r->{body};

    # a request is counted in its log phase, after its answer went out: the
    # other worker may scrape first
    my $m = metrics_until(sub {
        ($_[0]{'waav_requests_total{route="/listen",provider="deepgram",status="2xx"}'} // 0) >= 1
    });
    is $m->{'waav_requests_total{route="/",provider="",status="2xx"}'}, 3, 'GET / x3';
    is $m->{'waav_requests_total{route="/speak",provider="deepgram",status="2xx"}'}, 2,
       '/speak x2';
    is $m->{'waav_requests_total{route="/speak",provider="",status="4xx"}'}, 1,
       'the 400, no provider';
    is $m->{'waav_requests_total{route="/listen",provider="deepgram",status="2xx"}'}, 1,
       '/listen';
    is $m->{'waav_requests_total{route="/metrics",provider="",status="4xx"}'}, 2,
       '/metrics: the 401 and the 405';
    is $m->{'waav_tts_characters_total{provider="deepgram",tenant="acme"}'}, 22,
       'TTS characters: 2 x "Hello world"';
    is $m->{'waav_stt_audio_seconds_total{provider="deepgram",tenant="acme"}'}, 2,
       'STT seconds: 2';
    is $m->{'waav_provider_latency_seconds_count{provider="deepgram",kind="tts"}'}, 2,
       'TTS provider latency observed twice';
    is $m->{'waav_provider_latency_seconds_bucket{provider="deepgram",kind="tts",le="+Inf"}'},
       2, '+Inf bucket';
    is $m->{'waav_provider_latency_seconds_count{provider="deepgram",kind="stt"}'}, 1,
       'STT provider latency once';
    is $m->{'waav_tts_time_to_first_audio_seconds_count{provider="deepgram"}'}, 2,
       'time to first audio twice';
    ok $m->{'waav_tts_time_to_first_audio_seconds_sum{provider="deepgram"}'} > 0,
       'a positive sum';
};

subtest 'the access log: waav\'s variables' => sub {
    my $none = 'provider=- model="-" provider_status=- ttfb=- tts_chars=- stt_seconds=-';
    my $l = log_line(qr{"POST /speak HTTP/1.\d" 200 });
    like $l, qr{ provider=deepgram model="aura-2-thalia-en" provider_status=200 ttfb=\d+\.\d{3} tts_chars=11 stt_seconds=- limit=passed tenant="acme" },
         '/speak: the provider, its model (the voice), status, ttfb, characters'
        or diag $l;
    $l = log_line(qr{"POST /speak HTTP/1.\d" 400 });
    like $l, qr{ \Q$none\E limit=passed tenant="acme" }, 'the 400: no provider'
        or diag $l;
    $l = log_line(qr{"POST /listen HTTP/1.\d" 200 });
    like $l, qr{ provider=deepgram model="nova-3" provider_status=200 ttfb=- tts_chars=- stt_seconds=2 limit=passed tenant="acme" },
         '/listen: the seconds' or diag $l;
    # a provider without models is logged by its voice, once the adapter
    # took it: a voice it refused is not the model
    my $r = $w->request("POST /speak?bad-voice\n" . '{"text":"Hi","tts_config":'
        . '{"provider":"microsoft-azure","voice_id":"no such voice!"}}', $json);
    is $r->{status}, 400, 'Azure, a voice it refuses: 400' or diag $r->{body};
    $l = log_line(qr{"POST /speak\?bad-voice HTTP/1.\d" 400 });
    like $l, qr{ provider=azure model="-" provider_status=- }, 'the 400: no model'
        or diag $l;
    $r = $w->request("POST /speak?azure\n" . '{"text":"Hi","tts_config":'
        . '{"provider":"microsoft-azure","voice_id":"en-US-AriaNeural"}}', $json);
    is $r->{status}, 200, 'Azure: 200' or diag $r->{body};
    $l = log_line(qr{"POST /speak\?azure HTTP/1.\d" 200 });
    like $l, qr{ provider=azure model="en-US-AriaNeural" provider_status=200 },
         'Azure: its voice as the model' or diag $l;
    $l = log_line(qr{"GET / HTTP/1.\d" 200 });
    like $l, qr{ \Q$none\E limit=- tenant="-" }, 'GET /: nothing of waav\'s'
        or diag $l;
};

subtest '/ws sessions: open, then closed' => sub {
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws', headers => [$bearer]);
    ok $ws->upgraded, 'upgraded' or diag "$ws->{status} $ws->{body}";
    my $m = metrics_until(sub { ($_[0]{waav_ws_sessions} // 0) == 1 });
    is $m->{waav_ws_sessions}, 1, 'one open';
    is $m->{waav_ws_sessions_total}, 1, 'one opened';
    $ws->send_close(1000);
    $ws->wait_eof(5);
    $m = metrics_until(sub { ($_[0]{waav_ws_sessions} // 1) == 0 });
    is $m->{waav_ws_sessions}, 0, 'none open';
    is $m->{waav_ws_sessions_total}, 1, 'still one opened';
};

subtest '/ws speaks: each provider call counted as it ends' => sub {
    my ($m0) = metrics($w);
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws', headers => [$bearer]);
    ok $ws->upgraded, 'upgraded' or diag "$ws->{status} $ws->{body}";
    $ws->send_json({type => 'config', tts_config => {provider => 'deepgram'},
                    stt_config => {provider => 'deepgram', language => 'en', sample_rate => 16000,
                                   channels => 1, punctuation => JSON::PP::true, encoding => 'linear16',
                                   model => 'nova-3'}});
    my $ready = $ws->next_message(10);
    is $ready && $ready->{json} && $ready->{json}{type}, 'ready', 'ready' or diag explain $ready;
    for (1 .. 2) {
        $ws->send_json({type => 'speak', text => 'Hello world'});
        my ($done, $bytes) = (undef, 0);
        while (my $msg = $ws->next_message(10)) {
            $bytes += length $msg->{data} if $msg->{type} eq 'binary';
            next unless $msg->{type} eq 'text';
            $done = $msg->{json};
            last;
        }
        is $done && $done->{type}, 'tts_playback_complete', "speak $_: complete" or diag explain $done;
        ok $bytes > 0, "speak $_: audio";
    }
    # counted when each speak ends, while the session stays open
    my $key = 'waav_provider_latency_seconds_count{provider="deepgram",kind="tts"}';
    my $m = metrics_until(sub { ($_[0]{$key} // 0) >= ($m0->{$key} // 0) + 2 });
    is $m->{$key} - ($m0->{$key} // 0), 2, 'TTS provider latency: two more';
    my $ttfb = 'waav_tts_time_to_first_audio_seconds_count{provider="deepgram"}';
    is $m->{$ttfb} - ($m0->{$ttfb} // 0), 2, 'time to first audio: two more';
    my $chars = 'waav_tts_characters_total{provider="deepgram",tenant="acme"}';
    is $m->{$chars} - ($m0->{$chars} // 0), 22, 'TTS characters: 2 x "Hello world", for the tenant';
    $ws->send_close(1000);
    $ws->wait_eof(5);
};

# a speak a new config cancels ends after the session's TTS provider
# changed (or became none): it is counted under the provider it called
# (reading the session's at its end crashed the worker, 3b2f457)
subtest '/ws: a speak cancelled by a new config, counted under its provider' => sub {
    my ($m0) = metrics($w);
    my @workers = $w->workers;
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws', headers => [$bearer]);
    ok $ws->upgraded, 'upgraded' or diag "$ws->{status} $ws->{body}";
    my %stt = (provider => 'deepgram', language => 'en', sample_rate => 16000, channels => 1,
               punctuation => JSON::PP::true, encoding => 'linear16', model => 'nova-3');
    $ws->send_json({type => 'config', tts_config => {provider => 'deepgram'}, stt_config => \%stt});
    my $ready = $ws->next_message(10);
    is $ready && $ready->{json} && $ready->{json}{type}, 'ready', 'ready' or diag explain $ready;
    # Deepgram answers the speak after 3 s: the new config comes first
    my $res = Waav::Blocks::http_request('127.0.0.1', $ENV{TEST_NGINX_MOCK_PORT},
        "POST /__mock/behavior?provider=deepgram HTTP/1.1\r\nHost: mock\r\n"
        . "Connection: close\r\nContent-Type: application/json\r\n"
        . "Content-Length: 17\r\n\r\n" . '{"delay_ms":3000}', 10);
    like $res->{raw} // '', qr{^HTTP/1.1 204}, 'the mock delays the next Deepgram call';
    my $calls = $w->mock('/__mock/count?provider=deepgram');
    $ws->send_json({type => 'speak', text => 'Cancel me'});
    # the call reached the mock (which holds it) before the new config
    my $until = time + 10;
    sleep 0.05 until $w->mock('/__mock/count?provider=deepgram') > $calls || time > $until;
    $ws->send_json({type => 'config', audio => JSON::PP::false, stt_config => \%stt});
    $ready = $ws->next_message(10);
    is $ready && $ready->{json} && $ready->{json}{type}, 'ready', 'ready again, with no TTS provider'
        or diag explain $ready;
    my $chars = 'waav_tts_characters_total{provider="deepgram",tenant="acme"}';
    my $m = metrics_until(sub { ($_[0]{$chars} // 0) >= ($m0->{$chars} // 0) + 9 });
    is $m->{$chars} - ($m0->{$chars} // 0), 9, 'the cancelled speak: its 9 characters, under deepgram';
    $ws->send_json({type => 'speak', text => 'Hello'});
    my $msg = $ws->next_message(10);
    like $msg && $msg->{json} && $msg->{json}{message}, qr/^Audio processing is disabled/,
         'the session still answers' or diag explain $msg;
    $ws->send_close(1000);
    $ws->wait_eof(5);
    is_deeply [$w->workers], \@workers, 'the same workers: none crashed';
    unlike $w->error_log, qr/exited on signal/, 'no worker exited on a signal';
};

# a streamed recognition's seconds, counted under its provider when it ends
subtest '/ws STT stream: its seconds of audio, counted at its end' => sub {
    my ($m0) = metrics($w);
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws', headers => [$bearer]);
    ok $ws->upgraded, 'upgraded' or diag "$ws->{status} $ws->{body}";
    $ws->send_json({type => 'config', audio => JSON::PP::true, tts_config => {provider => 'deepgram'},
                    stt_config => {provider => 'deepgram', language => 'en', sample_rate => 16000,
                                   channels => 1, punctuation => JSON::PP::true, encoding => 'linear16',
                                   model => 'nova-3'}});
    my $ready = $ws->next_message(10);
    is $ready && $ready->{json} && $ready->{json}{type}, 'ready', 'ready' or diag explain $ready;
    # 2.5 s of 16 kHz mono linear16 (3 s once rounded up), in 20 ms messages
    $ws->send_binary("\0" x 640) for 1 .. 125;
    $ws->send_close(1000);
    $ws->wait_eof(10);
    my $key = 'waav_stt_audio_seconds_total{provider="deepgram",tenant="acme"}';
    my $m = metrics_until(sub { ($_[0]{$key} // 0) >= ($m0->{$key} // 0) + 3 });
    is $m->{$key} - ($m0->{$key} // 0), 3, '3 seconds more for deepgram';
};

subtest 'limit refusals by zone and kind' => sub {
    my ($r, $n);
    for $n (1 .. 200) {
        $r = $w->request('GET /voices', $bearer);
        last if $r->{status} == 429;
    }
    is $r->{status}, 429, 'the burst spent: 429';
    # the refusal is counted at once, the request in its log phase after
    my $m = metrics_until(sub {
        ($_[0]{'waav_requests_total{route="/voices",provider="",status="4xx"}'} // 0) >= 1
    });
    is $m->{'waav_limit_refusals_total{zone="waav_ip",kind="rate"}'}, 1, 'one refusal';
    is $m->{'waav_requests_total{route="/voices",provider="",status="4xx"}'}, 1,
       'the 429 counted as 4xx';
    my $l = log_line(qr{"GET /voices HTTP/1.\d" 429 });
    like $l, qr{ limit=refused:waav_ip:rate tenant="acme" }, 'logged' or diag $l;
};

subtest 'Redis: connections per worker, then errors once it is gone' => sub {
    my $key = qq(\{host="127.0.0.1",port="$redis_port"\});
    my $m = metrics_until(sub { ($_[0]{"waav_redis_connections$key"} // 0) == 2 });
    is $m->{"waav_redis_connections$key"}, 2, 'both workers connected';
    redis_stop();
    $m = metrics_until(sub {
        $w->request('GET /voices', $bearer);
        ($_[0]{"waav_redis_connections$key"} // 1) == 0
            && ($_[0]{"waav_redis_errors_total$key"} // 0) >= 1 });
    is $m->{"waav_redis_connections$key"}, 0, 'none connected';
    ok $m->{"waav_redis_errors_total$key"} >= 1, 'errors counted';
};

subtest 'promtool check metrics' => sub {
    my (undef, $r) = metrics($w);
    for my $f (qw(waav_build_info waav_requests_total waav_provider_latency_seconds
                  waav_tts_time_to_first_audio_seconds waav_tts_characters_total
                  waav_stt_audio_seconds_total waav_limit_refusals_total
                  waav_redis_connections waav_redis_errors_total waav_ws_sessions
                  waav_ws_sessions_total)) {
        like $r->{body}, qr/^# TYPE $f /m, "$f exported";
    }
    plan skip_all => 'no promtool (apt-get install prometheus)'
        unless system('command -v promtool >/dev/null 2>&1') == 0;
    my $file = $w->prefix . '/metrics.txt';
    open my $fh, '>', $file or die $!;
    print $fh $r->{body};
    close $fh;
    my $out = `promtool check metrics < $file 2>&1`;
    is $?, 0, 'promtool passes' or diag $out;
    is $out, '', 'without a warning' or diag $out;
};

$w->finish;

# --- tenants bounded, METRICS_AUTH=false, METRICS=off ---------------------
subtest 'METRICS_TENANTS: the first N tenants, then "other"; METRICS_AUTH=false' => sub {
    my $t = Waav::Run->start('090t', env => {%env, AUTH_REQUIRED => 'true',
        METRICS_TENANTS => 1, METRICS_AUTH => 'false',
        AUTH_API_SECRETS_JSON => '[{"id":"a","secret":"secret-a-000"},'
            . '{"id":"b","secret":"secret-b-000"},{"id":"c","secret":"secret-c-000"}]'});
    for my $s (qw(a b c)) {
        my $r = $t->request($speak, "Content-Type: application/json\n"
                                    . "Authorization: Bearer secret-$s-000");
        is $r->{status}, 200, "tenant $s: 200";
    }
    # the last speak is counted in its log phase, after its answer went out
    my ($m, $r);
    my $until = time + 20;
    do { ($m, $r) = metrics($t, '') }
        until ($m->{'waav_tts_characters_total{provider="deepgram",tenant="other"}'} // 0) >= 22
              || time > $until || !sleep 0.05;
    is $r->{status}, 200, '/metrics without credentials: 200';
    is $m->{'waav_tts_characters_total{provider="deepgram",tenant="a"}'}, 11, 'a, its own';
    is $m->{'waav_tts_characters_total{provider="deepgram",tenant="other"}'}, 22,
       'b and c as other';
    ok !exists $m->{'waav_tts_characters_total{provider="deepgram",tenant="b"}'}, 'no b';
    $t->finish;
};

subtest 'METRICS=off: no /metrics, no zone' => sub {
    my $c = Waav::Run->configure('090o', env => {METRICS => 'off'});
    is slurp($c->prefix . '/conf/run.d/metrics.conf'), "# generated by scripts/run.sh\n",
       'no location';
    unlike slurp($c->prefix . '/conf/run.d/http.conf'), qr/waav_metrics_zone/, 'no zone';
    ok !eval { Waav::Run->configure('090o', env => {METRICS => 'maybe'}); 1 }, 'a bad value';
    like $@, qr/METRICS must be on or off/, 'refused';
    ok !eval { Waav::Run->configure('090o', env => {METRICS_AUTH => 'true'}); 1 },
       'METRICS_AUTH=true, no auth method';
    like $@, qr/no auth method/, 'refused';
};

subtest 'ACCESS_LOG_FORMAT=json: one JSON object a line' => sub {
    my $j = Waav::Run->start('090j', env => {%env, ACCESS_LOG => 'unbuffered',
                                             ACCESS_LOG_FORMAT => 'json'});
    is $j->request($speak, 'Content-Type: application/json')->{status}, 200, '/speak';
    my $line;
    my $until = time + 10;
    until ($line || time > $until) {
        ($line) = grep { /"request":"POST \/speak/ } split /\n/,
                  Waav::Blocks::read_file($j->prefix . '/logs/stdout.log');
        sleep 0.05 unless $line;
    }
    my $o = eval { JSON::PP::decode_json($line // '') };
    ok $o, 'JSON' or diag $line;
    is $o->{provider}, 'deepgram', 'provider';
    is $o->{tts_chars}, '11', 'tts_chars';
    is $o->{provider_status}, '200', 'provider_status';
    like $o->{ttfb}, qr/^\d+\.\d{3}$/, 'ttfb';
    is $o->{stt_seconds}, '', 'stt_seconds empty';
    $j->finish;
};

done_testing;
