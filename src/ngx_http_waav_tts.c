/*
 * waav: waav_tts, text to speech through a subrequest.
 *
 *   location = /speak            { waav_tts; }          # WaaV's shape
 *   location = /v1/audio/speech  { waav_tts openai; }   # OpenAI's shape
 *   location = /speak  { waav_tts waav default=local; }  # the provider
 *                                          # of a body that names none
 *
 * The body is read and parsed, the provider's adapter (src/core) builds
 * the provider request, and a subrequest carries it to the provider's
 * internal location, where stock proxy_pass does TLS, keepalive, timeouts
 * and caching.  The subrequest's answer is watched by the filters below:
 * on success the client gets its own headers (Content-Type by format,
 * x-audio-format, x-sample-rate: the rate produced, x-speaking-rate: the
 * speed applied when the client set one) when the first audio byte
 * arrives, and the audio follows as the provider sends it; a provider
 * error before that becomes a JSON error; a failure after it cuts the
 * response short.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_byok.h"
#include "ngx_http_waav_cred.h"
#include "ngx_http_waav_filter.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_local.h"
#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_tts.h"
#include "ngx_http_waav_util.h"
#include "ngx_http_waav_ws.h"
#include "ngx_http_waav_xform.h"
#include "waav_errmsg.h"
#include "waav_json.h"
#include "waav_tts_cache.h"


#define NGX_HTTP_WAAV_TTS_ERRBUF  4096

/* the most of a provider's Content-Type an error message quotes */
#define NGX_HTTP_WAAV_TTS_TYPE_MAX  64

/* the largest body kept in memory (10,240 bytes of text, escaped, with
 * pronunciations fit); larger ones are refused with 413 */
#define NGX_HTTP_WAAV_TTS_BODY_MAX  (64 * 1024)


typedef struct {
    ngx_http_request_t        *sr;
    ngx_http_waav_provider_t  *provider;
    waav_tts_req_t             req;
    waav_tts_out_t             preq;
    ngx_http_waav_xform_t      xform;          /* the response hook's */
    ngx_str_t                  cache_key;

    ngx_int_t                  rc;             /* subrequest's rc */
    ngx_uint_t                 status;         /* provider's status */
    off_t                      length;         /* provider's Content-Length */
    ngx_str_t                  retry_after;
    ngx_str_t                  not_audio;      /* a 2xx's Content-Type */

    u_char                    *err;            /* provider error body */
    size_t                     err_len;

    unsigned                   header:1;       /* provider answered */
    unsigned                   ok:1;           /* ... with 2xx */
    unsigned                   streaming:1;    /* client headers sent */
    unsigned                   complete:1;     /* provider body ended */
    unsigned                   done:1;         /* subrequest finalized */
    unsigned                   cred_wait:1;    /* a token awaited once */
} ngx_http_waav_tts_ctx_t;


static ngx_int_t ngx_http_waav_tts_handler(ngx_http_request_t *r);
static void ngx_http_waav_tts_body(ngx_http_request_t *r);
static void ngx_http_waav_tts_go(ngx_http_request_t *r);
static void ngx_http_waav_tts_cred(ngx_http_request_t *r);
static void ngx_http_waav_tts_browser_format(ngx_http_request_t *r,
    waav_tts_req_t *req);
static ngx_int_t ngx_http_waav_tts_provider(ngx_http_request_t *r,
    ngx_http_waav_tts_ctx_t *ctx, waav_err_t *err);
static ngx_int_t ngx_http_waav_tts_subrequest(ngx_http_request_t *r,
    ngx_http_waav_tts_ctx_t *ctx);
static ngx_int_t ngx_http_waav_tts_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
static void ngx_http_waav_tts_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_tts_send_headers(ngx_http_request_t *r,
    ngx_http_waav_tts_ctx_t *ctx);
static ngx_int_t ngx_http_waav_tts_provider_error(ngx_http_request_t *r,
    ngx_http_waav_tts_ctx_t *ctx);
