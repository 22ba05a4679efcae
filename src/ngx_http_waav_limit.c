/*
 * waav: waav_limit, request rate, cost quotas and concurrency per key.
 *
 *   waav_limit_zone tenants:10m key=$waav_tenant;
 *   location /speak {
 *       waav_auth on;
 *       waav_limit zone=tenants rate=2r/s burst=5;
 *       waav_limit zone=tenants tts_chars=100000/d;   (stt_seconds= alike)
 *       waav_limit zone=tenants concurrency=4;
 *       waav_tts;
 *   }
 *
 * This file: $waav_limit_status, the pre-content phase handler and the
 * walk through a location's limits, and the 429.  The quota charges of
 * waav_tts, waav_stt and waav_ws are in ngx_http_waav_limit_quota.c, the
 * directives in ngx_http_waav_limit_conf.c; a zone's counters are in
 * shared memory (ngx_http_waav_limit_shm.c, as ngx_http_limit_req_module
 * keeps them) or, with redis=, in Redis (ngx_http_waav_limit_redis.c).
 *
 * Rate and concurrency are checked in the pre-content phase, after
 * waav_auth (so $waav_tenant is known); a quota is charged by waav_tts or
 * waav_stt once the cost is known, before the provider is called.  A walk
 * that waits for Redis goes on when the answer comes.  Concurrency slots
 * are released by a pool cleanup, so a request frees its slot however it
 * ends.
 */

#include <openssl/sha.h>

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_limit_conf.h"
#include "ngx_http_waav_limit_walk.h"
#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"


/* a true-up is charged whatever the quota says */
#define NGX_HTTP_WAAV_LIMIT_NO_LIMIT  ((uint64_t) 1 << 50)


/* a slot held in Redis, renewed while the request lives, released when
 * the request's pool goes */
typedef struct {
    ngx_http_waav_limit_redis_t   *redis;
    ngx_str_t                      key;
    uint64_t                       member;
    ngx_event_t                    renew;       /* every third of a lease */
} ngx_http_waav_limit_redis_slot_t;


ngx_conf_enum_t  ngx_http_waav_limit_log_levels[] = {
    { ngx_string("info"), NGX_LOG_INFO },
    { ngx_string("notice"), NGX_LOG_NOTICE },
    { ngx_string("warn"), NGX_LOG_WARN },
    { ngx_string("error"), NGX_LOG_ERR },
    { ngx_null_string, 0 }
};


/* $waav_limit_status and the 429's code, by kind (0: passed) */
static ngx_str_t  ngx_http_waav_limit_codes[] = {
    ngx_string("PASSED"),
    ngx_string("RATE_LIMITED"),
    ngx_string("QUOTA_EXCEEDED"),
    ngx_string("TOO_MANY_CONCURRENT"),
};


/* --- keys --------------------------------------------------------------- */

/* "id + key" for a line; NGX_DECLINED: an empty key, not limited */
ngx_int_t
ngx_http_waav_limit_key(ngx_http_request_t *r, ngx_http_waav_limit_t *l,
    ngx_str_t *key)
{
    ngx_uint_t                   hashed;
    ngx_str_t                    value;
    ngx_http_waav_limit_zone_t  *zone;

    zone = l->shm_zone->data;

    if (ngx_http_complex_value(r, &zone->key, &value) != NGX_OK) {
        return NGX_ERROR;
    }

    if (value.len == 0) {
        return NGX_DECLINED;
    }

    /* a long key is limited by its SHA-1, never let through */
    hashed = value.len > 255;

    key->len = 2 + (hashed ? 1 + SHA_DIGEST_LENGTH : value.len);
    key->data = ngx_pnalloc(r->pool, key->len);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    key->data[0] = (u_char) (l->rule.id >> 8);
    key->data[1] = (u_char) l->rule.id;

    if (hashed) {
        key->data[2] = '#';
        SHA1(value.data, value.len, key->data + 3);

    } else {
        ngx_memcpy(key->data + 2, value.data, value.len);
    }

    return NGX_OK;
}


/* --- the walk ----------------------------------------------------------- */

static ngx_int_t ngx_http_waav_limit_skip(ngx_http_request_t *r,
    ngx_http_waav_limit_walk_t *w, ngx_uint_t n);


/* a quota charged (not a true-up): remembered, with the key it was
 * charged to, for a refund */
