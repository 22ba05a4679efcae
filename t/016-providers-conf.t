# The provider configuration: conf/waav/*.conf is what
# scripts/providers-conf.sh writes, every generated provider location
# carries all of its proxy headers itself (keepalive's Connection "" above
# all), and nothing around the provider locations sets a header that nginx
# would silently drop in them.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Cwd qw(getcwd);
use lib 't/lib';
use Waav::Run;
use Waav::Registry ();

my $top = getcwd();
my $gen = "$top/scripts/providers-conf.sh";

sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; <$fh> }

# runs the generator with only the given environment
sub generate {
    my ($mode, %env) = @_;
    my $dir = tempdir(CLEANUP => 1);
    my $out = do {
        local %ENV = (PATH => $ENV{PATH}, %env);
        `"$gen" "$dir" $mode 2>&1`;
    };
    is $?, 0, "providers-conf.sh $mode runs" or diag $out;
    return ($dir, $out);
}

# location name => body, for each location block of a providers.conf
sub locations {
    my ($text) = @_;
    my %loc;
    while ($text =~ /^location\s+(\S+)\s*\{\n(.*?)^\}/msg) { $loc{$1} = $2 }
    return %loc;
}

subtest 'conf/waav/{upstreams,providers}.conf are the generator\'s output' => sub {
    my ($dir) = generate('');
    for my $f (qw(upstreams.conf providers.conf)) {
        is slurp("$dir/$f"), slurp("$top/conf/waav/$f"),
           "conf/waav/$f equals what scripts/providers-conf.sh writes";
    }
};

my %mine = (
    DEEPGRAM_API_KEY => 'k', DEEPGRAM_BASE_URL => 'http://127.0.0.1:8080/dg',
    ELEVENLABS_API_KEY => 'k', ELEVENLABS_BASE_URL => 'https://tts.example.com:8443',
    OPENAI_API_KEY => 'k',
    GROQ_API_KEY => 'k', GROQ_BASE_URL => 'http://[::1]:9000/openai/v1',
    OPENAI_COMPATIBLE_BASE_URL => 'http://kokoro:80/v1',
);
my %host = (deepgram => '127.0.0.1:8080', elevenlabs => 'tts.example.com:8443',
            openai => 'api.openai.com', groq => '[::1]:9000',
            'openai-compatible' => 'kokoro');

subtest 'every provider location sets every header itself' => sub {
    for my $case (['default', ''], ['--env', '--env', %mine]) {
        my ($label, $mode, %env) = @$case;
        my ($dir) = generate($mode, %env);
        my %loc = locations(slurp("$dir/providers.conf"));
        ok scalar keys %loc, "$label: locations written";
        is_deeply [sort keys %loc],
                  [sort map { ("/_waav/$_->{name}/",
                               $_->{token_url} ? "/_waav/$_->{name}-token/" : (),
                               $_->{stream_url} ? "/_waav/$_->{name}-stream/" : (),
                               $_->{tts} ? "/_waav/$_->{name}-voices/" : ()) }
                        Waav::Registry::providers()],
                  'default: one location for each registry provider (and its token and streaming hosts, and its voice lists\' when it speaks)'
            if $label eq 'default';
        for my $name (sort keys %loc) {
            my $body = $loc{$name};
            like $body, qr/^\s*proxy_http_version 1\.1;$/m, "$label $name: HTTP/1.1";
            # provider calls carry no Connection (keepalive), WebSocket
            # handshakes "Connection: Upgrade" and "Upgrade: websocket"
            like $body, qr/^\s*proxy_set_header Connection \$http_connection;$/m,
                 "$label $name: Connection from the subrequest (keepalive, upgrade)";
            like $body, qr/^\s*proxy_set_header Upgrade \$http_upgrade;$/m,
                 "$label $name: Upgrade from the subrequest";
            like $body, qr/^\s*proxy_set_header Host \S+;$/m, "$label $name: Host";
            my ($p) = $name =~ m{^/_waav/([^/]+?)(?:-token|-stream|-voices)?/$};
            is(($body =~ /proxy_set_header Host (\S+);/)[0], $host{$p},
               "$label $name: Host names the port only when not the scheme's")
                if $label eq '--env';
            unlike $body, qr/\blocation\b/, "$label $name: no nested location";
        }
        like slurp("$dir/upstreams.conf"), qr/^\s*keepalive 64;$/m, "$label: keepalive 64";
    }
    my ($dir) = generate('--env', %mine, WAAV_KEEPALIVE => 8);
    like slurp("$dir/upstreams.conf"), qr/^\s*keepalive 8;$/m, 'WAAV_KEEPALIVE sizes the pools';
    my (undef, $out) = do {
        local %ENV = (PATH => $ENV{PATH}, WAAV_KEEPALIVE => 'lots');
        my $d = tempdir(CLEANUP => 1);
        (undef, scalar `"$gen" "$d" 2>&1`);
    };
    isnt $?, 0, 'a bad WAAV_KEEPALIVE is refused';
};

