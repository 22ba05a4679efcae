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

/*
 * Quota charges (waav_limit ... tts_chars= | stt_seconds= lines of r's
 * location).  The caller holds each charge, so one request may charge
 * many times, with several charges at once (a /ws session's TTS speak and
 * STT flush), each refunded on its own:
 *
 *   ngx_http_waav_quota_t  *q = NULL;
 *
 *   rc = ngx_http_waav_limit_charge_q(r, &q, NGX_HTTP_WAAV_QUOTA_TTS_CHARS,
 *                                     chars, resume, &err);
 *
 * The first call (*q NULL) makes the charge in r's pool.  NGX_OK: every
 * quota took the cost.  NGX_ERROR: err says why (429 QUOTA_EXCEEDED, or
 * the line's status= and message=; 503 Redis away and failing closed;
 * 500), and what earlier quotas took went back.  NGX_AGAIN: Redis
 * decides; resume(r) is called later (from the event loop, never from
 * inside this call) and calls this again with the same q, kind and cost.
 * A call on a charge that ended (NGX_OK or NGX_ERROR) starts a new charge
 * in the same memory: a holder (a session's TTS, its STT) reuses one q,
 * and a charge not refunded before is then final.  r is the request whose
 * location's lines apply (a /ws session's main request); it must live
 * while a charge waits (the request's cleanup drops what waits).
 *
 * ngx_http_waav_limit_true_up_q() charges units whatever the quotas say
 * (the call was made and cost more): NGX_OK or NGX_AGAIN as above, never
 * an error (failures are logged), and never refunded.
 *
 * ngx_http_waav_limit_refund_q() gives back units of q's charge (a
 * provider failed, reported less), to each quota that took them, in the
 * window they were taken in: at most what q charged, and once; nothing
 * waits.  A charge still waiting for Redis is abandoned instead: resume
 * is not called and all of it comes back, whatever units says.  q NULL:
 * nothing.
 */
typedef struct ngx_http_waav_quota_s  ngx_http_waav_quota_t;

/* a charge's kind: characters synthesized, seconds of audio transcribed */
#define NGX_HTTP_WAAV_QUOTA_TTS_CHARS    2     /* tts_chars= */
#define NGX_HTTP_WAAV_QUOTA_STT_SECONDS  4     /* stt_seconds= */

ngx_int_t ngx_http_waav_limit_charge_q(ngx_http_request_t *r,
    ngx_http_waav_quota_t **q, ngx_uint_t kind, uint64_t cost,
    void (*resume)(ngx_http_request_t *r), waav_err_t *err);
ngx_int_t ngx_http_waav_limit_true_up_q(ngx_http_request_t *r,
    ngx_http_waav_quota_t **q, ngx_uint_t kind, uint64_t units,
    void (*resume)(ngx_http_request_t *r));
void ngx_http_waav_limit_refund_q(ngx_http_request_t *r,
    ngx_http_waav_quota_t *q, uint64_t units);

/*
 * waav_tts, waav_stt: one charge per request, held in the request's waav
 * context (the same calls on the one charge there).
 */
ngx_int_t ngx_http_waav_limit_charge_tts(ngx_http_request_t *r,
    uint64_t chars, void (*resume)(ngx_http_request_t *r), waav_err_t *err);
ngx_int_t ngx_http_waav_limit_charge_stt(ngx_http_request_t *r,
    uint64_t seconds, void (*resume)(ngx_http_request_t *r), waav_err_t *err);
ngx_int_t ngx_http_waav_limit_true_up_stt(ngx_http_request_t *r,
    uint64_t seconds, void (*resume)(ngx_http_request_t *r));
void ngx_http_waav_limit_refund(ngx_http_request_t *r, uint64_t units);

/*
 * A /ws session authenticated by its auth message: the pre-content
 * phase's lines whose key was empty then ($waav_tenant was), walked once
 * now that it is known; slots taken are held until the session ends.
 * NGX_OK passed (or none to walk); NGX_AGAIN Redis decides: resume(r) is
 * called later, which calls this again; NGX_ERROR refused or failed (err
 * says why, as the line's refusal would).
 */
ngx_int_t ngx_http_waav_limit_rewalk(ngx_http_request_t *r,
    void (*resume)(ngx_http_request_t *r), waav_err_t *err);


#endif /* NGX_HTTP_WAAV_LIMIT_H */
