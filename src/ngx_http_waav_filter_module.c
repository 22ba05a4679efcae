/*
 * waav: the output filters, in a filter-type module of their own.
 *
 * An HTTP-type module that installs filters from its postconfiguration
 * loses them in static builds: the write and header filter modules, which
 * come after it, reset the chains.  As echo-nginx-module does, the filters
 * live in an HTTP_AUX_FILTER module, placed among the filters whether the
 * module is built in or loaded.
 *
 * One filter of each kind, dispatching by request:
 *   - a provider subrequest: a WebSocket client's handshake takes its
 *     connection over, the TTS concern watches its answer (streamed),
 *     a /ws session takes a speak's audio into frames, the STT concern
 *     bounds an answer kept in memory;
 *   - the main request: a token nginx refused as too large becomes the
 *     auth 401, nginx's own error pages become JSON;
 *   - the client body, as it arrives: the STT concern keeps its first bytes.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_auth.h"
#include "ngx_http_waav_cors.h"
#include "ngx_http_waav_cred.h"
#include "ngx_http_waav_filter.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_stt.h"
#include "ngx_http_waav_tts.h"
#include "ngx_http_waav_voices.h"
#include "ngx_http_waav_ws.h"
#include "ngx_http_waav_wsc.h"


static ngx_int_t ngx_http_waav_filter_init(ngx_conf_t *cf);


ngx_http_output_header_filter_pt  ngx_http_waav_next_header_filter;
ngx_http_output_body_filter_pt    ngx_http_waav_next_body_filter;
ngx_http_request_body_filter_pt   ngx_http_waav_next_request_body_filter;


static ngx_http_module_t  ngx_http_waav_filter_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_waav_filter_init,             /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_waav_filter_module = {
    NGX_MODULE_V1,
    &ngx_http_waav_filter_module_ctx,      /* module context */
    NULL,                                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_waav_header_filter(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r != r->main) {
        rc = ngx_http_waav_wsc_header_filter(r);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        rc = ngx_http_waav_cred_header_filter(r);

        if (rc != NGX_DECLINED) {
            return rc;
        }

        rc = ngx_http_waav_ws_tts_header_filter(r);

        if (rc != NGX_DECLINED) {
            return rc;
        }

        rc = ngx_http_waav_voices_header_filter(r);

        if (rc != NGX_DECLINED) {
            return rc;
        }

        return r->subrequest_in_memory ? ngx_http_waav_stt_header_filter(r)
                                       : ngx_http_waav_tts_header_filter(r);
    }

    if (ngx_http_waav_cors_header_filter(r) != NGX_OK) {
        return NGX_ERROR;
    }

    rc = ngx_http_waav_auth_header_filter(r);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    return ngx_http_waav_error_header_filter(r);
}


static ngx_int_t
ngx_http_waav_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t  rc;

    if (r != r->main) {
        rc = ngx_http_waav_wsc_body_filter(r, in);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        rc = ngx_http_waav_cred_body_filter(r, in);

        if (rc != NGX_DECLINED) {
            return rc;
        }

        rc = ngx_http_waav_ws_tts_body_filter(r, in);

        if (rc != NGX_DECLINED) {
            return rc;
        }

        rc = ngx_http_waav_voices_body_filter(r, in);

        if (rc != NGX_DECLINED) {
            return rc;
        }

        return r->subrequest_in_memory ? ngx_http_waav_stt_body_filter(r, in)
                                       : ngx_http_waav_tts_body_filter(r, in);
    }

    return ngx_http_waav_error_body_filter(r, in);
}


static ngx_int_t
ngx_http_waav_request_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    return ngx_http_waav_stt_request_body_filter(r, in);
}


static ngx_int_t
ngx_http_waav_filter_init(ngx_conf_t *cf)
{
    ngx_http_waav_unused(cf);

    ngx_http_waav_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_waav_header_filter;

    ngx_http_waav_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_waav_body_filter;

    ngx_http_waav_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_waav_request_body_filter;

    return NGX_OK;
}
