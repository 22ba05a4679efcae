/*
 * waav: the audio base64-encoded for a provider that takes it inside its
 * JSON (Google's {"audio": {"content": "..."}}), never read on the event
 * loop.
 *
 * The client body's parts are encoded one after the other into a chain of
 * buffers of at most 64k each, the 0-2 bytes that end a part without a
 * whole group of three carried into the next: a part in memory is encoded
 * at once; a part in nginx's temp file is read and encoded, 48k at a time,
 * by a task in nginx's thread pool "default" (as aio threads use it:
 * 32 threads unless `thread_pool default threads=N;` says otherwise),
 * into buffers made for it before.  No copy of the raw audio is made;
 * while a task runs the request is blocked (it cannot be freed under it)
 * and a timer keeps a worker that shuts down from leaving it.
 */

#include <unistd.h>

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_stt.h"
#include "ngx_http_waav_util.h"
#include "waav_base64.h"

#if !(NGX_THREADS)
#error "waav needs nginx built --with-threads"
#endif


/* raw bytes read and encoded at a time: a multiple of 3, 64k encoded */
#define NGX_HTTP_WAAV_B64_CHUNK  (48 * 1024)
#define NGX_HTTP_WAAV_B64_HOLD   60000


typedef struct {
    ngx_http_request_t              *r;
    ngx_http_waav_stt_b64_done_pt    done;
    ngx_chain_t                     *in;        /* the parts left */
    ngx_chain_t                    **last;      /* where the next goes */
    ngx_chain_t                     *tail;
    ngx_chain_t                    **from;      /* the part's first */
    ngx_chain_t                     *from_tail;
    u_char                           carry[3];
    size_t                           ncarry;

    /* a temp-file part, encoded in the pool */
    ngx_buf_t                       *file;
    ngx_chain_t                     *pieces;    /* made for it */
    u_char                          *scratch;   /* a chunk read */
    ngx_err_t                        errnum;
    ngx_thread_task_t               *task;
    ngx_event_t                      hold;
    unsigned                         running:1;
    unsigned                         failed:1;
} ngx_http_waav_stt_b64_t;


static void ngx_http_waav_stt_b64_next(ngx_http_waav_stt_b64_t *s);
static void ngx_http_waav_stt_b64_resume(ngx_http_request_t *r);


