/*
 * wsstream: the streaming STT rows of make bench (bench/run.sh), both
 * sides of them.  Single-threaded, epoll, non-blocking (as wsload.c; what
 * both share is wsbench.c).
 *
 *   wsstream provider -a HOST:PORT
 *       A Deepgram-like streaming STT server (run until killed): takes a
 *       WebSocket upgrade of GET /v1/listen?ANY carrying "Authorization:
 *       Token ..." (404, 401 otherwise); client frames must be masked
 *       (else close 1002).  Binary messages are audio: counted, and
 *       checked against the client's pattern (each 4-byte little-endian
 *       word is the first one plus its index: a lost, repeated or
 *       reordered byte breaks it).  Every RESULT_BYTES of audio (320 ms of
 *       16 kHz 16-bit mono) a Deepgram "Results" message whose transcript
 *       is "t" and its CLOCK_MONOTONIC time in ns, written into the
 *       message right before its write(2): the client subtracts it from
 *       its own clock (one machine, one clock).  {"type":"KeepAlive"} is
 *       ignored; {"type":"Finalize"} is answered with a final Results whose
 *       transcript is "bytes N bad M" (the audio bytes received, the words
 *       off the pattern); {"type":"CloseStream"} the same, then a close
 *       1000.
 *
 *   wsstream client -a HOST:PORT -u PATH -n N -d SECONDS [-w WARM]
 *                   [-c CONFIG] [-e EXPECT] [-f END] [-P PID] [-H HEADER]
 *       WARM + N WebSocket sessions to PATH (HEADER: one more header on
 *       the upgrade, "Name: value"); each sends the text CONFIG
 *       and waits for a text holding EXPECT (no CONFIG: up at the 101),
 *       WARM of them first (the worker's code and first allocations paged
 *       in).  Then every session sends a 640-byte binary frame (20 ms of
 *       16 kHz 16-bit PCM, the provider's pattern) every 20 ms in real
 *       time, the sessions' frames spread evenly over each 20 ms, SECONDS
 *       x 50 frames each; then the text END ({"type":"flush"}: waav sends
 *       the provider Finalize; to the provider itself {"type":"Finalize"})
 *       and waits for the provider's "bytes N bad M", which must be the
 *       bytes it sent and 0.  Every text with a transcript "t<ns>" is a
 *       latency sample: the client's clock when it was read minus <ns>.
 *       With -P, the process PID's VmRSS after the WARM sessions and after
 *       the last frame, and its CPU time (utime + stime) over the frames.
 *       Prints one line:
 *         sessions frames lost_sessions lost_bytes results p50_us p99_us
 *         max_us rss_before_kib rss_after_kib cpu_ms seconds
 *       (sessions: WARM + N; lost_sessions: those whose count or pattern
 *       the provider did not confirm; rss and cpu -1 without -P; seconds:
 *       from the first frame to the last)
 */

#define _GNU_SOURCE

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wsbench.h"


#define IN_SIZE        WSB_FRAME_MAX
#define OUT_SIZE       32768
#define FRAME_BYTES    640              /* 20 ms of 16 kHz 16-bit mono */
#define FRAME_NS       20000000LL
#define RESULT_BYTES   10240            /* 320 ms of it */
#define CONNECTING     64               /* handshakes in flight at most */
#define READY_SECONDS  60               /* for all sessions to be up */
#define END_SECONDS    30               /* for every provider's count */
#define TEXT_MAX       1024


enum {
    ST_CONNECT = 0,
    ST_HANDSHAKE,
    ST_WAIT,                            /* the answer to CONFIG */
    ST_READY,                           /* streaming */
    ST_END,                             /* END sent: the provider's count */
    ST_DONE
};


typedef struct {
    int         fd;
    int         state;
    uint8_t     in[IN_SIZE];
    size_t      in_len;
    uint8_t     out[OUT_SIZE];
    size_t      out_len;
    size_t      out_off;
    uint32_t    first;                  /* the pattern's first word */
    uint64_t    bytes;                  /* audio sent */
    long long   got_bytes;              /* the provider's count, -1 */
    long long   got_bad;
} conn_t;


