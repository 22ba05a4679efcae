/*
 * waav: waav_ws, the WebSocket of WaaV's real-time voice API: a session.
 *
 * Once the upgrade is answered (ngx_http_waav_ws_upgrade.c), the request
 * is kept for the whole session, as nginx's upstream does with an
 * upgraded connection: the
 * connection's read and write events come here, frames are read and
 * written by the core's wslay framing (src/core/waav_ws_conn.c) through
 * the connection's own recv and send, never blocking.  Auth and limits ran
 * before, in their phases, as for every route: a concurrency slot is held
 * as long as the session.
 *
 * A session ends when the client closes (or vanishes), on a fatal error
 * (an error message and a close), after waav_ws_idle_timeout without a
 * frame from the client, or when a stopping worker's
 * worker_shutdown_timeout expires (close 1001).  Provider calls in flight
 * are then cancelled and what they were charged is refunded.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
#include "ngx_http_waav_ws.h"


/* how long a close waits for the client's */
#define NGX_HTTP_WAAV_WS_CLOSE_WAIT  5000


static void ngx_http_waav_ws_read_handler(ngx_event_t *rev);
static void ngx_http_waav_ws_write_handler(ngx_event_t *wev);
static void ngx_http_waav_ws_wake(ngx_http_request_t *r);
static void ngx_http_waav_ws_write(ngx_http_waav_ws_t *ws);
static void ngx_http_waav_ws_end(ngx_http_waav_ws_t *ws);
static void ngx_http_waav_ws_cleanup(void *data);
static ngx_int_t ngx_http_waav_ws_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_waav_ws_vars[] = {

    { ngx_string("waav_ws_duration"), NULL, ngx_http_waav_ws_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_ws_frames_in"), NULL, ngx_http_waav_ws_variable, 1,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_ws_frames_out"), NULL, ngx_http_waav_ws_variable, 2,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_ws_bytes_in"), NULL, ngx_http_waav_ws_variable, 3,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_ws_bytes_out"), NULL, ngx_http_waav_ws_variable, 4,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_http_waav_ws_t *
ngx_http_waav_ws_get(ngx_http_request_t *r)
{
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r->main);

    return ctx ? ctx->ws : NULL;
}


/* --- the transport ------------------------------------------------------- */

static ssize_t
ngx_http_waav_ws_recv(void *data, uint8_t *buf, size_t len)
{
    ngx_http_waav_ws_t *ws = data;

    size_t               n;
    ssize_t              rc;
    ngx_buf_t           *b;
    ngx_connection_t    *c;

    c = ws->request->connection;
    b = ws->request->header_in;

    /* frames the client sent right behind its handshake */
    if (b && b->pos < b->last) {
        n = ngx_min(len, (size_t) (b->last - b->pos));
        ngx_memcpy(buf, b->pos, n);
        b->pos += n;
        ws->bytes_in += n;
        return n;
    }

    rc = c->recv(c, buf, len);

    if (rc == NGX_AGAIN) {
        return WAAV_WS_IO_AGAIN;
    }

    if (rc == NGX_ERROR) {
        return WAAV_WS_IO_ERROR;
    }

    ws->bytes_in += rc;

    return rc;
}


static ssize_t
ngx_http_waav_ws_send(void *data, const uint8_t *buf, size_t len)
{
    ngx_http_waav_ws_t *ws = data;

    ssize_t             rc;
    ngx_connection_t   *c;

    c = ws->request->connection;

    rc = c->send(c, (u_char *) buf, len);

    if (rc == NGX_AGAIN) {
        return WAAV_WS_IO_AGAIN;
    }

    if (rc == NGX_ERROR) {
        return WAAV_WS_IO_ERROR;
    }

    ws->bytes_out += rc;

    return rc;
}


static void
ngx_http_waav_ws_on_text(void *data, const char *msg, size_t len)
{
    ngx_http_waav_ws_t *ws = data;

    ws->frames_in++;
    ngx_http_waav_ws_message(ws, msg, len);
}


static void
ngx_http_waav_ws_on_text_too_large(void *data, uint64_t len)
{
    ngx_http_waav_ws_t *ws = data;

    char  msg[128];

    ws->frames_in++;

    ngx_snprintf((u_char *) msg, sizeof(msg),
                 "Message too large: %uL bytes (max %d bytes)%Z",
                 len, WAAV_WS_TEXT_MAX);

    (void) ngx_http_waav_ws_send_error(ws, msg);
}


