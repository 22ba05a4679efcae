/*
 * waav: Hume (Octave) text-to-speech.
 *
 *   POST {base}/v0/tts/stream/file       (base = https://api.hume.ai)
 *   X-Hume-Api-Key: <key>
 *   {"utterances": [{"text", "voice": {"id"} | {"name", "provider"}
 *                    [, "speed"]}],
 *    "format": {"type": "pcm"|"wav"|"mp3"}, "strip_headers": true
 *    [, "version": "1"|"2"]}
 *
 * As Hume's reference has it (dev.hume.ai; the Python SDK's PostedTtsStream):
 * the format has a type and no rate (Hume's audio is 48000 Hz: raw PCM
 * only at that rate, wav and mp3 are 48000 whatever the client prefers);
 * no mu-law or A-law (WaaV sent them).  A voice id (a UUID) is sent as
 * {"id"}, any other voice as a Voice Library name ({"name", "provider":
 * "HUME_AI"}; without a provider Hume looks for a custom voice of that
 * name).  tts_config.model picks Octave's version: octave (Hume chooses,
 * the default), octave-1 or 1, octave-2 or 2.  speaking_rate is the
 * utterance's speed, clamped to 0.5-2.0 and sent when not 1.  Hume's
 * documentation announces the end of its TTS API on 2026-11-13.
 */

#include <string.h>
#include <strings.h>

#include "waav_jw.h"
#include "waav_tts.h"


static const unsigned  waav_hume_rates[] = { 48000, 0 };


/* 8-4-4-4-12 hex digits */
static int
waav_hume_uuid(waav_str_t v)
{
    size_t  i;

    if (v.len != 36) {
        return 0;
    }

    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (v.data[i] != '-') {
                return 0;
            }

        } else if (!((v.data[i] >= '0' && v.data[i] <= '9')
                     || ((v.data[i] | 0x20) >= 'a'
                         && (v.data[i] | 0x20) <= 'f')))
        {
            return 0;
        }
    }

    return 1;
}


/* Octave's version for a model: "" for Hume's choice, NULL: unknown */
static const char *
waav_hume_version(waav_str_t m)
{
#define waav_is(lit)                                                         \
    (m.len == sizeof(lit) - 1 && strncasecmp(m.data, lit, m.len) == 0)

    if (waav_is("octave")) {
        return "";
    }

    if (waav_is("octave-1") || waav_is("1")) {
        return "1";
    }

    if (waav_is("octave-2") || waav_is("2")) {
        return "2";
    }

#undef waav_is

    return NULL;
}


static int
waav_hume_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    double       speed;
    unsigned     rate;
    waav_jw_t    w;
    const char  *type, *version;

    version = waav_hume_version(req->model);

    if (version == NULL) {
        return waav_err_set(err, 400, WAAV_E_INVALID_MODEL,
                            "hume has no model \"%.*s\" (use octave, "
                            "octave-1 or octave-2)",
                            (int) (req->model.len > 64 ? 64 : req->model.len),
                            req->model.data);
    }

    switch (req->format) {
    case WAAV_FMT_LINEAR16:
        type = "pcm";
        break;
    case WAAV_FMT_WAV:
        type = "wav";
        break;
    case WAAV_FMT_MP3:
        type = "mp3";
        break;
    default:
        return waav_tts_unsupported(err, ad->type, "this audio_format "
                                    "(use linear16, wav or mp3)");
    }

    rate = req->sample_rate ? req->sample_rate : 48000;

    if (!waav_fmt_raw(req->format)) {
        rate = waav_rate_nearest(rate, waav_hume_rates);

    } else if (waav_rate_exact(err, ad->type, waav_fmt_name(req->format),
                               rate, waav_hume_rates)
               != 0)
    {
        return -1;
    }

    speed = waav_tts_speed(req, 0.5, 2.0, out);

    out->sample_rate = rate;
    out->http.path.data = "/v0/tts/stream/file";
    out->http.path.len = sizeof("/v0/tts/stream/file") - 1;

    if (waav_http_json(&out->http, err) != 0
        || waav_tts_body_begin(&w, req, a, err) != 0)
    {
        return -1;
    }

    waav_jw_key_array(&w, "utterances");
    waav_jw_open(&w, NULL);
    waav_jw_str(&w, "text", req->text.data, req->text.len);

    waav_jw_open(&w, "voice");

    if (waav_hume_uuid(req->voice)) {
        waav_jw_str(&w, "id", req->voice.data, req->voice.len);

    } else {
        waav_jw_str(&w, "name", req->voice.data, req->voice.len);
        waav_jw_cstr(&w, "provider", "HUME_AI");
    }

    waav_jw_close(&w);

    if (speed != 1.0) {
        waav_jw_num(&w, "speed", speed);
    }

    waav_jw_close(&w);
    waav_jw_close_array(&w);

    waav_jw_open(&w, "format");
    waav_jw_cstr(&w, "type", type);
    waav_jw_close(&w);

    waav_jw_bool(&w, "strip_headers", 1);

    if (version[0]) {
        waav_jw_cstr(&w, "version", version);
    }

    return waav_tts_body_end(&w, out, err);
}


static const waav_cred_t  waav_hume_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "X-Hume-Api-Key",
    .prefix = "",
};


extern const struct waav_voices_adapter_s  waav_voices_hume;


const waav_tts_adapter_t  waav_tts_hume = {
    .type = "hume",
    .default_model = "octave",
    .default_voice = "Male English Actor",  /* Hume's own example */
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 48000,
    .cred = &waav_hume_cred,
    .build = waav_hume_build,
    .media_types = (const char *const []) { "audio/*",
                                            "application/octet-stream",
                                            NULL },
    .voices = &waav_voices_hume,
    .voice_text = 1,
};
