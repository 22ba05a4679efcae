/*
 * waav: a WebSocket client to a provider (see ngx_http_waav_wsc.h).
 *
 * States: the handshake (a subrequest in the client's pool), then the
 * upgraded connection (taken over in the header filter), then over.  The
 * subrequest's end and the connection's end reach the owner from a posted
 * event, never from inside nginx's finalization or wslay's callbacks; the
 * owner may free the client from any callback (it is freed when the
 * callback returns).
 */

#include <openssl/rand.h>

#include "ngx_http_waav_wsc.h"
#include "ngx_http_waav_util.h"


extern ngx_module_t  ngx_http_waav_filter_module;


static ngx_int_t ngx_http_waav_wsc_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
static void ngx_http_waav_wsc_event(ngx_event_t *ev);
static void ngx_http_waav_wsc_read_handler(ngx_event_t *rev);
static void ngx_http_waav_wsc_write_handler(ngx_event_t *wev);
static void ngx_http_waav_wsc_over(ngx_http_waav_wsc_t *wsc, const char *why);
static void ngx_http_waav_wsc_close_connection(ngx_http_waav_wsc_t *wsc);
static void ngx_http_waav_wsc_destroy(ngx_http_waav_wsc_t *wsc);

static ssize_t ngx_http_waav_wsc_recv(void *data, uint8_t *buf, size_t len);
static ssize_t ngx_http_waav_wsc_send(void *data, const uint8_t *buf,
    size_t len);
static void ngx_http_waav_wsc_on_text(void *data, const char *msg,
    size_t len);
static void ngx_http_waav_wsc_on_too_large(void *data, uint64_t len);
static int ngx_http_waav_wsc_on_binary(void *data, const uint8_t *p,
    size_t len, int first);
static void ngx_http_waav_wsc_on_binary_end(void *data, uint64_t len);
static void ngx_http_waav_wsc_on_closed(void *data, unsigned code);


static const waav_ws_io_t  ngx_http_waav_wsc_io = {
    ngx_http_waav_wsc_recv,
    ngx_http_waav_wsc_send,
    ngx_http_waav_wsc_on_text,
    ngx_http_waav_wsc_on_too_large,
    ngx_http_waav_wsc_on_binary,
    ngx_http_waav_wsc_on_binary_end,
    ngx_http_waav_wsc_on_closed
};


/* --- the handshake --------------------------------------------------------- */

