package Waav::Blocks;

# waav's test runner: data-driven blocks (=== TEST n, --- config,
# --- request, --- error_code, ...) in a format borrowed from openresty's
# Test::Nginx, read with Test::Base.  It is not Test::Nginx and the .t files
# do not run under it: sections and semantics are waav's own (the provider
# mock, sanitizer reports, --- must_die, ...).  It starts nginx in a
# temporary prefix with the freshly built module and reports through
# Test::More.
#
# Environment (names as Test::Nginx has them, for familiarity):
#   TEST_NGINX_BINARY        nginx to run (default: nginx in PATH)
#   TEST_NGINX_LOAD_MODULES  .so files to load_module, space separated
#   TEST_NGINX_PORT          port of the server under test (default: a
#                            free one, so files can run in parallel)
#   TEST_NGINX_SERVROOT      prefix directory (default
#                            $TEST_NGINX_SERVROOT_BASE/servroot_<file>,
#                            the base defaulting to t/)
#   TEST_NGINX_MOCK_PORT     port of t/mock/waav-mock.pl; when unset, the
#                            mock starts on a free port the first time a
#                            block's config names $TEST_NGINX_MOCK_PORT
#   WAAV_SAN_LOG_DIR         where sanitizer reports go; any file there
#                            fails the test that produced it
#   WAAV_SAN_PRELOAD         LD_PRELOAD for nginx alone (libasan, libubsan)

use strict;
use warnings;

use Test::Base ();
use Test::More ();
use Exporter ();
use Cwd qw(abs_path getcwd);
use File::Basename qw(basename dirname);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use IO::Select;
use Waav::Port;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

our @ISA = ('Exporter');
our @EXPORT = (
    @Test::More::EXPORT,
    qw(run_tests run_test blocks repeat_each plan no_plan no_shuffle
       env_to_nginx master_on master_off workers worker_connections
       log_level no_long_string no_root_location server_port
       add_block_preprocessor server_root html_dir mock_port
       check_accum_error_log no_diff)
);

my $RepeatEach = 1;
my $MasterProcess = 'off';
my $Workers = 1;
my $WorkerConnections = 64;
my $LogLevel = 'debug';
my $NoRootLocation = 0;
my @EnvToNginx;
my @BlockPreprocessors;
my $MockPid;
my $ServerPort = $ENV{TEST_NGINX_PORT} || $ENV{TEST_NGINX_SERVER_PORT};
my $ServRoot;
my $NginxPid;

my $LibDir = dirname(dirname(abs_path(__FILE__)));   # t/lib
my $MockScript = dirname($LibDir) . '/mock/waav-mock.pl';

sub import {
    my $class = shift;
    my @args = @_;

    # Test::Base keeps the blocks of $0 in a default object made here
    Test::Base->import();

    # through Test::Base, which otherwise plans again at END
    Test::Base::plan(@args) if @args;

    __PACKAGE__->export_to_level(1, $class);
}

sub blocks { Test::Base::blocks(@_) }
sub plan { Test::More::plan(@_) }
sub no_plan { Test::More->builder->no_plan }
sub repeat_each { $RepeatEach = shift if @_; $RepeatEach }
sub no_shuffle { }
sub no_diff { }
sub no_long_string { }
sub check_accum_error_log { }
sub master_on { $MasterProcess = 'on' }
sub master_off { $MasterProcess = 'off' }
sub workers { $Workers = shift }
sub worker_connections { $WorkerConnections = shift }
sub log_level { $LogLevel = shift }
sub no_root_location { $NoRootLocation = 1 }
sub env_to_nginx { push @EnvToNginx, @_ }
sub add_block_preprocessor { push @BlockPreprocessors, shift }
sub server_port { $ServerPort }
sub server_root { $ServRoot }
sub html_dir { "$ServRoot/html" }
sub mock_port { $ENV{TEST_NGINX_MOCK_PORT} }

# --- processes -----------------------------------------------------------

# a port reserved for this process (t/lib/Waav/Port.pm)
sub free_port { Waav::Port::free_port() }

