/*
 * waav: speech to text (waav_stt): raw audio or OpenAI's multipart form
 * in, one normalized JSON answer (or OpenAI's formats) out.
 */

#ifndef NGX_HTTP_WAAV_STT_H
#define NGX_HTTP_WAAV_STT_H

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_provider.h"
#include "waav_multipart.h"
#include "waav_stt.h"
#include "waav_stt_formats.h"


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
/* why an answer that did not fit is refused (ngx_http_waav_stt_filter.c) */
const char *ngx_http_waav_stt_too_big(ngx_http_request_t *r,
    ngx_http_request_t *sr);


/* a transcription's state (ngx_http_waav_stt{,_form,_step}.c share it) */
typedef struct {
    ngx_http_request_t        *r;
    ngx_http_waav_provider_t  *provider;
    waav_stt_req_t             req;
    waav_http_req_t            preq;
    ngx_http_request_t        *sr;
    ngx_int_t                  rc;
    waav_stt_flow_t            flow;        /* the adapter's steps */
    ngx_msec_t                 started;
    ngx_event_t                poll;
    u_char                     head[WAAV_AUDIO_HEAD];  /* first bytes */
    size_t                     head_len;
    waav_mp_parser_t          *mp;          /* OpenAI's form, or NULL */
    waav_stt_fmt_e             fmt;         /* its response_format */
    off_t                      audio_start; /* in the client body */
    waav_str_t                 suffix;      /* after the audio */
    void                      *b64;         /* its base64, while read */
    ngx_chain_t               *body;        /* to the provider */
    off_t                      body_len;
    uint64_t                   seconds;     /* charged before the call */
    uint64_t                   extra;       /* reported beyond that */
    waav_stt_result_t          res;         /* the transcription */
    off_t                      got;         /* the answer's bytes kept */
    unsigned                   done:1;
    unsigned                   too_big:1;   /* the answer did not fit */
} ngx_http_waav_stt_ctx_t;


/* [start, start + len) of the client body as buffers over its own memory
 * or temp file, linked at **last (ngx_http_waav_stt.c) */
ngx_int_t ngx_http_waav_stt_slice(ngx_http_request_t *r, off_t start,
    off_t len, ngx_chain_t ***last, ngx_chain_t **tail);

/* the same, base64-encoded into a chain of buffers (a temp file read in
 * nginx's thread pool): NGX_OK (*last, *tail moved on), NGX_ERROR, or
 * NGX_AGAIN, and done() is called on the event loop with how it went and
 * where the chain ends (ngx_http_waav_stt_b64.c) */
typedef void (*ngx_http_waav_stt_b64_done_pt)(ngx_http_request_t *r,
    ngx_int_t rc, ngx_chain_t **last, ngx_chain_t *tail);

ngx_int_t ngx_http_waav_stt_b64(ngx_http_request_t *r, off_t start,
    off_t len, ngx_chain_t ***last, ngx_chain_t **tail,
    ngx_http_waav_stt_b64_done_pt done);
/* a base64 provider's STT takes nginx's thread pool "default" */
ngx_int_t ngx_http_waav_stt_b64_init(ngx_conf_t *cf);


/* OpenAI's form (ngx_http_waav_stt_form.c) */
ngx_int_t ngx_http_waav_stt_form(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx, waav_str_t ct);
ngx_int_t ngx_http_waav_stt_form_read(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx, waav_str_t *name,
    ngx_http_waav_provider_t **provider, waav_err_t *err);
void ngx_http_waav_stt_feed(ngx_http_waav_stt_ctx_t *ctx, u_char *data,
    size_t len);

/* the client body read (ngx_http_waav_stt.c) */
void ngx_http_waav_stt_body(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_stt_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
/* a transcription in ctx->res: quotas trued up, then the answer */
void ngx_http_waav_stt_reply(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx);

/* the provider's 2xx answer to a step: NGX_DONE with ctx->res, NGX_OK
 * when the next call is on its way, NGX_ERROR with err set
 * (ngx_http_waav_stt_step.c) */
ngx_int_t ngx_http_waav_stt_step(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx, waav_str_t answer, waav_err_t *err);


#endif /* NGX_HTTP_WAAV_STT_H */
