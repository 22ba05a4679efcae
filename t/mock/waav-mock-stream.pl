# waav-mock-stream: the providers' real-time speech-to-text WebSocket APIs,
# part of the provider mock.  Compiled by t/mock/waav-mock.pl into its own
# package (it uses that file's error builders, records and behaviours);
# never run alone.  Routes, message sequences, behaviours and /__mock/ws are
# documented in t/mock/README.md, "Streaming STT (WebSocket)".
use Mojo::Base -strict, -signatures;
use Mojo::IOLoop;
use Mojo::Date;
use Mojo::JSON qw(true false);
use MIME::Base64 qw(decode_base64);
use Digest::SHA ();
use Socket qw(SOL_SOCKET SO_RCVBUF);

our $DG_STT_MODEL;
my @WS_WORDS = qw(hello world from the mock);
my $WS_PRETTY = 'Hello world from the mock.';
my $MAX_SESSIONS = 1000;
my $MAX_LOG = 1000;                                  # texts / sent messages kept per session
my $SEG_STEPS = 5;                                   # one interim per 200 ms, the final at 1 s
my (@sessions, $next_id);

# --------------------------------------------------------------------------
# Strict framing: a client frame without the mask bit (RFC 6455 5.1) is a
# protocol error.  Mojo does not expose the bit, so peek at the raw header
# byte before its parser consumes the frame (server side only).
# --------------------------------------------------------------------------
{
  no warnings 'redefine';
  my $parse = \&Mojo::WebSocket::parse_frame;
  my $read  = \&Mojo::Transaction::WebSocket::server_read;
  our $WS_SERVER_TX;
  *Mojo::WebSocket::parse_frame = sub {
    my ($buf) = @_;
    my $tx = $WS_SERVER_TX;
    return $parse->(@_) unless $tx && $tx->{waav_strict} && length $$buf >= 2;
    if ($tx->{waav_refused}) { $$buf = ''; return undef }
    my $masked = ord(substr $$buf, 1, 1) & 0x80;
    my $frame = $parse->(@_);
    return $frame if !ref $frame || $masked;
    ($tx->{waav_refused}, $$buf) = (1, '');
    $tx->emit(unmasked_frame => $frame);
    return undef;
  };
  *Mojo::Transaction::WebSocket::server_read = sub {
    local $WS_SERVER_TX = $_[0]->masked ? undef : $_[0];
    $read->(@_);
  };
}

# --------------------------------------------------------------------------
# Sessions and what they received
# --------------------------------------------------------------------------
sub ws_reset () { @sessions = () }

sub push_log ($list, $item) { push @$list, $item if @$list < $MAX_LOG }

sub ws_public ($s) {
  my %o = map { $_ => $s->{$_} } grep { !/^_/ } keys %$s;
  $o{audio_sha1} = $s->{_sha1}->clone->hexdigest;
  $o{audio_sha256} = $s->{_sha256}->clone->hexdigest;
  return \%o;
}

get '/__mock/ws' => sub ($c) {
  my $p = $c->param('provider');
  $c->render(json => [map { ws_public($_) } grep { !defined $p || $_->{provider} eq $p } @sessions]);
};

sub new_session ($c, $p, $beh) {
  my $req = $c->req;
  my %headers = map { lc($_) => join(', ', @{$req->headers->every_header($_)}) } @{$req->headers->names};
  my $key = $req->headers->sec_websocket_key // '';
  my $s = {
    id => ++$next_id, provider => $p, path => $req->url->path->to_string, query => $req->url->query->to_string,
    headers => \%headers, ws_version => $req->headers->sec_websocket_version, ws_key_valid => length(decode_base64($key)) == 16 && $key =~ m{^[A-Za-z0-9+/]{22}==$} ? true : false,
    status => 101, state => 'open', behavior => $beh, protocol => undef,
    audio_bytes => 0, audio_frames => 0, audio_min_frame => undef, audio_max_frame => undef, empty_frames => 0,
    texts => [], keepalives => 0, unmasked => 0, client_close => undef, server_close => undef, sent => [], reading => true,
    _sha1 => Digest::SHA->new(1), _sha256 => Digest::SHA->new(256), _c => $c, _beh => $beh,
    _seg_bytes => 0, _seg_start => 0, _seg_step => 0, _turn => 0,
  };
  push @sessions, $s;
  shift @sessions while @sessions > $MAX_SESSIONS;
  return $s;
}

