/*
 * waav: Play.ht text-to-speech.
 *
 *   POST {base}/api/v2/tts/stream        (base = https://api.play.ht)
 *   X-USER-ID: <user id>
 *   AUTHORIZATION: <api key>
 *   Accept: audio/...
 *   {"text", "voice", "voice_engine", "output_format", "sample_rate"
 *    [, "speed"]}
 *
 * Play.ht takes two secrets: the key is configured as USER_ID:API_KEY
 * (waav_provider playht key=env:PLAYHT_API_KEY user=env:PLAYHT_USER_ID
 * joins them; a client's own key is sent so) and the credentials hook
 * splits it (waav_cred.h, user_name).  Accept must name audio: with
 * application/json Play.ht answers 201 and a URL instead of the bytes.
 *
 * The engine is tts_config.model by WaaV's names (play3.0-mini, mini,
 * dialog, turbo, ...; default Play3.0-mini); one it does not know is 400.
 * Formats raw (linear16), mulaw, wav, mp3, ogg, flac at any rate of
 * 8000-48000 (the client's, else 24000; mulaw 8000); speed is the
 * speaking_rate clamped to 0.1-5, sent when not 1.  Text: at most 20000
 * characters for Play3.0-mini, 2000 for the other engines.
 */

#include <string.h>
#include <strings.h>

#include "waav_jw.h"
#include "waav_tts.h"


typedef struct {
    const char  *name;              /* a WaaV name, any case */
    const char  *engine;            /* Play.ht's */
} waav_playht_engine_t;

static const waav_playht_engine_t  waav_playht_engines[] = {
    { "play3.0-mini", "Play3.0-mini" },
    { "play30mini", "Play3.0-mini" },
    { "play3", "Play3.0-mini" },
    { "play30", "Play3.0-mini" },
    { "mini", "Play3.0-mini" },
    { "playdialog", "PlayDialog" },
    { "dialog", "PlayDialog" },
    { "dialogue", "PlayDialog" },
    { "playdialogmultilingual", "PlayDialogMultilingual" },
    { "playdialogarabic", "PlayDialogArabic" },
    { "playht2.0-turbo", "PlayHT2.0-turbo" },
    { "turbo", "PlayHT2.0-turbo" },
    { "2.0", "PlayHT2.0-turbo" },
    { NULL, NULL }
};


static const char *
waav_playht_engine(waav_str_t model)
{
    const waav_playht_engine_t  *e;

    for (e = waav_playht_engines; e->name; e++) {
        if (strlen(e->name) == model.len
            && strncasecmp(e->name, model.data, model.len) == 0)
        {
            return e->engine;
        }
    }

    return NULL;
}


/* Play.ht's output_format and the Accept that asks for its bytes */
static int
waav_playht_format(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    const char **fmt, const char **accept, waav_err_t *err)
{
    switch (req->format) {
    case WAAV_FMT_LINEAR16:
        *fmt = "raw";
        *accept = "audio/pcm";
        break;
    case WAAV_FMT_MULAW:
        *fmt = "mulaw";
        *accept = "audio/basic";
        break;
    case WAAV_FMT_WAV:
        *fmt = "wav";
        *accept = "audio/wav";
        break;
    case WAAV_FMT_MP3:
        *fmt = "mp3";
        *accept = "audio/mpeg";
        break;
    case WAAV_FMT_OPUS:
        *fmt = "ogg";
        *accept = "audio/ogg";
        break;
    case WAAV_FMT_FLAC:
        *fmt = "flac";
        *accept = "audio/flac";
        break;
    default:
        return waav_tts_unsupported(err, ad->type, "this audio_format "
                                    "(use linear16, mulaw, wav, mp3, ogg "
                                    "or flac)");
    }

    return 0;
}


static int
waav_playht_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    double       speed;
    unsigned     rate;
    waav_jw_t    w;
    const char  *engine, *fmt, *accept;

    engine = waav_playht_engine(req->model);

    if (engine == NULL) {
        return waav_err_set(err, 400, WAAV_E_INVALID_MODEL,
                            "playht has no engine \"%.*s\" (use "
                            "Play3.0-mini, PlayDialog, "
                            "PlayDialogMultilingual, PlayDialogArabic or "
                            "PlayHT2.0-turbo)",
                            (int) (req->model.len > 64 ? 64 : req->model.len),
                            req->model.data);
    }

    if (waav_playht_format(ad, req, &fmt, &accept, err) != 0
        || waav_tts_max_chars(req, ad->type,
                              strcmp(engine, "Play3.0-mini") == 0 ? 20000
                                                                  : 2000,
                              err)
           != 0)
    {
        return -1;
    }

    /* any rate of 8000-48000 (what waav_tts_parse lets through) */
    rate = req->sample_rate ? req->sample_rate
                            : (req->format == WAAV_FMT_MULAW ? 8000 : 24000);

    speed = waav_tts_speed(req, 0.1, 5.0, out);

    out->sample_rate = rate;
    out->http.path.data = "/api/v2/tts/stream";
    out->http.path.len = sizeof("/api/v2/tts/stream") - 1;

    if (waav_http_json(&out->http, err) != 0
        || waav_http_add_header(&out->http, "Accept", accept, strlen(accept),
                                err)
           != 0
        || waav_tts_body_begin(&w, req, a, err) != 0)
    {
        return -1;
    }

    waav_jw_str(&w, "text", req->text.data, req->text.len);
    waav_jw_str(&w, "voice", req->voice.data, req->voice.len);
    waav_jw_cstr(&w, "voice_engine", engine);
    waav_jw_cstr(&w, "output_format", fmt);
    waav_jw_int(&w, "sample_rate", (long) rate);

    if (speed != 1.0) {
        waav_jw_num(&w, "speed", speed);
    }

    return waav_tts_body_end(&w, out, err);
}


static const waav_cred_t  waav_playht_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "AUTHORIZATION",
    .prefix = "",
    .user_name = "X-USER-ID",
};


extern const struct waav_voices_adapter_s  waav_voices_playht;


const waav_tts_adapter_t  waav_tts_playht = {
    .type = "playht",
    .default_model = "Play3.0-mini",
    /* Play.ht's own example voice */
    .default_voice = "s3://voice-cloning-zero-shot/"
                     "d9ff78ba-d016-47f6-b0ef-dd630f59414e/female-cs/"
                     "manifest.json",
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 24000,
    .cred = &waav_playht_cred,
    .build = waav_playht_build,
    .media_types = (const char *const []) { "audio/*",
                                            "application/octet-stream",
                                            NULL },
    .voices = &waav_voices_playht,
    .voice_text = 1,
};
