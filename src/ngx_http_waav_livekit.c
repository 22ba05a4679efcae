/*
 * waav: WaaV's POST /livekit/token.
 *
 *   waav_livekit api_key=env:LIVEKIT_API_KEY api_secret=env:LIVEKIT_API_SECRET
 *                url=wss://livekit.example.com ttl=6h;
 *   location = /livekit/token { waav_auth on; waav_livekit_token; }
 *
 * The glue only reads the JSON body into memory; checking it, scoping the
 * room to the caller's tenant ($waav_tenant), signing the LiveKit token
 * and writing the answer is the core's (src/core/waav_livekit.c).
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_livekit.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
#include "waav_livekit.h"


#define NGX_HTTP_WAAV_LIVEKIT_TTL  (6 * 3600)


static ngx_int_t ngx_http_waav_livekit_handler(ngx_http_request_t *r);
static void ngx_http_waav_livekit_body(ngx_http_request_t *r);


/* waav_livekit api_key=... api_secret=... url=... [ttl=6h]; */
char *
ngx_http_waav_livekit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_main_conf_t  *wmcf = conf;

    size_t       plen;
    ngx_str_t   *value, v;
    ngx_uint_t   i, j;

    /* the env:/file:/literal parameters */
    struct {
        const char  *name;
        ngx_str_t   *field;
        size_t       max;
    } params[] = {
        { "api_key=", &wmcf->livekit_key, 1024 },
        { "api_secret=", &wmcf->livekit_secret, 1024 },
        { "url=", &wmcf->livekit_url, 2048 },
    };

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;
    wmcf->livekit_ttl = NGX_HTTP_WAAV_LIVEKIT_TTL;

    for (i = 1; i < cf->args->nelts; i++) {

        for (j = 0; j < sizeof(params) / sizeof(params[0]); j++) {
            plen = ngx_strlen(params[j].name);

            if (ngx_strncmp(value[i].data, params[j].name, plen) == 0) {
                break;
            }
        }

        if (j < sizeof(params) / sizeof(params[0])) {
            v.data = value[i].data + plen;
            v.len = value[i].len - plen;

            if (ngx_http_waav_conf_value(cf, &v, params[j].max, 1,
                                         params[j].field)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            v.data = value[i].data + 4;
            v.len = value[i].len - 4;

            wmcf->livekit_ttl = ngx_parse_time(&v, 1);

            if (wmcf->livekit_ttl == (time_t) NGX_ERROR
                || wmcf->livekit_ttl <= 0)
            {
                return "has an invalid ttl";
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_waav_livekit_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_unused(cmd);

    return ngx_http_waav_set_handler(cf, conf, ngx_http_waav_livekit_handler);
}


static ngx_int_t
ngx_http_waav_livekit_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_waav_not_allowed(r, "POST", "POST");
    }

    if (!ngx_http_waav_is_json(r)) {
        return ngx_http_waav_not_json(r);
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_waav_livekit_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* the body as one piece of memory; a body spooled to a file is too large */
static ngx_int_t
ngx_http_waav_livekit_read(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_chain_t  *cl;

    ngx_str_set(body, "");

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        if (ngx_buf_size(cl->buf) == 0) {
            continue;
        }

        if (cl->buf->in_file || body->len) {
            return NGX_ERROR;
        }

        body->data = cl->buf->pos;
        body->len = cl->buf->last - cl->buf->pos;
    }

    return NGX_OK;
}


static void
ngx_http_waav_livekit_body(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_str_t                   body;
    waav_err_t                  err;
    waav_str_t                  out, tenant;
    waav_alloc_t                a;
    ngx_http_waav_ctx_t        *ctx;
    waav_livekit_conf_t         conf;
    ngx_http_waav_main_conf_t  *wmcf;

    if (ngx_http_waav_livekit_read(r, &body) != NGX_OK) {
        rc = ngx_http_waav_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                 "Request body too large",
                                 "PAYLOAD_TOO_LARGE");
        ngx_http_finalize_request(r, rc);
        return;
    }

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);

    conf.api_key.data = (char *) wmcf->livekit_key.data;
    conf.api_key.len = wmcf->livekit_key.len;
    conf.api_secret.data = (char *) wmcf->livekit_secret.data;
    conf.api_secret.len = wmcf->livekit_secret.len;
    conf.url.data = (char *) wmcf->livekit_url.data;
    conf.url.len = wmcf->livekit_url.len;
    conf.ttl = (long) wmcf->livekit_ttl;

    ctx = ngx_http_waav_find_ctx(r);
    tenant.data = (ctx && ctx->auth_done) ? (char *) ctx->tenant.data : "";
    tenant.len = (ctx && ctx->auth_done) ? ctx->tenant.len : 0;

    ngx_http_waav_allocator(r->pool, &a);
    ngx_memzero(&err, sizeof(waav_err_t));

    if (waav_livekit_answer(&conf, tenant, (char *) body.data, body.len,
                            ngx_time(), &a, &out, &err)
        != 0)
    {
        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "waav livekit: refused: %d %s \"%s\"",
                       err.status, err.code, err.message);

        ngx_http_finalize_request(r, ngx_http_waav_send_err(r, &err));
        return;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav livekit: token for tenant \"%*s\"",
                   tenant.len, tenant.data);

    rc = ngx_http_waav_send_json(r, NGX_HTTP_OK, (u_char *) out.data,
                                 out.len);
    ngx_http_finalize_request(r, rc);
}
