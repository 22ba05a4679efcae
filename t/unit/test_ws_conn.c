/*
 * Unit tests for src/core/waav_ws_conn.c: the handshake's accept, the
 * messages a client sends and the limits on them, what the framing
 * refuses and the close it answers with, the outbound queue (cmocka, an
 * in-memory peer: t/unit/waav_ws_peer.h).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

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


static int
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


static int
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
static void
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


static void
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


static void
test_accept(void **state)
{
    char         out[29];
    const char  *key = "dGhlIHNhbXBsZSBub25jZQ==";

    (void) state;

    /* RFC 6455, section 1.3 */
    assert_int_equal(waav_ws_key_valid(key, 24), 1);
    waav_ws_accept(key, 24, out);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    assert_int_equal(waav_ws_key_valid("AAAAAAAAAAAAAAAAAAAAAA==", 24), 1);
    assert_int_equal(waav_ws_key_valid("+/+/+/+/+/+/+/+/+/+/+w==", 24), 1);

    /* lengths */
    assert_int_equal(waav_ws_key_valid("", 0), 0);
    assert_int_equal(waav_ws_key_valid(key, 23), 0);
    assert_int_equal(waav_ws_key_valid("dGhlIHNhbXBsZSBub25jZQ===", 25), 0);
    assert_int_equal(waav_ws_key_valid("dGhlIHNhbXBsZSBub25jZQ", 22), 0);

    /* 24 characters that are not 16 bytes */
    assert_int_equal(waav_ws_key_valid("dGhlIHNhbXBsZSBub25jZQAA", 24), 0);
    assert_int_equal(waav_ws_key_valid("dGhlIHNhbXBsZSBub25jZ===", 24), 0);
    assert_int_equal(waav_ws_key_valid("=GhlIHNhbXBsZSBub25jZQ==", 24), 0);

    /* not the standard alphabet */
    assert_int_equal(waav_ws_key_valid("dGhlIHNhbXBsZSBub25j-Q==", 24), 0);
    assert_int_equal(waav_ws_key_valid("dGhlIHNhbXBsZSBub25j_Q==", 24), 0);
    assert_int_equal(waav_ws_key_valid("dGhlIHNhbXBsZSBub25j Q==", 24), 0);
    assert_int_equal(waav_ws_key_valid("dGhlIHNhbXBsZSBub25j\0Q==", 24), 0);
}


static void
test_text(void **state)
{
    t_ws_t  *t = *state;

    waav_peer_frame(&t->peer, FIN | TEXT, "hello", 5);

    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.texts, 1);
    assert_int_equal(t->peer.text_len, 5);
    assert_string_equal(t->peer.text, "hello");

    assert_int_equal(waav_ws_conn_want_read(t->c), 1);
    assert_int_equal(waav_ws_conn_want_write(t->c), 0);
    assert_int_equal(waav_ws_conn_finished(t->c), 0);
    assert_int_equal(t->peer.out_len, 0);

    /* an empty one */
    waav_peer_frame(&t->peer, FIN | TEXT, "", 0);
    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.texts, 2);
    assert_int_equal(t->peer.text_len, 0);
    assert_string_equal(t->peer.text, "");
}


static void
test_text_fragmented(void **state)
{
    size_t   mid;
    t_ws_t  *t = *state;

    waav_peer_frame(&t->peer, TEXT, "h\xc3", 2);
    mid = t->peer.in_len;
    waav_peer_frame(&t->peer, FIN | PING, "abc", 3);
    waav_peer_frame(&t->peer, CONT, "", 0);
    waav_peer_frame(&t->peer, FIN | CONT, "\xa9llo", 4);

    /* the transport would block inside the first frame and the ping */
    t->peer.cuts[0] = 3;
    t->peer.cuts[1] = mid + 4;
    t->peer.ncuts = 2;

    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.in_pos, 3);
    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.in_pos, mid + 4);
    assert_int_equal(t->peer.texts, 0);

    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.in_pos, t->peer.in_len);
    assert_int_equal(t->peer.texts, 1);
    assert_string_equal(t->peer.text, "h\xc3\xa9llo");

    /* the ping inside the message was answered */
    assert_int_equal(waav_ws_conn_want_write(t->c), 1);
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    expect_frame(t, FIN | PONG, "abc", 3);
    assert_int_equal(t->off, t->peer.out_len);
}


