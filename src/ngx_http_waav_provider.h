/*
 * waav: providers declared with waav_provider, and calls to them as
 * subrequests to their internal locations.
 */

#ifndef NGX_HTTP_WAAV_PROVIDER_H
#define NGX_HTTP_WAAV_PROVIDER_H

#include "ngx_http_waav_module.h"
#include "waav_registry.h"


/* a provider declared with waav_provider */
typedef struct {
    ngx_str_t                    name;      /* what clients call it */
    ngx_str_t                    type;      /* which adapter speaks to it */
    const waav_provider_type_t  *ptype;     /* the type's registry row */
    ngx_str_t                    key;       /* empty: none configured */
    ngx_str_t                    location;  /* internal, no '/' at its end */
    ngx_str_t                    stream_location;   /* streaming STT's */
    const waav_tts_adapter_t    *tts;       /* NULL: the type has no TTS */
    const waav_stt_adapter_t    *stt;       /* NULL: the type has no STT */
    unsigned                     usable:1;  /* has a key, or needs none */
    unsigned                     byok:1;    /* a copy with a client's key
                                             * (ngx_http_waav_byok.c) */

    /* a token exchange (an adapter's cred has exchange()) */
    const waav_cred_t           *cred;      /* NULL: none */
    ngx_str_t                    token_location;    /* its requests' */
    void                        *cred_zone; /* the "waav_cred" zone */
    ngx_uint_t                   cred_slot; /* its token's slot there */
    uint32_t                     cred_id;   /* name and key, hashed */

    /* a credential scheme that signs (AWS SigV4): url= (by default the
     * registry's base URL) as the Host header and path its location
     * sends, and region= (by default the registry's) */
    ngx_str_t                    url;
    ngx_str_t                    region;
    ngx_str_t                    sign_host;
    ngx_str_t                    sign_path;
} ngx_http_waav_provider_t;


/* what a provider call came to, for ngx_http_waav_provider_error() */
typedef struct {
    ngx_int_t     rc;               /* the subrequest's */
    ngx_uint_t    status;           /* the provider's; 0: no answer */
    ngx_str_t     retry_after;
    u_char       *body;             /* the provider's answer */
    size_t        body_len;
    const char   *empty;            /* a 2xx without it: "no audio" */
} ngx_http_waav_failure_t;


char *ngx_http_waav_provider(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_waav_provider_init(ngx_conf_t *cf);

ngx_http_waav_provider_t *ngx_http_waav_provider_find(ngx_http_request_t *r,
    waav_str_t name);
void ngx_http_waav_provider_secret(ngx_http_waav_provider_t *p,
    waav_secret_t *secret);
ngx_int_t ngx_http_waav_provider_list(ngx_http_request_t *r,
    ngx_uint_t tts, u_char *buf, size_t size, size_t *len);

ngx_int_t ngx_http_waav_call(ngx_http_request_t *r,
    ngx_http_waav_provider_t *pv, waav_http_req_t *preq, ngx_chain_t *body,
    off_t len, ngx_http_post_subrequest_pt handler, void *data,
    ngx_uint_t flags, ngx_http_request_t **psr);
/* what a failed call tells the client (logged; a refused token dropped) */
void ngx_http_waav_provider_failure(ngx_http_request_t *r,
    ngx_http_waav_provider_t *p, ngx_http_waav_failure_t *f, waav_err_t *err);
ngx_int_t ngx_http_waav_provider_error(ngx_http_request_t *r,
    ngx_http_waav_provider_t *p, ngx_http_waav_failure_t *f);
ngx_str_t ngx_http_waav_retry_after(ngx_http_request_t *sr);


#endif /* NGX_HTTP_WAAV_PROVIDER_H */