/* a base64 provider's STT takes the thread pool "default" */
ngx_int_t
ngx_http_waav_stt_b64_init(ngx_conf_t *cf)
{
    ngx_uint_t                  i;
    ngx_http_waav_provider_t   *p;
    ngx_http_waav_main_conf_t  *wmcf;

    static ngx_str_t  name = ngx_string("default");

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_waav_module);
    p = wmcf->providers.elts;

    for (i = 0; i < wmcf->providers.nelts; i++) {
        if (p[i].stt && p[i].stt->base64) {
            wmcf->b64_pool = ngx_thread_pool_add(cf, &name);
            return wmcf->b64_pool ? NGX_OK : NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* len bytes into out after what was carried; what ends without a whole
 * group is carried on; returns the bytes written */
static size_t
ngx_http_waav_stt_b64_feed(ngx_http_waav_stt_b64_t *s, u_char *out,
    const u_char *in, size_t len)
{
    size_t  n, k;

    n = 0;

    if (s->ncarry) {
        k = ngx_min(3 - s->ncarry, len);
        ngx_memcpy(s->carry + s->ncarry, in, k);
        s->ncarry += k;
        in += k;
        len -= k;

        if (s->ncarry < 3) {
            return 0;
        }

        n = waav_base64_encode((char *) out, s->carry, 3);
        s->ncarry = 0;
    }

    k = len - len % 3;
    n += waav_base64_encode((char *) out + n, in, k);
    ngx_memcpy(s->carry, in + k, len - k);
    s->ncarry = len - k;

    return n;
}


/* a buffer for what len raw bytes (and a carry) make, linked at the end */
static ngx_buf_t *
ngx_http_waav_stt_b64_piece(ngx_http_waav_stt_b64_t *s, size_t len)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    /* and the NUL waav_base64_encode writes */
    b = ngx_create_temp_buf(s->r->pool, (len + 2) / 3 * 4 + 1);
    cl = ngx_alloc_chain_link(s->r->pool);
    if (b == NULL || cl == NULL) {
        return NULL;
    }

    cl->buf = b;
    cl->next = NULL;
    *s->last = cl;
    s->last = &cl->next;
    s->tail = cl;

    return b;
}


/* a part in memory, encoded here */
static ngx_int_t
ngx_http_waav_stt_b64_memory(ngx_http_waav_stt_b64_t *s, ngx_buf_t *in)
{
    size_t      n;
    u_char     *p;
    ngx_buf_t  *b;

    for (p = in->pos; p < in->last; p += n) {
        n = ngx_min((size_t) (in->last - p), NGX_HTTP_WAAV_B64_CHUNK);

        b = ngx_http_waav_stt_b64_piece(s, n + s->ncarry);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->last += ngx_http_waav_stt_b64_feed(s, b->last, p, n);
    }

    return NGX_OK;
}


/* in a pool thread: the part read a chunk at a time into the pieces made
 * for it; nothing of nginx's but these buffers, which nothing else
 * touches meanwhile */
static void
ngx_http_waav_stt_b64_work(void *data, ngx_log_t *log)
{
    ngx_http_waav_stt_b64_t  *s = data;

    off_t         pos;
    size_t        n, got;
    ssize_t       rd;
    ngx_chain_t  *cl;

    ngx_http_waav_unused(log);

    pos = s->file->file_pos;

    for (cl = s->pieces; cl && pos < s->file->file_last; cl = cl->next) {
        n = (size_t) ngx_min(s->file->file_last - pos,
                             NGX_HTTP_WAAV_B64_CHUNK);

        for (got = 0; got < n; got += rd) {
            rd = pread(s->file->file->fd, s->scratch + got, n - got,
                       pos + got);

            if (rd <= 0) {
                s->errnum = (rd == 0) ? 0 : ngx_errno;
                s->failed = 1;
                return;
            }
        }

        cl->buf->last += ngx_http_waav_stt_b64_feed(s, cl->buf->last,
                                                    s->scratch, n);
        pos += n;
    }
}


/* a task is done: back on the event loop, as nginx's own aio threads */
static void
ngx_http_waav_stt_b64_event(ngx_event_t *ev)
{
    ngx_http_waav_stt_b64_t  *s = ev->data;

    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = s->r;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "waav stt: base64 of %O file bytes done",
                   s->file->file_last - s->file->file_pos);

    r->main->blocked--;
    s->running = 0;

    if (s->hold.timer_set) {
        ngx_del_timer(&s->hold);
    }

    r->write_event_handler(r);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_waav_stt_b64_hold(ngx_event_t *ev)
{
    ngx_http_waav_stt_b64_t  *s = ev->data;

    if (s->running) {
        ngx_add_timer(ev, NGX_HTTP_WAAV_B64_HOLD);
    }
}


/* a part in the temp file: its pieces made here, filled in the pool */
static ngx_int_t
ngx_http_waav_stt_b64_file(ngx_http_waav_stt_b64_t *s, ngx_buf_t *in)
{
    off_t                       left, n;
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(s->r, ngx_http_waav_module);

    if (wmcf->b64_pool == NULL) {
        ngx_log_error(NGX_LOG_ERR, s->r->connection->log, 0,
                      "waav: no thread pool to read the audio with");
        return NGX_ERROR;
    }

    if (s->scratch == NULL) {
        s->scratch = ngx_palloc(s->r->pool, NGX_HTTP_WAAV_B64_CHUNK);
        s->task = ngx_thread_task_alloc(s->r->pool, 0);
        if (s->scratch == NULL || s->task == NULL) {
            return NGX_ERROR;
        }
    }

    for (left = in->file_last - in->file_pos; left > 0; left -= n) {
        n = ngx_min(left, NGX_HTTP_WAAV_B64_CHUNK);

        /* the carry in front of the first piece only: a bound for all */
        if (ngx_http_waav_stt_b64_piece(s, (size_t) n + 2) == NULL) {
            return NGX_ERROR;
        }
    }

    s->pieces = *s->from;
    s->file = in;
    s->task->ctx = s;
    s->task->handler = ngx_http_waav_stt_b64_work;
    s->task->event.data = s;
    s->task->event.handler = ngx_http_waav_stt_b64_event;

    if (ngx_thread_task_post(wmcf->b64_pool, s->task) != NGX_OK) {
        return NGX_ERROR;
    }

    s->running = 1;
    s->r->main->blocked++;
    s->r->write_event_handler = ngx_http_waav_stt_b64_resume;

    s->hold.handler = ngx_http_waav_stt_b64_hold;
    s->hold.data = s;
    s->hold.log = s->r->connection->log;
    ngx_add_timer(&s->hold, NGX_HTTP_WAAV_B64_HOLD);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, s->r->connection->log, 0,
                   "waav stt: base64 of %O file bytes in the thread pool",
                   in->file_last - in->file_pos);

    return NGX_AGAIN;
}


