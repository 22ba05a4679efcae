/*
 * waav: waav_stt, speech to text over REST.
 *
 *   location = /listen { waav_stt deepgram; }
 *
 * POST raw audio (its real Content-Type); the query picks provider, model,
 * language, punctuate, diarize, keywords.  The audio is not copied: the
 * provider subrequest's body is the client body's own buffers (memory or
 * temp file), wrapped by a multipart prefix and suffix for providers that
 * take a form.  The provider's JSON answer comes back in memory (an
 * in-memory subrequest, bounded by subrequest_output_buffer_size in the
 * provider location) and is normalized by the core (src/core/waav_stt*.c);
 * a provider that takes several calls (AssemblyAI's upload, create, poll)
 * is walked through them by its adapter's multi-step hook
 * (ngx_http_waav_stt_step.c).  OpenAI's multipart form:
 * ngx_http_waav_stt_form.c.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_byok.h"
#include "ngx_http_waav_cred.h"
#include "ngx_http_waav_filter.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_stt.h"
#include "ngx_http_waav_util.h"
#include "waav_base64.h"
#include "waav_json.h"
#include "waav_stt_normalize.h"
#include "ngx_http_waav_local.h"
#include "waav_stt_validate.h"


static ngx_int_t ngx_http_waav_stt_handler(ngx_http_request_t *r);
static void ngx_http_waav_stt_secret(ngx_http_request_t *r);
static void ngx_http_waav_stt_go(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_stt_chain_end(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx, ngx_chain_t **last, ngx_chain_t *tail);
static void ngx_http_waav_stt_chained(ngx_http_request_t *r, ngx_int_t rc,
    ngx_chain_t **last, ngx_chain_t *tail);
static void ngx_http_waav_stt_trued(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_stt_answer(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx);
static void ngx_http_waav_stt_resume(ngx_http_request_t *r);


char *
ngx_http_waav_stt(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_loc_conf_t  *wlcf = conf;

    ngx_str_t  *value;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (!waav_ident_valid((char *) value[1].data, value[1].len)) {
            return "has an invalid provider name";
        }

        wlcf->stt_provider = value[1];
    }

    wlcf->stt = 1;
    ngx_http_waav_note_body_size(cf, wlcf);

    return ngx_http_waav_set_handler(cf, wlcf, ngx_http_waav_stt_handler);
}


static ngx_int_t
ngx_http_waav_stt_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    waav_str_t                ct;
    waav_audio_t              au;
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_stt_ctx_t  *ctx;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_waav_not_allowed(r, "POST", "POST");
    }

    ct.data = r->headers_in.content_type
              ? (char *) r->headers_in.content_type->value.data : "";
    ct.len = r->headers_in.content_type
             ? r->headers_in.content_type->value.len : 0;

    wctx = ngx_http_waav_get_ctx(r);
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_stt_ctx_t));
    if (wctx == NULL || ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* OpenAI's form (ngx_http_waav_stt_form.c), or the audio itself */
    if (ct.len >= sizeof("multipart/form-data") - 1
        && ngx_strncasecmp((u_char *) ct.data, (u_char *) "multipart/form-data",
                           sizeof("multipart/form-data") - 1) == 0)
    {
        rc = ngx_http_waav_stt_form(r, ctx, ct);
        if (rc != NGX_OK) {
            return rc;
        }

    } else if (waav_audio_type(ct, &au) == 0) {
        return ngx_http_waav_error(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                   "Content-Type must be audio/wav, "
                                   "audio/x-wav, audio/mpeg, audio/ogg, "
                                   "audio/webm, audio/flac, audio/mp4 or "
                                   "audio/L16;rate=N[;channels=C]",
                                   "UNSUPPORTED_MEDIA_TYPE");
    }

    if (r->headers_in.content_length_n == 0) {
        return ngx_http_waav_error(r, NGX_HTTP_BAD_REQUEST,
                                   "The request body is empty: send the audio",
                                   "EMPTY_BODY");
    }

    wctx->stt = ctx;
    ctx->req.content_type = ct;

    r->disable_not_modified = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_waav_stt_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* a query argument, form-url-decoded; empty when absent */
