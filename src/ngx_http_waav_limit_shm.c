/*
 * waav: the counters of a limit zone in shared memory, as
 * ngx_http_limit_req_module keeps them: a slab pool, an rbtree by the
 * key's hash, an LRU queue, short critical sections; kept over reload.
 *
 * One node per limit and key: a rate's theoretical arrival time, a
 * quota's window and units used, or the concurrency slots held.  When the
 * zone is full the least recently used idle nodes go first; a node whose
 * slots are held never goes.
 */

#include "ngx_http_waav_limit_shm.h"


#define NGX_HTTP_WAAV_LIMIT_IDLE  60000         /* ms before a node may go */


typedef struct {
    u_char                         color;
    u_char                         kind;
    u_short                        len;
    ngx_queue_t                    queue;
    ngx_msec_t                     last;        /* its last use */

    union {
        struct {
            uint64_t               tat_us;      /* monotonic */
        } rate;

        struct {
            uint64_t               window;      /* its number */
            uint64_t               used;
            uint64_t               window_ms;
        } quota;

        struct {
            uint64_t               held;
        } concurrency;
    } counter;

    u_char                         data[1];     /* limit id + key */
} ngx_http_waav_limit_node_t;


/* a concurrency slot a request holds until its pool goes */
typedef struct {
    ngx_http_waav_limit_shm_t     *shm;
    ngx_http_waav_limit_node_t    *node;
    ngx_log_t                     *log;
} ngx_http_waav_limit_slot_t;


static const char  *ngx_http_waav_limit_kind_names[] = {
    "", "rate", "tts_chars", "concurrency", "stt_seconds"
};


const char *
ngx_http_waav_limit_kind_name(ngx_uint_t kind)
{
    return kind <= NGX_HTTP_WAAV_LIMIT_STT_SECONDS
           ? ngx_http_waav_limit_kind_names[kind] : "";
}


/* --- clocks ------------------------------------------------------------- */

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


/* --- the zone ----------------------------------------------------------- */

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


/* the shm_zone's init: old is the previous cycle's, on reload */
ngx_int_t
ngx_http_waav_limit_shm_init(ngx_http_waav_limit_shm_t *shm,
    ngx_shm_zone_t *shm_zone, ngx_http_waav_limit_shm_t *old)
{
    size_t  len;

    shm->name = &shm_zone->shm.name;

    if (old) {
        /* reload: the counters carry on */
        shm->sh = old->sh;
        shm->shpool = old->shpool;
        return NGX_OK;
    }

    shm->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm->sh = shm->shpool->data;
        return NGX_OK;
    }

    shm->sh = ngx_slab_alloc(shm->shpool, sizeof(ngx_http_waav_limit_shctx_t));
    if (shm->sh == NULL) {
        return NGX_ERROR;
    }

    shm->shpool->data = shm->sh;

    ngx_rbtree_init(&shm->sh->rbtree, &shm->sh->sentinel,
                    ngx_http_waav_limit_rbtree_insert);
    ngx_queue_init(&shm->sh->queue);

    len = sizeof(" in waav_limit_zone \"\"") + shm_zone->shm.name.len;

    shm->shpool->log_ctx = ngx_slab_alloc(shm->shpool, len);
    if (shm->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shm->shpool->log_ctx, " in waav_limit_zone \"%V\"%Z",
                &shm_zone->shm.name);

    shm->shpool->log_nomem = 0;

    return NGX_OK;
}


/* a node whose state says nothing any more (held slots never go) */
static ngx_int_t
ngx_http_waav_limit_idle(ngx_http_waav_limit_node_t *n, ngx_msec_t now,
    ngx_uint_t force)
{
    if (n->kind == NGX_HTTP_WAAV_LIMIT_CONCURRENCY
        && n->counter.concurrency.held > 0)
    {
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
        return n->counter.rate.tat_us <= ngx_http_waav_limit_now_us();

    case NGX_HTTP_WAAV_LIMIT_TTS_CHARS:
    case NGX_HTTP_WAAV_LIMIT_STT_SECONDS:
        /* a quota holds its counter until its window has passed */
        return n->counter.quota.window_ms == 0
               || n->counter.quota.window
                  != ngx_http_waav_limit_wall_ms()
                     / n->counter.quota.window_ms;

    default:
        return 1;
    }
}


