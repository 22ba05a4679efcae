/*
 * waav: limit checks decided in Redis by one Lua script
 * (ngx_http_waav_limit.lua), batched.
 *
 * A check (or a release, a refund) is malloc()ed with its arguments: it
 * may outlive its request.  It waits in its zone's queue until the queue
 * goes out as one script call: the checks of one turn of the event loop,
 * and those that arrive while the zone's previous call is out (for at most
 * a quarter of redis_timeout), go to Redis together, so under load Redis
 * runs one script for many requests (each still counted, in order, before
 * it is let through).  Releases and refunds, which nobody waits for, go
 * out at the end of the turn.  While a connect is under way checks wait
 * for it (up to redis_timeout) instead of failing.
 *
 * What a batch sends and how its answer is read is pure code in
 * src/core/waav_limit_batch.c.
 */

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <hiredis/hiredis.h>

#include "ngx_http_waav_limit_redis.h"
#include "ngx_http_waav_limit_lua.h"


#define NGX_HTTP_WAAV_LIMIT_DOUBTFUL_MAX  1024


struct ngx_http_waav_limit_op_s {
    ngx_queue_t                     queue;      /* in lr->queue, doubtful */
    ngx_http_waav_limit_redis_t    *lr;
    waav_limit_check_t              check;      /* its key is key below */
    ngx_str_t                       key;        /* waav:<zone>:<key> */
    ngx_http_waav_limit_answer_pt   answer;     /* NULL: nobody waits */
    void                           *data;
    ngx_event_t                     timer;      /* redis_timeout */
    unsigned                        sent:1;
    unsigned                        written:1;  /* Redis got it */
    unsigned                        keep_late:1;
};


/* one script call: its checks, and room for their answers */
typedef struct {
    ngx_http_waav_limit_redis_t    *lr;
    ngx_http_waav_limit_op_t      **ops;
    waav_limit_batch_t              batch;
    int64_t                        *values;
    waav_limit_result_t            *results;
} ngx_http_waav_limit_call_t;


static void ngx_http_waav_limit_redis_flush(ngx_event_t *ev);
static void ngx_http_waav_limit_redis_notify(void *data);
static void ngx_http_waav_limit_redis_timeout(ngx_event_t *ev);


static u_char  ngx_http_waav_limit_sha[2 * SHA_DIGEST_LENGTH + 1];


/* --- configuration ------------------------------------------------------ */

