# WaaV's /ws through make run's own configuration (conf/waav.conf, the
# generated provider locations) against the mock: the upgrade, config and
# ready, speak and its audio frames, ping, clear, buffered STT, the
# messages' exact texts, and what a hostile client gets.  The protocol:
# ../shared/reference/waav-compat.md section 5.
use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Waav::Run;
use Waav::WS;
use Waav::Mock qw(mock_audio);
use JSON::PP qw(decode_json);

my $T = JSON::PP::true;
my %env = Waav::Run::mock_env();
my $w = Waav::Run->start('060', env => {%env});

my %stt = (provider => 'openai', language => 'en', sample_rate => 16000, channels => 1,
           punctuation => $T, encoding => 'linear16', model => 'whisper-1');
my %config = (type => 'config', stt_config => \%stt, tts_config => {provider => 'deepgram'});

sub ws { Waav::WS->connect(port => $w->port, path => '/ws', @_) }

sub session {
    my $ws = ws(@_);
    $ws->upgraded or BAIL_OUT("no upgrade: $ws->{status} $ws->{body}");
    $ws->send_json(\%config);
    my $ready = $ws->next_json(10);
    is $ready->{type}, 'ready', 'ready' or diag explain $ready;
    return $ws;
}

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

# --- the upgrade ----------------------------------------------------------
subtest 'the upgrade: checked, then 101' => sub {
    my $ws = ws();
    ok $ws->upgraded, 'upgraded';
    is $ws->status, 101, 'status 101';
    is $ws->headers->{'sec-websocket-accept'}, Waav::WS::accept_for($ws->{key}), 'accept';
    $ws->send_close(1000);
    my $c = $ws->next_message(5);
    is $c->{type}, 'close', 'the close is answered';
    is $c->{code}, 1000, 'with 1000';
    ok $ws->wait_eof(5), 'and the connection closed';

    my $r = ws(method => 'POST');
    is $r->status, 405, 'POST: 405';
    $r = ws(replace => {'Sec-WebSocket-Version' => '8'});
    is $r->status, 426, 'version 8: 426';
    is $r->headers->{'sec-websocket-version'}, '13', 'which says 13';
    is $r->json->{code}, 'UPGRADE_REQUIRED', 'JSON';
    $r = ws(replace => {'Upgrade' => undef});
    is $r->status, 426, 'no Upgrade: 426';
    $r = ws(replace => {'Sec-WebSocket-Key' => 'short'});
    is $r->status, 400, 'a bad key: 400';
    is $r->json->{code}, 'INVALID_REQUEST', 'JSON';
    $r = ws(replace => {'Connection' => 'keep-alive'});
    is $r->status, 400, 'no Connection: upgrade: 400';
};

