/*
 * waav: streaming speech to text, provider-neutral (WaaV's /ws).
 *
 * A streaming adapter says how to talk to one provider's real-time
 * WebSocket API: the upgrade request to open (path, query, headers; the
 * key added by waav_cred_apply with the adapter's cred), how each chunk of
 * the client's audio is wrapped (a binary message as it is, or a text
 * message such as ElevenLabs' base64 JSON), the text messages that keep a
 * silent stream alive, flush it and end it, and how each provider message
 * becomes events: results (as WaaV's stt_result), the provider's "ready",
 * a fatal error, the end of the stream.
 *
 * The nginx glue (src/ngx_http_waav_ws_stream.c) owns the socket: the
 * WebSocket client (src/ngx_http_waav_wsc.c), timers, flow control.  The
 * turn logic WaaV applies to results (blank finals dropped, synthetic
 * speech-finals) is waav_stt_turn.h.  Adapters: src/core/stt/, next to
 * each provider's REST adapter.  Pure C.
 */

#ifndef WAAV_STT_STREAM_H
#define WAAV_STT_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "waav_alloc.h"
#include "waav_cred.h"
#include "waav_http.h"
#include "waav_ws_msg.h"

/* what a provider message may say */
#define WAAV_STT_EV_RESULT  1       /* a transcript */
#define WAAV_STT_EV_READY   2       /* the session started (Begin,
                                     * session_started) */
#define WAAV_STT_EV_ERROR   3       /* fatal: the stream is over */
#define WAAV_STT_EV_DONE    4       /* the provider finished the stream
                                     * (Termination, done); it closes */

/* at most this many events from one provider message */
#define WAAV_STT_EV_MAX     4

typedef struct {
    int          type;              /* WAAV_STT_EV_* */

    /* RESULT: as WaaV's stt_result (confidence clamped by the writer) */
    waav_str_t   transcript;
    int          is_final;
    int          is_speech_final;
    double       confidence;

    /* ERROR: the provider's own words (for "STT streaming error: ..."),
     * at most WAAV_ERRMSG_MAX bytes, control characters made spaces, cut
     * on a UTF-8 boundary (waav_scrub).  The adapter does not know the
     * key: the glue redacts it (waav_scrub again, with the key) before
     * the text leaves waav, as for REST errors. */
    waav_str_t   message;
} waav_stt_event_t;

typedef struct waav_stt_stream_s  waav_stt_stream_t;

struct waav_stt_stream_s {
    /* how the key travels on the upgrade request */
    const waav_cred_t  *cred;

    /*
     * The upgrade request (method GET): path relative to the provider's
     * streaming base URL, query, provider headers (not the WebSocket ones,
     * not the key).  cfg is WaaV's stt_config as waav_ws_msg_parse left it
     * (strings valid idents or empty; an empty encoding is linear16, an
     * empty model or language the provider's default).  -1 with err
     * (status 400 UNSUPPORTED_OPTION, WaaV-style message, e.g.
     * "Unsupported sample rate for cartesia: 11025 (use 8000, 16000,
     * 22050, 24000, 44100 or 48000)") when the provider cannot honour the
     * config: no connection is made.
     */
    int               (*open)(const waav_stt_stream_t *st,
                              const waav_ws_stt_config_t *cfg,
                              waav_http_req_t *out, waav_alloc_t *a,
                              waav_err_t *err);

    /* NULL: audio goes as binary messages, as it came; else the text
     * message that carries len bytes of audio (NUL-terminated) or NULL
     * when out of memory */
    char             *(*wrap)(const uint8_t *audio, size_t len,
                              size_t *out_len, waav_alloc_t *a);

    /* audio goes in messages of at least this much (AssemblyAI takes 50
     * to 1000 ms a message): the glue holds what is shorter, and sends
     * at most twice this at once; 0: as it comes */
    unsigned            min_chunk_ms;

    /* a text message sent when no audio was sent for keepalive_ms
     * (Deepgram's KeepAlive); NULL: none */
    const char         *keepalive;
    unsigned            keepalive_ms;

    /* a text message for the client's flush (waav's extension: results
     * for what was said so far), NULL: none */
    const char         *flush;

    /* a text message before the close when the stream ends (CloseStream,
     * Terminate, done), NULL: none */
    const char         *finish;