/* the options */
static const char  *o_addr = "127.0.0.1:8080";
static const char  *o_path = "/ws";
static const char  *o_config = "";
static const char  *o_expect = "";
static const char  *o_end = "{\"type\":\"flush\"}";
static const char  *o_header = "";
static long         o_n = 1;
static long         o_warm;
static double       o_seconds = 10;
static long         o_pid;

static struct sockaddr_in  addr;
static int                 ep;


/* --- the client ----------------------------------------------------------- */

static conn_t   *conns;
static long      total, opened, ready, done, handshaking;
static int64_t  *lat;
static size_t    lat_n, lat_size;


static void
out_flush(conn_t *c)
{
    ssize_t  n;

    while (c->out_off < c->out_len) {
        n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

        if (n == -1) {
            if (errno == EAGAIN) {
                return;
            }
            die("write");
        }

        c->out_off += n;
    }

    c->out_off = c->out_len = 0;
}


/* room for len more bytes in c->out, or exit: the server stopped reading */
static uint8_t *
out_room(conn_t *c, size_t len)
{
    if (c->out_off) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }

    if (c->out_len + len > OUT_SIZE) {
        fail("%s", "a session's output backed up: the server does not read");
    }

    return c->out + c->out_len;
}


static void
send_text(conn_t *c, const char *s)
{
    size_t  len = strlen(s);

    c->out_len += frame_build(out_room(c, len + 14), 1, (const uint8_t *) s,
                              len);
    out_flush(c);
}


/* the next 20 ms of the session's pattern */
static void
send_audio(conn_t *c)
{
    size_t    i;
    uint32_t  w;
    uint8_t   pcm[FRAME_BYTES];

    for (i = 0; i < FRAME_BYTES; i += 4) {
        w = c->first + (uint32_t) ((c->bytes + i) / 4);
        pcm[i] = w;
        pcm[i + 1] = w >> 8;
        pcm[i + 2] = w >> 16;
        pcm[i + 3] = w >> 24;
    }

    c->out_len += frame_build(out_room(c, FRAME_BYTES + 14), 2, pcm,
                              FRAME_BYTES);
    c->bytes += FRAME_BYTES;
    out_flush(c);
}


static void
open_one(void)
{
    int                  fd;
    conn_t              *c;
    struct epoll_event   ev;

    c = &conns[opened];

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1) {
        die("socket (ulimit -n?)");
    }

    nonblock(fd);

    if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) == -1
        && errno != EINPROGRESS)
    {
        die("connect");
    }

    c->fd = fd;
    c->state = ST_CONNECT;
    c->first = (uint32_t) (opened * 2654435761u) ^ (uint32_t) getpid();
    c->got_bytes = -1;

    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.ptr = c;

    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
        die("epoll_ctl");
    }

    opened++;
    handshaking++;
}


static void
send_handshake(conn_t *c)
{
    int        err;
    socklen_t  len = sizeof(err);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 || err) {
        errno = err;
        die("connect");
    }

    c->out_len = snprintf((char *) c->out, OUT_SIZE,
                          "GET %s HTTP/1.1\r\nHost: %s\r\n"
                          "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n%s%s\r\n",
                          o_path, o_addr, o_header,
                          o_header[0] ? "\r\n" : "");
    c->state = ST_HANDSHAKE;
    out_flush(c);
}


/* the 101: then CONFIG (or up); 1 when it was found */
static int
handshake_done(conn_t *c)
{
    uint8_t  *end;
    size_t    hl;

    end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (end == NULL) {
        return 0;
    }

    if (c->in_len < 12 || memcmp(c->in, "HTTP/1.1 101", 12) != 0) {
        c->in[c->in_len < 200 ? c->in_len : 200] = '\0';
        fail("no upgrade: %s", (char *) c->in);
    }

    hl = end + 4 - c->in;
    memmove(c->in, c->in + hl, c->in_len - hl);
    c->in_len -= hl;
    handshaking--;

    if (o_config[0] == '\0') {
        c->state = ST_READY;
        ready++;
        return 1;
    }

    c->state = ST_WAIT;
    send_text(c, o_config);

    return 1;
}


