/*
 * waav: a provider's answer through a core transform, as it arrives (see
 * ngx_http_waav_xform.h).
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_xform.h"


ngx_int_t
ngx_http_waav_xform(ngx_http_request_t *r, ngx_http_waav_xform_t *xf,
    ngx_chain_t **in)
{
    size_t               size, n;
    ngx_buf_t           *b;
    ngx_chain_t         *cl, *ncl, *out, **ll;
    const waav_xform_t  *x;

    x = xf->x;

    if (xf->state == NULL) {
        xf->state = ngx_palloc(r->pool, x->size);
        if (xf->state == NULL) {
            return NGX_ERROR;
        }

        x->init(x, xf->state);
    }

    out = NULL;
    ll = &out;

    for (cl = *in; cl; cl = cl->next) {
        size = ngx_buf_in_memory(cl->buf) ? ngx_buf_size(cl->buf) : 0;

        if (size == 0 && !ngx_buf_special(cl->buf)
            && !cl->buf->last_in_chain)
        {
            continue;
        }

        ncl = ngx_chain_get_free_buf(r->pool, &xf->free);
        if (ncl == NULL) {
            return NGX_ERROR;
        }

        b = ncl->buf;

        if ((size_t) (b->end - b->start) < size + WAAV_XFORM_SLACK) {
            b->start = ngx_palloc(r->pool,
                                  ngx_max(size + WAAV_XFORM_SLACK, 4096));
            if (b->start == NULL) {
                return NGX_ERROR;
            }

            b->end = b->start + ngx_max(size + WAAV_XFORM_SLACK, 4096);
        }

        b->pos = b->start;
        b->last = b->start;
        b->tag = (ngx_buf_tag_t) &ngx_http_waav_module;
        b->flush = cl->buf->flush;
        b->sync = cl->buf->sync;
        b->last_buf = cl->buf->last_buf;
        b->last_in_chain = cl->buf->last_in_chain;

        if (size && x->feed(xf->state, (char *) cl->buf->pos, size,
                            (char *) b->pos, &n)
                    != 0)
        {
            return NGX_DECLINED;
        }

        cl->buf->pos = cl->buf->last;

        if (size) {
            b->last += n;
        }

        /* memory only with audio in it: else a special buffer */
        b->memory = (b->last > b->pos);

        if ((b->last_buf || b->last_in_chain) && x->end(xf->state) != 0) {
            return NGX_DECLINED;
        }

        /* a piece that was all wrapper: nothing to pass on */
        if (!b->memory && !b->flush && !b->sync && !b->last_buf
            && !b->last_in_chain)
        {
            ncl->next = xf->free;
            xf->free = ncl;
            continue;
        }

        *ll = ncl;
        ll = &ncl->next;
    }

    *ll = NULL;
    *in = out;

    return NGX_OK;
}


void
ngx_http_waav_xform_sent(ngx_http_request_t *r, ngx_http_waav_xform_t *xf,
    ngx_chain_t *out)
{
    ngx_chain_update_chains(r->pool, &xf->free, &xf->busy, &out,
                            (ngx_buf_tag_t) &ngx_http_waav_module);
}
