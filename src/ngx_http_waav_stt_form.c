/*
 * waav: OpenAI's POST /v1/audio/transcriptions on a waav_stt location: the
 * multipart/form-data body is parsed as it arrives (the request body
 * filter feeds it), keeping only the fields and the file part's byte
 * range; then the fields choose the provider, model and format.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_stt.h"
#include "ngx_http_waav_util.h"


/*
 * OpenAI's POST /v1/audio/transcriptions: a multipart/form-data body with
 * "file", "model", and optionally "language", "prompt", "response_format"
 * (and our "provider").  The parser sees the body as it arrives (request
 * body filter) and keeps only the file part's byte range.  NGX_OK, or the
 * response to a Content-Type without a usable boundary.
 */
ngx_int_t
ngx_http_waav_stt_form(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx,
    waav_str_t ct)
{
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

    ctx->fmt = WAAV_STT_FMT_JSON;

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


/* the audio's type: the file part's own, else its file name's */
static ngx_int_t
ngx_http_waav_stt_form_type(ngx_http_waav_stt_ctx_t *ctx, waav_err_t *err)
{
    waav_str_t     ct;
    waav_audio_t   au;
    const char    *type;

    ct.data = ctx->mp->file_type;
    ct.len = ngx_strlen(ctx->mp->file_type);

    if (waav_audio_type(ct, &au) == 0) {
        type = waav_audio_ext_type(ctx->mp->file_name);

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

    return NGX_OK;
}


/* the provider serving the model's family; NULL: none configured */
static ngx_int_t
ngx_http_waav_stt_family(ngx_http_request_t *r, ngx_http_waav_stt_ctx_t *ctx,
    ngx_http_waav_provider_t **provider, waav_err_t *err)
{
    const char  *type;

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

    /* a model of a provider not configured: the location's provider with
     * its own default model, rather than a model it lacks */
    if (*provider == NULL) {
        ctx->req.model.len = 0;
    }

    return NGX_OK;
}


/*
 * OpenAI's form, parsed as it arrived: the provider is the "provider"
 * field, else the one serving the model's family, else the location's.
 */
ngx_int_t
ngx_http_waav_stt_form_read(ngx_http_request_t *r,
    ngx_http_waav_stt_ctx_t *ctx, waav_str_t *name,
    ngx_http_waav_provider_t **provider, waav_err_t *err)
{
    u_char                    *slash;
    ngx_uint_t                 i, explicit;
    waav_str_t                 fmt;
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

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav stt: form read: %ui fields, provider \"%*s\", "
                   "format %d", ctx->mp->nfields, name->len, name->data,
                   (int) ctx->fmt);

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

    if (ngx_http_waav_stt_form_type(ctx, err) != NGX_OK
        || (!explicit && ctx->req.model.len
            && ngx_http_waav_stt_family(r, ctx, provider, err) != NGX_OK))
    {
        return NGX_DECLINED;
    }

    if (name->len == 0 && *provider == NULL) {
        name->data = (char *) wlcf->stt_provider.data;
        name->len = wlcf->stt_provider.len;
    }

    return NGX_OK;
}


/* OpenAI's form through the parser; the file part's first bytes kept */
void
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
