/*
 * waav: speech-to-text requests and answers (see waav_stt.h).
 *
 * Adapters: deepgram (the audio as the body), openai / groq / any
 * OpenAI-compatible server and elevenlabs (the audio as a multipart "file"
 * part).  Wire facts: t/mock/README.md and ../shared/reference/providers.md.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "waav_json.h"
#include "waav_jw.h"
#include "waav_stt.h"


/* --- validation ------------------------------------------------------------ */

static int
waav_stt_chars_ok(waav_str_t s, const char *extra, size_t max)
{
    size_t  i;
    char    c;

    if (s.len > max) {
        return 0;
    }

    for (i = 0; i < s.len; i++) {
        c = s.data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || strchr(extra, c))
        {
            continue;
        }

        return 0;
    }

    return 1;
}


int
waav_stt_audio_type(waav_str_t ct, unsigned *rate, const char **ext)
{
    static const struct {
        const char  *type;
        const char  *ext;
    } types[] = {
        { "audio/wav", "wav" }, { "audio/x-wav", "wav" },
        { "audio/wave", "wav" }, { "audio/mpeg", "mp3" },
        { "audio/mp3", "mp3" }, { "audio/ogg", "ogg" },
        { "audio/webm", "webm" }, { "audio/flac", "flac" },
        { "audio/x-flac", "flac" }, { "audio/mp4", "m4a" },
        { "audio/m4a", "m4a" }, { "audio/l16", "pcm" },
    };

    size_t       i, n, tl;
    const char  *p, *end, *r;

    *rate = 0;
    *ext = NULL;

    /* it goes to the provider as a header or a part header: text only */
    for (i = 0; i < ct.len; i++) {
        if ((unsigned char) ct.data[i] < 0x20
            || (unsigned char) ct.data[i] >= 0x7f)
        {
            return 0;
        }
    }

    /* the media type, without parameters, case-insensitively */
    end = ct.data + ct.len;

    for (n = 0; n < ct.len && ct.data[n] != ';' && ct.data[n] != ' '; n++) {
        /* void */
    }

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        tl = strlen(types[i].type);

        if (tl == n && strncasecmp(ct.data, types[i].type, n) == 0) {
            *ext = types[i].ext;
            break;
        }
    }

    if (*ext == NULL) {
        return 0;
    }

    if (strcmp(*ext, "pcm") == 0) {
        /* headerless PCM needs its rate: audio/L16;rate=16000 */
        for (p = ct.data + n; p < end; p++) {
            if (end - p > 5 && strncasecmp(p, "rate=", 5) == 0) {
                for (r = p + 5; r < end && *r >= '0' && *r <= '9'; r++) {
                    *rate = *rate * 10 + (unsigned) (*r - '0');

                    if (*rate > 192000) {
                        return 0;
                    }
                }

                break;
            }
        }

        if (*rate < 8000) {
            return 0;
        }
    }

    return 1;
}


/* 0, 1, 0.2, 1.0: a decimal from 0 to 1, nothing else */
static int
waav_stt_temperature_ok(waav_str_t t)
{
    size_t  i, dot;

    if (t.len == 0 || t.len > 16) {
        return 0;
    }

    dot = t.len;

    for (i = 0; i < t.len; i++) {
        if (t.data[i] == '.' && dot == t.len && i > 0) {
            dot = i;
            continue;
        }

        if (t.data[i] < '0' || t.data[i] > '9') {
            return 0;
        }
    }

    if (dot == t.len - 1) {
        return 0;                       /* "1." */
    }

    if (dot != 1) {
        return 0;                       /* "10", "01.5" */
    }

    if (t.data[0] == '1') {
        for (i = 2; i < t.len; i++) {
            if (t.data[i] != '0') {
                return 0;               /* "1.5" */
            }
        }

        return 1;
    }

    return t.data[0] == '0';
}


int
waav_stt_validate(const waav_stt_req_t *req, waav_err_t *err)
{
    unsigned     rate;
    const char  *ext;

    if (req->model.len && !waav_ident_valid(req->model.data, req->model.len)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "model must be 1-256 characters of A-Z a-z 0-9 "
                            ". _ - : @ +");
    }

    if (!waav_stt_chars_ok(req->language, "-_", 16)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "language must be a language code such as en or "
                            "en-US");
    }

    if (!waav_stt_chars_ok(req->keywords, " ,:_-'", 1024)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "keywords must be up to 1024 characters of words, "
                            "spaces, commas and :boosts");
    }

    if (req->temperature.len && !waav_stt_temperature_ok(req->temperature)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "temperature must be a number from 0 to 1");
    }

    if (req->prompt.len > WAAV_STT_MAX_PROMPT
        || !waav_utf8_valid(req->prompt.data, req->prompt.len))
    {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "prompt must be UTF-8 of up to %d bytes",
                            WAAV_STT_MAX_PROMPT);
    }

    if (!waav_stt_audio_type(req->content_type, &rate, &ext)) {
        return waav_err_set(err, 415, "UNSUPPORTED_MEDIA_TYPE",
                            "Content-Type must be audio/wav, audio/x-wav, "
                            "audio/mpeg, audio/ogg, audio/webm, audio/flac, "
                            "audio/mp4 or audio/L16;rate=N");
    }

    return 0;
}


static uint32_t
waav_rd32(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}


