/*
 * waav: tokens exchanged for a provider's key (the credentials hook's
 * exchange() and exchanged(), src/core/waav_cred.h).
 *
 * When any declared provider's adapter exchanges its key for a token,
 * waav adds one shared memory zone, "waav_cred", with a slot a provider:
 * the token (at most WAAV_CRED_TOKEN_MAX bytes), when to refresh it and
 * when it expires, so every worker sends the same token and the provider
 * sees one exchange per token lifetime, not one per worker.
 *
 * A call that finds no token to use makes the exchange first, as an
 * in-memory subrequest to the provider's token location (token_location=,
 * by default the provider's location with "-token": the token host is not
 * the API's), and marks the slot "exchanging" for a bounded time: other
 * calls meanwhile send the old token while it is valid, or wait for the
 * new one (polling the slot) rather than exchange again.  A token is
 * refreshed a tenth of its lifetime (at least a second) before it expires.
 * A failed exchange is 502 PROVIDER_AUTH_FAILED, for its own call and for
 * every call that waited for it (the failure is kept in the slot with the
 * exchange's number: waiters do not each try the key again in turn); a
 * failed refresh keeps the old token and tries again only after
 * NGX_HTTP_WAAV_CRED_RETRY.  Only the call that marked the slot clears the
 * mark.  The key is never logged, nor is the token.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_cred.h"
#include "ngx_http_waav_filter.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_util.h"


/* how long an exchange may be in flight before another may start: more
 * than the token locations' timeouts together (scripts/providers-conf.sh:
 * connect 2 s, send 5 s, read 5 s), so an exchange always ends first */
#define NGX_HTTP_WAAV_CRED_EXCHANGE_TIME  15

/* after a failed refresh, the old token serves this long before the next
 * try (s) */
#define NGX_HTTP_WAAV_CRED_RETRY  3

/* how often a call waiting for another's exchange looks again (ms) */
#define NGX_HTTP_WAAV_CRED_POLL  20

/* the most of an exchange's answer kept: a token and white space */
#define NGX_HTTP_WAAV_CRED_ANSWER_MAX  (WAAV_CRED_TOKEN_MAX + 256)


typedef struct {
    uint32_t                    id;         /* the provider's cred_id */
    time_t                      refresh;    /* a new token from then on */
    time_t                      expires;    /* not sent from then on */
    time_t                      exchanging; /* one in flight until then */
    ngx_uint_t                  number;     /* the last exchange's */
    ngx_uint_t                  failed;     /* the last failed one's */
    u_char                      why[sizeof(((waav_err_t *) 0)->message)];
    size_t                      len;
    u_char                      token[WAAV_CRED_TOKEN_MAX];
} ngx_http_waav_cred_slot_t;


/* the zone's head: what the slots after it look like, so a reload with a
 * rebuilt module of another slot layout starts afresh rather than misread
 * them */
typedef struct {
    uint32_t                    magic;
    uint32_t                    slot_size;
    ngx_uint_t                  n;
} ngx_http_waav_cred_head_t;

#define NGX_HTTP_WAAV_CRED_MAGIC  0x77637264    /* "wcrd" */


typedef struct {
    ngx_slab_pool_t            *shpool;
    ngx_http_waav_cred_slot_t  *slots;
    ngx_uint_t                  n;
} ngx_http_waav_cred_zone_t;


typedef struct {
    ngx_http_request_t         *r;
    ngx_http_request_t         *sr;
    ngx_http_waav_provider_t   *provider;
    const waav_cred_t          *cred;
    ngx_http_waav_cred_done_pt  done;
    ngx_http_event_handler_pt   saved_weh;

    ngx_str_t                   token;      /* what this request sends */
    waav_err_t                  err;        /* the exchange failed */

    ngx_int_t                   rc;         /* the exchange's */
    ngx_uint_t                  status;
    u_char                     *body;       /* its answer, bounded */
    size_t                      len;

    ngx_event_t                 wait;       /* for another's exchange */
    ngx_uint_t                  number;     /* the exchange made or awaited */

    unsigned                    failed:1;
    unsigned                    too_big:1;
    unsigned                    header:1;
} ngx_http_waav_cred_ctx_t;