sub qparams ($c) { my $q = $c->req->url->query; return {map { $_ => $q->param($_) } @{$q->names}} }

# --------------------------------------------------------------------------
# Sending and closing
# --------------------------------------------------------------------------
sub ws_send ($s, $msg) {
  return if $s->{_beh}{ws_silent} || $s->{state} ne 'open';
  my $json = encode_json($msg);
  push_log($s->{sent}, $msg);
  $s->{_c}->send({text => $json});
}

sub ws_close ($s, $code, $reason = undef) {
  return if $s->{state} ne 'open' || $s->{_beh}{ws_silent};
  $s->{state} = 'closing';
  $s->{server_close} = {code => $code, reason => $reason};
  $s->{_c}->finish($code, $reason);
}

# the provider's error message (if it has one), then its close
sub ws_fail ($s, $kind, %o) {
  my $W = ws_provider($s);
  my ($msg, $code, $reason) = $W->{error}->($s, $kind, %o);
  ws_send($s, $msg) if $msg;
  ws_close($s, $code, $reason);
}

# --------------------------------------------------------------------------
# The transcript engine: audio bytes drive the results.  Every 200 ms of
# audio an interim with one more word; at 1 s of audio the final, and the
# next segment starts.  A flush emits the final of a non-empty segment.
# --------------------------------------------------------------------------
sub seg_secs ($s) { $s->{_seg_bytes} / $s->{_bps} }

# the words of a segment so far: [[word, start, end], ...] in seconds
sub seg_words ($s, $n, $secs) {
  my $slot = $secs / $n;
  return [map { [$WS_WORDS[$_], r3($s->{_seg_start} + $_ * $slot), r3($s->{_seg_start} + ($_ + 0.9) * $slot)] } 0 .. $n - 1];
}

sub seg_audio ($s, $len) {
  my $W = ws_provider($s);
  my $step = $s->{_bps} / $SEG_STEPS;
  $s->{_seg_bytes} += $len;
  while (1) {
    my $k = int($s->{_seg_bytes} / $step);
    if ($k >= $SEG_STEPS && $W->{auto_final}->($s)) { seg_final($s, 'audio', $SEG_STEPS * $step); next }
    $k = $SEG_STEPS - 1 if $k >= $SEG_STEPS;
    last if $k <= $s->{_seg_step};
    $s->{_seg_step} = $k;
    ws_send($s, $_) for $W->{interim}->($s, $k, $k * 0.2);
  }
}

# $bytes of the segment make the final (all of it by default)
sub seg_final ($s, $why, $bytes = $s->{_seg_bytes}) {
  return 0 unless $bytes > 0;
  my $secs = $bytes / $s->{_bps};
  ws_send($s, $_) for ws_provider($s)->{final}->($s, $why, $secs);
  $s->{_seg_start} = r3($s->{_seg_start} + $secs);
  $s->{_seg_bytes} -= $bytes;
  $s->{_seg_step} = 0;
  return 1;
}

# --------------------------------------------------------------------------
# Per-connection plumbing shared by the providers
# --------------------------------------------------------------------------
sub ws_audio ($s, $bytes) {
  my $len = length $bytes;
  $s->{audio_bytes} += $len;
  $s->{audio_frames}++;
  $s->{audio_min_frame} = $len if !defined $s->{audio_min_frame} || $len < $s->{audio_min_frame};
  $s->{audio_max_frame} = $len if !defined $s->{audio_max_frame} || $len > $s->{audio_max_frame};
  $s->{_sha1}->add($bytes);
  $s->{_sha256}->add($bytes);
  my $beh = $s->{_beh};
  if (defined $beh->{ws_slow_reader} && $s->{audio_bytes} >= $beh->{ws_slow_reader}) { stop_reading($s) }
  return ws_fail($s, 'forced') if defined $beh->{ws_error} && $s->{audio_bytes} >= $beh->{ws_error};
  return forced_close($s) if defined $beh->{ws_close_after_bytes} && $s->{audio_bytes} >= $beh->{ws_close_after_bytes};
  if ($beh->{aai_chunk_check} && $s->{provider} eq 'assemblyai') {
    my $ms = int(1000 * $len / $s->{_bps});
    return ws_fail($s, 'chunk', ms => $ms) if $ms < 50 || $ms > 1000;
  }
  seg_audio($s, $len);
}

