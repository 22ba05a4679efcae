/*
 * waav: a client's synthesis request, parsed and validated (see
 * waav_tts.h): WaaV's /speak body, OpenAI's /v1/audio/speech body, and the
 * pronunciations applied to the text.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_json.h"
#include "waav_tts.h"


/* --- parsing ------------------------------------------------------------ */

/* string field: absent/null leaves dst alone; other types are an error */
static int
waav_get_str(const cJSON *obj, const char *field, const char *where,
    waav_str_t *dst, waav_err_t *err)
{
    const cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(obj, field);

    if (item == NULL || cJSON_IsNull(item)) {
        return 0;
    }

    if (!cJSON_IsString(item)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "%s%s must be a string", where, field);
    }

    /* the tree lives in the allocator's memory, as long as the request */
    dst->data = item->valuestring;
    dst->len = strlen(item->valuestring);

    return 1;
}


static int
waav_get_ident(const cJSON *obj, const char *field, const char *where,
    waav_str_t *dst, waav_err_t *err)
{
    int  rc;

    rc = waav_get_str(obj, field, where, dst, err);
    if (rc <= 0) {
        return rc;
    }

    /* "" means "the default", as in WaaV's configs */
    if (dst->len && !waav_ident_valid(dst->data, dst->len)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "%s%s must be 1-256 characters of A-Z a-z 0-9 "
                            ". _ - : @ +", where, field);
    }

    return 1;
}


/* a voice: any text the adapter may check further (waav_tts_build: an
 * identifier unless it only reaches a JSON body) — at most 256 bytes of
 * UTF-8 without control characters; 1 when present */
static int
waav_get_voice(const cJSON *obj, const char *field, const char *where,
    waav_str_t *dst, waav_err_t *err)
{
    int     rc;
    size_t  i;

    rc = waav_get_str(obj, field, where, dst, err);
    if (rc <= 0) {
        return rc;
    }

    for (i = 0; i < dst->len; i++) {
        if ((unsigned char) dst->data[i] < 0x20 || dst->data[i] == 0x7f) {
            break;
        }
    }

    if (dst->len > WAAV_IDENT_MAX || i < dst->len
        || !waav_utf8_valid(dst->data, dst->len))
    {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "%s%s must be at most 256 bytes of text without "
                            "control characters", where, field);
    }

    return 1;
}


/* number field within [min, max]; 1 when present */
static int
waav_get_num(const cJSON *obj, const char *field, const char *where,
    double min, double max, int integer, double *dst, waav_err_t *err)
{
    const cJSON  *item;
    double        v;

    item = cJSON_GetObjectItemCaseSensitive(obj, field);

    if (item == NULL || cJSON_IsNull(item)) {
        return 0;
    }

    if (!cJSON_IsNumber(item)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "%s%s must be a number", where, field);
    }

    v = item->valuedouble;

    if (!isfinite(v) || v < min || v > max
        || (integer && floor(v) != v))
    {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            integer ? "%s%s must be an integer from %g to %g"
                                    : "%s%s must be from %g to %g",
                            where, field, min, max);
    }

    *dst = v;

    return 1;
}


static int
waav_tts_set_format(waav_tts_req_t *req, const char *where, const char *field,
    waav_err_t *err)
{
    req->format = waav_fmt_parse(req->format_name.data, req->format_name.len);

    if (req->format == WAAV_FMT_NONE) {
        return waav_err_set(err, 400, WAAV_E_UNSUPPORTED_FORMAT,
                            "%s%s must be one of linear16, pcm, mulaw, ulaw, "
                            "alaw, mp3, wav, opus, ogg, flac, aac",
                            where, field);
    }

    return 0;
}


