# Streaming speech to text on /ws through make run's own configuration (the
# generated provider locations) against the mock's WebSocket APIs of
# Deepgram, AssemblyAI, ElevenLabs and Cartesia (t/mock/README.md,
# "Streaming STT"): a WAV file's audio streamed in 20 ms frames gives the
# mock's interims and final as stt_result in order, the mock saw the exact
# upgrade and every audio byte; refusals, provider closes, silence, TLS,
# the client leaving mid-stream (no descriptor left), the 5 s cap.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::WS;
use Waav::Mock qw(mock_key);
use Waav::Tls;
use Digest::SHA qw(sha1_hex);
use File::Temp qw(tempdir);
use JSON::PP qw(decode_json);
use Time::HiRes ();
use POSIX ();

my $T = JSON::PP::true;

# a TLS front for the mock (its own CA), which passes the upgrade on
my $certs = tempdir(CLEANUP => 1);
Waav::Tls::ca($certs, 'ca');
Waav::Tls::cert($certs, 'server', 'ca', 'IP:127.0.0.1');
my $tls_port = Waav::Blocks::free_port();

my %env = Waav::Run::mock_env();
my $w = Waav::Run->configure('062', env => {%env});
my $mock_port = $ENV{TEST_NGINX_MOCK_PORT};

# the front's server block (http level), passing the upgrade on
sub tls_front {
    return <<"CONF";
    server {
        listen 127.0.0.1:$tls_port ssl;
        ssl_certificate $certs/server.pem;
        ssl_certificate_key $certs/server.key;
        location / {
            proxy_pass http://127.0.0.1:$mock_port;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection "upgrade";
        }
    }
CONF
}

$w->add_conf('run.d/http.conf', tls_front());
# short provider timeouts, so silence is seen soon
$w->add_conf('run.d/ws.conf', "waav_ws_provider_timeout 2s;\nwaav_ws_provider_idle_timeout 2s;");
$w->launch;

sub ws { Waav::WS->connect(port => $w->port, path => '/ws', @_) }

sub mock_sessions {
    my ($p) = @_;
    return @{decode_json($w->mock('/__mock/ws' . ($p ? "?provider=$p" : '')))};
}

sub stt_config {
    my ($provider, %o) = @_;
    return {provider => $provider, language => 'en-US', sample_rate => 16000, channels => 1,
            punctuation => $T, encoding => 'linear16', model => 'nova-3', %o};
}

sub config {
    my ($ws, $provider, %o) = @_;
    $ws->send_json({type => 'config', stt_config => stt_config($provider, %o),
                    tts_config => {provider => 'deepgram'}});
}

sub session {
    my ($provider, %o) = @_;
    my $ws = ws();
    $ws->upgraded or BAIL_OUT("no upgrade: $ws->{status} $ws->{body}");
    config($ws, $provider, %o);
    my $ready = $ws->next_json(10);
    is $ready->{type}, 'ready', "$provider: ready once the provider is up"
        or diag explain $ready;
    return $ws;
}

# a WAV file of 1 s of 16 kHz mono 16-bit PCM (a 440 Hz tone), and its audio
sub wav_file {
    my $pcm = pack 's<*', map { int(8000 * sin(2 * 3.14159265 * 440 * $_ / 16000)) } 0 .. 15999;
    return 'RIFF' . pack('V', 36 + length $pcm) . 'WAVEfmt '
        . pack('VvvVVvv', 16, 1, 1, 16000, 32000, 2, 16) . 'data' . pack('V', length $pcm) . $pcm;
}

my $wav = wav_file();
my $audio = substr $wav, 44;
is length $audio, 32000, 'the WAV file holds 1 s of audio';

sub stream_audio {
    my ($ws, $bytes) = @_;
    $ws->send_binary(substr $bytes, $_ * 640, 640) for 0 .. length($bytes) / 640 - 1;
}

