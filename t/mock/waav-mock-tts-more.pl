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

# --------------------------------------------------------------------------
# Play.ht  (base https://api.play.ht)
# --------------------------------------------------------------------------
my %PH_ENGINES = ('Play3.0-mini' => 20000, PlayDialog => 2000, PlayDialogMultilingual => 2000, PlayDialogArabic => 2000,
  'PlayHT2.0-turbo' => 2000, 'PlayHT2.0' => 2000, 'PlayDialog-turbo' => 2000);
my %PH_CT = (mp3 => 'audio/mpeg', wav => 'audio/wav', ogg => 'audio/ogg', flac => 'audio/flac', mulaw => 'audio/basic',
  raw => 'audio/pcm');
my %PH_PARAMS = map { $_ => 1 } qw(text voice voice_engine output_format sample_rate speed quality seed temperature language
  emotion voice_guidance style_guidance text_guidance repetition_penalty voice_2 turn_prefix turn_prefix_2
  voice_conditioning_seconds num_candidates);
my @PH_VOICES = (
  {id => 's3://voice-cloning-zero-shot/d9ff78ba-d016-47f6-b0ef-dd630f59414e/female-cs/manifest.json', name => 'Jennifer',
   sample => 'https://peregrine-samples.s3.amazonaws.com/jennifer.wav', accent => 'american', age => 'adult', gender => 'female',
   language => 'English (US)', language_code => 'en-US', voice_engine => 'Play3.0-mini', is_cloned => false},
  {id => 's3://voice-cloning-zero-shot/a1b2/male-en/manifest.json', name => 'Charles', gender => 'male',
   language_code => 'en-GB', voice_engine => 'PlayDialog', is_cloned => false},
  {id => 's3://voice-cloning-zero-shot/c3d4/mine/manifest.json', name => 'Mine', voice_engine => 'Play3.0-mini', is_cloned => true},
);

# {"error_message", "error_id"}, as Play.ht's v2 API answers errors
my %PH_ID = (400 => 'BAD_REQUEST', 401 => 'UNAUTHORIZED', 403 => 'FORBIDDEN', 404 => 'NOT_FOUND', 422 => 'UNPROCESSABLE_ENTITY',
  429 => 'TOO_MANY_REQUESTS', 500 => 'INTERNAL_ERROR', 502 => 'BAD_GATEWAY', 503 => 'SERVICE_UNAVAILABLE');
