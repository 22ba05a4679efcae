#!/usr/bin/env perl
# A tiny WebSocket server for t/050-ws-client.t, which proves the raw client
# t/lib/Waav/WS.pm against an independent implementation (Mojolicious).
#
#   perl t/mock/ws-echo.pl daemon -l http://127.0.0.1:PORT
#
#   /echo    echoes every text and binary message as it came; text commands:
#            "!close [code [reason]]"  a close frame (no code: empty)
#            "!frag"                    "hello world" in three fragments
#            "!ping P"                  a ping with payload P, then "pinged"
#            "!pongs"                   the pongs received, as a JSON array
#            "!flood N SIZE"            N binary frames of SIZE bytes
#            "!abort"                   drops the TCP connection, no close
#   /info    sends the request as JSON {method, path, query, headers}
#   /stall   sends 4 MiB in 64 KiB binary frames, then drops the connection
#            (for a client that never reads)
#   /refuse?status=N  (any method, no upgrade) N with a JSON error body
#   /headers (no upgrade) 400 with the request's method and headers as JSON
#   /ws      a fake of waav's /ws, just enough for t/ws/session.py's happy
#            path: token "good" (?token= or Bearer; another one: 401; none:
#            auth_required, then an auth message; WS_FAKE_AUTH=off: none
#            needed), config → ready, speak →
#            5 binary frames (10 ms at the TTS rate) → tts_playback_complete,
#            ping → pong, binary audio + flush → stt_result
use Mojolicious::Lite -signatures;
use Mojo::IOLoop;

app->log->level('fatal');

sub keep ($c) {
    $c->inactivity_timeout(300);
    $c->tx->max_websocket_size(32 * 1024 * 1024);
}

websocket '/echo' => sub ($c) {
    keep($c);
    my @pongs;
    $c->on(frame => sub ($c, $f) { push @pongs, $f->[5] if $f->[4] == 10 });
    $c->on(binary => sub ($c, $bytes) { $c->tx->send({binary => $bytes}) });
    $c->on(text => sub ($c, $bytes) {
        if ($bytes =~ /^!close(?: (\d+)(?: (.*))?)?$/s) {
            return $c->tx->finish(defined $1 ? ($1, $2) : ());
        }
        if ($bytes eq '!frag') {
            $c->tx->send([0, 0, 0, 0, 1, 'hel']);
            $c->tx->send([0, 0, 0, 0, 0, 'lo ']);
            return $c->tx->send([1, 0, 0, 0, 0, 'world']);
        }
        if ($bytes =~ /^!ping (.*)$/s) {
            $c->tx->send([1, 0, 0, 0, 9, $1]);
            return $c->tx->send({text => 'pinged'});
        }
        return $c->tx->send({json => \@pongs}) if $bytes eq '!pongs';
        if ($bytes =~ /^!flood (\d+) (\d+)$/) {
            $c->tx->send({binary => 'x' x $2}) for 1 .. $1;
            return;
        }
        if ($bytes eq '!abort') {
            return Mojo::IOLoop->stream($c->tx->connection)->close;
        }
        $c->tx->send({text => $bytes});
    });
};

websocket '/info' => sub ($c) {
    keep($c);
    my $req = $c->req;
    $c->send({json => {method => $req->method, path => $req->url->path->to_string,
                       query => $req->url->query->to_string,
                       headers => $req->headers->to_hash}});
};

websocket '/stall' => sub ($c) {
    keep($c);
    my $id = $c->tx->connection;
    $c->send({binary => 'z' x 65536}) for 1 .. 64;
    # what the kernel took stays in its buffers; the rest is dropped
    Mojo::IOLoop->timer(0.3 => sub {
        my $s = Mojo::IOLoop->stream($id);
        $s->close if $s;
    });
};

websocket '/ws' => sub ($c) {
    my ($token) = ($c->req->headers->authorization // '') =~ /^Bearer (.+)$/;
    $token //= $c->param('token');
    if (defined $token && $token ne 'good') {
        return $c->render(status => 401,
                          json => {error => 'unauthorized', message => 'Unauthorized'});
    }
    keep($c);
    # WS_FAKE_AUTH=off: AUTH_REQUIRED off, no token needed
    my %s = (authed => defined $token || ($ENV{WS_FAKE_AUTH} // '') eq 'off', audio => 0);
    my $send = sub ($m) { $c->send({json => $m}) };
    $c->on(binary => sub ($c, $bytes) { $s{audio} += length $bytes });
    $c->on(json => sub ($c, $m = undef) {
        return unless defined $m;    # binary audio
        my $type = ref $m eq 'HASH' ? $m->{type} // '' : '';
        unless ($s{authed}) {
            if ($type eq 'auth' && ($m->{token} // '') eq 'good') {
                $s{authed} = 1;
                return $send->({type => 'authenticated', id => 'default'});
            }
            $send->({type => 'error', message => 'Invalid authentication token'});
            return $c->finish;
        }
        if ($type eq 'config') {
            return $send->({type => 'error', message =>
                            'STT configuration is required when audio=true'})
                unless $m->{stt_config} && $m->{tts_config};
            $s{rate} = $m->{tts_config}{sample_rate} // 24000;
            return $send->({type => 'ready', stream_id => $m->{stream_id} // 'fake',
                            livekit_url => 'http://localhost:7880'});
        }
        if ($type eq 'speak') {
            $c->send({binary => "\0" x ($s{rate} / 100 * 2)}) for 1 .. 5;
            return $send->({type => 'tts_playback_complete', timestamp => int(time * 1000)});
        }
        return $send->({type => 'pong', timestamp => $m->{timestamp}}) if $type eq 'ping';
        if ($type eq 'flush') {
            return $send->({type => 'stt_result', transcript => "$s{audio} bytes",
                            is_final => \1, is_speech_final => \1, confidence => 1.0});
        }
        $send->({type => 'error', message => "Invalid message format: $type"});
    });
    $send->({type => 'auth_required'}) unless $s{authed};
};

any '/refuse' => sub ($c) {
    my $status = $c->param('status') // 429;
    $c->res->headers->header('Retry-After' => 1) if $status == 429;
    $c->render(status => $status,
               json => {error => "refused with $status", code => 'REFUSED'});
};

any '/headers' => sub ($c) {
    $c->render(status => 400, json => {method => $c->req->method,
                                       headers => $c->req->headers->to_hash});
};

app->start;