static ngx_int_t
ngx_http_waav_limit_charged(ngx_http_request_t *r,
    ngx_http_waav_limit_walk_t *w, waav_limit_result_t *res,
    ngx_uint_t in_redis)
{
    ngx_http_waav_loc_conf_t  *wlcf;

    if (w->quota == 0 || w->true_up) {
        return NGX_OK;
    }

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (w->charged == NULL) {
        w->charged = ngx_pcalloc(r->pool, wlcf->limits->nelts
                                    * sizeof(ngx_http_waav_limit_charged_t));
        if (w->charged == NULL) {
            return NGX_ERROR;
        }
    }

    w->charged[w->next].key = w->key;
    w->charged[w->next].window = res->window;
    w->charged[w->next].in_redis = in_redis;
    w->charged[w->next].charged = 1;

    return NGX_OK;
}


/* Redis answered the walk's check (res NULL: it did not): it goes on */
static void
ngx_http_waav_limit_answered(void *data, waav_limit_result_t *res)
{
    ngx_http_waav_limit_walk_t  *w = data;

    ngx_connection_t            *c;
    ngx_http_request_t          *r;

    r = w->r;
    c = r->connection;

    w->op = NULL;
    w->answered = 1;
    w->outcome = NGX_ERROR;

    if (res) {
        w->res = *res;
        w->outcome = res->allowed ? NGX_OK : NGX_DECLINED;

        /* a quota Redis charged: known to a refund even if the request
         * stops before its walk goes on (the client left meanwhile) */
        if (res->allowed) {
            (void) ngx_http_waav_limit_charged(r, w, res, 1);
        }
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "waav limit: line %ui answered by redis: %s", w->next,
                   w->outcome == NGX_OK ? "allowed"
                   : (w->outcome == NGX_DECLINED ? "refused" : "no answer"));

    w->resume(r);
    ngx_http_run_posted_requests(c);
}


/* asks Redis about a line: NGX_OK (the answer comes later) or NGX_ERROR */
static ngx_int_t
ngx_http_waav_limit_ask(ngx_http_waav_limit_walk_t *w,
    ngx_http_waav_limit_zone_t *zone, ngx_http_waav_limit_rule_t *rule,
    ngx_str_t *key)
{
    waav_limit_check_t  check;

    ngx_memzero(&check, sizeof(waav_limit_check_t));

    switch (rule->kind) {

    case NGX_HTTP_WAAV_LIMIT_RATE:
        check.kind = WAAV_LIMIT_CHECK_RATE;
        check.interval_us = rule->interval_us;
        check.burst = rule->limit;
        break;

    case NGX_HTTP_WAAV_LIMIT_TTS_CHARS:
    case NGX_HTTP_WAAV_LIMIT_STT_SECONDS:
        check.kind = WAAV_LIMIT_CHECK_QUOTA;
        check.limit = rule->limit;
        check.window_ms = rule->window_ms;
        check.units = w->cost;
        break;

    default:
        w->member = ngx_http_waav_limit_redis_member();
        check.kind = WAAV_LIMIT_CHECK_ACQUIRE;
        check.limit = rule->limit;
        check.lease_ms = zone->redis->lease;
        check.member = w->member;
    }

    w->op = ngx_http_waav_limit_redis_check(zone->redis, key, &check,
                                            w->true_up,
                                            ngx_http_waav_limit_answered, w);

    return w->op ? NGX_OK : NGX_ERROR;
}


/* a slot held in Redis goes back with the request */
static void
ngx_http_waav_limit_redis_slot_release(void *data)
{
    ngx_http_waav_limit_redis_slot_t  *slot = data;

    if (slot->renew.timer_set) {
        ngx_del_timer(&slot->renew);
    }

    ngx_http_waav_limit_redis_release(slot->redis, &slot->key,
                                      slot->member);
}


/*
 * A request that outlives a third of its slot's lease (a WebSocket
 * session, a slow upload) renews the slot, so that it keeps counting for
 * as long as the request lives.  Nobody waits for the answer; a renewal
 * lost with Redis is followed by the next.
 */
static void
ngx_http_waav_limit_redis_slot_renew(ngx_event_t *ev)
{
    ngx_http_waav_limit_redis_slot_t  *slot = ev->data;

    ngx_http_waav_limit_redis_renew(slot->redis, &slot->key, slot->member);

    ngx_add_timer(&slot->renew, slot->redis->lease / 3);
}


/*
 * A line of a zone in Redis: NGX_OK, NGX_DECLINED, NGX_AGAIN (asked),
 * NGX_BUSY (Redis failed, the zone fails closed), NGX_DONE (Redis failed,
 * the node's own counters stand in), NGX_ERROR.
 */
