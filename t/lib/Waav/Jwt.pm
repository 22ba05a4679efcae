package Waav::Jwt;

# JWTs for the auth tests, made here with Perl and the openssl command:
# HS256 with Digest::SHA, RS256 and ES256 with `openssl dgst -sign` (the
# ES256 DER signature turned into JOSE's raw r||s).  Keys are made fresh in
# a temporary directory: keys_dir() has rsa.pem/rsa.pub, ec.pem/ec.pub,
# rsa2.pem/rsa2.pub.  jwk() gives a public key as a JWK (JSON text), as
# identity providers publish them in a JWK Set.

use strict;
use warnings;
use Exporter 'import';
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64);
use File::Temp qw(tempdir);

our @EXPORT = qw(jwt b64url keys_dir json_of jwk);

my $Dir;

sub keys_dir {
    return $Dir if $Dir;
    $Dir = tempdir(CLEANUP => 1);
    for my $k (qw(rsa rsa2)) {
        run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $Dir/$k.pem");
        run("openssl pkey -in $Dir/$k.pem -pubout -out $Dir/$k.pub");
    }
    run("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $Dir/ec.pem");
    run("openssl pkey -in $Dir/ec.pem -pubout -out $Dir/ec.pub");
    return $Dir;
}

sub run {
    my ($cmd) = @_;
    system("$cmd 2>/dev/null") == 0 or die "failed: $cmd\n";
}

sub b64url {
    my ($s) = @_;
    my $b = encode_base64($s, '');
    $b =~ tr{+/}{-_};
    $b =~ s/=+$//;
    return $b;
}

# a JSON object from a list of pairs, keys in the order given; numbers stay
# numbers, other values become strings unless passed as \'raw json'
sub json_of {
    my @kv = @_;
    my @out;
    while (my ($k, $v) = splice @kv, 0, 2) {
        my $j = ref $v eq 'SCALAR' ? $$v
              : $v =~ /^-?\d+$/ ? $v
              : '"' . ($v =~ s/(["\\])/\\$1/gr) . '"';
        push @out, "\"$k\":$j";
    }
    return '{' . join(',', @out) . '}';
}

# jwt(alg => 'HS256', key => SECRET | PEM path, claims => JSON,
#     header => JSON (default {"alg":...,"typ":"JWT"[,"kid":...]}), kid => ID)
sub jwt {
    my %a = @_;
    my $header = $a{header}
        // json_of(alg => $a{alg}, typ => 'JWT', $a{kid} ? (kid => $a{kid}) : ());
    my $input = b64url($header) . '.' . b64url($a{claims});
    my $sig;
    if ($a{alg} eq 'HS256') {
        $sig = hmac_sha256($input, $a{key});
    } elsif ($a{alg} eq 'RS256' || $a{alg} eq 'ES256') {
        my $dir = keys_dir();
        open my $fh, '>', "$dir/input" or die;
        print $fh $input;
        close $fh;
        run("openssl dgst -sha256 -sign $a{key} -out $dir/sig $dir/input");
        open $fh, '<', "$dir/sig" or die;
        binmode $fh;
        local $/;
        $sig = <$fh>;
        close $fh;
        $sig = der_to_raw($sig) if $a{alg} eq 'ES256';
    } else {
        $sig = '';
    }
    return "$input." . b64url($sig);
}

# jwk("$dir/rsa.pub", kid => 'k1', use => 'sig', alg => 'RS256'): the
# public key in PEM as a JWK, with any extra members given
sub jwk {
    my ($pub, @extra) = @_;
    my $der = `openssl pkey -pubin -in $pub -outform DER 2>/dev/null`;
    my @members;
    if (`openssl pkey -pubin -in $pub -noout -text 2>/dev/null` =~ /prime256v1/) {
        # SubjectPublicKeyInfo ends with the point 04 || x || y
        my $pt = substr $der, -64;
        @members = (kty => 'EC', crv => 'P-256',
                    x => b64url(substr $pt, 0, 32), y => b64url(substr $pt, 32));
    } else {
        my ($hex) = `openssl rsa -pubin -in $pub -noout -modulus 2>/dev/null`
                    =~ /Modulus=([0-9A-F]+)/ or die "no modulus in $pub";
        @members = (kty => 'RSA', n => b64url(pack 'H*', $hex), e => 'AQAB');
    }
    return json_of(@members, @extra);
}

# ECDSA: SEQUENCE { INTEGER r, INTEGER s } -> r||s, 32 bytes each
sub der_to_raw {
    my ($der) = @_;
    my @b = unpack 'C*', $der;
    my $i = 2;
    $i++ if $b[1] & 0x80;
    my @ints;
    for (1 .. 2) {
        $i++;                       # INTEGER tag
        my $len = $b[$i++];
        my $v = pack 'C*', @b[$i .. $i + $len - 1];
        $i += $len;
        $v =~ s/^\x00+//;
        push @ints, ("\x00" x (32 - length $v)) . $v;
    }
    return join '', @ints;
}

1;