static ngx_int_t
ngx_http_waav_cred_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_waav_cred_head_t  *head;
    ngx_http_waav_cred_zone_t  *zone = shm_zone->data;

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    head = data ? zone->shpool->data : NULL;

    if (head && head->magic == NGX_HTTP_WAAV_CRED_MAGIC
        && head->slot_size == sizeof(ngx_http_waav_cred_slot_t)
        && head->n == zone->n)
    {
        /* a reload with as many slots of this layout: the tokens carry
         * on (each slot's id says whose it is, and with which key) */
        zone->slots = (ngx_http_waav_cred_slot_t *) (head + 1);
        return NGX_OK;
    }

    /* another layout (its size is the same only by chance): new slots;
     * the old ones stay for the old workers */
    head = ngx_slab_calloc(zone->shpool, sizeof(ngx_http_waav_cred_head_t)
                           + zone->n * sizeof(ngx_http_waav_cred_slot_t));
    if (head == NULL) {
        return NGX_ERROR;
    }

    head->magic = NGX_HTTP_WAAV_CRED_MAGIC;
    head->slot_size = sizeof(ngx_http_waav_cred_slot_t);
    head->n = zone->n;

    zone->slots = (ngx_http_waav_cred_slot_t *) (head + 1);
    zone->shpool->data = head;
    zone->shpool->log_nomem = 0;

    return NGX_OK;
}


/* token_location= only where a key is exchanged, and neither a provider's
 * location nor under one (a provider named "azure-token", or
 * token_location=/_waav/deepgram/x, would send the key to another host) */
static ngx_int_t
ngx_http_waav_cred_check(ngx_conf_t *cf, ngx_http_waav_main_conf_t *wmcf,
    ngx_http_waav_provider_t *p)
{
    ngx_uint_t                 i;
    ngx_http_waav_provider_t  *o;

    if (p->cred == NULL) {
        if (p->token_location.len) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "waav_provider \"%V\": token_location= is for "
                               "a provider that exchanges its key", &p->name);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    o = wmcf->providers.elts;

    for (i = 0; i < wmcf->providers.nelts; i++) {
        if (o[i].location.len <= p->token_location.len
            && ngx_strncmp(o[i].location.data, p->token_location.data,
                           o[i].location.len)
               == 0
            && (o[i].location.len == p->token_location.len
                || p->token_location.data[o[i].location.len] == '/'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "waav_provider \"%V\": its token location "
                               "\"%V\" is in provider \"%V\"'s location",
                               &p->name, &p->token_location, &o[i].name);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_cred_init(ngx_conf_t *cf)
{
    size_t                      size;
    ngx_str_t                   name = ngx_string("waav_cred");
    ngx_uint_t                  i, n;
    ngx_shm_zone_t             *shm_zone;
    ngx_http_waav_provider_t   *p;
    ngx_http_waav_main_conf_t  *wmcf;
    ngx_http_waav_cred_zone_t  *zone;

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_waav_module);
    p = wmcf->providers.elts;
    n = 0;

    for (i = 0; i < wmcf->providers.nelts; i++) {
        if (ngx_http_waav_cred_check(cf, wmcf, &p[i]) != NGX_OK) {
            return NGX_ERROR;
        }

        if (p[i].cred == NULL) {
            continue;
        }

        p[i].cred_slot = n++;

        /* a slot's token is this provider's, got with this key */
        ngx_crc32_init(p[i].cred_id);
        ngx_crc32_update(&p[i].cred_id, p[i].name.data, p[i].name.len);
        ngx_crc32_update(&p[i].cred_id, (u_char *) "", 1);
        ngx_crc32_update(&p[i].cred_id, p[i].key.data, p[i].key.len);
        ngx_crc32_final(p[i].cred_id);
    }

    if (n == 0) {
        return NGX_OK;
    }

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_cred_zone_t));
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->n = n;

    /* the slab's own pages and the slots, to the byte: a rebuilt module
     * whose slots differ in size gets a new zone at reload */
    size = 8 * ngx_pagesize + sizeof(ngx_http_waav_cred_head_t)
           + n * sizeof(ngx_http_waav_cred_slot_t);

    shm_zone = ngx_shared_memory_add(cf, &name, size, &ngx_http_waav_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the zone name \"waav_cred\" is waav's own");
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_waav_cred_init_zone;
    shm_zone->data = zone;

    for (i = 0; i < wmcf->providers.nelts; i++) {
        p[i].cred_zone = p[i].cred ? zone : NULL;
    }

    return NGX_OK;
}


