/*
 * waav: Amazon Polly text to speech (SynthesizeSpeech), signed with AWS
 * Signature Version 4 (src/core/waav_sigv4.c, service "polly").
 *
 *   POST {base}/v1/speech    (base = https://polly.<region>.amazonaws.com)
 *   Content-Type: application/json
 *   X-Amz-Date: 20250101T000000Z
 *   [X-Amz-Security-Token: <session token>]
 *   Authorization: AWS4-HMAC-SHA256 Credential=<AKID>/<date>/<region>/
 *                  polly/aws4_request, SignedHeaders=content-type;host;
 *                  x-amz-date, Signature=<hex>
 *   {"Engine": "neural", "OutputFormat": "mp3", "SampleRate": "24000",
 *    "Text": "...", "TextType": "text", "VoiceId": "Joanna"}
 *
 * The answer is the audio itself (audio/mpeg, audio/ogg, audio/pcm),
 * streamed as it comes.  The key is ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]
 * (waav_sigv4.h); it is never sent, only signs.
 *
 * Formats: mp3; ogg (Polly's ogg_vorbis: Vorbis in Ogg, so "opus" is
 * refused, "ogg" taken); linear16/pcm (Polly's pcm: 16-bit LE mono).
 * Rates: mp3 and ogg carry theirs, the nearest of 8000, 16000, 22050 and
 * 24000 is taken (24000 when none is asked); pcm is 8000 or 16000 exactly
 * (16000 when none is asked), another rate is 400 (WaaV silently sends
 * the default instead: the label would lie).  wav, mulaw and alaw are
 * 400.  The model names the engine: standard, neural (the default),
 * long-form (longform, long_form), generative; another is 400 (WaaV
 * sends neural).  The voice is Polly's VoiceId, letters only, its case
 * made Polly's ("joanna" is Joanna).  Polly takes at most 3000 characters
 * of text.  speaking_rate (clamped to 0.2-2) is SSML's prosody rate: the
 * text, XML-escaped, goes as TextType ssml.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "waav_buf.h"
#include "waav_jw.h"
#include "waav_sigv4.h"
#include "waav_tts.h"


#define WAAV_POLLY_MAX_CHARS  3000          /* Polly's, in characters */
#define WAAV_POLLY_MAX_VOICE  32


static const unsigned  waav_polly_rates[] = { 8000, 16000, 22050, 24000, 0 };
static const unsigned  waav_polly_pcm_rates[] = { 8000, 16000, 0 };


/* the engine the model names; NULL when it names none */
static const char *
waav_polly_engine(waav_str_t model)
{
    size_t  i;

    static const struct {
        const char  *name;
        const char  *engine;
    } engines[] = {
        { "standard", "standard" },
        { "neural", "neural" },
        { "long-form", "long-form" },
        { "longform", "long-form" },
        { "long_form", "long-form" },
        { "generative", "generative" },
    };

    for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
        if (model.len == strlen(engines[i].name)
            && strncasecmp(model.data, engines[i].name, model.len) == 0)
        {
            return engines[i].engine;
        }
    }

    return NULL;
}


/* Polly's VoiceId: letters, the first upper case, the rest lower case
 * (as every Polly voice is named); -1 for anything else */
static int
waav_polly_voice(waav_str_t voice, char *out)
{
    size_t  i;
    char    c;

    if (voice.len == 0 || voice.len > WAAV_POLLY_MAX_VOICE) {
        return -1;
    }

    for (i = 0; i < voice.len; i++) {
        c = voice.data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            return -1;
        }

        out[i] = (i == 0) ? (char) (c & ~0x20) : (char) (c | 0x20);
    }

    out[voice.len] = '\0';

    return 0;
}


/* OutputFormat and SampleRate for the client's format and rate */
static const char *
waav_polly_format(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    unsigned *rate, waav_err_t *err)
{
    switch (req->format) {
    case WAAV_FMT_LINEAR16:
        *rate = req->sample_rate ? req->sample_rate : 16000;

        if (waav_rate_exact(err, ad->type, waav_fmt_name(req->format), *rate,
                            waav_polly_pcm_rates)
            != 0)
        {
            return NULL;
        }

        return "pcm";

    case WAAV_FMT_MP3:
        *rate = waav_rate_nearest(req->sample_rate ? req->sample_rate
                                                   : 24000,
                                  waav_polly_rates);
        return "mp3";

    case WAAV_FMT_OPUS:
        /* Polly's Ogg holds Vorbis: "ogg" asks for Ogg, "opus" for Opus */
        if (req->format_name.len == 3
            && memcmp(req->format_name.data, "ogg", 3) == 0)
        {
            *rate = waav_rate_nearest(req->sample_rate ? req->sample_rate
                                                       : 24000,
                                      waav_polly_rates);
            return "ogg_vorbis";
        }

        /* fall through */

    default:
        (void) waav_tts_unsupported(err, ad->type, "this audio_format (use "
                                    "linear16, mp3 or ogg)");
        return NULL;
    }
}


