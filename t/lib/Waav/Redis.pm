package Waav::Redis;

# A real redis-server for the limit tests, and a second nginx that shares
# it (a fleet of two).  Both are started and stopped by the test file.
#
#   redis_start(); redis_stop(); $ENV{TEST_NGINX_REDIS_PORT}
#   my $port = second_nginx($http_config, $server_config);
#   my @answers = parallel_requests($port, \@raw_requests, $meanwhile);
#   my $n = redis_script_calls();
#   my $held = redis_slots();      # concurrency slots held, all keys
#   my $n = redis_clients();       # connections, not counting ours
#   second_nginx_stop();

use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;
use POSIX ();
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);
use Waav::Port;

our @EXPORT = qw(redis_start redis_stop redis_cmd redis_signal second_nginx
                 second_nginx_stop parallel_requests redis_script_calls
                 redis_slots redis_clients);

my ($RedisPid, $NginxPid);
my $Port = free_port();
$ENV{TEST_NGINX_REDIS_PORT} = $Port;

sub free_port { Waav::Port::free_port() }

sub wait_port {
    my ($port, $up) = @_;
    my $until = time + 10;
    while (time < $until) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port);
        return 1 if $up ? $s : !$s;
        sleep 0.02;
    }
    return 0;
}

sub redis_start {
    my @extra = @_;
    return if $RedisPid;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec 'redis-server', '--port', $Port, '--bind', '127.0.0.1', '--save', '',
             '--appendonly', 'no', @extra or POSIX::_exit(127);
    }
    $RedisPid = $pid;
    wait_port($Port, 1) or die "redis-server did not start on $Port\n";
    # the port answers: make sure it is ours, not a server that held it
    die "redis-server exited: port $Port is someone else's\n"
        if waitpid($pid, POSIX::WNOHANG()) == $pid;
}

sub redis_stop {
    return unless $RedisPid;
    kill 'KILL', $RedisPid;
    waitpid $RedisPid, 0;
    undef $RedisPid;
    wait_port($Port, 0);
}

sub redis_signal {
    my ($sig) = @_;
    kill $sig, $RedisPid if $RedisPid;
}

# commands on one connection (inline protocol); the last one's first line
sub redis_cmd {
    my @cmds = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $Port)
        or return undef;
    my $line;
    for my $cmd (@cmds) {
        print $s "$cmd\r\n";
        $line = <$s>;
    }
    close $s;
    $line =~ s/\r?\n$// if defined $line;
    return $line;
}

# concurrency slots held in Redis (members of the waav:*:slots sets), as
# ":N", or what Redis said
sub redis_slots {
    redis_cmd(q{EVAL "local s=0 for _,k in ipairs(redis.call('KEYS','waav:*:slots')) do s=s+redis.call('ZCARD',k) end return s" 0});
}

# INFO's section, as text
sub redis_info {
    my ($section) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $Port)
        or return undef;
    print $s "INFO $section\r\n";
    my $head = <$s>;
    my ($len) = ($head // '') =~ /^\$(\d+)/ or return undef;
    my $info = '';
    read $s, $info, $len + 2;
    close $s;
    return $info;
}

# how many scripts Redis ran (EVAL and EVALSHA) since CONFIG RESETSTAT
sub redis_script_calls {
    my $info = redis_info('commandstats') // return undef;
    my $calls = 0;
    $calls += $1 while $info =~ /^cmdstat_eval(?:sha)?:calls=(\d+)/mg;
    return $calls;
}

# clients connected to Redis besides the one asking (-1: no Redis)
sub redis_clients {
    my $info = redis_info('clients') // return -1;
    return $info =~ /^connected_clients:(\d+)/m ? $1 - 1 : -1;
}

# Every request on its own connection, all written before any answer is
# read (so nginx has them at once); $meanwhile runs in between.  Returns
# [status, {lowercased header => value}, body] per request, in order.
sub parallel_requests {
    my ($port, $reqs, $meanwhile) = @_;
    my @socks = map {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
            or die "connect: $!"
    } @$reqs;
    for my $i (0 .. $#$reqs) {
        my $s = $socks[$i];
        $s->autoflush(1);
        print $s $reqs->[$i];
    }
    $meanwhile->() if $meanwhile;
    my @answers;
    for my $s (@socks) {
        local $/;
        my $raw = <$s> // '';
        close $s;
        my ($head, $body) = split /\r\n\r\n/, $raw, 2;
        my ($status) = ($head // '') =~ m{^HTTP/1\.\d (\d+)};
        my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1 => $2) : () }
                split /\r\n/, $head // '';
        push @answers, [$status // 0, \%h, $body // ''];
    }
    return @answers;
}

sub second_nginx_stop {
    return unless $NginxPid;
    kill 'QUIT', $NginxPid;
    waitpid $NginxPid, 0;
    undef $NginxPid;
}

sub second_nginx {
    my ($http, $server) = @_;
    second_nginx_stop();
    my $dir = tempdir(CLEANUP => 1);
    my $port = free_port();
    mkdir "$dir/$_" for qw(conf logs);
    my $modules = join '', map { "load_module $_;\n" }
                  split ' ', $ENV{TEST_NGINX_LOAD_MODULES} || '';
    open my $fh, '>', "$dir/conf/nginx.conf" or die;
    print $fh <<"END";
${modules}master_process off;
pid logs/nginx.pid;
error_log logs/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir;
    proxy_temp_path $dir;
    fastcgi_temp_path $dir;
    uwsgi_temp_path $dir;
    scgi_temp_path $dir;
$http
    server {
        listen 127.0.0.1:$port;
$server
    }
}
END
    close $fh;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        $ENV{LD_PRELOAD} = $ENV{WAAV_SAN_PRELOAD} if $ENV{WAAV_SAN_PRELOAD};
        open STDOUT, '>', '/dev/null';
        open STDERR, '>>', "$dir/logs/stderr.log";
        exec $ENV{TEST_NGINX_BINARY} || 'nginx', '-p', "$dir/", '-c', 'conf/nginx.conf',
             '-g', 'daemon off;' or POSIX::_exit(127);
    }
    $NginxPid = $pid;
    wait_port($port, 1) or die "the second nginx did not start: "
        . `cat $dir/logs/error.log $dir/logs/stderr.log 2>/dev/null`;
    return $port;
}

END {
    second_nginx_stop();
    redis_stop();
}

1;