int
waav_stt_wav_check(const unsigned char *head, size_t head_len, uint64_t total)
{
    size_t    off;
    uint32_t  size;

    if (head_len < 12 || memcmp(head, "RIFF", 4) != 0
        || memcmp(head + 8, "WAVE", 4) != 0)
    {
        return head_len < 12 ? 1 : 0;
    }

    /* RIFF's size counts everything after its first 8 bytes */
    if ((uint64_t) waav_rd32(head + 4) + 8 != total) {
        return -1;
    }

    /* the chunks: the data chunk must fit in the body */
    for (off = 12; off + 8 <= head_len; off += 8 + size + (size & 1)) {
        size = waav_rd32(head + off + 4);

        if (memcmp(head + off, "data", 4) == 0) {
            return (uint64_t) off + 8 + size <= total ? 0 : -1;
        }

        if ((uint64_t) off + 8 + size > total) {
            return -1;
        }
    }

    return 1;
}


void
waav_stt_boundary(char *out, size_t size, uint64_t seed)
{
    size_t         i;
    uint64_t       x;
    unsigned char  r[32];

    static const char  hex[] = "0123456789abcdef";

    /*
     * Random, so no client can put it in a field or the audio; xorshift
     * over the seed only if the system has no randomness to give.
     */
    if (RAND_bytes(r, sizeof(r)) != 1) {
        x = seed ? seed : 0x9e3779b97f4a7c15ULL;

        for (i = 0; i < sizeof(r); i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            r[i] = (unsigned char) x;
        }
    }

    snprintf(out, size, "waav-");

    for (i = 5; i + 1 < size && i < 5 + sizeof(r); i++) {
        out[i] = hex[r[i - 5] & 0xf];
    }

    out[i] = '\0';
}


/* --- multipart ------------------------------------------------------------- */

typedef struct {
    char    *buf;
    size_t   len;
    size_t   cap;
    int      overflow;
} waav_mp_t;


static void
waav_mp_add(waav_mp_t *m, const char *s, size_t len)
{
    if (m->overflow || len > m->cap - m->len) {
        m->overflow = 1;
        return;
    }

    memcpy(m->buf + m->len, s, len);
    m->len += len;
}


static void
waav_mp_cstr(waav_mp_t *m, const char *s)
{
    waav_mp_add(m, s, strlen(s));
}


static void
waav_mp_field(waav_mp_t *m, const char *boundary, const char *name,
    const char *value, size_t len)
{
    waav_mp_cstr(m, "--");
    waav_mp_cstr(m, boundary);
    waav_mp_cstr(m, "\r\nContent-Disposition: form-data; name=\"");
    waav_mp_add(m, name, strlen(name));
    waav_mp_cstr(m, "\"\r\n\r\n");
    waav_mp_add(m, value, len);
    waav_mp_cstr(m, "\r\n");
}


static void
waav_le(unsigned char *p, uint32_t v, int n)
{
    int  i;

    for (i = 0; i < n; i++) {
        p[i] = (unsigned char) (v >> (8 * i));
    }
}


