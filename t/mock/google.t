# The mock's Google OAuth2 token endpoint and Speech-to-Text, in-process:
# it verifies the assertion's RS256 signature with the service account's
# public key and its claims, and refuses what Google refuses; the speech
# hosts take its tokens and no others.   prove -I t/lib t/mock/google.t
use Mojo::Base -strict, -signatures;
use Test::More;
use Test::Mojo;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Mojo::File qw(curfile);
use Mojo::JSON qw(decode_json encode_json true false);
use MIME::Base64 qw(encode_base64 decode_base64);
use Crypt::OpenSSL::RSA ();
use Waav::GoogleSA;
use Waav::Mock qw(mock_key mock_wav);

my $t = Test::Mojo->new(curfile->sibling('waav-mock.pl'));
my $host = '127.0.0.1:' . $t->ua->server->url->port;
my $AUD = "http://$host/google-token/token";
my $SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
my $GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
my %FORM = ('Content-Type' => 'application/x-www-form-urlencoded', Host => $host);

my $sa = Waav::GoogleSA->new(token_uri => $AUD);
my $other = Waav::GoogleSA->new(token_uri => $AUD);     # a key nobody registered
$t->post_ok('/__mock/google-account' => {'Content-Type' => 'application/json'} => $sa->account_json)->status_is(204);
$t->post_ok('/__mock/google-account' => json => {client_email => 'x', public_key => 'not a key'})->status_is(400);

