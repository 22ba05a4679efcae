/*
 * waav: authentication (waav_auth), API secrets and JWTs, in the access
 * phase.
 */

#ifndef NGX_HTTP_WAAV_AUTH_H
#define NGX_HTTP_WAAV_AUTH_H

#include "ngx_http_waav_module.h"


/* a verified token remembered by a worker */
#define NGX_HTTP_WAAV_CACHED_TOKEN_MAX  1024

typedef struct ngx_http_waav_token_s {
    time_t       expires;
    size_t       token_len;
    size_t       tenant_len;
    u_char       token[NGX_HTTP_WAAV_CACHED_TOKEN_MAX];
    u_char       tenant[WAAV_TENANT_MAX];
} ngx_http_waav_token_t;


char *ngx_http_waav_auth_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_waav_auth_secrets_json(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_waav_auth_jwt_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_waav_auth_jwt_jwks(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_waav_auth_init(ngx_conf_t *cf);
ngx_int_t ngx_http_waav_auth_add_variables(ngx_conf_t *cf);

/* a token from a /ws auth message (see ngx_http_waav_auth.c) */
ngx_int_t ngx_http_waav_auth_check(ngx_http_request_t *r, ngx_str_t *token,
    const char **message);

/* a token nginx refused as too large: 401; NGX_DECLINED when not one */
ngx_int_t ngx_http_waav_auth_header_filter(ngx_http_request_t *r);


#endif /* NGX_HTTP_WAAV_AUTH_H */
