/*
 * waav: a WebSocket connection (RFC 6455) over transport callbacks,
 * framed by libwslay, with WaaV's /ws limits.  Pure C: no nginx types; the
 * glue gives the connection's own recv/send, which never block.
 *
 * What the framing enforces (wslay, and this file on top of it):
 *   - client frames must be masked, reserved bits and opcodes unused,
 *     control frames whole and at most 125 bytes: close 1002;
 *   - text is UTF-8: close 1007;
 *   - a message (all of its frames) over WAAV_WS_MESSAGE_MAX: close 1009;
 *   - a text message over WAAV_WS_TEXT_MAX is not kept: its bytes are
 *     counted and dropped, and too_large() is told at its end (WaaV answers
 *     with an error message and keeps the connection);
 *   - binary messages are not kept either: each chunk goes to binary() as
 *     it arrives, binary_end() gets the total (over WAAV_WS_BINARY_MAX the
 *     glue drops what it got of it and says so);
 *   - pings are answered with pongs; a close is answered with a close.
 *
 * Outbound frames are queued (wslay copies them) and sent by
 * waav_ws_conn_write() as far as the transport takes them; queued() says
 * how many bytes wait, for the glue's backpressure.
 */

#ifndef WAAV_WS_CONN_H
#define WAAV_WS_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WAAV_WS_TEXT_MAX     (1024 * 1024)
#define WAAV_WS_BINARY_MAX   (5 * 1024 * 1024)
#define WAAV_WS_MESSAGE_MAX  (10 * 1024 * 1024)

/* what the transport callbacks return besides a byte count */
#define WAAV_WS_IO_AGAIN  (-2)              /* would block */
#define WAAV_WS_IO_ERROR  (-1)

/* close codes */
#define WAAV_WS_CLOSE_NORMAL       1000
#define WAAV_WS_CLOSE_GOING_AWAY   1001
#define WAAV_WS_CLOSE_PROTOCOL     1002
#define WAAV_WS_CLOSE_BAD_DATA     1007
#define WAAV_WS_CLOSE_POLICY       1008
#define WAAV_WS_CLOSE_TOO_BIG      1009
#define WAAV_WS_CLOSE_INTERNAL     1011

typedef struct {
    /* the transport: n > 0 bytes moved, 0 the peer closed (recv only),
     * WAAV_WS_IO_AGAIN, WAAV_WS_IO_ERROR */
    ssize_t  (*recv)(void *data, uint8_t *buf, size_t len);
    ssize_t  (*send)(void *data, const uint8_t *buf, size_t len);

    /* a whole text message, at most WAAV_WS_TEXT_MAX bytes (and a NUL) */
    void     (*text)(void *data, const char *msg, size_t len);

    /* a text message over WAAV_WS_TEXT_MAX, dropped; len: its size */
    void     (*text_too_large)(void *data, uint64_t len);

    /* len bytes of a binary message (first: its first chunk; a message
     * may come in many; len is never 0); -1 fails the connection (close
     * 1011) */
    int      (*binary)(void *data, const uint8_t *p, size_t len, int first);

    /* the binary message ended: len is its size */
    void     (*binary_end)(void *data, uint64_t len);

    /* the peer's close frame: code 0 when it had none */
    void     (*closed)(void *data, unsigned code);
} waav_ws_io_t;

typedef struct waav_ws_conn_s  waav_ws_conn_t;

/* NULL: out of memory (malloc()ed, like wslay's own) */
waav_ws_conn_t *waav_ws_conn_new(const waav_ws_io_t *io, void *data);

/*
 * The client side of a connection whose handshake is done (waav's
 * connections to providers): frames sent are masked with keys from
 * OpenSSL's RNG, masked frames received are refused (1002); otherwise as
 * a server connection, caps included.
 */
waav_ws_conn_t *waav_ws_conn_client_new(const waav_ws_io_t *io, void *data);
void waav_ws_conn_free(waav_ws_conn_t *c);

/* reads and dispatches until the transport would block; 0, or -1 when
 * the connection failed (the peer's bytes were not WebSocket, or the
 * transport failed); a close to send may then be queued */
int waav_ws_conn_read(waav_ws_conn_t *c);

/* sends queued frames until the transport would block or none are left;
 * 0 or -1 (the transport failed) */
int waav_ws_conn_write(waav_ws_conn_t *c);

/* queue a message; 0 or -1 (out of memory, or a close was queued) */
int waav_ws_conn_text(waav_ws_conn_t *c, const char *p, size_t len);
int waav_ws_conn_binary(waav_ws_conn_t *c, const uint8_t *p, size_t len);

/* queue a close (code 0: none), after which nothing else is queued; it is
 * sent after the messages queued before it (pongs may pass them), and
 * messages may still arrive until the peer's close */
int waav_ws_conn_close(waav_ws_conn_t *c, unsigned code);

/* bytes queued and not yet sent (payload: frame headers not counted) */
size_t waav_ws_conn_queued(waav_ws_conn_t *c);

int waav_ws_conn_want_read(waav_ws_conn_t *c);
int waav_ws_conn_want_write(waav_ws_conn_t *c);

/* 1 once a close was sent and either received or reading is over: the
 * glue closes the socket */
int waav_ws_conn_finished(waav_ws_conn_t *c);

/* the close code sent, 0 if none */
unsigned waav_ws_conn_close_sent(waav_ws_conn_t *c);

/*
 * The handshake: 1 when key is a valid Sec-WebSocket-Key (base64 of 16
 * bytes: 24 characters); its Sec-WebSocket-Accept into out (28 characters
 * and a NUL).
 */
int waav_ws_key_valid(const char *key, size_t len);
void waav_ws_accept(const char *key, size_t len, char out[29]);

#endif /* WAAV_WS_CONN_H */