static void
test_text_limits(void **state)
{
    char    *big;
    t_ws_t  *t = *state;

    big = malloc(WAAV_WS_TEXT_MAX + 1);
    assert_non_null(big);
    memset(big, 'a', WAAV_WS_TEXT_MAX + 1);

    /* exactly at the cap: kept */
    waav_peer_frame(&t->peer, FIN | TEXT, big, WAAV_WS_TEXT_MAX);
    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.texts, 1);
    assert_int_equal(t->peer.text_len, WAAV_WS_TEXT_MAX);
    assert_memory_equal(t->peer.text, big, WAAV_WS_TEXT_MAX);
    assert_int_equal(t->peer.too_large, 0);

    /* one more: dropped, its size told, the connection stays */
    waav_peer_frame(&t->peer, FIN | TEXT, big, WAAV_WS_TEXT_MAX + 1);
    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.texts, 1);
    assert_int_equal(t->peer.too_large, 1);
    assert_int_equal(t->peer.too_large_len, WAAV_WS_TEXT_MAX + 1);

    /* over the cap by its frames, the first within it */
    waav_peer_frame(&t->peer, TEXT, big, 1000);
    waav_peer_frame(&t->peer, CONT, big, WAAV_WS_TEXT_MAX - 1000);
    waav_peer_frame(&t->peer, FIN | CONT, big, 2);
    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.texts, 1);
    assert_int_equal(t->peer.too_large, 2);
    assert_int_equal(t->peer.too_large_len, WAAV_WS_TEXT_MAX + 2);

    /* the same in one read at a time, cut inside the last frame */
    t->peer.ncuts = 1;
    waav_peer_frame(&t->peer, TEXT, big, WAAV_WS_TEXT_MAX);
    waav_peer_frame(&t->peer, FIN | CONT, "b", 1);
    t->peer.cuts[0] = t->peer.in_len - 3;
    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.too_large, 2);
    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.too_large, 3);
    assert_int_equal(t->peer.too_large_len, WAAV_WS_TEXT_MAX + 1);

    waav_peer_frame(&t->peer, FIN | TEXT, "ok", 2);
    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.texts, 2);
    assert_string_equal(t->peer.text, "ok");

    assert_int_equal(t->peer.out_len, 0);
    assert_int_equal(waav_ws_conn_want_read(t->c), 1);

    free(big);
}


static void
test_binary(void **state)
{
    uint8_t  *audio;
    t_ws_t   *t = *state;

    audio = calloc(1, 100000);
    assert_non_null(audio);

    /* 3 frames, the transport cut inside the second */
    waav_peer_frame(&t->peer, BINARY, audio, 10);
    waav_peer_frame(&t->peer, CONT, audio, 100000);
    waav_peer_frame(&t->peer, FIN | CONT, audio, 7);
    t->peer.cuts[0] = 5000;
    t->peer.ncuts = 1;

    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.firsts, 1);
    assert_int_equal(t->peer.binary_ends, 0);
    assert_true(t->peer.binary_len < 5000);

    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.firsts, 1);
    assert_true(t->peer.chunks > 3);
    assert_int_equal(t->peer.binary_len, 100017);
    assert_int_equal(t->peer.binary_ends, 1);
    assert_int_equal(t->peer.binary_end_len, 100017);

    /* an empty one: no chunk, its end */
    t->peer.chunks = 0;
    waav_peer_frame(&t->peer, FIN | BINARY, "", 0);
    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.chunks, 0);
    assert_int_equal(t->peer.binary_ends, 2);
    assert_int_equal(t->peer.binary_end_len, 0);

    /* a text between them is its own message */
    waav_peer_frame(&t->peer, FIN | BINARY, "ab", 2);
    waav_peer_frame(&t->peer, FIN | TEXT, "t", 1);
    waav_peer_frame(&t->peer, FIN | BINARY, "cde", 3);
    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.firsts, 3);
    assert_int_equal(t->peer.binary_ends, 4);
    assert_int_equal(t->peer.binary_end_len, 3);
    assert_int_equal(t->peer.texts, 1);

    assert_int_equal(t->peer.out_len, 0);

    free(audio);
}


