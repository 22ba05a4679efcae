/*
 * waav: speak on /ws with the `local` provider: espeak-ng in nginx's
 * thread pool, as /speak local runs it (ngx_http_waav_local_tts.c).
 *
 * There is no provider to call, so no subrequest: the speak's job (built,
 * charged, as any provider's by ngx_http_waav_ws_tts.c) takes one of
 * waav_local's slots (max=, queue=: a slot taken and no room to wait is
 * the speak's error, as a provider's failure is), and its text goes to the
 * engine piece by piece.  Each piece's audio, encoded in the pool at the
 * session's format and rate, goes through the same 10 ms framing and the
 * same backpressure as a provider's answer (ngx_http_waav_ws_tts_audio()):
 * the next piece is posted once the client's queue has taken this one, so
 * a client that does not read holds the synthesis, and the first audio
 * leaves while the rest is still to be spoken.  The end is a provider
 * call's end (ngx_http_waav_ws_tts_wake(): the last partial frame, then
 * tts_playback_complete).
 *
 * The state is malloc()ed: a task in the pool when the speak is cleared,
 * replaced or its session ends outlives the speak's pool; its completion
 * frees it (and gives the slot back).
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_local.h"
#include "ngx_http_waav_ws.h"
#include "waav_audio.h"
#include "waav_json.h"


struct ngx_http_waav_ws_tts_local_s {
    ngx_http_waav_local_speech_t   sp;          /* first: the task's ctx */
    ngx_thread_task_t              task;
    ngx_http_waav_ws_t            *ws;          /* NULL: the speak is over */
    ngx_http_waav_ws_job_t        *job;
    ngx_log_t                     *log;
    ngx_buf_t                      head;        /* a wav's header */
    ngx_buf_t                      out;         /* audio not queued yet */
    u_char                         wav[WAAV_AUDIO_WAV_HEADER];
    unsigned                       began:1;     /* a piece was spoken */
};


static void ngx_http_waav_ws_tts_local_admitted(ngx_http_waav_local_job_t *j);
static void ngx_http_waav_ws_tts_local_piece(ngx_http_waav_ws_tts_local_t *lt);
static void ngx_http_waav_ws_tts_local_done(ngx_http_waav_local_job_t *j);
static void ngx_http_waav_ws_tts_local_back(ngx_http_waav_ws_tts_local_t *lt);
static void ngx_http_waav_ws_tts_local_send(ngx_http_waav_ws_tts_local_t *lt);


static void
ngx_http_waav_ws_tts_local_free(ngx_http_waav_ws_tts_local_t *lt)
{
    /* out of the queues it may wait in, its slot back */
    ngx_http_waav_local_cancel(&lt->sp.job);
    waav_espeak_job_free(&lt->sp.ej);
    ngx_free(lt);
}


void
ngx_http_waav_ws_tts_local_start(ngx_http_waav_ws_t *ws,
    ngx_http_waav_ws_job_t *job)
{
    ngx_int_t                      rc;
    ngx_log_t                     *log;
    waav_err_t                     err;
    ngx_http_waav_ws_tts_local_t  *lt;

    log = ws->request->connection->log;
    ngx_memzero(&err, sizeof(waav_err_t));

    lt = ngx_calloc(sizeof(ngx_http_waav_ws_tts_local_t)
                    + NGX_HTTP_WAAV_LOCAL_PIECE + 1, log);
    if (lt == NULL) {
        ngx_http_waav_ws_tts_fail(ws, "out of memory");
        return;
    }

    if (ngx_http_waav_local_speech_init(&lt->sp, &job->req, &job->preq, &err)
        != NGX_OK)
    {
        ngx_free(lt);
        ngx_http_waav_ws_tts_fail(ws, err.message);
        return;
    }

    lt->sp.piece = (u_char *) (lt + 1);
    lt->sp.job.r = ws->request;
    lt->sp.job.task = &lt->task;
    lt->sp.job.start = ngx_http_waav_ws_tts_local_admitted;
    lt->sp.job.done = ngx_http_waav_ws_tts_local_done;
    lt->ws = ws;
    lt->job = job;
    lt->log = log;
    job->local = lt;

    rc = ngx_http_waav_local_admit(&lt->sp.job, &err);

    if (rc == NGX_BUSY || rc == NGX_ERROR) {
        /* the speak's end frees lt */
        ngx_http_waav_ws_tts_fail(ws, err.message);
        return;
    }

    /* the engine's call, for the metrics and the log, as a provider's */
    job->obs.provider = ws->tts_provider->name;
    job->obs.called = 1;
    job->obs.call_start = ngx_current_msec;
    job->obs.tts_chars = waav_utf8_chars(job->req.text.data,
                                         job->req.text.len);

    if (rc == NGX_AGAIN) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0,
                       "waav ws: local speech waits for a slot");
        return;
    }

    ngx_http_waav_ws_tts_local_piece(lt);
}


static void
ngx_http_waav_ws_tts_local_admitted(ngx_http_waav_local_job_t *j)
{
    ngx_http_waav_ws_tts_local_piece((ngx_http_waav_ws_tts_local_t *) j);
}