# the text messages up to (and with) the first one $done accepts
sub results_until {
    my ($ws, $done, $secs) = @_;
    my @got;
    while (my $m = $ws->next_json($secs // 10)) {
        push @got, $m;
        return @got if $done->($m);
    }
    return @got;
}

sub pong_barrier {
    my ($ws, $what) = @_;
    $ws->send_json({type => 'ping', timestamp => 7});
    my $m = $ws->next_json(10);
    is_deeply $m, {type => 'pong', timestamp => 7}, "$what: nothing more before the pong"
        or diag explain $m;
}

# --- each provider: a WAV file's audio, its results, what the mock saw ------
my $interims = ['hello', 'hello world', 'hello world from', 'hello world from the'];
my %case = (
    deepgram => {
        path => '/deepgram/v1/listen',
        query => 'model=nova-3&language=en-US&sample_rate=16000&channels=1&punctuate=true'
            . '&interim_results=true&smart_format=true&encoding=linear16&endpointing=200',
        auth => {authorization => 'Token ' . mock_key('deepgram')},
        interim_conf => 0.99, final_conf => 0.99,
        goodbye => '{"type":"CloseStream"}',
    },
    assemblyai => {
        path => '/assemblyai-stream/v3/ws',
        query => 'sample_rate=16000&encoding=pcm_s16le&speech_model=universal-streaming-english'
            . '&format_turns=true&end_of_turn_confidence_threshold=0.50',
        auth => {authorization => mock_key('assemblyai')},
        interim_conf => 0.98, final_conf => 0.98,
        # the unformatted end of a turn is an interim: one final a turn
        extra_interim => 'hello world from the mock',
        goodbye => '{"type":"Terminate"}',
        behavior => '{"aai_chunk_check":1}',
    },
    elevenlabs => {
        path => '/elevenlabs/v1/speech-to-text/realtime',
        query => 'model_id=scribe_v2_realtime&audio_format=pcm_16000&language_code=en'
            . '&commit_strategy=vad&include_timestamps=false&vad_silence_threshold_secs=0.5'
            . '&min_speech_duration_ms=50&min_silence_duration_ms=300',
        auth => {'xi-api-key' => mock_key('elevenlabs')},
        interim_conf => 0, final_conf => 1,
        goodbye => '{"message_type":"input_audio_chunk","audio_base_64":"","commit":true}',
    },
    cartesia => {
        path => '/cartesia/stt/websocket',
        query => 'model=ink-whisper&language=en&encoding=pcm_s16le&sample_rate=16000',
        # the key in a header (WaaV's is in the URL), and the API version
        auth => {'x-api-key' => mock_key('cartesia'), 'cartesia-version' => '2025-04-16'},
        interim_conf => 0, final_conf => 1,
        goodbye => 'done',
    },
);

for my $p (sort keys %case) {
    my $c = $case{$p};
    subtest "$p: a WAV file in 20 ms frames → its interims and final, in order" => sub {
        Waav::Run::mock_reset();
        $w->mock_behavior($c->{behavior}) if $c->{behavior};
        my $ws = session($p);
        stream_audio($ws, $audio);
        my @got = results_until($ws, sub { $_[0]{type} ne 'stt_result' || $_[0]{is_final} });
        my @want = ((map { [$_, 0, 0, $c->{interim_conf}] } @$interims),
                    $c->{extra_interim} ? [$c->{extra_interim}, 0, 0, $c->{interim_conf}] : (),
                    ['Hello world from the mock.', 1, 1, $c->{final_conf}]);
        is_deeply [map { [$_->{type}, $_->{transcript}, $_->{is_final} ? 1 : 0,
                          $_->{is_speech_final} ? 1 : 0, 0 + ($_->{confidence} // -1)] } @got],
                  [map { ['stt_result', @$_] } @want], 'the results, in order'
            or diag explain \@got;
        pong_barrier($ws, $p);

        my ($s) = mock_sessions($p);
        is $s->{path}, $c->{path}, 'the mock saw the path';
        is $s->{query}, $c->{query}, 'its query';
        is $s->{headers}{$_}, $c->{auth}{$_}, "its $_" for keys %{$c->{auth}};
        is $s->{headers}{upgrade}, 'websocket', 'Upgrade: websocket';
        ok $s->{ws_key_valid}, 'a valid Sec-WebSocket-Key';
        is $s->{audio_bytes}, length $audio, 'every audio byte';
        is $s->{audio_sha1}, sha1_hex($audio), 'in order';
        is $s->{unmasked}, 0, 'every frame masked';

        # the session's end: the provider's goodbye, then a close
        $ws->send_close(1000);
        $ws->wait_eof(10);
        my $end;
        for (1 .. 250) {
            ($end) = mock_sessions($p);
            last if $end->{state} eq 'closed';
            select undef, undef, undef, 0.02;
        }
        is $end->{state}, 'closed', 'the provider connection is closed';
        is $end->{texts}[-1], $c->{goodbye}, "the provider's goodbye was sent last"
            or diag explain $end->{texts};
    };
}

# --- flush, keepalive -----------------------------------------------------------
subtest 'flush: the provider\'s own (Deepgram Finalize; AssemblyAI ForceEndpoint, the audio held padded to 50 ms)' => sub {
    Waav::Run::mock_reset();
    my $ws = session('deepgram');
    stream_audio($ws, substr $audio, 0, 16000);
    $ws->send_json({type => 'flush'});
    my @got = results_until($ws, sub { $_[0]{is_final} });
    is $got[-1]{type}, 'stt_result', 'a final for half a second';
    my ($s) = mock_sessions('deepgram');
    is $s->{texts}[-1], '{"type":"Finalize"}', 'Deepgram got Finalize';

    Waav::Run::mock_reset();
    $w->mock_behavior('{"aai_chunk_check":1}');
    $ws = session('assemblyai');
    my $part = substr $audio, 0, 16320;         # 510 ms: 10 ms held
    stream_audio($ws, substr $part, 0, 15360);
    $ws->send_binary(substr $part, 15360);
    $ws->send_json({type => 'flush'});
    @got = results_until($ws, sub { $_[0]{type} ne 'stt_result' || $_[0]{is_final} });
    is_deeply [@{$got[-1]}{qw(type is_final)}], ['stt_result', JSON::PP::true],
              'a final, no chunk-length error' or diag explain \@got;
    ($s) = mock_sessions('assemblyai');
    is $s->{audio_bytes}, 16000 + 1600, 'the 10 ms held went padded to 50 ms';
    is $s->{audio_sha1}, sha1_hex($part . ("\0" x 1280)), 'with silence';
    is $s->{texts}[-1], '{"type":"ForceEndpoint"}', 'then ForceEndpoint';
};

subtest 'a silent caller\'s Deepgram stream gets KeepAlive' => sub {
    Waav::Run::mock_reset();
    my $ws = session('deepgram');
    my $s;
    for (1 .. 500) {
        ($s) = mock_sessions('deepgram');
        last if $s->{keepalives};
        select undef, undef, undef, 0.02;
    }
    cmp_ok $s->{keepalives}, '>=', 1, 'KeepAlive sent';
    is $s->{texts}[0], '{"type":"KeepAlive"}', 'as Deepgram spells it';
    is $s->{audio_bytes}, 0, 'no audio';
};

# --- WaaV's turn logic -------------------------------------------------------
subtest 'a final without the provider\'s speech final: the synthetic one after 1.8 s' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"dg_speech_final":"never"}');
    my $ws = session('deepgram');
    stream_audio($ws, $audio);
    my @got = results_until($ws, sub { $_[0]{is_final} });
    my $t0 = Time::HiRes::time();
    is $got[-1]{is_speech_final}, JSON::PP::false, 'the final is not speech final';
    my $syn = $ws->next_json(10);
    my $waited = Time::HiRes::time() - $t0;
    is(($ws->received)[-1]{data},
       '{"type":"stt_result","transcript":"","is_final":true,"is_speech_final":true,"confidence":1.0}',
       'WaaV\'s synthetic speech final, byte for byte') or diag explain $syn;
    cmp_ok $waited, '>=', 1.5, 'after the wait (1.8 s from the final)';
};

# --- refusals, closes, silence -------------------------------------------------
subtest 'the provider refuses the upgrade: an error, no ready, the session goes on' => sub {
    for my $status (401, 400) {
        Waav::Run::mock_reset();
        $w->mock_behavior(qq({"ws_refuse":$status}));
        my $ws = ws();
        config($ws, 'deepgram');
        my $e = $ws->next_json(10);
        is $e->{type}, 'error', "$status: an error";
        like $e->{message}, qr/^Failed to start voice manager: Provider deepgram answered $status: /,
             "$status: the provider's answer" or diag explain $e;
        unlike $e->{message}, qr/\Q${\ mock_key('deepgram')}\E/, 'never the key';
        pong_barrier($ws, "$status: no ready");
        $ws->send_binary('x' x 640);
        my $m = $ws->next_json(10);
        like $m->{message}, qr/^Audio processing is disabled/, "$status: audio is refused";
        # a new config works
        config($ws, 'deepgram');
        is $ws->next_json(10)->{type}, 'ready', "$status: a new config is ready";
    }
};

subtest 'a refusal that quotes the key: redacted, the server\'s and a BYOK one' => sub {
    Waav::Run::mock_reset();
    my $ws = ws();
    for my $key (undef, 'byok-0123456789abcdef') {
        $w->mock_behavior('{"ws_refuse":401,"echo_key":1}');
        config($ws, 'deepgram', defined $key ? (api_key => $key) : ());
        my $e = $ws->next_json(10);
        my $k = $key // mock_key('deepgram');
        like $e->{message}, qr/^Failed to start voice manager: Provider deepgram answered 401: .*Invalid credentials: Token \[redacted\]/,
             ($key ? 'BYOK' : 'server key') . ': the refusal, the key redacted' or diag explain $e;
        unlike $e->{message}, qr/\Q$k\E/, 'not the key';
    }
    my ($s) = grep { $_->{headers}{authorization} eq 'Token byok-0123456789abcdef' } mock_sessions('deepgram');
    ok $s, 'the BYOK key went to the provider';
};

subtest 'the provider closes mid-stream: STT streaming error, the session goes on' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"ws_close_after_bytes":6400}');
    my $ws = session('deepgram');
    stream_audio($ws, $audio);
    my @got = results_until($ws, sub { $_[0]{type} eq 'error' });
    is $got[-1]{message}, 'STT streaming error: the provider closed the stream (1011)',
       'the close, said' or diag explain \@got;
    pong_barrier($ws, 'then nothing');
    $ws->send_json({type => 'speak', text => 'still here'});
    my $m;
    do { $m = $ws->next_message(10) } while $m && $m->{type} eq 'binary';
    is $m->{json}{type}, 'tts_playback_complete', 'speak still works';
};

subtest 'the provider is silent: idle timeout (up), ready timeout (waiting for it)' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"ws_silent":1}');
    my $ws = session('deepgram');
    my $e = $ws->next_json(10);
    is $e->{message}, 'STT streaming error: the provider sent nothing in time',
       'deepgram: silent past waav_ws_provider_idle_timeout' or diag explain $e;

    $w->mock_behavior('{"ws_silent":1}');
    config($ws, 'assemblyai');
    $e = $ws->next_json(10);
    is $e->{message}, 'Failed to start voice manager: Timeout waiting for voice providers to be ready',
       'assemblyai: no Begin within waav_ws_provider_timeout' or diag explain $e;
    pong_barrier($ws, 'no ready');
};

