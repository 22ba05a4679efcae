# The `local` provider, what t/070 leaves out: make run's defaults (no key:
# a /speak body naming no provider speaks with local; a key set: the
# provider must be named, as before), local's voices in GET /voices, the
# audio streamed sentence by sentence (the chunked framing), OpenAI's
# route's formats, more bad requests, and a reload while syntheses run,
# wait in the queue and a recognition runs (under SAN=1: no leak, no
# report; Waav::Run::finish checks).
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::WS;
use IO::Socket::INET;
use IO::Select;
use JSON::PP qw(decode_json encode_json);
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);

my $JSON = 'Content-Type: application/json';

sub rms {
    my ($bytes) = @_;
    my @s = unpack 's<*', $bytes;
    return 0 unless @s;
    my $sum = 0;
    $sum += $_ * $_ for @s;
    return sqrt($sum / @s);
}

# espeak-ng varies its audio of a text a little from one synthesis to the
# next (its first 64 samples are the same, then they drift; the length by
# about 1 %): the same voice and text start with the same 32 samples and
# are as long, give or take 3 %; en-gb's "one" starts otherwise
sub alike {
    my ($x, $y) = @_;
    return length($x) > 4096 && abs(length($x) - length($y)) < 0.03 * length($x)
        && substr($x, 0, 64) eq substr($y, 0, 64);
}

sub json_of { my $j = eval { decode_json($_[0]{body}) }; ref $j eq 'HASH' ? $j : {} }

# a chunked body's chunks
sub chunks {
    my ($chunked) = @_;
    my @c;
    while ($chunked =~ s/^([0-9a-f]+)\r\n//) {
        my $n = hex $1;
        last if $n == 0;
        push @c, substr($chunked, 0, $n, '');
        $chunked =~ s/^\r\n//;
    }
    return (\@c, $chunked);
}

# --- make run with no key ----------------------------------------------------

my $w = Waav::Run->configure('072', env => { WORKER_PROCESSES => 1 });
like Waav::Blocks::read_file($w->prefix . '/conf/waav.conf'),
     qr/^\s*waav_tts waav default=local;$/m, 'no key: waav_tts waav default=local';
$w->launch;

sub speak { $w->request("POST /speak\n" . encode_json($_[0]), $JSON, 30) }

my $text = 'one two three four five';
my $ref = speak({ text => $text, tts_config => { provider => 'local' } });
is $ref->{status}, 200, 'provider local named: 200';

my $plain = speak({ text => $text });
is $plain->{status}, 200, 'no provider, no tts_config: 200' or diag $plain->{body};
is $plain->{headers}{'x-sample-rate'}, '22050', "espeak-ng's rate";
is $plain->{headers}{'x-audio-format'}, 'linear16', 'linear16';
ok rms($plain->{body}) > 300, 'speech, not silence';
ok alike($plain->{body}, $ref->{body}), "the same audio as local's";

my $nested = speak({ text => $text, tts_config => { audio_format => 'wav',
                                                    sample_rate => 16000 } });
is $nested->{status}, 200, 'tts_config without a provider: 200';
like $nested->{body}, qr/^RIFF....WAVE/s, 'a WAV';
is $nested->{headers}{'x-sample-rate'}, '16000', 'at the rate asked';

my $empty = speak({ text => $text, tts_config => { provider => '', voice_id => 'en-gb' } });
is $empty->{status}, 200, 'provider "" (the default): 200';
ok !alike($empty->{body}, $ref->{body}), 'with the voice asked (en-gb)';

my $flat = speak({ text => $text, voice_id => 'en-gb' });
is $flat->{status}, 200, "the SDKs' flat body without a provider: 200";
ok alike($flat->{body}, $empty->{body}), 'the same voice';

# a provider named is still that provider: not configured, not local
my $dg = speak({ text => $text, tts_config => { provider => 'deepgram' } });
is $dg->{status}, 400, 'provider deepgram without its key: 400';
isnt json_of($dg)->{code}, undef, 'a JSON error';

# OpenAI's route: the model names the provider and the voice
for my $model (qw(local local/en-us)) {
    my $res = $w->request("POST /v1/audio/speech\n" . encode_json({
        model => $model, input => $text, voice => 'alloy', response_format => 'pcm' }),
        $JSON, 30);
    is $res->{status}, 200, "/v1/audio/speech model $model, voice alloy: 200"
        or diag $res->{body};
    ok alike($res->{body}, $ref->{body}),
       "$model: en-us (OpenAI's voices are /speak's default voice with model local)";
}
my $oa_wav = $w->request("POST /v1/audio/speech\n" . encode_json({
    model => 'local/en-us', input => $text, response_format => 'wav' }), $JSON, 30);
