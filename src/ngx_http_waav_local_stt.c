/*
 * waav: speech to text by pocketsphinx in nginx's thread pool.
 *
 * /listen and /v1/audio/transcriptions with the `local` provider: once
 * the request is validated and its seconds charged
 * (ngx_http_waav_stt.c), the audio (WAV or headerless 16-bit PCM, in
 * memory or in nginx's temp file) is one task: a pool thread reads it,
 * mixes it to mono, resamples it to 16 kHz and decodes it with its own
 * decoder (src/core/local/waav_sphinx.c); back on the event loop its
 * answer is normalized by the adapter as a provider's would be, and sent
 * in the normalized shape (or OpenAI's).
 */

#include <unistd.h>

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_local.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_stt.h"
#include "waav_pcm.h"
#include "waav_sphinx.h"


/* what pocketsphinx is given at most (its decoding runs at about a
 * third of real time on one core) */
#define NGX_HTTP_WAAV_LOCAL_STT_MAX  300


typedef struct {
    ngx_http_waav_local_job_t   job;            /* first: the task's ctx */
    ngx_http_waav_stt_ctx_t    *stt;
    waav_sphinx_job_t           sj;
    size_t                      offset;         /* of the samples */
    unsigned                    bits;
    int                         rc;
} ngx_http_waav_local_stt_t;


static void ngx_http_waav_local_stt_start(ngx_http_waav_local_job_t *job);
static void ngx_http_waav_local_stt_work(void *data, ngx_log_t *log);
static void ngx_http_waav_local_stt_done(ngx_http_request_t *r);
static void ngx_http_waav_local_stt_free(void *data);


/* before the engine: an error answered, the seconds given back */
static void
ngx_http_waav_local_stt_fail(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx, waav_err_t *err)
{
    ngx_int_t  rc;

    ngx_http_waav_limit_refund(r, ctx->seconds);

    rc = (err->status == 503) ? ngx_http_waav_local_busy(r, err)
                              : ngx_http_waav_send_err(r, err);

    ngx_http_finalize_request(r, rc);
}


