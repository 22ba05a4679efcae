/*
 * waav: the `local` provider's engines (espeak-ng, pocketsphinx) in
 * nginx's thread pool: waav_local, and the worker's scheduler.
 *
 *   thread_pool waav threads=2;                    # main context
 *   waav_provider local type=local;                # http
 *   waav_local pool=waav max=4 queue=32 sessions=4;  # http
 *
 * Each worker runs at most `max` local requests at once, keeps up to
 * `queue` more waiting (in order), and answers any further one 503 with
 * Retry-After; apart from them, at most `sessions` /ws sessions recognize
 * at once (a detached job's slot, held for the session, never queued).  A request waits for its turn, never on a lock: a request
 * holds a slot from its start to its last task; a task runs in the pool
 * and its completion comes back to the worker's event loop.  espeak-ng's
 * state is global to a process, so its tasks (one piece of text each) run
 * one at a time in a worker, in the order they are ready; recognitions
 * run side by side, each thread with its own decoder.
 */

#ifndef NGX_HTTP_WAAV_LOCAL_H
#define NGX_HTTP_WAAV_LOCAL_H

#include "ngx_http_waav_module.h"
#include "waav_espeak.h"
#include "waav_tts.h"


typedef struct ngx_http_waav_local_job_s  ngx_http_waav_local_job_t;

typedef void (*ngx_http_waav_local_start_pt)(ngx_http_waav_local_job_t *job);

struct ngx_http_waav_local_job_s {
    ngx_http_request_t             *r;
    ngx_queue_t                     queue;      /* waiting for a slot or
                                                   for the engine */
    ngx_http_waav_local_start_pt    start;      /* its slot, once queued */
    void                          (*work)(void *data, ngx_log_t *log);
    ngx_thread_task_t              *task;

    /* a /ws session's (detached): its task comes back here, not to the
     * request's write handler, and never touches the request (the session
     * may be over); the task is the owner's, the request is not blocked,
     * and the owner gives the slot back (no cleanup on the request; while
     * it waits for one, ngx_http_waav_local_cancel() when it goes) */
    void                          (*done)(ngx_http_waav_local_job_t *job);

    unsigned                        engine:1;   /* espeak-ng: one a time */
    unsigned                        session:1;  /* a /ws recognition's: a
                                                   sessions= slot, never
                                                   queued */
    unsigned                        slot:1;
    unsigned                        waiting:1;  /* for a slot */
    unsigned                        engine_wait:1;
    unsigned                        running:1;  /* a task in the pool */
    unsigned                        failed:1;   /* the pool refused it */
    unsigned                        gone:1;     /* the request ended */
};


char *ngx_http_waav_local(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_waav_local_init(ngx_conf_t *cf);
void ngx_http_waav_local_init_process(ngx_cycle_t *cycle);
void ngx_http_waav_local_exit_process(ngx_cycle_t *cycle);

/* a slot for the job: NGX_OK (go on now), NGX_AGAIN (queued: job->start
 * is called when it has one), NGX_BUSY (the queue is full: err is the
 * 503; for a detached job, no slot is free now: it never queues),
 * NGX_ERROR */
ngx_int_t ngx_http_waav_local_admit(ngx_http_waav_local_job_t *job,
    waav_err_t *err);

/* the 503 of NGX_BUSY, with Retry-After */
ngx_int_t ngx_http_waav_local_busy(ngx_http_request_t *r, waav_err_t *err);

/* job->work in the pool; then the request's write_event_handler on the
 * event loop (job->failed when the pool refused the task) */
ngx_int_t ngx_http_waav_local_post(ngx_http_waav_local_job_t *job);

/* the slot back (the next waiting request starts) */
void ngx_http_waav_local_release(ngx_http_waav_local_job_t *job);

/* a job that goes: out of the queues it waits in, its slot back (a task
 * in the pool still comes back) */
void ngx_http_waav_local_cancel(ngx_http_waav_local_job_t *job);

/* a text spoken piece by piece, one task a piece (the task's ctx): /speak's
 * and /ws's (ngx_http_waav_local_tts.c) */
typedef struct {
    ngx_http_waav_local_job_t       job;        /* first: the task's ctx */
    waav_espeak_job_t               ej;
    u_char                         *text;
    size_t                          len;
    size_t                          pos;
    u_char                         *piece;      /* PIECE + 1 bytes, the
                                                   caller's */
    size_t                          piece_len;
    int                             rc;         /* the piece's, in the pool */
    unsigned                        last:1;     /* the piece is the last */
} ngx_http_waav_local_speech_t;

#define NGX_HTTP_WAAV_LOCAL_PIECE  240

/* the voice, rate and format of req (out: its adapter's), the job's work;
 * NGX_DECLINED with err: espeak-ng is not loaded (503), no such voice */
ngx_int_t ngx_http_waav_local_speech_init(ngx_http_waav_local_speech_t *sp,
    waav_tts_req_t *req, waav_tts_out_t *out, waav_err_t *err);

/* the next piece into sp->piece (first: as short as a sentence is) */
void ngx_http_waav_local_speech_cut(ngx_http_waav_local_speech_t *sp,
    ngx_uint_t first, ngx_log_t *log);

/* a streamed wav's 44 bytes: RIFF's and data's sizes 0xffffffff */
void ngx_http_waav_local_wav_header(u_char *p, ngx_uint_t rate);

/* espeak-ng is loaded in this worker */
ngx_flag_t ngx_http_waav_local_tts_ready(void);

/* text to speech with espeak-ng (ngx_http_waav_local_tts.c); the request's
 * quota is charged: what is not spoken is refunded */
void ngx_http_waav_local_tts(ngx_http_request_t *r, waav_tts_req_t *req,
    waav_tts_out_t *out);

/* speech to text with pocketsphinx (ngx_http_waav_local_stt.c); ctx is
 * an ngx_http_waav_stt_ctx_t whose seconds are charged */
void ngx_http_waav_local_stt(ngx_http_request_t *r, void *ctx);


#endif /* NGX_HTTP_WAAV_LOCAL_H */
