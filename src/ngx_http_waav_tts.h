/*
 * waav: text to speech (waav_tts): WaaV's POST /speak and OpenAI's
 * POST /v1/audio/speech, the provider's audio streamed to the client.
 */

#ifndef NGX_HTTP_WAAV_TTS_H
#define NGX_HTTP_WAAV_TTS_H

#include "ngx_http_waav_module.h"


char *ngx_http_waav_tts(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_waav_tts_add_variables(ngx_conf_t *cf);

/* the provider subrequest's output (the filter module calls them);
 * NGX_DECLINED: not a TTS subrequest */
ngx_int_t ngx_http_waav_tts_header_filter(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_tts_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


#endif /* NGX_HTTP_WAAV_TTS_H */
