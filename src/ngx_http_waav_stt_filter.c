/*
 * waav: waav_stt's filters: the client body's first bytes kept as they
 * arrive (its format is read from them, never back from a temp file), and
 * the provider's answer collected in memory, bounded by the provider
 * location's subrequest_output_buffer_size (ngx_http_waav_stt.c reads it).
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_filter.h"
#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_stt.h"
#include "ngx_http_waav_util.h"


/*
 * Sees the body as it arrives, before nginx may write it to a temp file:
 * keeps its first bytes (the WAV header) so nothing is read back.
 */
ngx_int_t
ngx_http_waav_stt_request_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                    n;
    ngx_chain_t              *cl;
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_stt_ctx_t  *ctx;

    wctx = (r == r->main) ? ngx_http_get_module_ctx(r, ngx_http_waav_module)
                          : NULL;
    ctx = wctx ? wctx->stt : NULL;

    if (ctx && ctx->mp) {
        for (cl = in; cl; cl = cl->next) {
            if (ngx_buf_in_memory(cl->buf)) {
                ngx_http_waav_stt_feed(ctx, cl->buf->pos,
                                       cl->buf->last - cl->buf->pos);
            }
        }

    } else if (ctx) {
        for (cl = in; cl && ctx->head_len < sizeof(ctx->head); cl = cl->next) {
            if (!ngx_buf_in_memory(cl->buf)) {
                continue;
            }

            n = ngx_min((size_t) (cl->buf->last - cl->buf->pos),
                        sizeof(ctx->head) - ctx->head_len);
            ngx_memcpy(ctx->head + ctx->head_len, cl->buf->pos, n);
            ctx->head_len += n;
        }
    }

    return ngx_http_waav_next_request_body_filter(r, in);
}


/* --- the provider's answer, in memory ----------------------------------- */

/*
 * An in-memory subrequest's answer is kept by nginx's postpone filter, up
 * to the provider location's subrequest_output_buffer_size; a larger one
 * makes it fail the whole connection ("too big subrequest response"), and
 * the client would get nothing.  These filters, before it, keep what fits
 * and drop the rest, and the answer becomes 502 PROVIDER_BAD_RESPONSE (a
 * 2xx) or the provider's error with the start of its message.
 */

static ngx_http_waav_stt_ctx_t *
ngx_http_waav_stt_sr_ctx(ngx_http_request_t *r)
{
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_stt_ctx_t  *ctx;

    wctx = ngx_http_waav_find_ctx(r->main);
    ctx = wctx ? wctx->stt : NULL;

    return (ctx && ctx->sr == r) ? ctx : NULL;
}


static size_t
ngx_http_waav_stt_room(ngx_http_request_t *sr)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(sr, ngx_http_core_module);

    return clcf->subrequest_output_buffer_size;
}


ngx_int_t
ngx_http_waav_stt_header_filter(ngx_http_request_t *r)
{
    ngx_http_waav_stt_ctx_t  *ctx;

    ctx = ngx_http_waav_stt_sr_ctx(r);

    if (ctx != NULL) {
        /* each step of a chained call is a subrequest of its own */
        ngx_http_waav_metrics_answer(r, r->headers_out.status);
        ctx->got = 0;
        ctx->too_big = 0;

        /* a length over the room: keep what fits rather than fail at once */
        if (r->headers_out.content_length_n > (off_t) ngx_http_waav_stt_room(r))
        {
            r->headers_out.content_length_n = -1;
        }
    }

    return ngx_http_waav_next_header_filter(r);
}


ngx_int_t
ngx_http_waav_stt_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    off_t                     size;
    ngx_chain_t              *cl;
    ngx_http_waav_stt_ctx_t  *ctx;

    ctx = ngx_http_waav_stt_sr_ctx(r);

    if (ctx == NULL) {
        return ngx_http_waav_next_body_filter(r, in);
    }

    size = 0;

    for (cl = in; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    if (!ctx->too_big
        && ctx->got + size > (off_t) ngx_http_waav_stt_room(r))
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "waav: provider \"%V\" answered more than %uz bytes "
                      "(subrequest_output_buffer_size)",
                      &ctx->provider->name, ngx_http_waav_stt_room(r));
        ctx->too_big = 1;
    }

    if (!ctx->too_big) {
        ctx->got += size;
        return ngx_http_waav_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    return NGX_OK;
}


const char *
ngx_http_waav_stt_too_big(ngx_http_request_t *r, ngx_http_request_t *sr)
{
    u_char  *p;
    size_t   len;

    len = sizeof("an answer over  bytes (subrequest_output_buffer_size)")
          + NGX_SIZE_T_LEN;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return "an answer that does not fit in memory";
    }

    (void) ngx_snprintf(p, len, "an answer over %uz bytes "
                        "(subrequest_output_buffer_size)%Z",
                        ngx_http_waav_stt_room(sr));

    return (char *) p;
}
