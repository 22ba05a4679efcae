/*
 * Unit tests for src/core/waav_ws_conn.c: what a client sends that fails
 * the connection, the close the server answers with, and how that close
 * reaches the wire after a frame half sent or a close of the server's own
 * (cmocka, an in-memory peer: t/unit/waav_ws_peer.h).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "waav_ws_test.h"


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
        cmocka_unit_test(test_bad),
        cmocka_unit_test_setup_teardown(test_fail_mid_frame, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fail_after_close, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fail_close_send_error, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("waav_ws_conn_bad", tests, NULL, NULL);
}