static ngx_int_t ngx_http_waav_cred_release(ngx_http_request_t *r,
    ngx_http_waav_cred_ctx_t *ctx);


/* the request ends: its timer goes, and an exchange it left unanswered
 * (the client went away) no longer holds the others back */
static void
ngx_http_waav_cred_cleanup(void *data)
{
    ngx_http_waav_cred_ctx_t  *ctx = data;

    if (ctx->wait.timer_set) {
        ngx_del_timer(&ctx->wait);
    }

    if (ctx->sr) {
        ctx->sr = NULL;
        (void) ngx_http_waav_cred_release(NULL, ctx);
    }
}


static void
ngx_http_waav_cred_wait_handler(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_waav_cred_ctx_t  *ctx = ev->data;

    r = ctx->r;
    c = r->connection;

    if (c->error) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);

    } else {
        ctx->done(r);
    }

    ngx_http_run_posted_requests(c);
}


static ngx_http_waav_cred_ctx_t *
ngx_http_waav_cred_ctx(ngx_http_request_t *r, ngx_http_waav_provider_t *p)
{
    ngx_pool_cleanup_t        *cln;
    ngx_http_waav_ctx_t       *wctx;
    ngx_http_waav_cred_ctx_t  *ctx;

    wctx = ngx_http_waav_get_ctx(r);
    if (wctx == NULL) {
        return NULL;
    }

    ctx = wctx->cred;

    if (ctx && ctx->provider == p) {
        return ctx;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_cred_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx == NULL || cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_waav_cred_cleanup;
    cln->data = ctx;

    ctx->r = r;
    ctx->provider = p;
    ctx->wait.handler = ngx_http_waav_cred_wait_handler;
    ctx->wait.data = ctx;
    ctx->wait.log = r->connection->log;

    wctx->cred = ctx;

    return ctx;
}


static ngx_http_waav_cred_slot_t *
ngx_http_waav_cred_slot(ngx_http_waav_provider_t *p, ngx_slab_pool_t **shpool)
{
    ngx_http_waav_cred_zone_t  *zone = p->cred_zone;

    *shpool = zone->shpool;

    return &zone->slots[p->cred_slot];
}


/* the slot's token for this request, copied out of the zone (locked) */
static ngx_int_t
ngx_http_waav_cred_take(ngx_http_request_t *r, ngx_http_waav_cred_ctx_t *ctx,
    ngx_http_waav_cred_slot_t *slot)
{
    if (slot->len > WAAV_CRED_TOKEN_MAX) {
        return NGX_ERROR;               /* never stored so: not ours */
    }

    ctx->token.data = ngx_pnalloc(r->pool, slot->len);
    if (ctx->token.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->token.data, slot->token, slot->len);
    ctx->token.len = slot->len;

    return NGX_OK;
}


static ngx_int_t ngx_http_waav_cred_exchange(ngx_http_request_t *r,
    ngx_http_waav_cred_ctx_t *ctx, waav_secret_t *secret, waav_err_t *err);


/*
 * The zone's answer for this call: NGX_OK with ctx->token, NGX_AGAIN
 * while another call's exchange is in flight, NGX_DECLINED when this call
 * is to exchange (the slot is marked), NGX_ERROR.
 */
static ngx_int_t
ngx_http_waav_cred_lookup(ngx_http_request_t *r, ngx_http_waav_cred_ctx_t *ctx)
{
    time_t                      now;
    ngx_int_t                   rc;
    ngx_uint_t                  valid, fresh;
    ngx_slab_pool_t            *shpool;
    ngx_http_waav_cred_slot_t  *slot;

    slot = ngx_http_waav_cred_slot(ctx->provider, &shpool);
    now = ngx_time();

    ngx_shmtx_lock(&shpool->mutex);

    valid = slot->id == ctx->provider->cred_id && slot->len
            && now < slot->expires;
    fresh = valid && now < slot->refresh;

    if (fresh || (valid && slot->exchanging > now)) {
        rc = ngx_http_waav_cred_take(r, ctx, slot);

    } else if (ctx->number && slot->failed == ctx->number) {
        /* the exchange this call waited for failed (and no later one has
         * a token yet): so does this call */
        ngx_memcpy(ctx->err.message, slot->why, sizeof(slot->why));
        rc = NGX_DONE;

    } else if (slot->exchanging > now) {
        ctx->number = slot->number;
        rc = NGX_AGAIN;

    } else {
        /* this call exchanges; the others wait or use the old token */
        slot->exchanging = now + NGX_HTTP_WAAV_CRED_EXCHANGE_TIME;
        if (++slot->number == 0) {
            slot->number = 1;
        }

        ctx->number = slot->number;
        rc = NGX_DECLINED;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav cred: \"%V\" %s%s", &ctx->provider->name,
                   rc == NGX_OK ? "token cached"
                   : rc == NGX_AGAIN ? "waits for another's exchange"
                   : rc == NGX_DECLINED ? "exchanges its key"
                   : rc == NGX_DONE ? "the exchange it waited for failed"
                   : "error",
                   (rc == NGX_OK && !fresh) ? " (a refresh in flight)" : "");

    return rc;
}


/* a new call on the same request (a /ws session's next speak): the token
 * is looked up again, a past failure forgotten */
void
ngx_http_waav_cred_renew(ngx_http_request_t *r)
{
    ngx_http_waav_ctx_t       *wctx;
    ngx_http_waav_cred_ctx_t  *ctx;

    wctx = ngx_http_waav_find_ctx(r);
    ctx = wctx ? wctx->cred : NULL;

    if (ctx == NULL || ctx->sr || ctx->wait.timer_set) {
        return;
    }

    ctx->token.len = 0;
    ctx->failed = 0;
    ctx->number = 0;
}


ngx_int_t
ngx_http_waav_cred_secret(ngx_http_request_t *r, ngx_http_waav_provider_t *p,
    const waav_cred_t *cred, waav_secret_t *secret,
    ngx_http_waav_cred_done_pt done, waav_err_t *err)
{
    ngx_int_t                  rc;
    ngx_http_waav_cred_ctx_t  *ctx;

    ngx_http_waav_provider_secret(p, secret);

    /* the scheme the key takes (Google's: by its shape) */
    cred = waav_cred_for(cred, secret->key);

    if (cred == NULL || cred->exchange == NULL) {
        return NGX_OK;
    }

    if (p->cred_zone == NULL) {
        /* a client's own key of a shape that is exchanged: no cache */
        waav_err_set(err, NGX_HTTP_BAD_REQUEST, "BYOK_UNSUPPORTED",
                     "Provider %.*s takes a client's own key only as an "
                     "API key", (int) p->name.len, p->name.data);
        return NGX_ERROR;
    }

    ctx = ngx_http_waav_cred_ctx(r, p);
    if (ctx == NULL) {
        waav_err_nomem(err);
        return NGX_ERROR;
    }

    ctx->cred = cred;
    ctx->done = done;

    if (ctx->failed) {
        *err = ctx->err;
        return NGX_ERROR;
    }

    rc = ctx->token.len ? NGX_OK : ngx_http_waav_cred_lookup(r, ctx);

    switch (rc) {

    case NGX_OK:
        secret->token.data = (char *) ctx->token.data;
        secret->token.len = ctx->token.len;
        return NGX_OK;

    case NGX_AGAIN:
        ngx_add_timer(&ctx->wait, NGX_HTTP_WAAV_CRED_POLL);
        return NGX_AGAIN;

    case NGX_DECLINED:
        return ngx_http_waav_cred_exchange(r, ctx, secret, err);

    case NGX_DONE:
        ctx->err.status = NGX_HTTP_BAD_GATEWAY;
        ctx->err.code = WAAV_E_PROVIDER_AUTH_FAILED;
        ctx->failed = 1;
        *err = ctx->err;
        return NGX_ERROR;

    default:
        waav_err_nomem(err);
        return NGX_ERROR;
    }
}


static ngx_int_t ngx_http_waav_cred_sent(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);


/* the exchange request, to the provider's token location */
static ngx_int_t
ngx_http_waav_cred_exchange(ngx_http_request_t *r,
    ngx_http_waav_cred_ctx_t *ctx, waav_secret_t *secret, waav_err_t *err)
{
    ngx_buf_t                 *b;
    ngx_chain_t               *cl;
    waav_alloc_t               a;
    waav_http_req_t            req;
    ngx_http_waav_provider_t   tp;

    ngx_http_waav_allocator(r->pool, &a);

    if (ctx->cred->exchange(ctx->cred, secret, &req, &a, err) != 0) {
        (void) ngx_http_waav_cred_release(NULL, ctx);
        return NGX_ERROR;
    }

    /* the provider, at its token host */
    tp = *ctx->provider;
    tp.location = ctx->provider->token_location;

    ctx->header = 0;
    ctx->too_big = 0;
    ctx->len = 0;

    /* a body (IBM's and Google's forms): one buffer, rewindable */
    cl = NULL;

    if (req.body.len) {
        b = ngx_calloc_buf(r->pool);
        cl = ngx_alloc_chain_link(r->pool);
        if (b == NULL || cl == NULL) {
            (void) ngx_http_waav_cred_release(NULL, ctx);
            waav_err_nomem(err);
            return NGX_ERROR;
        }

        b->start = (u_char *) req.body.data;
        b->pos = b->start;
        b->last = b->start + req.body.len;
        b->end = b->last;
        b->memory = 1;
        b->last_buf = 1;

        cl->buf = b;
        cl->next = NULL;
    }

    if (ngx_http_waav_call(r, &tp, &req, cl, (off_t) req.body.len,
                           ngx_http_waav_cred_sent, ctx,
                           NGX_HTTP_SUBREQUEST_IN_MEMORY
                           |NGX_HTTP_SUBREQUEST_WAITED, &ctx->sr)
        != NGX_OK)
    {
        (void) ngx_http_waav_cred_release(NULL, ctx);
        waav_err_nomem(err);
        return NGX_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav cred: \"%V\" exchange sent", &ctx->provider->name);

    return NGX_AGAIN;
}


/*
 * This call's exchange is over without a token: the slot is free for
 * another.  With r (the exchange failed): NGX_OK when the old token is still
 * valid (this request takes it, the next try waits NGX_HTTP_WAAV_CRED_RETRY),
 * else the failure is kept for the calls that waited.  Without r (the
 * request ended first): the mark goes, the waiters try themselves.  Only
 * the call that marked the slot clears the mark.
 */
static ngx_int_t
ngx_http_waav_cred_release(ngx_http_request_t *r,
    ngx_http_waav_cred_ctx_t *ctx)
{
    time_t                      now;
    ngx_int_t                   rc;
    ngx_slab_pool_t            *shpool;
    ngx_http_waav_cred_slot_t  *slot;

    slot = ngx_http_waav_cred_slot(ctx->provider, &shpool);
    now = ngx_time();
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&shpool->mutex);

    if (slot->number == ctx->number) {
        slot->exchanging = 0;
    }

    if (r && slot->id == ctx->provider->cred_id && slot->len
        && now < slot->expires)
    {
        rc = ngx_http_waav_cred_take(r, ctx, slot);

        if (slot->number == ctx->number) {
            slot->exchanging = ngx_min(now + NGX_HTTP_WAAV_CRED_RETRY,
                                       slot->expires);
        }

    } else if (r && slot->number == ctx->number) {
        slot->failed = ctx->number;
        ngx_memcpy(slot->why, ctx->err.message, sizeof(slot->why));
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


/* the new token into the zone and this request */
static ngx_int_t
ngx_http_waav_cred_store(ngx_http_request_t *r, ngx_http_waav_cred_ctx_t *ctx,
    waav_str_t token, unsigned ttl)
{
    time_t                      now, margin;
    ngx_slab_pool_t            *shpool;
    ngx_http_waav_cred_slot_t  *slot;

    slot = ngx_http_waav_cred_slot(ctx->provider, &shpool);
    now = ngx_time();
    margin = ngx_max((time_t) ttl / 10, 1);

    ctx->token.data = ngx_pnalloc(r->pool, token.len);
    if (ctx->token.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->token.data, token.data, token.len);
    ctx->token.len = token.len;

    ngx_shmtx_lock(&shpool->mutex);

    ngx_memcpy(slot->token, token.data, token.len);
    slot->len = token.len;
    slot->id = ctx->provider->cred_id;
    slot->refresh = now + (time_t) ttl - margin;
    slot->expires = now + (time_t) ttl - 1;
    slot->exchanging = 0;

    ngx_shmtx_unlock(&shpool->mutex);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav cred: \"%V\" token stored: %uz bytes, %ui s",
                   &ctx->provider->name, token.len, (ngx_uint_t) ttl);

    return NGX_OK;
}


/* what the exchange came to: a token, or ctx->failed with ctx->err */
static void
ngx_http_waav_cred_answer(ngx_http_request_t *r, ngx_http_waav_cred_ctx_t *ctx)
{
    unsigned        ttl;
    waav_str_t      token;
    waav_alloc_t    a;
    waav_secret_t   secret;
    ngx_str_t      *name;

    name = &ctx->provider->name;

    if (!ctx->header || ctx->rc == NGX_ERROR
        || ctx->rc >= NGX_HTTP_SPECIAL_RESPONSE)
    {
        waav_err_set(&ctx->err, NGX_HTTP_BAD_GATEWAY,
                     WAAV_E_PROVIDER_AUTH_FAILED,
                     "Could not reach the token service of provider %.*s",
                     (int) name->len, name->data);

    } else if (ctx->status == NGX_HTTP_UNAUTHORIZED
               || ctx->status == NGX_HTTP_FORBIDDEN)
    {
        waav_err_set(&ctx->err, NGX_HTTP_BAD_GATEWAY,
                     WAAV_E_PROVIDER_AUTH_FAILED,
                     "Provider %.*s refused its key for a token (%lu)",
                     (int) name->len, name->data,
                     (unsigned long) ctx->status);

    } else if (ctx->status < 200 || ctx->status >= 300) {
        waav_err_set(&ctx->err, NGX_HTTP_BAD_GATEWAY,
                     WAAV_E_PROVIDER_AUTH_FAILED,
                     "The token service of provider %.*s answered %lu",
                     (int) name->len, name->data,
                     (unsigned long) ctx->status);

    } else if (ctx->too_big) {
        waav_err_set(&ctx->err, NGX_HTTP_BAD_GATEWAY,
                     WAAV_E_PROVIDER_AUTH_FAILED,
                     "Provider %.*s answered a token over %d bytes",
                     (int) name->len, name->data, WAAV_CRED_TOKEN_MAX);

    } else {
        ngx_http_waav_allocator(r->pool, &a);
        ngx_http_waav_provider_secret(ctx->provider, &secret);

        if (ctx->cred->exchanged(ctx->cred, &secret, (char *) ctx->body,
                                 ctx->len, &token, &ttl, &a, &ctx->err)
            == 0
            && token.len <= WAAV_CRED_TOKEN_MAX)
        {
            if (ngx_http_waav_cred_store(r, ctx, token, ttl) == NGX_OK) {
                return;
            }

            waav_err_nomem(&ctx->err);

        } else if (ctx->err.code == NULL) {
            waav_err_set(&ctx->err, NGX_HTTP_BAD_GATEWAY,
                         WAAV_E_PROVIDER_AUTH_FAILED, "token too long");
        }
    }

    /* the key is in no message: only the provider's name and status */
    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0, "waav: %s",
                  ctx->err.message);

    /* a refresh that failed: the old token serves while it is valid */
    if (ngx_http_waav_cred_release(r, ctx) == NGX_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "waav cred: \"%V\" keeps its old token", name);
        return;
    }

    ctx->failed = 1;
}


