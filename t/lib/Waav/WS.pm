package Waav::WS;

# A raw WebSocket client (RFC 6455) for the tests of waav's /ws: every byte
# under the test's control, so that hostile input can be sent (unmasked
# frames, reserved bits, lying lengths, broken fragmentation, invalid UTF-8,
# a client that never reads or vanishes).  Core Perl only (IO::Socket,
# Digest::SHA, MIME::Base64, JSON::PP, Encode).
#
#   use Waav::WS;
#   my $ws = Waav::WS->connect(port => $port, path => '/ws?token=t',
#                              headers => ['Authorization: Bearer t']);
#   $ws->upgraded or diag "refused: $ws->{status} $ws->{body}";
#   $ws->send_json({type => 'config', ...});
#   my $ready = $ws->read_until(sub { ($_[0]{json}{type} // '') eq 'ready' }, 10);
#   $ws->send_json({type => 'speak', text => 'Hello'});
#   my ($done, $msgs) = $ws->read_until(sub { $_[0]{json} && $_[0]{json}{type} eq 'tts_playback_complete' });
#   my @audio = grep { $_->{type} eq 'binary' } @$msgs;
#   $ws->send_close(1000);
#   my $close = $ws->next_message(5);       # {type => 'close', code => 1000}
#   ok $ws->wait_eof(5), 'the server closed the TCP connection';
#
# Refused upgrades: connect() returns the object with upgraded() false and
# status, headers (lower-case names) and body (decoded JSON in {json}).
#
# Messages (next_message, read_until) are hashes:
#   {type => 'text',   data => bytes, text => characters or undef (invalid
#                      UTF-8), json => decoded value or undef, frames => n}
#   {type => 'binary', data => bytes, length => n, frames => n}
#   {type => 'close',  code => n or undef, reason => bytes, data => payload}
#   {type => 'pong'|'ping', data => payload}
#   {type => 'eof'}    the server closed the TCP connection (or reset it:
#                      {error => ...})
# Frames (next_frame) are {fin, rsv (0..7), opcode, masked, mask, length,
# payload, type}.  Pings are answered with a pong by next_message and
# read_until unless auto_pong => 0 (next_frame never answers).
#
# Timeouts are upper bounds only: every read returns as soon as its state is
# reached, and undef when the time passes.
#
# A client that never reads: connect(rcvbuf => 4096) and then no read; the
# server's view of the connection is in /proc/net/tcp (tcp_state), so that
# wait_server_closed() sees the server close it without the client reading
# a byte.

use strict;
use warnings;

use Carp qw(croak);
use Digest::SHA qw(sha1);
use Encode ();
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use MIME::Base64 qw(encode_base64 decode_base64);
use Socket qw(SOL_SOCKET SO_RCVBUF SO_SNDBUF SO_LINGER IPPROTO_TCP
              inet_aton pack_sockaddr_in unpack_sockaddr_in inet_ntoa);
use Time::HiRes qw(time sleep);

our $VERSION = '1.00';

use constant GUID => '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

our %OPCODE = (continuation => 0, text => 1, binary => 2, close => 8,
               ping => 9, pong => 10);
my %TYPE = reverse %OPCODE;

my $JSON = JSON::PP->new->canonical;

# --- pure helpers ------------------------------------------------------------

# Sec-WebSocket-Accept for a key
sub accept_for {
    my ($key) = @_;
    return encode_base64(sha1($key . GUID), '');
}

# a random 16-byte key, base64
sub new_key {
    return encode_base64(join('', map { chr int rand 256 } 1 .. 16), '');
}

sub mask_payload {
    my ($payload, $key) = @_;
    my $n = length $payload;
    return '' unless $n;
    my $keys = substr($key x (int($n / 4) + 1), 0, $n);
    return $payload ^ $keys;
}

