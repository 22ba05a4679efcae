/*
 * waav: the module: its directives, configuration and initialization.
 * What each directive does lives in its concern's file.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_byok.h"
#include "ngx_http_waav_auth.h"
#include "ngx_http_waav_cors.h"
#include "ngx_http_waav_dag.h"
#include "ngx_http_waav_auth_service.h"
#include "ngx_http_waav_health.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_livekit.h"
#include "ngx_http_waav_local.h"
#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_redis.h"
#include "ngx_http_waav_stt.h"
#include "ngx_http_waav_tts.h"
#include "ngx_http_waav_util.h"
#include "ngx_http_waav_voices.h"
#include "ngx_http_waav_ws.h"


static ngx_int_t ngx_http_waav_preconfiguration(ngx_conf_t *cf);
static void *ngx_http_waav_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_waav_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_waav_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_waav_init(ngx_conf_t *cf);
static char *ngx_http_waav_stt_max_size(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_waav_init_process(ngx_cycle_t *cycle);
static void ngx_http_waav_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_waav_commands[] = {

    { ngx_string("waav_health"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_waav_health,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_provider"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_waav_provider,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_tts"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE12,
      ngx_http_waav_tts,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_stt"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_waav_stt,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_voices"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_waav_voices,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_voices_clone"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_waav_voices_clone,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_ws"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_waav_ws,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_ws_idle_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, ws_idle_timeout),
      NULL },

    { ngx_string("waav_ws_provider_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, ws_provider_timeout),
      NULL },

    { ngx_string("waav_ws_provider_idle_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, ws_provider_idle_timeout),
      NULL },

    { ngx_string("waav_stt_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_waav_stt_max_size,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, stt_max_size),
      NULL },

    { ngx_string("waav_stt_poll_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, stt_poll_interval),
      NULL },

    { ngx_string("waav_stt_poll_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, stt_poll_timeout),
      NULL },

    { ngx_string("waav_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, auth),
      NULL },

    { ngx_string("waav_auth_secret"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_waav_auth_secret,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_auth_secrets_json"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_waav_auth_secrets_json,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_auth_jwt_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE23,
      ngx_http_waav_auth_jwt_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_auth_jwt_jwks"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_waav_auth_jwt_jwks,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_auth_jwt_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_waav_conf_value_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_waav_main_conf_t, jwt_issuer),
      NULL },

    { ngx_string("waav_auth_jwt_audience"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_waav_conf_value_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_waav_main_conf_t, jwt_audience),
      NULL },

    { ngx_string("waav_auth_jwt_tenant_claim"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_waav_conf_value_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_waav_main_conf_t, jwt_tenant_claim),
      NULL },

    { ngx_string("waav_auth_jwt_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_waav_main_conf_t, jwt_leeway),
      NULL },

    { ngx_string("waav_auth_token_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_waav_main_conf_t, token_cache_size),
      NULL },

    { ngx_string("waav_auth_service"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_waav_auth_service,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_livekit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_waav_livekit,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_livekit_token"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_waav_livekit_token,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_limit_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_waav_limit_zone,
      0,
      0,
      NULL },

    { ngx_string("waav_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_waav_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_limit_log_level"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, limit_log_level),
      &ngx_http_waav_limit_log_levels },

    { ngx_string("waav_byok"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, byok),
      NULL },

    { ngx_string("waav_local"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_ANY,
      ngx_http_waav_local,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_json_errors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_waav_loc_conf_t, json_errors),
      NULL },

    { ngx_string("waav_dag"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_waav_dag,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_waav_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_metrics_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_waav_metrics_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("waav_cors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_waav_cors,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_waav_module_ctx = {
    ngx_http_waav_preconfiguration,        /* preconfiguration */
    ngx_http_waav_init,                    /* postconfiguration */

    ngx_http_waav_create_main_conf,        /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_waav_create_loc_conf,         /* create location configuration */
    ngx_http_waav_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_waav_module = {
    NGX_MODULE_V1,
    &ngx_http_waav_module_ctx,             /* module context */
    ngx_http_waav_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_waav_init_process,            /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_waav_exit_process,            /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_waav_preconfiguration(ngx_conf_t *cf)
{
    if (ngx_http_waav_tts_add_variables(cf) != NGX_OK
        || ngx_http_waav_auth_add_variables(cf) != NGX_OK
        || ngx_http_waav_limit_add_variables(cf) != NGX_OK
        || ngx_http_waav_ws_add_variables(cf) != NGX_OK
        || ngx_http_waav_byok_add_variables(cf) != NGX_OK
        || ngx_http_waav_metrics_add_variables(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void *
ngx_http_waav_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_main_conf_t));
    if (wmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&wmcf->providers, cf->pool, 8,
                       sizeof(ngx_http_waav_provider_t))
        != NGX_OK)
    {
        return NULL;
    }

    wmcf->jwt_leeway = NGX_CONF_UNSET;
    wmcf->token_cache_size = NGX_CONF_UNSET;
    wmcf->livekit_ttl = NGX_CONF_UNSET;

    return wmcf;
}