static int
waav_tts_parse_pron(waav_tts_req_t *req, const cJSON *list, const char *where,
    waav_alloc_t *a, waav_err_t *err)
{
    char          in[sizeof("tts_config.pronunciations[].")];
    const cJSON  *item;
    waav_pron_t  *p;
    size_t        n;
    int           rc;

    (void) snprintf(in, sizeof(in), "%spronunciations[].", where);

    if (list == NULL || cJSON_IsNull(list)) {
        return 0;
    }

    if (!cJSON_IsArray(list)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "%spronunciations must be an array", where);
    }

    n = (size_t) cJSON_GetArraySize(list);

    if (n > WAAV_TTS_MAX_PRONUNCIATIONS) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "%spronunciations has more than %d entries",
                            where, WAAV_TTS_MAX_PRONUNCIATIONS);
    }

    if (n == 0) {
        return 0;
    }

    req->pron = waav_alloc(a, n * sizeof(waav_pron_t));
    if (req->pron == NULL) {
        return waav_err_nomem(err);
    }

    cJSON_ArrayForEach(item, list) {
        p = &req->pron[req->npron];
        memset(p, 0, sizeof(waav_pron_t));

        if (!cJSON_IsObject(item)) {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                "%spronunciations[] must be objects "
                                "{word, pronunciation}", where);
        }

        rc = waav_get_str(item, "word", in, &p->word, err);
        if (rc < 0) {
            return rc;
        }

        if (rc == 0 || p->word.len == 0 || p->word.len > WAAV_IDENT_MAX
            || !waav_utf8_valid(p->word.data, p->word.len))
        {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                "%spronunciations[].word must be 1-256 "
                                "bytes of UTF-8", where);
        }

        rc = waav_get_str(item, "pronunciation", in, &p->pronunciation,
                          err);
        if (rc < 0) {
            return rc;
        }

        if (rc == 0 || p->pronunciation.len > WAAV_IDENT_MAX
            || !waav_utf8_valid(p->pronunciation.data, p->pronunciation.len))
        {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                "%spronunciations[].pronunciation must be "
                                "a string of up to 256 bytes", where);
        }

        req->npron++;
    }

    return 0;
}


static int
waav_tts_check_text(waav_tts_req_t *req, waav_err_t *err)
{
    size_t  i;
    int     blank;

    blank = 1;

    for (i = 0; i < req->text.len; i++) {
        if (req->text.data[i] == '\0'
            || !strchr(" \t\r\n\v\f", req->text.data[i]))
        {
            blank = 0;
            break;
        }
    }

    if (blank) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "Text cannot be empty");
    }

    if (req->text.len > WAAV_TTS_MAX_TEXT) {
        return waav_err_set(err, 400, WAAV_E_TEXT_TOO_LONG,
                            "Text too long: %zu bytes exceeds maximum %d bytes",
                            req->text.len, WAAV_TTS_MAX_TEXT);
    }

    if (!waav_utf8_valid(req->text.data, req->text.len)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "Text is not valid UTF-8");
    }

    return 0;
}


/* a BYOK key goes into a provider's header or query: visible ASCII;
 * "" is none (WaaV's BYOK skips an empty key) */
static int
waav_tts_parse_key(waav_tts_req_t *req, const cJSON *cfg, const char *where,
    waav_err_t *err)
{
    size_t  i;

    if (waav_get_str(cfg, "api_key", where, &req->api_key, err) < 0) {
        return -1;
    }

    for (i = 0; i < req->api_key.len; i++) {
        if (req->api_key.data[i] < 0x21 || req->api_key.data[i] > 0x7e) {
            break;
        }
    }

    if (i < req->api_key.len || req->api_key.len > WAAV_TTS_MAX_API_KEY) {
        /* never the key itself */
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "%sapi_key must be up to %d bytes of visible "
                            "ASCII", where, WAAV_TTS_MAX_API_KEY);
    }

    return 0;
}


/*
 * The synthesis settings of an object: tts_config (where "tts_config."),
 * or the body itself in the SDKs' flat shape (where "", and Python's
 * "voice" as voice_id when there is no voice_id).
 */