static ngx_int_t ngx_http_waav_tts_not_audio(ngx_http_request_t *r,
    ngx_http_waav_tts_ctx_t *ctx);
static ngx_int_t ngx_http_waav_tts_cache_key_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_waav_tts_vars[] = {

    { ngx_string("waav_tts_cache_key"), NULL,
      ngx_http_waav_tts_cache_key_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


char *
ngx_http_waav_tts(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_loc_conf_t  *wlcf = conf;

    ngx_str_t   *value, *arg;
    ngx_uint_t   i;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;
    wlcf->tts_shape = WAAV_TTS_SHAPE_WAAV;

    for (i = 1; i < cf->args->nelts; i++) {
        arg = &value[i];

        if (i == 1 && ngx_strcmp(arg->data, "openai") == 0) {
            wlcf->tts_shape = WAAV_TTS_SHAPE_OPENAI;

        } else if (i == 1 && ngx_strcmp(arg->data, "waav") == 0) {
            /* the default shape */

        } else if (ngx_strncmp(arg->data, "default=", 8) == 0
                   && wlcf->tts_shape == WAAV_TTS_SHAPE_WAAV
                   && waav_ident_valid((char *) arg->data + 8, arg->len - 8))
        {
            wlcf->tts_default.data = arg->data + 8;
            wlcf->tts_default.len = arg->len - 8;

        } else {
            return "takes \"waav\" (POST /speak) or \"openai\" "
                   "(POST /v1/audio/speech), and for waav "
                   "\"default=PROVIDER\"";
        }
    }

    return ngx_http_waav_set_handler(cf, wlcf, ngx_http_waav_tts_handler);
}


static ngx_int_t
ngx_http_waav_tts_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_waav_ctx_t       *wctx;
    ngx_http_waav_tts_ctx_t   *ctx;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_waav_not_allowed(r, "POST", "POST");
    }

    if (!ngx_http_waav_is_json(r)) {
        return ngx_http_waav_not_json(r);
    }

    wctx = ngx_http_waav_get_ctx(r);
    if (wctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_tts_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    wctx->tts = ctx;

    /* the JSON body is parsed in place: one contiguous buffer */
    r->request_body_in_single_buf = 1;

    /* a synthesis is never "not modified": If-None-Match and friends must
     * not turn the answer into a 304 or 412 behind the audio */
    r->disable_not_modified = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_waav_tts_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* the provider's request, credentials aside: a bad request ends here,
 * before any quota is charged or any key is exchanged */
static void
ngx_http_waav_tts_build(ngx_http_request_t *r)
{
    waav_err_t                err;
    waav_alloc_t              a;
    ngx_http_waav_tts_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r)->tts;
    ngx_http_waav_allocator(r->pool, &a);

    if (waav_tts_build(ctx->provider->tts, &ctx->req, NULL, &ctx->preq, &a,
                       &err)
        != 0)
    {
        ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
        return;
    }

    /* the adapter filled in its default model; a provider without models
     * (Azure, Google, IBM) is logged by its voice, one it validated */
    ngx_http_waav_metrics_provider(r, &ctx->provider->name,
                                   ctx->req.model.len ? &ctx->req.model
                                                      : &ctx->req.voice,
                                   NULL, 0);

    ngx_http_waav_tts_go(r);
}


/* the request ended while its token was awaited (the client left): the
 * provider was never called, what was charged goes back */
static void
ngx_http_waav_tts_cred_cleanup(void *data)
{
    ngx_http_request_t  *r = data;

    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_tts_ctx_t  *ctx;

    wctx = ngx_http_waav_find_ctx(r);
    ctx = wctx ? wctx->tts : NULL;

    if (ctx && ctx->sr == NULL) {
        ngx_http_waav_limit_refund(r, (uint64_t) -1);
    }
}


/* the provider's credentials (a token may be fetched first), then the
 * call; what was charged goes back when there are none */
static void
ngx_http_waav_tts_cred(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    waav_err_t                err;
    waav_alloc_t              a;
    waav_secret_t             secret;
    const waav_cred_t        *cred;
    ngx_http_cleanup_t       *cln;
    ngx_http_waav_tts_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r)->tts;

    /* no provider to call: synthesized here, in the thread pool */
    if (ctx->provider->ptype->embedded) {
        ngx_http_waav_local_tts(r, &ctx->req, &ctx->preq);
        return;
    }

    cred = ngx_http_waav_byok_tts_cred(ctx->provider);
    ngx_http_waav_allocator(r->pool, &a);

    rc = ngx_http_waav_cred_secret(r, ctx->provider, cred, &secret,
                                   ngx_http_waav_tts_cred, &err);

    if (rc == NGX_AGAIN) {
        if (!ctx->cred_wait) {
            cln = ngx_http_cleanup_add(r, 0);
            if (cln == NULL) {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }

            cln->handler = ngx_http_waav_tts_cred_cleanup;
            cln->data = r;
            ctx->cred_wait = 1;
        }

        return;
    }

    if (rc == NGX_OK
        && waav_cred_apply(cred, &secret, &ctx->preq.http, &a, &err) == 0)
    {
        rc = ngx_http_waav_tts_subrequest(r, ctx);

        if (rc != NGX_OK) {
            ngx_http_finalize_request(r, rc);
        }

        return;
    }

    ngx_http_waav_limit_refund(r, (uint64_t) -1);
    ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
}


