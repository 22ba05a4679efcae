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

#include "waav_alloc.h"
#include "waav_jwt.h"
#include "waav_stt.h"
#include "waav_tts.h"


#define NGX_HTTP_WAAV_VERSION  "0.1.0"

/* the module builds with -Wextra: callbacks mark what they ignore */
#define ngx_http_waav_unused(x)  (void) (x)


/* a provider declared with waav_provider */
typedef struct {
    ngx_str_t                  name;       /* what clients call it */
    ngx_str_t                  type;       /* which adapter speaks to it */
    ngx_str_t                  key;        /* empty: none configured */
    ngx_str_t                  location;   /* internal location, no '/' at end */
    const waav_tts_adapter_t  *tts;        /* NULL: the type has no TTS */
    const waav_stt_adapter_t  *stt;        /* NULL: the type has no STT */
    unsigned                   usable:1;   /* has a key, or needs none */
} ngx_http_waav_provider_t;


/* a verified token remembered by a worker (ngx_http_waav_auth.c) */
#define NGX_HTTP_WAAV_CACHED_TOKEN_MAX  1024

typedef struct {
    time_t       expires;
    size_t       token_len;
    size_t       tenant_len;
    u_char       token[NGX_HTTP_WAAV_CACHED_TOKEN_MAX];
    u_char       tenant[WAAV_TENANT_MAX];
} ngx_http_waav_token_t;


typedef struct {
    ngx_array_t             providers;      /* ngx_http_waav_provider_t */

    /* authentication */
    ngx_array_t            *secrets;        /* waav_api_secret_t */
    waav_jwt_conf_t         jwt;
    ngx_str_t               jwt_issuer;
    ngx_str_t               jwt_audience;
    ngx_str_t               jwt_tenant_claim;
    time_t                  jwt_leeway;
    ngx_int_t               token_cache_size;
    ngx_http_waav_token_t  *token_cache;

    /* Redis targets of limit zones (ngx_http_waav_redis_t *) */
    ngx_array_t            *redis;

    /* LiveKit */
    ngx_str_t               livekit_key;
    ngx_str_t               livekit_secret;
    ngx_str_t               livekit_url;
    time_t                  livekit_ttl;
} ngx_http_waav_main_conf_t;


typedef struct {
    /* waav_json_errors on|off; unset = on in locations waav handles */
    ngx_flag_t   json_errors;

    /* set by a waav content-handler directive (waav_health, ...) */
    ngx_flag_t   handled;

    /* waav_tts: which body shape the location takes */
    ngx_uint_t   tts_shape;

    /* waav_stt [PROVIDER]; waav_stt_max_size */
    ngx_flag_t   stt;
    ngx_str_t    stt_provider;
    size_t       stt_max_size;
    ngx_msec_t   stt_poll_interval;         /* AssemblyAI's polling */
    ngx_msec_t   stt_poll_timeout;

    /* waav_auth on|off */
    ngx_flag_t   auth;

    /* waav_limit lines (ngx_http_waav_limit_t), inherited when none */
    ngx_array_t *limits;
} ngx_http_waav_loc_conf_t;


/* per request; the concerns share the module's one ctx slot */
typedef struct {
    ngx_str_t    error_body;                /* JSON replacing nginx's page */
    unsigned     error_json:1;
    unsigned     error_sent:1;

    void        *tts;                       /* ngx_http_waav_tts_ctx_t */
    void        *stt;                       /* ngx_http_waav_stt_ctx_t */

    ngx_str_t    tenant;                    /* $waav_tenant */
    const char  *auth_method;               /* $waav_auth_method */
    unsigned     auth_done:1;

    unsigned     limit_done:1;
    unsigned     limit_status:2;            /* $waav_limit_status */
    void        *limit;                     /* the access phase's walk */
    void        *limit_tts;                 /* the TTS quotas' walk */
} ngx_http_waav_ctx_t;


extern ngx_module_t  ngx_http_waav_module;


/* ngx_http_waav_module.c */

ngx_int_t ngx_http_waav_add_variables(ngx_conf_t *cf,
    ngx_http_variable_t *vars);
ngx_http_waav_ctx_t *ngx_http_waav_find_ctx(ngx_http_request_t *r);
ngx_http_waav_ctx_t *ngx_http_waav_get_ctx(ngx_http_request_t *r);
char *ngx_http_waav_conf_value(ngx_conf_t *cf, ngx_str_t *value, size_t max,
    ngx_uint_t trim, ngx_str_t *out);
