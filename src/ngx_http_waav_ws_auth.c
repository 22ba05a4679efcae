/*
 * waav: a /ws session's auth message, {"type": "auth", "token": ...}
 * (waav-compat.md section 5.1).
 *
 * The token is checked against the API secrets and JWT keys at once, or
 * sent to the auth service (ngx_http_waav_auth_service.c) with a
 * subrequest of a stand-in parent; then the location's waav_limit lines
 * whose key was empty when the upgrade was limited ($waav_tenant was not
 * known yet) are walked for the tenant (Redis may answer later).  Only
 * then is "authenticated" sent.  Messages the client sends meanwhile are
 * held, in order, and handled after it; a refusal closes the session.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_auth.h"
#include "ngx_http_waav_auth_service.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_util.h"
#include "ngx_http_waav_ws.h"


/* what may wait behind an auth message */
#define NGX_HTTP_WAAV_WS_HELD_MAX  (64 * 1024)


static ngx_int_t ngx_http_waav_ws_auth_ask(ngx_http_waav_ws_t *ws,
    ngx_str_t *token);
static void ngx_http_waav_ws_auth_limits(ngx_http_waav_ws_t *ws);
static void ngx_http_waav_ws_auth_resume(ngx_http_request_t *r);
static void ngx_http_waav_ws_auth_call_end(ngx_http_waav_ws_t *ws);


void
ngx_http_waav_ws_auth(ngx_http_waav_ws_t *ws, waav_ws_msg_t *msg)
{
    ngx_int_t             rc;
    ngx_str_t             token;
    const char           *message;
    ngx_http_waav_ctx_t  *ctx;

    /* one tenant per session: its limits were walked for it (at the
     * upgrade or after an earlier auth message), another token does not
     * move the session to another tenant's */
    ctx = ngx_http_waav_find_ctx(ws->request);

    if (ctx->auth_done && !ctx->auth_pending) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                       "waav ws: auth message on an authenticated session");
        (void) ngx_http_waav_ws_send_error(ws, "Already authenticated");
        return;
    }

    token.data = (u_char *) msg->token.data;
    token.len = msg->token.len;

    rc = ngx_http_waav_auth_check(ws->request, &token, &message);

    if (rc == NGX_BUSY) {
        rc = ngx_http_waav_ws_auth_ask(ws, &token);

        if (rc == NGX_AGAIN) {
            return;
        }

        if (rc == NGX_ERROR) {
            ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
            return;
        }
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, ws->request->connection->log, 0,
                      "waav: WebSocket auth message refused: %s", message);
        ngx_http_waav_ws_fail(ws, message, WAAV_WS_CLOSE_POLICY);
        return;
    }

    ngx_http_waav_ws_auth_limits(ws);
}


/* the auth service: NGX_OK (its cached answer took the token), NGX_AGAIN
 * (asked), NGX_ERROR */
static ngx_int_t
ngx_http_waav_ws_auth_ask(ngx_http_waav_ws_t *ws, ngx_str_t *token)
{
    ngx_int_t             rc;
    ngx_http_waav_ctx_t  *ctx;

    ws->auth_pool = ngx_create_pool(2048, ws->request->connection->log);
    if (ws->auth_pool == NULL) {
        return NGX_ERROR;
    }

    ws->auth_parent = ngx_http_waav_ws_parent(ws, ws->auth_pool, 0);
    if (ws->auth_parent == NULL) {
        ngx_http_waav_ws_auth_call_end(ws);
        return NGX_ERROR;
    }

    rc = ngx_http_waav_auth_service_ask(ws->request, token, ws->auth_pool,
                                        ws->auth_parent, 1);

    if (rc == NGX_AGAIN) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                       "waav ws: auth message, the auth service asked");
        ws->auth_wait = 1;
        return NGX_AGAIN;
    }

    ngx_http_waav_ws_auth_call_end(ws);

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    ctx = ngx_http_waav_find_ctx(ws->request);
    ctx->auth_method = "auth_service";
    ctx->auth_done = 1;
    ctx->auth_pending = 0;

    return NGX_OK;
}


static void
ngx_http_waav_ws_auth_call_end(ngx_http_waav_ws_t *ws)
{
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(ws->request);
    if (ctx) {
        ctx->auth_call = NULL;
    }

    if (ws->auth_parent) {
        ngx_http_waav_ws_release(ws, ws->auth_parent);
        ws->auth_parent = NULL;
    }

    if (ws->auth_pool) {
        ngx_destroy_pool(ws->auth_pool);
        ws->auth_pool = NULL;
    }
}


