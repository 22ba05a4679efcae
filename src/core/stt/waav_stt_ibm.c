/*
 * waav: IBM Watson Speech to Text (pre-recorded).
 *
 *   POST {stt base}/v1/recognize?model=en-US_Multimedia&timestamps=true
 *        &word_confidence=true[&smart_formatting=true]
 *        (stt base = https://api.<region>.speech-to-text.watson.cloud.ibm.com
 *                    /instances/<instance id>: the registry's streaming
 *                    host, IBM_WATSON_STT_BASE_URL, where IBM's WebSocket
 *                    recognition is too)
 *   Authorization: Bearer <IAM access token>    (the TTS adapter's exchange)
 *   Content-Type: audio/wav | audio/mp3 | audio/ogg | audio/webm |
 *                 audio/flac | audio/l16;rate=N;channels=C;
 *                 endianness=little-endian
 *   <the audio>
 *
 * Answer: {"result_index": 0, "results": [{"final": true, "alternatives":
 * [{"transcript": "hello world ", "confidence": 0.96, "timestamps":
 * [["hello", 0.0, 0.5], ...], "word_confidence": [["hello", 0.99], ...]}]}]}:
 * one result a phrase.  The transcript is the phrases' first alternatives
 * joined (each trimmed, one space between), the confidence their mean,
 * the words every phrase's timestamps (with word_confidence where it
 * names the same word), the duration the last word's end.  A language
 * without a model names IBM's model for it (fr-FR: fr-FR_Multimedia).
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_stt.h"
#include "waav_stt_normalize.h"


#define WAAV_IBM_MAX_PHRASES  4096


/* the audio's type as IBM names it; NULL: IBM takes none such */
static const char *
waav_stt_ibm_type(const waav_stt_req_t *req, waav_alloc_t *a)
{
    switch (req->audio.kind) {
    case WAAV_AUDIO_WAV:
        return "audio/wav";
    case WAAV_AUDIO_MP3:
        return "audio/mp3";
    case WAAV_AUDIO_OGG:
        return "audio/ogg";
    case WAAV_AUDIO_WEBM:
        return "audio/webm";
    case WAAV_AUDIO_FLAC:
        return "audio/flac";
    case WAAV_AUDIO_PCM:
        return waav_sprintf(a, NULL, "audio/l16;rate=%u;channels=%u;"
                            "endianness=little-endian", req->audio.rate,
                            req->audio.channels ? req->audio.channels : 1);
    default:
        return NULL;
    }
}


static int
waav_stt_ibm_build(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a,
    waav_err_t *err)
{
    size_t       n;
    waav_str_t   model, t;
    const char  *ct, *m;

    (void) suffix;

    model = req->model;

    /* the default model and a language: IBM's model for that language */
    if (req->language.len
        && (model.len == 0 || (model.len == strlen(ad->default_model)
                               && memcmp(model.data, ad->default_model,
                                         model.len) == 0)))
    {
        m = waav_sprintf(a, &n, "%.*s_Multimedia", (int) req->language.len,
                         req->language.data);
        if (m == NULL) {
            return waav_err_nomem(err);
        }

        model.data = m;
        model.len = n;

    } else if (model.len == 0) {
        model.data = ad->default_model;
        model.len = strlen(ad->default_model);
    }

    if (!waav_ident_valid(model.data, model.len)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "model is not an IBM Watson model name");
    }

    ct = waav_stt_ibm_type(req, a);

    if (ct == NULL) {
        return waav_err_set(err, 415, WAAV_E_UNSUPPORTED_MEDIA,
                            "ibm-watson does not take this audio type (use "
                            "wav, mp3, ogg, webm, flac or L16)");
    }

    t = (waav_str_t) waav_str_lit("true");

    if (waav_http_add_arg(out, "model", model, a, err) != 0
        || waav_http_add_arg(out, "timestamps", t, a, err) != 0
        || waav_http_add_arg(out, "word_confidence", t, a, err) != 0
        || (req->punctuate >= 0
            && waav_http_add_arg(out, "smart_formatting",
                                 req->punctuate
                                 ? t : (waav_str_t) waav_str_lit("false"),
                                 a, err)
               != 0))
    {
        return -1;
    }

    out->path = (waav_str_t) waav_str_lit("/v1/recognize");

    return waav_http_add_header(out, "Content-Type", ct, strlen(ct), err);
}


