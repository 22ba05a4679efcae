/*
 * Unit tests for the client side of src/core/waav_ws_conn.c (waav's
 * connections to providers): a client connection talks to a server one
 * over two in-memory peers (t/unit/waav_ws_peer.h), so each side checks
 * the other's framing (a server refuses unmasked frames, a client masked
 * ones); the masked frames on the wire are checked byte by byte.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "waav_ws_test.h"


typedef struct {
    waav_peer_t      cp, sp;        /* the client's and the server's ends */
    waav_ws_conn_t  *client;
    waav_ws_conn_t  *server;
    size_t           c_off, s_off;  /* bytes passed on so far */
} t_pair_t;


static int
pair_setup(void **state)
{
    t_pair_t  *t;

    t = calloc(1, sizeof(t_pair_t));
    assert_non_null(t);

    waav_peer_init(&t->cp);
    waav_peer_init(&t->sp);
    t->client = waav_ws_conn_client_new(&waav_peer_io, &t->cp);
    t->server = waav_ws_conn_new(&waav_peer_io, &t->sp);
    assert_non_null(t->client);
    assert_non_null(t->server);

    *state = t;

    return 0;
}


static int
pair_teardown(void **state)
{
    t_pair_t  *t = *state;

    waav_ws_conn_free(t->client);
    waav_ws_conn_free(t->server);
    waav_peer_free(&t->cp);
    waav_peer_free(&t->sp);
    free(t);

    return 0;
}


/* what each side wrote goes to the other, which reads it */
static void
pump(t_pair_t *t)
{
    assert_int_equal(waav_ws_conn_write(t->client), 0);
    waav_peer_feed(&t->sp, t->cp.out + t->c_off, t->cp.out_len - t->c_off);
    t->c_off = t->cp.out_len;
    (void) waav_ws_conn_read(t->server);

    (void) waav_ws_conn_write(t->server);
    waav_peer_feed(&t->cp, t->sp.out + t->s_off, t->sp.out_len - t->s_off);
    t->s_off = t->sp.out_len;
    (void) waav_ws_conn_read(t->client);
}


/* the client's first frame on the wire, unmasked into out; its opcode */
static int
client_frame(t_pair_t *t, size_t off, uint8_t *out, uint64_t *len)
{
    size_t          h, i;
    uint64_t        n;
    const uint8_t  *p, *mask;

    p = t->cp.out + off;

    /* every client frame is masked */
    assert_true(p[1] & 0x80);

    n = p[1] & 0x7f;
    h = 2;

    if (n == 126) {
        n = ((uint64_t) p[2] << 8) | p[3];
        h = 4;

    } else if (n == 127) {
        n = 0;
        for (i = 0; i < 8; i++) {
            n = (n << 8) | p[2 + i];
        }
        h = 10;
    }

    mask = p + h;

    for (i = 0; i < n; i++) {
        out[i] = p[h + 4 + i] ^ mask[i % 4];
    }

    *len = n;

    return p[0] & 0x0f;
}


static void
test_client_text(void **state)
{
    t_pair_t  *t = *state;
    uint8_t    buf[64];
    uint64_t   len;

    assert_int_equal(waav_ws_conn_text(t->client, "{\"type\":\"KeepAlive\"}",
                                       20), 0);
    pump(t);

    /* the server (which refuses unmasked frames) took it */
    assert_int_equal(t->sp.texts, 1);
    assert_string_equal(t->sp.text, "{\"type\":\"KeepAlive\"}");
    assert_int_equal(t->sp.closes, 0);

    /* masked on the wire: the payload is not in clear */
    assert_int_equal(t->cp.out_len, 2 + 4 + 20);
    assert_int_not_equal(memcmp(t->cp.out + 6, "{\"type\":\"KeepAlive\"}", 20),
                         0);
    assert_int_equal(client_frame(t, 0, buf, &len), TEXT);
    assert_int_equal(len, 20);
    assert_memory_equal(buf, "{\"type\":\"KeepAlive\"}", 20);
}


static void
test_client_binary(void **state)
{
    t_pair_t  *t = *state;
    size_t     i;
    uint8_t    audio[70000];

    for (i = 0; i < sizeof(audio); i++) {
        audio[i] = (uint8_t) (i * 7);
    }

    /* a 64-bit length (and a 16-bit one) before the masking key */
    assert_int_equal(waav_ws_conn_binary(t->client, audio, sizeof(audio)), 0);
    assert_int_equal(waav_ws_conn_binary(t->client, audio, 640), 0);
    pump(t);

    assert_int_equal(t->sp.binary_ends, 2);
    assert_int_equal(t->sp.binary_end_len, 640);
    assert_int_equal(t->sp.closes, 0);
    assert_int_equal(t->cp.out_len, (2 + 8 + 4 + 70000) + (2 + 2 + 4 + 640));
    assert_int_equal(waav_ws_conn_queued(t->client), 0);
}