/* RIFF/WAVE, PCM 16-bit little-endian mono at rate, len bytes of data */
static void
waav_stt_wav_header(waav_mp_t *m, uint64_t len, unsigned rate)
{
    unsigned char  h[44];
    uint32_t       n;

    n = len > 0xffffffd3 ? 0xffffffd3 : (uint32_t) len;

    memcpy(h, "RIFF", 4);
    waav_le(h + 4, 36 + n, 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    waav_le(h + 16, 16, 4);
    waav_le(h + 20, 1, 2);              /* PCM */
    waav_le(h + 22, 1, 2);              /* mono */
    waav_le(h + 24, rate, 4);
    waav_le(h + 28, rate * 2, 4);
    waav_le(h + 32, 2, 2);
    waav_le(h + 34, 16, 2);
    memcpy(h + 36, "data", 4);
    waav_le(h + 40, n, 4);

    waav_mp_add(m, (const char *) h, sizeof(h));
}


/* the parts before the audio, the file part's header, and the end */
static int
waav_stt_multipart(const waav_stt_req_t *req, const char *fields[][2],
    const waav_str_t *values, size_t n, waav_http_req_t *out,
    waav_str_t *suffix, waav_alloc_t *a, waav_err_t *err)
{
    size_t       i, cap;
    waav_mp_t    m;
    char         boundary[48], *ct;
    unsigned     rate;
    const char  *ext;

    (void) fields;

    waav_stt_boundary(boundary, sizeof(boundary),
                      (uint64_t) (uintptr_t) out ^ (uint64_t) req->prompt.len
                      ^ ((uint64_t) req->model.len << 32));

    cap = 1024 + req->prompt.len + req->content_type.len;

    for (i = 0; i < n; i++) {
        cap += 128 + values[i].len;
    }

    m.buf = waav_alloc(a, cap + 1);
    m.len = 0;
    m.cap = cap;
    m.overflow = 0;

    if (m.buf == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    for (i = 0; i < n; i++) {
        if (values[i].len) {
            waav_mp_field(&m, boundary, fields[i][0], values[i].data,
                          values[i].len);
        }
    }

    (void) waav_stt_audio_type(req->content_type, &rate, &ext);

    waav_mp_cstr(&m, "--");
    waav_mp_add(&m, boundary, strlen(boundary));
    waav_mp_cstr(&m, "\r\nContent-Disposition: form-data; name=\"file\"; "
                "filename=\"audio.");

    if (rate) {
        /* headerless PCM becomes a WAV: a 44-byte header before it */
        waav_mp_cstr(&m, "wav\"\r\nContent-Type: audio/wav\r\n\r\n");
        waav_stt_wav_header(&m, req->audio_len, rate);

    } else {
        waav_mp_add(&m, ext, strlen(ext));
        waav_mp_cstr(&m, "\"\r\nContent-Type: ");
        waav_mp_add(&m, req->content_type.data, req->content_type.len);
        waav_mp_cstr(&m, "\r\n\r\n");
    }

    if (m.overflow) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "multipart overflow");
    }

    m.buf[m.len] = '\0';              /* a string too, for logs and tests */
    out->body.data = m.buf;
    out->body.len = m.len;

    suffix->data = waav_sprintf(a, &suffix->len, "\r\n--%s--\r\n", boundary);
    ct = waav_sprintf(a, NULL, "multipart/form-data; boundary=%s", boundary);

    if (suffix->data == NULL || ct == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    return waav_http_add_header(out, "Content-Type", ct, strlen(ct), err);
}


/* --- deepgram ---------------------------------------------------------------- */

static int
waav_stt_deepgram_build(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_str_t key, waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a,
    waav_err_t *err)
{
    size_t       i, n;
    char        *args, *p;
    waav_str_t   model;
    int          nova3;
    unsigned     rate;
    const char  *ext;

    suffix->len = 0;
    model = req->model.len ? req->model
                           : (waav_str_t) { ad->default_model,
                                            strlen(ad->default_model) };
    nova3 = model.len >= 6 && memcmp(model.data, "nova-3", 6) == 0;

    /* keywords: each becomes keyterm= (nova-3) or keywords=, spaces %20 */
    n = 256 + model.len + req->language.len + 16 * req->keywords.len;
    args = waav_alloc(a, n);
    if (args == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    p = args;
    p += sprintf(p, "model=%.*s", (int) model.len, model.data);

    if (req->language.len) {
        p += sprintf(p, "&language=%.*s", (int) req->language.len,
                     req->language.data);

    } else {
        p += sprintf(p, "&detect_language=true");
    }

    /* headerless PCM: Deepgram must be told what it is */
    if (waav_stt_audio_type(req->content_type, &rate, &ext) && rate) {
        p += sprintf(p, "&encoding=linear16&sample_rate=%u&channels=1", rate);
    }

    if (req->punctuate >= 0) {
        p += sprintf(p, "&punctuate=%s", req->punctuate ? "true" : "false");
    }

    if (req->diarize >= 0) {
        p += sprintf(p, "&diarize=%s", req->diarize ? "true" : "false");
    }

    for (i = 0; i < req->keywords.len; /* void */ ) {
        while (i < req->keywords.len && req->keywords.data[i] == ',') {
            i++;
        }

        if (i == req->keywords.len) {
            break;
        }

        p += sprintf(p, "&%s=", nova3 ? "keyterm" : "keywords");

        while (i < req->keywords.len && req->keywords.data[i] != ',') {
            if (req->keywords.data[i] == ' ') {
                p += sprintf(p, "%%20");

            } else {
                *p++ = req->keywords.data[i];
            }

            i++;
        }
    }

    *p = '\0';

    out->method = "POST";
    out->path.data = "/v1/listen";
    out->path.len = sizeof("/v1/listen") - 1;
    out->args.data = args;
    out->args.len = (size_t) (p - args);

    if (waav_tts_auth(out, "Authorization", "Token ", key, a, err) != 0) {
        return -1;
    }

    return waav_http_add_header(out, "Content-Type", req->content_type.data,
                                req->content_type.len, err);
}


/* --- OpenAI and friends, ElevenLabs ----------------------------------------- */

static int
waav_stt_openai_build(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_str_t key, waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a,
    waav_err_t *err)
{
    int          verbose;
    waav_str_t   model, values[6];

    static const char  *fields[][2] = {
        { "model", NULL }, { "language", NULL }, { "prompt", NULL },
        { "response_format", NULL }, { "timestamp_granularities[]", NULL },
        { "temperature", NULL },
    };

    model = req->model.len ? req->model
                           : (waav_str_t) { ad->default_model,
                                            strlen(ad->default_model) };

    /* gpt-4o transcribe models answer json only, without timings */
    verbose = !(model.len >= 6 && memcmp(model.data, "gpt-4o", 6) == 0);

    values[0] = model;
    values[1] = req->language;
    values[2] = req->prompt;
    values[3] = verbose ? (waav_str_t) waav_str_lit("verbose_json")
                        : (waav_str_t) waav_str_lit("json");
    values[4] = (verbose && req->words) ? (waav_str_t) waav_str_lit("word")
                                        : (waav_str_t) { "", 0 };
    values[5] = req->temperature;

    out->method = "POST";
    out->path.data = "/audio/transcriptions";
    out->path.len = sizeof("/audio/transcriptions") - 1;

    if (key.len
        && waav_tts_auth(out, "Authorization", "Bearer ", key, a, err) != 0)
    {
        return -1;
    }

    return waav_stt_multipart(req, fields, values, 6, out, suffix, a, err);
}


static int
waav_stt_elevenlabs_build(const waav_stt_adapter_t *ad,
    const waav_stt_req_t *req, waav_str_t key, waav_http_req_t *out,
    waav_str_t *suffix, waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t  values[3];

    static const char  *fields[][2] = {
        { "model_id", NULL }, { "language_code", NULL }, { "diarize", NULL },
    };

    values[0] = req->model.len ? req->model
                               : (waav_str_t) { ad->default_model,
                                                strlen(ad->default_model) };
    values[1] = req->language;
    values[2] = req->diarize == 1 ? (waav_str_t) waav_str_lit("true")
                                  : (waav_str_t) { "", 0 };

    out->method = "POST";
    out->path.data = "/v1/speech-to-text";
    out->path.len = sizeof("/v1/speech-to-text") - 1;

    if (waav_tts_auth(out, "xi-api-key", "", key, a, err) != 0) {
        return -1;
    }

    return waav_stt_multipart(req, fields, values, 3, out, suffix, a, err);
}


/* --- answers ------------------------------------------------------------------ */

static int
waav_stt_bad(waav_err_t *err, waav_str_t provider, const char *what)
{
    return waav_err_set(err, 502, "PROVIDER_BAD_RESPONSE",
                        "Provider %.*s returned %s", (int) provider.len,
                        provider.data, what);
}


static const cJSON *
waav_stt_path(const cJSON *j, const char *a, const char *b)
{
    j = cJSON_GetObjectItemCaseSensitive(j, a);
    return (j && b) ? cJSON_GetObjectItemCaseSensitive(j, b) : j;
}


static int
waav_stt_num(const cJSON *j, double *v)
{
    if (cJSON_IsNumber(j) && isfinite(j->valuedouble)) {
        *v = j->valuedouble;
        return 1;
    }

    return 0;
}


/* the common tail: words array items, provider and model, then done */
typedef struct {
    const char  *transcript;
    const char  *language;
    double       confidence, duration;
    int          has_confidence, has_duration;
    const cJSON *words;             /* array */
    const char  *word_key;          /* "word", "punctuated_word", "text" */
    const char  *type_only;         /* only items whose type is this */
    int          word_confidence;
} waav_stt_answer_t;


static int
waav_stt_write(const waav_stt_answer_t *ans, const waav_stt_req_t *req,
    waav_str_t provider, const char *default_model, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err)
{
    size_t        cap;
    char         *buf;
    double        v;
    waav_jw_t     w;
    const cJSON  *item, *t, *word;

    cap = 1024 + 8 * strlen(ans->transcript)
          + (ans->words ? 256 * (size_t) cJSON_GetArraySize(ans->words) : 0);

    buf = waav_alloc(a, cap);
    if (buf == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    waav_jw_init(&w, buf, cap);
    waav_jw_open(&w, NULL);
    waav_jw_cstr(&w, "transcript", ans->transcript);

    if (ans->has_confidence) {
        waav_jw_num(&w, "confidence", ans->confidence);
    }

    if (ans->language && ans->language[0]) {
        waav_jw_cstr(&w, "language", ans->language);

    } else if (req->language.len) {
        waav_jw_str(&w, "language", req->language.data, req->language.len);
    }

    if (ans->has_duration) {
        waav_jw_num(&w, "duration", ans->duration);
    }

    if (cJSON_IsArray(ans->words)) {
        waav_jw_key_array(&w, "words");

        cJSON_ArrayForEach(item, ans->words) {
            if (ans->type_only) {
                t = cJSON_GetObjectItemCaseSensitive(item, "type");
                if (!cJSON_IsString(t)
                    || strcmp(t->valuestring, ans->type_only) != 0)
                {
                    continue;
                }
            }

            word = cJSON_GetObjectItemCaseSensitive(item, ans->word_key);
            if (!cJSON_IsString(word)) {
                word = cJSON_GetObjectItemCaseSensitive(item, "word");
            }

            if (!cJSON_IsString(word)) {
                continue;
            }

            waav_jw_open(&w, NULL);
            waav_jw_cstr(&w, "word", word->valuestring);

            if (waav_stt_num(cJSON_GetObjectItemCaseSensitive(item, "start"),
                             &v))
            {
                waav_jw_num(&w, "start", v);
            }

            if (waav_stt_num(cJSON_GetObjectItemCaseSensitive(item, "end"),
                             &v))
            {
                waav_jw_num(&w, "end", v);
            }

            if (ans->word_confidence
                && waav_stt_num(cJSON_GetObjectItemCaseSensitive(item,
                                                                 "confidence"),
                                &v))
            {
                waav_jw_num(&w, "confidence", v);
            }

            waav_jw_close(&w);
        }

        waav_jw_close_array(&w);
    }

    waav_jw_str(&w, "provider", provider.data, provider.len);

    if (req->model.len) {
        waav_jw_str(&w, "model", req->model.data, req->model.len);

    } else {
        waav_jw_cstr(&w, "model", default_model);
    }

    waav_jw_close(&w);

    if (w.overflow) {
        return waav_err_set(err, 502, "PROVIDER_BAD_RESPONSE",
                            "the provider's answer is too large");
    }

    out->data = w.buf;
    out->len = w.len;

    return 0;
}


static int
waav_stt_deepgram_normalize(const char *json, size_t len,
    const waav_stt_req_t *req, waav_str_t provider, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err)
{
    int                rc;
    cJSON             *root;
    const cJSON       *ch, *alt, *lang;
    waav_stt_answer_t  ans;

    root = cJSON_ParseWithLength(json, len);
    ch = cJSON_GetArrayItem(waav_stt_path(root, "results", "channels"), 0);
    alt = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ch,
                                                              "alternatives"),
                             0);

    if (root == NULL || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(alt,
                                                             "transcript")))
    {
        cJSON_Delete(root);
        return waav_stt_bad(err, provider, "an answer without a transcript");
    }

    memset(&ans, 0, sizeof(ans));
    ans.transcript = cJSON_GetObjectItemCaseSensitive(alt,
                                                      "transcript")->valuestring;
    ans.has_confidence = waav_stt_num(
        cJSON_GetObjectItemCaseSensitive(alt, "confidence"), &ans.confidence);
    ans.has_duration = waav_stt_num(waav_stt_path(root, "metadata", "duration"),
                                    &ans.duration);

    lang = cJSON_GetObjectItemCaseSensitive(ch, "detected_language");
    ans.language = cJSON_IsString(lang) ? lang->valuestring : NULL;

    ans.words = cJSON_GetObjectItemCaseSensitive(alt, "words");
    ans.word_key = (req->punctuate == 1) ? "punctuated_word" : "word";
    ans.word_confidence = 1;

    rc = waav_stt_write(&ans, req, provider, "nova-3", a, out, err);
    cJSON_Delete(root);

    return rc;
}