sub forced_close ($s) {
  my $W = ws_provider($s);
  my $beh = $s->{_beh};
  ws_close($s, $beh->{ws_close_code} // $W->{drop}[0], $beh->{ws_close_reason} // $W->{drop}[1]);
}

sub stop_reading ($s) {
  return unless $s->{reading};
  $s->{reading} = false;
  my $stream = Mojo::IOLoop->stream($s->{_c}->tx->connection // return) or return;
  $stream->stop;
}

sub touch ($s) {                                     # the provider's idle close, re-armed by every frame
  my $ms = $s->{_idle_ms} or return;
  Mojo::IOLoop->remove($s->{_idle}) if $s->{_idle};
  $s->{_idle} = Mojo::IOLoop->timer($ms / 1000 => sub { delete $s->{_idle}; ws_fail($s, 'idle') });
}

# answer the upgrade with the provider's HTTP error (no 101)
sub ws_refuse ($s, $status, %o) {
  my $W = ws_provider($s);
  ($s->{status}, $s->{state}) = ($status, 'refused');
  my $x = {c => $s->{_c}, tx => $s->{_c}->tx, p => $s->{provider}, P => {error => $W->{http_error}}, beh => {}, method => 'GET', path => $s->{path}};
  fail($x, $status, %o);
  delete $s->{_c};
}

my %WS;
sub ws_provider ($s) { $WS{$s->{provider}} }

sub ws_open ($c, $p) {
  my $beh = take_behavior($c) // return;
  record_request($c, $p);
  my $s = new_session($c, $p, $beh);
  my $W = $WS{$p};
  my $forced = $beh->{ws_refuse} // $beh->{status};
  # echo_key=1: the refusal quotes the Authorization it got (a provider
  # that echoes what it received: the client must never see it)
  return ws_refuse($s, $forced, forced => 1,
                   $beh->{echo_key} ? (message => 'Invalid credentials: ' . ($s->{headers}{authorization} // '')) : ())
      if $forced;
  my $problem = $W->{check}->($s, $c);             # {http => status, %opts} or {inband => kind, %opts}
  return ws_refuse($s, delete $problem->{http}, %$problem) if $problem && $problem->{http};
  $c->tx->{waav_strict} = 1;
  $c->inactivity_timeout(3600);
  $c->tx->max_websocket_size(16 * 1024 * 1024);
  if (defined $beh->{ws_rcvbuf}) {
    my $stream = Mojo::IOLoop->stream($c->tx->connection);
    $stream->handle->setsockopt(SOL_SOCKET, SO_RCVBUF, $beh->{ws_rcvbuf}) if $stream;
  }
  $c->tx->on(unmasked_frame => sub ($tx, $frame) {
    $s->{unmasked}++;
    ws_close($s, 1002, 'a client frame was not masked');
  });
  $c->on(frame => sub ($c, $f) {
    $s->{client_close} = {code => length $f->[5] >= 2 ? unpack('n', $f->[5]) : 1005, reason => length $f->[5] > 2 ? substr($f->[5], 2) : ''}
      if $f->[4] == 8 && !$s->{client_close};
  });
  $c->on(binary => sub ($c, $bytes) { touch($s); $W->{binary}->($s, $bytes) if $s->{state} eq 'open' });
  $c->on(text => sub ($c, $bytes) {
    touch($s);
    push_log($s->{texts}, Mojo::Util::decode('UTF-8', $bytes) // $bytes);
    $W->{text}->($s, $bytes) if $s->{state} eq 'open';
  });
  $c->on(finish => sub ($c, $code, $reason) {
    $s->{state} = 'closed';
    Mojo::IOLoop->remove($_) for grep {defined} delete @$s{qw(_idle _timer)};
    delete $s->{_c};
  });
  $c->rendered(101) unless $c->tx->established;
  return ws_fail($s, delete $problem->{inband}, %$problem) if $problem;
  $W->{opened}->($s) if $W->{opened};
  $s->{_idle_ms} = $beh->{ws_idle_ms} // $W->{idle_ms};
  touch($s);
  stop_reading($s) if ($beh->{ws_slow_reader} // -1) eq '0';
  ws_fail($s, 'forced') if ($beh->{ws_error} // -1) eq '0';
  forced_close($s) if ($beh->{ws_close_after_bytes} // -1) eq '0';
  $s->{_timer} = Mojo::IOLoop->timer($beh->{ws_close_after_ms} / 1000 => sub { forced_close($s) }) if $beh->{ws_close_after_ms};
}

# a JSON text message: the decoded object, or undef
sub ws_json ($bytes) { my $d = eval { Mojo::JSON::decode_json($bytes) }; return $d }

# query checks: $spec = {name => qr/.../ or sub}, required names; returns an error string
sub query_problem ($q, $spec, @required) {
  for my $n (sort keys %$q) { return "unknown field `$n`" unless $spec->{$n} }
  for my $n (@required) { return "missing field `$n`" unless defined $q->{$n} }
  for my $n (sort keys %$q) {
    my $ok = ref $spec->{$n} eq 'CODE' ? $spec->{$n}->($q->{$n}) : $q->{$n} =~ $spec->{$n};
    return "invalid value `$q->{$n}` for `$n`" unless $ok;
  }
  return undef;
}

sub word_list ($s, $words, $pretty, $make) {
  my @w = @$words;
  return [map {
    my ($w, $st, $en) = @{$w[$_]};
    my $pw = !$pretty ? $w : $_ == 0 ? ucfirst $w : $_ == $#WS_WORDS ? "$w." : $w;
    $make->($w, $pw, $st, $en);
  } 0 .. $#w];
}

# --------------------------------------------------------------------------
# Deepgram  wss://api.deepgram.com/v1/listen
# --------------------------------------------------------------------------
my %DG_BPS = (linear16 => 2, linear32 => 4, mulaw => 1, alaw => 1);
my $BOOL = qr/^(?:true|false)$/;
my %DG_Q = (model => sub { $_[0] =~ $DG_STT_MODEL }, language => qr/^(?:[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*|multi)$/,
  sample_rate => sub { $_[0] =~ /^\d+$/ && $_[0] >= 8000 && $_[0] <= 48000 }, channels => qr/^[1-8]$/, punctuate => $BOOL,
  interim_results => $BOOL, smart_format => $BOOL, encoding => qr/^(?:linear16|linear32|flac|alaw|mulaw|amr-nb|amr-wb|opus|ogg-opus|speex|g729)$/,
  endpointing => qr/^(?:\d+|false)$/, tag => qr/^.{1,128}$/, keywords => qr/^.{1,1024}$/);
my @DG_REQUIRED = qw(model language sample_rate channels punctuate interim_results smart_format encoding endpointing);

sub dg_check ($s, $c) {
  my $h = $c->req->headers;
  my ($scheme, $key) = ($h->authorization // '') =~ /^(\S+)\s+(\S+)\s*$/;
  if (!defined $h->authorization && ($h->sec_websocket_protocol // '') =~ /^\s*token\s*,\s*(\S+?)\s*$/i) {
    ($scheme, $key) = ('token', $1);
    $s->{protocol} = $c->tx->with_protocols('token');
  }
  return {http => 401} unless lc($scheme // '') eq 'token' && $key eq mock_key('deepgram');
  my $q = qparams($c);
  my $err = query_problem($q, \%DG_Q, @DG_REQUIRED);
  return {http => 400, code => 'INVALID_QUERY_PARAMETER', message => "Failed to deserialize query parameters: $err"} if $err;
  $s->{_q} = $q;
  $s->{_bps} = $q->{sample_rate} * ($DG_BPS{$q->{encoding}} // 2) * $q->{channels};
  $s->{_rid} = uuid4();
  return undef;
}

sub dg_pretty ($s) { $s->{_q}{punctuate} eq 'true' || $s->{_q}{smart_format} eq 'true' }

sub dg_results ($s, $n, $secs, $final, $speech_final, %o) {
  my $pretty = $final && dg_pretty($s);
  my $words = $n ? word_list($s, seg_words($s, $n, $secs), $pretty, sub ($w, $pw, $st, $en) {
    {word => $w, start => $st, end => $en, confidence => 0.99, punctuated_word => $pw} }) : [];
  my $text = !$n ? '' : $pretty && $n == @WS_WORDS ? $WS_PRETTY : join ' ', @WS_WORDS[0 .. $n - 1];
  return {type => 'Results', channel_index => [0, 1], duration => r3($secs), start => r3($s->{_seg_start}),
    is_final => $final ? true : false, speech_final => $speech_final ? true : false, from_finalize => $o{from_finalize} ? true : false,
    channel => {alternatives => [{transcript => $text, confidence => $n ? 0.99 : 0, words => $words}]},
    metadata => {request_id => $s->{_rid}, model_uuid => '1dbdfb4d-85b2-4659-9bc8-4a1e4d3d4d2f',
      model_info => {name => "2-general-$s->{_q}{model}", version => '2025-01-01.0', arch => $s->{_q}{model} =~ s/-[a-z]+$//r}}};
}

sub dg_final ($s, $why, $secs) {
  my $mode = $s->{_beh}{dg_speech_final} // 'with';
  my $sf = $why eq 'audio' && $mode eq 'with';
  my @m = dg_results($s, scalar @WS_WORDS, $secs, 1, $sf, from_finalize => $why eq 'finalize');
  push @m, dg_results($s, 0, 0, 1, 1) if $why eq 'audio' && $mode eq 'separate';
  return @m;
}

sub dg_close_stream ($s) {
  seg_final($s, 'close');
  my $secs = $s->{audio_bytes} / $s->{_bps};
  ws_send($s, {type => 'Metadata', transaction_key => 'deprecated', request_id => $s->{_rid}, sha256 => $s->{_sha256}->clone->hexdigest,
    created => Mojo::Date->new->to_datetime, duration => r3($secs), channels => 0 + $s->{_q}{channels}});
  ws_close($s, 1000);
}

sub dg_text ($s, $bytes) {
  my $d = ws_json($bytes);
  my $type = ref $d eq 'HASH' ? $d->{type} // '' : '';
  return $s->{keepalives}++ if $type eq 'KeepAlive';
  return seg_final($s, 'finalize') if $type eq 'Finalize';
  return dg_close_stream($s) if $type eq 'CloseStream';
  ws_fail($s, 'text');
}

$WS{deepgram} = {
  check => \&dg_check, http_error => \&dg_error, idle_ms => 10_000, drop => [1011, 'NET-0000'],
  auto_final => sub ($s) {1},
  interim => sub ($s, $k, $secs) { ($s->{_q}{interim_results} eq 'true' ? dg_results($s, $k, $secs, 0, 0) : ()) },
  final => \&dg_final,
  binary => sub ($s, $bytes) { length $bytes ? ws_audio($s, $bytes) : do { $s->{empty_frames}++; dg_close_stream($s) } },
  text => \&dg_text,
  error => sub ($s, $kind, %o) {
    return (undef, 1011, 'NET-0001') if $kind eq 'idle';
    return ({type => 'Error', description => 'Internal server error.', message => 'The stream was cancelled.', variant => 'INTERNAL_SERVER_ERROR'}, 1011, 'NET-0000')
      if $kind eq 'forced';
    return ({type => 'Error', description => 'Invalid text message: expected a JSON object with "type" KeepAlive, Finalize or CloseStream.',
      message => 'Unknown control message', variant => 'DATA-0000'}, 1008, 'DATA-0000');
  },
};

# --------------------------------------------------------------------------
# AssemblyAI  wss://streaming.assemblyai.com/v3/ws
# --------------------------------------------------------------------------
my %AAI_Q = (sample_rate => sub { $_[0] =~ /^\d+$/ && $_[0] >= 8000 && $_[0] <= 48000 }, encoding => qr/^(?:pcm_s16le|pcm_mulaw)$/,
  speech_model => qr/^universal-streaming-(?:english|multilingual)$/, format_turns => $BOOL,
  end_of_turn_confidence_threshold => sub { $_[0] =~ /^\d(?:\.\d+)?$/ && $_[0] >= 0 && $_[0] <= 1 },
  min_end_of_turn_silence_when_confident => qr/^\d+$/, max_turn_silence => qr/^\d+$/, keyterms_prompt => qr/^.+$/,
  inactivity_timeout => qr/^\d+$/);

sub aai_check ($s, $c) {
  my $key = $c->req->headers->authorization;
  return {inband => 'auth', why => 'missing'} unless defined $key;
  return {inband => 'auth', why => 'invalid'} unless $key eq mock_key('assemblyai');
  my $q = qparams($c);
  my $err = query_problem($q, \%AAI_Q, qw(sample_rate speech_model));
  return {http => 400, message => "Invalid query parameters: $err"} if $err;
  $s->{_q} = $q;
  $s->{_bps} = $q->{sample_rate} * (($q->{encoding} // '') eq 'pcm_mulaw' ? 1 : 2);
  $s->{_started} = time;
  return undef;
}

sub aai_turn ($s, $n, $secs, $eot, $formatted) {
  my $words = word_list($s, seg_words($s, $n, $secs), $formatted, sub ($w, $pw, $st, $en) {
    {start => int($st * 1000), end => int($en * 1000), text => $pw, confidence => 0.98, word_is_final => true} });
  my $text = $formatted ? $WS_PRETTY : join ' ', @WS_WORDS[0 .. $n - 1];
  return {type => 'Turn', turn_order => $s->{_turn}, turn_is_formatted => $formatted ? true : false, end_of_turn => $eot ? true : false,
    transcript => $text, end_of_turn_confidence => $eot ? 0.9 : 0.01, words => $words, utterance => $eot ? $text : ''};
}

sub aai_final ($s, $why, $secs) {
  my $n = @WS_WORDS;
  my @m = aai_turn($s, $n, $secs, 1, 0);
  push @m, aai_turn($s, $n, $secs, 1, 1) if ($s->{_q}{format_turns} // '') eq 'true';
  $s->{_turn}++;
  return @m;
}

sub aai_text ($s, $bytes) {
  my $d = ws_json($bytes);
  return ws_fail($s, 'message', error => 'Invalid JSON: ' . substr($bytes, 0, 60)) unless defined $d;
  return ws_fail($s, 'message', error => 'Invalid Message: ' . substr($bytes, 0, 60)) unless ref $d eq 'HASH';
  my $type = $d->{type} // '';
  return $s->{keepalives}++ if $type eq 'KeepAlive';
  return seg_final($s, 'force') if $type eq 'ForceEndpoint';
  return if $type eq 'UpdateConfiguration';
  if ($type eq 'Terminate') {
    seg_final($s, 'close');
    ws_send($s, {type => 'Termination', audio_duration_seconds => int($s->{audio_bytes} / $s->{_bps}),
      session_duration_seconds => int(time - $s->{_started})});
    return ws_close($s, 1000);
  }
  ws_fail($s, 'message', error => 'Invalid Message Type: ' . substr($type, 0, 60));
}

sub aai_error_frame ($code, $text) { ({type => 'Error', error_code => $code, error => $text}, $code, $text) }

$WS{assemblyai} = {
  check => \&aai_check, http_error => \&aai_error, drop => [3005, 'Session Cancelled: An error occurred'],
  opened => sub ($s) { ws_send($s, {type => 'Begin', id => uuid4(), expires_at => int(time) + 10800}) },
  auto_final => sub ($s) {1},
  interim => sub ($s, $k, $secs) { aai_turn($s, $k, $secs, 0, 0) },
  final => \&aai_final,
  binary => \&ws_audio, text => \&aai_text,
  error => sub ($s, $kind, %o) {
    return aai_error_frame(1008, $o{why} eq 'missing' ? 'Unauthorized Connection: Missing Authorization header'
      : 'Unauthorized Connection: Invalid API key') if $kind eq 'auth';
    return aai_error_frame(3006, $o{error}) if $kind eq 'message';
    return aai_error_frame(3007, "Input duration violation: $o{ms} ms. Expected between 50 and 1000 ms") if $kind eq 'chunk';
    return aai_error_frame(3005, 'Session Cancelled: An error occurred');
  },
};

# --------------------------------------------------------------------------
# ElevenLabs  wss://api.elevenlabs.io/v1/speech-to-text/realtime
# --------------------------------------------------------------------------
my %EL_AF = (pcm_8000 => 16000, pcm_16000 => 32000, pcm_22050 => 44100, pcm_24000 => 48000, pcm_44100 => 88200,
  pcm_48000 => 96000, ulaw_8000 => 8000);
my %EL_Q = (model_id => qr/^scribe_v2_realtime$/, audio_format => sub { exists $EL_AF{$_[0]} },
  language_code => qr/^[a-z]{2,3}$/, commit_strategy => qr/^(?:manual|vad)$/, include_timestamps => $BOOL,
  include_language_detection => $BOOL, enable_logging => $BOOL,
  vad_silence_threshold_secs => sub { $_[0] =~ /^\d+(?:\.\d+)?$/ && $_[0] > 0.3 && $_[0] <= 3 },
  vad_threshold => sub { $_[0] =~ /^\d+(?:\.\d+)?$/ && $_[0] >= 0.1 && $_[0] <= 0.9 },
  min_speech_duration_ms => sub { $_[0] =~ /^\d+$/ && $_[0] >= 50 && $_[0] <= 2000 },
  min_silence_duration_ms => sub { $_[0] =~ /^\d+$/ && $_[0] >= 50 && $_[0] <= 2000 });

sub el_check ($s, $c) {
  my $key = $c->req->headers->header('xi-api-key');
  return {inband => 'auth', why => 'missing'} unless defined $key;
  return {inband => 'auth', why => 'invalid'} unless $key eq mock_key('elevenlabs');
  my $q = qparams($c);
  my $err = query_problem($q, \%EL_Q, 'model_id');
  return {inband => 'input', error => "Invalid query parameters: $err"} if $err;
  $s->{_q} = {commit_strategy => 'manual', audio_format => 'pcm_16000', include_timestamps => 'false', %$q};
  $s->{_bps} = $EL_AF{$s->{_q}{audio_format}};
  return undef;
}

sub el_opened ($s) {
  my $q = $s->{_q};
  my ($rate) = $q->{audio_format} =~ /_(\d+)$/;
  my %num = (vad_silence_threshold_secs => 1.5, vad_threshold => 0.4, min_speech_duration_ms => 100, min_silence_duration_ms => 100);
  ws_send($s, {message_type => 'session_started', session_id => hexid(32), config => {
    sample_rate => 0 + $rate, audio_format => $q->{audio_format}, language_code => $q->{language_code}, model_id => $q->{model_id},
    commit_strategy => $q->{commit_strategy}, include_timestamps => $q->{include_timestamps} eq 'true' ? true : false,
    enable_logging => ($q->{enable_logging} // 'true') eq 'true' ? true : false,
    (map { ($_ => 0 + ($q->{$_} // $num{$_})) } sort keys %num)}});
}

sub el_final ($s, $why, $secs) {
  my @m = ({message_type => 'committed_transcript', text => $WS_PRETTY});
  push @m, {message_type => 'committed_transcript_with_timestamps', text => $WS_PRETTY, language_code => $s->{_q}{language_code} // 'en',
    words => word_list($s, seg_words($s, scalar @WS_WORDS, $secs), 1, sub ($w, $pw, $st, $en) {
      {text => $pw, start => $st, end => $en, type => 'word', logprob => -0.01} })} if $s->{_q}{include_timestamps} eq 'true';
  return @m;
}

sub el_text ($s, $bytes) {
  my $d = ws_json($bytes);
  return ws_fail($s, 'input', error => 'Invalid message: expected a JSON object') unless ref $d eq 'HASH';
  my $type = $d->{message_type} // '';
  return ws_fail($s, 'input', error => "Unknown message_type '$type'") unless $type eq 'input_audio_chunk';
  my $b64 = $d->{audio_base_64};
  return ws_fail($s, 'input', error => 'audio_base_64 must be a base64 string')
    unless is_str($b64) && length($b64) % 4 == 0 && $b64 =~ m{^[A-Za-z0-9+/]*={0,2}$};
  my $audio = decode_base64($b64);
  ws_audio($s, $audio) if length $audio;
  seg_final($s, 'commit') if ref $d->{commit} && $d->{commit} && $s->{state} eq 'open';
}

$WS{elevenlabs} = {
  check => \&el_check, http_error => \&el_error, drop => [1011, 'Internal server error'],
  opened => \&el_opened,
  auto_final => sub ($s) { $s->{_q}{commit_strategy} eq 'vad' },
  interim => sub ($s, $k, $secs) { {message_type => 'partial_transcript', text => join ' ', @WS_WORDS[0 .. $k - 1]} },
  final => \&el_final,
  binary => sub ($s, $bytes) { ws_fail($s, 'input', error => 'Binary messages are not supported: send input_audio_chunk messages (JSON, base64 audio)') },
  text => \&el_text,
  error => sub ($s, $kind, %o) {
    return ({message_type => 'auth_error', error => $o{why} eq 'missing' ? 'You must be authenticated to use this endpoint.' : 'Invalid API key'},
      1008, 'auth_error') if $kind eq 'auth';
    return ({message_type => 'input_error', error => $o{error}}, 1008, 'input_error') if $kind eq 'input';
    return ({message_type => 'error', error => 'Internal server error'}, 1011, 'error');
  },
};

# --------------------------------------------------------------------------
# Cartesia  wss://api.cartesia.ai/stt/websocket
# --------------------------------------------------------------------------
my %CA_Q = (model => qr/^ink-whisper$/, language => qr/^[a-z]{2}$/, encoding => qr/^(?:pcm_s16le|pcm_s32le|pcm_f16le|pcm_f32le|pcm_mulaw|pcm_alaw)$/,
  sample_rate => qr/^(?:8000|16000|22050|24000|44100|48000)$/, min_volume => sub { $_[0] =~ /^\d+(?:\.\d+)?$/ && $_[0] <= 1 },
  max_silence_duration_secs => qr/^\d+(?:\.\d+)?$/, api_key => qr/./, cartesia_version => qr/./);
my %CA_BPS = (pcm_s16le => 2, pcm_s32le => 4, pcm_f16le => 2, pcm_f32le => 4, pcm_mulaw => 1, pcm_alaw => 1);

sub ca_check ($s, $c) {
  my $q = qparams($c);
  my $h = $c->req->headers;
  my $version = $h->header('Cartesia-Version') // $q->{cartesia_version};
  return {http => 400, message => 'Cartesia-Version header is required in YYYY-MM-DD form'} unless defined $version;
  return {http => 400, message => 'Invalid Cartesia-Version header'} unless $version =~ /^\d{4}-\d\d-\d\d$/ && $version ge '2024-06-10';
  my $key = $h->header('X-API-Key') // bearer($c) // $q->{api_key};
  return {http => 401, auth => 'missing'} unless defined $key;
  return {http => 401} unless $key eq mock_key('cartesia');
  my $err = query_problem($q, \%CA_Q, qw(model encoding sample_rate));
  return {http => 400, message => "Invalid query parameters: $err"} if $err;
  $s->{_q} = $q;
  $s->{_bps} = $q->{sample_rate} * $CA_BPS{$q->{encoding}};
  $s->{_rid} = uuid4();
  return undef;
}

sub ca_transcript ($s, $n, $secs, $final) {
  my $words = word_list($s, seg_words($s, $n, $secs), $final, sub ($w, $pw, $st, $en) { {word => $pw, start => $st, end => $en} });
  return {type => 'transcript', request_id => $s->{_rid}, text => $final ? $WS_PRETTY : join(' ', @WS_WORDS[0 .. $n - 1]),
    is_final => $final ? true : false, duration => r3($secs), language => $s->{_q}{language} // 'en', words => $words};
}

sub ca_text ($s, $bytes) {
  if ($bytes eq 'finalize') { seg_final($s, 'finalize'); return ws_send($s, {type => 'flush_done', request_id => $s->{_rid}}) }
  if ($bytes eq 'done' || $bytes eq 'close') {
    seg_final($s, 'close');
    ws_send($s, {type => 'done', request_id => $s->{_rid}});
    return ws_close($s, 1000);
  }
  ws_send($s, {type => 'error', title => 'Invalid message', error_code => 'invalid_request', status_code => 400, request_id => $s->{_rid},
    message => 'Unsupported text message: ' . substr($bytes, 0, 60) . '. Send "finalize" or "done" as plain text; audio as binary frames.'});
}

$WS{cartesia} = {
  check => \&ca_check, http_error => \&ca_error, drop => [1011, 'Internal server error'],
  auto_final => sub ($s) {1},
  interim => sub ($s, $k, $secs) { ca_transcript($s, $k, $secs, 0) },
  final => sub ($s, $why, $secs) { ca_transcript($s, scalar @WS_WORDS, $secs, 1) },
  binary => \&ws_audio, text => \&ca_text,
  error => sub ($s, $kind, %o) {
    ({type => 'error', title => 'Internal Server Error', error_code => 'internal_error', status_code => 500, request_id => $s->{_rid},
      message => 'An internal error occurred.'}, 1011, 'Internal server error');
  },
};

# --------------------------------------------------------------------------
# Routes: /<name> + the path of its base URL, as the REST routes
# --------------------------------------------------------------------------
websocket '/deepgram/v1/listen' => sub ($c) { ws_open($c, 'deepgram') };
websocket '/assemblyai/v3/ws' => sub ($c) { ws_open($c, 'assemblyai') };
websocket '/assemblyai-stream/v3/ws' => sub ($c) { ws_open($c, 'assemblyai') };   # streaming.assemblyai.com
websocket '/elevenlabs/v1/speech-to-text/realtime' => sub ($c) { ws_open($c, 'elevenlabs') };
websocket '/cartesia/stt/websocket' => sub ($c) { ws_open($c, 'cartesia') };

1;