# GET /voices: the -voices locations go through nginx's cache for
# WAAV_VOICES_CACHE_TTL seconds (0: not cached), on the provider's own pool
subtest 'voice lists: cached, on the provider\'s pool' => sub {
    my ($dir) = generate('--env', %mine);
    my %loc = locations(slurp("$dir/providers.conf"));
    my $v = $loc{'/_waav/deepgram-voices/'};
    like $v, qr{^\s*proxy_pass http://waav_deepgram/dg/;$}m, 'the provider\'s upstream pool';
    like $v, qr{^\s*include waav/voices-cache\.conf;$}m, 'waav/voices-cache.conf';
    like $v, qr{^\s*proxy_cache_valid 200 300s;$}m, 'five minutes by default';
    ok !$loc{'/_waav/groq-voices/'}, 'none for a provider without TTS';
    my $up = slurp("$dir/upstreams.conf");
    is scalar(() = $up =~ /^upstream waav_deepgram \{/mg), 1, 'no second pool';
    like $up, qr{^proxy_cache_path voices_cache .*keys_zone=waav_voices:1m}m, 'the cache zone';
    ($dir) = generate('--env', %mine, WAAV_VOICES_CACHE_TTL => 0,
                      WAAV_VOICES_CACHE_PATH => '/var/cache/waav');
    %loc = locations(slurp("$dir/providers.conf"));
    like $loc{'/_waav/deepgram-voices/'}, qr{proxy_no_cache 1;\s+proxy_cache_bypass 1;}, 'TTL 0: not cached';
    like slurp("$dir/upstreams.conf"), qr{^proxy_cache_path /var/cache/waav }m, 'WAAV_VOICES_CACHE_PATH';
    my (undef, $out) = do {
        local %ENV = (PATH => $ENV{PATH}, WAAV_VOICES_CACHE_TTL => '5m');
        my $d = tempdir(CLEANUP => 1);
        (undef, scalar `"$gen" "$d" 2>&1`);
    };
    isnt $?, 0, 'a TTL that is not seconds is refused';
};

# a region names Azure's hosts (the speech hosts and the token host); it
# reaches URLs and Host headers, so only [a-z0-9]+ is taken
subtest 'AZURE_SPEECH_REGION names Azure\'s hosts' => sub {
    my ($dir) = generate('--env', AZURE_SPEECH_SUBSCRIPTION_KEY => 'k', AZURE_SPEECH_REGION => 'westeurope');
    my %loc = locations(slurp("$dir/providers.conf"));
    like $loc{'/_waav/azure/'}, qr/^\s*proxy_set_header Host westeurope\.tts\.speech\.microsoft\.com;$/m,
         'the speech host';
    like $loc{'/_waav/azure-token/'}, qr/^\s*proxy_pass https:\/\/waav_azure_token\/sts\/v1\.0\/;$/m,
         'the token location';
    like slurp("$dir/upstreams.conf"), qr/^\s*server westeurope\.api\.cognitive\.microsoft\.com:443;$/m,
         'the token host';
    like $loc{'/_waav/azure-stream/'}, qr/^\s*proxy_set_header Host westeurope\.stt\.speech\.microsoft\.com;$/m,
         'the speech-to-text host';
    ($dir) = generate('--env', AZURE_SPEECH_SUBSCRIPTION_KEY => 'k', AZURE_STT_BASE_URL => 'http://127.0.0.1:9/stt');
    %loc = locations(slurp("$dir/providers.conf"));
    like $loc{'/_waav/azure-stream/'}, qr/^\s*proxy_pass http:\/\/waav_azure_stream\/stt\/;$/m,
         'AZURE_STT_BASE_URL: another speech-to-text host';
    ($dir) = generate('--env', AZURE_SPEECH_SUBSCRIPTION_KEY => 'k');
    like slurp("$dir/upstreams.conf"), qr/^\s*server eastus\.tts\.speech\.microsoft\.com:443;$/m,
         'eastus by default';
    for my $bad ('evil.com/x', 'East-US', '') {
        my $d = tempdir(CLEANUP => 1);
        my $out = do {
            local %ENV = (PATH => $ENV{PATH}, AZURE_SPEECH_SUBSCRIPTION_KEY => 'k', AZURE_SPEECH_REGION => $bad);
            `"$gen" "$d" --env 2>&1`;
        };
        if ($bad eq '') {
            is $?, 0, 'an empty region: the default';
        } else {
            isnt $?, 0, "region '$bad' refused";
            like $out, qr/AZURE_SPEECH_REGION=.* is not a region/, 'with a message';
        }
    }
};

# nginx inherits proxy_set_header (and the other header lists) only into a
# location that sets none of its own: any around the provider locations
# would never reach the providers
subtest 'no header list around the provider locations' => sub {
    my $lists = qr/^\s*(proxy_set_header|proxy_hide_header|proxy_pass_header)\b/m;
    unlike slurp("$top/conf/waav/proxy.conf"), $lists, 'conf/waav/proxy.conf sets none';
    my $conf = slurp("$top/conf/waav.conf");
    my ($outer) = $conf =~ /(location \/_waav\/ \{.*?\n        \})/s;
    ok $outer, 'conf/waav.conf has the /_waav/ location';
    like $outer, qr/include waav\/proxy\.conf;/, 'it includes waav/proxy.conf';
    like $outer, qr/include waav\/providers\.conf;/, 'and waav/providers.conf';
    (my $server = $conf) =~ s/\Q$outer\E//;
    unlike $outer, $lists, 'and sets no header list';
    unlike $server, $lists, 'nor anywhere else in conf/waav.conf';
};

# every registry provider with a key and a base URL of its own (https for
# every other one, the verified TLS setup included): all declared, all usable
subtest 'nginx -t: make run\'s configuration with every provider' => sub {
    my @all = Waav::Registry::providers();
    my $port = 8440;
    my %env = map {
        my $scheme = $port % 2 ? 'http' : 'https';
        # a key of several variables (aws-polly's A:B:C): the first two set
        ((map { $_ => 'k' } (split /:/, $_->{key_env})[0 .. ($_->{key} eq 'signed' ? 1 : 0)]),
         $_->{user_env} ? ($_->{user_env} => 'u') : (),
         $_->{url_env} => "$scheme://127.0.0.1:" . $port++ . Waav::Registry::url_path($_),
         $_->{token_url_env} ? ($_->{token_url_env} => "$scheme://127.0.0.1:" . $port++) : (),
         $_->{stream_url_env} ? ($_->{stream_url_env} => "$scheme://127.0.0.1:" . $port++) : ())
    } @all;
    my $c = Waav::Run->configure('016', env => \%env);
    my $out = $c->nginx('-t');
    is $c->status, 0, 'nginx -t passes' or diag $out;
    for my $p (@all) {
        like $out, qr{provider "\Q$p->{name}\E" \(\Q$p->{name}\E\) via /_waav/\Q$p->{name}\E/ usable},
             "$p->{name}: declared and usable";
    }
};

done_testing;
