/*
 * waav: text-to-speech requests, provider-neutral (see waav_tts.h).
 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "waav_json.h"
#include "waav_jw.h"
#include "waav_tts.h"


extern const waav_tts_adapter_t  waav_tts_deepgram;
extern const waav_tts_adapter_t  waav_tts_elevenlabs;
extern const waav_tts_adapter_t  waav_tts_openai;
extern const waav_tts_adapter_t  waav_tts_openai_compatible;
extern const waav_tts_adapter_t  waav_tts_cartesia;

static const waav_tts_adapter_t  *waav_tts_adapters[] = {
    &waav_tts_deepgram,
    &waav_tts_elevenlabs,
    &waav_tts_openai,
    &waav_tts_openai_compatible,
    &waav_tts_cartesia,
};

const char *const  waav_tts_types[] = {
    "deepgram", "elevenlabs", "openai", "openai-compatible", "cartesia", NULL
};


typedef struct {
    const char  *name;
    waav_fmt_e   fmt;
} waav_fmt_name_t;

static const waav_fmt_name_t  waav_fmt_names[] = {
    { "linear16", WAAV_FMT_LINEAR16 },
    { "pcm", WAAV_FMT_LINEAR16 },
    { "mulaw", WAAV_FMT_MULAW },
    { "ulaw", WAAV_FMT_MULAW },
    { "alaw", WAAV_FMT_ALAW },
    { "mp3", WAAV_FMT_MP3 },
    { "mpeg", WAAV_FMT_MP3 },
    { "wav", WAAV_FMT_WAV },
    { "opus", WAAV_FMT_OPUS },
    { "ogg", WAAV_FMT_OPUS },
    { "flac", WAAV_FMT_FLAC },
    { "aac", WAAV_FMT_AAC },
};

static const unsigned  waav_sample_rates[] = {
    8000, 16000, 22050, 24000, 32000, 44100, 48000
};


const waav_tts_adapter_t *
waav_tts_adapter(const char *type, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(waav_tts_adapters) / sizeof(waav_tts_adapters[0]);
         i++)
    {
        if (strlen(waav_tts_adapters[i]->type) == len
            && memcmp(waav_tts_adapters[i]->type, type, len) == 0)
        {
            return waav_tts_adapters[i];
        }
    }

    return NULL;
}


const char *
waav_fmt_name(waav_fmt_e fmt)
{
    size_t  i;

    for (i = 0; i < sizeof(waav_fmt_names) / sizeof(waav_fmt_names[0]); i++) {
        if (waav_fmt_names[i].fmt == fmt) {
            return waav_fmt_names[i].name;
        }
    }

    return "linear16";
}


static waav_fmt_e
waav_fmt_parse(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(waav_fmt_names) / sizeof(waav_fmt_names[0]); i++) {
        if (strlen(waav_fmt_names[i].name) == len
            && memcmp(waav_fmt_names[i].name, s, len) == 0)
        {
            return waav_fmt_names[i].fmt;
        }
    }

    return WAAV_FMT_NONE;
}


int
waav_tts_media_ok(const waav_tts_adapter_t *ad, const char *ct, size_t len)
{
    size_t        n, plen;
    const char   *const *t;

    if (ad->media_types == NULL) {
        return 1;
    }

    /* the media type: up to parameters or white space */
    while (len && (*ct == ' ' || *ct == '\t')) {
        ct++;
        len--;
    }

    for (n = 0; n < len && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t';
         n++)
    {
        /* void */
    }

    for (t = ad->media_types; *t; t++) {
        plen = strlen(*t);

        if (plen >= 2 && (*t)[plen - 1] == '*' && (*t)[plen - 2] == '/') {
            /* "type/" "*": the type, a slash and a subtype */
            if (n > plen - 1 && strncasecmp(ct, *t, plen - 1) == 0
                && memchr(ct + plen - 1, '/', n - (plen - 1)) == NULL)
            {
                return 1;
            }

            continue;
        }

        if (n == plen && strncasecmp(ct, *t, n) == 0) {
            return 1;
        }
    }

    return 0;
}


