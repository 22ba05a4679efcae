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


/*
 * bytes a client sends that fail the connection, and the close for them:
 * up to 2 masked frames (S: a string literal and its length), or raw bytes
 */

#define S(lit)  lit, sizeof(lit) - 1

#define P10     "pppppppppp"
#define P126    P10 P10 P10 P10 P10 P10 P10 P10 P10 P10 P10 P10 "pppppp"

typedef struct {
    uint8_t      b0;
    const char  *payload;
    size_t       len;
} t_frame_t;

typedef struct {
    const char  *name;
    t_frame_t    frames[2];
    const char  *raw;
    size_t       raw_len;
    unsigned     code;
} t_bad_t;


static const t_bad_t  bad[] = {
    /* wslay: the frame header */
    { "unmasked", { { 0 } }, S("\x81\x02hi"), WAAV_WS_CLOSE_PROTOCOL },
    { "rsv1", { { FIN | 0x40 | TEXT, S("hi") } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },
    { "rsv2", { { FIN | 0x20 | BINARY, S("hi") } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },
    { "rsv3 on a continuation",
      { { TEXT, S("h") }, { FIN | 0x10 | CONT, S("i") } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },

    /* wslay: text */
    { "utf-8", { { FIN | TEXT, S("a\xff") } }, NULL, 0,
      WAAV_WS_CLOSE_BAD_DATA },
    { "utf-8 cut over frames",
      { { TEXT, S("\xe2") }, { FIN | CONT, S("\x82") } }, NULL, 0,
      WAAV_WS_CLOSE_BAD_DATA },
    { "utf-8 surrogate", { { FIN | TEXT, S("\xed\xa0\x80") } }, NULL, 0,
      WAAV_WS_CLOSE_BAD_DATA },

    /* wslay's frame layer, a close without a code replaced with 1002 */
    { "fragmented ping", { { PING, S("ab") } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },
    { "ping of 126", { { FIN | PING, S(P126) } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },
    { "fragmented close", { { CLOSE, S("\x03\xe8") } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },
    { "length not in its shortest form", { { 0 } },
      S("\x82\xfe\x00\x05" "abcd" "\0\0\0\0\0"), WAAV_WS_CLOSE_PROTOCOL },
    { "64-bit length top bit", { { 0 } },
      S("\x82\xff\x80\0\0\0\0\0\0\x01" "abcd" "x"),
      WAAV_WS_CLOSE_PROTOCOL },

    /* wslay: the order of frames, opcodes */
    { "continuation first", { { FIN | CONT, S("hi") } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },
    { "text in a text", { { TEXT, S("h") }, { FIN | TEXT, S("i") } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },
    { "opcode 3", { { FIN | 0x3, S("hi") } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },
    { "opcode 0xb", { { FIN | 0xb, S("hi") } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },
    { "opcode 7 in a message", { { BINARY, S("h") }, { FIN | 0x7, S("i") } },
      NULL, 0, WAAV_WS_CLOSE_PROTOCOL },

    /* the close's payload: 1 byte (here), a code never sent, its reason */
    { "close of 1 byte", { { FIN | CLOSE, S("\x03") } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },
    { "close code 1005", { { FIN | CLOSE, S("\x03\xed") } }, NULL, 0,
      WAAV_WS_CLOSE_PROTOCOL },
    { "close reason utf-8", { { FIN | CLOSE, S("\x03\xe8\xff") } }, NULL, 0,
      WAAV_WS_CLOSE_BAD_DATA },
};


static void
bad_frames(waav_peer_t *p, const t_bad_t *b)
{
    size_t  i;

    if (b->raw != NULL) {
        waav_peer_append(&p->in, &p->in_len, &p->in_cap, b->raw, b->raw_len);
        return;
    }

    for (i = 0; i < 2 && b->frames[i].payload != NULL; i++) {
        waav_peer_frame(p, b->frames[i].b0, b->frames[i].payload,
                        b->frames[i].len);
    }
}


static void
test_bad(void **state)
{
    size_t    i;
    t_ws_t   *t;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        print_message("# %s\n", bad[i].name);

        assert_int_equal(setup(state), 0);
        t = *state;

        bad_frames(&t->peer, &bad[i]);
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
