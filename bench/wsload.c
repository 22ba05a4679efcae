/*
 * wsload: the /ws rows of make bench (bench/run.sh), both sides of them.
 * Single-threaded, epoll, non-blocking; client frames are masked with a
 * fixed key and built once, so that the load generator costs little next
 * to the server it measures.
 *
 * Clients (-a HOST:PORT, -u PATH):
 *   wsload sessions -n N -w WARM -c CONFIG -e EXPECT -P PID
 *       WebSocket sessions, each sends the text CONFIG and waits for a
 *       text message holding EXPECT: first WARM of them (the worker's
 *       code and first allocations paged in), then the worker PID's VmRSS
 *       (KiB), then N more, kept open, and its VmRSS again once all have
 *       their answer; prints "before after N" (and keeps them -H seconds
 *       more: to look at the worker meanwhile)
 *   wsload relay -n N -d SECONDS -c CONFIG -e EXPECT [-f BYTES] [-F K]
 *       N sessions as above, then each sends binary frames of BYTES (640:
 *       20 ms of 16 kHz 16-bit PCM) as fast as the server takes them for
 *       SECONDS, after every K of them (0: never) the text
 *       {"type":"flush"}, then the text {"type":"ping"...} and waits for
 *       a text answer holding "pong" (sent after every frame before it
 *       was read); prints "frames seconds frames_per_second sink_frames
 *       texts" (the time: from the first frame to the last pong;
 *       sink_frames: the sum of "frames":N in the pongs, the sink's count,
 *       else 0; texts: the text messages each session sent, config and
 *       ping included)
 *   wsload tts -n N -c CONFIG -s SPEAK
 *       one session; N times SPEAK, one at a time: the time from the
 *       provider's first byte (the timestamp its first 8 bytes of audio
 *       carry, see provider) to the first binary frame; the rest of the
 *       audio is read up to tts_playback_complete; prints "median_us
 *       p90_us N"
 *   wsload speak -n N -s BODY
 *       N POSTs of BODY, one at a time: the same time to the answer's
 *       first body bytes; prints "median_us p90_us N"
 * Servers (-a HOST:PORT, run until killed):
 *   wsload sink       a WebSocket server: binary frames are counted and
 *                     dropped, a text message is answered with
 *                     {"type":"pong","frames":N} (N: binary frames so far),
 *                     a flush with {"type":"stt_result","frames":N}
 *   wsload provider   an HTTP/1.1 server answering any request with 16 KiB
 *                     of audio/pcm whose first 8 bytes are the
 *                     CLOCK_MONOTONIC time (ns, little-endian) at which it
 *                     writes them: one clock for both sides of a machine
 */

#define _GNU_SOURCE

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wsbench.h"


#define IN_SIZE       WSB_FRAME_MAX
#define OUT_SIZE      8192
#define BATCH_FRAMES  64
#define CONNECTING    64            /* handshakes in flight at most */
#define AUDIO_LEN     16384
#define WARMUP        10


enum {
    ST_CONNECT = 0,
    ST_HANDSHAKE,
    ST_WAIT,                        /* the answer to CONFIG */
    ST_READY,
    ST_SEND,                        /* relay: frames */
    ST_PING,                        /* relay: the pong */
    ST_DONE
};


typedef struct {
    int        fd;
    int        state;
    uint8_t    in[IN_SIZE];
    size_t     in_len;
    uint8_t    out[OUT_SIZE];
    size_t     out_len;
    size_t     out_off;
    size_t     batch_off;           /* relay: bytes of the batch sent */
    uint64_t   frames;              /* relay: frames sent */
    uint64_t   texts;               /* relay: text messages sent */
    uint64_t   sink_frames;         /* the sink's count, from its pong */
} conn_t;


/* the options */
static const char  *o_addr = "127.0.0.1:8080";
static const char  *o_path = "/ws";
static const char  *o_config = "";
static const char  *o_expect = "ready";
static const char  *o_speak = "";
static long         o_n = 1;
static double       o_seconds = 3;
static long         o_frame = 640;
static long         o_pid;
static long         o_warm;
static long         o_flush;
static long         o_hold;