const char *
waav_tts_content_type(const char *name, size_t len)
{
#define waav_is(lit)  (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)

    if (waav_is("wav")) {
        return "audio/wav";
    }

    if (waav_is("mp3") || waav_is("mpeg")) {
        return "audio/mpeg";
    }

    if (waav_is("ogg") || waav_is("opus")) {
        return "audio/ogg";
    }

    if (waav_is("linear16") || waav_is("pcm")) {
        return "audio/pcm";
    }

    if (waav_is("mulaw")) {
        return "audio/basic";
    }

#undef waav_is

    return "application/octet-stream";
}


int
waav_ident_valid(const char *s, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0 || len > WAAV_TTS_MAX_IDENT) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || c == '_' || c == '-' || c == ':' || c == '@' || c == '+')
        {
            continue;
        }

        if (c == '.' && !(i + 1 < len && s[i + 1] == '.')) {
            continue;
        }

        return 0;
    }

    return 1;
}


int
waav_http_add_header(waav_http_req_t *out, const char *name,
    const char *value, size_t len, waav_err_t *err)
{
    if (out->nheaders == WAAV_HTTP_MAX_HEADERS) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "too many headers");
    }

    out->headers[out->nheaders].name = name;
    out->headers[out->nheaders].value.data = value;
    out->headers[out->nheaders].value.len = len;
    out->nheaders++;

    return 0;
}


/* a string from the allocator, printf-style ("%.*s" for waav_str_t) */
char *
waav_sprintf(waav_alloc_t *a, size_t *len, const char *fmt, ...)
{
    va_list   ap;
    char     *p;
    int       n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);

    if (n < 0) {
        return NULL;
    }

    p = waav_alloc(a, (size_t) n + 1);
    if (p == NULL) {
        return NULL;
    }

    va_start(ap, fmt);
    vsnprintf(p, (size_t) n + 1, fmt, ap);
    va_end(ap);

    if (len) {
        *len = (size_t) n;
    }

    return p;
}


/* --- parsing ------------------------------------------------------------ */

static int
waav_copy_str(waav_str_t *dst, const cJSON *item, waav_alloc_t *a)
{
    size_t  len;
    char   *p;

    len = strlen(item->valuestring);
    p = waav_alloc(a, len + 1);
    if (p == NULL) {
        return -1;
    }

    memcpy(p, item->valuestring, len + 1);
    dst->data = p;
    dst->len = len;

    return 0;
}


/* string field: absent/null leaves dst alone; other types are an error */
static int
waav_get_str(const cJSON *obj, const char *field, const char *where,
    waav_str_t *dst, waav_alloc_t *a, waav_err_t *err)
{
    const cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(obj, field);

    if (item == NULL || cJSON_IsNull(item)) {
        return 0;
    }

    if (!cJSON_IsString(item)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "%s%s must be a string", where, field);
    }

    if (waav_copy_str(dst, item, a) != 0) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    return 1;
}


static int
waav_get_ident(const cJSON *obj, const char *field, const char *where,
    waav_str_t *dst, waav_alloc_t *a, waav_err_t *err)
{
    int  rc;

    rc = waav_get_str(obj, field, where, dst, a, err);
    if (rc <= 0) {
        return rc;
    }

    /* "" means "the default", as in WaaV's configs */
    if (dst->len && !waav_ident_valid(dst->data, dst->len)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "%s%s must be 1-256 characters of A-Z a-z 0-9 "
                            ". _ - : @ +", where, field);
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
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "%s%s must be a number", where, field);
    }

    v = item->valuedouble;

    if (!isfinite(v) || v < min || v > max
        || (integer && floor(v) != v))
    {
        return waav_err_set(err, 400, "INVALID_REQUEST",
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
        return waav_err_set(err, 400, "UNSUPPORTED_FORMAT",
                            "%s%s must be one of linear16, pcm, mulaw, ulaw, "
                            "alaw, mp3, wav, opus, ogg, flac, aac",
                            where, field);
    }

    return 0;
}


