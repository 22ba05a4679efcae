/*
 * waav: a server WebSocket connection over transport callbacks, framed by
 * libwslay (see waav_ws_conn.h).
 *
 * wslay runs without buffering (wslay_event_config_set_no_buffering): the
 * frame callbacks below keep a text message (up to WAAV_WS_TEXT_MAX) and
 * hand binary chunks on as they arrive.  wslay itself refuses unmasked
 * frames, reserved bits and opcodes, a continuation without a start and a
 * data frame inside a fragmented message (close 1002), invalid UTF-8 in
 * text and close reasons (1007), a frame over max_recv_msg_length (1009),
 * and answers pings and closes.  Without buffering it does not add up a
 * message's frames: the 10 MiB message cap is enforced here, at each
 * frame's start, from the length its header declares.
 *
 * wslay refuses a few frame headers below its event layer (a control frame
 * over 125 bytes or fragmented, a length not in its shortest form) and then
 * queues a close without a code.  The send callback holds that close back
 * when it reaches the wire and write() sends a close 1002 in its place; to
 * know where frames begin on the wire, the bytes sent are followed by a
 * small tracker (server frames are unmasked: a header, then the payload).
 *
 * wslay sends control frames before data frames that have not started: a
 * close the glue asks for waits here until the messages queued before it
 * are sent (WaaV sends an error message, then closes).
 *
 * The glue's callbacks (text, binary, ...) may queue messages and closes;
 * they must not call waav_ws_conn_read(), _write() or _free().
 */

#include <stdlib.h>
#include <string.h>

#include <wslay/wslay.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "waav_ws_conn.h"
#include "waav_base64.h"


#define WAAV_WS_TEXT_MIN   256              /* the text buffer's first size */
#define WAAV_WS_GUID       "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WAAV_WS_KEY_LEN    24


struct waav_ws_conn_s {
    wslay_event_context_ptr   ctx;
    waav_ws_io_t              io;
    void                     *data;

    /* the data message being received */
    uint64_t                  msg_len;
    uint8_t                  *text;
    size_t                    text_cap;
    uint8_t                   msg_op;

    /* the frame being received */
    unsigned                  frame_ctrl:1;
    unsigned                  frame_fin:1;

    unsigned                  first:1;      /* binary(): no chunk yet */
    unsigned                  dropping:1;   /* text over WAAV_WS_TEXT_MAX */
    unsigned                  failed:1;     /* the peer's bytes, or ours */
    unsigned                  io_failed:1;  /* the transport: error, EOF */
    unsigned                  close_pending:1;  /* the glue's, waiting */
    unsigned                  close_queued:1;   /* in wslay's queue */
    unsigned                  held:1;       /* wslay's close held back */
    unsigned                  close_done:1; /* ours sent in its place */
    unsigned                  client:1;     /* frames we send are masked */

    unsigned                  close_code;   /* the pending one's code */
    unsigned                  fail_code;    /* the held one's code */
    uint8_t                   close_off;    /* its bytes sent */
    uint8_t                   close_frame[8];

    /* the outbound frame on the wire */
    uint8_t                   out_hdr[2];
    uint8_t                   out_have;     /* header bytes seen */
    uint8_t                   out_need;     /* the header's length */
    uint64_t                  out_len;      /* extended payload length */
    uint64_t                  out_left;     /* payload bytes to come */
    uint64_t                  out_sent;     /* payload bytes gone */
};


static ssize_t waav_ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf,
    size_t len, int flags, void *user_data);
static ssize_t waav_ws_send_cb(wslay_event_context_ptr ctx,
    const uint8_t *data, size_t len, int flags, void *user_data);
static void waav_ws_frame_start(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_start_arg *arg, void *user_data);
static void waav_ws_frame_chunk(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_chunk_arg *arg, void *user_data);
static void waav_ws_frame_end(wslay_event_context_ptr ctx, void *user_data);
static void waav_ws_msg_recv(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *user_data);
static int waav_ws_genmask(wslay_event_context_ptr ctx, uint8_t *buf,
    size_t len, void *user_data);


static const struct wslay_event_callbacks  waav_ws_callbacks = {
    waav_ws_recv_cb,
    waav_ws_send_cb,
    NULL,                       /* a server does not mask */
    waav_ws_frame_start,
    waav_ws_frame_chunk,
    waav_ws_frame_end,
    waav_ws_msg_recv
};


