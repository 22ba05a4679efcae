/*
 * wsstream provider -a HOST:PORT: a Deepgram-like streaming STT server for
 * the streaming STT rows of make bench (bench/wsstream.c is the client).
 *
 * It takes a WebSocket upgrade of GET /v1/listen?ANY carrying
 * "Authorization: Token ..." (404, 401 otherwise); client frames must be
 * masked (else close 1002).  Binary messages are audio: counted, and
 * checked against the client's pattern (each 4-byte little-endian word is
 * the first one plus its index: a lost, repeated or reordered byte breaks
 * it).  Every RESULT_BYTES of audio (320 ms of 16 kHz 16-bit mono) a
 * Deepgram "Results" message whose transcript is "t" and its
 * CLOCK_MONOTONIC time in ns, written into the message right before its
 * write(2): the client subtracts it from its own clock (one machine, one
 * clock).  {"type":"KeepAlive"} is ignored; {"type":"Finalize"} is
 * answered with a final Results whose transcript is "bytes N bad M" (the
 * audio bytes received, the words off the pattern); {"type":"CloseStream"}
 * the same, then a close 1000.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wsbench.h"
#include "wsstream.h"


typedef struct {
    int         fd;                     /* first: serve() in wsbench.c */
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
peer_flush(void *data)
{
    peer_t *p = data;

    switch (write_out(p->fd, p->out, &p->out_off, &p->out_len)) {
    case -1:
        return -1;
    case 0:
        return 0;
    default:
        return p->closing ? -1 : 0;
    }
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
peer_read(void *data)
{
    peer_t *p = data;

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


int
wsstream_provider(const struct sockaddr_in *sa)
{
    serve(sa, sizeof(peer_t), peer_flush, peer_read);

    return 0;
}
