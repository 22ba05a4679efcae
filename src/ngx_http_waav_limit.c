/*
 * waav: waav_limit, request rate, cost quotas and concurrency per key.
 *
 *   waav_limit_zone tenants:10m key=$waav_tenant;
 *   location /speak {
 *       waav_auth on;
 *       waav_limit zone=tenants rate=2r/s burst=5;
 *       waav_limit zone=tenants tts_chars=100000/d;   (stt_seconds= alike)
 *       waav_limit zone=tenants concurrency=4;
 *       waav_tts;
 *   }
 *
 * Counters live in a shared memory zone as in ngx_http_limit_req_module:
 * slab pool, rbtree by key hash, LRU queue, short critical sections, kept
 * over reload.  Rate and concurrency are checked in the pre-content
 * phase, after waav_auth (so $waav_tenant is known); a TTS character quota is
 * charged by waav_tts once the text is known, before the provider is
 * called.  Concurrency slots are released by a pool cleanup, so a request
 * frees its slot however it ends.
 */

#include <openssl/sha.h>

#include <hiredis/hiredis.h>

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_redis.h"
#include "waav_json.h"
#include "waav_limit.h"


#define NGX_HTTP_WAAV_LIMIT_RATE       1
#define NGX_HTTP_WAAV_LIMIT_TTS_CHARS  2
#define NGX_HTTP_WAAV_LIMIT_CONC       3
#define NGX_HTTP_WAAV_LIMIT_STT_SECS   4       /* refused as a quota (2) */

#define NGX_HTTP_WAAV_LIMIT_IDLE       60000   /* ms before a node may go */
#define NGX_HTTP_WAAV_LIMIT_FORCE      ((uint64_t) 1 << 50)  /* no limit */


typedef struct {
    u_char        color;
    u_char        kind;
    u_short       len;
    ngx_queue_t   queue;
    uint64_t      last;                   /* monotonic ms, last use */
    uint64_t      a;                      /* tat (us) | window | open count */
    uint64_t      b;                      /*          | used   |            */
    uint64_t      window_ms;              /* quota: the window's length */
    u_char        data[1];                /* limit id + key */
} ngx_http_waav_limit_node_t;


typedef struct {
    ngx_rbtree_t        rbtree;
    ngx_rbtree_node_t   sentinel;
    ngx_queue_t         queue;
} ngx_http_waav_limit_shctx_t;


typedef struct {
    ngx_http_waav_limit_shctx_t  *sh;
    ngx_slab_pool_t              *shpool;
    ngx_http_complex_value_t      key;
    ngx_str_t                     name;
    ngx_http_waav_redis_t        *redis;      /* NULL: this zone only */
} ngx_http_waav_limit_zone_t;


typedef struct {
    ngx_shm_zone_t   *shm_zone;
    ngx_uint_t        kind;
    ngx_uint_t        id;
    uint64_t          interval_us;        /* rate */
    uint64_t          limit;              /* burst | quota | concurrency */
    uint64_t          window_ms;          /* quota */
} ngx_http_waav_limit_t;


typedef struct {
    ngx_http_waav_limit_zone_t  *zone;
    ngx_http_waav_limit_node_t  *node;
} ngx_http_waav_limit_slot_t;


/* a request's walk through its limits, which Redis may pause */
typedef struct {
    ngx_http_request_t          *r;
    ngx_uint_t                   next;          /* the limit to check */
    ngx_uint_t                   tts;           /* 0, or the quotas' kind */
    uint64_t                     cost;
    ngx_uint_t                   kind;          /* the refusing limit */
    waav_limit_result_t          res;
    ngx_http_waav_redis_call_t  *call;          /* in flight */
    ngx_http_waav_limit_zone_t  *zone;          /* ... to this zone */
    ngx_event_t                  timer;
    ngx_int_t                    outcome;       /* of the Redis call */
    unsigned                     got:1;
    unsigned                     waiting:1;
    unsigned                     force:1;       /* a true-up */
    void                       (*resume)(ngx_http_request_t *r);
} ngx_http_waav_limit_walk_t;


/*
 * One script for every check, so each is one round trip and atomic:
 * KEYS[1] the counter, ARGV kind and its numbers; returns
 * {allowed, remaining, reset_ms}.  Redis' clock decides, so nginx nodes
 * with skewed clocks still share one limit.
 */
static const char  ngx_http_waav_limit_lua[] =
    "local key, kind = KEYS[1], ARGV[1] "
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "if kind == 'rate' then "
    "  local us = tonumber(t[1]) * 1000000 + tonumber(t[2]) "
    "  local interval, burst = tonumber(ARGV[2]), tonumber(ARGV[3]) "
    "  local tau = interval * burst "
    "  local tat = tonumber(redis.call('GET', key) or '0') "
    "  if tat < us then tat = us end "
    "  local nxt = tat + interval "
    "  if nxt - us > tau then "
    "    return {0, 0, math.ceil((nxt - us - tau) / 1000)} end "
    "  redis.call('SET', key, string.format('%.0f', nxt), 'PX', "
    "             math.ceil((tau + interval) / 1000)) "
    "  return {1, math.floor((tau - (nxt - us)) / interval), "
    "          math.ceil((nxt - us) / 1000)} "
    "elseif kind == 'quota' then "
    "  local limit, window, cost = tonumber(ARGV[2]), tonumber(ARGV[3]), "
    "                              tonumber(ARGV[4]) "
    "  local w = math.floor(now / window) "
    "  local k = key .. ':' .. w "
    "  local used = tonumber(redis.call('GET', k) or '0') "
    "  local reset = (w + 1) * window - now "
    "  if cost > limit or used + cost > limit then "
    "    return {0, math.max(limit - used, 0), reset} end "
    "  used = redis.call('INCRBY', k, cost) "
    "  redis.call('PEXPIRE', k, reset + 1000) "
    "  return {1, math.max(limit - used, 0), reset} "
    "elseif kind == 'acquire' then "
    "  local limit = tonumber(ARGV[2]) "
    "  local n = tonumber(redis.call('GET', key) or '0') "
    "  if n >= limit then return {0, 0, 1000} end "
    "  n = redis.call('INCR', key) "
    "  redis.call('EXPIRE', key, 3600) "
    "  return {1, math.max(limit - n, 0), 1000} "
    "elseif kind == 'release' then "
    "  local n = tonumber(redis.call('GET', key) or '0') "
    "  if n > 0 then redis.call('DECR', key) end "
    "  return {1, 0, 0} "
    "end "
    "return redis.error_reply('waav: unknown limit kind')";

