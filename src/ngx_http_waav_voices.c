/*
 * waav: waav_voices, WaaV's GET /voices.
 *
 *   location = /voices { waav_voices; }            # cached listings
 *   location = /voices { waav_voices direct; }     # no cache
 *
 * Every configured provider whose adapter can list voices is asked at
 * once, each by a subrequest to /_waav/<name>-voices (a sibling of its
 * provider location that scripts/providers-conf.sh writes, with nginx's
 * proxy_cache on: waav/voices-cache.conf), or to its own location with
 * "direct" or when the caller brings its own key for the provider it
 * names (X-Provider-Api-Key with ?provider=: that key lists it, and a
 * shared cache must never serve what one key fetched to another).  The
 * answers are collected by the filters below, at most
 * WAAV_VOICES_ANSWER_MAX bytes each, parsed by the adapters (src/core) and
 * merged into {"<provider>": [{id, sample, name, accent, gender,
 * language}]}.  A provider that fails (an error status, no answer in
 * time, an answer that is not a listing) is left out and logged; the
 * answer is still 200.  ?provider=NAME asks that provider only.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_byok.h"
#include "ngx_http_waav_cred.h"
#include "ngx_http_waav_filter.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
#include "ngx_http_waav_voices.h"
#include "waav_errmsg.h"
#include "waav_jw.h"
#include "waav_tts.h"


static ngx_int_t ngx_http_waav_voices_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_voices_ask(ngx_http_request_t *r);
static void ngx_http_waav_voices_token(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_voices_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_waav_voices_resume(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_voices_answer(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_voices_refused(ngx_http_request_t *r,
    ngx_http_waav_voices_call_t *c);




char *
ngx_http_waav_voices(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_loc_conf_t  *wlcf = conf;

    ngx_str_t  *value;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (ngx_strcmp(value[1].data, "direct") != 0) {
            return "takes \"direct\" (no cache) or nothing";
        }

        wlcf->voices_direct = 1;
    }

    return ngx_http_waav_set_handler(cf, wlcf, ngx_http_waav_voices_handler);
}


/* the providers a /voices request may name: "deepgram, elevenlabs" */
static size_t
ngx_http_waav_voices_names(ngx_http_request_t *r, u_char *buf, size_t size)
{
    u_char                     *p, *last;
    ngx_uint_t                  i;
    ngx_http_waav_provider_t   *pr;
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);
    pr = wmcf->providers.elts;
    p = buf;
    last = buf + size;

    for (i = 0; i < wmcf->providers.nelts; i++) {
        if (pr[i].usable && pr[i].tts && pr[i].tts->voices) {
            p = ngx_slprintf(p, last, "%s%V", p == buf ? "" : ", ",
                             &pr[i].name);
        }
    }

    if (p == buf) {
        p = ngx_slprintf(p, last, "none");
    }

    return p - buf;
}


/* ?provider=NAME: that provider (*one), or every one (*one NULL);
 * NGX_ERROR with err set (400) when it cannot list voices here */
static ngx_int_t
ngx_http_waav_voices_filter(ngx_http_request_t *r,
    ngx_http_waav_provider_t **one, waav_err_t *err)
{
    u_char                     list[512];
    size_t                     len;
    ngx_str_t                  arg;
    waav_str_t                 name;
    ngx_http_waav_provider_t  *p;

    *one = NULL;

    if (ngx_http_arg(r, (u_char *) "provider", 8, &arg) != NGX_OK
        || arg.len == 0)
    {
        return NGX_OK;
    }

    name.data = (char *) arg.data;
    name.len = arg.len;
    p = waav_ident_valid(name.data, name.len)
        ? ngx_http_waav_provider_find(r, name) : NULL;

    /* one without a key of its own may be listed with the caller's */
    if (p && p->tts && p->tts->voices) {
        *one = p;
        return NGX_OK;
    }

    len = ngx_http_waav_voices_names(r, list, sizeof(list));

    if (!waav_ident_valid(name.data, name.len)) {
        name.len = 0;
    }

    waav_err_set(err, NGX_HTTP_BAD_REQUEST, WAAV_E_INVALID_PROVIDER,
                 "Unknown provider '%.*s' for voices (configured providers: "
                 "%.*s)", (int) name.len, name.data, (int) len, list);

    return NGX_ERROR;
}