# One frame's bytes.  Options:
#   opcode   number or name (text, binary, close, ping, pong, continuation)
#   payload  bytes ('' by default)
#   fin      1 by default
#   rsv      0..7 (RSV1 = 4, RSV2 = 2, RSV3 = 1)
#   mask     1 by default (a client's frames must be masked)
#   mask_key 4 bytes (random by default)
#   length   the length to declare, when it must lie
#   len_bits 7, 16 or 64: the length field's form, even when not minimal
sub frame_bytes {
    my (%o) = @_;
    my $op = $o{opcode} // 'text';
    $op = $OPCODE{$op} // croak "unknown opcode $op" if $op !~ /^\d+$/;
    my $payload = $o{payload} // '';
    utf8::downgrade($payload, 1) or croak 'payload must be bytes, not characters';
    my $fin  = $o{fin} // 1;
    my $mask = $o{mask} // 1;
    my $len  = $o{length} // length $payload;

    my $b0 = ($fin ? 0x80 : 0) | (($o{rsv} // 0) & 7) << 4 | ($op & 0x0f);
    my $bits = $o{len_bits} // ($len < 126 ? 7 : $len < 65536 ? 16 : 64);
    my $head = chr $b0;
    my $m = $mask ? 0x80 : 0;
    if ($bits == 7) {
        $head .= chr($m | $len);
    } elsif ($bits == 16) {
        $head .= chr($m | 126) . pack 'n', $len;
    } else {
        $head .= chr($m | 127) . pack 'Q>', $len;
    }
    return $head . $payload unless $mask;
    my $key = $o{mask_key} // pack 'N', int rand 2**32;
    return $head . $key . mask_payload($payload, $key);
}

# Parses one frame at the start of $$buf; removes and returns it, or undef
# when the buffer does not hold a whole frame yet.
sub parse_frame {
    my ($buf) = @_;
    my $have = length $$buf;
    return undef if $have < 2;
    my ($b0, $b1) = unpack 'CC', $$buf;
    my $len = $b1 & 0x7f;
    my $off = 2;
    if ($len == 126) {
        return undef if $have < 4;
        $len = unpack 'n', substr $$buf, 2, 2;
        $off = 4;
    } elsif ($len == 127) {
        return undef if $have < 10;
        $len = unpack 'Q>', substr $$buf, 2, 8;
        $off = 10;
    }
    my $masked = $b1 & 0x80 ? 1 : 0;
    my $key;
    if ($masked) {
        return undef if $have < $off + 4;
        $key = substr $$buf, $off, 4;
        $off += 4;
    }
    return undef if $have < $off + $len;
    my $payload = substr $$buf, $off, $len;
    substr($$buf, 0, $off + $len) = '';
    $payload = mask_payload($payload, $key) if $masked;
    my $op = $b0 & 0x0f;
    return { fin => $b0 & 0x80 ? 1 : 0, rsv => ($b0 >> 4) & 7, opcode => $op,
             type => $TYPE{$op} // "opcode$op", masked => $masked,
             mask => $key, length => $len, payload => $payload };
}

# --- connection -------------------------------------------------------------

# Connects and sends the upgrade request.  Options:
#   host (127.0.0.1), port, path ('/ws', with its query), timeout (10)
#   headers  extra header lines: ['Name: value', ...] or {Name => value}
#   key      Sec-WebSocket-Key (random by default)
#   replace  {Header-Name => value or undef}: replaces (undef: leaves out)
#            one of the default headers (Host, Upgrade, Connection,
#            Sec-WebSocket-Key, Sec-WebSocket-Version)
#   method   GET by default; request => the whole raw request instead
#   rcvbuf, sndbuf  socket buffer sizes, set before connecting
#   auto_pong  answer pings (1)
# Returns the object; upgraded() says whether the server switched.
sub connect {
    my ($class, %o) = @_;
    my $self = bless {
        host => $o{host} // '127.0.0.1', port => $o{port} // croak('port'),
        path => $o{path} // '/ws', timeout => $o{timeout} // 10,
        key => $o{key} // new_key(), auto_pong => $o{auto_pong} // 1,
        buf => '', log => [], pings => [], frag => undef,
        bytes_in => 0, bytes_out => 0, frames_in => 0, frames_out => 0,
    }, $class;

    my $sock = IO::Socket::INET->new(Proto => 'tcp', Timeout => $self->{timeout})
        or croak "socket: $!";
    setsockopt($sock, SOL_SOCKET, SO_RCVBUF, $o{rcvbuf}) if $o{rcvbuf};
    setsockopt($sock, SOL_SOCKET, SO_SNDBUF, $o{sndbuf}) if $o{sndbuf};
    my $addr = inet_aton($self->{host}) // croak "cannot resolve $self->{host}";
    unless ($sock->connect(pack_sockaddr_in($self->{port}, $addr))) {
        $self->{error} = "connect: $!";
        return $self;
    }
    binmode $sock;
    $sock->blocking(0);
    $self->{sock} = $sock;
    $self->{sel} = IO::Select->new($sock);

    my $req = $o{request} // $self->_request(%o);
    unless ($self->send_raw($req)) {
        $self->{error} //= 'could not send the upgrade request';
        return $self;
    }
    $self->_read_handshake;
    return $self;
}

sub _request {
    my ($self, %o) = @_;
    my @h = (['Host', "$self->{host}:$self->{port}"], ['Upgrade', 'websocket'],
             ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', $self->{key}],
             ['Sec-WebSocket-Version', '13']);
    my $rep = $o{replace} // {};
    my %rep = map { lc($_) => $rep->{$_} } keys %$rep;
    @h = map { exists $rep{lc $_->[0]}
               ? (defined $rep{lc $_->[0]} ? [$_->[0], $rep{lc $_->[0]}] : ())
               : $_ } @h;
    my $extra = $o{headers} // [];
    my @extra = ref $extra eq 'HASH'
              ? map { "$_: $extra->{$_}" } sort keys %$extra
              : @$extra;
    return join '', ($o{method} // 'GET') . " $self->{path} HTTP/1.1\r\n",
                    (map { "$_->[0]: $_->[1]\r\n" } @h),
                    (map { "$_\r\n" } @extra), "\r\n";
}

sub _read_handshake {
    my ($self) = @_;
    my $deadline = time + $self->{timeout};
    my $i;
    while (($i = index $self->{buf}, "\r\n\r\n") < 0) {
        my $r = $self->_fill($deadline);
        unless ($r) {
            $self->{error} = $self->{read_error}
                // (defined $r ? 'closed before a response'
                               : 'timeout waiting for the response');
            return;
        }
    }
    my $head = substr $self->{buf}, 0, $i;
    substr($self->{buf}, 0, $i + 4) = '';
    my ($line, @lines) = split /\r\n/, $head;
    ($self->{status}) = $line =~ m{^HTTP/1\.[01] (\d{3})};
    $self->{status_line} = $line;
    my (%h, @list);
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
        push @list, [$k, $v];
        $h{lc $k} = exists $h{lc $k} ? "$h{lc $k}, $v" : $v;
    }
    $self->{headers} = \%h;
    $self->{header_list} = \@list;

    if (($self->{status} // 0) == 101) {
        $self->{accept_ok} = ($h{'sec-websocket-accept'} // '') eq accept_for($self->{key});
        $self->{upgrade_ok} = ($h{upgrade} // '') =~ /^websocket$/i
                              && ($h{connection} // '') =~ /(^|,)\s*upgrade\s*(,|$)/i;
        return;
    }
    $self->_read_body($deadline);
}

# the body of a refused upgrade: Content-Length, chunked, or until close
sub _read_body {
    my ($self, $deadline) = @_;
    my $h = $self->{headers};
    if (defined(my $cl = $h->{'content-length'})) {
        while (length $self->{buf} < $cl) { $self->_fill($deadline) or last }
        $self->{body} = substr $self->{buf}, 0, $cl;
        substr($self->{buf}, 0, length $self->{body}) = '';
    } elsif (($h->{'transfer-encoding'} // '') =~ /chunked/i) {
        my $body = '';
        while (1) {
            if ($self->{buf} =~ /^([0-9a-fA-F]+)[^\r\n]*\r\n/) {
                my ($n, $hl) = (hex $1, length $&);
                if ($n == 0) { $self->{buf} = ''; last }
                if (length $self->{buf} >= $hl + $n + 2) {
                    $body .= substr $self->{buf}, $hl, $n;
                    substr($self->{buf}, 0, $hl + $n + 2) = '';
                    next;
                }
            }
            $self->_fill($deadline) or last;
        }
        $self->{body} = $body;
    } else {
        1 while $self->_fill($deadline);
        $self->{body} = $self->{buf};
        $self->{buf} = '';
    }
    $self->{json} = eval { JSON::PP::decode_json($self->{body}) };
}

# reads what is there (waiting until the deadline for something): 1 when
# bytes came, 0 on EOF or error, undef on timeout
sub _fill {
    my ($self, $deadline) = @_;
    return 0 if $self->{eof} || !$self->{sock};
    while (1) {
        my $n = sysread $self->{sock}, my $chunk, 262144;
        if ($n) {
            $self->{buf} .= $chunk;
            $self->{bytes_in} += $n;
            return 1;
        }
        if (defined $n) { $self->{eof} = 1; $self->{eof_at} = time; return 0 }
        next if $! == EINTR;
        if ($! != EAGAIN && $! != EWOULDBLOCK) {
            $self->{read_error} = "read: $!";
            $self->{eof} = 1;
            $self->{eof_at} = time;
            return 0;
        }
        my $left = $deadline - time;
        return undef if $left <= 0;
        $self->{sel}->can_read($left > 0.5 ? 0.5 : $left);
    }
}

sub upgraded {
    my ($self) = @_;
    return ($self->{status} // 0) == 101 && $self->{accept_ok} && $self->{upgrade_ok};
}

sub status  { $_[0]{status} }
sub headers { $_[0]{headers} }
sub body    { $_[0]{body} }
sub json    { $_[0]{json} }
sub error   { $_[0]{error} }
sub sock    { $_[0]{sock} }

# --- sending -----------------------------------------------------------------

# Writes bytes, waiting up to the timeout for the socket to take them.
# Returns the number written when all went, else undef ($self->{write_error}
# says why: the peer closed, reset, or the timeout passed with the count in
# $self->{written}).
sub send_raw {
    my ($self, $bytes, $timeout) = @_;
    my $sock = $self->{sock} or return undef;
    local $SIG{PIPE} = 'IGNORE';
    my $deadline = time + ($timeout // $self->{timeout});
    my ($off, $len) = (0, length $bytes);
    while ($off < $len) {
        my $n = syswrite $sock, $bytes, $len - $off, $off;
        if (defined $n) { $off += $n; next }
        next if $! == EINTR;
        if ($! != EAGAIN && $! != EWOULDBLOCK) {
            $self->{write_error} = "write: $!";
            $self->{written} = $off;
            $self->{bytes_out} += $off;
            return undef;
        }
        my $left = $deadline - time;
        if ($left <= 0) {
            $self->{write_error} = 'timeout';
            $self->{written} = $off;
            $self->{bytes_out} += $off;
            return undef;
        }
        IO::Select->new($sock)->can_write($left > 0.5 ? 0.5 : $left);
    }
    $self->{bytes_out} += $len;
    return $len;
}

# one frame, options as frame_bytes (masked by default)
sub send_frame {
    my ($self, %o) = @_;
    my $timeout = delete $o{timeout};
    $self->{frames_out}++;
    return $self->send_raw(frame_bytes(%o), $timeout);
}

# characters, sent as UTF-8 (use send_frame for bytes that are not UTF-8)
sub send_text {
    my ($self, $text, %o) = @_;
    return $self->send_frame(%o, opcode => 1, payload => Encode::encode('UTF-8', $text));
}

sub send_json {
    my ($self, $value, %o) = @_;
    return $self->send_frame(%o, opcode => 1, payload => $JSON->utf8->encode($value));
}

sub send_binary {
    my ($self, $bytes, %o) = @_;
    return $self->send_frame(%o, opcode => 2, payload => $bytes);
}

# a close frame: no code (empty payload), or a code and a reason
sub send_close {
    my ($self, $code, $reason, %o) = @_;
    my $payload = defined $code ? pack('n', $code) . ($reason // '') : '';
    $self->{close_sent} = $code // 'none';
    return $self->send_frame(%o, opcode => 8, payload => $payload);
}

sub ping { my ($self, $p, %o) = @_; $self->send_frame(%o, opcode => 9, payload => $p // '') }
sub pong { my ($self, $p, %o) = @_; $self->send_frame(%o, opcode => 10, payload => $p // '') }

# One message as fragments: the first frame has the opcode, the others are
# continuations, the last one has FIN.  Options as send_frame, plus
#   between => sub { my ($ws, $i) = @_; ... }   called after fragment $i
#              (not after the last): e.g. a ping between fragments
sub send_fragmented {
    my ($self, $opcode, $parts, %o) = @_;
    my $between = delete $o{between};
    my @parts = @$parts;
    croak 'no fragments' unless @parts;
    for my $i (0 .. $#parts) {
        $self->send_frame(%o, opcode => $i ? 0 : $opcode, payload => $parts[$i],
                          fin => $i == $#parts ? 1 : 0) // return undef;
        $between->($self, $i) if $between && $i < $#parts;
    }
    return 1;
}

# splits bytes into n parts (the last takes the rest)
sub split_bytes {
    my ($bytes, $n) = @_;
    my $size = int(length($bytes) / $n) || 1;
    my @p = map { substr $bytes, $_ * $size, $size } 0 .. $n - 2;
    push @p, substr $bytes, ($n - 1) * $size;
    return @p;
}

# --- receiving ---------------------------------------------------------------

# The next frame, or {type => 'eof'} when the connection ended, or undef
# when none came within the timeout.
sub next_frame {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // $self->{timeout});
    while (1) {
        if (my $f = parse_frame(\$self->{buf})) {
            $self->{frames_in}++;
            return $f;
        }
        my $r = $self->_fill($deadline);
        next if $r;
        return undef unless defined $r;
        return { type => 'eof', (error => $self->{read_error}) x !!$self->{read_error},
                 partial => length $self->{buf} };
    }
}

# The next message: data frames joined, control frames as they come
# (a close answered by nothing: the test decides); see the header.
sub next_message {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // $self->{timeout});
    while (1) {
        my $f = $self->next_frame($deadline - time);
        return undef unless $f;
        my $m = $self->_message($f) or next;
        push @{$self->{log}}, $m;
        return $m;
    }
}

sub _message {
    my ($self, $f) = @_;
    my $t = $f->{type};
    return $f if $t eq 'eof';
    if ($f->{opcode} >= 8) {
        my %m = (type => $t, data => $f->{payload}, rsv => $f->{rsv},
                 masked => $f->{masked}, fin => $f->{fin});
        if ($t eq 'close') {
            my $p = $f->{payload};
            @m{qw(code reason)} = length $p >= 2 ? (unpack('n', $p), substr $p, 2)
                                                 : (undef, '');
            $self->{close_received} = \%m;
        } elsif ($t eq 'ping') {
            push @{$self->{pings}}, $f->{payload};
            if ($self->{auto_pong}) { $self->pong($f->{payload}); return undef }
        }
        return \%m;
    }
    if ($f->{opcode} == 0) {
        # a continuation without a start is returned as the frame it is
        return { %$f, data => $f->{payload} } unless $self->{frag};
        $self->{frag}{data} .= $f->{payload};
        $self->{frag}{frames}++;
        return undef unless $f->{fin};
        $f = delete $self->{frag};
    } elsif (!$f->{fin}) {
        $self->{frag} = { %$f, data => $f->{payload}, frames => 1 };
        return undef;
    } else {
        $f = { %$f, data => $f->{payload}, frames => 1 };
    }
    my %m = (type => $f->{type}, data => $f->{data}, frames => $f->{frames},
             rsv => $f->{rsv}, masked => $f->{masked}, length => length $f->{data});
    if ($m{type} eq 'text') {
        $m{text} = eval { Encode::decode('UTF-8', my $c = $m{data}, Encode::FB_CROAK) };
        $m{json} = eval { JSON::PP::decode_json($m{data}) };
    }
    return \%m;
}

# Reads messages until one matches (the predicate gets it, and $_ too);
# returns it, or undef at the timeout or the connection's end.  In list
# context also every message read by this call, the match (or the eof)
# included.
sub read_until {
    my ($self, $pred, $timeout) = @_;
    my $deadline = time + ($timeout // $self->{timeout});
    my @seen;
    while (1) {
        my $m = $self->next_message($deadline - time);
        last unless $m;
        push @seen, $m;
        local $_ = $m;
        return wantarray ? ($m, \@seen) : $m if $pred->($m);
        last if $m->{type} eq 'eof';
    }
    return wantarray ? (undef, \@seen) : undef;
}

# the next text message that is JSON (binary frames before it are skipped
# and kept in $self->{skipped}); its decoded value
sub next_json {
    my ($self, $timeout) = @_;
    my ($m, $seen) = $self->read_until(sub { $_->{type} eq 'eof' || $_->{type} eq 'close'
                                             || defined $_->{json} }, $timeout);
    push @{$self->{skipped}}, grep { $_ != ($m // 0) } @{$seen // []};
    return $m && $m->{json};
}

# reads (and drops) everything until the server closes the TCP connection;
# true when it did within the timeout
sub wait_eof {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // $self->{timeout});
    while (!$self->{eof}) {
        $self->{buf} = '';
        defined $self->_fill($deadline) or return 0;
    }
    return 1;
}

# every message read so far, in order
sub received { @{$_[0]{log}} }

# the types of the messages read so far: text messages by their JSON type
sub types {
    my ($self) = @_;
    return map { $_->{type} eq 'text' && ref $_->{json} eq 'HASH'
                 ? ($_->{json}{type} // 'text') : $_->{type} } $self->received;
}

# --- the connection as the kernel sees it ------------------------------------

# This connection in /proc/net/tcp: {client => {state, rx_queue, tx_queue},
# server => {...} or undef once the server's socket is gone}.  States by
# name: ESTABLISHED, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT,
# LAST_ACK, CLOSING (the server must be on this host, over IPv4).
my @STATE = qw(- ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT
               CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING);

sub _hexaddr {
    my ($ip, $port) = @_;
    return sprintf '%08X:%04X', unpack('V', $ip), $port;
}

sub tcp_state {
    my ($self) = @_;
    my $sock = $self->{sock} or return undef;
    $self->{local} //= do {
        my ($port, $ip) = unpack_sockaddr_in(getsockname $sock);
        _hexaddr($ip, $port);
    };
    my $remote = _hexaddr(inet_aton($self->{host}), $self->{port});
    my %r;
    open my $fh, '<', '/proc/net/tcp' or return undef;
    <$fh>;
    while (<$fh>) {
        my (undef, $l, $rem, $st, $q) = split ' ';
        my ($tx, $rx) = map { hex } split /:/, $q;
        my $e = { state => $STATE[hex $st] // $st, tx_queue => $tx, rx_queue => $rx };
        $r{client} = $e if $l eq $self->{local} && $rem eq $remote;
        $r{server} = $e if $l eq $remote && $rem eq $self->{local};
    }
    return \%r;
}

# true when the server has closed (or shut down writing on) its side, seen
# without reading: its socket is gone or past ESTABLISHED
sub server_closed {
    my ($self) = @_;
    my $s = $self->tcp_state or return undef;
    return 1 if $self->{eof};
    return !$s->{server} || $s->{server}{state} ne 'ESTABLISHED' ? 1 : 0;
}

# polls server_closed without reading; true when it happened in time
sub wait_server_closed {
    my ($self, $timeout) = @_;
    my $deadline = time + ($timeout // $self->{timeout});
    while (1) {
        return 1 if $self->server_closed;
        return 0 if time > $deadline;
        sleep 0.02;
    }
}

# --- ending -----------------------------------------------------------------

# the client vanishes: closes the socket at once, without a close frame
# (rst => 1: with a TCP reset, SO_LINGER 0)
sub abort {
    my ($self, %o) = @_;
    my $sock = delete $self->{sock} or return;
    setsockopt($sock, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)) if $o{rst};
    close $sock;
}

sub shutdown_write {
    my ($self) = @_;
    shutdown $self->{sock}, 1 if $self->{sock};
}

sub DESTROY { $_[0]->abort }

1;