# --- config, ready, speak ---------------------------------------------------
subtest 'config → ready; speak → 10 ms frames → tts_playback_complete' => sub {
    my $ws = session();
    Waav::Run::mock_reset();
    $ws->send_json({type => 'speak', text => 'Hello there'});
    my @audio;
    my $done = next_text($ws, \@audio);
    is $done->{type}, 'tts_playback_complete', 'tts_playback_complete' or diag explain $done;
    like $done->{timestamp}, qr/^\d{13}$/, 'a timestamp in ms';
    my $want = mock_audio('deepgram');
    is join('', @audio), $want, 'the audio is the provider\'s, byte for byte';
    my @sizes = map { length } @audio;
    is $sizes[0], 480, '10 ms at 24 kHz 16-bit: 480 bytes';
    is scalar(grep { $_ != 480 } @sizes[0 .. $#sizes - 1]), 0, 'every frame but the last';
    my $recs = decode_json($w->mock('/__mock/requests'));
    is scalar @$recs, 1, 'one provider call';
    like $recs->[0]{path}, qr{^/deepgram/v1/speak}, 'to deepgram through make run\'s location';
    $ws->send_close(1000);
};

subtest 'ping → pong with the same timestamp; unknown and bad messages keep the session' => sub {
    my $ws = session();
    $ws->send_json({type => 'ping', timestamp => 1764512345678});
    is_deeply next_text($ws), {type => 'pong', timestamp => 1764512345678}, 'pong';
    $ws->send_text('{"type":"nope"}');
    my $e = next_text($ws);
    is $e->{type}, 'error', 'error';
    like $e->{message}, qr/^Invalid message format: unknown variant `nope`/, 'serde\'s words';
    $ws->send_text('not json');
    like next_text($ws)->{message}, qr/^Invalid message format: /, 'bad JSON';
    $ws->send_json({type => 'speak'});
    like next_text($ws)->{message}, qr/^Invalid message format: missing field `text`/, 'missing field';
    $ws->send_json({type => 'speak', text => 'x' x (100 * 1024 + 1)});
    is next_text($ws)->{message}, 'Speak text too large: 102401 bytes (max: 102400 bytes)', 'speak bound';
    $ws->send_json({type => 'config', stream_id => 'x' x 257, %config});
    is next_text($ws)->{message}, 'Stream ID too large: 257 bytes (max: 256 bytes)', 'stream_id bound';
    $ws->send_json({type => 'ping', timestamp => 1});
    is next_text($ws)->{type}, 'pong', 'the session is still there';
};

subtest 'before config: speak and audio are refused, nothing reaches a provider' => sub {
    my $ws = ws();
    Waav::Run::mock_reset();
    $ws->send_json({type => 'speak', text => 'Hello'});
    is next_text($ws)->{message},
       'Audio processing is disabled. Send config message with audio=true first.', 'speak';
    $ws->send_binary("\0" x 320);
    is next_text($ws)->{message},
       'Audio processing is disabled. Send config message with audio=true first.', 'audio';
    $ws->send_json({type => 'config', tts_config => {provider => 'deepgram'}});
    is next_text($ws)->{message}, 'STT configuration is required when audio=true', 'stt_config required';
    $ws->send_json({type => 'config', stt_config => \%stt});
    is next_text($ws)->{message}, 'TTS configuration is required when audio=true', 'tts_config required';
    # a streaming provider's options are checked before it is called
    $ws->send_json({%config, stt_config => {%stt, provider => 'deepgram', encoding => 'flac'}});
    like next_text($ws)->{message}, qr/^Unsupported encoding for deepgram: flac/,
         'an encoding the stream cannot take';
    $ws->send_json({%config, stt_config => {%stt, provider => 'cartesia', sample_rate => 11025}});
    like next_text($ws)->{message}, qr/^Unsupported sample rate for cartesia: 11025/,
         'a sample rate it cannot take';
    $ws->send_json({%config, tts_config => {provider => 'nosuch'}});
    is next_text($ws)->{message}, 'Unsupported provider: nosuch', 'unknown provider';
    is $w->mock('/__mock/count'), 0, 'the mock saw nothing';
    $ws->send_json({type => 'config', audio => JSON::PP::false});
    is next_text($ws)->{type}, 'ready', 'audio=false needs no providers';
};

subtest 'buffered STT: audio, flush → stt_result' => sub {
    my $ws = session();
    Waav::Run::mock_reset();
    $ws->send_binary("\1\0" x 8000) for 1 .. 4;
    $ws->send_json({type => 'flush'});
    my $r = next_text($ws);
    is $r->{type}, 'stt_result', 'stt_result' or diag explain $r;
    ok length $r->{transcript}, 'a transcript';
    is $r->{is_final}, $T, 'final';
    is $r->{is_speech_final}, $T, 'speech final';
    my $recs = decode_json($w->mock('/__mock/requests'));
    is scalar @$recs, 1, 'one transcription';
    like $recs->[0]{path}, qr{^/openai/v1/audio/transcriptions}, 'OpenAI\'s API';
};

subtest 'clear: the running speak is cut, queued ones dropped, no completion' => sub {
    my $ws = session();
    Waav::Run::mock_reset();
    is $w->mock_behavior('{"split":960,"pause_ms":3000}'), 204, 'the provider pauses mid-audio';
    $ws->send_json({type => 'speak', text => 'one'});
    $ws->send_json({type => 'speak', text => 'two'});
    my $first = $ws->next_message(10);
    is $first->{type}, 'binary', 'audio began';
    $ws->send_json({type => 'clear'});
    $ws->send_json({type => 'ping', timestamp => 7});
    my @after;
    while (my $m = $ws->next_message(10)) {
        push @after, $m;
        last if $m->{type} eq 'text';
    }
    my ($pong) = grep { $_->{type} eq 'text' } @after;
    is $pong->{json}{type}, 'pong', 'the next message is the pong: no completion, no error';
    $ws->send_json({type => 'speak', text => 'three'});
    my @audio;
    is next_text($ws, \@audio)->{type}, 'tts_playback_complete', 'the next speak plays';
    is join('', @audio), mock_audio('deepgram'), 'whole';
};

subtest 'azure (a key exchanged for a token) on /ws: speak after speak' => sub {
    Waav::Run::mock_reset();
    my $ws = ws();
    $ws->send_json({%config, tts_config => {provider => 'azure'}});
    is next_text($ws)->{type}, 'ready', 'ready';
    for my $t ('one', 'two', 'three') {
        $ws->send_json({type => 'speak', text => $t});
        my @audio;
        my $r = next_text($ws, \@audio);
        is $r->{type}, 'tts_playback_complete', "speak '$t' completes" or diag explain $r;
        ok length(join '', @audio) > 0, "with audio";
    }
    is $w->mock('/__mock/count?provider=azure'), 3, 'three syntheses';
};

# --- hostile frames ---------------------------------------------------------
subtest 'framing errors close the connection with their codes' => sub {
    my %cases = (
        'an unmasked frame' => [1002, sub { $_[0]->send_frame(opcode => 'text', payload => '{}', mask => 0) }],
        'a reserved bit' => [1002, sub { $_[0]->send_frame(opcode => 'text', payload => '{}', rsv => 4) }],
        'a reserved opcode' => [1002, sub { $_[0]->send_frame(opcode => 3, payload => 'x') }],
        'a fragmented ping' => [1002, sub { $_[0]->send_frame(opcode => 'ping', payload => 'x', fin => 0) }],
        'a continuation first' => [1002, sub { $_[0]->send_frame(opcode => 'continuation', payload => 'x') }],
        'invalid UTF-8' => [1007, sub { $_[0]->send_frame(opcode => 'text', payload => "\xff\xfe") }],
        'a frame over 10 MiB' => [1009, sub { $_[0]->send_frame(opcode => 'binary', payload => 'x' x 1024, length => 10 * 1024 * 1024 + 1) }],
    );
    for my $name (sort keys %cases) {
        my ($code, $send) = @{$cases{$name}};
        my $ws = ws();
        $send->($ws);
        my $c = $ws->read_until(sub { $_[0]{type} eq 'close' || $_[0]{type} eq 'eof' }, 10);
        is $c->{type}, 'close', "$name: a close";
        is $c->{code}, $code, "$name: $code";
    }
};

subtest 'messages over their bounds: an error, the session goes on' => sub {
    my $ws = session();
    $ws->send_text('x' x (1024 * 1024 + 1));
    is next_text($ws)->{message}, 'Message too large: 1048577 bytes (max 1048576 bytes)', 'text';
    $ws->send_binary("\0" x (5 * 1024 * 1024 + 2));
    is next_text($ws)->{message}, 'Audio frame too large: 5242882 bytes (max: 5242880 bytes)', 'binary';
    $ws->send_json({type => 'ping'});
    is next_text($ws)->{type}, 'pong', 'still there';
};

subtest 'the access log line: tenant, duration, frames and bytes' => sub {
    my $ws = session(path => '/ws?log=1');
    $ws->send_json({type => 'ping', timestamp => 1});
    next_text($ws);
    $ws->send_close(1000);
    $ws->next_message(5);
    $ws->wait_eof(5);
    my $line;
    for (1 .. 100) {
        ($line) = grep { m{GET /ws\?log=1 } } reverse split /\n/, Waav::Blocks::read_file($w->prefix . '/logs/stdout.log');
        last if $line && $line =~ m{ws=\d};
        select undef, undef, undef, 0.1;
    }
    like $line, qr{" 101 .* tenant="-" ws=\d+\.\d{3} 2/2 \d+/\d+$}, 'logged' or diag $line;
};

# --- an independent client: Debian's python3-websockets --------------------
subtest 'python3-websockets: config → ready → speak → audio → complete → close' => sub {
    my $url = 'ws://127.0.0.1:' . $w->port . '/ws';
    my $out = `/usr/bin/python3 t/ws/session.py --url $url --tts-provider deepgram --text Hello --text "Good bye" --ping --audio-bytes 32000 --flush 2>&1`;
    is $?, 0, 'the session went as described' or diag $out;
    my $s = eval { decode_json($out) } // {};
    is $s->{ready}{type}, 'ready', 'ready';
    is scalar @{$s->{speaks} // []}, 2, 'two speaks';
    is $s->{speaks}[$_]{binary_bytes}, length mock_audio('deepgram'), "speak $_: the audio" for 0, 1;
    ok $s->{speaks}[$_]{complete}, "speak $_: tts_playback_complete" for 0, 1;
    is $s->{close_code}, 1000, 'closed with 1000';
};

$w->finish;

# --- auth: a token in the upgrade, or an auth message ---------------------
my $a = Waav::Run->start('060a', env => {%env, AUTH_REQUIRED => 'true',
                                         AUTH_API_SECRET => 'sekrit', AUTH_API_SECRET_ID => 'acme'});

subtest 'auth: a wrong token is 401 before the upgrade; none asks for an auth message' => sub {
    my $ws = Waav::WS->connect(port => $a->port, path => '/ws?token=wrong');
    is $ws->status, 401, 'a wrong token: 401';
    is_deeply $ws->json, {error => 'unauthorized', message => 'Unauthorized: Invalid API secret'}, 'WaaV\'s body';

    $ws = Waav::WS->connect(port => $a->port, path => '/ws?token=sekrit');
    ok $ws->upgraded, 'the right token: 101';
    $ws->send_json(\%config);
    is next_text($ws)->{type}, 'ready', 'and no auth message is needed';

    $ws = Waav::WS->connect(port => $a->port, path => '/ws');
    ok $ws->upgraded, 'no token: 101 anyway';
    is_deeply next_text($ws), {type => 'auth_required'}, 'auth_required first';
    $ws->send_json({type => 'ping', timestamp => 1});
    is_deeply next_text($ws), {type => 'error', message => 'Authentication required. Send auth message first.'},
              'anything else first: an error';
    my $c = $ws->next_message(5);
    is $c->{type}, 'close', 'then a close';
    is $c->{code}, 1008, 'code 1008';

    $ws = Waav::WS->connect(port => $a->port, path => '/ws', headers => ['Authorization: Token x']);
    ok $ws->upgraded, 'a malformed header: 101 anyway';
    is next_text($ws)->{type}, 'auth_required', 'auth_required';
    $ws->send_json({type => 'auth', token => 'nope'});
    is_deeply next_text($ws), {type => 'error', message => 'Invalid authentication token'}, 'a wrong token';
    is $ws->next_message(5)->{code}, 1008, 'closed with code 1008';

    $ws = Waav::WS->connect(port => $a->port, path => '/ws');
    next_text($ws);
    $ws->send_json({type => 'auth', token => 'sekrit'});
    is_deeply next_text($ws), {type => 'authenticated', id => 'acme'}, 'authenticated as acme';
    $ws->send_json(\%config);
    is next_text($ws)->{type}, 'ready', 'then the session';
    $ws->send_json({type => 'speak', text => 'Hi'});
    is next_text($ws, [])->{type}, 'tts_playback_complete', 'and speaks';
};

diag $a->error_log unless Test::More->builder->is_passing;
$a->finish;

done_testing;
