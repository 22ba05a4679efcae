/*
 * waav: an nginx module that turns nginx into a voice-AI gateway.
 *
 * Declarations shared by the module's per-concern files.
 */

#ifndef NGX_HTTP_WAAV_MODULE_H
#define NGX_HTTP_WAAV_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_HTTP_WAAV_VERSION  "0.1.0"

/* the module builds with -Wextra: callbacks mark what they ignore */
#define ngx_http_waav_unused(x)  (void) (x)


typedef struct {
    /* waav_json_errors on|off; unset = on in locations waav handles */
    ngx_flag_t   json_errors;

    /* set by a waav content-handler directive (waav_health, ...) */
    ngx_flag_t   handled;
} ngx_http_waav_loc_conf_t;


extern ngx_module_t  ngx_http_waav_module;


/* ngx_http_waav_response.c: JSON answers and the JSON error filter */

ngx_int_t ngx_http_waav_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len);
ngx_int_t ngx_http_waav_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message, size_t len, const char *code);
ngx_int_t ngx_http_waav_add_header(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value);
ngx_int_t ngx_http_waav_set_nosniff(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_response_init(ngx_conf_t *cf);

#define ngx_http_waav_error(r, status, message, code)                        \
    ngx_http_waav_send_error(r, status, message, sizeof(message) - 1, code)


/* ngx_http_waav_health.c */

char *ngx_http_waav_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


#endif /* NGX_HTTP_WAAV_MODULE_H */