static int
waav_tts_parse_fields(waav_tts_req_t *req, const cJSON *cfg,
    const char *where, waav_alloc_t *a, waav_err_t *err)
{
    double  v;
    int     rc;

    rc = waav_get_ident(cfg, "provider", where, &req->provider, err);
    if (rc < 0) {
        return rc;
    }

    if (waav_get_ident(cfg, "model", where, &req->model, err) < 0
        || waav_get_voice(cfg, "voice_id", where, &req->voice, err) < 0
        || (*where == '\0' && req->voice.data == NULL
            && waav_get_voice(cfg, "voice", where, &req->voice, err) < 0))
    {
        return -1;
    }

    rc = waav_get_str(cfg, "audio_format", where, &req->format_name, err);
    if (rc < 0) {
        return rc;
    }

    if (rc > 0 && waav_tts_set_format(req, where, "audio_format", err) != 0) {
        return -1;
    }

    rc = waav_get_num(cfg, "sample_rate", where, 8000, 48000, 1, &v, err);
    if (rc < 0) {
        return rc;
    }

    if (rc > 0) {
        req->sample_rate = (unsigned) v;
    }

    rc = waav_get_num(cfg, "speaking_rate", where, 0.25, 4.0, 0,
                      &req->speaking_rate, err);
    if (rc < 0) {
        return rc;
    }

    req->speaking_rate_set = rc;

    rc = waav_get_num(cfg, "connection_timeout", where, 1, 300, 1, &v, err);
    if (rc < 0) {
        return rc;
    }

    req->connection_timeout = rc ? (unsigned) v : 0;

    rc = waav_get_num(cfg, "request_timeout", where, 1, 600, 1, &v, err);
    if (rc < 0) {
        return rc;
    }

    req->request_timeout = rc ? (unsigned) v : 0;

    if (waav_tts_parse_key(req, cfg, where, err) != 0) {
        return -1;
    }

    return waav_tts_parse_pron(req,
                   cJSON_GetObjectItemCaseSensitive(cfg, "pronunciations"),
                   where, a, err);
}


/*
 * WaaV's body, {"text", "tts_config": {...}}, or the flat one WaaV's SDKs
 * post (RestClient.speak: text, provider, voice_id or voice, model,
 * sample_rate, audio_format at the top level).  With tts_config present,
 * it alone is the configuration and other top-level fields are ignored,
 * as WaaV ignores them.
 */
static int
waav_tts_parse_waav(waav_tts_req_t *req, const cJSON *root, waav_alloc_t *a,
    waav_err_t *err)
{
    const cJSON  *cfg;
    int           rc;

    rc = waav_get_str(root, "text", "", &req->text, err);
    if (rc < 0) {
        return rc;
    }

    if (rc == 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "text is required");
    }

    cfg = cJSON_GetObjectItemCaseSensitive(root, "tts_config");

    if (cfg != NULL && !cJSON_IsNull(cfg) && !cJSON_IsObject(cfg)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "tts_config must be an object");
    }

    if (waav_tts_check_text(req, err) != 0) {
        return -1;
    }

    if (cfg != NULL && !cJSON_IsNull(cfg)) {
        return waav_tts_parse_config(req, cfg, a, err);
    }

    req->flat = 1;

    if (waav_tts_parse_fields(req, root, "", a, err) != 0) {
        return -1;
    }

    if (req->provider.len == 0) {
        req->provider = req->provider_default;
    }

    if (req->provider.len == 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "tts_config is required (or provider and the "
                            "other settings at the top level)");
    }

    return 0;
}


int
waav_tts_parse_config(waav_tts_req_t *req, const cJSON *cfg, waav_alloc_t *a,
    waav_err_t *err)
{
    if (waav_tts_parse_fields(req, cfg, "tts_config.", a, err) != 0) {
        return -1;
    }

    if (req->provider.len == 0) {
        req->provider = req->provider_default;
    }

    if (req->provider.len == 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_PROVIDER,
                            "tts_config.provider is required");
    }

    return 0;
}


static int
waav_tts_parse_openai(waav_tts_req_t *req, const cJSON *root, waav_err_t *err)
{
    const char  *slash;
    int          rc;

    rc = waav_get_str(root, "input", "", &req->text, err);
    if (rc < 0) {
        return rc;
    }

    if (rc == 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "input is required");
    }

    if (waav_tts_check_text(req, err) != 0) {
        return -1;
    }

    rc = waav_get_str(root, "model", "", &req->model, err);
    if (rc < 0) {
        return rc;
    }

    if (req->model.len == 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "model is required");
    }

    /* "provider/model" picks the provider */
    slash = memchr(req->model.data, '/', req->model.len);

    if (slash) {
        req->provider.data = req->model.data;
        req->provider.len = (size_t) (slash - req->model.data);
        req->model.len -= req->provider.len + 1;
        req->model.data = slash + 1;

        if (!waav_ident_valid(req->provider.data, req->provider.len)) {
            return waav_err_set(err, 400, WAAV_E_INVALID_PROVIDER,
                                "the provider part of model is not a valid "
                                "provider name");
        }
    }

    if (req->model.len && !waav_ident_valid(req->model.data, req->model.len)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "model must be 1-256 characters of A-Z a-z 0-9 "
                            ". _ - : @ + (after an optional provider/)");
    }

    if (waav_get_voice(root, "voice", "", &req->voice, err) < 0) {
        return -1;
    }

    rc = waav_get_str(root, "response_format", "", &req->format_name, err);
    if (rc < 0) {
        return rc;
    }

    if (rc == 0 || req->format_name.len == 0) {
        /* OpenAI's default */
        req->format_name.data = "mp3";
        req->format_name.len = 3;
    }

    if (waav_tts_set_format(req, "", "response_format", err) != 0) {
        return -1;
    }

    rc = waav_get_num(root, "speed", "", 0.25, 4.0, 0, &req->speaking_rate,
                      err);
    if (rc < 0) {
        return rc;
    }

    req->speaking_rate_set = rc;

    rc = waav_get_str(root, "instructions", "", &req->instructions, err);
    if (rc < 0) {
        return rc;
    }

    if (req->instructions.len > WAAV_TTS_MAX_INSTRUCTIONS
        || !waav_utf8_valid(req->instructions.data, req->instructions.len))
    {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "instructions must be UTF-8 of up to %d bytes",
                            WAAV_TTS_MAX_INSTRUCTIONS);
    }

    return 0;
}