/* the next piece of text to the engine */
static void
ngx_http_waav_ws_tts_local_piece(ngx_http_waav_ws_tts_local_t *lt)
{
    ngx_http_waav_local_speech_cut(&lt->sp, !lt->began, lt->log);

    if (ngx_http_waav_local_post(&lt->sp.job) != NGX_OK) {
        lt->sp.job.failed = 1;
        ngx_http_waav_ws_tts_local_back(lt);
    }
}


/* a task is back, on the event loop */
static void
ngx_http_waav_ws_tts_local_done(ngx_http_waav_local_job_t *j)
{
    ngx_http_waav_ws_tts_local_t *lt = (ngx_http_waav_ws_tts_local_t *) j;

    ngx_connection_t  *c;

    if (lt->ws == NULL) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "waav ws: local speech task back, its speak is over");
        ngx_http_waav_ws_tts_local_free(lt);
        return;
    }

    c = lt->ws->request->connection;

    ngx_http_waav_ws_tts_local_back(lt);

    /* the next speak may be a provider's: its subrequest is posted */
    ngx_http_run_posted_requests(c);
}


/* a piece is spoken (or failed): its audio to the client */
static void
ngx_http_waav_ws_tts_local_back(ngx_http_waav_ws_tts_local_t *lt)
{
    ngx_http_waav_ws_t      *ws;
    ngx_http_waav_ws_job_t  *job;

    ws = lt->ws;
    job = lt->job;

    if (lt->sp.job.failed || lt->sp.rc != 0) {
        ngx_log_error(NGX_LOG_ERR, lt->log, 0,
                      "waav: local synthesis failed on /ws: %s",
                      lt->sp.job.failed ? "the thread pool refused a task"
                                        : lt->sp.ej.err);

        ngx_http_waav_ws_tts_fail(ws, job->bytes
                                      ? "Provider local stopped mid-audio"
                                      : "local synthesis failed");
        return;
    }

    if (!lt->began) {
        lt->began = 1;
        job->header = 1;
        job->ok = 1;
        job->status = NGX_HTTP_OK;
        job->obs.answered = 1;
        job->obs.status = NGX_HTTP_OK;
        job->obs.call_ms = ngx_current_msec - job->obs.call_start;

        if (lt->sp.ej.fmt == WAAV_FMT_WAV) {
            ngx_http_waav_local_wav_header(lt->wav, lt->sp.ej.rate);
            lt->head.pos = lt->wav;
            lt->head.last = lt->wav + WAAV_AUDIO_WAV_HEADER;
        }
    }

    if (lt->sp.last) {
        /* the engine is done with it: a speak waiting for a slot starts
         * while this one's audio drains */
        ngx_http_waav_local_release(&lt->sp.job);
    }

    lt->out.pos = lt->sp.ej.out;
    lt->out.last = lt->sp.ej.out + lt->sp.ej.out_len;

    ngx_http_waav_ws_tts_local_send(lt);
}


/* what waits goes to the client's queue; once it all has, the next piece,
 * or the end */
static void
ngx_http_waav_ws_tts_local_send(ngx_http_waav_ws_tts_local_t *lt)
{
    ngx_int_t                rc;
    ngx_http_waav_ws_t      *ws;
    ngx_http_waav_ws_job_t  *job;

    ws = lt->ws;
    job = lt->job;

    rc = ngx_http_waav_ws_tts_audio(ws, job, &lt->head);

    if (rc == NGX_OK) {
        rc = ngx_http_waav_ws_tts_audio(ws, job, &lt->out);
    }

    ngx_http_waav_ws_flush(ws);

    if (rc == NGX_AGAIN) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, lt->log, 0,
                       "waav ws: local speech waits for the client, "
                       "%uL bytes sent", job->bytes);
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
        return;
    }

    if (!lt->sp.last) {
        ngx_http_waav_ws_tts_local_piece(lt);
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, lt->log, 0,
                   "waav ws: local speech over, %uL bytes", job->bytes);

    /* as a provider's answer ends: the last partial frame, the completion,
     * the next speak (which frees lt) */
    job->complete = 1;
    job->done = 1;
    ngx_http_waav_ws_tts_wake(ws);
    ngx_http_waav_ws_flush(ws);
}


/* the client's queue has room again */
void
ngx_http_waav_ws_tts_local_resume(ngx_http_waav_ws_t *ws)
{
    ngx_http_waav_ws_tts_local_t  *lt;

    lt = ws->job->local;

    if (lt->sp.job.running || lt->sp.job.engine_wait || lt->sp.job.waiting
        || !lt->began || ws->job->done)
    {
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, lt->log, 0,
                   "waav ws: the client reads again, local speech resumes");

    ngx_http_waav_ws_tts_local_send(lt);
}


/* the speak ends (done, failed, cleared, replaced, or its session over):
 * a task in the pool frees lt when it is back */
void
ngx_http_waav_ws_tts_local_stop(ngx_http_waav_ws_job_t *job)
{
    ngx_http_waav_ws_tts_local_t  *lt;

    lt = job->local;

    if (lt == NULL) {
        return;
    }

    job->local = NULL;

    if (!job->done || job->cancelled) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, lt->log, 0,
                       "waav ws: local speech cancelled, %uL bytes sent%s",
                       job->bytes, lt->sp.job.running ? ", a task runs" : "");
    }

    if (lt->sp.job.running) {
        lt->ws = NULL;
        lt->job = NULL;
        lt->log = ngx_cycle->log;
        return;
    }

    ngx_http_waav_ws_tts_local_free(lt);
}
