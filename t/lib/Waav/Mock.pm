package Waav::Mock;

# Shared helpers for the waav provider mock (t/mock/waav-mock.pl) and the
# tests that drive it.  Pure Perl, no Mojolicious.

use strict;
use warnings;
use Exporter 'import';

our @EXPORT_OK = qw(mock_audio mock_key mock_seed);
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

# The key the mock accepts for a provider: $ENV{MOCK_<PROVIDER>_KEY} or
# "test-<provider>-key".
sub mock_key {
    my ($provider) = @_;
    my $env = 'MOCK_' . uc($provider) . '_KEY';
    return defined $ENV{$env} && length $ENV{$env} ? $ENV{$env} : "test-$provider-key";
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
