/*
 * waav: CORS as WaaV's CORS_ALLOWED_ORIGINS (waav_cors), and the security
 * headers WaaV puts on every answer.
 */

#ifndef NGX_HTTP_WAAV_CORS_H
#define NGX_HTTP_WAAV_CORS_H

#include "ngx_http_waav_module.h"


/* waav_cors off | same-origin | * | ORIGIN ...; */
#define NGX_HTTP_WAAV_CORS_OFF     0
#define NGX_HTTP_WAAV_CORS_SAME    1
#define NGX_HTTP_WAAV_CORS_ANY     2
#define NGX_HTTP_WAAV_CORS_LIST    3


char *ngx_http_waav_cors(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_waav_cors_merge(ngx_http_waav_loc_conf_t *prev,
    ngx_http_waav_loc_conf_t *conf);

/* the rewrite-phase handler answering preflights */
ngx_int_t ngx_http_waav_cors_init(ngx_conf_t *cf);

/* a main request's answer: X-Frame-Options, nosniff and CORS headers */
ngx_int_t ngx_http_waav_cors_header_filter(ngx_http_request_t *r);


#endif /* NGX_HTTP_WAAV_CORS_H */
