#!/usr/bin/env perl
# waav-mock: a strict, non-blocking mock of the speech providers' HTTP APIs
# (Deepgram, ElevenLabs, OpenAI, Groq, Cartesia, Google, Azure, Amazon Polly,
# AssemblyAI and an OpenAI-compatible self-hosted server), one URL prefix per provider.
#
#   perl t/mock/waav-mock.pl daemon -l http://127.0.0.1:PORT
#
# Routes, behaviours, control endpoints and the provenance of every wire fact
# are documented in t/mock/README.md.
use Mojolicious::Lite -signatures;
use FindBin;
use lib "$FindBin::RealBin/../lib";
use Waav::Mock qw(mock_audio mock_aws_creds mock_key mock_user mock_wav_header);
use Mojo::JSON qw(decode_json true false);
use JSON::PP ();
use Mojo::Util qw(encode decode);
use MIME::Base64 qw(encode_base64 decode_base64);
use List::Util qw(min max none);
use POSIX qw(ceil);
use B ();
use Digest::SHA ();
use Mojo::Date;
use Time::Local ();
use File::Basename ();
use File::Spec;

app->max_request_size(64 * 1024 * 1024);
app->log->level($ENV{MOCK_DEBUG} ? 'debug' : 'fatal');
app->secrets(['waav-mock']);

# --------------------------------------------------------------------------
# State (process-local, cleared by POST /__mock/reset)
# --------------------------------------------------------------------------
my (@records, @queue, %uploads, %transcripts);
my (%pqueue, %sticky);                               # provider => behaviours / one behaviour
my %conns;                                           # provider => {TCP connection id => requests}
my $MAX_RECORDS = 1000;

my @WORDS = qw(hello world from the mock);          # the fixed transcript
my $PLAIN = join ' ', @WORDS;                        # "hello world from the mock"
my $PRETTY = ucfirst($PLAIN) . '.';                  # "Hello world from the mock."
my $DEFAULT_DURATION = 2.5;                          # seconds, when not derivable

# Python/Node-style JSON (no "\/" escaping), keys sorted for stable output
my $JSON = JSON::PP->new->utf8->canonical;
sub encode_json ($data) { $JSON->encode($data) }

# --------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------
sub hexid ($n) { join '', map { sprintf '%x', int rand 16 } 1 .. $n }

sub uuid4 () {
  my $h = hexid(32);
  return join '-', substr($h, 0, 8), substr($h, 8, 4), '4' . substr($h, 13, 3),
    (qw(8 9 a b))[rand 4] . substr($h, 17, 3), substr($h, 20, 12);
}

sub is_bool ($v) { ref $v && ref $v eq 'JSON::PP::Boolean' }
sub is_num ($v) { defined $v && !ref $v && (B::svref_2object(\$v)->FLAGS & (B::SVp_IOK | B::SVp_NOK)) ? 1 : 0 }
sub is_str ($v) { defined $v && !ref $v && !is_num($v) }
sub r3 ($n) { 0 + sprintf '%.3f', $n }

# Never echo a full key: keep a short prefix and suffix like the real APIs.
sub mask_key ($k) {
  $k //= '';
  return '*' x length $k if length $k <= 12;
  return substr($k, 0, 3) . ('*' x (length($k) - 7)) . substr($k, -4);
}

# RIFF/WAVE header -> {sample_rate, channels, bits, duration}
sub wav_info ($bytes) {
  return undef unless length $bytes >= 12 && substr($bytes, 0, 4) eq 'RIFF' && substr($bytes, 8, 4) eq 'WAVE';
  my ($pos, %fmt) = (12);
  while ($pos + 8 <= length $bytes) {
    my ($id, $size) = unpack 'a4 V', substr($bytes, $pos, 8);
    if ($id eq 'fmt ') {
      @fmt{qw(format channels sample_rate byte_rate align bits)} = unpack 'v v V V v v', substr($bytes, $pos + 8, 16);
    } elsif ($id eq 'data') {
      return undef unless $fmt{byte_rate};
      my $avail = length($bytes) - $pos - 8;
      my $len = $size > $avail ? $avail : $size;            # streaming headers say 0xFFFFFFFF
      return {%fmt, data_length => $len, duration => $len / $fmt{byte_rate}};
    }
    $pos += 8 + $size + ($size % 2);
  }
  return undef;
}

# Does the body start like a container/compressed format a provider can sniff?
sub sniff_container ($b) {
  return 'wav'  if $b =~ /^RIFF....WAVE/s;
  return 'mp3'  if $b =~ /^ID3/ || $b =~ /^\xFF[\xE0-\xFF]/;
  return 'ogg'  if $b =~ /^OggS/;
  return 'flac' if $b =~ /^fLaC/;
  return 'mp4'  if $b =~ /^....ftyp/s;
  return 'webm' if $b =~ /^\x1A\x45\xDF\xA3/;
  return undef;
}

sub audio_duration ($bytes) { my $w = wav_info($bytes); $w ? $w->{duration} : $DEFAULT_DURATION }

