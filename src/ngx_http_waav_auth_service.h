/*
 * waav: WaaV's external auth service (AUTH_SERVICE_URL), asked with a
 * subrequest, its answers kept a short while in shared memory.
 */

#ifndef NGX_HTTP_WAAV_AUTH_SERVICE_H
#define NGX_HTTP_WAAV_AUTH_SERVICE_H

#include "ngx_http_waav_module.h"


/* one question to the service (ctx->auth_call) */
typedef struct {
    ngx_pool_t                  *pool;      /* the call's */
    ngx_http_request_t          *parent;    /* the subrequest's */
    ngx_http_request_t          *sr;
    unsigned                     session:1; /* a /ws session's: posted */
    ngx_int_t                    rc;
    ngx_uint_t                   status;
    u_char                      *body;
    size_t                       len;
    u_char                       key[32];   /* SHA-256 of what is cached */
    unsigned                     done:1;
} ngx_http_waav_auth_call_t;

/* what the service said */
typedef struct {
    ngx_uint_t                   status;    /* to the client; 0: allowed */
    const char                  *code;
    u_char                      *message;   /* NUL-terminated */
} ngx_http_waav_auth_verdict_t;


char *ngx_http_waav_auth_service(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * Asks the service about token for r (the main request).  NGX_OK: its
 * cached answer allowed it (the tenant is set); NGX_AGAIN: the question is
 * out, with parent as the subrequest's parent (r itself in the access
 * phase, then run again by nginx) in pool; session: a /ws session's
 * stand-in parent, the session's request posted when the answer is in;
 * NGX_ERROR.
 */
ngx_int_t ngx_http_waav_auth_service_ask(ngx_http_request_t *r,
    ngx_str_t *token, ngx_pool_t *pool, ngx_http_request_t *parent,
    ngx_uint_t session);

/* the answer: NGX_OK allowed (the tenant is set, the answer cached);
 * NGX_DECLINED refused (*v says how); NGX_AGAIN: not in yet */
ngx_int_t ngx_http_waav_auth_service_verdict(ngx_http_request_t *r,
    ngx_http_waav_auth_verdict_t *v);


#endif /* NGX_HTTP_WAAV_AUTH_SERVICE_H */
