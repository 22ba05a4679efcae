package Waav::Tls;

# Certificates for tests that speak TLS to a provider: a CA of their own
# and server certificates it signs (openssl on the command line).
#
#   my $ca = Waav::Tls::ca($dir, 'ca');                # $dir/ca.pem, .key
#   Waav::Tls::cert($dir, 'server', 'ca', 'DNS:api.mock.test');

use strict;
use warnings;
use Exporter 'import';

our @EXPORT_OK = qw(ca cert);

sub run { system("$_[0] 2>/dev/null") == 0 or die "openssl failed: $_[0]\n" }

# a self-signed CA: DIR/NAME.pem and DIR/NAME.key
sub ca {
    my ($dir, $name) = @_;
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=waav-test-$name"
        . " -keyout $dir/$name.key -out $dir/$name.pem");
    return "$dir/$name.pem";
}

# DIR/NAME.pem and DIR/NAME.key for SAN (e.g. "DNS:api.mock.test"), the
# first name also its CN, signed by the CA DIR/CA.pem
sub cert {
    my ($dir, $name, $ca, $san) = @_;
    my ($cn) = $san =~ /^(?:DNS|IP):([^,]+)/;
    run("openssl req -newkey rsa:2048 -nodes -subj /CN=$cn"
        . " -keyout $dir/$name.key -out $dir/$name.csr");
    open my $ext, '>', "$dir/$name.ext" or die "$dir/$name.ext: $!";
    print $ext "subjectAltName=$san\n";
    close $ext;
    run("openssl x509 -req -in $dir/$name.csr -CA $dir/$ca.pem -CAkey $dir/$ca.key"
        . " -CAcreateserial -days 2 -extfile $dir/$name.ext -out $dir/$name.pem");
    return "$dir/$name.pem";
}

1;