subtest 'the provider\'s error message' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"ws_error":3200}');
    my $ws = session('assemblyai');
    stream_audio($ws, $audio);
    my @got = results_until($ws, sub { $_[0]{type} eq 'error' });
    like $got[-1]{message}, qr/^STT streaming error: .+/, 'STT streaming error: its words'
        or diag explain \@got;
};

# --- the client leaves; the provider does not read ----------------------------
# the descriptors the workers hold
sub fds { my $n = 0; $n += () = glob "/proc/$_/fd/*" for @_; $n }

subtest 'the client leaves mid-stream: the provider connection closes, no descriptor left' => sub {
    my @workers = $w->workers;
    # a session first, so the worker's lazily opened files are open
    my $warm = session('deepgram');
    $warm->send_close(1000);
    $warm->wait_eof(10);
    Waav::Run::mock_reset();
    my $before;
    for (1 .. 250) {
        $before = fds(@workers);
        my @live = grep { $_->{state} ne 'closed' } mock_sessions();
        last unless @live;
        select undef, undef, undef, 0.02;
    }
    my $ws = session('deepgram');
    stream_audio($ws, substr $audio, 0, 16000);
    results_until($ws, sub { $_[0]{transcript} eq 'hello world' });
    cmp_ok fds(@workers), '>', $before, 'the session holds descriptors';
    $ws->abort;                                 # no close frame
    my ($s, $n);
    for (1 .. 500) {
        ($s) = mock_sessions('deepgram');
        $n = fds(@workers);
        last if $s->{state} eq 'closed' && $n == $before;
        select undef, undef, undef, 0.02;
    }
    is $s->{state}, 'closed', 'the provider connection is closed';
    is $s->{texts}[-1], '{"type":"CloseStream"}', 'after CloseStream';
    is $n, $before, 'the worker holds as many descriptors as before';
};

