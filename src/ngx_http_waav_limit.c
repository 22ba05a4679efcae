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

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <hiredis/hiredis.h>

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
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

    /* per worker: checks waiting to go to Redis in one script call */
    ngx_queue_t                   batch;
    ngx_uint_t                    queued;
    ngx_uint_t                    inflight;     /* script calls */
    ngx_msec_t                    last_sent;
    ngx_event_t                   flush;
    ngx_event_t                   hold;         /* ... ends, send anyway */
    ngx_uint_t                    urgent;       /* releases queued */
    ngx_queue_t                   doubt;        /* releases for later */
    ngx_uint_t                    ndoubt;
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


typedef struct ngx_http_waav_limit_op_s  ngx_http_waav_limit_op_t;


/* a quota a request was charged by: where, and in which window */
typedef struct {
    uint64_t                     window;
    unsigned                     charged:1;
    unsigned                     redis:1;
} ngx_http_waav_limit_charged_t;


/* a request's walk through its limits, which Redis may pause */
typedef struct {
    ngx_http_request_t          *r;
    ngx_uint_t                   next;          /* the limit to check */
    ngx_uint_t                   tts;           /* 0, or the quotas' kind */
    uint64_t                     cost;
    ngx_uint_t                   kind;          /* the refusing limit */
    waav_limit_result_t          res;
    ngx_http_waav_limit_op_t    *op;            /* at Redis */
    ngx_http_waav_limit_charged_t  *charged;    /* per limit, quotas */
    uint64_t                     member;        /* its slot in Redis */
    ngx_http_waav_limit_zone_t  *zone;          /* ... to this zone */
    ngx_event_t                  timer;
    ngx_int_t                    outcome;       /* of the Redis call */
    unsigned                     got:1;
    unsigned                     waiting:1;
    unsigned                     force:1;       /* a true-up */
    void                       (*resume)(ngx_http_request_t *r);
} ngx_http_waav_limit_walk_t;


/*
 * One check (or release) for Redis, malloc()ed with its arguments: it may
 * outlive its request.  It waits in its zone's batch until the batch goes
 * out as one script call.
 */
struct ngx_http_waav_limit_op_s {
    ngx_queue_t                  queue;         /* in zone->batch */
    ngx_http_waav_limit_walk_t  *w;             /* NULL: nobody waits */
    ngx_http_waav_limit_zone_t  *zone;
    unsigned                     sent:1;
    unsigned                     written:1;     /* Redis got it */
    unsigned                     refundable:1;  /* a quota's charge */
    unsigned                     acquire:1;
    unsigned                     rate:1;
    uint64_t                     interval;      /* rate */
    uint64_t                     burst;
    ngx_uint_t                   entry;         /* in its script call */
    uint64_t                     nth;           /* ... the rate's nth */
    uint64_t                     member;        /* acquire, release */
    ngx_str_t                    kind;
    ngx_str_t                    key;           /* waav:<zone>:<key> */
    ngx_str_t                    num[3];
};


/*
 * Checks in one script call, and how long new checks may wait for a call
 * that is out: while a zone's call is out (and for at most a quarter of
 * redis_timeout), a worker's new checks wait and go together in the next
 * one, so under load Redis runs one script for many requests (each still
 * counted, in order, before it is let through).  Releases and refunds,
 * which nobody waits for, go out at the end of the turn.
 */
#define NGX_HTTP_WAAV_LIMIT_BATCH      256


/*
 * One script for a batch of checks, one round trip and atomic:
 * KEYS[i] the i-th check's counter, ARGV[4i-3 .. 4i] its kind and numbers;
 * returns four integers for each: {allowed, remaining, reset_ms, window}
 * (window: the quota window charged), or for a rate {passed, lead_us, 0,
 * 0} where ARGV[4i] is how many requests ask at once (the first "passed"
 * of them pass, waav_gcra_nth() tells each what it got).  A refund gives
 * back units charged in a window, while it lasts.  Concurrency slots are
 * members of a sorted set, each with its own lease (ARGV: limit, lease_ms,
 * member): a slot whose release never came (a node died, Redis was away)
 * is gone when its lease ends, whatever the key's traffic.  Redis' clock decides, so nginx nodes with skewed clocks still
 * share one limit.  A rate's counter is read and written once per call.
 */
