# What WaaV's clients send, through make run's own configuration (which
# turns waav_byok on, as WaaV allows BYOK): /ws tts_config.api_key for the
# session's speaks, OpenAI's names on /ws, provider names in any case, and
# /speak's flat body with the dashboard's X-Provider-Api-Key.  The server's
# OpenAI key is one the mock refuses, so a 200 means the client's key was
# sent; neither key shows in the access log or the error log.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::WS;
use Waav::Mock qw(mock_audio mock_key);
use JSON::PP qw(decode_json);

my $T = JSON::PP::true;
my $SERVER_KEY = 'server-key-ABCDEFGHIJKLMNOP';
my $CLIENT_KEY = mock_key('openai');
my %env = Waav::Run::mock_env();
my $w = Waav::Run->start('063', env => {%env, OPENAI_API_KEY => $SERVER_KEY,
                                        ACCESS_LOG => 'unbuffered'});

my %stt = (provider => 'deepgram', language => 'en', sample_rate => 16000, channels => 1,
           punctuation => $T, encoding => 'linear16', model => 'nova-3');

sub ws { Waav::WS->connect(port => $w->port, path => '/ws', @_) }

# the next text message's JSON (binary frames are collected in @$audio)
sub next_text {
    my ($ws, $audio) = @_;
    while (my $m = $ws->next_message(10)) {
        return $m->{json} if $m->{type} eq 'text';
        push @$audio, $m->{data} if $audio && $m->{type} eq 'binary';
        return $m if $m->{type} ne 'binary';
    }
    return undef;
}

sub session {
    my (%tts) = @_;
    my $ws = ws();
    $ws->upgraded or BAIL_OUT("no upgrade: $ws->{status} $ws->{body}");
    $ws->send_json({type => 'config', stt_config => \%stt, tts_config => \%tts});
    return ($ws, next_text($ws));
}

sub last_call { decode_json($w->mock('/__mock/requests'))->[-1] }

subtest '/ws: tts_config.api_key is the key of the session\'s speaks; OpenAI names as WaaV' => sub {
    my ($ws, $ready) = session(provider => 'OpenAI', api_key => $CLIENT_KEY,
                               model => 'nova', voice_id => 'Nova');
    is $ready->{type}, 'ready', 'ready' or diag explain $ready;
    Waav::Run::mock_reset();
    $ws->send_json({type => 'speak', text => 'Hello there'});
    my @audio;
    my $done = next_text($ws, \@audio);
    is $done->{type}, 'tts_playback_complete', 'the speak synthesized' or diag explain $done;
    is join('', @audio), mock_audio('openai'), 'the provider\'s audio';
    my $call = last_call();
    is $call->{headers}{authorization}, "Bearer $CLIENT_KEY", 'with the client\'s key';
    my $body = decode_json($call->{body});
    is $body->{model}, 'tts-1', 'model "nova" (the dashboard\'s) is tts-1, as WaaV';
    is $body->{voice}, 'nova', 'voice "Nova" is nova';

    # the same config again (the provider with the key is taken again),
    # then another voice: the key still goes with every speak
    for my $voice (qw(nova echo)) {
        $ws->send_json({type => 'config', stt_config => \%stt,
                        tts_config => {provider => 'openai', api_key => $CLIENT_KEY, voice_id => $voice}});
        is next_text($ws)->{type}, 'ready', "config again ($voice): ready";
        Waav::Run::mock_reset();
        $ws->send_json({type => 'speak', text => 'Hello again'});
        is next_text($ws, [])->{type}, 'tts_playback_complete', 'synthesized';
        is last_call()->{headers}{authorization}, "Bearer $CLIENT_KEY", 'with the client\'s key';
        is decode_json(last_call()->{body})->{voice}, $voice, "voice $voice";
    }
    $ws->send_close(1000);
};

subtest '/ws: the voice sent as the model (the dashboard) is the provider\'s default model' => sub {
    my ($ws, $ready) = session(provider => 'elevenlabs', voice_id => 'EXAVITQu4vr4xnSDxMaL',
                               model => 'EXAVITQu4vr4xnSDxMaL');
    is $ready->{type}, 'ready', 'ready' or diag explain $ready;
    Waav::Run::mock_reset();
    $ws->send_json({type => 'speak', text => 'Hello'});
    is next_text($ws, [])->{type}, 'tts_playback_complete', 'synthesized (ElevenLabs refuses a voice id as model_id)';
    my $call = last_call();
    like $call->{path}, qr{/elevenlabs/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL}, 'the voice';
    is decode_json($call->{body})->{model_id}, 'eleven_multilingual_v2', 'the default model';
    $ws->send_close(1000);
};

