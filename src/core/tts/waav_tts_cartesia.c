/*
 * waav: Cartesia text-to-speech.
 *
 *   POST {base}/tts/bytes
 *   Authorization: Bearer <key>
 *   Cartesia-Version: 2025-04-16
 *   {"model_id", "transcript", "voice": {"mode": "id", "id"},
 *    "output_format": {"container", "encoding", "sample_rate"[, "bit_rate"]},
 *    "language": "en"}
 *
 * Cartesia has no default voice: the client names one (WaaV sends "").
 * wav and mp3 take the nearest of Cartesia's rates to the client's; raw
 * formats only an exact one.  speaking_rate is generation_config.speed,
 * clamped to 0.6-1.5 and sent only when it is not 1 (sonic-3 and later
 * honour it; sonic-2 ignores it).
 */

#include <string.h>

#include "waav_jw.h"
#include "waav_tts.h"


static const unsigned  waav_cartesia_rates[] = {
    8000, 16000, 22050, 24000, 44100, 48000, 0
};


static int
waav_cartesia_claims(const char *model, size_t len)
{
    return len >= 5 && memcmp(model, "sonic", 5) == 0;
}


static int
waav_cartesia_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    double       speed;
    const char  *container, *encoding;
    unsigned     rate;
    waav_jw_t    w;

    rate = req->sample_rate;
    encoding = NULL;

    switch (req->format) {
    case WAAV_FMT_LINEAR16:
        container = "raw";
        encoding = "pcm_s16le";
        break;
    case WAAV_FMT_WAV:
        container = "wav";
        encoding = "pcm_s16le";
        break;
    case WAAV_FMT_MULAW:
        container = "raw";
        encoding = "pcm_mulaw";
        rate = rate ? rate : 8000;
        break;
    case WAAV_FMT_ALAW:
        container = "raw";
        encoding = "pcm_alaw";
        rate = rate ? rate : 8000;
        break;
    case WAAV_FMT_MP3:
        container = "mp3";
        rate = rate ? rate : 44100;
        break;
    default:
        return waav_tts_unsupported(err, ad->type, "this audio_format "
                                    "(use linear16, wav, mulaw, alaw or mp3)");
    }

    rate = rate ? rate : 24000;

    if (!waav_fmt_raw(req->format)) {
        rate = waav_rate_nearest(rate, waav_cartesia_rates);

    } else if (waav_rate_exact(err, ad->type, waav_fmt_name(req->format),
                               rate, waav_cartesia_rates)
               != 0)
    {
        return -1;
    }

    speed = waav_tts_speed(req, 0.6, 1.5, out);

    out->sample_rate = rate;
    out->http.path.data = "/tts/bytes";
    out->http.path.len = sizeof("/tts/bytes") - 1;

    if (waav_http_add_header(&out->http, "Cartesia-Version", "2025-04-16",
                             sizeof("2025-04-16") - 1, err) != 0
        || waav_http_json(&out->http, err) != 0)
    {
        return -1;
    }

    if (waav_tts_body_begin(&w, req, a, err) != 0) {
        return -1;
    }

    waav_jw_str(&w, "model_id", req->model.data, req->model.len);
    waav_jw_str(&w, "transcript", req->text.data, req->text.len);

    waav_jw_open(&w, "voice");
    waav_jw_cstr(&w, "mode", "id");
    waav_jw_str(&w, "id", req->voice.data, req->voice.len);
    waav_jw_close(&w);

    waav_jw_open(&w, "output_format");
    waav_jw_cstr(&w, "container", container);

    if (encoding) {
        waav_jw_cstr(&w, "encoding", encoding);
    }

    waav_jw_int(&w, "sample_rate", (long) rate);

    if (req->format == WAAV_FMT_MP3) {
        waav_jw_int(&w, "bit_rate", 128000);
    }

    waav_jw_close(&w);

    waav_jw_cstr(&w, "language", "en");

    if (speed != 1.0) {
        waav_jw_open(&w, "generation_config");
        waav_jw_num(&w, "speed", speed);
        waav_jw_close(&w);
    }

    return waav_tts_body_end(&w, out, err);
}


static const waav_cred_t  waav_cartesia_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Authorization",
    .prefix = "Bearer ",
};


extern const struct waav_voices_adapter_s  waav_voices_cartesia;


const waav_tts_adapter_t  waav_tts_cartesia = {
    .type = "cartesia",
    .default_model = "sonic-2",
    .default_voice = NULL,          /* the client names one */
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 24000,
    .cred = &waav_cartesia_cred,
    .claims_model = waav_cartesia_claims,
    .build = waav_cartesia_build,
    .media_types = (const char *const []) { "audio/*",
                                            "application/octet-stream",
                                            NULL },
    .voices = &waav_voices_cartesia,
};