static ngx_int_t
ngx_http_waav_limit_redis_line(ngx_http_request_t *r,
    ngx_http_waav_limit_walk_t *w, ngx_http_waav_limit_t *l,
    ngx_http_waav_limit_rule_t *rule, ngx_str_t *key)
{
    ngx_pool_cleanup_t                *cln;
    ngx_http_waav_limit_zone_t        *zone;
    ngx_http_waav_limit_redis_slot_t  *slot;

    zone = l->shm_zone->data;

    if (!w->answered) {
        if (ngx_http_waav_limit_ask(w, zone, rule, key) == NGX_OK) {
            return NGX_AGAIN;
        }

        w->outcome = NGX_ERROR;
    }

    w->answered = 0;

    if (w->outcome == NGX_DECLINED) {
        w->res.limit = l->rule.limit;
        return NGX_DECLINED;
    }

    if (w->outcome != NGX_OK) {
        return zone->redis->conn->fail_open ? NGX_DONE : NGX_BUSY;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav limit zone \"%V\": %s allowed in redis, %uL left",
                   &l->shm_zone->shm.name,
                   ngx_http_waav_limit_kind_name(rule->kind),
                   w->res.remaining);

    if (rule->kind == NGX_HTTP_WAAV_LIMIT_CONCURRENCY) {
        cln = ngx_pool_cleanup_add(r->pool,
                                   sizeof(ngx_http_waav_limit_redis_slot_t));
        if (cln == NULL) {
            return NGX_ERROR;
        }

        slot = cln->data;
        ngx_memzero(slot, sizeof(ngx_http_waav_limit_redis_slot_t));
        slot->redis = zone->redis;
        slot->key = *key;
        slot->member = w->member;
        cln->handler = ngx_http_waav_limit_redis_slot_release;

        /* the request holds the worker, not its slot's renewals */
        slot->renew.handler = ngx_http_waav_limit_redis_slot_renew;
        slot->renew.data = slot;
        slot->renew.log = ngx_cycle->log;
        slot->renew.cancelable = 1;
        ngx_add_timer(&slot->renew, zone->redis->lease / 3);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "waav limit zone \"%V\": slot %uL acquired in redis",
                       &l->shm_zone->shm.name, w->member);
    }

    return NGX_OK;
}


/* one line: NGX_OK, NGX_DECLINED, NGX_AGAIN, NGX_BUSY, NGX_ERROR */
static ngx_int_t
ngx_http_waav_limit_line(ngx_http_request_t *r, ngx_http_waav_limit_walk_t *w,
    ngx_http_waav_limit_t *l, ngx_str_t *key)
{
    ngx_int_t                    rc;
    ngx_http_waav_limit_rule_t   rule;
    ngx_http_waav_limit_zone_t  *zone;

    zone = l->shm_zone->data;
    rule = l->rule;

    if (w->true_up) {
        rule.limit = NGX_HTTP_WAAV_LIMIT_NO_LIMIT;
    }

    if (zone->redis) {
        rc = ngx_http_waav_limit_redis_line(r, w, l, &rule, key);

        /* fail open: the node's own counters stand in */
        if (rc != NGX_DONE) {
            return rc;
        }
    }

    rc = ngx_http_waav_limit_shm_check(&zone->shm, &rule, key, w->cost,
                                       r->pool, r->connection->log, &w->res);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_waav_limit_charged(r, w, &w->res, 0);
}


static ngx_int_t
ngx_http_waav_limit_skip(ngx_http_request_t *r, ngx_http_waav_limit_walk_t *w,
    ngx_uint_t n)
{
    if (w->skipped == NULL) {
        w->skipped = ngx_pcalloc(r->pool, (n + 7) / 8);
        if (w->skipped == NULL) {
            return NGX_ERROR;
        }
    }

    w->skipped[w->next / 8] |= (u_char) (1 << (w->next % 8));

    return NGX_OK;
}


/*
 * Walks the location's lines of one sort (the pre-content phase's rates
 * and slots, or the quotas of one cost): NGX_OK all passed, NGX_DECLINED
 * refused (w->refused, w->res), NGX_AGAIN waiting for Redis (w->resume is
 * called), NGX_BUSY Redis is unavailable and the zone fails closed,
 * NGX_ERROR.
 */