/*
 * The caller's own key (X-Provider-Api-Key, waav_byok on): the key of the
 * one provider ?provider= names (the dashboard's), used for that listing,
 * which no cache serves or keeps (*own: the provider with that key).
 * Without ?provider= it names no provider: the server's keys list them
 * all (WaaV never reads the header).  A provider named without a key of
 * its own needs the caller's: 400 PROVIDER_NOT_CONFIGURED.
 */
static ngx_int_t
ngx_http_waav_voices_byok(ngx_http_request_t *r,
    ngx_http_waav_provider_t *one, ngx_http_waav_provider_t **own,
    waav_err_t *err)
{
    waav_str_t                 key, none;
    ngx_http_waav_provider_t  *p;

    *own = NULL;

    if (one == NULL) {
        return NGX_OK;
    }

    none.data = NULL;
    none.len = 0;
    p = one;

    if (ngx_http_waav_byok_key(r, none, 1, &key, err) != NGX_OK
        || ngx_http_waav_byok_provider(r, &p, key,
                                       one->tts->voices->cred
                                       ? one->tts->voices->cred
                                       : one->tts->byok_cred, err)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    *own = (p != one) ? p : NULL;

    return NGX_OK;
}


/* the calls: one per provider asked; fixed lists filled at once */
static ngx_int_t
ngx_http_waav_voices_plan(ngx_http_request_t *r,
    ngx_http_waav_voices_ctx_t *ctx, ngx_http_waav_provider_t *one,
    ngx_http_waav_provider_t *own)
{
    ngx_uint_t                    i;
    ngx_http_waav_provider_t     *p;
    ngx_http_waav_main_conf_t    *wmcf;
    ngx_http_waav_voices_call_t  *c;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);
    p = wmcf->providers.elts;

    ctx->calls = ngx_pcalloc(r->pool, (wmcf->providers.nelts + 1)
                                      * sizeof(ngx_http_waav_voices_call_t));
    if (ctx->calls == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < wmcf->providers.nelts; i++) {
        if ((one && &p[i] != one)
            || !(own ? own : &p[i])->usable
            || p[i].tts == NULL || p[i].tts->voices == NULL)
        {
            continue;
        }

        c = &ctx->calls[ctx->n++];
        c->provider = own ? own : &p[i];
        c->va = p[i].tts->voices;
        c->max = WAAV_VOICES_ANSWER_MAX;

        if (c->va->path == NULL) {
            waav_voices_fixed(c->va, &c->list);
            c->ok = 1;
            c->done = 1;
        }
    }

    return NGX_OK;
}


/* the sibling location with nginx's cache (/_waav/deepgram-voices) */
static ngx_str_t *
ngx_http_waav_voices_location(ngx_http_request_t *r,
    ngx_http_waav_provider_t *p)
{
    ngx_str_t  *loc;

    loc = ngx_palloc(r->pool, sizeof(ngx_str_t));
    if (loc == NULL) {
        return NULL;
    }

    loc->len = p->location.len + sizeof("-voices") - 1;
    loc->data = ngx_pnalloc(r->pool, loc->len);
    if (loc->data == NULL) {
        return NULL;
    }

    ngx_sprintf(loc->data, "%V-voices", &p->location);

    return loc;
}


static ngx_int_t
ngx_http_waav_voices_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    waav_err_t                   err;
    ngx_http_waav_ctx_t         *wctx;
    ngx_http_waav_provider_t    *one, *own;
    ngx_http_waav_loc_conf_t    *wlcf;
    ngx_http_waav_voices_ctx_t  *ctx;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_waav_not_allowed(r, "GET, HEAD", "GET or HEAD");
    }

    if (ngx_http_waav_voices_filter(r, &one, &err) != NGX_OK
        || ngx_http_waav_voices_byok(r, one, &own, &err) != NGX_OK)
    {
        return ngx_http_waav_send_err(r, &err);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    wctx = ngx_http_waav_get_ctx(r);
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_voices_ctx_t));
    if (wctx == NULL || ctx == NULL
        || ngx_http_waav_voices_plan(r, ctx, one, own) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    wctx->voices = ctx;
    ctx->done = ngx_http_waav_voices_answer;
    ctx->byok = (own != NULL);

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);
    /* a shared cache never serves or keeps what a caller's key fetched */
    ctx->cache = !wlcf->voices_direct && own == NULL;

    rc = ngx_http_waav_voices_ask(r);

    if (rc == NGX_OK && ctx->pending == 0) {
        return ngx_http_waav_voices_answer(r);
    }

    /* held until the answer (ngx_http_waav_voices_answer finalizes) */
    r->main->count++;

    return NGX_DONE;
}