/* where the last timed item of a words array ends; 0: none */
static double
waav_stt_words_end(const cJSON *words)
{
    double        end;
    const cJSON  *w, *e;

    end = 0;

    cJSON_ArrayForEach(w, words) {
        e = cJSON_GetObjectItemCaseSensitive(w, "end");

        if (cJSON_IsNumber(e) && e->valuedouble > end
            && e->valuedouble < 1e7)
        {
            end = e->valuedouble;
        }
    }

    return end;
}


/* answers shaped {"text", language, "words"}: OpenAI's and ElevenLabs' */
typedef struct {
    const char  *language;          /* its key */
    const char  *word_key;
    const char  *type_only;         /* words of this "type" only, or NULL */
    const char  *model;             /* the default */
    int          words_duration;    /* no "duration": the last word's end */
} waav_stt_text_shape_t;


static int
waav_stt_text_normalize(const char *json, size_t len,
    const waav_stt_req_t *req, waav_str_t provider, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err, const waav_stt_text_shape_t *shape)
{
    int                rc;
    cJSON             *root;
    const cJSON       *text, *lang;
    waav_stt_answer_t  ans;

    root = cJSON_ParseWithLength(json, len);
    text = cJSON_GetObjectItemCaseSensitive(root, "text");

    if (!cJSON_IsString(text)) {
        cJSON_Delete(root);
        return waav_stt_bad(err, provider, "an answer without text");
    }

    memset(&ans, 0, sizeof(ans));
    ans.transcript = text->valuestring;

    lang = cJSON_GetObjectItemCaseSensitive(root, shape->language);
    ans.language = cJSON_IsString(lang) ? lang->valuestring : NULL;

    ans.words = cJSON_GetObjectItemCaseSensitive(root, "words");
    ans.word_key = shape->word_key;
    ans.type_only = shape->type_only;

    if (shape->words_duration) {
        /* ElevenLabs: where its last word (or space, or sound event) ends,
         * so quotas can be trued up from it */
        ans.duration = waav_stt_words_end(ans.words);
        ans.has_duration = ans.duration > 0;

    } else {
        ans.has_duration = waav_stt_num(
            cJSON_GetObjectItemCaseSensitive(root, "duration"), &ans.duration);
    }

    rc = waav_stt_write(&ans, req, provider, shape->model, a, out, err);
    cJSON_Delete(root);

    return rc;
}