static ngx_int_t
ngx_http_waav_wsc_request(ngx_http_waav_wsc_t *wsc, waav_http_req_t *preq,
    waav_http_req_t *out)
{
    u_char      rnd[16];
    ngx_str_t   src, dst;
    waav_err_t  err;

    /* the key: 16 random bytes in base64 */
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return NGX_ERROR;
    }

    src.data = rnd;
    src.len = sizeof(rnd);
    dst.data = (u_char *) wsc->key;
    ngx_encode_base64(&dst, &src);
    wsc->key[24] = '\0';
    waav_ws_accept(wsc->key, 24, wsc->accept);

    *out = *preq;
    out->method = "GET";
    ngx_memzero(&err, sizeof(waav_err_t));

    if (waav_http_add_header(out, "Upgrade", "websocket", 9, &err) != 0
        || waav_http_add_header(out, "Connection", "Upgrade", 7, &err) != 0
        || waav_http_add_header(out, "Sec-WebSocket-Key", wsc->key, 24, &err)
           != 0
        || waav_http_add_header(out, "Sec-WebSocket-Version", "13", 2, &err)
           != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_http_waav_wsc_t *
ngx_http_waav_wsc_connect(ngx_http_request_t *pr, ngx_pool_t *pool,
    ngx_http_waav_provider_t *pv, ngx_str_t *location, waav_http_req_t *preq,
    const ngx_http_waav_wsc_handler_t *handler, void *data)
{
    waav_http_req_t            req;
    ngx_http_waav_wsc_t       *wsc;
    ngx_http_waav_provider_t  *at;

    wsc = ngx_calloc(sizeof(ngx_http_waav_wsc_t), pr->connection->log);
    if (wsc == NULL) {
        return NULL;
    }

    wsc->handler = handler;
    wsc->data = data;
    wsc->log = pr->connection->log;
    wsc->idle_timeout = 60000;
    wsc->send_timeout = 30000;

    wsc->event.handler = ngx_http_waav_wsc_event;
    wsc->event.data = wsc;
    wsc->event.log = wsc->log;

    /* messages may be queued before the connection is up */
    wsc->conn = waav_ws_conn_client_new(&ngx_http_waav_wsc_io, wsc);

    /* the provider, at the location given (a streaming host's own) */
    at = ngx_palloc(pool, sizeof(ngx_http_waav_provider_t));

    if (wsc->conn == NULL || at == NULL
        || ngx_http_waav_wsc_request(wsc, preq, &req) != NGX_OK)
    {
        goto failed;
    }

    *at = *pv;
    at->location = *location;

    if (ngx_http_waav_call(pr, at, &req, NULL, -1, ngx_http_waav_wsc_done,
                           wsc, NGX_HTTP_SUBREQUEST_BACKGROUND
                                |NGX_HTTP_SUBREQUEST_WAITED, &wsc->sr)
        != NGX_OK)
    {
        goto failed;
    }

    ngx_http_set_ctx(wsc->sr, wsc, ngx_http_waav_filter_module);
    wsc->pool = pool;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, wsc->log, 0,
                   "waav wsc: connecting to \"%V\" (%V)", &pv->name,
                   location);

    return wsc;

failed:

    if (wsc->conn) {
        waav_ws_conn_free(wsc->conn);
    }

    ngx_free(wsc);

    return NULL;
}


/* the 101's headers: Upgrade, Connection, Sec-WebSocket-Accept */
static const char *
ngx_http_waav_wsc_check(ngx_http_waav_wsc_t *wsc, ngx_http_upstream_t *u)
{
    ngx_table_elt_t  *h;

    h = ngx_http_waav_header(&u->headers_in.headers, "Upgrade");

    if (h == NULL || h->value.len != 9
        || ngx_strncasecmp(h->value.data, (u_char *) "websocket", 9) != 0)
    {
        return "the provider's 101 has no \"Upgrade: websocket\"";
    }

    h = ngx_http_waav_header(&u->headers_in.headers, "Connection");

    if (h == NULL
        || ngx_strlcasestrn(h->value.data, h->value.data + h->value.len,
                            (u_char *) "upgrade", 7 - 1)
           == NULL)
    {
        return "the provider's 101 has no \"Connection: upgrade\"";
    }

    h = ngx_http_waav_header(&u->headers_in.headers,
                                 "Sec-WebSocket-Accept");

    if (h == NULL || h->value.len != 28
        || ngx_strncmp(h->value.data, wsc->accept, 28) != 0)
    {
        return "the provider's Sec-WebSocket-Accept is wrong";
    }

    return NULL;
}