static ngx_int_t
ngx_http_waav_stt_arg(ngx_http_request_t *r, const char *name, waav_str_t *out)
{
    u_char     *dst, *src;
    ngx_str_t   v;

    out->data = "";
    out->len = 0;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &v) != NGX_OK) {
        return NGX_OK;
    }

    dst = ngx_pnalloc(r->pool, v.len);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    out->data = (char *) dst;
    src = v.data;
    ngx_unescape_uri(&dst, &src, v.len, NGX_UNESCAPE_URI);
    out->len = dst - (u_char *) out->data;

    return NGX_OK;
}


static int
ngx_http_waav_stt_bool(waav_str_t v)
{
    if (v.len == 4 && ngx_strncmp(v.data, "true", 4) == 0) {
        return 1;
    }

    if (v.len == 5 && ngx_strncmp(v.data, "false", 5) == 0) {
        return 0;
    }

    return v.len ? -2 : -1;
}


/* a buffer that reads the same bytes as b without touching b */
static ngx_chain_t *
ngx_http_waav_stt_link(ngx_pool_t *pool, ngx_buf_t *b, ngx_chain_t ***last)
{
    ngx_buf_t    *nb;
    ngx_chain_t  *cl;

    nb = ngx_calloc_buf(pool);
    cl = ngx_alloc_chain_link(pool);
    if (nb == NULL || cl == NULL) {
        return NULL;
    }

    *nb = *b;
    nb->last_buf = 0;
    nb->last_in_chain = 0;
    nb->shadow = NULL;

    cl->buf = nb;
    cl->next = NULL;
    **last = cl;
    *last = &cl->next;

    return cl;
}


static ngx_chain_t *
ngx_http_waav_stt_mem(ngx_pool_t *pool, waav_str_t s, ngx_chain_t ***last)
{
    ngx_buf_t  b;

    ngx_memzero(&b, sizeof(ngx_buf_t));
    b.start = (u_char *) s.data;
    b.pos = b.start;
    b.last = b.start + s.len;
    b.end = b.last;
    b.memory = 1;

    return ngx_http_waav_stt_link(pool, &b, last);
}


