/*
 * waav: speech to text on /ws with the `local` provider: pocketsphinx in
 * nginx's thread pool (src/core/local/waav_sphinx_live.c).
 *
 * A config naming a local provider takes one of the worker's waav_local
 * slots for the whole session (a session keeps a decoder: the slots bound
 * the decoders of a worker, about 90 MB each); none free → the config
 * fails ("Failed to start voice manager: local engines are busy ...", no
 * ready; the session stays).  Its first task loads the decoder (or takes
 * an idle one); ready is sent once it is back.
 *
 * The client's binary messages (16-bit PCM at its sample_rate, channels)
 * gather in a buffer of at most NGX_HTTP_WAAV_WS_LOCAL_HOLD seconds; one
 * task at a time decodes what has gathered (mixed to mono, resampled to
 * 16 kHz): a message that does not fit while a task runs is dropped and
 * the client told so, once until the next task.  Results go through WaaV's
 * turn logic and writer (ngx_http_waav_ws_turn_result): interims while in
 * speech, a final (is_final and is_speech_final) at the utterance's end
 * (pocketsphinx's voice activity detection, or the client's flush).
 *
 * The task's completion is this file's (the job's done), never the
 * request's handler: the session may be over by then (the client left, a
 * new config, a reload's end of the session): the session's state is
 * malloc()ed and detached (ws NULL) when it ends; the completion frees it.
 * While a task runs the worker does not exit (the scheduler's hold).
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_local.h"
#include "ngx_http_waav_util.h"
#include "ngx_http_waav_ws.h"
#include "waav_errmsg.h"
#include "waav_sphinx_live.h"


/* seconds of audio that may wait for the decoder */
#define NGX_HTTP_WAAV_WS_LOCAL_HOLD  10


struct ngx_http_waav_ws_local_s {
    ngx_http_waav_local_job_t   job;            /* first: the task's ctx */
    ngx_thread_task_t           task;
    ngx_http_waav_ws_t         *ws;             /* NULL: the session left */
    ngx_log_t                  *log;

    waav_sphinx_live_t          lv;
    waav_sphinx_out_t           out;            /* the task's results */
    int                         rc;

    /* audio waiting (whole messages), and the task's */
    u_char                     *in;
    size_t                      in_len;
    size_t                      mark;           /* the message's start */
    u_char                     *work;
    size_t                      work_len;
    size_t                      hold;           /* either's size */
    size_t                      frame;          /* bytes of a sample frame */
    size_t                      flush_at;       /* in's bytes before it */

    /* stt_seconds, charged NGX_HTTP_WAAV_WS_STREAM_CHARGE ahead, counted
     * for provider at the end */
    ngx_str_t                   provider;
    uint64_t                    rate;           /* audio bytes a second */
    uint64_t                    sent;           /* bytes given to tasks */
    uint64_t                    charged;
    uint64_t                    msg_len;

    waav_stt_turn_t             turn;
    ngx_event_t                 turn_timer;

    char                       *ready;          /* WaaV's ready, sent */
    size_t                      ready_len;      /* once the engine is up */

    unsigned                    up:1;
    unsigned                    dag:1;
    unsigned                    flush:1;        /* the utterance ends */
    unsigned                    flush_more:1;   /* another one came */
    unsigned                    work_end:1;     /* ... in this task */
    unsigned                    drop:1;         /* the message is dropped */
    unsigned                    said:1;         /* the drop was said */
    unsigned                    charging:1;     /* Redis decides */
};


static void ngx_http_waav_ws_local_work(void *data, ngx_log_t *log);
static void ngx_http_waav_ws_local_done(ngx_http_waav_local_job_t *job);
static void ngx_http_waav_ws_local_back(ngx_http_waav_ws_local_t *lt);
static void ngx_http_waav_ws_local_turn(ngx_event_t *ev);
static void ngx_http_waav_ws_local_next(ngx_http_waav_ws_local_t *lt);
static void ngx_http_waav_ws_local_fail(ngx_http_waav_ws_local_t *lt,
    const char *why);
static ngx_int_t ngx_http_waav_ws_local_charge(ngx_http_request_t *r,
    ngx_http_waav_ws_local_t *lt);
static void ngx_http_waav_ws_local_charged(ngx_http_request_t *r);