static int
waav_stt_openai_normalize(const char *json, size_t len,
    const waav_stt_req_t *req, waav_str_t provider, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err)
{
    static const waav_stt_text_shape_t  shape = {
        "language", "word", NULL, "whisper-1", 0
    };

    return waav_stt_text_normalize(json, len, req, provider, a, out, err,
                                   &shape);
}


static int
waav_stt_elevenlabs_normalize(const char *json, size_t len,
    const waav_stt_req_t *req, waav_str_t provider, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err)
{
    static const waav_stt_text_shape_t  shape = {
        "language_code", "text", "word", "scribe_v1", 1
    };

    return waav_stt_text_normalize(json, len, req, provider, a, out, err,
                                   &shape);
}


/* --- AssemblyAI: upload, create, poll ------------------------------------ */

static int
waav_stt_aai_upload(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_str_t key, waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a,
    waav_err_t *err)
{
    (void) ad;
    (void) req;

    suffix->len = 0;
    out->method = "POST";
    out->path.data = "/v2/upload";
    out->path.len = sizeof("/v2/upload") - 1;

    if (waav_tts_auth(out, "Authorization", "", key, a, err) != 0) {
        return -1;
    }

    return waav_http_add_header(out, "Content-Type", "application/octet-stream",
                                sizeof("application/octet-stream") - 1, err);
}


int
waav_stt_aai_create(const waav_stt_req_t *req, waav_str_t key,
    waav_str_t upload_url, waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    size_t     i, cap;
    char      *buf, lang[17];
    waav_jw_t  w;

    out->method = "POST";
    out->path.data = "/v2/transcript";
    out->path.len = sizeof("/v2/transcript") - 1;

    if (waav_tts_auth(out, "Authorization", "", key, a, err) != 0
        || waav_http_json(out, err) != 0)
    {
        return -1;
    }

    cap = 512 + 6 * (upload_url.len + req->model.len);
    buf = waav_alloc(a, cap);
    if (buf == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    waav_jw_init(&w, buf, cap);
    waav_jw_open(&w, NULL);
    waav_jw_str(&w, "audio_url", upload_url.data, upload_url.len);

    if (req->model.len
        && !(req->model.len == 4 && memcmp(req->model.data, "best", 4) == 0))
    {
        waav_jw_str(&w, "speech_model", req->model.data, req->model.len);
    }

    /* AssemblyAI writes en_us where others write en-US */
    if (req->language.len && req->language.len < sizeof(lang)) {
        for (i = 0; i < req->language.len; i++) {
            lang[i] = (char) (req->language.data[i] == '-' ? '_'
                              : (req->language.data[i] | 0x20));
        }

        waav_jw_str(&w, "language_code", lang, req->language.len);
    }

    if (req->punctuate >= 0) {
        waav_jw_bool(&w, "punctuate", req->punctuate);
    }

    if (req->diarize >= 0) {
        waav_jw_bool(&w, "speaker_labels", req->diarize);
    }

    waav_jw_close(&w);

    if (w.overflow) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "request too large");
    }

    out->body.data = w.buf;
    out->body.len = w.len;

    return 0;
}