static void
test_binary_fails(void **state)
{
    t_ws_t  *t = *state;

    t->peer.binary_fail = 1;
    waav_peer_frame(&t->peer, FIN | BINARY, "ab", 2);
    waav_peer_frame(&t->peer, FIN | TEXT, "t", 1);

    assert_int_equal(waav_ws_conn_read(t->c), -1);
    assert_int_equal(t->peer.binary_ends, 0);
    assert_int_equal(t->peer.texts, 0);
    assert_int_equal(waav_ws_conn_want_read(t->c), 0);

    assert_int_equal(waav_ws_conn_write(t->c), 0);
    expect_close(t, WAAV_WS_CLOSE_INTERNAL);
    assert_int_equal(waav_ws_conn_close_sent(t->c), WAAV_WS_CLOSE_INTERNAL);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);
}


static void
test_too_big(void **state)
{
    uint8_t  *audio;
    t_ws_t   *t = *state;

    audio = calloc(1, 8 * MiB);
    assert_non_null(audio);

    /*
     * 8 MiB, then a frame that says 2 MiB + 1: refused at its header (wslay
     * reports a frame with its first payload bytes)
     */
    waav_peer_frame(&t->peer, BINARY, audio, 8 * MiB);
    waav_peer_frame_n(&t->peer, CONT, 1, 2 * MiB + 1, audio, 1);

    assert_int_equal(waav_ws_conn_read(t->c), -1);
    assert_int_equal(t->peer.binary_len, 8 * MiB);
    assert_int_equal(t->peer.binary_ends, 0);

    assert_int_equal(waav_ws_conn_write(t->c), 0);
    expect_close(t, WAAV_WS_CLOSE_TOO_BIG);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);

    free(audio);
}


static void
test_too_big_frame(void **state)
{
    t_ws_t  *t = *state;

    /* 10 MiB fit; one frame over them is refused by wslay */
    waav_peer_frame_n(&t->peer, FIN | TEXT, 1, WAAV_WS_MESSAGE_MAX + 1,
                      "a", 1);

    assert_int_equal(waav_ws_conn_read(t->c), -1);
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    expect_close(t, WAAV_WS_CLOSE_TOO_BIG);
    assert_int_equal(t->peer.too_large, 0);
}


static void
test_exactly_max(void **state)
{
    uint8_t  *audio;
    t_ws_t   *t = *state;

    audio = calloc(1, WAAV_WS_MESSAGE_MAX);
    assert_non_null(audio);

    waav_peer_frame(&t->peer, BINARY, audio, WAAV_WS_MESSAGE_MAX - 1);
    waav_peer_frame(&t->peer, FIN | CONT, audio, 1);

    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.binary_ends, 1);
    assert_int_equal(t->peer.binary_end_len, WAAV_WS_MESSAGE_MAX);
    assert_int_equal(t->peer.out_len, 0);

    free(audio);
}


/* bytes a client sends that fail the connection, and the close for them */

typedef struct {
    const char  *name;
    void       (*frames)(waav_peer_t *p);
    unsigned     code;
} t_bad_t;


static void
bad_unmasked(waav_peer_t *p)
{
    waav_peer_frame_n(p, FIN | TEXT, 0, 2, "hi", 2);
}


static void
bad_rsv1(waav_peer_t *p)
{
    waav_peer_frame(p, FIN | 0x40 | TEXT, "hi", 2);
}


static void
bad_rsv2(waav_peer_t *p)
{
    waav_peer_frame(p, FIN | 0x20 | BINARY, "hi", 2);
}


static void
bad_rsv3(waav_peer_t *p)
{
    waav_peer_frame(p, TEXT, "h", 1);
    waav_peer_frame(p, FIN | 0x10 | CONT, "i", 1);
}


