/*
 * waav: OpenAI speech to text, and the servers that speak its API: Groq
 * and any OpenAI-compatible one (speaches, LocalAI, ...).
 *
 *   POST {base}/audio/transcriptions
 *   Authorization: Bearer <key>       (compatible servers: only with a key)
 *   multipart/form-data: model, language, prompt, response_format
 *   (verbose_json; json for gpt-4o models, which have no timings),
 *   timestamp_granularities[]=word, temperature, file
 *
 * Answer: {"text", "language", "duration", "words": [{word, start, end}]}.
 */

#include <string.h>

#include "waav_stt.h"
#include "waav_stt_normalize.h"


static int
waav_stt_openai_build(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a, waav_err_t *err)
{
    int               verbose;
    waav_str_t        model;
    waav_stt_field_t  fields[6];

    model = req->model;

    if (model.len == 0) {
        model.data = ad->default_model;
        model.len = strlen(ad->default_model);
    }

    /* gpt-4o transcribe models answer json only, without timings */
    verbose = !(model.len >= 6 && memcmp(model.data, "gpt-4o", 6) == 0);

    fields[0] = (waav_stt_field_t) { "model", model };
    fields[1] = (waav_stt_field_t) { "language", req->language };
    fields[2] = (waav_stt_field_t) { "prompt", req->prompt };
    fields[3] = (waav_stt_field_t) { "response_format",
                  verbose ? (waav_str_t) waav_str_lit("verbose_json")
                          : (waav_str_t) waav_str_lit("json") };
    fields[4] = (waav_stt_field_t) { "timestamp_granularities[]",
                  (verbose && req->words) ? (waav_str_t) waav_str_lit("word")
                                          : (waav_str_t) { "", 0 } };
    fields[5] = (waav_stt_field_t) { "temperature", req->temperature };

    out->path.data = "/audio/transcriptions";
    out->path.len = sizeof("/audio/transcriptions") - 1;

    return waav_stt_form(req, fields, 6, out, suffix, a, err);
}


static int
waav_stt_openai_normalize(const waav_stt_adapter_t *ad, const char *json,
    size_t len, const waav_stt_req_t *req, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    static const waav_stt_text_shape_t  shape = {
        .language = "language",
        .words = { .word_key = "word" },
    };

    (void) ad;
    (void) req;

    return waav_stt_text_normalize(json, len, &shape, res, a, err);
}


/* a compatible server without a key gets no Authorization at all */
static const waav_cred_t  waav_openai_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Authorization",
    .prefix = "Bearer ",
};


const waav_stt_adapter_t  waav_stt_openai = {
    .type = "openai",
    .models = (const char *const []) { "whisper-1", "gpt-4o*", NULL },
    .default_model = "whisper-1",
    .multipart = 1,
    .ws_buffered = 1,
    .cred = &waav_openai_cred,
    .build = waav_stt_openai_build,
    .normalize = waav_stt_openai_normalize,
};


const waav_stt_adapter_t  waav_stt_groq = {
    .type = "groq",
    .models = (const char *const []) { "whisper-large-v3*",
                                       "distil-whisper*", NULL },
    .default_model = "whisper-large-v3-turbo",
    .multipart = 1,
    .ws_buffered = 1,
    .cred = &waav_openai_cred,
    .build = waav_stt_openai_build,
    .normalize = waav_stt_openai_normalize,
};


const waav_stt_adapter_t  waav_stt_openai_compatible = {
    .type = "openai-compatible",
    .default_model = "whisper-1",
    .multipart = 1,
    .ws_buffered = 1,
    .cred = &waav_openai_cred,
    .build = waav_stt_openai_build,
    .normalize = waav_stt_openai_normalize,
};