/* what local takes: 16-bit PCM, English (the adapter's own check) */
ngx_int_t
ngx_http_waav_ws_local_config(ngx_http_waav_ws_t *ws,
    waav_ws_stt_config_t *cfg, ngx_http_waav_provider_t *p, waav_alloc_t *a)
{
    waav_err_t       err;
    waav_str_t       suffix;
    waav_stt_req_t   req;
    waav_http_req_t  out;

    ngx_memzero(&err, sizeof(waav_err_t));

    if (waav_stt_stream_encoding(cfg->encoding) != WAAV_STT_ENC_PCM16) {
        (void) waav_stt_stream_bad_encoding(&err, (char *) p->name.data,
                                            cfg->encoding, "linear16");
        (void) ngx_http_waav_ws_send_error(ws, err.message);
        return NGX_DECLINED;
    }

    ngx_memzero(&req, sizeof(waav_stt_req_t));
    ngx_memzero(&out, sizeof(waav_http_req_t));
    ngx_str_null((ngx_str_t *) &suffix);

    req.audio.kind = WAAV_AUDIO_PCM;
    req.audio.rate = cfg->sample_rate;
    req.audio.channels = cfg->channels;
    req.language = cfg->language;

    if (p->stt->build(p->stt, &req, &out, &suffix, a, &err) != 0) {
        (void) ngx_http_waav_ws_send_error(ws, err.message);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static void
ngx_http_waav_ws_local_free(ngx_http_waav_ws_local_t *lt)
{
    if (lt->turn_timer.timer_set) {
        ngx_del_timer(&lt->turn_timer);
    }

    /* the slot back: a request waiting for one starts */
    ngx_http_waav_local_release(&lt->job);

    waav_sphinx_live_free(&lt->lv);
    waav_sphinx_out_free(&lt->out);
    ngx_free(lt->in);
    ngx_free(lt->work);
    ngx_free(lt);
}


ngx_int_t
ngx_http_waav_ws_local_start(ngx_http_waav_ws_t *ws, char *ready,
    size_t ready_len, ngx_uint_t dag)
{
    char                       msg[256];
    ngx_int_t                  rc;
    waav_err_t                 err;
    ngx_http_waav_ws_local_t  *lt;

    lt = ngx_calloc(sizeof(ngx_http_waav_ws_local_t),
                    ws->request->connection->log);
    if (lt == NULL) {
        return NGX_ERROR;
    }

    lt->ws = ws;
    lt->log = ws->request->connection->log;
    lt->provider = ws->stt_provider->name;
    lt->ready = ready;
    lt->ready_len = ready_len;
    lt->dag = dag ? 1 : 0;

    lt->lv.rate = ws->stt.sample_rate;
    lt->lv.channels = ngx_max(ws->stt.channels, 1);
    lt->frame = 2 * lt->lv.channels;
    lt->rate = (uint64_t) lt->lv.rate * lt->frame;
    lt->hold = (size_t) lt->rate * NGX_HTTP_WAAV_WS_LOCAL_HOLD;

    lt->job.r = ws->request;
    lt->job.task = &lt->task;
    lt->job.work = ngx_http_waav_ws_local_work;
    lt->job.done = ngx_http_waav_ws_local_done;
    lt->job.session = 1;

    waav_stt_turn_init(&lt->turn);
    lt->turn_timer.handler = ngx_http_waav_ws_local_turn;
    lt->turn_timer.data = lt;
    lt->turn_timer.log = lt->log;
    lt->turn_timer.cancelable = 1;

    ngx_memzero(&err, sizeof(waav_err_t));

    rc = ngx_http_waav_local_admit(&lt->job, &err);

    if (rc != NGX_OK) {
        ngx_free(lt);

        ngx_snprintf((u_char *) msg, sizeof(msg),
                     "Failed to start voice manager: %s%Z",
                     rc == NGX_BUSY ? "local engines are busy: try again "
                                      "shortly"
                                    : err.message);

        /* the config did not take: no audio, no speaks */
        ws->configured = 0;
        ngx_http_waav_ws_session_stop(ws);
        ws->stt_provider = NULL;
        ws->tts_provider = NULL;

        return ngx_http_waav_ws_send_error(ws, msg);
    }

    lt->in = ngx_alloc(lt->hold, lt->log);
    lt->work = ngx_alloc(lt->hold, lt->log);

    if (lt->in == NULL || lt->work == NULL) {
        ngx_http_waav_ws_local_free(lt);
        return NGX_ERROR;
    }

    ws->local = lt;
    ws->stream_dead = 0;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, lt->log, 0,
                   "waav ws: local recognition at %ui Hz, loading",
                   (ngx_uint_t) lt->lv.rate);

    /* the first task loads the decoder: ready once it is back */
    if (ngx_http_waav_local_post(&lt->job) != NGX_OK) {
        ngx_http_waav_ws_local_fail(lt, "the thread pool refused a task");
    }

    return NGX_OK;
}


/* --- the task ------------------------------------------------------------ */

/* in a pool thread: the session's audio and decoder, which nothing else
 * touches meanwhile */
static void
ngx_http_waav_ws_local_work(void *data, ngx_log_t *log)
{
    ngx_http_waav_ws_local_t *lt = data;

    ngx_http_waav_unused(log);

    /* 16-bit little-endian, as on every host nginx runs on here */
    lt->rc = waav_sphinx_live_feed(&lt->lv, (int16_t *) lt->work,
                                   lt->work_len / 2, lt->work_end,
                                   &lt->out);
}


/* the engine is up: WaaV's ready (a DAG's error first, as WaaV) */
static ngx_int_t
ngx_http_waav_ws_local_up(ngx_http_waav_ws_local_t *lt)
{
    ngx_http_waav_ws_t  *ws;

    ws = lt->ws;
    lt->up = 1;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, lt->log, 0,
                   "waav ws: local recognition is up");

    if (lt->dag) {
        (void) ngx_http_waav_ws_send_error(ws,
                   "DAG routing is not enabled. Build with --features "
                   "dag-routing");
    }

    return ngx_http_waav_ws_send_text(ws, lt->ready, lt->ready_len);
}