static const struct wslay_event_callbacks  waav_ws_client_callbacks = {
    waav_ws_recv_cb,
    waav_ws_send_cb,
    waav_ws_genmask,            /* a client masks each frame */
    waav_ws_frame_start,
    waav_ws_frame_chunk,
    waav_ws_frame_end,
    waav_ws_msg_recv
};


static waav_ws_conn_t *
waav_ws_conn_create(const waav_ws_io_t *io, void *data, int client)
{
    int              rc;
    waav_ws_conn_t  *c;

    c = calloc(1, sizeof(waav_ws_conn_t));
    if (c == NULL) {
        return NULL;
    }

    c->io = *io;
    c->data = data;
    c->client = client ? 1 : 0;

    if (client) {
        rc = wslay_event_context_client_init(&c->ctx,
                                             &waav_ws_client_callbacks, c);
    } else {
        rc = wslay_event_context_server_init(&c->ctx, &waav_ws_callbacks, c);
    }

    if (rc != 0) {
        free(c);
        return NULL;
    }

    wslay_event_config_set_no_buffering(c->ctx, 1);

    /* a single frame over the cap is refused by wslay before it starts */
    wslay_event_config_set_max_recv_msg_length(c->ctx, WAAV_WS_MESSAGE_MAX);

    return c;
}


waav_ws_conn_t *
waav_ws_conn_new(const waav_ws_io_t *io, void *data)
{
    return waav_ws_conn_create(io, data, 0);
}


waav_ws_conn_t *
waav_ws_conn_client_new(const waav_ws_io_t *io, void *data)
{
    return waav_ws_conn_create(io, data, 1);
}


/* masking keys: unpredictable, as RFC 6455 asks (OpenSSL's RNG) */
static int
waav_ws_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    void *user_data)
{
    (void) user_data;

    if (RAND_bytes(buf, (int) len) != 1) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }

    return 0;
}


void
waav_ws_conn_free(waav_ws_conn_t *c)
{
    if (c == NULL) {
        return;
    }

    wslay_event_context_free(c->ctx);
    free(c->text);
    free(c);
}


static void
waav_ws_text_free(waav_ws_conn_t *c)
{
    free(c->text);
    c->text = NULL;
    c->text_cap = 0;
}


/* the peer broke a rule wslay does not know: close with code, read no more */
static void
waav_ws_fail(waav_ws_conn_t *c, unsigned code)
{
    c->failed = 1;
    c->close_pending = 0;
    wslay_event_shutdown_read(c->ctx);
    waav_ws_text_free(c);

    if (!c->close_queued
        && wslay_event_queue_close(c->ctx, (uint16_t) code, NULL, 0) == 0)
    {
        c->close_queued = 1;
    }
}


/* --- reading -------------------------------------------------------------*/

int
waav_ws_conn_read(waav_ws_conn_t *c)
{
    int  rc;

    if (c->io_failed) {
        return -1;
    }

    rc = wslay_event_recv(c->ctx);

    if (rc == WSLAY_ERR_CALLBACK_FAILURE && !c->io_failed) {
        /*
         * a frame header wslay's frame layer refused (WSLAY_ERR_PROTO): it
         * queued a close without a code, which write() replaces with 1002
         */
        c->failed = 1;
        c->close_pending = 0;

        if (!c->close_queued) {
            c->close_queued = 1;
            c->fail_code = WAAV_WS_CLOSE_PROTOCOL;
        }

        return -1;
    }

    if (rc == WSLAY_ERR_NOMEM) {
        waav_ws_fail(c, WAAV_WS_CLOSE_INTERNAL);
        return -1;
    }

    if (rc != 0 || c->failed) {
        return -1;
    }

    /* wslay queued a close of its own (1002, 1007, 1009) and stopped */
    if (!wslay_event_get_read_enabled(c->ctx)
        && !wslay_event_get_close_received(c->ctx))
    {
        c->failed = 1;
        c->close_pending = 0;
        c->close_queued = 1;
        return -1;
    }

    return 0;
}


static ssize_t
waav_ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    int flags, void *user_data)
{
    ssize_t          n;
    waav_ws_conn_t  *c = user_data;

    (void) flags;

    n = c->io.recv(c->data, buf, len);

    if (n > 0) {
        return n;
    }

    /* wslay keeps the last error: each failure sets its own */
    if (n == WAAV_WS_IO_AGAIN) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);

    } else {
        /* an error, or the peer left without a close */
        c->io_failed = 1;
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    }

    return -1;
}


