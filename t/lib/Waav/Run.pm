package Waav::Run;

# make run's own configuration under test: conf/waav.conf with the provider
# locations scripts/providers-conf.sh writes, as scripts/run.sh --write
# prepares them (no hand-made copy), served by nginx with the module under
# test, its providers' base URLs pointing at the mock.
#
#   use Waav::Run;
#   my $w = Waav::Run->start('015', env => { Waav::Run::mock_env() });
#   my $c = Waav::Run->configure('016', env => {...});  # written, not started
#   my $out = $c->nginx('-t');
#   my $res = $w->request("POST /speak\n{...}", 'Content-Type: application/json');
#   $w->reload;                 # SIGHUP, returns once new workers serve
#   $w->finish;                 # stops nginx, checks the logs (Test::More)
#
# Under prove.sh: TEST_NGINX_BINARY, TEST_NGINX_LOAD_MODULES (empty: waav
# built in), TEST_NGINX_SERVROOT_BASE, WAAV_SAN_PRELOAD, WAAV_SAN_LOG_DIR.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(remove_tree);
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use Test::More ();
use Waav::Blocks ();
use Waav::Mock qw(mock_aws_creds mock_key mock_user);
use Waav::Registry ();

my $Top = dirname(dirname(dirname(dirname(abs_path(__FILE__)))));

