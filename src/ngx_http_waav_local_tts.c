/*
 * waav: text to speech by espeak-ng in nginx's thread pool, streamed.
 *
 * The text is cut into pieces (a sentence, or at most
 * NGX_HTTP_WAAV_LOCAL_PIECE bytes: waav_pcm_text_piece()).  Each piece is
 * one task: espeak-ng synthesizes it in a pool thread, speexdsp resamples it
 * to the client's rate and it is encoded there; back on the event loop its
 * audio is sent at once (flushed), and the next piece is posted only once
 * the client's connection has taken it, so a slow client holds no more
 * than a piece of audio in memory and the first audio leaves while the
 * rest of a long text is still to be spoken.  The headers go with the
 * first piece: a failure before it is a JSON error, after it the response
 * is cut short.  A wav is streamed with 0xffffffff for its sizes (RIFF's
 * and data's): unknown, as ffmpeg writes to a pipe, and as waav's own
 * upload check reads it.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_local.h"
#include "ngx_http_waav_response.h"
#include "waav_audio.h"
#include "waav_espeak.h"
#include "waav_pcm.h"


/* a piece: a sentence of at least MIN bytes, at most PIECE */
#define NGX_HTTP_WAAV_LOCAL_MIN    24
#define NGX_HTTP_WAAV_LOCAL_PIECE  240


typedef struct {
    ngx_http_waav_local_job_t   job;            /* first: the task's ctx */
    waav_espeak_job_t           ej;
    waav_tts_out_t             *out;

    u_char                     *text;
    size_t                      len;
    size_t                      pos;
    u_char                     *piece;          /* NUL-terminated */
    size_t                      piece_len;

    int                         rc;             /* the piece's, in the pool */
    unsigned                    last:1;         /* the piece is the last */
    unsigned                    header:1;       /* headers sent */
} ngx_http_waav_local_tts_t;


static void ngx_http_waav_local_tts_start(ngx_http_waav_local_job_t *job);
static void ngx_http_waav_local_tts_next(ngx_http_waav_local_tts_t *t);
static void ngx_http_waav_local_tts_work(void *data, ngx_log_t *log);
static void ngx_http_waav_local_tts_resume(ngx_http_request_t *r);
static void ngx_http_waav_local_tts_drain(ngx_http_request_t *r);
static void ngx_http_waav_local_tts_free(void *data);


static ngx_http_waav_local_tts_t *
ngx_http_waav_local_tts_ctx(ngx_http_request_t *r)
{
    ngx_http_waav_ctx_t  *wctx;

    wctx = ngx_http_get_module_ctx(r, ngx_http_waav_module);

    return wctx ? wctx->local : NULL;
}


/* before the first audio: a JSON error, what was charged refunded */
static void
ngx_http_waav_local_tts_error(ngx_http_request_t *r, waav_err_t *err)
{
    ngx_int_t  rc;

    ngx_http_waav_limit_refund(r, (uint64_t) -1);

    rc = (err->status == 503) ? ngx_http_waav_local_busy(r, err)
                              : ngx_http_waav_send_err(r, err);

    ngx_http_finalize_request(r, rc);
}