/* the transcript's text in a JSON message: its first byte, or NULL */
static const char *
transcript_of(const char *s)
{
    const char  *p;

    p = strstr(s, "\"transcript\"");
    if (p == NULL) {
        return NULL;
    }

    for (p += 12; *p == ' ' || *p == ':'; p++) { /* void */ }

    return *p == '"' ? p + 1 : NULL;
}


static void
lat_add(int64_t d)
{
    if (lat_n == lat_size) {
        lat_size = lat_size ? 2 * lat_size : 65536;
        lat = realloc(lat, lat_size * sizeof(int64_t));
        if (lat == NULL) {
            die("realloc");
        }
    }

    lat[lat_n++] = d;
}


static void
on_text(conn_t *c, const uint8_t *p, size_t len, int64_t t)
{
    char         buf[TEXT_MAX];
    char        *end;
    const char  *tr;
    long long    v;

    snprintf(buf, sizeof(buf), "%.*s", (int) len, p);

    if (strstr(buf, "\"type\":\"error\"") != NULL) {
        fail("the server: %s", buf);
    }

    if (c->state == ST_WAIT) {
        if (strstr(buf, o_expect) != NULL) {
            c->state = ST_READY;
            ready++;
        }
        return;
    }

    tr = transcript_of(buf);
    if (tr == NULL) {
        return;
    }

    if (tr[0] == 't') {
        v = strtoll(tr + 1, &end, 10);
        if (end > tr + 1 && *end == '"') {
            lat_add(t - v);
        }
        return;
    }

    if (strncmp(tr, "bytes ", 6) == 0 && c->state == ST_END) {
        if (sscanf(tr, "bytes %lld bad %lld", &c->got_bytes, &c->got_bad)
            != 2)
        {
            fail("a bad count: %s", buf);
        }
        c->state = ST_DONE;
        done++;
    }
}


static void
read_frames(conn_t *c)
{
    int             op, rc;
    size_t          len, total_len, pos;
    ssize_t         n;
    int64_t         t;
    const uint8_t  *p;

    for ( ;; ) {
        n = read(c->fd, c->in + c->in_len, IN_SIZE - c->in_len);
        t = now_ns();

        if (n == -1 && errno == EAGAIN) {
            return;
        }

        if (n <= 0 && c->state == ST_DONE) {
            return;                     /* its count came: it may go */
        }

        if (n <= 0) {
            fail("%s", n == 0 ? "the server closed a session"
                              : strerror(errno));
        }

        c->in_len += n;

        if (c->state == ST_HANDSHAKE && !handshake_done(c)) {
            continue;
        }

        for (pos = 0; ; pos += total_len) {
            rc = frame_parse(c->in + pos, c->in_len - pos, &op, &p, &len,
                             &total_len, NULL);
            if (rc == 0) {
                break;
            }
            if (rc == -1) {
                fail("%s", "a frame over 64 KiB");
            }
            if (op == 1) {
                on_text(c, p, len, t);
            } else if (op == 8 && c->state != ST_DONE) {
                fail("%s", "the server closed a session (close frame)");
            }
        }

        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
    }
}


static void
on_event(conn_t *c, uint32_t events)
{
    if (c->state == ST_CONNECT) {
        if (!(events & EPOLLOUT)) {
            return;
        }
        send_handshake(c);
    }

    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        read_frames(c);
    }

    if (events & EPOLLOUT) {
        out_flush(c);
    }
}


/* events for up to ms milliseconds */
static void
poll_once(int ms)
{
    int                  i, n;
    struct epoll_event   evs[256];

    n = epoll_wait(ep, evs, 256, ms);
    if (n == -1 && errno != EINTR) {
        die("epoll_wait");
    }

    for (i = 0; i < n; i++) {
        on_event(evs[i].data.ptr, evs[i].events);
    }
}


