/*
 * waav: waav_voices_clone, WaaV's POST /voices/clone.
 *
 *   location = /voices/clone {
 *       waav_voices_clone;
 *       client_max_body_size 16m;       # base64 samples
 *       client_body_buffer_size 16m;    # parsed in memory
 *   }
 *
 * The body is parsed and its samples decoded (src/core/waav_voices_clone.c),
 * the provider's adapter builds its cloning request (ElevenLabs' multipart
 * POST /v1/voices/add), a subrequest to the provider's location carries
 * it, and the answer becomes WaaV's {voice_id, name, provider, status,
 * created_at}.  Errors carry WaaV's {code, message} and waav's {error,
 * code} in one object.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
#include "ngx_http_waav_voices.h"
#include "waav_errmsg.h"
#include "waav_jw.h"
#include "waav_tts.h"


typedef struct {
    waav_clone_req_t              req;
    ngx_http_waav_voices_call_t   call;
} ngx_http_waav_clone_t;


static ngx_int_t ngx_http_waav_clone_handler(ngx_http_request_t *r);
static void ngx_http_waav_clone_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_clone_answer(ngx_http_request_t *r);


char *
ngx_http_waav_voices_clone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_unused(cmd);

    return ngx_http_waav_set_handler(cf, conf, ngx_http_waav_clone_handler);
}


/* {"error", "code", "message"[, "details": {"status"}]} */
static ngx_int_t
ngx_http_waav_clone_error(ngx_http_request_t *r, waav_err_t *err,
    ngx_uint_t status)
{
    waav_jw_t     w;
    waav_str_t    out;
    waav_alloc_t  a;

    ngx_http_waav_allocator(r->pool, &a);

    if (waav_jw_alloc(&w, 2048, &a, err) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    waav_jw_open(&w, NULL);
    waav_jw_cstr(&w, "error", err->message);
    waav_jw_cstr(&w, "code", err->code);
    waav_jw_cstr(&w, "message", err->message);

    if (status) {
        waav_jw_open(&w, "details");
        waav_jw_int(&w, "status", (long) status);
        waav_jw_close(&w);
    }

    waav_jw_close(&w);

    if (waav_jw_done(&w, &out) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_waav_send_json(r, err->status, (u_char *) out.data,
                                   out.len);
}


static ngx_int_t
ngx_http_waav_clone_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_waav_ctx_t         *wctx;
    ngx_http_waav_voices_ctx_t  *ctx;
    ngx_http_waav_clone_t       *cl;

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
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_voices_ctx_t));
    cl = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_clone_t));

    if (wctx == NULL || ctx == NULL || cl == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->clone = cl;
    ctx->calls = &cl->call;
    ctx->done = ngx_http_waav_clone_answer;
    wctx->voices = ctx;

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_waav_clone_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* the provider named, if it clones here; else err set */
static ngx_http_waav_provider_t *
ngx_http_waav_clone_provider(ngx_http_request_t *r, waav_str_t name,
    waav_err_t *err)
{
    ngx_http_waav_provider_t  *p;

    p = waav_ident_valid(name.data, name.len)
        ? ngx_http_waav_provider_find(r, name) : NULL;

    if (p == NULL || p->tts == NULL || p->tts->voices == NULL
        || p->tts->voices->clone == NULL)
    {
        waav_err_set(err, NGX_HTTP_BAD_REQUEST, WAAV_E_INVALID_PROVIDER,
                     "Voice cloning is not available for provider '%.*s' "
                     "(it is for: elevenlabs)",
                     (int) (p || waav_ident_valid(name.data, name.len)
                            ? name.len : 0), name.data);
        return NULL;
    }

    if (!p->usable) {
        waav_err_set(err, NGX_HTTP_UNAUTHORIZED, "MISSING_API_KEY",
                     "%.*s API key not configured", (int) p->name.len,
                     p->name.data);
        return NULL;
    }

    return p;
}


static void
ngx_http_waav_clone_body(ngx_http_request_t *r)
{
    ngx_str_t                     body;
    waav_err_t                    err;
    waav_alloc_t                  a;
    ngx_buf_t                    *b;
    ngx_chain_t                  *ch;
    ngx_http_waav_voices_ctx_t   *ctx;
    ngx_http_waav_clone_t        *cl;
    ngx_http_waav_voices_call_t  *c;

    ctx = ngx_http_waav_find_ctx(r)->voices;
    cl = ctx->clone;
    c = &cl->call;

    ngx_memzero(&err, sizeof(waav_err_t));
    ngx_http_waav_allocator(r->pool, &a);

    if (ngx_http_waav_read_body(r, 0, &body, &err) != NGX_OK
        || waav_clone_parse(&cl->req, (char *) body.data, body.len, &a, &err)
           != 0
        || (c->provider = ngx_http_waav_clone_provider(r, cl->req.provider,
                                                       &err))
           == NULL)
    {
        ngx_http_finalize_request(r, ngx_http_waav_clone_error(r, &err, 0));
        return;
    }

    c->va = c->provider->tts->voices;
    c->max = 64 * 1024;
    ctx->n = 1;

    if (cl->req.nsamples == 0) {
        waav_err_set(&err, NGX_HTTP_BAD_REQUEST, "MISSING_AUDIO",
                     "%.*s voice cloning requires at least one audio sample",
                     (int) c->provider->name.len, c->provider->name.data);
        ngx_http_finalize_request(r, ngx_http_waav_clone_error(r, &err, 0));
        return;
    }

    b = ngx_calloc_buf(r->pool);
    ch = ngx_alloc_chain_link(r->pool);

    if (b == NULL || ch == NULL
        || c->va->clone(&cl->req, &c->preq, &a, &err) != 0)
    {
        ngx_http_finalize_request(r, b && ch
                                     ? ngx_http_waav_clone_error(r, &err, 0)
                                     : NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    b->start = (u_char *) c->preq.body.data;
    b->pos = b->start;
    b->last = b->start + c->preq.body.len;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;
    ch->buf = b;
    ch->next = NULL;

    if (ngx_http_waav_voices_call(r, ctx, c, NULL, ch,
                                  (off_t) c->preq.body.len, &err)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, ngx_http_waav_clone_error(r, &err, 0));
    }
}


static ngx_int_t
ngx_http_waav_clone_answer(ngx_http_request_t *r)
{
    char                          msg[WAAV_ERRMSG_MAX + 1];
    size_t                        len;
    u_char                        created[32];
    ngx_tm_t                      tm;
    waav_str_t                    out;
    waav_err_t                    err;
    waav_alloc_t                  a;
    waav_clone_res_t              res;
    ngx_http_waav_clone_t        *cl;
    ngx_http_waav_voices_call_t  *c;

    cl = ((ngx_http_waav_voices_ctx_t *) ngx_http_waav_find_ctx(r)->voices)
         ->clone;
    c = &cl->call;
    ngx_http_waav_allocator(r->pool, &a);
    ngx_memzero(&res, sizeof(waav_clone_res_t));

    if (c->status == 0) {
        waav_err_set(&err, c->rc == NGX_HTTP_GATEWAY_TIME_OUT ? 504 : 502,
                     c->rc == NGX_HTTP_GATEWAY_TIME_OUT
                     ? WAAV_E_PROVIDER_TIMEOUT : WAAV_E_PROVIDER_ERROR,
                     "Could not reach provider %.*s",
                     (int) c->provider->name.len, c->provider->name.data);
        return ngx_http_waav_clone_error(r, &err, 0);
    }

    if (c->status < 200 || c->status >= 300) {
        len = waav_provider_message((char *) c->body, c->len,
                                    (char *) c->provider->key.data,
                                    c->provider->key.len, msg, sizeof(msg));
        waav_err_set(&err, c->status == 429 ? 429 : 502,
                     c->status == 429 ? "PROVIDER_RATE_LIMITED"
                                      : WAAV_E_PROVIDER_ERROR,
                     "%.*s API error: %.*s", (int) c->provider->name.len,
                     c->provider->name.data, (int) len, msg);
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "waav: voice clone: %s", err.message);
        return ngx_http_waav_clone_error(r, &err, c->status);
    }

    if (c->too_big
        || c->va->cloned((char *) c->body, c->len, &res, &a, &err) != 0)
    {
        if (c->too_big) {
            waav_err_set(&err, 502, WAAV_E_PROVIDER_BAD_RESPONSE,
                         "an answer over %zu bytes", c->max);
        }

        return ngx_http_waav_clone_error(r, &err, c->status);
    }

    ngx_gmtime(ngx_time(), &tm);
    ngx_sprintf(created, "%4d-%02d-%02dT%02d:%02d:%02dZ%Z", tm.ngx_tm_year,
                tm.ngx_tm_mon, tm.ngx_tm_mday, tm.ngx_tm_hour, tm.ngx_tm_min,
                tm.ngx_tm_sec);

    if (waav_clone_answer(&cl->req, &res, (char *) created, &out, &a, &err)
        != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_waav_send_json(r, NGX_HTTP_OK, (u_char *) out.data,
                                   out.len);
}
