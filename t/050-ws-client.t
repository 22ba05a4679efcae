# The raw WebSocket client the /ws tests use (t/lib/Waav/WS.pm), proven
# before waav's /ws exists: RFC 6455's own examples, then against an
# independent server (Mojolicious, t/mock/ws-echo.pl) and against canned
# bytes from a raw socket (what no real server would send).
use strict;
use warnings;
use utf8;
use Test::More;
use lib 't/lib';
use Waav::WS;
use Waav::Port;
use IO::Socket::INET;
use JSON::PP qw(decode_json);
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);

binmode Test::More->builder->$_, ':encoding(UTF-8)'
    for qw(output failure_output todo_output);

my @Children;
END { for (@Children) { kill 'TERM', $_; waitpid $_, 0 } }

sub wait_port {
    my ($port) = @_;
    my $until = time + 30;
    while (time < $until) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                      Proto => 'tcp');
        return 1 if $s;
        sleep 0.02;
    }
    return 0;
}

# t/mock/ws-echo.pl on a port of its own
sub start_echo {
    my $port = Waav::Port::free_port();
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        exec $^X, 't/mock/ws-echo.pl', 'daemon', '-l', "http://127.0.0.1:$port"
            or POSIX::_exit(127);
    }
    push @Children, $pid;
    wait_port($port) or BAIL_OUT('t/mock/ws-echo.pl did not start');
    return $port;
}

# a raw server: one connection, reads the request head, writes $answer,
# then waits for the client to go
sub canned {
    my ($answer) = @_;
    my $l = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, Proto => 'tcp', ReuseAddr => 1)
        or die "listen: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my $c = $l->accept or POSIX::_exit(1);
        my $req = '';
        while ($req !~ /\r\n\r\n/) { sysread($c, $req, 4096, length $req) or last }
        my ($key) = $req =~ /^Sec-WebSocket-Key: (\S+)/mi;
        $answer = $answer->($key // '') if ref $answer;
        syswrite $c, $answer;
        1 while sysread $c, my $x, 4096;
        POSIX::_exit(0);
    }
    push @Children, $pid;
    my $port = $l->sockport;
    close $l;
    return $port;
}

sub upgrade_head {
    my ($accept) = @_;
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
         . "Connection: Upgrade\r\nSec-WebSocket-Accept: $accept\r\n\r\n";
}

# --- RFC 6455's examples (no server) ----------------------------------------