static struct sockaddr_in  addr;


/* --- the multi-session client (sessions, relay) --------------------------- */

static conn_t   *conns;
static long      opened, ready, done, handshaking;
static uint8_t  *batch;             /* frames, then a flush (-F) */
static size_t    batch_len, frame_len, frames_len;
static int64_t   t_start, t_deadline, t_end;
static int       ep;


static void
queue_text(conn_t *c, const char *s)
{
    size_t  len = strlen(s);

    if (c->out_len + len + 14 > OUT_SIZE) {
        fail("%s", "a text message over the output buffer");
    }

    c->out_len += frame_build(c->out + c->out_len, 1, (const uint8_t *) s,
                              len);
}


static void
flush_out(conn_t *c)
{
    if (write_out(c->fd, c->out, &c->out_off, &c->out_len) == -1) {
        die("write");
    }
}


static void
open_one(void)
{
    conn_t  *c;

    c = &conns[opened];
    c->fd = connect_to(&addr, ep, c);
    c->state = ST_CONNECT;

    opened++;
    handshaking++;
}


static void
send_handshake(conn_t *c)
{
    c->out_len = upgrade_request(c->fd, (char *) c->out, OUT_SIZE, o_path,
                                 o_addr, "");
    c->state = ST_HANDSHAKE;
    flush_out(c);
}


/* the 101: then CONFIG; 1 when it was found */
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
    c->state = ST_WAIT;
    queue_text(c, o_config);
    flush_out(c);

    return 1;
}


static void
on_text(conn_t *c, const uint8_t *p, size_t len)
{
    char        buf[256];
    const char *f;

    if (c->state == ST_WAIT
        && memmem(p, len, o_expect, strlen(o_expect)) != NULL)
    {
        c->state = ST_READY;
        ready++;
        return;
    }

    if (c->state == ST_PING && memmem(p, len, "pong", 4) != NULL) {
        snprintf(buf, sizeof(buf), "%.*s", (int) len, p);
        f = strstr(buf, "\"frames\":");
        c->sink_frames = f ? strtoull(f + 9, NULL, 10) : 0;
        c->state = ST_DONE;
        done++;
        t_end = now_ns();
        return;
    }

    if (memmem(p, len, "\"error\"", 7) != NULL) {
        snprintf(buf, sizeof(buf), "%.*s", (int) len, p);
        fail("the server: %s", buf);
    }
}


static void
read_frames(conn_t *c)
{
    int             op, rc;
    size_t          len, total, pos;
    ssize_t         n;
    const uint8_t  *p;

    for ( ;; ) {
        n = read(c->fd, c->in + c->in_len, IN_SIZE - c->in_len);

        if (n == -1 && errno == EAGAIN) {
            return;
        }

        if (n <= 0) {
            fail("%s", n == 0 ? "the server closed a session"
                              : strerror(errno));
        }

        c->in_len += n;

        if (c->state == ST_HANDSHAKE && !handshake_done(c)) {
            continue;
        }

        for (pos = 0; ; pos += total) {
            rc = frame_parse(c->in + pos, c->in_len - pos, &op, &p, &len,
                             &total, NULL);
            if (rc == 0) {
                break;
            }
            if (rc == -1) {
                fail("%s", "a frame over 64 KiB");
            }
            if (op == 1) {
                on_text(c, p, len);
            } else if (op == 8) {
                fail("%s", "the server closed a session (close frame)");
            }
        }

        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
    }
}


/* relay: the frames in the first off bytes of the batch */
static uint64_t
batch_frames(size_t off)
{
    return (off < frames_len ? off : frames_len) / frame_len;
}


/* relay: frames (and flushes) until the deadline, then (the message in
 * progress ended) the ping */
