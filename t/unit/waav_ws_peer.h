/*
 * waav tests: an in-memory peer for waav_ws_conn (unit tests, fuzzer).
 *
 * recv() reads what the client sent from a byte buffer: it returns AGAIN
 * at each cut (an offset given by the test) and at the end, or EOF (0)
 * there when eof is set.  send() appends to a capture buffer, taking at
 * most room bytes (SIZE_MAX: all) before it returns AGAIN, as a slow
 * client's socket would.  What the connection hands to the glue is
 * recorded.
 */

#ifndef WAAV_WS_PEER_H
#define WAAV_WS_PEER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_ws_conn.h"

#define WAAV_PEER_CUTS  8

typedef struct {
    /* the client's bytes */
    uint8_t   *in;
    size_t     in_len;
    size_t     in_cap;
    size_t     in_pos;
    size_t     cuts[WAAV_PEER_CUTS];    /* AGAIN once at each offset */
    unsigned   ncuts;
    unsigned   cut;
    int        eof;
    int        recv_error;

    /* the server's bytes */
    uint8_t   *out;
    size_t     out_len;
    size_t     out_cap;
    size_t     room;
    int        send_error;

    /* what reached the glue */
    unsigned   texts;
    char      *text;                    /* the last one, a copy */
    size_t     text_len;
    unsigned   too_large;
    uint64_t   too_large_len;
    unsigned   chunks;
    unsigned   firsts;
    uint64_t   binary_len;              /* bytes of the current message */
    int        binary_fail;             /* binary() returns -1 */
    unsigned   binary_ends;
    uint64_t   binary_end_len;
    unsigned   closes;
    unsigned   close_code;
} waav_peer_t;


static void
waav_peer_append(uint8_t **buf, size_t *len, size_t *cap, const void *p,
    size_t n)
{
    size_t  want;

    if (*len + n > *cap) {
        want = *cap ? *cap : 256;

        while (want < *len + n) {
            want *= 2;
        }

        *buf = realloc(*buf, want);
        if (*buf == NULL) {
            abort();
        }

        *cap = want;
    }

    if (n) {
        memcpy(*buf + *len, p, n);
    }

    *len += n;
}


static ssize_t
waav_peer_recv(void *data, uint8_t *buf, size_t len)
{
    size_t        n;
    waav_peer_t  *p = data;

    if (p->recv_error) {
        return WAAV_WS_IO_ERROR;
    }

    if (p->cut < p->ncuts && p->in_pos == p->cuts[p->cut]) {
        p->cut++;
        return WAAV_WS_IO_AGAIN;
    }

    if (p->in_pos == p->in_len) {
        return p->eof ? 0 : WAAV_WS_IO_AGAIN;
    }

    n = p->in_len - p->in_pos;
    if (n > len) {
        n = len;
    }

    if (p->cut < p->ncuts && p->cuts[p->cut] > p->in_pos
        && p->cuts[p->cut] - p->in_pos < n)
    {
        n = p->cuts[p->cut] - p->in_pos;
    }

    memcpy(buf, p->in + p->in_pos, n);
    p->in_pos += n;

    return (ssize_t) n;
}


static ssize_t
waav_peer_send(void *data, const uint8_t *buf, size_t len)
{
    waav_peer_t  *p = data;

    if (p->send_error) {
        return WAAV_WS_IO_ERROR;
    }

    if (p->room == 0) {
        return WAAV_WS_IO_AGAIN;
    }

    if (len > p->room) {
        len = p->room;
    }

    if (p->room != SIZE_MAX) {
        p->room -= len;
    }

    waav_peer_append(&p->out, &p->out_len, &p->out_cap, buf, len);

    return (ssize_t) len;
}


static void
waav_peer_text(void *data, const char *msg, size_t len)
{
    waav_peer_t  *p = data;

    free(p->text);
    p->text = malloc(len + 1);
    if (p->text == NULL) {
        abort();
    }

    /* the connection promises a NUL after the message */
    memcpy(p->text, msg, len + 1);
    p->text_len = len;
    p->texts++;
}


static void
waav_peer_too_large(void *data, uint64_t len)
{
    waav_peer_t  *p = data;

    p->too_large++;
    p->too_large_len = len;
}


static int
waav_peer_binary(void *data, const uint8_t *buf, size_t len, int first)
{
    waav_peer_t  *p = data;

    (void) buf;

    if (first) {
        p->firsts++;
        p->binary_len = 0;
    }

    p->chunks++;
    p->binary_len += len;

    return p->binary_fail ? -1 : 0;
}


static void
waav_peer_binary_end(void *data, uint64_t len)
{
    waav_peer_t  *p = data;

    p->binary_ends++;
    p->binary_end_len = len;
}


static void
waav_peer_closed(void *data, unsigned code)
{
    waav_peer_t  *p = data;

    p->closes++;
    p->close_code = code;
}


static const waav_ws_io_t  waav_peer_io = {
    waav_peer_recv,
    waav_peer_send,
    waav_peer_text,
    waav_peer_too_large,
    waav_peer_binary,
    waav_peer_binary_end,
    waav_peer_closed
};


/*
 * a client frame: b0 is FIN, RSV and the opcode; its header says declared
 * bytes of payload, len of which follow (masked when masked is set)
 */
static void
waav_peer_frame_n(waav_peer_t *p, uint8_t b0, int masked, uint64_t declared,
    const void *payload, size_t len)
{
    int             i;
    size_t          n, k;
    uint8_t         h[14], buf[4096];
    const uint8_t  *src = payload;
    const uint8_t   key[4] = { 0x37, 0xfa, 0x21, 0x3d };

    n = 0;
    h[n++] = b0;

    if (declared < 126) {
        h[n++] = (uint8_t) declared;

    } else if (declared < 65536) {
        h[n++] = 126;
        h[n++] = (uint8_t) (declared >> 8);
        h[n++] = (uint8_t) declared;

    } else {
        h[n++] = 127;

        for (i = 7; i >= 0; i--) {
            h[n++] = (uint8_t) (declared >> (8 * i));
        }
    }

    if (masked) {
        h[1] |= 0x80;
        memcpy(h + n, key, 4);
        n += 4;
    }

    waav_peer_append(&p->in, &p->in_len, &p->in_cap, h, n);

    for (n = 0; n < len; n += k) {
        k = len - n < sizeof(buf) ? len - n : sizeof(buf);

        for (i = 0; i < (int) k; i++) {
            buf[i] = src[n + i] ^ (masked ? key[(n + i) % 4] : 0);
        }

        waav_peer_append(&p->in, &p->in_len, &p->in_cap, buf, k);
    }
}


/* a whole masked frame */
static __attribute__((unused)) void
waav_peer_frame(waav_peer_t *p, uint8_t b0, const void *payload, size_t len)
{
    waav_peer_frame_n(p, b0, 1, len, payload, len);
}


/* raw bytes from the other end, as they are */
static __attribute__((unused)) void
waav_peer_feed(waav_peer_t *p, const void *bytes, size_t len)
{
    waav_peer_append(&p->in, &p->in_len, &p->in_cap, bytes, len);
}


static void
waav_peer_init(waav_peer_t *p)
{
    memset(p, 0, sizeof(waav_peer_t));
    p->room = SIZE_MAX;
}


static void
waav_peer_free(waav_peer_t *p)
{
    free(p->in);
    free(p->out);
    free(p->text);
    memset(p, 0, sizeof(waav_peer_t));
}


#endif /* WAAV_WS_PEER_H */
