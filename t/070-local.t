# The `local` provider through make run's own configuration (no key at
# all): espeak-ng in nginx's thread pool, every format at every rate with
# a truthful x-sample-rate, bad requests as on other providers, the audio
# streamed (the first bytes reach a client while the synthesis is
# provably still running), each worker's bound (waav_local max=1 queue=0:
# a second request is 503 with Retry-After while the first holds its slot)
# and a reload while a synthesis runs.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use IO::Socket::INET;
use IO::Select;
use JSON::PP qw(decode_json encode_json);
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);

my $JSON = 'Content-Type: application/json';

# one worker, one synthesis at a time and none waiting; the server's
# socket buffer small, so that a client that stops reading holds the
# synthesis (the next piece is made only once the last one is sent)
my $w = Waav::Run->configure('070', env => {
    WORKER_PROCESSES => 1, WAAV_LOCAL_MAX => 1, WAAV_LOCAL_QUEUE => 0,
    WAAV_LOCAL_THREADS => 2,
});
{
    my $port = $w->port;
    open my $fh, '>', $w->prefix . '/conf/run.d/listen.conf' or die $!;
    print $fh "listen 127.0.0.1:$port sndbuf=16k;\n";
}
$w->launch;

sub speak_body {
    my (%cfg) = @_;
    my $text = delete $cfg{text} // 'one two three four five';
    return encode_json({ text => $text, tts_config => { provider => 'local', %cfg } });
}

sub speak { $w->request("POST /speak\n" . speak_body(@_), $JSON, 30) }

# 16-bit little-endian samples: their RMS
sub rms {
    my ($bytes) = @_;
    my @s = unpack 's<*', $bytes;
    return 0 unless @s;
    my $sum = 0;
    $sum += $_ * $_ for @s;
    return sqrt($sum / @s);
}

# --- formats and rates -------------------------------------------------------

my $base = speak();
is $base->{status}, 200, 'linear16 by default: 200' or diag $base->{body};
is $base->{headers}{'content-type'}, 'audio/pcm', 'audio/pcm';
is $base->{headers}{'x-sample-rate'}, '22050', "espeak-ng's own rate by default";
is $base->{headers}{'x-audio-format'}, 'linear16', 'x-audio-format';
my $seconds = length($base->{body}) / 2 / 22050;
ok $seconds > 1 && $seconds < 6, "five words are 1-6 s of audio ($seconds)";
ok rms($base->{body}) > 300, 'and they are not silence (RMS ' . int(rms($base->{body})) . ')';

my %width = (linear16 => 2, pcm => 2, wav => 2, mulaw => 1, ulaw => 1, alaw => 1);
my %type = (linear16 => 'audio/pcm', pcm => 'audio/pcm', wav => 'audio/wav',
            mulaw => 'audio/basic');
for my $fmt (qw(linear16 pcm wav mulaw ulaw alaw)) {
    for my $rate (8000, 16000, 22050, 24000, 32000, 44100, 48000) {
        my $res = speak(audio_format => $fmt, sample_rate => $rate);
        my $name = "$fmt at $rate Hz";
        is $res->{status}, 200, "$name: 200" or do { diag $res->{body}; next };
        is $res->{headers}{'x-sample-rate'}, $rate, "$name: x-sample-rate $rate";
        is $res->{headers}{'content-type'}, $type{$fmt}, "$name: Content-Type"
            if $type{$fmt};
        my $body = $res->{body};
        if ($fmt eq 'wav') {
            my ($riff, $wave, $fmtid, $ch, $sr, $byterate, $align, $bits, $data, $dlen) =
                unpack 'A4 x4 A4 x8 v v V V v v A4 V', $body;
            is "$riff $wave $fmtid $ch $sr $byterate $align $bits $data",
               "RIFF WAVE 1 1 $rate " . (2 * $rate) . " 2 16 data",
               "$name: a PCM header for mono 16-bit at $rate Hz";
            is $dlen, 0xffffffff, "$name: streamed: the data size is unknown";
            is unpack('x4 V', $body), 0xffffffff, "$name: and so is RIFF's";
            $body = substr $body, 44;
        }
        is length($body) % $width{$fmt}, 0, "$name: whole samples";
        my $s = length($body) / $width{$fmt} / $rate;
        ok abs($s - $seconds) < 0.05, "$name: as long as at 22050 Hz ($s s, $seconds s)";
        ok rms($body) > 300, "$name: not silence" if $width{$fmt} == 2;
    }
}

