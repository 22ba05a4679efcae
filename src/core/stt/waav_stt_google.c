/*
 * waav: Google Cloud Speech-to-Text (pre-recorded, synchronous).
 *
 *   POST {stt base}/v1/speech:recognize
 *        (stt base = https://speech.googleapis.com: the registry's
 *                    streaming host, GOOGLE_STT_BASE_URL; the TTS host is
 *                    another)
 *   X-Goog-Api-Key: <key>  |  Authorization: Bearer <OAuth2 access token>
 *                             (a service account's, waav_google_sa.h)
 *   Content-Type: application/json
 *   {"config": {"encoding", "sampleRateHertz", "audioChannelCount",
 *               "languageCode", "model", "enableAutomaticPunctuation",
 *               "enableWordTimeOffsets", "enableWordConfidence",
 *               "speechContexts": [{"phrases"}]},
 *    "audio": {"content": "<the audio, base64>"}}
 *
 * build() writes the JSON up to the content's opening quote and the suffix
 * after it; the glue puts the audio in between, base64-encoded (the
 * adapter's base64 flag).  WAV and FLAC name their encoding in their
 * header (none is sent: Google reads it); headerless PCM is LINEAR16 at
 * its rate and channels; Ogg and WebM are Opus at 48 kHz (Opus decodes
 * at that rate).  Google takes at most 10 MB a request and a minute of
 * audio: a larger body (413 PAYLOAD_TOO_LARGE) and audio over a minute
 * (413 AUDIO_TOO_LONG, the adapter's max_seconds: exact for WAV and
 * headerless PCM, estimated for compressed audio) are refused before any
 * call.
 *
 * Answer: {"results": [{"alternatives": [{"transcript", "confidence",
 * "words": [{"startTime": "1.500s", "endTime", "word", "confidence"}]}],
 * "resultEndTime": "2.500s", "languageCode": "en-us"}], "totalBilledTime",
 * "requestId"}: one result a stretch of speech, none at all for silence.
 * The transcript is the results' first alternatives joined, the
 * confidence their mean, the words every result's, the duration the last
 * result's end.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_base64.h"
#include "waav_google_sa.h"
#include "waav_jw.h"
#include "waav_stt.h"
#include "waav_stt_normalize.h"


#define WAAV_GOOGLE_STT_MAX_BODY   (10 * 1024 * 1024)  /* Google's sync */
#define WAAV_GOOGLE_STT_MAX_SEC    60                  /* Google's sync */
#define WAAV_GOOGLE_STT_CONFIG     4096    /* the JSON around the audio */
#define WAAV_GOOGLE_STT_MAX_RESULTS  4096


/* the encoding and rate Google is told; enc NULL: the header says */
static int
waav_stt_google_encoding(const waav_stt_adapter_t *ad,
    const waav_stt_req_t *req, const char **enc, unsigned *rate,
    waav_err_t *err)
{
    *enc = NULL;
    *rate = 0;

    switch (req->audio.kind) {
    case WAAV_AUDIO_WAV:
    case WAAV_AUDIO_FLAC:
        return 0;
    case WAAV_AUDIO_PCM:
        *enc = "LINEAR16";
        *rate = req->audio.rate;
        return 0;
    case WAAV_AUDIO_OGG:
        *enc = "OGG_OPUS";
        *rate = 48000;
        return 0;
    case WAAV_AUDIO_WEBM:
        *enc = "WEBM_OPUS";
        *rate = 48000;
        return 0;
    default:
        return waav_err_set(err, 415, WAAV_E_UNSUPPORTED_MEDIA,
                            "%s does not take this audio type (use wav, "
                            "flac, ogg or webm with Opus, or L16)",
                            ad->type);
    }
}


/* Google's synchronous limits, before any call */
static int
waav_stt_google_limits(const waav_stt_adapter_t *ad,
    const waav_stt_req_t *req, waav_err_t *err)
{
    if (WAAV_BASE64_LEN(req->audio_len) + WAAV_GOOGLE_STT_CONFIG
        > WAAV_GOOGLE_STT_MAX_BODY)
    {
        return waav_err_set(err, 413, "PAYLOAD_TOO_LARGE",
                            "%s transcribes at most 10 MB a request (about "
                            "7.5 MB of audio, base64-encoded)", ad->type);
    }

    return 0;
}


/* keywords, comma-separated: {"phrases": [...]} */
static void
waav_stt_google_phrases(waav_jw_t *w, waav_str_t kw)
{
    size_t       n;
    const char  *p, *end, *comma;

    waav_jw_key_array(w, "speechContexts");
    waav_jw_open(w, NULL);
    waav_jw_key_array(w, "phrases");

    p = kw.data;
    end = kw.data + kw.len;

    while (p < end) {
        comma = memchr(p, ',', (size_t) (end - p));
        n = (size_t) ((comma ? comma : end) - p);

        while (n && p[0] == ' ') {
            p++;
            n--;
        }

        while (n && p[n - 1] == ' ') {
            n--;
        }

        if (n) {
            waav_jw_str(w, NULL, p, n);
        }

        p = comma ? comma + 1 : end;
    }

    waav_jw_close_array(w);
    waav_jw_close(w);
    waav_jw_close_array(w);
}


