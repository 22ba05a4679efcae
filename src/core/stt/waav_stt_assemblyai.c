/*
 * waav: AssemblyAI speech to text, in three steps (the multi-step hook):
 *
 *   1. POST {base}/v2/upload          the audio as application/octet-stream
 *                                     -> {"upload_url"}
 *   2. POST {base}/v2/transcript      {"audio_url", "speech_model",
 *                                      "language_code", "punctuate",
 *                                      "speaker_labels"} -> {"id", "status"}
 *   3. GET  {base}/v2/transcript/{id} until "status" is "completed"
 *                                     (or "error"), every poll interval
 *
 *   Authorization: <key>   (raw, no scheme)
 *
 * Word times come in milliseconds; they go out in seconds like everyone
 * else's.
 *
 * Streaming (v3, WaaV's /ws, waav_stt_stream.h), on the streaming host:
 *
 *   GET {base}/v3/ws?sample_rate=..&encoding=pcm_s16le|pcm_mulaw
 *       &speech_model=universal-streaming-english|...-multilingual
 *       &format_turns=true&end_of_turn_confidence_threshold=0.50
 *   Authorization: <key>
 *
 * English when the language is empty or starts with "en".  Mono audio as
 * binary messages, 8000 to 48000 Hz; up after Begin; {"type":
 * "ForceEndpoint"} for a flush, {"type":"Terminate"} at the end (answered
 * with Termination: DONE).  Turn -> (transcript, end_of_turn, end_of_turn,
 * the mean of words[].confidence, 1.0 without words); Error -> its error.
 *
 * With format_turns=true a turn's end comes twice: unformatted
 * (end_of_turn true, turn_is_formatted false), then formatted (both
 * true).  WaaV makes two finals of it, and so two speech-finals for one
 * turn.  Here the unformatted one is an interim (is_final false): the one
 * final is the formatted text, the one the client would keep.  A Turn
 * without turn_is_formatted counts as formatted.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "waav_errmsg.h"
#include "waav_jw.h"
#include "waav_stt.h"
#include "waav_stt_normalize.h"
#include "waav_stt_stream.h"


static int
waav_stt_aai_upload(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a, waav_err_t *err)
{
    (void) ad;
    (void) req;
    (void) suffix;
    (void) a;

    out->path.data = "/v2/upload";
    out->path.len = sizeof("/v2/upload") - 1;

    return waav_http_add_header(out, "Content-Type", "application/octet-stream",
                                sizeof("application/octet-stream") - 1, err);
}


/* the upload's answer: its URL (http or https) */
static int
waav_stt_aai_create(const waav_stt_req_t *req, waav_str_t answer,
    waav_stt_result_t *res, waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    size_t        i;
    char          lang[17];
    waav_jw_t     w;
    waav_str_t    url;
    const cJSON  *root;

    root = waav_stt_parse(answer.data, answer.len, a);

    if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(root, "upload_url"),
                      &url)
        || url.len > 2048
        || (strncmp(url.data, "https://", 8) != 0
            && strncmp(url.data, "http://", 7) != 0))
    {
        return waav_stt_bad(err, res->provider,
                            "an upload answer without a URL");
    }

    out->path.data = "/v2/transcript";
    out->path.len = sizeof("/v2/transcript") - 1;

    if (waav_http_json(out, err) != 0
        || waav_jw_alloc(&w, 512 + 6 * (url.len + req->model.len), a, err)
           != 0)
    {
        return -1;
    }

    waav_jw_open(&w, NULL);
    waav_jw_str(&w, "audio_url", url.data, url.len);

    if (req->model.len
        && !(req->model.len == 4 && memcmp(req->model.data, "best", 4) == 0))
    {
        waav_jw_str(&w, "speech_model", req->model.data, req->model.len);
    }

    /* AssemblyAI writes en_us where others write en-US */
    if (req->language.len && req->language.len < sizeof(lang)) {
        for (i = 0; i < req->language.len; i++) {
            lang[i] = (char) (req->language.data[i] == '-' ? '_'
                              : (req->language.data[i] | 0x20));
        }

        waav_jw_str(&w, "language_code", lang, req->language.len);
    }

    if (req->punctuate >= 0) {
        waav_jw_bool(&w, "punctuate", req->punctuate);
    }

    if (req->diarize >= 0) {
        waav_jw_bool(&w, "speaker_labels", req->diarize);
    }

    waav_jw_close(&w);

    if (waav_jw_done(&w, &out->body) != 0) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL, "request too large");
    }

    return WAAV_STT_NEXT;
}