/* the task's results, as stt_result */
static ngx_int_t
ngx_http_waav_ws_local_results(ngx_http_waav_ws_local_t *lt)
{
    size_t                 i;
    ngx_int_t              rc;
    ngx_pool_t            *pool;
    waav_alloc_t           a;
    waav_stt_event_t       ev;
    waav_sphinx_result_t  *res;

    if (lt->out.n == 0) {
        return NGX_OK;
    }

    pool = ngx_create_pool(1024, lt->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    ngx_http_waav_allocator(pool, &a);
    rc = NGX_OK;

    for (i = 0; i < lt->out.n && rc == NGX_OK; i++) {
        res = &lt->out.res[i];

        ngx_memzero(&ev, sizeof(waav_stt_event_t));
        ev.type = WAAV_STT_EV_RESULT;
        ev.transcript.data = res->text;
        ev.transcript.len = res->len;
        ev.is_final = res->final;
        ev.is_speech_final = res->final;
        ev.confidence = res->confidence;

        rc = ngx_http_waav_ws_turn_result(lt->ws, &lt->turn, &lt->turn_timer,
                                          &ev, &a);
    }

    ngx_destroy_pool(pool);

    return rc;
}


/* a task is back, on the event loop */
static void
ngx_http_waav_ws_local_done(ngx_http_waav_local_job_t *job)
{
    ngx_http_waav_ws_local_t *lt = (ngx_http_waav_ws_local_t *) job;

    ngx_connection_t    *c;
    ngx_http_waav_ws_t  *ws;

    ws = lt->ws;

    if (ws == NULL) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "waav ws: local task back, its session is over");
        ngx_http_waav_ws_local_free(lt);
        return;
    }

    c = ws->request->connection;

    ngx_http_waav_ws_local_back(lt);

    /* a failure stops the session's work: a speak's subrequest cut may
     * have posted its parent */
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_waav_ws_local_back(ngx_http_waav_ws_local_t *lt)
{
    char                 msg[160];
    ngx_http_waav_ws_t  *ws;

    ws = lt->ws;

    lt->work_len = 0;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, lt->log, 0,
                   "waav ws: local task back, %uz results", lt->out.n);

    if (lt->rc != 0) {
        ngx_snprintf((u_char *) msg, sizeof(msg), "%s%Z", lt->out.err);
        ngx_http_waav_ws_local_fail(lt, msg);
        return;
    }

    if ((!lt->up && ngx_http_waav_ws_local_up(lt) != NGX_OK)
        || ngx_http_waav_ws_local_results(lt) != NGX_OK)
    {
        waav_sphinx_out_free(&lt->out);
        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
        ngx_http_waav_ws_flush(ws);
        return;
    }

    waav_sphinx_out_free(&lt->out);

    ngx_http_waav_ws_local_next(lt);
    ngx_http_waav_ws_flush(ws);
}