static u_char  ngx_http_waav_limit_sha[2 * SHA_DIGEST_LENGTH + 1];


static ngx_int_t ngx_http_waav_limit_charge(ngx_http_request_t *r,
    ngx_uint_t kind, uint64_t cost, void (*resume)(ngx_http_request_t *r),
    waav_err_t *err);


static ngx_str_t  ngx_http_waav_limit_codes[] = {
    ngx_null_string,
    ngx_string("RATE_LIMITED"),
    ngx_string("QUOTA_EXCEEDED"),
    ngx_string("TOO_MANY_CONCURRENT"),
};


/* --- clocks -------------------------------------------------------------------- */

/* rates: monotonic microseconds (a clock set back must not lock keys out) */
static uint64_t
ngx_http_waav_limit_now_us(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}


/* quota windows: minutes and days of the wall clock (UTC) */
static uint64_t
ngx_http_waav_limit_wall_ms(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


/* --- the shared memory zone ----------------------------------------------- */

static void
ngx_http_waav_limit_rbtree_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t           **p;
    ngx_http_waav_limit_node_t   *n, *t;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            n = (ngx_http_waav_limit_node_t *) &node->color;
            t = (ngx_http_waav_limit_node_t *) &temp->color;

            p = (ngx_memn2cmp(n->data, t->data, n->len, t->len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static ngx_int_t
ngx_http_waav_limit_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_waav_limit_zone_t  *octx = data;

    size_t                       len;
    ngx_http_waav_limit_zone_t  *ctx;

    ctx = shm_zone->data;

    if (octx) {
        /* reload: the counters carry on */
        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;
        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_alloc(ctx->shpool, sizeof(ngx_http_waav_limit_shctx_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;

    ngx_rbtree_init(&ctx->sh->rbtree, &ctx->sh->sentinel,
                    ngx_http_waav_limit_rbtree_insert);
    ngx_queue_init(&ctx->sh->queue);

    len = sizeof(" in waav_limit_zone \"\"") + shm_zone->shm.name.len;

    ctx->shpool->log_ctx = ngx_slab_alloc(ctx->shpool, len);
    if (ctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(ctx->shpool->log_ctx, " in waav_limit_zone \"%V\"%Z",
                &shm_zone->shm.name);

    ctx->shpool->log_nomem = 0;

    return NGX_OK;
}


/* a node whose state says nothing any more (held slots never go) */
static ngx_int_t
ngx_http_waav_limit_idle(ngx_http_waav_limit_node_t *n, uint64_t now,
    ngx_uint_t force)
{
    if (n->kind == NGX_HTTP_WAAV_LIMIT_CONC && n->a > 0) {
        return 0;
    }

    if (force) {
        return 1;
    }

    if (now - n->last < NGX_HTTP_WAAV_LIMIT_IDLE) {
        return 0;
    }

    switch (n->kind) {
    case NGX_HTTP_WAAV_LIMIT_RATE:
        /* the bucket is full again */
        return n->a <= ngx_http_waav_limit_now_us();
    case NGX_HTTP_WAAV_LIMIT_TTS_CHARS:
    case NGX_HTTP_WAAV_LIMIT_STT_SECS:
        /* a quota holds its counter until its window has passed */
        return n->window_ms == 0
               || n->a != ngx_http_waav_limit_wall_ms() / n->window_ms;
    default:
        return 1;
    }
}


/* frees up to two stale nodes from the LRU tail (all locked) */
static void
ngx_http_waav_limit_expire(ngx_http_waav_limit_zone_t *ctx, uint64_t now,
    ngx_uint_t force)
{
    ngx_uint_t                   i;
    ngx_queue_t                 *q;
    ngx_rbtree_node_t           *node;
    ngx_http_waav_limit_node_t  *n;

    q = ngx_queue_last(&ctx->sh->queue);

    for (i = 0; i < 8 && q != ngx_queue_sentinel(&ctx->sh->queue); i++) {
        n = ngx_queue_data(q, ngx_http_waav_limit_node_t, queue);
        q = ngx_queue_prev(q);

        if (!ngx_http_waav_limit_idle(n, now, force)) {
            continue;
        }

        ngx_queue_remove(&n->queue);

        node = (ngx_rbtree_node_t *)
                   ((u_char *) n - offsetof(ngx_rbtree_node_t, color));

        ngx_rbtree_delete(&ctx->sh->rbtree, node);
        ngx_slab_free_locked(ctx->shpool, node);

        if (force || i >= 1) {
            return;
        }
    }
}


/* the node for id + key, made when new (locked); NULL: no memory */
static ngx_http_waav_limit_node_t *
ngx_http_waav_limit_node(ngx_http_waav_limit_zone_t *ctx, ngx_uint_t kind,
    u_char *key, size_t len, uint64_t now)
{
    size_t                       size;
    uint32_t                     hash;
    ngx_int_t                    rc;
    ngx_rbtree_node_t           *node, *sentinel;
    ngx_http_waav_limit_node_t  *n;

    hash = ngx_crc32_short(key, len);

    node = ctx->sh->rbtree.root;
    sentinel = ctx->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        n = (ngx_http_waav_limit_node_t *) &node->color;
        rc = ngx_memn2cmp(key, n->data, len, (size_t) n->len);

        if (rc == 0) {
            ngx_queue_remove(&n->queue);
            ngx_queue_insert_head(&ctx->sh->queue, &n->queue);
            n->last = now;
            return n;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_waav_limit_node_t, data) + len;

    ngx_http_waav_limit_expire(ctx, now, 0);

    node = ngx_slab_alloc_locked(ctx->shpool, size);

    if (node == NULL) {
        ngx_http_waav_limit_expire(ctx, now, 1);

        node = ngx_slab_alloc_locked(ctx->shpool, size);
        if (node == NULL) {
            return NULL;
        }
    }

    node->key = hash;
    n = (ngx_http_waav_limit_node_t *) &node->color;
    n->kind = (u_char) kind;
    n->len = (u_short) len;
    n->last = now;
    n->a = 0;
    n->b = 0;
    n->window_ms = 0;
    ngx_memcpy(n->data, key, len);

    ngx_rbtree_insert(&ctx->sh->rbtree, node);
    ngx_queue_insert_head(&ctx->sh->queue, &n->queue);

    return n;
}


/* --- checks ----------------------------------------------------------------- */

static void
ngx_http_waav_limit_release(void *data)
{
    ngx_http_waav_limit_slot_t  *slot = data;

    ngx_shmtx_lock(&slot->zone->shpool->mutex);

    if (slot->node->a > 0) {
        slot->node->a--;
    }

    ngx_shmtx_unlock(&slot->zone->shpool->mutex);
}


/* "id + key" for a limit; NGX_DECLINED: an empty key, not limited */
static ngx_int_t
ngx_http_waav_limit_key(ngx_http_request_t *r, ngx_http_waav_limit_t *l,
    ngx_str_t *key)
{
    ngx_uint_t                   hashed;
    ngx_str_t                    value;
    ngx_http_waav_limit_zone_t  *ctx;

    ctx = l->shm_zone->data;

    if (ngx_http_complex_value(r, &ctx->key, &value) != NGX_OK) {
        return NGX_ERROR;
    }

    if (value.len == 0) {
        return NGX_DECLINED;
    }

    /* a long key is limited by its SHA-1, never let through */
    hashed = value.len > 255;

    key->len = 2 + (hashed ? 1 + SHA_DIGEST_LENGTH : value.len);
    key->data = ngx_pnalloc(r->pool, key->len);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    key->data[0] = (u_char) (l->id >> 8);
    key->data[1] = (u_char) l->id;

    if (hashed) {
        key->data[2] = '#';
        SHA1(value.data, value.len, key->data + 3);

    } else {
        ngx_memcpy(key->data + 2, value.data, value.len);
    }

    return NGX_OK;
}


/*
 * One limit in this zone's shared memory: NGX_OK (allowed), NGX_DECLINED
 * (refused, res filled), NGX_ERROR.  cost is the quota's units.
 */
static ngx_int_t
ngx_http_waav_limit_check(ngx_http_request_t *r, ngx_http_waav_limit_t *l,
    ngx_str_t *key, uint64_t cost, waav_limit_result_t *res)
{
    uint64_t                     now;
    ngx_pool_cleanup_t          *cln;
    ngx_http_waav_limit_zone_t  *ctx;
    ngx_http_waav_limit_node_t  *n;
    ngx_http_waav_limit_slot_t  *slot;

    ctx = l->shm_zone->data;
    cln = NULL;

    if (l->kind == NGX_HTTP_WAAV_LIMIT_CONC) {
        cln = ngx_pool_cleanup_add(r->pool,
                                   sizeof(ngx_http_waav_limit_slot_t));
        if (cln == NULL) {
            return NGX_ERROR;
        }
    }

    now = ngx_current_msec;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    n = ngx_http_waav_limit_node(ctx, l->kind, key->data, key->len, now);

    if (n == NULL) {
        ngx_shmtx_unlock(&ctx->shpool->mutex);
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "waav: limit zone \"%V\" is full",
                      &l->shm_zone->shm.name);
        return NGX_ERROR;
    }

    switch (l->kind) {

    case NGX_HTTP_WAAV_LIMIT_RATE:
        waav_gcra(&n->a, ngx_http_waav_limit_now_us(), l->interval_us,
                  l->limit, res);
        res->reset_ms = (res->reset_ms + 999) / 1000;   /* us -> ms */
        break;

    case NGX_HTTP_WAAV_LIMIT_TTS_CHARS:
    case NGX_HTTP_WAAV_LIMIT_STT_SECS:
        n->window_ms = l->window_ms;
        waav_quota(&n->a, &n->b, ngx_http_waav_limit_wall_ms(),
                   l->window_ms, l->limit, cost, res);
        break;

    default:
        res->limit = l->limit;
        res->allowed = n->a < l->limit;
        res->reset_ms = 1000;

        if (res->allowed) {
            n->a++;
        }

        res->remaining = (l->limit > n->a) ? l->limit - n->a : 0;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (cln) {
        if (res->allowed) {
            slot = cln->data;
            slot->zone = ctx;
            slot->node = n;
            cln->handler = ngx_http_waav_limit_release;

        } else {
            cln->handler = NULL;
        }
    }

    return res->allowed ? NGX_OK : NGX_DECLINED;
}


/* --- Redis ------------------------------------------------------------------- */

/* EVAL/EVALSHA script 1 waav:<zone>:<key> kind a b c, in one malloc() */
static ngx_http_waav_redis_call_t *
ngx_http_waav_limit_call(ngx_http_waav_limit_zone_t *zone, ngx_str_t *key,
    const char *kind, uint64_t a, uint64_t b, uint64_t c)
{
    u_char                      *p, *k, *nums[3];
    size_t                       klen, size;
    ngx_uint_t                   i;
    uint64_t                     v[3];
    ngx_http_waav_redis_call_t  *call;

    klen = sizeof("waav::") - 1 + zone->name.len + key->len;
    size = sizeof(ngx_http_waav_redis_call_t) + klen + 3 * NGX_INT64_LEN;

    call = ngx_alloc(size, ngx_cycle->log);
    if (call == NULL) {
        return NULL;
    }

    ngx_memzero(call, sizeof(ngx_http_waav_redis_call_t));

    p = (u_char *) (call + 1);
    k = p;
    p = ngx_sprintf(p, "waav:%V:", &zone->name);
    p = ngx_cpymem(p, key->data, key->len);

    v[0] = a;
    v[1] = b;
    v[2] = c;

    for (i = 0; i < 3; i++) {
        nums[i] = p;
        p = ngx_sprintf(p, "%uL", v[i]);
        call->argvlen[5 + i] = p - nums[i];
        call->argv[5 + i] = (char *) nums[i];
    }

    call->argv[0] = "EVAL";
    call->argv[1] = (char *) ngx_http_waav_limit_lua;
    call->argv[2] = "1";
    call->argv[3] = (char *) k;
    call->argv[4] = (char *) kind;

    call->argvlen[0] = 4;
    call->argvlen[1] = sizeof(ngx_http_waav_limit_lua) - 1;
    call->argvlen[2] = 1;
    call->argvlen[3] = klen;
    call->argvlen[4] = ngx_strlen(kind);
    call->argc = 8;

    ngx_memcpy(call->sha_argv, call->argv, sizeof(call->argv));
    ngx_memcpy(call->sha_argvlen, call->argvlen, sizeof(call->argvlen));
    call->sha_argv[0] = "EVALSHA";
    call->sha_argvlen[0] = 7;
    call->sha_argv[1] = (char *) ngx_http_waav_limit_sha;
    call->sha_argvlen[1] = 2 * SHA_DIGEST_LENGTH;
    call->sha_argc = 8;

    return call;
}


typedef struct {
    ngx_http_waav_limit_zone_t  *zone;
    ngx_str_t                    key;
} ngx_http_waav_limit_rslot_t;


/* a concurrency slot held in Redis goes back when the request ends */
static void
ngx_http_waav_limit_redis_release(void *data)
{
    ngx_http_waav_limit_rslot_t  *slot = data;
    ngx_http_waav_redis_call_t   *call;

    call = ngx_http_waav_limit_call(slot->zone, &slot->key, "release", 0, 0, 0);
    if (call == NULL) {
        return;
    }

    call->handler = NULL;
    call->retry_always = 1;

    /* not connected: the counter's 1 h expiry bounds the loss */
    if (ngx_http_waav_redis_eval(slot->zone->redis, call) != NGX_OK) {
        ngx_free(call);
    }
}


/*
 * The reply to an acquire whose request stopped waiting (timeout, gone):
 * if Redis did take the slot, give it back, or it would be held for good.
 */
static void
ngx_http_waav_limit_redis_orphan(ngx_http_waav_redis_call_t *call,
    void *reply)
{
    redisReply                  *rep = reply;
    ngx_str_t                    key;
    ngx_http_waav_limit_zone_t  *zone = call->data;
    ngx_http_waav_redis_call_t  *rel;

    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3
        || rep->element[0]->type != REDIS_REPLY_INTEGER
        || rep->element[0]->integer != 1)
    {
        return;
    }

    /* argv[3] is "waav:<zone>:" + key: strip the prefix again */
    key.data = (u_char *) call->argv[3] + sizeof("waav::") - 1
               + zone->name.len;
    key.len = call->argvlen[3] - (sizeof("waav::") - 1) - zone->name.len;

    rel = ngx_http_waav_limit_call(zone, &key, "release", 0, 0, 0);
    if (rel == NULL) {
        return;
    }

    rel->handler = NULL;
    rel->retry_always = 1;

    if (ngx_http_waav_redis_eval(zone->redis, rel) != NGX_OK) {
        ngx_free(rel);
    }
}


/* stops waiting for a call; an acquire's late reply is still handled */
static void
ngx_http_waav_limit_abandon(ngx_http_waav_limit_walk_t *w)
{
    if (w->call == NULL) {
        return;
    }

    if (w->call->argvlen[4] == sizeof("acquire") - 1
        && ngx_strncmp(w->call->argv[4], "acquire", 7) == 0)
    {
        w->call->handler = ngx_http_waav_limit_redis_orphan;
        w->call->data = w->zone;

    } else {
        w->call->handler = NULL;
    }

    w->call = NULL;
}


static void
ngx_http_waav_limit_redis_reply(ngx_http_waav_redis_call_t *call,
    void *reply)
{
    redisReply                  *rep = reply;
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_waav_limit_walk_t  *w = call->data;

    w->call = NULL;
    w->waiting = 0;

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 3
        && rep->element[0]->type == REDIS_REPLY_INTEGER
        && rep->element[1]->type == REDIS_REPLY_INTEGER
        && rep->element[2]->type == REDIS_REPLY_INTEGER)
    {
        w->res.allowed = rep->element[0]->integer == 1;
        w->res.remaining = rep->element[1]->integer > 0
                           ? (uint64_t) rep->element[1]->integer : 0;
        w->res.reset_ms = rep->element[2]->integer > 0
                          ? (uint64_t) rep->element[2]->integer : 0;
        w->outcome = w->res.allowed ? NGX_OK : NGX_DECLINED;

    } else {
        ngx_http_waav_redis_failure(w->zone->redis, "check failed",
                                    rep && rep->type == REDIS_REPLY_ERROR
                                    ? rep->str : "connection lost");
        w->outcome = NGX_ERROR;
    }

    w->got = 1;

    r = w->r;
    c = r->connection;

    w->resume(r);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_waav_limit_redis_timeout(ngx_event_t *ev)
{
    ngx_connection_t             *c;
    ngx_http_request_t           *r;
    ngx_http_waav_limit_walk_t   *w = ev->data;
    ngx_http_waav_limit_t        *l;
    ngx_http_waav_loc_conf_t     *wlcf;
    ngx_http_waav_limit_zone_t   *zone;

    ngx_http_waav_limit_abandon(w);

    w->waiting = 0;
    w->got = 1;
    w->outcome = NGX_ERROR;

    r = w->r;
    c = r->connection;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);
    l = wlcf->limits->elts;
    zone = l[w->next].shm_zone->data;
    ngx_http_waav_redis_timeout(zone->redis);

    w->resume(r);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_waav_limit_walk_cleanup(void *data)
{
    ngx_http_waav_limit_walk_t  *w = data;

    ngx_http_waav_limit_abandon(w);

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }
}


/* NGX_AGAIN: sent, wait; NGX_DECLINED: Redis is not there */
static ngx_int_t
ngx_http_waav_limit_redis_send(ngx_http_request_t *r,
    ngx_http_waav_limit_walk_t *w, ngx_http_waav_limit_t *l, ngx_str_t *key)
{
    ngx_http_waav_limit_zone_t  *zone;
    ngx_http_waav_redis_call_t  *call;

    zone = l->shm_zone->data;

    switch (l->kind) {
    case NGX_HTTP_WAAV_LIMIT_RATE:
        call = ngx_http_waav_limit_call(zone, key, "rate", l->interval_us,
                                        l->limit, 0);
        break;
    case NGX_HTTP_WAAV_LIMIT_TTS_CHARS:
    case NGX_HTTP_WAAV_LIMIT_STT_SECS:
        call = ngx_http_waav_limit_call(zone, key, "quota", l->limit,
                                        l->window_ms, w->cost);
        break;
    default:
        call = ngx_http_waav_limit_call(zone, key, "acquire", l->limit, 0, 0);
    }

    if (call == NULL) {
        return NGX_DECLINED;
    }

    call->handler = ngx_http_waav_limit_redis_reply;
    call->data = w;

    if (ngx_http_waav_redis_eval(zone->redis, call) != NGX_OK) {
        ngx_free(call);
        return NGX_DECLINED;
    }

    w->call = call;
    w->zone = zone;
    w->waiting = 1;

    w->timer.handler = ngx_http_waav_limit_redis_timeout;
    w->timer.data = w;
    w->timer.log = r->connection->log;
    ngx_add_timer(&w->timer, zone->redis->timeout);

    return NGX_AGAIN;
}


/*
 * Walks the location's limits of one kind (the access phase's, or the TTS
 * quotas): NGX_OK all passed, NGX_DECLINED refused (w->kind, w->res),
 * NGX_AGAIN waiting for Redis (w->resume is called), NGX_BUSY Redis is
 * unavailable and the zone fails closed, NGX_ERROR.
 */
static ngx_int_t
ngx_http_waav_limit_walk(ngx_http_request_t *r, ngx_http_waav_limit_walk_t *w)
{
    ngx_int_t                     rc;
    ngx_str_t                     key;
    ngx_uint_t                    tts;
    ngx_pool_cleanup_t           *cln;
    ngx_http_waav_limit_t        *l, lim;
    ngx_http_waav_loc_conf_t     *wlcf;
    ngx_http_waav_limit_zone_t   *zone;
    ngx_http_waav_limit_rslot_t  *slot;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);
    l = wlcf->limits->elts;

    for ( /* void */ ; w->next < wlcf->limits->nelts; w->next++) {

        /* a true-up is charged whatever the quota says */
        lim = l[w->next];

        if (w->force) {
            lim.limit = NGX_HTTP_WAAV_LIMIT_FORCE;
        }

        /* the access phase's walk, or the quotas of one cost */
        tts = (lim.kind == NGX_HTTP_WAAV_LIMIT_TTS_CHARS
               || lim.kind == NGX_HTTP_WAAV_LIMIT_STT_SECS)
              ? lim.kind : 0;

        if (tts != w->tts) {
            continue;
        }

        rc = ngx_http_waav_limit_key(r, &lim, &key);

        if (rc == NGX_DECLINED) {
            continue;
        }

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        zone = lim.shm_zone->data;

        if (zone->redis) {

            if (!w->got) {
                rc = ngx_http_waav_limit_redis_send(r, w, &lim, &key);

                if (rc == NGX_AGAIN) {
                    return NGX_AGAIN;
                }

                ngx_http_waav_redis_failure(zone->redis, "is not usable",
                                            "not connected");
                w->outcome = NGX_ERROR;
            }

            w->got = 0;

            if (w->outcome == NGX_OK) {
                if (lim.kind == NGX_HTTP_WAAV_LIMIT_CONC) {
                    cln = ngx_pool_cleanup_add(r->pool,
                                          sizeof(ngx_http_waav_limit_rslot_t));
                    if (cln == NULL) {
                        return NGX_ERROR;
                    }

                    slot = cln->data;
                    slot->zone = zone;
                    slot->key = key;
                    cln->handler = ngx_http_waav_limit_redis_release;
                }

                continue;
            }

            if (w->outcome == NGX_DECLINED) {
                w->kind = lim.kind;
                w->res.limit = lim.limit;
                return NGX_DECLINED;
            }

            if (!zone->redis->fail_open) {
                return NGX_BUSY;
            }

            /* fail open: this node's own counters stand in */
        }

        rc = ngx_http_waav_limit_check(r, &lim, &key, w->cost, &w->res);

        if (rc == NGX_DECLINED) {
            w->kind = lim.kind;
        }

        if (rc != NGX_OK) {
            return rc;
        }
    }

    return NGX_OK;
}


static ngx_http_waav_limit_walk_t *
ngx_http_waav_limit_walk_new(ngx_http_request_t *r, ngx_uint_t tts,
    uint64_t cost, void (*resume)(ngx_http_request_t *r))
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_waav_limit_walk_t  *w;

    w = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_limit_walk_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (w == NULL || cln == NULL) {
        return NULL;
    }

    w->r = r;
    w->tts = tts;
    w->cost = cost;
    w->resume = resume;

    cln->handler = ngx_http_waav_limit_walk_cleanup;
    cln->data = w;

    return w;
}


/* the 429: WaaV's "Wait for Ns" text, Retry-After and RateLimit-* */
static ngx_int_t
ngx_http_waav_limit_refuse(ngx_http_request_t *r, ngx_uint_t kind,
    waav_limit_result_t *res, waav_err_t *err)
{
    u_char               *p;
    uint64_t              wait, values[4];
    ngx_str_t             name, value;
    ngx_uint_t            i;
    ngx_http_waav_ctx_t  *ctx;

    static ngx_str_t  names[] = {
        ngx_string("Retry-After"),
        ngx_string("RateLimit-Limit"),
        ngx_string("RateLimit-Remaining"),
        ngx_string("RateLimit-Reset"),
    };

    if (kind == NGX_HTTP_WAAV_LIMIT_STT_SECS) {
        kind = NGX_HTTP_WAAV_LIMIT_TTS_CHARS;       /* QUOTA_EXCEEDED too */
    }

    wait = waav_limit_wait_s(res->reset_ms);
    values[0] = wait;
    values[1] = res->limit;
    values[2] = res->remaining;
    values[3] = wait;

    for (i = 0; i < 4; i++) {
        p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        name = names[i];
        value.data = p;
        value.len = ngx_sprintf(p, "%uL", values[i]) - p;

        if (ngx_http_waav_add_header(r, &name, &value) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    ctx = ngx_http_waav_get_ctx(r);
    if (ctx) {
        ctx->limit_status = kind;
    }

    waav_err_set(err, NGX_HTTP_TOO_MANY_REQUESTS,
                 (char *) ngx_http_waav_limit_codes[kind].data,
                 "Too Many Requests! Wait for %lus", (unsigned long) wait);

    return NGX_OK;
}


static ngx_int_t
ngx_http_waav_limit_answer(ngx_http_request_t *r, ngx_http_waav_limit_walk_t *w,
    ngx_int_t rc, waav_err_t *err)
{
    if (rc == NGX_DECLINED) {
        if (ngx_http_waav_limit_refuse(r, w->kind, &w->res, err) != NGX_OK) {
            waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
        }

    } else if (rc == NGX_BUSY) {
        waav_err_set(err, NGX_HTTP_SERVICE_UNAVAILABLE,
                     "LIMIT_BACKEND_UNAVAILABLE",
                     "Rate limiting is unavailable, try again later");

    } else {
        waav_err_set(err, 500, "INTERNAL_ERROR", "limit check failed");
    }

    return NGX_ERROR;
}


static void
ngx_http_waav_limit_resume_access(ngx_http_request_t *r)
{
    ngx_http_core_run_phases(r);
}


static ngx_int_t
ngx_http_waav_limit_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    waav_err_t                   err;
    ngx_http_waav_ctx_t         *ctx;
    ngx_http_waav_loc_conf_t    *wlcf;
    ngx_http_waav_limit_walk_t  *w;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->limits == NULL || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_waav_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->limit_done) {
        return NGX_DECLINED;
    }

    w = ctx->limit;

    if (w == NULL) {
        w = ngx_http_waav_limit_walk_new(r, 0, 1,
                                         ngx_http_waav_limit_resume_access);
        if (w == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->limit = w;
    }

    if (w->waiting) {
        return NGX_AGAIN;
    }

    rc = ngx_http_waav_limit_walk(r, w);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ctx->limit_done = 1;

    if (rc == NGX_OK) {
        ctx->limit_status = 0;
        return NGX_DECLINED;
    }

    ngx_http_waav_limit_answer(r, w, rc, &err);

    rc = ngx_http_waav_send_error(r, err.status, err.message,
                                  ngx_strlen(err.message), err.code);
    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


/*
 * waav_tts: take the text's characters from the location's quotas.
 * NGX_OK, NGX_ERROR (err says why: 429, 503, 500) or NGX_AGAIN: Redis
 * answers later and resume(r) is called, which calls this again.
 */
ngx_int_t
ngx_http_waav_limit_charge_tts(ngx_http_request_t *r, uint64_t chars,
    void (*resume)(ngx_http_request_t *r), waav_err_t *err)
{
    return ngx_http_waav_limit_charge(r, NGX_HTTP_WAAV_LIMIT_TTS_CHARS, chars,
                                      resume, err);
}


/* waav_stt: the same for the audio's seconds */
ngx_int_t
ngx_http_waav_limit_charge_stt(ngx_http_request_t *r, uint64_t seconds,
    void (*resume)(ngx_http_request_t *r), waav_err_t *err)
{
    return ngx_http_waav_limit_charge(r, NGX_HTTP_WAAV_LIMIT_STT_SECS, seconds,
                                      resume, err);
}


/*
 * waav_stt: the seconds the provider reported beyond the estimate, charged
 * whatever the quotas say (the call was made); NGX_OK or NGX_AGAIN, and
 * resume(r) calls this again.  Failures are logged, never answered.
 */
ngx_int_t
ngx_http_waav_limit_true_up_stt(ngx_http_request_t *r, uint64_t seconds,
    void (*resume)(ngx_http_request_t *r))
{
    ngx_int_t                    rc;
    ngx_http_waav_ctx_t         *ctx;
    ngx_http_waav_loc_conf_t    *wlcf;
    ngx_http_waav_limit_walk_t  *w;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);
    ctx = ngx_http_waav_get_ctx(r);

    if (wlcf->limits == NULL || ctx == NULL || seconds == 0) {
        return NGX_OK;
    }

    w = ctx->limit_tts;

    if (w == NULL || !w->force) {
        w = ngx_http_waav_limit_walk_new(r, NGX_HTTP_WAAV_LIMIT_STT_SECS,
                                         seconds, resume);
        if (w == NULL) {
            return NGX_OK;
        }

        w->force = 1;
        ctx->limit_tts = w;
    }

    rc = ngx_http_waav_limit_walk(r, w);

    return rc == NGX_AGAIN ? NGX_AGAIN : NGX_OK;
}


static ngx_int_t
ngx_http_waav_limit_charge(ngx_http_request_t *r, ngx_uint_t kind,
    uint64_t cost, void (*resume)(ngx_http_request_t *r), waav_err_t *err)
{
    ngx_int_t                    rc;
    ngx_http_waav_ctx_t         *ctx;
    ngx_http_waav_loc_conf_t    *wlcf;
    ngx_http_waav_limit_walk_t  *w;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->limits == NULL) {
        return NGX_OK;
    }

    ctx = ngx_http_waav_get_ctx(r);
    if (ctx == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    w = ctx->limit_tts;

    if (w == NULL) {
        w = ngx_http_waav_limit_walk_new(r, kind, cost, resume);
        if (w == NULL) {
            return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
        }

        ctx->limit_tts = w;
    }

    rc = ngx_http_waav_limit_walk(r, w);

    if (rc == NGX_OK || rc == NGX_AGAIN) {
        return rc;
    }

    return ngx_http_waav_limit_answer(r, w, rc, err);
}


/* --- $waav_limit_status ---------------------------------------------------- */

static ngx_int_t
ngx_http_waav_limit_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_waav_ctx_t  *ctx;

    static ngx_str_t  status[] = {
        ngx_string("PASSED"),
        ngx_string("RATE_LIMITED"),
        ngx_string("QUOTA_EXCEEDED"),
        ngx_string("TOO_MANY_CONCURRENT"),
    };

    ngx_http_waav_unused(data);

    ctx = ngx_http_waav_find_ctx(r->main);

    if (ctx == NULL || !ctx->limit_done) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = status[ctx->limit_status].data;
    v->len = status[ctx->limit_status].len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* --- configuration ------------------------------------------------------ */

/* waav_limit_zone NAME:SIZE [key=VALUE] [redis=URL [redis_timeout=T]
 *                                              [redis_fail=open|closed]] */
char *
ngx_http_waav_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                              *rv;
    u_char                            *p, sha[SHA_DIGEST_LENGTH];
    ssize_t                            size;
    ngx_str_t                         *value, name, s, url;
    ngx_int_t                          fail_open;
    ngx_uint_t                         i;
    ngx_msec_t                         timeout;
    ngx_shm_zone_t                    *shm_zone;
    ngx_http_waav_limit_zone_t        *ctx;
    ngx_http_compile_complex_value_t   ccv;

    ngx_http_waav_main_conf_t         *wmcf = conf;
    ngx_http_waav_redis_t            **rdp;

    ngx_http_waav_unused(cmd);

    timeout = 0;
    fail_open = NGX_CONF_UNSET;

    value = cf->args->elts;

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_limit_zone_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    p = (u_char *) ngx_strchr(value[1].data, ':');
    if (p == NULL) {
        return "needs NAME:SIZE";
    }

    name.data = value[1].data;
    name.len = p - value[1].data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (name.len == 0 || size == NGX_ERROR) {
        return "needs NAME:SIZE";
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        return "needs a zone of at least 8 pages";
    }

    ngx_str_set(&s, "$binary_remote_addr");
    ctx->name = name;

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "key=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;
            continue;
        }

        if (ngx_strncmp(value[i].data, "redis=", 6) == 0) {
            ctx->redis = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_redis_t));
            if (ctx->redis == NULL) {
                return NGX_CONF_ERROR;
            }

            ctx->redis->timeout = 100;
            ctx->redis->fail_open = 1;

            url.data = value[i].data + 6;
            url.len = value[i].len - 6;

            rv = ngx_http_waav_redis_parse(cf, &url, ctx->redis);
            if (rv != NGX_CONF_OK) {
                return rv;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "redis_timeout=", 14) == 0) {
            url.data = value[i].data + 14;
            url.len = value[i].len - 14;
            timeout = ngx_parse_time(&url, 0);

            if (timeout == (ngx_msec_t) NGX_ERROR || timeout == 0) {
                return "has an invalid redis_timeout";
            }

            continue;
        }

        if (ngx_strcmp(value[i].data, "redis_fail=open") == 0) {
            fail_open = 1;
            continue;
        }

        if (ngx_strcmp(value[i].data, "redis_fail=closed") == 0) {
            fail_open = 0;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (ctx->redis) {
        if (timeout) {
            ctx->redis->timeout = timeout;
        }

        if (fail_open != NGX_CONF_UNSET) {
            ctx->redis->fail_open = fail_open;
        }

        if (wmcf->redis == NULL) {
            wmcf->redis = ngx_array_create(cf->pool, 2,
                                           sizeof(ngx_http_waav_redis_t *));
            if (wmcf->redis == NULL) {
                return NGX_CONF_ERROR;
            }
        }

        rdp = ngx_array_push(wmcf->redis);
        if (rdp == NULL) {
            return NGX_CONF_ERROR;
        }

        *rdp = ctx->redis;

        if (ngx_http_waav_limit_sha[0] == '\0') {
            SHA1((u_char *) ngx_http_waav_limit_lua,
                 sizeof(ngx_http_waav_limit_lua) - 1, sha);
            ngx_hex_dump(ngx_http_waav_limit_sha, sha, SHA_DIGEST_LENGTH);
        }

    } else if (timeout || fail_open != NGX_CONF_UNSET) {
        return "takes redis_timeout= and redis_fail= only with redis=";
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &s;
    ccv.complex_value = &ctx->key;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size, &ngx_http_waav_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "waav_limit_zone \"%V\" is already declared",
                           &name);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_waav_limit_init_zone;
    shm_zone->data = ctx;

    return NGX_CONF_OK;
}


