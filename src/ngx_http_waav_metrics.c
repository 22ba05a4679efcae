/*
 * waav: waav_metrics, Prometheus metrics from a shared memory zone.
 *
 *   waav_metrics_zone 1m tenants=50;      # optional: 1m and 50 without it
 *   location = /metrics { waav_metrics; }
 *
 * Every worker writes to one zone: a table of series (a family and its
 * label text), each with its values.  A series is found without a lock
 * (open addressing, its state published last); the slab mutex is taken
 * only to create one.  Values are added with ngx_atomic_fetch_add.  The
 * zone outlives reloads (counters keep counting).
 *
 * A request is counted once, in the log phase, from what its ctx says
 * (ngx_http_waav_obs_t, filled by the concerns' one-line calls); the same
 * ctx answers the log variables.  Labels are bounded: routes are the
 * locations' names, providers the configured ones, zones the declared
 * ones; tenants are the first N (provider, tenant) series of each usage
 * family, the rest counted as tenant="other".
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_metrics.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
#include "waav_metrics.h"


#define NGX_HTTP_WAAV_METRICS_PROBES   64
#define NGX_HTTP_WAAV_METRICS_CREATE   1
#define NGX_HTTP_WAAV_METRICS_BOUNDED  2


typedef struct {
    ngx_atomic_t                    state;      /* 1: ready */
    ngx_uint_t                      hash;
    ngx_uint_t                      family;
    size_t                          key_len;
    u_char                          key[WAAV_METRICS_KEY_MAX];
    ngx_atomic_t                    values[WAAV_METRICS_VALUES];
} ngx_http_waav_metrics_series_t;


typedef struct {
    ngx_atomic_t                    dropped;    /* no room for a series */
    ngx_atomic_t                    tenants;    /* tenant series made */
    ngx_uint_t                      nseries;
    ngx_http_waav_metrics_series_t  series[1];
} ngx_http_waav_metrics_sh_t;


typedef struct {
    ngx_shm_zone_t                 *zone;
    ngx_slab_pool_t                *shpool;
    ngx_http_waav_metrics_sh_t     *sh;
    size_t                          size;
    ngx_uint_t                      tenants;    /* the bound */
    unsigned                        declared:1;
} ngx_http_waav_metrics_conf_t;


static ngx_int_t ngx_http_waav_metrics_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_metrics_log(ngx_http_request_t *r);


static ngx_str_t  ngx_http_waav_metrics_kinds[] = {
    ngx_string("tts"),
    ngx_string("stt"),
};


/* --- configuration ------------------------------------------------------ */

static ngx_http_waav_metrics_conf_t *
ngx_http_waav_metrics_conf(ngx_conf_t *cf)
{
    ngx_http_waav_main_conf_t     *wmcf;
    ngx_http_waav_metrics_conf_t  *mc;

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_waav_module);

    if (wmcf->metrics == NULL) {
        mc = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_metrics_conf_t));
        if (mc == NULL) {
            return NULL;
        }

        mc->size = 1024 * 1024;
        mc->tenants = 50;
        wmcf->metrics = mc;
    }

    return wmcf->metrics;
}


/* waav_metrics_zone SIZE [tenants=N] */
char *
ngx_http_waav_metrics_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ssize_t                        size;
    ngx_int_t                      n;
    ngx_str_t                     *value;
    ngx_http_waav_metrics_conf_t  *mc;

    ngx_http_waav_unused(cmd);
    ngx_http_waav_unused(conf);

    mc = ngx_http_waav_metrics_conf(cf);
    if (mc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (mc->declared) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[1]);
    if (size < 64 * 1024) {
        return "takes a size of 64k or more";
    }

    mc->size = (size_t) size;
    mc->declared = 1;

    if (cf->args->nelts == 3) {
        if (value[2].len <= 8
            || ngx_strncmp(value[2].data, "tenants=", 8) != 0)
        {
            return "takes tenants=N after the size";
        }

        n = ngx_atoi(value[2].data + 8, value[2].len - 8);
        if (n == NGX_ERROR || n > 100000) {
            return "takes tenants= from 0 to 100000";
        }

        mc->tenants = (ngx_uint_t) n;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_waav_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_unused(cmd);

    if (ngx_http_waav_metrics_conf(cf) == NULL) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_waav_set_handler(cf, conf, ngx_http_waav_metrics_handler);
}


