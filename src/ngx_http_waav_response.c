/*
 * waav: JSON responses.
 *
 * ngx_http_waav_send_json() / ngx_http_waav_send_error() are the only way
 * waav handlers answer.  The header and body filters below turn the stock
 * HTML error pages nginx itself generates (413 from client_max_body_size,
 * 400 on a bad request line, 500 when a handler fails, ...) into the same
 * {"error": "...", "code": "..."} shape in locations where waav_json_errors
 * is on, which it is by default wherever a waav handler runs.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_filter.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
#include "waav_json.h"




ngx_int_t
ngx_http_waav_add_header(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key = *key;
    h->value = *value;

    return NGX_OK;
}


/* once: the CORS header filter sets it on every answer too */
ngx_int_t
ngx_http_waav_set_nosniff(ngx_http_request_t *r)
{
    static ngx_str_t  key = ngx_string("X-Content-Type-Options");
    static ngx_str_t  value = ngx_string("nosniff");

    if (ngx_http_waav_header(&r->headers_out.headers,
                             "X-Content-Type-Options")
        != NULL)
    {
        return NGX_OK;
    }

    return ngx_http_waav_add_header(r, &key, &value);
}


/* 405 with Allow and a JSON error naming the methods */
ngx_int_t
ngx_http_waav_not_allowed(ngx_http_request_t *r, const char *allow,
    const char *human)
{
    u_char     *p, *last;
    u_char      msg[64];
    ngx_str_t   key, value;

    ngx_str_set(&key, "Allow");
    value.data = (u_char *) allow;
    value.len = ngx_strlen(allow);

    if (ngx_http_waav_add_header(r, &key, &value) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = msg + sizeof(msg);
    p = ngx_slprintf(msg, last, "Method not allowed: use %s", human);

    return ngx_http_waav_send_error(r, NGX_HTTP_NOT_ALLOWED, (char *) msg,
                                    p - msg, "METHOD_NOT_ALLOWED");
}


static void
ngx_http_waav_set_type(ngx_http_request_t *r, const char *type)
{
    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_type_hash = 0;
    r->headers_out.charset.len = 0;
}


ngx_int_t
ngx_http_waav_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len)
{
    return ngx_http_waav_send_typed(r, status, "application/json", body, len);
}


/* a computed answer of the given (static) type */
ngx_int_t
ngx_http_waav_send_typed(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, u_char *body, size_t len)
{
    ngx_int_t    rc;
    ngx_buf_t   *b;
    ngx_chain_t  out;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    /* computed answers: conditional headers must not make them 304/412 */
    r->disable_not_modified = 1;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    ngx_http_waav_set_type(r, type);

    if (ngx_http_waav_set_nosniff(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = (len != 0);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* "application/json", then nothing, blanks or parameters */
ngx_flag_t
ngx_http_waav_is_json(ngx_http_request_t *r)
{
    u_char  *p, *last;

    if (r->headers_in.content_type == NULL) {
        return 0;
    }

    p = r->headers_in.content_type->value.data;
    last = p + r->headers_in.content_type->value.len;

    if (last - p < 16
        || ngx_strncasecmp(p, (u_char *) "application/json", 16) != 0)
    {
        return 0;
    }

    for (p += 16; p < last && (*p == ' ' || *p == '\t'); p++) {
        /* void */
    }

    return p == last || *p == ';';
}


ngx_int_t
ngx_http_waav_not_json(ngx_http_request_t *r)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav: the body is not application/json");

    return ngx_http_waav_error(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                               "Expected request with Content-Type: "
                               "application/json",
                               "UNSUPPORTED_MEDIA_TYPE");
}


ngx_int_t
ngx_http_waav_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message, size_t len, const char *code)
{
    u_char  *body;
    size_t   size;

    size = waav_json_error(NULL, 0, message, len, code);

    body = ngx_pnalloc(r->pool, size);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    (void) waav_json_error((char *) body, size, message, len, code);

    return ngx_http_waav_send_json(r, status, body, size);
}


ngx_int_t
ngx_http_waav_send_err(ngx_http_request_t *r, const waav_err_t *err)
{
    return ngx_http_waav_send_error(r, err->status, err->message,
                                    ngx_strlen(err->message), err->code);
}


ngx_flag_t
ngx_http_waav_json_errors_on(ngx_http_request_t *r)
{
    ngx_http_waav_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->json_errors == NGX_CONF_UNSET) {
        return wlcf->handled;
    }

    return wlcf->json_errors;
}


ngx_int_t
ngx_http_waav_error_header_filter(ngx_http_request_t *r)
{
    size_t                      size;
    ngx_http_waav_ctx_t        *ctx;
    const waav_status_info_t   *info;

    /*
     * Only nginx's own error pages: ngx_http_special_response_handler()
     * sets err_status; a page from the user's error_page directive
     * (an internal redirect) is left alone.
     */

    if (r != r->main
        || r->err_status < NGX_HTTP_BAD_REQUEST
        || (r->error_page && r->internal)
        || !ngx_http_waav_json_errors_on(r))
    {
        return ngx_http_waav_next_header_filter(r);
    }

    ctx = ngx_http_waav_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    info = waav_status_info((int) r->headers_out.status);

    size = waav_json_error(NULL, 0, info->message, ngx_strlen(info->message),
                           info->code);

    ctx->error_body.data = ngx_pnalloc(r->pool, size);
    if (ctx->error_body.data == NULL) {
        return NGX_ERROR;
    }

    ctx->error_body.len = waav_json_error((char *) ctx->error_body.data, size,
                                          info->message,
                                          ngx_strlen(info->message),
                                          info->code);
    ctx->error_json = 1;

    ngx_http_waav_set_type(r, "application/json");
    r->headers_out.content_length_n = ctx->error_body.len;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    if (ngx_http_waav_set_nosniff(r) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_waav_next_header_filter(r);
}


ngx_int_t
ngx_http_waav_error_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t                  *b;
    ngx_uint_t                  last;
    ngx_chain_t                *cl, out;
    ngx_http_waav_ctx_t        *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_waav_module);

    if (ctx == NULL || !ctx->error_json || r->header_only || in == NULL) {
        return ngx_http_waav_next_body_filter(r, in);
    }

    /* swallow nginx's HTML page, keep only whether it ended */

    last = 0;

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;

        if (cl->buf->last_buf || cl->buf->last_in_chain) {
            last = 1;
        }
    }

    if (ctx->error_sent && !last) {
        /* nothing new to send, but what is buffered must still go out */
        return ngx_http_waav_next_body_filter(r, NULL);
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    if (!ctx->error_sent) {
        b->pos = ctx->error_body.data;
        b->last = ctx->error_body.data + ctx->error_body.len;
        b->memory = 1;
        ctx->error_sent = 1;
    }

    b->last_buf = last;
    b->last_in_chain = last;

    if (!last) {
        b->flush = 1;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_waav_next_body_filter(r, &out);
}