static const char  ngx_http_waav_limit_lua[] =
    "local t = redis.call('TIME') "
    "local us = tonumber(t[1]) * 1000000 + tonumber(t[2]) "
    "local now = math.floor(us / 1000) "
    "local out, tats, ttls, rk = {}, {}, {}, {} "
    "for i = 1, #KEYS do "
    " if ARGV[(i - 1) * 4 + 1] == 'rate' then rk[#rk + 1] = KEYS[i] end "
    "end "
    "if #rk > 0 then "
    " local v = redis.call('MGET', unpack(rk)) "
    " for i = 1, #rk do tats[rk[i]] = tonumber(v[i] or '0') end "
    "end "
    "for i = 1, #KEYS do "
    " local key, j = KEYS[i], (i - 1) * 4 "
    " local kind, a, b, c = ARGV[j + 1], tonumber(ARGV[j + 2]), "
    "                       tonumber(ARGV[j + 3]), tonumber(ARGV[j + 4]) "
    " local ok, left, reset, win = 1, 0, 0, 0 "
    " if kind == 'rate' then "
    "  local tau = a * b "
    "  local tat = tats[key] "
    "  if tat < us then tat = us end "
    "  local lead, k = tat - us, 0 "
    "  if lead < tau then k = math.min(math.floor((tau - lead) / a), c) end "
    "  if k > 0 then "
    "   tat = tat + k * a "
    "   ttls[key] = math.ceil((tau + a) / 1000) "
    "  end "
    "  tats[key] = tat "
    "  ok, left, reset = k, lead, 0 "
    " elseif kind == 'quota' then "
    "  local w = math.floor(now / b) "
    "  local k = key .. ':' .. w "
    "  local used = tonumber(redis.call('GET', k) or '0') "
    "  reset, win = (w + 1) * b - now, w "
    "  if c > a or used + c > a then "
    "   ok, left = 0, math.max(a - used, 0) "
    "  else "
    "   used = redis.call('INCRBY', k, c) "
    "   redis.call('PEXPIRE', k, reset + 1000) "
    "   ok, left = 1, math.max(a - used, 0) "
    "  end "
    " elseif kind == 'acquire' then "
    "  local k = key .. ':slots' "
    "  redis.call('ZREMRANGEBYSCORE', k, '-inf', now) "
    "  local n = redis.call('ZCARD', k) "
    "  if n >= a then "
    "   ok, left, reset = 0, 0, 1000 "
    "  else "
    "   redis.call('ZADD', k, now + b, ARGV[j + 4]) "
    "   redis.call('PEXPIRE', k, b) "
    "   ok, left, reset = 1, math.max(a - n - 1, 0), 1000 "
    "  end "
    " elseif kind == 'release' then "
    "  redis.call('ZREM', key .. ':slots', ARGV[j + 4]) "
    " elseif kind == 'refund' then "
    "  local k = key .. ':' .. a "
    "  local used = tonumber(redis.call('GET', k) or '0') "
    "  if used > 0 then redis.call('DECRBY', k, math.min(used, c)) end "
    " else "
    "  return redis.error_reply('waav: unknown limit kind') "
    " end "
    " out[#out + 1] = ok "
    " out[#out + 1] = left "
    " out[#out + 1] = reset "
    " out[#out + 1] = win "
    "end "
    "for key, ms in pairs(ttls) do "
    " redis.call('SET', key, string.format('%d', tats[key]), 'PX', ms) "
    "end "
    "return out";

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


/* the node for id + key, made when new if create (locked); NULL: none, or
 * no memory */