/* a token for the call's provider when its key is exchanged (Google's
 * service account): NGX_AGAIN while one is on its way, then
 * ngx_http_waav_voices_token; the key and the token never reach a log */
static ngx_int_t
ngx_http_waav_voices_secret(ngx_http_request_t *r,
    ngx_http_waav_voices_call_t *c, waav_err_t *err)
{
    ngx_int_t           rc;
    waav_secret_t       secret;
    const waav_cred_t  *cred;

    cred = c->va->cred ? c->va->cred : ngx_http_waav_byok_tts_cred(c->provider);

    ngx_http_waav_provider_secret(c->provider, &secret);

    if (cred == NULL || waav_cred_for(cred, secret.key)->exchange == NULL) {
        return NGX_OK;
    }

    rc = ngx_http_waav_cred_secret(r, c->provider, cred, &secret,
                                   ngx_http_waav_voices_token, err);

    if (rc == NGX_OK) {
        c->token = secret.token;
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "waav voices: \"%V\" with an exchanged token",
                       &c->provider->name);
    }

    return rc;
}


/* the tokens first, one provider after the other (a token awaited stops
 * the walk, NGX_AGAIN, until ngx_http_waav_voices_token), then every call
 * at once: no listing can end while a token is awaited */
static ngx_int_t
ngx_http_waav_voices_ask(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_uint_t                    i;
    waav_err_t                    err;
    waav_alloc_t                  a;
    ngx_str_t                    *loc;
    ngx_http_waav_voices_ctx_t   *ctx;
    ngx_http_waav_voices_call_t  *c;

    ctx = ngx_http_waav_find_ctx(r)->voices;
    ngx_http_waav_allocator(r->pool, &a);

    for ( /* void */ ; ctx->next < ctx->n; ctx->next++) {
        c = &ctx->calls[ctx->next];
        ngx_memzero(&err, sizeof(waav_err_t));

        rc = c->done ? NGX_OK : ngx_http_waav_voices_secret(r, c, &err);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "waav: voices of \"%V\" not asked: %s",
                          &c->provider->name, err.message);
            c->done = 1;
        }
    }

    for (i = 0; i < ctx->n; i++) {
        c = &ctx->calls[i];

        if (c->done) {
            continue;
        }

        ngx_memzero(&err, sizeof(waav_err_t));
        loc = ctx->cache ? ngx_http_waav_voices_location(r, c->provider)
                         : NULL;

        if ((ctx->cache && loc == NULL)
            || waav_voices_request(c->va, &c->preq, &a, &err) != 0
            || ngx_http_waav_voices_call(r, ctx, c, loc, NULL, -1, &err)
               != NGX_OK)
        {
            /* this provider only: the others still answer */
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "waav: voices of \"%V\" not asked: %s",
                          &c->provider->name, err.message);
            c->done = 1;
        }
    }

    return NGX_OK;
}


/* a token came (or its exchange failed): the walk goes on */
static void
ngx_http_waav_voices_token(ngx_http_request_t *r)
{
    ngx_http_waav_voices_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r)->voices;

    if (ngx_http_waav_voices_ask(r) == NGX_OK && ctx->pending == 0) {
        ngx_http_finalize_request(r, ctx->done(r));
    }
}


ngx_int_t
ngx_http_waav_voices_call(ngx_http_request_t *r,
    ngx_http_waav_voices_ctx_t *ctx, ngx_http_waav_voices_call_t *c,
    ngx_str_t *loc, ngx_chain_t *body, off_t len, waav_err_t *err)
{
    waav_alloc_t               a;
    waav_secret_t              secret;
    const waav_cred_t         *cred;
    ngx_http_waav_provider_t   tp;

    ngx_memzero(err, sizeof(waav_err_t));
    ngx_http_waav_allocator(r->pool, &a);

    cred = c->va->cred ? c->va->cred : ngx_http_waav_byok_tts_cred(c->provider);

    ngx_http_waav_provider_secret(c->provider, &secret);
    secret.token = c->token;

    if (cred && secret.token.len == 0
        && waav_cred_for(cred, secret.key)->exchange)
    {
        /* a clone's provider (ElevenLabs) never exchanges its key */
        return waav_err_set(err, 500, WAAV_E_INTERNAL,
                            "a token exchange is not supported here");
    }

    if (cred && waav_cred_apply(cred, &secret, &c->preq, &a, err) != 0) {
        return NGX_ERROR;
    }

    tp = *c->provider;

    if (loc) {
        tp.location = *loc;
    }

    if (ngx_http_waav_call(r, &tp, &c->preq, body, len,
                           ngx_http_waav_voices_done, c,
                           NGX_HTTP_SUBREQUEST_WAITED, &c->sr)
        != NGX_OK)
    {
        return waav_err_set(err, 500, WAAV_E_INTERNAL, "no subrequest");
    }

    /* a cached answer is a file: read into memory before the filters */
    c->sr->filter_need_in_memory = 1;
    ctx->pending++;

    return NGX_OK;
}


