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