int
waav_stt_aai_poll(waav_str_t key, waav_str_t id, waav_http_req_t *out,
    waav_alloc_t *a, waav_err_t *err)
{
    if (!waav_ident_valid(id.data, id.len)) {
        return waav_err_set(err, 502, "PROVIDER_BAD_RESPONSE",
                            "assemblyai returned an invalid transcript id");
    }

    out->method = "GET";
    out->path.data = waav_sprintf(a, &out->path.len, "/v2/transcript/%.*s",
                                  (int) id.len, id.data);
    if (out->path.data == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    return waav_tts_auth(out, "Authorization", "", key, a, err);
}


static int
waav_stt_copy(const char *s, waav_alloc_t *a, waav_str_t *out)
{
    out->len = strlen(s);
    out->data = waav_alloc(a, out->len + 1);

    if (out->data == NULL) {
        return -1;
    }

    memcpy((char *) out->data, s, out->len + 1);

    return 0;
}


int
waav_stt_aai_upload_url(const char *json, size_t len, waav_str_t provider,
    waav_alloc_t *a, waav_str_t *url, waav_err_t *err)
{
    int           rc;
    cJSON        *root;
    const cJSON  *u;

    root = cJSON_ParseWithLength(json, len);
    u = cJSON_GetObjectItemCaseSensitive(root, "upload_url");

    if (!cJSON_IsString(u) || strlen(u->valuestring) > 2048
        || (strncmp(u->valuestring, "https://", 8) != 0
            && strncmp(u->valuestring, "http://", 7) != 0))
    {
        cJSON_Delete(root);
        return waav_stt_bad(err, provider, "an upload answer without a URL");
    }

    rc = waav_stt_copy(u->valuestring, a, url);
    cJSON_Delete(root);

    return rc == 0 ? 0 : waav_err_set(err, 500, "INTERNAL_ERROR",
                                      "out of memory");
}


int
waav_stt_aai_state(const char *json, size_t len, const waav_stt_req_t *req,
    waav_str_t provider, waav_alloc_t *a, waav_str_t *id, waav_str_t *out,
    waav_err_t *err)
{
    int                rc;
    cJSON             *root, *words, *item, *w;
    const cJSON       *st, *tid, *text, *lang, *e;
    double             v;
    waav_stt_answer_t  ans;

    root = cJSON_ParseWithLength(json, len);
    st = cJSON_GetObjectItemCaseSensitive(root, "status");
    tid = cJSON_GetObjectItemCaseSensitive(root, "id");

    if (!cJSON_IsString(st) || !cJSON_IsString(tid)) {
        cJSON_Delete(root);
        return waav_stt_bad(err, provider, "a transcript without status");
    }

    if (strcmp(st->valuestring, "queued") == 0
        || strcmp(st->valuestring, "processing") == 0)
    {
        rc = waav_stt_copy(tid->valuestring, a, id);
        cJSON_Delete(root);
        return rc == 0 ? 0 : waav_err_set(err, 500, "INTERNAL_ERROR",
                                          "out of memory");
    }

    if (strcmp(st->valuestring, "error") == 0) {
        e = cJSON_GetObjectItemCaseSensitive(root, "error");
        waav_err_set(err, 502, "PROVIDER_ERROR",
                     "Provider %.*s could not transcribe: %.200s",
                     (int) provider.len, provider.data,
                     cJSON_IsString(e) ? e->valuestring : "error");
        cJSON_Delete(root);
        return -1;
    }

    text = cJSON_GetObjectItemCaseSensitive(root, "text");

    if (strcmp(st->valuestring, "completed") != 0 || !cJSON_IsString(text)) {
        cJSON_Delete(root);
        return waav_stt_bad(err, provider, "a transcript in an unknown state");
    }

    memset(&ans, 0, sizeof(ans));
    ans.transcript = text->valuestring;
    ans.has_confidence = waav_stt_num(
        cJSON_GetObjectItemCaseSensitive(root, "confidence"), &ans.confidence);
    ans.has_duration = waav_stt_num(
        cJSON_GetObjectItemCaseSensitive(root, "audio_duration"),
        &ans.duration);

    lang = cJSON_GetObjectItemCaseSensitive(root, "language_code");
    ans.language = cJSON_IsString(lang) ? lang->valuestring : NULL;

    /* words in milliseconds: rewritten in seconds, as everyone else */
    words = cJSON_CreateArray();

    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(root, "words")) {
        w = cJSON_CreateObject();
        cJSON_AddItemToArray(words, w);

        if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(item, "text"))) {
            cJSON_AddStringToObject(w, "word",
                cJSON_GetObjectItemCaseSensitive(item, "text")->valuestring);
        }

        if (waav_stt_num(cJSON_GetObjectItemCaseSensitive(item, "start"), &v)) {
            cJSON_AddNumberToObject(w, "start", v / 1000);
        }

        if (waav_stt_num(cJSON_GetObjectItemCaseSensitive(item, "end"), &v)) {
            cJSON_AddNumberToObject(w, "end", v / 1000);
        }

        if (waav_stt_num(cJSON_GetObjectItemCaseSensitive(item, "confidence"),
                         &v))
        {
            cJSON_AddNumberToObject(w, "confidence", v);
        }
    }

    ans.words = words;
    ans.word_key = "word";
    ans.word_confidence = 1;

    rc = waav_stt_write(&ans, req, provider, "best", a, out, err);

    cJSON_Delete(words);
    cJSON_Delete(root);

    return rc == 0 ? 1 : -1;
}