static ngx_http_waav_limit_node_t *
ngx_http_waav_limit_node(ngx_http_waav_limit_zone_t *ctx, ngx_uint_t kind,
    u_char *key, size_t len, uint64_t now, ngx_uint_t create)
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

    /* a refund never makes a counter (or evicts another for one) */
    if (!create) {
        return NULL;
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

    n = ngx_http_waav_limit_node(ctx, l->kind, key->data, key->len, now, 1);

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

/*
 * A slot in Redis: a member of the key's sorted set, unique in the fleet
 * (a random 32-bit prefix per worker, a counter), held for at most the
 * lease; a longer request counts as gone after it.
 */
#define NGX_HTTP_WAAV_LIMIT_LEASE  3600000        /* ms */

static uint64_t
ngx_http_waav_limit_member(void)
{
    uint32_t         r;
    static uint64_t  prefix, counter;

    if (prefix == 0) {
        if (RAND_bytes((u_char *) &r, sizeof(r)) != 1) {
            r = (uint32_t) ngx_random() ^ (uint32_t) ngx_pid;
        }

        prefix = ((uint64_t) (r | 1)) << 32;
    }

    return prefix | (++counter & 0xffffffff);
}


/* a check for waav:<zone>:<key>, with its kind and numbers, in one malloc() */
static ngx_http_waav_limit_op_t *
ngx_http_waav_limit_op(ngx_http_waav_limit_zone_t *zone, ngx_str_t *key,
    const char *kind, uint64_t a, uint64_t b, uint64_t c)
{
    u_char                    *p;
    size_t                     size;
    uint64_t                   v[3];
    ngx_uint_t                 i;
    ngx_http_waav_limit_op_t  *op;

    size = sizeof(ngx_http_waav_limit_op_t) + sizeof("waav::") - 1
           + zone->name.len + key->len + 3 * NGX_INT64_LEN;

    op = ngx_alloc(size, ngx_cycle->log);
    if (op == NULL) {
        return NULL;
    }

    ngx_memzero(op, sizeof(ngx_http_waav_limit_op_t));

    op->zone = zone;
    op->kind.data = (u_char *) kind;
    op->kind.len = ngx_strlen(kind);
    op->acquire = ngx_strcmp(kind, "acquire") == 0;
    op->rate = ngx_strcmp(kind, "rate") == 0;
    op->interval = a;
    op->burst = b;
    op->member = c;

    p = (u_char *) (op + 1);
    op->key.data = p;
    p = ngx_sprintf(p, "waav:%V:", &zone->name);
    p = ngx_cpymem(p, key->data, key->len);
    op->key.len = p - op->key.data;

    v[0] = a;
    v[1] = b;
    v[2] = c;

    for (i = 0; i < 3; i++) {
        op->num[i].data = p;
        p = ngx_sprintf(p, "%uL", v[i]);
        op->num[i].len = p - op->num[i].data;
    }

    return op;
}


/* the key a check was made with, without the "waav:<zone>:" prefix */
static ngx_str_t
ngx_http_waav_limit_op_key(ngx_http_waav_limit_op_t *op)
{
    size_t     prefix;
    ngx_str_t  key;

    prefix = sizeof("waav::") - 1 + op->zone->name.len;

    key.data = op->key.data + prefix;
    key.len = op->key.len - prefix;

    return key;
}


static void ngx_http_waav_limit_flush(ngx_event_t *ev);
static ngx_int_t ngx_http_waav_limit_charged(ngx_http_request_t *r,
    ngx_http_waav_limit_walk_t *w, waav_limit_result_t *res,
    ngx_uint_t redis);


/* into the zone's next batch, which goes out at the end of this turn */
static void
ngx_http_waav_limit_enqueue(ngx_http_waav_limit_op_t *op)
{
    ngx_http_waav_limit_zone_t  *zone = op->zone;

    if (zone->batch.next == NULL) {
        ngx_queue_init(&zone->batch);
        ngx_queue_init(&zone->doubt);
        zone->flush.handler = ngx_http_waav_limit_flush;
        zone->flush.data = zone;
        zone->flush.log = ngx_cycle->log;
        zone->hold.handler = ngx_http_waav_limit_flush;
        zone->hold.data = zone;
        zone->hold.log = ngx_cycle->log;
        zone->hold.cancelable = 1;
    }

    ngx_queue_insert_tail(&zone->batch, &op->queue);
    zone->queued++;

    if (op->w == NULL) {
        zone->urgent++;
    }

    if (!zone->flush.posted) {
        ngx_post_event(&zone->flush, &ngx_posted_events);
    }
}


/* the zone's oldest queued check, out of the queue */
static ngx_http_waav_limit_op_t *
ngx_http_waav_limit_dequeue(ngx_http_waav_limit_zone_t *zone)
{
    ngx_queue_t               *q;
    ngx_http_waav_limit_op_t  *op;

    q = ngx_queue_head(&zone->batch);
    ngx_queue_remove(q);
    zone->queued--;

    op = ngx_queue_data(q, ngx_http_waav_limit_op_t, queue);
    op->sent = 1;

    if (op->w == NULL && zone->urgent) {
        zone->urgent--;
    }

    return op;
}


/*
 * An acquire Redis got but never answered (the connection went): it may
 * still run there, so its slot is released once Redis is back (a release
 * of a slot never taken changes nothing); at most 1024 wait, the lease
 * covers the rest.
 */
static void
ngx_http_waav_limit_doubt(ngx_http_waav_limit_op_t *op)
{
    ngx_str_t                    key;
    ngx_http_waav_limit_op_t    *rel;
    ngx_http_waav_limit_zone_t  *zone = op->zone;

    if (zone->ndoubt >= 1024) {
        return;
    }

    key = ngx_http_waav_limit_op_key(op);

    rel = ngx_http_waav_limit_op(zone, &key, "release", 0, 0, op->member);
    if (rel == NULL) {
        return;
    }

    ngx_queue_insert_tail(&zone->doubt, &rel->queue);
    zone->ndoubt++;
}


/* a concurrency slot held in Redis goes back: nobody waits for the answer */
static void
ngx_http_waav_limit_give_back(ngx_http_waav_limit_zone_t *zone,
    ngx_str_t *key, uint64_t member)
{
    ngx_http_waav_limit_op_t  *op;

    /* not connected: the slot's lease bounds the loss */
    if (!ngx_http_waav_redis_usable(zone->redis)) {
        return;
    }

    op = ngx_http_waav_limit_op(zone, key, "release", 0, 0, member);
    if (op != NULL) {
        ngx_http_waav_limit_enqueue(op);
    }
}


typedef struct {
    ngx_http_waav_limit_zone_t  *zone;
    ngx_str_t                    key;
    uint64_t                     member;
} ngx_http_waav_limit_rslot_t;


/* a request that held a slot in Redis ended */
static void
ngx_http_waav_limit_redis_release(void *data)
{
    ngx_http_waav_limit_rslot_t  *slot = data;

    ngx_http_waav_limit_give_back(slot->zone, &slot->key, slot->member);
}


/*
 * A check's answer (or NULL: none) to the request waiting for it; an
 * acquire whose request stopped waiting (timeout, gone) gives back the
 * slot Redis took for it, or the slot would be held for good.
 */
static void
ngx_http_waav_limit_deliver(ngx_http_waav_limit_op_t *op,
    waav_limit_result_t *res)
{
    ngx_str_t                    key;
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_http_waav_limit_op_t    *rel;
    ngx_http_waav_limit_walk_t  *w;

    w = op->w;

    if (res == NULL && op->acquire && op->written) {
        ngx_http_waav_limit_doubt(op);
    }

    if (w == NULL) {
        key = ngx_http_waav_limit_op_key(op);

        if (op->acquire && res && res->allowed) {
            ngx_http_waav_limit_give_back(op->zone, &key, op->member);
        }

        /* a charge nobody waited for (it timed out): given back */
        if (op->refundable && res && res->allowed
            && ngx_http_waav_redis_usable(op->zone->redis))
        {
            rel = ngx_http_waav_limit_op(op->zone, &key, "refund",
                                         res->window, op->burst, op->member);
            if (rel) {
                ngx_http_waav_limit_enqueue(rel);
            }
        }

        return;
    }

    /* a quota Redis charged: known to a refund even if the request stops
     * before its walk goes on (the client left meanwhile) */
    if (op->refundable && res && res->allowed) {
        (void) ngx_http_waav_limit_charged(w->r, w, res, 1);
    }

    op->w = NULL;
    w->op = NULL;
    w->waiting = 0;

    if (w->timer.timer_set) {
        ngx_del_timer(&w->timer);
    }

    if (res) {
        w->res = *res;
        w->outcome = res->allowed ? NGX_OK : NGX_DECLINED;

    } else {
        w->outcome = NGX_ERROR;
    }

    w->got = 1;

    r = w->r;
    c = r->connection;

    w->resume(r);
    ngx_http_run_posted_requests(c);
}


/* a script call's counters: a rate's checks share one */
typedef struct {
    ngx_http_waav_limit_op_t    *op;            /* the first */
    ngx_uint_t                   hash;
    uint64_t                     count;
    u_char                       text[NGX_INT64_LEN];
} ngx_http_waav_limit_entry_t;


typedef struct {
    ngx_http_waav_limit_zone_t   *zone;
    ngx_uint_t                    nops;
    ngx_uint_t                    nentries;
    ngx_http_waav_limit_op_t    **ops;
    ngx_http_waav_limit_entry_t  *entries;
} ngx_http_waav_limit_batch_t;


/* what the reply's four integers for op's entry mean for op */
static void
ngx_http_waav_limit_result(ngx_http_waav_limit_op_t *op, redisReply **e,
    waav_limit_result_t *res)
{
    uint64_t  v[4];
    size_t    i;

    ngx_memzero(res, sizeof(waav_limit_result_t));

    for (i = 0; i < 4; i++) {
        v[i] = e[i]->integer > 0 ? (uint64_t) e[i]->integer : 0;
    }

    if (op->rate) {
        /* v: passed, lead_us */
        waav_gcra_nth(v[1], op->interval, op->burst, v[0], op->nth, res);
        res->reset_ms = (res->reset_ms + 999) / 1000;       /* us -> ms */
        return;
    }

    res->allowed = v[0] == 1;
    res->remaining = v[1];
    res->reset_ms = v[2];
    res->window = v[3];
}


/* the connection is gone (or memory): what waits is answered "none" now */
static void
ngx_http_waav_limit_fail_queued(ngx_http_waav_limit_zone_t *zone)
{
    ngx_http_waav_limit_op_t  *op;

    while (zone->queued && !ngx_queue_empty(&zone->batch)) {
        op = ngx_http_waav_limit_dequeue(zone);
        ngx_http_waav_limit_deliver(op, NULL);
        ngx_free(op);
    }
}


/* a batch's answer: four integers per entry, in order */
static void
ngx_http_waav_limit_batch_reply(ngx_http_waav_redis_call_t *call,
    void *reply)
{
    size_t                        i;
    redisReply                   *rep = reply;
    waav_limit_result_t           res;
    ngx_http_waav_limit_op_t     *op;
    ngx_http_waav_limit_zone_t   *zone;
    ngx_http_waav_limit_batch_t  *batch = call->data;

    zone = batch->zone;

    if (zone->inflight) {
        zone->inflight--;
    }

    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY
        || rep->elements != 4 * batch->nentries)
    {
        ngx_http_waav_redis_failure(zone->redis, "check failed",
                                    rep && rep->type == REDIS_REPLY_ERROR
                                    ? rep->str : "connection lost");
        rep = NULL;
    }

    for (i = 0; rep && i < rep->elements; i++) {
        if (rep->element[i]->type != REDIS_REPLY_INTEGER) {
            ngx_http_waav_redis_failure(zone->redis, "check failed",
                                        "not an integer");
            rep = NULL;
        }
    }

    /* resuming a request may queue its next check: it goes out next */
    for (i = 0; i < batch->nops; i++) {
        op = batch->ops[i];

        if (rep) {
            ngx_http_waav_limit_result(op, &rep->element[4 * op->entry], &res);
        }

        ngx_http_waav_limit_deliver(op, rep ? &res : NULL);
        ngx_free(op);
    }

    if (reply == NULL) {
        ngx_http_waav_limit_fail_queued(zone);
        return;
    }

    if (zone->queued && !zone->flush.posted) {
        ngx_post_event(&zone->flush, &ngx_posted_events);
    }
}