/* the last bytes, padded */
static ngx_int_t
ngx_http_waav_stt_b64_end(ngx_http_waav_stt_b64_t *s)
{
    ngx_buf_t  *b;

    if (s->ncarry == 0) {
        return NGX_OK;
    }

    b = ngx_http_waav_stt_b64_piece(s, s->ncarry);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last += waav_base64_encode((char *) b->last, s->carry, s->ncarry);
    s->ncarry = 0;

    return NGX_OK;
}


/* a part's pieces that came out empty (what it ended with is carried)
 * unlinked: nginx's writer refuses an empty buffer */
static void
ngx_http_waav_stt_b64_prune(ngx_http_waav_stt_b64_t *s)
{
    ngx_chain_t  **ll;

    s->tail = s->from_tail;

    for (ll = s->from; *ll; /* void */) {
        if ((*ll)->buf->last == (*ll)->buf->pos) {
            *ll = (*ll)->next;
            continue;
        }

        s->tail = *ll;
        ll = &(*ll)->next;
    }

    s->last = ll;
}


/* the parts left, until one is read in the pool; NGX_OK when all are */
static ngx_int_t
ngx_http_waav_stt_b64_run(ngx_http_waav_stt_b64_t *s)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;

    while (s->in) {
        b = s->in->buf;
        s->in = s->in->next;
        s->from = s->last;
        s->from_tail = s->tail;

        if (ngx_buf_in_memory(b)) {
            rc = ngx_http_waav_stt_b64_memory(s, b);

        } else if (b->in_file && b->file) {
            rc = ngx_http_waav_stt_b64_file(s, b);

        } else {
            continue;
        }

        if (rc != NGX_OK) {
            return rc;
        }

        ngx_http_waav_stt_b64_prune(s);
    }

    return ngx_http_waav_stt_b64_end(s);
}


ngx_int_t
ngx_http_waav_stt_b64(ngx_http_request_t *r, off_t start, off_t len,
    ngx_chain_t ***last, ngx_chain_t **tail,
    ngx_http_waav_stt_b64_done_pt done)
{
    ngx_int_t                 rc;
    ngx_chain_t              *slice, **sl, *st;
    ngx_http_waav_stt_b64_t  *s;

    slice = NULL;
    sl = &slice;
    st = NULL;

    s = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_stt_b64_t));
    if (s == NULL
        || ngx_http_waav_stt_slice(r, start, len, &sl, &st) != NGX_OK)
    {
        return NGX_ERROR;
    }

    s->r = r;
    s->done = done;
    s->in = slice;
    s->last = *last;

    rc = ngx_http_waav_stt_b64_run(s);

    if (rc == NGX_AGAIN) {
        /* done() takes it from here */
        ((ngx_http_waav_stt_ctx_t *) ngx_http_waav_find_ctx(r)->stt)->b64 = s;
        return NGX_AGAIN;
    }

    *last = s->last;
    *tail = s->tail;

    return rc;
}


/* the request's write handler while a task runs: the next part once it is
 * back */
static void
ngx_http_waav_stt_b64_resume(ngx_http_request_t *r)
{
    ngx_http_waav_stt_b64_t  *s;
    ngx_http_waav_stt_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r)->stt;
    s = ctx->b64;

    if (s == NULL || s->running) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    if (s->failed) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, s->errnum,
                      "waav: the audio could not be read back from the "
                      "client body's temp file");
        s->done(r, NGX_ERROR, NULL, NULL);
        return;
    }

    ngx_http_waav_stt_b64_prune(s);
    ngx_http_waav_stt_b64_next(s);
}


static void
ngx_http_waav_stt_b64_next(ngx_http_waav_stt_b64_t *s)
{
    ngx_int_t  rc;

    rc = ngx_http_waav_stt_b64_run(s);

    if (rc == NGX_AGAIN) {
        return;
    }

    s->done(s->r, rc, s->last, s->tail);
}
