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
 * provider location) and is normalized by the core (src/core/waav_stt.c).
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_filter.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_stt.h"
#include "ngx_http_waav_util.h"
#include "waav_json.h"
#include "waav_stt.h"
#include "waav_multipart.h"


#define NGX_HTTP_WAAV_STT_ONE     0        /* one call answers */
#define NGX_HTTP_WAAV_STT_UPLOAD  1        /* AssemblyAI's steps */
#define NGX_HTTP_WAAV_STT_CREATE  2
#define NGX_HTTP_WAAV_STT_POLL    3


typedef struct {
    ngx_http_request_t        *r;
    ngx_http_waav_provider_t  *provider;
    waav_stt_req_t             req;
    waav_http_req_t            preq;
    ngx_http_request_t        *sr;
    ngx_int_t                  rc;
    ngx_uint_t                 step;
    ngx_msec_t                 started;
    waav_str_t                 id;          /* the transcript polled */
    ngx_event_t                poll;
    u_char                     head[256];   /* the body's first bytes */
    size_t                     head_len;
    waav_mp_parser_t          *mp;          /* OpenAI's form, or NULL */
    waav_stt_fmt_e             fmt;         /* its response_format */
    ngx_chain_t               *body;        /* to the provider */
    off_t                      body_len;
    uint64_t                   seconds;     /* charged before the call */
    uint64_t                   extra;       /* reported beyond that */
    waav_str_t                 answer;      /* normalized, to send */
    off_t                      got;         /* the answer's bytes kept */
    unsigned                   done:1;
    unsigned                   too_big:1;   /* the answer did not fit */
} ngx_http_waav_stt_ctx_t;




