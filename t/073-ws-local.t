# Speech to text on /ws with the `local` provider (pocketsphinx in the
# thread pool), through make run's own configuration: espeak-ng's speech
# (/speak with local) streamed in 20 ms frames gives interims while in
# speech and a final at its end (the decoder's voice activity detection,
# or a flush) that keeps at least half of the words; silence gives no
# final; other rates and channels are resampled and mixed; configs local
# cannot honour are refused as other providers' are; the slots (one a
# session, WAAV_LOCAL_MAX) full, a config is refused and the session goes
# on; audio beyond what may wait is dropped and said; a client that leaves
# mid-utterance, and a reload while a decode runs, leave nothing behind
# (under SAN=1: no leak; Waav::Run::finish checks the logs).
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

my $w = Waav::Run->configure('073', env => {
    WORKER_PROCESSES => 1, WAAV_LOCAL_MAX => 2, WAAV_LOCAL_THREADS => 2,
});
$w->add_conf('run.d/main.conf', 'error_log logs/error.log debug;');
$w->launch;

# words the two engines agree on (t/070-local.t): espeak-ng's digits
my $phrase = 'one two three four five six seven';

sub speech {
    my (%o) = @_;
    my $res = $w->request("POST /speak\n" . encode_json({ text => $phrase,
        tts_config => { provider => 'local', audio_format => 'linear16', %o } }), $JSON, 60);
    is $res->{status}, 200, "the phrase spoken at $o{sample_rate} Hz" or diag $res->{body};
    return $res->{body};
}

my $pcm = speech(sample_rate => 16000);
ok length($pcm) > 32000, 'more than a second of it (' . length($pcm) / 32000 . ' s)';
my $silence = "\0" x 32000;      # 1 s at 16 kHz

sub shared {
    my ($heard) = @_;
    my %heard = map { lc($_) => 1 } split ' ', $heard // '';
    return scalar grep { $heard{$_} } split ' ', $phrase;
}

sub stt_config {
    return { provider => 'local', language => 'en-US', sample_rate => 16000, channels => 1,
             punctuation => $T, encoding => 'linear16', model => 'pocketsphinx', @_ };
}

sub ws {
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws');
    $ws->upgraded or BAIL_OUT("no upgrade: $ws->{status} $ws->{body}");
    return $ws;
}

sub config {
    my ($ws, %o) = @_;
    $ws->send_json({ type => 'config', stt_config => stt_config(%o),
                     tts_config => { provider => 'local' } });
    # the decoder loads in the pool (about 2 s of CPU): ready after it
    return $ws->next_json(120);
}

