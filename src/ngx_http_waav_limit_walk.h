/*
 * waav: a walk through a location's waav_limit lines, which Redis may
 * pause: the pre-content phase's rates and slots
 * (ngx_http_waav_limit.c), or one quota charge (ngx_http_waav_quota_t,
 * ngx_http_waav_limit_quota.c).
 */

#ifndef NGX_HTTP_WAAV_LIMIT_WALK_H
#define NGX_HTTP_WAAV_LIMIT_WALK_H

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_limit_conf.h"


/* a quota a walk charged: where, with which key, in which window */
typedef struct {
    ngx_str_t                      key;         /* "id + key" charged */
    uint64_t                       window;
    unsigned                       charged:1;
    unsigned                       in_redis:1;
} ngx_http_waav_limit_charged_t;


/* a walk; a quota charge is one (ngx_http_waav_quota_t) */
typedef struct ngx_http_waav_quota_s  ngx_http_waav_limit_walk_t;

struct ngx_http_waav_quota_s {
    ngx_http_request_t            *r;
    ngx_uint_t                     next;        /* the line to check */
    ngx_uint_t                     quota;       /* the quota kind charged;
                                                   0: rates and slots */
    uint64_t                       cost;        /* the quota's units */
    ngx_str_t                      key;         /* the line's, checked */
    ngx_http_waav_limit_t         *refused;     /* the line that refused */
    waav_limit_result_t            res;
    ngx_http_waav_limit_op_t      *op;          /* waiting for Redis */
    ngx_int_t                      outcome;     /* of Redis' answer */
    ngx_http_waav_limit_charged_t *charged;     /* per line: quotas */
    uint64_t                       member;      /* a slot asked of Redis */
    u_char                        *skipped;     /* a bit a line whose key
                                                   was empty (no tenant
                                                   yet); NULL: none */
    unsigned                       rewalk:1;    /* only those lines */
    unsigned                       answered:1;
    unsigned                       true_up:1;
    unsigned                       done:1;      /* a charge: walked */
    void                         (*resume)(ngx_http_request_t *r);
};


ngx_int_t ngx_http_waav_limit_key(ngx_http_request_t *r,
    ngx_http_waav_limit_t *l, ngx_str_t *key);
ngx_http_waav_limit_walk_t *ngx_http_waav_limit_walk_new(
    ngx_http_request_t *r, ngx_uint_t quota, uint64_t cost,
    void (*resume)(ngx_http_request_t *r));
ngx_int_t ngx_http_waav_limit_walk(ngx_http_request_t *r,
    ngx_http_waav_limit_walk_t *w);
ngx_int_t ngx_http_waav_limit_answer(ngx_http_request_t *r,
    ngx_http_waav_limit_walk_t *w, ngx_int_t rc, waav_err_t *err);


#endif /* NGX_HTTP_WAAV_LIMIT_WALK_H */
