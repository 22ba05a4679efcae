/*
 * waav: WaaV's POST /livekit/token (waav_livekit, waav_livekit_token).
 */

#ifndef NGX_HTTP_WAAV_LIVEKIT_H
#define NGX_HTTP_WAAV_LIVEKIT_H

#include "ngx_http_waav_module.h"


char *ngx_http_waav_livekit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_waav_livekit_token(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* NGX_HTTP_WAAV_LIVEKIT_H */