static ngx_int_t ngx_http_waav_stt_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_stt_form(ngx_http_request_t *r, waav_str_t ct);
static void ngx_http_waav_stt_go(ngx_http_request_t *r);
static void ngx_http_waav_stt_reply(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx, waav_str_t out);
static void ngx_http_waav_stt_trued(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_stt_answer(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx, waav_str_t out);
static void ngx_http_waav_stt_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_stt_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
static void ngx_http_waav_stt_resume(ngx_http_request_t *r);
static const char *ngx_http_waav_stt_too_big(ngx_http_request_t *r,
    ngx_http_request_t *sr);
static ngx_int_t ngx_http_waav_stt_next(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx, waav_str_t answer, waav_str_t *done,
    waav_err_t *err);


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


/*
 * OpenAI's POST /v1/audio/transcriptions: a multipart/form-data body with
 * "file", "model", and optionally "language", "prompt", "response_format"
 * (and our "provider").  The parser sees the body as it arrives (request
 * body filter) and keeps only the file part's byte range.
 */
static ngx_int_t
ngx_http_waav_stt_form(ngx_http_request_t *r, waav_str_t ct)
{
    ngx_int_t                 rc;
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_stt_ctx_t  *ctx;

    wctx = ngx_http_waav_get_ctx(r);
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_stt_ctx_t));
    if (wctx == NULL || ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->mp = ngx_palloc(r->pool, sizeof(waav_mp_parser_t));
    if (ctx->mp == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (waav_mp_init(ctx->mp, ct.data, ct.len) != 0) {
        return ngx_http_waav_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        ctx->mp->error,
                                        ngx_strlen(ctx->mp->error),
                                        "INVALID_REQUEST");
    }

    if (r->headers_in.content_length_n == 0) {
        return ngx_http_waav_error(r, NGX_HTTP_BAD_REQUEST,
                                   "The request body is empty: send the form",
                                   "EMPTY_BODY");
    }

    wctx->stt = ctx;
    ctx->fmt = WAAV_STT_FMT_JSON;
    r->disable_not_modified = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_waav_stt_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static ngx_int_t
ngx_http_waav_stt_handler(ngx_http_request_t *r)
{
    unsigned                  rate;
    ngx_int_t                 rc;
    waav_str_t                ct;
    const char               *ext;
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

    if (ct.len >= sizeof("multipart/form-data") - 1
        && ngx_strncasecmp((u_char *) ct.data, (u_char *) "multipart/form-data",
                           sizeof("multipart/form-data") - 1) == 0)
    {
        return ngx_http_waav_stt_form(r, ct);
    }

    if (!waav_stt_audio_type(ct, &rate, &ext)) {
        return ngx_http_waav_error(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                   "Content-Type must be audio/wav, "
                                   "audio/x-wav, audio/mpeg, audio/ogg, "
                                   "audio/webm, audio/flac, audio/mp4 or "
                                   "audio/L16;rate=N",
                                   "UNSUPPORTED_MEDIA_TYPE");
    }

    if (r->headers_in.content_length_n == 0) {
        return ngx_http_waav_error(r, NGX_HTTP_BAD_REQUEST,
                                   "The request body is empty: send the audio",
                                   "EMPTY_BODY");
    }

    wctx = ngx_http_waav_get_ctx(r);
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_stt_ctx_t));
    if (wctx == NULL || ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
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


/* a form field's value, copied to the pool; empty when absent */
static ngx_int_t
ngx_http_waav_stt_field(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx,
    const char *fname, waav_str_t *out)
{
    u_char                 *d;
    const waav_mp_field_t  *f;

    out->data = "";
    out->len = 0;

    f = waav_mp_get(ctx->mp, fname);
    if (f == NULL || f->len == 0) {
        return NGX_OK;
    }

    d = ngx_pnalloc(r->pool, f->len);
    if (d == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(d, f->value, f->len);
    out->data = (char *) d;
    out->len = f->len;

    return NGX_OK;
}


/* the first usable STT provider of a type */
static ngx_http_waav_provider_t *
ngx_http_waav_stt_of_type(ngx_http_request_t *r, const char *type)
{
    size_t                      n;
    ngx_uint_t                  i;
    ngx_http_waav_provider_t   *p;
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);
    p = wmcf->providers.elts;
    n = ngx_strlen(type);

    for (i = 0; i < wmcf->providers.nelts; i++) {
        if (p[i].stt && p[i].usable && p[i].type.len == n
            && ngx_strncmp(p[i].type.data, type, n) == 0)
        {
            return &p[i];
        }
    }

    return NULL;
}


/*
 * OpenAI's form, parsed as it arrived: the provider is the "provider"
 * field, else the one serving the model's family, else the location's.
 */
static ngx_int_t
ngx_http_waav_stt_form_read(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx, waav_str_t *name,
    ngx_http_waav_provider_t **provider, waav_err_t *err)
{
    u_char                    *slash;
    unsigned                   rate;
    ngx_uint_t                 i, explicit;
    waav_str_t                 fmt, ct;
    const char                *type, *ext;
    const waav_mp_field_t     *f;
    ngx_http_waav_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);
    *provider = NULL;

    if (ctx->mp->error == NULL) {
        (void) waav_mp_finish(ctx->mp);
    }

    if (ctx->mp->error) {
        waav_err_set(err, 400, "INVALID_REQUEST",
                     "The form is not valid multipart/form-data: %s",
                     ctx->mp->error);
        return NGX_DECLINED;
    }

    if (ngx_http_waav_stt_field(r, ctx, "provider", name) != NGX_OK
        || ngx_http_waav_stt_field(r, ctx, "model", &ctx->req.model) != NGX_OK
        || ngx_http_waav_stt_field(r, ctx, "language", &ctx->req.language)
           != NGX_OK
        || ngx_http_waav_stt_field(r, ctx, "prompt", &ctx->req.prompt)
           != NGX_OK
        || ngx_http_waav_stt_field(r, ctx, "response_format", &fmt) != NGX_OK
        || ngx_http_waav_stt_field(r, ctx, "temperature",
                                   &ctx->req.temperature) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* "provider/model" names both */
    slash = ctx->req.model.len
            ? ngx_strlchr((u_char *) ctx->req.model.data,
                          (u_char *) ctx->req.model.data + ctx->req.model.len,
                          '/')
            : NULL;

    if (slash && name->len == 0) {
        name->data = ctx->req.model.data;
        name->len = (char *) slash - ctx->req.model.data;
        ctx->req.model.len -= name->len + 1;
        ctx->req.model.data = (char *) slash + 1;
        explicit = 1;

    } else {
        explicit = (name->len != 0);
    }

    ctx->fmt = waav_stt_fmt_parse(fmt.data, fmt.len);

    if (ctx->fmt == WAAV_STT_FMT_WAAV) {
        waav_err_set(err, 400, "INVALID_REQUEST",
                     "response_format must be json, text, verbose_json, "
                     "srt or vtt");
        return NGX_DECLINED;
    }

    ctx->req.punctuate = -1;
    ctx->req.diarize = -1;

    /* word timings when verbose_json asks for them, as OpenAI does */
    for (i = 0; i < ctx->mp->nfields; i++) {
        f = &ctx->mp->fields[i];

        if (ctx->fmt == WAAV_STT_FMT_VERBOSE
            && ngx_strcmp(f->name, "timestamp_granularities[]") == 0
            && f->len == 4 && ngx_strncmp(f->value, "word", 4) == 0)
        {
            ctx->req.words = 1;
        }
    }

    /* the audio's type: the part's own, else its file name's */
    ct.data = ctx->mp->file_type;
    ct.len = ngx_strlen(ctx->mp->file_type);

    if (!waav_stt_audio_type(ct, &rate, &ext)) {
        type = waav_stt_ext_type(ctx->mp->file_name);

        if (type == NULL) {
            waav_err_set(err, 415, "UNSUPPORTED_MEDIA_TYPE",
                         "The file must be wav, mp3, mpeg, mpga, m4a, mp4, "
                         "ogg, oga, opus, webm or flac");
            return NGX_DECLINED;
        }

        ct.data = (char *) type;
        ct.len = ngx_strlen(type);
    }

    ctx->req.content_type = ct;

    if (!explicit && ctx->req.model.len) {
        type = waav_stt_model_type(ctx->req.model.data, ctx->req.model.len);

        if (type == NULL) {
            waav_err_set(err, 400, "INVALID_MODEL",
                         "Unknown model '%.*s': name its provider too, as "
                         "provider/model",
                         (int) ngx_min(ctx->req.model.len, 64),
                         ctx->req.model.data);
            return NGX_DECLINED;
        }

        *provider = ngx_http_waav_stt_of_type(r, type);

        /* a model of a provider not configured: the location's provider
         * with its own default model, rather than a model it lacks */
        if (*provider == NULL) {
            ctx->req.model.len = 0;
        }
    }

    if (name->len == 0 && *provider == NULL) {
        name->data = (char *) wlcf->stt_provider.data;
        name->len = wlcf->stt_provider.len;
    }

    return NGX_OK;
}


/* [start, start + len) of the client body, as buffers over its own memory
 * or temp file: nothing copied, nothing read back */
static ngx_int_t
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


static void
ngx_http_waav_stt_body(ngx_http_request_t *r)
{
    off_t                       len, audio, start;
    ngx_int_t                   rc;
    ngx_str_t                   list;
    u_char                      names[512];
    size_t                      nlen;
    waav_str_t                  suffix, name;
    waav_err_t                  err;
    waav_alloc_t                a;
    ngx_chain_t                *cl, *chain, **last, *tail;
    ngx_http_waav_ctx_t        *wctx;
    ngx_http_waav_stt_ctx_t    *ctx;
    const waav_stt_adapter_t   *ad;
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

    if (ctx->mp) {
        start = (off_t) ctx->mp->file_start;
        audio = (off_t) (ctx->mp->file_end - ctx->mp->file_start);

    } else {
        start = 0;
        audio = 0;

        for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
             cl = cl->next)
        {
            audio += ngx_buf_size(cl->buf);
        }
    }

    if (audio == 0) {
        waav_err_set(&err, 400, "EMPTY_BODY",
                     "The request body is empty: send the audio");
        goto failed;
    }

    /* a WAV whose header lies about its size would mislead the provider
     * and the duration: refused */
    if (waav_stt_wav_check(ctx->head, ngx_min(ctx->head_len, (size_t) audio),
                           (uint64_t) audio)
        < 0)
    {
        waav_err_set(&err, 400, "INVALID_AUDIO",
                     "The WAV header does not match the body's length");
        goto failed;
    }

    if (waav_stt_validate(&ctx->req, &err) != 0) {
        goto failed;
    }

    /* the provider */

    if (p == NULL && name.len) {
        p = ngx_http_waav_provider_find(r, name);
    }

    if (p == NULL || p->stt == NULL) {
        ngx_http_waav_provider_list(r, 2, names, sizeof(names), &nlen);
        list.data = names;
        list.len = nlen;
        waav_err_set(&err, 400, "INVALID_PROVIDER",
                     "Unknown STT provider '%.*s' (configured providers: %.*s)",
                     (int) name.len, name.data, (int) list.len,
                     (char *) list.data);
        goto failed;
    }

    if (!p->usable) {
        waav_err_set(&err, 400, "PROVIDER_NOT_CONFIGURED",
                     "API key not configured for provider: %.*s",
                     (int) p->name.len, p->name.data);
        goto failed;
    }

    ctx->provider = p;
    ad = p->stt;

    /* the answer names the model used, the provider's default included */
    if (ctx->req.model.len == 0) {
        ctx->req.model.data = ad->default_model;
        ctx->req.model.len = ngx_strlen(ad->default_model);
    }

    ctx->req.audio_len = (uint64_t) audio;

    ngx_memzero(&ctx->preq, sizeof(waav_http_req_t));
    suffix.len = 0;

    if (ad->build(ad, &ctx->req, (waav_str_t) { (char *) p->key.data,
                                                p->key.len },
                  &ctx->preq, &suffix, &a, &err)
        != 0)
    {
        goto failed;
    }

    /* the body: [prefix] the client's own buffers [suffix], no copies */

    chain = NULL;
    last = &chain;
    tail = NULL;
    len = audio;

    if (ad->multipart) {
        if (ngx_http_waav_stt_mem(r->pool, ctx->preq.body, &last) == NULL) {
            goto nomem;
        }

        len += ctx->preq.body.len + suffix.len;
    }

    if (ngx_http_waav_stt_slice(r, start, audio, &last, &tail) != NGX_OK) {
        goto nomem;
    }

    if (ad->multipart) {
        tail = ngx_http_waav_stt_mem(r->pool, suffix, &last);
        if (tail == NULL) {
            goto nomem;
        }
    }

    tail->buf->last_buf = 1;

    ctx->r = r;
    ctx->step = ad->flow ? NGX_HTTP_WAAV_STT_UPLOAD : NGX_HTTP_WAAV_STT_ONE;
    ctx->body = chain;
    ctx->body_len = len;

    ngx_http_waav_stt_go(r);

    return;

nomem:

    ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    return;

failed:

    ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
}


