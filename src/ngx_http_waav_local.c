/*
 * waav: waav_local, and each worker's scheduler of local tasks (see
 * ngx_http_waav_local.h).
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_local.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
#include "waav_espeak.h"
#include "waav_local.h"
#include "waav_sphinx.h"

#if !(NGX_THREADS)
#error "waav's local provider needs nginx built --with-threads"
#endif


#define NGX_HTTP_WAAV_LOCAL_MAX    4
#define NGX_HTTP_WAAV_LOCAL_QUEUE  32


typedef struct {
    ngx_str_t            pool_name;
    ngx_thread_pool_t   *pool;
    ngx_uint_t           max;
    ngx_uint_t           queue;
    ngx_uint_t           sessions;      /* /ws recognitions at once */
    unsigned             tts:1;         /* a local provider is declared */
} ngx_http_waav_local_conf_t;


/* this worker's */
typedef struct {
    ngx_http_waav_local_conf_t  *conf;
    ngx_uint_t                   active;        /* slots held */
    ngx_uint_t                   sessions;      /* /ws sessions' slots */
    ngx_uint_t                   nwaiting;
    ngx_queue_t                  waiting;       /* for a slot */
    ngx_queue_t                  engine;        /* for espeak-ng */
    unsigned                     engine_busy:1;
    unsigned                     espeak:1;      /* loaded */

    /* tasks in the pool and requests waiting: while there are any, a
     * timer, so that a worker shutting down (a reload) does not take
     * itself for idle and exit under them */
    ngx_uint_t                   pending;
    ngx_event_t                  hold;
} ngx_http_waav_local_worker_t;


static ngx_http_waav_local_worker_t  ngx_http_waav_local_worker;

static void ngx_http_waav_local_voices(ngx_cycle_t *cycle);


#define NGX_HTTP_WAAV_LOCAL_HOLD  60000


static void
ngx_http_waav_local_hold_handler(ngx_event_t *ev)
{
    if (ngx_http_waav_local_worker.pending) {
        ngx_add_timer(ev, NGX_HTTP_WAAV_LOCAL_HOLD);
    }
}


static void
ngx_http_waav_local_pending(ngx_int_t d)
{
    ngx_http_waav_local_worker_t  *w;

    w = &ngx_http_waav_local_worker;
    w->pending += d;

    if (w->pending && !w->hold.timer_set) {
        ngx_add_timer(&w->hold, NGX_HTTP_WAAV_LOCAL_HOLD);

    } else if (w->pending == 0 && w->hold.timer_set) {
        ngx_del_timer(&w->hold);
    }
}


static ngx_http_waav_local_conf_t *
ngx_http_waav_local_conf(ngx_conf_t *cf, ngx_http_waav_main_conf_t *wmcf)
{
    ngx_http_waav_local_conf_t  *lc;

    if (wmcf->local) {
        return wmcf->local;
    }

    lc = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_local_conf_t));
    if (lc == NULL) {
        return NULL;
    }

    lc->max = NGX_CONF_UNSET_UINT;
    lc->queue = NGX_CONF_UNSET_UINT;
    lc->sessions = NGX_CONF_UNSET_UINT;
    wmcf->local = lc;

    return lc;
}