/* sessions opened up to want, until *count is want; exits after seconds */
static void
loop_until(long *count, long want, int seconds, const char *what)
{
    int64_t  deadline;

    deadline = now_ns() + (int64_t) seconds * 1000000000;

    while (*count < want) {
        while (opened < want && handshaking < CONNECTING) {
            open_one();
        }

        if (now_ns() > deadline) {
            fprintf(stderr, "wsstream: %ld of %ld sessions %s after %d s\n",
                    *count, want, what, seconds);
            exit(1);
        }

        poll_once(100);
    }
}


/* every session's frames, in real time: the k-th frame overall is due
 * k x 20 ms / sessions after t0, session k % sessions sends it */
static void
stream(int64_t t0, long frames)
{
    long     k, last;
    int64_t  step, due, now;

    step = FRAME_NS / total;
    last = frames * total;

    for (k = 0; k < last; ) {
        now = now_ns();

        while (k < last && (due = t0 + k * step) <= now) {
            send_audio(&conns[k % total]);
            k++;
        }

        if (k < last) {
            due = t0 + k * step;
            poll_once((int) ((due - now + 999999) / 1000000));
        }
    }
}


static int
cmp_i64(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return (x > y) - (x < y);
}


static int
cmd_client(void)
{
    long       i, frames, lost, rss0, rss1, cpu0, cpu1;
    int64_t    t0, t1, p50, p99, max;
    uint64_t   lost_bytes;
    conn_t    *c;

    total = o_warm + o_n;
    frames = (long) (o_seconds * 1e9 / FRAME_NS + 0.5);

    conns = calloc(total, sizeof(conn_t));
    ep = epoll_create1(0);
    if (conns == NULL || ep == -1) {
        die("calloc/epoll_create1");
    }

    rss0 = rss1 = cpu0 = cpu1 = -1;

    loop_until(&ready, o_warm, READY_SECONDS, "up");
    if (o_pid) {
        rss0 = rss_kib(o_pid);
    }
    loop_until(&ready, total, READY_SECONDS, "up");

    t0 = now_ns();
    if (o_pid) {
        cpu0 = cpu_ms(o_pid);
    }

    stream(t0, frames);

    t1 = now_ns();
    if (o_pid) {
        cpu1 = cpu_ms(o_pid);
        rss1 = rss_kib(o_pid);
    }

    for (i = 0; i < total; i++) {
        conns[i].state = ST_END;
        send_text(&conns[i], o_end);
    }

    loop_until(&done, total, END_SECONDS, "with the provider's count");

    for (lost = 0, lost_bytes = 0, i = 0; i < total; i++) {
        c = &conns[i];

        if (c->got_bytes != (long long) c->bytes || c->got_bad != 0) {
            fprintf(stderr, "wsstream: session %ld sent %llu bytes, the "
                    "provider got %lld (%lld off the pattern)\n", i,
                    (unsigned long long) c->bytes, c->got_bytes, c->got_bad);
            lost++;
            if (c->got_bytes < (long long) c->bytes) {
                lost_bytes += c->bytes - c->got_bytes;
            }
        }

        /* a close 1000, masked with a zero key */
        if (write(c->fd, "\x88\x82\0\0\0\0\x03\xe8", 8) != 8) {
            /* gone already */
        }
        close(c->fd);
    }

    p50 = p99 = max = -1000;

    if (lat_n) {
        qsort(lat, lat_n, sizeof(int64_t), cmp_i64);
        p50 = lat[lat_n / 2];
        p99 = lat[lat_n * 99 / 100];
        max = lat[lat_n - 1];
    }

    printf("%ld %ld %ld %llu %zu %.1f %.1f %.1f %ld %ld %ld %.3f\n", total,
           frames * total, lost, (unsigned long long) lost_bytes, lat_n,
           p50 / 1e3, p99 / 1e3, max / 1e3, rss0, rss1,
           cpu0 >= 0 ? cpu1 - cpu0 : -1, (t1 - t0) / 1e9);

    return 0;
}


