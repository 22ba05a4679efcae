/*
 * waav: ElevenLabs speech to text.
 *
 *   POST {base}/v1/speech-to-text
 *   xi-api-key: <key>
 *   multipart/form-data: model_id, language_code, diarize, file
 *
 * Answer: {"text", "language_code", "words": [{text, start, end, type}]}
 * with spacing and audio events among the words (only type "word" kept);
 * no duration: where the last item ends stands for it.
 *
 * Streaming (realtime, WaaV's /ws, waav_stt_stream.h), WaaV's query:
 *
 *   GET {base}/v1/speech-to-text/realtime?model_id=scribe_v2_realtime
 *       &audio_format=pcm_<rate>|ulaw_8000[&language_code=<lang before '-'>]
 *       &commit_strategy=vad&include_timestamps=false
 *       &vad_silence_threshold_secs=0.5&min_speech_duration_ms=50
 *       &min_silence_duration_ms=300
 *   xi-api-key: <key>
 *
 * Rates 8000, 16000, 22050, 24000, 44100, 48000 (WaaV silently sends
 * pcm_16000 for others, so the audio is misread: refused here), mu-law at
 * 8000 only, mono.  Audio goes as {"message_type":"input_audio_chunk",
 * "audio_base_64":"<base64>"}; up after session_started; a flush (and the
 * end) commits: the same chunk, empty, with "commit":true.  Messages:
 * partial_transcript -> (text, false, false, 0), empty ones skipped;
 * committed_transcript -> (text, true, true, 1.0);
 * committed_transcript_with_timestamps -> (text, true, true, the mean of
 * exp(logprob) over the words that have one, else 1.0); error and every
 * *_error type -> ERROR.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_base64.h"
#include "waav_stt.h"
#include "waav_stt_normalize.h"
#include "waav_stt_stream.h"


static int
waav_stt_elevenlabs_build(const waav_stt_adapter_t *ad,
    const waav_stt_req_t *req, waav_http_req_t *out, waav_str_t *suffix,
    waav_alloc_t *a, waav_err_t *err)
{
    waav_stt_field_t  fields[3];

    fields[0] = (waav_stt_field_t) { "model_id", req->model };
    fields[1] = (waav_stt_field_t) { "language_code", req->language };
    fields[2] = (waav_stt_field_t) { "diarize",
                  req->diarize == 1 ? (waav_str_t) waav_str_lit("true")
                                    : (waav_str_t) { "", 0 } };

    if (fields[0].value.len == 0) {
        fields[0].value.data = ad->default_model;
        fields[0].value.len = strlen(ad->default_model);
    }

    out->path.data = "/v1/speech-to-text";
    out->path.len = sizeof("/v1/speech-to-text") - 1;

    return waav_stt_form(req, fields, 3, out, suffix, a, err);
}


static int
waav_stt_elevenlabs_normalize(const waav_stt_adapter_t *ad, const char *json,
    size_t len, const waav_stt_req_t *req, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    static const waav_stt_text_shape_t  shape = {
        .language = "language_code",
        .words = { .word_key = "text", .type_only = "word" },
        .words_duration = 1,
    };

    (void) ad;
    (void) req;

    return waav_stt_text_normalize(json, len, &shape, res, a, err);
}


/* --- streaming ------------------------------------------------------------ */

static int
waav_stt_elevenlabs_open(const waav_stt_stream_t *st,
    const waav_ws_stt_config_t *cfg, waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    int             enc;
    char            fmt[16];
    waav_stt_arg_t  args[9];

    (void) st;

    enc = waav_stt_stream_encoding(cfg->encoding);

    if (enc == WAAV_STT_ENC_MULAW && cfg->sample_rate == 8000) {
        snprintf(fmt, sizeof(fmt), "ulaw_8000");

    } else if (enc == WAAV_STT_ENC_MULAW) {
        return waav_stt_stream_bad_rate(err, "elevenlabs", cfg->sample_rate,
                                        "8000 for mulaw");

    } else if (enc != WAAV_STT_ENC_PCM16) {
        return waav_stt_stream_bad_encoding(err, "elevenlabs", cfg->encoding,
                                            "linear16 or mulaw");

    } else if (waav_stt_stream_rate_ok(cfg->sample_rate)) {
        snprintf(fmt, sizeof(fmt), "pcm_%u", cfg->sample_rate);

    } else {
        return waav_stt_stream_bad_rate(err, "elevenlabs", cfg->sample_rate,
                                        WAAV_STT_STREAM_RATES);
    }

    if (waav_stt_stream_mono(err, "elevenlabs", cfg->channels) != 0) {
        return -1;
    }

    args[0] = (waav_stt_arg_t) { "model_id",
                                 waav_str_lit("scribe_v2_realtime") };
    args[1] = (waav_stt_arg_t) { "audio_format", { fmt, strlen(fmt) } };
    args[2] = (waav_stt_arg_t) { "language_code",
                                 waav_stt_stream_iso639(cfg->language) };
    args[3] = (waav_stt_arg_t) { "commit_strategy", waav_str_lit("vad") };
    args[4] = (waav_stt_arg_t) { "include_timestamps", waav_str_lit("false") };
    args[5] = (waav_stt_arg_t) { "vad_silence_threshold_secs",
                                 waav_str_lit("0.5") };
    args[6] = (waav_stt_arg_t) { "min_speech_duration_ms",
                                 waav_str_lit("50") };
    args[7] = (waav_stt_arg_t) { "min_silence_duration_ms",
                                 waav_str_lit("300") };

    if (args[2].value.len == 0) {
        args[2].value.data = NULL;
    }

    out->path = (waav_str_t) waav_str_lit("/v1/speech-to-text/realtime");

    return waav_stt_stream_args(out, args, 8, a, err);
}