char *
ngx_http_waav_limit_redis_create(ngx_conf_t *cf, ngx_str_t *zone,
    ngx_str_t *url, ngx_array_t **targets, ngx_http_waav_limit_redis_t **lrp)
{
    char                          *rv;
    u_char                         sha[SHA_DIGEST_LENGTH];
    ngx_http_waav_redis_t        **rdp;
    ngx_http_waav_limit_redis_t   *lr;

    lr = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_limit_redis_t));
    if (lr == NULL) {
        return NGX_CONF_ERROR;
    }

    lr->conn = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_redis_t));
    if (lr->conn == NULL) {
        return NGX_CONF_ERROR;
    }

    lr->name = *zone;
    lr->lease = NGX_HTTP_WAAV_LIMIT_LEASE;
    lr->conn->timeout = 100;
    lr->conn->fail_open = 1;
    lr->conn->notify = ngx_http_waav_limit_redis_notify;
    lr->conn->data = lr;

    rv = ngx_http_waav_redis_parse(cf, url, lr->conn);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* each worker opens and closes the connections of these */
    if (*targets == NULL) {
        *targets = ngx_array_create(cf->pool, 2,
                                    sizeof(ngx_http_waav_redis_t *));
        if (*targets == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    rdp = ngx_array_push(*targets);
    if (rdp == NULL) {
        return NGX_CONF_ERROR;
    }

    *rdp = lr->conn;

    if (ngx_http_waav_limit_sha[0] == '\0') {
        SHA1((u_char *) ngx_http_waav_limit_lua,
             sizeof(ngx_http_waav_limit_lua) - 1, sha);
        ngx_hex_dump(ngx_http_waav_limit_sha, sha, SHA_DIGEST_LENGTH);
    }

    *lrp = lr;

    return NGX_CONF_OK;
}


/* the worker's side, on first use */
static void
ngx_http_waav_limit_redis_start(ngx_http_waav_limit_redis_t *lr)
{
    if (lr->started) {
        return;
    }

    lr->started = 1;

    ngx_queue_init(&lr->queue);
    ngx_queue_init(&lr->doubtful);

    lr->flush.handler = ngx_http_waav_limit_redis_flush;
    lr->flush.data = lr;
    lr->flush.log = ngx_cycle->log;

    lr->hold.handler = ngx_http_waav_limit_redis_flush;
    lr->hold.data = lr;
    lr->hold.log = ngx_cycle->log;
    lr->hold.cancelable = 1;
}


/* the connection is ready, or failed: what waits for it goes on */
static void
ngx_http_waav_limit_redis_notify(void *data)
{
    ngx_http_waav_limit_redis_t  *lr = data;

    ngx_http_waav_limit_redis_start(lr);

    if ((lr->queued || lr->ndoubtful) && !lr->flush.posted) {
        ngx_post_event(&lr->flush, &ngx_posted_events);
    }
}


/*
 * A slot in Redis: a member of the key's sorted set, unique in the fleet
 * (a random 32-bit prefix per worker, a counter).
 */
uint64_t
ngx_http_waav_limit_redis_member(void)
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


/* --- checks ------------------------------------------------------------- */

/* a check on waav:<zone>:<key>, in one malloc() */
static ngx_http_waav_limit_op_t *
ngx_http_waav_limit_op(ngx_http_waav_limit_redis_t *lr, ngx_str_t *key,
    waav_limit_check_t *check)
{
    u_char                    *p;
    size_t                     size;
    ngx_http_waav_limit_op_t  *op;

    size = sizeof(ngx_http_waav_limit_op_t) + sizeof("waav::") - 1
           + lr->name.len + key->len;

    op = ngx_alloc(size, ngx_cycle->log);
    if (op == NULL) {
        return NULL;
    }

    ngx_memzero(op, sizeof(ngx_http_waav_limit_op_t));

    op->lr = lr;

    p = (u_char *) (op + 1);
    op->key.data = p;
    p = ngx_sprintf(p, "waav:%V:", &lr->name);
    p = ngx_cpymem(p, key->data, key->len);
    op->key.len = p - op->key.data;

    op->check = *check;
    op->check.key = op->key.data;
    op->check.key_len = op->key.len;

    return op;
}


/* the key an op was made with, without the "waav:<zone>:" prefix */
static ngx_str_t
ngx_http_waav_limit_op_key(ngx_http_waav_limit_op_t *op)
{
    size_t     prefix;
    ngx_str_t  key;

    prefix = sizeof("waav::") - 1 + op->lr->name.len;

    key.data = op->key.data + prefix;
    key.len = op->key.len - prefix;

    return key;
}


/* into the zone's next batch, which goes out at the end of this turn */
static void
ngx_http_waav_limit_enqueue(ngx_http_waav_limit_op_t *op)
{
    ngx_http_waav_limit_redis_t  *lr = op->lr;

    ngx_http_waav_limit_redis_start(lr);

    ngx_queue_insert_tail(&lr->queue, &op->queue);
    lr->queued++;

    if (op->answer == NULL) {
        lr->unwaited++;
    }

    if (!lr->flush.posted) {
        ngx_post_event(&lr->flush, &ngx_posted_events);
    }
}


/* the zone's oldest queued check, out of the queue */
static ngx_http_waav_limit_op_t *
ngx_http_waav_limit_dequeue(ngx_http_waav_limit_redis_t *lr)
{
    ngx_queue_t               *q;
    ngx_http_waav_limit_op_t  *op;

    q = ngx_queue_head(&lr->queue);
    ngx_queue_remove(q);
    lr->queued--;

    op = ngx_queue_data(q, ngx_http_waav_limit_op_t, queue);
    op->sent = 1;

    if (op->answer == NULL && lr->unwaited) {
        lr->unwaited--;
    }

    return op;
}


/* a release or a refund nobody waits for; not connected: dropped */
static void
ngx_http_waav_limit_redis_unwaited(ngx_http_waav_limit_redis_t *lr,
    ngx_str_t *key, waav_limit_check_t *check)
{
    ngx_http_waav_limit_op_t  *op;

    /* not connected: a slot's lease bounds the loss, a refund is lost */
    if (!ngx_http_waav_redis_usable(lr->conn)
        && !ngx_http_waav_redis_connecting(lr->conn))
    {
        return;
    }

    op = ngx_http_waav_limit_op(lr, key, check);
    if (op == NULL) {
        return;
    }

    /* nobody waits, but a worker that exits (reload, stop) stays until
     * Redis has it or redis_timeout passes: a release sent as the worker
     * quits is not lost */
    op->timer.handler = ngx_http_waav_limit_redis_timeout;
    op->timer.data = op;
    op->timer.log = ngx_cycle->log;
    ngx_add_timer(&op->timer, lr->conn->timeout);

    ngx_http_waav_limit_enqueue(op);
}


void
ngx_http_waav_limit_redis_release(ngx_http_waav_limit_redis_t *lr,
    ngx_str_t *key, uint64_t member)
{
    waav_limit_check_t  check;

    ngx_memzero(&check, sizeof(waav_limit_check_t));
    check.kind = WAAV_LIMIT_CHECK_RELEASE;
    check.member = member;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "waav limit zone \"%V\": slot %uL released in redis",
                   &lr->name, member);

    ngx_http_waav_limit_redis_unwaited(lr, key, &check);
}


