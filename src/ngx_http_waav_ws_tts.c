/*
 * waav: speak on /ws (waav-compat.md 5.5).
 *
 * Speaks run one at a time, in order.  Each is built by the provider's
 * adapter exactly as /speak builds it (the session's tts_config, the
 * speak's text, the pronunciations' whole-word pass), charged to the
 * location's tts_chars quotas, and sent as a subrequest to the provider's
 * internal location: stock proxy_pass, TLS, keepalive.  The filters below
 * take the provider's answer from the subrequest before nginx would send
 * it: audio is cut into 10 ms binary frames (raw PCM and G.711; other
 * formats go as they come) and queued to the client as it arrives.  When
 * more than NGX_HTTP_WAAV_WS_HIGH_WATER bytes wait for a slow client the
 * filter stops taking the provider's buffers, so nginx stops reading the
 * provider; the client's write event resumes it.
 *
 * clear cancels: queued speaks are dropped, the running call's audio is
 * no longer sent and the call is cut at its next header or data.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_byok.h"
#include "ngx_http_waav_cred.h"
#include "ngx_http_waav_filter.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_util.h"
#include "ngx_http_waav_ws.h"
#include "waav_errmsg.h"
#include "waav_json.h"
#include "waav_tts_cache.h"


#define NGX_HTTP_WAAV_WS_ERRBUF  4096


static void ngx_http_waav_ws_tts_go(ngx_http_request_t *r);
static void ngx_http_waav_ws_tts_cred(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_ws_tts_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_waav_ws_tts_end(ngx_http_waav_ws_t *ws,
    const char *error);


/* the next queued speak, when none runs */
void
ngx_http_waav_ws_tts_next(ngx_http_waav_ws_t *ws)
{
    waav_err_t                 err;
    waav_alloc_t               a;
    ngx_queue_t               *q;
    ngx_pool_t                *pool;
    ngx_http_waav_ws_job_t    *job;
    ngx_http_waav_ws_speak_t  *s;

    while (ws->job == NULL && !ngx_queue_empty(&ws->speaks)
           && !ws->closing && !ws->finished && ws->tts_provider)
    {
        q = ngx_queue_head(&ws->speaks);
        ngx_queue_remove(q);
        s = ngx_queue_data(q, ngx_http_waav_ws_speak_t, queue);

        pool = ngx_create_pool(4096, ws->request->connection->log);
        job = pool ? ngx_pcalloc(pool, sizeof(ngx_http_waav_ws_job_t)) : NULL;

        if (job == NULL) {
            ngx_free(s);

            if (pool) {
                ngx_destroy_pool(pool);
            }

            ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
            return;
        }

        job->pool = pool;
        job->speak = s;
        job->start = ngx_current_msec;
        ws->job = job;

        ngx_http_waav_allocator(pool, &a);
        ngx_memzero(&err, sizeof(waav_err_t));

        job->req = ws->tts;
        job->req.text.data = (char *) s->text;
        job->req.text.len = s->len;

        if (waav_tts_pronounce(&job->req, &a, &err) != 0
            || waav_tts_build(ws->tts_provider->tts, &job->req, NULL,
                              &job->preq, &a, &err)
               != 0)
        {
            ngx_http_waav_ws_tts_end(ws, err.message);
            continue;
        }

        job->frame = waav_ws_frame_bytes(job->req.format,
                                         job->preq.sample_rate);

        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                       "waav ws: speak of %uz bytes to \"%V\", frames of %uz",
                       s->len, &ws->tts_provider->name, job->frame);

        ngx_http_waav_ws_tts_go(ws->request);
    }
}