/* /listen's options, from the query; NGX_DECLINED with err set */
static ngx_int_t
ngx_http_waav_stt_query(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx,
    waav_str_t *name, waav_err_t *err)
{
    waav_str_t                 v, d;
    ngx_http_waav_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (ngx_http_waav_stt_arg(r, "provider", name) != NGX_OK
        || ngx_http_waav_stt_arg(r, "model", &ctx->req.model) != NGX_OK
        || ngx_http_waav_stt_arg(r, "language", &ctx->req.language) != NGX_OK
        || ngx_http_waav_stt_arg(r, "keywords", &ctx->req.keywords) != NGX_OK
        || ngx_http_waav_stt_arg(r, "prompt", &ctx->req.prompt) != NGX_OK
        || ngx_http_waav_stt_arg(r, "punctuate", &v) != NGX_OK
        || ngx_http_waav_stt_arg(r, "diarize", &d) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (name->len == 0) {
        name->data = (char *) wlcf->stt_provider.data;
        name->len = wlcf->stt_provider.len;
    }

    ctx->req.punctuate = ngx_http_waav_stt_bool(v);
    ctx->req.diarize = ngx_http_waav_stt_bool(d);
    ctx->req.words = 1;
    ctx->fmt = WAAV_STT_FMT_WAAV;

    if (ctx->req.punctuate == -2 || ctx->req.diarize == -2) {
        waav_err_set(err, 400, "INVALID_REQUEST",
                     "punctuate and diarize take true or false");
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* [start, start + len) of the client body, as buffers over its own memory
 * or temp file: nothing copied, nothing read back */
ngx_int_t
ngx_http_waav_stt_slice(ngx_http_request_t *r, off_t start, off_t len,
    ngx_chain_t ***last, ngx_chain_t **tail)
{
    off_t         at, size, from, to;
    ngx_buf_t    *b;
    ngx_chain_t  *cl, *link;

    at = 0;

    for (cl = r->request_body->bufs; cl && len > 0; cl = cl->next) {
        size = ngx_buf_size(cl->buf);

        if (size == 0 || at + size <= start) {
            at += size;
            continue;
        }

        from = ngx_max(start, at) - at;
        to = ngx_min(start + len, at + size) - at;

        if (from >= to) {
            break;
        }

        link = ngx_http_waav_stt_link(r->pool, cl->buf, last);
        if (link == NULL) {
            return NGX_ERROR;
        }

        b = link->buf;

        /* start too: an upstream retry rewinds a buffer to its start */
        if (ngx_buf_in_memory(b)) {
            b->pos = cl->buf->pos + from;
            b->last = cl->buf->pos + to;
            b->start = b->pos;
            b->end = b->last;
            b->in_file = 0;

        } else {
            b->file_pos = cl->buf->file_pos + from;
            b->file_last = cl->buf->file_pos + to;
        }

        *tail = link;
        at += size;
    }

    return NGX_OK;
}


/* the provider a request names: 400 when unknown or without a key */
static ngx_int_t
ngx_http_waav_stt_provider(ngx_http_request_t *r, waav_str_t name,
    ngx_http_waav_provider_t **pp, waav_err_t *err)
{
    u_char                     names[512];
    size_t                     nlen;
    waav_str_t                 none, key;
    ngx_http_waav_provider_t  *p;

    p = *pp;

    if (p == NULL && name.len) {
        p = ngx_http_waav_provider_find(r, name);
    }

    if (p == NULL || p->stt == NULL) {
        ngx_http_waav_provider_list(r, 2, names, sizeof(names), &nlen);
        waav_err_set(err, 400, "INVALID_PROVIDER",
                     "Unknown STT provider '%.*s' (configured providers: %.*s)",
                     (int) name.len, name.data, (int) nlen, (char *) names);
        return NGX_DECLINED;
    }

    /* a streaming-only provider (cartesia): 400, nothing sent to it */
    if (waav_stt_rest(p->stt, err) != 0) {
        return NGX_DECLINED;
    }

    /* the client's own key (waav_byok, X-Provider-Api-Key), or the
     * provider's */
    none.data = NULL;
    none.len = 0;

    if (ngx_http_waav_byok_key(r, none, 1, &key, err) != NGX_OK
        || ngx_http_waav_byok_provider(r, &p, key, p->stt->byok_cred, err)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    *pp = p;

    return NGX_OK;
}


/* the provider's body: [prefix] the client's own buffers [suffix], or
 * prefix, the audio in base64 (read in the thread pool from a temp file:
 * NGX_AGAIN, ngx_http_waav_stt_chained() goes on), suffix */
static ngx_int_t
ngx_http_waav_stt_chain(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx,
    off_t start, off_t audio)
{
    ngx_int_t     rc;
    ngx_uint_t    wrap;
    ngx_chain_t  *chain, **last, *tail;

    chain = NULL;
    last = &chain;
    tail = NULL;
    ctx->body_len = audio;
    wrap = ctx->provider->stt->multipart || ctx->provider->stt->base64;

    /* the form before the audio, the JSON around its base64, or a header
     * (Azure's WAV for L16) */
    if (wrap || ctx->preq.body.len) {
        if (ngx_http_waav_stt_mem(r->pool, ctx->preq.body, &last) == NULL) {
            return NGX_ERROR;
        }

        ctx->body_len += ctx->preq.body.len + ctx->suffix.len;
    }

    if (ctx->provider->stt->base64) {
        /* the prefix is there: the chain's head is known */
        ctx->body = chain;
        ctx->body_len += WAAV_BASE64_LEN(audio) - audio;
        rc = ngx_http_waav_stt_b64(r, start, audio, &last, &tail,
                                   ngx_http_waav_stt_chained);
        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

    } else {
        rc = ngx_http_waav_stt_slice(r, start, audio, &last, &tail);
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->body = chain;

    return ngx_http_waav_stt_chain_end(r, ctx, last, tail);
}


/* the suffix after the audio, the end of the body */
static ngx_int_t
ngx_http_waav_stt_chain_end(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx, ngx_chain_t **last, ngx_chain_t *tail)
{
    if (ctx->provider->stt->multipart || ctx->provider->stt->base64) {
        tail = ngx_http_waav_stt_mem(r->pool, ctx->suffix, &last);
        if (tail == NULL) {
            return NGX_ERROR;
        }
    }

    tail->buf->last_buf = 1;

    return NGX_OK;
}


/* where the audio is in the client body: all of it, or the file part */
static void
ngx_http_waav_stt_audio(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx,
    off_t *start, off_t *len)
{
    ngx_chain_t  *cl;

    if (ctx->mp) {
        *start = (off_t) ctx->mp->file_start;
        *len = (off_t) (ctx->mp->file_end - ctx->mp->file_start);
        return;
    }

    *start = 0;
    *len = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        *len += ngx_buf_size(cl->buf);
    }
}


void
ngx_http_waav_stt_body(ngx_http_request_t *r)
{
    off_t                       audio, start;
    ngx_int_t                   rc;
    waav_str_t                  name;
    waav_err_t                  err;
    waav_alloc_t                a;
    ngx_http_waav_ctx_t        *wctx;
    ngx_http_waav_stt_ctx_t    *ctx;
    ngx_http_waav_provider_t   *p;

    wctx = ngx_http_waav_find_ctx(r);
    ctx = wctx->stt;

    ngx_memzero(&err, sizeof(waav_err_t));
    ngx_http_waav_allocator(r->pool, &a);

    /* the options: OpenAI's form fields, or /listen's query */
    p = NULL;
    rc = ctx->mp ? ngx_http_waav_stt_form_read(r, ctx, &name, &p, &err)
                 : ngx_http_waav_stt_query(r, ctx, &name, &err);

    if (rc == NGX_DECLINED) {
        goto failed;
    }

    if (rc != NGX_OK) {
        goto nomem;
    }

    ngx_http_waav_stt_audio(r, ctx, &start, &audio);

    if (audio == 0) {
        waav_err_set(&err, 400, "EMPTY_BODY",
                     "The request body is empty: send the audio");
        goto failed;
    }

    /* the options, then the audio against what its type promises: what
     * would mislead the provider (or the quota) never reaches it */
    if (waav_stt_validate(&ctx->req, &err) != 0
        || waav_audio_check(&ctx->req.audio, ctx->head, ctx->head_len,
                            (uint64_t) audio, &err)
           != 0
        || ngx_http_waav_stt_provider(r, name, &p, &err) != NGX_OK)
    {
        goto failed;
    }

    /* a WAV's rate, channels and sample format, for the adapter */
    (void) waav_audio_wav_info(&ctx->req.audio, ctx->head,
                               ngx_min(ctx->head_len, (size_t) audio));

    ctx->provider = p;
    ctx->req.byok = p->byok;

    /* the answer names the model used, the provider's default included */
    if (ctx->req.model.len == 0) {
        ctx->req.model.data = p->stt->default_model;
        ctx->req.model.len = ngx_strlen(p->stt->default_model);
    }

    ngx_http_waav_metrics_provider(r, &p->name, &ctx->req.model, NULL, 1);

    ctx->req.audio_len = (uint64_t) audio;
    ctx->audio_start = start;
    ctx->r = r;

    /* the audio's seconds; what the provider would be refused (over
     * Azure's 60 s or Google's minute, a type it lacks): no call, not
     * even a token exchange */
    ctx->req.seconds = waav_audio_seconds(&ctx->req.audio, ctx->head,
                                          ngx_min(ctx->head_len,
                                                  (size_t) audio),
                                          ctx->req.audio_len);

    if (ctx->req.audio.kind == WAAV_AUDIO_WAV
        || ctx->req.audio.kind == WAAV_AUDIO_PCM)
    {
        ctx->req.audio_seconds = ctx->req.seconds;
    }

    if (waav_stt_check(p->stt, &ctx->req, &a, &err) != 0) {
        goto failed;
    }

    ngx_http_waav_stt_secret(r);

    return;

nomem:

    ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    return;

failed:

    ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
}


/* the provider's credentials (a token may be exchanged first: this is
 * called again when it is there), the request, then the call */
static void
ngx_http_waav_stt_secret(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    waav_err_t                 err;
    waav_alloc_t               a;
    waav_secret_t              secret;
    ngx_http_waav_stt_ctx_t   *ctx;
    ngx_http_waav_provider_t  *p;

    ctx = ngx_http_waav_find_ctx(r)->stt;
    p = ctx->provider;

    ngx_memzero(&err, sizeof(waav_err_t));
    ngx_http_waav_allocator(r->pool, &a);

    rc = ngx_http_waav_cred_secret(r, p, p->cred ? p->stt->cred : NULL,
                                   &secret, ngx_http_waav_stt_secret, &err);

    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc != NGX_OK
        || waav_stt_build(p->stt, &ctx->req, &secret, &ctx->preq,
                          &ctx->suffix, &a, &err)
           != 0)
    {
        ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
        return;
    }

    rc = ngx_http_waav_stt_chain(r, ctx, ctx->audio_start,
                                 (off_t) ctx->req.audio_len);

    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_waav_stt_go(r);
}


/* the audio is base64 (ngx_http_waav_stt_b64.c): the suffix, then the
 * call */
static void
ngx_http_waav_stt_chained(ngx_http_request_t *r, ngx_int_t rc,
    ngx_chain_t **last, ngx_chain_t *tail)
{
    ngx_http_waav_stt_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r)->stt;

    if (rc != NGX_OK
        || ngx_http_waav_stt_chain_end(r, ctx, last, tail) != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_waav_stt_go(r);
}


ngx_int_t
ngx_http_waav_stt_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_waav_stt_ctx_t  *ctx = data;

    ctx->done = 1;
    ctx->rc = rc;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "waav stt: provider \"%V\" done: rc %i, status %ui%s",
                   &ctx->provider->name, rc, sr->headers_out.status,
                   ctx->too_big ? ", answer too big" : "");

    sr->parent->write_event_handler = ngx_http_waav_stt_resume;

    /* the parent answers, never nginx's page for the subrequest */
    return NGX_OK;
}


/* the audio's seconds from the location's quotas (which may wait for
 * Redis), then the provider */
static void
ngx_http_waav_stt_go(ngx_http_request_t *r)
{
    uint64_t                   seconds;
    ngx_int_t                  rc;
    waav_err_t                 err;
    ngx_http_waav_ctx_t       *wctx;
    ngx_http_waav_stt_ctx_t   *ctx;
    ngx_http_waav_provider_t   tp;

    wctx = ngx_http_waav_find_ctx(r);
    ctx = wctx->stt;

    /* the client left while Redis was asked: charge nothing, call nobody */
    if (r->connection->error) {
        ngx_http_waav_limit_refund(r, (uint64_t) -1);
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    seconds = ctx->req.seconds;

    ngx_memzero(&err, sizeof(waav_err_t));

    ctx->seconds = seconds;

    rc = ngx_http_waav_limit_charge_stt(r, seconds, ngx_http_waav_stt_go,
                                        &err);

    if (rc == NGX_AGAIN) {
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
        return;
    }

    ctx->started = ngx_current_msec;
    ngx_http_waav_metrics_call(r);

    /* no provider to call: recognized here, in the thread pool */
    if (ctx->provider->ptype->embedded) {
        ngx_http_waav_local_stt(r, ctx);
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav stt: %V step 0, %O bytes", &ctx->provider->name,
                   ctx->body_len);

    /* its REST calls on the streaming host (IBM's speech to text) */
    tp = *ctx->provider;

    if (tp.stt->stream_host) {
        tp.location = tp.stream_location;
    }

    rc = ngx_http_waav_call(r, &tp, &ctx->preq, ctx->body,
                            ctx->body_len, ngx_http_waav_stt_done, ctx,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED, &ctx->sr);

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
    }
}


/* the answer, once the seconds the provider reported beyond the estimate
 * are charged too, or those below it given back (compressed audio is only
 * estimated before the call) */
void
ngx_http_waav_stt_reply(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx)
{
    uint64_t  reported;

    reported = waav_stt_result_seconds(&ctx->res);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav stt: \"%V\" transcribed: %uL s reported, %uL s "
                   "charged", &ctx->provider->name, reported, ctx->seconds);

    ctx->extra = reported > ctx->seconds ? reported - ctx->seconds : 0;
    ngx_http_waav_metrics_usage(r, reported ? reported : ctx->seconds);

    /* an estimate above what the provider reported is given back */
    if (reported && reported < ctx->seconds) {
        ngx_http_waav_limit_refund(r, ctx->seconds - reported);
    }

    ngx_http_waav_stt_trued(r);
}


