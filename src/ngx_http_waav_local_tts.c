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


typedef struct {
    ngx_http_waav_local_speech_t  sp;           /* first: the task's ctx */
    waav_tts_out_t               *out;
    unsigned                      header:1;     /* headers sent */
} ngx_http_waav_local_tts_t;


static void ngx_http_waav_local_tts_start(ngx_http_waav_local_job_t *job);
static void ngx_http_waav_local_tts_next(ngx_http_waav_local_tts_t *t);
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
    ngx_pool_cleanup_t         *cln;
    ngx_http_waav_ctx_t        *wctx;
    ngx_http_waav_local_tts_t  *t;

    t = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_local_tts_t));
    if (t == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_memzero(&err, sizeof(waav_err_t));

    if (ngx_http_waav_local_speech_init(&t->sp, req, out, &err) != NGX_OK) {
        ngx_http_waav_limit_refund(r, (uint64_t) -1);
        ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
        return;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    t->sp.piece = ngx_pnalloc(r->pool, NGX_HTTP_WAAV_LOCAL_PIECE + 1);
    if (cln == NULL || t->sp.piece == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the engine's buffers are malloc()ed in the pool's threads */
    cln->handler = ngx_http_waav_local_tts_free;
    cln->data = t;
    t->out = out;

    t->sp.job.r = r;
    t->sp.job.start = ngx_http_waav_local_tts_start;

    wctx = ngx_http_get_module_ctx(r, ngx_http_waav_module);
    wctx->local = t;

    rc = ngx_http_waav_local_admit(&t->sp.job, &err);

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
    ngx_http_request_t  *r;

    r = t->sp.job.r;

    ngx_http_waav_local_speech_cut(&t->sp, !t->header, r->connection->log);

    r->write_event_handler = ngx_http_waav_local_tts_resume;

    if (ngx_http_waav_local_post(&t->sp.job) != NGX_OK) {
        t->sp.job.failed = 1;
        ngx_http_waav_local_tts_resume(r);
    }
}


static ngx_int_t
ngx_http_waav_local_tts_headers(ngx_http_request_t *r,
    ngx_http_waav_local_tts_t *t, ngx_chain_t **out)
{
    u_char        *p;
    ngx_str_t      value;
    ngx_buf_t     *b;
    ngx_chain_t   *cl;

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
    value.len = ngx_sprintf(p, "%ui", (ngx_uint_t) t->sp.ej.rate) - p;

    if (ngx_http_waav_add_header(r, &sample_rate, &value) != NGX_OK
        || ngx_http_waav_set_nosniff(r) != NGX_OK)
    {
        return NGX_ERROR;
    }

    t->header = 1;

    if (ngx_http_send_header(r) == NGX_ERROR || r->header_only) {
        return NGX_ERROR;
    }

    if (t->sp.ej.fmt != WAAV_FMT_WAV) {
        return NGX_OK;
    }

    b = ngx_create_temp_buf(r->pool, WAAV_AUDIO_WAV_HEADER);
    cl = ngx_alloc_chain_link(r->pool);
    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    ngx_http_waav_local_wav_header(b->last, t->sp.ej.rate);
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
    if (t == NULL || t->sp.job.running || t->sp.job.engine_wait) {
        return;
    }

    if (t->sp.job.failed || t->sp.rc != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "waav: local synthesis failed: %s",
                      t->sp.job.failed ? "the thread pool refused a task"
                                    : t->sp.ej.err);
        ngx_http_waav_local_release(&t->sp.job);

        if (t->header) {
            ngx_http_finalize_request(r, NGX_ERROR);
            return;
        }

        ngx_memzero(&err, sizeof(waav_err_t));
        waav_err_set(&err, 500, WAAV_E_INTERNAL, "local synthesis failed");
        ngx_http_waav_local_tts_error(r, &err);
        return;
    }

    if (t->sp.last) {
        ngx_http_waav_local_release(&t->sp.job);
    }

    if (t->sp.ej.out_len == 0 && !t->sp.last) {
        ngx_http_waav_local_tts_next(t);
        return;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    b->pos = t->sp.ej.out;
    b->last = t->sp.ej.out + t->sp.ej.out_len;
    b->memory = (t->sp.ej.out_len > 0);
    b->flush = 1;
    b->last_buf = t->sp.last;
    b->last_in_chain = 1;

    cl.buf = b;
    cl.next = NULL;
    out = &cl;

    if (!t->header && ngx_http_waav_local_tts_headers(r, t, &out) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    rc = ngx_http_output_filter(r, out);

    if (rc == NGX_ERROR || t->sp.last) {
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

    waav_espeak_job_free(&t->sp.ej);
}


/* --- a text spoken piece by piece: /speak's and /ws's ------------------- */

static void ngx_http_waav_local_speech_work(void *data, ngx_log_t *log);


ngx_int_t
ngx_http_waav_local_speech_init(ngx_http_waav_local_speech_t *sp,
    waav_tts_req_t *req, waav_tts_out_t *out, waav_err_t *err)
{
    waav_str_t   voice;
    const char  *id;

    if (!ngx_http_waav_local_tts_ready()) {
        waav_err_set(err, 503, "LOCAL_UNAVAILABLE",
                     "local text to speech is not available (espeak-ng did "
                     "not load: see the error log)");
        return NGX_DECLINED;
    }

    voice = waav_local_voice(req);
    id = waav_espeak_voice_id(voice.data, voice.len);

    if (id == NULL) {
        waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                     "local has no voice '%.*s' (espeak-ng's voices: en-us, "
                     "en-gb, fr-fr, de, es, ...)", (int) voice.len,
                     voice.data);
        return NGX_DECLINED;
    }

    sp->ej.voice = id;
    sp->ej.wpm = waav_local_wpm(req);
    sp->ej.rate = out->sample_rate;
    sp->ej.fmt = req->format;
    sp->text = (u_char *) req->text.data;
    sp->len = req->text.len;
    sp->job.engine = 1;
    sp->job.work = ngx_http_waav_local_speech_work;

    return NGX_OK;
}


/* the next piece of the text into sp->piece: the first as soon as a
 * sentence ends, the others of at least NGX_HTTP_WAAV_LOCAL_MIN bytes */
void
ngx_http_waav_local_speech_cut(ngx_http_waav_local_speech_t *sp,
    ngx_uint_t first, ngx_log_t *log)
{
    size_t  n;

    n = waav_pcm_text_piece((char *) sp->text + sp->pos, sp->len - sp->pos,
                            first ? 1 : NGX_HTTP_WAAV_LOCAL_MIN,
                            NGX_HTTP_WAAV_LOCAL_PIECE);

    ngx_memcpy(sp->piece, sp->text + sp->pos, n);
    sp->piece[n] = '\0';
    sp->piece_len = n;
    sp->pos += n;
    sp->last = (sp->pos == sp->len);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "waav local tts: piece of %uz bytes, %uz left%s", n,
                   sp->len - sp->pos, sp->last ? ", the last" : "");
}


/* in a pool thread: nothing of nginx's but the log */
static void
ngx_http_waav_local_speech_work(void *data, ngx_log_t *log)
{
    ngx_http_waav_local_speech_t  *sp = data;

    ngx_http_waav_unused(log);

    sp->rc = waav_espeak_piece(&sp->ej, (char *) sp->piece, sp->piece_len,
                               sp->last);
}


/* a streamed wav's header: its length is not known yet, RIFF's size and
 * data's say so */
void
ngx_http_waav_local_wav_header(u_char *p, ngx_uint_t rate)
{
    waav_audio_t  au;

    ngx_memzero(&au, sizeof(waav_audio_t));
    au.rate = (unsigned) rate;
    au.channels = 1;
    waav_audio_wav_header(p, &au, 0);

    ngx_memset(p + 4, 0xff, 4);
    ngx_memset(p + 40, 0xff, 4);
}