static int
waav_tts_parse_pron(waav_tts_req_t *req, const cJSON *list, waav_alloc_t *a,
    waav_err_t *err)
{
    const cJSON  *item;
    waav_pron_t  *p;
    size_t        n;
    int           rc;

    if (list == NULL || cJSON_IsNull(list)) {
        return 0;
    }

    if (!cJSON_IsArray(list)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "tts_config.pronunciations must be an array");
    }

    n = (size_t) cJSON_GetArraySize(list);

    if (n > WAAV_TTS_MAX_PRONUNCIATIONS) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "tts_config.pronunciations has more than %d entries",
                            WAAV_TTS_MAX_PRONUNCIATIONS);
    }

    if (n == 0) {
        return 0;
    }

    req->pron = waav_alloc(a, n * sizeof(waav_pron_t));
    if (req->pron == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    cJSON_ArrayForEach(item, list) {
        p = &req->pron[req->npron];
        memset(p, 0, sizeof(waav_pron_t));

        if (!cJSON_IsObject(item)) {
            return waav_err_set(err, 400, "INVALID_REQUEST",
                                "tts_config.pronunciations[] must be objects "
                                "{word, pronunciation}");
        }

        rc = waav_get_str(item, "word", "tts_config.pronunciations[].",
                          &p->word, a, err);
        if (rc < 0) {
            return rc;
        }

        if (rc == 0 || p->word.len == 0 || p->word.len > WAAV_TTS_MAX_IDENT
            || !waav_utf8_valid(p->word.data, p->word.len))
        {
            return waav_err_set(err, 400, "INVALID_REQUEST",
                                "tts_config.pronunciations[].word must be "
                                "1-256 bytes of UTF-8");
        }

        rc = waav_get_str(item, "pronunciation", "tts_config.pronunciations[].",
                          &p->pronunciation, a, err);
        if (rc < 0) {
            return rc;
        }

        if (rc == 0 || p->pronunciation.len > WAAV_TTS_MAX_IDENT
            || !waav_utf8_valid(p->pronunciation.data, p->pronunciation.len))
        {
            return waav_err_set(err, 400, "INVALID_REQUEST",
                                "tts_config.pronunciations[].pronunciation "
                                "must be a string of up to 256 bytes");
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
        if (!strchr(" \t\r\n\v\f", req->text.data[i])) {
            blank = 0;
            break;
        }
    }

    if (blank) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "Text cannot be empty");
    }

    if (req->text.len > WAAV_TTS_MAX_TEXT) {
        return waav_err_set(err, 400, "TEXT_TOO_LONG",
                            "Text too long: %zu bytes exceeds maximum %d bytes",
                            req->text.len, WAAV_TTS_MAX_TEXT);
    }

    if (!waav_utf8_valid(req->text.data, req->text.len)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "Text is not valid UTF-8");
    }

    return 0;
}


static int
waav_tts_parse_waav(waav_tts_req_t *req, const cJSON *root, waav_alloc_t *a,
    waav_err_t *err)
{
    const cJSON  *cfg;
    double        v;
    int           rc;

    rc = waav_get_str(root, "text", "", &req->text, a, err);
    if (rc < 0) {
        return rc;
    }

    if (rc == 0) {
        return waav_err_set(err, 400, "INVALID_REQUEST", "text is required");
    }

    cfg = cJSON_GetObjectItemCaseSensitive(root, "tts_config");

    if (cfg == NULL || cJSON_IsNull(cfg)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "tts_config is required");
    }

    if (!cJSON_IsObject(cfg)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "tts_config must be an object");
    }

    if (waav_tts_check_text(req, err) != 0) {
        return -1;
    }

    rc = waav_get_ident(cfg, "provider", "tts_config.", &req->provider, a, err);
    if (rc < 0) {
        return rc;
    }

    if (req->provider.len == 0) {
        return waav_err_set(err, 400, "INVALID_PROVIDER",
                            "tts_config.provider is required");
    }

    if (waav_get_ident(cfg, "model", "tts_config.", &req->model, a, err) < 0
        || waav_get_ident(cfg, "voice_id", "tts_config.", &req->voice, a, err)
           < 0)
    {
        return -1;
    }

    rc = waav_get_str(cfg, "audio_format", "tts_config.", &req->format_name,
                      a, err);
    if (rc < 0) {
        return rc;
    }

    if (rc > 0 && waav_tts_set_format(req, "tts_config.", "audio_format", err)
                  != 0)
    {
        return -1;
    }

    rc = waav_get_num(cfg, "sample_rate", "tts_config.", 8000, 48000, 1, &v,
                      err);
    if (rc < 0) {
        return rc;
    }

    if (rc > 0) {
        req->sample_rate = (unsigned) v;
    }

    rc = waav_get_num(cfg, "speaking_rate", "tts_config.", 0.25, 4.0, 0,
                      &req->speaking_rate, err);
    if (rc < 0) {
        return rc;
    }

    req->speaking_rate_set = rc;

    rc = waav_get_num(cfg, "connection_timeout", "tts_config.", 1, 300, 1, &v,
                      err);
    if (rc < 0) {
        return rc;
    }

    req->connection_timeout = rc ? (unsigned) v : 0;

    rc = waav_get_num(cfg, "request_timeout", "tts_config.", 1, 600, 1, &v,
                      err);
    if (rc < 0) {
        return rc;
    }

    req->request_timeout = rc ? (unsigned) v : 0;

    return waav_tts_parse_pron(req,
                   cJSON_GetObjectItemCaseSensitive(cfg, "pronunciations"),
                   a, err);
}


