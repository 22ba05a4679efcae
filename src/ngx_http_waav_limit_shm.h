/*
 * waav: the counters of a limit zone in shared memory, as
 * ngx_http_limit_req_module keeps them (ngx_http_waav_limit_shm.c).
 */

#ifndef NGX_HTTP_WAAV_LIMIT_SHM_H
#define NGX_HTTP_WAAV_LIMIT_SHM_H

#include <ngx_config.h>
#include <ngx_core.h>

#include "waav_limit.h"


/*
 * What a waav_limit line limits.  The numbers name the counters in Redis
 * too (ngx_http_waav_limit.c: id), so they never change.
 */
#define NGX_HTTP_WAAV_LIMIT_RATE          1
#define NGX_HTTP_WAAV_LIMIT_TTS_CHARS     2
#define NGX_HTTP_WAAV_LIMIT_CONCURRENCY   3
#define NGX_HTTP_WAAV_LIMIT_STT_SECONDS   4     /* refused as a quota (2) */

#define ngx_http_waav_limit_is_quota(kind)                                    \
    ((kind) == NGX_HTTP_WAAV_LIMIT_TTS_CHARS                                  \
     || (kind) == NGX_HTTP_WAAV_LIMIT_STT_SECONDS)


/* a waav_limit line's numbers */
typedef struct {
    ngx_uint_t                     kind;
    ngx_uint_t                     id;          /* kind and window */
    uint64_t                       interval_us; /* rate: 1 s / rate */
    uint64_t                       limit;       /* burst, quota or slots */
    uint64_t                       window_ms;   /* quota: minute or day */
} ngx_http_waav_limit_rule_t;


typedef struct {
    ngx_rbtree_t                   rbtree;
    ngx_rbtree_node_t              sentinel;
    ngx_queue_t                    queue;       /* LRU, most recent first */
} ngx_http_waav_limit_shctx_t;


/* a zone's counters */
typedef struct {
    ngx_http_waav_limit_shctx_t   *sh;
    ngx_slab_pool_t               *shpool;
    ngx_str_t                     *name;        /* the zone's, for logs */
} ngx_http_waav_limit_shm_t;


/* "rate", "tts_chars", "concurrency", "stt_seconds": for logs */
const char *ngx_http_waav_limit_kind_name(ngx_uint_t kind);

ngx_int_t ngx_http_waav_limit_shm_init(ngx_http_waav_limit_shm_t *shm,
    ngx_shm_zone_t *shm_zone, ngx_http_waav_limit_shm_t *old);

ngx_int_t ngx_http_waav_limit_shm_check(ngx_http_waav_limit_shm_t *shm,
    ngx_http_waav_limit_rule_t *rule, ngx_str_t *key, uint64_t cost,
    ngx_pool_t *pool, ngx_log_t *log, waav_limit_result_t *res);

void ngx_http_waav_limit_shm_refund(ngx_http_waav_limit_shm_t *shm,
    ngx_http_waav_limit_rule_t *rule, ngx_str_t *key, uint64_t window,
    uint64_t units, ngx_log_t *log);


#endif /* NGX_HTTP_WAAV_LIMIT_SHM_H */