static void
ngx_http_waav_cred_resume(ngx_http_request_t *r)
{
    ngx_http_waav_ctx_t       *wctx;
    ngx_http_waav_cred_ctx_t  *ctx;

    wctx = ngx_http_waav_find_ctx(r);
    ctx = wctx ? wctx->cred : NULL;

    if (ctx == NULL || ctx->sr == NULL) {
        return;
    }

    r->write_event_handler = ctx->saved_weh ? ctx->saved_weh
                                            : ngx_http_request_empty_handler;
    ctx->sr = NULL;

    ngx_http_waav_cred_answer(r, ctx);

    ctx->done(r);
}


static ngx_int_t
ngx_http_waav_cred_sent(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_waav_cred_ctx_t  *ctx = data;

    ctx->rc = rc;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "waav cred: \"%V\" exchange done: rc %i, status %ui",
                   &ctx->provider->name, rc, ctx->status);

    if (sr->parent->write_event_handler != ngx_http_waav_cred_resume) {
        ctx->saved_weh = sr->parent->write_event_handler;
    }
    sr->parent->write_event_handler = ngx_http_waav_cred_resume;

    /* the parent answers, never nginx's error page */
    return NGX_OK;
}


void
ngx_http_waav_cred_refused(ngx_http_request_t *r, ngx_http_waav_provider_t *p)
{
    ngx_slab_pool_t            *shpool;
    ngx_http_waav_ctx_t        *wctx;
    ngx_http_waav_cred_ctx_t   *ctx;
    ngx_http_waav_cred_slot_t  *slot;

    wctx = ngx_http_waav_find_ctx(r);
    ctx = wctx ? wctx->cred : NULL;

    if (ctx == NULL || ctx->provider != p || ctx->token.len == 0
        || p->cred_zone == NULL)
    {
        return;
    }

    slot = ngx_http_waav_cred_slot(p, &shpool);

    ngx_shmtx_lock(&shpool->mutex);

    /* only the token this request sent: a newer one may be there */
    if (slot->len == ctx->token.len
        && ngx_memcmp(slot->token, ctx->token.data, slot->len) == 0)
    {
        slot->len = 0;
        slot->expires = 0;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav cred: \"%V\" token refused, dropped", &p->name);
}


