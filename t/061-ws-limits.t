# /ws sessions against their bounds, through make run's configuration
# (with a line or two added where a test needs a short timeout or a
# quota): the idle timeout, a client that never reads, a client that
# vanishes mid-speak (its charge refunded), tts_chars quotas per speak,
# MAX_WEBSOCKET_CONNECTIONS and MAX_CONNECTIONS_PER_IP, and a reload that
# lets sessions finish within worker_shutdown_timeout, then closes them
# with 1001.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::WS;
use Waav::Mock qw(mock_audio);
use JSON::PP qw(decode_json);
use Time::HiRes qw(sleep time);

my $T = JSON::PP::true;
my %env = Waav::Run::mock_env();
my %stt = (provider => 'openai', language => 'en', sample_rate => 16000, channels => 1,
           punctuation => $T, encoding => 'linear16', model => 'whisper-1');
my %config = (type => 'config', stt_config => \%stt, tts_config => {provider => 'deepgram'});

sub session {
    my ($w, %o) = @_;
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws', %o);
    $ws->upgraded or return $ws;
    $ws->send_json(\%config);
    my $r = $ws->next_json(10);
    is $r->{type}, 'ready', 'ready' or diag explain $r;
    return $ws;
}

sub next_text {
    my ($ws, $audio) = @_;
    while (my $m = $ws->next_message(20)) {
        return $m->{json} if $m->{type} eq 'text';
        push @$audio, $m->{data} if $audio && $m->{type} eq 'binary';
        return $m if $m->{type} ne 'binary';
    }
    return undef;
}

sub rss_kib {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/status" or return 0;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/ }
    return 0;
}

# ASan keeps freed memory in quarantine: a worker's RSS says nothing there
my $SAN = $ENV{WAAV_SAN_PRELOAD} ? 'RSS under ASan counts its quarantine' : '';

sub finish {
    my ($w) = @_;
    diag $w->error_log unless Test::More->builder->is_passing;
    $w->finish;
}

# --- timeouts and a quota ---------------------------------------------------
my $w = Waav::Run->configure('061', env => {%env, WORKER_PROCESSES => 1});
$w->add_conf('run.d/http.conf', 'waav_limit_zone tts_q:1m key=all;');
$w->add_conf('run.d/ws.conf', join "\n", 'waav_ws_idle_timeout 2s;', 'send_timeout 2s;',
             'waav_limit zone=tts_q tts_chars=20/d;');
$w->launch;

subtest 'idle: an error, then a close' => sub {
    my $ws = session($w);
    my $t0 = time;
    is_deeply next_text($ws), {type => 'error', message => 'Connection closed due to inactivity'},
              'WaaV\'s text';
    my $c = $ws->next_message(5);
    is $c->{type}, 'close', 'a close';
    is $c->{code}, 1000, 'code 1000';
    cmp_ok time - $t0, '>=', 1.5, 'not before the timeout';
};

subtest 'a client that vanishes before any audio: the speak\'s characters come back' => sub {
    Waav::Run::mock_reset();
    my $ws = session($w);
    is $w->mock_behavior('{"delay_ms":3000}'), 204, 'the provider answers in 3 s';
    $ws->send_json({type => 'speak', text => 'Hello world, hi'});      # 15 characters
    my $until = time + 10;
    sleep 0.05 until $w->mock('/__mock/count') >= 1 || time > $until;
    is $w->mock('/__mock/count'), 1, 'the provider was called';
    $ws->abort;

    # the next 15 fit only if the first 15 came back (20 a day)
    $ws = session($w);
    $ws->send_json({type => 'speak', text => 'Hello world, hi'});
    my @audio;
    is next_text($ws, \@audio)->{type}, 'tts_playback_complete', 'a speak of 15 plays';
    is join('', @audio), mock_audio('deepgram'), 'its audio';
    $ws->send_json({type => 'speak', text => 'Hello world, hi'});
    my $e = next_text($ws);
    is $e->{type}, 'error', 'the next 15 are over the quota';
    like $e->{message}, qr/^TTS error: /, 'a TTS error';
    is next_text($ws)->{type}, 'tts_playback_complete', 'then the completion (WaaV\'s order)';
};