static int
waav_tts_parse_openai(waav_tts_req_t *req, const cJSON *root, waav_alloc_t *a,
    waav_err_t *err)
{
    const char  *slash;
    int          rc;

    rc = waav_get_str(root, "input", "", &req->text, a, err);
    if (rc < 0) {
        return rc;
    }

    if (rc == 0) {
        return waav_err_set(err, 400, "INVALID_REQUEST", "input is required");
    }

    if (waav_tts_check_text(req, err) != 0) {
        return -1;
    }

    rc = waav_get_str(root, "model", "", &req->model, a, err);
    if (rc < 0) {
        return rc;
    }

    if (req->model.len == 0) {
        return waav_err_set(err, 400, "INVALID_REQUEST", "model is required");
    }

    /* "provider/model" picks the provider */
    slash = memchr(req->model.data, '/', req->model.len);

    if (slash) {
        req->provider.data = req->model.data;
        req->provider.len = (size_t) (slash - req->model.data);
        req->model.len -= req->provider.len + 1;
        req->model.data = slash + 1;

        if (!waav_ident_valid(req->provider.data, req->provider.len)) {
            return waav_err_set(err, 400, "INVALID_PROVIDER",
                                "the provider part of model is not a valid "
                                "provider name");
        }
    }

    if (req->model.len && !waav_ident_valid(req->model.data, req->model.len)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "model must be 1-256 characters of A-Z a-z 0-9 "
                            ". _ - : @ + (after an optional provider/)");
    }

    if (waav_get_ident(root, "voice", "", &req->voice, a, err) < 0) {
        return -1;
    }

    rc = waav_get_str(root, "response_format", "", &req->format_name, a, err);
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

    rc = waav_get_str(root, "instructions", "", &req->instructions, a, err);
    if (rc < 0) {
        return rc;
    }

    if (req->instructions.len > WAAV_TTS_MAX_INSTRUCTIONS
        || !waav_utf8_valid(req->instructions.data, req->instructions.len))
    {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "instructions must be UTF-8 of up to %d bytes",
                            WAAV_TTS_MAX_INSTRUCTIONS);
    }

    return 0;
}


/*
 * cJSON turns "\u0000" into a NUL that silently ends the string ("a\u0000b"
 * would read as "a"): such bodies are refused instead.
 */
static int
waav_json_has_nul(const char *json, size_t len)
{
    size_t  i, slashes;

    for (i = 0; i + 6 <= len; i++) {
        if (json[i] != '\\' || memcmp(json + i + 1, "u0000", 5) != 0) {
            continue;
        }

        slashes = 0;

        while (slashes < i && json[i - 1 - slashes] == '\\') {
            slashes++;
        }

        if (slashes % 2 == 0) {
            return 1;
        }
    }

    return 0;
}


int
waav_tts_parse(waav_tts_req_t *req, waav_tts_shape_e shape, const char *json,
    size_t len, waav_alloc_t *a, waav_err_t *err)
{
    cJSON       *root;
    const char  *end;
    int          rc;

    memset(req, 0, sizeof(waav_tts_req_t));
    req->speaking_rate = 1.0;

    if (memchr(json, '\0', len) != NULL || waav_json_has_nul(json, len)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "JSON strings must not contain \\u0000");
    }

    end = NULL;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);

    if (root == NULL) {
        return waav_err_set(err, 400, "INVALID_JSON",
                            "Failed to parse the request body as JSON");
    }

    while (end && end < json + len && strchr(" \t\r\n", *end) && *end) {
        end++;
    }

    if (end == NULL || end != json + len) {
        cJSON_Delete(root);
        return waav_err_set(err, 400, "INVALID_JSON",
                            "Failed to parse the request body as JSON: "
                            "trailing characters");
    }

    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "the request body must be a JSON object");
    }

    rc = (shape == WAAV_TTS_SHAPE_OPENAI)
         ? waav_tts_parse_openai(req, root, a, err)
         : waav_tts_parse_waav(req, root, a, err);

    cJSON_Delete(root);

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
            return waav_err_set(err, 400, "TEXT_TOO_LONG",
                                "Text too long after pronunciations: %zu bytes",
                                n);
        }

        out = waav_alloc(a, n + 1);
        if (out == NULL) {
            return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
        }

        (void) waav_pron_apply(req->text.data, req->text.len, &req->pron[i],
                               out);
        out[n] = '\0';

        req->text.data = out;
        req->text.len = n;
    }

    return 0;
}


