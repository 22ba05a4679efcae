/*
 * waav: quota charges (tts_chars=, stt_seconds=): a walk through the
 * location's quota lines of one kind with one cost, held by its caller
 * (ngx_http_waav_limit.h says how they are called).  waav_tts and
 * waav_stt charge once a request, in the request's waav context; waav_ws
 * charges many times a session, each charge its own.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_limit_walk.h"
#include "ngx_http_waav_util.h"


#if (NGX_HTTP_WAAV_QUOTA_TTS_CHARS != NGX_HTTP_WAAV_LIMIT_TTS_CHARS          \
     || NGX_HTTP_WAAV_QUOTA_STT_SECONDS != NGX_HTTP_WAAV_LIMIT_STT_SECONDS)
#error "the quota kinds of ngx_http_waav_limit.h are the lines' kinds"
#endif


/* a charge that ended starts again, in the same memory */
static void
ngx_http_waav_limit_quota_reset(ngx_http_request_t *r,
    ngx_http_waav_quota_t *q, ngx_uint_t kind, uint64_t cost,
    void (*resume)(ngx_http_request_t *r))
{
    ngx_http_waav_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    q->next = 0;
    q->quota = kind;
    q->cost = cost;
    q->refused = NULL;
    q->outcome = NGX_OK;
    q->answered = 0;
    q->true_up = 0;
    q->done = 0;
    q->resume = resume;

    if (q->charged) {
        ngx_memzero(q->charged, wlcf->limits->nelts
                                * sizeof(ngx_http_waav_limit_charged_t));
    }
}


/* a charge (true_up: whatever the quotas say): NGX_OK, NGX_AGAIN, or
 * NGX_DECLINED, NGX_BUSY, NGX_ERROR as the walk ended */
static ngx_int_t
ngx_http_waav_limit_quota_walk(ngx_http_request_t *r,
    ngx_http_waav_quota_t **qp, ngx_uint_t kind, uint64_t cost,
    ngx_uint_t true_up, void (*resume)(ngx_http_request_t *r))
{
    ngx_int_t               rc;
    ngx_http_waav_quota_t  *q;

    q = *qp;

    if (q == NULL) {
        q = ngx_http_waav_limit_walk_new(r, kind, cost, resume);
        if (q == NULL) {
            return NGX_ERROR;
        }

        *qp = q;

    } else if (q->done) {
        ngx_http_waav_limit_quota_reset(r, q, kind, cost, resume);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "waav limit: a new %s charge of %uL",
                       ngx_http_waav_limit_kind_name(kind), cost);
    }

    if (q->op) {
        return NGX_AGAIN;                       /* Redis has not answered */
    }

    q->true_up = true_up ? 1 : 0;

    rc = ngx_http_waav_limit_walk(r, q);

    if (rc != NGX_AGAIN) {
        q->done = 1;
    }

    return rc;
}


ngx_int_t
ngx_http_waav_limit_charge_q(ngx_http_request_t *r,
    ngx_http_waav_quota_t **q, ngx_uint_t kind, uint64_t cost,
    void (*resume)(ngx_http_request_t *r), waav_err_t *err)
{
    ngx_int_t                  rc;
    ngx_http_waav_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->limits == NULL) {
        return NGX_OK;
    }

    if (kind != NGX_HTTP_WAAV_QUOTA_TTS_CHARS
        && kind != NGX_HTTP_WAAV_QUOTA_STT_SECONDS)
    {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "no such quota");
    }

    rc = ngx_http_waav_limit_quota_walk(r, q, kind, cost, 0, resume);

    if (rc == NGX_OK || rc == NGX_AGAIN) {
        return rc;
    }

    if (*q == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    /* refused by a later quota: the earlier ones give their charge back */
    ngx_http_waav_limit_refund_q(r, *q, cost);

    return ngx_http_waav_limit_answer(r, *q, rc, err);
}


ngx_int_t
ngx_http_waav_limit_true_up_q(ngx_http_request_t *r,
    ngx_http_waav_quota_t **q, ngx_uint_t kind, uint64_t units,
    void (*resume)(ngx_http_request_t *r))
{
    ngx_int_t                  rc;
    ngx_http_waav_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->limits == NULL || units == 0
        || (kind != NGX_HTTP_WAAV_QUOTA_TTS_CHARS
            && kind != NGX_HTTP_WAAV_QUOTA_STT_SECONDS))
    {
        return NGX_OK;
    }

    rc = ngx_http_waav_limit_quota_walk(r, q, kind, units, 1, resume);

    return rc == NGX_AGAIN ? NGX_AGAIN : NGX_OK;
}


/* a charge waiting for Redis: nobody is resumed, what Redis takes goes
 * back when it answers (a true-up's is kept: it was due) */