/* --- the provider --------------------------------------------------------- */

typedef struct {
    int         fd;
    int         ws;                     /* upgraded */
    int         closing;                /* close once written */
    uint8_t     in[IN_SIZE];
    size_t      in_len;
    uint8_t     out[OUT_SIZE];
    size_t      out_len;
    size_t      out_off;

    uint64_t    bytes;                  /* audio, whole words */
    uint64_t    bad;                    /* words off the pattern */
    uint32_t    first;
    uint8_t     word[4];                /* a word cut by a frame's end */
    size_t      fill;
    uint64_t    next_result;            /* bytes */
} peer_t;


/* 0, or -1 when the peer is gone */
static int
peer_flush(peer_t *p)
{
    ssize_t  n;

    while (p->out_off < p->out_len) {
        n = write(p->fd, p->out + p->out_off, p->out_len - p->out_off);
        if (n == -1) {
            return errno == EAGAIN ? 0 : -1;
        }
        p->out_off += n;
    }

    p->out_off = p->out_len = 0;

    return p->closing ? -1 : 0;
}


/* an unmasked server frame into p->out; where its payload starts */
static uint8_t *
peer_frame(peer_t *p, int op, const char *s, size_t len)
{
    uint8_t  *f;

    if (p->out_off) {
        memmove(p->out, p->out + p->out_off, p->out_len - p->out_off);
        p->out_len -= p->out_off;
        p->out_off = 0;
    }

    if (p->out_len + len + 4 > OUT_SIZE || len > 65535) {
        return NULL;                    /* the client stopped reading */
    }

    f = p->out + p->out_len;
    f[0] = 0x80 | op;

    if (len < 126) {
        f[1] = len;
        f += 2;

    } else {
        f[1] = 126;
        f[2] = len >> 8;
        f[3] = len & 0xff;
        f += 4;
    }

    memcpy(f, s, len);
    p->out_len = f + len - p->out;

    return f;
}


/* a Results message; stamped (transcript "t<ns>") or the count */
static int
peer_result(peer_t *p, int count)
{
    int        n;
    char       msg[512], *d;
    uint8_t   *f;
    int64_t    t;
    double     start;

    static const char  stamp0[] = "t0000000000000000000";

    start = (p->bytes / RESULT_BYTES - (count ? 0 : 1)) * 0.32;

    n = snprintf(msg, sizeof(msg),
                 "{\"type\":\"Results\",\"channel_index\":[0,1],"
                 "\"duration\":0.32,\"start\":%.2f,\"is_final\":true,"
                 "\"speech_final\":false,\"channel\":{\"alternatives\":"
                 "[{\"transcript\":\"", start);

    if (count) {
        n += snprintf(msg + n, sizeof(msg) - n, "bytes %llu bad %llu",
                      (unsigned long long) (p->bytes + p->fill),
                      (unsigned long long) p->bad);
    } else {
        n += snprintf(msg + n, sizeof(msg) - n, "%s", stamp0);
    }

    n += snprintf(msg + n, sizeof(msg) - n,
                  "\",\"confidence\":0.99,\"words\":[]}]},"
                  "\"from_finalize\":%s}", count ? "true" : "false");

    f = peer_frame(p, 1, msg, n);
    if (f == NULL) {
        return -1;
    }

    if (!count) {
        /* the stamp, 19 digits: as late as can be, right before the write */
        d = memmem(f, n, stamp0, sizeof(stamp0) - 1);
        t = now_ns();
        for (n = 19; n > 0; n--, t /= 10) {
            d[n] = '0' + t % 10;
        }
    }

    return peer_flush(p);
}


