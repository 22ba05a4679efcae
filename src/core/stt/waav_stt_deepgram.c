/*
 * waav: Deepgram speech to text (pre-recorded).
 *
 *   POST {base}/v1/listen?model=..&language=..|detect_language=true
 *        [&encoding=linear16&sample_rate=..&channels=..][&punctuate=..]
 *        [&diarize=..][&keyterm=..|&keywords=..]
 *   Authorization: Token <key>
 *   Content-Type: <the audio's, as waav validated it>
 *   <the audio>
 *
 * Answer: results.channels[0].alternatives[0]{transcript, confidence,
 * words[{word, punctuated_word, start, end, confidence}]},
 * metadata.duration, channels[0].detected_language.
 *
 * Streaming (WaaV's /ws, waav_stt_stream.h), WaaV's query in its order,
 * values percent-encoded:
 *
 *   GET {base}/v1/listen?model=<model|nova-3>[&language=<language>]
 *       &sample_rate=..&channels=..&punctuate=true|false
 *       &interim_results=true&smart_format=true
 *       &encoding=linear16|mulaw|alaw&endpointing=200
 *   Authorization: Token <key>
 *
 * Audio as binary messages; {"type":"KeepAlive"} after 1 s without audio,
 * {"type":"Finalize"} for a flush, {"type":"CloseStream"} at the end (WaaV
 * just drops the socket, losing the last words): Deepgram answers with its
 * last Results and Metadata, then closes.  Messages: Results ->
 * channel.alternatives[0]{transcript, confidence}, is_final, speech_final;
 * Error -> its description (or message); Metadata, SpeechStarted,
 * UtteranceEnd and unknown types -> nothing.  An empty language is left
 * out (Deepgram's default) rather than sent empty.
 */

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_buf.h"
#include "waav_stt.h"
#include "waav_stt_normalize.h"
#include "waav_stt_stream.h"


/* keywords: each becomes keyterm= (nova-3) or keywords=, spaces %20 */
static void
waav_deepgram_keywords(waav_buf_t *b, waav_str_t kw, int nova3)
{
    size_t  i;

    for (i = 0; i < kw.len; /* void */ ) {
        while (i < kw.len && kw.data[i] == ',') {
            i++;
        }

        if (i == kw.len) {
            break;
        }

        waav_buf_cstr(b, nova3 ? "&keyterm=" : "&keywords=");

        for ( /* void */ ; i < kw.len && kw.data[i] != ','; i++) {
            if (kw.data[i] == ' ') {
                waav_buf_cstr(b, "%20");

            } else {
                waav_buf_byte(b, kw.data[i]);
            }
        }
    }
}


static int
waav_stt_deepgram_build(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a, waav_err_t *err)
{
    waav_buf_t   b;
    waav_str_t   model;
    const char  *ct;

    (void) suffix;

    model = req->model;

    if (model.len == 0) {
        model.data = ad->default_model;
        model.len = strlen(ad->default_model);
    }

    if (waav_buf_alloc(&b, 256 + model.len + req->language.len
                           + 16 * req->keywords.len, a, err)
        != 0)
    {
        return -1;
    }

    waav_buf_cstr(&b, "model=");
    waav_buf_str(&b, model);

    if (req->language.len) {
        waav_buf_cstr(&b, "&language=");
        waav_buf_str(&b, req->language);

    } else {
        waav_buf_cstr(&b, "&detect_language=true");
    }

    /* headerless PCM: Deepgram must be told what it is */
    if (req->audio.kind == WAAV_AUDIO_PCM) {
        waav_buf_cstr(&b, "&encoding=linear16&sample_rate=");
        waav_buf_uint(&b, req->audio.rate);
        waav_buf_cstr(&b, "&channels=");
        waav_buf_uint(&b, req->audio.channels);
    }

    if (req->punctuate >= 0) {
        waav_buf_cstr(&b, req->punctuate ? "&punctuate=true"
                                         : "&punctuate=false");
    }

    if (req->diarize >= 0) {
        waav_buf_cstr(&b, req->diarize ? "&diarize=true" : "&diarize=false");
    }

    waav_deepgram_keywords(&b, req->keywords,
                           model.len >= 6
                           && memcmp(model.data, "nova-3", 6) == 0);

    if (waav_buf_done(&b, &out->args) != 0) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL, "query too long");
    }

    out->path.data = "/v1/listen";
    out->path.len = sizeof("/v1/listen") - 1;

    ct = waav_audio_content_type(&req->audio, a);
    if (ct == NULL) {
        return waav_err_nomem(err);
    }

    return waav_http_add_header(out, "Content-Type", ct, strlen(ct), err);
}


static int
waav_stt_deepgram_normalize(const waav_stt_adapter_t *ad, const char *json,
    size_t len, const waav_stt_req_t *req, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    const cJSON           *root, *ch, *alt;
    waav_stt_words_opt_t   opt;

    (void) ad;

    root = waav_stt_parse(json, len, a);
    ch = cJSON_GetArrayItem(waav_stt_get(root, "results", "channels"), 0);
    alt = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ch,
                                                              "alternatives"),
                             0);

    if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(alt, "transcript"),
                      &res->transcript))
    {
        return waav_stt_bad(err, res->provider,
                            "an answer without a transcript");
    }

    res->has_confidence = waav_stt_num(
        cJSON_GetObjectItemCaseSensitive(alt, "confidence"), &res->confidence);
    res->has_duration = waav_stt_num(waav_stt_get(root, "metadata", "duration"),
                                     &res->duration);

    (void) waav_stt_str(cJSON_GetObjectItemCaseSensitive(ch,
                                                         "detected_language"),
                        &res->language);

    memset(&opt, 0, sizeof(opt));
    opt.word_key = (req->punctuate == 1) ? "punctuated_word" : "word";
    opt.confidence = 1;

    return waav_stt_words(res, cJSON_GetObjectItemCaseSensitive(alt, "words"),
                          &opt, a, err);
}


