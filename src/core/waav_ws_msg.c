/*
 * waav: WaaV's /ws messages (see waav_ws_msg.h), parsed in the order
 * serde_json reads WaaV's IncomingMessage, so that the error a client gets
 * is the one WaaV gives it:
 *
 *  1. JSON syntax: "Invalid message format: expected value at line 1
 *     column 1" (serde's texts, approximated: cJSON does not say which
 *     token it wanted);
 *  2. the tag, read as it streams by, so its errors carry a position:
 *     "unknown variant `x`, expected one of ... at line 1 column 12",
 *     "missing field `type` at line 1 column 2";
 *  3. the variant's fields, from buffered content, so without position:
 *     type errors in the order the keys come, then the first required
 *     field missing in declaration order ("missing field `text`"); null is
 *     None for optional fields; unknown keys are ignored;
 *  4. WaaV's validate_size(), its own texts, no prefix;
 *  5. what waav checks beyond WaaV (strings that reach provider URLs and
 *     headers, ranges), with /speak's wording: stt_config here, tts_config
 *     by /speak's own code (waav_tts_parse_config).
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_http.h"
#include "waav_json.h"
#include "waav_serde.h"
#include "waav_ws_msg.h"

#define WAAV_WS_PREFIX   "Invalid message format: "
#define WAAV_WS_ENUM     "IncomingMessage"
#define WAAV_WS_VARIANTS "`config`, `speak`, `clear`, `send_message`, " \
                         "`sip_transfer`, `auth`, `custom`"

/* the longest field list (config's, stt_config's) */
#define WAAV_WS_FIELDS   8


/* --- the messages' fields, as WaaV's Rust types have them ------------ */

enum {
    WAAV_WS_STT_PROVIDER = 0,
    WAAV_WS_STT_LANGUAGE,
    WAAV_WS_STT_SAMPLE_RATE,
    WAAV_WS_STT_CHANNELS,
    WAAV_WS_STT_PUNCTUATION,
    WAAV_WS_STT_ENCODING,
    WAAV_WS_STT_MODEL,
    WAAV_WS_STT_API_KEY
};