/* the upstream's connection becomes the client's */
static ngx_int_t
ngx_http_waav_wsc_take(ngx_http_waav_wsc_t *wsc, ngx_http_upstream_t *u)
{
    size_t             n;
    ngx_connection_t  *c;

    n = u->buffer.last - u->buffer.pos;

    if (n) {
        wsc->pre = ngx_alloc(n, wsc->log);
        if (wsc->pre == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(wsc->pre, u->buffer.pos, n);
        wsc->pre_len = n;
        u->buffer.pos = u->buffer.last;
    }

    c = u->peer.connection;
    u->peer.connection = NULL;      /* nginx closes it no more */

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    c->data = wsc;
    c->read->handler = ngx_http_waav_wsc_read_handler;
    c->write->handler = ngx_http_waav_wsc_write_handler;

    /* the session's log, saying what this connection does */
    wsc->conn_log = *c->log;
    wsc->conn_log.action = "talking to a provider's WebSocket";
    c->log = &wsc->conn_log;
    c->read->log = c->log;
    c->write->log = c->log;

    if (c->pool) {
        c->pool->log = c->log;
    }

    wsc->c = c;
    wsc->upgraded = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, wsc->log, 0,
                   "waav wsc: upgraded, %uz bytes came with the 101", n);

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_wsc_header_filter(ngx_http_request_t *r)
{
    const char           *why;
    ngx_http_upstream_t  *u;
    ngx_http_waav_wsc_t  *wsc;

    if (r == r->main) {
        return NGX_DECLINED;
    }

    wsc = ngx_http_get_module_ctx(r, ngx_http_waav_filter_module);

    if (wsc == NULL || wsc->sr != r) {
        return NGX_DECLINED;
    }

    u = r->upstream;
    wsc->status = r->headers_out.status;

    if (wsc->cancelled) {
        return NGX_ERROR;           /* nginx closes the connection */
    }

    if (wsc->status != NGX_HTTP_SWITCHING_PROTOCOLS || u == NULL
        || u->peer.connection == NULL)
    {
        /* a refusal: its body is kept for the error, nothing passes on */
        r->filter_need_in_memory = 1;
        return NGX_OK;
    }

    why = ngx_http_waav_wsc_check(wsc, u);

    if (why) {
        wsc->why = why;
        return NGX_ERROR;
    }

    if (ngx_http_waav_wsc_take(wsc, u) != NGX_OK) {
        wsc->why = "out of memory";
        return NGX_ERROR;
    }

    /* the subrequest ends here (its post_subrequest handler keeps the
     * session's request alive); the connection is no longer nginx's */
    return NGX_ERROR;
}


ngx_int_t
ngx_http_waav_wsc_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                n;
    ngx_chain_t          *cl;
    ngx_http_waav_wsc_t  *wsc;

    if (r == r->main) {
        return NGX_DECLINED;
    }

    wsc = ngx_http_get_module_ctx(r, ngx_http_waav_filter_module);

    if (wsc == NULL || wsc->sr != r) {
        return NGX_DECLINED;
    }

    for (cl = in; cl; cl = cl->next) {
        if (!ngx_buf_in_memory(cl->buf)) {
            continue;
        }

        n = ngx_min((size_t) (cl->buf->last - cl->buf->pos),
                    sizeof(wsc->body) - wsc->body_len);
        ngx_memcpy(wsc->body + wsc->body_len, cl->buf->pos, n);
        wsc->body_len += n;
        cl->buf->pos = cl->buf->last;
    }

    return NGX_OK;
}


/* the subrequest ended (inside nginx's finalization: the rest is posted) */
static ngx_int_t
ngx_http_waav_wsc_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_waav_wsc_t *wsc = data;

    ngx_http_waav_unused(sr);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, wsc->log, 0,
                   "waav wsc: handshake over: rc %i, status %ui, upgraded %d",
                   rc, wsc->status, wsc->upgraded);

    if (!wsc->upgraded && wsc->why == NULL && wsc->status == 0) {
        wsc->why = (rc == NGX_HTTP_GATEWAY_TIME_OUT)
                   ? "the provider did not answer in time"
                   : "could not reach the provider";
    }

    wsc->done = 1;
    ngx_post_event(&wsc->event, &ngx_posted_events);

    /* the session's request goes on: not an error for it */
    return NGX_OK;
}