static int
waav_stt_google_build(const waav_stt_adapter_t *ad,
    const waav_stt_req_t *req, waav_http_req_t *out, waav_str_t *suffix,
    waav_alloc_t *a, waav_err_t *err)
{
    unsigned     rate;
    waav_jw_t    w;
    waav_str_t   model, lang;
    const char  *enc;

    if (waav_stt_google_limits(ad, req, err) != 0
        || waav_stt_google_encoding(ad, req, &enc, &rate, err) != 0)
    {
        return -1;
    }

    model = req->model;

    if (model.len == 0) {
        model.data = ad->default_model;
        model.len = strlen(ad->default_model);
    }

    lang = req->language;

    if (lang.len == 0) {
        lang = (waav_str_t) waav_str_lit("en-US");
    }

    if (!waav_ident_valid(model.data, model.len)
        || !waav_ident_valid(lang.data, lang.len))
    {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "model and language must be Google names "
                            "(latest_long, en-US)");
    }

    if (waav_jw_alloc(&w, WAAV_GOOGLE_STT_CONFIG + 8 * req->keywords.len,
                      a, err)
        != 0)
    {
        return -1;
    }

    waav_jw_open(&w, NULL);
    waav_jw_open(&w, "config");

    if (enc) {
        waav_jw_cstr(&w, "encoding", enc);
        waav_jw_int(&w, "sampleRateHertz", (long) rate);
    }

    if (req->audio.kind == WAAV_AUDIO_PCM && req->audio.channels > 1) {
        waav_jw_int(&w, "audioChannelCount", (long) req->audio.channels);
    }

    waav_jw_str(&w, "languageCode", lang.data, lang.len);
    waav_jw_str(&w, "model", model.data, model.len);
    waav_jw_bool(&w, "enableAutomaticPunctuation", req->punctuate != 0);
    waav_jw_bool(&w, "enableWordTimeOffsets", req->words != 0);
    waav_jw_bool(&w, "enableWordConfidence", req->words != 0);

    if (req->keywords.len) {
        waav_stt_google_phrases(&w, req->keywords);
    }

    waav_jw_close(&w);

    /* the audio follows, base64, then the suffix */
    waav_buf_cstr(&w.b, ",\"audio\":{\"content\":\"");

    if (waav_jw_done(&w, &out->body) != 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "the request's options are too long");
    }

    *suffix = (waav_str_t) waav_str_lit("\"}}");
    out->path = (waav_str_t) waav_str_lit("/v1/speech:recognize");

    return waav_http_json(out, err);
}


/* Google's duration: "1.500s", "2s"; 1 with the seconds */
static int
waav_stt_google_time(const cJSON *j, double *v)
{
    char  *end;

    if (!cJSON_IsString(j) || j->valuestring[0] < '0'
        || j->valuestring[0] > '9')
    {
        return 0;
    }

    *v = strtod(j->valuestring, &end);

    return end[0] == 's' && end[1] == '\0' && isfinite(*v);
}


/* a result's words, its language and where it ends */
static void
waav_stt_google_result(waav_stt_result_t *res, const cJSON *result,
    const cJSON *alt)
{
    double            end;
    const cJSON      *words, *it;
    waav_stt_word_t  *w;

    if (res->language.len == 0) {
        (void) waav_stt_str(cJSON_GetObjectItemCaseSensitive(
                                result, "languageCode"), &res->language);
    }

    if (waav_stt_google_time(cJSON_GetObjectItemCaseSensitive(
                                 result, "resultEndTime"), &end))
    {
        res->has_duration = 1;
        res->duration = end;
    }

    words = cJSON_GetObjectItemCaseSensitive(alt, "words");

    if (!cJSON_IsArray(words)) {
        return;
    }

    res->has_words = 1;

    cJSON_ArrayForEach(it, words) {
        w = &res->words[res->nwords];
        memset(w, 0, sizeof(waav_stt_word_t));

        if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(it, "word"),
                          &w->word))
        {
            continue;
        }

        w->has_start = waav_stt_google_time(
                           cJSON_GetObjectItemCaseSensitive(it, "startTime"),
                           &w->start);
        w->has_end = waav_stt_google_time(
                         cJSON_GetObjectItemCaseSensitive(it, "endTime"),
                         &w->end);
        w->has_confidence = waav_stt_num(
                                cJSON_GetObjectItemCaseSensitive(
                                    it, "confidence"), &w->confidence);
        res->nwords++;
    }
}


/* the first alternative of each result; room for their text and words,
 * -1 for a shape that is none of Google's */
static int
waav_stt_google_count(const cJSON *results, size_t *words, size_t *text)
{
    size_t        n;
    const cJSON  *r, *alt, *tr;

    n = 0;
    *words = 0;
    *text = 0;

    cJSON_ArrayForEach(r, results) {
        if (++n > WAAV_GOOGLE_STT_MAX_RESULTS || !cJSON_IsObject(r)) {
            return -1;
        }

        alt = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                     r, "alternatives"), 0);
        tr = cJSON_GetObjectItemCaseSensitive(alt, "transcript");

        if (cJSON_IsString(tr)) {
            *text += strlen(tr->valuestring) + 1;
        }

        *words += (size_t) cJSON_GetArraySize(
                      cJSON_GetObjectItemCaseSensitive(alt, "words"));
    }

    return 0;
}


static int
waav_stt_google_normalize(const waav_stt_adapter_t *ad, const char *json,
    size_t len, const waav_stt_req_t *req, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    /* silence: no results at all */
    static const waav_stt_results_shape_t  shape = {
        .count = waav_stt_google_count,
        .result = waav_stt_google_result,
        .results_optional = 1,
    };

    (void) ad;
    (void) req;

    return waav_stt_results_normalize(json, len, &shape, res, a, err);
}


const waav_stt_adapter_t  waav_stt_google = {
    .type = "google",
    .default_model = "latest_long",
    .base64 = 1,
    .stream_host = 1,
    /* synchronous recognition: a minute (waav_stt_fits) */
    .max_seconds = WAAV_GOOGLE_STT_MAX_SEC,
    .cred = &waav_google_cred,
    /* a client's own key is an API key, as on text to speech */
    .byok_cred = &waav_google_key_cred,
    .build = waav_stt_google_build,
    .normalize = waav_stt_google_normalize,
};
