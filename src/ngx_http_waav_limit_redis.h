/*
 * waav: limit checks decided in Redis, batched per zone and worker
 * (ngx_http_waav_limit_redis.c).
 */

#ifndef NGX_HTTP_WAAV_LIMIT_REDIS_H
#define NGX_HTTP_WAAV_LIMIT_REDIS_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_waav_redis.h"
#include "waav_limit_batch.h"


/*
 * A slot in Redis is held for this long (redis_lease=, the default here)
 * unless its request renews it: a request renews its slots every third of
 * the lease while it lives, so only a slot whose node died (or lost Redis
 * for longer than the lease) goes by itself.
 */
#define NGX_HTTP_WAAV_LIMIT_LEASE  3600000      /* ms */


typedef struct ngx_http_waav_limit_op_s  ngx_http_waav_limit_op_t;

/* a check's answer; res is NULL when there is none (Redis away, late) */
typedef void (*ngx_http_waav_limit_answer_pt)(void *data,
    waav_limit_result_t *res);


/* a zone's Redis side; all but the configuration is per worker */
typedef struct {
    ngx_str_t                      name;        /* the zone's, in keys */
    ngx_http_waav_redis_t         *conn;        /* its connection */
    ngx_msec_t                     lease;       /* a slot's, redis_lease= */

    ngx_queue_t                    queue;       /* checks to send */
    ngx_uint_t                     queued;
    ngx_uint_t                     unwaited;    /* ... nobody waits for */
    ngx_uint_t                     inflight;    /* script calls out */
    ngx_msec_t                     last_sent;
    ngx_event_t                    flush;       /* the end of this turn */
    ngx_event_t                    hold;        /* a call out waited for */
    ngx_queue_t                    doubtful;    /* releases for later */
    ngx_uint_t                     ndoubtful;
    unsigned                       started:1;
} ngx_http_waav_limit_redis_t;


/* redis=URL of zone: its Redis side, its connection added to targets */
char *ngx_http_waav_limit_redis_create(ngx_conf_t *cf, ngx_str_t *zone,
    ngx_str_t *url, ngx_array_t **targets, ngx_http_waav_limit_redis_t **lrp);

/* a unique slot for an acquire, in the fleet */
uint64_t ngx_http_waav_limit_redis_member(void);

/*
 * Queues a check (its key is without the "waav:<zone>:" prefix) for the
 * zone's next script call; answer(data, res) is called later, never from
 * inside this call, at most redis_timeout later.  NULL: Redis is not
 * there and no connect is under way (nothing was queued).  A quota
 * charged, or a slot taken, after the answer came too late is given
 * back, unless keep_late (a charge due whatever the quota says).
 */
ngx_http_waav_limit_op_t *ngx_http_waav_limit_redis_check(
    ngx_http_waav_limit_redis_t *lr, ngx_str_t *key,
    waav_limit_check_t *check, ngx_uint_t keep_late,
    ngx_http_waav_limit_answer_pt answer, void *data);

/* the waiter is gone: answer is not called */
void ngx_http_waav_limit_redis_cancel(ngx_http_waav_limit_op_t *op);

/* nobody waits for these: they go with the next call */
void ngx_http_waav_limit_redis_release(ngx_http_waav_limit_redis_t *lr,
    ngx_str_t *key, uint64_t member);
void ngx_http_waav_limit_redis_refund(ngx_http_waav_limit_redis_t *lr,
    ngx_str_t *key, uint64_t window, uint64_t window_ms, uint64_t units);
void ngx_http_waav_limit_redis_renew(ngx_http_waav_limit_redis_t *lr,
    ngx_str_t *key, uint64_t member);


#endif /* NGX_HTTP_WAAV_LIMIT_REDIS_H */