/* posted: the handshake's end, or the connection's */
static void
ngx_http_waav_wsc_event(ngx_event_t *ev)
{
    ngx_http_waav_wsc_t *wsc = ev->data;

    if (wsc->pool && wsc->done) {
        ngx_http_waav_subrequest_release(wsc->sr->main, wsc->sr->parent);
        ngx_destroy_pool(wsc->pool);
        wsc->pool = NULL;
        wsc->sr = NULL;
    }

    if (wsc->cancelled) {
        ngx_http_waav_wsc_destroy(wsc);
        return;
    }

    if (wsc->over) {
        ngx_http_waav_wsc_over(wsc, wsc->why);
        return;
    }

    if (!wsc->upgraded) {
        if (wsc->why == NULL) {
            wsc->why = "the provider refused the upgrade";
        }

        ngx_http_waav_wsc_over(wsc, wsc->why);
        return;
    }

    if (wsc->opened) {
        return;
    }

    wsc->opened = 1;
    wsc->busy = 1;
    wsc->handler->open(wsc->data);
    wsc->busy = 0;

    if (wsc->freed) {
        ngx_http_waav_wsc_destroy(wsc);
        return;
    }

    /* what came with the 101, and what was queued meanwhile */
    ngx_http_waav_wsc_read_handler(wsc->c->read);
}


/* --- the connection -------------------------------------------------------- */

static ssize_t
ngx_http_waav_wsc_recv(void *data, uint8_t *buf, size_t len)
{
    ngx_http_waav_wsc_t *wsc = data;

    size_t   n;
    ssize_t  rc;

    if (wsc->pre_pos < wsc->pre_len) {
        n = ngx_min(len, wsc->pre_len - wsc->pre_pos);
        ngx_memcpy(buf, wsc->pre + wsc->pre_pos, n);
        wsc->pre_pos += n;
        return n;
    }

    if (wsc->c == NULL) {
        return WAAV_WS_IO_AGAIN;
    }

    rc = wsc->c->recv(wsc->c, buf, len);

    if (rc == NGX_AGAIN) {
        return WAAV_WS_IO_AGAIN;
    }

    return rc == NGX_ERROR ? WAAV_WS_IO_ERROR : rc;
}


static ssize_t
ngx_http_waav_wsc_send(void *data, const uint8_t *buf, size_t len)
{
    ngx_http_waav_wsc_t *wsc = data;

    ssize_t  rc;

    if (wsc->c == NULL || !wsc->opened) {
        return WAAV_WS_IO_AGAIN;
    }

    rc = wsc->c->send(wsc->c, (u_char *) buf, len);

    if (rc == NGX_AGAIN) {
        return WAAV_WS_IO_AGAIN;
    }

    return rc == NGX_ERROR ? WAAV_WS_IO_ERROR : rc;
}


static void
ngx_http_waav_wsc_on_text(void *data, const char *msg, size_t len)
{
    ngx_http_waav_wsc_t *wsc = data;

    if (wsc->over || wsc->freed) {
        return;
    }

    wsc->handler->text(wsc->data, msg, len);
}


static void
ngx_http_waav_wsc_on_too_large(void *data, uint64_t len)
{
    ngx_http_waav_wsc_t *wsc = data;

    ngx_log_error(NGX_LOG_WARN, wsc->log, 0,
                  "waav: a provider message of %uL bytes was dropped", len);
}


/* providers' binary messages are not used: dropped as they come */
static int
ngx_http_waav_wsc_on_binary(void *data, const uint8_t *p, size_t len,
    int first)
{
    ngx_http_waav_unused(data);
    ngx_http_waav_unused(p);
    ngx_http_waav_unused(len);
    ngx_http_waav_unused(first);

    return 0;
}


static void
ngx_http_waav_wsc_on_binary_end(void *data, uint64_t len)
{
    ngx_http_waav_unused(data);
    ngx_http_waav_unused(len);
}


static void
ngx_http_waav_wsc_on_closed(void *data, unsigned code)
{
    ngx_http_waav_wsc_t *wsc = data;

    wsc->close_code = code ? code : 1005;
}