static void
waav_ws_frame_start(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_start_arg *arg, void *user_data)
{
    waav_ws_conn_t  *c = user_data;

    (void) ctx;

    c->frame_ctrl = (arg->opcode & 0x8) != 0;

    if (c->frame_ctrl) {
        /* wslay takes a 1-byte close payload for "no code" */
        if (arg->opcode == WSLAY_CONNECTION_CLOSE && arg->payload_length == 1) {
            waav_ws_fail(c, WAAV_WS_CLOSE_PROTOCOL);
        }

        return;
    }

    /* wslay let only a first frame or a continuation of one through */
    if (arg->opcode != WSLAY_CONTINUATION_FRAME) {
        c->msg_op = arg->opcode;
        c->msg_len = 0;
        c->first = 1;
        c->dropping = 0;
    }

    c->frame_fin = arg->fin;

    if (c->msg_len + arg->payload_length > WAAV_WS_MESSAGE_MAX) {
        waav_ws_fail(c, WAAV_WS_CLOSE_TOO_BIG);
        return;
    }

    if (c->msg_op == WSLAY_TEXT_FRAME
        && c->msg_len + arg->payload_length > WAAV_WS_TEXT_MAX)
    {
        c->dropping = 1;
        waav_ws_text_free(c);
    }
}


/* appends to the text message, len fitting under WAAV_WS_TEXT_MAX */
static int
waav_ws_text_add(waav_ws_conn_t *c, const uint8_t *p, size_t len)
{
    size_t    need, cap;
    uint8_t  *t;

    need = c->msg_len + len + 1;                /* and a NUL */

    if (need > c->text_cap) {
        cap = c->text_cap ? c->text_cap : WAAV_WS_TEXT_MIN;

        while (cap < need) {
            cap *= 2;
        }

        if (cap > WAAV_WS_TEXT_MAX + 1) {
            cap = WAAV_WS_TEXT_MAX + 1;
        }

        t = realloc(c->text, cap);
        if (t == NULL) {
            return -1;
        }

        c->text = t;
        c->text_cap = cap;
    }

    memcpy(c->text + c->msg_len, p, len);

    return 0;
}


static void
waav_ws_frame_chunk(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_chunk_arg *arg, void *user_data)
{
    size_t           len;
    waav_ws_conn_t  *c = user_data;

    (void) ctx;

    len = arg->data_length;

    if (c->failed || c->frame_ctrl || len == 0) {
        return;
    }

    if (c->msg_op == WSLAY_TEXT_FRAME) {

        if (c->dropping || c->msg_len + len > WAAV_WS_TEXT_MAX) {
            c->dropping = 1;
            waav_ws_text_free(c);

        } else if (waav_ws_text_add(c, arg->data, len) != 0) {
            waav_ws_fail(c, WAAV_WS_CLOSE_INTERNAL);
            return;
        }

    } else if (c->io.binary(c->data, arg->data, len, c->first) == -1) {
        waav_ws_fail(c, WAAV_WS_CLOSE_INTERNAL);
        return;

    } else {
        c->first = 0;
    }

    c->msg_len += len;
}


static void
waav_ws_frame_end(wslay_event_context_ptr ctx, void *user_data)
{
    waav_ws_conn_t  *c = user_data;

    (void) ctx;

    if (c->failed || c->frame_ctrl || !c->frame_fin) {
        return;
    }

    if (c->msg_op == WSLAY_BINARY_FRAME) {
        c->io.binary_end(c->data, c->msg_len);

    } else if (c->dropping) {
        c->io.text_too_large(c->data, c->msg_len);

    } else if (c->text == NULL) {
        c->io.text(c->data, "", 0);

    } else {
        c->text[c->msg_len] = '\0';
        c->io.text(c->data, (const char *) c->text, c->msg_len);
    }

    waav_ws_text_free(c);
    c->msg_op = 0;
    c->msg_len = 0;
    c->dropping = 0;
}


static void
waav_ws_msg_recv(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *user_data)
{
    waav_ws_conn_t  *c = user_data;

    (void) ctx;

    /* wslay answered pings and queued the close's echo itself */
    if (arg->opcode == WSLAY_CONNECTION_CLOSE && !c->failed) {
        c->io.closed(c->data, arg->status_code);
    }
}


/* --- writing -------------------------------------------------------------*/

