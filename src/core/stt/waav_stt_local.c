/*
 * waav: `local` speech to text, by pocketsphinx inside nginx (see
 * src/ngx_http_waav_local_stt.c): no provider request.  build only checks
 * what the engine can take (16-bit PCM, as a WAV or headerless, English);
 * the engine's answer is OpenAI's verbose shape (src/core/local/
 * waav_sphinx.c), normalized as OpenAI's is.
 */

#include <string.h>
#include <strings.h>

#include "waav_stt.h"
#include "waav_stt_normalize.h"


static int
waav_stt_local_build(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a, waav_err_t *err)
{
    (void) ad;
    (void) suffix;
    (void) a;

    /* never sent: a built request's path, for those that check one */
    out->path.data = "/local";
    out->path.len = sizeof("/local") - 1;

    if (req->audio.kind != WAAV_AUDIO_WAV && req->audio.kind != WAAV_AUDIO_PCM)
    {
        return waav_err_set(err, 415, WAAV_E_UNSUPPORTED_MEDIA,
                            "local transcribes WAV or headerless 16-bit PCM "
                            "(audio/wav, audio/L16;rate=N)");
    }

    /* pocketsphinx's model here is US English */
    if (req->language.len
        && !(req->language.len >= 2
             && strncasecmp(req->language.data, "en", 2) == 0
             && (req->language.len == 2 || req->language.data[2] == '-')))
    {
        return waav_err_set(err, 400, WAAV_E_UNSUPPORTED_OPTION,
                            "local transcribes English only (language en)");
    }

    return 0;
}


static int
waav_stt_local_normalize(const waav_stt_adapter_t *ad, const char *json,
    size_t len, const waav_stt_req_t *req, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    static const waav_stt_text_shape_t  shape = {
        .language = "language",
        .words = { .word_key = "word", .confidence = 1 },
    };

    (void) ad;
    (void) req;

    return waav_stt_text_normalize(json, len, &shape, res, a, err);
}


const waav_stt_adapter_t  waav_stt_local = {
    .type = "local",
    .models = (const char *const []) { "pocketsphinx", NULL },
    .default_model = "pocketsphinx",
    .build = waav_stt_local_build,
    .normalize = waav_stt_local_normalize,
};
