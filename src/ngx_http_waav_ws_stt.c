/*
 * waav: speech to text on /ws, the buffered way WaaV does it for REST
 * providers (openai, groq, an OpenAI-compatible server; waav-compat.md
 * 5.6): the client's binary frames are raw audio as its stt_config says
 * (16-bit little-endian PCM at sample_rate, channels), kept until the
 * client sends {"type":"flush"} or 20 MiB have come, then sent as one WAV
 * to the provider's transcription API through the same adapter and
 * internal location as POST /v1/audio/transcriptions.  The answer is one
 * stt_result, final.  The seconds sent are charged to the location's
 * stt_seconds quotas, and refunded when the provider fails.
 *
 * One transcription runs at a time; audio that comes meanwhile waits for
 * the next.  The subrequest is a background one: it never holds the
 * connection's output (a speak's audio streams meanwhile).
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_util.h"
#include "ngx_http_waav_ws.h"
#include "waav_stt.h"
#include "waav_stt_normalize.h"


#define NGX_HTTP_WAAV_WS_AUDIO_CAP                                           \
    (NGX_HTTP_WAAV_WS_STT_MAX + WAAV_WS_BINARY_MAX)


static void ngx_http_waav_ws_stt_go(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_ws_stt_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_waav_ws_stt_end(ngx_http_waav_ws_t *ws,
    const char *error);


ngx_int_t
ngx_http_waav_ws_stt_audio(ngx_http_waav_ws_t *ws, const u_char *p,
    size_t len, ngx_uint_t first)
{
    size_t   size;
    u_char  *audio;

    if (ws->stream) {
        return ngx_http_waav_ws_stream_audio(ws, p, len, first);
    }

    if (ws->local) {
        return ngx_http_waav_ws_local_audio(ws, p, len, first);
    }

    if (first) {
        ws->audio_mark = ws->audio_len;
        ws->audio_drop = 0;
    }

    if (!ws->audio_on || ws->stt_provider == NULL || ws->audio_drop
        || ws->stream_dead)
    {
        return NGX_OK;
    }

    /* a message over its bound is dropped whole (and said so at its end) */
    if (ws->audio_len - ws->audio_mark + len > WAAV_WS_BINARY_MAX) {
        ws->audio_len = ws->audio_mark;
        ws->audio_drop = 1;
        return NGX_OK;
    }

    if (ws->audio_len + len > ws->audio_size) {
        /* as large as the last transcription's at once: a session that
         * flushes every few seconds does not copy its audio over again */
        size = ngx_max(ws->audio_size * 2, 64 * 1024);
        size = ngx_max(size, ws->audio_hint);
        size = ngx_max(size, ws->audio_len + len);
        size = ngx_min(size, NGX_HTTP_WAAV_WS_AUDIO_CAP);

        if (ws->audio_len + len > size) {
            /* cannot happen: a flush comes at 20 MiB, a message is 5 */
            return NGX_ERROR;
        }

        audio = ngx_alloc(size, ws->request->connection->log);
        if (audio == NULL) {
            return NGX_ERROR;
        }

        if (ws->audio) {
            ngx_memcpy(audio, ws->audio, ws->audio_len);
            ngx_free(ws->audio);
        }

        ws->audio = audio;
        ws->audio_size = size;
    }

    ngx_memcpy(ws->audio + ws->audio_len, p, len);
    ws->audio_len += len;

    return NGX_OK;
}


void
ngx_http_waav_ws_stt_audio_end(ngx_http_waav_ws_t *ws, uint64_t len)
{
    char  msg[128];

    if (ws->stream) {
        ngx_http_waav_ws_stream_audio_end(ws, len);
        return;
    }

    if (ws->local) {
        ngx_http_waav_ws_local_audio_end(ws, len);
        return;
    }

    if (ws->stream_dead) {
        /* the provider's stream failed (and that was said): a new config
         * starts another */
        return;
    }

    if (len > WAAV_WS_BINARY_MAX) {
        ws->audio_len = ws->audio_mark;

        ngx_snprintf((u_char *) msg, sizeof(msg),
                     "Audio frame too large: %uL bytes (max: %d bytes)%Z",
                     len, WAAV_WS_BINARY_MAX);
        (void) ngx_http_waav_ws_send_error(ws, msg);
        return;
    }

    if (!ws->audio_on || ws->stt_provider == NULL) {
        (void) ngx_http_waav_ws_send_error(ws,
                   "Audio processing is disabled. Send config message with "
                   "audio=true first.");
        return;
    }

    if (ws->audio_len >= NGX_HTTP_WAAV_WS_STT_MAX) {
        ngx_http_waav_ws_stt_flush(ws);
    }
}