/* waav_local [pool=NAME] [max=N] [queue=N] [sessions=N] */
char *
ngx_http_waav_local(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_main_conf_t  *wmcf = conf;

    ngx_int_t                    n;
    ngx_str_t                   *value, v;
    ngx_uint_t                   i;
    ngx_http_waav_local_conf_t  *lc;

    ngx_http_waav_unused(cmd);

    lc = ngx_http_waav_local_conf(cf, wmcf);
    if (lc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (lc->pool_name.len) {
        return "is duplicate";
    }

    value = cf->args->elts;
    ngx_str_set(&lc->pool_name, "default");

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "pool=", 5) == 0) {
            lc->pool_name.data = value[i].data + 5;
            lc->pool_name.len = value[i].len - 5;

            if (lc->pool_name.len == 0) {
                return "has an empty pool=";
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "max=", 4) == 0
            || ngx_strncmp(value[i].data, "queue=", 6) == 0
            || ngx_strncmp(value[i].data, "sessions=", 9) == 0)
        {
            v.data = (u_char *) ngx_strchr(value[i].data, '=') + 1;
            v.len = value[i].data + value[i].len - v.data;
            n = ngx_atoi(v.data, v.len);

            if (n == NGX_ERROR || n > 65536 || (value[i].data[0] != 'q'
                                                && n == 0))
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"%V\" (max: 1-65536, queue: "
                                   "0-65536, sessions: 1-65536)", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (value[i].data[0] == 'm') {
                lc->max = n;

            } else if (value[i].data[0] == 'q') {
                lc->queue = n;

            } else {
                lc->sessions = n;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* a declared local provider takes its thread pool (nginx's "default",
 * 32 threads, unless waav_local names one declared by thread_pool) */
ngx_int_t
ngx_http_waav_local_init(ngx_conf_t *cf)
{
    ngx_uint_t                   i;
    ngx_http_waav_provider_t    *p;
    ngx_http_waav_local_conf_t  *lc;
    ngx_http_waav_main_conf_t   *wmcf;

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_waav_module);
    p = wmcf->providers.elts;

    for (i = 0; i < wmcf->providers.nelts; i++) {
        if (p[i].ptype->embedded) {
            break;
        }
    }

    if (i == wmcf->providers.nelts) {
        return NGX_OK;
    }

    lc = ngx_http_waav_local_conf(cf, wmcf);
    if (lc == NULL) {
        return NGX_ERROR;
    }

    if (lc->pool_name.len == 0) {
        ngx_str_set(&lc->pool_name, "default");
    }

    lc->tts = 1;
    lc->max = (lc->max == NGX_CONF_UNSET_UINT) ? NGX_HTTP_WAAV_LOCAL_MAX
                                               : lc->max;
    lc->queue = (lc->queue == NGX_CONF_UNSET_UINT) ? NGX_HTTP_WAAV_LOCAL_QUEUE
                                                   : lc->queue;
    lc->sessions = (lc->sessions == NGX_CONF_UNSET_UINT) ? lc->max
                                                         : lc->sessions;

    lc->pool = ngx_thread_pool_add(cf, &lc->pool_name);
    if (lc->pool == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_waav_local_init_process(ngx_cycle_t *cycle)
{
    char                          err[256];
    ngx_http_waav_main_conf_t    *wmcf;
    ngx_http_waav_local_worker_t *w;

    w = &ngx_http_waav_local_worker;
    ngx_memzero(w, sizeof(ngx_http_waav_local_worker_t));
    ngx_queue_init(&w->waiting);
    ngx_queue_init(&w->engine);
    w->hold.handler = ngx_http_waav_local_hold_handler;
    w->hold.log = cycle->log;
    w->hold.data = w;

    wmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_waav_module);

    if (wmcf == NULL || wmcf->local == NULL) {
        return;
    }

    w->conf = wmcf->local;

    if (!w->conf->tts) {
        return;
    }

    /* before any task: nothing else touches espeak-ng meanwhile */
    if (waav_espeak_init(err, sizeof(err)) != 0) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "waav: local text to speech is off: %s", err);
        return;
    }

    w->espeak = 1;
    ngx_http_waav_local_voices(cycle);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cycle->log, 0,
                   "waav local: espeak-ng loaded, %uz voices",
                   waav_espeak_voices());
}


/* GET /voices' list of espeak-ng's voices, made once here: a listing is
 * then no work on the event loop */
static void
ngx_http_waav_local_voices(ngx_cycle_t *cycle)
{
    size_t         i, n;
    waav_voice_t  *v;

    n = waav_espeak_voices();

    v = ngx_alloc((n ? n : 1) * sizeof(waav_voice_t), cycle->log);
    if (v == NULL) {
        return;
    }

    for (i = 0; i < n; i++) {
        waav_local_voice_entry(&v[i], waav_espeak_voice(i),
                               waav_espeak_voice_title(i),
                               waav_espeak_voice_gender(i));
    }

    waav_local_voices_set(v, n);
}


/* the pool's threads are done by now (the thread_pool module exits
 * before the http modules): espeak-ng and the decoders are no one's */