subtest 'a speak cleared after its audio began is charged (as on REST)' => sub {
    my $q = Waav::Run->configure('061c', env => {%env, WORKER_PROCESSES => 1});
    $q->add_conf('run.d/http.conf', 'waav_limit_zone tts_c:1m key=all;');
    $q->add_conf('run.d/ws.conf', 'waav_limit zone=tts_c tts_chars=20/d;');
    $q->launch;
    Waav::Run::mock_reset();
    my $ws = session($q);
    is $q->mock_behavior('{"split":960,"pause_ms":2000}'), 204, 'the provider pauses mid-audio';
    $ws->send_json({type => 'speak', text => 'Hello world, hi'});     # 15
    is $ws->next_message(10)->{type}, 'binary', 'audio began';
    $ws->send_json({type => 'clear'});
    $ws->send_json({type => 'speak', text => 'Hello world, hi'});
    my $e = next_text($ws);
    is $e->{type}, 'error', 'the next 15 are over the quota: the first were charged';
    like $e->{message}, qr/^TTS error: /, 'a TTS error';
    finish($q);
};

finish($w);

subtest 'a client that never reads: bounded memory, then the connection is closed' => sub {
    my $w = Waav::Run->configure('061n', env => {%env, WORKER_PROCESSES => 1});
    # the server's: the speak's subrequest (its provider location) counts too
    $w->add_conf('run.d/server.conf', 'send_timeout 2s;');
    $w->launch;
    my ($worker) = $w->workers;
    # the worker has served a request: its start (the local engine's
    # loading among it) is over before its size is taken
    is $w->request("GET /")->{status}, 200, 'the worker answers';
    my $before = rss_kib($worker);
    Waav::Run::mock_reset();
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws', rcvbuf => 4096);
    $ws->send_json({%config, tts_config => {provider => 'deepgram'}});
    is $w->mock_behavior('{"bytes":16000000}'), 204, 'the provider will send 16 MB of audio';
    $ws->send_json({type => 'speak', text => 'A long story'});
    # the session reads nothing more: nginx stops taking the provider's
    # audio once half a megabyte waits, then send_timeout ends it
    my $until = time + 10;
    sleep 0.05 until $w->mock('/__mock/count') >= 1 || time > $until;
    is $w->mock('/__mock/count'), 1, 'the provider was called';
    ok $ws->wait_server_closed(30), 'the server closed the connection';
    my $grew = rss_kib($worker) - $before;
    SKIP: {
        skip $SAN, 1 if $SAN;
        cmp_ok $grew, '<', 8192, "the worker grew by less than 8 MiB ($grew KiB) for 16 MB of audio";
    }
    finish($w);
};

subtest 'a client that floods pings and never reads: reading waits, memory stays bounded' => sub {
    my $w = Waav::Run->start('061f', env => {%env, WORKER_PROCESSES => 1});
    my ($worker) = $w->workers;
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws', rcvbuf => 4096);
    my $before = rss_kib($worker);
    my $batch = Waav::WS::frame_bytes(opcode => 1, payload => '{"type":"ping","timestamp":1}') x 2000;
    my ($sent, $t0) = (0, time);
    while (time - $t0 < 5) {
        last unless defined $ws->send_raw($batch, 2);
        $sent += length $batch;
    }
    my $grew = rss_kib($worker) - $before;
    # each ping's pong is queued for a client that takes none: over 512 KiB
    # queued, its frames are no longer read (TCP stops it)
    SKIP: {
        skip $SAN, 1 if $SAN;
        cmp_ok $grew, '<', 8192, "the worker grew by $grew KiB while the client sent "
                                 . int($sent / 1024) . ' KiB of pings';
    }
    $ws->abort;
    finish($w);
};