static ngx_int_t
ngx_http_waav_metrics_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_http_waav_metrics_conf_t  *octx = data;
    ngx_http_waav_metrics_conf_t  *mc = zone->data;

    size_t            size;
    ngx_uint_t        n;
    ngx_slab_pool_t  *shpool;

    shpool = (ngx_slab_pool_t *) zone->shm.addr;
    mc->shpool = shpool;

    if (octx) {
        mc->sh = octx->sh;
        return NGX_OK;
    }

    if (zone->shm.exists) {
        mc->sh = shpool->data;
        return NGX_OK;
    }

    /* as many series as the slab's free pages hold */
    n = (shpool->pfree * ngx_pagesize
         - offsetof(ngx_http_waav_metrics_sh_t, series))
        / sizeof(ngx_http_waav_metrics_series_t);

    for ( ;; ) {
        size = offsetof(ngx_http_waav_metrics_sh_t, series)
               + n * sizeof(ngx_http_waav_metrics_series_t);

        mc->sh = ngx_slab_calloc(shpool, size);

        if (mc->sh || n < 16) {
            break;
        }

        n -= n / 16 + 1;
    }

    if (mc->sh == NULL) {
        return NGX_ERROR;
    }

    mc->sh->nseries = n;
    shpool->data = mc->sh;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, zone->shm.log, 0,
                   "waav metrics: zone holds %ui series", n);

    return NGX_OK;
}


/* the zone (when waav_metrics or waav_metrics_zone is used), the log
 * phase's counting and the log variables' */
ngx_int_t
ngx_http_waav_metrics_init(ngx_conf_t *cf)
{
    ngx_str_t                      name = ngx_string("waav_metrics");
    ngx_http_handler_pt           *h;
    ngx_http_waav_main_conf_t     *wmcf;
    ngx_http_core_main_conf_t     *cmcf;
    ngx_http_waav_metrics_conf_t  *mc;

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_waav_module);
    mc = wmcf->metrics;

    if (mc == NULL) {
        return NGX_OK;
    }

    mc->zone = ngx_shared_memory_add(cf, &name, mc->size,
                                     &ngx_http_waav_module);
    if (mc->zone == NULL) {
        return NGX_ERROR;
    }

    if (mc->zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the zone name \"waav_metrics\" is waav's own");
        return NGX_ERROR;
    }

    mc->zone->init = ngx_http_waav_metrics_init_zone;
    mc->zone->data = mc;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_waav_metrics_log;

    return NGX_OK;
}


/* --- the series ---------------------------------------------------------- */

static ngx_http_waav_metrics_conf_t *
ngx_http_waav_metrics_get(ngx_http_request_t *r)
{
    ngx_http_waav_main_conf_t     *wmcf;
    ngx_http_waav_metrics_conf_t  *mc;

    if (r) {
        wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);

    } else {
        wmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                                   ngx_http_waav_module);
    }

    mc = wmcf ? wmcf->metrics : NULL;

    return (mc && mc->sh) ? mc : NULL;
}


/* the series of a family with these labels; created when asked (bounded:
 * not beyond the tenants' bound); NULL: none, or no room */
static ngx_http_waav_metrics_series_t *
ngx_http_waav_metrics_find(ngx_http_waav_metrics_conf_t *mc,
    ngx_uint_t family, waav_metrics_key_t *k, ngx_uint_t create)
{
    ngx_uint_t                       i, n, hash, probe;
    ngx_http_waav_metrics_sh_t      *sh;
    ngx_http_waav_metrics_series_t  *s;

    sh = mc->sh;
    n = sh->nseries;
    hash = ngx_murmur_hash2((u_char *) k->data, k->len) ^ (family << 24);

    for (probe = 0, i = hash % n;
         probe < NGX_HTTP_WAAV_METRICS_PROBES;
         probe++, i = (i + 1) % n)
    {
        s = &sh->series[i];

        if (s->state == 0) {
            break;
        }

        if (s->hash == hash && s->family == family && s->key_len == k->len
            && ngx_memcmp(s->key, k->data, k->len) == 0)
        {
            return s;
        }
    }

    if (!create) {
        return NULL;
    }

    ngx_shmtx_lock(&mc->shpool->mutex);

    /* again, locked: another worker may have made it meanwhile */
    for (probe = 0, i = hash % n;
         probe < NGX_HTTP_WAAV_METRICS_PROBES;
         probe++, i = (i + 1) % n)
    {
        s = &sh->series[i];

        if (s->state == 0) {
            if (create == NGX_HTTP_WAAV_METRICS_BOUNDED) {
                if (sh->tenants >= mc->tenants) {
                    break;
                }

                sh->tenants++;
            }

            s->hash = hash;
            s->family = family;
            s->key_len = k->len;
            ngx_memcpy(s->key, k->data, k->len);
            ngx_memory_barrier();
            s->state = 1;

            ngx_shmtx_unlock(&mc->shpool->mutex);
            return s;
        }

        if (s->hash == hash && s->family == family && s->key_len == k->len
            && ngx_memcmp(s->key, k->data, k->len) == 0)
        {
            ngx_shmtx_unlock(&mc->shpool->mutex);
            return s;
        }
    }

    ngx_shmtx_unlock(&mc->shpool->mutex);

    if (create != NGX_HTTP_WAAV_METRICS_BOUNDED) {
        (void) ngx_atomic_fetch_add(&sh->dropped, 1);
    }

    return NULL;
}