#define WAAV_EL_CHUNK_HEAD  "{\"message_type\":\"input_audio_chunk\"," \
                            "\"audio_base_64\":\""
#define WAAV_EL_CHUNK_TAIL  "\"}"


static char *
waav_stt_elevenlabs_wrap(const uint8_t *audio, size_t len, size_t *out_len,
    waav_alloc_t *a)
{
    char    *p;
    size_t   n;

    if (len > (SIZE_MAX - 128) / 4 * 3 - 3) {
        return NULL;
    }

    p = waav_alloc(a, sizeof(WAAV_EL_CHUNK_HEAD) - 1 + WAAV_BASE64_LEN(len)
                      + sizeof(WAAV_EL_CHUNK_TAIL));
    if (p == NULL) {
        return NULL;
    }

    n = sizeof(WAAV_EL_CHUNK_HEAD) - 1;
    memcpy(p, WAAV_EL_CHUNK_HEAD, n);
    n += waav_base64_encode(p + n, audio, len);
    memcpy(p + n, WAAV_EL_CHUNK_TAIL, sizeof(WAAV_EL_CHUNK_TAIL));

    *out_len = n + sizeof(WAAV_EL_CHUNK_TAIL) - 1;

    return p;
}


/* the mean of exp(logprob) over the words that have one, else 1.0 */
static double
waav_stt_elevenlabs_confidence(const cJSON *root)
{
    int           n;
    double        sum, lp;
    const cJSON  *w;

    n = 0;
    sum = 0.0;

    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(root, "words")) {
        if (waav_stt_num(cJSON_GetObjectItemCaseSensitive(w, "logprob"),
                         &lp))
        {
            sum += exp(lp);
            n++;
        }
    }

    return n ? sum / n : 1.0;
}


static int
waav_stt_elevenlabs_parse(const char *msg, size_t len, waav_stt_event_t *ev,
    size_t max, waav_alloc_t *a)
{
    int           final;
    double        conf;
    size_t        tlen;
    const char   *type;
    waav_str_t    text;
    const cJSON  *root;

    static const char *const  keys[] = { "error", "message", NULL };

    root = waav_stt_stream_json(msg, len, "message_type", &type, a);

    if (root == NULL) {
        return -1;
    }

    tlen = strlen(type);

    if (strcmp(type, "error") == 0
        || (tlen > 6 && strcmp(type + tlen - 6, "_error") == 0))
    {
        return waav_stt_stream_error(ev, max, root, keys, type, a);
    }

    if (strcmp(type, "session_started") == 0) {
        return waav_stt_stream_event(ev, max, WAAV_STT_EV_READY);
    }

    if (strcmp(type, "partial_transcript") == 0) {
        final = 0;

    } else if (strcmp(type, "committed_transcript") == 0
               || strcmp(type, "committed_transcript_with_timestamps") == 0)
    {
        final = 1;

    } else {
        return 0;
    }

    if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(root, "text"), &text))
    {
        return -1;
    }

    if (!final) {
        return text.len ? waav_stt_stream_result(ev, max, text, 0, 0, 0.0)
                        : 0;
    }

    /* committed_transcript_with_timestamps: its words' logprobs */
    conf = type[20] ? waav_stt_elevenlabs_confidence(root) : 1.0;

    return waav_stt_stream_result(ev, max, text, 1, 1, conf);
}


static const waav_cred_t  waav_elevenlabs_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "xi-api-key",
    .prefix = "",
};


/* a commit: what was said so far becomes a committed transcript */
#define WAAV_EL_COMMIT  "{\"message_type\":\"input_audio_chunk\"," \
                        "\"audio_base_64\":\"\",\"commit\":true}"

static const waav_stt_stream_t  waav_stt_elevenlabs_stream = {
    .cred = &waav_elevenlabs_cred,
    .open = waav_stt_elevenlabs_open,
    .wrap = waav_stt_elevenlabs_wrap,
    .flush = WAAV_EL_COMMIT,
    .finish = WAAV_EL_COMMIT,
    .wait_ready = 1,
    .parse = waav_stt_elevenlabs_parse,
};


const waav_stt_adapter_t  waav_stt_elevenlabs = {
    .type = "elevenlabs",
    .models = (const char *const []) { "scribe*", NULL },
    .default_model = "scribe_v1",
    .multipart = 1,
    .cred = &waav_elevenlabs_cred,
    .build = waav_stt_elevenlabs_build,
    .normalize = waav_stt_elevenlabs_normalize,
    .stream = &waav_stt_elevenlabs_stream,
};