/* the buffered audio to the provider, now or when the running one ends */
void
ngx_http_waav_ws_stt_flush(ngx_http_waav_ws_t *ws)
{
    ngx_pool_t                  *pool;
    ngx_http_waav_ws_stt_job_t  *job;

    if (ws->stream) {
        ngx_http_waav_ws_stream_flush(ws);
        return;
    }

    if (ws->local) {
        ngx_http_waav_ws_local_flush(ws);
        return;
    }

    if (ws->audio_len == 0 || ws->stt_provider == NULL || ws->finished) {
        return;
    }

    if (ws->stt_job) {
        ws->stt_flush = 1;
        return;
    }

    ws->stt_flush = 0;

    pool = ngx_create_pool(4096, ws->request->connection->log);
    job = pool ? ngx_pcalloc(pool, sizeof(ngx_http_waav_ws_stt_job_t)) : NULL;

    if (job == NULL) {
        if (pool) {
            ngx_destroy_pool(pool);
        }

        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
        return;
    }

    /* the job takes the audio; what comes next starts a new buffer */
    job->pool = pool;
    job->provider = ws->stt_provider;
    job->audio = ws->audio;
    job->len = ws->audio_len;
    ws->audio_hint = ngx_min(job->len + job->len / 4,
                             (size_t) NGX_HTTP_WAAV_WS_AUDIO_CAP);
    ws->audio = NULL;
    ws->audio_len = 0;
    ws->audio_size = 0;
    ws->audio_mark = 0;
    ws->stt_job = job;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                   "waav ws: transcribing %uz bytes of audio", job->len);

    ngx_http_waav_ws_stt_go(ws->request);
}


/* what the audio may be: 16-bit little-endian PCM, as WaaV's clients
 * send it (linear16, pcm, pcm_s16le; empty: the same) */
