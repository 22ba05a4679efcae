package Waav::Port;

# Ports for the servers a test starts (nginx, the mock, Redis, TLS and auth
# back ends), safe when test files run in parallel and on a busy machine.
#
# A port taken with bind(0) and closed again can be handed out to the next
# caller, so two test files could start their servers on one port and the
# second would talk to the first's server (a Redis shared with another
# file loses its connections when that file stops it).  Ports here are
# drawn below the kernel's ephemeral range (so no outgoing connection and
# no bind(0) holds them) and each is reserved with a lock file that this
# process holds until it exits.
#
#   my $port = Waav::Port::free_port();

use strict;
use warnings;
use Fcntl qw(:flock O_RDWR O_CREAT);
use IO::Socket::INET;

my $Dir = ($ENV{TMPDIR} || '/tmp') . '/waav-test-ports';
my @Held;

sub ephemeral_low {
    open my $fh, '<', '/proc/sys/net/ipv4/ip_local_port_range' or return 32768;
    my ($low) = split ' ', scalar <$fh>;
    return $low && $low > 12000 ? $low : 32768;
}

sub free_port {
    mkdir $Dir, 0777;
    chmod 0777, $Dir;
    my $top = ephemeral_low() - 1;
    my $base = 10000;

    for (1 .. 2000) {
        my $port = $base + int rand($top - $base);
        sysopen my $lock, "$Dir/$port", O_RDWR | O_CREAT, 0666 or next;
        unless (flock $lock, LOCK_EX | LOCK_NB) { close $lock; next }
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                      LocalPort => $port, Proto => 'tcp',
                                      ReuseAddr => 1);
        unless ($s) { close $lock; next }
        close $s;
        push @Held, $lock;
        return $port;
    }
    die "cannot find a free port in $base-$top\n";
}

1;
