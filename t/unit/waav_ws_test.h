/*
 * waav tests: what the unit tests of waav_ws_conn share: a connection on
 * an in-memory peer (t/unit/waav_ws_peer.h) per test, and the server's
 * frames read back from the wire (cmocka).
 */

#ifndef WAAV_WS_TEST_H
#define WAAV_WS_TEST_H

#include "waav_ws_conn.h"
#include "waav_ws_peer.h"


#define FIN     0x80
#define CONT    0x0
#define TEXT    0x1
#define BINARY  0x2
#define CLOSE   0x8
#define PING    0x9
#define PONG    0xa

#define MiB     (1024 * 1024)


typedef struct {
    waav_peer_t      peer;
    waav_ws_conn_t  *c;
    size_t           off;           /* the server frames read so far */
} t_ws_t;


static __attribute__((unused)) int
setup(void **state)
{
    t_ws_t  *t;

    t = calloc(1, sizeof(t_ws_t));
    assert_non_null(t);

    waav_peer_init(&t->peer);
    t->c = waav_ws_conn_new(&waav_peer_io, &t->peer);
    assert_non_null(t->c);

    *state = t;

    return 0;
}


static __attribute__((unused)) int
teardown(void **state)
{
    t_ws_t  *t = *state;

    waav_ws_conn_free(t->c);
    waav_peer_free(&t->peer);
    free(t);

    return 0;
}


/* the next server frame on the wire: 1, or 0 when no whole one is there */
static int
out_frame(t_ws_t *t, uint8_t *b0, const uint8_t **payload, uint64_t *len)
{
    int             i, n;
    size_t          h, left;
    uint64_t        l;
    const uint8_t  *p;

    p = t->peer.out + t->off;
    left = t->peer.out_len - t->off;

    if (left < 2) {
        return 0;
    }

    /* a server never masks */
    assert_int_equal(p[1] & 0x80, 0);

    l = p[1] & 0x7f;
    h = 2;
    n = l == 126 ? 2 : (l == 127 ? 8 : 0);

    if (n) {
        if (left < 2 + (size_t) n) {
            return 0;
        }

        l = 0;

        for (i = 0; i < n; i++) {
            l = (l << 8) | p[2 + i];
        }

        h += n;
    }

    if (left - h < l) {
        return 0;
    }

    *b0 = p[0];
    *payload = p + h;
    *len = l;
    t->off += h + l;

    return 1;
}


/* the next frame is a close with code (0: none), and the last one */
static __attribute__((unused)) void
expect_close(t_ws_t *t, unsigned code)
{
    uint8_t         b0;
    uint64_t        len;
    const uint8_t  *p;

    assert_int_equal(out_frame(t, &b0, &p, &len), 1);
    assert_int_equal(b0, FIN | CLOSE);

    if (code == 0) {
        assert_int_equal(len, 0);

    } else {
        assert_true(len >= 2);
        assert_int_equal((p[0] << 8) | p[1], code);
    }

    assert_int_equal(t->off, t->peer.out_len);
}


static __attribute__((unused)) void
expect_frame(t_ws_t *t, uint8_t want, const void *data, size_t n)
{
    uint8_t         b0;
    uint64_t        len;
    const uint8_t  *p;

    assert_int_equal(out_frame(t, &b0, &p, &len), 1);
    assert_int_equal(b0, want);
    assert_int_equal(len, n);
    assert_memory_equal(p, data, n);
}


#endif /* WAAV_WS_TEST_H */
