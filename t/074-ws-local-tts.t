# Text to speech on /ws with the `local` provider (espeak-ng in the thread
# pool), through make run's own configuration with no provider key: a speak
# gives binary frames of 10 ms (PCM, G.711) or as produced (wav: its header
# first), as much audio as /speak local gives for the same text, format and
# rate (espeak-ng's length varies by a few samples from run to run: within
# 1 %), then tts_playback_complete; the audio streams (a client that does
# not read holds the synthesis); clear, a new config and a client that
# leaves stop it; waav_local's slots apply (all taken and no queue: the
# speak's error, the session goes on); a voice local lacks is an error as a
# provider's; a reload while a speak runs leaves nothing behind (under
# SAN=1: no leak; Waav::Run::finish checks the logs); the speak is counted
# under the provider local.  A tts_config naming no provider speaks with
# local when no key is set, as /speak does.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::WS;
use JSON::PP qw(decode_json encode_json);
use Time::HiRes qw(time sleep);

my $T = JSON::PP::true;
my $JSON = 'Content-Type: application/json';

my $w = Waav::Run->configure('074', env => {
    WORKER_PROCESSES => 1, WAAV_LOCAL_MAX => 2, WAAV_LOCAL_THREADS => 2,
});
$w->add_conf('run.d/main.conf', 'error_log logs/error.log debug;');
$w->launch;

my $fox = 'The quick brown fox jumps over the lazy dog. Then it runs away.';
# at 48 kHz, 24 MB of audio: more than the sockets' buffers hold
my $long = join ' ', ('One two three four five six seven eight nine ten.') x 80;

sub rest {
    my ($text, %o) = @_;
    my $res = $w->request("POST /speak\n" . encode_json({ text => $text,
        tts_config => { provider => 'local', %o } }), $JSON, 120);
    is $res->{status}, 200, "/speak local (@{[ %o ]})" or diag $res->{body};
    return $res->{body};
}

sub ws {
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws');
    $ws->upgraded or BAIL_OUT("no upgrade: $ws->{status} $ws->{body}");
    return $ws;
}

sub stt_config {
    return { provider => 'local', language => 'en-US', sample_rate => 16000, channels => 1,
             punctuation => $T, encoding => 'linear16', model => 'pocketsphinx' };
}