# OpenAI's shape: the model names the provider, and the voice
my $oa = $w->request("POST /v1/audio/speech\n" . encode_json({
    model => 'local/en-gb', input => 'Hello there', voice => 'alloy',
    response_format => 'wav' }), $JSON, 30);
is $oa->{status}, 200, '/v1/audio/speech model local/en-gb: 200' or diag $oa->{body};
like $oa->{body}, qr/^RIFF....WAVE/s, 'a WAV';
my $oa2 = $w->request("POST /v1/audio/speech\n" . encode_json({
    model => 'local', input => 'Hello there', voice => 'en-us',
    response_format => 'pcm' }), $JSON, 30);
is $oa2->{status}, 200, '/v1/audio/speech model local, voice en-us: 200';
# OpenAI's default format is mp3, which espeak-ng does not make
my $oa3 = $w->request("POST /v1/audio/speech\n" . encode_json({
    model => 'local', input => 'Hello there', voice => 'en-us' }), $JSON, 30);
is $oa3->{status}, 400, '/v1/audio/speech without response_format (mp3): 400';

# a voice changes the audio
my $gb = speak(voice_id => 'en-gb');
is $gb->{status}, 200, 'voice en-gb: 200';
isnt $gb->{body}, $base->{body}, "en-gb's audio is not en-us's";

# --- bad requests ------------------------------------------------------------