# every registry provider's base URL at the mock, which serves each one under
# /<name> + the path of its default base URL (t/mock/README.md), and the key
# the mock takes for it (providers whose key is optional get none); the
# mock is started
sub mock_env {
    Waav::Blocks::start_mock();
    my $m = "http://127.0.0.1:$ENV{TEST_NGINX_MOCK_PORT}";
    return map {
        ($_->{url_env} => "$m/$_->{name}" . Waav::Registry::url_path($_),
         $_->{key} eq 'required' ? ($_->{key_env} => mock_key($_->{name})) : (),
         # a key that signs (AWS): the mock's long-term access key, from
         # the first two of the variables it is made of
         $_->{key} eq 'signed'
             ? do { my @n = split /:/, $_->{key_env}; my @c = mock_aws_creds(0);
                    ($n[0] => $c[0], $n[1] => $c[1]) }
             : (),
         # a second secret (Play.ht's user id)
         $_->{user_env} ? ($_->{user_env} => mock_user($_->{name})) : (),
         # "{NAME}" in its URLs: a value of the mock's (an instance id)
         (map { ($_ => 'mock-' . lc($_ =~ s/_/-/gr)) }
              ((($_->{base_url} // '') . ' ' . ($_->{stream_url} // ''))
                  =~ /\{([A-Z][A-Z0-9_]*)\}/g)),
         # a token host: /<name>-token + the path of its default URL
         $_->{token_url_env}
             ? ($_->{token_url_env} => "$m/$_->{name}-token"
                . Waav::Registry::url_path({%$_, base_url => $_->{token_url}}))
             : (),
         # a streaming host: /<name>-stream + the path of its default URL
         $_->{stream_url_env}
             ? ($_->{stream_url_env} => "$m/$_->{name}-stream"
                . Waav::Registry::url_path({%$_, base_url => $_->{stream_url}}))
             : ())
    } Waav::Registry::providers();
}

# scripts/run.sh --write with the given environment (and nothing else of
# the caller's, but the sanitizers' settings)
sub configure {
    my ($class, $name, %opt) = @_;
    my $base = $ENV{TEST_NGINX_SERVROOT_BASE} || "$Top/t";
    my $self = bless {
        prefix => "$base/run_$name",
        port   => Waav::Blocks::free_port(),
        nginx  => $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx',
    }, $class;

    remove_tree($self->{prefix});
    my %env = (
        PATH => $ENV{PATH}, HOME => $ENV{HOME} // '/tmp',
        WAAV_RUN_PREFIX => $self->{prefix}, HOST => '127.0.0.1', PORT => $self->{port},
        NGINX_BIN => $self->{nginx},
        MODULE => $ENV{TEST_NGINX_LOAD_MODULES} // "$Top/build/ngx_http_waav_module.so",
        # the provider path, not the per-IP limiter, is under test
        RATE_LIMIT_REQUESTS_PER_SECOND => 100000,
        (map { defined $ENV{$_} ? ($_ => $ENV{$_}) : () }
             qw(ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS)),
        %{$opt{env} // {}},
    );
    $self->{env} = \%env;

    my $out = do {
        local %ENV = %env;
        `"$Top/scripts/run.sh" --write 2>&1`;
    };
    die "scripts/run.sh --write failed: $out" if $?;
    return $self;
}

# the environment nginx runs with: under SAN=1 (only nginx gets the
# sanitizer runtimes) the preload too
sub nginx_env {
    my ($self) = @_;
    my %env = %{$self->{env}};
    $env{LD_PRELOAD} = $ENV{WAAV_SAN_PRELOAD} if $ENV{WAAV_SAN_PRELOAD};
    return %env;
}

# runs nginx on the configuration with these arguments; its output
sub nginx {
    my ($self, @args) = @_;
    my @cmd = ($self->{nginx}, '-p', "$self->{prefix}/", '-c', 'conf/waav.conf',
               '-e', 'stderr', @args);
    local %ENV = $self->nginx_env;
    my $out = `@cmd 2>&1`;
    $self->{status} = $?;
    return $out;
}

sub status { $_[0]{status} }

sub start {
    my ($class, $name, %opt) = @_;
    return $class->configure($name, %opt)->launch;
}

# starts nginx on a configuration written by configure() (which a test may
# have added to: $self->add_conf)
sub launch {
    my ($self) = @_;
    my %env = $self->nginx_env;

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        %ENV = %env;
        open STDOUT, '>>', "$self->{prefix}/logs/stdout.log";
        open STDERR, '>>', "$self->{prefix}/logs/stderr.log";
        exec $self->{nginx}, '-p', "$self->{prefix}/", '-c', 'conf/waav.conf',
             '-e', 'logs/error.log', '-g', 'daemon off;'
            or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    Waav::Blocks::wait_port($self->{port}, 20)
        or die "make run's nginx did not listen on $self->{port}: "
               . Waav::Blocks::read_file("$self->{prefix}/logs/error.log");
    $self->wait_workers(sub { @_ > 0 });
    return $self;
}

# appends lines to one of the generated files (run.d/ws.conf, run.d/http.conf,
# run.d/main.conf, ...) before launch()
sub add_conf {
    my ($self, $file, $text) = @_;
    open my $fh, '>>', "$self->{prefix}/conf/$file" or die "$file: $!";
    print $fh "$text\n";
    close $fh;
    return $self;
}

sub port { $_[0]{port} }
sub prefix { $_[0]{prefix} }
sub pid { $_[0]{pid} }

# one request on its own connection: "METHOD /uri\nbody", extra headers
sub request {
    my ($self, $spec, $headers, $timeout) = @_;
    my $raw = Waav::Blocks::build_request($spec, $headers);
    my $res = Waav::Blocks::http_request('127.0.0.1', $self->{port}, $raw, $timeout // 10);
    return { status => 'none', error => $res->{error} } if $res->{error};
    return Waav::Blocks::parse_response($res->{raw});
}

# the mock's control API, straight (not through nginx)
sub mock {
    my ($self, $path) = @_;
    my $res = Waav::Blocks::http_request('127.0.0.1', $ENV{TEST_NGINX_MOCK_PORT},
        "GET $path HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n\r\n", 10);
    return Waav::Blocks::parse_response($res->{raw})->{body};
}

sub mock_reset { Waav::Blocks::mock_reset() }

# queues a behaviour (JSON) for the mock's next provider request
sub mock_behavior {
    my ($self, $json) = @_;
    my $res = Waav::Blocks::http_request('127.0.0.1', $ENV{TEST_NGINX_MOCK_PORT},
        "POST /__mock/behavior HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n"
        . "Content-Type: application/json\r\nContent-Length: " . length($json)
        . "\r\n\r\n$json", 10);
    return Waav::Blocks::parse_response($res->{raw})->{status};
}

sub workers {
    my ($self) = @_;
    # the master's children, from /proc (a fresh Debian has no pgrep)
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        my ($pid, $ppid) = $line =~ /^(\d+) \(.*\) \S+ (\d+) /s or next;
        push @pids, $pid if $ppid == $self->{pid};
    }
    # the cache manager / loader are not workers; waav.conf has none
    return sort @pids;
}

sub wait_workers {
    my ($self, $ok, $secs) = @_;
    my $until = time + ($secs // 20);
    while (time < $until) {
        my @w = $self->workers;
        return @w if $ok->(@w);
        sleep 0.02;
    }
    die "nginx workers did not reach the expected state\n";
}

# SIGHUP; returns once the old workers are gone and new ones serve
sub reload {
    my ($self) = @_;
    my %old = map { $_ => 1 } $self->workers;
    kill 'HUP', $self->{pid};
    $self->wait_workers(sub { @_ && !grep { $old{$_} } @_ }, 30);
}

sub error_log { Waav::Blocks::read_file("$_[0]{prefix}/logs/error.log") }

# stops nginx; checks it ran to the end and logged no crash, no sanitizer
# report and nothing at alert level or above
sub finish {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    my $died = waitpid($pid, WNOHANG) == $pid;
    kill 'QUIT', $pid unless $died;
    my $until = time + 15;
    until ($died || waitpid($pid, WNOHANG) == $pid) {
        if (time > $until) { kill 'KILL', $pid; waitpid $pid, 0; last }
        sleep 0.01;
    }
    Test::More::ok(!$died, "make run's nginx ran to the end");

    my $log = $self->error_log . Waav::Blocks::read_file("$self->{prefix}/logs/stderr.log");
    my @bad = grep { /\[(alert|crit|emerg)\]|exited on signal|AddressSanitizer|runtime error:/ }
              split /\n/, $log;
    Test::More::ok(!@bad, "no crash, alert or sanitizer report in make run's error log")
        or Test::More::diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);

    if (my $dir = $ENV{WAAV_SAN_LOG_DIR}) {
        my @reports = grep { !/^\./ } map { s{.*/}{}r } glob "$dir/*";
        Test::More::ok(!@reports, 'no sanitizer report')
            or Test::More::diag(substr join("\n", map { Waav::Blocks::read_file("$dir/$_") } @reports), 0, 4000);
        unlink map { "$dir/$_" } @reports;
    }
    remove_tree($self->{prefix}) unless $ENV{TEST_NGINX_KEEP_SERVROOT};
}

sub DESTROY {
    my ($self) = @_;
    if (my $pid = $self->{pid}) { kill 'KILL', $pid; waitpid $pid, 0 }
    remove_tree($self->{prefix}) unless $ENV{TEST_NGINX_KEEP_SERVROOT};
}

1;