static void
bad_utf8(waav_peer_t *p)
{
    waav_peer_frame(p, FIN | TEXT, "a\xff", 2);
}


static void
bad_utf8_cut(waav_peer_t *p)
{
    /* a sequence that never ends, over two frames */
    waav_peer_frame(p, TEXT, "\xe2", 1);
    waav_peer_frame(p, FIN | CONT, "\x82", 1);
}


static void
bad_utf8_surrogate(waav_peer_t *p)
{
    waav_peer_frame(p, FIN | TEXT, "\xed\xa0\x80", 3);
}


static void
bad_ping_fragmented(waav_peer_t *p)
{
    waav_peer_frame(p, PING, "ab", 2);
}


static void
bad_ping_long(waav_peer_t *p)
{
    uint8_t  buf[126];

    memset(buf, 'p', sizeof(buf));
    waav_peer_frame(p, FIN | PING, buf, sizeof(buf));
}


static void
bad_close_fragmented(waav_peer_t *p)
{
    waav_peer_frame(p, CLOSE, "\x03\xe8", 2);
}


static void
bad_length_long_form(waav_peer_t *p)
{
    /* 5 bytes said in 16 bits */
    static const uint8_t  f[] = { FIN | BINARY, 0x80 | 126, 0, 5, 1, 2, 3, 4,
                                  0, 0, 0, 0, 0 };

    waav_peer_append(&p->in, &p->in_len, &p->in_cap, f, sizeof(f));
}


static void
bad_length_64(waav_peer_t *p)
{
    /* the top bit of a 64-bit length */
    static const uint8_t  f[] = { FIN | BINARY, 0x80 | 127, 0x80, 0, 0, 0,
                                  0, 0, 0, 1, 1, 2, 3, 4 };

    waav_peer_append(&p->in, &p->in_len, &p->in_cap, f, sizeof(f));
}


static void
bad_continuation(waav_peer_t *p)
{
    waav_peer_frame(p, FIN | CONT, "hi", 2);
}


static void
bad_new_message(waav_peer_t *p)
{
    waav_peer_frame(p, TEXT, "h", 1);
    waav_peer_frame(p, FIN | TEXT, "i", 1);
}


static void
bad_opcode(waav_peer_t *p)
{
    waav_peer_frame(p, FIN | 0x3, "hi", 2);
}


static void
bad_opcode_control(waav_peer_t *p)
{
    waav_peer_frame(p, FIN | 0xb, "hi", 2);
}


static void
bad_opcode_inside(waav_peer_t *p)
{
    waav_peer_frame(p, BINARY, "h", 1);
    waav_peer_frame(p, FIN | 0x7, "i", 1);
}


static void
bad_close_short(waav_peer_t *p)
{
    waav_peer_frame(p, FIN | CLOSE, "\x03", 1);
}


static void
bad_close_code(waav_peer_t *p)
{
    /* 1005 is never sent */
    waav_peer_frame(p, FIN | CLOSE, "\x03\xed", 2);
}


static void
bad_close_reason(waav_peer_t *p)
{
    waav_peer_frame(p, FIN | CLOSE, "\x03\xe8\xff", 3);
}