/* the quotas (Redis may answer later), then the credentials */
static void
ngx_http_waav_ws_tts_go(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    waav_err_t               err;
    ngx_http_waav_ws_t      *ws;
    ngx_http_waav_ws_job_t  *job;

    ws = ngx_http_waav_ws_get(r);
    job = ws ? ws->job : NULL;

    if (job == NULL || ws->finished) {
        return;
    }

    if (job->cancelled) {
        /* a charge Redis may have taken (or is taking) goes back */
        ngx_http_waav_limit_refund_q(r, ws->tts_quota, (uint64_t) -1);
        ngx_http_waav_ws_tts_end(ws, NULL);
        ngx_http_waav_ws_tts_next(ws);
        return;
    }

    ngx_memzero(&err, sizeof(waav_err_t));

    rc = ngx_http_waav_limit_charge_q(r,
             &ws->tts_quota,
             NGX_HTTP_WAAV_QUOTA_TTS_CHARS,
             waav_utf8_chars(job->req.text.data, job->req.text.len),
             ngx_http_waav_ws_tts_go, &err);

    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_waav_ws_tts_end(ws, err.message);
        ngx_http_waav_ws_tts_next(ws);
        ngx_http_waav_ws_flush(ws);
        return;
    }

    ngx_http_waav_ws_tts_cred(r);
}


static ngx_int_t
ngx_http_waav_ws_tts_call(ngx_http_waav_ws_t *ws, ngx_http_waav_ws_job_t *job)
{
    ngx_buf_t           *b;
    ngx_chain_t         *cl;
    ngx_http_request_t  *pr;

    b = ngx_calloc_buf(job->pool);
    cl = ngx_alloc_chain_link(job->pool);
    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    b->start = (u_char *) job->preq.http.body.data;
    b->pos = b->start;
    b->last = b->start + job->preq.http.body.len;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;

    cl->buf = b;
    cl->next = NULL;

    pr = ngx_http_waav_ws_parent(ws, job->pool, 1);
    if (pr == NULL) {
        return NGX_ERROR;
    }

    job->parent = pr;
    job->obs.provider = ws->tts_provider->name;
    job->obs.called = 1;
    job->obs.call_start = ngx_current_msec;
    job->obs.tts_chars = waav_utf8_chars(job->req.text.data,
                                         job->req.text.len);

    return ngx_http_waav_call(pr, ws->tts_provider, &job->preq.http,
                              cl, (off_t) job->preq.http.body.len,
                              ngx_http_waav_ws_tts_done, ws,
                              NGX_HTTP_SUBREQUEST_WAITED, &job->sr);
}


/* the provider's credentials (a token may be fetched first), the call */
static void
ngx_http_waav_ws_tts_cred(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    waav_err_t               err;
    waav_alloc_t             a;
    waav_secret_t            secret;
    const waav_cred_t       *cred;
    ngx_http_waav_ws_t      *ws;
    ngx_http_waav_ws_job_t  *job;

    ws = ngx_http_waav_ws_get(r);
    job = ws ? ws->job : NULL;

    if (job == NULL || ws->finished || job->sr || job->local) {
        return;
    }

    if (job->cancelled) {
        ngx_http_waav_limit_refund_q(r, ws->tts_quota, (uint64_t) -1);
        ngx_http_waav_ws_tts_end(ws, NULL);
        ngx_http_waav_ws_tts_next(ws);
        return;
    }

    if (ws->tts_provider->ptype->embedded) {
        /* no provider to call: synthesized here, in the thread pool */
        ngx_http_waav_ws_tts_local_start(ws, job);
        return;
    }

    cred = ngx_http_waav_byok_tts_cred(ws->tts_provider);
    ngx_http_waav_allocator(job->pool, &a);
    ngx_memzero(&err, sizeof(waav_err_t));

    /* each speak looks its token up again (a session outlives tokens) */
    if (!job->cred_wait) {
        ngx_http_waav_cred_renew(r);
        job->cred_wait = 1;
    }

    rc = ngx_http_waav_cred_secret(r, ws->tts_provider, cred, &secret,
                                   ngx_http_waav_ws_tts_cred, &err);

    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc == NGX_OK
        && waav_cred_apply(cred, &secret, &job->preq.http, &a, &err) == 0)
    {
        if (ngx_http_waav_ws_tts_call(ws, job) == NGX_OK) {
            return;
        }

        waav_err_set(&err, 500, "INTERNAL_ERROR", "out of memory");
    }

    ngx_http_waav_ws_tts_fail(ws, err.message);
}


