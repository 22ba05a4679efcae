/*
 * waav: `local`, speech synthesized inside nginx by espeak-ng (see
 * src/ngx_http_waav_local_tts.c): no provider request, only what a client
 * asked for, checked before the synthesis is queued.
 *
 *   /speak             {"tts_config": {"provider": "local",
 *                                      "voice_id": "en-us"}}
 *   /v1/audio/speech   {"model": "local"}  or  {"model": "local/en-gb"}
 *
 * Formats: linear16 (pcm), wav, mulaw, alaw, at any rate waav accepts
 * (resampled from espeak-ng's 22050 Hz; mulaw and alaw default to 8000).
 * A model other than "local" (or espeak, espeak-ng) names the voice, so
 * that OpenAI's SDKs, which always send a voice of OpenAI's, can pick one;
 * with such a model, one of OpenAI's voices (alloy, ...) is the default
 * voice, en-us.
 */

#include <string.h>
#include <strings.h>

#include "waav_local.h"
#include "waav_tts.h"


/* OpenAI's voices (tts/waav_tts_openai_voices.c) */
extern const waav_voices_adapter_t  waav_voices_openai;


static int
waav_local_is(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}


static int
waav_local_engine_model(const char *model, size_t len)
{
    return len == 0 || waav_local_is(model, len, "local")
           || waav_local_is(model, len, "espeak")
           || waav_local_is(model, len, "espeak-ng");
}


static int
waav_local_claims(const char *model, size_t len)
{
    return len && waav_local_engine_model(model, len);
}


int
waav_local_voice_syntax(const char *name, size_t len)
{
    size_t  i;

    if (len == 0 || len > WAAV_LOCAL_VOICE_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= 'A' && name[i] <= 'Z')
              || (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


/* one of OpenAI's voices (alloy, ...), which its SDKs always send */
static int
waav_local_openai_voice(waav_str_t voice)
{
    size_t  i;

    for (i = 0; i < waav_voices_openai.nfixed; i++) {
        if (waav_voices_openai.fixed[i].id.len == voice.len
            && strncasecmp(waav_voices_openai.fixed[i].id.data, voice.data,
                           voice.len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


waav_str_t
waav_local_voice(const waav_tts_req_t *req)
{
    waav_str_t  dflt;

    if (!waav_local_engine_model(req->model.data, req->model.len)) {
        return req->model;
    }

    if (waav_local_openai_voice(req->voice)) {
        dflt.data = WAAV_LOCAL_VOICE;
        dflt.len = sizeof(WAAV_LOCAL_VOICE) - 1;
        return dflt;
    }

    return req->voice;
}


int
waav_local_wpm(const waav_tts_req_t *req)
{
    double  wpm;

    wpm = 175.0 * (req->speaking_rate_set ? req->speaking_rate : 1.0);

    /* espeak-ng's own bounds */
    return wpm < 80 ? 80 : (wpm > 450 ? 450 : (int) wpm);
}


static int
waav_local_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t  voice;

    (void) a;

    switch (req->format) {
    case WAAV_FMT_LINEAR16:
    case WAAV_FMT_WAV:
        out->sample_rate = req->sample_rate ? req->sample_rate
                                            : WAAV_LOCAL_RATE;
        break;
    case WAAV_FMT_MULAW:
    case WAAV_FMT_ALAW:
        out->sample_rate = req->sample_rate ? req->sample_rate : 8000;
        break;
    default:
        return waav_tts_unsupported(err, ad->type, "this audio_format "
                                    "(use linear16, pcm, wav, mulaw or "
                                    "alaw)");
    }

    if (req->instructions.len) {
        return waav_tts_unsupported(err, ad->type, "instructions");
    }

    voice = waav_local_voice(req);

    if (!waav_local_voice_syntax(voice.data, voice.len)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "local voices are espeak-ng's names (en-us, "
                            "en-gb, fr-fr, ...): 1-40 letters, digits "
                            "and dashes");
    }

    return 0;
}


const waav_tts_adapter_t  waav_tts_local = {
    .type = "local",
    .default_model = "local",
    .default_voice = WAAV_LOCAL_VOICE,
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = WAAV_LOCAL_RATE,
    .claims_model = waav_local_claims,
    .build = waav_local_build,
    .voices = &waav_voices_local,
};