static void
ngx_http_waav_tts_body(ngx_http_request_t *r)
{
    ngx_str_t                 body;
    waav_str_t                dflt;
    waav_err_t                err;
    waav_alloc_t              a;
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_loc_conf_t *wlcf;
    ngx_http_waav_tts_ctx_t  *ctx;

    wctx = ngx_http_get_module_ctx(r, ngx_http_waav_module);
    ctx = wctx->tts;
    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    ngx_str_null(&body);
    dflt.data = (char *) wlcf->tts_default.data;
    dflt.len = wlcf->tts_default.len;
    ngx_http_waav_allocator(r->pool, &a);
    ngx_memzero(&err, sizeof(waav_err_t));

    if (ngx_http_waav_read_body(r, NGX_HTTP_WAAV_TTS_BODY_MAX, &body,
                                &err) != NGX_OK
        || waav_tts_parse_default(&ctx->req, wlcf->tts_shape,
                                  (char *) body.data, body.len, dflt,
                                  &a, &err) != 0
        || ngx_http_waav_tts_provider(r, ctx, &err) != NGX_OK)
    {
        ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
        return;
    }

    ngx_http_waav_tts_build(r);
}


/* quotas (which may wait for Redis), then the provider */
static void
ngx_http_waav_tts_go(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    waav_err_t                err;
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_tts_ctx_t  *ctx;

    wctx = ngx_http_get_module_ctx(r, ngx_http_waav_module);
    ctx = wctx->tts;

    /* the client left while Redis was asked: charge nothing, call nobody */
    if (r->connection->error) {
        ngx_http_waav_limit_refund(r, (uint64_t) -1);
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    ngx_memzero(&err, sizeof(waav_err_t));
    ngx_http_waav_metrics_usage(r, waav_utf8_chars(ctx->req.text.data,
                                                   ctx->req.text.len));

    rc = ngx_http_waav_limit_charge_tts(r,
             waav_utf8_chars(ctx->req.text.data, ctx->req.text.len),
             ngx_http_waav_tts_go, &err);

    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
        return;
    }

    ngx_http_waav_tts_cred(r);
}


