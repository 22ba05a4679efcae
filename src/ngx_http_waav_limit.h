/*
 * waav: limits (waav_limit_zone, waav_limit): rates and concurrency in the
 * pre-content phase, cost quotas charged by the TTS and STT handlers.
 */

#ifndef NGX_HTTP_WAAV_LIMIT_H
#define NGX_HTTP_WAAV_LIMIT_H

#include "ngx_http_waav_module.h"


/* waav_limit_log_level: info, notice, warn, error (as limit_req's) */
extern ngx_conf_enum_t  ngx_http_waav_limit_log_levels[];

char *ngx_http_waav_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_waav_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_waav_limit_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_waav_limit_init(ngx_conf_t *cf);

ngx_int_t ngx_http_waav_limit_charge_tts(ngx_http_request_t *r,
    uint64_t chars, void (*resume)(ngx_http_request_t *r), waav_err_t *err);
ngx_int_t ngx_http_waav_limit_charge_stt(ngx_http_request_t *r,
    uint64_t seconds, void (*resume)(ngx_http_request_t *r), waav_err_t *err);
ngx_int_t ngx_http_waav_limit_true_up_stt(ngx_http_request_t *r,
    uint64_t seconds, void (*resume)(ngx_http_request_t *r));
void ngx_http_waav_limit_refund(ngx_http_request_t *r, uint64_t units);


#endif /* NGX_HTTP_WAAV_LIMIT_H */
