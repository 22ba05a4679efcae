/*
 * waav: Deepgram text-to-speech (Aura).
 *
 *   POST {base}/v1/speak?model=..&encoding=..[&container=..][&sample_rate=..]
 *   Authorization: Token <key>
 *   {"text": "..."}
 *
 * Deepgram names voices as models (aura-asteria-en, aura-2-thalia-en), so
 * the model is tts_config.model, else voice_id.  Unlike WaaV, formats are
 * translated to Deepgram's encodings (pcm -> linear16, ulaw -> mulaw),
 * sample_rate is only sent where Deepgram accepts one (mp3 and aac are
 * 22050 Hz, opus 48000 whatever the client prefers; wav and flac take the
 * nearest rate; raw formats the exact one), and speaking_rate becomes
 * Deepgram's speed, clamped to 0.7-1.5 and not sent when 1.
 */

#include <stdio.h>
#include <string.h>

#include "waav_json.h"
#include "waav_jw.h"
#include "waav_tts.h"


typedef struct {
    waav_fmt_e       fmt;
    const char      *encoding;
    const char      *container;     /* NULL: Deepgram's default */
    unsigned         default_rate;
    const unsigned  *rates;         /* NULL: fixed at default_rate, not sent */
} waav_deepgram_fmt_t;

static const unsigned  waav_dg_linear_rates[] = {
    8000, 16000, 24000, 32000, 48000, 0
};
static const unsigned  waav_dg_law_rates[] = { 8000, 16000, 0 };
static const unsigned  waav_dg_flac_rates[] = {
    8000, 16000, 22050, 32000, 48000, 0
};

static const waav_deepgram_fmt_t  waav_deepgram_fmts[] = {
    { WAAV_FMT_LINEAR16, "linear16", "none", 24000, waav_dg_linear_rates },
    { WAAV_FMT_WAV, "linear16", "wav", 24000, waav_dg_linear_rates },
    { WAAV_FMT_MULAW, "mulaw", "none", 8000, waav_dg_law_rates },
    { WAAV_FMT_ALAW, "alaw", "none", 8000, waav_dg_law_rates },
    { WAAV_FMT_MP3, "mp3", NULL, 22050, NULL },
    { WAAV_FMT_OPUS, "opus", "ogg", 48000, NULL },
    { WAAV_FMT_FLAC, "flac", NULL, 48000, waav_dg_flac_rates },
    { WAAV_FMT_AAC, "aac", NULL, 22050, NULL },
};


static int
waav_deepgram_claims(const char *model, size_t len)
{
    return len > 5 && memcmp(model, "aura-", 5) == 0;
}


static int
waav_deepgram_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    size_t                      i;
    double                      speed;
    unsigned                    rate;
    waav_jw_t                   w;
    waav_str_t                  model;
    int                         n;
    char                        extra[64];
    const waav_deepgram_fmt_t  *f;

    f = NULL;

    for (i = 0; i < sizeof(waav_deepgram_fmts) / sizeof(waav_deepgram_fmts[0]);
         i++)
    {
        if (waav_deepgram_fmts[i].fmt == req->format) {
            f = &waav_deepgram_fmts[i];
        }
    }

    if (f == NULL) {
        return waav_tts_unsupported(err, ad->type, "this audio_format");
    }

    rate = req->sample_rate ? req->sample_rate : f->default_rate;

    if (f->rates == NULL) {
        rate = f->default_rate;         /* fixed: the request's is dropped */

    } else if (waav_fmt_raw(req->format)) {
        if (waav_rate_exact(err, ad->type, f->encoding, rate, f->rates)
            != 0)
        {
            return -1;
        }

    } else {
        rate = waav_rate_nearest(rate, f->rates);
    }

    speed = waav_tts_speed(req, 0.7, 1.5, out);

    /* Deepgram's own limit, checked here rather than paid for */
    if (waav_utf8_chars(req->text.data, req->text.len) > 2000) {
        return waav_err_set(err, 400, WAAV_E_TEXT_TOO_LONG,
                            "deepgram takes at most 2000 characters of text");
    }

    model = req->model.len ? req->model : req->voice;

    n = 0;
    extra[0] = '\0';

    if (f->rates) {
        n = snprintf(extra, sizeof(extra), "&sample_rate=%u", rate);
    }

    /* 1.0 is Deepgram's default, and Aura-1 voices may refuse speed */
    if (speed != 1.0) {
        snprintf(extra + n, sizeof(extra) - n, "&speed=%g", speed);
    }

    out->http.path.data = "/v1/speak";
    out->http.path.len = sizeof("/v1/speak") - 1;

    out->http.args.data = waav_sprintf(a, &out->http.args.len,
                                  "model=%.*s&encoding=%s%s%s%s",
                                  (int) model.len, model.data, f->encoding,
                                  f->container ? "&container=" : "",
                                  f->container ? f->container : "", extra);
    if (out->http.args.data == NULL) {
        return waav_err_nomem(err);
    }

    out->sample_rate = rate;

    if (waav_http_json(&out->http, err) != 0) {
        return -1;
    }

    if (waav_tts_body_begin(&w, req, a, err) != 0) {
        return -1;
    }

    waav_jw_str(&w, "text", req->text.data, req->text.len);

    return waav_tts_body_end(&w, out, err);
}


static const waav_cred_t  waav_deepgram_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Authorization",
    .prefix = "Token ",
};


extern const struct waav_voices_adapter_s  waav_voices_deepgram;


const waav_tts_adapter_t  waav_tts_deepgram = {
    .type = "deepgram",
    .default_model = NULL,          /* the voice is the model */
    .default_voice = "aura-asteria-en",
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 24000,
    .cred = &waav_deepgram_cred,
    .claims_model = waav_deepgram_claims,
    .build = waav_deepgram_build,
    .media_types = (const char *const []) { "audio/*",
                                            "application/octet-stream",
                                            NULL },
    .voices = &waav_voices_deepgram,
};
