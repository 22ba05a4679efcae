/*
 * waav: CORS as WaaV's CORS_ALLOWED_ORIGINS, and its security headers.
 *
 * WaaV (gateway/src/main.rs) wraps every route in tower-http's CorsLayer
 * and sets X-Content-Type-Options: nosniff and X-Frame-Options: DENY on
 * every response.  Here:
 *
 *   waav_cors *;              any origin: Access-Control-Allow-Origin: *,
 *                             no credentials
 *   waav_cors ORIGIN ...;     the request's Origin echoed when listed,
 *                             Access-Control-Allow-Credentials: true
 *   waav_cors same-origin;    WaaV without CORS_ALLOWED_ORIGINS: preflights
 *                             answered, but without an allowed origin
 *   waav_cors off;            (default) nothing
 *
 * Unless off, every answer has CorsLayer's Vary (origin and the two
 * preflight request headers).
 *
 * Any OPTIONS request is a preflight, as for CorsLayer: it is answered
 * 204 in the rewrite phase, before waav_auth (access phase) and waav_limit
 * (pre-content phase) run, since a browser's preflight carries no token.
 * The other headers are added by the header filter to every answer of the
 * main request: handlers' answers, nginx's error pages, 401s and 429s,
 * streamed audio.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_cors.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"


static ngx_int_t ngx_http_waav_cors_preflight(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_cors_origin_ok(ngx_str_t *origin);
static ngx_str_t *ngx_http_waav_cors_allowed(ngx_http_request_t *r,
    ngx_http_waav_loc_conf_t *wlcf);
static ngx_int_t ngx_http_waav_cors_add(ngx_http_request_t *r,
    const char *key, u_char *value, size_t len);
static char *ngx_http_waav_cors_add_origins(ngx_conf_t *cf,
    ngx_http_waav_loc_conf_t *wlcf, ngx_str_t *arg);


#define ngx_http_waav_cors_set(r, key, value)                                \
    ngx_http_waav_cors_add(r, key, (u_char *) value, sizeof(value) - 1)


/* WaaV's: methods and request headers, with and without origins set */
#define NGX_HTTP_WAAV_CORS_METHODS       "GET,POST,PUT,DELETE,OPTIONS"
#define NGX_HTTP_WAAV_CORS_SAME_METHODS  "GET,POST,OPTIONS"
#define NGX_HTTP_WAAV_CORS_HEADERS                                           \
    "authorization,content-type,x-provider-api-key"
#define NGX_HTTP_WAAV_CORS_VARY                                              \
    "origin, access-control-request-method, access-control-request-headers"

/*
 * What a browser client must read besides the CORS-safelisted headers
 * (WaaV exposes none): the audio's format, rate and speaking rate, and a refusal's
 * retry time and limits.
 */
#define NGX_HTTP_WAAV_CORS_EXPOSE                                            \
    "x-audio-format,x-sample-rate,x-speaking-rate,Retry-After,"              \
    "RateLimit-Limit,RateLimit-Remaining,RateLimit-Reset"


