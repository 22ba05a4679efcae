/*
 * waav: waav_health, WaaV's GET / health check: {"status":"OK"}.
 */

#include "ngx_http_waav_module.h"


static ngx_int_t ngx_http_waav_health_handler(ngx_http_request_t *r);


static u_char  ngx_http_waav_health_ok[] = "{\"status\":\"OK\"}";


char *
ngx_http_waav_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_loc_conf_t  *wlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    ngx_http_waav_unused(cmd);

    if (wlcf->handled != NGX_CONF_UNSET) {
        return "is duplicate or conflicts with another waav handler";
    }

    wlcf->handled = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_waav_health_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_waav_health_handler(ngx_http_request_t *r)
{
    static ngx_str_t  allow = ngx_string("Allow");
    static ngx_str_t  methods = ngx_string("GET, HEAD");

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        return ngx_http_waav_send_json(r, NGX_HTTP_OK, ngx_http_waav_health_ok,
                                       sizeof(ngx_http_waav_health_ok) - 1);
    }

    if (ngx_http_waav_add_header(r, &allow, &methods) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_waav_error(r, NGX_HTTP_NOT_ALLOWED,
                               "Method not allowed: use GET or HEAD",
                               "METHOD_NOT_ALLOWED");
}
