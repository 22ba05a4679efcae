/*
 * waav: the steps of a transcription after its first call, driven by the
 * adapter's multi-step hook (waav_stt_next): the next request now, or
 * after waav_stt_poll_interval, until the adapter has the result or
 * waav_stt_poll_timeout has passed.  Nothing here knows any provider.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_stt.h"
#include "ngx_http_waav_util.h"


/* the request the adapter made for the next step */
static ngx_int_t
ngx_http_waav_stt_send(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = NULL;

    if (ctx->preq.body.len) {
        b = ngx_calloc_buf(r->pool);
        cl = ngx_alloc_chain_link(r->pool);
        if (b == NULL || cl == NULL) {
            return NGX_ERROR;
        }

        b->start = (u_char *) ctx->preq.body.data;
        b->pos = b->start;
        b->last = b->start + ctx->preq.body.len;
        b->end = b->last;
        b->memory = 1;
        b->last_buf = 1;

        cl->buf = b;
        cl->next = NULL;
    }

    ctx->done = 0;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav stt: %V step %ui: %s", &ctx->provider->name,
                   (ngx_uint_t) ctx->flow.step, ctx->preq.method);

    return ngx_http_waav_call(r, ctx->provider, &ctx->preq, cl,
                              (off_t) ctx->preq.body.len,
                              ngx_http_waav_stt_done, ctx,
                              NGX_HTTP_SUBREQUEST_IN_MEMORY
                              |NGX_HTTP_SUBREQUEST_WAITED, &ctx->sr);
}


static void
ngx_http_waav_stt_poll_handler(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_waav_stt_ctx_t   *ctx = ev->data;

    r = ctx->r;
    c = r->connection;

    if (c->error) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);

    } else if (ngx_http_waav_stt_send(r, ctx) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_waav_stt_poll_cleanup(void *data)
{
    ngx_http_waav_stt_ctx_t  *ctx = data;

    if (ctx->poll.timer_set) {
        ngx_del_timer(&ctx->poll);
    }
}


/* the next request, after the poll interval, within the time allowed */
static ngx_int_t
ngx_http_waav_stt_wait(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx,
    waav_err_t *err)
{
    ngx_pool_cleanup_t        *cln;
    ngx_http_waav_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (ngx_current_msec - ctx->started + wlcf->stt_poll_interval
        > wlcf->stt_poll_timeout)
    {
        waav_err_set(err, NGX_HTTP_GATEWAY_TIME_OUT, "PROVIDER_TIMEOUT",
                     "Provider %.*s did not finish in %lu ms",
                     (int) ctx->provider->name.len, ctx->provider->name.data,
                     (unsigned long) wlcf->stt_poll_timeout);
        return NGX_ERROR;
    }

    if (ctx->poll.handler == NULL) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
            return NGX_ERROR;
        }

        cln->handler = ngx_http_waav_stt_poll_cleanup;
        cln->data = ctx;

        ctx->poll.handler = ngx_http_waav_stt_poll_handler;
        ctx->poll.data = ctx;
        ctx->poll.log = r->connection->log;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav stt: %V waits %M ms", &ctx->provider->name,
                   wlcf->stt_poll_interval);

    ngx_add_timer(&ctx->poll, wlcf->stt_poll_interval);

    return NGX_OK;
}


/*
 * The provider's 2xx answer to the step just done, through the adapter:
 * NGX_DONE with the result in ctx->res, NGX_OK when the next call (or its
 * timer) is on its way, NGX_ERROR with err set.
 */
ngx_int_t
ngx_http_waav_stt_step(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx,
    waav_str_t answer, waav_err_t *err)
{
    int             rc;
    waav_str_t      name;
    waav_alloc_t    a;
    waav_secret_t   secret;

    ngx_http_waav_allocator(r->pool, &a);
    ngx_http_waav_provider_secret(ctx->provider, &secret);

    name.data = (char *) ctx->provider->name.data;
    name.len = ctx->provider->name.len;

    rc = waav_stt_next(ctx->provider->stt, &ctx->flow, &ctx->req, &secret,
                       name, answer, &ctx->res, &ctx->preq, &a, err);

    switch (rc) {

    case WAAV_STT_DONE:
        return NGX_DONE;

    case WAAV_STT_NEXT:
        if (ngx_http_waav_stt_send(r, ctx) != NGX_OK) {
            waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
            return NGX_ERROR;
        }

        return NGX_OK;

    case WAAV_STT_WAIT:
        return ngx_http_waav_stt_wait(r, ctx, err);

    default:
        return NGX_ERROR;
    }
}