static int
ngx_http_waav_ws_on_binary(void *data, const uint8_t *p, size_t len,
    int first)
{
    ngx_http_waav_ws_t *ws = data;

    return ngx_http_waav_ws_stt_audio(ws, p, len, first) == NGX_OK ? 0 : -1;
}


static void
ngx_http_waav_ws_on_binary_end(void *data, uint64_t len)
{
    ngx_http_waav_ws_t *ws = data;

    ws->frames_in++;
    ngx_http_waav_ws_stt_audio_end(ws, len);
}


static void
ngx_http_waav_ws_on_closed(void *data, unsigned code)
{
    ngx_http_waav_ws_t *ws = data;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ws->request->connection->log, 0,
                   "waav ws: the client closed (%ui)", (ngx_uint_t) code);

    ws->closing = 1;
}


static const waav_ws_io_t  ngx_http_waav_ws_io = {
    ngx_http_waav_ws_recv,
    ngx_http_waav_ws_send,
    ngx_http_waav_ws_on_text,
    ngx_http_waav_ws_on_text_too_large,
    ngx_http_waav_ws_on_binary,
    ngx_http_waav_ws_on_binary_end,
    ngx_http_waav_ws_on_closed
};


/* the session's state, before the upgrade is answered */
ngx_http_waav_ws_t *
ngx_http_waav_ws_create(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t   *cln;
    ngx_http_waav_ws_t   *ws;
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_get_ctx(r);
    ws = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_ws_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (ctx == NULL || ws == NULL || cln == NULL) {
        return NULL;
    }

    ws->request = r;
    ws->start = ngx_current_msec;
    ngx_queue_init(&ws->speaks);
    ngx_queue_init(&ws->held);
    ngx_queue_init(&ws->clients);

    cln->handler = ngx_http_waav_ws_cleanup;
    cln->data = ws;

    ws->conn = waav_ws_conn_new(&ngx_http_waav_ws_io, ws);
    if (ws->conn == NULL) {
        return NULL;
    }

    ctx->ws = ws;

    return ws;
}


/* 101 was sent: the connection's events are the session's from now on */
ngx_int_t
ngx_http_waav_ws_start(ngx_http_waav_ws_t *ws)
{
    ngx_connection_t           *c;
    ngx_http_request_t         *r;
    ngx_http_waav_ctx_t        *ctx;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_waav_loc_conf_t   *wlcf;

    r = ws->request;
    c = r->connection;
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    c->log->action = "in a waav WebSocket session";

    if (clcf->tcp_nodelay && ngx_tcp_nodelay(c) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "waav ws: upgraded, the session begins");

    /* the request lives until the session ends (ngx_http_waav_ws_end) */
    r->main->count++;
    ngx_http_waav_metrics_ws(r, 1);

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_waav_ws_wake;
    c->read->handler = ngx_http_waav_ws_read_handler;
    c->write->handler = ngx_http_waav_ws_write_handler;

    ngx_add_timer(c->read, wlcf->ws_idle_timeout);

    ctx = ngx_http_waav_find_ctx(r);

    if (ctx->auth_pending
        && ngx_http_waav_ws_send_text(ws, WAAV_WS_AUTH_REQUIRED,
                                      sizeof(WAAV_WS_AUTH_REQUIRED) - 1)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* frames that came with the handshake, and the auth_required */
    ngx_post_event(c->read, &ngx_posted_events);
    ngx_http_waav_ws_flush(ws);

    return NGX_DONE;
}


/* --- the connection's events --------------------------------------------- */

static void
ngx_http_waav_ws_read_handler(ngx_event_t *rev)
{
    ngx_connection_t           *c;
    ngx_http_request_t         *r;
    ngx_http_waav_ws_t         *ws;
    ngx_http_waav_loc_conf_t   *wlcf;

    c = rev->data;
    r = ((ngx_http_request_t *) c->data)->main;
    ws = ngx_http_waav_ws_get(r);

    if (ws == NULL || ws->finished) {
        return;
    }

    ngx_http_set_log_request(c->log, r);

    if (c->close) {
        /* the worker stops and worker_shutdown_timeout is over */
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "waav ws: the worker stops the session");
        ngx_http_waav_ws_close(ws, WAAV_WS_CLOSE_GOING_AWAY);
        (void) waav_ws_conn_write(ws->conn);
        ngx_http_waav_ws_end(ws);
        goto done;
    }

    if (rev->timedout) {
        rev->timedout = 0;

        if (ws->closing) {
            /* the client never answered the close */
            ngx_http_waav_ws_end(ws);
            goto done;
        }

        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "waav: WebSocket session idle, closed");
        ngx_http_waav_ws_fail(ws, "Connection closed due to inactivity",
                              WAAV_WS_CLOSE_NORMAL);
        ngx_http_waav_ws_write(ws);
        goto done;
    }

    /* a client that does not read what it asks for is not read either:
     * what is queued for it stays bounded (pongs, errors, results) */
    if (waav_ws_conn_queued(ws->conn) >= NGX_HTTP_WAAV_WS_HIGH_WATER) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "waav ws: the client's queue is full, reading waits");
        ws->read_paused = 1;
        ngx_http_waav_ws_write(ws);
        goto done;
    }

    if (waav_ws_conn_read(ws->conn) != 0) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "waav ws: the client's bytes end the session");
        ws->closing = 1;
    }

    if (!ws->closing && !ws->finished) {
        wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);
        ngx_add_timer(rev, wlcf->ws_idle_timeout);
    }

    if (!ws->finished && ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_waav_ws_end(ws);
        goto done;
    }

    ngx_http_waav_ws_write(ws);