/* op's entry in the batch: a rate's checks on one counter share one */
static void
ngx_http_waav_limit_group(ngx_http_waav_limit_batch_t *batch,
    ngx_http_waav_limit_op_t *op)
{
    ngx_uint_t                    e, hash;
    ngx_http_waav_limit_op_t     *first;
    ngx_http_waav_limit_entry_t  *en;

    hash = op->rate ? ngx_hash_key(op->key.data, op->key.len) : 0;

    for (e = 0; op->rate && e < batch->nentries; e++) {
        en = &batch->entries[e];
        first = en->op;

        if (en->hash == hash && first->rate
            && first->interval == op->interval && first->burst == op->burst
            && first->key.len == op->key.len
            && ngx_memcmp(first->key.data, op->key.data, op->key.len) == 0)
        {
            op->entry = e;
            op->nth = ++en->count;
            return;
        }
    }

    en = &batch->entries[batch->nentries];
    en->op = op;
    en->hash = hash;
    en->count = 1;

    op->entry = batch->nentries++;
    op->nth = 1;
}


/*
 * Sends up to NGX_HTTP_WAAV_LIMIT_BATCH queued checks as one EVALSHA:
 * sha n key1 .. keyn kind1 a1 b1 c1 .. kindn an bn cn, one entry per
 * counter for rates (c: how many ask), one per check for the rest.  The
 * checks leave the queue either way; if they cannot be sent, each is
 * answered "none".
 */
