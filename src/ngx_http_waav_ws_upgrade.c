/*
 * waav: the opening handshake of waav_ws (RFC 6455 4.2): the upgrade is
 * checked (GET over HTTP/1.1, Upgrade: websocket, Connection: upgrade,
 * Sec-WebSocket-Version: 13, a valid Sec-WebSocket-Key, no body), refused
 * with a JSON 400 or 426 otherwise, and answered with 101.  The session
 * that follows is ngx_http_waav_ws.c's.
 *
 *   location = /ws { waav_ws; }
 *   location = /ws { waav_ws tts_default=local; }  # the TTS provider of
 *                                  # a config whose tts_config names none
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
#include "ngx_http_waav_ws.h"
#include "waav_http.h"


#define NGX_HTTP_UPGRADE_REQUIRED    426


static ngx_int_t ngx_http_waav_ws_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_ws_check(ngx_http_request_t *r,
    ngx_str_t *key);
static ngx_table_elt_t *ngx_http_waav_ws_header(ngx_http_request_t *r,
    const char *name);
static ngx_int_t ngx_http_waav_ws_switch(ngx_http_request_t *r,
    ngx_str_t *key);


char *
ngx_http_waav_ws(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_loc_conf_t  *wlcf = conf;

    ngx_str_t  *value;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;

    /* tts_default=PROVIDER: a config's tts_config naming no provider
     * speaks with it (as waav_tts's default= for /speak) */
    if (cf->args->nelts == 2) {
        if (ngx_strncmp(value[1].data, "tts_default=", 12) != 0
            || !waav_ident_valid((char *) value[1].data + 12,
                                 value[1].len - 12))
        {
            return "takes \"tts_default=PROVIDER\"";
        }

        wlcf->tts_default.data = value[1].data + 12;
        wlcf->tts_default.len = value[1].len - 12;
    }

    wlcf->ws = 1;

    return ngx_http_waav_set_handler(cf, wlcf, ngx_http_waav_ws_handler);
}


/* --- the upgrade --------------------------------------------------------- */

