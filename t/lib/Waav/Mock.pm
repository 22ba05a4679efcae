package Waav::Mock;

# Shared helpers for the waav provider mock (t/mock/waav-mock.pl) and the
# tests that drive it.  Pure Perl, no Mojolicious.

use strict;
use warnings;
use Exporter 'import';

our @EXPORT_OK = qw(mock_audio mock_aws_creds mock_key mock_seed mock_user mock_wav mock_wav_header);
our $VERSION   = '1.00';


# seed = (sum of the ords of the provider name) & 0xff
sub mock_seed {
    my ($provider) = @_;
    my $sum = 0;
    $sum += ord for split //, ($provider // '');
    return $sum & 0xff;
}

# Deterministic "audio": byte i = (i * 31 + seed) & 0xff.  The sequence has a
# period of 256, so build one period and repeat it.
sub mock_audio {
    my ($provider, $len) = @_;
    $len = 16000 unless defined $len;
    return '' if $len <= 0;
    my $seed   = mock_seed($provider);
    my $period = pack 'C*', map { ($_ * 31 + $seed) & 0xff } 0 .. 255;
    my $bytes  = $period x (int($len / 256) + 1);
    return substr $bytes, 0, $len;
}

# The 44-byte RIFF/WAVE header a provider puts before WAV audio: mono,
# $rate Hz, format $code (1 PCM, 3 IEEE float, 6 A-law, 7 mu-law) of $bits
# bits, $len bytes of data.
sub mock_wav_header {
    my ($rate, $code, $bits, $len) = @_;
    my $align = $bits / 8;
    return pack 'A4 V A4 A4 V v v V V v v A4 V', 'RIFF', 36 + $len, 'WAVE', 'fmt ', 16,
        $code, 1, $rate, $rate * $align, $align, $bits, 'data', $len;
}

# What the mock answers for WAV: the header, then mock_audio's bytes.
sub mock_wav {
    my ($provider, $rate, $len, $code, $bits) = @_;
    $len = 16000 unless defined $len;
    my $data = mock_audio($provider, $len);
    return mock_wav_header($rate, $code // 1, $bits // 16, length $data) . $data;
}

# The key the mock accepts for a provider: $ENV{MOCK_<PROVIDER>_KEY} or
# "test-<provider>-key".
sub mock_key {
    my ($provider) = @_;
    my $env = 'MOCK_' . uc($provider) . '_KEY';
    return defined $ENV{$env} && length $ENV{$env} ? $ENV{$env} : "test-$provider-key";
}

# The AWS credentials the mock takes (Amazon Polly, SigV4): (access key id,
# secret access key, session token or undef).  0: long-term keys, the
# secret mock_key('aws-polly'); 1: temporary ones, which need their token.
sub mock_aws_creds {
    my ($temporary) = @_;
    return $temporary
        ? ('ASIAWAAVMOCKTEMPORARY', 'waav-mock/temporary+secret', 'waav-mock-session-token/FwoGZXIvYXdzEXAMPLE==')
        : ('AKIAWAAVMOCKEXAMPLE', mock_key('aws-polly'), undef);
}

# The user id the mock accepts beside a provider's key (Play.ht's
# X-USER-ID): $ENV{MOCK_<PROVIDER>_USER} or "test-<provider>-user".
sub mock_user {
    my ($provider) = @_;
    my $env = 'MOCK_' . uc($provider) . '_USER';
    return defined $ENV{$env} && length $ENV{$env} ? $ENV{$env} : "test-$provider-user";
}

1;

__END__

=head1 NAME

Waav::Mock - deterministic audio and keys for the waav provider mock

=head1 SYNOPSIS

  use Waav::Mock qw(mock_audio mock_key);
  my $bytes = mock_audio('deepgram', 4800);   # 4800 deterministic bytes
  my $key   = mock_key('openai');             # MOCK_OPENAI_KEY or test-openai-key

=cut