/* one more word of audio: checked against the pattern; -1 closes */
static int
peer_word(peer_t *p, uint32_t w)
{
    if (p->bytes == 0) {
        p->first = w;

    } else if (w != p->first + (uint32_t) (p->bytes / 4)) {
        p->bad++;
    }

    p->bytes += 4;

    if (p->bytes == p->next_result) {
        p->next_result += RESULT_BYTES;
        return peer_result(p, 0);
    }

    return 0;
}


static uint32_t
le32(const uint8_t *b)
{
    return b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16
           | (uint32_t) b[3] << 24;
}


/* audio bytes, unmasked a word at a time (a byte at a time when a frame
 * ends inside a word) */
static int
peer_audio(peer_t *p, const uint8_t *b, size_t len, const uint8_t *mask)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p->fill == 0 && (i & 3) == 0 && i + 4 <= len) {
            if (peer_word(p, le32(b + i) ^ le32(mask)) != 0) {
                return -1;
            }
            i += 3;
            continue;
        }

        p->word[p->fill++] = b[i] ^ mask[i & 3];

        if (p->fill == 4) {
            p->fill = 0;
            if (peer_word(p, le32(p->word)) != 0) {
                return -1;
            }
        }
    }

    return 0;
}


static int
peer_text(peer_t *p, const uint8_t *b, size_t len, const uint8_t *mask)
{
    char    s[TEXT_MAX];
    size_t  i;

    if (len >= sizeof(s)) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        s[i] = b[i] ^ mask[i & 3];
    }
    s[len] = '\0';

    if (strstr(s, "\"Finalize\"")) {
        return peer_result(p, 1);
    }

    if (strstr(s, "\"CloseStream\"")) {
        if (peer_result(p, 1) != 0
            || peer_frame(p, 8, "\x03\xe8", 2) == NULL)
        {
            return -1;
        }
        p->closing = 1;
        return peer_flush(p);
    }

    return 0;                           /* KeepAlive, and the rest */
}


/* whole frames out of p->in; -1 closes */
static int
peer_frames(peer_t *p)
{
    int             op, rc;
    size_t          len, total_len, pos;
    const uint8_t  *b, *mask;

    for (pos = 0; ; pos += total_len) {
        rc = frame_parse(p->in + pos, p->in_len - pos, &op, &b, &len,
                         &total_len, &mask);
        if (rc == 0) {
            break;
        }

        if (rc == -1 || mask == NULL) {
            /* too large, or not masked: a protocol error */
            (void) peer_frame(p, 8, "\x03\xea", 2);
            p->closing = 1;
            return peer_flush(p);
        }

        switch (op) {
        case 0:
        case 2:
            rc = peer_audio(p, b, len, mask);
            break;
        case 1:
            rc = peer_text(p, b, len, mask);
            break;
        case 8:
            (void) peer_frame(p, 8, "\x03\xe8", 2);
            p->closing = 1;
            return peer_flush(p);
        default:
            rc = 0;                     /* pings: nobody sends them here */
        }

        if (rc != 0) {
            return -1;
        }
    }

    memmove(p->in, p->in + pos, p->in_len - pos);
    p->in_len -= pos;

    return 0;
}


/* the upgrade: 0 when more is needed, 1 done, -1 refused or bad */
static int
peer_upgrade(peer_t *p)
{
    int          n;
    char         head[256];
    size_t       hl;
    uint8_t     *end;
    const char  *refusal = NULL;

    end = memmem(p->in, p->in_len, "\r\n\r\n", 4);
    if (end == NULL) {
        return p->in_len == IN_SIZE ? -1 : 0;
    }

    hl = end + 4 - p->in;
    *end = '\0';

    if (strncmp((char *) p->in, "GET /v1/listen", 14) != 0
        || (p->in[14] != '?' && p->in[14] != ' '))
    {
        refusal = "404 Not Found";

    } else if (strcasestr((char *) p->in, "\nAuthorization: Token ") == NULL) {
        refusal = "401 Unauthorized";
    }

    *end = '\r';

    if (refusal) {
        n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Length: 0"
                     "\r\nConnection: close\r\n\r\n", refusal);
    } else {
        n = ws_accept_answer(p->in, hl, head, sizeof(head));
    }

    if (n < 0 || p->out_len + n > OUT_SIZE) {
        return -1;
    }

    memcpy(p->out + p->out_len, head, n);
    p->out_len += n;

    if (refusal) {
        p->closing = 1;
        return 0;
    }

    memmove(p->in, p->in + hl, p->in_len - hl);
    p->in_len -= hl;
    p->ws = 1;
    p->next_result = RESULT_BYTES;

    return 1;
}


