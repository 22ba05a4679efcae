/*
 * libFuzzer target: the bytes a WebSocket client sends, through a server
 * waav_ws_conn.  The first 4 bytes steer: two offsets where the transport
 * would block, how many bytes each write may send (0: all), and flags
 * (binary() fails; the client leaves at the end, or its transport fails;
 * the server sends messages, then closes while reading; its transport
 * fails after the first write; the first 24 bytes are also a
 * Sec-WebSocket-Key; the connection is a client's, as waav's to providers:
 * the bytes are then a server's).  What the connection sends must be whole
 * frames, masked when it is a client, unmasked else, ending at its only
 * close; a failed connection ends finished.
 * `make fuzz`.
 *
 * fuzz-covers: waav_ws_conn.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_ws_conn.h"
#include "../unit/waav_ws_peer.h"


#define F_BINARY_FAIL  0x01
#define F_EOF          0x02
#define F_SEND_TEXT    0x04
#define F_CLOSE        0x08
#define F_RECV_ERROR   0x10
#define F_SEND_ERROR   0x20
#define F_KEY          0x40
#define F_CLIENT       0x80


/*
 * the server's frames: well-formed, nothing after a close; the close's
 * code (0: none), or -1 when there is none.  The last frame may be cut
 * when cut is set (the connection ended as the client left).
 */
static int
check_wire(const uint8_t *p, size_t n, int cut, int client)
{
    int             i, w, closed;
    size_t          h;
    uint64_t        len;
    const uint8_t  *mask;

    closed = -1;

    while (n > 0) {
        if (n < 2) {
            if (cut) {
                break;
            }

            abort();
        }

        len = p[1] & 0x7f;
        w = len == 126 ? 2 : (len == 127 ? 8 : 0);
        h = 2 + (size_t) w + (client ? 4 : 0);

        if (n < h) {
            if (cut) {
                break;
            }

            abort();
        }

        if (closed != -1 || !(p[1] & 0x80) != !client || !(p[0] & 0x80)
            || (p[0] & 0x70))
        {
            abort();
        }

        if (w) {
            len = 0;

            for (i = 0; i < w; i++) {
                len = (len << 8) | p[2 + i];
            }
        }

        if (n - h < len) {
            if (cut) {
                break;
            }

            abort();
        }

        if ((p[0] & 0x0f) == 0x8) {
            /* no code, or a code and a reason */
            if (len == 1 || len > 125) {
                abort();
            }

            mask = p + h - 4;
            closed = !len ? 0 : client ? ((p[h] ^ mask[0]) << 8)
                                         | (p[h + 1] ^ mask[1])
                                       : (p[h] << 8) | p[h + 1];
        }

        p += h + len;
        n -= h + len;
    }

    return closed;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int              rc, i, code;
    char             accept[29], msg[300];
    size_t           step;
    uint8_t          flags;
    waav_peer_t      peer;
    waav_ws_conn_t  *c;

    if (size < 4) {
        return 0;
    }

    waav_peer_init(&peer);

    peer.in_len = size - 4;
    peer.in = malloc(peer.in_len + 1);
    if (peer.in == NULL) {
        return 0;
    }

    memcpy(peer.in, data + 4, peer.in_len);
    peer.cuts[0] = data[0] < peer.in_len ? data[0] : peer.in_len;
    peer.cuts[1] = peer.cuts[0] + data[1];
    peer.ncuts = 2;
    step = data[2] ? data[2] : SIZE_MAX;
    flags = data[3];
    peer.binary_fail = flags & F_BINARY_FAIL;
    peer.eof = (flags & F_EOF) != 0;

    if ((flags & F_KEY) && peer.in_len >= 24
        && waav_ws_key_valid((const char *) peer.in, 24))
    {
        waav_ws_accept((const char *) peer.in, 24, accept);

        if (strlen(accept) != 28 || accept[27] != '=') {
            abort();
        }
    }

    c = (flags & F_CLIENT) ? waav_ws_conn_client_new(&waav_peer_io, &peer)
                           : waav_ws_conn_new(&waav_peer_io, &peer);
    if (c == NULL) {
        waav_peer_free(&peer);
        return 0;
    }

    rc = 0;

    for (i = 0; i < 8 && rc == 0; i++) {
        rc = waav_ws_conn_read(c);

        if (i == 0 && (flags & F_SEND_TEXT)) {
            memset(msg, 'm', sizeof(msg));
            (void) waav_ws_conn_text(c, "{\"type\":\"ready\"}", 16);
            (void) waav_ws_conn_binary(c, (const uint8_t *) msg, 4);
            (void) waav_ws_conn_text(c, msg, sizeof(msg));
        }

        if (i == 1 && peer.in_pos == peer.in_len
            && (flags & F_RECV_ERROR))
        {
            peer.recv_error = 1;
        }

        if (i == 1 && (flags & F_CLOSE)) {
            (void) waav_ws_conn_close(c, WAAV_WS_CLOSE_POLICY);
        }

        peer.room = step;
        (void) waav_ws_conn_write(c);

        if (flags & F_SEND_ERROR) {
            peer.send_error = 1;
        }
    }

    if (peer.text != NULL && (peer.text_len > WAAV_WS_TEXT_MAX
                              || peer.text[peer.text_len] != '\0'))
    {
        abort();
    }

    if (peer.binary_ends && peer.binary_end_len > WAAV_WS_MESSAGE_MAX) {
        abort();
    }

    /* the rest goes out */
    peer.room = SIZE_MAX;

    if (waav_ws_conn_write(c) == 0 && waav_ws_conn_want_write(c)) {
        abort();
    }

    if (waav_ws_conn_queued(c) != 0 && waav_ws_conn_want_write(c) == 0
        && !waav_ws_conn_finished(c))
    {
        abort();
    }

    code = check_wire(peer.out, peer.out_len,
                      (peer.eof && peer.in_pos == peer.in_len)
                      || peer.recv_error || peer.send_error,
                      (flags & F_CLIENT) != 0);

    if (code != (int) waav_ws_conn_close_sent(c) && !(code == -1
        && waav_ws_conn_close_sent(c) == 0))
    {
        abort();
    }

    /* a connection that failed has nothing left to do */
    if (rc == -1 && !waav_ws_conn_finished(c)) {
        abort();
    }

    waav_ws_conn_free(c);
    waav_peer_free(&peer);

    return 0;
}