static void
ngx_http_waav_limit_send_batch(ngx_http_waav_limit_zone_t *zone)
{
    char                         **argv;
    u_char                        *numkeys, *p;
    size_t                         i, n, argc, *argvlen, size;
    ngx_http_waav_limit_op_t      *op;
    ngx_http_waav_redis_call_t    *call;
    ngx_http_waav_limit_batch_t   *batch;
    ngx_http_waav_limit_entry_t   *en;

    n = ngx_min(zone->queued, NGX_HTTP_WAAV_LIMIT_BATCH);

    size = sizeof(ngx_http_waav_redis_call_t)
           + sizeof(ngx_http_waav_limit_batch_t)
           + n * sizeof(ngx_http_waav_limit_op_t *)
           + n * sizeof(ngx_http_waav_limit_entry_t)
           + (3 + 5 * n) * (sizeof(char *) + sizeof(size_t))
           + NGX_INT64_LEN;

    call = ngx_alloc(size, ngx_cycle->log);

    if (call == NULL) {
        /* out of memory: each queued check is answered "Redis failed" */
        ngx_http_waav_limit_fail_queued(zone);
        return;
    }

    ngx_memzero(call, sizeof(ngx_http_waav_redis_call_t));

    batch = (ngx_http_waav_limit_batch_t *) (call + 1);
    batch->zone = zone;
    batch->nops = 0;
    batch->nentries = 0;
    batch->ops = (ngx_http_waav_limit_op_t **) (batch + 1);
    batch->entries = (ngx_http_waav_limit_entry_t *) (batch->ops + n);

    for (i = 0; i < n; i++) {
        op = ngx_http_waav_limit_dequeue(zone);

        batch->ops[batch->nops++] = op;
        ngx_http_waav_limit_group(batch, op);
    }

    argc = 3 + 5 * batch->nentries;
    argv = (char **) (batch->entries + n);
    argvlen = (size_t *) (argv + argc);
    numkeys = (u_char *) (argvlen + argc);

    call->handler = ngx_http_waav_limit_batch_reply;
    call->data = batch;
    call->script.data = (u_char *) ngx_http_waav_limit_lua;
    call->script.len = sizeof(ngx_http_waav_limit_lua) - 1;
    call->sha.data = ngx_http_waav_limit_sha;
    call->sha.len = 2 * SHA_DIGEST_LENGTH;
    call->argc = argc;
    call->argv = argv;
    call->argvlen = argvlen;

    argv[2] = (char *) numkeys;
    argvlen[2] = ngx_sprintf(numkeys, "%ui", batch->nentries) - numkeys;

    n = batch->nentries;

    for (i = 0; i < n; i++) {
        en = &batch->entries[i];
        op = en->op;

        argv[3 + i] = (char *) op->key.data;
        argvlen[3 + i] = op->key.len;

        argv[3 + n + 4 * i] = (char *) op->kind.data;
        argvlen[3 + n + 4 * i] = op->kind.len;
        argv[4 + n + 4 * i] = (char *) op->num[0].data;
        argvlen[4 + n + 4 * i] = op->num[0].len;
        argv[5 + n + 4 * i] = (char *) op->num[1].data;
        argvlen[5 + n + 4 * i] = op->num[1].len;

        if (op->rate) {
            p = ngx_sprintf(en->text, "%uL", en->count);
            argv[6 + n + 4 * i] = (char *) en->text;
            argvlen[6 + n + 4 * i] = p - en->text;

        } else {
            argv[6 + n + 4 * i] = (char *) op->num[2].data;
            argvlen[6 + n + 4 * i] = op->num[2].len;
        }
    }

    if (ngx_http_waav_redis_eval(zone->redis, call) == NGX_OK) {
        zone->inflight++;
        zone->last_sent = ngx_current_msec;

        for (i = 0; i < batch->nops; i++) {
            batch->ops[i]->written = 1;
        }

        return;
    }

    ngx_http_waav_redis_failure(zone->redis, "is not usable",
                                "not connected");

    for (i = 0; i < batch->nops; i++) {
        ngx_http_waav_limit_deliver(batch->ops[i], NULL);
        ngx_free(batch->ops[i]);
    }

    ngx_free(call);
}