static size_t
waav_polly_chars(waav_str_t s)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < s.len; i++) {
        n += (((unsigned char) s.data[i] & 0xc0) != 0x80);
    }

    return n;
}


/* the text as SSML with a prosody rate ("125%") */
static int
waav_polly_ssml(const waav_tts_req_t *req, double speed, waav_str_t *out,
    waav_alloc_t *a, waav_err_t *err)
{
    waav_buf_t  b;

    if (waav_buf_alloc(&b, 6 * req->text.len + 64, a, err) != 0) {
        return -1;
    }

    waav_buf_cstr(&b, "<speak><prosody rate=\"");
    waav_buf_uint(&b, (unsigned) (speed * 100 + 0.5));
    waav_buf_cstr(&b, "%\">");

    if (waav_tts_xml(&b, req->text) != 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "text holds a control character SSML cannot "
                            "carry");
    }

    waav_buf_cstr(&b, "</prosody></speak>");

    if (waav_buf_done(&b, out) != 0) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL,
                            "provider request body too large");
    }

    return 0;
}


static int
waav_polly_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    char         voice[WAAV_POLLY_MAX_VOICE + 1], rate_s[8];
    double       speed;
    unsigned     rate;
    waav_jw_t    w;
    waav_str_t   text;
    const char  *fmt, *engine;

    fmt = waav_polly_format(ad, req, &rate, err);
    if (fmt == NULL) {
        return -1;
    }

    engine = waav_polly_engine(req->model);
    if (engine == NULL) {
        return waav_err_set(err, 400, WAAV_E_INVALID_MODEL,
                            "%s models are its engines: standard, neural, "
                            "long-form, generative", ad->type);
    }

    if (waav_polly_voice(req->voice, voice) != 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "%s voice_id is a Polly voice name (letters, "
                            "e.g. Joanna)", ad->type);
    }

    if (waav_polly_chars(req->text) > WAAV_POLLY_MAX_CHARS) {
        return waav_err_set(err, 400, WAAV_E_TEXT_TOO_LONG,
                            "%s takes at most %d characters of text",
                            ad->type, WAAV_POLLY_MAX_CHARS);
    }

    speed = waav_tts_speed(req, 0.2, 2.0, out);
    text = req->text;

    if (speed != 1.0 && waav_polly_ssml(req, speed, &text, a, err) != 0) {
        return -1;
    }

    snprintf(rate_s, sizeof(rate_s), "%u", rate);

    out->sample_rate = rate;
    out->http.path.data = "/v1/speech";
    out->http.path.len = sizeof("/v1/speech") - 1;

    if (waav_http_json(&out->http, err) != 0
        || waav_jw_alloc(&w, 6 * text.len + 256, a, err) != 0)
    {
        return -1;
    }

    waav_jw_open(&w, NULL);
    waav_jw_cstr(&w, "Engine", engine);
    waav_jw_cstr(&w, "OutputFormat", fmt);
    waav_jw_cstr(&w, "SampleRate", rate_s);
    waav_jw_str(&w, "Text", text.data, text.len);
    waav_jw_cstr(&w, "TextType", speed != 1.0 ? "ssml" : "text");
    waav_jw_cstr(&w, "VoiceId", voice);

    return waav_tts_body_end(&w, out, err);
}


static int
waav_polly_sign(const waav_cred_t *cred, const waav_secret_t *secret,
    waav_http_req_t *req, waav_alloc_t *a, waav_err_t *err)
{
    (void) cred;

    return waav_sigv4_secret_sign("polly", secret, req, a, err);
}


static int
waav_polly_key_ok(waav_str_t key)
{
    waav_sigv4_t  s;

    return waav_sigv4_key(key, &s) == 0;
}


/* no key in a header: it signs (shared with the voices' adapter) */
const waav_cred_t  waav_polly_cred = {
    .place = WAAV_CRED_HEADER,
    .key_ok = waav_polly_key_ok,
    .sign = waav_polly_sign,
};


extern const struct waav_voices_adapter_s  waav_voices_polly;


const waav_tts_adapter_t  waav_tts_polly = {
    .type = "aws-polly",
    .default_model = "neural",
    .default_voice = "Joanna",
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 16000,
    .cred = &waav_polly_cred,
    .build = waav_polly_build,
    .media_types = (const char *const []) { "audio/*", NULL },
    .voices = &waav_voices_polly,
};