sub ph_error ($x, $st, %o) {
  my $msg = $o{message} // ($st == 401 ? 'Invalid credentials: check your user id (X-USER-ID) and API key (AUTHORIZATION)'
    : $st == 429 ? 'Too many requests' : 'Something went wrong');
  return ('application/json', encode_json({error_message => $msg, error_id => $PH_ID{$st} // 'INTERNAL_ERROR'}));
}
# AUTHORIZATION: the key (as written, or after "Bearer "), and X-USER-ID: the user id
sub ph_auth ($x) {
  my $h = $x->{c}->req->headers;
  my $user = $h->header('X-USER-ID') // return {auth => 'missing'};
  return {auth => 'invalid'} unless $user eq mock_user('playht');
  my ($key) = ($h->header('AUTHORIZATION') // '') =~ /^(?:Bearer\s+)?(\S+)$/;
  return key_check('playht', $key);
}

# POST /api/v2/tts/stream: the bytes (Accept audio/*), or 201 and a URL to
# them (Accept application/json)
sub ph_stream ($x) {
  return unless authed($x);
  my $c = $x->{c};
  my $bad = sub ($m) { fail($x, 400, message => $m) };
  return $bad->('Content-Type must be application/json') unless ($c->req->headers->content_type // '') =~ m{^application/json\b};
  my $d = eval { decode_json($c->req->body) };
  return $bad->('Invalid JSON body') unless ref $d eq 'HASH';
  for my $k (sort keys %$d) { return $bad->("\"$k\" is not allowed") unless $PH_PARAMS{$k} }
  my $engine = $d->{voice_engine} // 'Play3.0-mini';
  return $bad->('"voice_engine" must be one of ' . join(', ', sort keys %PH_ENGINES)) unless is_str($engine) && $PH_ENGINES{$engine};
  return $bad->('"text" is required') unless is_str($d->{text}) && $d->{text} =~ /\S/;
  return $bad->("\"text\" must be at most $PH_ENGINES{$engine} characters") if length $d->{text} > $PH_ENGINES{$engine};
  return $bad->('"voice" is required') unless is_str($d->{voice}) && length $d->{voice};
  my $fmt = $d->{output_format} // 'mp3';
  return $bad->('"output_format" must be one of ' . join(', ', sort keys %PH_CT)) unless is_str($fmt) && $PH_CT{$fmt};
  my $rate = $d->{sample_rate} // 48000;
  return $bad->('"sample_rate" must be a number from 8000 to 48000') unless is_num($rate) && $rate >= 8000 && $rate <= 48000;
  return $bad->('"speed" must be a number greater than 0 and at most 5')
    if defined $d->{speed} && !(is_num($d->{speed}) && $d->{speed} > 0 && $d->{speed} <= 5);
  if (($c->req->headers->accept // '') =~ m{^application/json}) {
    return reply_json($x, {href => 'https://api.play.ht/api/v2/tts/' . hexid(24) . '?format=audio-mpeg', method => 'GET',
      contentType => $PH_CT{$fmt}, rel => 'item', description => 'URL for fetching the generated audio as a playable stream of bytes'}, 201);
  }
  reply_audio($x, $PH_CT{$fmt}, {}, $fmt eq 'wav' ? (wav => [$rate, 1, 16]) : (), stream => 1);
}

# GET /api/v2/voices
sub ph_voices ($x) {
  return unless authed($x);
  reply_json($x, \@PH_VOICES);
}

$PROVIDERS{playht} = {auth => \&ph_auth, error => \&ph_error, routes => [
  [POST => qr{^/api/v2/tts/stream$}, \&ph_stream], [GET => qr{^/api/v2/voices$}, \&ph_voices]]};

# --------------------------------------------------------------------------
# Hume  (base https://api.hume.ai)
# --------------------------------------------------------------------------
my @HU_VOICES = (
  ['5bb7de05-c8fe-426a-8fcc-ba4fc4ce9f9c', 'Male English Actor'],
  ['9e068547-5ba4-4c8e-8e03-69282a008f04', 'Ava Song'],
  ['ee96fb5f-ec1a-4f41-a9ba-6d119e64c8fd', 'Colton Rivers'],
  ['59cfc7ab-e945-43de-ad1a-471daa379c67', 'Kora'],
);
my %HU_BY_ID = map { $_->[0] => $_ } @HU_VOICES;
my %HU_BY_NAME = map { $_->[1] => $_ } @HU_VOICES;
my %HU_CT = (pcm => 'audio/pcm', wav => 'audio/wav', mp3 => 'audio/mpeg');
my %HU_PARAMS = map { $_ => 1 } qw(utterances format context num_generations split_utterances strip_headers version
  include_timestamp_types temperature instant_mode);
my %HU_UTT = map { $_ => 1 } qw(text voice description speed trailing_silence);

# the API gateway's faults for keys; {"error"?, "message", "code"?} (ErrorResponse) and
# FastAPI's {"detail": [...]} (422) for the rest
sub hu_error ($x, $st, %o) {
  if ($st == 401) {
    my $missing = ($o{auth} // '') eq 'missing';
    return ('application/json', encode_json({fault => {
      faultstring => $missing ? 'Failed to resolve API Key variable request.header.X-Hume-Api-Key' : 'Invalid ApiKey',
      detail => {errorcode => $missing ? 'steps.oauth.v2.FailedToResolveAPIKey' : 'oauth.v2.InvalidApiKey'}}}));
  }
  return ('application/json', encode_json({detail => [{loc => $o{loc} // ['body'], msg => $o{message}, type => 'value_error'}]}))
    if $st == 422;
  return ('application/json', encode_json({error => $st == 429 ? 'Too Many Requests' : $st == 404 ? 'Not Found' : 'Bad Request',
    message => $o{message} // ($st == 429 ? 'Rate limit exceeded' : 'Request failed'), code => "E$st"}));
}
sub hu_auth ($x) { key_check('hume', $x->{c}->req->headers->header('X-Hume-Api-Key')) }

# POST /v0/tts/stream/file: the audio file, streamed
sub hu_stream ($x) {
  return unless authed($x);
  my $c = $x->{c};
  my $bad = sub ($m, @loc) { fail($x, 422, message => $m, loc => ['body', @loc]) };
  my $d = eval { decode_json($c->req->body) };
  return $bad->('Input should be a valid dictionary') unless ref $d eq 'HASH';
  for my $k (sort keys %$d) { return $bad->('Extra inputs are not permitted', $k) unless $HU_PARAMS{$k} }
  my $u = $d->{utterances};
  return $bad->('Field required', 'utterances') unless ref $u eq 'ARRAY' && @$u;
  for my $i (0 .. $#$u) {
    my $t = $u->[$i];
    return $bad->('Input should be a valid dictionary', 'utterances', $i) unless ref $t eq 'HASH';
    for my $k (sort keys %$t) { return $bad->('Extra inputs are not permitted', 'utterances', $i, $k) unless $HU_UTT{$k} }
    return $bad->('String should have at least 1 character', 'utterances', $i, 'text') unless is_str($t->{text}) && $t->{text} =~ /\S/;
    return $bad->('Input should be between 0.5 and 2', 'utterances', $i, 'speed')
      if defined $t->{speed} && !(is_num($t->{speed}) && $t->{speed} >= 0.5 && $t->{speed} <= 2);
    next unless defined $t->{voice};
    my $v = $t->{voice};
    return $bad->('Input should be a valid dictionary', 'utterances', $i, 'voice') unless ref $v eq 'HASH';
    my $prov = $v->{provider} // 'CUSTOM_VOICE';
    return $bad->("Input should be 'HUME_AI' or 'CUSTOM_VOICE'", 'utterances', $i, 'voice', 'provider') unless $prov =~ /^(?:HUME_AI|CUSTOM_VOICE)$/;
    if (defined $v->{id}) {
      return fail($x, 404, message => "Voice not found: $v->{id}") unless is_str($v->{id}) && $HU_BY_ID{$v->{id}};
    } elsif (defined $v->{name}) {
      # no custom voices on the mock's account
      return fail($x, 404, message => "Voice not found: $v->{name} ($prov)")
        unless is_str($v->{name}) && $prov eq 'HUME_AI' && $HU_BY_NAME{$v->{name}};
    } else {
      return $bad->('Either id or name is required', 'utterances', $i, 'voice');
    }
  }
  my $f = $d->{format} // {type => 'mp3'};
  return $bad->('Input should be a valid dictionary', 'format') unless ref $f eq 'HASH';
  return $bad->("Input tag '" . ($f->{type} // '') . "' does not match any of the expected tags: 'mp3', 'pcm', 'wav'", 'format')
    unless is_str($f->{type}) && $HU_CT{$f->{type}};
  for my $k (sort keys %$f) { return $bad->('Extra inputs are not permitted', 'format', $k) unless $k eq 'type' }
  return $bad->('Input should be a valid boolean', 'strip_headers') if defined $d->{strip_headers} && !is_bool($d->{strip_headers});
  return $bad->("Input should be '1' or '2'", 'version') if defined $d->{version} && !(is_str($d->{version}) && $d->{version} =~ /^[12]$/);
  return fail($x, 400, message => 'A voice is required with version 2')
    if ($d->{version} // '') eq '2' && !defined $u->[0]{voice};
  reply_audio($x, $HU_CT{$f->{type}}, {}, $f->{type} eq 'wav' ? (wav => [48000, 1, 16]) : (), stream => 1);
}

# GET /v0/tts/voices?provider=HUME_AI|CUSTOM_VOICE[&page_size][&page_number]
sub hu_voices ($x) {
  return unless authed($x);
  my $q = $x->{c}->req->url->query;
  my $prov = $q->param('provider') // return fail($x, 422, message => 'Field required', loc => ['query', 'provider']);
  return fail($x, 422, message => "Input should be 'HUME_AI' or 'CUSTOM_VOICE'", loc => ['query', 'provider'])
    unless $prov =~ /^(?:HUME_AI|CUSTOM_VOICE)$/;
  my $size = $q->param('page_size') // 10;
  return fail($x, 422, message => 'Input should be between 1 and 100', loc => ['query', 'page_size'])
    unless $size =~ /^\d+$/ && $size >= 1 && $size <= 100;
  my @v = $prov eq 'HUME_AI' ? @HU_VOICES : ();
  reply_json($x, {page_number => 0, page_size => 0 + $size, total_pages => @v ? 1 : 0,
    voices_page => [map { {id => $_->[0], name => $_->[1], provider => 'HUME_AI'} } @v[0 .. min($size, scalar @v) - 1]]});
}

$PROVIDERS{hume} = {auth => \&hu_auth, error => \&hu_error, routes => [
  [POST => qr{^/v0/tts/stream/file$}, \&hu_stream], [GET => qr{^/v0/tts/voices$}, \&hu_voices]]};

1;
