/*
 * waav: ElevenLabs speech to text.
 *
 *   POST {base}/v1/speech-to-text
 *   xi-api-key: <key>
 *   multipart/form-data: model_id, language_code, diarize, file
 *
 * Answer: {"text", "language_code", "words": [{text, start, end, type}]}
 * with spacing and audio events among the words (only type "word" kept);
 * no duration: where the last item ends stands for it.
 */

#include <string.h>

#include "waav_stt.h"
#include "waav_stt_normalize.h"


static int
waav_stt_elevenlabs_build(const waav_stt_adapter_t *ad,
    const waav_stt_req_t *req, waav_http_req_t *out, waav_str_t *suffix,
    waav_alloc_t *a, waav_err_t *err)
{
    waav_stt_field_t  fields[3];

    fields[0] = (waav_stt_field_t) { "model_id", req->model };
    fields[1] = (waav_stt_field_t) { "language_code", req->language };
    fields[2] = (waav_stt_field_t) { "diarize",
                  req->diarize == 1 ? (waav_str_t) waav_str_lit("true")
                                    : (waav_str_t) { "", 0 } };

    if (fields[0].value.len == 0) {
        fields[0].value.data = ad->default_model;
        fields[0].value.len = strlen(ad->default_model);
    }

    out->path.data = "/v1/speech-to-text";
    out->path.len = sizeof("/v1/speech-to-text") - 1;

    return waav_stt_form(req, fields, 3, out, suffix, a, err);
}


static int
waav_stt_elevenlabs_normalize(const waav_stt_adapter_t *ad, const char *json,
    size_t len, const waav_stt_req_t *req, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    static const waav_stt_text_shape_t  shape = {
        .language = "language_code",
        .words = { .word_key = "text", .type_only = "word" },
        .words_duration = 1,
    };

    (void) ad;
    (void) req;

    return waav_stt_text_normalize(json, len, &shape, res, a, err);
}


static const waav_cred_t  waav_elevenlabs_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "xi-api-key",
    .prefix = "",
};


const waav_stt_adapter_t  waav_stt_elevenlabs = {
    .type = "elevenlabs",
    .models = (const char *const []) { "scribe*", NULL },
    .default_model = "scribe_v1",
    .multipart = 1,
    .cred = &waav_elevenlabs_cred,
    .build = waav_stt_elevenlabs_build,
    .normalize = waav_stt_elevenlabs_normalize,
};
