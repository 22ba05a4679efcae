/*
 * waav: a WebSocket client to a provider, on nginx's event loop.
 *
 * The opening handshake is a subrequest to the provider's internal
 * location (/_waav/NAME/ or its streaming twin), so the connection is the
 * one every REST call makes: the address from `upstream waav_NAME {}`, an
 * idle keepalive connection when there is one, TLS through nginx's SSL
 * layer with the location's proxy_ssl_* verification, SNI and CA, its
 * connect and read timeouts.  The location sends the subrequest's Upgrade
 * and Connection headers (proxy_set_header ... $http_upgrade and
 * $http_connection, written by scripts/providers-conf.sh).  When the
 * provider answers 101, the header filter checks Upgrade, Connection and
 * Sec-WebSocket-Accept and takes the upstream connection over from nginx
 * (nginx itself refuses an upgrade in a subrequest); the subrequest then
 * ends and its memory goes.  Any other answer is a refusal: its status and
 * the start of its body are kept for the error.
 *
 * After that the connection is ours: framing by the same wslay wrapper as
 * /ws in client mode (src/core/waav_ws_conn.c, masking keys from OpenSSL),
 * read and write events, an idle timer (nothing received from the
 * provider), a send timer (the provider stopped reading).  Messages queued
 * before the connection is up are sent once it is.  Provider-neutral: it
 * knows nothing of speech.
 */

#ifndef NGX_HTTP_WAAV_WSC_H
#define NGX_HTTP_WAAV_WSC_H

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_provider.h"
#include "waav_ws_conn.h"


typedef struct ngx_http_waav_wsc_s  ngx_http_waav_wsc_t;

typedef struct {
    /* the provider accepted the upgrade */
    void          (*open)(void *data);

    /* a whole text message from the provider (NUL-terminated) */
    void          (*text)(void *data, const char *p, size_t len);

    /*
     * The connection is over: a refusal (status: the HTTP status, 0 when
     * there was no answer), a close from the provider (code), a timeout
     * or a failure; why says it for people (NUL-terminated, never the
     * key).  Nothing is called after this; the owner frees the client.
     */
    void          (*closed)(void *data, ngx_uint_t status, ngx_uint_t code,
                            const char *why);
} ngx_http_waav_wsc_handler_t;


struct ngx_http_waav_wsc_s {
    const ngx_http_waav_wsc_handler_t  *handler;
    void                               *data;
    ngx_log_t                          *log;

    /* in the owner's list of its clients (unlinked when freed) */
    ngx_queue_t                         queue;

    /* the handshake: a stand-in parent and the subrequest, in their pool */
    ngx_pool_t                         *pool;
    ngx_http_request_t                 *sr;
    char                                key[25];
    char                                accept[29];

    /* a refusal's status and the start of its body */
    ngx_uint_t                          status;
    u_char                              body[256];
    size_t                              body_len;
    const char                         *why;

    /* the connection, once upgraded, and bytes read with the 101 */
    ngx_connection_t                   *c;
    waav_ws_conn_t                     *conn;
    u_char                             *pre;
    size_t                              pre_len;
    size_t                              pre_pos;

    ngx_event_t                         event;      /* posted: handshake
                                                     * over, or closed */
    ngx_log_t                           conn_log;
    ngx_msec_t                          idle_timeout;
    ngx_msec_t                          send_timeout;
    size_t                              last_queued;
    ngx_uint_t                          close_code;     /* the provider's */

    unsigned                            done:1;     /* the subrequest */
    unsigned                            upgraded:1;
    unsigned                            opened:1;   /* open() was called */
    unsigned                            over:1;     /* closed() due */
    unsigned                            told:1;     /* closed() called */
    unsigned                            cancelled:1;    /* owner left */
    unsigned                            busy:1;     /* in a callback */
    unsigned                            freed:1;    /* free() in one */
};


/*
 * A client (malloc()ed) whose first request goes to pr's subrequest to
 * the provider's location (uri: the location and the adapter's path),
 * with the adapter's args and headers.  pool: the handshake's, pr its
 * stand-in there; the client destroys it.  NULL on failure (pool not
 * destroyed).
 */
ngx_http_waav_wsc_t *ngx_http_waav_wsc_connect(ngx_http_request_t *pr,
    ngx_pool_t *pool, ngx_http_waav_provider_t *pv, ngx_str_t *location,
    waav_http_req_t *preq, const ngx_http_waav_wsc_handler_t *handler,
    void *data);

/* queue a message; NGX_ERROR: out of memory or closing */
ngx_int_t ngx_http_waav_wsc_text(ngx_http_waav_wsc_t *wsc, const char *p,
    size_t len);
ngx_int_t ngx_http_waav_wsc_binary(ngx_http_waav_wsc_t *wsc, const u_char *p,
    size_t len);

/* payload bytes queued, not yet sent */
size_t ngx_http_waav_wsc_queued(ngx_http_waav_wsc_t *wsc);

/*
 * The owner is done with it: what is queued (a close with code included)
 * is sent as far as the socket takes it now, then the connection is
 * closed; a handshake in flight is abandoned (its subrequest ends on its
 * own, then the client is freed).  final: the session's request is going
 * (its cleanups ran): everything is freed now.  No callback after this.
 */
void ngx_http_waav_wsc_free(ngx_http_waav_wsc_t *wsc, ngx_uint_t code,
    ngx_uint_t final);

/* the filters' part: NGX_DECLINED when r is not a client's handshake */
ngx_int_t ngx_http_waav_wsc_header_filter(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_wsc_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


#endif /* NGX_HTTP_WAAV_WSC_H */
