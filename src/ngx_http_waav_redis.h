/*
 * waav: Redis connections for fleet-wide limits (ngx_http_waav_redis.c).
 */

#ifndef NGX_HTTP_WAAV_REDIS_H
#define NGX_HTTP_WAAV_REDIS_H

#include <ngx_config.h>
#include <ngx_core.h>

#define NGX_HTTP_WAAV_REDIS_MAX_ARGS  10


typedef struct redisAsyncContext  ngx_http_waav_redis_ctx_t;

typedef struct {
    ngx_str_t                    url;
    ngx_str_t                    host;          /* an IP address */
    in_port_t                    port;
    ngx_str_t                    password;
    ngx_int_t                    db;
    ngx_msec_t                   timeout;
    ngx_flag_t                   fail_open;

    /* per worker, after fork */
    ngx_http_waav_redis_ctx_t   *ac;
    unsigned                     connected:1;   /* TCP is up */
    unsigned                     ready:1;       /* ... and AUTH/SELECT ok */
    unsigned                     writing:1;
    unsigned                     failing:1;     /* said it was away */
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

/* one malloc()ed block: it may outlive the request that sent it */
struct ngx_http_waav_redis_call_s {
    ngx_http_waav_redis_handler_pt   handler;    /* NULL: drop the reply */
    void                            *data;
    ngx_http_waav_redis_t           *redis;
    unsigned                         retried:1;
    unsigned                         retry_always:1; /* NOSCRIPT even if
                                                        dropped (releases) */

    int                              argc;       /* EVAL script 1 key ... */
    char                            *argv[NGX_HTTP_WAAV_REDIS_MAX_ARGS];
    size_t                           argvlen[NGX_HTTP_WAAV_REDIS_MAX_ARGS];

    int                              sha_argc;   /* EVALSHA sha 1 key ... */
    char                            *sha_argv[NGX_HTTP_WAAV_REDIS_MAX_ARGS];
    size_t                           sha_argvlen[NGX_HTTP_WAAV_REDIS_MAX_ARGS];
};


char *ngx_http_waav_redis_parse(ngx_conf_t *cf, ngx_str_t *url,
    ngx_http_waav_redis_t *rd);
ngx_int_t ngx_http_waav_redis_eval(ngx_http_waav_redis_t *rd,
    ngx_http_waav_redis_call_t *call);
ngx_int_t ngx_http_waav_redis_init_process(ngx_http_waav_redis_t *rd);
void ngx_http_waav_redis_failure(ngx_http_waav_redis_t *rd, const char *what,
    const char *detail);
void ngx_http_waav_redis_timeout(ngx_http_waav_redis_t *rd);
void ngx_http_waav_redis_exit_process(ngx_http_waav_redis_t *rd);

#endif /* NGX_HTTP_WAAV_REDIS_H */