static void *
ngx_http_waav_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_waav_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->json_errors = NGX_CONF_UNSET;
    conf->handled = NGX_CONF_UNSET;
    conf->tts_shape = NGX_CONF_UNSET_UINT;
    conf->stt_max_size = NGX_CONF_UNSET_SIZE;
    conf->stt_poll_interval = NGX_CONF_UNSET_MSEC;
    conf->stt_poll_timeout = NGX_CONF_UNSET_MSEC;
    conf->ws_idle_timeout = NGX_CONF_UNSET_MSEC;
    conf->ws_provider_timeout = NGX_CONF_UNSET_MSEC;
    conf->ws_provider_idle_timeout = NGX_CONF_UNSET_MSEC;
    conf->auth = NGX_CONF_UNSET;
    conf->byok = NGX_CONF_UNSET;
    conf->limit_log_level = NGX_CONF_UNSET_UINT;
    conf->cors = NGX_CONF_UNSET_UINT;

    return conf;
}


/*
 * The bound on a waav_stt location's uploads, most specific first:
 *   1. client_max_body_size set in the location;
 *   2. waav_stt_max_size set at any level;
 *   3. client_max_body_size set in the server or at http level;
 *   4. waav_stt_max_size's default, 25m (nginx's 1m is too small for audio).
 * "Set" is seen raw while parsing (ngx_http_waav_note_body_size), raw at
 * http level (never merged), or as a merged value that differs from the
 * enclosing one (location) or from nginx's default (server).
 */
static void
ngx_http_waav_stt_body_size(ngx_conf_t *cf, ngx_http_waav_loc_conf_t *conf)
{
    ngx_http_core_loc_conf_t  *clcf, *sclcf, *hclcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    sclcf = conf->stt_srv_clcf;
    hclcf = conf->stt_http_clcf;

    if (sclcf == NULL || hclcf == NULL) {
        /* not noted by waav_stt: leave nginx's bound alone */
        return;
    }

    if (conf->stt_loc_body_set
        || clcf->client_max_body_size != sclcf->client_max_body_size)
    {
        return;
    }

    if (!conf->stt_max_size_set) {
        if (conf->stt_srv_body_set
            || sclcf->client_max_body_size != 1024 * 1024
            || hclcf->client_max_body_size != NGX_CONF_UNSET)
        {
            return;
        }
    }

    clcf->client_max_body_size = conf->stt_max_size;
}


/* waav_stt_max_size: a size, remembered as set for the levels below */
static char *
ngx_http_waav_stt_max_size(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_loc_conf_t  *wlcf = conf;

    char  *rv;

    rv = ngx_conf_set_size_slot(cf, cmd, conf);

    if (rv == NGX_CONF_OK) {
        wlcf->stt_max_size_set = 1;
    }

    return rv;
}