void
ngx_http_waav_ws_tts_fail(ngx_http_waav_ws_t *ws, const char *error)
{
    ngx_http_waav_limit_refund_q(ws->request, ws->tts_quota, (uint64_t) -1);
    ngx_http_waav_ws_tts_end(ws, error);
    ngx_http_waav_ws_tts_next(ws);
    ngx_http_waav_ws_flush(ws);
}


static ngx_int_t
ngx_http_waav_ws_tts_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_waav_ws_t *ws = data;

    ngx_http_waav_ws_job_t  *job;

    job = ws->job;

    if (ws->finished || job == NULL || job->sr != sr) {
        return rc;
    }

    job->done = 1;
    job->rc = rc;

    if (job->cancelled) {
        /*
         * Cut by clear: the body filter refused the audio, and nginx's
         * output filter marks the connection failed for any filter's
         * error.  It is the client's connection and it did not fail: the
         * mark goes, and the session goes on.
         */
        sr->connection->error = 0;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "waav ws: speak done: rc %i, status %ui, %uL bytes",
                   rc, job->status, job->bytes);

    /* the session answers (an error message): the subrequest never sends
     * nginx's error page, nor ends the session */
    return NGX_OK;
}


/* the session's request was woken: a speak may be over */
void
ngx_http_waav_ws_tts_wake(ngx_http_waav_ws_t *ws)
{
    waav_err_t                job_err;
    ngx_http_waav_ws_job_t   *job;
    ngx_http_waav_failure_t   f;

    job = ws->job;

    if (job == NULL || !job->done) {
        return;
    }

    if (job->cancelled) {
        /* cleared: due when the client heard some of it (as on REST) */
        if (job->bytes == 0) {
            ngx_http_waav_limit_refund_q(ws->request, ws->tts_quota,
                                         (uint64_t) -1);
        }

        ngx_http_waav_ws_tts_end(ws, NULL);
        ngx_http_waav_ws_tts_next(ws);
        return;
    }

    if (job->ok && job->complete && job->bytes + job->part_len > 0) {
        if (job->part_len
            && ngx_http_waav_ws_send_binary(ws, job->part, job->part_len)
               != NGX_OK)
        {
            ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
            return;
        }

        job->bytes += job->part_len;
        job->part_len = 0;

        if (!job->speak->allow_interruption && job->preq.sample_rate) {
            /* WaaV's estimate: 16-bit mono, whatever the format */
            ws->uninterruptible_until = ngx_current_msec
                + job->bytes * 1000 / (job->preq.sample_rate * 2);
        }

        ngx_http_waav_ws_tts_end(ws, NULL);
        ngx_http_waav_ws_tts_next(ws);
        return;
    }

    ngx_http_waav_limit_refund_q(ws->request, ws->tts_quota, (uint64_t) -1);

    f.rc = job->rc;
    f.status = job->header ? job->status : 0;
    f.retry_after = job->retry_after;
    f.body = job->err;
    f.body_len = job->err_len;
    f.empty = job->not_audio.len ? (char *) job->not_audio.data : "no audio";

    if (job->ok && job->bytes) {
        /* cut short: the client has part of it */
        waav_err_set(&job_err, 502, "PROVIDER_ERROR",
                     "Provider %.*s stopped mid-audio",
                     (int) ws->tts_provider->name.len,
                     ws->tts_provider->name.data);

    } else {
        ngx_http_waav_provider_failure(ws->request, ws->tts_provider, &f,
                                       &job_err);
    }

    ngx_http_waav_ws_tts_end(ws, job_err.message);
    ngx_http_waav_ws_tts_next(ws);
}


/* the running speak is over: its error said, its memory freed, and when
 * nothing else is queued the client is told the playback is complete */