void
ngx_http_waav_limit_redis_refund(ngx_http_waav_limit_redis_t *lr,
    ngx_str_t *key, uint64_t window, uint64_t window_ms, uint64_t units)
{
    waav_limit_check_t  check;

    ngx_memzero(&check, sizeof(waav_limit_check_t));
    check.kind = WAAV_LIMIT_CHECK_REFUND;
    check.window = window;
    check.window_ms = window_ms;
    check.units = units;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "waav limit zone \"%V\": %uL units given back to window "
                   "%uL in redis", &lr->name, units, window);

    ngx_http_waav_limit_redis_unwaited(lr, key, &check);
}


/* a held slot's new lease; lost with the connection, the next one goes */
void
ngx_http_waav_limit_redis_renew(ngx_http_waav_limit_redis_t *lr,
    ngx_str_t *key, uint64_t member)
{
    waav_limit_check_t  check;

    ngx_memzero(&check, sizeof(waav_limit_check_t));
    check.kind = WAAV_LIMIT_CHECK_RENEW;
    check.lease_ms = lr->lease;
    check.member = member;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "waav limit zone \"%V\": slot %uL renewed in redis for "
                   "%M ms", &lr->name, member, lr->lease);

    ngx_http_waav_limit_redis_unwaited(lr, key, &check);
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
    ngx_str_t                     key;
    waav_limit_check_t            check;
    ngx_http_waav_limit_op_t     *rel;
    ngx_http_waav_limit_redis_t  *lr = op->lr;

    if (lr->ndoubtful >= NGX_HTTP_WAAV_LIMIT_DOUBTFUL_MAX) {
        return;
    }

    ngx_memzero(&check, sizeof(waav_limit_check_t));
    check.kind = WAAV_LIMIT_CHECK_RELEASE;
    check.member = op->check.member;

    key = ngx_http_waav_limit_op_key(op);

    rel = ngx_http_waav_limit_op(lr, &key, &check);
    if (rel == NULL) {
        return;
    }

    ngx_queue_insert_tail(&lr->doubtful, &rel->queue);
    lr->ndoubtful++;
}


/* an answer nobody waited for (it came late): what it took goes back */
static void
ngx_http_waav_limit_undo_late(ngx_http_waav_limit_op_t *op,
    waav_limit_result_t *res)
{
    ngx_str_t  key;

    if (res == NULL || !res->allowed) {
        return;
    }

    key = ngx_http_waav_limit_op_key(op);

    if (op->check.kind == WAAV_LIMIT_CHECK_ACQUIRE) {
        ngx_http_waav_limit_redis_release(op->lr, &key, op->check.member);

    } else if (op->check.kind == WAAV_LIMIT_CHECK_QUOTA && !op->keep_late) {
        ngx_http_waav_limit_redis_refund(op->lr, &key, res->window,
                                         op->check.window_ms,
                                         op->check.units);
    }
}


/* a check's answer (or NULL: none) to whoever waits for it */
static void
ngx_http_waav_limit_deliver(ngx_http_waav_limit_op_t *op,
    waav_limit_result_t *res)
{
    void                           *data;
    ngx_http_waav_limit_answer_pt   answer;

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    if (res == NULL && op->check.kind == WAAV_LIMIT_CHECK_ACQUIRE
        && op->written)
    {
        ngx_http_waav_limit_doubt(op);
    }

    if (op->answer == NULL) {
        ngx_http_waav_limit_undo_late(op, res);
        return;
    }

    answer = op->answer;
    data = op->data;
    op->answer = NULL;

    answer(data, res);
}