subtest '/ws: without api_key the server\'s key is used (refused here), never shown' => sub {
    my ($ws, $ready) = session(provider => 'openai');
    is $ready->{type}, 'ready', 'ready' or diag explain $ready;
    Waav::Run::mock_reset();
    $ws->send_json({type => 'speak', text => 'Hello'});
    my $e = next_text($ws);
    is $e->{type}, 'error', 'the provider\'s refusal' or diag explain $e;
    unlike $e->{message}, qr/ABCDEFGH|IJKLMNOP/, 'without the server key';
    is last_call()->{headers}{authorization}, "Bearer $SERVER_KEY", 'the server key was sent';
    $ws->send_close(1000);
};

subtest '/ws: a bad api_key is refused before ready, and not quoted; azure takes a key as it is' => sub {
    my ($ws, $e) = session(provider => 'openai', api_key => "sk-bad\nkey");
    is $e->{type}, 'error', 'no ready';
    is $e->{message}, 'tts_config.api_key must be up to 4096 bytes of visible ASCII', 'why';
    my ($ws2, $r2) = session(provider => 'azure', api_key => mock_key('azure'));
    is $r2->{type}, 'ready', 'azure with a client\'s key: ready' or diag explain $r2;
    Waav::Run::mock_reset();
    $ws2->send_json({type => 'speak', text => 'Hello'});
    is next_text($ws2, [])->{type}, 'tts_playback_complete', 'synthesized';
    my $call = last_call();
    is $call->{headers}{'ocp-apim-subscription-key'}, mock_key('azure'), 'the key as it is';
    is $w->mock('/__mock/count?provider=azure-token'), 0, 'no exchange';
    my ($ws3, $e3) = session(provider => 'Microsoft-Azure');
    is $e3->{type}, 'ready', 'WaaV\'s name for azure' or diag explain $e3;
};

subtest '/speak: the SDKs\' flat body with X-Provider-Api-Key' => sub {
    Waav::Run::mock_reset();
    my $res = $w->request(qq{POST /speak\n{"text":"Hello","provider":"OPENAI","voice":"shimmer","model":"tts1hd","sample_rate":24000}},
                          "Content-Type: application/json\r\nX-Provider-Api-Key: $CLIENT_KEY");
    is $res->{status}, 200, 'answered 200' or diag $res->{body};
    is $res->{body}, mock_audio('openai'), 'the audio';
    my $call = last_call();
    is $call->{headers}{authorization}, "Bearer $CLIENT_KEY", 'the client\'s key';
    my $body = decode_json($call->{body});
    is_deeply [@$body{qw(model voice)}], ['tts-1-hd', 'shimmer'], 'WaaV\'s names';

    $res = $w->request(qq{POST /v1/audio/speech\n{"model":"tts-1","input":"Hello","voice":"nova"}},
                       "Content-Type: application/json\r\nX-Provider-Api-Key: $CLIENT_KEY");
    is $res->{status}, 200, '/v1/audio/speech with the header: 200';
    is last_call()->{headers}{authorization}, "Bearer $CLIENT_KEY", 'the client\'s key';
};

subtest 'neither key in the access log nor the error log' => sub {
    my $logs = $w->error_log . Waav::Blocks::read_file($w->prefix . '/logs/stdout.log');
    like $logs, qr{"POST /speak HTTP/1\.[01]" 200}, 'the access log has the calls';
    unlike $logs, qr/\Q$CLIENT_KEY\E/, 'not the client\'s key';
    unlike $logs, qr/ABCDEFGH|IJKLMNOP/, 'nor the server\'s';
};

$w->finish;

subtest '/ws with waav_byok off: a config carrying a key gets no ready' => sub {
    my $off = Waav::Run->configure('063off', env => {%env});
    $off->add_conf('run.d/ws.conf', 'waav_byok off;');
    $off->launch;
    my $msg = 'This server does not accept clients\' provider API keys '
            . '(api_key, X-Provider-Api-Key); send the request without one';
    for my $cfg ([{%stt, api_key => 'client-stt-key'}, {provider => 'deepgram'}, 'stt_config'],
                 [{%stt}, {provider => 'deepgram', api_key => 'client-tts-key'}, 'tts_config']) {
        my $ws = Waav::WS->connect(port => $off->port, path => '/ws');
        $ws->upgraded or BAIL_OUT("no upgrade: $ws->{status} $ws->{body}");
        $ws->send_json({type => 'config', stt_config => $cfg->[0], tts_config => $cfg->[1]});
        my $e = next_text($ws);
        is_deeply $e, {type => 'error', message => $msg}, "$cfg->[2].api_key refused"
            or diag explain $e;
        $ws->send_json({type => 'config', stt_config => \%stt, tts_config => {provider => 'deepgram'}});
        is next_text($ws)->{type}, 'ready', 'the same config without a key: ready';
        $ws->send_close(1000);
    }
    $off->finish;
};

done_testing;