static void
ngx_http_waav_metrics_add(ngx_http_waav_metrics_conf_t *mc,
    ngx_uint_t family, waav_metrics_key_t *k, ngx_atomic_int_t v)
{
    ngx_http_waav_metrics_series_t  *s;

    s = ngx_http_waav_metrics_find(mc, family, k,
                                   NGX_HTTP_WAAV_METRICS_CREATE);
    if (s) {
        (void) ngx_atomic_fetch_add(&s->values[0], v);
    }
}


static void
ngx_http_waav_metrics_observe(ngx_http_waav_metrics_conf_t *mc,
    ngx_uint_t family, waav_metrics_key_t *k, ngx_msec_t ms)
{
    ngx_http_waav_metrics_series_t  *s;

    s = ngx_http_waav_metrics_find(mc, family, k,
                                   NGX_HTTP_WAAV_METRICS_CREATE);
    if (s) {
        (void) ngx_atomic_fetch_add(&s->values[waav_metrics_bucket(ms)], 1);
        (void) ngx_atomic_fetch_add(&s->values[WAAV_METRICS_BUCKETS + 1],
                                    (ngx_atomic_int_t) ms);
    }
}


/* a usage counter by provider and tenant: the first N tenants' own */
static void
ngx_http_waav_metrics_tenant(ngx_http_waav_metrics_conf_t *mc,
    ngx_uint_t family, ngx_http_waav_ctx_t *ctx, ngx_http_waav_obs_t *obs,
    uint64_t n)
{
    waav_metrics_key_t               k;
    ngx_http_waav_metrics_series_t  *s;

    waav_metrics_key_init(&k);
    waav_metrics_key_add(&k, "provider", (char *) obs->provider.data,
                         obs->provider.len);
    waav_metrics_key_add(&k, "tenant", (char *) ctx->tenant.data,
                         ctx->tenant.len);

    s = ngx_http_waav_metrics_find(mc, family, &k,
                                   NGX_HTTP_WAAV_METRICS_BOUNDED);

    if (s == NULL) {
        waav_metrics_key_init(&k);
        waav_metrics_key_add(&k, "provider", (char *) obs->provider.data,
                             obs->provider.len);
        waav_metrics_key_add(&k, "tenant", "other", 5);

        s = ngx_http_waav_metrics_find(mc, family, &k,
                                       NGX_HTTP_WAAV_METRICS_CREATE);
    }

    if (s) {
        (void) ngx_atomic_fetch_add(&s->values[0], (ngx_atomic_int_t) n);
    }
}


/* --- the log phase: each request counted once ---------------------------- */

static void
ngx_http_waav_metrics_provider_kind(waav_metrics_key_t *k,
    ngx_http_waav_obs_t *obs, ngx_uint_t kind)
{
    waav_metrics_key_init(k);
    waav_metrics_key_add(k, "provider", (char *) obs->provider.data,
                         obs->provider.len);

    if (kind) {
        waav_metrics_key_add(k, "kind",
            (char *) ngx_http_waav_metrics_kinds[obs->stt].data,
            ngx_http_waav_metrics_kinds[obs->stt].len);
    }
}


/* a provider call's latency, first audio and usage (ctx: the tenant) */
static void
ngx_http_waav_metrics_calls(ngx_http_waav_metrics_conf_t *mc,
    ngx_http_waav_ctx_t *ctx, ngx_http_waav_obs_t *obs)
{
    waav_metrics_key_t  k;

    if (obs->answered) {
        ngx_http_waav_metrics_provider_kind(&k, obs, 1);
        ngx_http_waav_metrics_observe(mc, WAAV_M_PROVIDER_LATENCY, &k,
                                      obs->call_ms);
    }

    if (obs->ttfb) {
        ngx_http_waav_metrics_provider_kind(&k, obs, 0);
        ngx_http_waav_metrics_observe(mc, WAAV_M_TTS_FIRST_AUDIO, &k,
                                      obs->ttfb_ms);
    }

    if (obs->tts_chars) {
        ngx_http_waav_metrics_tenant(mc, WAAV_M_TTS_CHARS, ctx, obs,
                                     obs->tts_chars);
    }

    if (obs->stt_seconds) {
        ngx_http_waav_metrics_tenant(mc, WAAV_M_STT_SECONDS, ctx, obs,
                                     obs->stt_seconds);
    }
}