/* "N/m" or "N/d" (also per minute / per day spelled out as N/min) */
static ngx_int_t
ngx_http_waav_limit_per(ngx_str_t *v, uint64_t *n, uint64_t *window_ms)
{
    u_char     *slash;
    ngx_int_t   num;

    slash = ngx_strlchr(v->data, v->data + v->len, '/');
    if (slash == NULL) {
        return NGX_ERROR;
    }

    num = ngx_atoi(v->data, slash - v->data);
    if (num <= 0) {
        return NGX_ERROR;
    }

    *n = (uint64_t) num;
    slash++;

    if (v->data + v->len - slash == 1 && *slash == 'm') {
        *window_ms = 60000;
        return NGX_OK;
    }

    if (v->data + v->len - slash == 1 && *slash == 'd') {
        *window_ms = 86400000;
        return NGX_OK;
    }

    return NGX_ERROR;
}


/* waav_limit zone=NAME (rate=Nr/s|Nr/m [burst=N] | tts_chars=N/m|N/d |
 *                        concurrency=N) */
char *
ngx_http_waav_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_loc_conf_t  *wlcf = conf;

    size_t                  len;
    u_char                 *p;
    ngx_int_t               n, burst;
    ngx_str_t              *value, s;
    ngx_uint_t              i;
    ngx_shm_zone_t         *shm_zone;
    ngx_http_waav_limit_t  *l;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;
    shm_zone = NULL;
    burst = 0;

    if (wlcf->limits == NULL) {
        wlcf->limits = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_waav_limit_t));
        if (wlcf->limits == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    l = ngx_array_push(wlcf->limits);
    if (l == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(l, sizeof(ngx_http_waav_limit_t));

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            s.data = value[i].data + 5;
            s.len = value[i].len - 5;

            shm_zone = ngx_shared_memory_add(cf, &s, 0, &ngx_http_waav_module);
            if (shm_zone == NULL) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "rate=", 5) == 0) {
            len = value[i].len - 5;
            p = value[i].data + len + 5 - 3;

            if (len < 4 || (ngx_strncmp(p, "r/s", 3) != 0
                            && ngx_strncmp(p, "r/m", 3) != 0))
            {
                return "needs rate=Nr/s or rate=Nr/m";
            }

            n = ngx_atoi(value[i].data + 5, len - 3);
            if (n <= 0) {
                return "needs rate=Nr/s or rate=Nr/m";
            }

            if (n > 1000000) {
                return "takes rates up to 1000000 requests per second or minute";
            }

            l->kind = NGX_HTTP_WAAV_LIMIT_RATE;
            l->interval_us = (p[2] == 's' ? 1000000 : 60000000) / (uint64_t) n;

            continue;
        }

        if (ngx_strncmp(value[i].data, "burst=", 6) == 0) {
            burst = ngx_atoi(value[i].data + 6, value[i].len - 6);
            if (burst <= 0 || burst > 1000000000) {
                return "needs burst=N (1 to 1000000000)";
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "tts_chars=", 10) == 0) {
            s.data = value[i].data + 10;
            s.len = value[i].len - 10;

            if (ngx_http_waav_limit_per(&s, &l->limit, &l->window_ms)
                != NGX_OK)
            {
                return "needs tts_chars=N/m or tts_chars=N/d";
            }

            l->kind = NGX_HTTP_WAAV_LIMIT_TTS_CHARS;
            continue;
        }

        if (ngx_strncmp(value[i].data, "stt_seconds=", 12) == 0) {
            s.data = value[i].data + 12;
            s.len = value[i].len - 12;

            if (ngx_http_waav_limit_per(&s, &l->limit, &l->window_ms)
                != NGX_OK)
            {
                return "needs stt_seconds=N/m or stt_seconds=N/d";
            }

            l->kind = NGX_HTTP_WAAV_LIMIT_STT_SECS;
            continue;
        }

        if (ngx_strncmp(value[i].data, "concurrency=", 12) == 0) {
            n = ngx_atoi(value[i].data + 12, value[i].len - 12);
            if (n <= 0) {
                return "needs concurrency=N (N >= 1)";
            }

            l->kind = NGX_HTTP_WAAV_LIMIT_CONC;
            l->limit = (uint64_t) n;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (shm_zone == NULL) {
        return "needs zone=NAME";
    }

    if (l->kind == 0) {
        return "needs rate=, tts_chars=, stt_seconds= or concurrency=";
    }

    if (l->kind == NGX_HTTP_WAAV_LIMIT_RATE) {
        l->limit = burst ? (uint64_t) burst : 1;

    } else if (burst) {
        return "takes burst= only with rate=";
    }

    l->shm_zone = shm_zone;

    /*
     * Counters are per zone, kind (and quota window) and key, as limit_req
     * shares a zone's counters between locations: so every nginx of a
     * fleet finds the same counter whatever its configuration looks like.
     */
    l->id = (l->kind << 4) | (l->window_ms == 86400000);

    return NGX_CONF_OK;
}


static ngx_http_variable_t  ngx_http_waav_limit_vars[] = {

    { ngx_string("waav_limit_status"), NULL, ngx_http_waav_limit_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_waav_limit_add_variables(ngx_conf_t *cf)
{
    return ngx_http_waav_add_variables(cf, ngx_http_waav_limit_vars);
}


/*
 * The pre-content phase: after every access check whatever "satisfy" says
 * (under "satisfy any" a passed access check skips the rest of its
 * phase), so $waav_tenant is known and refused requests use up nothing.
 */
ngx_int_t
ngx_http_waav_limit_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_waav_limit_handler;

    return NGX_OK;
}
