/*
 * waav: the server's /ws messages (see waav_ws_msg.h), byte for byte as
 * WaaV's serde writes its OutgoingMessage: fields in declaration order,
 * None fields left out, f32 as ryu prints it.  And the UUIDv4 of a stream
 * and the 10 ms frame TTS audio is cut into.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "waav_json.h"
#include "waav_ws_msg.h"


/* the room a message needs: its fixed part and its escaped strings */
#define WAAV_WS_FIXED  128


static char *
waav_ws_lit(char *p, const char *lit)
{
    size_t  n;

    n = strlen(lit);
    memcpy(p, lit, n);

    return p + n;
}


/* a JSON string: quoted, escaped */
static char *
waav_ws_quote(char *p, const char *s, size_t len)
{
    *p++ = '"';
    p += waav_json_escape(p, s, len);
    *p++ = '"';

    return p;
}


static char *
waav_ws_done(char *buf, char *p, size_t *len)
{
    *p = '\0';
    *len = (size_t) (p - buf);

    return buf;
}


static char *
waav_ws_buf(waav_alloc_t *a, size_t extra)
{
    return waav_alloc(a, WAAV_WS_FIXED + extra);
}


char *
waav_ws_error(waav_alloc_t *a, const char *message, size_t *len)
{
    char    *buf, *p;
    size_t   n;

    n = strlen(message);

    buf = waav_ws_buf(a, waav_json_escape(NULL, message, n));
    if (buf == NULL) {
        return NULL;
    }

    p = waav_ws_lit(buf, "{\"type\":\"error\",\"message\":");
    p = waav_ws_quote(p, message, n);
    p = waav_ws_lit(p, "}");

    return waav_ws_done(buf, p, len);
}


/* livekit_url.data NULL: left out (WaaV always has one: its
 * LIVEKIT_PUBLIC_URL); the LiveKit room fields never (no LiveKit here) */
char *
waav_ws_ready(waav_alloc_t *a, waav_str_t stream_id, waav_str_t livekit_url,
    size_t *len)
{
    char  *buf, *p;

    buf = waav_ws_buf(a, waav_json_escape(NULL, stream_id.data, stream_id.len)
                         + waav_json_escape(NULL, livekit_url.data,
                                            livekit_url.len));
    if (buf == NULL) {
        return NULL;
    }

    p = waav_ws_lit(buf, "{\"type\":\"ready\",\"stream_id\":");
    p = waav_ws_quote(p, stream_id.data, stream_id.len);

    if (livekit_url.data) {
        p = waav_ws_lit(p, ",\"livekit_url\":");
        p = waav_ws_quote(p, livekit_url.data, livekit_url.len);
    }

    p = waav_ws_lit(p, "}");

    return waav_ws_done(buf, p, len);
}


/*
 * An f32 from 0 to 1 as serde_json prints it (ryu's format32): the
 * shortest digits that read back as the same float, 1.0 as "1.0", 0.95 as
 * "0.95", 0.000001 as "0.000001", 1e-7 as "1e-7".
 */
static char *
waav_ws_f32(char *p, float f)
{
    char  buf[32], digits[16];
    int   prec, exp, nd, i;

    if (f == 0 || f == 1) {
        return waav_ws_lit(p, f == 0 ? "0.0" : "1.0");
    }

    for (prec = 0; prec < 9; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec, (double) f);

        if (strtof(buf, NULL) == f) {
            break;
        }
    }

    /* "d.ddde-XX": the digits, the exponent of the first (-1 or less) */
    digits[0] = '0';
    nd = 0;

    for (i = 0; buf[i] != 'e'; i++) {
        if (buf[i] != '.') {
            digits[nd++] = buf[i];
        }
    }

    exp = atoi(buf + i + 1);

    /* ryu writes 0.0000ddd down to 1e-6, then an exponent */
    if (exp >= -6) {
        p = waav_ws_lit(p, "0.");

        for (i = exp + 1; i < 0; i++) {
            *p++ = '0';
        }

        memcpy(p, digits, nd);

        return p + nd;
    }

    *p++ = digits[0];

    if (nd > 1) {
        *p++ = '.';
        memcpy(p, digits + 1, nd - 1);
        p += nd - 1;
    }

    return p + sprintf(p, "e%d", exp);
}