is $oa_wav->{headers}{'x-sample-rate'}, '22050', '/v1/audio/speech wav: x-sample-rate';
ok alike(substr($oa_wav->{body}, 44), $ref->{body}), 'the same samples after the 44-byte header';
is unpack('x24 V', $oa_wav->{body}), 22050, "the header's rate is x-sample-rate";
# OpenAI's own voices are not espeak-ng's; the model names one
my $oa_bad = $w->request("POST /v1/audio/speech\n" . encode_json({
    model => 'local/xx-nope', input => $text, response_format => 'pcm' }), $JSON, 30);
is $oa_bad->{status}, 400, '/v1/audio/speech model local/xx-nope: 400';
like json_of($oa_bad)->{error} // '', qr/xx-nope/, 'naming the voice';
my $oa_opus = $w->request("POST /v1/audio/speech\n" . encode_json({
    model => 'local', input => $text, response_format => 'opus' }), $JSON, 30);
is $oa_opus->{status}, 400, 'response_format opus: 400';
is json_of($oa_opus)->{code}, 'UNSUPPORTED_OPTION', 'UNSUPPORTED_OPTION';

# --- GET /voices ---------------------------------------------------------------

my $v = $w->request("GET /voices\n", '', 30);
is $v->{status}, 200, 'GET /voices: 200' or diag $v->{body};
my $list = json_of($v)->{local} // [];
ok @$list > 100, 'local lists espeak-ng\'s voices (' . scalar(@$list) . ')';
my %by = map { $_->{id} => $_ } @$list;
is_deeply $by{'en-us'}, { id => 'en-us', sample => '', name => 'English (America)',
                          accent => 'America', gender => 'Male', language => 'English' },
          "en-us in WaaV's shape";