static const waav_stt_adapter_t  waav_stt_adapters[] = {
    { "deepgram", "nova-3", 0, 0, waav_stt_deepgram_build,
      waav_stt_deepgram_normalize },
    { "openai", "whisper-1", 1, 0, waav_stt_openai_build,
      waav_stt_openai_normalize },
    { "groq", "whisper-large-v3-turbo", 1, 0, waav_stt_openai_build,
      waav_stt_openai_normalize },
    { "openai-compatible", "whisper-1", 1, 0, waav_stt_openai_build,
      waav_stt_openai_normalize },
    { "elevenlabs", "scribe_v1", 1, 0, waav_stt_elevenlabs_build,
      waav_stt_elevenlabs_normalize },
    { "assemblyai", "best", 0, 1, waav_stt_aai_upload, NULL },
};


const waav_stt_adapter_t *
waav_stt_adapter(const char *type, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(waav_stt_adapters) / sizeof(waav_stt_adapters[0]);
         i++)
    {
        if (strlen(waav_stt_adapters[i].type) == len
            && memcmp(waav_stt_adapters[i].type, type, len) == 0)
        {
            return &waav_stt_adapters[i];
        }
    }

    return NULL;
}


/* --- OpenAI's transcription shapes ------------------------------------------- */

waav_stt_fmt_e
waav_stt_fmt_parse(const char *s, size_t len)
{
    static const char  *names[] = {
        NULL, "json", "text", "verbose_json", "srt", "vtt"
    };
    size_t  i;

    if (len == 0) {
        return WAAV_STT_FMT_JSON;
    }

    for (i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
            return (waav_stt_fmt_e) i;
        }
    }

    return WAAV_STT_FMT_WAAV;
}


const char *
waav_stt_model_type(const char *m, size_t len)
{
#define waav_pre(p)  (len >= sizeof(p) - 1 && memcmp(m, p, sizeof(p) - 1) == 0)

    if (waav_pre("whisper-large-v3") || waav_pre("distil-whisper")) {
        return "groq";
    }

    if ((len == 9 && memcmp(m, "whisper-1", 9) == 0) || waav_pre("gpt-4o")) {
        return "openai";
    }

    if (waav_pre("nova") || waav_pre("enhanced") || waav_pre("base")) {
        return "deepgram";
    }

    if (waav_pre("scribe")) {
        return "elevenlabs";
    }

    if ((len == 4 && memcmp(m, "best", 4) == 0)
        || (len == 4 && memcmp(m, "nano", 4) == 0)
        || waav_pre("universal") || waav_pre("slam-1"))
    {
        return "assemblyai";
    }

#undef waav_pre

    return NULL;
}


const char *
waav_stt_ext_type(const char *filename)
{
    static const char  *map[][2] = {
        { "wav", "audio/wav" }, { "mp3", "audio/mpeg" },
        { "mpeg", "audio/mpeg" }, { "mpga", "audio/mpeg" },
        { "m4a", "audio/mp4" }, { "mp4", "audio/mp4" },
        { "ogg", "audio/ogg" }, { "oga", "audio/ogg" },
        { "opus", "audio/ogg" }, { "webm", "audio/webm" },
        { "flac", "audio/flac" },
    };
    const char  *dot;
    size_t       i;

    dot = strrchr(filename, '.');
    if (dot == NULL) {
        return NULL;
    }

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcasecmp(dot + 1, map[i][0]) == 0) {
            return map[i][1];
        }
    }

    return NULL;
}


/* 00:00:01,250 (srt) or 00:00:01.250 (vtt) */
static int
waav_stt_clock(char *buf, size_t size, double t, char sep)
{
    unsigned long  ms;

    /* 99:59:59.999 at most, the clock's widest */
    ms = (t > 0) ? (t < 359999.999 ? (unsigned long) (t * 1000 + 0.5)
                                   : 359999999UL)
                 : 0;

    return snprintf(buf, size, "%02lu:%02lu:%02lu%c%03lu", ms / 3600000,
                    ms / 60000 % 60, ms / 1000 % 60, sep, ms % 1000);
}


/*
 * head (the cue's timing lines), then the text and a newline; for WebVTT
 * &, < and > escaped, so the text is never markup and never holds "-->".
 */
static char *
waav_stt_cue_text(waav_alloc_t *a, const char *head, size_t head_len,
    const char *text, int vtt, size_t *len)
{
    char        *out, *p;
    size_t       n;
    const char  *s;

    n = head_len + 2;

    for (s = text; *s; s++) {
        n += (vtt && (*s == '&' || *s == '<' || *s == '>')) ? 5 : 1;
    }

    out = waav_alloc(a, n);
    if (out == NULL) {
        return NULL;
    }

    memcpy(out, head, head_len);
    p = out + head_len;

    for (s = text; *s; s++) {
        if (vtt && *s == '&') {
            memcpy(p, "&amp;", 5);
            p += 5;

        } else if (vtt && *s == '<') {
            memcpy(p, "&lt;", 4);
            p += 4;

        } else if (vtt && *s == '>') {
            memcpy(p, "&gt;", 4);
            p += 4;

        } else {
            *p++ = *s;
        }
    }

    *p++ = '\n';
    *p = '\0';
    *len = (size_t) (p - out);

    return out;
}


