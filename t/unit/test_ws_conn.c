/*
 * Unit tests for src/core/waav_ws_conn.c: the handshake's accept, the
 * messages a client sends and the limits on them, pings and closes, the
 * outbound queue (cmocka, an in-memory peer: t/unit/waav_ws_peer.h).
 * What the framing refuses: test_ws_conn_bad.c.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "waav_ws_test.h"


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
        cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_echo_no_code, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_close_blocked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_transport, setup, teardown),
    };

    return cmocka_run_group_tests_name("waav_ws_conn", tests, NULL, NULL);
}
