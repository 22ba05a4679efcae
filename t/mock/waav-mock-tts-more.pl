# waav-mock: more text-to-speech providers (LMNT, Play.ht, Hume), compiled
# into t/mock/waav-mock.pl (its package, its helpers: fail, authed,
# reply_audio, key_check, %PROVIDERS).  Wire facts and what was not
# verifiable: t/mock/README.md.

# --------------------------------------------------------------------------
# LMNT  (base https://api.lmnt.com)
# --------------------------------------------------------------------------
my @LM_FORMATS = qw(aac mp3 ulaw wav webm pcm_s16le pcm_f32le);
my %LM_CT = (aac => 'audio/aac', mp3 => 'audio/mpeg', ulaw => 'audio/wav', wav => 'audio/wav', webm => 'audio/webm',
  pcm_s16le => 'application/octet-stream', pcm_f32le => 'application/octet-stream');
my @LM_LANGS = qw(auto ar de en es fr hi id it ja ko nl pl pt ru sv th tr uk ur vi zh);
my %LM_PARAMS = map { $_ => 1 } qw(text voice debug format language model sample_rate seed temperature top_p);
my @LM_VOICES = (
  # id, name, owner, state, gender, description
  ['leah', 'Leah', 'system', 'ready', 'female', 'Warm, friendly'],
  ['lily', 'Lily', 'system', 'ready', undef, 'Young female, bright'],
  ['morgan', 'Morgan', 'system', 'ready', 'male', 'Calm narrator'],
  ['my-clone', 'My clone', 'me', 'ready', 'nonbinary', undef],
  ['in-training', 'Not yet', 'me', 'training', 'male', undef],
  ['shared-1', 'Shared one', 'other', 'ready', undef, 'an older male voice'],
);
my %LM_VOICE = map { $_->[0] => 1 } @LM_VOICES;

# {"type", "message"}: the error body of LMNT's API schema (ErrorBody)
my %LM_TYPE = (400 => 'invalid_request_error', 401 => 'authentication_error', 402 => 'payment_required_error',
  403 => 'permission_error', 404 => 'not_found_error', 422 => 'invalid_request_error', 429 => 'rate_limit_error');
sub lm_error ($x, $st, %o) {
  my $msg = $o{message} // ($o{auth} ? ($o{auth} eq 'missing' ? 'Missing X-API-Key header' : 'Invalid API key')
    : $st == 401 ? 'Invalid API key' : $st == 429 ? 'Rate limit exceeded' : $st == 404 ? 'Not found' : 'Internal server error');
  return ('application/json', encode_json({type => $LM_TYPE{$st} // 'internal_server_error', message => $msg}));
}
sub lm_auth ($x) { key_check('lmnt', $x->{c}->req->headers->header('X-API-Key')) }

# POST /v1/ai/speech/bytes
sub lm_speech ($x) {
  return unless authed($x);
  my $c = $x->{c};
  my $bad = sub ($m) { fail($x, 400, message => $m) };
  return $bad->('Content-Type must be application/json') unless ($c->req->headers->content_type // '') =~ m{^application/json\b};
  my $d = eval { decode_json($c->req->body) };
  return $bad->('Invalid JSON body') unless ref $d eq 'HASH';
  for my $k (sort keys %$d) { return $bad->("Unknown parameter: $k") unless $LM_PARAMS{$k} }
  return $bad->('text is required') unless is_str($d->{text}) && $d->{text} =~ /\S/;
  return $bad->('text must be at most 5000 characters') if length $d->{text} > 5000;
  return $bad->('voice is required') unless is_str($d->{voice}) && length $d->{voice};
  return fail($x, 404, message => "Voice not found: $d->{voice}") unless $LM_VOICE{$d->{voice}};
  my $fmt = $d->{format} // 'mp3';
  return $bad->('format must be one of ' . join(', ', @LM_FORMATS)) unless is_str($fmt) && grep { $_ eq $fmt } @LM_FORMATS;
  my $rate = $d->{sample_rate} // ($fmt eq 'ulaw' ? 8000 : 24000);
  return $bad->('sample_rate must be one of 8000, 16000, 24000') unless is_num($rate) && $rate =~ /^(?:8000|16000|24000)$/;
  return $bad->('model must be blizzard') if defined $d->{model} && !(is_str($d->{model}) && $d->{model} eq 'blizzard');
  return $bad->('language must be one of ' . join(', ', @LM_LANGS))
    if defined $d->{language} && !(is_str($d->{language}) && grep { $_ eq $d->{language} } @LM_LANGS);
  my @wav = $fmt eq 'wav' ? (wav => [$rate, 1, 16]) : $fmt eq 'ulaw' ? (wav => [$rate, 7, 8]) : ();
  reply_audio($x, $LM_CT{$fmt}, {}, @wav);
}

# GET /v1/ai/voice/list: [{id, name, owner, state, description?, gender?, preview_url?, type, starred}]
sub lm_voices ($x) {
  return unless authed($x);
  reply_json($x, [map { my $v = $_; +{id => $v->[0], name => $v->[1], owner => $v->[2], state => $v->[3], type => 'instant',
    starred => false, defined $v->[4] ? (gender => $v->[4]) : (), defined $v->[5] ? (description => $v->[5]) : (),
    $v->[2] eq 'system' ? (preview_url => "https://api.lmnt.com/v1/ai/voice/$v->[0]/preview") : ()} } @LM_VOICES]);
}

$PROVIDERS{lmnt} = {auth => \&lm_auth, error => \&lm_error, routes => [
  [POST => qr{^/v1/ai/speech/bytes$}, \&lm_speech], [GET => qr{^/v1/ai/voice/list$}, \&lm_voices]]};

1;