void
ngx_http_waav_local_tts(ngx_http_request_t *r, waav_tts_req_t *req,
    waav_tts_out_t *out)
{
    ngx_int_t                   rc;
    waav_err_t                  err;
    waav_str_t                  voice;
    const char                 *id;
    ngx_pool_cleanup_t         *cln;
    ngx_http_waav_ctx_t        *wctx;
    ngx_http_waav_local_tts_t  *t;

    ngx_memzero(&err, sizeof(waav_err_t));

    if (!ngx_http_waav_local_tts_ready()) {
        waav_err_set(&err, 503, "LOCAL_UNAVAILABLE",
                     "local text to speech is not available (espeak-ng did "
                     "not load: see the error log)");
        ngx_http_waav_limit_refund(r, (uint64_t) -1);
        ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
        return;
    }

    voice = waav_local_voice(req);
    id = waav_espeak_voice_id(voice.data, voice.len);

    if (id == NULL) {
        waav_err_set(&err, 400, WAAV_E_INVALID_REQUEST,
                     "local has no voice '%.*s' (espeak-ng's voices: en-us, "
                     "en-gb, fr-fr, de, es, ...)", (int) voice.len,
                     voice.data);
        ngx_http_waav_local_tts_error(r, &err);
        return;
    }

    t = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_local_tts_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (t == NULL || cln == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the engine's buffers are malloc()ed in the pool's threads */
    cln->handler = ngx_http_waav_local_tts_free;
    cln->data = t;

    t->ej.voice = id;
    t->ej.wpm = waav_local_wpm(req);
    t->ej.rate = out->sample_rate;
    t->ej.fmt = req->format;
    t->out = out;
    t->text = (u_char *) req->text.data;
    t->len = req->text.len;
    t->piece = ngx_pnalloc(r->pool, NGX_HTTP_WAAV_LOCAL_PIECE + 1);
    if (t->piece == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    t->job.r = r;
    t->job.engine = 1;
    t->job.start = ngx_http_waav_local_tts_start;
    t->job.work = ngx_http_waav_local_tts_work;

    wctx = ngx_http_get_module_ctx(r, ngx_http_waav_module);
    wctx->local = t;

    rc = ngx_http_waav_local_admit(&t->job, &err);

    if (rc == NGX_OK) {
        ngx_http_waav_local_tts_next(t);
        return;
    }

    if (rc == NGX_AGAIN) {
        /* job.start, once a slot is free */
        return;
    }

    if (rc == NGX_BUSY) {
        ngx_http_waav_local_tts_error(r, &err);
        return;
    }

    ngx_http_waav_limit_refund(r, (uint64_t) -1);
    ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
}


static void
ngx_http_waav_local_tts_start(ngx_http_waav_local_job_t *job)
{
    ngx_http_waav_local_tts_next((ngx_http_waav_local_tts_t *) job);
}


/* the next piece of text to the engine */
static void
ngx_http_waav_local_tts_next(ngx_http_waav_local_tts_t *t)
{
    size_t               n;
    ngx_http_request_t  *r;

    r = t->job.r;

    n = waav_pcm_text_piece((char *) t->text + t->pos, t->len - t->pos,
                            t->header ? NGX_HTTP_WAAV_LOCAL_MIN : 1,
                            NGX_HTTP_WAAV_LOCAL_PIECE);

    ngx_memcpy(t->piece, t->text + t->pos, n);
    t->piece[n] = '\0';
    t->piece_len = n;
    t->pos += n;
    t->last = (t->pos == t->len);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav local tts: piece of %uz bytes, %uz left%s", n,
                   t->len - t->pos, t->last ? ", the last" : "");

    r->write_event_handler = ngx_http_waav_local_tts_resume;

    if (ngx_http_waav_local_post(&t->job) != NGX_OK) {
        t->job.failed = 1;
        ngx_http_waav_local_tts_resume(r);
    }
}


/* in a pool thread: nothing of nginx's but the log */
static void
ngx_http_waav_local_tts_work(void *data, ngx_log_t *log)
{
    ngx_http_waav_local_tts_t  *t = data;

    ngx_http_waav_unused(log);

    t->rc = waav_espeak_piece(&t->ej, (char *) t->piece, t->piece_len,
                              t->last);
}


static ngx_int_t
ngx_http_waav_local_tts_headers(ngx_http_request_t *r,
    ngx_http_waav_local_tts_t *t, ngx_chain_t **out)
{
    u_char        *p;
    ngx_str_t      value;
    ngx_buf_t     *b;
    ngx_chain_t   *cl;
    waav_audio_t   au;

    static ngx_str_t  audio_format = ngx_string("x-audio-format");
    static ngx_str_t  sample_rate = ngx_string("x-sample-rate");

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = -1;
    r->headers_out.content_type.data = (u_char *) t->out->content_type;
    r->headers_out.content_type.len = ngx_strlen(t->out->content_type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    value.data = (u_char *) t->out->audio_format.data;
    value.len = t->out->audio_format.len;

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL
        || ngx_http_waav_add_header(r, &audio_format, &value) != NGX_OK)
    {
        return NGX_ERROR;
    }

    value.data = p;
    value.len = ngx_sprintf(p, "%ui", (ngx_uint_t) t->ej.rate) - p;

    if (ngx_http_waav_add_header(r, &sample_rate, &value) != NGX_OK
        || ngx_http_waav_set_nosniff(r) != NGX_OK)
    {
        return NGX_ERROR;
    }

    t->header = 1;

    if (ngx_http_send_header(r) == NGX_ERROR || r->header_only) {
        return NGX_ERROR;
    }

    if (t->ej.fmt != WAAV_FMT_WAV) {
        return NGX_OK;
    }

    b = ngx_create_temp_buf(r->pool, WAAV_AUDIO_WAV_HEADER);
    cl = ngx_alloc_chain_link(r->pool);
    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(&au, sizeof(waav_audio_t));
    au.rate = t->ej.rate;
    au.channels = 1;
    waav_audio_wav_header(b->last, &au, 0);

    /* the length is not known yet: RIFF's size and data's say so */
    ngx_memset(b->last + 4, 0xff, 4);
    ngx_memset(b->last + 40, 0xff, 4);
    b->last += WAAV_AUDIO_WAV_HEADER;

    cl->buf = b;
    cl->next = *out;
    *out = cl;

    return NGX_OK;
}


/* a piece is synthesized: its audio to the client */
static void
ngx_http_waav_local_tts_resume(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_buf_t                  *b;
    waav_err_t                  err;
    ngx_chain_t                *out, cl;
    ngx_http_waav_local_tts_t  *t;

    t = ngx_http_waav_local_tts_ctx(r);

    /* a write event while the piece is in the works */
    if (t == NULL || t->job.running || t->job.engine_wait) {
        return;
    }

    if (t->job.failed || t->rc != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "waav: local synthesis failed: %s",
                      t->job.failed ? "the thread pool refused a task"
                                    : t->ej.err);
        ngx_http_waav_local_release(&t->job);

        if (t->header) {
            ngx_http_finalize_request(r, NGX_ERROR);
            return;
        }

        ngx_memzero(&err, sizeof(waav_err_t));
        waav_err_set(&err, 500, WAAV_E_INTERNAL, "local synthesis failed");
        ngx_http_waav_local_tts_error(r, &err);
        return;
    }

    if (t->last) {
        ngx_http_waav_local_release(&t->job);
    }

    if (t->ej.out_len == 0 && !t->last) {
        ngx_http_waav_local_tts_next(t);
        return;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    b->pos = t->ej.out;
    b->last = t->ej.out + t->ej.out_len;
    b->memory = (t->ej.out_len > 0);
    b->flush = 1;
    b->last_buf = t->last;
    b->last_in_chain = 1;

    cl.buf = b;
    cl.next = NULL;
    out = &cl;

    if (!t->header && ngx_http_waav_local_tts_headers(r, t, &out) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    rc = ngx_http_output_filter(r, out);

    if (rc == NGX_ERROR || t->last) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_waav_local_tts_drain(r);
}


/* the next piece once the client's connection has taken this one (its
 * audio is the engine's buffer, which the next piece fills again) */
static void
ngx_http_waav_local_tts_drain(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_event_t               *wev;
    ngx_connection_t          *c;
    ngx_http_core_loc_conf_t  *clcf;

    c = r->connection;
    wev = c->write;
    r->write_event_handler = ngx_http_waav_local_tts_drain;

    if (wev->timedout) {
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "client timed out");
        c->timedout = 1;
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (r->buffered || c->buffered || r->postponed) {
        rc = ngx_http_output_filter(r, NULL);

        if (rc == NGX_ERROR) {
            ngx_http_finalize_request(r, rc);
            return;
        }
    }

    clcf = ngx_http_get_module_loc_conf(r->main, ngx_http_core_module);

    if (r->buffered || c->buffered || r->postponed) {
        if (!wev->delayed) {
            ngx_add_timer(wev, clcf->send_timeout);
        }

        if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_ERROR);
        }

        return;
    }

    if (wev->timer_set) {
        ngx_del_timer(wev);
    }

    ngx_http_waav_local_tts_next(ngx_http_waav_local_tts_ctx(r));
}


static void
ngx_http_waav_local_tts_free(void *data)
{
    ngx_http_waav_local_tts_t  *t = data;

    waav_espeak_job_free(&t->ej);
}