int
waav_tts_parse(waav_tts_req_t *req, waav_tts_shape_e shape, const char *json,
    size_t len, waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t  none;

    none.data = NULL;
    none.len = 0;

    return waav_tts_parse_default(req, shape, json, len, none, a, err);
}


int
waav_tts_parse_default(waav_tts_req_t *req, waav_tts_shape_e shape,
    const char *json, size_t len, waav_str_t dflt, waav_alloc_t *a,
    waav_err_t *err)
{
    cJSON  *root;
    int     rc;

    memset(req, 0, sizeof(waav_tts_req_t));
    req->speaking_rate = 1.0;
    req->provider_default = dflt;

    root = waav_json_parse(json, len, WAAV_JSON_CLIENT, a, err);
    if (root == NULL) {
        return -1;
    }

    if (!cJSON_IsObject(root)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "the request body must be a JSON object");
    }

    rc = (shape == WAAV_TTS_SHAPE_OPENAI)
         ? waav_tts_parse_openai(req, root, err)
         : waav_tts_parse_waav(req, root, a, err);

    if (rc != 0) {
        return -1;
    }

    if (req->format == WAAV_FMT_NONE) {
        req->format_name.len = 0;
    }

    return waav_tts_pronounce(req, a, err);
}


/* --- pronunciations ----------------------------------------------------- */

static int
waav_is_word(const char *s, size_t len, size_t i)
{
    unsigned char  c;

    if (i >= len) {
        return 0;
    }

    c = (unsigned char) s[i];

    /* bytes of non-ASCII characters count as word characters (letters) */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}


static int
waav_boundary(const char *s, size_t len, size_t i)
{
    int  before, after;

    before = (i > 0) ? waav_is_word(s, len, i - 1) : 0;
    after = waav_is_word(s, len, i);

    return before != after;
}


static size_t
waav_pron_apply(const char *s, size_t len, const waav_pron_t *p, char *out)
{
    size_t  i, n;

    n = 0;
    i = 0;

    while (i < len) {
        if (len - i >= p->word.len
            && memcmp(s + i, p->word.data, p->word.len) == 0
            && waav_boundary(s, len, i)
            && waav_boundary(s, len, i + p->word.len))
        {
            if (out) {
                memcpy(out + n, p->pronunciation.data, p->pronunciation.len);
            }

            n += p->pronunciation.len;
            i += p->word.len;
            continue;
        }

        if (out) {
            out[n] = s[i];
        }

        n++;
        i++;
    }

    return n;
}


int
waav_tts_pronounce(waav_tts_req_t *req, waav_alloc_t *a, waav_err_t *err)
{
    size_t  i, n;
    char   *out;

    for (i = 0; i < req->npron; i++) {
        n = waav_pron_apply(req->text.data, req->text.len, &req->pron[i], NULL);

        if (n > 4 * WAAV_TTS_MAX_TEXT) {
            return waav_err_set(err, 400, WAAV_E_TEXT_TOO_LONG,
                                "Text too long after pronunciations: %zu bytes",
                                n);
        }

        out = waav_alloc(a, n + 1);
        if (out == NULL) {
            return waav_err_nomem(err);
        }

        (void) waav_pron_apply(req->text.data, req->text.len, &req->pron[i],
                               out);
        out[n] = '\0';

        req->text.data = out;
        req->text.len = n;
    }

    return 0;
}
