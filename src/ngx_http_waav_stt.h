/*
 * waav: speech to text (waav_stt): raw audio or OpenAI's multipart form
 * in, one normalized JSON answer (or OpenAI's formats) out.
 */

#ifndef NGX_HTTP_WAAV_STT_H
#define NGX_HTTP_WAAV_STT_H

#include "ngx_http_waav_module.h"


char *ngx_http_waav_stt(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* keeps the first bytes of the client body as it arrives (the filter
 * module calls it) */
ngx_int_t ngx_http_waav_stt_request_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


/* bound the provider's in-memory answer (the filter module calls them for
 * in-memory subrequests) */
ngx_int_t ngx_http_waav_stt_header_filter(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_stt_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


#endif /* NGX_HTTP_WAAV_STT_H */
