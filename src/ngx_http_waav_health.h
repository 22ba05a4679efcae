/*
 * waav: WaaV's health check (waav_health).
 */

#ifndef NGX_HTTP_WAAV_HEALTH_H
#define NGX_HTTP_WAAV_HEALTH_H

#include "ngx_http_waav_module.h"


char *ngx_http_waav_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* NGX_HTTP_WAAV_HEALTH_H */