/* the transcript's words, in milliseconds */
static int
waav_stt_aai_done(const cJSON *root, waav_stt_result_t *res, waav_alloc_t *a,
    waav_err_t *err)
{
    static const waav_stt_words_opt_t  opt = {
        .word_key = "text",
        .scale = 1000,
        .confidence = 1,
    };

    if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(root, "text"),
                      &res->transcript))
    {
        return waav_stt_bad(err, res->provider,
                            "a transcript in an unknown state");
    }

    res->has_confidence = waav_stt_num(
        cJSON_GetObjectItemCaseSensitive(root, "confidence"),
        &res->confidence);
    res->has_duration = waav_stt_num(
        cJSON_GetObjectItemCaseSensitive(root, "audio_duration"),
        &res->duration);

    (void) waav_stt_str(cJSON_GetObjectItemCaseSensitive(root,
                                                         "language_code"),
                        &res->language);

    /* a transcript always has a words list, if an empty one */
    if (waav_stt_words(res, cJSON_GetObjectItemCaseSensitive(root, "words"),
                       &opt, a, err) != 0)
    {
        return -1;
    }

    res->has_words = 1;

    return WAAV_STT_DONE;
}


/* a transcript's state: still working (poll it), done, or failed */
static int
waav_stt_aai_state(waav_stt_flow_t *flow, waav_str_t answer,
    waav_stt_result_t *res, waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    char          quoted[201];
    waav_str_t    st, id, e;
    const cJSON  *root;

    root = waav_stt_parse(answer.data, answer.len, a);

    if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(root, "status"), &st)
        || !waav_stt_str(cJSON_GetObjectItemCaseSensitive(root, "id"), &id))
    {
        return waav_stt_bad(err, res->provider, "a transcript without status");
    }

    if (strcmp(st.data, "queued") == 0 || strcmp(st.data, "processing") == 0) {
        if (!waav_ident_valid(id.data, id.len)) {
            return waav_stt_bad(err, res->provider,
                                "an invalid transcript id");
        }

        flow->id = id;
        out->method = "GET";
        out->path.data = waav_sprintf(a, &out->path.len, "/v2/transcript/%.*s",
                                      (int) id.len, id.data);

        return out->path.data ? WAAV_STT_WAIT : waav_err_nomem(err);
    }

    if (strcmp(st.data, "error") == 0) {
        if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(root, "error"), &e))
        {
            e.data = "error";
            e.len = 5;
        }

        /* the provider's words, without the key should they quote it */
        e.len = waav_scrub(e.data, e.len, flow->key.data, flow->key.len,
                           quoted, sizeof(quoted));
        e.data = quoted;

        return waav_err_set(err, 502, WAAV_E_PROVIDER_ERROR,
                            "Provider %.*s could not transcribe: %.*s",
                            (int) res->provider.len, res->provider.data,
                            (int) e.len, e.data);
    }

    if (strcmp(st.data, "completed") != 0) {
        return waav_stt_bad(err, res->provider,
                            "a transcript in an unknown state");
    }

    return waav_stt_aai_done(root, res, a, err);
}


static int
waav_stt_aai_next(const waav_stt_adapter_t *ad, waav_stt_flow_t *flow,
    const waav_stt_req_t *req, waav_str_t answer, waav_stt_result_t *res,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err)
{
    (void) ad;

    if (flow->step == 0) {
        return waav_stt_aai_create(req, answer, res, out, a, err);
    }

    return waav_stt_aai_state(flow, answer, res, out, a, err);
}


/* --- streaming ------------------------------------------------------------ */

