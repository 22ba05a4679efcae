# Audio options as WaaV's clients send them (README "Audio options",
# waav-compat.md §4.3), through make run's own configuration against the
# mock, which checks each provider's formats, rates and speeds as the
# provider does: a self-describing format's sample_rate is a preference
# (the provider's variant, else its nearest rate, told in x-sample-rate);
# raw formats keep exact rates (400 naming the ones there are, before any
# call); speaking_rate is clamped to the provider's range and told in
# x-speaking-rate; speed=1 is not sent.  On /speak, /v1/audio/speech and
# /ws.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::WS;
use Waav::Mock qw(mock_audio);
use JSON::PP qw(decode_json);

my $JSON = 'Content-Type: application/json';
my $VOICE = 'a0e99841-438c-4a64-b679-ae501e7d6091';

my $w = Waav::Run->start('019', env => {Waav::Run::mock_env()});

sub speak {
    my ($provider, $cfg) = @_;
    return $w->request(qq{POST /speak\n{"text":"Hello","tts_config":{"provider":"$provider"$cfg}}}, $JSON);
}

# the one provider request since the reset
sub received {
    my @r = @{decode_json($w->mock('/__mock/requests'))};
    is scalar @r, 1, 'one provider request' or diag explain \@r;
    return $r[0] // {};
}