char *ngx_http_waav_conf_value_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_waav_set_handler(ngx_conf_t *cf,
    ngx_http_waav_loc_conf_t *wlcf, ngx_http_handler_pt handler);
void ngx_http_waav_allocator(ngx_pool_t *pool, waav_alloc_t *a);


/* ngx_http_waav_provider.c */

/* what a provider call came to, for ngx_http_waav_provider_error() */
typedef struct {
    ngx_int_t     rc;               /* the subrequest's */
    ngx_uint_t    status;           /* the provider's; 0: no answer */
    ngx_str_t     retry_after;
    u_char       *body;             /* the provider's answer */
    size_t        body_len;
    const char   *empty;            /* a 2xx without it: "no audio" */
} ngx_http_waav_failure_t;

ngx_int_t ngx_http_waav_provider_error(ngx_http_request_t *r,
    ngx_http_waav_provider_t *p, ngx_http_waav_failure_t *f);
ngx_str_t ngx_http_waav_retry_after(ngx_http_request_t *sr);
ngx_int_t ngx_http_waav_call(ngx_http_request_t *r,
    ngx_http_waav_provider_t *pv, waav_http_req_t *preq, ngx_chain_t *body,
    off_t len, ngx_http_post_subrequest_pt handler, void *data,
    ngx_uint_t flags, ngx_http_request_t **psr);

char *ngx_http_waav_provider(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_http_waav_provider_t *ngx_http_waav_provider_find(ngx_http_request_t *r,
    waav_str_t name);
ngx_int_t ngx_http_waav_provider_list(ngx_http_request_t *r,
    ngx_uint_t tts, u_char *buf, size_t size, size_t *len);
ngx_int_t ngx_http_waav_provider_init(ngx_conf_t *cf);


/* ngx_http_waav_response.c: JSON answers and the JSON error filter */

ngx_int_t ngx_http_waav_send_json(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len);
ngx_int_t ngx_http_waav_send_typed(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, u_char *body, size_t len);
ngx_int_t ngx_http_waav_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message, size_t len, const char *code);
ngx_int_t ngx_http_waav_add_header(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value);
ngx_int_t ngx_http_waav_set_nosniff(ngx_http_request_t *r);
ngx_int_t ngx_http_waav_not_allowed(ngx_http_request_t *r, const char *allow,
    const char *human);
ngx_int_t ngx_http_waav_response_init(ngx_conf_t *cf);

#define ngx_http_waav_error(r, status, message, code)                        \
    ngx_http_waav_send_error(r, status, message, sizeof(message) - 1, code)


/* ngx_http_waav_health.c */

char *ngx_http_waav_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);


/* ngx_http_waav_auth.c */

char *ngx_http_waav_auth_secret(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_waav_auth_secrets_json(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_waav_auth_jwt_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_waav_livekit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_waav_livekit_token(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_waav_auth_init(ngx_conf_t *cf);
ngx_int_t ngx_http_waav_auth_add_variables(ngx_conf_t *cf);


/* ngx_http_waav_limit.c */

char *ngx_http_waav_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_waav_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_waav_limit_charge_tts(ngx_http_request_t *r,
    uint64_t chars, void (*resume)(ngx_http_request_t *r), waav_err_t *err);
ngx_int_t ngx_http_waav_limit_charge_stt(ngx_http_request_t *r,
    uint64_t seconds, void (*resume)(ngx_http_request_t *r), waav_err_t *err);
ngx_int_t ngx_http_waav_limit_true_up_stt(ngx_http_request_t *r,
    uint64_t seconds, void (*resume)(ngx_http_request_t *r));
void ngx_http_waav_limit_refund(ngx_http_request_t *r, uint64_t units);
ngx_int_t ngx_http_waav_limit_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_waav_limit_init(ngx_conf_t *cf);


/* ngx_http_waav_stt.c */

char *ngx_http_waav_stt(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_waav_stt_init(ngx_conf_t *cf);


/* ngx_http_waav_tts.c */

char *ngx_http_waav_tts(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_waav_tts_init(ngx_conf_t *cf);
ngx_int_t ngx_http_waav_tts_add_variables(ngx_conf_t *cf);


#endif /* NGX_HTTP_WAAV_MODULE_H */