/* --- the exchange's answer, kept in memory ------------------------------ */

static ngx_http_waav_cred_ctx_t *
ngx_http_waav_cred_sr_ctx(ngx_http_request_t *r)
{
    ngx_http_waav_ctx_t       *wctx;
    ngx_http_waav_cred_ctx_t  *ctx;

    wctx = ngx_http_waav_find_ctx(r->main);
    ctx = wctx ? wctx->cred : NULL;

    return (ctx && ctx->sr == r) ? ctx : NULL;
}


ngx_int_t
ngx_http_waav_cred_header_filter(ngx_http_request_t *r)
{
    ngx_http_waav_cred_ctx_t  *ctx;

    ctx = ngx_http_waav_cred_sr_ctx(r);

    if (ctx == NULL) {
        return NGX_DECLINED;
    }

    ctx->header = 1;
    ctx->status = r->headers_out.status;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav cred: \"%V\" token service answered %ui",
                   &ctx->provider->name, ctx->status);

    /* the answer goes nowhere but ctx->body: nothing for nginx to keep */
    r->headers_out.content_length_n = -1;

    return ngx_http_waav_next_header_filter(r);
}


/* keeps the answer, up to NGX_HTTP_WAAV_CRED_ANSWER_MAX bytes; a longer
 * one is too big */
ngx_int_t
ngx_http_waav_cred_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                     n;
    ngx_chain_t               *cl;
    ngx_http_waav_cred_ctx_t  *ctx;

    ctx = ngx_http_waav_cred_sr_ctx(r);

    if (ctx == NULL) {
        return NGX_DECLINED;
    }

    for (cl = in; cl; cl = cl->next) {
        if (ngx_buf_in_memory(cl->buf) && !ctx->too_big) {
            if (ctx->body == NULL) {
                ctx->body = ngx_pnalloc(r->pool,
                                        NGX_HTTP_WAAV_CRED_ANSWER_MAX);
                if (ctx->body == NULL) {
                    return NGX_ERROR;
                }
            }

            n = cl->buf->last - cl->buf->pos;

            if (n > NGX_HTTP_WAAV_CRED_ANSWER_MAX - ctx->len) {
                ctx->too_big = 1;

            } else {
                ngx_memcpy(ctx->body + ctx->len, cl->buf->pos, n);
                ctx->len += n;
            }
        }

        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    return NGX_OK;
}
