/*
 * waav: LMNT text-to-speech.
 *
 *   POST {base}/v1/ai/speech/bytes       (base = https://api.lmnt.com)
 *   X-API-Key: <key>
 *   {"voice", "text", "model", "format", "sample_rate"}
 *
 * LMNT's formats (docs.lmnt.com, "Generate speech"): pcm_s16le, wav, mp3,
 * aac (and pcm_f32le, webm, ulaw), at 8000, 16000 or 24000 Hz; raw PCM
 * takes the exact rate, the others the nearest.  Its ulaw comes inside a
 * WAV header and its webm is not Ogg: waav's mulaw and opus would be
 * mislabelled, so they are refused.  The current API has no speed (WaaV
 * sent one): speaking_rate is not honoured, and x-speaking-rate is not
 * sent.  At most 5000 characters of text.
 */

#include <string.h>

#include "waav_jw.h"
#include "waav_tts.h"


#define WAAV_LMNT_MAX_TEXT  5000


static const unsigned  waav_lmnt_rates[] = { 8000, 16000, 24000, 0 };


static int
waav_lmnt_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    unsigned     rate;
    waav_jw_t    w;
    const char  *format;

    switch (req->format) {
    case WAAV_FMT_LINEAR16:
        format = "pcm_s16le";
        break;
    case WAAV_FMT_WAV:
        format = "wav";
        break;
    case WAAV_FMT_MP3:
        format = "mp3";
        break;
    case WAAV_FMT_AAC:
        format = "aac";
        break;
    default:
        return waav_tts_unsupported(err, ad->type, "this audio_format "
                                    "(use linear16, wav, mp3 or aac)");
    }

    rate = req->sample_rate ? req->sample_rate : 24000;

    if (!waav_fmt_raw(req->format)) {
        rate = waav_rate_nearest(rate, waav_lmnt_rates);

    } else if (waav_rate_exact(err, ad->type, waav_fmt_name(req->format),
                               rate, waav_lmnt_rates)
               != 0)
    {
        return -1;
    }

    if (waav_tts_max_chars(req, ad->type, WAAV_LMNT_MAX_TEXT, err) != 0) {
        return -1;
    }

    out->sample_rate = rate;
    out->http.path.data = "/v1/ai/speech/bytes";
    out->http.path.len = sizeof("/v1/ai/speech/bytes") - 1;

    if (waav_http_json(&out->http, err) != 0
        || waav_tts_body_begin(&w, req, a, err) != 0)
    {
        return -1;
    }

    waav_jw_str(&w, "voice", req->voice.data, req->voice.len);
    waav_jw_str(&w, "text", req->text.data, req->text.len);
    waav_jw_str(&w, "model", req->model.data, req->model.len);
    waav_jw_cstr(&w, "format", format);
    waav_jw_int(&w, "sample_rate", (long) rate);

    return waav_tts_body_end(&w, out, err);
}


static const waav_cred_t  waav_lmnt_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "X-API-Key",
    .prefix = "",
};


extern const struct waav_voices_adapter_s  waav_voices_lmnt;


const waav_tts_adapter_t  waav_tts_lmnt = {
    .type = "lmnt",
    .default_model = "blizzard",
    .default_voice = "leah",        /* LMNT's own example voice */
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 24000,
    .cred = &waav_lmnt_cred,
    .build = waav_lmnt_build,
    .media_types = (const char *const []) { "audio/*",
                                            "application/octet-stream",
                                            NULL },
    .voices = &waav_voices_lmnt,
};