ngx_int_t
ngx_http_waav_limit_walk(ngx_http_request_t *r, ngx_http_waav_limit_walk_t *w)
{
    ngx_int_t                  rc;
    ngx_str_t                  key;
    ngx_uint_t                 kind;
    ngx_http_waav_limit_t     *l;
    ngx_http_waav_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);
    l = wlcf->limits->elts;

    for ( /* void */ ; w->next < wlcf->limits->nelts; w->next++) {

        kind = l[w->next].rule.kind;

        if ((ngx_http_waav_limit_is_quota(kind) ? kind : 0) != w->quota) {
            continue;
        }

        if (w->rewalk
            && !(w->skipped[w->next / 8] & (1 << (w->next % 8))))
        {
            continue;
        }

        /* the line Redis answered keeps the key it was asked with */
        if (!w->answered) {
            rc = ngx_http_waav_limit_key(r, &l[w->next], &key);

            if (rc == NGX_DECLINED) {
                /* an empty key: remembered for a session's auth message
                 * ($waav_tenant unknown yet, ngx_http_waav_limit_rewalk) */
                if (!w->rewalk && w->quota == 0
                    && ngx_http_waav_limit_skip(r, w, wlcf->limits->nelts)
                       != NGX_OK)
                {
                    return NGX_ERROR;
                }

                continue;
            }

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            w->key = key;
        }

        rc = ngx_http_waav_limit_line(r, w, &l[w->next], &w->key);

        if (rc == NGX_DECLINED) {
            w->refused = &l[w->next];
        }

        if (rc != NGX_OK) {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "waav limit: line %ui %s", w->next,
                           rc == NGX_AGAIN ? "waits for redis"
                           : rc == NGX_DECLINED ? "refused"
                           : rc == NGX_BUSY ? "failed closed" : "failed");
            return rc;
        }
    }

    return NGX_OK;
}


static void
ngx_http_waav_limit_walk_cleanup(void *data)
{
    ngx_http_waav_limit_walk_t  *w = data;

    if (w->op) {
        ngx_http_waav_limit_redis_cancel(w->op);
        w->op = NULL;
    }
}


ngx_http_waav_limit_walk_t *
ngx_http_waav_limit_walk_new(ngx_http_request_t *r, ngx_uint_t quota,
    uint64_t cost, void (*resume)(ngx_http_request_t *r))
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_waav_limit_walk_t  *w;

    w = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_limit_walk_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (w == NULL || cln == NULL) {
        return NULL;
    }

    w->r = r;
    w->quota = quota;
    w->cost = cost;
    w->resume = resume;

    cln->handler = ngx_http_waav_limit_walk_cleanup;
    cln->data = w;

    return w;
}


/* --- answers ------------------------------------------------------------ */

/* the refusal: WaaV's 429 "Wait for Ns" (or the line's status=, message=,
 * code=), Retry-After and RateLimit-*, and a log */
