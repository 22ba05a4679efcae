/*
 * waav: Cartesia speech to text, streaming only (WaaV's /ws,
 * waav_stt_stream.h).  Cartesia's REST transcription is not WaaV's, so
 * /stt and /v1/audio/transcriptions refuse the provider (waav_stt_rest).
 *
 *   GET {base}/stt/websocket?model=ink-whisper&language=<language before
 *       '-'|en>
 *       &encoding=pcm_s16le&sample_rate=..
 *   X-API-Key: <key>
 *   Cartesia-Version: 2025-04-16    (as the TTS adapter sends it)
 *
 * WaaV puts the key in the URL (?api_key=), where access logs keep it; a
 * header here.  The model is always ink-whisper (WaaV ignores the
 * config's too).  Mono 16-bit PCM at 8000, 16000, 22050, 24000, 44100 or
 * 48000 Hz as binary messages; up at the 101.  The text "finalize" for a
 * flush (answered with flush_done), the text "done" at the end (answered
 * with done, then the close; WaaV sends "\"done\"", a JSON string Cartesia
 * does not know).  Messages: transcript {text, is_final} -> (text,
 * is_final, is_final, 1.0 when final else 0); flush_done -> nothing;
 * done -> DONE; error {message} -> ERROR.
 */

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_stt.h"
#include "waav_stt_normalize.h"
#include "waav_stt_stream.h"


static int
waav_stt_cartesia_open(const waav_stt_stream_t *st,
    const waav_ws_stt_config_t *cfg, waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    char            rate[16];
    waav_stt_arg_t  args[4];

    (void) st;

    if (waav_stt_stream_encoding(cfg->encoding) != WAAV_STT_ENC_PCM16) {
        return waav_stt_stream_bad_encoding(err, "cartesia", cfg->encoding,
                                            "linear16");
    }

    if (!waav_stt_stream_rate_ok(cfg->sample_rate)) {
        return waav_stt_stream_bad_rate(err, "cartesia", cfg->sample_rate,
                                        WAAV_STT_STREAM_RATES);
    }

    if (waav_stt_stream_mono(err, "cartesia", cfg->channels) != 0) {
        return -1;
    }

    args[0] = (waav_stt_arg_t) { "model", waav_str_lit("ink-whisper") };
    /* ISO 639-1, as Cartesia takes it: WaaV's clients send "en-US" */
    args[1] = (waav_stt_arg_t) { "language",
                                 waav_stt_stream_iso639(cfg->language) };
    args[2] = (waav_stt_arg_t) { "encoding", waav_str_lit("pcm_s16le") };
    args[3] = (waav_stt_arg_t) { "sample_rate", { rate, 0 } };

    if (args[1].value.len == 0) {
        args[1].value = (waav_str_t) waav_str_lit("en");
    }

    args[3].value.len = (size_t) snprintf(rate, sizeof(rate), "%u",
                                          cfg->sample_rate);

    out->path = (waav_str_t) waav_str_lit("/stt/websocket");

    if (waav_stt_stream_args(out, args, 4, a, err) != 0) {
        return -1;
    }

    return waav_http_add_header(out, "Cartesia-Version", "2025-04-16",
                                sizeof("2025-04-16") - 1, err);
}


static int
waav_stt_cartesia_parse(const char *msg, size_t len, waav_stt_event_t *ev,
    size_t max, waav_alloc_t *a)
{
    int           final;
    const char   *type;
    waav_str_t    text;
    const cJSON  *root;

    static const char *const  keys[] = { "message", "error", NULL };

    root = waav_stt_stream_json(msg, len, "type", &type, a);

    if (root == NULL) {
        return -1;
    }

    if (strcmp(type, "transcript") == 0) {
        final = waav_stt_stream_bool(root, "is_final");

        if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(root, "text"),
                          &text)
            || final < 0)
        {
            return -1;
        }

        return waav_stt_stream_result(ev, max, text, final, final,
                                      final ? 1.0 : 0.0);
    }

    if (strcmp(type, "done") == 0) {
        return waav_stt_stream_event(ev, max, WAAV_STT_EV_DONE);
    }

    if (strcmp(type, "error") == 0) {
        return waav_stt_stream_error(ev, max, root, keys,
                                     "Cartesia reported an error", a);
    }

    /* flush_done, what comes next */
    return 0;
}


static const waav_cred_t  waav_cartesia_stt_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "X-API-Key",
    .prefix = "",
};


static const waav_stt_stream_t  waav_stt_cartesia_stream = {
    .cred = &waav_cartesia_stt_cred,
    .open = waav_stt_cartesia_open,
    .flush = "finalize",
    .finish = "done",
    .wait_ready = 0,
    .parse = waav_stt_cartesia_parse,
};


const waav_stt_adapter_t  waav_stt_cartesia = {
    .type = "cartesia",
    .default_model = "ink-whisper",
    .cred = &waav_cartesia_stt_cred,
    .stream = &waav_stt_cartesia_stream,
};