for my $case (
    [ { voice_id => 'xx-nope' }, 400, 'INVALID_REQUEST', qr/no voice 'xx-nope'/ ],
    [ { voice_id => 'en_us' }, 400, 'INVALID_REQUEST', qr/espeak-ng's names/ ],
    [ { audio_format => 'mp3' }, 400, 'UNSUPPORTED_OPTION', qr/local does not support/ ],
    [ { sample_rate => 4000 }, 400, 'INVALID_REQUEST', qr/sample_rate/ ],
    [ { text => '' }, 400, undef, qr/./ ],
) {
    my ($cfg, $status, $code, $msg) = @$case;
    my $res = speak(%$cfg);
    my $name = encode_json($cfg);
    is $res->{status}, $status, "$name: $status";
    my $j = eval { decode_json($res->{body}) } || {};
    is $j->{code}, $code, "$name: $code" if $code;
    like $j->{error} // '', $msg, "$name: the message";
}

# --- speech to text, and the round trip -------------------------------------

# words the two engines agree on: espeak-ng's digits, which pocketsphinx's
# language model knows well (its "the quick brown fox" does not survive)
my $phrase = 'one two three four five six seven';
my $wav = speak(text => $phrase, audio_format => 'wav', sample_rate => 16000);
is $wav->{status}, 200, 'the phrase as a 16 kHz WAV';

sub shared {
    my ($said, $heard) = @_;
    my %heard = map { lc($_) => 1 } split ' ', $heard // '';
    my @words = split ' ', $said;
    return (scalar(grep { $heard{$_} } @words), scalar @words);
}

sub transcribe {
    my ($audio, $type, $query) = @_;
    return $w->request("POST /listen?provider=local$query\n$audio",
                       "Content-Type: $type", 60);
}

my $heard = transcribe($wav->{body}, 'audio/wav', '');
is $heard->{status}, 200, '/listen with local: 200' or diag $heard->{body};
my $j = eval { decode_json($heard->{body}) } || {};
my ($n, $of) = shared($phrase, $j->{transcript});
ok $n * 2 >= $of, "the round trip keeps at least half of the words ($n of $of: "
   . ($j->{transcript} // '') . ')';
is $j->{provider}, 'local', 'provider local';
is $j->{model}, 'pocketsphinx', 'model pocketsphinx';
ok @{ $j->{words} // [] } >= $n, 'with words';
my @timed = grep { defined $_->{start} && $_->{end} > $_->{start} } @{ $j->{words} // [] };
is scalar(@timed), scalar(@{ $j->{words} // [] }), 'each timed';
ok abs(($j->{duration} // 0) - (length($wav->{body}) - 44) / 32000) < 0.05,
   'the duration is the audio\'s';

# make run without DEEPGRAM_API_KEY: /listen's default provider is local
my $dflt = $w->request("POST /listen\n$wav->{body}", 'Content-Type: audio/wav', 60);
is $dflt->{status}, 200, '/listen naming no provider: 200';
is eval { decode_json($dflt->{body})->{provider} }, 'local', 'by local';

# the same audio at 22050 Hz, as headerless PCM: resampled to 16 kHz
my $pcm = speak(text => $phrase);
my $heard2 = transcribe($pcm->{body}, 'audio/L16;rate=22050', '');
my $j2 = eval { decode_json($heard2->{body}) } || {};
($n) = shared($phrase, $j2->{transcript});
ok $n * 2 >= $of, "headerless PCM at 22050 Hz too ($n of $of)";

# silence and noise are not the phrase: the check above can fail
my $silence = "\0\0" x 32000;
my $j3 = eval { decode_json(transcribe($silence, 'audio/L16;rate=16000', '')->{body}) } || {};
($n) = shared($phrase, $j3->{transcript});
ok $n * 2 < $of, "silence does not pass for the phrase ($n of $of)";
srand(7);
my $noise = pack 's<*', map { int(rand(20000)) - 10000 } 1 .. 32000;
my $j4 = eval { decode_json(transcribe($noise, 'audio/L16;rate=16000', '')->{body}) } || {};
($n) = shared($phrase, $j4->{transcript});
ok $n * 2 < $of, "nor does noise ($n of $of)";

# OpenAI's form
my $b = 'waavlocalboundary';
my $form = "--$b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nlocal/pocketsphinx\r\n"
         . "--$b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
         . "Content-Type: audio/wav\r\n\r\n$wav->{body}\r\n--$b--\r\n";
my $oai = $w->request("POST /v1/audio/transcriptions\n$form",
                      "Content-Type: multipart/form-data; boundary=$b", 60);
is $oai->{status}, 200, '/v1/audio/transcriptions model local/pocketsphinx: 200'
    or diag $oai->{body};
($n) = shared($phrase, eval { decode_json($oai->{body})->{text} });
ok $n * 2 >= $of, "OpenAI's answer too ($n of $of)";

# what it cannot take, before any work
my $mp3 = transcribe("ID3\x03\0\0\0\0\0\0" . ("\0" x 64), 'audio/mpeg', '');
is $mp3->{status}, 415, 'mp3: 415';
my $fr = transcribe($wav->{body}, 'audio/wav', '&language=fr');
is $fr->{status}, 400, 'language fr: 400';
my $w8 = pack('A4 V A4 A4 V v v V V v v A4 V', 'RIFF', 36 + 8000, 'WAVE', 'fmt ', 16,
              1, 1, 8000, 8000, 1, 8, 'data', 8000) . ("\x80" x 8000);
my $bad = transcribe($w8, 'audio/wav', '');
is $bad->{status}, 400, '8-bit WAV: 400';
like $bad->{body}, qr/16-bit PCM WAV/, 'it says what it takes';

# --- streaming, the bound, a reload --------------------------------------------

# a request on a socket with a small receive buffer; reads its headers and
# the first audio bytes, then stops reading
sub send_speak {
    my ($n, $text) = @_;
    my $s = IO::Socket::INET->new(Proto => 'tcp') or die $!;
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096) or die $!;
    $s->connect(Socket::pack_sockaddr_in($n->port, Socket::inet_aton('127.0.0.1')))
        or die "connect: $!";
    my $body = speak_body(text => $text, audio_format => 'wav', sample_rate => 48000);
    print $s "POST /speak HTTP/1.1\r\nHost: x\r\nConnection: close\r\n$JSON\r\n"
           . 'Content-Length: ' . length($body) . "\r\n\r\n$body";
    return $s;
}

sub hold {
    my ($text, $n) = @_;
    my $s = send_speak($n // $w, $text);
    my $buf = '';
    my $sel = IO::Select->new($s);
    my $until = time + 30;
    while ($buf !~ /\r\n\r\n.{200}/s && time < $until) {
        $sel->can_read(1) or next;
        sysread($s, $buf, 4096, length $buf) or last;
    }
    return ($s, $buf);
}

sub drain {
    my ($s, $buf) = @_;
    while (sysread($s, $buf, 65536, length $buf)) { }
    close $s;
    return $buf;
}

# about a minute of speech: far more than the sockets' buffers
my $long = join ' ', ('The quick brown fox jumps over the lazy dog.') x 30;
my ($s1, $first) = hold($long);
like $first, qr{^HTTP/1.1 200 .*\r\nx-sample-rate: 48000\r\n.*\r\n\r\n}s,
     'a long text: the headers came';
like $first, qr/\r\n\r\n[0-9a-f]+\r\nRIFF....WAVE/s,
     'and the first audio, chunked, with the WAV header';

# the synthesis is still running: it holds the worker's only slot
my $busy = speak();
is $busy->{status}, 503, 'meanwhile another request: 503 (max=1 queue=0)';
is $busy->{headers}{'retry-after'}, '1', 'with Retry-After';
is eval { decode_json($busy->{body})->{code} }, 'LOCAL_BUSY', 'code LOCAL_BUSY';

# a reload while it runs: the new worker serves, the old one ends the audio
my %old = map { $_ => 1 } $w->workers;
kill 'HUP', $w->pid;
$w->wait_workers(sub { grep { !$old{$_} } @_ }, 30);
my $fresh;
for (1 .. 200) {
    $fresh = speak();
    last if $fresh->{status} == 200;
    sleep 0.05;    # the old worker may take the first connections
}
is $fresh->{status}, 200, 'after a reload: the new worker speaks';

my $all = drain($s1, $first);
my ($head, $chunked) = split /\r\n\r\n/, $all, 2;
my $audio = '';
while ($chunked =~ s/^([0-9a-f]+)\r\n//) {
    my $n = hex $1;
    last if $n == 0;
    $audio .= substr($chunked, 0, $n, '');
    $chunked =~ s/^\r\n//;
}
is $chunked, "\r\n", 'the held request ended with the last chunk';
my $len = length($audio) - 44;
ok $len / 96000 > 30, 'and all of its audio: ' . ($len / 96000) . ' s';
is $len % 2, 0, 'whole samples';
$w->wait_workers(sub { !grep { $old{$_} } @_ }, 30);
ok 1, 'the old worker exited once its synthesis was done';

my $after = speak();
is $after->{status}, 200, 'the slot is free again: 200';

# a client that leaves mid-audio gives its slot back (the next piece's
# write fails): requests are 503 until then, never for good
my ($s2) = hold($long);
close $s2;
my $again;
for (1 .. 600) {
    $again = speak();
    last if $again->{status} != 503;
    sleep 0.05;
}
is $again->{status}, 200, 'after a client left mid-audio, the slot is free again';

$w->finish;

# --- a request waits in the queue for its turn --------------------------------

my $q = Waav::Run->configure('070q', env => {
    WORKER_PROCESSES => 1, WAAV_LOCAL_MAX => 1, WAAV_LOCAL_QUEUE => 1,
});
{
    my $port = $q->port;
    open my $fh, '>', $q->prefix . '/conf/run.d/listen.conf' or die $!;
    print $fh "listen 127.0.0.1:$port sndbuf=16k;\n";
}
$q->add_conf('run.d/main.conf', 'error_log logs/error.log debug;');
$q->launch;

my ($h1, $f1) = hold($long, $q);
like $f1, qr{^HTTP/1.1 200 }, 'max=1 queue=1: the first request speaks';
my $h2 = send_speak($q, 'one two three');
my $until = time + 30;
sleep 0.02 until $q->error_log =~ /waav local: queued, 1 running, 1 waiting/
                 || time > $until;
like $q->error_log, qr/waav local: queued, 1 running, 1 waiting/,
     'the second one waits in the queue';
my $third = $q->request("POST /speak\n" . speak_body(), $JSON, 30);
is $third->{status}, 503, 'a third one: 503, the queue is full';
like drain($h1, $f1), qr/\r\n0\r\n\r\n\z/, 'the first one ends';
my $second = drain($h2, '');
like $second, qr{^HTTP/1.1 200 .*\r\n\r\n[0-9a-f]+\r\nRIFF}s,
     'then the second one gets its turn and speaks';
$q->finish;
done_testing;