subtest 'a provider that stops reading: at most 5 s of audio held, then error and 1011' => sub {
    Waav::Run::mock_reset();
    $w->mock_behavior('{"ws_slow_reader":0,"ws_rcvbuf":4096}');
    my $ws = session('deepgram');
    # one second of audio a frame: the socket buffers take some megabytes
    # first, then waav's own queue; few large frames reach that before the
    # provider's 60 s idle timer on a loaded machine (640-byte frames did not)
    my $frame = "\x01\x02" x 16000;
    my ($sent, $m) = (0);
    while ($sent < 64 * 1024 * 1024) {
        last unless defined $ws->send_binary($frame, timeout => 10);
        $sent += length $frame;
        next if $sent % (8 * length $frame);
        $m = $ws->read_until(sub { $_->{type} ne 'binary' }, 0.001);
        last if $m;
    }
    $m //= $ws->read_until(sub { $_->{type} ne 'binary' }, 10);
    is $m->{json}{type}, 'error', 'an error' or diag explain $m;
    like $m->{json}{message}, qr/^STT streaming error: the provider is not keeping up/,
         'the provider is not keeping up';
    my $c = $ws->read_until(sub { $_->{type} eq 'close' || $_->{type} eq 'eof' }, 10);
    is $c->{code}, 1011, 'close 1011';
    diag "sent $sent bytes before the cap";
};