static void
ngx_http_waav_wsc_write(ngx_http_waav_wsc_t *wsc)
{
    size_t        queued;
    ngx_event_t  *wev;

    wev = wsc->c->write;

    if (waav_ws_conn_write(wsc->conn) != 0) {
        ngx_http_waav_wsc_over(wsc, "the connection to the provider failed");
        return;
    }

    queued = waav_ws_conn_queued(wsc->conn);

    if (waav_ws_conn_want_write(wsc->conn)) {
        /* the provider reads no more: send_timeout from the last progress */
        if (!wev->timer_set || queued < wsc->last_queued) {
            ngx_add_timer(wev, wsc->send_timeout);
        }

    } else if (wev->timer_set) {
        ngx_del_timer(wev);
    }

    wsc->last_queued = queued;

    if (ngx_handle_write_event(wev, 0) != NGX_OK) {
        ngx_http_waav_wsc_over(wsc, "the connection to the provider failed");
    }
}


static void
ngx_http_waav_wsc_write_handler(ngx_event_t *wev)
{
    ngx_connection_t     *c;
    ngx_http_waav_wsc_t  *wsc;

    c = wev->data;
    wsc = c->data;

    if (wev->timedout) {
        wev->timedout = 0;
        ngx_http_waav_wsc_over(wsc, "the provider stopped reading");
        return;
    }

    ngx_http_waav_wsc_write(wsc);
}


static void
ngx_http_waav_wsc_read_handler(ngx_event_t *rev)
{
    ngx_int_t             rc;
    ngx_connection_t     *c;
    ngx_http_waav_wsc_t  *wsc;

    c = rev->data;
    wsc = c->data;

    if (rev->timedout) {
        rev->timedout = 0;
        ngx_http_waav_wsc_over(wsc, "the provider sent nothing in time");
        return;
    }

    wsc->busy = 1;
    rc = waav_ws_conn_read(wsc->conn);
    wsc->busy = 0;

    if (wsc->freed) {
        ngx_http_waav_wsc_destroy(wsc);
        return;
    }

    if (wsc->close_code || waav_ws_conn_finished(wsc->conn)) {
        /* the provider's close is answered (as far as the socket takes it) */
        (void) waav_ws_conn_write(wsc->conn);
        ngx_http_waav_wsc_over(wsc, NULL);
        return;
    }

    if (rc != 0) {
        /* a close of ours may be queued: sent as far as it goes */
        (void) waav_ws_conn_write(wsc->conn);
        ngx_http_waav_wsc_over(wsc, "the provider's WebSocket failed");
        return;
    }

    /* the provider's silence is timed from its last bytes */
    ngx_add_timer(rev, wsc->idle_timeout);

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_waav_wsc_over(wsc, "the connection to the provider failed");
        return;
    }

    ngx_http_waav_wsc_write(wsc);
}


