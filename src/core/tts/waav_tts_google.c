/*
 * waav: Google Cloud Text-to-Speech, with an API key.
 *
 *   POST {base}/text:synthesize
 *        (base = https://texttospeech.googleapis.com/v1)
 *   X-Goog-Api-Key: <key>
 *   {"input": {"text"}, "voice": {"languageCode", "name"},
 *    "audioConfig": {"audioEncoding", "sampleRateHertz", "speakingRate"}}
 *
 * Google refuses a speakingRate outside [0.25, 2.0] and, for OGG_OPUS and
 * MP3, a sample rate the codec lacks: the speed is clamped (x-speaking-rate
 * says so), the rate is the codec's nearest (x-sample-rate says which);
 * LINEAR16, MULAW and ALAW come at any rate asked (Google converts).
 *
 * The answer is JSON: {"audioContent": "<base64>"}, decoded as it arrives
 * by the response hook; LINEAR16, MULAW and ALAW come with a WAV header,
 * dropped unless the client asked for wav.  The voice's language is the
 * start of its name (en-US-Neural2-C: en-US); a voice that is only a
 * language (en-GB) is sent as the language, with no name, for Google to
 * choose the voice (it refuses "en-GB" as a name).  The key is an API key
 * or a service account's file, exchanged for OAuth2 tokens (waav_google_cred,
 * src/core/waav_google_sa.c); a client's own key is an API key.
 */

#include <string.h>

#include "waav_b64json.h"
#include "waav_google_sa.h"
#include "waav_jw.h"
#include "waav_tts.h"


#define WAAV_GOOGLE_MAX_TEXT  5000         /* bytes, Google's own limit */
#define WAAV_GOOGLE_MAX_SPEED 2.0          /* speakingRate: [0.25, 2.0] */


/* the rates an Opus stream has; Google refuses any other for OGG_OPUS */
static const unsigned  waav_google_opus_rates[] = {
    8000, 12000, 16000, 24000, 48000, 0
};

/* the rates Google's MP3 takes */
static const unsigned  waav_google_mp3_rates[] = {
    8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 0
};


static const waav_xform_t  waav_google_audio =
    WAAV_B64JSON_XFORM("audioContent", 0);

static const waav_xform_t  waav_google_raw =
    WAAV_B64JSON_XFORM("audioContent", WAAV_B64JSON_NO_WAV_HEADER);


static int
waav_google_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    double       speed;
    unsigned     rate;
    waav_jw_t    w;
    waav_str_t   lang;
    const char  *enc;

    rate = req->sample_rate;

    switch (req->format) {
    case WAAV_FMT_LINEAR16:
    case WAAV_FMT_WAV:
        enc = "LINEAR16";
        rate = rate ? rate : 24000;
        break;
    case WAAV_FMT_MULAW:
        enc = "MULAW";
        rate = rate ? rate : 8000;
        break;
    case WAAV_FMT_ALAW:
        enc = "ALAW";
        rate = rate ? rate : 8000;
        break;
    case WAAV_FMT_MP3:
        enc = "MP3";
        break;
    case WAAV_FMT_OPUS:
        enc = "OGG_OPUS";
        break;
    default:
        return waav_tts_unsupported(err, ad->type, "this audio_format "
                                    "(use linear16, wav, mulaw, alaw, mp3 "
                                    "or opus)");
    }

    /* Google's own limits: the nearest rate Opus or MP3 has, the speed
     * clamped (Google refuses either outside them) */
    if (req->format == WAAV_FMT_OPUS && rate) {
        rate = waav_rate_nearest(rate, waav_google_opus_rates);

    } else if (req->format == WAAV_FMT_MP3 && rate) {
        rate = waav_rate_nearest(rate, waav_google_mp3_rates);
    }

    speed = waav_tts_speed(req, 0.25, WAAV_GOOGLE_MAX_SPEED, out);

    if (req->text.len > WAAV_GOOGLE_MAX_TEXT) {
        return waav_err_set(err, 400, WAAV_E_TEXT_TOO_LONG,
                            "google takes at most %d bytes of text",
                            WAAV_GOOGLE_MAX_TEXT);
    }

    out->sample_rate = rate ? rate : 24000;
    out->response = (req->format == WAAV_FMT_WAV) ? &waav_google_audio
                                                  : &waav_google_raw;
    out->http.path.data = "/text:synthesize";
    out->http.path.len = sizeof("/text:synthesize") - 1;

    if (waav_http_json(&out->http, err) != 0
        || waav_tts_body_begin(&w, req, a, err) != 0)
    {
        return -1;
    }

    lang = waav_tts_locale(req->voice);

    waav_jw_open(&w, "input");
    waav_jw_str(&w, "text", req->text.data, req->text.len);
    waav_jw_close(&w);

    waav_jw_open(&w, "voice");
    waav_jw_str(&w, "languageCode", lang.data, lang.len);

    /* a language alone ("en-GB") is no voice name: Google picks one */
    if (req->voice.len != lang.len || req->voice.data != lang.data) {
        waav_jw_str(&w, "name", req->voice.data, req->voice.len);
    }

    waav_jw_close(&w);

    waav_jw_open(&w, "audioConfig");
    waav_jw_cstr(&w, "audioEncoding", enc);

    if (rate) {
        waav_jw_int(&w, "sampleRateHertz", (long) rate);
    }

    if (speed != 1.0) {
        waav_jw_num(&w, "speakingRate", speed);
    }

    waav_jw_close(&w);

    return waav_tts_body_end(&w, out, err);
}


extern const struct waav_voices_adapter_s  waav_voices_google;


const waav_tts_adapter_t  waav_tts_google = {
    .type = "google",
    .default_voice = "en-US-Standard-C",
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 24000,
    .cred = &waav_google_cred,
    .byok_cred = &waav_google_key_cred,
    .build = waav_google_build,
    /* the audio comes base64 inside a JSON answer (the response hook) */
    .media_types = (const char *const []) { "application/json", NULL },
    .voices = &waav_voices_google,
};
