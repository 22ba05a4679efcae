/*
 * waav: GET /voices (waav_voices) and POST /voices/clone
 * (waav_voices_clone): provider calls whose answers are collected in
 * memory by the filters here, bounded.
 */

#ifndef NGX_HTTP_WAAV_VOICES_H
#define NGX_HTTP_WAAV_VOICES_H

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_provider.h"
#include "waav_voices.h"


/* one provider call of a /voices request, and its answer */
typedef struct {
    ngx_http_waav_provider_t     *provider;
    const waav_voices_adapter_t  *va;
    ngx_http_request_t           *sr;
    waav_http_req_t               preq;

    ngx_int_t                     rc;       /* the subrequest's */
    ngx_uint_t                    status;   /* the provider's; 0: none */
    u_char                       *body;     /* the answer, kept */
    size_t                        len;
    size_t                        cap;
    size_t                        max;      /* the most kept */

    waav_voice_list_t             list;     /* parsed */
    waav_str_t                    token;    /* exchanged for its key */
    unsigned                      done:1;
    unsigned                      too_big:1;
    unsigned                      ok:1;     /* list is usable */
} ngx_http_waav_voices_call_t;


typedef struct {
    ngx_http_waav_voices_call_t  *calls;
    ngx_uint_t                    n;
    ngx_uint_t                    pending;
    ngx_uint_t                    next;     /* the next call to make */
    ngx_http_handler_pt           done;     /* on main, all answered */
    void                         *clone;    /* the clone request's */
    unsigned                      byok:1;   /* one provider, the caller's
                                             * key */
    unsigned                      cache:1;  /* through the cached
                                             * locations */
} ngx_http_waav_voices_ctx_t;


char *ngx_http_waav_voices(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_waav_voices_clone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* a call with the provider's credentials for these calls; through loc
 * (NULL: the provider's own location); NGX_ERROR: err set */
ngx_int_t ngx_http_waav_voices_call(ngx_http_request_t *r,
    ngx_http_waav_voices_ctx_t *ctx, ngx_http_waav_voices_call_t *c,
    ngx_str_t *loc, ngx_chain_t *body, off_t len, waav_err_t *err);

/* the provider answer's filters (NGX_DECLINED: not one of these calls) */
ngx_int_t ngx_http_waav_voices_header_filter(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_voices_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


#endif /* NGX_HTTP_WAAV_VOICES_H */
