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

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_http.h"
#include "waav_json.h"
#include "waav_ws_msg.h"

#define WAAV_WS_PREFIX   "Invalid message format: "
#define WAAV_WS_ENUM     "internally tagged enum IncomingMessage"
#define WAAV_WS_VARIANTS "`config`, `speak`, `clear`, `send_message`, " \
                         "`sip_transfer`, `auth`, `custom`"

/* what a client's text shows of a value in an error */
#define WAAV_WS_SHOW     64

/* the longest field list (config's, stt_config's) */
#define WAAV_WS_FIELDS   8


/* --- the serde pass: field lists and types --------------------------- */

typedef enum {
    WAAV_WS_F_STR = 0,              /* String */
    WAAV_WS_F_BOOL,                 /* bool */
    WAAV_WS_F_U32,
    WAAV_WS_F_U16,
    WAAV_WS_F_OBJ,                  /* a struct: an object */
    WAAV_WS_F_ANY                   /* serde_json::Value */
} waav_ws_kind_e;

typedef struct waav_ws_field_s  waav_ws_field_t;

struct waav_ws_field_s {
    const char             *name;
    waav_ws_kind_e          kind;
    unsigned                required;   /* not an Option */
    const char             *expect;     /* OBJ: serde's "struct X" */
    const waav_ws_field_t  *sub;        /* OBJ: its fields, checked too */
};

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
static const waav_ws_field_t  waav_ws_stt_fields[] = {
    { "provider", WAAV_WS_F_STR, 1, NULL, NULL },
    { "language", WAAV_WS_F_STR, 1, NULL, NULL },
    { "sample_rate", WAAV_WS_F_U32, 1, NULL, NULL },
    { "channels", WAAV_WS_F_U16, 1, NULL, NULL },
    { "punctuation", WAAV_WS_F_BOOL, 1, NULL, NULL },
    { "encoding", WAAV_WS_F_STR, 1, NULL, NULL },
    { "model", WAAV_WS_F_STR, 1, NULL, NULL },
    { "api_key", WAAV_WS_F_STR, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

/* TTSWebSocketConfig: the rest is /speak's (waav_tts_parse_config) */
static const waav_ws_field_t  waav_ws_tts_fields[] = {
    { "api_key", WAAV_WS_F_STR, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

/* LiveKitWebSocketConfig, as far as its types go */
static const waav_ws_field_t  waav_ws_livekit_fields[] = {
    { "room_name", WAAV_WS_F_STR, 1, NULL, NULL },
    { "enable_recording", WAAV_WS_F_BOOL, 0, NULL, NULL },
    { "waav_participant_identity", WAAV_WS_F_STR, 0, NULL, NULL },
    { "waav_participant_name", WAAV_WS_F_STR, 0, NULL, NULL },
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

static const waav_ws_field_t  waav_ws_config_fields[] = {
    { "stream_id", WAAV_WS_F_STR, 0, NULL, NULL },
    { "audio", WAAV_WS_F_BOOL, 0, NULL, NULL },
    { "audio_disabled", WAAV_WS_F_BOOL, 0, NULL, NULL },
    { "stt_config", WAAV_WS_F_OBJ, 0, "struct STTWebSocketConfig",
      waav_ws_stt_fields },
    { "tts_config", WAAV_WS_F_OBJ, 0, "struct TTSWebSocketConfig",
      waav_ws_tts_fields },
    { "livekit", WAAV_WS_F_OBJ, 0, "struct LiveKitWebSocketConfig",
      waav_ws_livekit_fields },
    { "dag_config", WAAV_WS_F_OBJ, 0, "struct DAGWebSocketConfig", NULL },
    { NULL, 0, 0, NULL, NULL }
};

/* speak: text, flush, allow_interruption */
static const waav_ws_field_t  waav_ws_speak_fields[] = {
    { "text", WAAV_WS_F_STR, 1, NULL, NULL },
    { "flush", WAAV_WS_F_BOOL, 0, NULL, NULL },
    { "allow_interruption", WAAV_WS_F_BOOL, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

/* send_message: message, role, topic, debug */
static const waav_ws_field_t  waav_ws_send_fields[] = {
    { "message", WAAV_WS_F_STR, 1, NULL, NULL },
    { "role", WAAV_WS_F_STR, 1, NULL, NULL },
    { "topic", WAAV_WS_F_STR, 0, NULL, NULL },
    { "debug", WAAV_WS_F_ANY, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

static const waav_ws_field_t  waav_ws_transfer_fields[] = {
    { "transfer_to", WAAV_WS_F_STR, 1, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

static const waav_ws_field_t  waav_ws_auth_fields[] = {
    { "token", WAAV_WS_F_STR, 1, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

/* custom: message_type, payload (any JSON, null too) */
static const waav_ws_field_t  waav_ws_custom_fields[] = {
    { "message_type", WAAV_WS_F_STR, 1, NULL, NULL },
    { "payload", WAAV_WS_F_ANY, 1, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

static const waav_ws_field_t  waav_ws_ping_fields[] = {
    { "timestamp", WAAV_WS_F_ANY, 0, NULL, NULL },
    { NULL, 0, 0, NULL, NULL }
};

static const waav_ws_field_t  waav_ws_no_fields[] = {
    { NULL, 0, 0, NULL, NULL }
};

typedef struct {
    const char             *name;
    waav_ws_type_e          type;
    const waav_ws_field_t  *fields;
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


/* s cut to at most max bytes, on a character boundary */
static int
waav_ws_cut(const char *s, size_t len, size_t max)
{
    if (len <= max) {
        return (int) len;
    }

    while (max > 0 && ((unsigned char) s[max] & 0xc0) == 0x80) {
        max--;
    }

    return (int) max;
}


/* a double as Rust prints a float: the shortest digits that read back,
 * with ".0" when they look like an integer */
static void
waav_ws_float(char *buf, size_t size, double v)
{
    int  p;

    for (p = 1; p < 17; p++) {
        snprintf(buf, size, "%.*g", p, v);

        if (strtod(buf, NULL) == v) {
            break;
        }
    }

    snprintf(buf, size, "%.*g", p, v);

    if (strpbrk(buf, ".eni") == NULL && strlen(buf) + 3 <= size) {
        strcat(buf, ".0");
    }
}


/* 1 when a cJSON number is what serde_json reads as an integer (cJSON
 * keeps no text: an integral value within i64/u64 counts as one) */
static int
waav_ws_integral(double v)
{
    return isfinite(v) && floor(v) == v && v > -9.3e18 && v < 1.8e19;
}


/* serde's Unexpected: how an error names the value it got */
static void
waav_ws_unexpected(const cJSON *item, char *buf, size_t size)
{
    const char  *s;
    size_t       i, n;
    char         num[40];

    if (cJSON_IsString(item)) {
        /* Rust's {:?} of a str, cut short */
        s = item->valuestring;
        n = (size_t) waav_ws_cut(s, strlen(s), WAAV_WS_SHOW);
        i = (size_t) snprintf(buf, size, "string \"");

        for ( ; n > 0 && i + 8 < size; s++, n--) {
            if (*s == '"' || *s == '\\') {
                buf[i++] = '\\';
                buf[i++] = *s;

            } else if (*s == '\n' || *s == '\r' || *s == '\t') {
                buf[i++] = '\\';
                buf[i++] = (*s == '\n') ? 'n' : (*s == '\r') ? 'r' : 't';

            } else if ((unsigned char) *s < 0x20 || *s == 0x7f) {
                i += (size_t) snprintf(buf + i, size - i, "\\u{%x}",
                                       (unsigned) (unsigned char) *s);

            } else {
                buf[i++] = *s;
            }
        }

        snprintf(buf + i, size - i, "\"");

    } else if (cJSON_IsBool(item)) {
        snprintf(buf, size, "boolean `%s`",
                 cJSON_IsTrue(item) ? "true" : "false");

    } else if (cJSON_IsNumber(item)) {
        if (waav_ws_integral(item->valuedouble)) {
            snprintf(buf, size, "integer `%.0f`", item->valuedouble + 0.0);

        } else {
            waav_ws_float(num, sizeof(num), item->valuedouble);
            snprintf(buf, size, "floating point `%s`", num);
        }

    } else if (cJSON_IsArray(item)) {
        snprintf(buf, size, "sequence");

    } else if (cJSON_IsObject(item)) {
        snprintf(buf, size, "map");

    } else {
        snprintf(buf, size, "null");
    }
}


/* "invalid type: <what item is>, expected <expect>" */
static void
waav_ws_invalid_text(const cJSON *item, const char *expect, char *buf,
    size_t size)
{
    char  got[WAAV_WS_SHOW * 2 + 32];

    waav_ws_unexpected(item, got, sizeof(got));
    snprintf(buf, size, "invalid type: %s, expected %s", got, expect);
}


static int
waav_ws_invalid(const cJSON *item, const char *expect, waav_err_t *err)
{
    char  what[WAAV_WS_SHOW * 2 + 128];

    waav_ws_invalid_text(item, expect, what, sizeof(what));

    return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                        WAAV_WS_PREFIX "%s", what);
}


static int waav_ws_fields(const cJSON *obj, const waav_ws_field_t *fields,
    const cJSON **found, waav_err_t *err);


/* one field's value against its type, as serde deserializes it */
static int
waav_ws_check(const cJSON *item, const waav_ws_field_t *f, waav_err_t *err)
{
    const char  *name;
    double       v, max;

    switch (f->kind) {

    case WAAV_WS_F_STR:
        return cJSON_IsString(item) ? 0 : waav_ws_invalid(item, "a string",
                                                           err);

    case WAAV_WS_F_BOOL:
        return cJSON_IsBool(item) ? 0 : waav_ws_invalid(item, "a boolean",
                                                        err);

    case WAAV_WS_F_U32:
    case WAAV_WS_F_U16:
        name = (f->kind == WAAV_WS_F_U32) ? "u32" : "u16";
        max = (f->kind == WAAV_WS_F_U32) ? 4294967295.0 : 65535.0;

        if (!cJSON_IsNumber(item) || !waav_ws_integral(item->valuedouble)) {
            return waav_ws_invalid(item, name, err);
        }

        v = item->valuedouble;

        if (v < 0 || v > max) {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                WAAV_WS_PREFIX "invalid value: integer `%.0f`,"
                                " expected %s", v, name);
        }

        return 0;

    case WAAV_WS_F_OBJ:
        if (!cJSON_IsObject(item)) {
            return waav_ws_invalid(item, f->expect, err);
        }

        return f->sub ? waav_ws_fields(item, f->sub, NULL, err) : 0;

    default: /* WAAV_WS_F_ANY */
        return 0;
    }
}


/*
 * The fields of obj as serde's derived visitor takes them: each key in
 * turn (unknown ones ignored, null an Option's None), then the first
 * required field that never came.  found[i] (when found is not NULL) is
 * field i's value, NULL when absent or None.
 */
static int
waav_ws_fields(const cJSON *obj, const waav_ws_field_t *fields,
    const cJSON **found, waav_err_t *err)
{
    const cJSON  *c;
    unsigned      seen;
    size_t        i;

    seen = 0;

    for (c = obj->child; c; c = c->next) {
        for (i = 0; fields[i].name; i++) {
            if (strcmp(c->string, fields[i].name) == 0) {
                break;
            }
        }

        if (fields[i].name == NULL) {
            continue;
        }

        seen |= 1u << i;

        if (cJSON_IsNull(c) && !fields[i].required) {
            continue;
        }

        if (waav_ws_check(c, &fields[i], err) != 0) {
            return -1;
        }

        if (found) {
            found[i] = c;
        }
    }

    for (i = 0; fields[i].name; i++) {
        if (fields[i].required && !(seen & (1u << i))) {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                WAAV_WS_PREFIX "missing field `%s`",
                                fields[i].name);
        }
    }

    return 0;
}


/* --- where serde_json stops: line and column of its errors ------------- */

static size_t
waav_ws_skip_ws(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'
                       || s[i] == '\n'))
    {
        i++;
    }

    return i;
}


/* i at a '"': the index past the closing one */
static size_t
waav_ws_skip_str(const char *s, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (s[i] == '\\') {
            i++;

        } else if (s[i] == '"') {
            return i + 1;
        }
    }

    return len;
}


/* i at a value: the index past it */
static size_t
waav_ws_skip_value(const char *s, size_t len, size_t i)
{
    size_t  depth;

    depth = 0;

    while (i < len) {
        if (s[i] == '"') {
            i = waav_ws_skip_str(s, len, i);

            if (depth == 0) {
                return i;
            }

            continue;
        }

        if (s[i] == '{' || s[i] == '[') {
            depth++;

        } else if (s[i] == '}' || s[i] == ']') {
            if (depth <= 1) {
                return depth ? i + 1 : i;
            }

            depth--;

        } else if (depth == 0 && strchr(", \t\r\n", s[i])) {
            return i;
        }

        i++;
    }

    return len;
}


/*
 * The index past the value of the top-level key "type" as written (serde
 * reads the tag there, and reports a bad one there); 0 when it is not
 * found so (an escaped key, a byte-order mark).  s is an object cJSON
 * accepted.
 */
static size_t
waav_ws_tag_end(const char *s, size_t len)
{
    size_t  i, k, end;
    int     tag;

    i = waav_ws_skip_ws(s, len, 0);

    if (i >= len || s[i] != '{') {
        return 0;
    }

    i++;

    for ( ;; ) {
        i = waav_ws_skip_ws(s, len, i);

        if (i >= len || s[i] != '"') {
            return 0;
        }

        k = i;
        i = waav_ws_skip_str(s, len, i);
        tag = (i - k == 6 && memcmp(s + k, "\"type\"", 6) == 0);
        i = waav_ws_skip_ws(s, len, i) + 1;                 /* ':' */
        i = waav_ws_skip_ws(s, len, i);
        end = waav_ws_skip_value(s, len, i);

        if (tag) {
            return end;
        }

        i = waav_ws_skip_ws(s, len, end);

        if (i >= len || s[i] != ',') {
            return 0;
        }

        i++;
    }
}


/* an error at byte offset off (serde's column: bytes of its line up to
 * and including the byte it stopped at) */
static int
waav_ws_err_at(waav_err_t *err, const char *code, const char *json,
    size_t off, const char *what)
{
    size_t  i, line, col;

    line = 1;
    col = 0;

    for (i = 0; i < off; i++) {
        if (json[i] == '\n') {
            line++;
            col = 0;

        } else {
            col++;
        }
    }

    return waav_err_set(err, 400, code,
                        WAAV_WS_PREFIX "%s at line %zu column %zu",
                        what, line, col);
}


/* the offset past the last byte that is not whitespace */
static size_t
waav_ws_end(const char *json, size_t len)
{
    while (len > 0 && strchr(" \t\r\n", json[len - 1])) {
        len--;
    }

    return len;
}


/*
 * NULL when the text is whole (empty or cut short it is not): else what
 * serde_json was reading when it ended: a string, a value after ':' or
 * ',', else the innermost open object or list.
 */
static const char *
waav_ws_eof(const char *s, size_t len)
{
    char    open[64];
    size_t  i, depth;
    int     last;

    depth = 0;
    last = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '"') {
            i = waav_ws_skip_str(s, len, i);

            if (i == len && (s[len - 1] != '"' || i - 1 == 0
                             || s[len - 2] == '\\'))
            {
                return "EOF while parsing a string";
            }

            last = '"';
            i--;
            continue;
        }

        if (s[i] == '{' || s[i] == '[') {
            if (depth < sizeof(open)) {
                open[depth] = s[i];
            }

            depth++;

        } else if ((s[i] == '}' || s[i] == ']') && depth > 0) {
            depth--;
        }

        if (!strchr(" \t\r\n", s[i])) {
            last = (unsigned char) s[i];
        }
    }

    if (last == 0 || last == ':' || last == ','
        || (depth > sizeof(open)))
    {
        return "EOF while parsing a value";
    }

    if (depth == 0) {
        return NULL;
    }

    return (open[depth - 1] == '{') ? "EOF while parsing an object"
                                    : "EOF while parsing a list";
}


/* waav_json_parse refused the text: serde's kind of words for why */
static int
waav_ws_syntax(const char *json, size_t len, waav_err_t *err)
{
    cJSON       *root;
    const char  *end, *eof;
    char         why[sizeof(err->message)];
    size_t       off;

    if (strcmp(err->code, WAAV_E_INVALID_JSON) != 0) {
        /* \u0000, a key twice: waav's refusals, which WaaV lacks */
        memcpy(why, err->message, sizeof(why));

        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            WAAV_WS_PREFIX "%.200s", why);
    }

    /* again, for where it stopped (an error path: malloc'd, freed) */
    end = NULL;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);

    if (root) {
        cJSON_Delete(root);
        off = waav_ws_skip_ws(json, len, (size_t) (end - json));

        return waav_ws_err_at(err, WAAV_E_INVALID_JSON, json, off + 1,
                              "trailing characters");
    }

    off = end ? (size_t) (end - json) : 0;

    /* a text cut short: serde fails at its end (cJSON somewhere in it) */
    eof = waav_ws_eof(json, len);

    if (eof) {
        return waav_ws_err_at(err, WAAV_E_INVALID_JSON, json, len, eof);
    }

    return waav_ws_err_at(err, WAAV_E_INVALID_JSON, json, off + 1,
                          "expected value");
}


/* the tag: its errors come while serde streams the object, positioned */
static const waav_ws_variant_t *
waav_ws_variant(const cJSON *root, const char *json, size_t len,
    waav_err_t *err)
{
    const cJSON              *tag;
    const waav_ws_variant_t  *v;
    char                      what[WAAV_WS_SHOW * 2 + 160];
    size_t                    off;

    if (!cJSON_IsObject(root)) {
        waav_ws_invalid_text(root, WAAV_WS_ENUM, what, sizeof(what));

        (void) waav_ws_err_at(err, WAAV_E_INVALID_REQUEST, json,
                              waav_ws_end(json, len), what);
        return NULL;
    }

    tag = cJSON_GetObjectItemCaseSensitive(root, "type");

    if (tag == NULL) {
        (void) waav_ws_err_at(err, WAAV_E_INVALID_REQUEST, json,
                              waav_ws_end(json, len), "missing field `type`");
        return NULL;
    }

    off = waav_ws_tag_end(json, len);
    if (off == 0) {
        off = waav_ws_end(json, len);
    }

    if (!cJSON_IsString(tag)) {
        waav_ws_invalid_text(tag, "variant identifier", what, sizeof(what));

        (void) waav_ws_err_at(err, WAAV_E_INVALID_REQUEST, json, off, what);
        return NULL;
    }

    for (v = waav_ws_variants; v->name; v++) {
        if (strcmp(tag->valuestring, v->name) == 0) {
            return v;
        }
    }

    snprintf(what, sizeof(what), "unknown variant `%.*s`, expected one of "
             WAAV_WS_VARIANTS,
             waav_ws_cut(tag->valuestring, strlen(tag->valuestring),
                         WAAV_WS_SHOW),
             tag->valuestring);

    (void) waav_ws_err_at(err, WAAV_E_INVALID_REQUEST, json, off, what);

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


/* the length of s as serde_json writes a string */
static size_t
waav_ws_str_len(const char *s)
{
    size_t  n;

    for (n = 2; *s; s++) {
        n += (strchr("\"\\\b\f\n\r\t", *s)) ? 2
             : ((unsigned char) *s < 0x20) ? 6 : 1;
    }

    return n;
}


/* the bytes serde_json's to_string() makes of a value (numbers as cJSON
 * holds them: integral ones as integers, others shortest) */
static size_t
waav_ws_json_len(const cJSON *item)
{
    const cJSON  *c;
    size_t        n;
    char          num[40];

    if (cJSON_IsString(item)) {
        return waav_ws_str_len(item->valuestring);
    }

    if (cJSON_IsNumber(item)) {
        if (waav_ws_integral(item->valuedouble)) {
            snprintf(num, sizeof(num), "%.0f", item->valuedouble + 0.0);

        } else {
            waav_ws_float(num, sizeof(num), item->valuedouble);
        }

        return strlen(num);
    }

    if (!cJSON_IsArray(item) && !cJSON_IsObject(item)) {
        return cJSON_IsFalse(item) ? 5 : 4;     /* true, null */
    }

    n = 2;

    for (c = item->child; c; c = c->next) {
        n += (c != item->child) ? 1 : 0;

        if (cJSON_IsObject(item)) {
            n += waav_ws_str_len(c->string) + 1;
        }

        n += waav_ws_json_len(c);
    }

    return n;
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

    memset(f, 0, sizeof(f));

    if (waav_ws_fields(obj, waav_ws_stt_fields, f, err) != 0) {
        return -1;
    }

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
    const cJSON  *f[WAAV_WS_FIELDS];
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

    /* /speak's checks, word for word */
    if (waav_tts_parse_config(&msg->tts, found[WAAV_WS_CFG_TTS], a, err)
        != 0)
    {
        return -1;
    }

    memset(f, 0, sizeof(f));

    if (waav_ws_fields(found[WAAV_WS_CFG_TTS], waav_ws_tts_fields, f, err)
        != 0)
    {
        return -1;
    }

    msg->tts_api_key = waav_ws_str(f[0]);

    return waav_ws_key_ok(msg->tts_api_key, "tts_config", err);
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

        n = waav_ws_json_len(f[1]);

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
    cJSON                    *root;
    const cJSON              *found[WAAV_WS_FIELDS];
    const waav_ws_variant_t  *v;

    memset(msg, 0, sizeof(waav_ws_msg_t));
    msg->tts.speaking_rate = 1.0;

    if (json == NULL) {
        json = "";
        len = 0;
    }

    root = waav_json_parse(json, len, WAAV_JSON_CLIENT, a, err);
    if (root == NULL) {
        return waav_ws_syntax(json, len, err);
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