/* follows the frames on the wire: n more bytes of them were sent */
static void
waav_ws_out_sent(waav_ws_conn_t *c, const uint8_t *p, size_t n)
{
    size_t  k;

    while (n > 0) {

        if (c->out_left > 0) {
            k = n < c->out_left ? n : (size_t) c->out_left;
            c->out_left -= k;
            c->out_sent = c->out_left ? c->out_sent + k : 0;
            p += k;
            n -= k;
            continue;
        }

        /* a header byte: 2 bytes, then 0, 2 or 8 of length, then a
         * client's 4 of masking key */
        if (c->out_have < 2) {
            c->out_hdr[c->out_have] = *p;

            if (c->out_have == 1) {
                k = c->out_hdr[1] & 0x7f;
                c->out_need = k == 126 ? 4 : (k == 127 ? 10 : 2);
                c->out_len = k < 126 ? k : 0;

                if (c->out_hdr[1] & 0x80) {
                    c->out_need += 4;
                }
            }

        } else if (!(c->out_hdr[1] & 0x80) || c->out_have < c->out_need - 4) {
            c->out_len = (c->out_len << 8) | *p;
        }

        c->out_have++;
        p++;
        n--;

        if (c->out_have >= 2 && c->out_have == c->out_need) {
            c->out_left = c->out_len;
            c->out_sent = 0;
            c->out_have = 0;
        }
    }
}


static ssize_t
waav_ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data,
    size_t len, int flags, void *user_data)
{
    ssize_t          n;
    waav_ws_conn_t  *c = user_data;

    (void) flags;

    /* wslay's close without a code, at a frame's start: held back (a
     * client's is masked: its 4 key bytes follow) */
    if (c->fail_code && c->out_have == 0 && c->out_left == 0
        && len == (c->client ? 6 : 2) && data[0] == 0x88
        && data[1] == (c->client ? 0x80 : 0))
    {
        c->held = 1;
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }

    n = c->io.send(c->data, data, len);

    if (n > 0) {
        waav_ws_out_sent(c, data, (size_t) n);
        return n;
    }

    if (n == WAAV_WS_IO_AGAIN || n == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);

    } else {
        c->io_failed = 1;
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    }

    return -1;
}


/* the close that replaces wslay's held one: 4 bytes, or a client's 8
 * (masked) */
static size_t
waav_ws_close_frame(waav_ws_conn_t *c)
{
    uint8_t  *f, code[2], mask[4];

    f = c->close_frame;
    code[0] = (uint8_t) (c->fail_code >> 8);
    code[1] = (uint8_t) c->fail_code;

    f[0] = 0x88;

    if (!c->client) {
        f[1] = 2;
        f[2] = code[0];
        f[3] = code[1];
        return 4;
    }

    if (RAND_bytes(mask, sizeof(mask)) != 1) {
        memset(mask, 0x5a, sizeof(mask));
    }

    f[1] = 0x82;
    memcpy(f + 2, mask, 4);
    f[6] = code[0] ^ mask[0];
    f[7] = code[1] ^ mask[1];

    return 8;
}


static int
waav_ws_send_close(waav_ws_conn_t *c)
{
    ssize_t  n;
    size_t   len;

    len = c->client ? 8 : 4;

    if (c->close_off == 0) {
        (void) waav_ws_close_frame(c);
    }

    while (c->close_off < len) {
        n = c->io.send(c->data, c->close_frame + c->close_off,
                       len - c->close_off);

        if (n == WAAV_WS_IO_AGAIN || n == 0) {
            return 0;
        }

        if (n < 0) {
            c->io_failed = 1;
            return -1;
        }

        c->close_off += (uint8_t) n;
    }

    c->close_done = 1;
    wslay_event_shutdown_write(c->ctx);

    return 0;
}


int
waav_ws_conn_write(waav_ws_conn_t *c)
{
    if (c->io_failed) {
        return -1;
    }

    if (!c->held) {
        if (wslay_event_send(c->ctx) != 0) {
            c->io_failed = 1;
            return -1;
        }

        /* the glue's close, once what was queued before it is sent */
        if (c->close_pending && !c->held
            && !wslay_event_want_write(c->ctx))
        {
            c->close_pending = 0;

            if (wslay_event_queue_close(c->ctx, (uint16_t) c->close_code,
                                        NULL, 0)
                == 0)
            {
                c->close_queued = 1;

                if (wslay_event_send(c->ctx) != 0) {
                    c->io_failed = 1;
                    return -1;
                }
            }
        }

        if (!c->held) {
            return 0;
        }
    }

    if (c->close_done) {
        return 0;
    }

    return waav_ws_send_close(c);
}