/* the end of a turn (or an answer): what waits goes out, if it may */
static void
ngx_http_waav_limit_flush(ngx_event_t *ev)
{
    ngx_http_waav_limit_zone_t  *zone = ev->data;

    ngx_queue_t                 *q;
    ngx_msec_t                   held, hold;

    /* Redis is back: the releases that waited for it go first */
    if (zone->ndoubt && ngx_http_waav_redis_usable(zone->redis)) {
        while (!ngx_queue_empty(&zone->doubt)) {
            q = ngx_queue_head(&zone->doubt);
            ngx_queue_remove(q);
            ngx_queue_insert_tail(&zone->batch, q);
            zone->queued++;
            zone->urgent++;
        }

        zone->ndoubt = 0;
    }

    while (zone->queued) {

        if (zone->inflight && !zone->urgent
            && zone->queued < NGX_HTTP_WAAV_LIMIT_BATCH)
        {
            /* a call is out: wait for it, but not too long */
            held = ngx_current_msec - zone->last_sent;
            hold = zone->redis->timeout / 4;

            if (held < hold) {
                if (!zone->hold.timer_set) {
                    ngx_add_timer(&zone->hold, hold - held);
                }

                return;
            }
        }

        ngx_http_waav_limit_send_batch(zone);
    }
}


