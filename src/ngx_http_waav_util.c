/*
 * waav: helpers every concern uses (see ngx_http_waav_util.h).
 */

#include "ngx_http_waav_util.h"


/* registers a null-terminated table of variables */
ngx_int_t
ngx_http_waav_add_variables(ngx_conf_t *cf, ngx_http_variable_t *vars)
{
    ngx_http_variable_t  *var, *v;

    for (v = vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* marks the pool cleanup that remembers the ctx across internal redirects */
static void
ngx_http_waav_ctx_cleanup(void *data)
{
    ngx_http_waav_unused(data);
}


/*
 * The request's ctx, if it has one.  An internal redirect (try_files,
 * error_page, named locations) clears every module's ctx; waav's must
 * survive it, or a request would be authenticated and limited twice, so
 * it is found again through the request pool (as the realip module does).
 */
ngx_http_waav_ctx_t *
ngx_http_waav_find_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t   *cln;
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_waav_module);

    if (ctx || !(r->internal || r->filter_finalize)) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_waav_ctx_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_waav_module);
            return ctx;
        }
    }

    return NULL;
}


ngx_http_waav_ctx_t *
ngx_http_waav_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t   *cln;
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_waav_ctx_t));
        cln = ngx_pool_cleanup_add(r->pool, 0);

        if (ctx == NULL || cln == NULL) {
            return NULL;
        }

        cln->handler = ngx_http_waav_ctx_cleanup;
        cln->data = ctx;

        ngx_http_set_ctx(r, ctx, ngx_http_waav_module);
    }

    return ctx;
}


/* a directive whose one argument is an env:/file:/literal value */
char *
ngx_http_waav_conf_value_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t  *field, *value;

    field = (ngx_str_t *) ((char *) conf + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    return ngx_http_waav_conf_value(cf, &value[1], 4096, 1, field);
}


/* makes a waav handler the location's content handler, once */
char *
ngx_http_waav_set_handler(ngx_conf_t *cf, ngx_http_waav_loc_conf_t *wlcf,
    ngx_http_handler_pt handler)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (wlcf->handled != NGX_CONF_UNSET) {
        return "is duplicate or conflicts with another waav handler";
    }

    wlcf->handled = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = handler;

    return NGX_CONF_OK;
}


/* "env:NAME": the master's environment when the configuration is read;
 * "env:NAME1:NAME2...": their values joined by ':', up to the first
 * unset or empty one (AWS's key: ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]) */
static char *
ngx_http_waav_conf_env(ngx_conf_t *cf, ngx_str_t *value, size_t max,
    ngx_str_t *out)
{
    u_char      *names, *name, *next, *data, *p;
    size_t       len, n;
    ngx_uint_t   i;

    names = ngx_pnalloc(cf->pool, value->len - 4 + 1);
    if (names == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(names, value->data + 4, value->len - 4 + 1);

    /* the length first, then the bytes */
    for (i = 0; i < 2; i++) {
        len = 0;
        p = out->data;

        for (name = names; name; name = next) {
            next = (u_char *) ngx_strchr(name, ':');
            if (next) {
                *next = '\0';
            }

            data = (u_char *) getenv((char *) name);

            if (next) {
                *next++ = ':';
            }

            if (data == NULL || *data == '\0') {
                break;
            }

            n = ngx_strlen(data);

            if (i == 1) {
                if (len) {
                    *p++ = ':';
                }

                p = ngx_cpymem(p, data, n);
            }

            len += (len ? 1 : 0) + n;

            if (len > max) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "the value of $%s is longer than %uz "
                                   "bytes", names, max);
                return NGX_CONF_ERROR;
            }
        }

        if (len == 0) {
            return NGX_CONF_OK;
        }

        if (i == 0) {
            out->data = ngx_pnalloc(cf->pool, len);
            if (out->data == NULL) {
                return NGX_CONF_ERROR;
            }
        }
    }

    out->len = len;

    return NGX_CONF_OK;
}


/* "file:PATH": at most max bytes, trailing blanks dropped when trim */
static char *
ngx_http_waav_conf_file(ngx_conf_t *cf, ngx_str_t *value, size_t max,
    ngx_uint_t trim, ngx_str_t *out)
{
    u_char           *data;
    size_t            len;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t         path;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    path.data = value->data + 5;
    path.len = value->len - 5;

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", path.data);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || (size_t) ngx_file_size(&fi) > max)
    {
        ngx_close_file(fd);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" is unreadable or larger than %uz bytes",
                           path.data, max);
        return NGX_CONF_ERROR;
    }

    data = ngx_pnalloc(cf->pool, max + 1);
    if (data == NULL) {
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = path;
    file.log = cf->log;

    n = ngx_read_file(&file, data, max, 0);
    ngx_close_file(fd);

    if (n == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    len = (size_t) n;

    while (trim && len && (data[len - 1] == '\n' || data[len - 1] == '\r'
                           || data[len - 1] == ' ' || data[len - 1] == '\t'))
    {
        len--;
    }

    out->data = data;
    out->len = len;

    return NGX_CONF_OK;
}


/*
 * A configured secret: "env:NAME" (the master's environment when the
 * configuration is read; unset or empty gives an empty value), "file:PATH"
 * (at most max bytes; trailing blanks and newlines dropped when trim), or
 * the value itself.  Read at configuration time, never in a worker.
 */
char *
ngx_http_waav_conf_value(ngx_conf_t *cf, ngx_str_t *value, size_t max,
    ngx_uint_t trim, ngx_str_t *out)
{
    ngx_str_null(out);

    if (value->len > 4 && ngx_strncmp(value->data, "env:", 4) == 0) {
        return ngx_http_waav_conf_env(cf, value, max, out);
    }

    if (value->len > 5 && ngx_strncmp(value->data, "file:", 5) == 0) {
        return ngx_http_waav_conf_file(cf, value, max, trim, out);
    }

    if (value->len > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "a value is longer than %uz bytes", max);
        return NGX_CONF_ERROR;
    }

    *out = *value;

    return NGX_CONF_OK;
}