/* what gathered goes to a task, unless one runs: up to a flush (the
 * utterance ends there), or all of it */
static void
ngx_http_waav_ws_local_next(ngx_http_waav_ws_local_t *lt)
{
    u_char  *p;
    size_t   whole;

    if (lt->job.running || !lt->up) {
        return;
    }

    whole = lt->flush ? ngx_min(lt->flush_at, lt->in_len) : lt->in_len;
    whole -= whole % lt->frame;

    if (whole == 0 && !lt->flush) {
        return;
    }

    /* stt_seconds ahead of what is decoded; Redis may answer later */
    if (lt->sent + whole > lt->charged * lt->rate
        && (lt->charging
            || ngx_http_waav_ws_local_charge(lt->ws->request, lt) != NGX_OK))
    {
        return;
    }

    lt->sent += whole;

    /* the buffers change places; what is left stays for the next */
    p = lt->work;
    lt->work = lt->in;
    lt->work_len = whole;
    lt->in = p;
    lt->in_len -= whole;
    ngx_memcpy(lt->in, lt->work + whole, lt->in_len);
    lt->mark = 0;
    lt->said = 0;

    lt->work_end = lt->flush;

    if (lt->flush) {
        /* a later flush: at the end of what came so far */
        lt->flush = lt->flush_more;
        lt->flush_more = 0;
        lt->flush_at = lt->in_len;
    }

    if (ngx_http_waav_local_post(&lt->job) != NGX_OK) {
        ngx_http_waav_ws_local_fail(lt, "the thread pool refused a task");
    }
}


/* NGX_OK: charged; NGX_AGAIN: Redis decides (the audio waits); else
 * the recognition ended (the quota refused) */
static ngx_int_t
ngx_http_waav_ws_local_charge(ngx_http_request_t *r,
    ngx_http_waav_ws_local_t *lt)
{
    char        msg[WAAV_ERRMSG_MAX + 1];
    ngx_int_t   rc;
    waav_err_t  err;

    ngx_memzero(&err, sizeof(waav_err_t));

    rc = ngx_http_waav_limit_charge_q(r, &lt->ws->stt_quota,
                                      NGX_HTTP_WAAV_QUOTA_STT_SECONDS,
                                      NGX_HTTP_WAAV_WS_STREAM_CHARGE,
                                      ngx_http_waav_ws_local_charged, &err);

    lt->charging = (rc == NGX_AGAIN);

    if (rc == NGX_OK) {
        lt->charged += NGX_HTTP_WAAV_WS_STREAM_CHARGE;

    } else if (rc != NGX_AGAIN) {
        ngx_snprintf((u_char *) msg, sizeof(msg), "%s%Z", err.message);
        ngx_http_waav_ws_local_fail(lt, msg);
    }

    return rc;
}


/* Redis answered the charge */
static void
ngx_http_waav_ws_local_charged(ngx_http_request_t *r)
{
    ngx_http_waav_ws_t        *ws;
    ngx_http_waav_ws_local_t  *lt;

    ws = ngx_http_waav_ws_get(r);
    lt = ws ? ws->local : NULL;

    if (lt == NULL || ws->finished
        || ngx_http_waav_ws_local_charge(r, lt) != NGX_OK)
    {
        return;
    }

    ngx_http_waav_ws_local_next(lt);
    ngx_http_waav_ws_flush(ws);
}


/* what was charged ahead and not decoded goes back */
static void
ngx_http_waav_ws_local_refund(ngx_http_waav_ws_local_t *lt)
{
    ngx_http_waav_ws_refund_ahead(lt->ws, &lt->provider, lt->charged,
                                  (lt->sent + lt->rate - 1) / lt->rate,
                                  lt->charging);
    lt->charging = 0;
    lt->charged = 0;
}


/* the recognition is over, the session goes on: the client is told
 * (before ready, the config failed: no ready, no audio) */