static void
send_frames(conn_t *c)
{
    size_t   end, off;
    ssize_t  n;

    flush_out(c);

    while (c->state == ST_SEND && c->out_len == 0) {

        off = c->batch_off;
        end = batch_len;

        if (now_ns() >= t_deadline) {
            if (off % frame_len == 0 && off <= frames_len) {
                queue_text(c, "{\"type\":\"ping\",\"timestamp\":1}");
                c->texts++;
                c->state = ST_PING;
                flush_out(c);
                return;
            }

            /* the message in progress ends */
            end = off < frames_len ? (off / frame_len + 1) * frame_len
                                   : batch_len;
        }

        n = write(c->fd, batch + off, end - off);

        if (n == -1) {
            if (errno == EAGAIN) {
                return;
            }
            die("write");
        }

        c->frames += batch_frames(off + n) - batch_frames(off);
        c->batch_off = off + n;

        if (c->batch_off == batch_len) {
            c->texts += batch_len > frames_len;
            c->batch_off = 0;
        }
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
        if (c->state == ST_SEND) {
            send_frames(c);
        } else {
            flush_out(c);
        }
    }
}


static void
loop_until(long *count, long want)
{
    int                  i, n;
    struct epoll_event   evs[256];

    while (*count < want) {
        while (opened < want && handshaking < CONNECTING) {
            open_one();
        }

        n = epoll_wait(ep, evs, 256, 1000);
        if (n == -1 && errno != EINTR) {
            die("epoll_wait");
        }

        for (i = 0; i < n; i++) {
            on_event(evs[i].data.ptr, evs[i].events);
        }
    }
}


static void
clients_init(void)
{
    conns = calloc(o_warm + o_n, sizeof(conn_t));
    if (conns == NULL) {
        die("calloc");
    }

    ep = epoll_create1(0);
    if (ep == -1) {
        die("epoll_create1");
    }
}


static int
cmd_sessions(void)
{
    long  before, after;

    clients_init();
    loop_until(&ready, o_warm);
    before = rss_kib(o_pid);
    loop_until(&ready, o_warm + o_n);
    after = rss_kib(o_pid);

    printf("%ld %ld %ld\n", before, after, o_n);
    sleep(o_hold);

    return 0;
}


static int
cmd_relay(void)
{
    long       i, f, nf;
    uint8_t   *pcm;
    uint64_t   frames, sink, texts;

    static const char  flush[] = "{\"type\":\"flush\"}";

    nf = o_flush ? o_flush : BATCH_FRAMES;
    pcm = malloc(o_frame);
    frame_len = 4 + 4 + o_frame;
    frames_len = frame_len * nf;
    batch_len = frames_len + (o_flush ? 2 + 4 + sizeof(flush) - 1 : 0);
    batch = malloc(batch_len);

    if (pcm == NULL || batch == NULL || o_frame < 126 || o_frame > 65535) {
        fail("%s", "frames of 126 to 65535 bytes");
    }

    /* a quiet 440 Hz-ish square wave: what it is does not matter */
    for (i = 0; i < o_frame; i += 2) {
        pcm[i] = 0;
        pcm[i + 1] = (i / 36) & 1 ? 0x08 : 0xf8;
    }

    for (f = 0; f < nf; f++) {
        (void) frame_build(batch + f * frame_len, 2, pcm, o_frame);
    }

    if (o_flush) {
        (void) frame_build(batch + frames_len, 1, (const uint8_t *) flush,
                           sizeof(flush) - 1);
    }

    clients_init();
    loop_until(&ready, o_n);

    t_start = now_ns();
    t_deadline = t_start + (int64_t) (o_seconds * 1e9);

    for (i = 0; i < o_n; i++) {
        conns[i].state = ST_SEND;
        send_frames(&conns[i]);
    }

    loop_until(&done, o_n);

    for (frames = 0, sink = 0, texts = 0, i = 0; i < o_n; i++) {
        frames += conns[i].frames;
        sink += conns[i].sink_frames;
        texts += conns[i].texts + 1;            /* and the config */
    }

    printf("%llu %.3f %.0f %llu %llu\n", (unsigned long long) frames,
           (t_end - t_start) / 1e9, frames / ((t_end - t_start) / 1e9),
           (unsigned long long) sink, (unsigned long long) texts);

    return 0;
}