/* confidence clamped to 0..1 (NaN: 0) as WaaV's f32 */
char *
waav_ws_stt_result(waav_alloc_t *a, waav_str_t transcript, int is_final,
    int is_speech_final, double confidence, size_t *len)
{
    char   *buf, *p;
    float   f;

    f = (confidence > 1.0) ? 1.0f
        : (confidence > 0.0) ? (float) confidence : 0.0f;

    buf = waav_ws_buf(a, waav_json_escape(NULL, transcript.data,
                                          transcript.len));
    if (buf == NULL) {
        return NULL;
    }

    p = waav_ws_lit(buf, "{\"type\":\"stt_result\",\"transcript\":");
    p = waav_ws_quote(p, transcript.data, transcript.len);
    p = waav_ws_lit(p, is_final ? ",\"is_final\":true" : ",\"is_final\":false");
    p = waav_ws_lit(p, is_speech_final ? ",\"is_speech_final\":true"
                                       : ",\"is_speech_final\":false");
    p = waav_ws_lit(p, ",\"confidence\":");
    p = waav_ws_f32(p, f);
    p = waav_ws_lit(p, "}");

    return waav_ws_done(buf, p, len);
}


char *
waav_ws_playback_complete(waav_alloc_t *a, uint64_t ms, size_t *len)
{
    char  *buf;
    int    n;

    buf = waav_ws_buf(a, 0);
    if (buf == NULL) {
        return NULL;
    }

    n = snprintf(buf, WAAV_WS_FIXED,
                 "{\"type\":\"tts_playback_complete\",\"timestamp\":%" PRIu64
                 "}", ms);
    *len = (size_t) n;

    return buf;
}


/* id.data NULL: {"type":"authenticated"} (WaaV's id: None) */
char *
waav_ws_authenticated(waav_alloc_t *a, waav_str_t id, size_t *len)
{
    char  *buf, *p;

    buf = waav_ws_buf(a, waav_json_escape(NULL, id.data, id.len));
    if (buf == NULL) {
        return NULL;
    }

    p = waav_ws_lit(buf, "{\"type\":\"authenticated\"");

    if (id.data) {
        p = waav_ws_lit(p, ",\"id\":");
        p = waav_ws_quote(p, id.data, id.len);
    }

    p = waav_ws_lit(p, "}");

    return waav_ws_done(buf, p, len);
}


/* timestamp: JSON text as waav_ws_msg_parse made it (copied as is);
 * empty: {"type":"pong"} */
char *
waav_ws_pong(waav_alloc_t *a, waav_str_t timestamp, size_t *len)
{
    char  *buf, *p;

    buf = waav_ws_buf(a, timestamp.len);
    if (buf == NULL) {
        return NULL;
    }

    p = waav_ws_lit(buf, "{\"type\":\"pong\"");

    if (timestamp.len) {
        p = waav_ws_lit(p, ",\"timestamp\":");
        memcpy(p, timestamp.data, timestamp.len);
        p += timestamp.len;
    }

    p = waav_ws_lit(p, "}");

    return waav_ws_done(buf, p, len);
}


void
waav_ws_uuid4(char out[37], const unsigned char rnd[16])
{
    static const char  hex[] = "0123456789abcdef";
    unsigned char      b;
    size_t             i, n;

    n = 0;

    for (i = 0; i < 16; i++) {
        b = rnd[i];

        if (i == 6) {
            b = (b & 0x0f) | 0x40;          /* version 4 */

        } else if (i == 8) {
            b = (b & 0x3f) | 0x80;          /* RFC 4122 variant */
        }

        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[n++] = '-';
        }

        out[n++] = hex[b >> 4];
        out[n++] = hex[b & 0x0f];
    }

    out[n] = '\0';
}


/* as WaaV's TTS provider: a rate under 100 still makes one-sample frames */
size_t
waav_ws_frame_bytes(waav_fmt_e fmt, unsigned rate)
{
    rate = (rate < 100) ? 100 : rate;

    switch (fmt) {
    case WAAV_FMT_LINEAR16:
        return rate / 100 * 2;

    case WAAV_FMT_MULAW:
    case WAAV_FMT_ALAW:
        return rate / 100;

    default:
        return 0;
    }
}