static char *
ngx_http_waav_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_waav_loc_conf_t  *prev = parent;
    ngx_http_waav_loc_conf_t  *conf = child;

    size_t                     need;
    ngx_http_core_loc_conf_t  *clcf;

    /* a handler belongs to its own location: never inherited */
    if (conf->handled == NGX_CONF_UNSET) {
        conf->handled = 0;
    }

    /*
     * waav_tts parses the JSON body in memory: let bodies up to 64k (or
     * client_max_body_size when smaller) stay in memory rather than spill
     * to a temp file that would have to be read back.  Not more: for a
     * chunked body nginx allocates the whole buffer up front.
     */
    if (conf->tts_shape != NGX_CONF_UNSET_UINT) {
        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
        need = (clcf->client_max_body_size > 0
                && clcf->client_max_body_size < 64 * 1024)
               ? (size_t) clcf->client_max_body_size : 64 * 1024;

        if (clcf->client_body_buffer_size < need) {
            clcf->client_body_buffer_size = need;
        }
    }

    ngx_conf_merge_value(conf->auth, prev->auth, 0);
    ngx_conf_merge_value(conf->byok, prev->byok, 0);

    /* WaaV closes a session after 300 s without a frame from the client */
    ngx_conf_merge_msec_value(conf->ws_idle_timeout, prev->ws_idle_timeout,
                              300000);
    ngx_conf_merge_msec_value(conf->ws_provider_timeout,
                              prev->ws_provider_timeout, 30000);
    ngx_conf_merge_msec_value(conf->ws_provider_idle_timeout,
                              prev->ws_provider_idle_timeout, 60000);

    if (conf->auth == 1) {
        ngx_http_waav_note_auth(cf);
    }

    /* uploads up to waav_stt_max_size (OpenAI's 25 MB by default) */
    ngx_conf_merge_size_value(conf->stt_max_size, prev->stt_max_size,
                              25 * 1024 * 1024);
    ngx_conf_merge_msec_value(conf->stt_poll_interval,
                              prev->stt_poll_interval, 1000);
    ngx_conf_merge_msec_value(conf->stt_poll_timeout, prev->stt_poll_timeout,
                              120000);

    if (!conf->stt_max_size_set) {
        conf->stt_max_size_set = prev->stt_max_size_set;
    }

    if (conf->stt == 1) {
        ngx_http_waav_stt_body_size(cf, conf);
    }

    if (conf->limits == NULL && !conf->limit_off) {
        conf->limits = prev->limits;
    }

    ngx_conf_merge_uint_value(conf->limit_log_level, prev->limit_log_level,
                              NGX_LOG_ERR);

    /* left unset when nobody set it: then it follows "handled" */
    ngx_conf_merge_value(conf->json_errors, prev->json_errors,
                         NGX_CONF_UNSET);

    return ngx_http_waav_cors_merge(prev, conf);
}


static ngx_int_t
ngx_http_waav_init(ngx_conf_t *cf)
{
    if (ngx_http_waav_provider_init(cf) != NGX_OK
        || ngx_http_waav_limit_init(cf) != NGX_OK
        || ngx_http_waav_auth_init(cf) != NGX_OK
        || ngx_http_waav_cors_init(cf) != NGX_OK
        || ngx_http_waav_local_init(cf) != NGX_OK
        || ngx_http_waav_stt_b64_init(cf) != NGX_OK
        || ngx_http_waav_metrics_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* each worker opens its Redis connections before the first request */
static ngx_int_t
ngx_http_waav_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                  i;
    ngx_http_waav_redis_t     **rd;
    ngx_http_waav_main_conf_t  *wmcf;

    /* workers only: not the cache manager and loader */
    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    wmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_waav_module);

    /* the embedded engines, when a `local` provider is declared */
    ngx_http_waav_local_init_process(cycle);

    if (wmcf == NULL || wmcf->redis == NULL) {
        return NGX_OK;
    }

    rd = wmcf->redis->elts;

    for (i = 0; i < wmcf->redis->nelts; i++) {
        (void) ngx_http_waav_redis_init_process(rd[i]);
    }

    return NGX_OK;
}


/* closes the Redis connections, so no socket is left at exit */
static void
ngx_http_waav_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                  i;
    ngx_http_waav_redis_t     **rd;
    ngx_http_waav_main_conf_t  *wmcf;

    ngx_http_waav_local_exit_process(cycle);

    wmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_waav_module);

    if (wmcf == NULL || wmcf->redis == NULL) {
        return;
    }

    rd = wmcf->redis->elts;

    for (i = 0; i < wmcf->redis->nelts; i++) {
        ngx_http_waav_redis_exit_process(rd[i]);
    }
}