/* --- one at a time: tts, speak --------------------------------------------- */

static int
cmp_i64(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return (x > y) - (x < y);
}


static void
print_latency(int64_t *d, long n)
{
    qsort(d, n, sizeof(int64_t), cmp_i64);

    printf("%.1f %.1f %ld\n", d[n / 2] / 1e3, d[n * 9 / 10] / 1e3, n);
}


static int
connect_blocking(void)
{
    int  fd, one = 1;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1 || connect(fd, (struct sockaddr *) &addr, sizeof(addr)) == -1)
    {
        die("connect");
    }

    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    return fd;
}


static void
write_all(int fd, const uint8_t *p, size_t len)
{
    ssize_t  n;

    while (len) {
        n = write(fd, p, len);
        if (n <= 0) {
            die("write");
        }
        p += n;
        len -= n;
    }
}


/* more bytes into c->in (blocking); the time they came */
static int64_t
read_more(conn_t *c)
{
    ssize_t  n;

    if (c->in_len == IN_SIZE) {
        fail("%s", "input over 64 KiB");
    }

    n = read(c->fd, c->in + c->in_len, IN_SIZE - c->in_len);
    if (n <= 0) {
        fail("%s", n == 0 ? "the server closed" : strerror(errno));
    }

    c->in_len += n;

    return now_ns();
}


/* the next server frame (blocking), dropped from c->in; *t: when its last
 * bytes came; the payload is copied to buf (up to size) */
static int
next_frame(conn_t *c, uint8_t *buf, size_t size, size_t *len, int64_t *t)
{
    int             op, rc;
    size_t          total;
    const uint8_t  *p;

    *t = now_ns();

    for ( ;; ) {
        rc = frame_parse(c->in, c->in_len, &op, &p, len, &total, NULL);

        if (rc == 1) {
            memcpy(buf, p, *len < size ? *len : size);
            memmove(c->in, c->in + total, c->in_len - total);
            c->in_len -= total;
            return op;
        }

        if (rc == -1) {
            fail("%s", "a frame over 64 KiB");
        }

        *t = read_more(c);
    }
}


static uint64_t
stamp_of(const uint8_t *p)
{
    int       i;
    uint64_t  v = 0;

    for (i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }

    return v;
}


static int
cmd_tts(void)
{
    int       op;
    long      i;
    size_t    len;
    int64_t   t, first, *d;
    uint8_t   buf[512];
    conn_t   *c;

    c = calloc(1, sizeof(conn_t));
    d = calloc(o_n, sizeof(int64_t));
    if (c == NULL || d == NULL) {
        die("calloc");
    }

    c->fd = connect_blocking();
    send_handshake(c);

    while (!handshake_done(c)) {
        (void) read_more(c);
    }

    do {
        op = next_frame(c, buf, sizeof(buf) - 1, &len, &t);
        buf[len < sizeof(buf) - 1 ? len : sizeof(buf) - 1] = '\0';
        if (op == 1 && strstr((char *) buf, "\"error\"")) {
            fail("the server: %s", (char *) buf);
        }
    } while (op != 1 || strstr((char *) buf, o_expect) == NULL);

    for (i = -WARMUP; i < o_n; i++) {
        c->out_len = 0;
        queue_text(c, o_speak);
        write_all(c->fd, c->out, c->out_len);

        first = 0;

        for ( ;; ) {
            op = next_frame(c, buf, sizeof(buf) - 1, &len, &t);

            if (op == 2 && first == 0) {
                if (len < 8) {
                    fail("%s", "a first frame under 8 bytes");
                }
                first = t - (int64_t) stamp_of(buf);
                continue;
            }

            if (op == 1) {
                buf[len < sizeof(buf) - 1 ? len : sizeof(buf) - 1] = '\0';
                if (strstr((char *) buf, "tts_playback_complete")) {
                    break;
                }
                fail("the server: %s", (char *) buf);
            }

            if (op == 8) {
                fail("%s", "the server closed the session");
            }
        }

        if (first == 0) {
            fail("%s", "a speak without audio");
        }

        if (i >= 0) {
            d[i] = first;
        }
    }

    print_latency(d, o_n);

    return 0;
}