static const t_bad_t  bad[] = {
    { "unmasked", bad_unmasked, WAAV_WS_CLOSE_PROTOCOL },
    { "rsv1", bad_rsv1, WAAV_WS_CLOSE_PROTOCOL },
    { "rsv2", bad_rsv2, WAAV_WS_CLOSE_PROTOCOL },
    { "rsv3 on a continuation", bad_rsv3, WAAV_WS_CLOSE_PROTOCOL },
    { "utf-8", bad_utf8, WAAV_WS_CLOSE_BAD_DATA },
    { "utf-8 cut", bad_utf8_cut, WAAV_WS_CLOSE_BAD_DATA },
    { "utf-8 surrogate", bad_utf8_surrogate, WAAV_WS_CLOSE_BAD_DATA },
    { "fragmented ping", bad_ping_fragmented, WAAV_WS_CLOSE_PROTOCOL },
    { "ping of 126", bad_ping_long, WAAV_WS_CLOSE_PROTOCOL },
    { "fragmented close", bad_close_fragmented, WAAV_WS_CLOSE_PROTOCOL },
    { "length not shortest", bad_length_long_form, WAAV_WS_CLOSE_PROTOCOL },
    { "64-bit length top bit", bad_length_64, WAAV_WS_CLOSE_PROTOCOL },
    { "continuation first", bad_continuation, WAAV_WS_CLOSE_PROTOCOL },
    { "text in a text", bad_new_message, WAAV_WS_CLOSE_PROTOCOL },
    { "opcode 3", bad_opcode, WAAV_WS_CLOSE_PROTOCOL },
    { "opcode 0xb", bad_opcode_control, WAAV_WS_CLOSE_PROTOCOL },
    { "opcode 7 in a message", bad_opcode_inside, WAAV_WS_CLOSE_PROTOCOL },
    { "close of 1 byte", bad_close_short, WAAV_WS_CLOSE_PROTOCOL },
    { "close code 1005", bad_close_code, WAAV_WS_CLOSE_PROTOCOL },
    { "close reason utf-8", bad_close_reason, WAAV_WS_CLOSE_BAD_DATA },
};


static void
test_bad(void **state)
{
    size_t    i;
    t_ws_t   *t;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        print_message("# %s\n", bad[i].name);

        assert_int_equal(setup(state), 0);
        t = *state;

        bad[i].frames(&t->peer);
        /* what follows is never read */
        waav_peer_frame(&t->peer, FIN | TEXT, "after", 5);

        assert_int_equal(waav_ws_conn_read(t->c), -1);
        assert_int_equal(waav_ws_conn_want_read(t->c), 0);
        assert_int_equal(t->peer.texts, 0);
        assert_int_equal(t->peer.closes, 0);
        assert_int_equal(t->peer.binary_ends, 0);
        assert_int_equal(waav_ws_conn_finished(t->c), 0);

        /* nothing else is queued after it */
        assert_int_equal(waav_ws_conn_text(t->c, "x", 1), -1);
        assert_int_equal(waav_ws_conn_close(t->c, 1000), -1);

        assert_int_equal(waav_ws_conn_want_write(t->c), 1);
        assert_int_equal(waav_ws_conn_write(t->c), 0);
        expect_close(t, bad[i].code);
        assert_int_equal(waav_ws_conn_close_sent(t->c), bad[i].code);
        assert_int_equal(waav_ws_conn_want_write(t->c), 0);
        assert_int_equal(waav_ws_conn_queued(t->c), 0);
        assert_int_equal(waav_ws_conn_finished(t->c), 1);

        /* reading again says the same */
        assert_int_equal(waav_ws_conn_read(t->c), -1);

        assert_int_equal(teardown(state), 0);
    }

    *state = NULL;
}


static void
test_ping(void **state)
{
    uint8_t  buf[125];
    t_ws_t  *t = *state;

    memset(buf, 'q', sizeof(buf));

    waav_peer_frame(&t->peer, FIN | PING, "12345", 5);
    waav_peer_frame(&t->peer, FIN | PING, "", 0);
    waav_peer_frame(&t->peer, FIN | PING, buf, sizeof(buf));
    waav_peer_frame(&t->peer, FIN | PONG, "x", 1);

    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(waav_ws_conn_queued(t->c), 130);
    assert_int_equal(waav_ws_conn_write(t->c), 0);

    expect_frame(t, FIN | PONG, "12345", 5);
    expect_frame(t, FIN | PONG, "", 0);
    expect_frame(t, FIN | PONG, buf, sizeof(buf));
    assert_int_equal(t->off, t->peer.out_len);
    assert_int_equal(waav_ws_conn_queued(t->c), 0);
}