# its JSON body ({} when there is none, so a failure is a failed test)
sub received_json {
    my $j = eval { decode_json(received()->{body} // '') };
    return ref $j eq 'HASH' ? $j : {};
}

sub ok_audio {
    my ($res, $provider, $rate, $speed, $name) = @_;
    is $res->{status}, 200, "$name: 200" or diag $res->{body};
    is $res->{headers}{'x-sample-rate'}, $rate, "$name: x-sample-rate $rate";
    is $res->{headers}{'x-speaking-rate'}, $speed,
       "$name: x-speaking-rate " . ($speed // 'absent');
    ok $res->{body} eq mock_audio($provider, 16000), "$name: the audio";
}

subtest 'the SDKs\' {"audio_format":"mp3","sample_rate":24000}: audio from each' => sub {
    my $mp3 = ',"audio_format":"mp3","sample_rate":24000';

    Waav::Run::mock_reset();
    ok_audio(speak('deepgram', $mp3), 'deepgram', 22050, undef, 'deepgram');
    is received()->{query}, 'model=aura-asteria-en&encoding=mp3',
       'deepgram: no sample_rate (mp3 is 22050)';

    Waav::Run::mock_reset();
    ok_audio(speak('elevenlabs', $mp3), 'elevenlabs', 24000, undef, 'elevenlabs');
    is received()->{query}, 'output_format=mp3_24000_48', 'elevenlabs: mp3_24000_48';

    Waav::Run::mock_reset();
    ok_audio(speak('openai', $mp3), 'openai', 24000, undef, 'openai');
    is received_json()->{response_format}, 'mp3', 'openai: mp3';

    Waav::Run::mock_reset();
    ok_audio(speak('cartesia', qq{,"voice_id":"$VOICE"$mp3}), 'cartesia', 24000, undef, 'cartesia');
    is_deeply received_json()->{output_format},
              {container => 'mp3', sample_rate => 24000, bit_rate => 128000},
              'cartesia: mp3 at 24000';
};

subtest 'a rate the format lacks: the nearest, told truly' => sub {
    Waav::Run::mock_reset();
    my $res = speak('elevenlabs', ',"audio_format":"mp3","sample_rate":16000');
    ok_audio($res, 'elevenlabs', 22050, undef, 'elevenlabs mp3 at 16000');
    is received()->{query}, 'output_format=mp3_22050_32', 'mp3_22050_32';

    Waav::Run::mock_reset();
    $res = speak('deepgram', ',"audio_format":"flac","sample_rate":24000');
    ok_audio($res, 'deepgram', 22050, undef, 'deepgram flac at 24000');
    is received()->{query}, 'model=aura-asteria-en&encoding=flac&sample_rate=22050',
       'flac at 22050';

    Waav::Run::mock_reset();
    $res = speak('google', ',"audio_format":"opus","sample_rate":44100');
    is $res->{status}, 200, 'google opus at 44100: 200' or diag $res->{body};
    is $res->{headers}{'x-sample-rate'}, 48000, 'x-sample-rate 48000';
    is received_json()->{audioConfig}{sampleRateHertz}, 48000,
       'sampleRateHertz 48000';

    Waav::Run::mock_reset();
    $res = speak('azure', ',"audio_format":"mp3","sample_rate":44100');
    is $res->{status}, 200, 'azure mp3 at 44100: 200' or diag $res->{body};
    is $res->{headers}{'x-sample-rate'}, 48000, 'x-sample-rate 48000';
    my ($r) = reverse grep { $_->{provider} eq 'azure' } @{decode_json($w->mock('/__mock/requests'))};
    is(($r // {})->{headers}{'x-microsoft-outputformat'}, 'audio-48khz-192kbitrate-mono-mp3',
       'the 48 kHz mp3');
};

subtest 'raw formats: exact rates, else 400 naming them, no call' => sub {
    Waav::Run::mock_reset();
    my $res = speak('openai', ',"audio_format":"pcm","sample_rate":16000');
    is $res->{status}, 400, 'openai pcm at 16000: 400';
    is $res->{body}, '{"error":"openai does not support sample_rate 16000 for pcm '
                   . '(it can do 24000)","code":"UNSUPPORTED_OPTION"}', 'the rates it can do';

    $res = speak('deepgram', ',"audio_format":"linear16","sample_rate":22050');
    is $res->{status}, 400, 'deepgram linear16 at 22050: 400';
    is $res->{body}, '{"error":"deepgram does not support sample_rate 22050 for linear16 '
                   . '(it can do 8000, 16000, 24000, 32000, 48000)","code":"UNSUPPORTED_OPTION"}',
       'the rates it can do';

    # what no provider can honour stays refused
    $res = speak('cartesia', ',"audio_format":"mp3","sample_rate":24000');
    is $res->{status}, 400, 'cartesia without a voice: 400';
    $res = speak('deepgram', ',"audio_format":"wma"');
    is $res->{status}, 400, 'an unknown format: 400';
    is $w->mock('/__mock/count'), 0, 'no provider was called';

    Waav::Run::mock_reset();
    ok_audio(speak('openai', ',"audio_format":"pcm","sample_rate":24000'), 'openai', 24000,
             undef, 'openai pcm at 24000');
};

subtest 'speaking_rate: clamped to the provider\'s range, told in x-speaking-rate' => sub {
    Waav::Run::mock_reset();
    ok_audio(speak('deepgram', ''), 'deepgram', 24000, undef, 'deepgram default');
    is received()->{query}, 'model=aura-asteria-en&encoding=linear16&container=none&sample_rate=24000',
       'no speed';

    Waav::Run::mock_reset();
    ok_audio(speak('deepgram', ',"speaking_rate":1'), 'deepgram', 24000, 1, 'deepgram at 1');
    unlike received()->{query}, qr/speed/, 'speed=1 is not sent';

    Waav::Run::mock_reset();
    ok_audio(speak('deepgram', ',"speaking_rate":2.0'), 'deepgram', 24000, 1.5, 'deepgram at 2');
    like received()->{query}, qr/&speed=1\.5$/, 'speed=1.5';

    Waav::Run::mock_reset();
    ok_audio(speak('elevenlabs', ',"speaking_rate":2'), 'elevenlabs', 24000, 1.2, 'elevenlabs at 2');
    is_deeply received_json()->{voice_settings}, {speed => 1.2},
              'voice_settings.speed 1.2';

    Waav::Run::mock_reset();
    ok_audio(speak('cartesia', qq{,"voice_id":"$VOICE","speaking_rate":0.25}), 'cartesia',
             24000, 0.6, 'cartesia at 0.25');
    is_deeply received_json()->{generation_config}, {speed => 0.6},
              'generation_config.speed 0.6';

    Waav::Run::mock_reset();
    my $res = speak('google', ',"speaking_rate":3');
    is $res->{status}, 200, 'google at 3: 200' or diag $res->{body};
    is $res->{headers}{'x-speaking-rate'}, 2, 'x-speaking-rate 2';
    is received_json()->{audioConfig}{speakingRate}, 2, 'speakingRate 2';

    Waav::Run::mock_reset();
    ok_audio(speak('openai', ',"speaking_rate":1'), 'openai', 24000, 1, 'openai at 1');
    ok !exists received_json()->{speed}, 'speed 1 is not sent';
};

subtest '/v1/audio/speech: the same rules' => sub {
    Waav::Run::mock_reset();
    my $res = $w->request(qq{POST /v1/audio/speech\n{"model":"tts-1","input":"Hi","voice":"alloy","speed":1}}, $JSON);
    ok_audio($res, 'openai', 24000, 1, 'openai speed 1');
    ok !exists received_json()->{speed}, 'speed 1 is not sent';

    Waav::Run::mock_reset();
    $res = $w->request(qq{POST /v1/audio/speech\n{"model":"deepgram/aura-2-thalia-en","input":"Hi","speed":4}}, $JSON);
    ok_audio($res, 'deepgram', 22050, 1.5, 'deepgram mp3 at speed 4');
    is received()->{query}, 'model=aura-2-thalia-en&encoding=mp3&speed=1.5', 'mp3, speed 1.5';
};

subtest '/ws: config with mp3 at 24000 and speed 2 → ready; speak sends what /speak would' => sub {
    Waav::Run::mock_reset();
    my $ws = Waav::WS->connect(port => $w->port, path => '/ws');
    $ws->upgraded or BAIL_OUT("no upgrade: $ws->{status}");
    $ws->send_json({type => 'config',
                    stt_config => {provider => 'openai', language => 'en', sample_rate => 16000,
                                   channels => 1, encoding => 'linear16', model => 'whisper-1',
                                   punctuation => JSON::PP::true},
                    tts_config => {provider => 'deepgram', audio_format => 'mp3',
                                   sample_rate => 24000, speaking_rate => 2}});
    my $m = $ws->next_json(10);
    is $m->{type}, 'ready', 'ready' or diag explain $m;
    $ws->send_json({type => 'speak', text => 'Hello'});
    my $audio = '';
    while (my $f = $ws->next_message(10)) {
        if ($f->{type} eq 'binary') { $audio .= $f->{data}; next }
        is $f->{json}{type}, 'tts_playback_complete', 'complete' or diag explain $f;
        last;
    }
    ok $audio eq mock_audio('deepgram', 16000), 'the audio';
    is received()->{query}, 'model=aura-asteria-en&encoding=mp3&speed=1.5',
       'mp3 without a rate, speed clamped';
    $ws->send_close(1000);
};

$w->finish;
done_testing;