static int
waav_stt_aai_open(const waav_stt_stream_t *st,
    const waav_ws_stt_config_t *cfg, waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    int             enc;
    char            rate[16];
    waav_stt_arg_t  args[5];

    (void) st;

    enc = waav_stt_stream_encoding(cfg->encoding);

    if (enc != WAAV_STT_ENC_PCM16 && enc != WAAV_STT_ENC_MULAW) {
        return waav_stt_stream_bad_encoding(err, "assemblyai", cfg->encoding,
                                            "linear16 or mulaw");
    }

    if (cfg->sample_rate < 8000 || cfg->sample_rate > 48000) {
        return waav_stt_stream_bad_rate(err, "assemblyai", cfg->sample_rate,
                                        "8000 to 48000");
    }

    if (waav_stt_stream_mono(err, "assemblyai", cfg->channels) != 0) {
        return -1;
    }

    args[0] = (waav_stt_arg_t) { "sample_rate", { rate, 0 } };
    args[1] = (waav_stt_arg_t) { "encoding",
                  enc == WAAV_STT_ENC_MULAW
                  ? (waav_str_t) waav_str_lit("pcm_mulaw")
                  : (waav_str_t) waav_str_lit("pcm_s16le") };
    args[2] = (waav_stt_arg_t) { "speech_model",
                  (cfg->language.len == 0
                   || (cfg->language.len >= 2
                       && strncasecmp(cfg->language.data, "en", 2) == 0))
                  ? (waav_str_t) waav_str_lit("universal-streaming-english")
                  : (waav_str_t) waav_str_lit(
                                     "universal-streaming-multilingual") };
    args[3] = (waav_stt_arg_t) { "format_turns", waav_str_lit("true") };
    args[4] = (waav_stt_arg_t) { "end_of_turn_confidence_threshold",
                                 waav_str_lit("0.50") };

    args[0].value.len = (size_t) snprintf(rate, sizeof(rate), "%u",
                                          cfg->sample_rate);

    out->path = (waav_str_t) waav_str_lit("/v3/ws");

    return waav_stt_stream_args(out, args, 5, a, err);
}


static int
waav_stt_aai_turn(const cJSON *root, waav_stt_event_t *ev, size_t max)
{
    int           eot, formatted, n;
    double        sum, c;
    waav_str_t    text;
    const cJSON  *w;

    eot = waav_stt_stream_bool(root, "end_of_turn");
    formatted = cJSON_GetObjectItemCaseSensitive(root, "turn_is_formatted")
                ? waav_stt_stream_bool(root, "turn_is_formatted") : 1;

    if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(root, "transcript"),
                      &text)
        || eot < 0 || formatted < 0)
    {
        return -1;
    }

    n = 0;
    sum = 0.0;

    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(root, "words")) {
        if (waav_stt_num(cJSON_GetObjectItemCaseSensitive(w, "confidence"),
                         &c))
        {
            sum += c;
            n++;
        }
    }

    /* the unformatted end of a turn: an interim, the formatted one is its
     * final */
    eot = eot && formatted;

    return waav_stt_stream_result(ev, max, text, eot, eot,
                                  n ? sum / n : 1.0);
}


static int
waav_stt_aai_parse(const char *msg, size_t len, waav_stt_event_t *ev,
    size_t max, waav_alloc_t *a)
{
    const char   *type;
    const cJSON  *root;

    static const char *const  keys[] = { "error", "message", NULL };

    root = waav_stt_stream_json(msg, len, "type", &type, a);

    if (root == NULL) {
        return -1;
    }

    if (strcmp(type, "Turn") == 0) {
        return waav_stt_aai_turn(root, ev, max);
    }

    if (strcmp(type, "Begin") == 0) {
        return waav_stt_stream_event(ev, max, WAAV_STT_EV_READY);
    }

    if (strcmp(type, "Termination") == 0) {
        return waav_stt_stream_event(ev, max, WAAV_STT_EV_DONE);
    }

    if (strcmp(type, "Error") == 0) {
        return waav_stt_stream_error(ev, max, root, keys,
                                     "AssemblyAI reported an error", a);
    }

    return 0;
}


static const waav_cred_t  waav_assemblyai_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Authorization",
    .prefix = "",
};


static const waav_stt_stream_t  waav_stt_assemblyai_stream = {
    .cred = &waav_assemblyai_cred,
    .open = waav_stt_aai_open,
    .flush = "{\"type\":\"ForceEndpoint\"}",
    .finish = "{\"type\":\"Terminate\"}",
    .wait_ready = 1,
    .min_chunk_ms = 50,             /* AssemblyAI takes 50 to 1000 ms */
    .parse = waav_stt_aai_parse,
};


const waav_stt_adapter_t  waav_stt_assemblyai = {
    .type = "assemblyai",
    .models = (const char *const []) { "best", "nano", "universal*",
                                       "slam-1*", NULL },
    .default_model = "best",
    .cred = &waav_assemblyai_cred,
    .build = waav_stt_aai_upload,
    .next = waav_stt_aai_next,
    .stream = &waav_stt_assemblyai_stream,
};