static int
peer_read(peer_t *p)
{
    ssize_t  n;

    for ( ;; ) {
        if (p->closing) {
            return peer_flush(p);
        }

        n = read(p->fd, p->in + p->in_len, IN_SIZE - p->in_len);

        if (n == -1 && errno == EAGAIN) {
            return peer_flush(p);
        }

        if (n <= 0) {
            return -1;
        }

        p->in_len += n;

        if (!p->ws) {
            n = peer_upgrade(p);
            if (n <= 0) {
                if (n < 0) {
                    return -1;
                }
                continue;
            }
        }

        if (peer_frames(p) != 0) {
            return -1;
        }
    }
}


static int
cmd_provider(void)
{
    int                  lfd, fd, i, n;
    peer_t              *p;
    struct epoll_event   ev, evs[256];

    lfd = listen_on(&addr);

    ep = epoll_create1(0);
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;

    if (ep == -1 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1) {
        die("epoll");
    }

    for ( ;; ) {
        n = epoll_wait(ep, evs, 256, -1);
        if (n == -1 && errno != EINTR) {
            die("epoll_wait");
        }

        for (i = 0; i < n; i++) {
            p = evs[i].data.ptr;

            if (p == NULL) {
                while ((fd = accept(lfd, NULL, NULL)) != -1) {
                    p = calloc(1, sizeof(peer_t));
                    if (p == NULL) {
                        die("calloc");
                    }
                    p->fd = fd;
                    nonblock(fd);
                    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
                    ev.data.ptr = p;
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
                        die("epoll_ctl");
                    }
                }
                continue;
            }

            if (((evs[i].events & EPOLLOUT) && peer_flush(p) != 0)
                || ((evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                    && peer_read(p) != 0))
            {
                close(p->fd);
                free(p);
            }
        }
    }

    return 0;
}


/* --- main ------------------------------------------------------------------ */

int
main(int argc, char **argv)
{
    int          ch;
    const char  *cmd;

    if (argc < 2) {
        fail("%s", "usage: wsstream provider|client [-a HOST:PORT] "
                   "[-u PATH] [-n N] [-w WARM] [-d SECONDS] [-c CONFIG] "
                   "[-e EXPECT] [-f END] [-P PID] [-H HEADER]");
    }

    cmd = argv[1];
    optind = 2;

    while ((ch = getopt(argc, argv, "a:u:n:w:d:c:e:f:P:H:")) != -1) {
        switch (ch) {
        case 'a': o_addr = optarg; break;
        case 'u': o_path = optarg; break;
        case 'n': o_n = atol(optarg); break;
        case 'w': o_warm = atol(optarg); break;
        case 'd': o_seconds = atof(optarg); break;
        case 'c': o_config = optarg; break;
        case 'e': o_expect = optarg; break;
        case 'f': o_end = optarg; break;
        case 'P': o_pid = atol(optarg); break;
        case 'H': o_header = optarg; break;
        default: return 2;
        }
    }

    if (o_n < 1 || o_warm < 0 || o_seconds <= 0) {
        fail("%s", "-n must be at least 1, -d above 0");
    }

    parse_addr(o_addr, &addr);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (strcmp(cmd, "client") == 0) {
        return cmd_client();
    }
    if (strcmp(cmd, "provider") == 0) {
        return cmd_provider();
    }

    fail("unknown command %s", cmd);
    return 2;
}