/* the provider the client named, or whose model it asked for */
static ngx_int_t
ngx_http_waav_tts_provider(ngx_http_request_t *r, ngx_http_waav_tts_ctx_t *ctx,
    waav_err_t *err)
{
    u_char                      list[512];
    size_t                      len;
    waav_str_t                  key, none;
    ngx_uint_t                  i;
    ngx_http_waav_provider_t   *p;
    ngx_http_waav_loc_conf_t   *wlcf;
    ngx_http_waav_main_conf_t  *wmcf;

    p = NULL;
    none.data = NULL;
    none.len = 0;

    if (ctx->req.provider.len) {
        p = ngx_http_waav_provider_find(r, ctx->req.provider);

    } else {
        wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);
        p = wmcf->providers.elts;

        for (i = 0; i < wmcf->providers.nelts; i++, p++) {
            if (p->tts && p->tts->claims_model
                && p->tts->claims_model(ctx->req.model.data,
                                        ctx->req.model.len))
            {
                break;
            }
        }

        if (i == wmcf->providers.nelts) {
            ngx_http_waav_provider_list(r, 1, list, sizeof(list), &len);
            waav_err_set(err, 400, "INVALID_PROVIDER",
                         "No configured provider serves model '%.*s'; "
                         "name one as provider/model (configured providers: "
                         "%.*s)", (int) ctx->req.model.len,
                         ctx->req.model.data, (int) len, list);
            return NGX_ERROR;
        }
    }

    if (p == NULL || p->tts == NULL) {
        ngx_http_waav_provider_list(r, 1, list, sizeof(list), &len);
        waav_err_set(err, 400, "INVALID_PROVIDER",
                     "Unknown TTS provider '%.*s' (configured providers: %.*s)",
                     (int) ctx->req.provider.len, ctx->req.provider.data,
                     (int) len, list);
        return NGX_ERROR;
    }

    /* the client's own key (waav_byok), or the provider's */
    if (ngx_http_waav_byok_key(r, ctx->req.api_key, 1, &key, err) != NGX_OK
        || ngx_http_waav_byok_provider(r, &p, key, p->tts->byok_cred, err)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* WaaV's names on /speak; OpenAI's API takes a model as named */
    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->tts_shape == WAAV_TTS_SHAPE_WAAV) {
        waav_tts_names(p->tts, &ctx->req);
        ngx_http_waav_tts_browser_format(r, &ctx->req);
    }

    /* $waav_provider from here on; $waav_model once the request is built
     * (a voice becomes the model only once the adapter accepted it) */
    ctx->provider = p;
    ngx_http_waav_metrics_provider(r, &p->name, &none, NULL, 0);

    return NGX_OK;
}


/* /speak without an audio_format from a browser (its fetch sends Origin on
 * a POST, and Sec-Fetch-Dest where it sends Sec-Fetch-*; Node's fetch sends
 * Sec-Fetch-Mode but neither), in WaaV's own body: WAV, the linear16 a
 * browser can play (WaaV's dashboard plays /speak's answer in an <audio>
 * element, which raw PCM is not).  Other clients, and the SDKs' flat body
 * (whose speak() reports linear16 when none was asked), keep linear16 */
static void
ngx_http_waav_tts_browser_format(ngx_http_request_t *r, waav_tts_req_t *req)
{
    if (req->format != WAAV_FMT_NONE
        || req->flat
        || (ngx_http_waav_header(&r->headers_in.headers, "Origin") == NULL
            && ngx_http_waav_header(&r->headers_in.headers, "Sec-Fetch-Dest")
               == NULL))
    {
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav tts: a browser's request, wav by default");

    req->format = WAAV_FMT_WAV;
    req->format_name.data = "wav";
    req->format_name.len = 3;
}


static ngx_int_t
ngx_http_waav_tts_subrequest(ngx_http_request_t *r,
    ngx_http_waav_tts_ctx_t *ctx)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    /* the provider request's own body: a whole buffer, which nginx can
     * rewind (start) if it retries the request */
    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);
    if (b == NULL || cl == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->start = (u_char *) ctx->preq.http.body.data;
    b->pos = b->start;
    b->last = b->start + ctx->preq.http.body.len;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;

    cl->buf = b;
    cl->next = NULL;

    ngx_http_waav_metrics_call(r);

    return ngx_http_waav_call(r, ctx->provider, &ctx->preq.http, cl,
                              (off_t) ctx->preq.http.body.len,
                              ngx_http_waav_tts_done, ctx,
                              NGX_HTTP_SUBREQUEST_WAITED, &ctx->sr);
}