static void
ngx_http_waav_stt_trued(ngx_http_request_t *r)
{
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_stt_ctx_t  *ctx;

    wctx = ngx_http_waav_find_ctx(r);
    ctx = wctx->stt;

    /* the call was made: charged even if the client has gone */
    if (ctx->extra
        && ngx_http_waav_limit_true_up_stt(r, ctx->extra,
                                           ngx_http_waav_stt_trued)
           == NGX_AGAIN)
    {
        return;
    }

    ngx_http_finalize_request(r, ngx_http_waav_stt_answer(r, ctx));
}


/* our normalized answer, or OpenAI's shape of it for OpenAI's form */
static ngx_int_t
ngx_http_waav_stt_answer(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx)
{
    waav_str_t     body;
    waav_err_t     err;
    waav_alloc_t   a;
    const char    *type;

    ngx_http_waav_allocator(r->pool, &a);
    ngx_memzero(&err, sizeof(waav_err_t));

    if (waav_stt_format(&ctx->res, ctx->fmt, ctx->req.words, &a, &body, &type,
                        &err)
        != 0)
    {
        return ngx_http_waav_send_err(r, &err);
    }

    return ngx_http_waav_send_typed(r, NGX_HTTP_OK, type, (u_char *) body.data,
                                    body.len);
}


