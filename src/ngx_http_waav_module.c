/*
 * waav: module definition, directives and location configuration.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_redis.h"


static ngx_int_t ngx_http_waav_preconfiguration(ngx_conf_t *cf);
static void *ngx_http_waav_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_waav_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_waav_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_waav_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_waav_init_process(ngx_cycle_t *cycle);
static void ngx_http_waav_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_waav_commands[] = {

    { ngx_string("waav_health"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_waav_health,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_provider"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_waav_provider,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_tts"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_waav_tts,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_stt"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_waav_stt,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_stt_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, stt_max_size),
      NULL },

    { ngx_string("waav_stt_poll_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, stt_poll_interval),
      NULL },

    { ngx_string("waav_stt_poll_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, stt_poll_timeout),
      NULL },

    { ngx_string("waav_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, auth),
      NULL },

    { ngx_string("waav_auth_secret"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_waav_auth_secret,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_auth_secrets_json"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_waav_auth_secrets_json,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_auth_jwt_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE23,
      ngx_http_waav_auth_jwt_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_auth_jwt_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_waav_conf_value_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_waav_main_conf_t, jwt_issuer),
      NULL },

    { ngx_string("waav_auth_jwt_audience"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_waav_conf_value_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_waav_main_conf_t, jwt_audience),
      NULL },

    { ngx_string("waav_auth_jwt_tenant_claim"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_waav_conf_value_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_waav_main_conf_t, jwt_tenant_claim),
      NULL },

    { ngx_string("waav_auth_jwt_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_waav_main_conf_t, jwt_leeway),
      NULL },

    { ngx_string("waav_auth_token_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_waav_main_conf_t, token_cache_size),
      NULL },

    { ngx_string("waav_livekit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_waav_livekit,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_livekit_token"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_waav_livekit_token,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_limit_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_waav_limit_zone,
      0,
      0,
      NULL },

    { ngx_string("waav_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE23,
      ngx_http_waav_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_json_errors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, json_errors),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_waav_module_ctx = {
    ngx_http_waav_preconfiguration,        /* preconfiguration */
    ngx_http_waav_init,                    /* postconfiguration */

    ngx_http_waav_create_main_conf,        /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_waav_create_loc_conf,         /* create location configuration */
    ngx_http_waav_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_waav_module = {
    NGX_MODULE_V1,
    &ngx_http_waav_module_ctx,             /* module context */
    ngx_http_waav_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_waav_init_process,            /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_waav_exit_process,            /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_waav_preconfiguration(ngx_conf_t *cf)
{
    if (ngx_http_waav_tts_add_variables(cf) != NGX_OK
        || ngx_http_waav_auth_add_variables(cf) != NGX_OK
        || ngx_http_waav_limit_add_variables(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void *
ngx_http_waav_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_main_conf_t));
    if (wmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&wmcf->providers, cf->pool, 8,
                       sizeof(ngx_http_waav_provider_t))
        != NGX_OK)
    {
        return NULL;
    }

    wmcf->jwt_leeway = NGX_CONF_UNSET;
    wmcf->token_cache_size = NGX_CONF_UNSET;
    wmcf->livekit_ttl = NGX_CONF_UNSET;

    return wmcf;
}