done:

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_waav_ws_write_handler(ngx_event_t *wev)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;
    ngx_http_waav_ws_t  *ws;

    c = wev->data;
    r = ((ngx_http_request_t *) c->data)->main;
    ws = ngx_http_waav_ws_get(r);

    if (ws == NULL || ws->finished) {
        return;
    }

    ngx_http_set_log_request(c->log, r);

    if (wev->timedout) {
        /* the client stopped reading: what waits for it is dropped */
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "waav: WebSocket client stopped reading, %uz bytes "
                      "queued", waav_ws_conn_queued(ws->conn));
        c->timedout = 1;
        ngx_http_waav_ws_end(ws);
        goto done;
    }

    ngx_http_waav_ws_write(ws);

done:

    ngx_http_run_posted_requests(c);
}


/* the request's own wake-up: a provider call ended (nginx posts a
 * finished subrequest's parent: the session's request or a stand-in) */
static void
ngx_http_waav_ws_wake(ngx_http_request_t *r)
{
    ngx_http_waav_ws_t  *ws;

    ws = ngx_http_waav_ws_get(r);

    if (ws == NULL || ws->finished) {
        return;
    }

    /* a stand-in that was made active goes: its pool is about to */
    if (r->connection->data == r && r != ws->request) {
        r->connection->data = ws->request;
    }

    ngx_http_waav_ws_auth_wake(ws);
    ngx_http_waav_ws_tts_wake(ws);
    ngx_http_waav_ws_stt_wake(ws);
    ngx_http_waav_ws_write(ws);
}


/*
 * A stand-in parent for a provider call: a copy of the session's request
 * whose pool is the call's own.  nginx takes a subrequest's memory (the
 * request, its upstream, headers, variables) from its parent's pool: from
 * the session's request, every speak of an hour-long session would stay
 * until its end (7 KiB each); from the stand-in's, it goes with the call.
 * The subrequest's main request is still the session's: its counts, its
 * context, its posted requests, its cleanups.  active: the subrequest is
 * to be the connection's active request (a normal subrequest, whose
 * answer nginx streams), as nginx makes it when its parent is.
 */
ngx_http_request_t *
ngx_http_waav_ws_parent(ngx_http_waav_ws_t *ws, ngx_pool_t *pool,
    ngx_uint_t active)
{
    ngx_http_request_t  *r, *f;

    r = ws->request;

    f = ngx_palloc(pool, sizeof(ngx_http_request_t));
    if (f == NULL) {
        return NULL;
    }

    ngx_memcpy(f, r, sizeof(ngx_http_request_t));

    f->pool = pool;
    f->parent = r;
    f->postponed = NULL;
    f->posted_requests = NULL;
    f->read_event_handler = ngx_http_block_reading;
    f->write_event_handler = ngx_http_waav_ws_wake;

    if (active && r->connection->data == r && r->postponed == NULL) {
        r->connection->data = f;
    }

    return f;
}