    /* 1: the stream is up at the provider's READY event (ElevenLabs'
     * session_started, AssemblyAI's Begin); 0: at the 101 */
    int                 wait_ready;

    /*
     * One text message from the provider: events into ev (at most max),
     * strings from a (or pointing into msg); returns how many (0: nothing
     * to say: metadata, keepalive answers, unknown types), -1 when the
     * message is not what the provider sends (not JSON, wrong types): the
     * glue treats that as a fatal error "unexpected message".
     */
    int               (*parse)(const char *msg, size_t len,
                               waav_stt_event_t *ev, size_t max,
                               waav_alloc_t *a);
};

/* the upgrade request, credentials added (as waav_stt_build does):
 * out is zeroed, its method "GET" */
int waav_stt_stream_open(const waav_stt_stream_t *st,
    const waav_ws_stt_config_t *cfg, const waav_secret_t *secret,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err);

/* bytes of one second of the config's audio (rate x channels x bytes per
 * sample: 1 for mulaw/alaw, 2 otherwise; channels 0 counts as 1) */
uint64_t waav_stt_stream_rate(const waav_ws_stt_config_t *cfg);


/* --- for adapters (src/core/stt/) ---------------------------------------- */

struct cJSON;

/* stt_config.encoding, any case: "", linear16, pcm, pcm_s16le; mulaw,
 * ulaw, pcm_mulaw; alaw, pcm_alaw; else unknown */
#define WAAV_STT_ENC_UNKNOWN  0
#define WAAV_STT_ENC_PCM16    1
#define WAAV_STT_ENC_MULAW    2
#define WAAV_STT_ENC_ALAW     3

int waav_stt_stream_encoding(waav_str_t enc);

/* 400 UNSUPPORTED_OPTION "Unsupported encoding for <provider>: <enc>
 * (use <what>)"; -1 */
int waav_stt_stream_bad_encoding(waav_err_t *err, const char *provider,
    waav_str_t enc, const char *what);

/* 400 UNSUPPORTED_OPTION "Unsupported sample rate for <provider>: <rate>
 * (use <what>)"; -1 */
int waav_stt_stream_bad_rate(waav_err_t *err, const char *provider,
    unsigned rate, const char *what);

/* 1 when rate is one of the set ElevenLabs and Cartesia take */
#define WAAV_STT_STREAM_RATES  "8000, 16000, 22050, 24000, 44100 or 48000"

int waav_stt_stream_rate_ok(unsigned rate);

/* a language as ISO 639-1, the part before '-' ("en-US": "en") */
waav_str_t waav_stt_stream_iso639(waav_str_t lang);

/* 400 UNSUPPORTED_OPTION "<provider> takes mono audio only
 * (stt_config.channels: N)" when channels > 1; else 0 */
int waav_stt_stream_mono(waav_err_t *err, const char *provider,
    unsigned channels);

/* query arguments in order, each value percent-encoded; value.data NULL:
 * left out */
typedef struct {
    const char   *name;
    waav_str_t    value;
} waav_stt_arg_t;

int waav_stt_stream_args(waav_http_req_t *out, const waav_stt_arg_t *args,
    size_t n, waav_alloc_t *a, waav_err_t *err);

/* a provider message as a JSON object whose member key (e.g. "type") is a
 * string, into *type; NULL when it is not one */
const struct cJSON *waav_stt_stream_json(const char *msg, size_t len,
    const char *key, const char **type, waav_alloc_t *a);

/* one event into ev[0] when max allows; returns how many were written
 * (0 or 1) */
int waav_stt_stream_result(waav_stt_event_t *ev, size_t max,
    waav_str_t transcript, int is_final, int is_speech_final,
    double confidence);
int waav_stt_stream_event(waav_stt_event_t *ev, size_t max, int type);

/* an ERROR event whose message is the first non-empty string member of
 * root among keys (NULL-terminated), else dflt, scrubbed (see message
 * above); 0 or 1 as above, -1 when out of memory */
int waav_stt_stream_error(waav_stt_event_t *ev, size_t max,
    const struct cJSON *root, const char *const *keys, const char *dflt,
    waav_alloc_t *a);

/* a JSON boolean member: 1 when true, 0 when false or absent, -1 when
 * it is something else */
int waav_stt_stream_bool(const struct cJSON *root, const char *key);

#endif /* WAAV_STT_STREAM_H */