/* waav_cors off | same-origin | * | ORIGIN ... (commas separate too) */
char *
ngx_http_waav_cors(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_loc_conf_t  *wlcf = conf;

    char        *rv;
    ngx_str_t   *value;
    ngx_uint_t   i;

    ngx_http_waav_unused(cmd);

    if (wlcf->cors != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (ngx_strcmp(value[1].data, "off") == 0) {
            wlcf->cors = NGX_HTTP_WAAV_CORS_OFF;
            return NGX_CONF_OK;
        }

        if (ngx_strcmp(value[1].data, "same-origin") == 0) {
            wlcf->cors = NGX_HTTP_WAAV_CORS_SAME;
            return NGX_CONF_OK;
        }

        if (ngx_strcmp(value[1].data, "*") == 0) {
            wlcf->cors = NGX_HTTP_WAAV_CORS_ANY;
            return NGX_CONF_OK;
        }
    }

    wlcf->cors_origins = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
    if (wlcf->cors_origins == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        rv = ngx_http_waav_cors_add_origins(cf, wlcf, &value[i]);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if (wlcf->cors_origins->nelts == 0) {
        return "needs an origin";
    }

    wlcf->cors = NGX_HTTP_WAAV_CORS_LIST;

    return NGX_CONF_OK;
}


/* one argument: origins separated by commas, blanks around them ignored */
static char *
ngx_http_waav_cors_add_origins(ngx_conf_t *cf, ngx_http_waav_loc_conf_t *wlcf,
    ngx_str_t *arg)
{
    u_char     *p, *last, *end;
    ngx_str_t   o, *po;

    last = arg->data + arg->len;

    for (p = arg->data; p < last; p = end + 1) {
        end = ngx_strlchr(p, last, ',');
        if (end == NULL) {
            end = last;
        }

        o.data = p;
        o.len = end - p;

        while (o.len && (o.data[0] == ' ' || o.data[0] == '\t')) {
            o.data++;
            o.len--;
        }

        while (o.len && (o.data[o.len - 1] == ' '
                         || o.data[o.len - 1] == '\t'))
        {
            o.len--;
        }

        if (o.len == 0) {
            continue;
        }

        if (ngx_http_waav_cors_origin_ok(&o) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid origin \"%V\": "
                               "\"*\" or scheme://host[:port] expected", &o);
            return NGX_CONF_ERROR;
        }

        po = ngx_array_push(wlcf->cors_origins);
        if (po == NULL) {
            return NGX_CONF_ERROR;
        }

        *po = o;
    }

    return NGX_CONF_OK;
}


/* scheme://host[:port], as a browser's Origin header: no path, no user */
static ngx_int_t
ngx_http_waav_cors_origin_ok(ngx_str_t *origin)
{
    u_char  *p, *last, *host;

    p = origin->data;
    last = p + origin->len;

    if (origin->len > 255 || p == last || !isalpha(*p)) {
        return NGX_ERROR;
    }

    while (p < last && (isalnum(*p) || *p == '+' || *p == '-' || *p == '.')) {
        p++;
    }

    if (last - p < 4 || ngx_strncmp(p, "://", 3) != 0) {
        return NGX_ERROR;
    }

    p += 3;
    host = p;

    if (*p == '[') {
        while (p < last && (isxdigit(*p) || *p == ':' || *p == '.'
                            || *p == '['))
        {
            p++;
        }

        if (p == last || *p != ']') {
            return NGX_ERROR;
        }

        p++;

    } else {
        while (p < last && (isalnum(*p) || *p == '-' || *p == '.')) {
            p++;
        }
    }

    if (p == host) {
        return NGX_ERROR;
    }

    if (p < last && *p == ':') {
        p++;

        if (last - p < 1 || last - p > 5) {
            return NGX_ERROR;
        }

        while (p < last && isdigit(*p)) {
            p++;
        }
    }

    return p == last ? NGX_OK : NGX_ERROR;
}