/* --- building ----------------------------------------------------------- */

int
waav_tts_build(const waav_tts_adapter_t *ad, waav_tts_req_t *req,
    waav_str_t key, waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err)
{
    size_t  i;
    int     known;

    memset(out, 0, sizeof(waav_http_req_t));

    if (req->model.len == 0 && ad->default_model) {
        req->model.data = ad->default_model;
        req->model.len = strlen(ad->default_model);
    }

    if (req->voice.len == 0) {
        if (ad->default_voice == NULL) {
            return waav_err_set(err, 400, "INVALID_REQUEST",
                                "a voice is required for %s (voice_id)",
                                ad->type);
        }

        req->voice.data = ad->default_voice;
        req->voice.len = strlen(ad->default_voice);
    }

    if (req->format == WAAV_FMT_NONE) {
        req->format = ad->default_format;
        req->format_name.data = waav_fmt_name(ad->default_format);
        req->format_name.len = strlen(req->format_name.data);
    }

    if (req->sample_rate) {
        known = 0;

        for (i = 0; i < sizeof(waav_sample_rates) / sizeof(unsigned); i++) {
            if (waav_sample_rates[i] == req->sample_rate) {
                known = 1;
            }
        }

        if (!known) {
            return waav_err_set(err, 400, "INVALID_REQUEST",
                                "sample_rate must be one of 8000, 16000, "
                                "22050, 24000, 32000, 44100, 48000");
        }
    }

    out->method = "POST";
    out->audio_format = req->format_name;
    out->content_type = waav_tts_content_type(req->format_name.data,
                                              req->format_name.len);

    return ad->build(ad, req, key, out, a, err);
}


int
waav_tts_body_begin(waav_jw_t *w, const waav_tts_req_t *req, waav_alloc_t *a,
    waav_err_t *err)
{
    size_t  cap;
    char   *buf;

    /* escaping grows a byte to at most 6 ("\u001f") */
    cap = 6 * (req->text.len + req->instructions.len + req->model.len
               + req->voice.len) + 1024;

    buf = waav_alloc(a, cap);
    if (buf == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    waav_jw_init(w, buf, cap);
    waav_jw_open(w, NULL);

    return 0;
}


int
waav_tts_body_end(waav_jw_t *w, waav_http_req_t *out, waav_err_t *err)
{
    waav_jw_close(w);

    if (w->overflow) {
        return waav_err_set(err, 500, "INTERNAL_ERROR",
                            "provider request body too large");
    }

    out->body.data = w->buf;
    out->body.len = w->len;

    return 0;
}


int
waav_http_json(waav_http_req_t *out, waav_err_t *err)
{
    return waav_http_add_header(out, "Content-Type", "application/json",
                                sizeof("application/json") - 1, err);
}


int
waav_tts_auth(waav_http_req_t *out, const char *name, const char *prefix,
    waav_str_t key, waav_alloc_t *a, waav_err_t *err)
{
    char    *v;
    size_t   len;

    v = waav_sprintf(a, &len, "%s%.*s", prefix, (int) key.len, key.data);
    if (v == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    return waav_http_add_header(out, name, v, len, err);
}


int
waav_rate_in(unsigned rate, const unsigned *list)
{
    for ( /* void */ ; *list; list++) {
        if (*list == rate) {
            return 1;
        }
    }

    return 0;
}


int
waav_tts_unsupported(waav_err_t *err, const char *type, const char *what)
{
    return waav_err_set(err, 400, "UNSUPPORTED_OPTION", "%s does not support %s",
                        type, what);
}
