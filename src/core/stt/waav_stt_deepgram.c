/*
 * waav: Deepgram speech to text (pre-recorded).
 *
 *   POST {base}/v1/listen?model=..&language=..|detect_language=true
 *        [&encoding=linear16&sample_rate=..&channels=..][&punctuate=..]
 *        [&diarize=..][&keyterm=..|&keywords=..]
 *   Authorization: Token <key>
 *   Content-Type: <the audio's, as waav validated it>
 *   <the audio>
 *
 * Answer: results.channels[0].alternatives[0]{transcript, confidence,
 * words[{word, punctuated_word, start, end, confidence}]},
 * metadata.duration, channels[0].detected_language.
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_buf.h"
#include "waav_stt.h"
#include "waav_stt_normalize.h"


/* keywords: each becomes keyterm= (nova-3) or keywords=, spaces %20 */
static void
waav_deepgram_keywords(waav_buf_t *b, waav_str_t kw, int nova3)
{
    size_t  i;

    for (i = 0; i < kw.len; /* void */ ) {
        while (i < kw.len && kw.data[i] == ',') {
            i++;
        }

        if (i == kw.len) {
            break;
        }

        waav_buf_cstr(b, nova3 ? "&keyterm=" : "&keywords=");

        for ( /* void */ ; i < kw.len && kw.data[i] != ','; i++) {
            if (kw.data[i] == ' ') {
                waav_buf_cstr(b, "%20");

            } else {
                waav_buf_byte(b, kw.data[i]);
            }
        }
    }
}


static int
waav_stt_deepgram_build(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a, waav_err_t *err)
{
    waav_buf_t   b;
    waav_str_t   model;
    const char  *ct;

    (void) suffix;

    model = req->model;

    if (model.len == 0) {
        model.data = ad->default_model;
        model.len = strlen(ad->default_model);
    }

    if (waav_buf_alloc(&b, 256 + model.len + req->language.len
                           + 16 * req->keywords.len, a, err)
        != 0)
    {
        return -1;
    }

    waav_buf_cstr(&b, "model=");
    waav_buf_str(&b, model);

    if (req->language.len) {
        waav_buf_cstr(&b, "&language=");
        waav_buf_str(&b, req->language);

    } else {
        waav_buf_cstr(&b, "&detect_language=true");
    }

    /* headerless PCM: Deepgram must be told what it is */
    if (req->audio.kind == WAAV_AUDIO_PCM) {
        waav_buf_cstr(&b, "&encoding=linear16&sample_rate=");
        waav_buf_uint(&b, req->audio.rate);
        waav_buf_cstr(&b, "&channels=");
        waav_buf_uint(&b, req->audio.channels);
    }

    if (req->punctuate >= 0) {
        waav_buf_cstr(&b, req->punctuate ? "&punctuate=true"
                                         : "&punctuate=false");
    }

    if (req->diarize >= 0) {
        waav_buf_cstr(&b, req->diarize ? "&diarize=true" : "&diarize=false");
    }

    waav_deepgram_keywords(&b, req->keywords,
                           model.len >= 6
                           && memcmp(model.data, "nova-3", 6) == 0);

    if (waav_buf_done(&b, &out->args) != 0) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL, "query too long");
    }

    out->path.data = "/v1/listen";
    out->path.len = sizeof("/v1/listen") - 1;

    ct = waav_audio_content_type(&req->audio, a);
    if (ct == NULL) {
        return waav_err_nomem(err);
    }

    return waav_http_add_header(out, "Content-Type", ct, strlen(ct), err);
}


static int
waav_stt_deepgram_normalize(const waav_stt_adapter_t *ad, const char *json,
    size_t len, const waav_stt_req_t *req, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    const cJSON           *root, *ch, *alt;
    waav_stt_words_opt_t   opt;

    (void) ad;

    root = waav_stt_parse(json, len, a);
    ch = cJSON_GetArrayItem(waav_stt_get(root, "results", "channels"), 0);
    alt = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ch,
                                                              "alternatives"),
                             0);

    if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(alt, "transcript"),
                      &res->transcript))
    {
        return waav_stt_bad(err, res->provider,
                            "an answer without a transcript");
    }

    res->has_confidence = waav_stt_num(
        cJSON_GetObjectItemCaseSensitive(alt, "confidence"), &res->confidence);
    res->has_duration = waav_stt_num(waav_stt_get(root, "metadata", "duration"),
                                     &res->duration);

    (void) waav_stt_str(cJSON_GetObjectItemCaseSensitive(ch,
                                                         "detected_language"),
                        &res->language);

    memset(&opt, 0, sizeof(opt));
    opt.word_key = (req->punctuate == 1) ? "punctuated_word" : "word";
    opt.confidence = 1;

    return waav_stt_words(res, cJSON_GetObjectItemCaseSensitive(alt, "words"),
                          &opt, a, err);
}


static const waav_cred_t  waav_deepgram_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Authorization",
    .prefix = "Token ",
};


const waav_stt_adapter_t  waav_stt_deepgram = {
    .type = "deepgram",
    .models = (const char *const []) { "nova*", "enhanced*", "base*", NULL },
    .default_model = "nova-3",
    .cred = &waav_deepgram_cred,
    .build = waav_stt_deepgram_build,
    .normalize = waav_stt_deepgram_normalize,
};