/* STTWebSocketConfig */
static const waav_serde_field_t  waav_ws_stt_fields[] = {
    { "provider", WAAV_SERDE_STR, 1, NULL, NULL },
    { "language", WAAV_SERDE_STR, 1, NULL, NULL },
    { "sample_rate", WAAV_SERDE_U32, 1, NULL, NULL },
    { "channels", WAAV_SERDE_U16, 1, NULL, NULL },
    { "punctuation", WAAV_SERDE_BOOL, 1, NULL, NULL },
    { "encoding", WAAV_SERDE_STR, 1, NULL, NULL },
    { "model", WAAV_SERDE_STR, 1, NULL, NULL },
    { "api_key", WAAV_SERDE_STR, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

/* TTSWebSocketConfig: the rest is /speak's (waav_tts_parse_config) */
static const waav_serde_field_t  waav_ws_tts_fields[] = {
    { "api_key", WAAV_SERDE_STR, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

/* LiveKitWebSocketConfig, as far as its types go */
static const waav_serde_field_t  waav_ws_livekit_fields[] = {
    { "room_name", WAAV_SERDE_STR, 1, NULL, NULL },
    { "enable_recording", WAAV_SERDE_BOOL, 0, NULL, NULL },
    { "waav_participant_identity", WAAV_SERDE_STR, 0, NULL, NULL },
    { "waav_participant_name", WAAV_SERDE_STR, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

enum {
    WAAV_WS_CFG_STREAM_ID = 0,
    WAAV_WS_CFG_AUDIO,
    WAAV_WS_CFG_AUDIO_DISABLED,
    WAAV_WS_CFG_STT,
    WAAV_WS_CFG_TTS,
    WAAV_WS_CFG_LIVEKIT,
    WAAV_WS_CFG_DAG
};

static const waav_serde_field_t  waav_ws_config_fields[] = {
    { "stream_id", WAAV_SERDE_STR, 0, NULL, NULL },
    { "audio", WAAV_SERDE_BOOL, 0, NULL, NULL },
    { "audio_disabled", WAAV_SERDE_BOOL, 0, NULL, NULL },
    { "stt_config", WAAV_SERDE_OBJ, 0, "struct STTWebSocketConfig",
      waav_ws_stt_fields },
    { "tts_config", WAAV_SERDE_OBJ, 0, "struct TTSWebSocketConfig",
      waav_ws_tts_fields },
    { "livekit", WAAV_SERDE_OBJ, 0, "struct LiveKitWebSocketConfig",
      waav_ws_livekit_fields },
    { "dag_config", WAAV_SERDE_OBJ, 0, "struct DAGWebSocketConfig", NULL },
    { NULL, 0, 0, NULL, NULL }
};

/* speak: text, flush, allow_interruption */
static const waav_serde_field_t  waav_ws_speak_fields[] = {
    { "text", WAAV_SERDE_STR, 1, NULL, NULL },
    { "flush", WAAV_SERDE_BOOL, 0, NULL, NULL },
    { "allow_interruption", WAAV_SERDE_BOOL, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

/* send_message: message, role, topic, debug */
static const waav_serde_field_t  waav_ws_send_fields[] = {
    { "message", WAAV_SERDE_STR, 1, NULL, NULL },
    { "role", WAAV_SERDE_STR, 1, NULL, NULL },
    { "topic", WAAV_SERDE_STR, 0, NULL, NULL },
    { "debug", WAAV_SERDE_ANY, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

static const waav_serde_field_t  waav_ws_transfer_fields[] = {
    { "transfer_to", WAAV_SERDE_STR, 1, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

static const waav_serde_field_t  waav_ws_auth_fields[] = {
    { "token", WAAV_SERDE_STR, 1, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

/* custom: message_type, payload (any JSON, null too) */
static const waav_serde_field_t  waav_ws_custom_fields[] = {
    { "message_type", WAAV_SERDE_STR, 1, NULL, NULL },
    { "payload", WAAV_SERDE_ANY, 1, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

static const waav_serde_field_t  waav_ws_ping_fields[] = {
    { "timestamp", WAAV_SERDE_ANY, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

static const waav_serde_field_t  waav_ws_no_fields[] = {
    { NULL, 0, 0, NULL, NULL }
};

typedef struct {
    const char             *name;
    waav_ws_type_e          type;
    const waav_serde_field_t  *fields;
} waav_ws_variant_t;

static const waav_ws_variant_t  waav_ws_variants[] = {
    { "config", WAAV_WS_MSG_CONFIG, waav_ws_config_fields },
    { "speak", WAAV_WS_MSG_SPEAK, waav_ws_speak_fields },
    { "clear", WAAV_WS_MSG_CLEAR, waav_ws_no_fields },
    { "send_message", WAAV_WS_MSG_SEND_MESSAGE, waav_ws_send_fields },
    { "sip_transfer", WAAV_WS_MSG_SIP_TRANSFER, waav_ws_transfer_fields },
    { "auth", WAAV_WS_MSG_AUTH, waav_ws_auth_fields },
    { "custom", WAAV_WS_MSG_CUSTOM, waav_ws_custom_fields },
    { "ping", WAAV_WS_MSG_PING, waav_ws_ping_fields },
    { "flush", WAAV_WS_MSG_FLUSH, waav_ws_no_fields },
    { NULL, WAAV_WS_MSG_NONE, NULL }
};


/* serde's text after WaaV's "Invalid message format: " (not when out of
 * memory); returns -1 */
static int
waav_ws_format(waav_err_t *err)
{
    char  text[sizeof(err->message)];

    if (err->status != 400) {
        return -1;
    }

    memcpy(text, err->message, sizeof(text));

    return waav_err_set(err, err->status, err->code, WAAV_WS_PREFIX "%s",
                        text);
}


static int
waav_ws_fields(const cJSON *obj, const waav_serde_field_t *fields,
    const cJSON **found, waav_err_t *err)
{
    if (waav_serde_fields(obj, fields, found, err) != 0) {
        return waav_ws_format(err);
    }

    return 0;
}


/* the variant the tag names; its errors are positioned (serde reads the
 * tag as the text streams by) */
static const waav_ws_variant_t *
waav_ws_variant(const cJSON *root, const char *json, size_t len,
    waav_err_t *err)
{
    const cJSON              *tag;
    const waav_ws_variant_t  *v;
    size_t                    off;

    tag = waav_serde_tag(root, json, len, "type", WAAV_WS_ENUM, &off, err);

    if (tag == NULL) {
        (void) waav_ws_format(err);
        return NULL;
    }

    for (v = waav_ws_variants; v->name; v++) {
        if (strcmp(tag->valuestring, v->name) == 0) {
            return v;
        }
    }

    (void) waav_serde_unknown(err, json, off, tag->valuestring,
                              WAAV_WS_VARIANTS);
    (void) waav_ws_format(err);

    return NULL;
}


/* --- the variants' values, WaaV's size checks, waav's own ------------- */

static waav_str_t
waav_ws_str(const cJSON *item)
{
    waav_str_t  s;

    s.data = item ? item->valuestring : NULL;
    s.len = item ? strlen(item->valuestring) : 0;

    return s;
}


/* WaaV's MessageValidationError texts */
static int
waav_ws_too_large(waav_err_t *err, const char *what, size_t n, size_t max)
{
    return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                        "%s too large: %zu bytes (max: %zu bytes)",
                        what, n, max);
}


/* an API key goes into a provider's header or query: visible ASCII */
static int
waav_ws_key_ok(waav_str_t key, const char *where, waav_err_t *err)
{
    size_t  i;

    for (i = 0; i < key.len; i++) {
        if (key.data[i] < 0x21 || key.data[i] > 0x7e) {
            break;
        }
    }

    if (i < key.len || key.len > WAAV_WS_API_KEY_MAX) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "%s.api_key must be up to %d bytes of visible "
                            "ASCII", where, WAAV_WS_API_KEY_MAX);
    }

    return 0;
}


/* stt_config, its types already checked: what reaches a provider */
static int
waav_ws_parse_stt(waav_ws_stt_config_t *stt, const cJSON *obj,
    waav_err_t *err)
{
    size_t         i;
    const cJSON   *f[WAAV_WS_FIELDS];
    waav_str_t    *s;
    waav_str_t    *ident[] = { &stt->provider, &stt->language,
                               &stt->encoding, &stt->model };
    const char    *names[] = { "provider", "language", "encoding", "model" };

    /* the values (their types were checked with the message's) */
    memset(f, 0, sizeof(f));
    (void) waav_serde_fields(obj, waav_ws_stt_fields, f, err);

    stt->provider = waav_ws_str(f[WAAV_WS_STT_PROVIDER]);
    stt->language = waav_ws_str(f[WAAV_WS_STT_LANGUAGE]);
    stt->encoding = waav_ws_str(f[WAAV_WS_STT_ENCODING]);
    stt->model = waav_ws_str(f[WAAV_WS_STT_MODEL]);
    stt->api_key = waav_ws_str(f[WAAV_WS_STT_API_KEY]);
    stt->sample_rate = (unsigned) f[WAAV_WS_STT_SAMPLE_RATE]->valuedouble;
    stt->channels = (unsigned) f[WAAV_WS_STT_CHANNELS]->valuedouble;
    stt->punctuation = cJSON_IsTrue(f[WAAV_WS_STT_PUNCTUATION]);

    /* into provider URLs: "" is the provider's default, but for provider */
    for (i = 0; i < sizeof(ident) / sizeof(ident[0]); i++) {
        s = ident[i];

        if ((s->len || i == 0) && !waav_ident_valid(s->data, s->len)) {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                "stt_config.%s must be 1-256 characters of "
                                "A-Z a-z 0-9 . _ - : @ +", names[i]);
        }
    }

    if (stt->sample_rate < WAAV_WS_STT_RATE_MIN
        || stt->sample_rate > WAAV_WS_STT_RATE_MAX)
    {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "stt_config.sample_rate must be an integer from "
                            "%d to %d",
                            WAAV_WS_STT_RATE_MIN, WAAV_WS_STT_RATE_MAX);
    }

    if (stt->channels < 1 || stt->channels > WAAV_WS_STT_CHANNELS_MAX) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "stt_config.channels must be an integer from 1 "
                            "to %d", WAAV_WS_STT_CHANNELS_MAX);
    }

    return waav_ws_key_ok(stt->api_key, "stt_config", err);
}


static int
waav_ws_parse_config(waav_ws_msg_t *msg, const cJSON **found,
    waav_alloc_t *a, waav_err_t *err)
{
    const cJSON  *audio, *disabled;

    msg->stream_id = waav_ws_str(found[WAAV_WS_CFG_STREAM_ID]);

    if (msg->stream_id.len > WAAV_WS_STREAM_ID_MAX) {
        return waav_ws_too_large(err, "Stream ID", msg->stream_id.len,
                                 WAAV_WS_STREAM_ID_MAX);
    }

    /* audio ?? !audio_disabled ?? true */
    audio = found[WAAV_WS_CFG_AUDIO];
    disabled = found[WAAV_WS_CFG_AUDIO_DISABLED];

    msg->audio = audio ? cJSON_IsTrue(audio)
                 : disabled ? !cJSON_IsTrue(disabled) : 1;

    msg->has_livekit = (found[WAAV_WS_CFG_LIVEKIT] != NULL);
    msg->has_dag = (found[WAAV_WS_CFG_DAG] != NULL);

    if (found[WAAV_WS_CFG_STT]) {
        msg->has_stt = 1;

        if (waav_ws_parse_stt(&msg->stt, found[WAAV_WS_CFG_STT], err) != 0) {
            return -1;
        }
    }

    if (found[WAAV_WS_CFG_TTS] == NULL) {
        return 0;
    }

    msg->has_tts = 1;

    /* /speak's checks, word for word (api_key's too) */
    if (waav_tts_parse_config(&msg->tts, found[WAAV_WS_CFG_TTS], a, err)
        != 0)
    {
        return -1;
    }

    msg->tts_api_key = msg->tts.api_key;

    return 0;
}


/* the timestamp as JSON text, to be echoed in pong */
static int
waav_ws_parse_ping(waav_ws_msg_t *msg, const cJSON *ts, waav_alloc_t *a,
    waav_err_t *err)
{
    char    *buf;
    size_t   n;

    if (ts == NULL) {
        return 0;
    }

    /* cJSON wants 5 bytes of room beyond what it prints */
    buf = waav_alloc(a, WAAV_WS_TIMESTAMP_MAX + 8);
    if (buf == NULL) {
        return waav_err_nomem(err);
    }

    if (!cJSON_PrintPreallocated((cJSON *) ts, buf, WAAV_WS_TIMESTAMP_MAX + 8,
                                 0)
        || (n = strlen(buf)) > WAAV_WS_TIMESTAMP_MAX
        || !waav_utf8_valid(buf, n))
    {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "Ping timestamp too large (max: %d bytes)",
                            WAAV_WS_TIMESTAMP_MAX);
    }

    msg->timestamp.data = buf;
    msg->timestamp.len = n;

    return 0;
}


/* each variant's values and defaults, then WaaV's validate_size() */
static int
waav_ws_values(waav_ws_msg_t *msg, const cJSON **f, waav_alloc_t *a,
    waav_err_t *err)
{
    static const waav_str_t  messages = waav_str_lit("messages");
    size_t                   n;

    switch (msg->type) {

    case WAAV_WS_MSG_CONFIG:
        return waav_ws_parse_config(msg, f, a, err);

    case WAAV_WS_MSG_SPEAK:
        msg->text = waav_ws_str(f[0]);
        msg->flush = f[1] ? cJSON_IsTrue(f[1]) : 1;
        msg->allow_interruption = f[2] ? cJSON_IsTrue(f[2]) : 1;

        if (msg->text.len > WAAV_WS_SPEAK_MAX) {
            return waav_ws_too_large(err, "Speak text", msg->text.len,
                                     WAAV_WS_SPEAK_MAX);
        }

        return 0;

    case WAAV_WS_MSG_SEND_MESSAGE:
        msg->message = waav_ws_str(f[0]);
        msg->role = waav_ws_str(f[1]);
        msg->topic = f[2] ? waav_ws_str(f[2]) : messages;

        if (msg->message.len > WAAV_WS_SEND_MSG_MAX) {
            return waav_ws_too_large(err, "Message content", msg->message.len,
                                     WAAV_WS_SEND_MSG_MAX);
        }

        return 0;

    case WAAV_WS_MSG_SIP_TRANSFER:
        msg->transfer_to = waav_ws_str(f[0]);

        if (msg->transfer_to.len > WAAV_WS_TRANSFER_MAX) {
            return waav_ws_too_large(err, "SIP transfer_to",
                                     msg->transfer_to.len,
                                     WAAV_WS_TRANSFER_MAX);
        }

        return 0;

    case WAAV_WS_MSG_AUTH:
        msg->token = waav_ws_str(f[0]);

        if (msg->token.len > WAAV_WS_TOKEN_MAX) {
            return waav_ws_too_large(err, "Auth token", msg->token.len,
                                     WAAV_WS_TOKEN_MAX);
        }

        return 0;

    case WAAV_WS_MSG_CUSTOM:
        msg->custom_type = waav_ws_str(f[0]);

        /* WaaV reports this one as a stream ID (sic) */
        if (msg->custom_type.len > WAAV_WS_CUSTOM_TYPE_MAX) {
            return waav_ws_too_large(err, "Stream ID", msg->custom_type.len,
                                     WAAV_WS_CUSTOM_TYPE_MAX);
        }

        n = waav_serde_len(f[1]);

        if (n > WAAV_WS_CUSTOM_MAX) {
            return waav_ws_too_large(err, "Message content", n,
                                     WAAV_WS_CUSTOM_MAX);
        }

        return 0;

    case WAAV_WS_MSG_PING:
        return waav_ws_parse_ping(msg, f[0], a, err);

    default: /* clear, flush */
        return 0;
    }
}


int
waav_ws_msg_parse(waav_ws_msg_t *msg, const char *json, size_t len,
    waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t  none = { NULL, 0 };

    return waav_ws_msg_parse_default(msg, json, len, none, a, err);
}


int
waav_ws_msg_parse_default(waav_ws_msg_t *msg, const char *json, size_t len,
    waav_str_t tts_default, waav_alloc_t *a, waav_err_t *err)
{
    cJSON                    *root;
    const cJSON              *found[WAAV_WS_FIELDS];
    const waav_ws_variant_t  *v;

    memset(msg, 0, sizeof(waav_ws_msg_t));
    msg->tts.speaking_rate = 1.0;
    msg->tts.provider_default = tts_default;

    if (json == NULL) {
        json = "";
        len = 0;
    }

    root = waav_json_parse(json, len, WAAV_JSON_CLIENT, a, err);
    if (root == NULL) {
        (void) waav_serde_syntax(json, len, err);
        return waav_ws_format(err);
    }

    v = waav_ws_variant(root, json, len, err);
    if (v == NULL) {
        return -1;
    }

    memset(found, 0, sizeof(found));

    if (waav_ws_fields(root, v->fields, found, err) != 0) {
        return -1;
    }

    msg->type = v->type;

    if (waav_ws_values(msg, found, a, err) != 0) {
        msg->type = WAAV_WS_MSG_NONE;
        return -1;
    }

    return 0;
}