static ngx_int_t
ngx_http_waav_voices_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_waav_voices_call_t  *c = data;

    ngx_http_waav_ctx_t         *wctx;
    ngx_http_waav_voices_ctx_t  *ctx;

    if (c->done) {
        return NGX_OK;
    }

    c->done = 1;
    c->rc = rc;

    wctx = ngx_http_waav_find_ctx(sr->main);
    ctx = wctx->voices;
    ctx->pending--;

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "waav voices: \"%V\" done: rc %i, status %ui, %uz bytes",
                   &c->provider->name, rc, c->status, c->len);

    if (ctx->pending == 0) {
        sr->parent->write_event_handler = ngx_http_waav_voices_resume;
    }

    return NGX_OK;
}


static void
ngx_http_waav_voices_resume(ngx_http_request_t *r)
{
    ngx_http_waav_voices_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r)->voices;
    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, ctx->done(r));
}


/* why a provider is left out, logged; 1 when its listing is usable */
static ngx_uint_t
ngx_http_waav_voices_usable(ngx_http_request_t *r,
    ngx_http_waav_voices_call_t *c)
{
    char          msg[WAAV_ERRMSG_MAX + 1];
    size_t        len;
    waav_err_t    err;
    waav_alloc_t  a;

    if (c->ok) {
        return 1;
    }

    if (c->sr == NULL) {
        return 0;
    }

    if (c->status < 200 || c->status >= 300) {
        len = waav_provider_message((char *) c->body, c->len,
                                    (char *) c->provider->key.data,
                                    c->provider->key.len, msg, sizeof(msg));
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "waav: voices of \"%V\" left out: %s %ui: %*s",
                      &c->provider->name,
                      c->status ? "the provider answered" : "no answer, rc",
                      c->status ? c->status : (ngx_uint_t) c->rc, len, msg);
        return 0;
    }

    ngx_http_waav_allocator(r->pool, &a);

    if (c->too_big) {
        waav_err_set(&err, 502, WAAV_E_PROVIDER_BAD_RESPONSE,
                     "a voice list over %zu bytes", c->max);

    } else if (waav_voices_parse(c->va, (char *) c->body, c->len, &c->list,
                                 &a, &err)
               == 0)
    {
        return 1;
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "waav: voices of \"%V\" left out: %s",
                  &c->provider->name, err.message);

    return 0;
}


/* 502 PROVIDER_ERROR as on /speak: "Provider NAME answered 401: ..."
 * (the provider's message, the caller's key scrubbed) */
static ngx_int_t
ngx_http_waav_voices_refused(ngx_http_request_t *r,
    ngx_http_waav_voices_call_t *c)
{
    char        msg[WAAV_ERRMSG_MAX + 1];
    size_t      len;
    waav_err_t  err;

    len = waav_provider_message((char *) c->body, c->len,
                                (char *) c->provider->key.data,
                                c->provider->key.len, msg, sizeof(msg));

    waav_err_set(&err, NGX_HTTP_BAD_GATEWAY, WAAV_E_PROVIDER_ERROR,
                 "Provider %.*s answered %u: %.*s",
                 (int) c->provider->name.len, c->provider->name.data,
                 (unsigned) c->status, (int) len, msg);

    return ngx_http_waav_send_err(r, &err);
}