char *
ngx_http_waav_cors_merge(ngx_http_waav_loc_conf_t *prev,
    ngx_http_waav_loc_conf_t *conf)
{
    if (conf->cors == NGX_CONF_UNSET_UINT) {
        conf->cors = prev->cors;
        conf->cors_origins = prev->cors_origins;
    }

    if (conf->cors == NGX_CONF_UNSET_UINT) {
        conf->cors = NGX_HTTP_WAAV_CORS_OFF;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_waav_cors_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /* after the rewrite module's: handlers of a phase run last pushed first */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_waav_cors_preflight;

    return NGX_OK;
}


/* any OPTIONS, as CorsLayer: 204 with the allowed methods and headers */
static ngx_int_t
ngx_http_waav_cors_preflight(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                  methods;
    ngx_http_waav_loc_conf_t  *wlcf;

    if (r != r->main || r->method != NGX_HTTP_OPTIONS) {
        return NGX_DECLINED;
    }

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->cors == NGX_HTTP_WAAV_CORS_OFF) {
        return NGX_DECLINED;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav cors: preflight answered");

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (wlcf->cors == NGX_HTTP_WAAV_CORS_SAME) {
        ngx_str_set(&methods, NGX_HTTP_WAAV_CORS_SAME_METHODS);

    } else {
        ngx_str_set(&methods, NGX_HTTP_WAAV_CORS_METHODS);
    }

    if (ngx_http_waav_cors_add(r, "Access-Control-Allow-Methods",
                               methods.data, methods.len)
        != NGX_OK
        || ngx_http_waav_cors_set(r, "Access-Control-Allow-Headers",
                                  NGX_HTTP_WAAV_CORS_HEADERS)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    rc = ngx_http_send_header(r);

    return (rc == NGX_ERROR || rc > NGX_OK) ? rc : NGX_OK;
}


ngx_int_t
ngx_http_waav_cors_header_filter(ngx_http_request_t *r)
{
    ngx_str_t                 *origin;
    ngx_http_waav_loc_conf_t  *wlcf;

    if (r != r->main) {
        return NGX_OK;
    }

    if (ngx_http_waav_json_errors_on(r)) {
        /* WaaV's security headers, on every answer */
        if (ngx_http_waav_set_nosniff(r) != NGX_OK
            || ngx_http_waav_cors_set(r, "X-Frame-Options", "DENY") != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->cors == NGX_HTTP_WAAV_CORS_OFF) {
        return NGX_OK;
    }

    /* CorsLayer's, on every answer: what a preflight's answer depends on */
    if (ngx_http_waav_cors_set(r, "Vary", NGX_HTTP_WAAV_CORS_VARY) != NGX_OK) {
        return NGX_ERROR;
    }

    switch (wlcf->cors) {

    case NGX_HTTP_WAAV_CORS_ANY:
        if (ngx_http_waav_cors_set(r, "Access-Control-Allow-Origin", "*")
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        break;

    case NGX_HTTP_WAAV_CORS_LIST:
        origin = ngx_http_waav_cors_allowed(r, wlcf);

        if ((origin != NULL
             && ngx_http_waav_cors_add(r, "Access-Control-Allow-Origin",
                                       origin->data, origin->len)
                != NGX_OK)
            || ngx_http_waav_cors_set(r, "Access-Control-Allow-Credentials",
                                      "true")
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        break;

    default: /* same-origin: no origin allowed, nothing to expose */
        return NGX_OK;
    }

    if (r->method == NGX_HTTP_OPTIONS) {
        return NGX_OK;
    }

    return ngx_http_waav_cors_set(r, "Access-Control-Expose-Headers",
                                  NGX_HTTP_WAAV_CORS_EXPOSE);
}


/* the listed origin the request's Origin is (case aside), or NULL */
static ngx_str_t *
ngx_http_waav_cors_allowed(ngx_http_request_t *r,
    ngx_http_waav_loc_conf_t *wlcf)
{
    ngx_str_t        *o;
    ngx_uint_t        i;
    ngx_table_elt_t  *origin;

    origin = ngx_http_waav_header(&r->headers_in.headers, "Origin");

    if (origin == NULL) {
        return NULL;
    }

    o = wlcf->cors_origins->elts;

    for (i = 0; i < wlcf->cors_origins->nelts; i++) {
        if (o[i].len == origin->value.len
            && ngx_strncasecmp(o[i].data, origin->value.data, o[i].len) == 0)
        {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "waav cors: origin \"%V\" allowed", &o[i]);
            return &o[i];
        }
    }

    return NULL;
}


static ngx_int_t
ngx_http_waav_cors_add(ngx_http_request_t *r, const char *key, u_char *value,
    size_t len)
{
    ngx_str_t  k, v;

    k.data = (u_char *) key;
    k.len = ngx_strlen(key);
    v.data = value;
    v.len = len;

    return ngx_http_waav_add_header(r, &k, &v);
}