/* the connection is gone (or memory): what waits is answered "none" now */
static void
ngx_http_waav_limit_fail_queued(ngx_http_waav_limit_redis_t *lr)
{
    ngx_http_waav_limit_op_t  *op;

    if (lr->queued) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "waav limit zone \"%V\": %ui queued checks failed",
                       &lr->name, lr->queued);
    }

    while (lr->queued && !ngx_queue_empty(&lr->queue)) {
        op = ngx_http_waav_limit_dequeue(lr);
        ngx_http_waav_limit_deliver(op, NULL);
        ngx_free(op);
    }
}


/* --- script calls ------------------------------------------------------- */

/* the answer's integers, read by the batch: NGX_OK, or NGX_ERROR */
static ngx_int_t
ngx_http_waav_limit_call_results(ngx_http_waav_limit_call_t *lc,
    redisReply *rep)
{
    size_t  i;

    if (rep == NULL) {
        /* the worker exits with calls Redis did not answer in time: the
         * slots' leases cover them, nothing else is lost */
        if (!lc->lr->conn->closed) {
            ngx_http_waav_redis_failure(lc->lr->conn, "check failed",
                                        "connection lost");
        }

        return NGX_ERROR;
    }

    if (rep->type != REDIS_REPLY_ARRAY) {
        ngx_http_waav_redis_failure(lc->lr->conn, "check failed",
                                    rep->type == REDIS_REPLY_ERROR
                                    ? rep->str : "not an array");
        return NGX_ERROR;
    }

    for (i = 0; i < rep->elements; i++) {
        if (rep->element[i]->type != REDIS_REPLY_INTEGER) {
            ngx_http_waav_redis_failure(lc->lr->conn, "check failed",
                                        "not an integer");
            return NGX_ERROR;
        }

        if (i < WAAV_LIMIT_BATCH_ARGS * lc->batch.nentries) {
            lc->values[i] = (int64_t) rep->element[i]->integer;
        }
    }

    if (waav_limit_batch_decode(&lc->batch, lc->values, rep->elements,
                                lc->results)
        != 0)
    {
        ngx_http_waav_redis_failure(lc->lr->conn, "check failed",
                                    "an answer that does not fit");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a script call's answer: each check gets its own */
static void
ngx_http_waav_limit_call_reply(ngx_http_waav_redis_call_t *call, void *reply)
{
    size_t                        i;
    ngx_int_t                     rc;
    ngx_http_waav_limit_call_t   *lc = call->data;
    ngx_http_waav_limit_redis_t  *lr;

    lr = lc->lr;

    if (lr->inflight) {
        lr->inflight--;
    }

    rc = ngx_http_waav_limit_call_results(lc, reply);

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "waav limit zone \"%V\": batch of %uz checks answered%s, "
                   "%ui out", &lr->name, lc->batch.nchecks,
                   rc == NGX_OK ? "" : " (failed)", lr->inflight);

    /* resuming a request may queue its next check: it goes out next */
    for (i = 0; i < lc->batch.nchecks; i++) {
        ngx_http_waav_limit_deliver(lc->ops[i],
                                    rc == NGX_OK ? &lc->results[i] : NULL);
        ngx_free(lc->ops[i]);
    }

    if (reply == NULL) {
        ngx_http_waav_limit_fail_queued(lr);
        return;
    }

    if (lr->queued && !lr->flush.posted) {
        ngx_post_event(&lr->flush, &ngx_posted_events);
    }
}


/* a call for n checks, in one malloc() after the Redis call */
static ngx_http_waav_redis_call_t *
ngx_http_waav_limit_call(ngx_http_waav_limit_redis_t *lr, size_t n)
{
    u_char                      *p;
    size_t                       size, argc;
    ngx_http_waav_redis_call_t  *call;
    ngx_http_waav_limit_call_t  *lc;

    argc = 2 + 1 + n * (1 + WAAV_LIMIT_BATCH_ARGS);

    size = sizeof(ngx_http_waav_redis_call_t)
           + sizeof(ngx_http_waav_limit_call_t)
           + n * (sizeof(ngx_http_waav_limit_op_t *)
                  + sizeof(waav_limit_check_t) + sizeof(waav_limit_place_t)
                  + sizeof(waav_limit_entry_t)
                  + WAAV_LIMIT_BATCH_ARGS * sizeof(int64_t)
                  + sizeof(waav_limit_result_t))
           + argc * (sizeof(char *) + sizeof(size_t));

    call = ngx_alloc(size, ngx_cycle->log);
    if (call == NULL) {
        return NULL;
    }

    ngx_memzero(call, sizeof(ngx_http_waav_redis_call_t));

    lc = (ngx_http_waav_limit_call_t *) (call + 1);
    lc->lr = lr;

    /* each array is a multiple of 8 bytes: all stay aligned */
    p = (u_char *) (lc + 1);
    lc->ops = (ngx_http_waav_limit_op_t **) p;
    p += n * sizeof(ngx_http_waav_limit_op_t *);
    lc->values = (int64_t *) p;
    p += n * WAAV_LIMIT_BATCH_ARGS * sizeof(int64_t);
    lc->results = (waav_limit_result_t *) p;
    p += n * sizeof(waav_limit_result_t);

    waav_limit_batch_init(&lc->batch, (waav_limit_check_t *) p,
                          (waav_limit_place_t *)
                              (p + n * sizeof(waav_limit_check_t)),
                          (waav_limit_entry_t *)
                              (p + n * (sizeof(waav_limit_check_t)
                                        + sizeof(waav_limit_place_t))),
                          n);
    p += n * (sizeof(waav_limit_check_t) + sizeof(waav_limit_place_t)
              + sizeof(waav_limit_entry_t));

    call->argv = (char **) p;
    call->argvlen = (size_t *) (p + argc * sizeof(char *));

    call->handler = ngx_http_waav_limit_call_reply;
    call->data = lc;
    call->script.data = (u_char *) ngx_http_waav_limit_lua;
    call->script.len = sizeof(ngx_http_waav_limit_lua) - 1;
    call->sha.data = ngx_http_waav_limit_sha;
    call->sha.len = 2 * SHA_DIGEST_LENGTH;

    return call;
}


/*
 * Sends up to WAAV_LIMIT_BATCH_MAX queued checks as one EVALSHA.  The
 * checks leave the queue either way; if they cannot be sent, each is
 * answered "none".
 */
static void
ngx_http_waav_limit_send_batch(ngx_http_waav_limit_redis_t *lr)
{
    size_t                        i, n;
    ngx_http_waav_limit_op_t     *op;
    ngx_http_waav_limit_call_t   *lc;
    ngx_http_waav_redis_call_t   *call;

    n = ngx_min(lr->queued, WAAV_LIMIT_BATCH_MAX);

    call = ngx_http_waav_limit_call(lr, n);

    if (call == NULL) {
        /* out of memory: each queued check is answered "Redis failed" */
        ngx_http_waav_limit_fail_queued(lr);
        return;
    }

    lc = call->data;

    for (i = 0; i < n; i++) {
        op = ngx_http_waav_limit_dequeue(lr);

        if (waav_limit_batch_add(&lc->batch, &op->check) != 0) {
            /* out of the script's bounds: never sent */
            ngx_http_waav_limit_deliver(op, NULL);
            ngx_free(op);
            continue;
        }

        lc->ops[lc->batch.nchecks - 1] = op;
    }

    call->argc = 2 + waav_limit_batch_argc(&lc->batch);
    waav_limit_batch_args(&lc->batch, (const char **) call->argv + 2,
                          call->argvlen + 2);

    if (lc->batch.nchecks
        && ngx_http_waav_redis_eval(lr->conn, call) == NGX_OK)
    {
        lr->inflight++;
        lr->last_sent = ngx_current_msec;

        for (i = 0; i < lc->batch.nchecks; i++) {
            lc->ops[i]->written = 1;
        }

        ngx_log_debug4(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "waav limit zone \"%V\": batch of %uz checks in %uz "
                       "entries sent, %ui out", &lr->name,
                       lc->batch.nchecks, lc->batch.nentries, lr->inflight);
        return;
    }

    if (lc->batch.nchecks) {
        ngx_http_waav_redis_failure(lr->conn, "is not usable",
                                    "not connected");
    }

    for (i = 0; i < lc->batch.nchecks; i++) {
        ngx_http_waav_limit_deliver(lc->ops[i], NULL);
        ngx_free(lc->ops[i]);
    }

    ngx_free(call);
}


/* the end of a turn (or an answer): what waits goes out, if it may */
static void
ngx_http_waav_limit_redis_flush(ngx_event_t *ev)
{
    ngx_http_waav_limit_redis_t  *lr = ev->data;

    ngx_queue_t                  *q;
    ngx_msec_t                    held, hold;

    if (!ngx_http_waav_redis_usable(lr->conn)) {

        /* a connect is under way: it notifies when it is done */
        if (!ngx_http_waav_redis_connecting(lr->conn)) {
            ngx_http_waav_limit_fail_queued(lr);
        }

        return;
    }

    /* Redis is back: the releases that waited for it go first */
    if (lr->ndoubtful) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                       "waav limit zone \"%V\": %ui releases of unanswered "
                       "acquires sent", &lr->name, lr->ndoubtful);
    }

    while (!ngx_queue_empty(&lr->doubtful)) {
        q = ngx_queue_head(&lr->doubtful);
        ngx_queue_remove(q);
        ngx_queue_insert_tail(&lr->queue, q);
        lr->queued++;
        lr->unwaited++;
        lr->ndoubtful--;
    }

    while (lr->queued) {

        if (lr->inflight && !lr->unwaited
            && lr->queued < WAAV_LIMIT_BATCH_MAX)
        {
            /* a call is out: wait for it, but not too long */
            held = ngx_current_msec - lr->last_sent;
            hold = lr->conn->timeout / 4;

            if (held < hold) {
                if (!lr->hold.timer_set) {
                    ngx_add_timer(&lr->hold, hold - held);
                }

                return;
            }
        }

        ngx_http_waav_limit_send_batch(lr);
    }
}


