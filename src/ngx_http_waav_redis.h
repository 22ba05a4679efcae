/*
 * waav: Redis connections for fleet-wide limits (ngx_http_waav_redis.c).
 */

#ifndef NGX_HTTP_WAAV_REDIS_H
#define NGX_HTTP_WAAV_REDIS_H

#include <ngx_config.h>
#include <ngx_core.h>


typedef struct redisAsyncContext  ngx_http_waav_redis_ctx_t;

/* the connection became usable, or a connect failed or it was lost */
typedef void (*ngx_http_waav_redis_notify_pt)(void *data);

typedef struct {
    ngx_str_t                    url;
    ngx_str_t                    host;          /* an IP address */
    in_port_t                    port;
    ngx_str_t                    password;
    ngx_int_t                    db;
    ngx_msec_t                   timeout;
    ngx_flag_t                   fail_open;

    ngx_http_waav_redis_notify_pt  notify;
    void                        *data;          /* notify's */

    /* per worker, after fork */
    ngx_http_waav_redis_ctx_t   *ac;
    unsigned                     connecting:1;  /* ... until ready */
    unsigned                     connected:1;   /* TCP is up */
    unsigned                     ready:1;       /* ... and AUTH/SELECT ok */
    unsigned                     writing:1;
    unsigned                     failing:1;     /* said it was away */
    unsigned                     closed:1;      /* the worker exits */
    ngx_uint_t                   pending;       /* calls in flight */
    ngx_uint_t                   timeouts;      /* in a row */
    ngx_event_t                  reconnect;
    ngx_event_t                  connect_timer;
    ngx_msec_t                   backoff;
    time_t                       last_log;
} ngx_http_waav_redis_t;


typedef struct ngx_http_waav_redis_call_s  ngx_http_waav_redis_call_t;

/* reply is a redisReply *, NULL when the connection went away */
typedef void (*ngx_http_waav_redis_handler_pt)(ngx_http_waav_redis_call_t *call,
    void *reply);

/*
 * malloc()ed by its owner with its arguments (it may outlive the request
 * that sent it): argv[2..] are the script's, argv[0..1] are set on sending
 * (EVALSHA sha, or EVAL script after NOSCRIPT).
 */
struct ngx_http_waav_redis_call_s {
    ngx_http_waav_redis_handler_pt   handler;    /* NULL: drop the reply */
    void                            *data;
    ngx_http_waav_redis_t           *redis;
    unsigned                         retried:1;

    ngx_str_t                        script;
    ngx_str_t                        sha;
    int                              argc;
    char                           **argv;
    size_t                          *argvlen;
};


char *ngx_http_waav_redis_parse(ngx_conf_t *cf, ngx_str_t *url,
    ngx_http_waav_redis_t *rd);
ngx_uint_t ngx_http_waav_redis_usable(ngx_http_waav_redis_t *rd);
ngx_uint_t ngx_http_waav_redis_connecting(ngx_http_waav_redis_t *rd);
ngx_int_t ngx_http_waav_redis_eval(ngx_http_waav_redis_t *rd,
    ngx_http_waav_redis_call_t *call);
ngx_int_t ngx_http_waav_redis_init_process(ngx_http_waav_redis_t *rd);
void ngx_http_waav_redis_failure(ngx_http_waav_redis_t *rd, const char *what,
    const char *detail);
void ngx_http_waav_redis_timeout(ngx_http_waav_redis_t *rd);
void ngx_http_waav_redis_exit_process(ngx_http_waav_redis_t *rd);

#endif /* NGX_HTTP_WAAV_REDIS_H */
