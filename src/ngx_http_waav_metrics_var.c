/*
 * waav: what a request did, in its ctx (ngx_http_waav_obs_t): the
 * concerns' one-line calls fill it, the log variables read it
 * ($waav_provider, $waav_model, $waav_provider_status, $waav_ttfb,
 * $waav_tts_chars, $waav_stt_seconds, $waav_limit_result), and so does
 * waav_metrics' log phase (ngx_http_waav_metrics.c).
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_util.h"


static ngx_int_t ngx_http_waav_metrics_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


/* --- the concerns' calls ------------------------------------------------- */

void
ngx_http_waav_metrics_provider(ngx_http_request_t *r, ngx_str_t *name,
    waav_str_t *model, const char *default_model, ngx_uint_t stt)
{
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_get_ctx(r->main);
    if (ctx == NULL) {
        return;
    }

    ctx->obs.provider = *name;
    ctx->obs.model.data = (u_char *) (model->len ? model->data
                                                 : default_model);
    ctx->obs.model.len = model->len ? model->len
                         : (default_model ? ngx_strlen(default_model) : 0);
    ctx->obs.stt = stt ? 1 : 0;
}


void
ngx_http_waav_metrics_call(ngx_http_request_t *r)
{
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_get_ctx(r->main);

    if (ctx && !ctx->obs.called) {
        ctx->obs.called = 1;
        ctx->obs.call_start = ngx_current_msec;
    }
}


void
ngx_http_waav_metrics_answer(ngx_http_request_t *r, ngx_uint_t status)
{
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r->main);

    if (ctx == NULL || !ctx->obs.called) {
        return;
    }

    ctx->obs.status = status;

    if (!ctx->obs.answered) {
        ctx->obs.answered = 1;
        ctx->obs.call_ms = ngx_current_msec - ctx->obs.call_start;
    }
}


void
ngx_http_waav_metrics_first_audio(ngx_http_request_t *r)
{
    ngx_time_t           *tp;
    ngx_msec_int_t        ms;
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r->main);

    if (ctx == NULL || ctx->obs.ttfb) {
        return;
    }

    /* as $request_time measures */
    tp = ngx_timeofday();
    ms = (ngx_msec_int_t) ((tp->sec - r->main->start_sec) * 1000
                           + (tp->msec - r->main->start_msec));

    ctx->obs.ttfb = 1;
    ctx->obs.ttfb_ms = (ngx_msec_t) ngx_max(ms, 0);
}


void
ngx_http_waav_metrics_usage(ngx_http_request_t *r, uint64_t n)
{
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r->main);

    if (ctx == NULL) {
        return;
    }

    if (ctx->obs.stt) {
        ctx->obs.stt_seconds = n;

    } else {
        ctx->obs.tts_chars = n;
    }
}


/* --- the log variables --------------------------------------------------- */

enum {
    NGX_HTTP_WAAV_VAR_PROVIDER = 0,
    NGX_HTTP_WAAV_VAR_MODEL,
    NGX_HTTP_WAAV_VAR_PROVIDER_STATUS,
    NGX_HTTP_WAAV_VAR_TTS_CHARS,
    NGX_HTTP_WAAV_VAR_STT_SECONDS,
    NGX_HTTP_WAAV_VAR_TTFB,
    NGX_HTTP_WAAV_VAR_LIMIT_RESULT
};


static ngx_http_variable_t  ngx_http_waav_metrics_vars[] = {

    { ngx_string("waav_provider"), NULL, ngx_http_waav_metrics_variable,
      NGX_HTTP_WAAV_VAR_PROVIDER, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_model"), NULL, ngx_http_waav_metrics_variable,
      NGX_HTTP_WAAV_VAR_MODEL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_provider_status"), NULL,
      ngx_http_waav_metrics_variable, NGX_HTTP_WAAV_VAR_PROVIDER_STATUS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_tts_chars"), NULL, ngx_http_waav_metrics_variable,
      NGX_HTTP_WAAV_VAR_TTS_CHARS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_stt_seconds"), NULL, ngx_http_waav_metrics_variable,
      NGX_HTTP_WAAV_VAR_STT_SECONDS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_ttfb"), NULL, ngx_http_waav_metrics_variable,
      NGX_HTTP_WAAV_VAR_TTFB, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_limit_result"), NULL, ngx_http_waav_metrics_variable,
      NGX_HTTP_WAAV_VAR_LIMIT_RESULT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_waav_metrics_add_variables(ngx_conf_t *cf)
{
    return ngx_http_waav_add_variables(cf, ngx_http_waav_metrics_vars);
}


/* "passed", "refused:ZONE:KIND", "unavailable"; NULL: no limit checked */
static u_char *
ngx_http_waav_metrics_limit_result(ngx_http_request_t *r,
    ngx_http_waav_ctx_t *ctx, size_t *len)
{
    u_char  *p, *last;

    if (ctx->obs.limit_kind) {
        *len = sizeof("refused::") - 1 + ctx->obs.limit_zone.len
               + ngx_strlen(ctx->obs.limit_kind);
        p = ngx_pnalloc(r->pool, *len);
        if (p == NULL) {
            return NULL;
        }

        last = ngx_sprintf(p, "refused:%V:%s", &ctx->obs.limit_zone,
                           ctx->obs.limit_kind);
        *len = last - p;
        return p;
    }

    if (ctx->obs.limit_unavailable) {
        *len = sizeof("unavailable") - 1;
        return (u_char *) "unavailable";
    }

    if (ctx->limit_done) {
        *len = sizeof("passed") - 1;
        return (u_char *) "passed";
    }

    return NULL;
}


static ngx_int_t
ngx_http_waav_metrics_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char               *p;
    size_t                len;
    uint64_t              n;
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r->main);
    p = NULL;
    len = 0;

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {

    case NGX_HTTP_WAAV_VAR_PROVIDER:
        p = ctx->obs.provider.data;
        len = ctx->obs.provider.len;
        break;

    case NGX_HTTP_WAAV_VAR_MODEL:
        p = ctx->obs.model.data;
        len = ctx->obs.model.len;
        break;

    case NGX_HTTP_WAAV_VAR_LIMIT_RESULT:
        p = ngx_http_waav_metrics_limit_result(r, ctx, &len);
        break;

    default:
        if (data == NGX_HTTP_WAAV_VAR_PROVIDER_STATUS && ctx->obs.status) {
            n = ctx->obs.status;

        } else if (data == NGX_HTTP_WAAV_VAR_TTS_CHARS
                   && ctx->obs.provider.len && !ctx->obs.stt)
        {
            n = ctx->obs.tts_chars;

        } else if (data == NGX_HTTP_WAAV_VAR_STT_SECONDS
                   && ctx->obs.provider.len && ctx->obs.stt)
        {
            n = ctx->obs.stt_seconds;

        } else if (data == NGX_HTTP_WAAV_VAR_TTFB && ctx->obs.ttfb) {
            n = ctx->obs.ttfb_ms;

        } else {
            break;
        }

        p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 4);
        if (p == NULL) {
            return NGX_ERROR;
        }

        len = (data == NGX_HTTP_WAAV_VAR_TTFB)
              ? (size_t) (ngx_sprintf(p, "%uL.%03uL", n / 1000, n % 1000) - p)
              : (size_t) (ngx_sprintf(p, "%uL", n) - p);
    }

    if (p == NULL || len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = p;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