# Evenly spread the fixed words over the duration: [[word, start, end], ...]
sub word_times ($dur) {
  $dur = $DEFAULT_DURATION unless $dur && $dur > 0;
  my $slot = $dur / @WORDS;
  return [map { [$WORDS[$_], r3($_ * $slot), r3(($_ + 0.9) * $slot)] } 0 .. $#WORDS];
}

# Python repr of a pydantic error list, as OpenAI relays it in error.message
sub py_str ($s) { $s =~ /'/ && $s !~ /"/ ? qq{"$s"} : "'" . ($s =~ s/'/\\'/gr) . "'" }
sub py_errors (@errs) {
  my @out;
  for my $e (@errs) {
    my ($type, $field, $msg, %extra) = @$e;
    my $s = "{'type': '$type', 'loc': ('body', '$field'), 'msg': " . py_str($msg);
    $s .= ", 'input': None" if $extra{input_none};
    push @out, "$s}";
  }
  return '[' . join(', ', @out) . ']';
}
sub enum_msg (@v) { 'Input should be ' . join(', ', map {"'$_'"} @v[0 .. $#v - 1]) . " or '$v[-1]'" }

# --------------------------------------------------------------------------
# Behaviours
# --------------------------------------------------------------------------
my %BEHAVIOR = (
  status => qr/^(?:400|401|403|404|422|429|500|502|503)$/, retry_after => qr/^\d+$/,
  delay_ms => qr/^\d+$/, split => qr/^\d+$/, pause_ms => qr/^\d+$/, bytes => qr/^\d+$/,
  reset_after => qr/^\d+$/, malformed_json => qr/^[01]$/, assemblyai_final => qr/^(?:completed|error|never)$/,
  echo_key => qr/^[01]$/, json_pad => qr/^\d+$/, chunked => qr/^[01]$/, content_type => qr{^(?:none|[\w.+-]+/[\w.+-]+)$},
  token_ttl => qr/^\d+$/, token => qr/^invalid$/,
  # streaming (WebSocket) routes, t/mock/waav-mock-stream.pl
  ws_refuse => qr/^(?:400|401|402|403|404|429|500|502|503)$/, ws_silent => qr/^[01]$/, ws_slow_reader => qr/^\d+$/,
  ws_rcvbuf => qr/^\d+$/, ws_close_after_bytes => qr/^\d+$/, ws_close_after_ms => qr/^\d+$/, ws_close_code => qr/^[1-4]\d{3}$/,
  ws_close_reason => qr/^[\w .:,'()-]{0,100}$/, ws_error => qr/^\d+$/, ws_idle_ms => qr/^\d+$/,
  dg_speech_final => qr/^(?:with|separate|never)$/, aai_chunk_check => qr/^[01]$/,
);

sub check_behavior ($h) {
  return (undef, 'behaviour must be a JSON object') unless ref $h eq 'HASH';
  for my $k (sort keys %$h) {
    return (undef, "unknown behaviour key '$k'") unless $BEHAVIOR{$k};
    return (undef, "bad value for '$k'") unless defined $h->{$k} && !ref $h->{$k} && $h->{$k} =~ $BEHAVIOR{$k};
  }
  return ({%$h}, undef);
}

sub header_behavior ($str) {
  my %h;
  for my $pair (grep {/\S/} split /;/, $str) {
    my ($k, $v) = map { s/^\s+|\s+$//gr } split /=/, $pair, 2;
    $h{$k} = $v;
  }
  return check_behavior(\%h);
}

# --------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------
sub raw_body ($req) {
  my $content = $req->content;
  return $req->body unless $content->is_multipart;
  my ($raw, $off) = ('', 0);
  while (defined(my $chunk = $content->get_body_chunk($off))) { last unless length $chunk; $raw .= $chunk; $off += length $chunk }
  return $raw;
}

sub record_request ($c, $provider) {
  my $req = $c->req;
  my %headers = map { lc($_) => join(', ', @{$req->headers->every_header($_)}) } @{$req->headers->names};
  my $body = raw_body($req);
  my %rec = (
    provider => $provider, method => $req->method, version => $req->version, path => $req->url->path->to_string,
    query => $req->url->query->to_string, headers => \%headers,
    content_type => $req->headers->content_type // '', body_length => length $body,
  );
  my $text = $body;
  if (utf8::decode($text)) { $rec{body} = $text } else { @rec{qw(body body_base64)} = (encode_base64($body, ''), 1) }
  if ($req->content->is_multipart) {
    $rec{parts} = [];
    for my $part (@{$req->content->parts}) {
      my $cd = $part->headers->content_disposition // '';
      my ($name) = $cd =~ /\bname="([^"]*)"/;
      my ($file) = $cd =~ /\bfilename="([^"]*)"/;
      my $data = $part->is_multipart ? '' : $part->asset->slurp;
      push @{$rec{parts}}, {name => $name, filename => $file, content_type => $part->headers->content_type,
        length => length $data, defined $file ? () : (value => decode('UTF-8', $data) // $data)};
    }
  }
  push @records, \%rec;
  shift @records while @records > $MAX_RECORDS;
  $conns{$provider}{$c->tx->connection // ''}++;      # one id per TCP connection
}

my %DUMP_SKIP = map { $_ => 1 } qw(host connection keep-alive te user-agent accept-encoding);

sub dump_record ($r) {
  my $head = "$r->{method} $r->{path}" . (length $r->{query} ? "?$r->{query}" : '') . "\n";
  for my $n (sort keys %{$r->{headers}}) {
    next if $DUMP_SKIP{$n} || $n =~ /^x-mock-/;
    $head .= "$n: $r->{headers}{$n}\n";
  }
  $head .= "\n";
  return $head . join '', map {
    encode('UTF-8', join('; ', "name=" . ($_->{name} // ''),
      defined $_->{filename} ? "filename=$_->{filename}" : (),
      defined $_->{content_type} ? "content-type=$_->{content_type}" : (),
      "length=$_->{length}", defined $_->{filename} ? () : "value=$_->{value}") . "\n")
  } @{$r->{parts}} if $r->{parts};
  return $head . ($r->{body_base64} ? decode_base64($r->{body}) : encode('UTF-8', $r->{body}));
}

# --------------------------------------------------------------------------
# Delivery: every provider answer goes through deliver(), which applies the
# split / reset_after behaviours.  $x is the per-request context.
# --------------------------------------------------------------------------
sub write_part ($c, $data, $cb) { $c->write_chunk(length $data ? $data : undef, $cb) }

sub deliver ($x, $status, $headers, $body, %opt) {
  my ($c, $beh, $tx) = @$x{qw(c beh tx)};
  if ($status == 200 && defined $beh->{content_type}) {   # a captive portal, a wrong type
    $headers = {%$headers};
    delete $headers->{'Content-Type'};
    $headers->{'Content-Type'} = $beh->{content_type} unless $beh->{content_type} eq 'none';
  }
  $c->res->code($status);
  $c->res->headers->header($_ => $headers->{$_}) for sort keys %$headers;
  if (defined $beh->{reset_after}) {            # headers + N bytes, then hang up
    write_part($c, substr($body, 0, $beh->{reset_after}), sub ($c, @) {
      Mojo::IOLoop->next_tick(sub {            # after the server has queued the bytes
        my $stream = Mojo::IOLoop->stream($tx->connection // return);
        $stream->close_gracefully if $stream;  # flush what was written, never the final chunk
      });
    });
    return;
  }
  if ($opt{audio} && defined $beh->{split}) {   # first N bytes, flush, pause, rest
    my ($first, $rest) = (substr($body, 0, $beh->{split}), substr($body, min($beh->{split}, length $body)));
    write_part($c, $first, sub ($c, @) {
      Mojo::IOLoop->timer(($beh->{pause_ms} // 0) / 1000 => sub {
        return unless $c->tx;                  # the client left during the pause
        return $c->write_chunk('') unless length $rest;
        $c->write_chunk($rest, sub ($c, @) { $c->write_chunk('') });
      });
    });
    return;
  }
  if ($opt{stream}) { write_part($c, $body, sub ($c, @) { $c->write_chunk('') }); return }
  $c->res->body($body);
  $c->rendered($status);
}

# %opt: encoder (a JSON::PP object other than the compact one), audio (the
# JSON carries the audio, so split applies)
sub reply_json ($x, $data, $status = 200, $headers = {}, %opt) {
  $data = {%$data, mock_padding => 'x' x $x->{beh}{json_pad}} if ref $data eq 'HASH' && $x->{beh}{json_pad};
  my $json = ($opt{encoder} // $JSON)->encode($data);
  $json = substr($json, 0, max(1, int(length($json) / 2))) if $x->{beh}{malformed_json};
  deliver($x, $status, {'Content-Type' => 'application/json', %$headers}, $json, stream => $x->{beh}{chunked}, audio => $opt{audio});
}

sub reply_text ($x, $ctype, $text, $headers = {}) {
  deliver($x, 200, {'Content-Type' => $ctype, %$headers}, encode('UTF-8', $text));
}

# %opt: wav => [rate, format code, bits]: the audio is WAV, the data after
# the RIFF header real providers send (so a browser can play it)
sub reply_audio ($x, $ctype, $headers = {}, %opt) {
  my $audio = mock_audio($x->{p}, $x->{beh}{bytes} // 16000);
  $audio = mock_wav_header(@{delete $opt{wav}}, length $audio) . $audio if $opt{wav};
  delete $opt{wav};
  deliver($x, 200, {'Content-Type' => $ctype, %$headers}, $audio, audio => 1, %opt);
}

# Provider error: the provider's builder returns (content-type, body, headers).
sub fail ($x, $status, %o) {
  my ($ctype, $body, $hdr) = $x->{P}{error}->($x, $status, %o);
  if ($x->{beh}{json_pad} && $ctype =~ /json/) {
    my $d = eval { decode_json($body) };
    $body = encode_json({%$d, mock_padding => 'x' x $x->{beh}{json_pad}}) if ref $d eq 'HASH';
  }
  my $h = $x->{c}->res->headers;
  $h->content_type($ctype);
  $h->header($_ => $hdr->{$_}) for keys %{$hdr // {}};
  $h->header('Retry-After' => $x->{beh}{retry_after}) if $status == 429 && defined $x->{beh}{retry_after};
  $x->{c}->res->body($body);
  $x->{c}->rendered($status);
  return;
}

# Run the provider's auth check; on failure answer its 401 and return false.
sub authed ($x) {
  my $problem = $x->{P}{auth}->($x) // return 1;
  fail($x, $problem->{http_status} // 401, %$problem);
  return 0;
}

sub bearer ($c) { my ($key) = ($c->req->headers->authorization // '') =~ /^Bearer\s+(\S+)\s*$/i; return $key }
sub key_check ($p, $given) { !defined $given ? {auth => 'missing'} : $given eq mock_key($p) ? undef : {auth => 'invalid', key => $given} }

# --------------------------------------------------------------------------
# Error bodies, one builder per provider
# --------------------------------------------------------------------------
my %DG_ERR = (
  400 => ['Bad Request', 'Bad Request'], 401 => ['INVALID_AUTH', 'Invalid credentials.'],
  403 => ['INSUFFICIENT_PERMISSIONS', 'Project does not have access to the requested resource.'],
  404 => ['NOT_FOUND', 'The requested resource could not be found.'],
  422 => ['UNPROCESSABLE_ENTITY', 'The request could not be processed.'],
  429 => ['TOO_MANY_REQUESTS', 'Too many requests. Please try again later'],
  500 => ['INTERNAL_SERVER_ERROR', 'Internal server error. Please try again later.'],
  502 => ['BAD_GATEWAY', 'Bad Gateway'],
);

sub dg_error ($x, $st, %o) {
  my $rid = uuid4();
  my $body
    = $o{category} ? {category => $o{category}, message => $o{message}, details => $o{details}, request_id => $rid}
    : $st == 503 && !$o{message} ? {error_code => 'Service Unavailable', err_msg => 'Please try again later', request_id => $rid}
    : {err_code => $o{code} // $DG_ERR{$st}[0] // 'Error', err_msg => $o{message} // $DG_ERR{$st}[1] // 'Error', request_id => $rid};
  return ('application/json', encode_json($body), {'dg-request-id' => $rid});
}

my $OAI_NOKEY = "You didn't provide an API key. You need to provide your API key in an Authorization header using "
  . 'Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if '
  . "you're accessing the API from your browser and are prompted for a username and password. You can obtain "
  . 'an API key from https://platform.openai.com/account/api-keys.';
my $OAI_BADJSON = 'We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your '
  . 'HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have '
  . 'trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)';

sub oai_error ($x, $st, %o) {
  return ('application/json', encode_json({error => {code => 502, message => 'Bad gateway.', param => undef, type => 'cf_bad_gateway'}}))
    if $st == 502 && !$o{message};
  my %d = (
    400 => [$OAI_BADJSON, 'invalid_request_error'],
    401 => ($o{auth} // '') eq 'missing' ? [$OAI_NOKEY, 'invalid_request_error']
      : ['Incorrect API key provided: ' . mask_key($o{key} // 'sk-mock-forced-401-key') . '. You can find your API key at https://platform.openai.com/account/api-keys.', 'invalid_request_error', 'invalid_api_key'],
    403 => ['Country, region, or territory not supported', 'request_forbidden', 'unsupported_country_region_territory'],
    404 => ["Invalid URL ($x->{method} $x->{path})", 'invalid_request_error'],
    422 => ['Unprocessable request.', 'invalid_request_error'],
    429 => ['Rate limit reached for requests in organization org-mock on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.', 'requests', 'rate_limit_exceeded'],
    500 => ['The server had an error while processing your request. Sorry about that!', 'server_error'],
    503 => ['The engine is currently overloaded, please try again later', 'server_error'],
  );
  my $d = $d{$st} // ['Error', 'server_error'];
  my $err = {message => $o{message} // $d->[0], type => $o{type} // $d->[1], param => $o{param}, code => $o{code} // $d->[2]};
  return ('application/json', encode_json({error => $err}), {'x-request-id' => 'req_' . hexid(32)});
}

sub compat_error ($x, $st, %o) {
  return ('application/json', encode_json({detail => 'Not Found'})) if $st == 404 && !$o{message};
  return oai_error($x, $st, %o);
}

sub groq_error ($x, $st, %o) {
  my %d = (
    400 => ['Bad request', 'invalid_request_error'],
    401 => ['Invalid API Key', 'invalid_request_error', 'invalid_api_key'],
    403 => ['Forbidden', 'permissions_error'],
    404 => ["Unknown request URL: $x->{method} $x->{path}. Please check the URL for typos, or see the docs at https://console.groq.com/docs/", 'invalid_request_error', 'unknown_url'],
    422 => ['Unprocessable request', 'invalid_request_error'],
    429 => ['Rate limit reached for model `whisper-large-v3-turbo` in organization `org_mock` service tier `on_demand` on requests per minute (RPM): Limit 20, Used 20, Requested 1. Please try again in 3s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing', 'requests', 'rate_limit_exceeded'],
    500 => ['Internal Server Error', 'internal_server_error'],
    502 => ['Bad Gateway', 'internal_server_error'],
    503 => ['Service Unavailable', 'internal_server_error'],
  );
  my $d = $d{$st} // ['Error', 'internal_server_error'];
  my $err = {message => $o{message} // $d->[0], type => $o{type} // $d->[1]};
  $err->{code} = $o{code} // $d->[2] if defined($o{code} // $d->[2]);
  $err->{param} = $o{param} if defined $o{param};
  return ('application/json', encode_json({error => $err}), {'x-request-id' => 'req_' . hexid(26)});
}

sub el_error ($x, $st, %o) {
  return ('application/json', encode_json({detail => $o{pydantic} // [{type => 'missing', loc => ['body', 'text'], msg => 'Field required', input => undef}]}))
    if $st == 422;
  return ('application/json', encode_json({detail => 'Not Found'})) if $o{route};
  my $auth = $o{auth} // '';
  my %d = (
    400 => ['validation_error', 'invalid_parameters', 'invalid_parameters', 'Invalid request parameters.'],
    401 => $auth eq 'missing' ? ['authentication_error', 'unauthorized', 'needs_authorization', 'Neither authorization header nor xi-api-key received, please provide one.']
      : $auth eq 'scheme' ? ['authentication_error', 'invalid_authorization_header', 'invalid_authorization_header', 'Invalid authorization header. Please provide your API key in the xi-api-key header.']
      : ['authentication_error', 'unauthorized', 'invalid_api_key', 'Invalid API key'],
    403 => ['authorization_error', 'forbidden', 'forbidden', 'You do not have permission to perform this action.'],
    404 => ['not_found', 'not_found', 'not_found', 'The requested resource was not found.'],
    429 => ['rate_limit_error', 'concurrent_limit_exceeded', 'too_many_concurrent_requests', 'Too many concurrent requests. Your plan allows a limited number of concurrent requests.'],
    500 => ['internal_error', 'internal_error', 'internal_error', 'An internal error occurred. Please try again later.'],
    502 => ['internal_error', 'internal_error', 'internal_error', 'Bad gateway. Please try again later.'],
    503 => ['service_unavailable', 'service_unavailable', 'system_busy', 'The service is temporarily unavailable. Please try again later.'],
  );
  my $d = $d{$st} // $d{500};
  my $rid = hexid(32);
  my %detail = (type => $o{type} // $d->[0], code => $o{code} // $d->[1], message => $o{message} // $d->[3],
    status => $o{status} // $o{code} // $d->[2], request_id => $rid, defined $o{param} ? (param => $o{param}) : ());
  return ('application/json', encode_json({detail => \%detail}), {'x-trace-id' => $rid});
}

my %CA_ERR = (
  400 => [invalid_request => 'Bad Request', 'The request is invalid.'],
  401 => [unauthorized => 'Unauthorized', 'Invalid API key.'],
  403 => [forbidden => 'Forbidden', 'You do not have access to this resource.'],
  404 => [not_found => 'Not Found', 'The requested resource was not found.'],
  422 => [unprocessable_entity => 'Unprocessable Entity', 'The request could not be processed.'],
  429 => [concurrency_limited => 'Too many concurrent requests', "You have exceeded your plan's concurrency limit."],
  500 => [internal_error => 'Internal Server Error', 'An internal error occurred.'],
  502 => [bad_gateway => 'Bad Gateway', 'Bad gateway.'],
  503 => [service_unavailable => 'Service Unavailable', 'The service is temporarily unavailable.'],
);

sub ca_error ($x, $st, %o) {
  my $d = $CA_ERR{$st} // $CA_ERR{500};
  my ($code, $title, $msg) = ($o{code} // $d->[0], $o{title} // $d->[1], $o{message} // $d->[2]);
  $msg = 'API key is missing. Provide it in the Authorization header as a Bearer token.' if ($o{auth} // '') eq 'missing';
  my $version = $x->{c}->req->headers->header('Cartesia-Version') // '';
  return ('text/plain; charset=utf-8', encode('UTF-8', "$title: $msg")) unless $version =~ /^\d{4}-\d\d-\d\d$/ && $version ge '2026-03-01';
  return ('application/json', encode_json({error_code => $code, title => $title, message => $msg, request_id => uuid4()}));
}

my %AAI_ERR = (
  400 => 'Bad request', 401 => 'Authentication error, API token missing/invalid', 403 => 'Forbidden',
  404 => 'Not found', 422 => 'Unprocessable entity', 429 => 'Too many requests. Please slow down.',
  500 => 'Server error, developers have been alerted.', 502 => 'Bad gateway', 503 => 'Service unavailable, please try again later.',
);
sub aai_error ($x, $st, %o) { ('application/json', encode_json({error => $o{message} // $AAI_ERR{$st} // 'Error'})) }

# --------------------------------------------------------------------------
# Deepgram  (base https://api.deepgram.com)
# --------------------------------------------------------------------------
my %DG_FORMATS = (   # Deepgram "Audio Format Combinations" table
  linear16 => {containers => [qw(wav none)], rates => [8000, 16000, 24000, 32000, 48000]},
  mulaw    => {containers => [qw(wav none)], rates => [8000, 16000]},
  alaw     => {containers => [qw(wav none)], rates => [8000, 16000]},
  mp3      => {bit_rates  => [32000, 48000]},
  opus     => {containers => ['ogg'], bit_range => [4000, 650000]},
  flac     => {rates      => [8000, 16000, 22050, 32000, 48000]},
  aac      => {bit_range  => [4000, 192000]},
);
my %DG_SPEAK_PARAMS = map { $_ => 1 } qw(model encoding container sample_rate bit_rate speed callback callback_method mip_opt_out tag);
my %DG_BOOL = map { $_ => 1 } qw(punctuate diarize smart_format detect_language multichannel utterances paragraphs
  numerals profanity_filter filler_words dictation measurements interim_results vad_events mip_opt_out summarize topics intents sentiment detect_entities);
our $DG_STT_MODEL = qr/^(?:(?:nova-3|nova-2|nova|enhanced|base)(?:-[a-z]+)?|whisper(?:-(?:tiny|base|small|medium|large))?)$/;

sub dg_qerr ($x, $msg) { fail($x, 400, code => 'INVALID_QUERY_PARAMETER', message => "Failed to deserialize query parameters: $msg") }

sub dg_auth ($x) {
  my ($scheme, $key) = ($x->{c}->req->headers->authorization // '') =~ /^(\S+)\s+(\S+)\s*$/;
  return {auth => 'missing'} unless defined $key || defined $x->{c}->req->headers->authorization;
  return {auth => 'invalid'} unless lc($scheme // '') eq 'token' && $key eq mock_key('deepgram');
  return undef;
}

sub dg_speak ($x) {
  my $c = $x->{c};
  return unless authed($x);
  my $q = $c->req->url->query;
  for my $n (@{$q->names}) { return dg_qerr($x, "unknown field `$n`") unless $DG_SPEAK_PARAMS{$n} }
  my %q = map { $_ => $q->param($_) } @{$q->names};
  my $model = $q{model} // return dg_qerr($x, 'missing field `model` (required by this mock)');
  return fail($x, 400, category => 'INVALID_QUERY_PARAMETER', message => 'No such model/version/tier combination found.', details => "model: $model")
    unless $model =~ /^aura-(?:2-)?[a-z]+-[a-z]{2}$/;
  my $enc = $q{encoding} // 'mp3';
  my $f = $DG_FORMATS{$enc} or return dg_qerr($x, "unknown variant `$enc`, expected one of `linear16`, `mulaw`, `alaw`, `mp3`, `opus`, `flac`, `aac`");
  if (defined $q{container}) {
    return dg_qerr($x, "container `$q{container}` is not supported for encoding `$enc`") unless List::Util::any { $_ eq $q{container} } @{$f->{containers} // []};
  }
  my $container = $q{container} // ($f->{containers} ? $f->{containers}[0] : undef);
  if (defined $q{sample_rate}) {
    return dg_qerr($x, "sample_rate is not configurable for encoding `$enc`") unless $f->{rates};
    return dg_qerr($x, "sample_rate `$q{sample_rate}` is not supported for encoding `$enc`") unless List::Util::any { $_ eq $q{sample_rate} } @{$f->{rates}};
  }
  if (defined(my $br = $q{bit_rate})) {
    my $ok = $br =~ /^\d+$/ && ($f->{bit_rates} ? List::Util::any { $_ == $br } @{$f->{bit_rates}} : $f->{bit_range} ? $br >= $f->{bit_range}[0] && $br <= $f->{bit_range}[1] : 0);
    return dg_qerr($x, "bit_rate `$br` is not supported for encoding `$enc`") unless $ok;
  }
  return dg_qerr($x, 'speed must be a number between 0.7 and 1.5')
    if defined $q{speed} && !($q{speed} =~ /^\d+(?:\.\d+)?$/ && $q{speed} >= 0.7 && $q{speed} <= 1.5);
  return dg_qerr($x, "unknown variant `$q{callback_method}`, expected `POST` or `PUT`") if defined $q{callback_method} && $q{callback_method} !~ /^(?:POST|PUT)$/;
  return dg_qerr($x, 'mip_opt_out must be true or false') if defined $q{mip_opt_out} && $q{mip_opt_out} !~ /^(?:true|false)$/;
  return fail($x, 400, message => 'Bad Request: Content-Type must be application/json')
    unless ($c->req->headers->content_type // '') =~ m{^application/json}i;
  my $data = eval { decode_json($c->req->body) };
  return fail($x, 400, message => 'Content-type was application/json, but we could not process the JSON payload.') unless defined $data;
  return fail($x, 400, category => 'INVALID_JSON', message => 'Invalid JSON submitted.', details => 'Json deserialize error: invalid type: expected struct SpeakRequest at line 1 column 1')
    unless ref $data eq 'HASH';
  return fail($x, 400, category => 'INVALID_JSON', message => 'Invalid JSON submitted.', details => 'Json deserialize error: missing field `text` at line 1 column ' . length $c->req->body)
    unless exists $data->{text};
  return fail($x, 400, category => 'INVALID_JSON', message => 'Invalid JSON submitted.', details => 'Json deserialize error: invalid type: expected a string at line 1 column 10')
    unless is_str($data->{text});
  return fail($x, 400, message => 'Bad Request: text is empty') unless $data->{text} =~ /\S/;
  return fail($x, 400, message => 'Bad Request: text exceeds the maximum of 2000 characters') if length $data->{text} > 2000;
  my $ctype = ($container // '') eq 'wav' ? 'audio/wav'
    : {linear16 => 'audio/l16', mulaw => 'audio/mulaw', alaw => 'audio/alaw', mp3 => 'audio/mpeg', opus => 'audio/ogg', flac => 'audio/flac', aac => 'audio/aac'}->{$enc};
  my @wav = ($container // '') eq 'wav'
    ? (wav => [$q{sample_rate} // ($enc eq 'linear16' ? 24000 : 8000), {linear16 => 1, alaw => 6, mulaw => 7}->{$enc}, $enc eq 'linear16' ? 16 : 8]) : ();
  reply_audio($x, $ctype, {'dg-request-id' => uuid4(), 'dg-model-name' => $model, 'dg-model-uuid' => uuid4(), 'dg-char-count' => length $data->{text}}, @wav);
}

sub dg_listen ($x) {
  my $c = $x->{c};
  return unless authed($x);
  my %q = map { $_ => $c->req->url->query->param($_) } @{$c->req->url->query->names};
  for my $b (grep { $DG_BOOL{$_} } keys %q) {
    return fail($x, 400, message => "Invalid value for query parameter '$b': expected true or false") unless $q{$b} =~ /^(?:true|false)$/;
  }
  return fail($x, 400, message => 'No such model/language/tier combination found.') if defined $q{model} && $q{model} !~ $DG_STT_MODEL;
  my $body = $c->req->body;
  my $duration;
  if (($c->req->headers->content_type // '') =~ m{^application/json}i) {
    my $data = eval { decode_json($body) };
    return fail($x, 400, message => 'Content-type was application/json, but we could not process the JSON payload.')
      unless ref $data eq 'HASH' && is_str($data->{url});
    $duration = $DEFAULT_DURATION;
  } else {
    return fail($x, 400, message => 'Bad Request: failed to process audio: corrupt or unsupported data') unless length $body;
    if (defined $q{encoding}) {
      my %bps = (linear16 => 2, linear32 => 4, mulaw => 1, alaw => 1, flac => 0, opus => 0, 'ogg-opus' => 0, speex => 0, 'amr-nb' => 0, 'amr-wb' => 0, g729 => 0);
      return fail($x, 400, message => "Bad Request: unsupported encoding '$q{encoding}'") unless exists $bps{$q{encoding}};
      return fail($x, 400, message => 'Bad Request: sample_rate is required when encoding is set') unless ($q{sample_rate} // '') =~ /^\d+$/;
      my $ch = ($q{channels} // 1) =~ /^[1-9]\d*$/ ? $q{channels} // 1 : 1;
      $duration = $bps{$q{encoding}} ? length($body) / ($q{sample_rate} * $bps{$q{encoding}} * $ch) : $DEFAULT_DURATION;
    } else {
      return fail($x, 400, message => 'Bad Request: failed to process audio: corrupt or unsupported data') unless sniff_container($body);
      $duration = audio_duration($body);
    }
  }
  my $pretty = ($q{punctuate} // '') eq 'true' || ($q{smart_format} // '') eq 'true';
  my $diarize = ($q{diarize} // '') eq 'true';
  my @words = map {
    my ($w, $s, $e) = @$_;
    my $pw = $pretty ? ($w eq $WORDS[0] ? ucfirst $w : $w) . ($w eq $WORDS[-1] ? '.' : '') : $w;
    {word => $w, start => $s, end => $e, confidence => 0.99, punctuated_word => $pw, $diarize ? (speaker => 0, speaker_confidence => 0.9) : ()}
  } @{word_times($duration)};
  my $model_uuid = uuid4();
  my $model = $q{model} // 'base';
  my %channel = (alternatives => [{transcript => $pretty ? $PRETTY : $PLAIN, confidence => 0.99, words => \@words}]);
  @channel{qw(detected_language language_confidence)} = ($q{language} // 'en', 0.97) if ($q{detect_language} // '') eq 'true';
  reply_json($x, {
    metadata => {transaction_key => 'deprecated', request_id => uuid4(), sha256 => Digest::SHA::sha256_hex($body),
      created => Mojo::Date->new->to_datetime, duration => r3($duration), channels => 1, models => [$model_uuid],
      model_info => {$model_uuid => {name => "general-$model", version => '2025-01-01.0', arch => $model =~ s/-[a-z]+$//r}}},
    results => {channels => [\%channel]},
  });
}

sub dg_voice ($name, $arch, $accent, $gender) {
  my $canon = $arch eq 'aura-2' ? "aura-2-$name-en" : "aura-$name-en";
  return {name => $name, canonical_name => $canon, architecture => $arch, languages => ['en', 'en-US'], version => '2025-04-07.0',
    uuid => Digest::SHA::sha1_hex($canon) =~ s/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/$1-$2-$3-$4-$5/r,
    metadata => {accent => $accent, age => 'Adult', color => '#C73D4C', image => "https://static.deepgram.com/examples/avatars/$name.jpg",
      sample => "https://static.deepgram.com/examples/" . ($arch eq 'aura-2' ? 'Aura-2-' : 'Aura-') . "$name.wav",
      tags => [$gender, 'engaging', 'natural'], use_cases => ['Customer service', 'Casual chat']}};
}

sub dg_models ($x) {
  # /v1/models is reachable without a key (third-party observation); a wrong key is still refused.
  return unless !defined $x->{c}->req->headers->authorization || authed($x);
  reply_json($x, {
    stt => [map { {name => $_, canonical_name => $_, architecture => $_ =~ s/-[a-z]+$//r, languages => ['en', 'en-US'],
      version => '2025-01-01.0', uuid => uuid4(), batch => true, streaming => true, formatted_output => true} } qw(nova-3 nova-2 nova-2-phonecall)],
    tts => [dg_voice('thalia', 'aura-2', 'American', 'feminine'), dg_voice('apollo', 'aura-2', 'American', 'masculine'),
      dg_voice('helena', 'aura-2', 'American', 'feminine'), dg_voice('asteria', 'aura', 'American', 'feminine'),
      dg_voice('orion', 'aura', 'American', 'masculine'), dg_voice('helios', 'aura', 'British', 'masculine')],
  });
}

# --------------------------------------------------------------------------
# ElevenLabs  (base https://api.elevenlabs.io)
# --------------------------------------------------------------------------
my %EL_VOICES = (
  '21m00Tcm4TlvDq8ikWAM' => ['Rachel', 'american', 'female', 'young', 'calm', 'narration'],
  'EXAVITQu4vr4xnSDxMaL' => ['Sarah', 'american', 'female', 'young', 'soft', 'news'],
  'pNInz6obpgDQGcFmaJgB' => ['Adam', 'american', 'male', 'middle aged', 'deep', 'narration'],
  'JBFqnCBsd6RMkjVDRZzb' => ['George', 'british', 'male', 'middle aged', 'warm', 'narration'],
);
my %EL_MODELS = (eleven_v3 => 5000, eleven_multilingual_v2 => 10000, eleven_flash_v2_5 => 40000, eleven_flash_v2 => 30000,
  eleven_turbo_v2_5 => 40000, eleven_turbo_v2 => 30000, eleven_monolingual_v1 => 10000, eleven_multilingual_v1 => 10000);
my @EL_RATES = qw(8000 16000 22050 24000 32000 44100 48000);
my %EL_FORMATS = (
  (map { ("mp3_$_" => 'audio/mpeg') } qw(22050_32 24000_48 44100_32 44100_64 44100_96 44100_128 44100_192)),
  (map { ("pcm_$_" => 'audio/pcm') } @EL_RATES), (map { ("wav_$_" => 'audio/wav') } @EL_RATES),
  (map { ("opus_48000_$_" => 'audio/opus') } qw(32 64 96 128 192)), ulaw_8000 => 'audio/basic', alaw_8000 => 'audio/alaw',
);
my @EL_STT_MODELS = qw(scribe_v1 scribe_v2);

sub el_auth ($x) {
  my $h = $x->{c}->req->headers;
  my $key = $h->header('xi-api-key');
  return {auth => 'scheme'} if !defined $key && defined $h->authorization;
  return key_check('elevenlabs', $key);
}

sub pyd ($type, $loc, $msg, $input, %ctx) { {type => $type, loc => ['body', @$loc], msg => $msg, input => $input, %ctx ? (ctx => \%ctx) : ()} }

sub el_tts ($x, $voice, $stream = 0) {
  my $c = $x->{c};
  # Body schema validation (422) runs before auth at ElevenLabs.
  my $raw = $c->req->body;
  my $data = eval { decode_json($raw) };
  return fail($x, 422, pydantic => [pyd('json_invalid', [0], 'JSON decode error', {}, error => 'Expecting value')]) unless defined $data || !length $raw;
  return fail($x, 422, pydantic => [pyd('missing', [], 'Field required', undef)]) unless length $raw;
  return fail($x, 422, pydantic => [pyd('model_attributes_type', [], 'Input should be a valid dictionary or object to extract fields from', $data)])
    unless ref $data eq 'HASH';
  my @e;
  push @e, !defined $data->{text} ? pyd('missing', ['text'], 'Field required', undef)
    : !is_str($data->{text}) ? pyd('string_type', ['text'], 'Input should be a valid string', $data->{text}) : () ;
  for my $f (qw(model_id previous_text next_text language_code)) {
    push @e, pyd('string_type', [$f], 'Input should be a valid string', $data->{$f}) if defined $data->{$f} && !is_str($data->{$f});
  }
  if (defined(my $vs = $data->{voice_settings})) {
    if (ref $vs ne 'HASH') { push @e, pyd('model_attributes_type', ['voice_settings'], 'Input should be a valid dictionary or object to extract fields from', $vs) }
    else {
      for my $f (qw(stability similarity_boost)) {
        next unless defined(my $v = $vs->{$f});
        push @e, !is_num($v) ? pyd('float_type', ['voice_settings', $f], 'Input should be a valid number', $v)
          : $v > 1 ? pyd('less_than_equal', ['voice_settings', $f], 'Input should be less than or equal to 1', $v, le => 1.0)
          : $v < 0 ? pyd('greater_than_equal', ['voice_settings', $f], 'Input should be greater than or equal to 0', $v, ge => 0.0) : ();
      }
      push @e, pyd('bool_type', ['voice_settings', 'use_speaker_boost'], 'Input should be a valid boolean', $vs->{use_speaker_boost})
        if defined $vs->{use_speaker_boost} && !is_bool($vs->{use_speaker_boost});
    }
  }
  return fail($x, 422, pydantic => \@e) if @e;
  return unless authed($x);
  return fail($x, 404, type => 'not_found', code => 'voice_not_found', message => "A voice with voice_id '$voice' was not found.") unless $EL_VOICES{$voice};
  my $fmt = $c->req->url->query->param('output_format') // 'mp3_44100_128';
  my $ctype = $EL_FORMATS{$fmt} // return fail($x, 400, code => 'invalid_output_format', message => "Invalid output format: '$fmt'.", param => 'output_format');
  my $model = $data->{model_id} // 'eleven_multilingual_v2';
  my $limit = $EL_MODELS{$model}
    // return fail($x, 400, code => 'model_not_found', message => "A model with model ID $model does not exist.", param => 'model_id');
  return fail($x, 400, code => 'empty_text', message => 'The text field must not be empty.', param => 'text') unless $data->{text} =~ /\S/;
  my $len = length $data->{text};
  return fail($x, 400, code => 'text_too_long', status => 'max_character_limit_exceeded',
    message => "This request's text has $len characters and exceeds the character limit of $limit characters.") if $len > $limit;
  if (defined(my $sp = ($data->{voice_settings} // {})->{speed})) {
    return fail($x, 400, code => 'invalid_voice_settings', message => 'voice_settings.speed must be between 0.7 and 1.2.', param => 'voice_settings')
      unless is_num($sp) && $sp >= 0.7 && $sp <= 1.2;
  }
  my @wav = $fmt =~ /^wav_(\d+)$/ ? (wav => [$1, 1, 16]) : ();
  reply_audio($x, $ctype, {'request-id' => hexid(20), 'character-cost' => $len}, stream => $stream, @wav);
}

sub el_stt ($x) {
  my $c = $x->{c};
  my $req = $c->req;
  my $model = $req->body_params->param('model_id');
  return fail($x, 422, pydantic => [pyd('missing', ['model_id'], 'Field required', undef)]) unless defined $model;
  return fail($x, 400, type => 'validation_error', code => 'unsupported_model', status => 'invalid_model_id', param => 'model_id',
    message => "'$model' is not a valid model_id. Available models: " . join(', ', map {"'$_'"} @EL_STT_MODELS))
    unless List::Util::any { $_ eq $model } @EL_STT_MODELS;
  return unless authed($x);
  my $file = $req->upload('file');
  return fail($x, 400, type => 'invalid_request', code => 'bad_request', status => 'invalid_parameters', param => 'file',
    message => 'Must provide either file or cloud_storage_url parameter.') unless $file || defined $req->body_params->param('cloud_storage_url');
  my $audio = $file ? $file->slurp : '';
  return fail($x, 400, type => 'invalid_request', code => 'bad_request', status => 'empty_file', param => 'file',
    message => 'The uploaded file is empty or corrupted.') if $file && !length $audio;
  my $p = $req->body_params;
  my $gran = $p->param('timestamps_granularity') // 'word';
  return fail($x, 422, pydantic => [pyd('enum', ['timestamps_granularity'], "Input should be 'none', 'word' or 'character'", $gran)])
    unless $gran =~ /^(?:none|word|character)$/;
  my $diarize = ($p->param('diarize') // 'false') eq 'true';
  my @words;
  for my $w (@{word_times(length $audio ? audio_duration($audio) : $DEFAULT_DURATION)}) {
    my ($t, $s, $e) = @$w;
    push @words, {text => $t eq $WORDS[0] ? ucfirst $t : $t eq $WORDS[-1] ? "$t." : $t, start => $s, end => $e, type => 'word', logprob => -0.01,
      $diarize ? (speaker_id => 'speaker_0') : ()};
    push @words, {text => ' ', start => $e, end => $e, type => 'spacing', logprob => 0, $diarize ? (speaker_id => 'speaker_0') : ()} unless $t eq $WORDS[-1];
  }
  if ($gran eq 'none') { delete @$_{qw(start end)} for @words }
  my $lang = $p->param('language_code');
  reply_json($x, {language_code => $lang // 'eng', language_probability => defined $lang ? 1 : 0.98, text => $PRETTY, words => \@words,
    transcription_id => hexid(20)});
}

sub el_voices ($x) {
  return unless authed($x);
  my $size = $x->{c}->req->url->query->param('page_size') // 10;
  return fail($x, 422, pydantic => [{type => 'less_than_equal', loc => ['query', 'page_size'], msg => 'Input should be less than or equal to 100', input => $size}])
    unless $size =~ /^\d+$/ && $size >= 1 && $size <= 100;
  my @ids = (sort keys %EL_VOICES)[0 .. min($size, scalar keys %EL_VOICES) - 1];
  my @voices = map {
    my ($name, $accent, $gender, $age, $desc, $use) = @{$EL_VOICES{$_}};
    {voice_id => $_, name => $name, category => 'premade', description => "A $desc $gender voice.",
      labels => {accent => $accent, gender => $gender, age => $age, description => $desc, use_case => $use},
      preview_url => "https://storage.googleapis.com/eleven-public-prod/premade/voices/$_/preview.mp3",
      verified_languages => [{language => 'en', model_id => 'eleven_multilingual_v2', accent => $accent, locale => 'en-US'}],
      settings => undef, available_for_tiers => [], high_quality_base_model_ids => ['eleven_multilingual_v2'], is_legacy => false}
  } @ids;
  reply_json($x, {voices => \@voices, has_more => @ids < keys %EL_VOICES ? true : false, total_count => scalar keys %EL_VOICES, next_page_token => undef});
}

# POST /v1/voices/add: multipart name, files (one or more), description?,
# labels? (a JSON object as a string), remove_background_noise?
sub el_voice_add ($x) {
  return unless authed($x);
  my $req = $x->{c}->req;
  return fail($x, 422, pydantic => [pyd('missing', ['name'], 'Field required', undef)])
    unless $req->content->is_multipart;
  my (%f, @files);
  for my $part (@{$req->content->parts}) {
    my $cd = $part->headers->content_disposition // '';
    my ($name) = $cd =~ /\bname="([^"]*)"/;
    my ($file) = $cd =~ /\bfilename="([^"]*)"/;
    if (defined $file) { push @files, $part if ($name // '') eq 'files' } else { $f{$name // ''} = $part->asset->slurp }
  }
  return fail($x, 422, pydantic => [pyd('missing', ['name'], 'Field required', undef)]) unless length($f{name} // '');
  return fail($x, 422, pydantic => [pyd('missing', ['files'], 'Field required', undef)]) unless @files;
  if (defined $f{labels}) {
    my $l = eval { decode_json($f{labels}) };
    return fail($x, 400, status => 'invalid_labels', message => 'labels must be a JSON object of strings')
      unless ref $l eq 'HASH';
  }
  reply_json($x, {voice_id => 'cl' . hexid(18), requires_verification => false});
}

# --------------------------------------------------------------------------
# OpenAI, Groq and the OpenAI-compatible server
# --------------------------------------------------------------------------
my @OAI_VOICES = qw(alloy ash ballad coral echo fable onyx nova sage shimmer verse marin cedar);
my @OAI_TTS_MODELS = qw(tts-1 tts-1-hd gpt-4o-mini-tts gpt-4o-mini-tts-2025-12-15);
my %OAI_CT = (mp3 => 'audio/mpeg', opus => 'audio/opus', aac => 'audio/aac', flac => 'audio/flac', wav => 'audio/wav', pcm => 'audio/pcm');
my %GROQ_TTS = ('canopylabs/orpheus-v1-english' => [qw(autumn diana hannah austin daniel troy)],
  'canopylabs/orpheus-arabic-saudi' => [qw(abdullah fahad sultan lulwa noura aisha)]);
my %GROQ_CT = (wav => 'audio/wav', mp3 => 'audio/mpeg', flac => 'audio/flac', ogg => 'audio/ogg', mulaw => 'audio/basic');
my %STT_MODELS = (
  openai => [qw(whisper-1 gpt-4o-transcribe gpt-4o-mini-transcribe gpt-4o-transcribe-diarize)],
  groq   => [qw(whisper-large-v3 whisper-large-v3-turbo)],
);
my %STT_FORMATS = (openai => [qw(json text srt verbose_json vtt)], groq => [qw(json text verbose_json)], compat => [qw(json text srt verbose_json vtt)]);
my %LANG_NAME = (en => 'english', es => 'spanish', fr => 'french', de => 'german', it => 'italian', pt => 'portuguese', nl => 'dutch', ja => 'japanese');

sub oai_auth ($x)  { key_check('openai', bearer($x->{c})) }
sub groq_auth ($x) { key_check('groq', bearer($x->{c})) }

sub oai_speech ($x) {
  my ($c, $p) = @$x{qw(c p)};
  my $compat = $p eq 'compat';
  return unless $compat || authed($x);
  my $data = eval { decode_json($c->req->body) };
  return fail($x, 400, message => $OAI_BADJSON) unless ref $data eq 'HASH';
  my @e;
  for my $f (qw(model input voice)) {
    push @e, !defined $data->{$f} ? ['missing', $f, 'Field required'] : !is_str($data->{$f}) ? ['string_type', $f, 'Input should be a valid string'] : ();
  }
  push @e, ['string_too_long', 'input', 'String should have at most 4096 characters'] if is_str($data->{input}) && length $data->{input} > 4096;
  my @voices = $p eq 'groq' ? map {@$_} values %GROQ_TTS : @OAI_VOICES;
  push @e, ['enum', 'voice', enum_msg(@voices)] if is_str($data->{voice}) && !$compat && none { $_ eq $data->{voice} } @voices;
  my %ct = $p eq 'groq' ? %GROQ_CT : %OAI_CT;
  my $fmt = $data->{response_format} // ($p eq 'groq' ? 'wav' : 'mp3');
  push @e, ['enum', 'response_format', enum_msg(sort keys %ct)] unless is_str($fmt) && $ct{$fmt};
  my ($lo, $hi) = $p eq 'groq' ? (0.5, 5) : (0.25, 4);
  if (defined(my $s = $data->{speed})) {
    push @e, !is_num($s) ? ['float_type', 'speed', 'Input should be a valid number']
      : $s < $lo ? ['greater_than_equal', 'speed', "Input should be greater than or equal to $lo"]
      : $s > $hi ? ['less_than_equal', 'speed', "Input should be less than or equal to $hi"] : ();
  }
  push @e, ['string_too_long', 'instructions', 'String should have at most 4096 characters']
    if is_str($data->{instructions}) && length $data->{instructions} > 4096;
  push @e, ['enum', 'stream_format', "Input should be 'audio'"] if defined $data->{stream_format} && ($data->{stream_format} // '') ne 'audio';
  push @e, ['enum', 'sample_rate', 'Input should be 8000, 16000, 22050, 24000, 32000, 44100 or 48000']
    if $p eq 'groq' && defined $data->{sample_rate} && !(List::Util::any { $_ eq $data->{sample_rate} } qw(8000 16000 22050 24000 32000 44100 48000));
  return fail($x, 400, message => py_errors(@e)) if @e;
  my @models = $p eq 'groq' ? keys %GROQ_TTS : @OAI_TTS_MODELS;
  return fail($x, 404, message => "The model `$data->{model}` does not exist or you do not have access to it.", code => 'model_not_found')
    unless $compat || List::Util::any { $_ eq $data->{model} } @models;
  return fail($x, 400, message => "Voice '$data->{voice}' is not available for model `$data->{model}`.", param => 'voice', code => 'invalid_voice')
    if $p eq 'groq' && none { $_ eq $data->{voice} } @{$GROQ_TTS{$data->{model}}};
  return fail($x, 400, message => "[{'type': 'string_too_short', 'loc': ('body', 'input'), 'msg': 'String should have at least 1 character'}]")
    unless length $data->{input};
  reply_audio($x, $ct{$fmt}, {'x-request-id' => 'req_' . hexid(32)}, $fmt eq 'wav' ? (wav => [$data->{sample_rate} // 24000, 1, 16]) : ());
}

sub srt_time ($t, $sep) { sprintf '%02d:%02d:%02d%s%03d', int($t / 3600), int($t / 60) % 60, int($t) % 60, $sep, int(($t - int $t) * 1000 + 0.5) }

sub oai_transcribe ($x) {
  my ($c, $p) = @$x{qw(c p)};
  return unless $p eq 'compat' || authed($x);
  my $req = $c->req;
  return fail($x, 400, message => 'Could not parse multipart form')
    unless $req->content->is_multipart || ($req->headers->content_type // '') =~ m{^application/x-www-form-urlencoded}i;
  my $bp = $req->body_params;
  my $file = $req->upload('file');
  my @e;
  push @e, ['missing', 'file', 'Field required', input_none => 1] unless $file;
  push @e, ['missing', 'model', 'Field required', input_none => 1] unless defined $bp->param('model');
  return fail($x, 400, message => py_errors(@e)) if @e;
  my $model = $bp->param('model');
  if ($p eq 'groq' && $model eq 'distil-whisper-large-v3-en') {
    return fail($x, 400, code => 'model_decommissioned', message => "The model `$model` has been decommissioned and is no longer supported. "
      . 'Please refer to https://console.groq.com/docs/deprecations for a recommendation on which model to use instead.');
  }
  return fail($x, 404, code => 'model_not_found', message => "The model `$model` does not exist or you do not have access to it.")
    if $STT_MODELS{$p} && none { $_ eq $model } @{$STT_MODELS{$p}};
  my $fmt = $bp->param('response_format') // 'json';
  return fail($x, 400, param => 'response_format', code => 'unsupported_value',
    message => "Invalid value: '$fmt'. Supported values are: " . join(', ', map {"'$_'"} @{$STT_FORMATS{$p}}) . '.')
    unless List::Util::any { $_ eq $fmt } @{$STT_FORMATS{$p}};
  my $gpt4o = $p eq 'openai' && $model =~ /^gpt-4o/;
  return fail($x, 400, param => 'response_format', code => 'unsupported_value',
    message => "response_format '$fmt' is not compatible with model '$model'. Use 'json' or 'text' instead.") if $gpt4o && $fmt !~ /^(?:json|text)$/;
  my @gran = @{$bp->every_param('timestamp_granularities[]')};
  for my $g (@gran) {
    return fail($x, 400, message => py_errors(['enum', 'timestamp_granularities', "Input should be 'word' or 'segment'"])) unless $g =~ /^(?:word|segment)$/;
  }
  return fail($x, 400, param => 'timestamp_granularities', code => 'unsupported_value',
    message => "timestamp_granularities is not supported for model '$model'.") if $gpt4o && @gran;
  return fail($x, 400, param => 'timestamp_granularities',
    message => "response_format must be set to 'verbose_json' to use timestamp granularities.") if $p ne 'compat' && $fmt ne 'verbose_json' && grep { $_ eq 'word' } @gran;
  my $lang = $bp->param('language');
  return fail($x, 400, param => 'language', code => 'invalid_value',
    message => "Invalid language '$lang'. Language parameter must be specified in ISO-639-1 format.") if defined $lang && $lang !~ /^[a-z]{2,3}$/;
  my $temp = $bp->param('temperature');
  return fail($x, 400, message => py_errors(['less_than_equal', 'temperature', 'Input should be less than or equal to 1']))
    if defined $temp && !($temp =~ /^\d+(?:\.\d+)?$/ && $temp <= 1);
  my ($ext) = ($file->filename // '') =~ /\.([A-Za-z0-9]+)$/;
  my @exts = qw(flac m4a mp3 mp4 mpeg mpga oga ogg opus wav webm);
  return fail($x, 400, param => 'file', code => 'invalid_value',
    message => 'Invalid file format. Supported formats: [' . join(', ', map {"'$_'"} @exts) . ']') if $p ne 'compat' && none { lc($ext // '') eq $_ } @exts;
  my $audio = $file->slurp;
  return fail($x, 400, param => 'file', code => 'audio_too_short', message => 'Audio file is too short. Minimum audio length is 0.1 seconds.') unless length $audio;
  my $dur = audio_duration($audio);
  my @groq_meta = $p eq 'groq' ? (x_groq => {id => 'req_' . hexid(26)}) : ();
  if ($fmt eq 'text') { return reply_text($x, 'text/plain; charset=utf-8', "$PRETTY\n") }
  if ($fmt eq 'srt') { return reply_text($x, 'text/plain; charset=utf-8', "1\n" . srt_time(0, ',') . ' --> ' . srt_time($dur, ',') . "\n$PRETTY\n\n") }
  if ($fmt eq 'vtt') { return reply_text($x, 'text/vtt; charset=utf-8', "WEBVTT\n\n" . srt_time(0, '.') . ' --> ' . srt_time($dur, '.') . "\n$PRETTY\n\n") }
  my %usage = $p ne 'openai' ? () : $gpt4o
    ? (usage => {type => 'tokens', input_tokens => 40, input_token_details => {text_tokens => 0, audio_tokens => 40}, output_tokens => 8, total_tokens => 48})
    : (usage => {type => 'duration', seconds => ceil($dur)});
  return reply_json($x, {text => $PRETTY, %usage, @groq_meta}) if $fmt eq 'json';
  my %out = (task => 'transcribe', language => $LANG_NAME{$lang // 'en'} // $lang, duration => r3($dur), text => $PRETTY, %usage, @groq_meta);
  $out{segments} = [{id => 0, seek => 0, start => 0, end => r3($dur), text => " $PRETTY", tokens => [50364, 2425, 1002, 490, 264, 17362, 13],
    temperature => 0, avg_logprob => -0.2, compression_ratio => 0.9, no_speech_prob => 0.01}]
    if !@gran || grep({ $_ eq 'segment' } @gran) || $p eq 'groq';
  $out{words} = [map { {word => $_->[0], start => $_->[1], end => $_->[2]} } @{word_times($dur)}] if grep { $_ eq 'word' } @gran;
  reply_json($x, \%out);
}

# --------------------------------------------------------------------------
# Cartesia  (base https://api.cartesia.ai)
# --------------------------------------------------------------------------
my %CA_VOICES = map { $_ => 1 } qw(694f9389-aac1-45b6-b726-9d9369183238 6ccbfb76-1fc6-48f7-b71d-91ac6298247b e07c00bc-4134-4eae-9ea4-1a55fb45746b);
my @CA_RATES = qw(8000 16000 22050 24000 44100 48000);
my %CA_ENC = map { $_ => 1 } qw(pcm_f32le pcm_s16le pcm_mulaw pcm_alaw);

sub ca_auth ($x) {
  my $h = $x->{c}->req->headers;
  return key_check('cartesia', $h->header('X-API-Key') // bearer($x->{c}));
}

my @CA_VOICES = (
  ['a0e99841-438c-4a64-b679-ae501e7d6091', 'Barbershop Man', 'masculine', 'en'],
  ['694f9389-aac1-45b6-b726-9d9369183238', 'Sarah', 'feminine', 'en'],
  ['b7d50908-b17c-442d-ad8d-810c63997ed9', 'California Girl', 'feminine', 'en'],
  ['87748186-23bb-4158-a1eb-332911b0b708', 'Wizardman', 'gender_neutral', 'de'],
);

# GET /voices (Cartesia-Version 2025-04-16): {data:[...], has_more, next_page}
sub ca_voices ($x) {
  return unless authed($x);
  my $c = $x->{c};
  return fail($x, 400, message => 'Cartesia-Version header is required in YYYY-MM-DD form')
    unless ($c->req->headers->header('Cartesia-Version') // '') =~ /^\d{4}-\d{2}-\d{2}$/;
  my $limit = $c->req->url->query->param('limit') // 10;
  return fail($x, 400, message => 'limit must be between 1 and 100') unless $limit =~ /^\d+$/ && $limit >= 1 && $limit <= 100;
  my @v = @CA_VOICES[0 .. min($limit, scalar @CA_VOICES) - 1];
  reply_json($x, {data => [map { {id => $_->[0], user_id => undef, is_public => true, is_owner => false, name => $_->[1],
    description => "$_->[1], a voice for the mock", created_at => '2024-05-06T00:00:00Z', gender => $_->[2],
    language => $_->[3]} } @v], has_more => @v < @CA_VOICES ? true : false, next_page => undef});
}

sub ca_tts ($x) {
  my $c = $x->{c};
  my $ver = $c->req->headers->header('Cartesia-Version');
  return fail($x, 400, message => 'Cartesia-Version header is required in YYYY-MM-DD form') unless defined $ver;
  return fail($x, 400, message => 'Invalid Cartesia-Version header') unless $ver =~ /^20\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/ && $ver ge '2024-06-10';
  return unless authed($x);
  my $d = eval { decode_json($c->req->body) };
  return fail($x, 400, message => 'Invalid JSON body.') unless ref $d eq 'HASH';
  my $bad = sub ($m) { fail($x, 400, message => $m) };
  return $bad->('model_id is required') unless is_str($d->{model_id});
  return $bad->("Invalid model_id: $d->{model_id}") unless $d->{model_id} =~ /^sonic(?:-[a-z0-9.]+)*$/;
  return $bad->('transcript is required') unless is_str($d->{transcript});
  return $bad->('transcript must not be empty') unless $d->{transcript} =~ /\S/;
  my $v = $d->{voice};
  return $bad->('voice is required') unless ref $v eq 'HASH';
  return $bad->("voice.mode must be 'id'") unless ($v->{mode} // '') eq 'id';
  return $bad->('voice.id is required') unless is_str($v->{id}) && length $v->{id};
  return fail($x, 404, message => "Voice not found: $v->{id}") unless $CA_VOICES{$v->{id}} || $v->{id} =~ /^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$/;
  my $o = $d->{output_format};
  return $bad->('output_format is required') unless ref $o eq 'HASH';
  my $cont = $o->{container} // '';
  return $bad->("Invalid output_format.container: '$cont' (expected raw, wav or mp3)") unless $cont =~ /^(?:raw|wav|mp3)$/;
  return $bad->("output_format.sample_rate must be one of @CA_RATES") unless defined $o->{sample_rate} && List::Util::any { $_ eq $o->{sample_rate} } @CA_RATES;
  if ($cont eq 'mp3') {
    return $bad->('output_format.bit_rate is required for mp3') unless defined $o->{bit_rate} && List::Util::any { $_ eq $o->{bit_rate} } qw(32000 64000 96000 128000 192000);
  } else {
    return $bad->("output_format.encoding must be one of pcm_f32le, pcm_s16le, pcm_mulaw, pcm_alaw") unless $CA_ENC{$o->{encoding} // ''};
    return $bad->("output_format.bit_rate is not allowed for container $cont") if defined $o->{bit_rate};
  }
  return $bad->("Invalid language: $d->{language}") if defined $d->{language} && !(is_str($d->{language}) && $d->{language} =~ /^[a-z]{2}$/);
  if (defined(my $g = $d->{generation_config})) {
    return $bad->('generation_config must be an object') unless ref $g eq 'HASH';
    return $bad->('generation_config.speed must be between 0.6 and 1.5')
      if defined $g->{speed} && !(is_num($g->{speed}) && $g->{speed} >= 0.6 && $g->{speed} <= 1.5);
  }
  my @wav = $cont eq 'wav' ? (wav => [$o->{sample_rate}, @{{pcm_s16le => [1, 16], pcm_f32le => [3, 32], pcm_alaw => [6, 8], pcm_mulaw => [7, 8]}->{$o->{encoding}}}]) : ();
  reply_audio($x, {raw => 'application/octet-stream', wav => 'audio/wav', mp3 => 'audio/mpeg'}->{$cont}, {'Cartesia-Version' => $ver}, @wav);
}

# --------------------------------------------------------------------------
# Google Cloud Text-to-Speech  (base https://texttospeech.googleapis.com/v1)
# --------------------------------------------------------------------------
# Google's JSON: pretty-printed (two spaces) unless ?prettyPrint=false
my $GG_PRETTY = JSON::PP->new->utf8->canonical->indent->space_after->indent_length(2);
my $GG_TYPE = 'type.googleapis.com/google.cloud.texttospeech.v1.';
# proto3 JSON: each message's fields (lowerCamel; the snake_case name works too) and their types
my %GG_MSG = (
  SynthesizeSpeechRequest => {input => 'SynthesisInput', voice => 'VoiceSelectionParams', audioConfig => 'AudioConfig',
    advancedVoiceOptions => 'AdvancedVoiceOptions'},
  SynthesisInput => {text => 'TYPE_STRING', ssml => 'TYPE_STRING', markup => 'TYPE_STRING', prompt => 'TYPE_STRING',
    multiSpeakerMarkup => 'MultiSpeakerMarkup', customPronunciations => 'CustomPronunciations'},
  VoiceSelectionParams => {languageCode => 'TYPE_STRING', name => 'TYPE_STRING', modelName => 'TYPE_STRING',
    ssmlGender => 'SsmlVoiceGender', customVoice => 'CustomVoiceParams', voiceClone => 'VoiceCloneParams'},
  AudioConfig => {audioEncoding => 'AudioEncoding', speakingRate => 'TYPE_DOUBLE', pitch => 'TYPE_DOUBLE',
    volumeGainDb => 'TYPE_DOUBLE', sampleRateHertz => 'TYPE_INT32', effectsProfileId => 'TYPE_STRING[]'},
  AdvancedVoiceOptions => {lowLatencyJourneySynthesis => 'TYPE_BOOL'},
);
my %GG_ENUM = (
  AudioEncoding => {AUDIO_ENCODING_UNSPECIFIED => 0, LINEAR16 => 1, MP3 => 2, OGG_OPUS => 3, MULAW => 5, ALAW => 6, PCM => 7, M4A => 8},
  SsmlVoiceGender => {SSML_VOICE_GENDER_UNSPECIFIED => 0, MALE => 1, FEMALE => 2, NEUTRAL => 3},
);
my %GG_ONEOF = (SynthesisInput => ['input_source', qw(text ssml markup multiSpeakerMarkup)]);
my %GG_SYSPARAMS = map { $_ => 1 } qw(key prettyPrint alt fields quotaUser $.xgafv access_token callback upload_protocol uploadType);
my %GG_RATES = (OGG_OPUS => [8000, 12000, 16000, 24000, 48000], MP3 => [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000]);
my %GG_WAV = (LINEAR16 => [1, 16], MULAW => [7, 8], ALAW => [6, 8]);   # WAVE format tag, bits per sample
my $GG_VOICE = qr/^([a-z]{2,3}-[A-Z]{2})-(?:Standard|Wavenet|Neural2|News|Studio|Polyglot|Journey|Casual|Chirp-HD|Chirp3-HD)-(?:[A-Z]|[A-Z][a-z]+)$/;
my @GG_VOICES = (['en-US-Standard-C', 'FEMALE'], ['en-US-Standard-D', 'MALE'], ['en-US-Neural2-C', 'FEMALE'],
  ['en-US-Wavenet-D', 'MALE'], ['en-US-Chirp3-HD-Kore', 'FEMALE'], ['en-GB-Neural2-B', 'MALE'], ['fr-FR-Neural2-A', 'FEMALE'],
  ['cmn-CN-Wavenet-A', 'FEMALE']);
my $GG_MAX_INPUT = 5000;                            # bytes of input.text / input.ssml / input.markup
my $GG_NOKEY = "Method doesn't allow unregistered callers (callers without established identity). "
  . 'Please use API Key or other form of API consumer identity to call this API.';
my $GG_BADKEY = 'API key not valid. Please pass a valid API key.';
my %GG_ERR = (
  400 => [INVALID_ARGUMENT => 'Request contains an invalid argument.'],
  401 => [UNAUTHENTICATED => 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or '
    . 'other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'],
  403 => [PERMISSION_DENIED => 'The caller does not have permission'],
  404 => [NOT_FOUND => 'Requested entity was not found.'],
  422 => [INVALID_ARGUMENT => 'Request contains an invalid argument.'],
  429 => [RESOURCE_EXHAUSTED => "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service "
    . "'texttospeech.googleapis.com' for consumer 'project_number:000000000000'."],
  500 => [INTERNAL => 'Internal error encountered.'],
  502 => [UNAVAILABLE => 'Bad Gateway'],
  503 => [UNAVAILABLE => 'The service is currently unavailable.'],
);

sub gg_snake ($n) { $n =~ s/([A-Z])/_\l$1/gr }
sub gg_encoder ($x) { ($x->{c}->req->url->query->param('prettyPrint') // '') eq 'false' ? $JSON : $GG_PRETTY }
sub gg_quote ($v) { ref $v || is_str($v) ? JSON::PP->new->allow_nonref->canonical->encode($v) : $v }

sub gg_error ($x, $st, %o) {
  if ($o{route}) {                                  # Google's front end, not the API, answers unknown URLs
    my $path = Mojo::Util::xml_escape($x->{path});
    return ('text/html; charset=UTF-8', encode('UTF-8', "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
      . "  <title>Error 404 (Not Found)!!1</title>\n  <p><b>404.</b> <ins>That\x{2019}s an error.</ins>\n"
      . "  <p>The requested URL <code>$path</code> was not found on this server.  <ins>That\x{2019}s all we know.</ins>\n"));
  }
  my $d = $GG_ERR{$st} // $GG_ERR{500};
  my %err = (code => 0 + $st, message => $o{message} // $d->[1], status => $d->[0], $o{details} ? (details => $o{details}) : ());
  return ('application/json; charset=UTF-8', gg_encoder($x)->encode({error => \%err}));
}

# the key: X-Goog-Api-Key or ?key=; a bad one is 400, none 403 (401 for an OAuth token the mock does not know)
sub gg_auth ($x) {
  my $req = $x->{c}->req;
  my $key = $req->headers->header('X-Goog-Api-Key') // $req->url->query->param('key');
  return defined $req->headers->authorization ? {http_status => 401} : {http_status => 403, message => $GG_NOKEY} unless defined $key;
  return undef if $key eq mock_key($x->{p});
  return {http_status => 400, message => $GG_BADKEY, details => [
    {'@type' => 'type.googleapis.com/google.rpc.ErrorInfo', reason => 'API_KEY_INVALID', domain => 'googleapis.com',
      metadata => {service => 'texttospeech.googleapis.com'}},
    {'@type' => 'type.googleapis.com/google.rpc.LocalizedMessage', locale => 'en-US', message => $GG_BADKEY}]};
}

# a request Google could not parse (with BadRequest details), or one it refuses
sub gg_invalid ($x, $msg, $field = '') {
  fail($x, 400, message => $msg, details => [{'@type' => 'type.googleapis.com/google.rpc.BadRequest',
    fieldViolations => [{length $field ? (field => $field) : (), description => $msg}]}]);
}
sub gg_bad ($x, $msg) { fail($x, 400, message => $msg) }

sub gg_query ($x, @more) {
  my %ok = (%GG_SYSPARAMS, map { $_ => 1 } @more);
  for my $n (@{$x->{c}->req->url->query->names}) {
    next if $ok{$n};
    gg_invalid($x, "Invalid JSON payload received. Unknown name \"$n\": Cannot bind query parameter. Field '$n' could not be found in request message.");
    return 0;
  }
  return 1;
}

# proto3 JSON parsing of one message: (the fields by lowerCamel name, undef) or (undef, [message, field])
sub gg_parse ($type, $obj, $path) {
  my $fields = $GG_MSG{$type} or return ($obj, undef);        # not checked further
  my (%out, %name);
  $name{$_} = $name{gg_snake($_)} = $_ for keys %$fields;
  my ($oneof, @members) = @{$GG_ONEOF{$type} // []};
  for my $k (sort keys %$obj) {
    my $f = $name{$k} // return (undef, ["Invalid JSON payload received. Unknown name \"$k\""
      . (length $path ? " at '$path'" : '') . ': Cannot find field.', $path]);
    my ($v, $ft) = ($obj->{$k}, $fields->{$f});
    next unless defined $v;                                    # null: the default
    my $fp = (length $path ? "$path." : '') . gg_snake($f);
    my $bad = ["Invalid value at '$fp' (" . ($ft =~ /^TYPE_/ ? $ft =~ s/\[\]$//r : "$GG_TYPE$ft") . '), ' . gg_quote($v), $fp];
    if ($ft eq 'TYPE_STRING') { return (undef, $bad) unless is_str($v) }
    elsif ($ft eq 'TYPE_STRING[]') { return (undef, $bad) unless ref $v eq 'ARRAY' && !grep { !is_str($_) } @$v }
    elsif ($ft eq 'TYPE_BOOL') { return (undef, $bad) unless is_bool($v) }
    elsif ($ft eq 'TYPE_DOUBLE') {
      return (undef, $bad) unless is_num($v) || (is_str($v) && $v =~ /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/);
      $v += 0;
    } elsif ($ft eq 'TYPE_INT32') {
      return (undef, $bad) unless (is_num($v) || is_str($v)) && $v =~ /^-?\d+(?:\.0*)?$/ && abs($v) < 2**31;
      $v = int $v;
    } elsif (my $enum = $GG_ENUM{$ft}) {                        # a name or a number
      my %by_num = reverse %$enum;
      $v = is_num($v) ? $by_num{$v} : exists $enum->{$v} ? $v : undef;
      return (undef, $bad) unless defined $v;
    } else {
      return (undef, $bad) unless ref $v eq 'HASH';
      my $err;
      ($v, $err) = gg_parse($ft, $v, $fp);
      return (undef, $err) if $err;
    }
    if ($oneof && grep { $_ eq $f } @members) {
      return (undef, ["Invalid JSON payload received. Oneof field '$oneof' is already set. Cannot set '" . gg_snake($f) . "'", $fp])
        if grep { exists $out{$_} } @members;
    }
    $out{$f} = $v;
  }
  return (\%out, undef);
}

sub gg_synthesize ($x) {
  my $c = $x->{c};
  return unless authed($x) && gg_query($x);
  my $raw = $c->req->body;
  my $d = length $raw ? eval { decode_json($raw) } : {};       # no body: every field unset
  return gg_invalid($x, 'Invalid JSON payload received. Unexpected token.') unless ref $d eq 'HASH';
  my ($r, $err) = gg_parse('SynthesizeSpeechRequest', $d, '');
  return gg_invalid($x, @$err) if $err;
  my ($in, $voice, $ac) = map { $r->{$_} // {} } qw(input voice audioConfig);

  my ($src) = grep { length($in->{$_} // '') } qw(text ssml markup);
  return gg_bad($x, 'Either `input.text` or `input.ssml` must be set.') unless $src || $in->{multiSpeakerMarkup};
  return gg_bad($x, 'Either `input.text` or `input.ssml` is longer than the limit of 5000 bytes. This limit is different '
    . 'from quotas. To fix, reduce the byte length of the characters in this request, or consider using the Long Audio API: '
    . 'https://cloud.google.com/text-to-speech/docs/create-audio-text-long-audio-synthesis.')
    if $src && length(encode('UTF-8', $in->{$src})) > $GG_MAX_INPUT;

  my ($lang, $name) = map { $voice->{$_} // '' } qw(languageCode name);
  return gg_bad($x, 'Voice language code is required.') unless length $lang;
  if (length $name) {
    my ($vl) = $name =~ $GG_VOICE or return gg_bad($x, "Voice '$name' does not exist. Is it misspelled?");
    $vl = lc $vl;
    return gg_bad($x, "Requested language code '$lang' doesn't match the voice '$name''s language code '$vl'. "
      . "Either pick a different voice, or change the requested language code to $vl.") unless lc $lang eq $vl;
  }

  my $enc = $ac->{audioEncoding} // 'AUDIO_ENCODING_UNSPECIFIED';
  return gg_bad($x, 'audio_config.audio_encoding must be specified.') if $enc eq 'AUDIO_ENCODING_UNSPECIFIED';
  my ($speed, $pitch, $gain, $rate) = map { $ac->{$_} // 0 } qw(speakingRate pitch volumeGainDb sampleRateHertz);
  return gg_bad($x, "speaking_rate $speed is out of range: it must be in [0.25, 2.0].") if $speed && ($speed < 0.25 || $speed > 2);
  return gg_bad($x, "pitch $pitch is out of range: it must be in [-20.0, 20.0].") if abs $pitch > 20;
  return gg_bad($x, "volume_gain_db $gain is out of range: it must be in [-96.0, 16.0].") if $gain < -96 || $gain > 16;
  if ($rate) {
    my $ok = $GG_RATES{$enc} ? List::Util::any { $_ == $rate } @{$GG_RATES{$enc}} : $rate >= 8000 && $rate <= 48000;
    return gg_bad($x, "sample_rate_hertz $rate is not supported for audio encoding $enc.") unless $ok;
  }

  my $audio = mock_audio($x->{p}, $x->{beh}{bytes} // 16000);
  if (my $w = $GG_WAV{$enc}) {                                   # LINEAR16, MULAW, ALAW: a WAV file
    my ($tag, $bits) = @$w;
    my ($hz, $align) = ($rate || 24000, $bits / 8);
    # PCM: the canonical 44-byte header; G.711 (not PCM): an 18-byte fmt and a
    # fact chunk, as WAV writers make it (58 bytes): a client must read the chunks
    my $fmt = $tag == 1 ? pack('v v V V v v', $tag, 1, $hz, $hz * $align, $align, $bits)
                        : pack('v v V V v v v', $tag, 1, $hz, $hz * $align, $align, $bits, 0);
    my $fact = $tag == 1 ? '' : pack('A4 V V', 'fact', 4, length($audio) / $align);
    my $chunks = pack('A4 V', 'fmt ', length $fmt) . $fmt . $fact . pack('A4 V', 'data', length $audio);
    $audio = pack('A4 V A4', 'RIFF', 4 + length($chunks) + length($audio), 'WAVE') . $chunks . $audio;
  }
  reply_json($x, {audioContent => encode_base64($audio, '')}, 200, {'Content-Type' => 'application/json; charset=UTF-8'},
    encoder => gg_encoder($x), audio => 1);
}

sub gg_voices ($x) {
  return unless authed($x) && gg_query($x, 'languageCode');
  my $lang = lc($x->{c}->req->url->query->param('languageCode') // '');
  my @v = grep { lc(substr $_->[0], 0, length $lang) eq $lang } @GG_VOICES;
  reply_json($x, {voices => [map { {languageCodes => [$_->[0] =~ /^([a-z]+-[A-Z]+)/], name => $_->[0], ssmlGender => $_->[1],
    naturalSampleRateHertz => 24000} } @v]}, 200, {'Content-Type' => 'application/json; charset=UTF-8'}, encoder => gg_encoder($x));
}

# --------------------------------------------------------------------------
# Microsoft Azure Speech  (TTS https://<region>.tts.speech.microsoft.com,
# tokens https://<region>.api.cognitive.microsoft.com/sts/v1.0)
# --------------------------------------------------------------------------
my %az_tokens;                                       # token => expiry (epoch seconds)
my $AZ_SECRET = 'waav-mock-azure';
my $AZ_DENIED = 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid '
  . 'key for an active subscription and use a correct regional API endpoint for your resource.';
my %AZ_FORMATS = (
  (map { ("raw-$_-16bit-mono-pcm" => 'audio/x-wav', "riff-$_-16bit-mono-pcm" => 'audio/x-wav') }
   qw(8khz 16khz 22050hz 24khz 44100hz 48khz)),
  'raw-8khz-8bit-mono-mulaw' => 'audio/x-wav', 'raw-8khz-8bit-mono-alaw' => 'audio/x-wav',
  (map { ($_ => 'audio/mpeg') } qw(audio-16khz-32kbitrate-mono-mp3 audio-16khz-64kbitrate-mono-mp3
    audio-24khz-48kbitrate-mono-mp3 audio-24khz-96kbitrate-mono-mp3 audio-48khz-96kbitrate-mono-mp3
    audio-48khz-192kbitrate-mono-mp3)),
  (map { ("ogg-$_-16bit-mono-opus" => 'audio/ogg') } qw(16khz 24khz 48khz)),
);

sub b64url ($s) { encode_base64($s, "") =~ tr{+/}{-_}r =~ s/=+$//r }

# an HS256 JWT as Azure's would read (region, exp...), signed with the mock's secret
sub az_jwt ($ttl, $secret = $AZ_SECRET) {
  my $claims = {region => 'eastus', 'subscription-id' => hexid(32), 'product-id' => 'SpeechServices.S0',
    'cognitive-services-endpoint' => 'https://api.cognitive.microsoft.com/internal/v1.0/', scope => 'speechservices',
    aud => 'urn:ms.speechservices.eastus', exp => int(time) + $ttl, iss => 'urn:ms.cognitiveservices'};
  my $hp = b64url(encode_json({alg => 'HS256', typ => 'JWT'})) . '.' . b64url(encode_json($claims));
  return ($hp . '.' . b64url(Digest::SHA::hmac_sha256($hp, $secret)), $claims->{exp});
}

sub az_error ($x, $st, %o) {
  return ('application/json', encode_json({error => {code => "$st", message => $o{message} // $AZ_DENIED}}))
    if $x->{p} eq 'azure-token' && ($st == 401 || $st == 403);
  return ('text/plain', $o{message} // '');         # the speech host answers errors without a body
}

sub az_key_auth ($x) {
  my $key = $x->{c}->req->headers->header('Ocp-Apim-Subscription-Key');
  return defined $key && $key eq mock_key('azure') ? undef : {auth => defined $key ? 'invalid' : 'missing'};
}

my @AZ_VOICES = (['en-US-JennyNeural', 'Jenny', 'Female', 'en-US'], ['en-US-GuyNeural', 'Guy', 'Male', 'en-US'],
  ['en-GB-SoniaNeural', 'Sonia', 'Female', 'en-GB'], ['de-DE-ConradNeural', 'Conrad', 'Male', 'de-DE'],
  ['fr-CA-SylvieNeural', 'Sylvie', 'Female', 'fr-CA']);

# GET /cognitiveservices/voices/list: a JSON array, as Azure sends it
sub az_voices ($x) {
  return unless authed($x);
  reply_json($x, [map { {Name => "Microsoft Server Speech Text to Speech Voice ($_->[3], $_->[1]Neural)",
    DisplayName => $_->[1], LocalName => $_->[1], ShortName => $_->[0], Gender => $_->[2], Locale => $_->[3],
    LocaleName => $_->[3], SampleRateHertz => '24000', VoiceType => 'Neural', Status => 'GA', WordsPerMinute => '150'} } @AZ_VOICES]);
}

# the speech host: a token it issued and that has not expired, or the key itself
sub az_auth ($x) {
  my $h = $x->{c}->req->headers;
  return az_key_auth($x) if defined $h->header('Ocp-Apim-Subscription-Key');
  my $token = bearer($x->{c}) // return {auth => 'missing'};
  my $exp = $az_tokens{$token} // return {auth => 'invalid'};
  return $exp > time ? undef : {auth => 'expired'};
}

# POST /sts/v1.0/issueToken: the key for a JWT (text), valid 10 minutes;
# behaviours token_ttl (another lifetime) and token=invalid (one nobody knows)
sub az_issue_token ($x) {
  return unless authed($x);
  my $c = $x->{c};
  return fail($x, 400, message => 'The body must be empty') if length $c->req->body;
  return fail($x, 411, message => 'Length Required') unless defined $c->req->headers->content_length;
  my ($token, $exp) = az_jwt($x->{beh}{token_ttl} // 600, ($x->{beh}{token} // '') eq 'invalid' ? 'not-the-mock' : $AZ_SECRET);
  $az_tokens{$token} = $exp unless ($x->{beh}{token} // '') eq 'invalid';
  deliver($x, 200, {'Content-Type' => 'application/jwt; charset=us-ascii'}, $token);
}

# POST /cognitiveservices/v1: SSML as the speech host reads it
sub az_speak ($x) {
  return unless authed($x);
  my $c = $x->{c};
  my $h = $c->req->headers;
  return fail($x, 400, message => 'Content-Type must be application/ssml+xml')
    unless ($h->content_type // '') =~ m{^application/ssml\+xml\b};
  my $fmt = $h->header('X-Microsoft-OutputFormat') // 'riff-24khz-16bit-mono-pcm';
  return fail($x, 400, message => "Unsupported output format: $fmt") unless $AZ_FORMATS{$fmt};
  my $ssml = decode('UTF-8', $c->req->body) // return fail($x, 400, message => 'SSML is not UTF-8');
  my ($lang, $voice, $inner) = $ssml =~ m{^<speak version='1\.0' xmlns='http://www\.w3\.org/2001/10/synthesis' xml:lang='([^'<&]+)'>\s*<voice name='([^'<&]+)'>(.*)</voice>\s*</speak>$}s
    or return fail($x, 400, message => 'Invalid SSML');
  return fail($x, 400, message => "Unknown xml:lang '$lang'") unless $lang =~ /^[a-z]{2,3}-[A-Z]{2}$/;
  return fail($x, 400, message => "Unknown voice '$voice'") unless $voice =~ /^[a-z]{2,3}-[A-Z]{2}-[A-Za-z]+Neural$/;
  if ($inner =~ m{^<prosody rate='([^']*)'>(.*)</prosody>$}s) {
    my $rate = $1;
    $inner = $2;
    return fail($x, 400, message => "Invalid prosody rate '$rate'") unless $rate =~ /^\d+(?:\.\d+)?$/ && $rate >= 0.5 && $rate <= 2;
  }
  # the text: no markup, and only XML's entities
  return fail($x, 400, message => 'Invalid SSML: markup in the text') if $inner =~ /[<>]/;
  return fail($x, 400, message => 'Invalid SSML: an unknown entity')
    if $inner =~ /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  return fail($x, 400, message => 'Invalid SSML: a character XML cannot carry') if $inner =~ /[\x00-\x08\x0b\x0c\x0e-\x1f]/;
  my @wav = $fmt =~ /^riff-(\d+)(khz|hz)-16bit/ ? (wav => [$2 eq 'khz' ? $1 * 1000 : $1, 1, 16]) : ();
  reply_audio($x, $AZ_FORMATS{$fmt}, {}, @wav);
}

# --------------------------------------------------------------------------
# IBM Watson  (TTS https://api.<region>.text-to-speech.watson.cloud.ibm.com
# /instances/<id>, STT the speech-to-text host likewise: the prefix
# ibm-watson-stream; IAM tokens https://iam.cloud.ibm.com/identity/token)
# --------------------------------------------------------------------------
my %ibm_tokens;                                      # token => expiry (epoch seconds)
my $IBM_INSTANCE = 'mock-ibm-watson-instance-id';    # Waav::Run::mock_env's
my $IBM_GRANT = 'urn:ibm:params:oauth:grant-type:apikey';
my %IBM_ACCEPT = (wav => 1, mp3 => 1, flac => 1, l16 => 1, mulaw => 1, alaw => 1, ogg => 1);
my %IBM_STT_TYPES = map { $_ => 1 } qw(audio/wav audio/mp3 audio/mpeg audio/ogg audio/webm audio/flac audio/l16 audio/mulaw audio/basic);

sub ibm_error ($x, $st, %o) {
  if ($x->{p} eq 'ibm-watson-token') {
    my %iam = (400 => ['BXNIM0415E', 'Provided API key could not be found.'], 401 => ['BXNIM0109E', 'Property missing or empty.']);
    my ($code, $msg) = @{$iam{$st} // ["BXNIM0$st" . 'E', $o{message} // 'Error']};
    return ('application/json', encode_json({errorCode => $code, errorMessage => $o{message} // $msg,
      context => {requestId => hexid(32), requestType => 'incoming.Identity_Token'}}));
  }
  my %msg = (401 => 'Unauthorized', 404 => 'Not Found', 406 => 'Not Acceptable', 415 => 'Unsupported Media Type');
  return ('application/json', encode_json({code => 0 + $st, error => $o{message} // $msg{$st} // 'Error',
    code_description => $msg{$st} // 'Error'}));
}

# the speech hosts: a token IAM issued and that has not expired, or HTTP
# Basic apikey:<key>
sub ibm_auth ($x) {
  my $auth = $x->{c}->req->headers->authorization // return {auth => 'missing'};
  if ($auth =~ /^Basic\s+(\S+)$/) {
    my $cred = decode_base64($1);
    return $cred eq 'apikey:' . mock_key('ibm-watson') ? undef : {auth => 'invalid'};
  }
  my $token = bearer($x->{c}) // return {auth => 'invalid'};
  my $exp = $ibm_tokens{$token} // return {auth => 'invalid'};
  return $exp > time ? undef : {auth => 'expired'};
}

# IAM: the form's apikey is the check (the endpoint itself takes no auth)
sub ibm_iam_auth ($x) { undef }

# POST /identity/token: grant_type + apikey, form-encoded, for a JWT;
# behaviours token_ttl (another lifetime) and token=invalid (one nobody knows)
sub ibm_token ($x) {
  my $c = $x->{c};
  my $h = $c->req->headers;
  return fail($x, 400, message => 'Content-Type must be application/x-www-form-urlencoded')
    unless ($h->content_type // '') =~ m{^application/x-www-form-urlencoded\b}i;
  my $form = Mojo::Parameters->new($c->req->body);
  my @names = sort @{$form->names};
  return fail($x, 400, message => 'Unexpected form fields: ' . join(',', @names))
    unless "@names" eq 'apikey grant_type' && @{$form->every_param('apikey')} == 1;
  return fail($x, 400, message => 'Provided grant type is invalid.') unless ($form->param('grant_type') // '') eq $IBM_GRANT;
  return fail($x, 400) unless ($form->param('apikey') // '') eq mock_key('ibm-watson');
  my $ttl = $x->{beh}{token_ttl} // 3600;
  my $bad = ($x->{beh}{token} // '') eq 'invalid';
  my $claims = {iam_id => 'iam-ServiceId-' . hexid(8), sub => 'ServiceId-' . hexid(8), iat => int(time), exp => int(time) + $ttl,
    iss => 'https://iam.cloud.ibm.com/identity', grant_type => $IBM_GRANT, scope => 'ibm openid'};
  my $hp = b64url(encode_json({alg => 'RS256', typ => 'JWT', kid => '20250101'})) . '.' . b64url(encode_json($claims));
  my $token = $hp . '.' . b64url(Digest::SHA::hmac_sha256($hp, $bad ? 'not-the-mock' : 'waav-mock-ibm'));
  $ibm_tokens{$token} = $claims->{exp} unless $bad;
  reply_json($x, {access_token => $token, refresh_token => 'not_supported', ims_user_id => 1234567, token_type => 'Bearer',
    expires_in => $ttl, expiration => $claims->{exp}, scope => 'ibm openid'});
}

sub ibm_instance ($x, $id) {
  return 1 if $id eq $IBM_INSTANCE;
  fail($x, 404, message => "Instance $id not found");
  return 0;
}

# POST /instances/<id>/v1/synthesize?voice=...: {"text"}, Accept the format
sub ibm_synthesize ($x, $id) {
  return unless authed($x) && ibm_instance($x, $id);
  my $c = $x->{c};
  my $h = $c->req->headers;
  my $q = $c->req->url->query;
  return fail($x, 415, message => 'Content-Type must be application/json') unless ($h->content_type // '') =~ m{^application/json\b};
  my $d = eval { decode_json($c->req->body) };
  return fail($x, 400, message => 'Invalid JSON input') unless ref $d eq 'HASH' && is_str($d->{text}) && length $d->{text};
  return fail($x, 400, message => "Unknown arguments: " . join(',', grep { $_ ne 'text' } sort keys %$d)) if keys %$d > 1;
  my $voice = $q->param('voice') // 'en-US_MichaelV3Voice';
  return fail($x, 404, message => "Model '$voice' not found") unless $voice =~ /^[a-z]{2}-[A-Z]{2}_[A-Za-z]+V3Voice$/;
  my $rp = $q->param('rate_percentage');
  return fail($x, 400, message => 'rate_percentage must be an integer from -100 to 100')
    if defined $rp && !($rp =~ /^-?\d+$/ && $rp >= -100 && $rp <= 100);
  my $accept = $h->header('Accept') // 'audio/ogg;codecs=opus';
  my ($type, $params) = $accept =~ m{^audio/([a-z0-9]+)((?:;[^;]*)*)$};
  return fail($x, 406, message => "Unsupported Accept: $accept") unless $type && $IBM_ACCEPT{$type};
  my %p = map { my ($k, $v) = split /=/, $_, 2; ($k => $v) } grep { length } split /;/, $params // '';
  return fail($x, 400, message => "audio/$type requires a rate") if $type =~ /^(l16|mulaw|alaw)$/ && !defined $p{rate};
  return fail($x, 400, message => 'Invalid rate') if defined $p{rate} && $p{rate} !~ /^\d+$/;
  my @wav = $type eq 'wav' ? (wav => [$p{rate} // 22050, 1, 16]) : ();
  reply_audio($x, $accept, {}, @wav);
}

my @IBM_VOICES = (['en-US_AllisonV3Voice', 'female', 'Allison: American English female voice.'],
  ['en-US_MichaelV3Voice', 'male', 'Michael: American English male voice.'],
  ['en-GB_KateV3Voice', 'female', 'Kate: British English female voice.'],
  ['de-DE_DieterV3Voice', 'male', 'Dieter: Standard German male voice.']);

sub ibm_voices ($x, $id) {
  return unless authed($x) && ibm_instance($x, $id);
  my $base = 'https://api.us-south.text-to-speech.watson.cloud.ibm.com/instances/' . $id;
  reply_json($x, {voices => [map { {name => $_->[0], language => substr($_->[0], 0, 5), gender => $_->[1],
    description => $_->[2], url => "$base/v1/voices/$_->[0]", customizable => true,
    supported_features => {custom_pronunciation => true, voice_transformation => false}} } @IBM_VOICES]});
}

# POST /instances/<id>/v1/recognize?model=...: the audio, its type said
sub ibm_recognize ($x, $id) {
  return unless authed($x) && ibm_instance($x, $id);
  my $c = $x->{c};
  my $q = $c->req->url->query;
  my $ct = $c->req->headers->content_type // '';
  my ($type) = $ct =~ m{^(audio/[a-z0-9]+)}i;
  return fail($x, 415, message => "Unsupported Content-Type: $ct") unless $type && $IBM_STT_TYPES{lc $type};
  return fail($x, 400, message => 'audio/l16 requires a rate') if lc $type eq 'audio/l16' && $ct !~ /;\s*rate=\d+/;
  my $model = $q->param('model') // 'en-US_BroadbandModel';
  return fail($x, 404, message => "Model $model not found") unless $model =~ /^[a-z]{2}-[A-Z]{2}_(?:Multimedia|Telephony|BroadbandModel|NarrowbandModel)$/;
  for my $b (qw(timestamps word_confidence smart_formatting)) {
    my $v = $q->param($b) // next;
    return fail($x, 400, message => "Invalid value for $b: $v") unless $v =~ /^(?:true|false)$/;
  }
  my $body = $c->req->body;
  return fail($x, 400, message => 'No speech detected for 30s.') unless length $body;
  my $dur = lc $type eq 'audio/wav' ? audio_duration($body) : $DEFAULT_DURATION;
  my $smart = ($q->param('smart_formatting') // '') eq 'true';
  my @t = @{word_times($dur)};
  # two phrases, as IBM splits a recording at its pauses
  my @phrases = ([@t[0 .. 1]], [@t[2 .. $#t]]);
  my @results = map {
    my $ws = $_;
    my $text = join(' ', map { $_->[0] } @$ws) . ' ';
    {final => true, alternatives => [{transcript => $text, confidence => 0.9,
      ($q->param('timestamps') // '') eq 'true' ? (timestamps => [map { [$_->[0], r3($_->[1]), r3($_->[2])] } @$ws]) : (),
      ($q->param('word_confidence') // '') eq 'true' ? (word_confidence => [map { [$_->[0], 0.95] } @$ws]) : ()}]}
  } @phrases;
  $results[0]{alternatives}[0]{transcript} = ucfirst $results[0]{alternatives}[0]{transcript} if $smart;
  reply_json($x, {result_index => 0, results => \@results});
}

# --------------------------------------------------------------------------
# AssemblyAI  (base https://api.assemblyai.com)
# --------------------------------------------------------------------------
my %AAI_MODELS = map { $_ => 1 } qw(best nano slam-1 universal universal-2 universal-3-pro);
my @AAI_BOOLS = qw(punctuate format_text speaker_labels language_detection disfluencies filter_profanity multichannel auto_highlights);

sub aai_auth ($x) { key_check('assemblyai', $x->{c}->req->headers->authorization) }

sub aai_upload ($x) {
  return unless authed($x);
  my $body = $x->{c}->req->body;
  return fail($x, 400, message => 'Upload failed: the request body is empty.') unless length $body;
  my $id = uuid4();
  $uploads{$id} = $body;
  my $tx = $x->{tx};
  reply_json($x, {upload_url => sprintf('http://%s:%s/assemblyai/files/%s', $tx->local_address, $tx->local_port, $id)});
}

sub aai_file ($x, $id) {
  return unless authed($x);
  return fail($x, 404, message => 'File not found') unless exists $uploads{$id};
  deliver($x, 200, {'Content-Type' => 'application/octet-stream'}, $uploads{$id});
}

sub aai_object ($t) {
  my $p = $t->{params};
  my %o = (id => $t->{id}, status => $t->{status}, audio_url => $p->{audio_url}, language_code => $p->{language_code} // 'en_us',
    speech_model => $p->{speech_model}, punctuate => $p->{punctuate} // true, format_text => $p->{format_text} // true,
    speaker_labels => $p->{speaker_labels} // false, language_model => 'assemblyai_default', acoustic_model => 'assemblyai_default',
    webhook_url => $p->{webhook_url}, text => undef, words => undef, utterances => undef, confidence => undef, audio_duration => undef);
  if ($t->{status} eq 'error') { $o{error} = $t->{error} }
  elsif ($t->{status} eq 'completed') {
    my $pretty = !(is_bool($o{punctuate}) && !$o{punctuate});
    my $spk = is_bool($o{speaker_labels}) && $o{speaker_labels} ? 'A' : undef;
    my @w = map { {text => ($pretty && $_->[0] eq $WORDS[0] ? ucfirst $_->[0] : $_->[0]) . ($pretty && $_->[0] eq $WORDS[-1] ? '.' : ''),
      start => int($_->[1] * 1000), end => int($_->[2] * 1000), confidence => 0.98, speaker => $spk} } @{word_times($t->{duration})};
    @o{qw(text words confidence audio_duration)} = ($pretty ? $PRETTY : $PLAIN, \@w, 0.98, max(1, int($t->{duration} + 0.5)));
    $o{utterances} = [{speaker => 'A', text => $o{text}, start => $w[0]{start}, end => $w[-1]{end}, confidence => 0.98, words => \@w}] if $spk;
  }
  return \%o;
}

sub aai_create ($x) {
  my $c = $x->{c};
  return unless authed($x);
  my $d = eval { decode_json($c->req->body) };
  return fail($x, 400, message => 'Invalid JSON in request body.') unless ref $d eq 'HASH';
  return fail($x, 400, message => 'audio_url is required.') unless is_str($d->{audio_url}) && length $d->{audio_url};
  return fail($x, 400, message => "Invalid audio_url: $d->{audio_url}. Please provide a valid URL.") unless $d->{audio_url} =~ m{^https?://\S+$};
  return fail($x, 400, message => "Invalid speech_model: '$d->{speech_model}'.") if defined $d->{speech_model} && !$AAI_MODELS{$d->{speech_model}};
  if (defined $d->{speech_models}) {
    return fail($x, 400, message => 'speech_models must be a list of valid speech models.')
      unless ref $d->{speech_models} eq 'ARRAY' && @{$d->{speech_models}} && !grep { !$AAI_MODELS{$_ // ''} } @{$d->{speech_models}};
  }
  return fail($x, 400, message => "Invalid language_code: '$d->{language_code}'.") if defined $d->{language_code} && $d->{language_code} !~ /^[a-z]{2,3}(?:_[a-z]{2})?$/;
  for my $b (@AAI_BOOLS) { return fail($x, 400, message => "$b must be a boolean.") if defined $d->{$b} && !is_bool($d->{$b}) }
  my ($final, $duration, $error) = ($x->{beh}{assemblyai_final} // 'completed', $DEFAULT_DURATION);
  if (my ($uid) = $d->{audio_url} =~ m{/assemblyai/files/([^/?#]+)$}) {
    if (exists $uploads{$uid}) { $duration = audio_duration($uploads{$uid}) }
    else { ($final, $error) = ('error', "Download error, unable to download $d->{audio_url}. Please make sure the file exists and is accessible from the internet.") }
  }
  $error //= 'Transcoding failed for the request authorized with ' . ($x->{c}->req->headers->authorization // '')
    if $x->{beh}{echo_key};
  my $t = {id => uuid4(), status => 'queued', polls => 0, final => $final, params => $d, duration => $duration,
    error => $error // 'Transcoding failed. File does not appear to contain audio. File type is application/octet-stream (data).'};
  $transcripts{$t->{id}} = $t;
  reply_json($x, aai_object($t));
}

sub aai_get ($x, $id) {
  return unless authed($x);
  my $t = $transcripts{$id} // return fail($x, 400, message => 'Transcript lookup error, transcript id not found');
  $t->{final} = $x->{beh}{assemblyai_final} if $x->{beh}{assemblyai_final};
  $t->{polls}++;
  $t->{status} = $t->{polls} == 1 || $t->{final} eq 'never' ? 'processing' : $t->{final};
  reply_json($x, aai_object($t));
}

# --------------------------------------------------------------------------
# Amazon Polly  (base https://polly.<region>.amazonaws.com), AWS Signature
# Version 4: the mock recomputes the signature from the request it got, as
# AWS does, with the secret of the access key named in the credential scope
# (Waav::Mock::mock_aws_creds); errors are restJson1's: the type in
# x-amzn-ErrorType, {"message"} in the body.
# --------------------------------------------------------------------------
my %AWS_CREDS = map { my @c = mock_aws_creds($_); ($c[0] => {secret => $c[1], token => $c[2]}) } 0, 1;
my $AWS_REGION = $ENV{MOCK_AWS_REGION} // 'us-east-1';
my $AWS_CORAL = ':http://internal.amazon.com/coral/com.amazon.coral.service/';
my %PL_ERR = (400 => 'ValidationException', 403 => 'AccessDeniedException', 404 => 'UnknownOperationException',
  429 => 'ThrottlingException', 500 => 'ServiceFailureException', 503 => 'ServiceUnavailableException');
# Id, Name, Gender, LanguageCode, LanguageName, SupportedEngines
my @PL_VOICES = (['Joanna', 'Female', 'en-US', 'US English', [qw(generative long-form neural standard)]],
  ['Matthew', 'Male', 'en-US', 'US English', [qw(generative long-form neural standard)]],
  ['Ivy', 'Female', 'en-US', 'US English', [qw(neural standard)]],
  ['Amy', 'Female', 'en-GB', 'British English', [qw(generative neural standard)]],
  ['Brian', 'Male', 'en-GB', 'British English', [qw(neural standard)]],
  ['Hans', 'Male', 'de-DE', 'German', [qw(standard)]], ['Lea', 'Female', 'fr-FR', 'French', [qw(generative neural standard)]]);
my %PL_VOICE = map { $_->[0] => $_ } @PL_VOICES;
my %PL_FORMATS = (mp3 => 'audio/mpeg', ogg_vorbis => 'audio/ogg', pcm => 'audio/pcm');
my %PL_RATES = (mp3 => [qw(8000 16000 22050 24000)], ogg_vorbis => [qw(8000 16000 22050 24000)], pcm => [qw(8000 16000)]);

sub pl_error ($x, $st, %o) {
  my $type = $o{type} // $PL_ERR{$st} // 'ServiceFailureException';
  my $msg = $o{message} // ($o{route} ? 'Unable to determine service/operation name to be authorized' : 'Error');
  return ('application/json', encode_json({message => $msg}),
    {'x-amzn-ErrorType' => $type . ($o{coral} ? $AWS_CORAL : ''), 'x-amzn-RequestId' => uuid4()});
}

sub aws_uri ($s) { join '', map { /[A-Za-z0-9\-._~]/ ? $_ : sprintf '%%%02X', ord } split //, $s }
sub aws_unescape ($s) { $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ger }

# the canonical request of what came: the path as sent (encoded again, as
# for every service but S3), the query re-encoded and sorted, the headers
# SignedHeaders names with their values trimmed, the body's SHA-256
sub aws_canonical ($req, $signed) {
  my @q = map { my ($n, $v) = split /=/, $_, 2; [aws_uri(aws_unescape($n)), aws_uri(aws_unescape($v // ''))] }
    grep { length } split /&/, $req->url->query->to_string;
  my $q = join '&', map {"$_->[0]=$_->[1]"} sort { $a->[0] cmp $b->[0] || $a->[1] cmp $b->[1] } @q;
  my $h = join '', map {
    my $v = join ',', map { s/^\s+|\s+$//gr =~ s/\s+/ /gr } @{$req->headers->every_header($_) // []};
    "$_:$v\n" } @$signed;
  return join "\n", $req->method, join('/', map { aws_uri($_) } split m{/}, $req->url->path->to_string, -1), $q, $h,
    join(';', @$signed), Digest::SHA::sha256_hex(raw_body($req));
}

sub pl_denied ($type, $msg) { {http_status => 403, type => $type, message => $msg, coral => 1} }

# SigV4 as AWS checks it; the reason it fails, or undef
sub pl_auth ($x) {
  my $req = $x->{c}->req;
  my $auth = $req->headers->authorization // return pl_denied('MissingAuthenticationTokenException', 'Missing Authentication Token');
  my ($akid, $date, $region, $service, $signed, $sig) = $auth
    =~ m{^AWS4-HMAC-SHA256 Credential=([^/\s]+)/(\d{8})/([^/\s]+)/([^/\s]+)/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$}
    or return pl_denied('IncompleteSignatureException', "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=$auth");
  my $cred = $AWS_CREDS{$akid} // return pl_denied('UnrecognizedClientException', 'The security token included in the request is invalid.');
  my $token = $req->headers->header('X-Amz-Security-Token');
  return pl_denied('UnrecognizedClientException', 'The security token included in the request is invalid.')
    if ($cred->{token} // '') ne ($token // '');
  return pl_denied('InvalidSignatureException', "Credential should be scoped to a valid region, not '$region'.") if $region ne $AWS_REGION;
  return pl_denied('InvalidSignatureException', "Credential should be scoped to correct service: 'polly'.") if $service ne 'polly';
  my @signed = split /;/, $signed;
  my %is = map { $_ => 1 } @signed;
  return pl_denied('IncompleteSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.") unless $is{host};
  my $amz = $req->headers->header('X-Amz-Date') // '';
  return pl_denied('IncompleteSignatureException', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.')
    unless $is{'x-amz-date'} && $amz =~ /^(\d{8})T(\d{2})(\d{2})(\d{2})Z$/;
  return pl_denied('InvalidSignatureException', "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '$date' != '$1', from '$amz'.")
    if $1 ne $date;
  my $when = Time::Local::timegm($4, $3, $2, substr($1, 6, 2), substr($1, 4, 2) - 1, substr($1, 0, 4));
  return pl_denied('InvalidSignatureException', "Signature expired: $amz is now earlier or later than 15 minutes from now.")
    if abs(time - $when) > 15 * 60;
  return pl_denied('UnrecognizedClientException', 'The security token included in the request is invalid.')
    if defined $token && !$is{'x-amz-security-token'};
  my $creq = aws_canonical($req, \@signed);
  my $sts = join "\n", 'AWS4-HMAC-SHA256', $amz, "$date/$region/$service/aws4_request", Digest::SHA::sha256_hex($creq);
  my $k = Digest::SHA::hmac_sha256($date, "AWS4$cred->{secret}");
  $k = Digest::SHA::hmac_sha256($_, $k) for $region, $service, 'aws4_request';
  return undef if Digest::SHA::hmac_sha256_hex($sts, $k) eq $sig;
  return pl_denied('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. '
    . 'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'
    . "\n\nThe Canonical String for this request should have been\n'$creq'\n\nThe String-to-Sign should have been\n'$sts'\n");
}

sub pl_invalid ($x, $what, $value, $rule) {
  fail($x, 400, message => "1 validation error detected: Value " . (defined $value ? "'$value'" : 'null')
    . " at '$what' failed to satisfy constraint: $rule");
}
sub pl_enum ($x, $what, $value, @set) { pl_invalid($x, $what, $value, 'Member must satisfy enum value set: [' . join(', ', @set) . ']') }

# POST /v1/speech (SynthesizeSpeech)
sub pl_speech ($x) {
  return unless authed($x);
  my $d = eval { decode_json($x->{c}->req->body) };
  return fail($x, 400, type => 'SerializationException', message => 'Start of structure or map found where not expected.')
    unless ref $d eq 'HASH';
  for my $f (qw(Engine OutputFormat SampleRate Text TextType VoiceId LanguageCode)) {
    return fail($x, 400, type => 'SerializationException', message => "STRING_VALUE can not be converted to a String for $f")
      if defined $d->{$f} && !is_str($d->{$f});
  }
  my ($fmt, $text, $voice) = @$d{qw(OutputFormat Text VoiceId)};
  return pl_invalid($x, 'outputFormat', undef, 'Member must not be null') unless defined $fmt;
  return pl_invalid($x, 'text', undef, 'Member must not be null') unless defined $text;
  return pl_invalid($x, 'voiceId', undef, 'Member must not be null') unless defined $voice;
  return pl_enum($x, 'outputFormat', $fmt, qw(json mp3 ogg_vorbis pcm)) unless $PL_FORMATS{$fmt} || $fmt eq 'json';
  return fail($x, 400, type => 'MarksNotSupportedForFormatException', message => 'Speech marks need SpeechMarkTypes') if $fmt eq 'json';
  my $engine = $d->{Engine} // 'standard';
  return pl_enum($x, 'engine', $engine, qw(standard neural long-form generative)) unless $engine =~ /^(?:standard|neural|long-form|generative)$/;
  my $type = $d->{TextType} // 'text';
  return pl_enum($x, 'textType', $type, qw(ssml text)) unless $type =~ /^(?:ssml|text)$/;
  return pl_enum($x, 'voiceId', $voice, sort keys %PL_VOICE) unless $PL_VOICE{$voice};
  return fail($x, 400, type => 'EngineNotSupportedException', message => "This voice does not support the selected engine: $engine")
    if none { $_ eq $engine } @{$PL_VOICE{$voice}[4]};
  my $rate = $d->{SampleRate};
  return fail($x, 400, type => 'InvalidSampleRateException', message => 'Invalid sample rate for the given output format')
    if defined $rate && none { $_ eq $rate } @{$PL_RATES{$fmt}};
  my $chars = $text;
  if ($type eq 'ssml') {
    return fail($x, 400, type => 'InvalidSsmlException', message => 'Invalid SSML request')
      unless $text =~ m{^<speak>(.*)</speak>$}s && $1 !~ /&(?!(?:amp|lt|gt|quot|apos);)/;
    $chars = $1 =~ s/<[^>]*>//gr;
  }
  return fail($x, 400, type => 'TextLengthExceededException', message => 'Maximum text length has been exceeded')
    if length($chars) > 3000 || length($text) > 6000;
  reply_audio($x, $PL_FORMATS{$fmt}, {'x-amzn-RequestCharacters' => length $chars});
}

# GET /v1/voices (DescribeVoices): ?Engine=, ?LanguageCode= filter
sub pl_voices ($x) {
  return unless authed($x);
  my $q = $x->{c}->req->url->query;
  my ($engine, $lang) = ($q->param('Engine'), $q->param('LanguageCode'));
  my @v = grep { (!defined $engine || grep { $_ eq $engine } @{$_->[4]}) && (!defined $lang || $_->[2] eq $lang) } @PL_VOICES;
  reply_json($x, {Voices => [map { {Id => $_->[0], Name => $_->[0], Gender => $_->[1], LanguageCode => $_->[2],
    LanguageName => $_->[3], SupportedEngines => $_->[4]} } @v]});
}

# --------------------------------------------------------------------------
# The provider table: prefix => auth check, error builder, routes
# --------------------------------------------------------------------------
my %PROVIDERS = (
  deepgram => {auth => \&dg_auth, error => \&dg_error, routes => [
    [POST => qr{^/v1/speak$}, \&dg_speak], [POST => qr{^/v1/listen$}, \&dg_listen], [GET => qr{^/v1/models$}, \&dg_models]]},
  elevenlabs => {auth => \&el_auth, error => \&el_error, routes => [
    [POST => qr{^/v1/text-to-speech/([^/]+)$}, sub ($x, $v) { el_tts($x, $v, 0) }],
    [POST => qr{^/v1/text-to-speech/([^/]+)/stream$}, sub ($x, $v) { el_tts($x, $v, 1) }],
    [POST => qr{^/v1/speech-to-text$}, \&el_stt], [GET => qr{^/v2/voices$}, \&el_voices],
    [POST => qr{^/v1/voices/add$}, \&el_voice_add]]},
  openai => {auth => \&oai_auth, error => \&oai_error, routes => [
    [POST => qr{^/v1/audio/speech$}, \&oai_speech], [POST => qr{^/v1/audio/transcriptions$}, \&oai_transcribe]]},
  groq => {auth => \&groq_auth, error => \&groq_error, routes => [
    [POST => qr{^/openai/v1/audio/speech$}, \&oai_speech], [POST => qr{^/openai/v1/audio/transcriptions$}, \&oai_transcribe]]},
  cartesia => {auth => \&ca_auth, error => \&ca_error, routes => [[POST => qr{^/tts/bytes$}, \&ca_tts],
    [GET => qr{^/voices/?$}, \&ca_voices]]},
  google => {auth => \&gg_auth, error => \&gg_error, routes => [
    [POST => qr{^/v1/text:synthesize$}, \&gg_synthesize], [GET => qr{^/v1/voices$}, \&gg_voices]]},
  azure => {auth => \&az_auth, error => \&az_error, routes => [[POST => qr{^/cognitiveservices/v1$}, \&az_speak],
    [GET => qr{^/cognitiveservices/voices/list$}, \&az_voices]]},
  'azure-token' => {auth => \&az_key_auth, error => \&az_error, routes => [[POST => qr{^/sts/v1\.0/issueToken$}, \&az_issue_token]]},
  'aws-polly' => {auth => \&pl_auth, error => \&pl_error, routes => [[POST => qr{^/v1/speech$}, \&pl_speech],
    [GET => qr{^/v1/voices$}, \&pl_voices]]},
  'ibm-watson' => {auth => \&ibm_auth, error => \&ibm_error, routes => [
    [POST => qr{^/instances/([^/]+)/v1/synthesize$}, \&ibm_synthesize], [GET => qr{^/instances/([^/]+)/v1/voices$}, \&ibm_voices]]},
  'ibm-watson-stream' => {auth => \&ibm_auth, error => \&ibm_error, routes => [
    [POST => qr{^/instances/([^/]+)/v1/recognize$}, \&ibm_recognize]]},
  'ibm-watson-token' => {auth => \&ibm_iam_auth, error => \&ibm_error, routes => [[POST => qr{^/identity/token$}, \&ibm_token]]},
  assemblyai => {auth => \&aai_auth, error => \&aai_error, routes => [
    [POST => qr{^/v2/upload$}, \&aai_upload], [POST => qr{^/v2/transcript$}, \&aai_create],
    [GET => qr{^/v2/transcript/([^/]+)$}, \&aai_get], [GET => qr{^/files/([^/]+)$}, \&aai_file]]},
  compat => {auth => sub {undef}, error => \&compat_error, routes => [
    [POST => qr{^/v1/audio/speech$}, \&oai_speech], [POST => qr{^/v1/audio/transcriptions$}, \&oai_transcribe]]},
);

# providers in files of their own, compiled here (each adds its rows to
# %PROVIDERS): more text-to-speech (LMNT, Play.ht, Hume), Azure's speech to
# text (short audio), Google's OAuth2 token endpoint and Speech-to-Text (and
# Bearer tokens to Google's text-to-speech)
for my $name (qw(waav-mock-tts-more.pl waav-mock-stt-azure.pl waav-mock-google.pl)) {
  my $file = File::Spec->rel2abs($name, File::Basename::dirname(File::Spec->rel2abs(__FILE__)));
  my $code = Mojo::File->new($file)->slurp;
  eval 'package ' . __PACKAGE__ . ";\n#line 1 \"$file\"\n$code\n;1" or die $@;
}

# another prefix for a provider: the registry's name where the mock's differs
# (/<name> + the path of its default base URL serves every registry provider)
my %ALIAS = ('openai-compatible' => 'compat');

sub handle ($x) {
  return fail($x, $x->{beh}{status}, forced => 1) if $x->{beh}{status};
  for my $r (@{$x->{P}{routes}}) {
    my ($method, $re, $handler) = @$r;
    next unless $x->{method} eq $method && $x->{path} =~ $re;
    return $handler->($x, @{^CAPTURE});
  }
  return fail($x, 404, route => 1);
}

# the request's behaviour: its X-Mock-Behavior header, else the next queued
# one, else none; a bad header is answered 400 here (undef returned)
sub take_behavior ($c, $p = '') {
  my $h = $c->req->headers->header('X-Mock-Behavior');
  unless (defined $h) {
    return shift @{$pqueue{$p}} if @{$pqueue{$p} // []};
    return shift @queue if @queue;
    return {%{$sticky{$p} // {}}};
  }
  my ($beh, $err) = header_behavior($h);
  return $beh unless $err;
  $c->render(status => 400, text => "waav-mock: bad X-Mock-Behavior: $err\n");
  return undef;
}

sub dispatch ($c) {
  my ($prefix, $rest) = $c->req->url->path->to_string =~ m{^/([^/]+)(/.*)?$};
  $prefix = $ALIAS{$prefix} // $prefix if defined $prefix;
  my $P = $PROVIDERS{$prefix // ''} or return $c->render(status => 404, text => "waav-mock: unknown provider prefix\n");
  record_request($c, $prefix);
  my $beh = take_behavior($c, $prefix) // return;
  my $x = {c => $c, tx => $c->tx, p => $prefix, P => $P, beh => $beh, path => $rest // '/', method => uc $c->req->method};
  my $wait = ($beh->{delay_ms} // 0) + ($beh->{pause_ms} // 0);
  $c->inactivity_timeout($wait / 1000 + 30) if $wait;
  return handle($x) unless $beh->{delay_ms};
  $c->render_later;
  Mojo::IOLoop->timer($beh->{delay_ms} / 1000 => sub { handle($x) });
}

# --------------------------------------------------------------------------
# Control endpoints (never recorded)
# --------------------------------------------------------------------------
# the streaming routes (WebSocket), before the catch-all below; compiled in
# this package (Test::Mojo loads this app into a sandbox package of its own)
{
  my $file = File::Spec->rel2abs('waav-mock-stream.pl', File::Basename::dirname(File::Spec->rel2abs(__FILE__)));
  my $code = Mojo::File->new($file)->slurp;
  eval 'package ' . __PACKAGE__ . ";\n#line 1 \"$file\"\n$code\n;1" or die $@;
}

post '/__mock/reset' => sub ($c) { @records = @queue = (); %uploads = %transcripts = %conns = %pqueue = %sticky = (); ws_reset(); $c->rendered(204) };
get '/__mock/requests' => sub ($c) { $c->render(json => \@records) };
get '/__mock/count' => sub ($c) {
  my $p = $c->param('provider');
  $c->render(text => scalar grep { !defined $p || $_->{provider} eq $p } @records);
};
get '/__mock/connections' => sub ($c) {
  my $p = $c->param('provider');
  my @ids = map { keys %{$conns{$_}} } defined $p ? ($p) : keys %conns;
  $c->render(text => scalar @ids);
};
get '/__mock/last' => sub ($c) {
  my $n = $c->param('n') // 1;
  return $c->render(status => 400, text => "n must be a positive integer\n") unless $n =~ /^[1-9]\d*$/;
  return $c->render(status => 404, text => "no such request\n") if $n > @records;
  $c->res->headers->content_type('text/plain');
  $c->render(data => dump_record($records[-$n]));
};
post '/__mock/behavior' => sub ($c) {
  my ($beh, $err) = check_behavior(eval { decode_json($c->req->body) });
  return $c->render(status => 400, text => "waav-mock: $err\n") if $err;
  # ?provider=P: for that provider's requests only; &sticky=1: every one of
  # them until the next reset (an empty object ends it)
  my $p = $c->param('provider');
  if (!defined $p) { push @queue, $beh }
  elsif ($c->param('sticky')) { $sticky{$p} = $beh }
  else { push @{$pqueue{$p}}, $beh }
  $c->rendered(204);
};
any '/__mock/*rest' => sub ($c) { $c->render(status => 404, text => "waav-mock: unknown control endpoint\n") };
any '/*whole' => \&dispatch;
any '/' => sub ($c) { $c->render(status => 404, text => "waav-mock: unknown provider prefix\n") };

app->start;
