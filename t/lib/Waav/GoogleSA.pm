package Waav::GoogleSA;

# A Google service account made for a test: an RSA key pair made now
# (openssl genpkey: no private key is committed), the account's JSON file
# as Google's console writes it (pretty-printed, the PEM's newlines
# escaped), and what the mock's token endpoint needs to verify its
# assertions (POST /__mock/google-account: the client_email and the public
# key).
#
#   my $sa = Waav::GoogleSA->new(token_uri => "http://127.0.0.1:$port/google-token/token");
#   $sa->file; $sa->client_email; $sa->private_key; $sa->account_json;
#   $sa->register;    # with the running mock (TEST_NGINX_MOCK_PORT)

use strict;
use warnings;
use File::Temp qw(tempdir);
use JSON::PP ();
use Waav::Blocks ();

sub slurp { local (@ARGV, $/) = @_; <> }

sub new {
    my ($class, %o) = @_;
    my $dir = tempdir(CLEANUP => 1);
    system("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $dir/key.pem 2>/dev/null") == 0
        && system("openssl pkey -in $dir/key.pem -pubout -out $dir/pub.pem 2>/dev/null") == 0
        or die "Waav::GoogleSA: openssl failed\n";
    my $self = bless {
        dir          => $dir,
        client_email => $o{client_email} // 'waav-test@mock-project.iam.gserviceaccount.com',
        token_uri    => $o{token_uri} // die("Waav::GoogleSA: token_uri\n"),
        private_key  => slurp("$dir/key.pem"),
        public_key   => slurp("$dir/pub.pem"),
    }, $class;
    my %sa = (
        type => 'service_account', project_id => 'mock-project',
        private_key_id => join('', map { sprintf '%x', int rand 16 } 1 .. 40),
        private_key => $self->{private_key}, client_email => $self->{client_email},
        client_id => '100000000000000000001', auth_uri => 'https://accounts.google.com/o/oauth2/auth',
        token_uri => $self->{token_uri},
        auth_provider_x509_cert_url => 'https://www.googleapis.com/oauth2/v1/certs',
        client_x509_cert_url => 'https://www.googleapis.com/robot/v1/metadata/x509/waav-test',
        universe_domain => 'googleapis.com',
        %{$o{fields} // {}},
    );
    $self->{file} = "$dir/service-account.json";
    open my $fh, '>', $self->{file} or die "$self->{file}: $!";
    print $fh JSON::PP->new->canonical->pretty->encode(\%sa);
    close $fh;
    chmod 0644, $self->{file};
    return $self;
}

sub file         { $_[0]{file} }
sub dir          { $_[0]{dir} }
sub client_email { $_[0]{client_email} }
sub private_key  { $_[0]{private_key} }
sub public_key   { $_[0]{public_key} }

sub account_json {
    my ($self) = @_;
    return JSON::PP->new->canonical->encode({client_email => $self->{client_email},
                                             public_key => $self->{public_key}});
}

# the account, known to the mock's token endpoint from now on; its status
sub register {
    my ($self) = @_;
    Waav::Blocks::start_mock();
    my $json = $self->account_json;
    my $res = Waav::Blocks::http_request('127.0.0.1', $ENV{TEST_NGINX_MOCK_PORT},
        "POST /__mock/google-account HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n"
        . "Content-Type: application/json\r\nContent-Length: " . length($json)
        . "\r\n\r\n$json", 10);
    return Waav::Blocks::parse_response($res->{raw})->{status};
}

1;
