/*
 * waav: waav_ws, WaaV's real-time voice WebSocket (/ws).
 *
 * One main request lives for the whole session.  Its concerns:
 *   ngx_http_waav_ws_upgrade.c  the opening handshake, 101;
 *   ngx_http_waav_ws.c          the connection's events,
 *                               framing (src/core/waav_ws_conn.c), the
 *                               idle timer, the end of the session;
 *   ngx_http_waav_ws_auth.c     the auth message (API secrets, JWTs, the
 *                               auth service), the tenant's limits;
 *   ngx_http_waav_ws_session.c  the client's messages: auth, config,
 *                               speak, clear, ping, ...;
 *   ngx_http_waav_ws_tts.c      speak: one provider call at a time through
 *                               the provider's internal location, its
 *                               audio cut into frames as it arrives;
 *   ngx_http_waav_ws_stt.c      audio from the client, transcribed by a
 *                               REST provider when flushed;
 *   ngx_http_waav_ws_stream.c   audio from the client, streamed to a
 *                               provider's real-time WebSocket
 *                               (ngx_http_waav_wsc.c), its results as
 *                               they come.
 */

#ifndef NGX_HTTP_WAAV_WS_H
#define NGX_HTTP_WAAV_WS_H

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_xform.h"
#include "ngx_http_waav_wsc.h"
#include "waav_stt_stream.h"
#include "waav_stt_turn.h"
#include "waav_ws_conn.h"
#include "waav_ws_msg.h"


/* outbound bytes queued above which a speak's audio waits */
#define NGX_HTTP_WAAV_WS_HIGH_WATER  (512 * 1024)

/* a speak's subrequest with audio waiting for the client (r->buffered:
 * a bit no filter on a provider's answer uses; nginx waits for it) */
#define NGX_HTTP_WAAV_WS_BUFFERED    0x08

/* buffered audio transcribed at this size without a flush (WaaV's) */
#define NGX_HTTP_WAAV_WS_STT_MAX     (20 * 1024 * 1024)

/* seconds of audio a streaming provider may leave unread */
#define NGX_HTTP_WAAV_WS_STREAM_HOLD  5

/* provider handshakes a session may have in flight: a config beyond
 * that is refused (abandoned ones hold their connection until the
 * provider answers) */
#define NGX_HTTP_WAAV_WS_STREAM_PENDING  2

/* stt_seconds charged ahead, at a time, while audio streams */
#define NGX_HTTP_WAAV_WS_STREAM_CHARGE  10


typedef struct ngx_http_waav_ws_speak_s  ngx_http_waav_ws_speak_t;

/* a queued or running speak (malloc()ed: a session outlives many) */
struct ngx_http_waav_ws_speak_s {
    ngx_queue_t                 queue;
    size_t                      len;
    unsigned                    allow_interruption:1;
    u_char                      text[1];
};


/* a speak by the local provider's espeak-ng (ngx_http_waav_ws_tts_local.c;
 * malloc()ed: a task in the pool may outlive the speak) */
typedef struct ngx_http_waav_ws_tts_local_s  ngx_http_waav_ws_tts_local_t;


/* the speak being synthesized */
typedef struct {
    ngx_http_waav_ws_speak_t   *speak;
    ngx_http_waav_ws_tts_local_t  *local;       /* no provider call: this */
    ngx_pool_t                 *pool;           /* its provider request */
    ngx_http_request_t         *parent;         /* its stand-in */
    ngx_http_request_t         *sr;
    waav_tts_req_t              req;
    waav_tts_out_t              preq;
    ngx_http_waav_xform_t       xform;

    ngx_int_t                   rc;
    ngx_uint_t                  status;
    ngx_str_t                   retry_after;
    ngx_str_t                   not_audio;
    u_char                     *err;
    size_t                      err_len;
    size_t                      frame;          /* bytes of 10 ms; 0: as is */
    size_t                      part_len;       /* of a frame, kept */
    u_char                     *part;
    uint64_t                    bytes;          /* audio sent */
    ngx_chain_t                *raw;            /* the answer, not read */
    ngx_chain_t                *pending;        /* audio the client's
                                                 * queue has no room for */
    ngx_chain_t                *xout;           /* the transform's, out */

    ngx_msec_t                  start;          /* the speak began */
    ngx_http_waav_obs_t         obs;            /* its call, for metrics */

    unsigned                    header:1;
    unsigned                    ok:1;
    unsigned                    complete:1;
    unsigned                    done:1;
    unsigned                    cancelled:1;
    unsigned                    cred_wait:1;
} ngx_http_waav_ws_job_t;


