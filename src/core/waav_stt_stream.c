/*
 * waav: streaming speech to text, provider-neutral (see waav_stt_stream.h):
 * the upgrade request with its credentials, the audio's byte rate, and
 * what the streaming adapters (src/core/stt/) share: encodings, refusals,
 * query arguments, provider messages into events.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "waav_errmsg.h"
#include "waav_json.h"
#include "waav_stt_stream.h"


int
waav_stt_stream_open(const waav_stt_stream_t *st,
    const waav_ws_stt_config_t *cfg, const waav_secret_t *secret,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err)
{
    memset(out, 0, sizeof(waav_http_req_t));

    out->method = "GET";

    if (st->open(st, cfg, out, a, err) != 0) {
        return -1;
    }

    return waav_cred_apply(st->cred, secret, out, a, err);
}


uint64_t
waav_stt_stream_rate(const waav_ws_stt_config_t *cfg)
{
    uint64_t  bytes;

    switch (waav_stt_stream_encoding(cfg->encoding)) {

    case WAAV_STT_ENC_MULAW:
    case WAAV_STT_ENC_ALAW:
        bytes = 1;
        break;

    default:
        bytes = 2;
    }

    return (uint64_t) cfg->sample_rate * (cfg->channels ? cfg->channels : 1)
           * bytes;
}


/* --- for adapters --------------------------------------------------------- */

waav_str_t
waav_stt_stream_iso639(waav_str_t lang)
{
    const char  *dash;

    dash = lang.len ? memchr(lang.data, '-', lang.len) : NULL;

    if (dash) {
        lang.len = (size_t) (dash - lang.data);
    }

    return lang;
}


static int
waav_stt_stream_is(waav_str_t s, const char *const *names)
{
    for ( /* void */ ; *names; names++) {
        if (s.len == strlen(*names) && strncasecmp(s.data, *names, s.len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


int
waav_stt_stream_encoding(waav_str_t enc)
{
    static const char *const  pcm16[] = { "linear16", "pcm", "pcm_s16le",
                                          NULL };
    static const char *const  mulaw[] = { "mulaw", "ulaw", "pcm_mulaw",
                                          NULL };
    static const char *const  alaw[] = { "alaw", "pcm_alaw", NULL };

    if (enc.len == 0 || waav_stt_stream_is(enc, pcm16)) {
        return WAAV_STT_ENC_PCM16;
    }

    if (waav_stt_stream_is(enc, mulaw)) {
        return WAAV_STT_ENC_MULAW;
    }

    if (waav_stt_stream_is(enc, alaw)) {
        return WAAV_STT_ENC_ALAW;
    }

    return WAAV_STT_ENC_UNKNOWN;
}


int
waav_stt_stream_bad_encoding(waav_err_t *err, const char *provider,
    waav_str_t enc, const char *what)
{
    /* enc is an ident (waav_ws_msg_parse), at most WAAV_IDENT_MAX bytes */
    return waav_err_set(err, 400, WAAV_E_UNSUPPORTED_OPTION,
                        "Unsupported encoding for %s: %.*s (use %s)",
                        provider, (int) (enc.len > 64 ? 64 : enc.len),
                        enc.data, what);
}


int
waav_stt_stream_bad_rate(waav_err_t *err, const char *provider,
    unsigned rate, const char *what)
{
    return waav_err_set(err, 400, WAAV_E_UNSUPPORTED_OPTION,
                        "Unsupported sample rate for %s: %u (use %s)",
                        provider, rate, what);
}


int
waav_stt_stream_rate_ok(unsigned rate)
{
    return rate == 8000 || rate == 16000 || rate == 22050 || rate == 24000
           || rate == 44100 || rate == 48000;
}


int
waav_stt_stream_mono(waav_err_t *err, const char *provider,
    unsigned channels)
{
    if (channels <= 1) {
        return 0;
    }

    return waav_err_set(err, 400, WAAV_E_UNSUPPORTED_OPTION,
                        "%s takes mono audio only (stt_config.channels: %u)",
                        provider, channels);
}


int
waav_stt_stream_args(waav_http_req_t *out, const waav_stt_arg_t *args,
    size_t n, waav_alloc_t *a, waav_err_t *err)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (args[i].value.data
            && waav_http_add_arg(out, args[i].name, args[i].value, a, err)
               != 0)
        {
            return -1;
        }
    }

    return 0;
}


const cJSON *
waav_stt_stream_json(const char *msg, size_t len, const char *key,
    const char **type, waav_alloc_t *a)
{
    waav_err_t    err;
    const cJSON  *root, *t;

    root = waav_json_parse(msg, len, 0, a, &err);

    if (!cJSON_IsObject(root)) {
        return NULL;
    }

    t = cJSON_GetObjectItemCaseSensitive(root, key);

    if (!cJSON_IsString(t)) {
        return NULL;
    }

    *type = t->valuestring;

    return root;
}


int
waav_stt_stream_result(waav_stt_event_t *ev, size_t max,
    waav_str_t transcript, int is_final, int is_speech_final,
    double confidence)
{
    if (max == 0) {
        return 0;
    }

    memset(ev, 0, sizeof(waav_stt_event_t));
    ev->type = WAAV_STT_EV_RESULT;
    ev->transcript = transcript;
    ev->is_final = is_final;
    ev->is_speech_final = is_speech_final;
    ev->confidence = confidence;

    return 1;
}


int
waav_stt_stream_event(waav_stt_event_t *ev, size_t max, int type)
{
    if (max == 0) {
        return 0;
    }

    memset(ev, 0, sizeof(waav_stt_event_t));
    ev->type = type;

    return 1;
}


int
waav_stt_stream_error(waav_stt_event_t *ev, size_t max, const cJSON *root,
    const char *const *keys, const char *dflt, waav_alloc_t *a)
{
    char         *buf;
    const char   *text;
    const cJSON  *j;

    if (max == 0) {
        return 0;
    }

    text = dflt;

    for ( /* void */ ; *keys; keys++) {
        j = cJSON_GetObjectItemCaseSensitive(root, *keys);

        if (cJSON_IsString(j) && j->valuestring[0]) {
            text = j->valuestring;
            break;
        }
    }

    buf = waav_alloc(a, WAAV_ERRMSG_MAX + 1);
    if (buf == NULL) {
        return -1;
    }

    memset(ev, 0, sizeof(waav_stt_event_t));
    ev->type = WAAV_STT_EV_ERROR;
    ev->message.data = buf;
    ev->message.len = waav_scrub(text, strlen(text), NULL, 0, buf,
                                 WAAV_ERRMSG_MAX + 1);

    if (ev->message.len == 0) {
        /* only spaces and control characters */
        ev->message.len = (size_t) snprintf(buf, WAAV_ERRMSG_MAX + 1, "%s",
                                            dflt);
    }

    return 1;
}


int
waav_stt_stream_bool(const cJSON *root, const char *key)
{
    const cJSON  *j;

    j = cJSON_GetObjectItemCaseSensitive(root, key);

    if (j == NULL || cJSON_IsNull(j)) {
        return 0;
    }

    if (!cJSON_IsBool(j)) {
        return -1;
    }

    return cJSON_IsTrue(j) ? 1 : 0;
}