# --- the session limits of make run -----------------------------------------
subtest 'MAX_WEBSOCKET_CONNECTIONS: 503; MAX_CONNECTIONS_PER_IP: 429' => sub {
    my $l = Waav::Run->start('061l', env => {%env, MAX_WEBSOCKET_CONNECTIONS => 1});
    my $one = session($l);
    my $two = Waav::WS->connect(port => $l->port, path => '/ws');
    is $two->status, 503, 'a second session: 503';
    is_deeply $two->json, {error => 'Server at capacity. Please try again later.',
                           code => 'SERVER_AT_CAPACITY'}, 'WaaV\'s text';
    is $l->request("GET /")->{status}, 200, 'other routes are not counted';
    $one->send_close(1000);
    $one->wait_eof(5);
    my $three;
    for (1 .. 100) {
        $three = Waav::WS->connect(port => $l->port, path => '/ws');
        last if $three->upgraded;
        sleep 0.05;
    }
    ok $three->upgraded, 'once the first ended, a session again';
    finish($l);

    my $p = Waav::Run->start('061p', env => {%env, MAX_CONNECTIONS_PER_IP => 1});
    $one = session($p);
    $two = Waav::WS->connect(port => $p->port, path => '/ws');
    is $two->status, 429, 'a second session of one IP: 429';
    is $two->json->{error}, 'Too many connections from your IP address.', 'WaaV\'s text';
    finish($p);
};

# --- a long session does not grow its worker ------------------------------
subtest '600 speaks in one session: the worker does not grow with them' => sub {
    my $m = Waav::Run->start('061m', env => {%env, WORKER_PROCESSES => 1});
    my $ws = session($m);
    my $speaks = sub {
        for my $i (1 .. $_[0]) {
            $ws->send_json({type => 'speak', text => "hello $i"});
            my $t = next_text($ws, []);
            return 0 unless $t && ($t->{type} // '') eq 'tts_playback_complete';
        }
        return 1;
    };
    ok $speaks->(50), '50 speaks to warm up';
    my ($worker) = $m->workers;
    my $before = rss_kib($worker);
    ok $speaks->(600), '600 more';
    my $grew = rss_kib($worker) - $before;
    # each call's memory goes with it (its subrequest's parent is a stand-in
    # in the call's pool): 7 KiB a speak stayed in the session's pool before
    SKIP: {
        skip $SAN, 1 if $SAN;
        cmp_ok $grew, '<', 600, "the worker grew by $grew KiB (less than 1 KiB a speak)";
    }
    finish($m);
};

# --- a reload: sessions go on, until worker_shutdown_timeout ----------------
subtest 'reload: the session lives on in the old worker, then gets 1001' => sub {
    my $r = Waav::Run->configure('061r', env => {%env, WORKER_PROCESSES => 1});
    $r->add_conf('run.d/main.conf', 'worker_shutdown_timeout 2s;');
    $r->launch;
    Waav::Run::mock_reset();
    my $ws = session($r);
    my ($old) = $r->workers;
    kill 'HUP', $r->pid;
    $r->wait_workers(sub { grep { $_ != $old } @_ }, 20);
    $ws->send_json({type => 'speak', text => 'still here'});
    my @audio;
    is next_text($ws, \@audio)->{type}, 'tts_playback_complete', 'the old worker still speaks';
    is length(join '', @audio), length(mock_audio('deepgram')), 'whole: its length';
    is join('', @audio), mock_audio('deepgram'), 'whole';
    my $c = $ws->read_until(sub { $_[0]{type} eq 'close' || $_[0]{type} eq 'eof' }, 20);
    is $c->{type}, 'close', 'at worker_shutdown_timeout: a close';
    is $c->{code}, 1001, 'code 1001 (going away)';
    finish($r);
};

done_testing;
