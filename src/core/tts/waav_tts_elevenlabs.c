/*
 * waav: ElevenLabs text-to-speech.
 *
 *   POST {base}/v1/text-to-speech/<voice_id>/stream?output_format=<fmt>
 *   xi-api-key: <key>
 *   {"text", "model_id", "voice_settings": {"speed"}}
 *
 * The streaming endpoint, so audio reaches the client as it is made.
 * voice_settings is sent only to carry speaking_rate (clamped to 0.7-1.2,
 * not sent when 1): WaaV's fixed stability/similarity values would
 * override the voice's own settings.  mp3 comes at 22050, 24000 or 44100
 * Hz (the nearest to the client's preference), opus at 48000, wav at any
 * of pcm's rates (the nearest); pcm, ulaw and alaw only at their exact
 * rates.
 */

#include <stdio.h>
#include <string.h>

#include "waav_jw.h"
#include "waav_tts.h"


static const unsigned  waav_el_pcm_rates[] = {
    8000, 16000, 22050, 24000, 32000, 44100, 48000, 0
};
static const unsigned  waav_el_law_rates[] = { 8000, 0 };
static const unsigned  waav_el_mp3_rates[] = { 22050, 24000, 44100, 0 };


static int
waav_elevenlabs_claims(const char *model, size_t len)
{
    return len > 7 && memcmp(model, "eleven_", 7) == 0;
}


static int
waav_elevenlabs_format(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    char *buf, size_t size, unsigned *rate, const char **accept,
    waav_err_t *err)
{
    unsigned  r;

    r = req->sample_rate;

    switch (req->format) {

    case WAAV_FMT_LINEAR16:
        r = r ? r : 24000;

        if (waav_rate_exact(err, ad->type, "linear16", r, waav_el_pcm_rates)
            != 0)
        {
            return -1;
        }

        snprintf(buf, size, "pcm_%u", r);
        *accept = "audio/pcm";
        break;

    case WAAV_FMT_WAV:
        r = waav_rate_nearest(r ? r : 24000, waav_el_pcm_rates);
        snprintf(buf, size, "wav_%u", r);
        *accept = "audio/wav";
        break;

    case WAAV_FMT_MULAW:
    case WAAV_FMT_ALAW:
        if (waav_rate_exact(err, ad->type, waav_fmt_name(req->format),
                            r ? r : 8000, waav_el_law_rates)
            != 0)
        {
            return -1;
        }

        r = 8000;
        snprintf(buf, size, "%s_8000",
                 req->format == WAAV_FMT_MULAW ? "ulaw" : "alaw");
        *accept = "audio/basic";
        break;

    case WAAV_FMT_MP3:
        /* the variant at the rate, else the nearest; mp3_44100_128 is
         * ElevenLabs' own default */
        r = waav_rate_nearest(r ? r : 44100, waav_el_mp3_rates);
        snprintf(buf, size, "%s", r == 22050 ? "mp3_22050_32"
                                  : r == 24000 ? "mp3_24000_48"
                                  : "mp3_44100_128");
        *accept = "audio/mpeg";
        break;

    case WAAV_FMT_OPUS:
        r = 48000;                      /* Opus' own: any preference */
        snprintf(buf, size, "opus_48000_128");
        *accept = "audio/ogg";
        break;

    default:
        return waav_tts_unsupported(err, ad->type, "this audio_format "
                                    "(use linear16, wav, mulaw, alaw, mp3 "
                                    "or opus)");
    }

    *rate = r;

    return 0;
}


static int
waav_elevenlabs_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    char         fmt[32];
    double       speed;
    const char  *accept;
    waav_jw_t    w;

    accept = "audio/pcm";

    if (waav_elevenlabs_format(ad, req, fmt, sizeof(fmt), &out->sample_rate,
                               &accept, err) != 0)
    {
        return -1;
    }

    speed = waav_tts_speed(req, 0.7, 1.2, out);

    out->http.path.data = waav_sprintf(a, &out->http.path.len,
                                  "/v1/text-to-speech/%.*s/stream",
                                  (int) req->voice.len, req->voice.data);
    out->http.args.data = waav_sprintf(a, &out->http.args.len,
                                       "output_format=%s", fmt);

    if (out->http.path.data == NULL || out->http.args.data == NULL) {
        return waav_err_nomem(err);
    }

    if (waav_http_json(&out->http, err) != 0
        || waav_http_add_header(&out->http, "Accept", accept, strlen(accept),
                                err)
           != 0)
    {
        return -1;
    }

    if (waav_tts_body_begin(&w, req, a, err) != 0) {
        return -1;
    }

    waav_jw_str(&w, "text", req->text.data, req->text.len);
    waav_jw_str(&w, "model_id", req->model.data, req->model.len);

    /* 1 would override a voice saved with another speed */
    if (speed != 1.0) {
        waav_jw_open(&w, "voice_settings");
        waav_jw_num(&w, "speed", speed);
        waav_jw_close(&w);
    }

    return waav_tts_body_end(&w, out, err);
}


static const waav_cred_t  waav_elevenlabs_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "xi-api-key",
    .prefix = "",
};


extern const struct waav_voices_adapter_s  waav_voices_elevenlabs;


const waav_tts_adapter_t  waav_tts_elevenlabs = {
    .type = "elevenlabs",
    .default_model = "eleven_multilingual_v2",
    .default_voice = "21m00Tcm4TlvDq8ikWAM",  /* "Rachel", their example */
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 24000,
    .cred = &waav_elevenlabs_cred,
    .claims_model = waav_elevenlabs_claims,
    .build = waav_elevenlabs_build,
    .media_types = (const char *const []) { "audio/*", NULL },
    .voices = &waav_voices_elevenlabs,
};