static void
ngx_http_waav_ws_tts_end(ngx_http_waav_ws_t *ws, const char *error)
{
    char                    msg[WAAV_ERRMSG_MAX + 64], *out;
    size_t                  len;
    uint64_t                ms;
    waav_alloc_t            a;
    ngx_uint_t              cancelled;
    ngx_time_t             *tp;
    ngx_http_waav_ws_job_t *job;

    job = ws->job;
    cancelled = job->cancelled;

    /* the engine's stopped and the speak marked over before anything is
     * sent: a send that fails closes the session, whose clear must find
     * nothing left to end (it would end this speak a second time) */
    ngx_http_waav_ws_tts_local_stop(job);
    job->cancelled = 1;

    if (error) {
        ngx_snprintf((u_char *) msg, sizeof(msg), "TTS error: %s%Z", error);
        (void) ngx_http_waav_ws_send_error(ws, msg);
    }

    if (!cancelled && ngx_queue_empty(&ws->speaks)) {
        ngx_http_waav_allocator(job->pool, &a);
        tp = ngx_timeofday();
        ms = (uint64_t) tp->sec * 1000 + tp->msec;
        out = waav_ws_playback_complete(&a, ms, &len);

        if (out == NULL || ngx_http_waav_ws_send_text(ws, out, len) != NGX_OK) {
            ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
        }
    }

    /* counted under the provider it called: a speak cancelled by a new
     * config ends when the session may have another, or none */
    if (job->obs.called) {
        ngx_http_waav_metrics_ws_call(ws->request, &job->obs);
    }

    ngx_free(job->speak);
    ngx_http_waav_ws_release(ws, job->parent);
    ngx_destroy_pool(job->pool);
    ws->job = NULL;
    ws->backpressure = 0;
}


/* clear: queued speaks dropped, the running one cancelled; a speak that
 * asked not to be interrupted is let play to its estimated end */
void
ngx_http_waav_ws_tts_clear(ngx_http_waav_ws_t *ws, ngx_uint_t force)
{
    if (!force && ws->uninterruptible_until
        && (ngx_msec_int_t) (ws->uninterruptible_until - ngx_current_msec) > 0)
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                       "waav ws: clear ignored, the audio plays on");
        return;
    }

    if (!force && ws->job && !ws->job->speak->allow_interruption) {
        return;
    }

    ngx_http_waav_ws_drop_speaks(ws);

    if (ws->job && !ws->job->cancelled) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                       "waav ws: the running speak is cancelled");

        ws->job->cancelled = 1;

        if (ws->job->local) {
            /* the engine's: stopped now (a task in the pool comes back to
             * nothing); the speak ends as a cancelled call does */
            ngx_http_waav_ws_tts_local_stop(ws->job);
            ws->job->done = 1;
            ngx_http_waav_ws_tts_wake(ws);
            return;
        }

        if (!ws->job->sr) {
            /* before the call (quota or token awaited): nothing to cut;
             * what was charged goes back when it resumes */
            return;
        }

        if (ws->job->done) {
            return;
        }

        if (ws->backpressure) {
            /* waiting audio is dropped, and the call cut */
            ngx_http_waav_ws_tts_resume_output(ws);
        }
    }
}


void
ngx_http_waav_ws_tts_resume_output(ngx_http_waav_ws_t *ws)
{
    ngx_http_request_t  *sr;

    ws->backpressure = 0;

    if (ws->job && ws->job->local) {
        ngx_http_waav_ws_tts_local_resume(ws);
        return;
    }

    if (ws->job == NULL || ws->job->sr == NULL || ws->job->done) {
        return;
    }

    sr = ws->job->sr;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                   "waav ws: the client reads again, the audio resumes");

    sr->write_event_handler(sr);
}


/* $waav_tts_cache_key for a speak's subrequest (the speak's text, the
 * session's voice): not found outside one */