void
ngx_http_waav_local_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_waav_unused(cycle);

    waav_sphinx_exit();

    if (ngx_http_waav_local_worker.espeak) {
        ngx_free((void *) waav_voices_local.fixed);
        waav_local_voices_set(NULL, 0);
        waav_espeak_exit();
        ngx_http_waav_local_worker.espeak = 0;
    }
}


ngx_flag_t
ngx_http_waav_local_tts_ready(void)
{
    return ngx_http_waav_local_worker.espeak;
}


/* --- the scheduler ------------------------------------------------------ */

static void ngx_http_waav_local_cleanup(void *data);
static void ngx_http_waav_local_event(ngx_event_t *ev);


static ngx_int_t
ngx_http_waav_local_admit_session(ngx_http_waav_local_job_t *job,
    ngx_http_waav_local_worker_t *w, waav_err_t *err)
{
    if (w->sessions >= w->conf->sessions) {
        ngx_log_error(NGX_LOG_WARN, job->r->connection->log, 0,
                      "waav: local engines busy: %ui /ws recognitions",
                      w->sessions);
        waav_err_set(err, 503, "LOCAL_BUSY",
                     "local engines are busy: try again shortly");
        return NGX_BUSY;
    }

    w->sessions++;
    job->slot = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, job->r->connection->log, 0,
                   "waav local: session slot taken, %ui held", w->sessions);

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_local_admit(ngx_http_waav_local_job_t *job, waav_err_t *err)
{
    ngx_http_cleanup_t            *cln;
    ngx_http_waav_local_worker_t  *w;

    w = &ngx_http_waav_local_worker;

    if (w->conf == NULL) {
        waav_err_set(err, 500, WAAV_E_INTERNAL, "local engines not loaded");
        return NGX_ERROR;
    }

    /* a /ws session's recognition holds a slot of its own kind for the
     * whole session: the session's speaks and other requests keep theirs */
    if (job->session) {
        return ngx_http_waav_local_admit_session(job, w, err);
    }

    if (w->active >= w->conf->max && w->nwaiting >= w->conf->queue) {
        ngx_log_error(NGX_LOG_WARN, job->r->connection->log, 0,
                      "waav: local engines busy: %ui running, %ui waiting",
                      w->active, w->nwaiting);
        waav_err_set(err, 503, "LOCAL_BUSY",
                     "local engines are busy: try again shortly");
        return NGX_BUSY;
    }

    /* a /ws speak (detached) is cancelled by its owner */
    if (job->done == NULL) {
        cln = ngx_http_cleanup_add(job->r, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_waav_local_cleanup;
        cln->data = job;
    }

    if (w->active < w->conf->max) {
        w->active++;
        job->slot = 1;

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, job->r->connection->log, 0,
                       "waav local: slot taken, %ui running, %ui waiting",
                       w->active, w->nwaiting);
        return NGX_OK;
    }

    ngx_queue_insert_tail(&w->waiting, &job->queue);
    w->nwaiting++;
    job->waiting = 1;
    ngx_http_waav_local_pending(1);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, job->r->connection->log, 0,
                   "waav local: queued, %ui running, %ui waiting",
                   w->active, w->nwaiting);

    return NGX_AGAIN;
}