static ngx_int_t
ngx_http_waav_stt_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_waav_stt_ctx_t  *ctx = data;

    ctx->done = 1;
    ctx->rc = rc;

    sr->parent->write_event_handler = ngx_http_waav_stt_resume;

    /* the parent answers, never nginx's page for the subrequest */
    return NGX_OK;
}


/* the audio's seconds from the location's quotas (which may wait for
 * Redis), then the provider */
static void
ngx_http_waav_stt_go(ngx_http_request_t *r)
{
    unsigned                  rate;
    uint64_t                  seconds;
    ngx_int_t                 rc;
    waav_err_t                err;
    const char               *ext;
    ngx_http_waav_ctx_t      *wctx;
    ngx_http_waav_stt_ctx_t  *ctx;

    wctx = ngx_http_waav_find_ctx(r);
    ctx = wctx->stt;

    /* the client left while Redis was asked: charge nothing, call nobody */
    if (r->connection->error) {
        ngx_http_waav_limit_refund(r, (uint64_t) -1);
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    (void) waav_stt_audio_type(ctx->req.content_type, &rate, &ext);
    seconds = waav_stt_seconds(ctx->head,
                               ngx_min(ctx->head_len,
                                       (size_t) ctx->req.audio_len),
                               ctx->req.audio_len, rate);

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

    rc = ngx_http_waav_call(r, ctx->provider, &ctx->preq, ctx->body,
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
static void
ngx_http_waav_stt_reply(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx,
    waav_str_t out)
{
    uint64_t  reported;

    reported = waav_stt_answer_seconds(out.data, out.len);

    ctx->answer = out;
    ctx->extra = reported > ctx->seconds ? reported - ctx->seconds : 0;

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

    ngx_http_finalize_request(r, ngx_http_waav_stt_answer(r, ctx,
                                                          ctx->answer));
}


/* our normalized answer, or OpenAI's shape of it for OpenAI's form */
static ngx_int_t
ngx_http_waav_stt_answer(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx,
    waav_str_t out)
{
    waav_str_t     body;
    waav_err_t     err;
    waav_alloc_t   a;
    const char    *type;

    if (ctx->fmt == WAAV_STT_FMT_WAAV) {
        return ngx_http_waav_send_json(r, NGX_HTTP_OK, (u_char *) out.data,
                                       out.len);
    }

    ngx_http_waav_allocator(r->pool, &a);
    ngx_memzero(&err, sizeof(waav_err_t));

    if (waav_stt_openai_answer(out.data, out.len, ctx->fmt, ctx->req.words,
                               &a, &body, &type, &err)
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
    ngx_uint_t                status;
    ngx_http_request_t       *sr;
    waav_str_t                out;
    waav_err_t                err;
    waav_alloc_t              a;
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

    /* a 2xx that arrived whole: normalize it, or take the next step */
    if (f.status >= 200 && f.status < 300 && ctx->rc != NGX_ERROR
        && !ctx->too_big && ctx->provider->stt->flow)
    {
        ngx_memzero(&err, sizeof(waav_err_t));

        switch (ngx_http_waav_stt_next(r, ctx,
                                       (waav_str_t) { (char *) f.body,
                                                      f.body_len },
                                       &out, &err))
        {
        case NGX_OK:
            break;

        case NGX_DONE:
            ngx_http_waav_stt_reply(r, ctx, out);
            break;

        default:
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0, "waav: %s",
                          err.message);
            ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
        }

        return;
    }

    if (f.status >= 200 && f.status < 300 && ctx->rc != NGX_ERROR
        && !ctx->too_big)
    {
        ngx_http_waav_allocator(r->pool, &a);
        ngx_memzero(&err, sizeof(waav_err_t));

        if (ctx->provider->stt->normalize((char *) f.body, f.body_len,
                                          &ctx->req,
                                          (waav_str_t) {
                                              (char *) ctx->provider->name.data,
                                              ctx->provider->name.len },
                                          &a, &out, &err)
            != 0)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0, "waav: %s",
                          err.message);
            ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
            return;
        }

        ngx_http_waav_stt_reply(r, ctx, out);
        return;
    }

    /* the provider failed: the seconds charged for the call are not due */
    ngx_http_waav_limit_refund(r, ctx->seconds);

    f.retry_after = ngx_http_waav_retry_after(sr);

    ngx_http_finalize_request(r, ngx_http_waav_provider_error(r, ctx->provider,
                                                               &f));
}


/* --- AssemblyAI: upload, create, poll ------------------------------------ */

static ngx_int_t
ngx_http_waav_stt_send(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    cl = NULL;

    if (ctx->preq.body.len) {
        b = ngx_calloc_buf(r->pool);
        cl = ngx_alloc_chain_link(r->pool);
        if (b == NULL || cl == NULL) {
            return NGX_ERROR;
        }

        b->start = (u_char *) ctx->preq.body.data;
        b->pos = b->start;
        b->last = b->start + ctx->preq.body.len;
        b->end = b->last;
        b->memory = 1;
        b->last_buf = 1;

        cl->buf = b;
        cl->next = NULL;
    }

    ctx->done = 0;

    if (ngx_http_waav_call(r, ctx->provider, &ctx->preq, cl,
                           (off_t) ctx->preq.body.len,
                           ngx_http_waav_stt_done, ctx,
                           NGX_HTTP_SUBREQUEST_IN_MEMORY
                           |NGX_HTTP_SUBREQUEST_WAITED, &ctx->sr)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_waav_stt_poll_handler(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_waav_stt_ctx_t   *ctx = ev->data;
    waav_err_t                 err;
    waav_alloc_t               a;

    r = ctx->r;
    c = r->connection;

    if (c->error) {
        ngx_http_finalize_request(r, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        ngx_http_run_posted_requests(c);
        return;
    }

    ngx_http_waav_allocator(r->pool, &a);
    ngx_memzero(&ctx->preq, sizeof(waav_http_req_t));
    ngx_memzero(&err, sizeof(waav_err_t));

    if (waav_stt_aai_poll((waav_str_t) { (char *) ctx->provider->key.data,
                                         ctx->provider->key.len },
                          ctx->id, &ctx->preq, &a, &err) != 0)
    {
        ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));

    } else if (ngx_http_waav_stt_send(r, ctx) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_waav_stt_poll_cleanup(void *data)
{
    ngx_http_waav_stt_ctx_t  *ctx = data;

    if (ctx->poll.timer_set) {
        ngx_del_timer(&ctx->poll);
    }
}


/*
 * The answer to the step just done: NGX_OK when the next call or timer is
 * on its way, NGX_DONE with the normalized answer, NGX_ERROR with err.
 */
static ngx_int_t
ngx_http_waav_stt_next(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx,
    waav_str_t answer, waav_str_t *done, waav_err_t *err)
{
    int                        rc;
    waav_str_t                 url, out, name, key;
    waav_alloc_t               a;
    ngx_pool_cleanup_t        *cln;
    ngx_http_waav_loc_conf_t  *wlcf;

    ngx_http_waav_allocator(r->pool, &a);
    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    name.data = (char *) ctx->provider->name.data;
    name.len = ctx->provider->name.len;
    key.data = (char *) ctx->provider->key.data;
    key.len = ctx->provider->key.len;

    if (ctx->step == NGX_HTTP_WAAV_STT_UPLOAD) {
        if (waav_stt_aai_upload_url(answer.data, answer.len, name, &a, &url,
                                    err)
            != 0)
        {
            return NGX_ERROR;
        }

        ngx_memzero(&ctx->preq, sizeof(waav_http_req_t));

        if (waav_stt_aai_create(&ctx->req, key, url, &ctx->preq, &a, err) != 0)
        {
            return NGX_ERROR;
        }

        ctx->step = NGX_HTTP_WAAV_STT_CREATE;

        if (ngx_http_waav_stt_send(r, ctx) != NGX_OK) {
            waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    rc = waav_stt_aai_state(answer.data, answer.len, &ctx->req, name, &a,
                            &ctx->id, &out, err);

    if (rc < 0) {
        return NGX_ERROR;
    }

    if (rc == 1) {
        *done = out;
        return NGX_DONE;
    }

    /* still working: ask again later, within the time allowed */
    if (ngx_current_msec - ctx->started + wlcf->stt_poll_interval
        > wlcf->stt_poll_timeout)
    {
        waav_err_set(err, NGX_HTTP_GATEWAY_TIME_OUT, "PROVIDER_TIMEOUT",
                     "Provider %.*s did not finish in %lu ms",
                     (int) name.len, name.data,
                     (unsigned long) wlcf->stt_poll_timeout);
        return NGX_ERROR;
    }

    if (ctx->poll.handler == NULL) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
            return NGX_ERROR;
        }

        cln->handler = ngx_http_waav_stt_poll_cleanup;
        cln->data = ctx;

        ctx->poll.handler = ngx_http_waav_stt_poll_handler;
        ctx->poll.data = ctx;
        ctx->poll.log = r->connection->log;
    }

    ctx->step = NGX_HTTP_WAAV_STT_POLL;
    ngx_add_timer(&ctx->poll, wlcf->stt_poll_interval);

    return NGX_OK;
}


/* OpenAI's form through the parser; the file part's first bytes kept */
static void
ngx_http_waav_stt_feed(ngx_http_waav_stt_ctx_t *ctx, u_char *data, size_t len)
{
    size_t             n;
    uint64_t           base, from;
    waav_mp_parser_t  *mp;

    mp = ctx->mp;

    if (mp->error || len == 0) {
        return;
    }

    base = mp->offset;

    if (waav_mp_feed(mp, (const char *) data, len) != 0) {
        return;
    }

    if (mp->files == 0 || ctx->head_len == sizeof(ctx->head)) {
        return;
    }

    /* the next head byte is at file_start + head_len: within this piece? */
    from = mp->file_start + ctx->head_len;

    if (from < base || from >= base + len) {
        return;
    }

    n = ngx_min(len - (size_t) (from - base),
                sizeof(ctx->head) - ctx->head_len);
    ngx_memcpy(ctx->head + ctx->head_len, data + (from - base), n);
    ctx->head_len += n;
}


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


static const char *
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