/* the bytes queued count down as the masked frames go out in pieces */
static void
test_client_queued(void **state)
{
    t_pair_t  *t = *state;
    uint8_t    audio[1000];

    memset(audio, 0x55, sizeof(audio));

    assert_int_equal(waav_ws_conn_binary(t->client, audio, sizeof(audio)), 0);
    assert_int_equal(waav_ws_conn_queued(t->client), 1000);

    /* the header and key (8 bytes), then 100 bytes of payload */
    t->cp.room = 108;
    assert_int_equal(waav_ws_conn_write(t->client), 0);
    assert_int_equal(waav_ws_conn_queued(t->client), 900);
    assert_true(waav_ws_conn_want_write(t->client));

    t->cp.room = SIZE_MAX;
    assert_int_equal(waav_ws_conn_write(t->client), 0);
    assert_int_equal(waav_ws_conn_queued(t->client), 0);
    assert_false(waav_ws_conn_want_write(t->client));
}


static void
test_client_receives(void **state)
{
    t_pair_t  *t = *state;

    assert_int_equal(waav_ws_conn_text(t->server, "{\"type\":\"Begin\"}", 16),
                     0);
    pump(t);

    assert_int_equal(t->cp.texts, 1);
    assert_string_equal(t->cp.text, "{\"type\":\"Begin\"}");
}


static void
test_client_close(void **state)
{
    t_pair_t  *t = *state;
    uint8_t    buf[8];
    uint64_t   len;
    size_t     off;

    assert_int_equal(waav_ws_conn_text(t->client, "done", 4), 0);
    assert_int_equal(waav_ws_conn_close(t->client, 1000), 0);
    pump(t);

    /* the message, then the close: the server saw both and answered */
    assert_int_equal(t->sp.texts, 1);
    assert_int_equal(t->sp.closes, 1);
    assert_int_equal(t->sp.close_code, 1000);

    off = 2 + 4 + 4;
    assert_int_equal(client_frame(t, off, buf, &len), CLOSE);
    assert_int_equal(len, 2);
    assert_int_equal(buf[0], 0x03);
    assert_int_equal(buf[1], 0xe8);

    /* the server's echo reached the client */
    assert_int_equal(t->cp.closes, 1);
    assert_int_equal(waav_ws_conn_finished(t->client), 1);
}


/* a server must not mask: the client fails the connection with 1002 */
static void
test_client_refuses_masked(void **state)
{
    t_pair_t  *t = *state;
    uint8_t    buf[8];
    uint64_t   len;
    uint8_t    frame[] = { 0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2 };

    waav_peer_feed(&t->cp, frame, sizeof(frame));

    assert_int_equal(waav_ws_conn_read(t->client), -1);
    assert_int_equal(t->cp.texts, 0);

    assert_int_equal(waav_ws_conn_write(t->client), 0);
    assert_int_equal(client_frame(t, 0, buf, &len), CLOSE);
    assert_int_equal(len, 2);
    assert_int_equal((buf[0] << 8) | buf[1], WAAV_WS_CLOSE_PROTOCOL);
    assert_int_equal(waav_ws_conn_close_sent(t->client),
                     WAAV_WS_CLOSE_PROTOCOL);
}


/* a header wslay refuses below its event layer (a control frame over 125
 * bytes): wslay's close without a code is replaced by a masked 1002 */
static void
test_client_bad_header(void **state)
{
    t_pair_t  *t = *state;
    uint8_t    buf[8];
    uint64_t   len;
    uint8_t    frame[] = { 0x89, 126, 0, 200 };

    waav_peer_feed(&t->cp, frame, sizeof(frame));

    assert_int_equal(waav_ws_conn_read(t->client), -1);
    assert_int_equal(waav_ws_conn_write(t->client), 0);

    assert_int_equal(t->cp.out_len, 8);
    assert_int_equal(client_frame(t, 0, buf, &len), CLOSE);
    assert_int_equal(len, 2);
    assert_int_equal((buf[0] << 8) | buf[1], WAAV_WS_CLOSE_PROTOCOL);
    assert_int_equal(waav_ws_conn_close_sent(t->client),
                     WAAV_WS_CLOSE_PROTOCOL);
    assert_int_equal(waav_ws_conn_queued(t->client), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_client_text, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_client_binary, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_client_queued, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_client_receives, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_client_close, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_client_refuses_masked,
                                        pair_setup, pair_teardown),
        cmocka_unit_test_setup_teardown(test_client_bad_header, pair_setup,
                                        pair_teardown),
    };

    return cmocka_run_group_tests_name("waav_ws_conn client", tests, NULL,
                                       NULL);
}