/* no answer within redis_timeout: the waiter goes on without one */
static void
ngx_http_waav_limit_redis_timeout(ngx_event_t *ev)
{
    ngx_http_waav_limit_op_t       *op = ev->data;

    void                           *data;
    ngx_uint_t                      sent;
    ngx_http_waav_limit_redis_t    *lr;
    ngx_http_waav_limit_answer_pt   answer;

    lr = op->lr;
    sent = op->sent;
    answer = op->answer;
    data = op->data;

    op->answer = NULL;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "waav limit zone \"%V\": a check timed out %s",
                   &lr->name, sent ? "in redis" : "in the queue");

    /* a check not sent yet is dropped, a sent one answers nobody */
    if (!sent) {
        ngx_queue_remove(&op->queue);
        lr->queued--;
        ngx_free(op);
    }

    /* only a check Redis had counts against the connection (which may
     * go, and the call with it) */
    if (sent) {
        ngx_http_waav_redis_timeout(lr->conn);

    } else {
        ngx_http_waav_redis_failure(lr->conn, "timed out",
                                    ngx_http_waav_redis_connecting(lr->conn)
                                    ? "the connect did not finish in time"
                                    : "a call before it got no answer in "
                                      "time");
    }

    /* a release or a refund: nobody to answer */
    if (answer) {
        answer(data, NULL);
    }
}


