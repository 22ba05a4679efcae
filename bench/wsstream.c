/*
 * wsstream: the streaming STT rows of make bench (bench/run.sh), both
 * sides of them.  Single-threaded, epoll, non-blocking (as wsload.c; what
 * both share is wsbench.c); the client here, the provider in
 * wsstream_provider.c.
 *
 *   wsstream provider -a HOST:PORT
 *       A Deepgram-like streaming STT server, run until killed
 *       (wsstream_provider.c says what it does).
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
#include "wsstream.h"


#define FRAME_BYTES    640              /* 20 ms of 16 kHz 16-bit mono */
#define FRAME_NS       20000000LL
#define CONNECTING     64               /* handshakes in flight at most */
#define READY_SECONDS  60               /* for all sessions to be up */
#define END_SECONDS    30               /* for every provider's count */


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
    if (write_out(c->fd, c->out, &c->out_off, &c->out_len) == -1) {
        die("write");
    }
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
    conn_t  *c;

    c = &conns[opened];
    c->fd = connect_to(&addr, ep, c);
    c->state = ST_CONNECT;
    c->first = (uint32_t) (opened * 2654435761u) ^ (uint32_t) getpid();
    c->got_bytes = -1;

    opened++;
    handshaking++;
}


static void
send_handshake(conn_t *c)
{
    c->out_len = upgrade_request(c->fd, (char *) c->out, OUT_SIZE, o_path,
                                 o_addr, o_header);
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
        return wsstream_provider(&addr);
    }

    fail("unknown command %s", cmd);
    return 2;
}