# a session whose config speaks with local (%o: tts_config's options)
sub session {
    my (%o) = @_;
    my $ws = ws();
    my ($m, $until) = (undef, time + 120);
    while (time < $until) {
        $ws->send_json({ type => 'config', stt_config => stt_config(),
                         tts_config => { provider => 'local', %o } });
        $m = $ws->next_json(120);
        last unless ($m->{message} // '') =~ /local engines are busy/;
        sleep 0.05;
    }
    is $m->{type}, 'ready', 'a session speaking with local: ready' or diag explain $m;
    return $ws;
}

# the binary messages up to the first text message: (\@frames, $json)
sub audio_until_text {
    my ($ws, $secs) = @_;
    my @frames;
    while (my $m = $ws->next_message($secs // 120)) {
        return (\@frames, { type => 'eof' }) if $m->{type} eq 'eof';
        if ($m->{type} eq 'binary') { push @frames, $m->{data}; next }
        return (\@frames, $m->{json}) if $m->{type} eq 'text';
    }
    return (\@frames, undef);
}

sub pong_barrier {
    my ($ws, $what, $ts) = @_;
    $ws->send_json({ type => 'ping', timestamp => $ts });
    my @other;
    while (my $m = $ws->next_message(60)) {
        last if $m->{type} eq 'eof';
        next if $m->{type} eq 'binary';
        last if ($m->{json}{type} // '') eq 'pong';
        push @other, $m->{json};
    }
    return @other;
}

sub log_mark { length $w->error_log }

# about as long (espeak-ng's length varies by a few samples a run)
sub about {
    my ($got, $want, $what) = @_;
    ok abs($got - $want) <= $want / 100, "$what: $got bytes, /speak's $want (within 1 %)";
}

# not silence: the mean absolute sample of 16-bit PCM
sub loud {
    my ($pcm) = @_;
    my @s = unpack 's<*', $pcm;
    my $sum = 0;
    $sum += abs for @s;
    return @s ? $sum / @s : 0;
}

sub wait_log {
    my ($mark, $re) = @_;
    my $until = time + 120;
    sleep 0.05 until substr($w->error_log, $mark) =~ $re || time > $until;
    return substr($w->error_log, $mark) =~ $re;
}

# --- a speak: 10 ms frames of /speak's audio, then the completion ------------

my $s = session(audio_format => 'linear16', sample_rate => 16000);
my $ref = rest($fox, audio_format => 'linear16', sample_rate => 16000);
ok length($ref) > 32000, 'the REST audio: more than a second';
$s->send_json({ type => 'speak', text => $fox });
my ($frames, $done) = audio_until_text($s);
is $done->{type}, 'tts_playback_complete', 'linear16 16 kHz: then tts_playback_complete'
    or diag explain $done;
ok $done->{timestamp} > 1e12, 'with a timestamp in ms';
my $audio = join '', @$frames;
about(length($audio), length($ref), 'linear16 16 kHz');
is length($audio) % 2, 0, 'whole samples';
ok loud($audio) > 200, 'speech, not silence (mean ' . int(loud($audio)) . ')';
is scalar(grep { length != 320 } @$frames[0 .. $#$frames - 1]), 0,
   'frames of 10 ms (320 bytes) but the last';
ok length($frames->[-1]) > 0 && length($frames->[-1]) <= 320 && length($frames->[-1]) % 2 == 0,
   'the last: a part of one, whole samples';

# two in a row: both, in order (a completion when the queue is empty:
# after the first too when the second came after its end)
my $two = length(rest('one two', audio_format => 'linear16', sample_rate => 16000))
    + length(rest('three four', audio_format => 'linear16', sample_rate => 16000));
$s->send_json({ type => 'speak', text => 'one two' });
$s->send_json({ type => 'speak', text => 'three four' });
my ($f2, $d2) = audio_until_text($s);
is $d2->{type}, 'tts_playback_complete', 'two speaks: a completion';
my $got2 = length join '', @$f2;
if ($got2 < $two / 2 + 1000) {
    my ($f3, $d3) = audio_until_text($s);
    is $d3->{type}, 'tts_playback_complete', 'the second one\'s completion';
    $got2 += length join '', @$f3;
}
about($got2, $two, 'two speaks: both clips');
is_deeply [pong_barrier($s, 'two speaks', 1)], [], 'nothing more';
$s->send_close(1000);
ok $s->wait_eof(30), 'closed';

# --- no key set: a tts_config naming no provider speaks with local ----------

like Waav::Blocks::read_file($w->prefix . '/conf/waav.conf'),
     qr/^\s*waav_ws tts_default=local;$/m, 'no key: waav_ws tts_default=local';
my $dflt = ws();
$dflt->send_json({ type => 'config', stt_config => stt_config(),
                   tts_config => { audio_format => 'linear16', sample_rate => 16000 } });
is $dflt->next_json(120)->{type}, 'ready', 'a tts_config without provider: ready';
$dflt->send_json({ type => 'speak', text => 'one two' });
my ($fd, $dd) = audio_until_text($dflt);
is $dd->{type}, 'tts_playback_complete', 'it speaks (local)';
about(length(join '', @$fd), length(rest('one two', audio_format => 'linear16',
                                         sample_rate => 16000)), 'the default: local');
$dflt->send_close(1000);
ok $dflt->wait_eof(30), 'closed';

# --- other formats and rates --------------------------------------------------

for my $case ([ 'wav', 24000, 0 ], [ 'mulaw', 8000, 80 ], [ 'alaw', 8000, 80 ],
              [ 'pcm', 22050, 440 ]) {
    my ($fmt, $rate, $size) = @$case;
    my $r = rest($fox, audio_format => $fmt, sample_rate => $rate);
    my $c = session(audio_format => $fmt, sample_rate => $rate);
    $c->send_json({ type => 'speak', text => $fox });
    my ($fr, $dn) = audio_until_text($c);
    is $dn->{type}, 'tts_playback_complete', "$fmt $rate Hz: complete";
    my $a = join '', @$fr;
    about(length($a), length($r), "$fmt $rate Hz");
    if ($fmt eq 'wav') {
        is length($fr->[0]), 44, 'wav: its header first, a frame of its own';
        my ($riff, $size1, $wave, $ch, $sr, $bits, $size2) =
            unpack 'A4 V A4 x10 v V x6 v x4 V', $fr->[0];
        is_deeply [$riff, $wave, $ch, $sr, $bits], ['RIFF', 'WAVE', 1, $rate, 16],
            'RIFF WAVE, mono, 24000 Hz, 16 bits';
        is_deeply [$size1, $size2], [0xffffffff, 0xffffffff], 'sizes unknown (streamed)';
        is substr($r, 0, 44), $fr->[0], "the same header as /speak's";
        is length($a) % 2, 0, 'whole samples';
    } else {
        is scalar(grep { length != $size } @$fr[0 .. $#$fr - 1]), 0,
           "$fmt: frames of 10 ms ($size bytes)";
    }
    $c->send_close(1000);
    ok $c->wait_eof(30), 'closed';
}

# --- errors as a provider's ----------------------------------------------------

my $v = session(voice_id => 'xx-nope');
$v->send_json({ type => 'speak', text => $fox });
my ($fv, $ev) = audio_until_text($v);
is $ev->{type}, 'error', 'a voice local lacks: an error';
like $ev->{message}, qr/^TTS error: local has no voice 'xx-nope'/, "said: $ev->{message}";
is scalar(@$fv), 0, 'no audio';
my ($fv2, $cv) = audio_until_text($v);
is $cv->{type}, 'tts_playback_complete', 'then tts_playback_complete (as after any failure)';
$v->send_close(1000);
ok $v->wait_eof(30), 'closed';

# --- streamed: a client that does not read holds the synthesis ---------------

my $refl = rest($long, audio_format => 'linear16', sample_rate => 48000);
my $st = session(audio_format => 'linear16', sample_rate => 48000);
my $mark = log_mark();
$st->send_json({ type => 'speak', text => $long });
ok wait_log($mark, qr/waav ws: local speech waits for the client/),
   'a long text, the client not reading: the synthesis waits for it';
my $pieces = () = substr($w->error_log, $mark) =~ /waav local tts: piece of/g;
my ($fl, $dl) = audio_until_text($st);
is $dl->{type}, 'tts_playback_complete', 'read: the rest comes, then the completion';
about(length(join '', @$fl), length($refl), 'a long text, all of it');
my $all = () = substr($w->error_log, $mark) =~ /waav local tts: piece of/g;
ok $pieces < $all, "while it waited, $pieces of its $all pieces were spoken";

# --- clear mid-synthesis: stopped, the session goes on ------------------------

$mark = log_mark();
$st->send_json({ type => 'speak', text => $long });
my $first = $st->next_message(120);
is $first->{type}, 'binary', 'a long speak: audio comes';
$st->send_json({ type => 'clear' });
my @after = pong_barrier($st, 'clear', 2);
is scalar(grep { ($_->{type} // '') eq 'tts_playback_complete' } @after), 0,
   'cleared: no completion';
ok wait_log($mark, qr/waav ws: local speech cancelled/), 'the synthesis stopped';
$st->send_json({ type => 'speak', text => 'one two' });
my ($fc, $dc) = audio_until_text($st);
is $dc->{type}, 'tts_playback_complete', 'a speak after clear: complete';
ok @$fc > 0, 'with audio';

# a new config mid-synthesis stops it too
$mark = log_mark();
$st->send_json({ type => 'speak', text => $long });
is $st->next_message(120)->{type}, 'binary', 'a long speak';
$st->send_json({ type => 'config', stt_config => stt_config(),
                 tts_config => { provider => 'local', audio_format => 'mulaw', sample_rate => 8000 } });
my ($fr2, $ready) = audio_until_text($st);
is $ready->{type}, 'ready', 'a new config: ready';
ok wait_log($mark, qr/waav ws: local speech cancelled/), 'the old synthesis stopped';
$st->send_json({ type => 'speak', text => 'one two' });
my ($fm, $dm) = audio_until_text($st);
is $dm->{type}, 'tts_playback_complete', 'the new config speaks';
is scalar(grep { length != 80 } @$fm[0 .. $#$fm - 1]), 0, 'mulaw 8 kHz now';

# --- the client leaves mid-synthesis --------------------------------------------

$mark = log_mark();
$st->send_json({ type => 'speak', text => $long });
is $st->next_message(120)->{type}, 'binary', 'a long speak';
$st->abort;
ok wait_log($mark, qr/waav ws: local speech cancelled/), 'the client left: stopped';

# --- metrics: under local -------------------------------------------------------

my $m = $w->request('GET /metrics');
my ($lat) = $m->{body} =~ /^waav_provider_latency_seconds_count\{provider="local",kind="tts"\} (\d+)/m;
ok $lat && $lat >= 10, "/ws speaks counted under local ($lat)" or diag $m->{body};
like $m->{body}, qr/^waav_tts_time_to_first_audio_seconds_count\{provider="local"\} \d+/m,
     'time to first audio: local';
my ($chars) = $m->{body} =~ /^waav_tts_characters_total\{provider="local"[^}]*\} (\d+)/m;
ok $chars && $chars > 2 * length $long, "characters spoken counted under local ($chars)";

# --- the slots: one taken, one waiting, no more room: the speak's error -------

$w->finish;
$w = Waav::Run->configure('074b', env => {
    WORKER_PROCESSES => 1, WAAV_LOCAL_MAX => 1, WAAV_LOCAL_QUEUE => 1, WAAV_LOCAL_SESSIONS => 3,
});
$w->add_conf('run.d/main.conf', 'error_log logs/error.log debug;');
$w->launch;

my $hold = session(audio_format => 'linear16', sample_rate => 48000);
my $wait = session(audio_format => 'linear16', sample_rate => 16000);
my $busy = session(audio_format => 'linear16', sample_rate => 16000);
$mark = log_mark();
# the one slot: a long speak its client does not read
$hold->send_json({ type => 'speak', text => $long });
ok wait_log($mark, qr/waav ws: local speech waits for the client/), 'the one slot is held';
$mark = log_mark();
$wait->send_json({ type => 'speak', text => $fox });
ok wait_log($mark, qr/waav ws: local speech waits for a slot/), 'a second speak waits (queue=1)';
$busy->send_json({ type => 'speak', text => $fox });
my ($fb, $eb) = audio_until_text($busy);
is $eb->{type}, 'error', 'a third: the slot taken, the queue full: an error';
is $eb->{message}, 'TTS error: local engines are busy: try again shortly', "said: $eb->{message}";
my ($fb2, $cb) = audio_until_text($busy);
is $cb->{type}, 'tts_playback_complete', 'then the completion, as after a provider failure';
is scalar(@$fb) + scalar(@$fb2), 0, 'no audio';
# the waiting one cleared: out of the queue (else the next would be refused)
$mark = log_mark();
$wait->send_json({ type => 'clear' });
is_deeply [pong_barrier($wait, 'a waiting speak cleared', 3)], [], 'cleared: nothing said';
ok wait_log($mark, qr/waav ws: local speech cancelled, 0 bytes sent\n/), 'cancelled before a task';
$wait->send_json({ type => 'speak', text => $fox });
my ($fw0, $ew0) = audio_until_text($wait, 1);
ok !$ew0, 'speaks again: it waits, not refused' or diag explain $ew0;
# the slot back: the long one ends, the waiting one speaks
my ($fh, $dh) = audio_until_text($hold);
is $dh->{type}, 'tts_playback_complete', 'the long speak completes once read';
my ($fw, $dw) = audio_until_text($wait);
is $dw->{type}, 'tts_playback_complete', 'then the waiting speak is spoken';
ok @$fw + @$fw0 > 100, 'with its audio (' . (@$fw + @$fw0) . ' frames)';
$busy->send_json({ type => 'speak', text => 'one two' });
my ($fo, $do) = audio_until_text($busy);
is $do->{type}, 'tts_playback_complete', 'and the refused session speaks';
ok @$fo > 0, 'with audio';
$wait->send_close(1000);
ok $wait->wait_eof(30), 'closed';

# --- a reload while a speak runs: the old worker ends once it is back ----------

my %old = map { $_ => 1 } $w->workers;
$mark = log_mark();
$busy->send_json({ type => 'speak', text => $long });
ok wait_log($mark, qr/waav local tts: piece of/), 'a speak runs';
kill 'HUP', $w->pid;
$w->wait_workers(sub { grep { !$old{$_} } @_ }, 60);
$busy->abort;
$hold->abort;
$w->wait_workers(sub { @_ && !grep { $old{$_} } @_ }, 120);
ok !grep({ $old{$_} } $w->workers), 'the old worker exited';
my $n = session(audio_format => 'linear16', sample_rate => 16000);
$n->send_json({ type => 'speak', text => 'one two' });
my ($fn, $dn) = audio_until_text($n);
is $dn->{type}, 'tts_playback_complete', 'the new worker speaks on /ws';
$n->send_close(1000);
ok $n->wait_eof(30), 'closed';
$w->finish;

done_testing;