ngx_http_waav_limit_op_t *
ngx_http_waav_limit_redis_check(ngx_http_waav_limit_redis_t *lr,
    ngx_str_t *key, waav_limit_check_t *check, ngx_uint_t keep_late,
    ngx_http_waav_limit_answer_pt answer, void *data)
{
    ngx_http_waav_limit_op_t  *op;

    if (!ngx_http_waav_redis_usable(lr->conn)
        && !ngx_http_waav_redis_connecting(lr->conn))
    {
        ngx_http_waav_redis_failure(lr->conn, "is not usable",
                                    "not connected");
        return NULL;
    }

    op = ngx_http_waav_limit_op(lr, key, check);
    if (op == NULL) {
        return NULL;
    }

    op->answer = answer;
    op->data = data;
    op->keep_late = keep_late ? 1 : 0;

    op->timer.handler = ngx_http_waav_limit_redis_timeout;
    op->timer.data = op;
    op->timer.log = ngx_cycle->log;
    ngx_add_timer(&op->timer, lr->conn->timeout);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "waav limit zone \"%V\": %s check queued%s", &lr->name,
                   waav_limit_check_name(check->kind),
                   ngx_http_waav_redis_connecting(lr->conn)
                   ? ", waiting for the connect" : "");

    ngx_http_waav_limit_enqueue(op);

    return op;
}


void
ngx_http_waav_limit_redis_cancel(ngx_http_waav_limit_op_t *op)
{
    ngx_http_waav_limit_redis_t  *lr = op->lr;

    op->answer = NULL;

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    /* not sent yet: dropped; sent: its late answer is undone */
    if (!op->sent) {
        ngx_queue_remove(&op->queue);
        lr->queued--;
        ngx_free(op);
    }
}