sub wait_port {
    my ($port, $secs) = @_;
    my $until = time + $secs;
    while (time < $until) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                      Proto => 'tcp');
        if ($s) { close $s; return 1 }
        sleep 0.02;
    }
    return 0;
}

sub start_mock {
    return if $ENV{TEST_NGINX_MOCK_PORT};
    die "no mock at $MockScript\n" unless -f $MockScript;

    my $port = free_port();
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        exec $^X, $MockScript, 'daemon', '-l', "http://127.0.0.1:$port"
            or die "exec mock: $!";
    }
    $MockPid = $pid;
    wait_port($port, 20) or die "the mock did not start on port $port\n";
    $ENV{TEST_NGINX_MOCK_PORT} = $port;
}

sub mock_reset {
    my $port = $ENV{TEST_NGINX_MOCK_PORT} or return;
    my $res = http_request('127.0.0.1', $port,
        "POST /__mock/reset HTTP/1.1\r\nHost: mock\r\nContent-Length: 0\r\n"
        . "Connection: close\r\n\r\n", 5);
}

END {
    stop_nginx();
    if ($MockPid) {
        kill 'TERM', $MockPid;
        waitpid $MockPid, 0;
    }
}

sub nginx_binary {
    return $ENV{TEST_NGINX_BINARY} || 'nginx';
}

sub write_file {
    my ($path, $content) = @_;
    make_path(dirname($path));
    open my $fh, '>', $path or die "cannot write $path: $!";
    binmode $fh;
    print $fh $content;
    close $fh;
}

sub read_file {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    binmode $fh;
    local $/;
    my $s = <$fh>;
    close $fh;
    return $s // '';
}

sub expand_env {
    my ($text) = @_;
    return $text unless defined $text && !ref $text;
    # the mock starts the first time a config needs its port
    start_mock() if $text =~ /\$TEST_NGINX_MOCK_PORT\b/;
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        defined $ENV{$1} ? $ENV{$1} : die "No environment $1 defined.\n"
    }ge;
    return $text;
}