/* queue and send what the socket takes now (once the connection is up) */
static ngx_int_t
ngx_http_waav_wsc_queued_now(ngx_http_waav_wsc_t *wsc, int rc)
{
    if (rc != 0) {
        return NGX_ERROR;
    }

    if (wsc->opened && wsc->c && !wsc->over && !wsc->busy) {
        /* the owner's call: a failure reaches it later, posted */
        wsc->busy = 1;
        ngx_http_waav_wsc_write(wsc);
        wsc->busy = 0;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_wsc_text(ngx_http_waav_wsc_t *wsc, const char *p, size_t len)
{
    if (wsc->over) {
        return NGX_ERROR;
    }

    return ngx_http_waav_wsc_queued_now(wsc,
               waav_ws_conn_text(wsc->conn, p, len));
}


ngx_int_t
ngx_http_waav_wsc_binary(ngx_http_waav_wsc_t *wsc, const u_char *p,
    size_t len)
{
    if (wsc->over) {
        return NGX_ERROR;
    }

    return ngx_http_waav_wsc_queued_now(wsc,
               waav_ws_conn_binary(wsc->conn, p, len));
}


size_t
ngx_http_waav_wsc_queued(ngx_http_waav_wsc_t *wsc)
{
    return wsc->conn ? waav_ws_conn_queued(wsc->conn) : 0;
}


/* --- the end --------------------------------------------------------------- */

/* the connection is over: closed now, the owner told (from a posted event
 * when inside a callback) */
static void
ngx_http_waav_wsc_over(ngx_http_waav_wsc_t *wsc, const char *why)
{
    wsc->over = 1;

    if (why && wsc->why == NULL) {
        wsc->why = why;
    }

    ngx_http_waav_wsc_close_connection(wsc);

    if (wsc->told || wsc->freed || wsc->cancelled) {
        return;
    }

    if (wsc->busy) {
        ngx_post_event(&wsc->event, &ngx_posted_events);
        return;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, wsc->log, 0,
                   "waav wsc: over: status %ui, close %ui, %s", wsc->status,
                   wsc->close_code, wsc->why ? wsc->why : "closed");

    wsc->told = 1;
    wsc->busy = 1;
    wsc->handler->closed(wsc->data, wsc->status, wsc->close_code,
                         wsc->why ? wsc->why : "the provider closed");
    wsc->busy = 0;

    if (wsc->freed) {
        ngx_http_waav_wsc_destroy(wsc);
    }
}


static void
ngx_http_waav_wsc_close_connection(ngx_http_waav_wsc_t *wsc)
{
    ngx_connection_t  *c;

    c = wsc->c;

    if (c == NULL) {
        return;
    }

    wsc->c = NULL;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, wsc->log, 0,
                   "waav wsc: close provider connection: %d", c->fd);

#if (NGX_HTTP_SSL)
    if (c->ssl) {
        c->ssl->no_wait_shutdown = 1;
        (void) ngx_ssl_shutdown(c);
    }
#endif

    if (c->pool) {
        ngx_destroy_pool(c->pool);
    }

    ngx_close_connection(c);
}


static void
ngx_http_waav_wsc_destroy(ngx_http_waav_wsc_t *wsc)
{
    /* a goodbye queued from a callback goes as far as it can */
    if (wsc->c && wsc->opened && !wsc->over) {
        (void) waav_ws_conn_write(wsc->conn);
    }

    ngx_http_waav_wsc_close_connection(wsc);

    /* freed from a callback of the connection before the posted event
     * released the finished handshake's memory */
    if (wsc->pool && wsc->done) {
        ngx_http_waav_subrequest_release(wsc->sr->main, wsc->sr->parent);
        ngx_destroy_pool(wsc->pool);
        wsc->pool = NULL;
    }

    if (wsc->queue.next) {
        ngx_queue_remove(&wsc->queue);
    }

    if (wsc->event.posted) {
        ngx_delete_posted_event(&wsc->event);
    }

    if (wsc->conn) {
        waav_ws_conn_free(wsc->conn);
    }

    ngx_free(wsc->pre);
    ngx_free(wsc);
}


void
ngx_http_waav_wsc_free(ngx_http_waav_wsc_t *wsc, ngx_uint_t code,
    ngx_uint_t final)
{
    /* a goodbye, sent as far as the socket takes it now (inside one of
     * its callbacks: once the callback returns) */
    if (wsc->c && wsc->opened && !wsc->over
        && waav_ws_conn_close(wsc->conn, code) == 0 && !wsc->busy)
    {
        (void) waav_ws_conn_write(wsc->conn);
    }

    if (wsc->busy) {
        /* the handshake is over when callbacks run (its memory, if still
         * there, goes in destroy()) */
        wsc->freed = 1;
        return;
    }

    ngx_http_waav_wsc_close_connection(wsc);

    if (wsc->pool && !final && !wsc->done) {
        /* the handshake's subrequest ends on its own; then it goes */
        wsc->cancelled = 1;
        return;
    }

    if (wsc->pool) {
        if (wsc->done) {
            ngx_http_waav_subrequest_release(wsc->sr->main,
                                             wsc->sr->parent);
        }

        /* final: the session's cleanups ran, the upstream's first */
        ngx_destroy_pool(wsc->pool);
        wsc->pool = NULL;
        wsc->sr = NULL;
    }

    ngx_http_waav_wsc_destroy(wsc);
}
