/*
 * waav: a provider's answer through a streaming transform of the core
 * (waav_xform.h), as it arrives: the TTS response hook (audio inside
 * JSON).  The output buffers are reused once sent, as nginx's own
 * filters do (ngx_chain_get_free_buf, ngx_chain_update_chains).
 */

#ifndef NGX_HTTP_WAAV_XFORM_H
#define NGX_HTTP_WAAV_XFORM_H

#include "ngx_http_waav_module.h"
#include "waav_xform.h"


typedef struct {
    const waav_xform_t  *x;         /* set by the caller */
    void                *state;
    ngx_chain_t         *free;
    ngx_chain_t         *busy;
} ngx_http_waav_xform_t;


/* *in becomes what the transform makes of it (flags kept); NGX_DECLINED
 * when the answer is not what the transform expects */
ngx_int_t ngx_http_waav_xform(ngx_http_request_t *r,
    ngx_http_waav_xform_t *xf, ngx_chain_t **in);

/* after the output went on: its sent buffers back to the free list */
void ngx_http_waav_xform_sent(ngx_http_request_t *r,
    ngx_http_waav_xform_t *xf, ngx_chain_t *out);


#endif /* NGX_HTTP_WAAV_XFORM_H */