/* stops waiting: a check not sent yet is dropped, a sent one orphaned */
static void
ngx_http_waav_limit_abandon(ngx_http_waav_limit_walk_t *w)
{
    ngx_http_waav_limit_op_t  *op = w->op;

    if (op == NULL) {
        return;
    }

    w->op = NULL;
    op->w = NULL;

    if (!op->sent) {
        ngx_queue_remove(&op->queue);
        op->zone->queued--;
        ngx_free(op);
    }
}


static void
ngx_http_waav_limit_redis_timeout(ngx_event_t *ev)
{
    ngx_connection_t            *c;
    ngx_http_request_t          *r;
    ngx_uint_t                   sent;
    ngx_http_waav_limit_walk_t  *w = ev->data;

    /* only a check Redis had counts against the connection */
    sent = w->op && w->op->sent;

    ngx_http_waav_limit_abandon(w);

    w->waiting = 0;
    w->got = 1;
    w->outcome = NGX_ERROR;

    r = w->r;
    c = r->connection;

    if (sent) {
        ngx_http_waav_redis_timeout(w->zone->redis);

    } else {
        ngx_http_waav_redis_failure(w->zone->redis, "timed out",
                                    "a call before it got no answer in time");
    }

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


/* NGX_AGAIN: queued, wait; NGX_DECLINED: Redis is not there */
static ngx_int_t
ngx_http_waav_limit_redis_send(ngx_http_request_t *r,
    ngx_http_waav_limit_walk_t *w, ngx_http_waav_limit_t *l, ngx_str_t *key)
{
    ngx_http_waav_limit_op_t    *op;
    ngx_http_waav_limit_zone_t  *zone;

    zone = l->shm_zone->data;

    if (!ngx_http_waav_redis_usable(zone->redis)) {
        return NGX_DECLINED;
    }

    switch (l->kind) {
    case NGX_HTTP_WAAV_LIMIT_RATE:
        op = ngx_http_waav_limit_op(zone, key, "rate", l->interval_us,
                                    l->limit, 0);
        break;
    case NGX_HTTP_WAAV_LIMIT_TTS_CHARS:
    case NGX_HTTP_WAAV_LIMIT_STT_SECS:
        op = ngx_http_waav_limit_op(zone, key, "quota", l->limit,
                                    l->window_ms, w->cost);
        if (op) {
            op->refundable = !w->force;
        }

        break;
    default:
        w->member = ngx_http_waav_limit_member();
        op = ngx_http_waav_limit_op(zone, key, "acquire", l->limit,
                                    NGX_HTTP_WAAV_LIMIT_LEASE, w->member);
    }

    if (op == NULL) {
        return NGX_DECLINED;
    }

    op->w = w;
    ngx_http_waav_limit_enqueue(op);

    w->op = op;
    w->zone = zone;
    w->waiting = 1;

    w->timer.handler = ngx_http_waav_limit_redis_timeout;
    w->timer.data = w;
    w->timer.log = r->connection->log;
    ngx_add_timer(&w->timer, zone->redis->timeout);

    return NGX_AGAIN;
}


/* a quota charged (not a true-up): remembered for a refund */
static ngx_int_t
ngx_http_waav_limit_charged(ngx_http_request_t *r,
    ngx_http_waav_limit_walk_t *w, waav_limit_result_t *res, ngx_uint_t redis)
{
    ngx_http_waav_loc_conf_t  *wlcf;

    if (w->tts == 0 || w->force) {
        return NGX_OK;
    }

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (w->charged == NULL) {
        w->charged = ngx_pcalloc(r->pool, wlcf->limits->nelts
                                    * sizeof(ngx_http_waav_limit_charged_t));
        if (w->charged == NULL) {
            return NGX_ERROR;
        }
    }

    w->charged[w->next].window = res->window;
    w->charged[w->next].redis = redis;
    w->charged[w->next].charged = 1;

    return NGX_OK;
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
                if (ngx_http_waav_limit_charged(r, w, &w->res, 1) != NGX_OK) {
                    return NGX_ERROR;
                }

                if (lim.kind == NGX_HTTP_WAAV_LIMIT_CONC) {
                    cln = ngx_pool_cleanup_add(r->pool,
                                          sizeof(ngx_http_waav_limit_rslot_t));
                    if (cln == NULL) {
                        return NGX_ERROR;
                    }

                    slot = cln->data;
                    slot->zone = zone;
                    slot->key = key;
                    slot->member = w->member;
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

        if (ngx_http_waav_limit_charged(r, w, &w->res, 0) != NGX_OK) {
            return NGX_ERROR;
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

    rc = ngx_http_waav_send_err(r, &err);
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


/*
 * waav_tts, waav_stt: units charged before the call that turned out not to
 * be due (the provider failed, or reported fewer seconds), given back to
 * each quota that took them, in the window they were taken in while it
 * lasts; at most what was charged.  Nothing waits: Redis gets the refund
 * with the worker's next batch.
 */
void
ngx_http_waav_limit_refund(ngx_http_request_t *r, uint64_t units)
{
    ngx_str_t                     key;
    ngx_uint_t                    i;
    ngx_http_waav_ctx_t          *ctx;
    ngx_http_waav_limit_t        *l;
    ngx_http_waav_limit_op_t     *op;
    ngx_http_waav_loc_conf_t     *wlcf;
    ngx_http_waav_limit_walk_t   *w;
    ngx_http_waav_limit_node_t   *n;
    ngx_http_waav_limit_zone_t   *zone;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);
    ctx = ngx_http_waav_get_ctx(r);

    if (wlcf->limits == NULL || ctx == NULL || units == 0) {
        return;
    }

    w = ctx->limit_tts;

    if (w == NULL || w->force || w->charged == NULL) {
        return;
    }

    units = ngx_min(units, w->cost);

    l = wlcf->limits->elts;

    for (i = 0; i < wlcf->limits->nelts; i++) {

        if (!w->charged[i].charged) {
            continue;
        }

        w->charged[i].charged = 0;              /* once */

        if (ngx_http_waav_limit_key(r, &l[i], &key) != NGX_OK) {
            continue;
        }

        zone = l[i].shm_zone->data;

        if (w->charged[i].redis) {
            if (!ngx_http_waav_redis_usable(zone->redis)) {
                continue;
            }

            op = ngx_http_waav_limit_op(zone, &key, "refund",
                                        w->charged[i].window, l[i].window_ms,
                                        units);
            if (op) {
                ngx_http_waav_limit_enqueue(op);
            }

            continue;
        }

        ngx_shmtx_lock(&zone->shpool->mutex);

        n = ngx_http_waav_limit_node(zone, l[i].kind, key.data, key.len,
                                     ngx_current_msec, 0);
        if (n) {
            waav_quota_refund(&n->a, &n->b, w->charged[i].window, units);
        }

        ngx_shmtx_unlock(&zone->shpool->mutex);
    }
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

    /* refused by a later quota: the earlier ones give their charge back */
    ngx_http_waav_limit_refund(r, cost);

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