static ngx_int_t
ngx_http_waav_metrics_log(ngx_http_request_t *r)
{
    const char                    *class;
    waav_metrics_key_t             k;
    ngx_http_waav_ctx_t           *ctx;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_waav_loc_conf_t      *wlcf;
    ngx_http_waav_metrics_conf_t  *mc;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (r != r->main || !wlcf->handled) {
        return NGX_OK;
    }

    mc = ngx_http_waav_metrics_get(r);
    if (mc == NULL) {
        return NGX_OK;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    ctx = ngx_http_waav_find_ctx(r);
    /* the status $status logs */
    class = waav_metrics_status_class(r->err_status ? r->err_status
                                                    : r->headers_out.status);

    waav_metrics_key_init(&k);
    waav_metrics_key_add(&k, "route", (char *) clcf->name.data,
                         clcf->name.len);
    waav_metrics_key_add(&k, "provider",
                         ctx ? (char *) ctx->obs.provider.data : NULL,
                         ctx ? ctx->obs.provider.len : 0);
    waav_metrics_key_add(&k, "status", class, ngx_strlen(class));
    ngx_http_waav_metrics_add(mc, WAAV_M_REQUESTS, &k, 1);

    if (ctx == NULL || ctx->obs.provider.len == 0) {
        return NGX_OK;
    }

    ngx_http_waav_metrics_calls(mc, ctx, &ctx->obs);

    return NGX_OK;
}


/* --- the concerns' calls ------------------------------------------------- */

void
ngx_http_waav_metrics_refused(ngx_http_request_t *r, ngx_str_t *zone,
    const char *kind)
{
    waav_metrics_key_t             k;
    ngx_http_waav_ctx_t           *ctx;
    ngx_http_waav_metrics_conf_t  *mc;

    ctx = ngx_http_waav_get_ctx(r->main);

    if (ctx) {
        if (zone) {
            ctx->obs.limit_zone = *zone;
            ctx->obs.limit_kind = kind;

        } else {
            ctx->obs.limit_unavailable = 1;
        }
    }

    mc = ngx_http_waav_metrics_get(r);
    if (mc == NULL) {
        return;
    }

    waav_metrics_key_init(&k);
    waav_metrics_key_add(&k, "zone", zone ? (char *) zone->data : "",
                         zone ? zone->len : 0);
    waav_metrics_key_add(&k, "kind", kind, ngx_strlen(kind));
    ngx_http_waav_metrics_add(mc, WAAV_M_LIMIT_REFUSALS, &k, 1);
}


void
ngx_http_waav_metrics_redis(ngx_http_waav_redis_t *rd, ngx_int_t up)
{
    u_char                         port[NGX_INT_T_LEN];
    size_t                         len;
    ngx_uint_t                     family;
    waav_metrics_key_t             k;
    ngx_http_waav_metrics_conf_t  *mc;

    /* called before rd->ready changes: a change only */
    if ((up == 1 && rd->ready) || (up == -1 && !rd->ready)) {
        return;
    }

    mc = ngx_http_waav_metrics_get(NULL);
    if (mc == NULL) {
        return;
    }

    /* host:port, never the URL (it may carry a password) */
    len = ngx_sprintf(port, "%d", (int) rd->port) - port;

    waav_metrics_key_init(&k);
    waav_metrics_key_add(&k, "host", (char *) rd->host.data, rd->host.len);
    waav_metrics_key_add(&k, "port", (char *) port, len);

    family = up ? WAAV_M_REDIS_CONNECTIONS : WAAV_M_REDIS_ERRORS;
    ngx_http_waav_metrics_add(mc, family, &k, up ? up : 1);
}


void
ngx_http_waav_metrics_ws_call(ngx_http_request_t *r,
    ngx_http_waav_obs_t *obs)
{
    ngx_http_waav_ctx_t           *ctx;
    ngx_http_waav_metrics_conf_t  *mc;

    mc = ngx_http_waav_metrics_get(r);
    ctx = ngx_http_waav_find_ctx(r);

    if (mc == NULL || ctx == NULL) {
        return;
    }

    ngx_http_waav_metrics_calls(mc, ctx, obs);
}


void
ngx_http_waav_metrics_ws_stt(ngx_http_request_t *r, ngx_str_t *provider,
    uint64_t seconds)
{
    ngx_http_waav_obs_t  obs;

    ngx_memzero(&obs, sizeof(ngx_http_waav_obs_t));
    obs.provider = *provider;
    obs.stt = 1;
    obs.stt_seconds = seconds;

    ngx_http_waav_metrics_ws_call(r, &obs);
}


void
ngx_http_waav_metrics_ws(ngx_http_request_t *r, ngx_uint_t open)
{
    waav_metrics_key_t             k;
    ngx_http_waav_ctx_t           *ctx;
    ngx_http_waav_metrics_conf_t  *mc;

    ctx = ngx_http_waav_find_ctx(r->main);
    mc = ngx_http_waav_metrics_get(r);

    if (ctx == NULL || mc == NULL || ctx->obs.ws_open == open) {
        return;
    }

    ctx->obs.ws_open = open;

    waav_metrics_key_init(&k);
    ngx_http_waav_metrics_add(mc, WAAV_M_WS_SESSIONS, &k, open ? 1 : -1);

    if (open) {
        ngx_http_waav_metrics_add(mc, WAAV_M_WS_SESSIONS_TOTAL, &k, 1);
    }
}


/* --- the exposition ------------------------------------------------------ */

/* one family's series; NGX_ERROR: the buffer is full */
static ngx_int_t
ngx_http_waav_metrics_family(ngx_http_waav_metrics_sh_t *sh,
    ngx_uint_t family, waav_buf_t *b)
{
    size_t                           len;
    uint64_t                         v[WAAV_METRICS_VALUES];
    ngx_uint_t                       i, j, header;
    ngx_http_waav_metrics_series_t  *s;

    header = 0;

    for (i = 0; i < sh->nseries; i++) {
        s = &sh->series[i];

        if (s->state == 0 || s->family != family) {
            continue;
        }

        len = b->len;

        if (!header) {
            waav_metrics_write_family(b, family);
            header = 1;
        }

        for (j = 0; j < WAAV_METRICS_VALUES; j++) {
            v[j] = (uint64_t) s->values[j];
        }

        waav_metrics_write_series(b, family, (char *) s->key, s->key_len, v);

        if (b->overflow) {
            b->len = len;
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the bytes the series take at most */
static size_t
ngx_http_waav_metrics_size(ngx_http_waav_metrics_sh_t *sh)
{
    size_t      size, line;
    ngx_uint_t  i;

    line = 64 + WAAV_METRICS_KEY_MAX + 32 + NGX_INT64_LEN;
    size = 1024 + WAAV_M_FAMILIES * 256;

    for (i = 0; i < sh->nseries; i++) {
        if (sh->series[i].state == 0) {
            continue;
        }

        size += (waav_metrics_families[sh->series[i].family].type
                 == WAAV_METRICS_HISTOGRAM)
                ? line * (WAAV_METRICS_BUCKETS + 3) : line;
    }

    return size;
}


static ngx_int_t
ngx_http_waav_metrics_handler(ngx_http_request_t *r)
{
    u_char                        *p;
    size_t                         size;
    ngx_int_t                      rc;
    ngx_buf_t                     *out;
    ngx_uint_t                     f;
    ngx_chain_t                    cl;
    waav_buf_t                     b;
    ngx_http_waav_metrics_conf_t  *mc;

    static u_char  info[] = "version=\"" NGX_HTTP_WAAV_VERSION "\","
                            "nginx=\"" NGINX_VERSION "\"";

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_waav_not_allowed(r, "GET, HEAD", "GET or HEAD");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    mc = ngx_http_waav_metrics_get(r);
    if (mc == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    size = ngx_http_waav_metrics_size(mc->sh);

    p = ngx_pnalloc(r->pool, size + 1);
    out = ngx_calloc_buf(r->pool);
    if (p == NULL || out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    waav_buf_init(&b, (char *) p, size);
    waav_metrics_write_info(&b, "waav_build_info",
                            "waav's version and nginx's, as a gauge of 1.",
                            (char *) info, sizeof(info) - 1);

    /* series made after the size was taken wait for the next scrape */
    for (f = 0; f < WAAV_M_FAMILIES; f++) {
        if (ngx_http_waav_metrics_family(mc->sh, f, &b) != NGX_OK) {
            break;
        }
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav metrics: %uz bytes, %uA series dropped",
                   b.len, mc->sh->dropped);

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = (off_t) b.len;
    ngx_str_set(&r->headers_out.content_type, "text/plain; version=0.0.4");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out->pos = p;
    out->last = p + b.len;
    out->memory = 1;
    out->last_buf = 1;
    out->last_in_chain = 1;

    cl.buf = out;
    cl.next = NULL;

    return ngx_http_output_filter(r, &cl);
}