/* one POST: the time from the provider's stamp to the first body bytes */
static int64_t
speak_once(conn_t *c, const char *req, size_t req_len)
{
    size_t    hl;
    int64_t   t;
    uint8_t  *end, *body;
    ssize_t   n;

    c->fd = connect_blocking();
    c->in_len = 0;
    write_all(c->fd, (const uint8_t *) req, req_len);

    for ( ;; ) {
        t = read_more(c);
        end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
        if (end == NULL) {
            continue;
        }

        if (memcmp(c->in, "HTTP/1.1 200", 12) != 0) {
            c->in[c->in_len < 300 ? c->in_len : 300] = '\0';
            fail("not 200: %s", (char *) c->in);
        }

        hl = end + 4 - c->in;
        body = c->in + hl;

        if (memmem(c->in, hl, "chunked", 7) != NULL) {
            /* the first chunk's size line */
            end = memmem(body, c->in_len - hl, "\r\n", 2);
            if (end == NULL) {
                continue;
            }
            body = end + 2;
        }

        if (c->in + c->in_len - body >= 8) {
            break;
        }
    }

    t -= (int64_t) stamp_of(body);

    while ((n = read(c->fd, c->in, IN_SIZE)) > 0) {
        /* the rest of it */
    }

    close(c->fd);

    return t;
}


static int
cmd_speak(void)
{
    int      len;
    long     i;
    char     req[8192];
    conn_t  *c;
    int64_t *d;

    c = calloc(1, sizeof(conn_t));
    d = calloc(o_n, sizeof(int64_t));
    if (c == NULL || d == NULL) {
        die("calloc");
    }

    len = snprintf(req, sizeof(req),
                   "POST %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: %zu\r\n\r\n%s",
                   o_path, o_addr, strlen(o_speak), o_speak);
    if (len >= (int) sizeof(req)) {
        fail("%s", "the body is too long");
    }

    for (i = -WARMUP; i < o_n; i++) {
        int64_t  t = speak_once(c, req, len);

        if (i >= 0) {
            d[i] = t;
        }
    }

    print_latency(d, o_n);

    return 0;
}


/* --- the servers ----------------------------------------------------------- */

typedef struct {
    int        fd;                  /* first: serve() in wsbench.c */
    int        ws;                  /* upgraded (sink) */
    uint8_t    in[IN_SIZE];
    size_t     in_len;
    uint8_t    out[OUT_SIZE + AUDIO_LEN];
    size_t     out_len;
    size_t     out_off;

    /* sink: the frame being skipped */
    uint8_t    hdr[14];
    size_t     hdr_have;
    uint64_t   left;
    int        op;
    int        in_payload;
    uint64_t   frames;
    uint64_t   off;                 /* of the payload */
    uint8_t    mask[4];
    char       text[64];            /* the start of a text, unmasked */
} peer_t;


/* 0, or -1 when the peer is gone */
static int
peer_flush(void *data)
{
    peer_t *p = data;

    return write_out(p->fd, p->out, &p->out_off, &p->out_len) == -1 ? -1 : 0;
}


static int
peer_queue(peer_t *p, const void *data, size_t len)
{
    if (p->out_len + len > sizeof(p->out)) {
        return -1;
    }

    memcpy(p->out + p->out_len, data, len);
    p->out_len += len;

    return 0;
}


/* sink: the upgrade's answer; 0 when more is needed, -1 on a bad one */
static int
sink_upgrade(peer_t *p)
{
    char      head[256];
    int       n;
    uint8_t  *end;
    size_t    hl;

    end = memmem(p->in, p->in_len, "\r\n\r\n", 4);
    if (end == NULL) {
        return p->in_len == IN_SIZE ? -1 : 0;
    }

    hl = end + 4 - p->in;

    n = ws_accept_answer(p->in, hl, head, sizeof(head));
    if (n < 0) {
        return -1;
    }

    memmove(p->in, p->in + hl, p->in_len - hl);
    p->in_len -= hl;
    p->ws = 1;

    return peer_queue(p, head, n) == 0 ? 1 : -1;
}


