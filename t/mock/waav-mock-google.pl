# waav-mock: Google's OAuth2 token endpoint (service accounts) and Cloud
# Speech-to-Text's synchronous recognize, compiled into t/mock/waav-mock.pl
# (its package, its helpers: fail, authed, reply_json, bearer, gg_auth,
# gg_parse, %GG_MSG, %PROVIDERS).  Wire facts: t/mock/README.md.
use Crypt::OpenSSL::RSA ();

# --------------------------------------------------------------------------
# Google OAuth2 token endpoint  (https://oauth2.googleapis.com/token, or a
# service account's token_uri): an RS256 JWT assertion for an access token
# --------------------------------------------------------------------------
my %gg_accounts;        # client_email => public key (PEM); outlive a reset
my %gg_tokens;          # access token => expiry (epoch seconds); likewise
my $GG_JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
my $GG_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

# {"error", "error_description"}: the token endpoint's errors
sub gt_error ($x, $st, %o) {
  my %d = (400 => [invalid_grant => 'Bad Request'], 401 => [invalid_client => 'The OAuth client was not found.'],
    403 => [access_denied => 'Forbidden'], 429 => [rate_limit_exceeded => 'Rate Limit Exceeded'],
    500 => [internal_failure => 'Backend Error'], 503 => [temporarily_unavailable => 'Service unavailable']);
  my ($code, $msg) = @{$d{$st} // ['invalid_request', 'Error']};
  return ('application/json; charset=utf-8',
    encode_json({error => $o{error} // $code, error_description => $o{message} // $msg}));
}

sub gt_b64url_json ($s) {
  return undef unless defined $s && $s =~ /^[A-Za-z0-9_-]+$/;
  my $raw = decode_base64($s =~ tr{-_}{+/}r);
  my $d = eval { decode_json($raw) };
  return ref $d eq 'HASH' ? $d : undef;
}

# the assertion: RS256, signed by the account's registered key, with the
# claims Google checks; (claims, undef) or (undef, error, description)
sub gt_assertion ($x, $jwt) {
  my ($h64, $c64, $s64) = split /\./, $jwt // '', -1;
  my ($h, $claims) = (gt_b64url_json($h64), gt_b64url_json($c64));
  return (undef, invalid_grant => 'Invalid JWT: not a JWT') unless $h && $claims && defined $s64 && $s64 =~ /^[A-Za-z0-9_-]+$/;
  return (undef, invalid_grant => "Invalid JWT: alg $h->{alg} is not RS256") unless ($h->{alg} // '') eq 'RS256';
  my $pem = $gg_accounts{$claims->{iss} // ''} // return (undef, invalid_grant => 'Invalid grant: account not found');
  my $rsa = Crypt::OpenSSL::RSA->new_public_key($pem);
  $rsa->use_sha256_hash;
  return (undef, invalid_grant => 'Invalid JWT Signature.')
    unless eval { $rsa->verify("$h64.$c64", decode_base64($s64 =~ tr{-_}{+/}r)) };
  # the audience: the token_uri this request was sent to
  my $aud = 'http://' . ($x->{c}->req->headers->host // '') . $x->{c}->req->url->path->to_string;
  return (undef, invalid_grant => "Invalid JWT: aud must be $aud") unless ($claims->{aud} // '') eq $aud;
  return (undef, invalid_scope => 'Invalid OAuth scope or ID token audience provided.')
    unless ($claims->{scope} // '') eq $GG_SCOPE;
  my ($iat, $exp, $now) = ($claims->{iat}, $claims->{exp}, time);
  return (undef, invalid_grant => 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable '
    . 'timeframe. Check your iat and exp values in the JWT claim.')
    unless is_num($iat) && is_num($exp) && $iat <= $now + 60 && $exp > $now && $exp - $iat <= 3600 && $exp > $iat;
  return ($claims);
}

# POST /token: grant_type=<jwt-bearer>&assertion=<JWT>, form-encoded;
# behaviours token_ttl (another lifetime) and token=invalid (one nobody
# knows)
sub gt_token ($x) {
  my $c = $x->{c};
  return fail($x, 400, error => 'invalid_request', message => 'Content-Type must be application/x-www-form-urlencoded')
    unless ($c->req->headers->content_type // '') =~ m{^application/x-www-form-urlencoded\b}i;
  my $form = Mojo::Parameters->new($c->req->body);
  my @names = sort @{$form->names};
  return fail($x, 400, error => 'invalid_request', message => 'Unexpected form fields: ' . join(',', @names))
    unless "@names" eq 'assertion grant_type' && @{$form->every_param('assertion')} == 1;
  my $grant = $form->param('grant_type') // '';
  return fail($x, 400, error => 'unsupported_grant_type', message => "Invalid grant_type: $grant") unless $grant eq $GG_JWT_GRANT;
  my (undef, $code, $msg) = gt_assertion($x, $form->param('assertion'));
  return fail($x, 400, error => $code, message => $msg) if $code;
  my $ttl = $x->{beh}{token_ttl} // 3599;
  my $token = 'ya29.mock-' . hexid(40);
  $gg_tokens{$token} = time + $ttl unless ($x->{beh}{token} // '') eq 'invalid';
  reply_json($x, {access_token => $token, expires_in => 0 + $ttl, token_type => 'Bearer'}, 200,
    {'Content-Type' => 'application/json; charset=utf-8'});
}

# the speech hosts: a token the endpoint issued and that has not expired,
# else the API key as gg_auth checks it (Google's 401 UNAUTHENTICATED for
# any other bearer)
sub gg_oauth_auth ($x) {
  my $h = $x->{c}->req->headers;
  my $token = bearer($x->{c});
  if (defined $token && !defined $h->header('X-Goog-Api-Key')) {
    my $exp = $gg_tokens{$token} // return {http_status => 401, auth => 'invalid'};
    return $exp > time ? undef : {http_status => 401, auth => 'expired'};
  }
  return gg_auth({%$x, p => 'google'});
}

# --------------------------------------------------------------------------
# Google Cloud Speech-to-Text v1  (base https://speech.googleapis.com)
# --------------------------------------------------------------------------
%GG_MSG = (%GG_MSG,
  RecognizeRequest => {config => 'RecognitionConfig', audio => 'RecognitionAudio'},
  RecognitionConfig => {encoding => 'RecognitionEncoding', sampleRateHertz => 'TYPE_INT32',
    audioChannelCount => 'TYPE_INT32', enableSeparateRecognitionPerChannel => 'TYPE_BOOL',
    languageCode => 'TYPE_STRING', alternativeLanguageCodes => 'TYPE_STRING[]', maxAlternatives => 'TYPE_INT32',
    profanityFilter => 'TYPE_BOOL', enableWordTimeOffsets => 'TYPE_BOOL', enableWordConfidence => 'TYPE_BOOL',
    enableAutomaticPunctuation => 'TYPE_BOOL', enableSpokenPunctuation => 'TYPE_BOOL', enableSpokenEmojis => 'TYPE_BOOL',
    model => 'TYPE_STRING', useEnhanced => 'TYPE_BOOL', diarizationConfig => 'SpeakerDiarizationConfig',
    metadata => 'RecognitionMetadata', adaptation => 'SpeechAdaptation'},
  RecognitionAudio => {content => 'TYPE_STRING', uri => 'TYPE_STRING'},
  SpeakerDiarizationConfig => {enableSpeakerDiarization => 'TYPE_BOOL', minSpeakerCount => 'TYPE_INT32',
    maxSpeakerCount => 'TYPE_INT32'},
);
$GG_ENUM{RecognitionEncoding} = {ENCODING_UNSPECIFIED => 0, LINEAR16 => 1, FLAC => 2, MULAW => 3, AMR => 4, AMR_WB => 5,
  OGG_OPUS => 6, SPEEX_WITH_HEADER_BYTE => 7, MP3 => 8, WEBM_OPUS => 9};
$GG_ONEOF{RecognitionAudio} = ['audio_source', qw(content uri)];
my %GS_MODELS = map { $_ => 1 } qw(latest_long latest_short command_and_search phone_call video default
  medical_conversation medical_dictation telephony telephony_short);
my %GS_OPUS_RATES = map { $_ => 1 } 8000, 12000, 16000, 24000, 48000;

sub gs_bad ($x, $msg) { fail($x, 400, message => $msg) }

# speechContexts: [{"phrases": [strings], "boost"}]
sub gs_contexts ($v) {
  return 0 unless ref $v eq 'ARRAY';
  for my $sc (@$v) {
    return 0 unless ref $sc eq 'HASH' && !grep { $_ ne 'phrases' && $_ ne 'boost' } keys %$sc;
    return 0 if defined $sc->{phrases} && !(ref $sc->{phrases} eq 'ARRAY' && !grep { !is_str($_) } @{$sc->{phrases}});
  }
  return 1;
}

# the audio's seconds, from what the config and the bytes say
sub gs_duration ($audio, $enc, $rate, $channels) {
  return audio_duration($audio) if substr($audio, 0, 4) eq 'RIFF';
  return length($audio) / ($rate * 2 * $channels) if $enc eq 'LINEAR16' && $rate;
  return $DEFAULT_DURATION;
}

# the request checked as Google checks it: (audio bytes, encoding, rate,
# channels) or undef when answered
sub gs_request ($x) {
  my $d = eval { decode_json($x->{c}->req->body) };
  return gg_invalid($x, 'Invalid JSON payload received. Unexpected token.') unless ref $d eq 'HASH';
  my $ctx = ref $d->{config} eq 'HASH' ? delete $d->{config}{speechContexts} : undef;
  return gg_invalid($x, "Invalid value at 'config.speech_contexts'", 'config.speech_contexts')
    if defined $ctx && !gs_contexts($ctx);
  my ($r, $err) = gg_parse('RecognizeRequest', $d, '');
  return gg_invalid($x, @$err) if $err;
  my ($cfg, $au) = map { $r->{$_} // {} } qw(config audio);
  return gs_bad($x, 'RecognitionAudio not set.') unless defined $au->{content} || defined $au->{uri};
  return gs_bad($x, 'Invalid recognition \'config\': missing language_code.') unless length($cfg->{languageCode} // '');
  my $b64 = $au->{content} // return gs_bad($x, 'Request contains an invalid argument.');
  return gg_invalid($x, "Invalid value at 'audio.content' (TYPE_BYTES), Base64 decoding failed for \"$b64\"", 'audio.content')
    unless $b64 =~ m{^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$};
  my $audio = decode_base64($b64);
  return gs_bad($x, 'RecognitionAudio not set.') unless length $audio;
  my $model = $cfg->{model} // 'default';
  return gs_bad($x, "Invalid recognition 'config': The requested model is currently not supported for language : "
    . "$cfg->{languageCode}.") unless $GS_MODELS{$model};
  my $enc = $cfg->{encoding} // 'ENCODING_UNSPECIFIED';
  my ($rate, $ch) = ($cfg->{sampleRateHertz} // 0, $cfg->{audioChannelCount} // 1);
  my $header = substr($audio, 0, 4) eq 'RIFF' ? 'LINEAR16' : substr($audio, 0, 4) eq 'fLaC' ? 'FLAC' : undef;
  if ($header) {
    return gs_bad($x, "Invalid recognition 'config': $enc is not the header's encoding, $header.")
      if $enc ne 'ENCODING_UNSPECIFIED' && $enc ne $header;
    $enc = $header;
  }
  return gs_bad($x, 'Invalid recognition \'config\': bad encoding..') if $enc eq 'ENCODING_UNSPECIFIED';
  return gs_bad($x, "Invalid recognition 'config': sample_rate_hertz must be set for $enc.")
    if !$header && !$rate;
  return gs_bad($x, "Invalid recognition 'config': sample_rate_hertz ($rate) is not supported for $enc.")
    if $enc =~ /_OPUS$/ && !$GS_OPUS_RATES{$rate};
  return gs_bad($x, 'Sync input too long. For audio longer than 1 min use LongRunningRecognize with a \'uri\' parameter.')
    if gs_duration($audio, $enc, $rate, $ch) > 60;
  return ($audio, $enc, $rate, $ch, $cfg);
}

# POST /v1/speech:recognize: two results, as Google splits a recording at a
# pause
sub gs_recognize ($x) {
  return unless authed($x) && gg_query($x);
  my ($audio, $enc, $rate, $ch, $cfg) = gs_request($x);
  return unless defined $audio;
  my $dur = gs_duration($audio, $enc, $rate, $ch);
  my @t = @{word_times($dur)};
  my $punct = is_bool($cfg->{enableAutomaticPunctuation}) && $cfg->{enableAutomaticPunctuation};
  my $conf = is_bool($cfg->{enableWordConfidence}) && $cfg->{enableWordConfidence};
  my $times = is_bool($cfg->{enableWordTimeOffsets}) && $cfg->{enableWordTimeOffsets};
  my $secs = sub ($s) { sprintf('%.3f', $s) =~ s/\.?0+$//r . 's' };
  my @results = map {
    my ($ws, $last) = @$_;
    my @words = map { $_->[0] } @$ws;
    if ($punct) { $words[0] = ucfirst $words[0] if $ws->[0] == $t[0]; $words[-1] .= '.' if $last }
    {alternatives => [{transcript => ($ws->[0] == $t[0] ? '' : ' ') . join(' ', @words), confidence => 0.92,
      $times || $conf ? (words => [map { my $i = $_; {word => $words[$i],
        $times ? (startTime => $secs->($ws->[$i][1]), endTime => $secs->($ws->[$i][2])) : (),
        $conf ? (confidence => 0.9) : ()} } 0 .. $#words]) : ()}],
     resultEndTime => $secs->($last ? $dur : $ws->[-1][2]), languageCode => lc $cfg->{languageCode}}
  } ([[@t[0 .. 1]], 0], [[@t[2 .. $#t]], 1]);
  reply_json($x, {results => \@results, totalBilledTime => POSIX::ceil($dur) . 's', requestId => int(rand(1e15))},
    200, {'Content-Type' => 'application/json; charset=UTF-8'}, encoder => gg_encoder($x));
}

$PROVIDERS{google}{auth} = \&gg_oauth_auth;
$PROVIDERS{'google-token'} = {auth => sub {undef}, error => \&gt_error, routes => [[POST => qr{^/token$}, \&gt_token]]};
$PROVIDERS{'google-stream'} = {auth => \&gg_oauth_auth, error => \&gg_error, routes => [
  [POST => qr{^/v1/speech:recognize$}, \&gs_recognize]]};

# a service account the token endpoint knows: {"client_email", "public_key"
# (PEM)}; kept across resets, as Google keeps its accounts
post '/__mock/google-account' => sub ($c) {
  my $d = eval { decode_json($c->req->body) };
  return $c->render(status => 400, text => "waav-mock: {client_email, public_key}\n")
    unless ref $d eq 'HASH' && is_str($d->{client_email}) && is_str($d->{public_key})
      && eval { Crypt::OpenSSL::RSA->new_public_key($d->{public_key}) };
  $gg_accounts{$d->{client_email}} = $d->{public_key};
  $c->rendered(204);
};