/* the transcription in flight (one at a time) */
typedef struct {
    ngx_pool_t                 *pool;
    ngx_http_request_t         *parent;         /* its stand-in */
    ngx_http_request_t         *sr;
    ngx_http_waav_provider_t   *provider;
    u_char                     *audio;          /* what it carries */
    size_t                      len;
    uint64_t                    seconds;        /* charged */
    ngx_int_t                   rc;
    unsigned                    done:1;
    unsigned                    cancelled:1;    /* a new config came */
} ngx_http_waav_ws_stt_job_t;


typedef struct ngx_http_waav_ws_s  ngx_http_waav_ws_t;

/* STT by the local provider's pocketsphinx (ngx_http_waav_ws_local.c) */
typedef struct ngx_http_waav_ws_local_s  ngx_http_waav_ws_local_t;


/* a streaming transcription: the provider's WebSocket (malloc()ed) */
typedef struct {
    ngx_http_waav_ws_t         *ws;
    ngx_http_waav_wsc_t        *wsc;
    ngx_http_waav_provider_t   *provider;
    const waav_stt_stream_t    *ad;
    waav_stt_turn_t             turn;

    ngx_event_t                 ready_timer;    /* the provider is slow */
    ngx_event_t                 keepalive;      /* the caller is silent */
    ngx_event_t                 turn_timer;     /* a synthetic speech final */

    char                       *ready;          /* WaaV's ready message, */
    size_t                      ready_len;      /* sent once it is up */
    uint64_t                    rate;           /* audio bytes a second */
    uint64_t                    sent;           /* audio bytes forwarded */
    uint64_t                    msg_len;        /* of the client's message */
    uint64_t                    charged;        /* seconds */
    ngx_msec_t                  last_audio;

    /* audio held to make a message as long as the provider wants
     * (min_chunk_ms; malloc()ed, twice that) */
    u_char                     *pend;
    size_t                      pend_len;
    size_t                      pend_min;

    /* a wrapped message's memory (ElevenLabs' base64 JSON), kept */
    u_char                     *scratch;
    size_t                      scratch_size;
    unsigned                    scratch_used:1;

    unsigned                    up:1;           /* ready was sent */
    unsigned                    dag:1;          /* say DAG is off first */
    unsigned                    charging:1;     /* Redis decides */
} ngx_http_waav_ws_stream_t;


struct ngx_http_waav_ws_s {
    ngx_http_request_t         *request;
    waav_ws_conn_t             *conn;

    /* the session's configuration (its own pool, replaced by a config) */
    ngx_pool_t                 *config_pool;
    ngx_str_t                   stream_id;
    waav_tts_req_t              tts;
    ngx_http_waav_provider_t   *tts_provider;
    waav_ws_stt_config_t        stt;
    ngx_http_waav_provider_t   *stt_provider;

    /* the quotas' charges: a speak's characters, a flush's seconds */
    ngx_http_waav_quota_t      *tts_quota;
    ngx_http_waav_quota_t      *stt_quota;

    /* TTS: queued speaks, the running one */
    ngx_queue_t                 speaks;
    ngx_http_waav_ws_job_t     *job;
    ngx_msec_t                  uninterruptible_until;

    /* STT: audio received (malloc()ed), the transcription in flight */
    u_char                     *audio;
    size_t                      audio_len;
    size_t                      audio_size;
    size_t                      audio_mark;     /* the binary message's */
    size_t                      audio_hint;     /* the last flush's size */
    ngx_http_waav_ws_stt_job_t *stt_job;
    unsigned                    stt_flush:1;    /* flush when possible */
    unsigned                    audio_drop:1;   /* a message over 5 MiB */

    /* the access log's: frames and bytes each way */
    ngx_uint_t                  frames_in;
    ngx_uint_t                  frames_out;
    uint64_t                    bytes_in;
    uint64_t                    bytes_out;
    ngx_msec_t                  start;

    unsigned                    configured:1;   /* ready was sent */
    unsigned                    audio_on:1;
    unsigned                    closing:1;      /* a close is queued */
    unsigned                    finished:1;     /* the request ended */
    unsigned                    backpressure:1; /* a speak's audio waits */
    unsigned                    read_paused:1;  /* the client's queue is full */
    unsigned                    stream_dead:1;  /* its failure was said */

    /* STT streamed: the provider's connection, and every WebSocket client
     * of the session (those abandoned mid-handshake included: freed with
     * the request at the latest) */
    ngx_http_waav_ws_stream_t  *stream;
    ngx_queue_t                 clients;