static int
waav_ws_queue(waav_ws_conn_t *c, uint8_t opcode, const uint8_t *p,
    size_t len)
{
    struct wslay_event_msg  m;

    if (c->held || c->close_pending) {
        return -1;
    }

    m.opcode = opcode;
    m.msg = p;
    m.msg_length = len;

    return wslay_event_queue_msg(c->ctx, &m) == 0 ? 0 : -1;
}


int
waav_ws_conn_text(waav_ws_conn_t *c, const char *p, size_t len)
{
    return waav_ws_queue(c, WSLAY_TEXT_FRAME, (const uint8_t *) p, len);
}


int
waav_ws_conn_binary(waav_ws_conn_t *c, const uint8_t *p, size_t len)
{
    return waav_ws_queue(c, WSLAY_BINARY_FRAME, p, len);
}


/* queued in wslay by write() (a peer's close answered first wins) */
int
waav_ws_conn_close(waav_ws_conn_t *c, unsigned code)
{
    if (c->close_pending || c->close_queued || c->held || c->io_failed
        || !wslay_event_get_write_enabled(c->ctx)
        || wslay_event_get_close_received(c->ctx))
    {
        return -1;
    }

    c->close_pending = 1;
    c->close_code = code;

    return 0;
}


/* payload bytes: wslay counts each message until its last byte is sent */
size_t
waav_ws_conn_queued(waav_ws_conn_t *c)
{
    size_t  n;

    if (c->held) {
        return c->close_done ? 0 : (c->client ? 8 : 4) - c->close_off;
    }

    /* what is left once the close went out is never sent */
    if (!wslay_event_get_write_enabled(c->ctx)) {
        return 0;
    }

    n = wslay_event_get_queued_msg_length(c->ctx);

    return n > c->out_sent ? n - (size_t) c->out_sent : 0;
}


int
waav_ws_conn_want_read(waav_ws_conn_t *c)
{
    return !c->io_failed && wslay_event_want_read(c->ctx);
}


int
waav_ws_conn_want_write(waav_ws_conn_t *c)
{
    if (c->io_failed) {
        return 0;
    }

    if (c->held) {
        return !c->close_done;
    }

    return wslay_event_want_write(c->ctx) || c->close_pending;
}


int
waav_ws_conn_finished(waav_ws_conn_t *c)
{
    if (c->io_failed) {
        return 1;
    }

    if (!c->close_done && !wslay_event_get_close_sent(c->ctx)) {
        return 0;
    }

    return wslay_event_get_close_received(c->ctx)
           || !wslay_event_get_read_enabled(c->ctx);
}


unsigned
waav_ws_conn_close_sent(waav_ws_conn_t *c)
{
    unsigned  code;

    if (c->close_done) {
        return c->fail_code;
    }

    if (!wslay_event_get_close_sent(c->ctx)) {
        return 0;
    }

    code = wslay_event_get_status_code_sent(c->ctx);

    return code == WSLAY_CODE_NO_STATUS_RCVD ? 0 : code;
}


/* --- the handshake -------------------------------------------------------*/

int
waav_ws_key_valid(const char *key, size_t len)
{
    size_t  i;

    /* 16 bytes: 21 digits, one holding the last 2 bits, "==" */
    if (len != WAAV_WS_KEY_LEN || key[22] != '=' || key[23] != '=') {
        return 0;
    }

    for (i = 0; i < 22; i++) {
        if (waav_base64_digit((unsigned char) key[i], WAAV_BASE64_STD) < 0) {
            return 0;
        }
    }

    return 1;
}


void
waav_ws_accept(const char *key, size_t len, char out[29])
{
    unsigned int   n;
    EVP_MD_CTX    *md;
    unsigned char  sha1[EVP_MAX_MD_SIZE];

    n = 0;
    md = EVP_MD_CTX_new();

    if (md == NULL
        || EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1
        || EVP_DigestUpdate(md, key, len) != 1
        || EVP_DigestUpdate(md, WAAV_WS_GUID, sizeof(WAAV_WS_GUID) - 1) != 1
        || EVP_DigestFinal_ex(md, sha1, &n) != 1
        || n != 20)
    {
        /* no accept the client could take for its key */
        memset(out, 0, 29);
        EVP_MD_CTX_free(md);
        return;
    }

    EVP_MD_CTX_free(md);

    /* 20 bytes: 28 characters and the NUL EVP_EncodeBlock writes */
    EVP_EncodeBlock((unsigned char *) out, sha1, 20);
}