# --- stt_seconds quotas ------------------------------------------------------
# read messages until one $done accepts; the others must be results
sub drain_until {
    my ($ws, $done) = @_;
    my @other;
    while (my $m = $ws->next_json(10)) {
        return ($m, \@other) if $done->($m);
        push @other, $m if $m->{type} ne 'stt_result';
    }
    return (undef, \@other);
}

subtest 'stt_seconds: charged ahead as audio streams, what was not streamed given back' => sub {
    my $q = Waav::Run->configure('062q', env => {%env, WORKER_PROCESSES => 1});
    $q->add_conf('run.d/http.conf', 'waav_limit_zone stt_q:1m key=all;');
    $q->add_conf('run.d/ws.conf', 'waav_limit zone=stt_q stt_seconds=25/d;');
    $q->launch;
    my $session = sub {
        my $ws = Waav::WS->connect(port => $q->port, path => '/ws');
        config($ws, 'deepgram');
        is $ws->next_json(10)->{type}, 'ready', 'ready';
        return $ws;
    };
    my $second = $audio x 1;

    # 3 s: 10 charged at the first byte, 7 back at the end
    my $ws = $session->();
    stream_audio($ws, $second) for 1 .. 3;
    $ws->send_json({type => 'ping', timestamp => 1});
    my ($m, $other) = drain_until($ws, sub { $_[0]{type} eq 'pong' });
    ok $m && !@$other, '3 s streamed' or diag explain $other;
    $ws->send_close(1000);
    $ws->wait_eof(10);

    # 22 s left: 20 s stream (two charges of 10), the 21st second is refused
    $ws = $session->();
    stream_audio($ws, $second) for 1 .. 20;
    $ws->send_json({type => 'ping', timestamp => 2});
    ($m, $other) = drain_until($ws, sub { $_[0]{type} eq 'pong' });
    ok $m && !@$other, '20 s more streamed: the first session\'s 7 came back'
        or diag explain $other;
    stream_audio($ws, $second);
    ($m) = drain_until($ws, sub { $_[0]{type} eq 'error' });
    like $m->{message}, qr/^STT streaming error: Too Many Requests! Wait for \d+s$/, 'then the quota refuses more'
        or diag explain $m;
    $ws->send_close(1000);
    $ws->wait_eof(10);
    $q->finish;
};

# --- providers that misbehave at the socket ----------------------------------
# raw providers (no mock): one that answers 101 and resets its connection
# when told, one that accepts connections and never answers
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER);
use Digest::SHA qw(sha1_base64);

my @kids;
END { kill 'KILL', @kids if @kids }

sub raw_provider {
    my ($serve) = @_;
    my $lsn = IO::Socket::INET->new(Listen => 512, LocalAddr => '127.0.0.1', LocalPort => 0,
                                    ReuseAddr => 1) or die "listen: $!";
    my $port = $lsn->sockport;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        # not prove's output: it waits for whoever holds it
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        $serve->($lsn);
        POSIX::_exit(0);
    }
    close $lsn;
    push @kids, $pid;
    return ($pid, $port);
}