static ngx_int_t
ngx_http_waav_ws_handler(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_str_t            key;
    ngx_http_waav_ws_t  *ws;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    if (r->method != NGX_HTTP_GET) {
        return ngx_http_waav_not_allowed(r, "GET", "GET");
    }

    ngx_str_null(&key);

    /* NGX_DECLINED: nothing to refuse; else the refusal was sent */
    rc = ngx_http_waav_ws_check(r, &key);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    ws = ngx_http_waav_ws_create(r);
    if (ws == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_waav_ws_switch(r, &key) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_waav_ws_start(ws);
}


/* 1 when the comma-separated header value has the token (any case) */
static ngx_flag_t
ngx_http_waav_ws_has_token(ngx_table_elt_t *h, const char *token)
{
    size_t   len;
    u_char  *p, *last, *start;

    if (h == NULL) {
        return 0;
    }

    len = ngx_strlen(token);
    p = h->value.data;
    last = p + h->value.len;

    while (p < last) {
        while (p < last && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        start = p;

        while (p < last && *p != ',' && *p != ' ' && *p != '\t') {
            p++;
        }

        if ((size_t) (p - start) == len
            && ngx_strncasecmp(start, (u_char *) token, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static ngx_table_elt_t *
ngx_http_waav_ws_header(ngx_http_request_t *r, const char *name)
{
    return ngx_http_waav_header(&r->headers_in.headers, name);
}


static ngx_int_t
ngx_http_waav_ws_refuse(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    static ngx_str_t  version = ngx_string("Sec-WebSocket-Version");
    static ngx_str_t  thirteen = ngx_string("13");
    static ngx_str_t  upgrade = ngx_string("Upgrade");
    static ngx_str_t  websocket = ngx_string("websocket");

    if (status == NGX_HTTP_UPGRADE_REQUIRED
        && (ngx_http_waav_add_header(r, &version, &thirteen) != NGX_OK
            || ngx_http_waav_add_header(r, &upgrade, &websocket) != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_waav_send_error(r, status, message, ngx_strlen(message),
                                    status == NGX_HTTP_UPGRADE_REQUIRED
                                    ? "UPGRADE_REQUIRED" : "INVALID_REQUEST");
}


/* RFC 6455 4.2.1: what an opening handshake must carry; NGX_DECLINED when
 * it does, else what sending the refusal returned */
static ngx_int_t
ngx_http_waav_ws_check(ngx_http_request_t *r, ngx_str_t *key)
{
    ngx_table_elt_t  *h;

    if (r->http_version != NGX_HTTP_VERSION_11
#if (NGX_HTTP_V2)
        || r->stream
#endif
       )
    {
        return ngx_http_waav_ws_refuse(r, NGX_HTTP_UPGRADE_REQUIRED,
                   "A WebSocket needs an HTTP/1.1 upgrade");
    }

    /* looked up, not taken from headers_in: nginx 1.22 does not keep the
     * Connection header there */
    if (!ngx_http_waav_ws_has_token(ngx_http_waav_ws_header(r, "Upgrade"),
                                    "websocket"))
    {
        return ngx_http_waav_ws_refuse(r, NGX_HTTP_UPGRADE_REQUIRED,
                   "Expected a WebSocket upgrade (Upgrade: websocket)");
    }

    if (!ngx_http_waav_ws_has_token(ngx_http_waav_ws_header(r, "Connection"),
                                    "upgrade"))
    {
        return ngx_http_waav_ws_refuse(r, NGX_HTTP_BAD_REQUEST,
                   "Expected Connection: upgrade");
    }

    h = ngx_http_waav_ws_header(r, "Sec-WebSocket-Version");

    if (h == NULL || h->value.len != 2
        || ngx_strncmp(h->value.data, "13", 2) != 0)
    {
        return ngx_http_waav_ws_refuse(r, NGX_HTTP_UPGRADE_REQUIRED,
                   "Sec-WebSocket-Version must be 13");
    }

    h = ngx_http_waav_ws_header(r, "Sec-WebSocket-Key");

    if (h == NULL || !waav_ws_key_valid((char *) h->value.data, h->value.len))
    {
        return ngx_http_waav_ws_refuse(r, NGX_HTTP_BAD_REQUEST,
                   "Sec-WebSocket-Key must be 16 bytes in base64");
    }

    /* a request body would be read as frames */
    if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
        return ngx_http_waav_ws_refuse(r, NGX_HTTP_BAD_REQUEST,
                   "A WebSocket upgrade has no body");
    }

    *key = h->value;

    return NGX_DECLINED;
}


/* 101 Switching Protocols, with the key's Sec-WebSocket-Accept */
static ngx_int_t
ngx_http_waav_ws_switch(ngx_http_request_t *r, ngx_str_t *key)
{
    char       *accept;
    ngx_int_t   rc;
    ngx_str_t   value;

    static ngx_str_t  upgrade = ngx_string("Upgrade");
    static ngx_str_t  websocket = ngx_string("websocket");
    static ngx_str_t  name = ngx_string("Sec-WebSocket-Accept");

    /* the header keeps pointing at it: the request's memory, not ours */
    accept = ngx_pnalloc(r->pool, 29);
    if (accept == NULL) {
        return NGX_ERROR;
    }

    waav_ws_accept((char *) key->data, key->len, accept);
    value.data = (u_char *) accept;
    value.len = 28;

    if (ngx_http_waav_add_header(r, &upgrade, &websocket) != NGX_OK
        || ngx_http_waav_add_header(r, &name, &value) != NGX_OK)
    {
        return NGX_ERROR;
    }

    r->headers_out.status = NGX_HTTP_SWITCHING_PROTOCOLS;
    ngx_str_set(&r->headers_out.status_line, "101 Switching Protocols");
    r->headers_out.content_length_n = -1;
    r->keepalive = 0;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_send_special(r, NGX_HTTP_FLUSH);

    /* frames go out with the connection's send: nothing of the 101 may be
     * left behind in nginx's buffers */
    if (rc == NGX_ERROR || r->connection->buffered) {
        return NGX_ERROR;
    }

    return NGX_OK;
}