static void *
ngx_http_waav_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_waav_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->json_errors = NGX_CONF_UNSET;
    conf->handled = NGX_CONF_UNSET;
    conf->tts_shape = NGX_CONF_UNSET_UINT;
    conf->stt_max_size = NGX_CONF_UNSET_SIZE;
    conf->stt_poll_interval = NGX_CONF_UNSET_MSEC;
    conf->stt_poll_timeout = NGX_CONF_UNSET_MSEC;
    conf->auth = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_waav_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_waav_loc_conf_t  *prev = parent;
    ngx_http_waav_loc_conf_t  *conf = child;

    size_t                     need;
    ngx_http_core_loc_conf_t  *clcf;

    /* a handler belongs to its own location: never inherited */
    if (conf->handled == NGX_CONF_UNSET) {
        conf->handled = 0;
    }

    /*
     * waav_tts parses the JSON body in memory: let bodies up to 64k (or
     * client_max_body_size when smaller) stay in memory rather than spill
     * to a temp file that would have to be read back.  Not more: for a
     * chunked body nginx allocates the whole buffer up front.
     */
    if (conf->tts_shape != NGX_CONF_UNSET_UINT) {
        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
        need = (clcf->client_max_body_size > 0
                && clcf->client_max_body_size < 64 * 1024)
               ? (size_t) clcf->client_max_body_size : 64 * 1024;

        if (clcf->client_body_buffer_size < need) {
            clcf->client_body_buffer_size = need;
        }
    }

    ngx_conf_merge_value(conf->auth, prev->auth, 0);

    /* uploads up to waav_stt_max_size (OpenAI's 25 MB by default) */
    ngx_conf_merge_size_value(conf->stt_max_size, prev->stt_max_size,
                              25 * 1024 * 1024);
    ngx_conf_merge_msec_value(conf->stt_poll_interval,
                              prev->stt_poll_interval, 1000);
    ngx_conf_merge_msec_value(conf->stt_poll_timeout, prev->stt_poll_timeout,
                              120000);

    if (conf->stt == 1) {
        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
        clcf->client_max_body_size = conf->stt_max_size;
    }

    if (conf->limits == NULL) {
        conf->limits = prev->limits;
    }

    /* left unset when nobody set it: then it follows "handled" */
    ngx_conf_merge_value(conf->json_errors, prev->json_errors,
                         NGX_CONF_UNSET);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_waav_init(ngx_conf_t *cf)
{
    if (ngx_http_waav_provider_init(cf) != NGX_OK
        || ngx_http_waav_limit_init(cf) != NGX_OK
        || ngx_http_waav_auth_init(cf) != NGX_OK
        || ngx_http_waav_response_init(cf) != NGX_OK
        || ngx_http_waav_tts_init(cf) != NGX_OK
        || ngx_http_waav_stt_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* each worker opens its Redis connections before the first request */
static ngx_int_t
ngx_http_waav_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                  i;
    ngx_http_waav_redis_t     **rd;
    ngx_http_waav_main_conf_t  *wmcf;

    /* workers only: not the cache manager and loader */
    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    wmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_waav_module);

    if (wmcf == NULL || wmcf->redis == NULL) {
        return NGX_OK;
    }

    rd = wmcf->redis->elts;

    for (i = 0; i < wmcf->redis->nelts; i++) {
        (void) ngx_http_waav_redis_init_process(rd[i]);
    }

    return NGX_OK;
}


/* closes the Redis connections, so no socket is left at exit */
static void
ngx_http_waav_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                  i;
    ngx_http_waav_redis_t     **rd;
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_waav_module);

    if (wmcf == NULL || wmcf->redis == NULL) {
        return;
    }

    rd = wmcf->redis->elts;

    for (i = 0; i < wmcf->redis->nelts; i++) {
        ngx_http_waav_redis_exit_process(rd[i]);
    }
}


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
    u_char           *name, *data;
    size_t            len;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t         path;
    ngx_file_t        file;
    ngx_file_info_t   fi;

    ngx_str_null(out);

    if (value->len > 4 && ngx_strncmp(value->data, "env:", 4) == 0) {
        name = ngx_pnalloc(cf->pool, value->len - 4 + 1);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(name, value->data + 4, value->len - 4 + 1);

        data = (u_char *) getenv((char *) name);

        if (data == NULL || *data == '\0') {
            return NGX_CONF_OK;
        }

        len = ngx_strlen(data);

        if (len > max) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "the value of $%s is longer than %uz bytes",
                               name, max);
            return NGX_CONF_ERROR;
        }

        out->data = ngx_pnalloc(cf->pool, len);
        if (out->data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(out->data, data, len);
        out->len = len;

        return NGX_CONF_OK;
    }

    if (value->len > 5 && ngx_strncmp(value->data, "file:", 5) == 0) {
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