sub nginx_conf {
    my ($block) = @_;

    my $modules = '';
    for my $m (split ' ', $ENV{TEST_NGINX_LOAD_MODULES} || '') {
        $modules .= "load_module $m;\n";
    }

    my $env = join '', map { "env $_;\n" } @EnvToNginx;
    my $main = expand_env($block->main_config // '');
    my $http = expand_env($block->http_config // '');
    my $config = expand_env($block->config // '');
    my $root = $NoRootLocation ? '' : <<"END";
        location / {
            root $ServRoot/html;
            index index.html index.htm;
        }
END

    return <<"END";
${modules}worker_processes $Workers;
master_process $MasterProcess;
pid logs/nginx.pid;
error_log logs/error.log $LogLevel;
$env
$main

events {
    accept_mutex off;
    worker_connections $WorkerConnections;
}

http {
    access_log logs/access.log;
    default_type text/plain;
    keepalive_timeout 68;

    client_body_temp_path $ServRoot/client_body_temp;
    proxy_temp_path $ServRoot/proxy_temp;
    fastcgi_temp_path $ServRoot/fastcgi_temp;
    uwsgi_temp_path $ServRoot/uwsgi_temp;
    scgi_temp_path $ServRoot/scgi_temp;

$http

    server {
        listen 127.0.0.1:$ServerPort;
        server_name localhost;

$config

$root
    }
}
END
}

# Stops nginx; returns a complaint when it had died on its own.
sub stop_nginx {
    return undef unless $NginxPid;
    my $pid = $NginxPid;
    undef $NginxPid;

    my $gone = waitpid($pid, WNOHANG) == $pid;
    my $status = $?;
    my $complaint;
    if ($gone) {
        $complaint = "nginx exited by itself (status $status)";
    } else {
        # QUIT again every second: without a master, nginx sees a signal
        # only when it interrupts epoll_wait, and one that comes just
        # before the call is not seen until an event or a timer wakes it
        my $until = time + 10;
        my $next = 0;
        while (time < $until) {
            if (time >= $next) {
                kill 'QUIT', $pid;
                $next = time + 1;
            }
            last if waitpid($pid, WNOHANG) == $pid;
            sleep 0.005;
        }
        if (kill 0, $pid) {
            kill 'KILL', $pid;
            waitpid $pid, 0;
            $complaint = "nginx did not stop within 10 s";
        } elsif ($? & 127) {
            $complaint = "nginx died on signal " . ($? & 127);
        }
    }
    return $complaint;
}

sub nginx_cmd {
    return (nginx_binary(), '-p', "$ServRoot/", '-c', 'conf/nginx.conf', @_);
}

sub start_nginx {
    my ($block, $name) = @_;

    remove_tree($ServRoot);
    make_path(map { "$ServRoot/$_" }
              qw(conf logs html client_body_temp proxy_temp fastcgi_temp
                 uwsgi_temp scgi_temp));

    if (my $files = $block->user_files) {
        for my $f (split /^>>> /m, expand_env($files)) {
            next unless length $f;
            my ($fname, $content) = split /\n/, $f, 2;
            write_file("$ServRoot/html/$fname", $content // '');
        }
    }

    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
    $ENV{TEST_NGINX_HTML_DIR} = "$ServRoot/html";
    $ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

    my $conf = eval { nginx_conf($block) };
    if ($@) {
        Test::More::fail("$name - config: $@");
        return 0;
    }
    write_file("$ServRoot/conf/nginx.conf", $conf);

    # under SAN=1 only nginx gets the sanitizer runtimes, not perl
    local $ENV{LD_PRELOAD} = $ENV{WAAV_SAN_PRELOAD} if $ENV{WAAV_SAN_PRELOAD};

    my @cmd = nginx_cmd('-t', '-q');
    my $out = `@cmd 2>&1`;
    my $refused = $? != 0;

    if (defined $block->must_die) {
        Test::More::ok($refused, "$name - nginx refuses the config");
        for my $line (lines_or_list(scalar $block->error_log)) {
            Test::More::like($out, ref $line ? $line : qr/\Q$line\E/,
                             "$name - start-up error: $line");
        }
        return 0;
    }
    if ($refused) {
        Test::More::fail("$name - nginx -t failed: $out");
        return 0;
    }

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>>', "$ServRoot/logs/stdout.log";
        open STDERR, '>>', "$ServRoot/logs/stderr.log";
        exec nginx_cmd('-g', 'daemon off;') or POSIX::_exit(127);
    }
    $NginxPid = $pid;

    unless (wait_port($ServerPort, 10)) {
        my $why = stop_nginx() // '';
        Test::More::fail("$name - nginx is not listening on $ServerPort $why: "
                         . read_file("$ServRoot/logs/stderr.log"));
        return 0;
    }
    return 1;
}

# --- HTTP client -----------------------------------------------------------

# Sends raw bytes and reads the answer until the server closes or the
# timeout passes. Returns { raw, timed_out, error, first_byte_at, done_at }.
sub http_request {
    my ($host, $port, $raw, $timeout, $abort) = @_;
    my $start = time;
    my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
                                     Proto => 'tcp', Timeout => $timeout);
    return { error => "connect: $!", raw => '' } unless $sock;
    binmode $sock;
    $sock->autoflush(1);

    my $off = 0;
    while ($off < length $raw) {
        my $n = syswrite $sock, $raw, length($raw) - $off, $off;
        if (!defined $n) {
            last if $!{EPIPE} || $!{ECONNRESET};
            return { error => "write: $!", raw => '' };
        }
        $off += $n;
    }

    my $sel = IO::Select->new($sock);
    my ($buf, $first, $timed_out) = ('', undef, 0);
    my @arrivals;
    my $deadline = $start + $timeout;
    while (1) {
        my $left = $deadline - time;
        if ($left <= 0) { $timed_out = 1; last }
        last unless $sel->can_read($left);
        my $n = sysread $sock, my $chunk, 65536;
        last if !$n;
        $first //= time;
        $buf .= $chunk;
        push @arrivals, [time, length $buf];
    }
    close $sock;
    return { raw => $buf, timed_out => $timed_out, start => $start,
             first_byte_at => $first, done_at => time,
             arrivals => \@arrivals };
}

sub parse_response {
    my ($raw, $is_head) = @_;
    my %res = (headers => {}, header_list => [], body => '', truncated => 0);
    my $i = index $raw, "\r\n\r\n";
    return { %res, error => 'no complete response header' } if $i < 0;
    my $head = substr $raw, 0, $i;
    my $body = substr $raw, $i + 4;
    my ($status_line, @lines) = split /\r\n/, $head;
    ($res{status}) = $status_line =~ m{^HTTP/\d\.\d (\d{3})};
    for my $l (@lines) {
        my ($k, $v) = $l =~ /^([^:]+):\s*(.*)$/ or next;
        push @{$res{header_list}}, [$k, $v];
        my $lk = lc $k;
        $res{headers}{$lk} = exists $res{headers}{$lk}
                             ? "$res{headers}{$lk}, $v" : $v;
    }

    if (($res{headers}{'transfer-encoding'} // '') =~ /chunked/i) {
        my $out = '';
        $res{truncated} = 1;
        while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $len = hex $1;
            if ($len == 0) {
                $res{truncated} = 0;
                $body =~ s/^\r\n//;
                $res{rest} = $body;
                last;
            }
            if (length($body) < $len + 2) {
                $out .= $body;
                $body = '';
                last;
            }
            $out .= substr $body, 0, $len;
            substr($body, 0, $len + 2) = '';
        }
        $res{body} = $out;
    } else {
        $res{body} = $body;
        if (defined(my $cl = $res{headers}{'content-length'})) {
            if (length $body > $cl && !$is_head) {
                $res{rest} = substr $body, $cl;
                $res{body} = substr $body, 0, $cl;
            } elsif ($is_head) {
                $res{rest} = $body;
                $res{body} = '';
            }
            $res{truncated} = 1 if length $body < $cl && !$is_head
                                   && $res{status} !~ /^(1|204|304)/;
        }
    }
    return \%res;
}

sub build_request {
    my ($spec, $more_headers) = @_;
    my ($first, $body) = split /\n/, $spec, 2;
    $first =~ s/^\s+|\s+$//g;
    my ($method, $uri, $proto) = split /\s+/, $first;
    $proto //= 'HTTP/1.1';
    if (defined $body) {
        $body =~ s/\n\z//;
        undef $body if $body eq '' && $method =~ /^(GET|HEAD|DELETE)$/;
    }

    my (@headers, %have);
    for my $h (split /\n/, $more_headers // '') {
        next unless $h =~ /\S/;
        push @headers, $h;
        my ($k) = $h =~ /^([^:]+):/;
        $have{lc $k} = 1 if defined $k;
    }
    # the block's own Host, if it names one, replaces the default
    unshift @headers, 'Connection: close';
    unshift @headers, 'Host: localhost' unless $have{host};
    if (defined $body && !$have{'content-length'}
        && !$have{'transfer-encoding'})
    {
        push @headers, "Content-Length: " . length $body;
    }
    return "$method $uri $proto\r\n" . join('', map { "$_\r\n" } @headers)
           . "\r\n" . ($body // '');
}

# --- checks ----------------------------------------------------------------

sub list_of {
    my ($v) = @_;
    return () unless defined $v;
    return ref $v eq 'ARRAY' ? @$v : ($v);
}

sub nth {
    my ($v, $i) = @_;
    return undef unless defined $v;
    return ref $v eq 'ARRAY' ? $v->[$i] : $v;
}

sub check_response {
    my ($block, $name, $i, $res) = @_;

    my $want_code = nth(scalar $block->error_code, $i);
    $want_code = 200 unless defined $want_code || defined $block->error_code_like;
    if (defined $want_code) {
        $want_code =~ s/\s+//g;
        Test::More::is($res->{status} // '', $want_code, "$name - status code ok");
    }
    if (defined(my $like = nth(scalar $block->error_code_like, $i))) {
        Test::More::like($res->{status} // '', ref $like ? $like : qr/$like/,
                         "$name - status code like");
    }

    for my $h (split /\n/, nth(scalar $block->response_headers, $i) // '') {
        next unless $h =~ /\S/;
        if ($h =~ /^\s*!\s*(\S+)/) {
            Test::More::ok(!exists $res->{headers}{lc $1},
                           "$name - header $1 absent");
            next;
        }
        my ($k, $v) = $h =~ /^([^:]+):\s*(.*?)\s*$/ or next;
        Test::More::is($res->{headers}{lc $k}, expand_env($v),
                       "$name - header $k ok");
    }
    for my $h (split /\n/, nth(scalar $block->response_headers_like, $i) // '') {
        next unless $h =~ /\S/;
        my ($k, $v) = $h =~ /^([^:]+):\s*(.*?)\s*$/ or next;
        Test::More::like($res->{headers}{lc $k} // '', qr/$v/,
                         "$name - header $k like");
    }

    # --- response_body_filters: code refs the body goes through first
    my $got = $res->{body};
    for my $f (list_of(scalar $block->response_body_filters)) {
        die "response_body_filters takes code refs\n" unless ref $f eq 'CODE';
        $got = $f->($got);
    }

    if (defined(my $want = nth(scalar $block->response_body, $i))) {
        $want = expand_env($want);
        if ($got eq $want) {
            Test::More::pass("$name - response_body - response is expected");
        } elsif (printable($got) ne printable($want)) {
            Test::More::is(printable($got), printable($want),
                           "$name - response_body - response is expected");
        } else {
            # long or binary bodies print alike: show where they part
            my $at = 0;
            $at++ while $at < length $got && $at < length $want
                && substr($got, $at, 1) eq substr($want, $at, 1);
            Test::More::fail("$name - response_body - response is expected");
            Test::More::diag("bodies of " . length($got) . " and "
                . length($want) . " bytes differ at byte $at: got "
                . printable(substr $got, $at, 32) . ", want "
                . printable(substr $want, $at, 32));
        }
    }
    if (defined(my $like = nth(scalar $block->response_body_like, $i))) {
        $like = expand_env($like) unless ref $like;
        Test::More::like($got, ref $like ? $like : qr/$like/s,
                         "$name - response_body_like - response is expected");
    }
    if (defined(my $unlike = nth(scalar $block->response_body_unlike, $i))) {
        Test::More::unlike($res->{body}, ref $unlike ? $unlike : qr/$unlike/s,
                           "$name - response_body_unlike");
    }
}

# waav's own sections (the real Test::Nginx ignores them):
#   --- first_body_bytes_before_end: N SECONDS
#                                            N body bytes arrived at least
#                                            that long before the answer's end
#                                            (streamed, not held back; a slow
#                                            machine only delays both)
#   --- min_duration: SECONDS                the whole answer took at least
#   --- response_truncated                   the body must end short
sub check_timing {
    my ($block, $name, $res) = @_;

    if (defined(my $spec = $block->first_body_bytes_before_end)) {
        my ($n, $secs) = split ' ', $spec;
        my $at;
        for my $a (@{$res->{arrivals}}) {
            my $p = parse_response(substr $res->{raw}, 0, $a->[1]);
            if (length($p->{body} // '') >= $n) { $at = $a->[0]; last }
        }
        my $ahead = defined $at ? $res->{done_at} - $at : 'never';
        Test::More::ok(defined $at && $res->{done_at} - $at >= $secs,
                       "$name - first $n body bytes at least ${secs}s before "
                       . "the end ($ahead)");
    }
    if (defined(my $secs = $block->min_duration)) {
        my $took = $res->{done_at} - $res->{start};
        Test::More::ok($took >= $secs,
                       sprintf "%s - answer took at least %ss (took %.3f)",
                       $name, $secs, $took);
    }
}

sub check_truncation {
    my ($block, $name, $i, $res) = @_;
    my $want = defined $block->response_truncated;
    return if !$want && !$res->{truncated};
    Test::More::is($res->{truncated} ? 1 : 0, $want ? 1 : 0,
                   "$name - response " . ($want ? 'is' : 'is not') . ' truncated');
}

sub printable {
    my ($s) = @_;
    return $s if $s !~ /[^\x09\x0a\x0d\x20-\x7e]/ && length $s < 4096;
    my $len = length $s;
    (my $head = substr $s, 0, 64) =~ s/([^\x20-\x7e])/sprintf '\\x%02x', ord $1/ge;
    return "<$len bytes: $head...>";
}

sub wait_error_log {
    my ($block, $log_file, $log_start) = @_;
    my @want = lines_or_list(scalar $block->error_log) or return;
    my $until = time + 10;

    while (time < $until) {
        my $log = substr read_file($log_file), $log_start;
        my $missing = grep { ref $_ ? $log !~ $_ : index($log, $_) < 0 } @want;
        return unless $missing;
        sleep 0.05;
    }
}

sub check_error_log {
    my ($block, $name, $log) = @_;

    for my $want (lines_or_list(scalar $block->error_log)) {
        my $ok = ref $want ? $log =~ $want : index($log, $want) >= 0;
        Test::More::ok($ok, "$name - pattern \"$want\" should match a line in error.log");
    }
    for my $bad (lines_or_list(scalar $block->no_error_log)) {
        my $hit = ref $bad ? $log =~ $bad : index($log, $bad) >= 0;
        Test::More::ok(!$hit, "$name - pattern \"$bad\" does not match a line in error.log");
        if ($hit) {
            my @l = grep { ref $bad ? $_ =~ $bad : index($_, $bad) >= 0 }
                    split /\n/, $log;
            Test::More::diag("  $_") for @l[0 .. ($#l < 4 ? $#l : 4)];
        }
    }
}

sub lines_or_list {
    my ($v) = @_;
    return () unless defined $v;
    return @$v if ref $v eq 'ARRAY';
    return ($v) if ref $v;
    return grep { /\S/ } split /\n/, expand_env($v);
}

# Worker crashes and sanitizer reports fail the block that caused them.
sub check_health {
    my ($name, $log) = @_;
    my @bad = grep { /exited on signal|AddressSanitizer|LeakSanitizer|runtime error:|\[alert\].*(segfault|double free)/ }
              split /\n/, $log;
    Test::More::ok(!@bad, "$name - no crash or sanitizer report in error.log")
        or Test::More::diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);

    my $dir = $ENV{WAAV_SAN_LOG_DIR} or return;
    opendir my $dh, $dir or return;
    my @reports = grep { !/^\./ } readdir $dh;
    closedir $dh;
    my $text = join "\n", map { read_file("$dir/$_") } @reports;
    unlink map { "$dir/$_" } @reports;
    Test::More::ok(!@reports, "$name - no sanitizer report")
        or Test::More::diag(substr $text, 0, 4000);
}

# --- running ---------------------------------------------------------------

sub run_test {
    my ($block) = @_;
    my $name = $block->name;
    $name =~ s/^\s+|\s+$//g;
    my $file = basename($0, '.t');

    if ($block->skip_nginx) { return }

    $_->($block) for @BlockPreprocessors;

    mock_reset();

    if (my $init = $block->init) {
        eval $init;
        die "init failed in $name: $@" if $@;
    }

    return unless start_nginx($block, $name);

    my $log_file = "$ServRoot/logs/error.log";
    my $log_start = 0;   # a fresh prefix per block: the whole log is this block's

    my @requests;
    if (defined(my $raw = $block->raw_request)) {
        @requests = map { expand_env($_) } list_of($raw);
    } elsif (defined(my $pipelined = $block->pipelined_requests)) {
        # all on one connection: keep-alive until the last
        my @p = list_of($pipelined);
        @requests = join '', map {
            my $req = build_request(expand_env($p[$_]), $block->more_headers);
            $req =~ s/\r\nConnection: close\r\n/\r\nConnection: keep-alive\r\n/
                if $_ < $#p;
            $req;
        } 0 .. $#p;
    } else {
        my $i = 0;
        for my $r (list_of(scalar $block->request)) {
            push @requests, ref $r eq 'CODE' ? $r : build_request(expand_env($r),
                expand_env(nth(scalar $block->more_headers, $i)));
            $i++;
        }
    }

    my $timeout = $block->timeout // 5;
    $timeout =~ s/s$//;

    # waav's own: --- background_requests eval [...] go out at once, each on
    # its own connection (a child process), before the block's requests;
    # --- background_timeout (s, then the client hangs up),
    # --- background_error_code eval [...] checks their statuses at the end;
    # --- background_wait: seconds before the block's requests start (0 by
    # default: a code ref among the requests polls for the state to wait for)
    my @bg;
    for my $req (list_of(scalar $block->background_requests)) {
        my $raw = build_request(expand_env($req), expand_env($block->more_headers));
        my $out = "$ServRoot/logs/bg." . scalar(@bg);
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            my $res = http_request('127.0.0.1', $ServerPort, $raw,
                                   $block->background_timeout // 10);
            my $p = parse_response($res->{raw});
            write_file($out, $p->{status} // 'none');
            POSIX::_exit(0);
        }
        push @bg, [$pid, $out];
    }
    sleep($block->background_wait) if @bg && $block->background_wait;

    for my $i (0 .. $#requests) {
        my $rn = @requests > 1 ? "$name (req $i)" : $name;

        # waav's own: a code ref among the requests runs between them
        # (stop a service, wait); its place in the expectations is skipped
        if (ref $requests[$i] eq 'CODE') {
            $requests[$i]->();
            next;
        }

        my $res = http_request('127.0.0.1', $ServerPort, $requests[$i],
                               $timeout);
        if ($res->{error}) {
            Test::More::fail("$rn - request: $res->{error}");
            next;
        }
        if ($res->{timed_out} && !$block->abort) {
            Test::More::fail("$rn - timed out after $timeout s");
        }
        next if $res->{timed_out} && $block->abort && !length $res->{raw};
        my $parsed = parse_response($res->{raw}, $requests[$i] =~ /^HEAD /);

        # pipelined requests: the bodies of all answers, one after another
        if (defined $block->pipelined_requests) {
            my ($p, $n) = ($parsed, 1);
            while (defined $p->{rest} && length $p->{rest}) {
                $p = parse_response($p->{rest});
                last unless defined $p->{status};
                $parsed->{body} .= $p->{body};
                $n++;
            }
            $parsed->{answers} = $n;
        }
        check_response($block, $rn, $i, $parsed);
        # timing sections are about the last request of a block
        check_timing($block, $rn, $res) if $i == $#requests;
        check_truncation($block, $rn, $i, $parsed) if $i == $#requests;
    }

    if (@bg) {
        waitpid $_->[0], 0 for @bg;
        my $want = $block->background_error_code;
        for my $i (0 .. $#bg) {
            my $got = read_file($bg[$i][1]);
            Test::More::is($got, nth($want, $i), "$name - background request $i status")
                if defined $want;
        }
    }

    if (my $wait = $block->wait) { sleep $wait }

    # what --- error_log expects may be logged after the answer went out
    # (a call the client left, finishing): wait for it, however slow the
    # machine; the absence --- no_error_log checks is read once nginx is gone
    wait_error_log($block, $log_file, $log_start);

    my $complaint = stop_nginx();
    Test::More::ok(!$complaint, "$name - nginx ran to the end")
        or Test::More::diag($complaint);

    my $log = substr read_file($log_file), $log_start;
    check_error_log($block, $name, $log);
    check_health($name, read_file($log_file)
                        . read_file("$ServRoot/logs/stderr.log"));
}

sub run_tests {
    my $file = basename($0, '.t');
    my $base = $ENV{TEST_NGINX_SERVROOT_BASE} || getcwd() . '/t';
    $ServRoot = $ENV{TEST_NGINX_SERVROOT} || "$base/servroot_$file";
    make_path(dirname($ServRoot));

    # one port per file, so that prove -j can run files side by side
    $ServerPort ||= free_port();


    for my $block (blocks()) {
        for (1 .. $RepeatEach) {
            run_test($block);
        }
    }

    remove_tree($ServRoot) unless $ENV{TEST_NGINX_KEEP_SERVROOT};
}

1;
