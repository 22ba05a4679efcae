/*
 * waav: the messages of WaaV's /ws protocol (waav-compat.md section 5),
 * client to server parsed and checked, server to client written.  Pure C:
 * no nginx types.
 *
 * Error texts are WaaV's, word for word, because its SDKs and dashboard
 * show them: a message that cannot be parsed is
 *   "Invalid message format: <serde's text>"
 * and a field over its size "<What> too large: N bytes (max: M bytes)".
 * They go to the client as {"type":"error","message":...}; the connection
 * stays open.
 */

#ifndef WAAV_WS_MSG_H
#define WAAV_WS_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "waav_alloc.h"
#include "waav_tts.h"

#define WAAV_WS_STREAM_ID_MAX   256
#define WAAV_WS_SPEAK_MAX       (100 * 1024)
#define WAAV_WS_TOKEN_MAX       4096
#define WAAV_WS_SEND_MSG_MAX    (50 * 1024)
#define WAAV_WS_TRANSFER_MAX    256
#define WAAV_WS_CUSTOM_TYPE_MAX 256
#define WAAV_WS_CUSTOM_MAX      (50 * 1024)
/* a ping's timestamp, echoed as written */
#define WAAV_WS_TIMESTAMP_MAX   64
/* waav's own bounds (WaaV has none): a BYOK api_key (stt_config's,
 * tts_config's) is 1-4096 bytes of visible ASCII; stt_config's
 * sample_rate and channels within these (tts_config's: as /speak's) */
#define WAAV_WS_API_KEY_MAX     4096
#define WAAV_WS_STT_RATE_MIN    8000
#define WAAV_WS_STT_RATE_MAX    48000
#define WAAV_WS_STT_CHANNELS_MAX 8

typedef enum {
    WAAV_WS_MSG_NONE = 0,
    WAAV_WS_MSG_CONFIG,
    WAAV_WS_MSG_SPEAK,
    WAAV_WS_MSG_CLEAR,
    WAAV_WS_MSG_SEND_MESSAGE,
    WAAV_WS_MSG_SIP_TRANSFER,
    WAAV_WS_MSG_AUTH,
    WAAV_WS_MSG_CUSTOM,
    WAAV_WS_MSG_PING,               /* not WaaV's: answered with pong */
    WAAV_WS_MSG_FLUSH               /* not WaaV's: transcribe what came */
} waav_ws_type_e;

/* stt_config: WaaV's STTWebSocketConfig, every field but api_key
 * required */
typedef struct {
    waav_str_t   provider;
    waav_str_t   language;
    waav_str_t   encoding;
    waav_str_t   model;
    waav_str_t   api_key;           /* empty: the server's */
    unsigned     sample_rate;
    unsigned     channels;
    int          punctuation;
} waav_ws_stt_config_t;

typedef struct {
    waav_ws_type_e          type;

    /* config */
    waav_str_t              stream_id;      /* empty: none given */
    int                     audio;          /* audio ?? !audio_disabled ?? 1 */
    unsigned                has_stt:1;
    unsigned                has_tts:1;
    unsigned                has_livekit:1;
    unsigned                has_dag:1;
    waav_ws_stt_config_t    stt;
    waav_tts_req_t          tts;            /* text empty; as /speak's
                                             * tts_config, same checks */
    waav_str_t              tts_api_key;    /* tts_config.api_key */

    /* speak */
    waav_str_t              text;
    int                     flush;          /* default 1 */
    int                     allow_interruption;     /* default 1 */

    /* auth */
    waav_str_t              token;

    /* ping: the timestamp as the client wrote it (a JSON value, or
     * empty when there was none) */
    waav_str_t              timestamp;

    /* send_message */
    waav_str_t              message;
    waav_str_t              role;
    waav_str_t              topic;          /* default "messages" */

    /* sip_transfer */
    waav_str_t              transfer_to;

    /* custom */
    waav_str_t              custom_type;
} waav_ws_msg_t;

/*
 * Parses one client text message (UTF-8 already checked by the framing).
 * 0: msg is filled; -1: err->message is the text for the client's error
 * message (WaaV's wording), err->status 400 (500 "out of memory").
 * Strings in msg point into memory from a (or into json).
 *
 * Unknown keys are ignored and null is "not given" for optional fields,
 * as serde does.  tts_config goes through /speak's own checks
 * (waav_tts_parse_config: its texts, e.g. "tts_config.provider is
 * required"); pronunciations are parsed, not applied (the text is empty).
 * stt_config's strings that reach provider URLs follow waav_ident_valid
 * (provider non-empty; "" is the default for the others), sample_rate and
 * channels the bounds above, api_keys visible ASCII: texts like
 * "stt_config.channels must be an integer from 1 to 8".  A ping's
 * timestamp over WAAV_WS_TIMESTAMP_MAX bytes as JSON: "Ping timestamp too
 * large (max: 64 bytes)".
 */
int waav_ws_msg_parse(waav_ws_msg_t *msg, const char *json, size_t len,
    waav_alloc_t *a, waav_err_t *err);
/* the same, a config's tts_config naming no provider taking tts_default
 * (as /speak's body takes waav_tts's default=; empty: it is required) */
int waav_ws_msg_parse_default(waav_ws_msg_t *msg, const char *json,
    size_t len, waav_str_t tts_default, waav_alloc_t *a, waav_err_t *err);

/*
 * Server messages, written into memory from a, NUL-terminated; *len is
 * their length.  NULL when out of memory.  Strings are JSON-escaped
 * (invalid UTF-8 becomes U+FFFD).  A waav_str_t with data NULL is WaaV's
 * None, left out: ready's livekit_url, authenticated's id; pong's
 * timestamp (JSON text from waav_ws_msg_parse, copied as is) is left out
 * when empty.  stt_result's confidence is clamped to 0..1 (NaN: 0) and
 * printed as serde prints an f32 ("1.0", "0.95", "1e-7").
 */
char *waav_ws_error(waav_alloc_t *a, const char *message, size_t *len);
char *waav_ws_ready(waav_alloc_t *a, waav_str_t stream_id,
    waav_str_t livekit_url, size_t *len);
char *waav_ws_stt_result(waav_alloc_t *a, waav_str_t transcript,
    int is_final, int is_speech_final, double confidence, size_t *len);
char *waav_ws_playback_complete(waav_alloc_t *a, uint64_t ms, size_t *len);
char *waav_ws_authenticated(waav_alloc_t *a, waav_str_t id, size_t *len);
char *waav_ws_pong(waav_alloc_t *a, waav_str_t timestamp, size_t *len);

/* {"type":"auth_required"} */
#define WAAV_WS_AUTH_REQUIRED  "{\"type\":\"auth_required\"}"

/* a UUIDv4 (36 characters and a NUL) from 16 random bytes */
void waav_ws_uuid4(char out[37], const unsigned char rnd[16]);

/*
 * The bytes of one 10 ms frame of TTS audio in format fmt at rate (WaaV
 * re-cuts raw audio into these: 16-bit PCM rate/100*2, mu-law and A-law
 * rate/100); 0: the format is forwarded as it comes.
 */
size_t waav_ws_frame_bytes(waav_fmt_e fmt, unsigned rate);

#endif /* WAAV_WS_MSG_H */