static int
waav_stt_deepgram_open(const waav_stt_stream_t *st,
    const waav_ws_stt_config_t *cfg, waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    char            rate[16], channels[16];
    waav_str_t      model;
    waav_stt_arg_t  args[9];

    static const waav_str_t  encodings[] = {
        waav_str_lit(""), waav_str_lit("linear16"), waav_str_lit("mulaw"),
        waav_str_lit("alaw")
    };

    (void) st;

    model = cfg->model;

    if (model.len == 0) {
        model = (waav_str_t) waav_str_lit("nova-3");
    }

    args[0] = (waav_stt_arg_t) { "model", model };
    args[1] = (waav_stt_arg_t) { "language", cfg->language };
    args[2] = (waav_stt_arg_t) { "sample_rate", { rate, 0 } };
    args[3] = (waav_stt_arg_t) { "channels", { channels, 0 } };
    args[4] = (waav_stt_arg_t) { "punctuate",
                  cfg->punctuation ? (waav_str_t) waav_str_lit("true")
                                   : (waav_str_t) waav_str_lit("false") };
    args[5] = (waav_stt_arg_t) { "interim_results", waav_str_lit("true") };
    args[6] = (waav_stt_arg_t) { "smart_format", waav_str_lit("true") };
    args[7] = (waav_stt_arg_t) { "encoding",
                  encodings[waav_stt_stream_encoding(cfg->encoding)] };
    args[8] = (waav_stt_arg_t) { "endpointing", waav_str_lit("200") };

    if (args[7].value.len == 0) {
        return waav_stt_stream_bad_encoding(err, "deepgram", cfg->encoding,
                                            "linear16, mulaw or alaw");
    }

    if (cfg->language.len == 0) {
        args[1].value.data = NULL;
    }

    args[2].value.len = (size_t) snprintf(rate, sizeof(rate), "%u",
                                          cfg->sample_rate);
    args[3].value.len = (size_t) snprintf(channels, sizeof(channels), "%u",
                                          cfg->channels ? cfg->channels : 1);

    out->path = (waav_str_t) waav_str_lit("/v1/listen");

    return waav_stt_stream_args(out, args, 9, a, err);
}


static int
waav_stt_deepgram_parse(const char *msg, size_t len, waav_stt_event_t *ev,
    size_t max, waav_alloc_t *a)
{
    int            is_final, speech_final;
    double         conf;
    const char    *type;
    waav_str_t     text;
    const cJSON   *root, *alt;

    static const char *const  keys[] = { "description", "message",
                                         "err_msg", NULL };

    root = waav_stt_stream_json(msg, len, "type", &type, a);

    if (root == NULL) {
        return -1;
    }

    if (strcmp(type, "Error") == 0) {
        return waav_stt_stream_error(ev, max, root, keys,
                                     "Deepgram reported an error", a);
    }

    if (strcmp(type, "Results") != 0) {
        /* Metadata, SpeechStarted, UtteranceEnd, what comes next */
        return 0;
    }

    alt = cJSON_GetArrayItem(waav_stt_get(root, "channel", "alternatives"),
                             0);
    is_final = waav_stt_stream_bool(root, "is_final");
    speech_final = waav_stt_stream_bool(root, "speech_final");

    if (alt == NULL) {
        return 0;
    }

    if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(alt, "transcript"),
                      &text)
        || is_final < 0 || speech_final < 0)
    {
        return -1;
    }

    if (!waav_stt_num(cJSON_GetObjectItemCaseSensitive(alt, "confidence"),
                      &conf))
    {
        conf = 0.0;
    }

    return waav_stt_stream_result(ev, max, text, is_final, speech_final,
                                  conf);
}


static const waav_cred_t  waav_deepgram_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Authorization",
    .prefix = "Token ",
};


static const waav_stt_stream_t  waav_stt_deepgram_stream = {
    .cred = &waav_deepgram_cred,
    .open = waav_stt_deepgram_open,
    .keepalive = "{\"type\":\"KeepAlive\"}",
    .keepalive_ms = 1000,
    .flush = "{\"type\":\"Finalize\"}",
    .finish = "{\"type\":\"CloseStream\"}",
    .wait_ready = 0,
    .parse = waav_stt_deepgram_parse,
};


const waav_stt_adapter_t  waav_stt_deepgram = {
    .type = "deepgram",
    .models = (const char *const []) { "nova*", "enhanced*", "base*", NULL },
    .default_model = "nova-3",
    .cred = &waav_deepgram_cred,
    .build = waav_stt_deepgram_build,
    .normalize = waav_stt_deepgram_normalize,
    .stream = &waav_stt_deepgram_stream,
};