ngx_flag_t
ngx_http_waav_ws_stt_encoding_ok(waav_str_t enc)
{
    static const char  *names[] = { "linear16", "pcm", "pcm_s16le", NULL };

    ngx_uint_t  i;

    if (enc.len == 0) {
        return 1;
    }

    for (i = 0; names[i]; i++) {
        if (enc.len == ngx_strlen(names[i])
            && ngx_strncasecmp((u_char *) enc.data, (u_char *) names[i],
                               enc.len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* the request the adapter builds for the session's audio */
static ngx_int_t
ngx_http_waav_ws_stt_req(ngx_http_waav_ws_t *ws, waav_stt_req_t *req,
    waav_err_t *err)
{
    ngx_http_waav_ws_stt_job_t  *job;

    job = ws->stt_job;

    ngx_memzero(req, sizeof(waav_stt_req_t));

    if (!ngx_http_waav_ws_stt_encoding_ok(ws->stt.encoding)) {
        return waav_err_set(err, 400, "UNSUPPORTED_FORMAT",
                            "Unsupported encoding: %.*s (send linear16)",
                            (int) ws->stt.encoding.len,
                            ws->stt.encoding.data);
    }

    req->audio.kind = WAAV_AUDIO_WAV;
    req->audio.media_type = "audio/wav";
    req->audio.ext = "wav";
    req->audio.rate = ws->stt.sample_rate;
    req->audio.channels = ws->stt.channels ? ws->stt.channels : 1;
    req->content_type.data = "audio/wav";
    req->content_type.len = sizeof("audio/wav") - 1;
    req->audio_len = WAAV_AUDIO_WAV_HEADER + job->len;
    req->model = ws->stt.model;
    req->byok = job->provider->byok;
    req->language = ws->stt.language;
    req->punctuate = ws->stt.punctuation ? 1 : 0;
    req->diarize = -1;
    req->words = 0;

    if (req->model.len == 0) {
        req->model.data = job->provider->stt->default_model;
        req->model.len = ngx_strlen(job->provider->stt->default_model);
    }

    return 0;
}


static ngx_buf_t *
ngx_http_waav_ws_stt_buf(ngx_pool_t *pool, u_char *p, size_t len,
    ngx_chain_t ***ll)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = ngx_calloc_buf(pool);
    cl = ngx_alloc_chain_link(pool);
    if (b == NULL || cl == NULL) {
        return NULL;
    }

    b->start = p;
    b->pos = p;
    b->last = p + len;
    b->end = b->last;
    b->memory = 1;

    cl->buf = b;
    cl->next = NULL;
    **ll = cl;
    *ll = &cl->next;

    return b;
}


/* the provider request: the form's head, a WAV header, the audio, the
 * form's tail */
static ngx_int_t
ngx_http_waav_ws_stt_call(ngx_http_waav_ws_t *ws, waav_err_t *err)
{
    u_char                      *wav;
    off_t                        len;
    waav_str_t                   suffix;
    waav_alloc_t                 a;
    waav_secret_t                secret;
    waav_stt_req_t               req;
    waav_http_req_t              preq;
    ngx_buf_t                   *b;
    ngx_chain_t                 *body, **ll;
    ngx_http_request_t          *pr;
    ngx_http_waav_ws_stt_job_t  *job;

    job = ws->stt_job;
    ngx_http_waav_allocator(job->pool, &a);
    ngx_http_waav_provider_secret(job->provider, &secret);

    ngx_str_null((ngx_str_t *) &suffix);

    if (ngx_http_waav_ws_stt_req(ws, &req, err) != 0
        || waav_stt_build(job->provider->stt, &req, &secret, &preq,
                          &suffix, &a, err)
           != 0)
    {
        return NGX_DECLINED;
    }

    wav = ngx_pnalloc(job->pool, WAAV_AUDIO_WAV_HEADER);
    if (wav == NULL) {
        return NGX_ERROR;
    }

    waav_audio_wav_header(wav, &req.audio, job->len);

    body = NULL;
    ll = &body;

    if (ngx_http_waav_ws_stt_buf(job->pool, (u_char *) preq.body.data,
                                 preq.body.len, &ll) == NULL
        || ngx_http_waav_ws_stt_buf(job->pool, wav, WAAV_AUDIO_WAV_HEADER,
                                    &ll) == NULL
        || ngx_http_waav_ws_stt_buf(job->pool, job->audio, job->len, &ll)
           == NULL
        || (b = ngx_http_waav_ws_stt_buf(job->pool, (u_char *) suffix.data,
                                         suffix.len, &ll)) == NULL)
    {
        return NGX_ERROR;
    }

    b->last_buf = 1;

    len = preq.body.len + WAAV_AUDIO_WAV_HEADER + job->len + suffix.len;

    pr = ngx_http_waav_ws_parent(ws, job->pool, 0);
    if (pr == NULL) {
        return NGX_ERROR;
    }

    job->parent = pr;

    if (ngx_http_waav_call(pr, job->provider, &preq, body, len,
                           ngx_http_waav_ws_stt_done, ws,
                           NGX_HTTP_SUBREQUEST_IN_MEMORY
                           |NGX_HTTP_SUBREQUEST_BACKGROUND
                           |NGX_HTTP_SUBREQUEST_WAITED, &job->sr)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the seconds, charged (Redis may answer later), then the call */
static void
ngx_http_waav_ws_stt_go(ngx_http_request_t *r)
{
    uint64_t                     seconds, rate;
    ngx_int_t                    rc;
    waav_err_t                   err;
    ngx_http_waav_ws_t          *ws;
    ngx_http_waav_ws_stt_job_t  *job;

    ws = ngx_http_waav_ws_get(r);
    job = ws ? ws->stt_job : NULL;

    if (job == NULL || ws->finished || job->sr) {
        return;
    }

    ngx_memzero(&err, sizeof(waav_err_t));

    rate = (uint64_t) ws->stt.sample_rate * ngx_max(ws->stt.channels, 1) * 2;
    seconds = rate ? (job->len + rate - 1) / rate : 1;
    job->seconds = seconds;

    rc = ngx_http_waav_limit_charge_q(r,
             &ws->stt_quota,
             NGX_HTTP_WAAV_QUOTA_STT_SECONDS, seconds,
             ngx_http_waav_ws_stt_go, &err);

    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_waav_ws_stt_call(ws, &err);

        if (rc == NGX_OK) {
            return;
        }

        if (rc == NGX_ERROR) {
            waav_err_set(&err, 500, "INTERNAL_ERROR", "out of memory");
        }

        ngx_http_waav_limit_refund_q(r, ws->stt_quota, (uint64_t) -1);
    }

    ngx_http_waav_ws_stt_end(ws, err.message);
    ngx_http_waav_ws_flush(ws);
}


static ngx_int_t
ngx_http_waav_ws_stt_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_waav_ws_t *ws = data;

    if (ws->finished || ws->stt_job == NULL || ws->stt_job->sr != sr) {
        return rc;
    }

    ws->stt_job->done = 1;
    ws->stt_job->rc = rc;

    /* a background subrequest wakes nobody: the session is told */
    (void) ngx_http_post_request(ws->request, NULL);

    return NGX_OK;
}


/* the answer, as an stt_result */
static ngx_int_t
ngx_http_waav_ws_stt_result(ngx_http_waav_ws_t *ws, u_char *body, size_t len,
    waav_err_t *err)
{
    char                        *out;
    size_t                       n;
    double                       confidence;
    waav_alloc_t                 a;
    waav_stt_req_t               req;
    waav_stt_result_t            res;
    ngx_http_waav_ws_stt_job_t  *job;

    job = ws->stt_job;
    ngx_http_waav_allocator(job->pool, &a);
    ngx_memzero(&res, sizeof(waav_stt_result_t));

    if (ngx_http_waav_ws_stt_req(ws, &req, err) != 0
        || job->provider->stt->normalize(job->provider->stt,
                                            (char *) body, len, &req, &res,
                                            &a, err)
           != 0)
    {
        return NGX_DECLINED;
    }

    /* a TTS that may not be interrupted drops what is heard meanwhile */
    if (ws->uninterruptible_until
        && (ngx_msec_int_t) (ws->uninterruptible_until - ngx_current_msec) > 0)
    {
        return NGX_OK;
    }

    confidence = res.has_confidence ? res.confidence : 1.0;

    out = waav_ws_stt_result(&a, res.transcript, 1, 1, confidence, &n);

    if (out == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_waav_ws_send_text(ws, out, n);
}


void
ngx_http_waav_ws_stt_wake(ngx_http_waav_ws_t *ws)
{
    ngx_int_t                    rc;
    ngx_uint_t                   status;
    waav_err_t                   err;
    ngx_http_request_t          *sr;
    ngx_http_waav_failure_t      f;
    ngx_http_waav_ws_stt_job_t  *job;

    job = ws->stt_job;

    if (job == NULL || !job->done) {
        return;
    }

    sr = job->sr;
    status = sr->headers_out.status;

    ngx_memzero(&f, sizeof(ngx_http_waav_failure_t));
    ngx_memzero(&err, sizeof(waav_err_t));
    f.rc = job->rc;
    f.status = (job->rc == NGX_OK || status >= NGX_HTTP_BAD_REQUEST)
               ? status : 0;
    f.empty = "an answer that does not fit in memory";

    if (sr->out && sr->out->buf) {
        f.body = sr->out->buf->pos;
        f.body_len = sr->out->buf->last - sr->out->buf->pos;
    }

    if (job->cancelled) {
        /* a new config came: the old session's words are not this one's */
        ngx_http_waav_limit_refund_q(ws->request, ws->stt_quota,
                                     (uint64_t) -1);
        ngx_http_waav_ws_stt_end(ws, NULL);
        return;
    }

    if (f.status >= 200 && f.status < 300) {
        rc = ngx_http_waav_ws_stt_result(ws, f.body, f.body_len, &err);

        if (rc == NGX_OK) {
            ngx_http_waav_metrics_ws_stt(ws->request, &job->provider->name,
                                         job->seconds);
            ngx_http_waav_ws_stt_end(ws, NULL);
            return;
        }

        if (rc == NGX_ERROR) {
            ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
            return;
        }

    } else {
        ngx_http_waav_provider_failure(ws->request, job->provider, &f,
                                       &err);
    }

    ngx_http_waav_limit_refund_q(ws->request, ws->stt_quota, (uint64_t) -1);
    ngx_http_waav_ws_stt_end(ws, err.message);
}


static void
ngx_http_waav_ws_stt_end(ngx_http_waav_ws_t *ws, const char *error)
{
    char                         msg[512];
    ngx_http_waav_ws_stt_job_t  *job;

    job = ws->stt_job;

    if (error) {
        ngx_snprintf((u_char *) msg, sizeof(msg),
                     "STT streaming error: %s%Z", error);
        (void) ngx_http_waav_ws_send_error(ws, msg);
    }

    if (job->audio) {
        ngx_free(job->audio);
    }

    ngx_http_waav_ws_release(ws, job->parent);
    ngx_destroy_pool(job->pool);
    ws->stt_job = NULL;

    if (ws->stt_flush) {
        ngx_http_waav_ws_stt_flush(ws);
    }
}


void
ngx_http_waav_ws_stt_free(ngx_http_waav_ws_t *ws)
{
    if (ws->stt_job) {
        if (ws->stt_job->audio) {
            ngx_free(ws->stt_job->audio);
        }

        ngx_destroy_pool(ws->stt_job->pool);
        ws->stt_job = NULL;
    }

    if (ws->audio) {
        ngx_free(ws->audio);
        ws->audio = NULL;
    }

    ws->audio_len = 0;
    ws->audio_size = 0;
}