ngx_int_t
ngx_http_waav_local_busy(ngx_http_request_t *r, waav_err_t *err)
{
    static ngx_str_t  retry_after = ngx_string("Retry-After");
    static ngx_str_t  one = ngx_string("1");

    if (ngx_http_waav_add_header(r, &retry_after, &one) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_waav_send_err(r, err);
}


void
ngx_http_waav_local_release(ngx_http_waav_local_job_t *job)
{
    ngx_queue_t                   *q;
    ngx_connection_t              *c;
    ngx_http_waav_local_job_t     *next;
    ngx_http_waav_local_worker_t  *w;

    w = &ngx_http_waav_local_worker;

    if (!job->slot) {
        return;
    }

    job->slot = 0;

    if (job->session) {
        w->sessions--;
        return;
    }

    w->active--;

    if (ngx_queue_empty(&w->waiting)) {
        return;
    }

    /* the slot goes to the first request waiting */
    q = ngx_queue_head(&w->waiting);
    ngx_queue_remove(q);
    w->nwaiting--;

    next = ngx_queue_data(q, ngx_http_waav_local_job_t, queue);
    next->waiting = 0;
    ngx_http_waav_local_pending(-1);
    next->slot = 1;
    w->active++;

    c = next->r->connection;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "waav local: slot given, %ui waiting", w->nwaiting);

    next->start(next);

    /* its start may have ended it (a task refused: its error sent, a
     * subrequest's parent posted), from another request's handler */
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_waav_local_cleanup(void *data)
{
    ngx_http_waav_local_cancel(data);
}


void
ngx_http_waav_local_cancel(ngx_http_waav_local_job_t *job)
{
    ngx_http_waav_local_worker_t  *w;

    w = &ngx_http_waav_local_worker;
    job->gone = 1;

    if (job->waiting) {
        ngx_queue_remove(&job->queue);
        w->nwaiting--;
        job->waiting = 0;
        ngx_http_waav_local_pending(-1);
    }

    if (job->engine_wait) {
        ngx_queue_remove(&job->queue);
        job->engine_wait = 0;
        ngx_http_waav_local_pending(-1);
    }

    ngx_http_waav_local_release(job);
}


static ngx_int_t
ngx_http_waav_local_run(ngx_http_waav_local_job_t *job)
{
    ngx_http_waav_local_worker_t  *w;

    w = &ngx_http_waav_local_worker;

    if (job->task == NULL) {
        job->task = ngx_thread_task_alloc(job->r->pool, 0);
        if (job->task == NULL) {
            return NGX_ERROR;
        }
    }

    job->task->ctx = job;
    job->task->handler = job->work;
    job->task->event.data = job;
    job->task->event.handler = ngx_http_waav_local_event;

    if (ngx_thread_task_post(w->conf->pool, job->task) != NGX_OK) {
        return NGX_ERROR;
    }

    job->running = 1;
    ngx_http_waav_local_pending(1);

    if (job->done == NULL) {
        job->r->main->blocked++;
    }

    if (job->engine) {
        w->engine_busy = 1;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_local_post(ngx_http_waav_local_job_t *job)
{
    ngx_http_waav_local_worker_t  *w;

    w = &ngx_http_waav_local_worker;

    if (job->engine && w->engine_busy) {
        ngx_queue_insert_tail(&w->engine, &job->queue);
        job->engine_wait = 1;
        ngx_http_waav_local_pending(1);
        return NGX_OK;
    }

    return ngx_http_waav_local_run(job);
}


/* espeak-ng is free: the next piece waiting for it */
static void
ngx_http_waav_local_engine_next(void)
{
    ngx_queue_t                   *q;
    ngx_connection_t              *c;
    ngx_http_request_t            *r;
    ngx_http_waav_local_job_t     *job;
    ngx_http_waav_local_worker_t  *w;

    w = &ngx_http_waav_local_worker;

    while (!w->engine_busy && !ngx_queue_empty(&w->engine)) {
        q = ngx_queue_head(&w->engine);
        ngx_queue_remove(q);

        job = ngx_queue_data(q, ngx_http_waav_local_job_t, queue);
        job->engine_wait = 0;
        ngx_http_waav_local_pending(-1);

        if (ngx_http_waav_local_run(job) == NGX_OK) {
            continue;
        }

        job->failed = 1;

        if (job->done) {
            job->done(job);
            continue;
        }

        r = job->r;
        c = r->connection;
        r->write_event_handler(r);
        ngx_http_run_posted_requests(c);
    }
}


/* a task is done: back on the event loop, as nginx's own aio threads */
static void
ngx_http_waav_local_event(ngx_event_t *ev)
{
    ngx_http_waav_local_job_t  *job = ev->data;

    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = NULL;
    c = NULL;

    if (job->done == NULL) {
        r = job->r;
        c = r->connection;

        ngx_http_set_log_request(c->log, r);

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "waav local: task done");

        r->main->blocked--;
    }

    job->running = 0;
    ngx_http_waav_local_pending(-1);

    /* espeak-ng to the pieces that waited for it first, so that requests
     * take turns with it piece by piece */
    if (job->engine) {
        ngx_http_waav_local_worker.engine_busy = 0;
        ngx_http_waav_local_engine_next();
    }

    if (job->done) {
        /* a session's: it may be over, its owner knows */
        job->done(job);
        return;
    }

    r->write_event_handler(r);

    ngx_http_run_posted_requests(c);
}
