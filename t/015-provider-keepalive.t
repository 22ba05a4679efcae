# Provider keepalive through make run's own configuration (conf/waav.conf
# and the provider locations scripts/providers-conf.sh writes): every
# provider gets HTTP/1.1 without "Connection: close", sequential calls share
# one connection (over TLS too), and reloads under load cost no request.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::Registry ();
use Waav::Mock qw(mock_audio);
use Waav::Tls;
use JSON::PP qw(decode_json);
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes qw(sleep time);

my $JSON = 'Content-Type: application/json';
# every TTS provider of the registry (a provider the mock cannot serve fails
# here, it is not left out); what some need beyond the text
my %needs = (cartesia => ',"voice_id":"694f9389-aac1-45b6-b726-9d9369183238"');
my %speak = map { $_ => "POST /speak\n{\"text\":\"Hello\",\"tts_config\":{\"provider\":\"$_\""
                       . ($needs{$_} // '') . '}}' }
            map { $_->{name} } Waav::Registry::tts_providers();
my @stt = map { $_->{name} } Waav::Registry::stt_providers();
my $wav = do {
    my $data = "\0\1" x 16000;
    pack('A4 V A4 A4 V v v V V v v A4 V', 'RIFF', 36 + length $data, 'WAVE', 'fmt ', 16,
         1, 1, 16000, 32000, 2, 16, 'data', length $data) . $data;
};

sub connections { $_[0]->mock('/__mock/connections' . ($_[1] ? "?provider=$_[1]" : '')) }

my %env = Waav::Run::mock_env();
# two workers whatever the machine's cores: each keeps its own pool
my $w = Waav::Run->start('015', env => {%env, WORKER_PROCESSES => 2});

# --- every generated provider location: what the provider received --------
subtest 'every provider gets HTTP/1.1 and no Connection header' => sub {
    my @calls = (
        (map { [$_, $speak{$_}, $JSON] } sort keys %speak),
        (map { ["$_ (stt)", "POST /listen?provider=$_\n$wav", 'Content-Type: audio/wav'] } @stt),
    );
    for my $c (@calls) {
        my ($name, $req, $h) = @$c;
        my ($p) = $name =~ /^(\S+)/;
        Waav::Run::mock_reset();
        my $res = $w->request($req, $h);
        is $res->{status}, 200, "$name: 200" or diag $res->{body};
        my $recs = decode_json($w->mock('/__mock/requests'));
        ok @$recs >= 1, "$name: the provider was called";
        for my $r (@$recs) {
            # a token exchange goes to the provider's token host, IBM's
            # speech to text to its own (the registry's streaming host)
            like $r->{path}, qr{^/\Q$p\E(?:-token|-stream)?/}, "$name: through make run's location for $p, to the mock";
            is $r->{version}, '1.1', "$name: $r->{method} $r->{path} over HTTP/1.1";
            is $r->{headers}{connection}, undef,
               "$name: $r->{path}: no Connection header (keepalive)";
        }
    }
};

# --- 20 sequential calls, one connection a worker ---------------------------
subtest '20 sequential /speak: at most 2 connections (one per worker)' => sub {
    Waav::Run::mock_reset();
    my @st = map { $w->request($speak{deepgram}, $JSON)->{status} } 1 .. 20;
    is_deeply \@st, [(200) x 20], 'all 200';
    cmp_ok connections($w, 'deepgram'), '<=', 2, 'the mock saw at most 2 TCP connections';
    is $w->mock('/__mock/count'), 20, 'and 20 requests';
};

# --- a transcript too large for memory, through make run's buffer size ------
subtest 'a 3 MB transcription answer: 502 PROVIDER_BAD_RESPONSE, then business as usual' => sub {
    Waav::Run::mock_reset();
    is $w->mock_behavior('{"json_pad":3000000}'), 204, 'the mock will answer 3 MB';
    my $big = $w->request("POST /listen?provider=deepgram\n$wav", 'Content-Type: audio/wav');
    is $big->{status}, 502, '502';
    is $big->{body}, '{"error":"Provider deepgram returned an answer over 1048576 bytes '
                   . '(subrequest_output_buffer_size)","code":"PROVIDER_BAD_RESPONSE"}', 'JSON';
    is $w->request("POST /listen?provider=deepgram\n$wav", 'Content-Type: audio/wav')->{status},
       200, 'the next call is answered';
    cmp_ok connections($w, 'deepgram'), '<=', 2, 'on a kept connection';
};

# --- reloads under load --------------------------------------------------------
subtest 'two reloads while 4 clients call /speak: every call answered 200' => sub {
    Waav::Run::mock_reset();
    my $dir = tempdir(CLEANUP => 1);
    my @kids;
    for my $k (1 .. 4) {
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my @st;
            until (-e "$dir/stop") {
                push @st, $w->request($speak{deepgram}, $JSON)->{status};
            }
            open my $fh, '>', "$dir/$k" or POSIX::_exit(1);
            print $fh join(' ', @st);
            close $fh;
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    my $wait_count = sub {
        my ($n) = @_;
        my $until = time + 60;
        sleep 0.05 while $w->mock('/__mock/count') < $n && time < $until;
    };
    $wait_count->(40);
    $w->reload;
    $wait_count->($w->mock('/__mock/count') + 40);
    $w->reload;
    $wait_count->($w->mock('/__mock/count') + 40);
    open my $fh, '>', "$dir/stop"; close $fh;
    waitpid $_, 0 for @kids;
    my @st = map { split ' ', Waav::Blocks::read_file("$dir/$_") } 1 .. 4;
    my @bad = grep { $_ ne '200' } @st;
    cmp_ok scalar @st, '>=', 120, 'calls made across the reloads (' . scalar(@st) . ')';
    is scalar @bad, 0, 'none failed' or diag "statuses: @bad";
    unlike $w->error_log, qr/Could not reach provider|upstream prematurely closed/,
           'no provider call failed';
};

$w->finish;

# --- over TLS: the same, counted at a TLS front for the mock -----------------
subtest 'TLS: 20 sequential /speak over one verified connection per worker' => sub {
    my $dir = tempdir(CLEANUP => 1);
    Waav::Tls::ca($dir, 'ca');
    # the generated location checks the URL's host (127.0.0.1) as a name
    Waav::Tls::cert($dir, 'server', 'ca', 'DNS:127.0.0.1,IP:127.0.0.1');

    # the TLS front: a plain nginx (no waav) logging each request's connection
    my $tls = Waav::Blocks::free_port();
    mkdir "$dir/logs";
    open my $conf, '>', "$dir/front.conf" or die;
    print $conf <<"CONF";
worker_processes 1;
pid $dir/front.pid;
error_log $dir/logs/error.log;
events {}
http {
    log_format conn '\$connection';
    access_log $dir/logs/conn.log conn;
    client_body_temp_path $dir;
    proxy_temp_path $dir;
    server {
        listen 127.0.0.1:$tls ssl;
        ssl_certificate $dir/server.pem;
        ssl_certificate_key $dir/server.key;
        location / { proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}; }
    }
}
CONF
    close $conf;
    my $front = fork // die;
    if ($front == 0) {
        open STDERR, '>', "$dir/logs/stderr.log";
        { exec $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx', '-p', "$dir/", '-c', "$dir/front.conf",
               '-e', "$dir/logs/error.log", '-g', 'daemon off;' }
        POSIX::_exit(127);
    }
    Waav::Blocks::wait_port($tls, 20) or die 'the TLS front did not start';
    # the wait's own probe connection is not a request: it logs nothing

    my $t = Waav::Run->start('015tls', env => {
        WORKER_PROCESSES => 2,
        DEEPGRAM_API_KEY => 'test-deepgram-key',
        DEEPGRAM_BASE_URL => "https://127.0.0.1:$tls/deepgram",
        WAAV_CA_BUNDLE => "$dir/ca.pem",
    });
    Waav::Run::mock_reset();
    my @res = map { $t->request($speak{deepgram}, $JSON) } 1 .. 20;
    is_deeply [map { $_->{status} } @res], [(200) x 20], 'all 200 over verified TLS';
    is $res[-1]{body}, mock_audio('deepgram', 16000), 'the audio';
    my %conns = map { $_ => 1 } grep { /\S/ } split /\n/,
                Waav::Blocks::read_file("$dir/logs/conn.log");
    cmp_ok scalar keys %conns, '<=', 2, 'the TLS front saw at most 2 connections'
        or diag 'connections: ' . join ' ', sort keys %conns;
    my $recs = decode_json($t->mock('/__mock/requests'));
    is scalar @$recs, 20, 'the mock saw the 20 calls';
    $t->finish;
    kill 'QUIT', $front;
    waitpid $front, 0;
};

done_testing;