static void
test_close_echo(void **state)
{
    t_ws_t  *t = *state;

    waav_peer_frame(&t->peer, FIN | CLOSE, "\x03\xe8" "bye", 5);
    waav_peer_frame(&t->peer, FIN | TEXT, "after", 5);

    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.closes, 1);
    assert_int_equal(t->peer.close_code, 1000);
    assert_int_equal(t->peer.texts, 0);
    assert_int_equal(waav_ws_conn_want_read(t->c), 0);
    assert_int_equal(waav_ws_conn_finished(t->c), 0);

    assert_int_equal(waav_ws_conn_write(t->c), 0);
    expect_frame(t, FIN | CLOSE, "\x03\xe8" "bye", 5);
    assert_int_equal(waav_ws_conn_close_sent(t->c), 1000);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);
    assert_int_equal(waav_ws_conn_want_write(t->c), 0);
}


static void
test_close_echo_no_code(void **state)
{
    t_ws_t  *t = *state;

    waav_peer_frame(&t->peer, FIN | CLOSE, "", 0);

    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.closes, 1);
    assert_int_equal(t->peer.close_code, 0);

    assert_int_equal(waav_ws_conn_write(t->c), 0);
    expect_close(t, 0);
    assert_int_equal(waav_ws_conn_close_sent(t->c), 0);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);
}


static void
test_queued(void **state)
{
    char     msg[300];
    t_ws_t  *t = *state;

    memset(msg, 'm', sizeof(msg));

    assert_int_equal(waav_ws_conn_queued(t->c), 0);
    assert_int_equal(waav_ws_conn_text(t->c, msg, 100), 0);
    assert_int_equal(waav_ws_conn_binary(t->c, (uint8_t *) msg, 300), 0);
    assert_int_equal(waav_ws_conn_queued(t->c), 400);
    assert_int_equal(waav_ws_conn_want_write(t->c), 1);

    /* a slow client: 2 header bytes and 48 of the text */
    t->peer.room = 50;
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(t->peer.out_len, 50);
    assert_int_equal(waav_ws_conn_queued(t->c), 352);
    assert_int_equal(waav_ws_conn_want_write(t->c), 1);

    /* the rest of the text and the binary's header (4 bytes), split */
    t->peer.room = 53;
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(waav_ws_conn_queued(t->c), 300);

    t->peer.room = 100;
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(waav_ws_conn_queued(t->c), 203);

    t->peer.room = SIZE_MAX;
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(waav_ws_conn_queued(t->c), 0);
    assert_int_equal(waav_ws_conn_want_write(t->c), 0);

    expect_frame(t, FIN | TEXT, msg, 100);
    expect_frame(t, FIN | BINARY, msg, 300);
    assert_int_equal(t->off, t->peer.out_len);

    /* a big one: a 64-bit length on the wire */
    {
        uint8_t  *big = calloc(1, 70000);

        assert_non_null(big);
        t->peer.room = 5;
        assert_int_equal(waav_ws_conn_binary(t->c, big, 70000), 0);
        assert_int_equal(waav_ws_conn_write(t->c), 0);
        assert_int_equal(waav_ws_conn_queued(t->c), 70000);
        t->peer.room = 10;
        assert_int_equal(waav_ws_conn_write(t->c), 0);
        assert_int_equal(waav_ws_conn_queued(t->c), 69995);
        t->peer.room = SIZE_MAX;
        assert_int_equal(waav_ws_conn_write(t->c), 0);
        assert_int_equal(waav_ws_conn_queued(t->c), 0);
        expect_frame(t, FIN | BINARY, big, 70000);
        free(big);
    }
}


static void
test_server_close(void **state)
{
    t_ws_t  *t = *state;

    assert_int_equal(waav_ws_conn_text(t->c, "{\"type\":\"error\"}", 16), 0);
    assert_int_equal(waav_ws_conn_close(t->c, WAAV_WS_CLOSE_POLICY), 0);

    /* nothing is queued after a close */
    assert_int_equal(waav_ws_conn_text(t->c, "x", 1), -1);
    assert_int_equal(waav_ws_conn_binary(t->c, (uint8_t *) "x", 1), -1);
    assert_int_equal(waav_ws_conn_close(t->c, 1000), -1);

    assert_int_equal(waav_ws_conn_write(t->c), 0);
    expect_frame(t, FIN | TEXT, "{\"type\":\"error\"}", 16);
    expect_close(t, WAAV_WS_CLOSE_POLICY);
    assert_int_equal(waav_ws_conn_close_sent(t->c), WAAV_WS_CLOSE_POLICY);

    /* the peer's close is awaited */
    assert_int_equal(waav_ws_conn_finished(t->c), 0);
    assert_int_equal(waav_ws_conn_want_read(t->c), 1);

    waav_peer_frame(&t->peer, FIN | TEXT, "late", 4);
    waav_peer_frame(&t->peer, FIN | CLOSE, "\x03\xf0", 2);
    assert_int_equal(waav_ws_conn_read(t->c), 0);
    assert_int_equal(t->peer.texts, 1);
    assert_int_equal(t->peer.closes, 1);
    assert_int_equal(t->peer.close_code, WAAV_WS_CLOSE_POLICY);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);

    /* no second close */
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(t->off, t->peer.out_len);
}


