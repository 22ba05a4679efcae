/*
 * waav: WaaV's /dag routes as its default build answers them (waav_dag).
 */

#ifndef NGX_HTTP_WAAV_DAG_H
#define NGX_HTTP_WAAV_DAG_H

#include "ngx_http_waav_module.h"


char *ngx_http_waav_dag(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* NGX_HTTP_WAAV_DAG_H */