static ngx_int_t
ngx_http_waav_limit_refuse(ngx_http_request_t *r,
    ngx_http_waav_limit_walk_t *w, waav_err_t *err)
{
    int                        status;
    char                      *code;
    u_char                    *p;
    uint64_t                   wait, values[4];
    ngx_str_t                  name, value;
    ngx_uint_t                 i, kind;
    ngx_http_waav_ctx_t       *ctx;
    ngx_http_waav_limit_t     *l;
    ngx_http_waav_loc_conf_t  *wlcf;

    static ngx_str_t  names[] = {
        ngx_string("Retry-After"),
        ngx_string("RateLimit-Limit"),
        ngx_string("RateLimit-Remaining"),
        ngx_string("RateLimit-Reset"),
    };

    kind = w->refused->rule.kind;
    wait = waav_limit_wait_s(w->res.reset_ms);

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    ngx_log_error(wlcf->limit_log_level, r->connection->log, 0,
                  "waav: limiting requests, %s of zone \"%V\", %uL of %uL "
                  "left, retry in %uL s", ngx_http_waav_limit_kind_name(kind),
                  &w->refused->shm_zone->shm.name, w->res.remaining,
                  w->res.limit, wait);

    ngx_http_waav_metrics_refused(r, &w->refused->shm_zone->shm.name,
                                  ngx_http_waav_limit_kind_name(kind));

    values[0] = wait;
    values[1] = w->res.limit;
    values[2] = w->res.remaining;
    values[3] = wait;

    for (i = 0; i < 4; i++) {
        p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        name = names[i];
        value.data = p;
        value.len = ngx_sprintf(p, "%uL", values[i]) - p;

        if (ngx_http_waav_add_header(r, &name, &value) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (kind == NGX_HTTP_WAAV_LIMIT_STT_SECONDS) {
        kind = NGX_HTTP_WAAV_LIMIT_TTS_CHARS;       /* QUOTA_EXCEEDED too */
    }

    ctx = ngx_http_waav_get_ctx(r);
    if (ctx) {
        ctx->limit_status = kind;
    }

    /* the line's own answer (WaaV's session limits), or WaaV's 429 */
    l = w->refused;
    status = l->status ? (int) l->status : NGX_HTTP_TOO_MANY_REQUESTS;
    code = l->code.len ? (char *) l->code.data
                       : (char *) ngx_http_waav_limit_codes[kind].data;

    if (l->message.len) {
        waav_err_set(err, status, code, "%s", (char *) l->message.data);

    } else {
        waav_err_set(err, status, code, "Too Many Requests! Wait for %lus",
                     (unsigned long) wait);
    }

    return NGX_OK;
}


/* what a walk that did not pass answers */
ngx_int_t
ngx_http_waav_limit_answer(ngx_http_request_t *r,
    ngx_http_waav_limit_walk_t *w, ngx_int_t rc, waav_err_t *err)
{
    if (rc == NGX_DECLINED) {
        if (ngx_http_waav_limit_refuse(r, w, err) != NGX_OK) {
            waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
        }

    } else if (rc == NGX_BUSY) {
        ngx_http_waav_metrics_refused(r, NULL, "unavailable");
        waav_err_set(err, NGX_HTTP_SERVICE_UNAVAILABLE,
                     "LIMIT_BACKEND_UNAVAILABLE",
                     "Rate limiting is unavailable, try again later");

    } else {
        waav_err_set(err, 500, "INTERNAL_ERROR", "limit check failed");
    }

    return NGX_ERROR;
}


ngx_int_t
ngx_http_waav_limit_rewalk(ngx_http_request_t *r,
    void (*resume)(ngx_http_request_t *r), waav_err_t *err)
{
    ngx_int_t                    rc;
    ngx_http_waav_ctx_t         *ctx;
    ngx_http_waav_limit_walk_t  *w;

    ctx = ngx_http_waav_find_ctx(r);
    w = ctx ? ctx->limit : NULL;

    if (w == NULL || w->skipped == NULL) {
        return NGX_OK;
    }

    if (!w->rewalk) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "waav limit: the lines without a key, walked again");
        w->rewalk = 1;
        w->next = 0;
        w->answered = 0;
        w->refused = NULL;
        w->resume = resume;
    }

    if (w->op) {
        return NGX_AGAIN;                       /* Redis has not answered */
    }

    rc = ngx_http_waav_limit_walk(r, w);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    /* once: the next auth message finds nothing to walk */
    w->rewalk = 0;
    w->skipped = NULL;

    if (rc == NGX_OK) {
        return NGX_OK;
    }

    return ngx_http_waav_limit_answer(r, w, rc, err);
}


static void
ngx_http_waav_limit_resume_phases(ngx_http_request_t *r)
{
    ngx_http_core_run_phases(r);
}


static ngx_int_t
ngx_http_waav_limit_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    waav_err_t                   err;
    ngx_http_waav_ctx_t         *ctx;
    ngx_http_waav_loc_conf_t    *wlcf;
    ngx_http_waav_limit_walk_t  *w;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->limits == NULL || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_waav_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->limit_done) {
        return NGX_DECLINED;
    }

    w = ctx->limit;

    if (w == NULL) {
        w = ngx_http_waav_limit_walk_new(r, 0, 1,
                                         ngx_http_waav_limit_resume_phases);
        if (w == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->limit = w;
    }

    if (w->op) {
        return NGX_AGAIN;                       /* Redis has not answered */
    }

    rc = ngx_http_waav_limit_walk(r, w);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ctx->limit_done = 1;

    if (rc == NGX_OK) {
        ctx->limit_status = 0;
        return NGX_DECLINED;
    }

    ngx_http_waav_limit_answer(r, w, rc, &err);

    rc = ngx_http_waav_send_err(r, &err);
    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


/* --- $waav_limit_status ------------------------------------------------- */

static ngx_int_t
ngx_http_waav_limit_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_waav_ctx_t  *ctx;

    ngx_http_waav_unused(data);

    ctx = ngx_http_waav_find_ctx(r->main);

    if (ctx == NULL || !ctx->limit_done) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = ngx_http_waav_limit_codes[ctx->limit_status].data;
    v->len = ngx_http_waav_limit_codes[ctx->limit_status].len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_http_variable_t  ngx_http_waav_limit_vars[] = {

    { ngx_string("waav_limit_status"), NULL, ngx_http_waav_limit_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_waav_limit_add_variables(ngx_conf_t *cf)
{
    return ngx_http_waav_add_variables(cf, ngx_http_waav_limit_vars);
}


/*
 * The pre-content phase: after every access check whatever "satisfy" says
 * (under "satisfy any" a passed access check skips the rest of its
 * phase), so $waav_tenant is known and refused requests use up nothing.
 */
ngx_int_t
ngx_http_waav_limit_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_waav_limit_handler;

    return NGX_OK;
}