subtest 'handshake and framing: RFC 6455 examples' => sub {
    # 1.3
    is Waav::WS::accept_for('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
       'Sec-WebSocket-Accept of the RFC key';
    like Waav::WS::new_key(), qr{^[A-Za-z0-9+/]{22}==$}, 'a key is 16 bytes, base64';

    # 5.7
    is unpack('H*', Waav::WS::frame_bytes(opcode => 'text', payload => 'Hello', mask => 0)),
       '810548656c6c6f', 'unmasked text "Hello"';
    is unpack('H*', Waav::WS::frame_bytes(opcode => 'text', payload => 'Hello',
                                          mask_key => pack('H*', '37fa213d'))),
       '818537fa213d7f9f4d5158', 'masked text "Hello"';
    is unpack('H*', Waav::WS::frame_bytes(opcode => 'text', payload => 'Hel', fin => 0, mask => 0))
       . unpack('H*', Waav::WS::frame_bytes(opcode => 0, payload => 'lo', mask => 0)),
       '010348656c80026c6f', 'fragmented unmasked text';
    is unpack('H*', Waav::WS::frame_bytes(opcode => 'ping', payload => 'Hello', mask => 0)),
       '890548656c6c6f', 'unmasked ping';
    is unpack('H*', substr Waav::WS::frame_bytes(opcode => 'binary', payload => 'x' x 256,
                                                 mask => 0), 0, 4),
       '827e0100', '256 bytes binary: 16-bit length';
    is unpack('H*', substr Waav::WS::frame_bytes(opcode => 'binary', payload => 'x' x 65536,
                                                 mask => 0), 0, 10),
       '827f0000000000010000', '64 KiB binary: 64-bit length';

    # what a hostile test needs
    is unpack('H*', Waav::WS::frame_bytes(opcode => 1, payload => 'a', mask => 0,
                                          rsv => 7, fin => 0)),
       '710161', 'RSV1-3 set, FIN clear';
    is unpack('H*', Waav::WS::frame_bytes(opcode => 3, payload => '', mask => 0)),
       '8300', 'a reserved opcode';
    is unpack('H*', Waav::WS::frame_bytes(opcode => 2, payload => 'ab', mask => 0,
                                          len_bits => 64)),
       '827f00000000000000026162', 'a non-minimal 64-bit length';
    is unpack('H*', Waav::WS::frame_bytes(opcode => 2, payload => '', mask => 0,
                                          length => 11 * 1024 * 1024)),
       '827f0000000000b00000', 'a declared length with no payload (11 MiB)';
    eval { Waav::WS::frame_bytes(payload => "\x{263a}") };
    like $@, qr/bytes/, 'characters are refused as a payload';

    # parse_frame reads back what frame_bytes wrote, and waits for the rest
    for my $len (0, 1, 125, 126, 65535, 65536, 70000) {
        my $p = join '', map { chr(($_ * 7) & 0xff) } 1 .. $len;
        my $buf = Waav::WS::frame_bytes(opcode => 'binary', payload => $p, rsv => 2);
        my $half = substr $buf, 0, length($buf) - 1;
        is Waav::WS::parse_frame(\$half), undef, "$len bytes: a partial frame is not parsed";
        my $f = Waav::WS::parse_frame(\$buf);
        ok $f && $f->{payload} eq $p && $f->{masked} && $f->{rsv} == 2 && $f->{fin}
           && $f->{type} eq 'binary' && $f->{length} == $len, "$len bytes: round trip";
        is $buf, '', "$len bytes: the frame is consumed";
    }
    my @parts = Waav::WS::split_bytes('abcdefghij', 3);
    is_deeply \@parts, ['abc', 'def', 'ghij'], 'split_bytes';
};

# --- against Mojolicious ------------------------------------------------------

my $port = start_echo();

subtest 'upgrade, echo of text, JSON and binary (7, 16 and 64-bit lengths)' => sub {
    my $ws = Waav::WS->connect(port => $port, path => '/echo');
    ok $ws->upgraded, 'upgraded' or diag explain $ws;
    is $ws->status, 101, 'status 101';
    ok $ws->{accept_ok}, 'Sec-WebSocket-Accept verified';

    ok $ws->send_text('héllo ☺'), 'text sent';
    my $m = $ws->next_message(10);
    is $m->{type}, 'text', 'a text message back';
    is $m->{text}, 'héllo ☺', 'the same characters';
    is $m->{data}, "h\xc3\xa9llo \xe2\x98\xba", 'as UTF-8 on the wire';
    is $m->{masked}, 0, 'the server did not mask';

    $ws->send_json({type => 'speak', text => 'Grüße', n => 3});
    $m = $ws->next_message(10);
    is_deeply $m->{json}, {type => 'speak', text => 'Grüße', n => 3}, 'JSON decoded';

    for my $len (1, 300, 70000, 3 * 1024 * 1024) {
        my $bytes = join '', map { chr(($_ * 31) & 0xff) } 1 .. ($len > 70000 ? 256 : $len);
        $bytes = substr $bytes x (int($len / 256) + 1), 0, $len;
        $ws->send_binary($bytes);
        $m = $ws->next_message(30);
        ok $m && $m->{type} eq 'binary' && $m->{data} eq $bytes && $m->{length} == $len,
           "$len bytes binary echoed";
    }
    is $ws->next_message(0.2), undef, 'nothing more: undef at the timeout';

    # an unmasked frame is well formed (the server is lenient here; waav is not)
    $ws->send_text('bare', mask => 0);
    is $ws->next_message(10)->{text}, 'bare', 'an unmasked frame is well formed';

    is_deeply [$ws->types], ['text', 'speak', ('binary') x 4, 'text'],
              'types(): a JSON message by its type';
    my @log = $ws->received;
    is scalar @log, 7, 'received() keeps every message';
    ok $ws->{bytes_out} > 3 * 1024 * 1024 && $ws->{bytes_in} > 3 * 1024 * 1024, 'byte counts';
};

subtest 'fragments, pings and pongs' => sub {
    my $ws = Waav::WS->connect(port => $port, path => '/echo');
    ok $ws->upgraded, 'upgraded';

    # a fragmented message with a ping between its fragments
    ok $ws->send_fragmented(1, ['frag', 'ment', 'ed ☺' =~ s/☺/\xe2\x98\xba/r],
                            between => sub { $_[0]->ping("p$_[1]") }), 'sent in 3 fragments';
    my ($m, $seen) = $ws->read_until(sub { $_->{type} eq 'text' }, 10);
    is $m->{text}, 'fragmented ☺', 'the server joined them';
    is_deeply [map { "$_->{type}:$_->{data}" } grep { $_->{type} eq 'pong' } @$seen],
              ['pong:p0', 'pong:p1'], 'the pings between fragments were ponged, in order';

    $ws->ping('abc');
    $m = $ws->next_message(10);
    is_deeply [$m->{type}, $m->{data}], ['pong', 'abc'], 'ping → pong with the payload';

    # the server's fragments are joined
    $ws->send_text('!frag');
    $m = $ws->next_message(10);
    is_deeply [$m->{type}, $m->{text}, $m->{frames}], ['text', 'hello world', 3],
              'a 3-fragment message from the server';

    # a server ping is answered by the client while it reads
    $ws->send_text('!ping xyz');
    $m = $ws->read_until(sub { ($_->{text} // '') eq 'pinged' }, 10);
    ok $m, 'read past the server ping';
    is_deeply $ws->{pings}, ['xyz'], 'the ping was seen';
    $ws->send_text('!pongs');
    is_deeply $ws->next_json(10), ['xyz'], 'and answered with a pong';

    # next_frame shows frames as they are
    $ws->send_text('!frag');
    my @f = map { $ws->next_frame(10) } 1 .. 3;
    is_deeply [map { [$_->{opcode}, $_->{fin}, $_->{payload}] } @f],
              [[1, 0, 'hel'], [0, 0, 'lo '], [0, 1, 'world']], 'next_frame: raw fragments';

    # many frames, read until a count
    $ws->send_text('!flood 200 1000');
    my $n = 0;
    $m = $ws->read_until(sub { $_->{type} eq 'binary' && ++$n == 200 }, 30);
    ok $m, '200 binary frames read';
    is $m->{length}, 1000, 'each 1000 bytes';
};

subtest 'path, query and extra headers reach the server' => sub {
    my $ws = Waav::WS->connect(port => $port, path => '/info?token=a%20b&x=1',
                               headers => ['Authorization: Bearer t0k', 'X-Extra: 1']);
    ok $ws->upgraded, 'upgraded';
    my $info = $ws->next_json(10);
    is $info->{method}, 'GET', 'GET';
    is $info->{path}, '/info', 'path';
    is $info->{query}, 'token=a%20b&x=1', 'query as sent';
    is $info->{headers}{Authorization}, 'Bearer t0k', 'Authorization';
    is $info->{headers}{'X-Extra'}, '1', 'extra header';
    is $info->{headers}{'Sec-WebSocket-Version'}, '13', 'version 13';
    is $info->{headers}{Host}, "127.0.0.1:$port", 'Host';

    $ws = Waav::WS->connect(port => $port, path => '/info', headers => {'X-H' => 'v'});
    is $ws->next_json(10)->{headers}{'X-H'}, 'v', 'headers as a hash';
};

subtest 'a refused upgrade: status, headers, JSON body' => sub {
    for my $st (400, 401, 426, 429, 503) {
        my $ws = Waav::WS->connect(port => $port, path => "/refuse?status=$st");
        ok !$ws->upgraded, "$st: not upgraded";
        is $ws->status, $st, "$st: status";
        is_deeply $ws->json, {error => "refused with $st", code => 'REFUSED'}, "$st: JSON body";
        like $ws->headers->{'content-type'}, qr{^application/json}, "$st: content type";
        is $ws->headers->{'retry-after'}, 1, '429: Retry-After' if $st == 429;
    }

    # the default headers replaced or left out, another method
    my $ws = Waav::WS->connect(port => $port, path => '/headers', method => 'POST',
                               replace => {Upgrade => undef, 'sec-websocket-key' => 'short',
                                           'Sec-WebSocket-Version' => '8'});
    is $ws->status, 400, 'not an upgrade';
    my $h = $ws->json->{headers};
    is $ws->json->{method}, 'POST', 'method';
    ok !exists $h->{Upgrade}, 'Upgrade left out';
    is $h->{'Sec-WebSocket-Key'}, 'short', 'key replaced';
    is $h->{'Sec-WebSocket-Version'}, '8', 'version replaced';
    is $h->{Connection}, 'Upgrade', 'the others kept';

    # nobody listening
    my $dead = Waav::Port::free_port();
    $ws = Waav::WS->connect(port => $dead, path => '/ws', timeout => 5);
    like $ws->error, qr/^connect:/, 'connection refused: error()';
    ok !$ws->upgraded, 'not upgraded';
};

subtest 'close frames and the end of the connection' => sub {
    my $ws = Waav::WS->connect(port => $port, path => '/echo');
    $ws->send_text('!close 1008 policy');
    my $m = $ws->next_message(10);
    is_deeply [@$m{qw(type code reason)}], ['close', 1008, 'policy'], 'close 1008 with a reason';
    $ws->send_close(1008);
    ok $ws->wait_eof(10), 'the server closed the TCP connection';
    is $ws->next_message(1)->{type}, 'eof', 'then next_message says eof';
    is scalar $ws->read_until(sub { 0 }, 30), undef, 'read_until ends at eof';

    $ws = Waav::WS->connect(port => $port, path => '/echo');
    $ws->send_text('!close');
    $m = $ws->next_message(10);
    is_deeply [@$m{qw(type code reason)}], ['close', undef, ''], 'a close without a code';

    # the client closes first
    $ws = Waav::WS->connect(port => $port, path => '/echo');
    $ws->send_close(1000, 'bye');
    $m = $ws->next_message(10);
    is_deeply [@$m{qw(type code)}], ['close', 1000], 'the server answers a close';
    ok $ws->wait_eof(10), 'and closes';

    # dropped without a close frame
    $ws = Waav::WS->connect(port => $port, path => '/echo');
    $ws->send_text('!abort');
    $m = $ws->next_message(10);
    is $m->{type}, 'eof', 'a dropped connection: eof, no close frame';
    ok !$ws->{close_received}, 'no close frame seen';

    # writes after the server left fail instead of dying on SIGPIPE
    $ws->send_binary('x' x 65536) for 1 .. 4;
    ok defined $ws->{write_error} || $ws->{bytes_out} > 0, 'writes to a closed peer return';
};

subtest 'a client that never reads: the server closing is seen without reading' => sub {
    # control: an idle connection stays open (server side ESTABLISHED)
    my $idle = Waav::WS->connect(port => $port, path => '/echo');
    $idle->send_text('x');
    ok $idle->next_message(10), 'an echo';
    my $st = $idle->tcp_state;
    is $st->{client}{state}, 'ESTABLISHED', 'tcp_state: client side';
    is $st->{server}{state}, 'ESTABLISHED', 'tcp_state: server side';
    ok !$idle->server_closed, 'server_closed: false while it is open';

    my $ws = Waav::WS->connect(port => $port, path => '/stall', rcvbuf => 4096);
    ok $ws->upgraded, 'upgraded';
    ok $ws->wait_server_closed(30), 'the server closed, the client read nothing more';
    $st = $ws->tcp_state;
    ok !$st->{server} || $st->{server}{state} ne 'ESTABLISHED',
       'its side is ' . ($st->{server} ? $st->{server}{state} : 'gone');
    my ($end, $seen) = $ws->read_until(sub { $_->{type} eq 'eof' }, 30);
    ok $end, 'reading drains to the end';
    my @types = map { $_->{type} } @$seen;
    is_deeply [grep { $_ ne 'binary' } @types], ['eof'],
              'only whole binary frames, then the end (dropped: no close frame)';
    ok !(grep { $_->{type} eq 'binary' && $_->{length} != 65536 } @$seen),
       scalar(@types) - 1 . ' frames of 64 KiB drained';

    # the client vanishes
    $idle->abort(rst => 1);
    ok !$idle->sock, 'abort: the socket is gone';
};

# --- t/ws/session.py (python3-websockets) against the fake /ws ---------------

# runs the session script; (exit status, its JSON summary)
sub session_py {
    my @args = @_;
    my $out = `/usr/bin/python3 t/ws/session.py --url ws://127.0.0.1:$port/ws --timeout 30 @args 2>&1`;
    my $st = $? >> 8;
    my $sum = eval { decode_json($out) } or diag "session.py: $out";
    return ($st, $sum // {});
}

subtest 't/ws/session.py: a full session, its summary and exit status' => sub {
    my ($st, $s) = session_py('--token good');
    is $st, 0, 'token in the query: exit 0';
    is_deeply [@$s{qw(ok status close_code)}], [JSON::PP::true, 101, 1000], 'ok, 101, close 1000';
    is_deeply $s->{sequence}, ['ready', 'binary*5', 'tts_playback_complete'], 'sequence';
    is_deeply $s->{binary_sizes}, [(480) x 5], '10 ms frames at 24 kHz';
    is $s->{binary_bytes}, 2400, 'total bytes';
    is $s->{ready}{stream_id}, 'fake', 'the ready message';

    ($st, $s) = session_py(qw(--token good --token-via header --ping --audio-bytes 32000
                              --flush --text one --text two --sample-rate 16000 --stream-id s1));
    is $st, 0, 'header, ping, audio, flush, two speaks: exit 0' or diag explain $s;
    is_deeply $s->{sequence}, ['ready', 'pong', 'stt_result', 'binary*5',
                               'tts_playback_complete', 'binary*5', 'tts_playback_complete'],
              'sequence';
    is $s->{stt_results}[0]{transcript}, '32000 bytes', 'the audio reached the server';
    is_deeply [map { $_->{binary_bytes} } @{$s->{speaks}}], [1600, 1600], 'per speak: bytes';
    is $s->{ready}{stream_id}, 's1', 'stream_id sent';

    ($st, $s) = session_py(qw(--token good --token-via message));
    is $st, 0, 'auth message: exit 0';
    is_deeply [map { $_->{type} } @{$s->{auth}}], ['auth_required', 'authenticated'], 'auth flow';

    ($st, $s) = session_py(qw(--token bad));
    is $st, 1, 'a wrong token: exit 1';
    is $s->{status}, 401, 'the refusal status';

    ($st, $s) = session_py(qw(--token bad --token-via message));
    is $st, 1, 'a wrong token in the auth message: exit 1';
    like $s->{error}, qr/Invalid authentication token/, 'the error';

    ($st, $s) = session_py(qw(--token good --stt-config null));
    is $st, 1, 'a config without stt_config: exit 1';
    like $s->{error}, qr/^config: .*STT configuration is required/, 'the error';
    is $s->{ready}, undef, 'no ready';
};

# --- canned answers (what Mojolicious would not send) -------------------------

subtest 'a 101 with a wrong Sec-WebSocket-Accept is not an upgrade' => sub {
    my $p = canned(upgrade_head('AAAAAAAAAAAAAAAAAAAAAAAAAAA='));
    my $ws = Waav::WS->connect(port => $p, path => '/ws');
    is $ws->status, 101, 'status 101';
    ok !$ws->{accept_ok}, 'accept rejected';
    ok !$ws->upgraded, 'not upgraded';

    $p = canned(sub { "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n"
                      . 'Sec-WebSocket-Accept: ' . Waav::WS::accept_for($_[0]) . "\r\n\r\n" });
    $ws = Waav::WS->connect(port => $p, path => '/ws');
    ok $ws->{accept_ok} && !$ws->upgraded, 'no Connection: upgrade, not upgraded';
};

subtest 'frames right after the 101, masked and odd server frames' => sub {
    my $p = canned(sub {
        upgrade_head(Waav::WS::accept_for($_[0]))
        . Waav::WS::frame_bytes(opcode => 1, payload => '{"type":"auth_required"}', mask => 0)
        . Waav::WS::frame_bytes(opcode => 1, payload => "\xff\xfe", mask => 0)
        . Waav::WS::frame_bytes(opcode => 2, payload => 'm', mask_key => 'abcd')
        . Waav::WS::frame_bytes(opcode => 0, payload => 'orphan', mask => 0)
        . Waav::WS::frame_bytes(opcode => 8, payload => pack('n', 1002), mask => 0, rsv => 4)
    });
    my $ws = Waav::WS->connect(port => $p, path => '/ws');
    ok $ws->upgraded, 'upgraded';
    is_deeply $ws->next_json(5), {type => 'auth_required'},
              'a message in the same packet as the 101 is kept';
    my $m = $ws->next_message(5);
    ok $m->{type} eq 'text' && !defined $m->{text} && $m->{data} eq "\xff\xfe",
       'invalid UTF-8: text undef, the bytes kept';
    $m = $ws->next_message(5);
    ok $m->{masked} && $m->{data} eq 'm', 'a masked server frame is flagged';
    $m = $ws->next_message(5);
    is_deeply [@$m{qw(type data)}], ['continuation', 'orphan'],
              'a continuation without a start is returned as one';
    $m = $ws->next_message(5);
    is_deeply [@$m{qw(type code rsv)}], ['close', 1002, 4], 'close with RSV1 shown';
};

done_testing;
