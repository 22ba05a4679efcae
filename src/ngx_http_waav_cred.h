/*
 * waav: the credentials hook's glue: tokens exchanged for a provider's
 * key, kept in shared memory (see src/core/waav_cred.h).
 */

#ifndef NGX_HTTP_WAAV_CRED_H
#define NGX_HTTP_WAAV_CRED_H

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_provider.h"


/* called on the main request once the token is there (or failed) */
typedef void (*ngx_http_waav_cred_done_pt)(ngx_http_request_t *r);


/* at postconfiguration: the zone, when a provider exchanges its key */
ngx_int_t ngx_http_waav_cred_init(ngx_conf_t *cf);

/*
 * The secret for a call to provider p with credentials cred: the key and,
 * when cred exchanges it, a token.  NGX_OK: secret is filled; NGX_AGAIN: a
 * token is on its way, done(r) is called when it is (and calls this
 * again); NGX_ERROR: err is set (502 PROVIDER_AUTH_FAILED, 500).
 */
ngx_int_t ngx_http_waav_cred_secret(ngx_http_request_t *r,
    ngx_http_waav_provider_t *p, const waav_cred_t *cred,
    waav_secret_t *secret, ngx_http_waav_cred_done_pt done, waav_err_t *err);

/* a new call on the same request: the token is looked up again */
void ngx_http_waav_cred_renew(ngx_http_request_t *r);

/* a provider refused the token it was sent (401): the next call
 * exchanges again */
void ngx_http_waav_cred_refused(ngx_http_request_t *r,
    ngx_http_waav_provider_t *p);

/* the exchange's answer (NGX_DECLINED: not an exchange subrequest) */
ngx_int_t ngx_http_waav_cred_header_filter(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_cred_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


#endif /* NGX_HTTP_WAAV_CRED_H */
