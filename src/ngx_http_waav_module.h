/*
 * waav: an nginx module that turns nginx into a voice-AI gateway.
 *
 * The module's configuration and per-request context, shared by its
 * per-concern files.  Each concern declares its own functions in its own
 * header (ngx_http_waav_<concern>.h).
 */

#ifndef NGX_HTTP_WAAV_MODULE_H
#define NGX_HTTP_WAAV_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "waav_alloc.h"
#include "waav_jwt.h"


#define NGX_HTTP_WAAV_VERSION  "0.1.0"

/* the module builds with -Wextra: callbacks mark what they ignore */
#define ngx_http_waav_unused(x)  (void) (x)


struct ngx_http_waav_token_s;


/* what a request did, for the log variables and waav_metrics
 * (ngx_http_waav_metrics.c) */
typedef struct {
    ngx_str_t    provider;                  /* $waav_provider */
    ngx_str_t    model;                     /* $waav_model */
    ngx_uint_t   status;                    /* $waav_provider_status */
    ngx_msec_t   call_start;                /* the first provider call */
    ngx_msec_t   call_ms;                   /* ... to its answer */
    ngx_msec_t   ttfb_ms;                   /* $waav_ttfb: first audio */
    uint64_t     tts_chars;                 /* $waav_tts_chars */
    uint64_t     stt_seconds;               /* $waav_stt_seconds */
    ngx_str_t    limit_zone;                /* $waav_limit_result */
    const char  *limit_kind;
    unsigned     stt:1;                     /* the provider's is STT */
    unsigned     called:1;
    unsigned     answered:1;
    unsigned     ttfb:1;
    unsigned     ws_open:1;                 /* counted in waav_ws_sessions */
    unsigned     limit_unavailable:1;
} ngx_http_waav_obs_t;


typedef struct {
    ngx_array_t             providers;      /* ngx_http_waav_provider_t */

    /* authentication (ngx_http_waav_auth.c) */
    ngx_array_t            *secrets;        /* waav_api_secret_t */
    waav_jwt_conf_t         jwt;
    ngx_str_t               jwt_issuer;
    ngx_str_t               jwt_audience;
    ngx_str_t               jwt_tenant_claim;
    time_t                  jwt_leeway;
    ngx_int_t               token_cache_size;
    struct ngx_http_waav_token_s  *token_cache;
    void                   *auth_service;   /* waav_auth_service's */
    unsigned                auth_used:1;    /* waav_auth on somewhere */

    /* Redis targets of limit zones (ngx_http_waav_redis_t *) */
    ngx_array_t            *redis;

    /* LiveKit */
    ngx_str_t               livekit_key;
    ngx_str_t               livekit_secret;
    ngx_str_t               livekit_url;
    time_t                  livekit_ttl;

    /* waav_local: the embedded engines (ngx_http_waav_local_conf_t) */
    void                   *local;

    /* waav_metrics' zone (ngx_http_waav_metrics_conf_t), NULL: none */
    void                   *metrics;

    /* the thread pool base64 audio is read in (ngx_http_waav_stt_b64.c),
     * NULL: no provider takes it; the cycle's own, as a failed reload
     * leaves the running one's */
    void                   *b64_pool;
} ngx_http_waav_main_conf_t;


typedef struct {
    /* waav_json_errors on|off; unset = on in locations waav handles */
    ngx_flag_t   json_errors;

    /* set by a waav content-handler directive (waav_health, ...) */
    ngx_flag_t   handled;

    /* waav_tts: which body shape the location takes; default=NAME, the
     * provider of a /speak body that names none */
    ngx_uint_t   tts_shape;
    ngx_str_t    tts_default;

    /* waav_stt [PROVIDER]; waav_stt_max_size */
    ngx_flag_t   stt;
    ngx_str_t    stt_provider;
    size_t       stt_max_size;
    /* what the user bounded uploads with (see ngx_http_waav_stt_body_size) */
    unsigned     stt_max_size_set:1;        /* waav_stt_max_size, any level */
    unsigned     stt_loc_body_set:1;        /* client_max_body_size ... */
    unsigned     stt_srv_body_set:1;        /* ... before waav_stt */
    void        *stt_srv_clcf;              /* the server's core conf */
    void        *stt_http_clcf;             /* http's, never merged */
    ngx_msec_t   stt_poll_interval;         /* AssemblyAI's polling */
    ngx_msec_t   stt_poll_timeout;

    /* waav_ws; its idle timeout */
    ngx_flag_t   ws;
    ngx_msec_t   ws_idle_timeout;
    ngx_msec_t   ws_provider_timeout;       /* a stream's 101 and ready */
    ngx_msec_t   ws_provider_idle_timeout;  /* a stream's silence */

    /* waav_auth on|off; in a server's own conf: on in some location of it
     * (nginx refuses an oversized token before a location is chosen) */
    ngx_flag_t   auth;
    unsigned     auth_in_server:1;

    /* waav_byok on|off: a client's own provider key (tts_config.api_key,
     * stt_config.api_key, X-Provider-Api-Key) for its call; default off */
    ngx_flag_t   byok;

    /* waav_limit lines (ngx_http_waav_limit_t), inherited when none */
    ngx_array_t *limits;
    unsigned     limit_off:1;               /* waav_limit off: none here */
    ngx_uint_t   limit_log_level;           /* waav_limit_log_level */

    /* waav_cors: NGX_HTTP_WAAV_CORS_*, the listed origins (ngx_str_t) */
    ngx_uint_t   cors;
    ngx_array_t *cors_origins;
    /* waav_voices direct: the provider locations, no cache */
    unsigned     voices_direct:1;
} ngx_http_waav_loc_conf_t;


/* per request; the concerns share the module's one ctx slot */
typedef struct {
    ngx_str_t    error_body;                /* JSON replacing nginx's page */
    unsigned     error_json:1;
    unsigned     error_sent:1;

    void        *tts;                       /* ngx_http_waav_tts_ctx_t */
    void        *stt;                       /* ngx_http_waav_stt_ctx_t */
    void        *cred;                      /* ngx_http_waav_cred_ctx_t */
    void        *ws;                        /* ngx_http_waav_ws_t */
    void        *voices;                    /* ngx_http_waav_voices_ctx_t */
    void        *local;                     /* the local engines' */

    ngx_str_t    tenant;                    /* $waav_tenant */
    const char  *auth_method;               /* $waav_auth_method */
    unsigned     auth_done:1;
    unsigned     auth_pending:1;            /* /ws: an auth message due */
    void        *auth_call;                 /* the auth service's call */

    unsigned     byok:1;                    /* $waav_byok: a client's key */

    unsigned     limit_done:1;
    unsigned     limit_status:2;            /* $waav_limit_status */
    void        *limit;                     /* the access phase's walk */
    void        *limit_quota;               /* the quotas' walk (TTS, STT) */

    ngx_http_waav_obs_t  obs;               /* ngx_http_waav_metrics.c */
} ngx_http_waav_ctx_t;


extern ngx_module_t  ngx_http_waav_module;
extern ngx_module_t  ngx_http_waav_filter_module;


#endif /* NGX_HTTP_WAAV_MODULE_H */
