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
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_errmsg.h"
#include "waav_jw.h"
#include "waav_stt.h"
#include "waav_stt_normalize.h"


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


static const waav_cred_t  waav_assemblyai_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Authorization",
    .prefix = "",
};


const waav_stt_adapter_t  waav_stt_assemblyai = {
    .type = "assemblyai",
    .models = (const char *const []) { "best", "nano", "universal*",
                                       "slam-1*", NULL },
    .default_model = "best",
    .cred = &waav_assemblyai_cred,
    .build = waav_stt_aai_upload,
    .next = waav_stt_aai_next,
};