/* frees up to two stale nodes from the LRU tail (all locked) */
static void
ngx_http_waav_limit_expire(ngx_http_waav_limit_shm_t *shm, ngx_msec_t now,
    ngx_uint_t force)
{
    ngx_uint_t                   i;
    ngx_queue_t                 *q;
    ngx_rbtree_node_t           *node;
    ngx_http_waav_limit_node_t  *n;

    q = ngx_queue_last(&shm->sh->queue);

    for (i = 0; i < 8 && q != ngx_queue_sentinel(&shm->sh->queue); i++) {
        n = ngx_queue_data(q, ngx_http_waav_limit_node_t, queue);
        q = ngx_queue_prev(q);

        if (!ngx_http_waav_limit_idle(n, now, force)) {
            continue;
        }

        ngx_queue_remove(&n->queue);

        node = (ngx_rbtree_node_t *)
                   ((u_char *) n - offsetof(ngx_rbtree_node_t, color));

        ngx_rbtree_delete(&shm->sh->rbtree, node);
        ngx_slab_free_locked(shm->shpool, node);

        if (force || i >= 1) {
            return;
        }
    }
}


/* the node for id + key (locked), or NULL */
static ngx_http_waav_limit_node_t *
ngx_http_waav_limit_lookup(ngx_http_waav_limit_shm_t *shm, u_char *key,
    size_t len, uint32_t hash, ngx_msec_t now)
{
    ngx_int_t                    rc;
    ngx_rbtree_node_t           *node, *sentinel;
    ngx_http_waav_limit_node_t  *n;

    node = shm->sh->rbtree.root;
    sentinel = shm->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        n = (ngx_http_waav_limit_node_t *) &node->color;
        rc = ngx_memn2cmp(key, n->data, len, (size_t) n->len);

        if (rc == 0) {
            ngx_queue_remove(&n->queue);
            ngx_queue_insert_head(&shm->sh->queue, &n->queue);
            n->last = now;
            return n;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* the node for id + key, made when new (locked); NULL: no memory */
static ngx_http_waav_limit_node_t *
ngx_http_waav_limit_node(ngx_http_waav_limit_shm_t *shm, ngx_uint_t kind,
    ngx_str_t *key, ngx_msec_t now)
{
    size_t                       size;
    uint32_t                     hash;
    ngx_rbtree_node_t           *node;
    ngx_http_waav_limit_node_t  *n;

    hash = ngx_crc32_short(key->data, key->len);

    n = ngx_http_waav_limit_lookup(shm, key->data, key->len, hash, now);
    if (n) {
        return n;
    }

    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_waav_limit_node_t, data) + key->len;

    ngx_http_waav_limit_expire(shm, now, 0);

    node = ngx_slab_alloc_locked(shm->shpool, size);

    if (node == NULL) {
        ngx_http_waav_limit_expire(shm, now, 1);

        node = ngx_slab_alloc_locked(shm->shpool, size);
        if (node == NULL) {
            return NULL;
        }
    }

    node->key = hash;
    n = (ngx_http_waav_limit_node_t *) &node->color;
    n->kind = (u_char) kind;
    n->len = (u_short) key->len;
    n->last = now;
    ngx_memzero(&n->counter, sizeof(n->counter));
    ngx_memcpy(n->data, key->data, key->len);

    ngx_rbtree_insert(&shm->sh->rbtree, node);
    ngx_queue_insert_head(&shm->sh->queue, &n->queue);

    return n;
}


/* --- checks ------------------------------------------------------------- */

/* the request that held a slot is gone */
static void
ngx_http_waav_limit_shm_release(void *data)
{
    ngx_http_waav_limit_slot_t  *slot = data;

    uint64_t                     held;

    ngx_shmtx_lock(&slot->shm->shpool->mutex);

    held = slot->node->counter.concurrency.held;

    if (held > 0) {
        slot->node->counter.concurrency.held = --held;
    }

    ngx_shmtx_unlock(&slot->shm->shpool->mutex);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, slot->log, 0,
                   "waav limit zone \"%V\": slot released, %uL held",
                   slot->shm->name, held);
}