/* sink: a whole frame was read; -1 closes */
static int
sink_frame_end(peer_t *p)
{
    char  msg[64];
    int   n;

    switch (p->op) {

    case 2:
        p->frames++;
        return 0;

    case 1:
        n = snprintf(msg + 2, sizeof(msg) - 2,
                     "{\"type\":\"%s\",\"frames\":%llu}",
                     strstr(p->text, "\"flush\"") ? "stt_result" : "pong",
                     (unsigned long long) p->frames);
        msg[0] = (char) 0x81;
        msg[1] = (char) n;
        return peer_queue(p, msg, n + 2);

    case 8:
        (void) peer_queue(p, "\x88\x02\x03\xe8", 4);
        (void) peer_flush(p);
        return -1;

    default:
        return 0;
    }
}


/* sink: frames are skipped as they come, whatever the reads cut */
static int
sink_bytes(peer_t *p, const uint8_t *b, size_t n)
{
    size_t    need, take, i;
    uint64_t  l;

    while (n) {
        if (p->in_payload) {
            take = p->left < n ? p->left : n;

            for (i = 0; p->op == 1 && i < take; i++) {
                if (p->off + i < sizeof(p->text) - 1) {
                    p->text[p->off + i] = b[i] ^ p->mask[(p->off + i) % 4];
                }
            }

            p->off += take;
            p->left -= take;
            b += take;
            n -= take;

        } else {
            p->hdr[p->hdr_have++] = *b++;
            n--;

            if (p->hdr_have < 2) {
                continue;
            }

            l = p->hdr[1] & 0x7f;
            need = 2 + (l == 126 ? 2 : l == 127 ? 8 : 0)
                   + (p->hdr[1] & 0x80 ? 4 : 0);

            if (p->hdr_have < need) {
                continue;
            }

            if (l == 126) {
                l = ((uint64_t) p->hdr[2] << 8) | p->hdr[3];
            } else if (l == 127) {
                for (l = 0, i = 0; i < 8; i++) {
                    l = (l << 8) | p->hdr[2 + i];
                }
            }

            p->op = p->hdr[0] & 0x0f;
            p->left = l;
            p->in_payload = 1;
            p->hdr_have = 0;
            p->off = 0;

            if (p->op == 1) {
                memset(p->text, 0, sizeof(p->text));
                memset(p->mask, 0, 4);
                if (p->hdr[1] & 0x80) {
                    memcpy(p->mask, p->hdr + need - 4, 4);
                }
            }
        }

        if (p->in_payload && p->left == 0) {
            p->in_payload = 0;
            if (sink_frame_end(p) != 0) {
                return -1;
            }
        }
    }

    return 0;
}


/* provider: requests answered as they are whole; -1 closes */
static int
provider_requests(peer_t *p)
{
    char      head[160];
    long      cl;
    size_t    hl, hlen, total;
    uint8_t  *end, *v, audio[AUDIO_LEN];
    int64_t   t;
    int       close_after;

    for ( ;; ) {
        end = memmem(p->in, p->in_len, "\r\n\r\n", 4);
        if (end == NULL) {
            return p->in_len == IN_SIZE ? -1 : 0;
        }

        hl = end + 4 - p->in;
        *end = '\0';
        v = (uint8_t *) strcasestr((char *) p->in, "\ncontent-length:");
        cl = v ? atol((char *) v + 16) : 0;
        close_after = strcasestr((char *) p->in, "\nconnection: close") != NULL;
        *end = '\r';

        total = hl + cl;
        if (cl < 0 || total > IN_SIZE) {
            return -1;
        }
        if (p->in_len < total) {
            return 0;
        }

        memmove(p->in, p->in + total, p->in_len - total);
        p->in_len -= total;

        hlen = snprintf(head, sizeof(head),
                        "HTTP/1.1 200 OK\r\nContent-Type: audio/pcm\r\n"
                        "Content-Length: %d\r\n%s\r\n", AUDIO_LEN,
                        close_after ? "Connection: close\r\n" : "");

        memset(audio, 0x11, sizeof(audio));

        if (peer_queue(p, head, hlen) != 0
            || peer_queue(p, audio, AUDIO_LEN) != 0)
        {
            return -1;
        }

        /* the stamp: as late as can be, right before the write */
        t = now_ns();
        memcpy(p->out + p->out_len - AUDIO_LEN, &t, 8);

        if (peer_flush(p) != 0 || close_after) {
            return -1;
        }
    }
}


