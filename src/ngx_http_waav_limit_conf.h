/*
 * waav: a limit zone and a waav_limit line, as the directives make them
 * (ngx_http_waav_limit_conf.c) and the walk reads them
 * (ngx_http_waav_limit.c).
 */

#ifndef NGX_HTTP_WAAV_LIMIT_CONF_H
#define NGX_HTTP_WAAV_LIMIT_CONF_H

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_limit_shm.h"
#include "ngx_http_waav_limit_redis.h"


/* a waav_limit_zone: the node's counters, and maybe Redis' */
typedef struct {
    ngx_http_waav_limit_shm_t      shm;         /* the node's counters */
    ngx_http_complex_value_t       key;
    ngx_http_waav_limit_redis_t   *redis;       /* NULL: the node's only */
} ngx_http_waav_limit_zone_t;


/* a waav_limit line, and what its refusal answers (status=, message=,
 * code=; by default 429, WaaV's "Too Many Requests! Wait for Ns" and a
 * code by kind) */
typedef struct {
    ngx_shm_zone_t                *shm_zone;
    ngx_http_waav_limit_rule_t     rule;
    ngx_uint_t                     status;      /* 0: 429 */
    ngx_str_t                      message;     /* NUL-terminated */
    ngx_str_t                      code;        /* NUL-terminated */
} ngx_http_waav_limit_t;


#endif /* NGX_HTTP_WAAV_LIMIT_CONF_H */