sub b64url ($s) { encode_base64($s, '') =~ tr{+/}{-_}r =~ s/=+$//r }

# an assertion signed with key (the account's, by default)
sub jwt ($claims, %o) {
  my $hp = b64url(encode_json($o{header} // {alg => 'RS256', typ => 'JWT'})) . '.' . b64url(encode_json($claims));
  my $rsa = Crypt::OpenSSL::RSA->new_private_key(($o{key} // $sa)->private_key);
  $rsa->use_sha256_hash;
  return "$hp." . b64url($rsa->sign($hp));
}

sub claims (%o) {
  my $now = time;
  return {iss => $sa->client_email, scope => $SCOPE, aud => $AUD, iat => $now, exp => $now + 3600, %o};
}

sub token_req ($assertion, $grant = $GRANT) {
  return $t->post_ok('/google-token/token' => \%FORM => "grant_type=$grant&assertion=$assertion");
}

subtest 'a good assertion: an access token' => sub {
  token_req(jwt(claims()))->status_is(200)->header_like('Content-Type' => qr{^application/json})
    ->json_like('/access_token' => qr/^ya29\./)->json_is('/token_type' => 'Bearer')->json_is('/expires_in' => 3599);
};

subtest 'what Google refuses' => sub {
  my @cases = (
    ['another key signed it', jwt(claims(), key => $other), invalid_grant => qr/^Invalid JWT Signature\.$/],
    ['an account it does not know', jwt(claims(iss => 'nobody@x.iam.gserviceaccount.com')), invalid_grant => qr/account not found/],
    ['HS256', jwt(claims(), header => {alg => 'HS256', typ => 'JWT'}), invalid_grant => qr/not RS256/],
    ['another audience', jwt(claims(aud => 'https://oauth2.googleapis.com/token')), invalid_grant => qr/aud/],
    ['another scope', jwt(claims(scope => 'https://www.googleapis.com/auth/drive')), invalid_scope => qr/scope/],
    ['over an hour', jwt(claims(exp => time + 3700)), invalid_grant => qr/short-lived/],
    ['expired', jwt(claims(iat => time - 7200, exp => time - 3600)), invalid_grant => qr/short-lived/],
    ['issued in the future', jwt(claims(iat => time + 600, exp => time + 1200)), invalid_grant => qr/short-lived/],
    ['iat a string', jwt(claims(iat => '' . time)), invalid_grant => qr/short-lived/],
    ['not a JWT', 'abc.def', invalid_grant => qr/not a JWT/],
  );
  for my $c (@cases) {
    my ($what, $a, $code, $desc) = @$c;
    token_req($a)->status_is(400, $what)->json_is('/error' => $code, "$what: $code")
      ->json_like('/error_description' => $desc, "$what: its description");
  }
  token_req(jwt(claims()), 'password')->status_is(400)->json_is('/error' => 'unsupported_grant_type');
  $t->post_ok('/google-token/token' => {%FORM, 'Content-Type' => 'application/json'} => 'grant_type=x')
    ->status_is(400)->json_is('/error' => 'invalid_request');
  $t->post_ok('/google-token/token' => \%FORM => "grant_type=$GRANT&assertion=" . jwt(claims()) . '&scope=x')
    ->status_is(400)->json_like('/error_description' => qr/Unexpected form fields/);
};

subtest 'the speech hosts: its tokens, an API key, nothing else' => sub {
  my $tok = token_req(jwt(claims()))->tx->res->json('/access_token');
  my $bad = token_req(jwt(claims()))->tx->res->json('/access_token') =~ s/.$/x/r;
  my $body = {input => {text => 'hi'}, voice => {languageCode => 'en-US'}, audioConfig => {audioEncoding => 'MP3'}};
  $t->post_ok('/google/v1/text:synthesize' => {Authorization => "Bearer $tok"} => json => $body)->status_is(200);
  $t->post_ok('/google/v1/text:synthesize' => {Authorization => "Bearer $bad"} => json => $body)->status_is(401)
    ->json_is('/error/status' => 'UNAUTHENTICATED');
  $t->post_ok('/google/v1/text:synthesize' => {'X-Goog-Api-Key' => mock_key('google')} => json => $body)->status_is(200);
  $t->post_ok('/google-token/token' => {%FORM, 'X-Mock-Behavior' => 'token_ttl=1'} => "grant_type=$GRANT&assertion=" . jwt(claims()))
    ->status_is(200)->json_is('/expires_in' => 1);
  my $ttl1 = $t->tx->res->json('/access_token');
  sleep 2;
  $t->post_ok('/google/v1/text:synthesize' => {Authorization => "Bearer $ttl1"} => json => $body)->status_is(401, 'expired');
};

subtest 'speech:recognize' => sub {
  my $tok = token_req(jwt(claims()))->tx->res->json('/access_token');
  my %h = (Authorization => "Bearer $tok");
  my $wav = mock_wav('google', 16000, 64000);
  my $cfg = {languageCode => 'en-US', enableWordTimeOffsets => true, enableAutomaticPunctuation => true,
             enableWordConfidence => true, model => 'latest_long', speechContexts => [{phrases => ['waav']}]};
  $t->post_ok('/google-stream/v1/speech:recognize' => \%h => json => {config => $cfg, audio => {content => encode_base64($wav, '')}})
    ->status_is(200)->json_is('/results/0/alternatives/0/transcript' => 'Hello world')
    ->json_is('/results/1/alternatives/0/transcript' => ' from the mock.')
    ->json_is('/results/0/alternatives/0/words/0/word' => 'Hello')
    ->json_like('/results/0/alternatives/0/words/0/endTime' => qr/^\d+(\.\d+)?s$/)
    ->json_is('/results/1/resultEndTime' => '2s')->json_is('/results/0/languageCode' => 'en-us');
  my @bad = (
    [{config => {%$cfg, languageCode => undef}, audio => {content => encode_base64($wav, '')}}, qr/language_code/],
    [{config => $cfg, audio => {content => 'not base64!'}}, qr/Base64 decoding failed/],
    # padding inside (pieces encoded each with its own padding), or cut
    [{config => $cfg, audio => {content => 'AA==AAAA'}}, qr/Base64 decoding failed/],
    [{config => $cfg, audio => {content => 'AAAAAA'}}, qr/Base64 decoding failed/],
    [{config => $cfg, audio => {}}, qr/RecognitionAudio not set/],
    [{config => {%$cfg, model => 'nova-3'}, audio => {content => encode_base64($wav, '')}}, qr/model/],
    [{config => {%$cfg, encoding => 'FLAC'}, audio => {content => encode_base64($wav, '')}}, qr/header's encoding/],
    [{config => {%$cfg, encoding => 'LINEAR16'}, audio => {content => encode_base64("\0" x 100, '')}}, qr/sample_rate_hertz/],
    [{config => {%$cfg, encoding => 'OGG_OPUS', sampleRateHertz => 44100}, audio => {content => 'T2dnUw=='}}, qr/not supported/],
    [{config => {%$cfg, encoding => 'LINEAR16', sampleRateHertz => 8000}, audio => {content => encode_base64("\0" x 976_000, '')}},
     qr/Sync input too long/],
    [{config => {%$cfg, encodng => 'LINEAR16'}, audio => {content => 'AAAA'}}, qr/Unknown name "encodng"/],
    [{config => {%$cfg, speechContexts => [{phrases => [1]}]}, audio => {content => 'AAAA'}}, qr/speech_contexts/],
  );
  for my $b (@bad) {
    $t->post_ok('/google-stream/v1/speech:recognize' => \%h => json => $b->[0])->status_is(400)
      ->json_is('/error/status' => 'INVALID_ARGUMENT')->json_like('/error/message' => $b->[1]);
  }
  $t->post_ok('/google-stream/v1/speech:recognize' => json => {config => $cfg, audio => {content => 'AAAA'}})->status_is(403);
  $t->post_ok('/google-stream/v1/speech:recognize' => {Authorization => 'Bearer nope'} => json => {config => $cfg, audio => {content => 'AAAA'}})
    ->status_is(401)->json_is('/error/status' => 'UNAUTHENTICATED');
};

done_testing;