static void
ngx_http_waav_stt_resume(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_uint_t                status;
    ngx_http_request_t       *sr;
    waav_err_t                err;
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_stt_ctx_t  *ctx;
    ngx_http_waav_failure_t   f;

    wctx = ngx_http_waav_find_ctx(r);
    ctx = wctx ? wctx->stt : NULL;

    if (ctx == NULL || !ctx->done) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    sr = ctx->sr;
    status = sr->headers_out.status;

    ngx_memzero(&f, sizeof(ngx_http_waav_failure_t));
    f.rc = ctx->rc;
    f.status = (ctx->rc == NGX_OK || ctx->rc == NGX_DONE
                || (ctx->rc >= 200 && ctx->rc < 300)
                || status >= NGX_HTTP_BAD_REQUEST) ? status : 0;
    f.empty = "an answer that does not fit in memory";

    if (sr->out && sr->out->buf) {
        f.body = sr->out->buf->pos;
        f.body_len = sr->out->buf->last - sr->out->buf->pos;
    }

    if (ctx->too_big) {
        f.empty = ngx_http_waav_stt_too_big(r, sr);
    }

    /* a 2xx that arrived whole: the result, or the next step */
    if (f.status >= 200 && f.status < 300 && ctx->rc != NGX_ERROR
        && !ctx->too_big)
    {
        ngx_memzero(&err, sizeof(waav_err_t));

        rc = ngx_http_waav_stt_step(r, ctx,
                                    (waav_str_t) { (char *) f.body,
                                                   f.body_len },
                                    &err);

        if (rc == NGX_DONE) {
            ngx_http_waav_stt_reply(r, ctx);

        } else if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0, "waav: %s",
                          err.message);
            ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
        }

        return;
    }

    /* the provider failed: the seconds charged for the call are not due */
    ngx_http_waav_limit_refund(r, ctx->seconds);

    f.retry_after = ngx_http_waav_retry_after(sr);

    ngx_http_finalize_request(r, ngx_http_waav_provider_error(r, ctx->provider,
                                                               &f));
}
