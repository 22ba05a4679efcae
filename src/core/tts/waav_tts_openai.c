/*
 * waav: OpenAI text-to-speech, and any OpenAI-compatible server (Kokoro,
 * speaches, LocalAI, ...) reached by base URL.
 *
 *   POST {base}/audio/speech          (base = https://api.openai.com/v1)
 *   Authorization: Bearer <key>       (compatible servers: only with a key)
 *   {"model", "input", "voice", "response_format", "speed"?, "instructions"?}
 *
 * OpenAI synthesizes at 24 kHz; pcm is 16-bit little-endian mono, so pcm
 * at another rate is refused (the label would lie); the other formats
 * carry their rate, and any preferred sample_rate gets them.  speed is
 * sent only when it is not 1 (OpenAI's default).
 */

#include <string.h>

#include "waav_json.h"
#include "waav_jw.h"
#include "waav_tts.h"


static const unsigned  waav_openai_pcm_rates[] = { 24000, 0 };


static int
waav_openai_claims(const char *model, size_t len)
{
    return (len == 5 && memcmp(model, "tts-1", 5) == 0)
           || (len == 8 && memcmp(model, "tts-1-hd", 8) == 0)
           || (len >= 15 && memcmp(model, "gpt-4o-mini-tts", 15) == 0);
}


static int
waav_openai_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    double       speed;
    const char  *fmt;
    waav_jw_t    w;

    switch (req->format) {
    case WAAV_FMT_LINEAR16:
        fmt = "pcm";
        break;
    case WAAV_FMT_MP3:
        fmt = "mp3";
        break;
    case WAAV_FMT_WAV:
        fmt = "wav";
        break;
    case WAAV_FMT_OPUS:
        fmt = "opus";
        break;
    case WAAV_FMT_FLAC:
        fmt = "flac";
        break;
    case WAAV_FMT_AAC:
        fmt = "aac";
        break;
    default:
        return waav_tts_unsupported(err, ad->type, "this audio_format "
                                    "(use pcm, mp3, wav, opus, flac or aac)");
    }

    /* OpenAI's own limit, checked here rather than paid for */
    if (ad->claims_model && waav_utf8_chars(req->text.data, req->text.len)
                            > 4096)
    {
        return waav_err_set(err, 400, WAAV_E_TEXT_TOO_LONG,
                            "openai takes at most 4096 characters of text");
    }

    /* the rate is in the bytes of every format but pcm */
    if (req->format == WAAV_FMT_LINEAR16
        && waav_rate_exact(err, ad->type, "pcm", req->sample_rate
                                                 ? req->sample_rate : 24000,
                           waav_openai_pcm_rates)
           != 0)
    {
        return -1;
    }

    speed = waav_tts_speed(req, 0.25, 4.0, out);

    out->sample_rate = 24000;
    out->http.path.data = "/audio/speech";
    out->http.path.len = sizeof("/audio/speech") - 1;

    if (waav_http_json(&out->http, err) != 0) {
        return -1;
    }

    if (waav_tts_body_begin(&w, req, a, err) != 0) {
        return -1;
    }

    waav_jw_str(&w, "model", req->model.data, req->model.len);
    waav_jw_str(&w, "input", req->text.data, req->text.len);
    waav_jw_str(&w, "voice", req->voice.data, req->voice.len);
    waav_jw_cstr(&w, "response_format", fmt);

    if (speed != 1.0) {
        waav_jw_num(&w, "speed", speed);
    }

    if (req->instructions.len) {
        waav_jw_str(&w, "instructions", req->instructions.data,
                    req->instructions.len);
    }

    return waav_tts_body_end(&w, out, err);
}


/* a compatible server without a key gets no Authorization at all */
static const waav_cred_t  waav_openai_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Authorization",
    .prefix = "Bearer ",
};


extern const struct waav_voices_adapter_s  waav_voices_openai;


const waav_tts_adapter_t  waav_tts_openai = {
    .type = "openai",
    .default_model = "tts-1",
    .default_voice = "alloy",
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 24000,
    .cred = &waav_openai_cred,
    .names = waav_tts_openai_names,
    .claims_model = waav_openai_claims,
    .build = waav_openai_build,
    .media_types = (const char *const []) { "audio/*",
                                            "application/octet-stream",
                                            NULL },
    .voices = &waav_voices_openai,
};


/* same wire format; models and voices are the server's business */
const waav_tts_adapter_t  waav_tts_openai_compatible = {
    .type = "openai-compatible",
    .default_model = "tts-1",
    .default_voice = "alloy",
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 24000,
    .cred = &waav_openai_cred,
    .build = waav_openai_build,
    .media_types = (const char *const []) { "audio/*",
                                            "application/octet-stream",
                                            NULL },
};