static ngx_int_t
ngx_http_waav_voices_answer(ngx_http_request_t *r)
{
    size_t                        size;
    ngx_uint_t                    i;
    waav_jw_t                     w;
    waav_str_t                    out;
    waav_err_t                    err;
    waav_alloc_t                  a;
    ngx_http_waav_voices_ctx_t   *ctx;
    ngx_http_waav_voices_call_t  *c;

    ctx = ngx_http_waav_find_ctx(r)->voices;
    ngx_http_waav_allocator(r->pool, &a);
    size = 8;

    for (i = 0; i < ctx->n; i++) {
        c = &ctx->calls[i];
        c->ok = ngx_http_waav_voices_usable(r, c);

        if (c->ok) {
            size += waav_voices_size((char *) c->provider->name.data,
                                     &c->list);
        }
    }

    /* the caller's own key refused: said, not an empty list */
    c = &ctx->calls[0];

    if (ctx->byok && ctx->n == 1 && !c->ok
        && (c->status == NGX_HTTP_UNAUTHORIZED
            || c->status == NGX_HTTP_FORBIDDEN))
    {
        return ngx_http_waav_voices_refused(r, c);
    }

    if (waav_jw_alloc(&w, size, &a, &err) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    waav_jw_open(&w, NULL);

    for (i = 0; i < ctx->n; i++) {
        c = &ctx->calls[i];

        if (c->ok) {
            waav_voices_write(&w, (char *) c->provider->name.data, &c->list);
        }
    }

    waav_jw_close(&w);

    if (waav_jw_done(&w, &out) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_waav_send_json(r, NGX_HTTP_OK, (u_char *) out.data,
                                   out.len);
}


/* --- the provider answers, kept in memory -------------------------------- */

static ngx_http_waav_voices_call_t *
ngx_http_waav_voices_sr_call(ngx_http_request_t *r)
{
    ngx_uint_t                   i;
    ngx_http_waav_ctx_t         *wctx;
    ngx_http_waav_voices_ctx_t  *ctx;

    wctx = ngx_http_waav_find_ctx(r->main);
    ctx = wctx ? wctx->voices : NULL;

    if (ctx == NULL) {
        return NULL;
    }

    for (i = 0; i < ctx->n; i++) {
        if (ctx->calls[i].sr == r) {
            return &ctx->calls[i];
        }
    }

    return NULL;
}


ngx_int_t
ngx_http_waav_voices_header_filter(ngx_http_request_t *r)
{
    ngx_http_waav_voices_call_t  *c;

    c = ngx_http_waav_voices_sr_call(r);

    if (c == NULL) {
        return NGX_DECLINED;
    }

    /* the provider's status; none when nginx answers for it (504 on a
     * timeout, 502 when it cannot connect) */
    c->status = r->upstream ? r->upstream->headers_in.status_n : 0;
    c->len = 0;
    c->too_big = 0;

    /* nothing of it goes to the client */
    r->headers_out.content_length_n = -1;

    return ngx_http_waav_next_header_filter(r);
}


static ngx_int_t
ngx_http_waav_voices_keep(ngx_http_request_t *r,
    ngx_http_waav_voices_call_t *c, u_char *p, size_t n)
{
    u_char  *nb;
    size_t   cap;

    if (c->too_big || n == 0) {
        return NGX_OK;
    }

    if (n > c->max - c->len) {
        c->too_big = 1;
        return NGX_OK;
    }

    if (c->len + n > c->cap) {
        cap = ngx_max(c->cap * 2, c->len + n);
        cap = ngx_max(cap, 16384);
        cap = ngx_min(cap, c->max);

        nb = ngx_pnalloc(r->pool, cap);
        if (nb == NULL) {
            return NGX_ERROR;
        }

        if (c->len) {
            ngx_memcpy(nb, c->body, c->len);
        }

        c->body = nb;
        c->cap = cap;
    }

    ngx_memcpy(c->body + c->len, p, n);
    c->len += n;

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_voices_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t                  *cl;
    ngx_http_waav_voices_call_t  *c;

    c = ngx_http_waav_voices_sr_call(r);

    if (c == NULL) {
        return NGX_DECLINED;
    }

    for (cl = in; cl; cl = cl->next) {
        if (ngx_buf_in_memory(cl->buf)
            && ngx_http_waav_voices_keep(r, c, cl->buf->pos,
                                         cl->buf->last - cl->buf->pos)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (!ngx_buf_in_memory(cl->buf) && ngx_buf_size(cl->buf)) {
            /* a file buffer the copy filter did not read */
            c->too_big = 1;
        }

        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    return NGX_OK;
}
