/*
 * waav: waav_metrics, Prometheus metrics from a shared memory zone, and
 * the log variables ($waav_provider, $waav_ttfb, ...).
 *
 * The concerns tell what happened with one-line calls below; the log
 * phase counts each request once, from its ctx.
 */

#ifndef NGX_HTTP_WAAV_METRICS_H
#define NGX_HTTP_WAAV_METRICS_H

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_redis.h"


char *ngx_http_waav_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_waav_metrics_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_waav_metrics_init(ngx_conf_t *cf);
ngx_int_t ngx_http_waav_metrics_add_variables(ngx_conf_t *cf);

/* a provider was chosen (stt: for a transcription) */
void ngx_http_waav_metrics_provider(ngx_http_request_t *r, ngx_str_t *name,
    waav_str_t *model, const char *default_model, ngx_uint_t stt);
/* its call went out (the first one counts), it answered with a status */
void ngx_http_waav_metrics_call(ngx_http_request_t *r);
void ngx_http_waav_metrics_answer(ngx_http_request_t *r, ngx_uint_t status);
/* the client's first audio byte is on its way */
void ngx_http_waav_metrics_first_audio(ngx_http_request_t *r);
/* what the provider was given: text characters, audio seconds */
void ngx_http_waav_metrics_usage(ngx_http_request_t *r, uint64_t n);
/* a waav_limit line refused the request (zone NULL: the backend is away) */
void ngx_http_waav_metrics_refused(ngx_http_request_t *r, ngx_str_t *zone,
    const char *kind);
/* a Redis backend became ready (1), was lost (-1) or failed (0) */
void ngx_http_waav_metrics_redis(ngx_http_waav_redis_t *rd, ngx_int_t up);
/* a provider call of a /ws session (a speak) ended: obs as a request's
 * (its provider, latency to the answer, first audio, usage), counted now */
void ngx_http_waav_metrics_ws_call(ngx_http_request_t *r,
    ngx_http_waav_obs_t *obs);
/* a /ws recognition ended: the seconds of audio provider was sent */
void ngx_http_waav_metrics_ws_stt(ngx_http_request_t *r, ngx_str_t *provider,
    uint64_t seconds);
/* a /ws session began (1) or ended (0) */
void ngx_http_waav_metrics_ws(ngx_http_request_t *r, ngx_uint_t open);

#endif /* NGX_HTTP_WAAV_METRICS_H */