static void *
ngx_http_waav_palloc(void *data, size_t size)
{
    return ngx_palloc(data, size);
}


void
ngx_http_waav_allocator(ngx_pool_t *pool, waav_alloc_t *a)
{
    a->alloc = ngx_http_waav_palloc;
    a->data = pool;
}



/*
 * Notes, while a location is parsed, whether client_max_body_size is set
 * so far in it or in its server (raw values: once merged, a user's 1m
 * looks like nginx's default), and where its server's and http's core
 * confs are (during merging, the http ctx's loc_conf points elsewhere).
 */
void
ngx_http_waav_note_body_size(ngx_conf_t *cf, ngx_http_waav_loc_conf_t *wlcf)
{
    ngx_http_conf_ctx_t       *hctx;
    ngx_http_core_srv_conf_t  *cscf;
    ngx_http_core_loc_conf_t  *clcf, *sclcf;

    /* while parsing, the http block's ctx still holds its own confs */
    hctx = (ngx_http_conf_ctx_t *) cf->cycle->conf_ctx[ngx_http_module.index];

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);
    sclcf = cscf->ctx->loc_conf[ngx_http_core_module.ctx_index];

    wlcf->stt_loc_body_set = (clcf->client_max_body_size != NGX_CONF_UNSET);
    wlcf->stt_srv_body_set = (sclcf->client_max_body_size != NGX_CONF_UNSET);
    wlcf->stt_srv_clcf = sclcf;
    wlcf->stt_http_clcf = hctx->loc_conf[ngx_http_core_module.ctx_index];
}


/*
 * While a location (or the server) is merged: waav_auth is on in this
 * server, noted in the server's own conf, which is what a request has
 * when nginx refuses it before choosing a location.
 */
void
ngx_http_waav_note_auth(ngx_conf_t *cf)
{
    ngx_http_core_srv_conf_t   *cscf;
    ngx_http_waav_loc_conf_t   *swlcf;
    ngx_http_waav_main_conf_t  *wmcf;

    /* and in the configuration: a method is due (ngx_http_waav_auth.c) */
    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_waav_module);
    wmcf->auth_used = 1;

    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    if (cscf == NULL || cscf->ctx == NULL) {
        return;
    }

    swlcf = cscf->ctx->loc_conf[ngx_http_waav_module.ctx_index];
    swlcf->auth_in_server = 1;
}


/* the body as one piece of memory; 413 when nginx had to spill it (over
 * max, client_body_buffer_size) */
ngx_int_t
ngx_http_waav_read_body(ngx_http_request_t *r, size_t max, ngx_str_t *body,
    waav_err_t *err)
{
    u_char       *p;
    size_t        len;
    ngx_uint_t    pieces;
    ngx_chain_t  *cl, *one;

    len = 0;
    pieces = 0;
    one = NULL;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        if (ngx_buf_size(cl->buf) == 0) {
            continue;
        }

        if (cl->buf->in_file || !ngx_buf_in_memory(cl->buf)) {
            waav_err_set(err, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                         "PAYLOAD_TOO_LARGE",
                         "Request body larger than %zu bytes",
                         max);
            return NGX_ERROR;
        }

        len += cl->buf->last - cl->buf->pos;
        pieces++;
        one = cl;
    }

    if (len == 0) {
        waav_err_set(err, NGX_HTTP_BAD_REQUEST, "INVALID_JSON",
                     "Failed to parse the request body as JSON: empty body");
        return NGX_ERROR;
    }

    if (pieces == 1) {
        body->data = one->buf->pos;
        body->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        waav_err_set(err, NGX_HTTP_INTERNAL_SERVER_ERROR, "INTERNAL_ERROR",
                     "out of memory");
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (ngx_buf_size(cl->buf) > 0) {
            p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
        }
    }

    return NGX_OK;
}


/*
 * Before the pool of a stand-in parent (a copy of main whose pool is a
 * provider call's own) goes: the connection's active request and its log's
 * request are main again, and the finished cleanups the call's subrequest
 * added to main (the upstream's, cleared when it finished) are unlinked.
 */
void
ngx_http_waav_subrequest_release(ngx_http_request_t *main,
    ngx_http_request_t *parent)
{
    ngx_connection_t     *c;
    ngx_http_request_t   *active;
    ngx_http_cleanup_t  **cln;

    c = main->connection;
    active = c->data;

    if (parent && (active == parent || active->parent == parent)) {
        c->data = main;
    }

    ngx_http_set_log_request(c->log, main);

    cln = &main->cleanup;

    while (*cln) {
        if ((*cln)->handler == NULL) {
            *cln = (*cln)->next;
            continue;
        }

        cln = &(*cln)->next;
    }
}


/* a header of a list (headers_in's, an upstream's) by name, any case;
 * NULL when absent */
ngx_table_elt_t *
ngx_http_waav_header(ngx_list_t *headers, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    part = &headers->part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}
