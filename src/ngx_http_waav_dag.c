/*
 * waav: waav_dag [validate], WaaV's /dag routes as its default build (no
 * "dag-routing" feature, gateway/src/handlers/dag.rs) answers them: 501
 * and a JSON body saying so.  A content handler, so that waav_auth and
 * waav_limit apply as WaaV's auth layer does on these routes.
 *
 *   GET  /dag/templates, /dag/templates/{name}    waav_dag;
 *   POST /dag/validate (a JSON body)              waav_dag validate;
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_dag.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"


static ngx_int_t ngx_http_waav_dag_get_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_dag_post_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_dag_answer(ngx_http_request_t *r);


/* serde_json's order (keys sorted), as WaaV sends it */
static u_char  ngx_http_waav_dag_off[] =
    "{\"error\":\"DAG routing is not enabled\","
    "\"message\":\"Build with --features dag-routing to enable DAG support\"}";


char *
ngx_http_waav_dag(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t  *value;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;

    if (cf->args->nelts == 1) {
        return ngx_http_waav_set_handler(cf, conf,
                                         ngx_http_waav_dag_get_handler);
    }

    if (ngx_strcmp(value[1].data, "validate") != 0) {
        return "takes \"validate\" or nothing";
    }

    return ngx_http_waav_set_handler(cf, conf, ngx_http_waav_dag_post_handler);
}


static ngx_int_t
ngx_http_waav_dag_get_handler(ngx_http_request_t *r)
{
    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        return ngx_http_waav_dag_answer(r);
    }

    return ngx_http_waav_not_allowed(r, "GET, HEAD", "GET or HEAD");
}


/* WaaV's Json extractor refuses another type before the handler runs */
static ngx_int_t
ngx_http_waav_dag_post_handler(ngx_http_request_t *r)
{
    if (r->method != NGX_HTTP_POST) {
        return ngx_http_waav_not_allowed(r, "POST", "POST");
    }

    if (!ngx_http_waav_is_json(r)) {
        return ngx_http_waav_not_json(r);
    }

    return ngx_http_waav_dag_answer(r);
}


static ngx_int_t
ngx_http_waav_dag_answer(ngx_http_request_t *r)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav dag: not enabled, 501");

    return ngx_http_waav_send_json(r, NGX_HTTP_NOT_IMPLEMENTED,
                                   ngx_http_waav_dag_off,
                                   sizeof(ngx_http_waav_dag_off) - 1);
}
