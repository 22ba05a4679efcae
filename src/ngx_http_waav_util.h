/*
 * waav: helpers every concern uses: the request ctx, configuration values
 * (env:/file:/literal), content handlers, variables, the core's allocator.
 */

#ifndef NGX_HTTP_WAAV_UTIL_H
#define NGX_HTTP_WAAV_UTIL_H

#include "ngx_http_waav_module.h"


ngx_int_t ngx_http_waav_add_variables(ngx_conf_t *cf,
    ngx_http_variable_t *vars);
ngx_http_waav_ctx_t *ngx_http_waav_find_ctx(ngx_http_request_t *r);
ngx_http_waav_ctx_t *ngx_http_waav_get_ctx(ngx_http_request_t *r);
char *ngx_http_waav_conf_value(ngx_conf_t *cf, ngx_str_t *value, size_t max,
    ngx_uint_t trim, ngx_str_t *out);
char *ngx_http_waav_conf_value_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_waav_set_handler(ngx_conf_t *cf,
    ngx_http_waav_loc_conf_t *wlcf, ngx_http_handler_pt handler);
void ngx_http_waav_allocator(ngx_pool_t *pool, waav_alloc_t *a);
void ngx_http_waav_subrequest_release(ngx_http_request_t *main,
    ngx_http_request_t *parent);
ngx_table_elt_t *ngx_http_waav_header(ngx_list_t *headers, const char *name);
void ngx_http_waav_note_body_size(ngx_conf_t *cf,
    ngx_http_waav_loc_conf_t *wlcf);
void ngx_http_waav_note_auth(ngx_conf_t *cf);
ngx_int_t ngx_http_waav_read_body(ngx_http_request_t *r, size_t max,
    ngx_str_t *body, waav_err_t *err);


#endif /* NGX_HTTP_WAAV_UTIL_H */