static int
serve_read(peer_t *p, int sink)
{
    ssize_t   n;
    uint8_t   buf[IN_SIZE];

    for ( ;; ) {
        if (sink && p->ws) {
            n = read(p->fd, buf, sizeof(buf));
        } else {
            n = read(p->fd, p->in + p->in_len, IN_SIZE - p->in_len);
        }

        if (n == -1 && errno == EAGAIN) {
            return peer_flush(p);
        }

        if (n <= 0) {
            return -1;
        }

        if (sink && p->ws) {
            if (sink_bytes(p, buf, n) != 0) {
                return -1;
            }
            continue;
        }

        p->in_len += n;

        if (!sink) {
            if (provider_requests(p) != 0) {
                return -1;
            }
            continue;
        }

        switch (sink_upgrade(p)) {
        case -1:
            return -1;
        case 1:
            if (sink_bytes(p, p->in, p->in_len) != 0) {
                return -1;
            }
            p->in_len = 0;
        }
    }
}


/* the servers' read events */
static int
sink_read(void *p)
{
    return serve_read(p, 1);
}


static int
provider_read(void *p)
{
    return serve_read(p, 0);
}


/* --- main ------------------------------------------------------------------ */

int
main(int argc, char **argv)
{
    int          ch;
    const char  *cmd;

    if (argc < 2) {
        fail("%s", "usage: wsload sessions|relay|tts|speak|sink|provider "
                   "[-a HOST:PORT] [-u PATH] [-n N] [-d SECONDS] "
                   "[-c CONFIG] [-e EXPECT] [-s SPEAK] [-f BYTES] [-F K] [-P PID] "
                   "[-w WARM] [-H SECONDS]");
    }

    cmd = argv[1];
    optind = 2;

    while ((ch = getopt(argc, argv, "a:u:n:d:c:e:s:f:F:P:w:H:")) != -1) {
        switch (ch) {
        case 'a': o_addr = optarg; break;
        case 'u': o_path = optarg; break;
        case 'n': o_n = atol(optarg); break;
        case 'd': o_seconds = atof(optarg); break;
        case 'c': o_config = optarg; break;
        case 'e': o_expect = optarg; break;
        case 's': o_speak = optarg; break;
        case 'f': o_frame = atol(optarg); break;
        case 'F': o_flush = atol(optarg); break;
        case 'P': o_pid = atol(optarg); break;
        case 'w': o_warm = atol(optarg); break;
        case 'H': o_hold = atol(optarg); break;
        default: return 2;
        }
    }

    if (o_n < 1) {
        fail("%s", "-n must be at least 1");
    }

    parse_addr(o_addr, &addr);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (strcmp(cmd, "sessions") == 0) {
        return cmd_sessions();
    }
    if (strcmp(cmd, "relay") == 0) {
        return cmd_relay();
    }
    if (strcmp(cmd, "tts") == 0) {
        return cmd_tts();
    }
    if (strcmp(cmd, "speak") == 0) {
        return cmd_speak();
    }
    if (strcmp(cmd, "sink") == 0 || strcmp(cmd, "provider") == 0) {
        serve(&addr, sizeof(peer_t), peer_flush,
              cmd[0] == 's' ? sink_read : provider_read);
    }

    fail("unknown command %s", cmd);
    return 2;
}