static void
ngx_http_waav_limit_quota_abandon(ngx_http_waav_quota_t *q)
{
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, q->r->connection->log, 0,
                   "waav limit: a %s charge waiting for redis abandoned",
                   ngx_http_waav_limit_kind_name(q->quota));

    ngx_http_waav_limit_redis_cancel(q->op);

    q->op = NULL;
    q->done = 1;
}


void
ngx_http_waav_limit_refund_q(ngx_http_request_t *r,
    ngx_http_waav_quota_t *q, uint64_t units)
{
    ngx_uint_t                   i;
    ngx_http_waav_limit_t       *l;
    ngx_http_waav_loc_conf_t    *wlcf;
    ngx_http_waav_limit_zone_t  *zone;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->limits == NULL || q == NULL) {
        return;
    }

    if (q->op) {
        ngx_http_waav_limit_quota_abandon(q);
        units = q->cost;
    }

    if (q->true_up || q->charged == NULL || units == 0) {
        return;
    }

    units = ngx_min(units, q->cost);

    l = wlcf->limits->elts;

    for (i = 0; i < wlcf->limits->nelts; i++) {

        if (!q->charged[i].charged) {
            continue;
        }

        q->charged[i].charged = 0;              /* once */

        zone = l[i].shm_zone->data;

        if (q->charged[i].in_redis) {
            ngx_http_waav_limit_redis_refund(zone->redis, &q->charged[i].key,
                                             q->charged[i].window,
                                             l[i].rule.window_ms, units);
            continue;
        }

        ngx_http_waav_limit_shm_refund(&zone->shm, &l[i].rule,
                                       &q->charged[i].key,
                                       q->charged[i].window, units,
                                       r->connection->log);
    }
}


/* --- waav_tts and waav_stt: the request's one charge -------------------- */

static ngx_int_t
ngx_http_waav_limit_charge(ngx_http_request_t *r, ngx_uint_t kind,
    uint64_t cost, void (*resume)(ngx_http_request_t *r), waav_err_t *err)
{
    ngx_int_t               rc;
    ngx_http_waav_ctx_t    *ctx;
    ngx_http_waav_quota_t  *q;

    ctx = ngx_http_waav_get_ctx(r);
    if (ctx == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    q = ctx->limit_quota;

    rc = ngx_http_waav_limit_charge_q(r, &q, kind, cost, resume, err);

    ctx->limit_quota = q;

    return rc;
}


/*
 * waav_tts: take the text's characters from the location's quotas.
 * NGX_OK, NGX_ERROR (err says why: 429, 503, 500) or NGX_AGAIN: Redis
 * answers later and resume(r) is called, which calls this again.
 */
ngx_int_t
ngx_http_waav_limit_charge_tts(ngx_http_request_t *r, uint64_t chars,
    void (*resume)(ngx_http_request_t *r), waav_err_t *err)
{
    return ngx_http_waav_limit_charge(r, NGX_HTTP_WAAV_QUOTA_TTS_CHARS, chars,
                                      resume, err);
}


/* waav_stt: the same for the audio's seconds */
ngx_int_t
ngx_http_waav_limit_charge_stt(ngx_http_request_t *r, uint64_t seconds,
    void (*resume)(ngx_http_request_t *r), waav_err_t *err)
{
    return ngx_http_waav_limit_charge(r, NGX_HTTP_WAAV_QUOTA_STT_SECONDS,
                                      seconds, resume, err);
}


/*
 * waav_stt: the seconds the provider reported beyond the estimate, charged
 * whatever the quotas say (the call was made); NGX_OK or NGX_AGAIN, and
 * resume(r) calls this again.  The charge before is no longer refunded.
 */
ngx_int_t
ngx_http_waav_limit_true_up_stt(ngx_http_request_t *r, uint64_t seconds,
    void (*resume)(ngx_http_request_t *r))
{
    ngx_int_t               rc;
    ngx_http_waav_ctx_t    *ctx;
    ngx_http_waav_quota_t  *q;

    ctx = ngx_http_waav_get_ctx(r);
    if (ctx == NULL) {
        return NGX_OK;
    }

    q = ctx->limit_quota;

    rc = ngx_http_waav_limit_true_up_q(r, &q,
                                       NGX_HTTP_WAAV_QUOTA_STT_SECONDS,
                                       seconds, resume);
    ctx->limit_quota = q;

    return rc;
}


/* waav_tts, waav_stt: units of the request's charge not due after all */
void
ngx_http_waav_limit_refund(ngx_http_request_t *r, uint64_t units)
{
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_get_ctx(r);

    if (ctx) {
        ngx_http_waav_limit_refund_q(r, ctx->limit_quota, units);
    }
}