static void
ngx_http_waav_ws_local_fail(ngx_http_waav_ws_local_t *lt, const char *why)
{
    char                 msg[256];
    ngx_http_waav_ws_t  *ws;

    ws = lt->ws;

    ngx_log_error(NGX_LOG_WARN, lt->log, 0,
                  "waav: local speech to text on /ws: %s", why);

    ngx_snprintf((u_char *) msg, sizeof(msg), "%s%s%Z",
                 lt->up ? "STT streaming error: "
                        : "Failed to start voice manager: ", why);

    ngx_http_waav_ws_local_refund(lt);

    ws->local = NULL;
    ws->stream_dead = 1;

    if (!lt->up) {
        ws->configured = 0;
        ngx_http_waav_ws_session_stop(ws);
        ws->stt_provider = NULL;
        ws->tts_provider = NULL;
    }

    ngx_http_waav_ws_local_free(lt);

    (void) ngx_http_waav_ws_send_error(ws, msg);
    ngx_http_waav_ws_flush(ws);
}


static void
ngx_http_waav_ws_local_turn(ngx_event_t *ev)
{
    ngx_http_waav_ws_local_t *lt = ev->data;

    ngx_http_waav_ws_turn_fire(lt->ws, &lt->turn, ev);
}


/* --- the client's audio and flush ---------------------------------------- */

ngx_int_t
ngx_http_waav_ws_local_audio(ngx_http_waav_ws_t *ws, const u_char *p,
    size_t len, ngx_uint_t first)
{
    ngx_http_waav_ws_local_t  *lt;

    lt = ws->local;

    if (first) {
        lt->mark = lt->in_len;
        lt->msg_len = 0;
        lt->drop = 0;
    }

    lt->msg_len += len;

    if (ws->closing || lt->drop) {
        return NGX_OK;
    }

    /* longer than what may wait: never taken (said at its end) */
    if (lt->msg_len > lt->hold) {
        lt->in_len = lt->mark;
        lt->drop = 1;
        return NGX_OK;
    }

    /* a message that does not fit is dropped whole (and said so, once
     * until the next task): the decoder is behind */
    if (lt->in_len + len > lt->hold) {
        lt->in_len = lt->mark;
        lt->drop = 1;

        if (!lt->said) {
            lt->said = 1;

            ngx_log_error(NGX_LOG_WARN, lt->log, 0,
                          "waav: local speech to text is behind: more than "
                          "%d s of audio waits", NGX_HTTP_WAAV_WS_LOCAL_HOLD);

            return ngx_http_waav_ws_send_error(ws,
                       "STT streaming error: local recognition is not "
                       "keeping up with the audio (more than 10 seconds of "
                       "it waiting): audio dropped");
        }

        return NGX_OK;
    }

    ngx_memcpy(lt->in + lt->in_len, p, len);
    lt->in_len += len;

    return NGX_OK;
}


void
ngx_http_waav_ws_local_audio_end(ngx_http_waav_ws_t *ws, uint64_t len)
{
    char                       msg[128];
    ngx_http_waav_ws_local_t  *lt;

    lt = ws->local;

    if (len > WAAV_WS_BINARY_MAX) {
        /* as for a streamed provider */
        ngx_http_waav_ws_stream_audio_end(ws, len);

    } else if (len > lt->hold) {
        ngx_snprintf((u_char *) msg, sizeof(msg),
                     "Audio frame too large: %uL bytes (max: %uz bytes, %d "
                     "seconds, with local)%Z", len, lt->hold,
                     NGX_HTTP_WAAV_WS_LOCAL_HOLD);
        (void) ngx_http_waav_ws_send_error(ws, msg);
    }

    ngx_http_waav_ws_local_next(lt);
}


/* the utterance ends with what came: its final once that is decoded */
void
ngx_http_waav_ws_local_flush(ngx_http_waav_ws_t *ws)
{
    ngx_http_waav_ws_local_t  *lt;

    lt = ws->local;

    if (lt->flush) {
        lt->flush_more = 1;

    } else {
        lt->flush = 1;
        lt->flush_at = lt->in_len;
    }

    ngx_http_waav_ws_local_next(lt);
}


void
ngx_http_waav_ws_local_stop(ngx_http_waav_ws_t *ws)
{
    ngx_http_waav_ws_local_t  *lt;

    lt = ws->local;

    if (lt == NULL) {
        return;
    }

    ws->local = NULL;

    ngx_http_waav_ws_local_refund(lt);

    if (lt->turn_timer.timer_set) {
        ngx_del_timer(&lt->turn_timer);
    }

    if (lt->job.running) {
        /* its completion frees it */
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, lt->log, 0,
                       "waav ws: local recognition stops, a task runs");
        lt->ws = NULL;
        lt->log = ngx_cycle->log;
        return;
    }

    ngx_http_waav_ws_local_free(lt);
}
