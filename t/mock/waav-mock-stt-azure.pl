# waav-mock: Microsoft Azure Speech to text, the REST API for short audio
# (https://<region>.stt.speech.microsoft.com: the prefix azure-stream),
# compiled into t/mock/waav-mock.pl (its package, its helpers: fail,
# authed, reply_json, wav_info, word_times, and the Azure section's az_auth
# and az_error: a token issueToken gave, or the key; errors without a JSON
# body).  Wire facts: Microsoft's "Speech to text REST API for short audio".

my %AZS_TYPES = ('audio/wav; codecs=audio/pcm; samplerate=16000' => 'wav', 'audio/ogg; codecs=opus' => 'ogg');
my %AZS_ARGS = (language => qr/^[a-z]{2,3}-[A-Z]{2,4}$/, format => qr/^(?:simple|detailed)$/,
  profanity => qr/^(?:masked|removed|raw)$/, wordLevelTimestamps => qr/^(?:true|false)$/, cid => qr/^[\w-]+$/);
my $AZS_MAX = 60;                                    # seconds of audio a request
$BEHAVIOR{az_recognition} = qr/^(?:NoMatch|InitialSilenceTimeout|BabbleTimeout|Error)$/;

sub azs_ticks ($s) { int($s * 10_000_000 + 0.5) }

# the audio as Azure reads it: a 16 kHz mono 16-bit PCM WAV, or Ogg; its
# seconds, or an error message
sub azs_audio ($type, $body) {
  return (undef, 'The request body is empty') unless length $body;
  if ($type eq 'ogg') {
    return (undef, 'Invalid audio: not Ogg') unless $body =~ /^OggS/;
    return ($DEFAULT_DURATION);
  }
  my $w = wav_info($body) // return (undef, 'Invalid audio: not a WAV file');
  return (undef, 'Invalid audio: 16 kHz mono 16-bit PCM only')
    unless $w->{format} == 1 && $w->{channels} == 1 && $w->{sample_rate} == 16000 && $w->{bits} == 16;
  return ($w->{duration});
}

# POST /speech/recognition/conversation/cognitiveservices/v1?language=...
sub azs_recognize ($x) {
  return unless authed($x);
  my $c = $x->{c};
  my $h = $c->req->headers;
  my $q = $c->req->url->query;
  for my $n (@{$q->names}) {
    my @v = @{$q->every_param($n)};
    return fail($x, 400, message => "Unknown query parameter $n") unless $AZS_ARGS{$n};
    return fail($x, 400, message => "Invalid value for $n") unless @v == 1 && $v[0] =~ $AZS_ARGS{$n};
  }
  return fail($x, 400, message => 'The language code was not provided') unless defined $q->param('language');
  my $type = $AZS_TYPES{lc($h->content_type // '')}
    // return fail($x, 400, message => 'Unsupported Content-Type: ' . ($h->content_type // 'none'));
  return fail($x, 400, message => 'Accept must be application/json')
    if defined $h->accept && $h->accept ne 'application/json';
  my ($dur, $bad) = azs_audio($type, $c->req->body);
  return fail($x, 400, message => $bad) if $bad;
  return fail($x, 400, message => "Audio longer than $AZS_MAX seconds") if $dur > $AZS_MAX;

  my @t = @{word_times($dur)};
  my ($off, $end) = ($t[0][1], $t[-1][2]);
  my %span = (Offset => azs_ticks($off), Duration => azs_ticks($end - $off));
  my $st = $x->{beh}{az_recognition} // 'Success';
  # no speech recognized: the status and where the service listened
  return reply_json($x, {RecognitionStatus => $st, Offset => 0, Duration => azs_ticks($dur)}) if $st ne 'Success';

  my $lexical = join ' ', map { $_->[0] } @t;
  my $display = ucfirst($lexical) . '.';
  return reply_json($x, {RecognitionStatus => 'Success', DisplayText => $display, %span})
    unless ($q->param('format') // 'simple') eq 'detailed';
  my $best = {Confidence => 0.93, Lexical => $lexical, ITN => $lexical, MaskedITN => $lexical, Display => $display};
  $best->{Words} = [map { {Word => $_->[0], Offset => azs_ticks($_->[1]), Duration => azs_ticks($_->[2] - $_->[1])} } @t]
    if ($q->param('wordLevelTimestamps') // '') eq 'true';
  reply_json($x, {RecognitionStatus => 'Success', %span, NBest => [$best]});
}

$PROVIDERS{'azure-stream'} = {auth => \&az_auth, error => \&az_error, routes => [
  [POST => qr{^/speech/recognition/conversation/cognitiveservices/v1$}, \&azs_recognize]]};
