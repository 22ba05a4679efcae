/*
 * waav: JSON answers and errors, and nginx's own error pages as JSON.
 */

#ifndef NGX_HTTP_WAAV_RESPONSE_H
#define NGX_HTTP_WAAV_RESPONSE_H

#include "ngx_http_waav_module.h"


ngx_int_t ngx_http_waav_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len);
ngx_int_t ngx_http_waav_send_typed(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, u_char *body, size_t len);
ngx_int_t ngx_http_waav_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message, size_t len, const char *code);
/* the core's error, as {"error": message, "code": code} with its status */
ngx_int_t ngx_http_waav_send_err(ngx_http_request_t *r,
    const waav_err_t *err);
ngx_int_t ngx_http_waav_add_header(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value);
ngx_int_t ngx_http_waav_set_nosniff(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_not_allowed(ngx_http_request_t *r, const char *allow,
    const char *human);

/* the request's Content-Type is application/json (parameters allowed);
 * else the 415 JSON answer for a route that takes JSON */
ngx_flag_t ngx_http_waav_is_json(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_not_json(ngx_http_request_t *r);

/* waav_json_errors, or on where a waav handler runs */
ngx_flag_t ngx_http_waav_json_errors_on(ngx_http_request_t *r);

/* the JSON error page filter (ngx_http_waav_filter_module.c calls them) */
ngx_int_t ngx_http_waav_error_header_filter(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_error_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);

#define ngx_http_waav_error(r, status, message, code)                        \
    ngx_http_waav_send_error(r, status, message, sizeof(message) - 1, code)


#endif /* NGX_HTTP_WAAV_RESPONSE_H */