/* a phrase's words: timestamps [[word, start, end]] and, where it names
 * the same word, word_confidence [[word, confidence]] */
static void
waav_stt_ibm_words(waav_stt_result_t *res, const cJSON *result,
    const cJSON *alt)
{
    const cJSON      *ts, *wc, *it, *c;
    waav_stt_word_t  *w;
    int               i;

    (void) result;

    ts = cJSON_GetObjectItemCaseSensitive(alt, "timestamps");
    wc = cJSON_GetObjectItemCaseSensitive(alt, "word_confidence");

    if (!cJSON_IsArray(ts)) {
        return;
    }

    res->has_words = 1;
    i = 0;

    cJSON_ArrayForEach(it, ts) {
        w = &res->words[res->nwords];
        memset(w, 0, sizeof(waav_stt_word_t));

        if (cJSON_GetArraySize(it) != 3
            || !waav_stt_str(cJSON_GetArrayItem(it, 0), &w->word))
        {
            i++;
            continue;
        }

        w->has_start = waav_stt_num(cJSON_GetArrayItem(it, 1), &w->start);
        w->has_end = waav_stt_num(cJSON_GetArrayItem(it, 2), &w->end);

        c = cJSON_IsArray(wc) ? cJSON_GetArrayItem(wc, i) : NULL;

        if (cJSON_GetArraySize(c) == 2 && cJSON_IsString(c->child)
            && strcmp(c->child->valuestring, it->child->valuestring) == 0)
        {
            w->has_confidence = waav_stt_num(c->child->next, &w->confidence);
        }

        res->nwords++;
        i++;
    }
}


/* room for every phrase's timestamps; -1 for too many */
static int
waav_stt_ibm_count(const cJSON *results, size_t *words, size_t *text)
{
    size_t        n;
    const cJSON  *r, *alt, *tr;

    n = 0;
    *words = 0;
    *text = 0;

    cJSON_ArrayForEach(r, results) {
        if (++n > WAAV_IBM_MAX_PHRASES) {
            return -1;
        }

        alt = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                     r, "alternatives"), 0);
        tr = cJSON_GetObjectItemCaseSensitive(alt, "transcript");

        if (!cJSON_IsString(tr)) {
            return -1;
        }

        *text += strlen(tr->valuestring) + 1;
        *words += (size_t) cJSON_GetArraySize(
                      cJSON_GetObjectItemCaseSensitive(alt, "timestamps"));
    }

    return 0;
}


static int
waav_stt_ibm_normalize(const waav_stt_adapter_t *ad, const char *json,
    size_t len, const waav_stt_req_t *req, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    static const waav_stt_results_shape_t  shape = {
        .count = waav_stt_ibm_count,
        .result = waav_stt_ibm_words,
    };

    (void) ad;
    (void) req;

    return waav_stt_results_normalize(json, len, &shape, res, a, err);
}


extern const waav_cred_t  waav_ibm_cred;
extern const waav_cred_t  waav_ibm_basic_cred;


const waav_stt_adapter_t  waav_stt_ibm = {
    .type = "ibm-watson",
    .default_model = "en-US_Multimedia",
    .stream_host = 1,
    .cred = &waav_ibm_cred,
    /* a client's own key: HTTP Basic apikey:<key>, as on text to speech */
    .byok_cred = &waav_ibm_basic_cred,
    .build = waav_stt_ibm_build,
    .normalize = waav_stt_ibm_normalize,
};