ngx_int_t
ngx_http_waav_ws_tts_cache_key(ngx_http_request_t *r,
    ngx_http_variable_value_t *v)
{
    u_char                  *key;
    ngx_http_waav_ws_t      *ws;
    ngx_http_waav_ws_job_t  *job;

    ws = ngx_http_waav_ws_get(r);
    job = ws ? ws->job : NULL;

    if (job == NULL || ws->tts_provider == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    key = ngx_pnalloc(job->pool, WAAV_TTS_CACHE_KEY_LEN);
    if (key == NULL
        || waav_tts_cache_key((char *) ws->tts_provider->name.data,
                              ws->tts_provider->name.len, &job->req,
                              job->preq.sample_rate, (char *) key)
           != 0)
    {
        return NGX_ERROR;
    }

    v->data = key;
    v->len = WAAV_TTS_CACHE_KEY_LEN;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* --- the provider's answer --------------------------------------------- */

static ngx_http_waav_ws_job_t *
ngx_http_waav_ws_tts_job(ngx_http_request_t *r)
{
    ngx_http_waav_ws_t  *ws;

    if (r == r->main) {
        return NULL;
    }

    ws = ngx_http_waav_ws_get(r);

    if (ws == NULL || ws->job == NULL || ws->job->sr != r) {
        return NULL;
    }

    return ws->job;
}


ngx_int_t
ngx_http_waav_ws_tts_header_filter(ngx_http_request_t *r)
{
    ngx_http_waav_ws_job_t  *job;
    ngx_http_waav_ws_t      *ws;

    job = ngx_http_waav_ws_tts_job(r);

    if (job == NULL) {
        return NGX_DECLINED;
    }

    if (job->cancelled) {
        /* cut: the provider's connection is closed */
        return NGX_ERROR;
    }

    ws = ngx_http_waav_ws_get(r);

    job->header = 1;
    job->status = r->headers_out.status;
    job->ok = (job->status >= 200 && job->status < 300);
    job->obs.answered = 1;
    job->obs.status = job->status;
    job->obs.call_ms = ngx_current_msec - job->obs.call_start;
    job->retry_after = ngx_http_waav_retry_after(r);

    /* audio is read, not sent with sendfile: a cached answer too */
    r->filter_need_in_memory = 1;

    /*
     * Streamed as nginx reads it, never buffered to a temporary file (a
     * location with proxy_buffering on, as the TTS cache's): the client's
     * pace is the provider's, and nginx keeps at most proxy_buffer_size of
     * it.  Such an answer is not stored in the cache; a cached one is
     * served.
     */
    if (r->upstream) {
        r->upstream->buffering = 0;
    }

    if (job->ok
        && !waav_tts_media_ok(ws->tts_provider->tts,
                              (char *) r->headers_out.content_type.data,
                              r->headers_out.content_type.len))
    {
        job->ok = 0;
        job->not_audio.data = (u_char *) "a 2xx that is not audio";
        job->not_audio.len = sizeof("a 2xx that is not audio") - 1;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav ws: provider answered %ui %V", job->status,
                   &r->headers_out.content_type);

    return NGX_OK;
}


/* audio into 10 ms frames (or as it comes); NGX_AGAIN: the client's queue
 * is full, what is left of b waits */
ngx_int_t
ngx_http_waav_ws_tts_audio(ngx_http_waav_ws_t *ws, ngx_http_waav_ws_job_t *job,
    ngx_buf_t *b)
{
    size_t  n;

    if (!job->obs.ttfb && b->pos < b->last) {
        /* from the speak's start (after the speaks queued before it) */
        job->obs.ttfb = 1;
        job->obs.ttfb_ms = ngx_current_msec - job->start;
    }

    while (b->pos < b->last) {

        if (waav_ws_conn_queued(ws->conn) >= NGX_HTTP_WAAV_WS_HIGH_WATER) {
            ws->backpressure = 1;
            return NGX_AGAIN;
        }

        if (job->frame == 0) {
            n = ngx_min((size_t) (b->last - b->pos), 16384);

            if (ngx_http_waav_ws_send_binary(ws, b->pos, n) != NGX_OK) {
                return NGX_ERROR;
            }

            job->bytes += n;
            b->pos += n;
            continue;
        }

        if (job->part == NULL) {
            job->part = ngx_pnalloc(job->pool, job->frame);
            if (job->part == NULL) {
                return NGX_ERROR;
            }
        }

        if (job->part_len == 0 && (size_t) (b->last - b->pos) >= job->frame) {
            /* a whole frame in place */
            if (ngx_http_waav_ws_send_binary(ws, b->pos, job->frame)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            job->bytes += job->frame;
            b->pos += job->frame;
            continue;
        }

        n = ngx_min(job->frame - job->part_len, (size_t) (b->last - b->pos));
        ngx_memcpy(job->part + job->part_len, b->pos, n);
        job->part_len += n;
        b->pos += n;

        if (job->part_len == job->frame) {
            if (ngx_http_waav_ws_send_binary(ws, job->part, job->frame)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            job->bytes += job->frame;
            job->part_len = 0;
        }
    }

    return NGX_OK;
}


/* an error answer: a bounded copy for the client's error message */
static ngx_int_t
ngx_http_waav_ws_tts_keep(ngx_http_waav_ws_job_t *job, ngx_buf_t *b)
{
    size_t  n;

    if (job->err == NULL) {
        job->err = ngx_pnalloc(job->pool, NGX_HTTP_WAAV_WS_ERRBUF);
        if (job->err == NULL) {
            return NGX_ERROR;
        }
    }

    n = ngx_min((size_t) (b->last - b->pos),
                NGX_HTTP_WAAV_WS_ERRBUF - job->err_len);
    ngx_memcpy(job->err + job->err_len, b->pos, n);
    job->err_len += n;

    return NGX_OK;
}


/* what the client's queue takes of the answer's buffers, in order;
 * NGX_AGAIN: the rest waits in job->pending */
static ngx_int_t
ngx_http_waav_ws_tts_drain(ngx_http_waav_ws_t *ws, ngx_http_waav_ws_job_t *job)
{
    ngx_int_t     rc;
    ngx_chain_t  *cl;

    for (cl = job->pending; cl; cl = cl->next) {

        if (cl->buf->last_buf || cl->buf->last_in_chain) {
            job->complete = 1;
        }

        if (!ngx_buf_in_memory(cl->buf)) {
            cl->buf->file_pos = cl->buf->file_last;
            continue;
        }

        if (!job->ok) {
            if (ngx_http_waav_ws_tts_keep(job, cl->buf) != NGX_OK) {
                return NGX_ERROR;
            }

            cl->buf->pos = cl->buf->last;
            continue;
        }

        rc = ngx_http_waav_ws_tts_audio(ws, job, cl->buf);

        if (rc != NGX_OK) {
            job->pending = cl;
            return rc;
        }
    }

    job->pending = NULL;

    return NGX_OK;
}


/*
 * The provider's answer.  What came is kept (job->raw) until what came
 * before it is queued to the client: a transform (the response hook) runs
 * only then, so nginx's own buffers stay unread while the client is slow,
 * and nginx stops reading the provider.  While anything waits the
 * subrequest is marked buffered: nginx finishes it only once it is sent.
 */
ngx_int_t
ngx_http_waav_ws_tts_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t                rc;
    ngx_chain_t             *cl;
    ngx_http_waav_ws_t      *ws;
    ngx_http_waav_ws_job_t  *job;

    job = ngx_http_waav_ws_tts_job(r);

    if (job == NULL) {
        return NGX_DECLINED;
    }

    ws = ngx_http_waav_ws_get(r);

    if (job->cancelled) {
        for (cl = in; cl; cl = cl->next) {
            cl->buf->pos = cl->buf->last;
        }

        job->raw = NULL;
        job->pending = NULL;
        r->buffered &= ~NGX_HTTP_WAAV_WS_BUFFERED;

        return NGX_ERROR;
    }

    if (in && ngx_chain_add_copy(job->pool, &job->raw, in) != NGX_OK) {
        return NGX_ERROR;
    }

    for ( ;; ) {
        rc = ngx_http_waav_ws_tts_drain(ws, job);

        if (rc == NGX_AGAIN) {
            r->buffered |= NGX_HTTP_WAAV_WS_BUFFERED;
            ngx_http_waav_ws_flush(ws);
            return NGX_AGAIN;
        }

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        if (job->xout) {
            /* the transform's buffers, sent, come back to it */
            ngx_http_waav_xform_sent(r, &job->xform, job->xout);
            job->xout = NULL;
        }

        if (job->raw == NULL) {
            break;
        }

        cl = job->raw;
        job->raw = NULL;

        if (job->preq.response && job->ok) {
            job->xform.x = job->preq.response;
            rc = ngx_http_waav_xform(r, &job->xform, &cl);

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (rc == NGX_DECLINED) {
                job->ok = 0;
            }

            job->xout = cl;
        }

        job->pending = cl;
    }

    r->buffered &= ~NGX_HTTP_WAAV_WS_BUFFERED;
    ngx_http_waav_ws_flush(ws);

    return NGX_OK;
}