static void
test_server_close_blocked(void **state)
{
    t_ws_t  *t = *state;

    /* a client that does not read: the close waits with the rest */
    t->peer.room = 0;
    assert_int_equal(waav_ws_conn_binary(t->c, (uint8_t *) "abcd", 4), 0);
    assert_int_equal(waav_ws_conn_text(t->c, "efg", 3), 0);
    assert_int_equal(waav_ws_conn_close(t->c, WAAV_WS_CLOSE_GOING_AWAY), 0);
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(waav_ws_conn_want_write(t->c), 1);
    assert_int_equal(waav_ws_conn_close_sent(t->c), 0);
    assert_int_equal(waav_ws_conn_queued(t->c), 7);

    t->peer.room = 3;
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(waav_ws_conn_queued(t->c), 6);
    assert_int_equal(waav_ws_conn_close_sent(t->c), 0);

    /* a ping meanwhile is answered before the close */
    waav_peer_frame(&t->peer, FIN | PING, "p", 1);
    assert_int_equal(waav_ws_conn_read(t->c), 0);

    t->peer.room = SIZE_MAX;
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(waav_ws_conn_close_sent(t->c), WAAV_WS_CLOSE_GOING_AWAY);
    assert_int_equal(waav_ws_conn_queued(t->c), 0);
    assert_int_equal(waav_ws_conn_want_write(t->c), 0);

    /* the messages queued before the close go out before it */
    expect_frame(t, FIN | BINARY, "abcd", 4);
    expect_frame(t, FIN | PONG, "p", 1);
    expect_frame(t, FIN | TEXT, "efg", 3);
    expect_close(t, WAAV_WS_CLOSE_GOING_AWAY);
}


static void
test_fail_mid_frame(void **state)
{
    uint8_t  *audio;
    t_ws_t   *t = *state;

    audio = malloc(1000);
    assert_non_null(audio);
    memset(audio, 0x88, 1000);
    audio[999] = 0;

    /*
     * a frame sent but for its last 2 bytes when the client breaks the
     * framing: they look like a close without a code, and are not one
     */
    t->peer.room = 4 + 998;
    assert_int_equal(waav_ws_conn_binary(t->c, audio, 1000), 0);
    assert_int_equal(waav_ws_conn_write(t->c), 0);

    waav_peer_frame(&t->peer, PING, "", 0);
    assert_int_equal(waav_ws_conn_read(t->c), -1);

    /* the frame ends, then the close 1002, a few bytes at a time */
    t->peer.room = 2;
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(waav_ws_conn_want_write(t->c), 1);
    t->peer.room = 3;
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(waav_ws_conn_queued(t->c), 1);
    assert_int_equal(waav_ws_conn_close_sent(t->c), 0);
    assert_int_equal(waav_ws_conn_finished(t->c), 0);
    t->peer.room = 1;
    assert_int_equal(waav_ws_conn_write(t->c), 0);

    expect_frame(t, FIN | BINARY, audio, 1000);
    expect_close(t, WAAV_WS_CLOSE_PROTOCOL);
    assert_int_equal(waav_ws_conn_close_sent(t->c), WAAV_WS_CLOSE_PROTOCOL);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);
    assert_int_equal(waav_ws_conn_want_write(t->c), 0);
    assert_int_equal(waav_ws_conn_write(t->c), 0);

    free(audio);
}