/* where the samples are, at what rate, from the WAV header or the type */
static ngx_int_t
ngx_http_waav_local_stt_format(ngx_http_waav_stt_ctx_t *ctx,
    ngx_http_waav_local_stt_t *t, waav_err_t *err)
{
    uint64_t        frames;
    waav_pcm_wav_t  wav;

    if (ctx->req.audio.kind == WAAV_AUDIO_PCM) {
        t->sj.rate = ctx->req.audio.rate;
        t->sj.channels = ctx->req.audio.channels ? ctx->req.audio.channels
                                                 : 1;
        t->offset = 0;

    } else if (waav_pcm_wav(ctx->head, ctx->head_len, &wav) == 0
               && wav.format == 1 && wav.bits == 16 && wav.channels
               && wav.channels <= 8 && wav.rate >= 8000
               && wav.rate <= 192000)
    {
        t->sj.rate = wav.rate;
        t->sj.channels = wav.channels;
        t->offset = wav.offset;

    } else {
        waav_err_set(err, 400, WAAV_E_INVALID_AUDIO,
                     "local transcribes 16-bit PCM WAV (mono or more "
                     "channels, 8000-192000 Hz), its data within its "
                     "first %d bytes", WAAV_AUDIO_HEAD);
        return NGX_ERROR;
    }

    if ((uint64_t) ctx->body_len <= t->offset) {
        waav_err_set(err, 400, WAAV_E_INVALID_AUDIO, "the WAV has no samples");
        return NGX_ERROR;
    }

    frames = ((uint64_t) ctx->body_len - t->offset) / 2 / t->sj.channels;

    if (frames / t->sj.rate > NGX_HTTP_WAAV_LOCAL_STT_MAX) {
        waav_err_set(err, 400, WAAV_E_INVALID_AUDIO,
                     "local transcribes at most %d s of audio",
                     NGX_HTTP_WAAV_LOCAL_STT_MAX);
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_waav_local_stt(ngx_http_request_t *r, void *data)
{
    ngx_http_waav_stt_ctx_t  *ctx = data;

    ngx_int_t                   rc;
    waav_err_t                  err;
    ngx_pool_cleanup_t         *cln;
    ngx_http_waav_ctx_t        *wctx;
    ngx_http_waav_local_stt_t  *t;

    ngx_memzero(&err, sizeof(waav_err_t));

    t = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_local_stt_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (t == NULL || cln == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cln->handler = ngx_http_waav_local_stt_free;
    cln->data = t;

    if (ngx_http_waav_local_stt_format(ctx, t, &err) != NGX_OK) {
        ngx_http_waav_local_stt_fail(r, ctx, &err);
        return;
    }

    t->stt = ctx;
    t->job.r = r;
    t->job.start = ngx_http_waav_local_stt_start;
    t->job.work = ngx_http_waav_local_stt_work;

    wctx = ngx_http_get_module_ctx(r, ngx_http_waav_module);
    wctx->local = t;

    rc = ngx_http_waav_local_admit(&t->job, &err);

    if (rc == NGX_OK) {
        ngx_http_waav_local_stt_start(&t->job);
        return;
    }

    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc != NGX_BUSY) {
        waav_err_set(&err, 500, WAAV_E_INTERNAL, "local engines failed");
    }

    ngx_http_waav_local_stt_fail(r, ctx, &err);
}


static void
ngx_http_waav_local_stt_start(ngx_http_waav_local_job_t *job)
{
    ngx_http_request_t  *r;

    r = job->r;
    r->write_event_handler = ngx_http_waav_local_stt_done;

    if (ngx_http_waav_local_post(job) != NGX_OK) {
        job->failed = 1;
        ngx_http_waav_local_stt_done(r);
    }
}


/* the audio's bytes, from memory and nginx's temp file; NULL: no memory
 * or a read error */
static u_char *
ngx_http_waav_local_stt_read(ngx_http_waav_local_stt_t *t, size_t *len)
{
    u_char       *p, *buf;
    size_t        n;
    ssize_t       got;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    buf = malloc(t->stt->body_len ? (size_t) t->stt->body_len : 1);
    if (buf == NULL) {
        return NULL;
    }

    p = buf;

    for (cl = t->stt->body; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        if (b->in_file && b->file) {
            n = (size_t) (b->file_last - b->file_pos);
            got = pread(b->file->fd, p, n, b->file_pos);

            if (got != (ssize_t) n) {
                free(buf);
                return NULL;
            }

            p += n;
        }
    }

    *len = p - buf;

    return buf;
}


/* in a pool thread: nothing of nginx's but the request's buffers, which
 * nothing else touches meanwhile */
static void
ngx_http_waav_local_stt_work(void *data, ngx_log_t *log)
{
    ngx_http_waav_local_stt_t  *t = data;

    u_char   *buf;
    size_t    len, n;

    ngx_http_waav_unused(log);

    buf = ngx_http_waav_local_stt_read(t, &len);

    if (buf == NULL) {
        ngx_cpystrn((u_char *) t->sj.err, (u_char *) "the audio could not "
                    "be read", sizeof(t->sj.err));
        t->rc = -1;
        return;
    }

    n = (len > t->offset) ? (len - t->offset) / 2 : 0;

    /* 16-bit little-endian, as on every host nginx runs on here */
    t->rc = waav_sphinx_run(&t->sj, (int16_t *) (buf + t->offset),
                            n - n % t->sj.channels);

    free(buf);
}


static void
ngx_http_waav_local_stt_done(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    waav_err_t                  err;
    ngx_http_waav_ctx_t        *wctx;
    ngx_http_waav_local_stt_t  *t;

    wctx = ngx_http_get_module_ctx(r, ngx_http_waav_module);
    t = wctx ? wctx->local : NULL;

    if (t == NULL || t->job.running) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;
    ngx_http_waav_local_release(&t->job);
    ngx_memzero(&err, sizeof(waav_err_t));

    if (t->job.failed || t->rc != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "waav: local recognition failed: %s",
                      t->job.failed ? "the thread pool refused a task"
                                    : t->sj.err);
        waav_err_set(&err, 500, WAAV_E_INTERNAL, "local recognition failed");
        ngx_http_waav_local_stt_fail(r, t->stt, &err);
        return;
    }

    rc = ngx_http_waav_stt_step(r, t->stt,
                                (waav_str_t) { t->sj.json, t->sj.json_len },
                                &err);

    if (rc != NGX_DONE) {
        ngx_http_waav_local_stt_fail(r, t->stt, &err);
        return;
    }

    ngx_http_waav_stt_reply(r, t->stt);
}


static void
ngx_http_waav_local_stt_free(void *data)
{
    ngx_http_waav_local_stt_t  *t = data;

    waav_sphinx_job_free(&t->sj);
}
