/*
 * libFuzzer target: client text messages of /ws through waav_ws_msg_parse
 * (serde's reading on cJSON: the tag, the fields, the syntax texts), then
 * every server message written from what came out: each must be valid
 * JSON and UTF-8, whatever the bytes.  `make fuzz`.
 *
 * fuzz-covers: waav_ws_msg.c waav_ws_write.c waav_serde.c
 */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_json.h"
#include "waav_ws_msg.h"
#include "../unit/waav_arena.h"


/* a server message: JSON, UTF-8, an object with a string "type" */
static void
waav_fuzz_out(const char *s, size_t len, waav_alloc_t *a)
{
    cJSON       *j;
    waav_err_t   err;

    if (s == NULL || strlen(s) != len || !waav_utf8_valid(s, len)) {
        abort();
    }

    j = waav_json_parse(s, len, WAAV_JSON_CLIENT, a, &err);

    if (j == NULL || !cJSON_IsString(cJSON_GetObjectItem(j, "type"))) {
        abort();
    }
}


static void
waav_fuzz_write(const waav_ws_msg_t *msg, const uint8_t *data, size_t size,
    waav_alloc_t *a)
{
    waav_str_t      bytes = { (const char *) data, size };
    waav_str_t      none = { NULL, 0 };
    unsigned char   rnd[16];
    char            uuid[37], *s;
    double          conf;
    size_t          len;

    memset(rnd, 0, sizeof(rnd));
    memcpy(rnd, data, size < 16 ? size : 16);
    waav_ws_uuid4(uuid, rnd);

    if (strlen(uuid) != 36 || uuid[14] != '4') {
        abort();
    }

    s = waav_ws_ready(a, msg->stream_id.len ? msg->stream_id : bytes,
                      size & 1 ? none : bytes, &len);
    waav_fuzz_out(s, len, a);

    /* any double (NaN and infinities too) from the first bytes, or one
     * from 0 to 1 of any size */
    conf = 0;

    if (size % 3 == 0) {
        memcpy(&conf, data, size < sizeof(conf) ? size : sizeof(conf));

    } else {
        conf = ldexp(data[0] / 256.0, -(int) (size % 24));
    }

    s = waav_ws_stt_result(a, bytes, size & 1, size & 2, conf, &len);
    waav_fuzz_out(s, len, a);

    s = waav_ws_authenticated(a, msg->token.len ? msg->token : bytes, &len);
    waav_fuzz_out(s, len, a);

    s = waav_ws_playback_complete(a, (uint64_t) size * 1000003u, &len);
    waav_fuzz_out(s, len, a);

    s = waav_ws_pong(a, msg->timestamp, &len);
    waav_fuzz_out(s, len, a);

    (void) waav_ws_frame_bytes((waav_fmt_e) (size % 10), (unsigned) size);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    waav_alloc_t   a = { waav_arena_alloc, NULL };
    waav_ws_msg_t  msg;
    waav_err_t     err;
    char          *s;
    size_t         len;

    memset(&err, 0, sizeof(err));

    if (waav_ws_msg_parse(&msg, (const char *) data, size, &a, &err) == 0) {
        if (msg.type == WAAV_WS_MSG_NONE
            || msg.stream_id.len > WAAV_WS_STREAM_ID_MAX
            || msg.text.len > WAAV_WS_SPEAK_MAX
            || msg.token.len > WAAV_WS_TOKEN_MAX
            || msg.message.len > WAAV_WS_SEND_MSG_MAX
            || msg.transfer_to.len > WAAV_WS_TRANSFER_MAX
            || msg.custom_type.len > WAAV_WS_CUSTOM_TYPE_MAX
            || msg.timestamp.len > WAAV_WS_TIMESTAMP_MAX
            || (msg.has_stt
                && (msg.stt.provider.len == 0 || msg.stt.channels == 0
                    || msg.stt.sample_rate < WAAV_WS_STT_RATE_MIN)))
        {
            abort();
        }

        waav_fuzz_write(&msg, data, size, &a);

    } else {
        if ((err.status != 400 && err.status != 500) || err.message[0] == 0
            || msg.type != WAAV_WS_MSG_NONE)
        {
            abort();
        }

        /* the error as the client gets it */
        s = waav_ws_error(&a, err.message, &len);
        waav_fuzz_out(s, len, &a);
    }

    waav_arena_reset();

    return 0;
}
