package Waav::Registry;

# The provider registry as the tests see it: scripts/providers.tsv, the
# table build/waav-registry prints from src/core/waav_registry.c (`make unit`
# checks the file is current).  Tests take their provider lists from here,
# so a provider added to the registry cannot be silently left out of them.
#
#   use Waav::Registry qw(providers tts_providers stt_providers);
#   for my $p (providers()) { ... $p->{name}, $p->{key_env}, ... }
#   my @tts = map { $_->{name} } tts_providers();
#   my $path = Waav::Registry::url_path($p);   # "/v1" of .../v1, "" of none
#
# Each provider is a hash of the file's columns: name, tts and stt (1 or 0),
# key (required|optional), key_env, url_env, base_url and example_url (undef
# for "-"), aliases (a list), title, token_url_env and token_url (a token
# exchange's host), region_env and region (what "{region}" in the URLs
# becomes by default), stream_url_env and stream_url (a streaming host of
# its own, for speech to text on /ws), user_env (a second secret sent with
# the key: Play.ht's user id), key_file_env (a variable naming a file that
# holds the key: Google's GOOGLE_APPLICATION_CREDENTIALS).  Pure Perl, no Mojolicious: the mock
# uses it too.

use strict;
use warnings;
use Exporter 'import';
use File::Basename qw(dirname);
use Cwd qw(abs_path);

our @EXPORT_OK = qw(providers provider tts_providers stt_providers url_path);

my $Top  = dirname(dirname(dirname(dirname(abs_path(__FILE__)))));
my @Cols = qw(name tts stt key key_env url_env base_url example_url aliases
              title token_url_env token_url region_env region
              stream_url_env stream_url user_env key_file_env);
my @Providers;

sub file { $ENV{WAAV_REGISTRY} || "$Top/scripts/providers.tsv" }

sub load {
    return @Providers if @Providers;
    my $file = file();
    open my $fh, '<', $file or die "Waav::Registry: $file: $!";
    while (my $line = <$fh>) {
        chomp $line;
        next if $line =~ /^(#|\s*$)/;
        my @f = split /\t/, $line, -1;
        # an engine inside nginx (`local`) is no provider to reach
        next if ($f[3] // '') eq 'embedded';
        die "Waav::Registry: $file:$.: " . scalar(@f) . " columns, not "
            . scalar(@Cols) . "\n" unless @f == @Cols;
        my %p;
        @p{@Cols} = map { $_ eq '-' ? undef : $_ } @f;
        $p{$_} = ($p{$_} // '') eq 'yes' ? 1 : 0 for qw(tts stt);
        $p{aliases} = [split /,/, $p{aliases} // ''];
        die "Waav::Registry: $file:$.: bad row\n"
            unless $p{name} =~ /^[a-z][a-z0-9-]*$/
                && ($p{key} // '') =~ /^(required|optional|signed)$/
                && $p{key_env} && $p{url_env}
                && ($p{base_url} // $p{example_url});
        push @Providers, \%p;
    }
    close $fh;
    die "Waav::Registry: $file lists no provider\n" unless @Providers;
    return @Providers;
}

sub providers     { load() }
sub tts_providers { grep { $_->{tts} } load() }
sub stt_providers { grep { $_->{stt} } load() }

sub provider {
    my ($name) = @_;
    my ($p) = grep { $_->{name} eq $name } load();
    return $p;
}

# the path of a provider's default base URL (its example URL when it has
# none), without a trailing slash: "/v1", "/openai/v1", ""
sub url_path {
    my ($p) = @_;
    my $url = $p->{base_url} // $p->{example_url};
    my ($path) = $url =~ m{^https?://[^/]+(/.*)?$}
        or die "Waav::Registry: $p->{name}: $url is not an http(s) URL\n";
    return ($path // '') =~ s{/+$}{}r;
}

1;