/* the session's wake-up: the auth service's answer may be in */
void
ngx_http_waav_ws_auth_wake(ngx_http_waav_ws_t *ws)
{
    ngx_int_t                      rc;
    const char                    *message;
    ngx_http_waav_ctx_t           *ctx;
    ngx_http_waav_auth_verdict_t   v;

    if (!ws->auth_wait || ws->auth_pool == NULL) {
        return;
    }

    rc = ngx_http_waav_auth_service_verdict(ws->request, &v);

    if (rc == NGX_AGAIN) {
        return;
    }

    ngx_http_waav_ws_auth_call_end(ws);
    ws->auth_wait = 0;

    if (rc != NGX_OK) {
        /* WaaV's words for a refused token; the service's for a failure */
        message = v.status == NGX_HTTP_UNAUTHORIZED
                  ? "Invalid authentication token" : (char *) v.message;

        ngx_log_error(NGX_LOG_INFO, ws->request->connection->log, 0,
                      "waav: WebSocket auth message refused by the auth "
                      "service: %s", v.code);
        ngx_http_waav_ws_fail(ws, message,
                              v.status == NGX_HTTP_UNAUTHORIZED
                              ? WAAV_WS_CLOSE_POLICY
                              : WAAV_WS_CLOSE_INTERNAL);
        return;
    }

    ctx = ngx_http_waav_find_ctx(ws->request);
    ctx->auth_method = "auth_service";
    ctx->auth_done = 1;
    ctx->auth_pending = 0;

    ngx_http_waav_ws_auth_limits(ws);
}


/* the tenant's limits, then "authenticated" and what was held */
static void
ngx_http_waav_ws_auth_limits(ngx_http_waav_ws_t *ws)
{
    char                      *out;
    size_t                     len;
    ngx_int_t                  rc;
    waav_err_t                 err;
    waav_str_t                 id;
    ngx_queue_t               *q;
    waav_alloc_t               a;
    ngx_pool_t                *pool;
    ngx_http_waav_ctx_t       *ctx;
    ngx_http_waav_ws_speak_t  *held;

    ngx_memzero(&err, sizeof(waav_err_t));

    rc = ngx_http_waav_limit_rewalk(ws->request,
                                    ngx_http_waav_ws_auth_resume, &err);

    if (rc == NGX_AGAIN) {
        ws->auth_wait = 1;
        return;
    }

    ws->auth_wait = 0;

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, ws->request->connection->log, 0,
                      "waav: WebSocket session refused by its tenant's "
                      "limit: %s", err.message);
        ngx_http_waav_ws_fail(ws, err.message,
                              err.status == NGX_HTTP_SERVICE_UNAVAILABLE
                              ? WAAV_WS_CLOSE_INTERNAL
                              : WAAV_WS_CLOSE_POLICY);
        return;
    }

    ctx = ngx_http_waav_find_ctx(ws->request);

    pool = ngx_create_pool(1024, ws->request->connection->log);
    if (pool == NULL) {
        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
        return;
    }

    ngx_http_waav_allocator(pool, &a);

    id.data = (char *) ctx->tenant.data;
    id.len = ctx->tenant.len;

    out = waav_ws_authenticated(&a, id, &len);

    if (out == NULL || ngx_http_waav_ws_send_text(ws, out, len) != NGX_OK) {
        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
    }

    ngx_destroy_pool(pool);

    /* what came meanwhile, in order (another auth message may wait) */
    while (!ngx_queue_empty(&ws->held) && !ws->auth_wait) {
        q = ngx_queue_head(&ws->held);
        ngx_queue_remove(q);
        held = ngx_queue_data(q, ngx_http_waav_ws_speak_t, queue);
        ws->held_len -= held->len;

        ngx_http_waav_ws_message(ws, (char *) held->text, held->len);
        ngx_free(held);
    }
}


/* Redis answered a tenant's line */
static void
ngx_http_waav_ws_auth_resume(ngx_http_request_t *r)
{
    ngx_http_waav_ws_t  *ws;

    ws = ngx_http_waav_ws_get(r);

    if (ws == NULL || ws->finished || !ws->auth_wait || ws->auth_pool) {
        return;
    }

    ngx_http_waav_ws_auth_limits(ws);
    ngx_http_waav_ws_flush(ws);
}


ngx_int_t
ngx_http_waav_ws_auth_hold(ngx_http_waav_ws_t *ws, const char *p,
    size_t len)
{
    ngx_http_waav_ws_speak_t  *held;

    if (!ws->auth_wait) {
        return NGX_DECLINED;
    }

    if (len > NGX_HTTP_WAAV_WS_HELD_MAX - ws->held_len) {
        ngx_http_waav_ws_fail(ws, "Too many messages before authentication",
                              WAAV_WS_CLOSE_POLICY);
        return NGX_OK;
    }

    held = ngx_alloc(sizeof(ngx_http_waav_ws_speak_t) + len,
                     ws->request->connection->log);
    if (held == NULL) {
        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_INTERNAL);
        return NGX_OK;
    }

    held->len = len;
    ngx_memcpy(held->text, p, len);
    ngx_queue_insert_tail(&ws->held, &held->queue);
    ws->held_len += len;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                   "waav ws: a message held until the auth message is "
                   "decided, %uz bytes", len);

    return NGX_OK;
}


/* the session's request goes: its call (the subrequest is gone with it)
 * and what was held */
void
ngx_http_waav_ws_auth_free(ngx_http_waav_ws_t *ws)
{
    ngx_queue_t               *q;
    ngx_http_waav_ws_speak_t  *held;

    if (ws->auth_pool) {
        ngx_destroy_pool(ws->auth_pool);
        ws->auth_pool = NULL;
        ws->auth_parent = NULL;
    }

    while (!ngx_queue_empty(&ws->held)) {
        q = ngx_queue_head(&ws->held);
        ngx_queue_remove(q);
        held = ngx_queue_data(q, ngx_http_waav_ws_speak_t, queue);
        ngx_free(held);
    }

    ws->held_len = 0;
}
