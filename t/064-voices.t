# GET /voices and POST /voices/clone through make run's own configuration
# (conf/waav.conf, the /_waav/NAME-voices/ locations scripts/providers-conf.sh
# writes, waav/voices-cache.conf) against the provider mock: every provider
# that can list voices asked at once and merged into WaaV's map, a failing
# one left out and logged, ?provider=, nginx's cache (one provider call for
# two requests; never with the caller's own key), auth, and cloning.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::Mock qw(mock_key);
use JSON::PP qw(decode_json encode_json);
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time);

my $JSON = 'Content-Type: application/json';
my @LISTS = qw(aws-polly azure cartesia deepgram elevenlabs google hume ibm-watson lmnt playht);   # providers asked
my @ALL = sort(@LISTS, 'openai', 'local');   # keys answered: fixed lists too

sub records { @{decode_json($_[0]->mock('/__mock/requests'))} }
sub count { $_[0]->mock("/__mock/count?provider=$_[1]") }
sub behave {      # a behaviour for one provider's requests (sticky: all)
    my ($w, $p, $beh, $sticky) = @_;
    my $json = encode_json($beh);
    my $res = Waav::Blocks::http_request('127.0.0.1', $ENV{TEST_NGINX_MOCK_PORT},
        "POST /__mock/behavior?provider=$p" . ($sticky ? '&sticky=1' : '')
        . " HTTP/1.1\r\nHost: mock\r\nConnection: close\r\nContent-Type: application/json\r\n"
        . 'Content-Length: ' . length($json) . "\r\n\r\n$json", 10);
    is Waav::Blocks::parse_response($res->{raw})->{status}, 204, "mock: $p behaves $json";
}
sub voices {
    my ($w, $q, @h) = @_;
    my $res = $w->request('GET /voices' . ($q // ''), join("\r\n", @h) || undef, 30);
    $res->{json} = eval { decode_json($res->{body}) };
    return $res;
}

# no cache here (VOICES_CACHE_TTL=0) but in the subtests that say so
# (warnings logged: a provider left out is a warning)
my $w = Waav::Run->configure('063', env => {Waav::Run::mock_env(), VOICES_CACHE_TTL => 0})
    ->add_conf('run.d/main.conf', 'error_log logs/error.log warn;')->launch;

subtest 'every provider at once, merged into WaaV\'s map' => sub {
    Waav::Run::mock_reset();
    my $res = voices($w);
    is $res->{status}, 200, '200' or diag $res->{body};
    like $res->{headers}{'content-type'}, qr{^application/json}, 'JSON';
    is_deeply [sort keys %{$res->{json}}], \@ALL, 'a key per provider that lists voices';

    my %asked = map { $_->{provider} => $_ } records($w);
    is_deeply [sort keys %asked], \@LISTS, 'each asked once; openai has no endpoint';
    is "$asked{elevenlabs}{method} $asked{elevenlabs}{path}?$asked{elevenlabs}{query}",
       'GET /elevenlabs/v2/voices?page_size=100', 'elevenlabs: GET /v2/voices, a page of 100';
    is $asked{elevenlabs}{headers}{'xi-api-key'}, mock_key('elevenlabs'), 'with xi-api-key';
    is "$asked{deepgram}{method} $asked{deepgram}{path}", 'GET /deepgram/v1/models', 'deepgram: /v1/models';
    is $asked{deepgram}{headers}{authorization}, 'Token ' . mock_key('deepgram'), 'with Token';
    is "$asked{cartesia}{path}?$asked{cartesia}{query}", '/cartesia/voices?limit=100', 'cartesia: /voices';
    is $asked{cartesia}{headers}{'cartesia-version'}, '2025-04-16', 'with Cartesia-Version';
    is "$asked{google}{path}", '/google/v1/voices', 'google: /v1/voices';
    is $asked{google}{headers}{'x-goog-api-key'}, mock_key('google'), 'with the key header';
    is "$asked{azure}{path}", '/azure/cognitiveservices/voices/list', 'azure: voices/list';
    is $asked{azure}{headers}{'ocp-apim-subscription-key'}, mock_key('azure'), 'with the key, no token';
    is count($w, 'azure-token'), 0, 'no token exchanged';
    is $asked{$_}{body_length}, 0, "$_: no body" for @LISTS;

    my $j = $res->{json};
    for my $p (@ALL) {
        my @bad = grep { join(',', sort keys %$_) ne 'accent,gender,id,language,name,sample'
                         || grep { ref || !defined } values %$_ } @{$j->{$p}};
        is scalar @bad, 0, "$p: every entry has the six string fields";
    }
    my %el = map { $_->{id} => $_ } @{$j->{elevenlabs}};
    is_deeply $el{'21m00Tcm4TlvDq8ikWAM'}, {id => '21m00Tcm4TlvDq8ikWAM', name => 'Rachel',
        sample => 'https://storage.googleapis.com/eleven-public-prod/premade/voices/21m00Tcm4TlvDq8ikWAM/preview.mp3',
        accent => 'american', gender => 'Female', language => 'en'}, 'elevenlabs: Rachel (a female label is Female)';
    is $el{pNInz6obpgDQGcFmaJgB}{gender}, 'Male', 'Adam is Male';
    my %dg = map { $_->{id} => $_ } @{$j->{deepgram}};
    is scalar(keys %dg), 6, 'deepgram: the six TTS models, not the STT ones';
    is_deeply $dg{'aura-2-thalia-en'}, {id => 'aura-2-thalia-en', name => 'thalia', accent => 'American',
        sample => 'https://static.deepgram.com/examples/Aura-2-thalia.wav', gender => 'Female',
        language => 'English'}, 'deepgram: thalia (feminine is Female)';
    is $dg{'aura-orion-en'}{gender}, 'Male', 'orion is Male';
    my %gg = map { $_->{id} => $_ } @{$j->{google}};
    is_deeply $gg{'en-US-Wavenet-D'}, {id => 'en-US-Wavenet-D', name => 'Wavenet D', sample => '',
        accent => 'American', gender => 'Male', language => 'English'}, 'google: Wavenet D';
    is $gg{'cmn-CN-Wavenet-A'}{language}, 'Chinese', 'cmn is Chinese';
    is $gg{'cmn-CN-Wavenet-A'}{accent}, 'Mainland China', 'CN is Mainland China';
    my %az = map { $_->{id} => $_ } @{$j->{azure}};
    is_deeply $az{'en-GB-SoniaNeural'}, {id => 'en-GB-SoniaNeural', name => 'Sonia', sample => '',
        accent => 'British', gender => 'Female', language => 'English'}, 'azure: Sonia';
    is $az{'fr-CA-SylvieNeural'}{accent}, 'Canadian', 'fr-CA is Canadian';
    my %ca = map { $_->{id} => $_ } @{$j->{cartesia}};
    is $ca{'a0e99841-438c-4a64-b679-ae501e7d6091'}{gender}, 'Male', 'cartesia: masculine is Male';
    is $ca{'87748186-23bb-4158-a1eb-332911b0b708'}{language}, 'German', 'de is German';
    is $ca{'87748186-23bb-4158-a1eb-332911b0b708'}{gender}, 'Neutral', 'gender_neutral is Neutral';
    my @oa = map { $_->{id} } @{$j->{openai}};
    is_deeply [@oa[0 .. 2]], [qw(alloy ash ballad)], 'openai: its fixed list';
};

subtest 'parallel: four providers at 300 ms each answer in well under 4 x 300 ms' => sub {
    Waav::Run::mock_reset();
    behave($w, $_, {delay_ms => 300}, 1) for qw(deepgram elevenlabs cartesia google);
    my $t = time;
    my $res = voices($w);
    my $took = time - $t;
    is $res->{status}, 200, '200';
    is_deeply [sort keys %{$res->{json}}], \@ALL, 'all there';
    cmp_ok $took, '>=', 0.3, sprintf('took %.0f ms: the providers were waited for', $took * 1000);
    cmp_ok $took, '<', 1.2, 'less than the four one after another';
};

subtest 'a failing provider is left out, logged; the rest answer' => sub {
    for my $case ([elevenlabs => {status => 500}, qr/voices of "elevenlabs" left out: the provider answered 500/],
                  [deepgram => {malformed_json => 1}, qr/voices of "deepgram" left out: an answer that is not a voice list/],
                  [google => {status => 401}, qr/voices of "google" left out: the provider answered 401/],
                  [azure => {status => 503}, qr/voices of "azure" left out: the provider answered 503/]) {
        my ($p, $beh, $log) = @$case;
        Waav::Run::mock_reset();
        behave($w, $p, $beh);
        my $res = voices($w);
        is $res->{status}, 200, "$p failing: still 200";
        is_deeply [sort keys %{$res->{json}}], [grep { $_ ne $p } @ALL], "$p left out";
        like $w->error_log, $log, 'and logged';
    }
};

subtest 'a provider that does not answer in time is left out' => sub {
    Waav::Run::mock_reset();
    behave($w, 'cartesia', {delay_ms => 12000});
    my $t = time;
    my $res = voices($w, '', );
    is $res->{status}, 200, '200 after the listing timeout' or diag $res->{body};
    is_deeply [sort keys %{$res->{json} // {}}], [grep { $_ ne 'cartesia' } @ALL], 'cartesia left out';
    # no answer in time: waav's own "no answer, rc 504", or nginx's 504
    # when proxy_read_timeout fires first on a loaded machine
    like $w->error_log, qr/voices of "cartesia" left out: (?:no answer|the provider answered 504)/, 'logged'
        or diag join "\n", grep { /voices of/ } split /\n/, $w->error_log;
};

subtest '?provider=: that provider only; unknown names list the configured ones' => sub {
    Waav::Run::mock_reset();
    my $res = voices($w, '?provider=deepgram');
    is $res->{status}, 200, '200';
    is_deeply [keys %{$res->{json}}], ['deepgram'], 'only deepgram';
    is_deeply [map { $_->{provider} } records($w)], ['deepgram'], 'only deepgram asked';
    $res = voices($w, '?provider=openai');
    is_deeply [keys %{$res->{json}}], ['openai'], 'openai: its list, nobody asked';
    for my $bad ('nope', 'groq', '..%2Fx', '') {
        Waav::Run::mock_reset();
        $res = voices($w, "?provider=$bad");
        if ($bad eq '') { is $res->{status}, 200, 'an empty name: every provider'; next }
        is $res->{status}, 400, "'$bad': 400" or diag $res->{body};
        is $res->{json}{code}, 'INVALID_PROVIDER', 'INVALID_PROVIDER';
        like $res->{json}{error}, qr/configured providers: deepgram, elevenlabs, openai, cartesia, google, azure/,
             'lists the providers that list voices';
        is count($w, ''), 0, 'nobody asked' if 0;
        is scalar(records($w)), 0, 'nobody asked';
    }
    $res = $w->request("POST /voices\n{}", $JSON);
    is $res->{status}, 405, 'POST: 405';
};

$w->finish;

# the cache: make run's default (VOICES_CACHE_TTL 300 s)
my $c = Waav::Run->start('063c', env => {Waav::Run::mock_env(), AUTH_REQUIRED => 'true',
                                          AUTH_API_SECRET => 's3cret'});
my $AUTH = 'Authorization: Bearer s3cret';

subtest 'auth applies' => sub {
    Waav::Run::mock_reset();
    my $res = voices($c);
    is $res->{status}, 401, 'no token: 401';
    is scalar(records($c)), 0, 'nobody asked';
};

subtest 'cached: two requests, one call per provider' => sub {
    Waav::Run::mock_reset();
    my $one = voices($c, '', $AUTH);
    my $two = voices($c, '', $AUTH);
    is $one->{status}, 200, 'first 200';
    is $two->{status}, 200, 'second 200';
    is $two->{body}, $one->{body}, 'the same answer';
    is count($c, $_), 1, "$_ asked once" for @LISTS;
    my $three = voices($c, '?provider=google', $AUTH);
    is_deeply [keys %{$three->{json}}], ['google'], '?provider= from the cache too';
    is count($c, 'google'), 1, 'google still asked once';
};

subtest 'the caller\'s own key lists the provider it names; the cache is neither used nor filled' => sub {
    Waav::Run::mock_reset();
    my $res = voices($c, '?provider=deepgram', $AUTH, 'X-Provider-Api-Key: caller-key-123');
    is count($c, 'deepgram'), 1, 'deepgram asked, not the cache';
    my ($r) = records($c);
    is $r->{headers}{authorization}, 'Token caller-key-123', 'with the caller\'s key, not the server\'s';
    is $res->{status}, 502, 'a key deepgram refuses: its refusal, said (not an empty list)';
    like $res->{body}, qr/^\{"error":"Provider deepgram answered 401: [^"]*","code":"PROVIDER_ERROR"\}$/, 'as on /speak';
    unlike $res->{body}, qr/caller-key-123/, 'the key not echoed';
    my $key = Waav::Mock::mock_key('deepgram');
    $res = voices($c, '?provider=deepgram', $AUTH, "X-Provider-Api-Key: $key");
    is count($c, 'deepgram'), 2, 'asked again';
    ok scalar @{$res->{json}{deepgram} // []}, 'a key deepgram takes: its voices';
    unlike $c->error_log, qr/caller-key-123/, 'the key is not logged';
    $res = voices($c, '?provider=deepgram', $AUTH, "X-Provider-Api-Key: a b");
    is $res->{status}, 400, 'a key that is no key: 400';
    is count($c, 'deepgram'), 2, 'and nobody asked';
    $res = voices($c, '', $AUTH, 'X-Provider-Api-Key: caller-key-123');
    is $res->{status}, 200, 'no ?provider=: the key names no provider';
    is count($c, 'deepgram'), 2, 'the server\'s cached listings answer';
    ok scalar @{$res->{json}{deepgram} // []}, 'deepgram among them';
};

subtest 'POST /voices/clone' => sub {
    Waav::Run::mock_reset();
    my $wav = 'RIFF' . pack('V', 36) . 'WAVEfmt ' . ("\0" x 40);
    my $body = encode_json({provider => 'elevenlabs', name => 'My Voice', description => 'warm',
        audio_samples => [encode_base64($wav, ''), 'data:audio/mpeg;base64,' . encode_base64("ID3" . ("\1" x 20), '')],
        remove_background_noise => JSON::PP::true, labels => {accent => 'british'}});
    my $res = $c->request("POST /voices/clone\n$body", "$JSON\r\n$AUTH");
    is $res->{status}, 200, '200' or diag $res->{body};
    my $j = eval { decode_json($res->{body}) } // {};
    like $j->{voice_id}, qr/^cl[0-9a-f]{18}$/, 'the voice_id ElevenLabs gave';
    is $j->{name}, 'My Voice', 'name';
    is $j->{provider}, 'elevenlabs', 'provider';
    is $j->{status}, 'ready', 'status ready';
    like $j->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'created_at RFC 3339';
    my ($r) = records($c);
    is "$r->{method} $r->{path}", 'POST /elevenlabs/v1/voices/add', 'POST /v1/voices/add';
    is $r->{headers}{'xi-api-key'}, mock_key('elevenlabs'), 'with the key';
    my %parts = map { (($_->{filename} // $_->{name}) => $_) } @{$r->{parts}};
    is $parts{name}{value}, 'My Voice', 'name part';
    is $parts{description}{value}, 'warm', 'description part';
    is $parts{remove_background_noise}{value}, 'true', 'remove_background_noise part';
    is $parts{labels}{value}, '{"accent":"british"}', 'labels as JSON';
    is $parts{'sample_0.wav'}{content_type}, 'audio/wav', 'sample 0: a WAV';
    is $parts{'sample_0.wav'}{length}, length $wav, 'its bytes';
    is $parts{'sample_1.mp3'}{content_type}, 'audio/mpeg', 'sample 1 (a data: URL): an MP3';

    for my $case ([{provider => 'elevenlabs', name => '  ', audio_samples => ['AAAA']}, 400, 'INVALID_NAME'],
                  [{provider => 'elevenlabs', name => 'x', audio_samples => []}, 400, 'MISSING_AUDIO'],
                  [{provider => 'elevenlabs', name => 'x', audio_samples => ['@@@@']}, 400, 'INVALID_AUDIO'],
                  [{provider => 'deepgram', name => 'x', audio_samples => ['AAAA']}, 400, 'INVALID_PROVIDER'],
                  [{name => 'x'}, 400, 'INVALID_REQUEST'],
                  [{provider => 'elevenlabs', name => 'x', audio_samples => 'AAAA'}, 400, 'INVALID_REQUEST']) {
        my ($b, $st, $code) = @$case;
        Waav::Run::mock_reset();
        $res = $c->request("POST /voices/clone\n" . encode_json($b), "$JSON\r\n$AUTH");
        is $res->{status}, $st, "$code: $st" or diag $res->{body};
        my $e = eval { decode_json($res->{body}) } // {};
        is $e->{code}, $code, $code;
        ok length $e->{message} && $e->{message} eq $e->{error}, 'message (WaaV) and error (waav)';
        is scalar(records($c)), 0, 'ElevenLabs not called';
    }

    Waav::Run::mock_reset();
    behave($c, 'elevenlabs', {status => 401});
    $res = $c->request("POST /voices/clone\n" . encode_json({provider => 'elevenlabs', name => 'x',
                                                             audio_samples => [encode_base64($wav, '')]}),
                       "$JSON\r\n$AUTH");
    is $res->{status}, 502, 'ElevenLabs refuses: 502';
    my $e = eval { decode_json($res->{body}) } // {};
    is $e->{code}, 'PROVIDER_ERROR', 'PROVIDER_ERROR';
    is $e->{details}{status}, 401, 'details.status';
    like $e->{message}, qr/Invalid API key/, 'ElevenLabs\' message';
    unlike $res->{body}, qr/\Q${\ mock_key('elevenlabs')}\E/, 'no key';

    $res = $c->request("POST /voices/clone\n{}", "$JSON");
    is $res->{status}, 401, 'auth applies';
};

$c->finish;
done_testing;
