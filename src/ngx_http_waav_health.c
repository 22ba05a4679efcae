/*
 * waav: waav_health, WaaV's GET / health check: {"status":"OK"}.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_health.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"


static ngx_int_t ngx_http_waav_health_handler(ngx_http_request_t *r);


static u_char  ngx_http_waav_health_ok[] = "{\"status\":\"OK\"}";


char *
ngx_http_waav_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_unused(cmd);

    return ngx_http_waav_set_handler(cf, conf, ngx_http_waav_health_handler);
}


static ngx_int_t
ngx_http_waav_health_handler(ngx_http_request_t *r)
{
    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        return ngx_http_waav_send_json(r, NGX_HTTP_OK, ngx_http_waav_health_ok,
                                       sizeof(ngx_http_waav_health_ok) - 1);
    }

    return ngx_http_waav_not_allowed(r, "GET, HEAD", "GET or HEAD");
}