static void
test_fail_after_close(void **state)
{
    t_ws_t  *t = *state;

    /* the server's close sent stands when the client then breaks the
     * framing */
    assert_int_equal(waav_ws_conn_close(t->c, 0), 0);
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(waav_ws_conn_finished(t->c), 0);
    waav_peer_frame(&t->peer, PING, "", 0);
    assert_int_equal(waav_ws_conn_read(t->c), -1);

    assert_int_equal(waav_ws_conn_write(t->c), 0);
    expect_close(t, 0);
    assert_int_equal(waav_ws_conn_close_sent(t->c), 0);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);

    assert_int_equal(teardown(state), 0);
    assert_int_equal(setup(state), 0);
    t = *state;

    /* one still waiting behind a message gives way to the 1002 */
    t->peer.room = 0;
    assert_int_equal(waav_ws_conn_text(t->c, "x", 1), 0);
    assert_int_equal(waav_ws_conn_close(t->c, WAAV_WS_CLOSE_NORMAL), 0);
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    waav_peer_frame(&t->peer, FIN | PING, "", 0);
    waav_peer_frame(&t->peer, PING, "", 0);
    assert_int_equal(waav_ws_conn_read(t->c), -1);

    t->peer.room = SIZE_MAX;
    assert_int_equal(waav_ws_conn_write(t->c), 0);
    assert_int_equal(waav_ws_conn_close_sent(t->c), WAAV_WS_CLOSE_PROTOCOL);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);

    /* wslay had started the message (its header met AGAIN): it ends */
    expect_frame(t, FIN | TEXT, "x", 1);
    expect_close(t, WAAV_WS_CLOSE_PROTOCOL);
}


static void
test_transport(void **state)
{
    t_ws_t  *t = *state;

    /* the client leaves without a close */
    waav_peer_frame(&t->peer, FIN | TEXT, "hi", 2);
    t->peer.eof = 1;
    assert_int_equal(waav_ws_conn_read(t->c), -1);
    assert_int_equal(t->peer.texts, 1);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);
    assert_int_equal(waav_ws_conn_want_read(t->c), 0);
    assert_int_equal(waav_ws_conn_want_write(t->c), 0);
    assert_int_equal(waav_ws_conn_write(t->c), -1);
    assert_int_equal(waav_ws_conn_read(t->c), -1);
    assert_int_equal(waav_ws_conn_close(t->c, WAAV_WS_CLOSE_NORMAL), -1);
    assert_int_equal(waav_ws_conn_text(t->c, "x", 1), -1);

    assert_int_equal(teardown(state), 0);
    assert_int_equal(setup(state), 0);
    t = *state;

    t->peer.recv_error = 1;
    assert_int_equal(waav_ws_conn_read(t->c), -1);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);

    assert_int_equal(teardown(state), 0);
    assert_int_equal(setup(state), 0);
    t = *state;

    t->peer.send_error = 1;
    assert_int_equal(waav_ws_conn_text(t->c, "hi", 2), 0);
    assert_int_equal(waav_ws_conn_write(t->c), -1);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);
    assert_int_equal(waav_ws_conn_want_write(t->c), 0);
    assert_int_equal(waav_ws_conn_read(t->c), -1);
}


static void
test_fail_close_send_error(void **state)
{
    t_ws_t  *t = *state;

    waav_peer_frame(&t->peer, PING, "", 0);
    assert_int_equal(waav_ws_conn_read(t->c), -1);

    /* the replacement close meets a broken transport */
    t->peer.send_error = 1;
    assert_int_equal(waav_ws_conn_write(t->c), -1);
    assert_int_equal(waav_ws_conn_finished(t->c), 1);
    assert_int_equal(waav_ws_conn_write(t->c), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_accept),
        cmocka_unit_test_setup_teardown(test_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_fragmented, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_text_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_big_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exactly_max, setup, teardown),
        cmocka_unit_test(test_bad),
        cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_echo_no_code, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_close_blocked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fail_mid_frame, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fail_after_close, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_transport, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_close_send_error, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("waav_ws_conn", tests, NULL, NULL);
}