/*
 * Before a call's pool goes: the connection's active request and its log's
 * request are the session's again, and the finished cleanups the call's
 * subrequest added to the session's request (the upstream's, cleared when
 * it finished) are unlinked.
 */
void
ngx_http_waav_ws_release(ngx_http_waav_ws_t *ws, ngx_http_request_t *parent)
{
    ngx_http_waav_subrequest_release(ws->request, parent);
}


/* --- sending --------------------------------------------------------------- */

ngx_int_t
ngx_http_waav_ws_send_text(ngx_http_waav_ws_t *ws, const char *p, size_t len)
{
    if (ws->closing || ws->finished) {
        return NGX_OK;
    }

    if (waav_ws_conn_text(ws->conn, p, len) != 0) {
        return NGX_ERROR;
    }

    ws->frames_out++;

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_ws_send_binary(ngx_http_waav_ws_t *ws, const u_char *p,
    size_t len)
{
    if (ws->closing || ws->finished) {
        return NGX_OK;
    }

    if (waav_ws_conn_binary(ws->conn, p, len) != 0) {
        return NGX_ERROR;
    }

    ws->frames_out++;

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_ws_send_error(ngx_http_waav_ws_t *ws, const char *message)
{
    char          *msg;
    size_t         len;
    waav_alloc_t   a;
    ngx_int_t      rc;
    ngx_pool_t    *pool;

    pool = ngx_create_pool(1024, ws->request->connection->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    ngx_http_waav_allocator(pool, &a);

    msg = waav_ws_error(&a, message, &len);

    rc = msg ? ngx_http_waav_ws_send_text(ws, msg, len) : NGX_ERROR;

    ngx_destroy_pool(pool);

    return rc;
}


void
ngx_http_waav_ws_fail(ngx_http_waav_ws_t *ws, const char *message,
    unsigned code)
{
    (void) ngx_http_waav_ws_send_error(ws, message);
    ngx_http_waav_ws_close(ws, code);
}


void
ngx_http_waav_ws_close(ngx_http_waav_ws_t *ws, unsigned code)
{
    ngx_connection_t  *c;

    if (ws->closing || ws->finished) {
        return;
    }

    c = ws->request->connection;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "waav ws: closing (%ui)", (ngx_uint_t) code);

    ngx_http_waav_ws_session_stop(ws);

    (void) waav_ws_conn_close(ws->conn, code);
    ws->closing = 1;

    /* the client's close is awaited a while, no longer */
    ngx_add_timer(c->read, NGX_HTTP_WAAV_WS_CLOSE_WAIT);
}


void
ngx_http_waav_ws_flush(ngx_http_waav_ws_t *ws)
{
    ngx_connection_t  *c;

    if (ws->finished) {
        return;
    }

    c = ws->request->connection;

    if (!c->write->posted) {
        ngx_post_event(c->write, &ngx_posted_events);
    }
}


/* sends what is queued; ends the session when it is over */
static void
ngx_http_waav_ws_write(ngx_http_waav_ws_t *ws)
{
    uint64_t                    sent;
    ngx_connection_t           *c;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_waav_loc_conf_t   *wlcf;

    if (ws->finished) {
        return;
    }

    c = ws->request->connection;
    sent = ws->bytes_out;

    if (waav_ws_conn_write(ws->conn) != 0) {
        c->error = 1;
        ngx_http_waav_ws_end(ws);
        return;
    }

    if (waav_ws_conn_want_write(ws->conn)) {
        if (ngx_handle_write_event(c->write, 0) != NGX_OK) {
            ngx_http_waav_ws_end(ws);
            return;
        }

        /* send_timeout: from the last time the client took a byte */
        if (!c->write->timer_set || ws->bytes_out != sent) {
            clcf = ngx_http_get_module_loc_conf(ws->request,
                                                ngx_http_core_module);
            ngx_add_timer(c->write, clcf->send_timeout);
        }

    } else if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    /* the idle timer: a provider call deletes the client's read timer
     * (ngx_http_upstream_init), it comes back here */
    if (!ws->closing && !c->read->timer_set) {
        wlcf = ngx_http_get_module_loc_conf(ws->request, ngx_http_waav_module);
        ngx_add_timer(c->read, wlcf->ws_idle_timeout);
    }

    if (ws->read_paused
        && waav_ws_conn_queued(ws->conn) < NGX_HTTP_WAAV_WS_HIGH_WATER / 2)
    {
        ws->read_paused = 0;
        ngx_post_event(c->read, &ngx_posted_events);
    }

    if (ws->backpressure
        && waav_ws_conn_queued(ws->conn) < NGX_HTTP_WAAV_WS_HIGH_WATER / 2)
    {
        ngx_http_waav_ws_tts_resume_output(ws);
    }

    if (waav_ws_conn_finished(ws->conn)
        || (ws->closing && !waav_ws_conn_want_write(ws->conn)
            && waav_ws_conn_close_sent(ws->conn)
            && !waav_ws_conn_want_read(ws->conn))
        || (!waav_ws_conn_want_read(ws->conn)
            && !waav_ws_conn_want_write(ws->conn)))
    {
        ngx_http_waav_ws_end(ws);
    }
}


/* --- the end ---------------------------------------------------------------- */

static void
ngx_http_waav_ws_end(ngx_http_waav_ws_t *ws)
{
    ngx_http_request_t  *r;

    if (ws->finished) {
        return;
    }

    r = ws->request;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav ws: session over: frames in %ui out %ui, "
                   "bytes in %uL out %uL", ws->frames_in, ws->frames_out,
                   ws->bytes_in, ws->bytes_out);

    /* a call the client heard nothing of is not charged (as on REST) */
    if (ws->job && ws->job->bytes == 0) {
        ngx_http_waav_limit_refund_q(r, ws->tts_quota, (uint64_t) -1);
    }

    if (ws->stt_job) {
        ngx_http_waav_limit_refund_q(r, ws->stt_quota, (uint64_t) -1);
    }

    ngx_http_waav_ws_session_stop(ws);
    ws->finished = 1;

    if (r->connection->read->timer_set) {
        ngx_del_timer(r->connection->read);
    }

    if (r->connection->write->timer_set) {
        ngx_del_timer(r->connection->write);
    }

    /* provider calls in flight are torn down with the request (nginx
     * terminates it: their cleanups run); the status logged stays 101 */
    ngx_http_finalize_request(r, NGX_ERROR);
}


static void
ngx_http_waav_ws_cleanup(void *data)
{
    ngx_http_waav_ws_t *ws = data;

    ngx_http_waav_metrics_ws(ws->request, 0);
    ngx_http_waav_ws_drop_speaks(ws);

    if (ws->job) {
        ngx_http_waav_ws_tts_local_stop(ws->job);

        if (ws->job->speak) {
            ngx_free(ws->job->speak);
        }

        if (ws->job->pool) {
            ngx_destroy_pool(ws->job->pool);
        }

        ws->job = NULL;
    }

    ngx_http_waav_ws_stt_free(ws);
    ngx_http_waav_ws_stream_cleanup(ws);
    ngx_http_waav_ws_local_stop(ws);
    ngx_http_waav_ws_auth_free(ws);

    if (ws->config_pool) {
        ngx_destroy_pool(ws->config_pool);
        ws->config_pool = NULL;
    }

    if (ws->conn) {
        waav_ws_conn_free(ws->conn);
        ws->conn = NULL;
    }
}


/* --- $waav_ws_* ------------------------------------------------------------- */

static ngx_int_t
ngx_http_waav_ws_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char              *p;
    ngx_msec_int_t       ms;
    ngx_http_waav_ws_t  *ws;

    ws = ngx_http_waav_ws_get(r);

    if (ws == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 8);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;

    switch (data) {

    case 0:
        ms = (ngx_msec_int_t) (ngx_current_msec - ws->start);
        ms = ngx_max(ms, 0);
        p = ngx_sprintf(p, "%T.%03M", (time_t) ms / 1000, ms % 1000);
        break;

    case 1:
        p = ngx_sprintf(p, "%ui", ws->frames_in);
        break;

    case 2:
        p = ngx_sprintf(p, "%ui", ws->frames_out);
        break;

    case 3:
        p = ngx_sprintf(p, "%uL", ws->bytes_in);
        break;

    default:
        p = ngx_sprintf(p, "%uL", ws->bytes_out);
        break;
    }

    v->len = p - v->data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_ws_add_variables(ngx_conf_t *cf)
{
    return ngx_http_waav_add_variables(cf, ngx_http_waav_ws_vars);
}