/* one more slot if one is free (locked) */
static void
ngx_http_waav_limit_take_slot(ngx_http_waav_limit_node_t *n, uint64_t limit,
    waav_limit_result_t *res)
{
    uint64_t  *held = &n->counter.concurrency.held;

    res->limit = limit;
    res->allowed = *held < limit;
    res->reset_ms = 1000;

    if (res->allowed) {
        (*held)++;
    }

    res->remaining = (limit > *held) ? limit - *held : 0;
}


/*
 * One limit in the zone's shared memory: NGX_OK (allowed), NGX_DECLINED
 * (refused, res says why), NGX_ERROR.  cost is a quota's units; a slot
 * taken is released when pool goes.
 */
ngx_int_t
ngx_http_waav_limit_shm_check(ngx_http_waav_limit_shm_t *shm,
    ngx_http_waav_limit_rule_t *rule, ngx_str_t *key, uint64_t cost,
    ngx_pool_t *pool, ngx_log_t *log, waav_limit_result_t *res)
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_waav_limit_node_t  *n;
    ngx_http_waav_limit_slot_t  *slot;

    cln = NULL;

    if (rule->kind == NGX_HTTP_WAAV_LIMIT_CONCURRENCY) {
        cln = ngx_pool_cleanup_add(pool, sizeof(ngx_http_waav_limit_slot_t));
        if (cln == NULL) {
            return NGX_ERROR;
        }
    }

    ngx_shmtx_lock(&shm->shpool->mutex);

    n = ngx_http_waav_limit_node(shm, rule->kind, key, ngx_current_msec);

    if (n == NULL) {
        ngx_shmtx_unlock(&shm->shpool->mutex);
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "waav: limit zone \"%V\" is full", shm->name);
        return NGX_ERROR;
    }

    switch (rule->kind) {

    case NGX_HTTP_WAAV_LIMIT_RATE:
        waav_gcra(&n->counter.rate.tat_us, ngx_http_waav_limit_now_us(),
                  rule->interval_us, rule->limit, res);
        break;

    case NGX_HTTP_WAAV_LIMIT_TTS_CHARS:
    case NGX_HTTP_WAAV_LIMIT_STT_SECONDS:
        n->counter.quota.window_ms = rule->window_ms;
        waav_quota(&n->counter.quota.window, &n->counter.quota.used,
                   ngx_http_waav_limit_wall_ms(), rule->window_ms,
                   rule->limit, cost, res);
        break;

    default:
        ngx_http_waav_limit_take_slot(n, rule->limit, res);
    }

    ngx_shmtx_unlock(&shm->shpool->mutex);

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, log, 0,
                   "waav limit zone \"%V\": %s %s, %uL of %uL left",
                   shm->name, ngx_http_waav_limit_kind_name(rule->kind),
                   res->allowed
                   ? (cln ? "slot acquired" : "allowed") : "refused",
                   res->remaining, res->limit);

    if (cln) {
        cln->handler = NULL;

        if (res->allowed) {
            slot = cln->data;
            slot->shm = shm;
            slot->node = n;
            slot->log = log;
            cln->handler = ngx_http_waav_limit_shm_release;
        }
    }

    return res->allowed ? NGX_OK : NGX_DECLINED;
}


/* units of a quota charged in window given back, while it lasts */
void
ngx_http_waav_limit_shm_refund(ngx_http_waav_limit_shm_t *shm,
    ngx_http_waav_limit_rule_t *rule, ngx_str_t *key, uint64_t window,
    uint64_t units, ngx_log_t *log)
{
    uint32_t                     hash;
    ngx_http_waav_limit_node_t  *n;

    hash = ngx_crc32_short(key->data, key->len);

    ngx_shmtx_lock(&shm->shpool->mutex);

    /* a refund never makes a counter (or evicts another for one) */
    n = ngx_http_waav_limit_lookup(shm, key->data, key->len, hash,
                                   ngx_current_msec);
    if (n && n->kind == rule->kind) {
        waav_quota_refund(&n->counter.quota.window, &n->counter.quota.used,
                          window, units);
    }

    ngx_shmtx_unlock(&shm->shpool->mutex);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "waav limit zone \"%V\": %uL units given back to window "
                   "%uL", shm->name, units, window);
}