static ngx_int_t
ngx_http_waav_tts_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_waav_tts_ctx_t  *ctx = data;

    ctx->done = 1;
    ctx->rc = rc;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "waav tts: provider \"%V\" done: rc %i, status %ui, %s",
                   &ctx->provider->name, rc, ctx->status,
                   ctx->streaming ? (ctx->complete ? "audio sent"
                                                   : "audio cut short")
                                  : "no audio sent");

    sr->parent->write_event_handler = ngx_http_waav_tts_resume;

    /*
     * Before the first audio byte the parent answers (JSON error), so the
     * subrequest must not send nginx's error page; after it, an error
     * tears the connection down and the client sees the truncation.
     */

    if (ctx->streaming) {
        return rc;
    }

    return NGX_OK;
}


static void
ngx_http_waav_tts_resume(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_tts_ctx_t  *ctx;

    wctx = ngx_http_get_module_ctx(r, ngx_http_waav_module);
    ctx = wctx ? wctx->tts : NULL;

    if (ctx == NULL || !ctx->done) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    if (ctx->streaming) {
        if (!ctx->complete) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "waav: provider \"%V\" stopped mid-audio",
                          &ctx->provider->name);
            ngx_http_finalize_request(r, NGX_ERROR);
            return;
        }

        rc = ngx_http_send_special(r, NGX_HTTP_LAST);
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_waav_tts_provider_error(r, ctx));
}