is_deeply [ @{ $by{de} // {} }{qw(name accent language)} ], [ 'German', 'Standard', 'German' ],
          'de: no accent, Standard';
is scalar(grep { !/^[A-Za-z0-9-]{1,40}$/ } keys %by), 0,
   'every id is a voice_id /speak takes (letters, digits, dashes)';
is scalar(grep { ref $_ ne 'HASH' || grep { !defined || ref } @$_{qw(id sample name accent gender language)} } @$list),
   0, 'every entry has its six strings';

# a listed voice speaks
my $rp = speak({ text => $text, tts_config => { voice_id => 'en-gb-x-rp' } });
ok exists $by{'en-gb-x-rp'}, 'en-gb-x-rp is listed';
is $rp->{status}, 200, 'and /speak takes it';

my $one = $w->request("GET /voices?provider=local\n", '', 30);
is $one->{status}, 200, '?provider=local: 200';
is_deeply [ keys %{ json_of($one) } ], ['local'], 'local only';
is scalar(@{ json_of($one)->{local} // [] }), scalar(@$list), 'the same list';

# --- streaming: each sentence its own chunk, as it is synthesized -------------

my $sentence = 'The quick brown fox jumps over the lazy dog.';
my $n_sent = 12;
my $long = join ' ', ($sentence) x $n_sent;
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $w->port, Proto => 'tcp')
    or die $!;
my $body = encode_json({ text => $long, tts_config => { audio_format => 'wav' } });
print $s "POST /speak HTTP/1.1\r\nHost: x\r\nConnection: close\r\n$JSON\r\n"
       . 'Content-Length: ' . length($body) . "\r\n\r\n$body";
my $raw = '';
my $sel = IO::Select->new($s);
my $until = time + 60;
while (time < $until) {
    $sel->can_read(1) or next;
    sysread($s, $raw, 65536, length $raw) or last;
}
close $s;
my ($head, $chunked) = split /\r\n\r\n/, $raw, 2;
like $head, qr/^Transfer-Encoding: chunked\r?$/mi, 'a long text: chunked';
my ($c, $rest) = chunks($chunked // '');
is $rest, "\r\n", 'ended by the last chunk';
my $audio = join '', @$c;
like $audio, qr/^RIFF....WAVE/s, 'a WAV';
# the header goes with the first sentence's audio or before it
my @audio_chunks = grep { length > 44 } @$c;
ok @audio_chunks >= $n_sent, 'at least a chunk per sentence (' . scalar(@$c)
   . " chunks for $n_sent sentences): sent as synthesized, not as one clip";
my $first = length($c->[0]) > 44 ? length($c->[0]) - 44 : length($c->[1] // '');
ok $first * 4 < length($audio),
   "the first audio is a part of the clip ($first of " . length($audio) . ' bytes)';

# --- more bad requests, answered in JSON before any synthesis -----------------

for my $case (
    [ 'not JSON', "{text:", 400 ],
    [ 'an array', '[]', 400 ],
    [ 'text not a string', encode_json({ text => 5 }), 400 ],
    [ 'too long a text', encode_json({ text => 'a' x 10241 }), 400 ],
    [ 'tts_config an array', encode_json({ text => 'a', tts_config => [] }), 400 ],
    [ 'voice_id a number', encode_json({ text => 'a', tts_config => { voice_id => 5 } }), 400 ],
    [ 'sample_rate a string',
      encode_json({ text => 'a', tts_config => { sample_rate => 'fast' } }), 400 ],
    [ 'speaking_rate 50', encode_json({ text => 'a', tts_config => { speaking_rate => 50 } }), 400 ],
    [ 'a voice of 41 bytes',
      encode_json({ text => 'a', tts_config => { voice_id => 'a' x 41 } }), 400 ],
    [ 'an unknown provider', encode_json({ text => 'a', tts_config => { provider => 'nope' } }), 400 ],
) {
    my ($name, $b, $status) = @$case;
    my $res = $w->request("POST /speak\n$b", $JSON, 30);
    is $res->{status}, $status, "$name: $status";
    like $res->{headers}{'content-type'} // '', qr{^application/json}, "$name: JSON";
    my $j = json_of($res);
    ok defined $j->{error} && defined $j->{code}, "$name: {error, code} ($res->{body})";
}
my $get = $w->request("GET /speak\n", '', 30);
is $get->{status}, 405, 'GET /speak: 405';

$w->finish;

# --- with a key set, as before: a provider must be named ----------------------

my $k = Waav::Run->configure('072k', env => { WORKER_PROCESSES => 1,
                                              ELEVENLABS_API_KEY => 'sk-test',
                                              ELEVENLABS_BASE_URL => 'http://127.0.0.1:9' });
like Waav::Blocks::read_file($k->prefix . '/conf/waav.conf'),
     qr/^\s*waav_tts;$/m, 'a key: waav_tts, no default';
$k->launch;
my $nk = $k->request("POST /speak\n" . encode_json({ text => $text, tts_config => {} }),
                     $JSON, 30);
is $nk->{status}, 400, 'a key set: no provider is 400';
is_deeply json_of($nk), { error => 'tts_config.provider is required',
                          code => 'INVALID_PROVIDER' }, 'as before';
my $nf = $k->request("POST /speak\n" . encode_json({ text => $text }), $JSON, 30);
is $nf->{status}, 400, 'and the flat body without one too';
my $lk = $k->request("POST /speak\n" . encode_json({ text => $text,
                     tts_config => { provider => 'local' } }), $JSON, 30);
is $lk->{status}, 200, 'local named: 200';
ok alike($lk->{body}, $ref->{body}), 'the same audio';
# /ws too: its tts_config must name one (waav_ws, no tts_default)
like Waav::Blocks::read_file($k->prefix . '/conf/waav.conf'),
     qr/^\s*waav_ws;$/m, 'a key: waav_ws, no tts_default';
my $kws = Waav::WS->connect(port => $k->port, path => '/ws');
ok $kws->upgraded, '/ws upgraded';
$kws->send_json({ type => 'config', audio => JSON::PP::false, tts_config => {} });
is_deeply $kws->next_json(30), { type => 'error', message => 'tts_config.provider is required' },
          '/ws: a tts_config without provider is refused, as before';
$kws->send_close(1000);
ok $kws->wait_eof(30), 'closed';
$k->finish;

# --- a reload while syntheses run, one waits and a recognition waits ---------

# one worker, two local requests at once and two more waiting; the
# server's socket buffer small, so that a client that stops reading holds
# its synthesis (the next sentence is made once the last one is sent)
my $r = Waav::Run->configure('072r', env => {
    WORKER_PROCESSES => 1, WAAV_LOCAL_MAX => 2, WAAV_LOCAL_QUEUE => 2,
    WAAV_LOCAL_THREADS => 2,
});
{
    my $port = $r->port;
    open my $fh, '>', $r->prefix . '/conf/run.d/listen.conf' or die $!;
    print $fh "listen 127.0.0.1:$port sndbuf=16k;\n";
}
$r->add_conf('run.d/main.conf', 'error_log logs/error.log debug;');
$r->launch;

my $phrase = 'one two three four five six seven';
my $wav = $r->request("POST /speak\n" . encode_json({ text => $phrase,
    tts_config => { audio_format => 'wav', sample_rate => 16000 } }), $JSON, 30);
is $wav->{status}, 200, 'a phrase to transcribe';
# the streamed WAV's sizes are unknown (0xffffffff): /listen takes it so

sub raw_request {
    my ($srv, $req) = @_;
    my $s = IO::Socket::INET->new(Proto => 'tcp') or die $!;
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096) or die $!;
    $s->connect(Socket::pack_sockaddr_in($srv->port, Socket::inet_aton('127.0.0.1')))
        or die "connect: $!";
    print $s $req;
    return $s;
}

sub speak_raw {
    my ($srv, $text) = @_;
    my $b = encode_json({ text => $text, tts_config => { audio_format => 'wav',
                                                        sample_rate => 48000 } });
    return raw_request($srv, "POST /speak HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                             . "$JSON\r\nContent-Length: " . length($b) . "\r\n\r\n$b");
}

# reads until the headers and the first audio bytes are in
sub first_bytes {
    my ($s) = @_;
    my $buf = '';
    my $sel = IO::Select->new($s);
    my $until = time + 60;
    while ($buf !~ /\r\n\r\n.{200}/s && time < $until) {
        $sel->can_read(1) or next;
        sysread($s, $buf, 4096, length $buf) or last;
    }
    return $buf;
}

sub drain {
    my ($s, $buf) = @_;
    while (sysread($s, $buf, 65536, length $buf)) { }
    close $s;
    return $buf;
}

sub wait_log {
    my ($srv, $re) = @_;
    my $until = time + 60;
    sleep 0.02 until $srv->error_log =~ $re || time > $until;
    return $srv->error_log =~ $re;
}

my $speech = join ' ', ($sentence) x 20;
my @held = map { speak_raw($r, $speech) } 1 .. 2;
my @first = map { first_bytes($_) } @held;
like $_, qr{^HTTP/1.1 200 .*\r\n\r\n[0-9a-f]+\r\nRIFF}s, 'a held synthesis speaks'
    for @first;
my $queued = speak_raw($r, $speech);
ok wait_log($r, qr/waav local: queued, 2 running, 1 waiting/),
   'a third synthesis waits in the queue';
my $listen = raw_request($r, "POST /listen?provider=local HTTP/1.1\r\nHost: x\r\n"
    . "Connection: close\r\nContent-Type: audio/wav\r\nContent-Length: "
    . length($wav->{body}) . "\r\n\r\n$wav->{body}");
ok wait_log($r, qr/waav local: queued, 2 running, 2 waiting/),
   'and a recognition behind it';

my %old = map { $_ => 1 } $r->workers;
kill 'HUP', $r->pid;
$r->wait_workers(sub { grep { !$old{$_} } @_ }, 60);
my $fresh;
for (1 .. 600) {
    $fresh = $r->request("POST /speak\n" . encode_json({ text => 'one two' }), $JSON, 30);
    last if $fresh->{status} == 200;
    sleep 0.05;    # the old worker may take the first connections
}
is $fresh->{status}, 200, 'after the reload the new worker speaks';
ok scalar(grep { $old{$_} } $r->workers), 'while the old one is still at work';

for my $i (0 .. 2) {
    my $all = drain($i < 2 ? ($held[$i], $first[$i]) : ($queued, ''));
    my ($h, $chunked) = split /\r\n\r\n/, $all, 2;
    like $h, qr{^HTTP/1.1 200 }, "synthesis $i: 200";
    my ($c, $rest) = chunks($chunked // '');
    is $rest, "\r\n", "synthesis $i: ended by the last chunk";
    my $secs = (length(join '', @$c) - 44) / 96000;
    ok $secs > 20, "synthesis $i: all of its audio ($secs s)";
}
my $heard = drain($listen, '');
like $heard, qr{^HTTP/1.1 200 }, 'the recognition: 200';
my ($jb) = $heard =~ /\r\n\r\n(?:[0-9a-f]+\r\n)?(\{.*\})/s;
my $tr = eval { decode_json($jb)->{transcript} } // '';
my %said = map { $_ => 1 } split ' ', $phrase;
my $n = grep { $said{lc $_} } split ' ', $tr;
ok $n >= 4, "and its transcript ($tr)";

$r->wait_workers(sub { @_ && !grep { $old{$_} } @_ }, 60);
ok 1, 'the old worker exited once its work was done';
$r->finish;

done_testing;