# a config until ready: a session that just ended gives its slot back
# once its last task is back
sub configured {
    my ($ws, %o) = @_;
    my ($m, $until) = (undef, time + 120);
    while (time < $until) {
        $m = config($ws, %o);
        last unless ($m->{message} // '') =~ /local engines are busy/;
        sleep 0.05;
    }
    return $m;
}

sub session {
    my (%o) = @_;
    my $ws = ws();
    my $ready = configured($ws, %o);
    is $ready->{type}, 'ready', 'local: ready once the decoder is loaded' or diag explain $ready;
    return $ws;
}

# the error log from a mark on: what a step logged
sub log_mark { length $w->error_log }

sub wait_log {
    my ($mark, $re) = @_;
    my $until = time + 120;
    sleep 0.05 until substr($w->error_log, $mark) =~ $re || time > $until;
    return substr($w->error_log, $mark) =~ $re;
}

sub frames {
    my ($ws, $bytes, $size) = @_;
    $size //= 640;
    for (my $i = 0; $i < length $bytes; $i += $size) {
        $ws->send_binary(substr $bytes, $i, $size);
    }
}

sub is_result { ref $_[0] eq 'HASH' && ($_[0]{type} // '') eq 'stt_result' }

# the JSON messages up to (and with) the first one $done accepts
sub until_json {
    my ($ws, $done, $secs) = @_;
    my @got;
    while (my $m = $ws->next_json($secs // 120)) {
        push @got, $m;
        return @got if $done->($m);
    }
    return @got;
}

sub pong_barrier {
    my ($ws, $what, $ts) = @_;
    $ws->send_json({ type => 'ping', timestamp => $ts });
    my @got = until_json($ws, sub { ($_[0]{type} // '') eq 'pong' }, 60);
    is_deeply $got[-1], { type => 'pong', timestamp => $ts }, "$what: the session goes on";
    return @got[0 .. $#got - 1];
}

# --- speech: interims in it, a final at its end -----------------------------

my $s1 = session();
frames($s1, $pcm);
# the audio stops in speech: what was decoded is an interim
my @first = until_json($s1, sub { is_result($_[0]) });
is_deeply [ map { $_->{type} } @first ], ['stt_result'], 'nothing but results';
my $interim = $first[-1];
is $interim->{is_final}, JSON::PP::false, 'in speech: an interim' or diag explain $interim;
is $interim->{is_speech_final}, JSON::PP::false, 'not speech final';
like $interim->{transcript}, qr/\S/, "with words ($interim->{transcript})";

# a second of silence: the decoder hears the utterance end
my $t0 = time;
frames($s1, $silence);
my @rest = until_json($s1, sub { is_result($_[0]) && $_[0]{is_final} });
my $final = $rest[-1];
my $took = time - $t0;
ok is_result($final) && $final->{is_final}, 'then a final' or diag explain \@rest;
is $final->{is_speech_final}, JSON::PP::true, 'speech final';
ok shared($final->{transcript}) * 2 >= 7,
   "keeping at least half of the words ($final->{transcript})";
ok $final->{confidence} > 0 && $final->{confidence} <= 1, "confidence $final->{confidence}";
is scalar(grep { !is_result($_) || $_->{is_final} } @rest[0 .. $#rest - 1]), 0,
   'interims only before it';
diag sprintf 'the final %.2f s after the silence began (%.1f s of speech)',
    $took, length($pcm) / 32000;

# the same again, ended by a flush instead of silence
frames($s1, $pcm);
$s1->send_json({ type => 'flush' });
my @flushed = until_json($s1, sub { is_result($_[0]) && $_[0]{is_final} });
ok shared($flushed[-1]{transcript}) * 2 >= 7,
   "a flush ends the utterance: a final ($flushed[-1]{transcript})";
is scalar(grep { $_->{is_final} } @flushed), 1, 'one final';

# --- silence: no final (the first final is the speech's) --------------------

frames($s1, $silence x 3);
$s1->send_json({ type => 'flush' });
frames($s1, $silence . $pcm . $silence);
my @after = until_json($s1, sub { is_result($_[0]) && $_[0]{is_final} });
ok shared($after[-1]{transcript}) * 2 >= 7,
   "after 3 s of silence and a flush, the first final is the speech's ($after[-1]{transcript})";
pong_barrier($s1, 'speech and silence', 1);
$s1->send_close(1000);
ok $s1->wait_eof(30), 'closed';

# --- 22050 Hz stereo: mixed and resampled -------------------------------------

my $pcm22 = speech(sample_rate => 22050);
my $stereo = pack 's<*', map { ($_, $_) } unpack 's<*', $pcm22;
my $s2 = session(sample_rate => 22050, channels => 2);
# odd message sizes: frames cut anywhere are put together again
frames($s2, $stereo . ("\0" x 88200 x 2), 1001);
my @s2 = until_json($s2, sub { is_result($_[0]) && $_[0]{is_final} });
ok shared($s2[-1]{transcript}) * 2 >= 7, "22050 Hz stereo: a final ($s2[-1]{transcript})";
$s2->send_close(1000);
ok $s2->wait_eof(30), 'closed';

# --- configs local cannot honour: an error, no ready, the session stays -------

my $c = ws();
for my $case (
    [ 'sample_rate 4000', { sample_rate => 4000 }, qr/^stt_config\.sample_rate must be/ ],
    [ 'encoding mulaw', { encoding => 'mulaw' },
      qr/^Unsupported encoding for local: mulaw \(use linear16\)$/ ],
    [ 'language fr', { language => 'fr' }, qr/English only/ ],
) {
    my ($name, $o, $re) = @$case;
    my $m = config($c, %$o);
    is $m->{type}, 'error', "$name: an error";
    like $m->{message}, $re, "$name: $m->{message}";
}
pong_barrier($c, 'refused configs', 2);
# audio without a config
$c->send_binary($silence);
my $off = $c->next_json(30);
like $off->{message}, qr/^Audio processing is disabled/, 'audio before a config: refused';
$c->send_close(1000);
ok $c->wait_eof(30), 'closed';

# --- the slots full: a session is refused, then has one ---------------------

my @held = (session(), session());
my $d = ws();
my $busy = config($d);
is $busy->{type}, 'error', 'a third session with WAAV_LOCAL_MAX=2: an error';
is $busy->{message}, 'Failed to start voice manager: local engines are busy: try again shortly',
   'local engines are busy';
pong_barrier($d, 'busy', 3);
$d->send_binary($silence);
like $d->next_json(30)->{message}, qr/^Audio processing is disabled/, 'no audio taken';

# the sessions' slots are their own (waav_local sessions=, max by default):
# while they are all held, a REST synthesis still has one of max's, it does
# not wait behind the recognitions
my $spoken = $w->request("POST /speak\n" . encode_json({ text => 'one two',
    tts_config => { provider => 'local', audio_format => 'linear16' } }), $JSON, 60);
is $spoken->{status}, 200, 'the sessions\' slots all held: /speak local still speaks'
    or diag $spoken->{body};

# one leaves: its slot is free again (the server sees the close first)
$held[0]->send_close(1000);
ok $held[0]->wait_eof(30), 'a session closes';
my $ready = configured($d);
is $ready->{type}, 'ready', 'then the refused session has its slot';
frames($d, $pcm . $silence);
my @d = until_json($d, sub { is_result($_[0]) && $_[0]{is_final} });
ok shared($d[-1]{transcript}) * 2 >= 7, "and transcribes ($d[-1]{transcript})";

# --- more than 10 s waiting: dropped, said ------------------------------------

frames($d, $pcm x 15, 3200);
my @over = until_json($d, sub { ($_[0]{type} // '') eq 'error' });
like $over[-1]{message}, qr/^STT streaming error: local recognition is not keeping up/,
     '35 s of speech at once: the decoder is behind, said';
pong_barrier($d, 'audio dropped', 4);
# a message longer than 10 s is never taken (its first bytes may still find
# the decoder behind: "not keeping up" may come first, then this)
$d->send_binary("\0" x (32000 * 11));
my @big = until_json($d, sub { ($_[0]{type} // '') eq 'error'
                               && $_[0]{message} !~ /is not keeping up/ });
my $big = $big[-1];
like $big->{message}, qr/^Audio frame too large: 352000 bytes \(max: 320000 bytes/,
     'a message of 11 s: too large';
$d->send_close(1000);
ok $d->wait_eof(30), 'closed';

# --- the client leaves mid-utterance, a task running ----------------------------

my $e = $held[1];
my $mark = log_mark();
frames($e, $pcm x 3, 3200);
$e->abort;
ok wait_log($mark, qr/local recognition stops, a task runs/),
   'the client left while a task ran';
ok wait_log($mark, qr/local task back, its session is over/), 'the task came back to no session';

# the worker goes on: a session transcribes
my $f = session();
frames($f, $pcm . $silence);
my @f = until_json($f, sub { is_result($_[0]) && $_[0]{is_final} });
ok shared($f[-1]{transcript}) * 2 >= 7, "a new session transcribes ($f[-1]{transcript})";

# --- a reload while a decode runs: the old worker ends once it is back --------

my %old = map { $_ => 1 } $w->workers;
$mark = log_mark();
frames($f, $pcm x 3, 3200);
ok wait_log($mark, qr/waav ws: local task back, \d+ results/), 'a decode runs';
kill 'HUP', $w->pid;
$w->wait_workers(sub { grep { !$old{$_} } @_ }, 60);
$f->abort;
$w->wait_workers(sub { @_ && !grep { $old{$_} } @_ }, 120);
ok !grep({ $old{$_} } $w->workers), 'the old worker exited';
my $g = session();
$g->send_close(1000);
ok $g->wait_eof(30), 'the new worker serves local sessions';

$w->finish;

# --- stt_seconds: charged 10 s ahead of what is decoded, the rest back -------

$w = Waav::Run->configure('073q', env => { WORKER_PROCESSES => 1, WAAV_LOCAL_MAX => 1 });
$w->add_conf('run.d/http.conf', 'waav_limit_zone stt_q:1m key=all;');
$w->add_conf('run.d/ws.conf', 'waav_limit zone=stt_q stt_seconds=15/d;');
$w->launch;
my $utt = $pcm . ("\0" x (128000 - length $pcm));     # 4 s

# 10 charged, 6 back at the end: 4 used
my $q1 = session();
frames($q1, $utt);
my @q1 = until_json($q1, sub { is_result($_[0]) && $_[0]{is_final} || $_[0]{type} eq 'error' });
ok $q1[-1]{is_final}, "quota: a first session transcribes ($q1[-1]{transcript})"
    or diag explain \@q1;
$q1->send_close(1000);
ok $q1->wait_eof(30), 'closed';
# the seconds used (not those charged ahead) are counted under local
my ($secs, $until) = (undef, time + 20);
while (time < $until) {
    my $m = $w->request('GET /metrics');
    last if ($secs) = ($m->{body} // '') =~ /^waav_stt_audio_seconds_total\{provider="local",tenant="[^"]*"\} (\d+)$/m;
    sleep 0.05;
}
is $secs, 4, 'metrics: the 4 s decoded, under local';

# 11 left: 10 charged, two utterances (8 s) decoded, the third's crossing of
# 10 s is refused (1 left); without the first session's 6 back, the first
# charge would be
my $q2 = session();
my @heard;
for my $i (1 .. 3) {
    frames($q2, $utt);
    my @m = until_json($q2, sub { is_result($_[0]) && $_[0]{is_final} || $_[0]{type} eq 'error' });
    push @heard, $m[-1];
}
is scalar(grep { $_->{is_final} } @heard[0 .. 1]), 2, 'quota: two utterances more (8 s)'
    or diag explain \@heard;
like $heard[2]{message} // '', qr/^STT streaming error: Too Many Requests! Wait for \d+s$/,
     'the third is past the quota: refused' or diag explain $heard[2];
# the recognition is over, the session is not
frames($q2, $utt);
pong_barrier($q2, 'quota refused', 5);
$q2->send_close(1000);
ok $q2->wait_eof(30), 'closed';
$w->finish;

done_testing;