int
waav_stt_openai_answer(const char *json, size_t len, waav_stt_fmt_e fmt,
    int words, waav_alloc_t *a, waav_str_t *out, const char **content_type,
    waav_err_t *err)
{
    cJSON        *root, *o;
    const cJSON  *t, *lang, *dur, *ws, *item;
    double        end;
    char          from[32], to[32], *s;
    size_t        n;

    root = cJSON_ParseWithLength(json, len);
    t = cJSON_GetObjectItemCaseSensitive(root, "transcript");

    if (!cJSON_IsString(t)) {
        cJSON_Delete(root);
        return waav_err_set(err, 500, "INTERNAL_ERROR", "no transcript");
    }

    dur = cJSON_GetObjectItemCaseSensitive(root, "duration");
    end = cJSON_IsNumber(dur) ? dur->valuedouble : 0;

    /* no duration from the provider: the last word's end, if any */
    if (end <= 0) {
        end = waav_stt_words_end(cJSON_GetObjectItemCaseSensitive(root,
                                                                   "words"));
    }

    *content_type = "application/json";

    switch (fmt) {

    case WAAV_STT_FMT_TEXT:
        *content_type = "text/plain; charset=utf-8";
        s = waav_sprintf(a, &n, "%s\n", t->valuestring);
        break;

    case WAAV_STT_FMT_SRT:
    case WAAV_STT_FMT_VTT:
        /* one cue for the whole transcript: its timings, nothing invented;
         * a line break in it would end the cue early */
        for (s = t->valuestring; *s; s++) {
            if (*s == '\r' || *s == '\n') {
                *s = ' ';
            }
        }

        waav_stt_clock(from, sizeof(from), 0, fmt == WAAV_STT_FMT_SRT ? ',' : '.');
        waav_stt_clock(to, sizeof(to), end, fmt == WAAV_STT_FMT_SRT ? ',' : '.');
        *content_type = fmt == WAAV_STT_FMT_SRT ? "application/x-subrip"
                                               : "text/vtt";
        s = waav_sprintf(a, &n, "%s%s --> %s\n",
                         fmt == WAAV_STT_FMT_SRT ? "1\n" : "WEBVTT\n\n",
                         from, to);

        if (s != NULL) {
            s = waav_stt_cue_text(a, s, n, t->valuestring,
                                  fmt == WAAV_STT_FMT_VTT, &n);
        }

        break;

    default:
        o = cJSON_CreateObject();
        s = NULL;

        if (o == NULL) {
            break;
        }

        if (fmt == WAAV_STT_FMT_VERBOSE) {
            cJSON_AddStringToObject(o, "task", "transcribe");
            lang = cJSON_GetObjectItemCaseSensitive(root, "language");
            if (cJSON_IsString(lang)) {
                cJSON_AddStringToObject(o, "language", lang->valuestring);
            }
            if (cJSON_IsNumber(dur)) {
                cJSON_AddNumberToObject(o, "duration", dur->valuedouble);
            }
        }

        cJSON_AddStringToObject(o, "text", t->valuestring);

        ws = cJSON_GetObjectItemCaseSensitive(root, "words");

        if (fmt == WAAV_STT_FMT_VERBOSE && words && cJSON_IsArray(ws)) {
            cJSON  *arr = cJSON_AddArrayToObject(o, "words");

            cJSON_ArrayForEach(item, ws) {
                cJSON  *w = arr ? cJSON_CreateObject() : NULL;
                const cJSON  *x;

                if (w == NULL) {
                    break;
                }

                x = cJSON_GetObjectItemCaseSensitive(item, "word");
                if (cJSON_IsString(x)) {
                    cJSON_AddStringToObject(w, "word", x->valuestring);
                }
                x = cJSON_GetObjectItemCaseSensitive(item, "start");
                if (cJSON_IsNumber(x)) {
                    cJSON_AddNumberToObject(w, "start", x->valuedouble);
                }
                x = cJSON_GetObjectItemCaseSensitive(item, "end");
                if (cJSON_IsNumber(x)) {
                    cJSON_AddNumberToObject(w, "end", x->valuedouble);
                }

                cJSON_AddItemToArray(arr, w);
            }
        }

        {
            char  *p = cJSON_PrintUnformatted(o);

            if (p) {
                s = waav_sprintf(a, &n, "%s", p);
                cJSON_free(p);
            }
        }

        cJSON_Delete(o);
    }

    cJSON_Delete(root);

    if (s == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    out->data = s;
    out->len = n;

    return 0;
}


uint64_t
waav_stt_seconds(const unsigned char *head, size_t head_len,
    uint64_t audio_len, unsigned pcm_rate)
{
    uint64_t  rate;

    if (pcm_rate) {
        rate = (uint64_t) pcm_rate * 2;

    } else if (head_len >= 32 && memcmp(head, "RIFF", 4) == 0
               && memcmp(head + 8, "WAVE", 4) == 0
               && memcmp(head + 12, "fmt ", 4) == 0)
    {
        rate = waav_rd32(head + 28);        /* fmt's byte rate */
        audio_len = audio_len > 44 ? audio_len - 44 : 0;

        /*
         * A header cannot buy cheap seconds: at most 48 kHz stereo 16-bit
         * counts (higher rates are charged as if they were that, and the
         * provider's duration gives the rest back).
         */
        if (rate > 192000) {
            rate = 192000;
        }

    } else {
        rate = 16000;                       /* 128 kbit/s */
    }

    if (rate < 1000) {
        rate = 16000;                       /* a header that makes no sense */
    }

    audio_len = (audio_len + rate - 1) / rate;

    return audio_len ? audio_len : 1;
}


uint64_t
waav_stt_answer_seconds(const char *json, size_t len)
{
    cJSON         *root;
    const cJSON   *d;
    uint64_t       s;
    double         v;

    root = cJSON_ParseWithLength(json, len);
    d = cJSON_GetObjectItemCaseSensitive(root, "duration");

    /* a day at most: a provider cannot drain a budget by itself */
    s = 0;

    if (cJSON_IsNumber(d) && d->valuedouble > 0) {
        v = d->valuedouble > 86400 ? 86400 : d->valuedouble;
        s = (uint64_t) v;

        if ((double) s < v) {
            s++;
        }
    }

    cJSON_Delete(root);

    return s;
}