    /* STT by the local provider, in the thread pool */
    ngx_http_waav_ws_local_t   *local;

    /* an auth message being decided (the auth service's answer, Redis'
     * for the tenant's limits): its call, and the messages that come
     * meanwhile, held in order (ngx_http_waav_ws_speak_t, malloc()ed) */
    ngx_pool_t                 *auth_pool;
    ngx_http_request_t         *auth_parent;
    ngx_queue_t                 held;
    size_t                      held_len;
    unsigned                    auth_wait:1;
};


char *ngx_http_waav_ws(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_waav_ws_add_variables(ngx_conf_t *cf);

/* ngx_http_waav_ws.c: the session's state, created before 101 is sent,
 * and its start once it is (NGX_DONE: the session runs) */
ngx_http_waav_ws_t *ngx_http_waav_ws_create(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_ws_start(ngx_http_waav_ws_t *ws);

/* a stand-in parent for a provider call, in the call's pool; the
 * session's cleanups freed of the finished ones, before that pool goes */
ngx_http_request_t *ngx_http_waav_ws_parent(ngx_http_waav_ws_t *ws,
    ngx_pool_t *pool, ngx_uint_t active);
void ngx_http_waav_ws_release(ngx_http_waav_ws_t *ws,
    ngx_http_request_t *parent);

/* the session of the request r belongs to (r or a subrequest), or NULL */
ngx_http_waav_ws_t *ngx_http_waav_ws_get(ngx_http_request_t *r);

/* queue a message to the client; NGX_ERROR: out of memory (the session
 * ends) */
ngx_int_t ngx_http_waav_ws_send_text(ngx_http_waav_ws_t *ws, const char *p,
    size_t len);
ngx_int_t ngx_http_waav_ws_send_binary(ngx_http_waav_ws_t *ws,
    const u_char *p, size_t len);
ngx_int_t ngx_http_waav_ws_send_error(ngx_http_waav_ws_t *ws,
    const char *message);
/* an error message, then close with code */
void ngx_http_waav_ws_fail(ngx_http_waav_ws_t *ws, const char *message,
    unsigned code);
/* queue a close (code 0: none): the session ends once it is sent */
void ngx_http_waav_ws_close(ngx_http_waav_ws_t *ws, unsigned code);
/* what is queued is sent from the connection's write event, posted (the
 * session may end there, never under a caller's feet) */
void ngx_http_waav_ws_flush(ngx_http_waav_ws_t *ws);

/* ngx_http_waav_ws_session.c: a text message from the client */
void ngx_http_waav_ws_message(ngx_http_waav_ws_t *ws, const char *p,
    size_t len);
/* the speaks queued and not begun, freed */
void ngx_http_waav_ws_drop_speaks(ngx_http_waav_ws_t *ws);
/* the session's work ends (close, reconfig): speaks dropped */
void ngx_http_waav_ws_session_stop(ngx_http_waav_ws_t *ws);

/* ngx_http_waav_ws_auth.c: the auth message; while it is decided the
 * client's messages are held (NGX_OK: held, NGX_DECLINED: none waits) */
void ngx_http_waav_ws_auth(ngx_http_waav_ws_t *ws, waav_ws_msg_t *msg);
ngx_int_t ngx_http_waav_ws_auth_hold(ngx_http_waav_ws_t *ws, const char *p,
    size_t len);
void ngx_http_waav_ws_auth_wake(ngx_http_waav_ws_t *ws);
void ngx_http_waav_ws_auth_free(ngx_http_waav_ws_t *ws);

/* ngx_http_waav_ws_tts.c */
void ngx_http_waav_ws_tts_next(ngx_http_waav_ws_t *ws);
void ngx_http_waav_ws_tts_clear(ngx_http_waav_ws_t *ws, ngx_uint_t force);
void ngx_http_waav_ws_tts_wake(ngx_http_waav_ws_t *ws);
void ngx_http_waav_ws_tts_resume_output(ngx_http_waav_ws_t *ws);
ngx_int_t ngx_http_waav_ws_tts_cache_key(ngx_http_request_t *r,
    ngx_http_variable_value_t *v);
ngx_int_t ngx_http_waav_ws_tts_header_filter(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_ws_tts_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
/* a speak's audio into frames for the client (NGX_AGAIN: its queue is
 * full, the rest of b waits); a speak's failure (what was charged back,
 * the error, the next speak) */
ngx_int_t ngx_http_waav_ws_tts_audio(ngx_http_waav_ws_t *ws,
    ngx_http_waav_ws_job_t *job, ngx_buf_t *b);
void ngx_http_waav_ws_tts_fail(ngx_http_waav_ws_t *ws, const char *error);

/* ngx_http_waav_ws_tts_local.c: a speak by the local provider */
void ngx_http_waav_ws_tts_local_start(ngx_http_waav_ws_t *ws,
    ngx_http_waav_ws_job_t *job);
void ngx_http_waav_ws_tts_local_resume(ngx_http_waav_ws_t *ws);
void ngx_http_waav_ws_tts_local_stop(ngx_http_waav_ws_job_t *job);

/* ngx_http_waav_ws_stt.c */
ngx_flag_t ngx_http_waav_ws_stt_encoding_ok(waav_str_t enc);
ngx_int_t ngx_http_waav_ws_stt_audio(ngx_http_waav_ws_t *ws,
    const u_char *p, size_t len, ngx_uint_t first);
void ngx_http_waav_ws_stt_audio_end(ngx_http_waav_ws_t *ws, uint64_t len);
void ngx_http_waav_ws_stt_flush(ngx_http_waav_ws_t *ws);
void ngx_http_waav_ws_stt_wake(ngx_http_waav_ws_t *ws);
void ngx_http_waav_ws_stt_free(ngx_http_waav_ws_t *ws);

/* ngx_http_waav_ws_stream.c: NGX_OK: connecting (ready is sent once the
 * provider is up); NGX_DECLINED: an error was sent */
ngx_int_t ngx_http_waav_ws_stream_start(ngx_http_waav_ws_t *ws,
    ngx_http_waav_provider_t *p, waav_http_req_t *preq, char *ready,
    size_t ready_len, ngx_uint_t dag);
ngx_int_t ngx_http_waav_ws_stream_audio(ngx_http_waav_ws_t *ws,
    const u_char *p, size_t len, ngx_uint_t first);
void ngx_http_waav_ws_stream_audio_end(ngx_http_waav_ws_t *ws, uint64_t len);
void ngx_http_waav_ws_stream_flush(ngx_http_waav_ws_t *ws);
/* the stream ends (a new config, the session's end): its goodbye sent,
 * the quota trued up */
void ngx_http_waav_ws_stream_stop(ngx_http_waav_ws_t *ws);
ngx_uint_t ngx_http_waav_ws_stream_pending(ngx_http_waav_ws_t *ws);
/* the session's request goes: every client freed */
void ngx_http_waav_ws_stream_cleanup(ngx_http_waav_ws_t *ws);
/* a result through WaaV's turn logic to the client (timer: the turn's,
 * re-armed); the turn's timer fired (ev) */
ngx_int_t ngx_http_waav_ws_turn_result(ngx_http_waav_ws_t *ws,
    waav_stt_turn_t *turn, ngx_event_t *timer, waav_stt_event_t *ev,
    waav_alloc_t *a);
void ngx_http_waav_ws_turn_fire(ngx_http_waav_ws_t *ws,
    waav_stt_turn_t *turn, ngx_event_t *ev);
/* a recognition's end: stt_seconds charged ahead
 * (NGX_HTTP_WAAV_WS_STREAM_CHARGE at a time) and not used go back, the
 * seconds used are counted for provider (waav_stt_audio_seconds_total) */
void ngx_http_waav_ws_refund_ahead(ngx_http_waav_ws_t *ws,
    ngx_str_t *provider, uint64_t charged, uint64_t used,
    ngx_uint_t charging);

/* ngx_http_waav_ws_local.c: local's pocketsphinx in the thread pool;
 * start: NGX_OK (ready is sent once the engine is loaded, or an error
 * said the config failed), NGX_ERROR (out of memory) */
ngx_int_t ngx_http_waav_ws_local_config(ngx_http_waav_ws_t *ws,
    waav_ws_stt_config_t *cfg, ngx_http_waav_provider_t *p, waav_alloc_t *a);
ngx_int_t ngx_http_waav_ws_local_start(ngx_http_waav_ws_t *ws, char *ready,
    size_t ready_len, ngx_uint_t dag);
ngx_int_t ngx_http_waav_ws_local_audio(ngx_http_waav_ws_t *ws,
    const u_char *p, size_t len, ngx_uint_t first);
void ngx_http_waav_ws_local_audio_end(ngx_http_waav_ws_t *ws, uint64_t len);
void ngx_http_waav_ws_local_flush(ngx_http_waav_ws_t *ws);
/* the session's recognition ends (a new config, the session's end): a
 * task running finds it gone and frees it */
void ngx_http_waav_ws_local_stop(ngx_http_waav_ws_t *ws);


#endif /* NGX_HTTP_WAAV_WS_H */