/* the client's headers, sent when the first audio byte arrives */
static ngx_int_t
ngx_http_waav_tts_send_headers(ngx_http_request_t *r,
    ngx_http_waav_tts_ctx_t *ctx)
{
    u_char           *p;
    ngx_str_t         value;
    waav_tts_out_t   *preq;

    static ngx_str_t  audio_format = ngx_string("x-audio-format");
    static ngx_str_t  sample_rate = ngx_string("x-sample-rate");
    static ngx_str_t  speaking_rate = ngx_string("x-speaking-rate");

    preq = &ctx->preq;
    ngx_http_waav_metrics_first_audio(r);

    r->headers_out.status = NGX_HTTP_OK;

    /* audio taken out of a wrapper is not as long as the wrapper */
    r->headers_out.content_length_n = ctx->preq.response
                                      ? -1 : ctx->length;

    r->headers_out.content_type.data = (u_char *) preq->content_type;
    r->headers_out.content_type.len = ngx_strlen(preq->content_type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    value.data = (u_char *) preq->audio_format.data;
    value.len = preq->audio_format.len;

    if (ngx_http_waav_add_header(r, &audio_format, &value) != NGX_OK) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    value.data = p;
    value.len = ngx_sprintf(p, "%ui", (ngx_uint_t) preq->sample_rate) - p;

    if (ngx_http_waav_add_header(r, &sample_rate, &value) != NGX_OK
        || ngx_http_waav_set_nosniff(r) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the speaking rate applied (clamped to the provider's range) */
    if (preq->speaking_rate > 0) {
        p = ngx_pnalloc(r->pool, 32);
        if (p == NULL) {
            return NGX_ERROR;
        }

        value.data = p;
        value.len = snprintf((char *) p, 32, "%g", preq->speaking_rate);

        if (ngx_http_waav_add_header(r, &speaking_rate, &value) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    ctx->streaming = 1;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav tts: first audio from \"%V\": %s, %ui Hz",
                   &ctx->provider->name, preq->content_type,
                   (ngx_uint_t) preq->sample_rate);

    return ngx_http_send_header(r);
}


static ngx_int_t
ngx_http_waav_tts_provider_error(ngx_http_request_t *r,
    ngx_http_waav_tts_ctx_t *ctx)
{
    ngx_http_waav_failure_t  f;

    /* no audio: the text's characters are not due */
    ngx_http_waav_limit_refund(r, (uint64_t) -1);

    f.rc = ctx->rc;
    f.status = ctx->header ? ctx->status : 0;
    f.retry_after = ctx->retry_after;
    f.body = ctx->err;
    f.body_len = ctx->err_len;
    f.empty = ctx->not_audio.len ? (char *) ctx->not_audio.data : "no audio";

    return ngx_http_waav_provider_error(r, ctx->provider, &f);
}


/* --- watching the subrequest -------------------------------------------- */

static ngx_http_waav_tts_ctx_t *
ngx_http_waav_tts_sr_ctx(ngx_http_request_t *r)
{
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_tts_ctx_t  *ctx;

    if (r == r->main) {
        return NULL;
    }

    wctx = ngx_http_waav_find_ctx(r->main);
    if (wctx == NULL || wctx->tts == NULL) {
        return NULL;
    }

    ctx = wctx->tts;

    return (ctx->sr == r) ? ctx : NULL;
}


ngx_int_t
ngx_http_waav_tts_header_filter(ngx_http_request_t *r)
{
    ngx_http_waav_tts_ctx_t  *ctx;

    ctx = ngx_http_waav_tts_sr_ctx(r);

    if (ctx == NULL) {
        return ngx_http_waav_next_header_filter(r);
    }

    ctx->header = 1;
    ctx->status = r->headers_out.status;
    ngx_http_waav_metrics_answer(r, ctx->status);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav tts: provider \"%V\" answered %ui %V",
                   &ctx->provider->name, ctx->status,
                   &r->headers_out.content_type);
    ctx->ok = (ctx->status >= 200 && ctx->status < 300);
    ctx->length = r->headers_out.content_length_n;

    ctx->retry_after = ngx_http_waav_retry_after(r);

    /* the response hook reads the answer's bytes: a cached or buffered
     * answer comes in file buffers, which sendfile would pass unread */
    if (ctx->preq.response) {
        r->filter_need_in_memory = 1;
    }

    /* a 2xx that is not audio (a captive portal's page, an error in JSON)
     * is a failure: none of it reaches the client */
    if (ctx->ok
        && !waav_tts_media_ok(ctx->provider->tts,
                              (char *) r->headers_out.content_type.data,
                              r->headers_out.content_type.len))
    {
        ctx->ok = 0;

        if (ngx_http_waav_tts_not_audio(r, ctx) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return ngx_http_waav_next_header_filter(r);
}


/* "text/html, not audio" for the client's 502, the type bounded and in
 * printable ASCII (it is the provider's, or a portal's) */
static ngx_int_t
ngx_http_waav_tts_not_audio(ngx_http_request_t *r,
    ngx_http_waav_tts_ctx_t *ctx)
{
    u_char      *p;
    size_t       i, n;
    ngx_str_t   *ct;

    ct = &r->headers_out.content_type;
    n = ngx_min(ct->len, NGX_HTTP_WAAV_TTS_TYPE_MAX);

    p = ngx_pnalloc(r->pool, sizeof("no Content-Type, not audio")
                             + NGX_HTTP_WAAV_TTS_TYPE_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->not_audio.data = p;

    if (n == 0) {
        p = ngx_cpymem(p, "no Content-Type", sizeof("no Content-Type") - 1);
    }

    for (i = 0; i < n; i++) {
        *p++ = (ct->data[i] >= 0x20 && ct->data[i] < 0x7f) ? ct->data[i] : '?';
    }

    p = ngx_cpymem(p, ", not audio", sizeof(", not audio"));
    ctx->not_audio.len = p - ctx->not_audio.data - 1;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav tts: provider \"%V\" answered %V",
                   &ctx->provider->name, &ctx->not_audio);

    return NGX_OK;
}


/* passes the audio on; the response hook's buffers come back when sent */
static ngx_int_t
ngx_http_waav_tts_pass(ngx_http_request_t *r, ngx_http_waav_tts_ctx_t *ctx,
    ngx_chain_t *in)
{
    ngx_int_t  rc;

    rc = ngx_http_waav_next_body_filter(r, in);

    if (ctx->preq.response) {
        ngx_http_waav_xform_sent(r, &ctx->xform, in);
    }

    return rc;
}


ngx_int_t
ngx_http_waav_tts_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                    n;
    ngx_int_t                 rc;
    ngx_uint_t                data;
    ngx_chain_t              *cl;
    ngx_http_waav_tts_ctx_t  *ctx;

    ctx = ngx_http_waav_tts_sr_ctx(r);

    if (ctx == NULL) {
        return ngx_http_waav_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        if (cl->buf->last_in_chain || cl->buf->last_buf) {
            ctx->complete = 1;
        }
    }

    if (ctx->ok && ctx->preq.response) {
        ctx->xform.x = ctx->preq.response;
        rc = ngx_http_waav_xform(r, &ctx->xform, &in);

        if (rc == NGX_DECLINED && ctx->streaming) {
            /* the client has part of the audio: it sees the truncation */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "waav: provider \"%V\" stopped mid-audio: its "
                          "answer is not what its adapter expects",
                          &ctx->provider->name);
            return NGX_ERROR;
        }

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DECLINED) {
            /* not the audio: 502 once the answer ends */
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "waav: provider \"%V\" answered without the "
                          "audio its adapter expects", &ctx->provider->name);
            ctx->ok = 0;
        }
    }

    data = 0;

    for (cl = in; cl; cl = cl->next) {
        if (ngx_buf_size(cl->buf) > 0) {
            data = 1;
        }
    }

    if (ctx->ok && ctx->streaming) {
        return ngx_http_waav_tts_pass(r, ctx, in);
    }

    if (ctx->ok && data) {
        rc = ngx_http_waav_tts_send_headers(r->main, ctx);

        if (rc == NGX_ERROR || rc > NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_waav_tts_pass(r, ctx, in);
    }

    /* an error answer (or nothing yet): keep a bounded copy, send nothing */

    for (cl = in; cl; cl = cl->next) {
        if (!ctx->ok && ngx_buf_in_memory(cl->buf)) {
            if (ctx->err == NULL) {
                ctx->err = ngx_pnalloc(r->pool, NGX_HTTP_WAAV_TTS_ERRBUF);
                if (ctx->err == NULL) {
                    return NGX_ERROR;
                }
            }

            n = ngx_min((size_t) (cl->buf->last - cl->buf->pos),
                        NGX_HTTP_WAAV_TTS_ERRBUF - ctx->err_len);
            ngx_memcpy(ctx->err + ctx->err_len, cl->buf->pos, n);
            ctx->err_len += n;
        }

        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    return NGX_OK;
}


/* --- $waav_tts_cache_key ------------------------------------------------ */

static ngx_int_t
ngx_http_waav_tts_cache_key_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_tts_ctx_t  *ctx;

    ngx_http_waav_unused(data);

    wctx = ngx_http_waav_find_ctx(r->main);
    ctx = wctx ? wctx->tts : NULL;

    if (ctx == NULL && wctx && wctx->ws) {
        /* a /ws session's speak: its own key */
        return ngx_http_waav_ws_tts_cache_key(r, v);
    }

    if (ctx == NULL || ctx->provider == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ctx->cache_key.len == 0) {
        ctx->cache_key.data = ngx_pnalloc(r->main->pool,
                                          WAAV_TTS_CACHE_KEY_LEN);
        if (ctx->cache_key.data == NULL
            || waav_tts_cache_key((char *) ctx->provider->name.data,
                                  ctx->provider->name.len, &ctx->req,
                                  ctx->preq.sample_rate,
                                  (char *) ctx->cache_key.data)
               != 0)
        {
            return NGX_ERROR;
        }

        ctx->cache_key.len = WAAV_TTS_CACHE_KEY_LEN;
    }

    v->data = ctx->cache_key.data;
    v->len = ctx->cache_key.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_tts_add_variables(ngx_conf_t *cf)
{
    return ngx_http_waav_add_variables(cf, ngx_http_waav_tts_vars);
}