subtest 'a provider resets while audio is forwarded; configs that pile up handshakes' => sub {
    pipe(my $go_r, my $go_w) or die;
    pipe(my $done_r, my $done_w) or die;
    my ($resetter, $rport) = raw_provider(sub {
        my $c = $_[0]->accept or return;
        my $req = '';
        while ($req !~ /\r\n\r\n/) { sysread($c, $req, 4096, length $req) or return }
        my ($key) = $req =~ /Sec-WebSocket-Key: (\S+)/i;
        my $acc = sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
        syswrite $c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     . "Connection: Upgrade\r\nSec-WebSocket-Accept: $acc\r\n\r\n";
        sysread $go_r, my $x, 1;
        setsockopt $c, SOL_SOCKET, SO_LINGER, pack('II', 1, 0);
        close $c;                               # a reset
        syswrite $done_w, 'x';
        sleep 60;
    });
    my ($holder, $hport) = raw_provider(sub {
        my @keep;
        while (my $c = $_[0]->accept) { push @keep, $c }
    });
    my $r = Waav::Run->configure('062r', env => {%env, WORKER_PROCESSES => 1,
        DEEPGRAM_BASE_URL => "http://127.0.0.1:$rport",
        CARTESIA_BASE_URL => "http://127.0.0.1:$hport"});
    $r->launch;
    my ($worker) = $r->workers;

    # the worker sees the client's audio and the provider's reset at once
    my $ws = Waav::WS->connect(port => $r->port, path => '/ws');
    config($ws, 'deepgram');
    is $ws->next_json(10)->{type}, 'ready', 'ready';
    kill 'STOP', $worker;
    $ws->send_binary("\0" x 640) for 1 .. 5;
    syswrite $go_w, 'x';
    sysread $done_r, my $x, 1;
    kill 'CONT', $worker;
    my $e = $ws->next_json(10);
    like $e->{message}, qr/^STT streaming error: /, 'the stream\'s end is said' or diag explain $e;
    pong_barrier($ws, 'the session goes on');
    ok kill(0, $worker), 'the worker lives';

    # a provider that never answers: a config while two handshakes are in
    # flight is refused (each would hold a connection for proxy_read_timeout)
    my $fds = fds($worker);
    config($ws, 'cartesia') for 1 .. 50;
    $ws->send_json({type => 'ping', timestamp => 9});
    my ($m, $other) = drain_until($ws, sub { $_[0]{type} eq 'pong' });
    my @refused = grep { ($_->{message} // '') =~ /still opening/ } @$other;
    is scalar @refused, 48, '48 of 50 configs refused: two handshakes in flight at most'
        or diag explain $other;
    cmp_ok fds($worker) - $fds, '<=', 4, 'the worker holds at most two more connections';
    $ws->abort;
    kill 'KILL', $resetter, $holder;
    waitpid $_, 0 for $resetter, $holder;
    @kids = ();
    $r->finish;
};

# --- TLS -------------------------------------------------------------------
subtest 'TLS to the provider: verified against its CA' => sub {
    my $t = Waav::Run->configure('062-tls', env => {%env,
        DEEPGRAM_BASE_URL => "https://127.0.0.1:$tls_port/deepgram",
        WAAV_CA_BUNDLE => "$certs/ca.pem"});
    $t->add_conf('run.d/http.conf', tls_front());
    # the front above is also this server's: the first one stops (its
    # error log checked: no alert, no sanitizer report)
    $w->finish;
    $t->launch;
    Waav::Run::mock_reset();
    my $ws = Waav::WS->connect(port => $t->port, path => '/ws');
    config($ws, 'deepgram');
    is $ws->next_json(10)->{type}, 'ready', 'ready over TLS';
    stream_audio($ws, $audio);
    my @got = results_until($ws, sub { $_[0]{is_final} });
    is $got[-1]{transcript}, 'Hello world from the mock.', 'the final, over TLS';
    my ($s) = mock_sessions('deepgram');
    is $s->{audio_sha1}, sha1_hex($audio), 'every byte';
    $ws->send_close(1000);
    $ws->wait_eof(10);

    # a CA that did not sign the provider's certificate: refused
    my $u = Waav::Run->configure('062-tls-bad', env => {%env,
        DEEPGRAM_BASE_URL => "https://127.0.0.1:$tls_port/deepgram",
        WAAV_CA_BUNDLE => '/etc/ssl/certs/ca-certificates.crt'});
    $u->launch;
    $ws = Waav::WS->connect(port => $u->port, path => '/ws');
    my $seen = () = mock_sessions('deepgram');
    config($ws, 'deepgram');
    my $e = $ws->next_json(10);
    is $e->{message}, 'Failed to start voice manager: could not reach the provider',
       'an unverified provider: no stream' or diag explain $e;
    is scalar(() = mock_sessions('deepgram')), $seen, 'the upgrade never reached it';
    like $u->error_log, qr/upstream SSL certificate verify error/, 'nginx\'s own verification refused it';
    $u->finish;
    $t->finish;
};

done_testing;
