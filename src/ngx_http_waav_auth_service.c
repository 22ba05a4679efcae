/*
 * waav: WaaV's external auth service (AUTH_SERVICE_URL).
 *
 *   waav_auth_service location=/_waav/auth-service
 *                     signing_key=file:/etc/waav/auth-signing.pem
 *                     [cache=10s] [zone=waav_auth:1m];
 *
 *   location = /_waav/auth-service {          # make run writes it
 *       internal;
 *       proxy_pass https://auth.example.com/validate;
 *       proxy_read_timeout 5s;                 # AUTH_TIMEOUT_SECONDS
 *   }
 *
 * A token no API secret (nor JWT key) takes is sent as WaaV sends it: a
 * JWT signed with the private key (RS256 or ES256, as the key is), POSTed
 * as application/jwt (src/core/waav_auth_svc.c), by a subrequest to the
 * internal location: no blocking, nginx's upstream (TLS verification,
 * timeouts, keepalive) does the rest.  200 allows, its {"id"} the tenant;
 * 401 and other 4xx refuse (401, WaaV's bodies); no answer, a timeout or
 * a 5xx is 503: never open.
 *
 * An allowing answer is kept cache= seconds (default 10, 0: none) in a
 * shared zone every worker sees, keyed by SHA-256 of the method, the path
 * and the token (never the token itself, never logged): one slot a key,
 * direct-mapped, the newest answer taking its slot.  Refusals are not
 * kept: a token just made valid works at once.  Why a zone rather than
 * proxy_cache: the answer is one small fixed record, read under the
 * zone's mutex with no file, and the key stays a hash nginx never sees.
 */

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_auth_service.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_util.h"
#include "waav_auth_svc.h"
#include "waav_jwt.h"


#define NGX_HTTP_WAAV_AUTH_PEM_MAX    16384
#define NGX_HTTP_WAAV_AUTH_BODY_MAX   500       /* WaaV's cap, echoed */
#define NGX_HTTP_WAAV_AUTH_MAGIC      0x77616175


typedef struct {
    u_char                key[32];
    time_t                expires;
    size_t                tenant_len;
    u_char                tenant[WAAV_TENANT_MAX];
} ngx_http_waav_auth_slot_t;


typedef struct {
    uint32_t              magic;
    ngx_uint_t            n;
} ngx_http_waav_auth_head_t;


typedef struct {
    ngx_str_t                   location;
    ngx_str_t                   key;            /* PEM */
    waav_auth_svc_alg_e         alg;
    time_t                      ttl;
    ngx_uint_t                  n;              /* slots */
    ngx_shm_zone_t             *zone;
    ngx_slab_pool_t            *shpool;
    ngx_http_waav_auth_slot_t  *slots;
} ngx_http_waav_auth_service_t;


/* --- configuration ------------------------------------------------------ */

static ngx_int_t
ngx_http_waav_auth_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_waav_auth_head_t     *head;
    ngx_http_waav_auth_service_t  *svc = shm_zone->data;

    svc->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    head = data ? svc->shpool->data : NULL;

    if (head && head->magic == NGX_HTTP_WAAV_AUTH_MAGIC && head->n == svc->n)
    {
        svc->slots = (ngx_http_waav_auth_slot_t *) (head + 1);
        return NGX_OK;
    }

    head = ngx_slab_calloc(svc->shpool, sizeof(ngx_http_waav_auth_head_t)
                           + svc->n * sizeof(ngx_http_waav_auth_slot_t));
    if (head == NULL) {
        return NGX_ERROR;
    }

    head->magic = NGX_HTTP_WAAV_AUTH_MAGIC;
    head->n = svc->n;

    svc->slots = (ngx_http_waav_auth_slot_t *) (head + 1);
    svc->shpool->data = head;
    svc->shpool->log_nomem = 0;

    return NGX_OK;
}


/* the private key: RSA (RS256) or P-256 (ES256), as WaaV takes them */
static char *
ngx_http_waav_auth_signing_key(ngx_http_waav_auth_service_t *svc)
{
    int        ok;
    BIO       *bio;
    EVP_PKEY  *pk;
    char       group[64];
    size_t     glen;

    bio = BIO_new_mem_buf(svc->key.data, (int) svc->key.len);
    if (bio == NULL) {
        return NGX_CONF_ERROR;
    }

    pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);

    if (pk == NULL) {
        return "signing_key= needs an RSA or P-256 EC private key in PEM";
    }

    ok = 1;

    if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
        svc->alg = WAAV_AUTH_SVC_RS256;

    } else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC
               && EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen)
                  == 1
               && ngx_strcmp(group, "prime256v1") == 0)
    {
        svc->alg = WAAV_AUTH_SVC_ES256;

    } else {
        ok = 0;
    }

    EVP_PKEY_free(pk);

    return ok ? NGX_CONF_OK
              : "signing_key= needs an RSA or P-256 EC private key in PEM";
}


static char *
ngx_http_waav_auth_zone(ngx_conf_t *cf, ngx_http_waav_auth_service_t *svc,
    ngx_str_t *spec)
{
    u_char     *p;
    ssize_t     size;
    ngx_str_t   name, s;

    p = (u_char *) ngx_strchr(spec->data, ':');

    if (p == NULL) {
        return "zone= takes NAME:SIZE";
    }

    name.data = spec->data;
    name.len = p - spec->data;
    s.data = p + 1;
    s.len = spec->data + spec->len - s.data;

    size = ngx_parse_size(&s);

    if (name.len == 0 || size == NGX_ERROR || size < 8 * (ssize_t) ngx_pagesize)
    {
        return "zone= takes NAME:SIZE, at least 8 pages";
    }

    /* half of it for the slots: the slab's own pages and rounding */
    svc->n = (size / 2) / sizeof(ngx_http_waav_auth_slot_t);

    svc->zone = ngx_shared_memory_add(cf, &name, size, &ngx_http_waav_module);
    if (svc->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (svc->zone->data) {
        return "zone= names a zone in use";
    }

    svc->zone->init = ngx_http_waav_auth_init_zone;
    svc->zone->data = svc;

    return NGX_CONF_OK;
}


/* waav_auth_service location=URI signing_key=file:PATH [cache=T] [zone=] */
char *
ngx_http_waav_auth_service(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_main_conf_t  *wmcf = conf;

    char                          *rv;
    ngx_str_t                     *value, key, zone, v;
    ngx_uint_t                     i;
    ngx_http_waav_auth_service_t  *svc;

    ngx_http_waav_unused(cmd);

    if (wmcf->auth_service) {
        return "is duplicate";
    }

    svc = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_auth_service_t));
    if (svc == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;
    svc->ttl = 10;
    ngx_str_set(&zone, "waav_auth:1m");
    ngx_str_null(&key);

    for (i = 1; i < cf->args->nelts; i++) {
        v = value[i];

        if (v.len > 9 && ngx_strncmp(v.data, "location=", 9) == 0) {
            svc->location.data = v.data + 9;
            svc->location.len = v.len - 9;

        } else if (v.len > 12 && ngx_strncmp(v.data, "signing_key=", 12) == 0)
        {
            key.data = v.data + 12;
            key.len = v.len - 12;

        } else if (v.len > 6 && ngx_strncmp(v.data, "cache=", 6) == 0) {
            v.data += 6;
            v.len -= 6;
            svc->ttl = ngx_parse_time(&v, 1);

            if (svc->ttl == (time_t) NGX_ERROR) {
                return "cache= takes a time (10s, 0 for none)";
            }

        } else if (v.len > 5 && ngx_strncmp(v.data, "zone=", 5) == 0) {
            zone.data = v.data + 5;
            zone.len = v.len - 5;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (svc->location.len == 0 || svc->location.data[0] != '/'
        || key.len == 0)
    {
        return "needs location=/internal/location and signing_key=";
    }

    if (ngx_http_waav_conf_value(cf, &key, NGX_HTTP_WAAV_AUTH_PEM_MAX, 0,
                                 &svc->key)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (svc->key.len == 0) {
        return "signing_key= is empty";
    }

    rv = ngx_http_waav_auth_signing_key(svc);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (svc->ttl) {
        rv = ngx_http_waav_auth_zone(cf, svc, &zone);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    wmcf->auth_service = svc;

    return NGX_CONF_OK;
}


/* --- the cache ----------------------------------------------------------- */

static void
ngx_http_waav_auth_key(ngx_http_request_t *r, ngx_str_t *token, u_char *key)
{
    u_char      *p, *last;
    unsigned     n;
    EVP_MD_CTX  *md;

    /* the raw path, as WaaV's uri().path() */
    p = r->unparsed_uri.data;
    last = ngx_strlchr(p, p + r->unparsed_uri.len, '?');
    if (last == NULL) {
        last = p + r->unparsed_uri.len;
    }

    md = EVP_MD_CTX_new();

    if (md == NULL
        || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1
        || EVP_DigestUpdate(md, r->method_name.data, r->method_name.len) != 1
        || EVP_DigestUpdate(md, "\0", 1) != 1
        || EVP_DigestUpdate(md, p, last - p) != 1
        || EVP_DigestUpdate(md, "\0", 1) != 1
        || EVP_DigestUpdate(md, token->data, token->len) != 1
        || EVP_DigestFinal_ex(md, key, &n) != 1)
    {
        /* no key: a slot nobody matches */
        ngx_memset(key, 0xff, 32);
    }

    EVP_MD_CTX_free(md);
}


static ngx_http_waav_auth_slot_t *
ngx_http_waav_auth_slot(ngx_http_waav_auth_service_t *svc, u_char *key)
{
    uint32_t  h;

    ngx_memcpy(&h, key, sizeof(uint32_t));

    return &svc->slots[h % svc->n];
}


/* NGX_OK: a live answer for key, the tenant set */
static ngx_int_t
ngx_http_waav_auth_cached(ngx_http_request_t *r,
    ngx_http_waav_auth_service_t *svc, u_char *key, ngx_http_waav_ctx_t *ctx)
{
    u_char                     *tenant;
    size_t                      len;
    ngx_int_t                   rc;
    ngx_http_waav_auth_slot_t  *slot;

    if (svc->slots == NULL) {
        return NGX_DECLINED;
    }

    tenant = ngx_pnalloc(r->pool, WAAV_TENANT_MAX);
    if (tenant == NULL) {
        return NGX_ERROR;
    }

    slot = ngx_http_waav_auth_slot(svc, key);
    rc = NGX_DECLINED;
    len = 0;

    ngx_shmtx_lock(&svc->shpool->mutex);

    if (slot->expires > ngx_time() && ngx_memcmp(slot->key, key, 32) == 0) {
        len = slot->tenant_len;
        ngx_memcpy(tenant, slot->tenant, len);
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&svc->shpool->mutex);

    if (rc == NGX_OK) {
        ctx->tenant.data = tenant;
        ctx->tenant.len = len;
    }

    return rc;
}


static void
ngx_http_waav_auth_store(ngx_http_waav_auth_service_t *svc, u_char *key,
    ngx_str_t *tenant)
{
    ngx_http_waav_auth_slot_t  *slot;

    if (svc->slots == NULL || tenant->len > WAAV_TENANT_MAX) {
        return;
    }

    slot = ngx_http_waav_auth_slot(svc, key);

    ngx_shmtx_lock(&svc->shpool->mutex);

    ngx_memcpy(slot->key, key, 32);
    if (tenant->len) {
        ngx_memcpy(slot->tenant, tenant->data, tenant->len);
    }
    slot->tenant_len = tenant->len;
    slot->expires = ngx_time() + svc->ttl;

    ngx_shmtx_unlock(&svc->shpool->mutex);
}


/* --- the question -------------------------------------------------------- */

/* the client's headers, for the claims (the core filters them) */
static ngx_int_t
ngx_http_waav_auth_headers(ngx_http_request_t *r, waav_auth_svc_req_t *req)
{
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    n = 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        n += part->nelts;
    }

    n = ngx_min(n, 2 * WAAV_AUTH_SVC_MAX_HEADERS);

    req->headers = ngx_palloc(r->pool, (n + 1)
                                       * sizeof(waav_auth_svc_header_t));
    if (req->headers == NULL) {
        return NGX_ERROR;
    }

    req->nheaders = 0;

    for (part = &r->headers_in.headers.part; part; part = part->next) {
        h = part->elts;

        for (i = 0; i < part->nelts && req->nheaders < n; i++) {
            req->headers[req->nheaders].name.data = (char *) h[i].key.data;
            req->headers[req->nheaders].name.len = h[i].key.len;
            req->headers[req->nheaders].value.data = (char *) h[i].value.data;
            req->headers[req->nheaders].value.len = h[i].value.len;
            req->nheaders++;
        }
    }

    return NGX_OK;
}


static ngx_int_t ngx_http_waav_auth_answered(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);


/* the signed question, as a subrequest of call->parent */
static ngx_int_t
ngx_http_waav_auth_send(ngx_http_request_t *r,
    ngx_http_waav_auth_service_t *svc, ngx_str_t *token,
    ngx_http_waav_auth_call_t *call)
{
    u_char                    *p;
    ngx_buf_t                 *b;
    waav_err_t                 err;
    ngx_chain_t               *cl;
    waav_alloc_t               a;
    waav_str_t                 jwt;
    waav_http_req_t            preq;
    waav_auth_svc_req_t        req;
    ngx_http_waav_provider_t   pv;

    ngx_memzero(&req, sizeof(waav_auth_svc_req_t));
    req.token.data = (char *) token->data;
    req.token.len = token->len;
    req.method.data = (char *) r->method_name.data;
    req.method.len = r->method_name.len;

    p = ngx_strlchr(r->unparsed_uri.data,
                    r->unparsed_uri.data + r->unparsed_uri.len, '?');
    req.path.data = (char *) r->unparsed_uri.data;
    req.path.len = p ? (size_t) (p - r->unparsed_uri.data)
                     : r->unparsed_uri.len;
    req.now = (long) ngx_time();

    if (ngx_http_waav_auth_headers(r, &req) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_waav_allocator(call->pool, &a);
    ngx_memzero(&err, sizeof(waav_err_t));

    if (waav_auth_svc_sign(&req, svc->alg, (waav_str_t) {
                               (char *) svc->key.data, svc->key.len },
                           &a, &jwt, &err)
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "waav: auth service: %s", err.message);
        return NGX_ERROR;
    }

    b = ngx_calloc_buf(call->pool);
    cl = ngx_alloc_chain_link(call->pool);
    if (b == NULL || cl == NULL) {
        return NGX_ERROR;
    }

    b->pos = (u_char *) jwt.data;
    b->last = b->pos + jwt.len;
    b->memory = 1;
    b->last_buf = 1;
    cl->buf = b;
    cl->next = NULL;

    ngx_memzero(&preq, sizeof(waav_http_req_t));
    preq.method = "POST";
    preq.headers[0].name = "Content-Type";
    preq.headers[0].value.data = "application/jwt";
    preq.headers[0].value.len = sizeof("application/jwt") - 1;
    preq.nheaders = 1;

    ngx_memzero(&pv, sizeof(ngx_http_waav_provider_t));
    ngx_str_set(&pv.name, "auth service");
    pv.location = svc->location;

    return ngx_http_waav_call(call->parent, &pv, &preq, cl, (off_t) jwt.len,
                              ngx_http_waav_auth_answered, call,
                              NGX_HTTP_SUBREQUEST_IN_MEMORY
                              |NGX_HTTP_SUBREQUEST_WAITED
                              |(call->session
                                ? NGX_HTTP_SUBREQUEST_BACKGROUND : 0),
                              &call->sr)
           == NGX_OK ? NGX_OK : NGX_ERROR;
}


ngx_int_t
ngx_http_waav_auth_service_ask(ngx_http_request_t *r, ngx_str_t *token,
    ngx_pool_t *pool, ngx_http_request_t *parent, ngx_uint_t session)
{
    ngx_int_t                      rc;
    ngx_http_waav_ctx_t           *ctx;
    ngx_http_waav_auth_call_t     *call;
    ngx_http_waav_main_conf_t     *wmcf;
    ngx_http_waav_auth_service_t  *svc;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);
    svc = wmcf->auth_service;
    ctx = ngx_http_waav_get_ctx(r);

    if (ctx == NULL) {
        return NGX_ERROR;
    }

    call = ngx_pcalloc(pool, sizeof(ngx_http_waav_auth_call_t));
    if (call == NULL) {
        return NGX_ERROR;
    }

    call->pool = pool;
    call->parent = parent;
    call->session = session ? 1 : 0;

    ngx_http_waav_auth_key(r, token, call->key);

    rc = ngx_http_waav_auth_cached(r, svc, call->key, ctx);

    if (rc != NGX_DECLINED) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "waav auth service: cached answer, rc %i", rc);
        return rc;
    }

    if (ngx_http_waav_auth_send(r, svc, token, call) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->auth_call = call;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav auth service: asked, %ui-byte token", token->len);

    return NGX_AGAIN;
}


static ngx_int_t
ngx_http_waav_auth_answered(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_waav_auth_call_t *call = data;

    ngx_buf_t  *b;

    if (call->sr != sr || call->done) {
        return rc;
    }

    call->done = 1;
    call->rc = rc;
    call->status = sr->headers_out.status;

    b = sr->out ? sr->out->buf : NULL;

    if (b && b->last > b->pos) {
        call->len = ngx_min((size_t) (b->last - b->pos),
                            WAAV_AUTH_SVC_ANSWER_MAX);
        call->body = ngx_pnalloc(call->pool, call->len);

        if (call->body == NULL) {
            call->len = 0;

        } else {
            ngx_memcpy(call->body, b->pos, call->len);
        }
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sr->connection->log, 0,
                   "waav auth service: answered, rc %i, status %ui",
                   rc, call->status);

    if (call->session) {
        /* a session's call wakes nobody by itself: the session is told */
        (void) ngx_http_post_request(sr->main, NULL);
    }

    /* the caller answers the client, never nginx's error page */
    return NGX_OK;
}


/* --- the answer ---------------------------------------------------------- */

/* WaaV's messages: "<prefix><body, 500 bytes at most>" */
static u_char *
ngx_http_waav_auth_message(ngx_pool_t *pool, const char *prefix,
    ngx_http_waav_auth_call_t *call)
{
    u_char  *m, *p;
    size_t   n, len;

    n = ngx_min(call->len, NGX_HTTP_WAAV_AUTH_BODY_MAX);
    len = ngx_strlen(prefix) + n + sizeof("... (truncated)");

    m = ngx_pnalloc(pool, len);
    if (m == NULL) {
        return (u_char *) "Unauthorized";
    }

    p = ngx_cpymem(m, prefix, ngx_strlen(prefix));
    p = ngx_cpymem(p, call->body, n);

    if (call->len > NGX_HTTP_WAAV_AUTH_BODY_MAX) {
        p = ngx_cpymem(p, "... (truncated)", sizeof("... (truncated)") - 1);
    }

    *p = '\0';

    return m;
}


ngx_int_t
ngx_http_waav_auth_service_verdict(ngx_http_request_t *r,
    ngx_http_waav_auth_verdict_t *v)
{
    int                            rc;
    u_char                         prefix[64];
    waav_str_t                     id;
    waav_alloc_t                   a;
    ngx_http_waav_ctx_t           *ctx;
    ngx_http_waav_auth_call_t     *call;
    ngx_http_waav_main_conf_t     *wmcf;

    ctx = ngx_http_waav_find_ctx(r);
    call = ctx ? ctx->auth_call : NULL;

    if (call == NULL || !call->done) {
        return NGX_AGAIN;
    }

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);

    /* no answer (refused, timed out, too big), or a 5xx: never open */
    if (call->rc != NGX_OK || call->status == 0
        || call->status >= NGX_HTTP_INTERNAL_SERVER_ERROR)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "waav: auth service unavailable: rc %i, status %ui",
                      call->rc, call->status);

        v->status = NGX_HTTP_SERVICE_UNAVAILABLE;

        if (call->rc != NGX_OK || call->status == 0) {
            v->code = "auth_service_unavailable";
            v->message = (u_char *) "Auth service unavailable: no answer";

        } else {
            ngx_sprintf(prefix, "Auth service error (%ui): %Z", call->status);
            v->code = "auth_service_error";
            v->message = ngx_http_waav_auth_message(r->pool,
                                                    (char *) prefix, call);
        }

        return NGX_DECLINED;
    }

    if (call->status == NGX_HTTP_UNAUTHORIZED) {
        v->status = NGX_HTTP_UNAUTHORIZED;
        v->code = "unauthorized";
        v->message = ngx_http_waav_auth_message(r->pool, "Unauthorized: ",
                                                call);
        return NGX_DECLINED;
    }

    if (call->status != NGX_HTTP_OK) {
        ngx_sprintf(prefix, "Auth service error (%ui): %Z", call->status);
        v->status = NGX_HTTP_UNAUTHORIZED;
        v->code = "auth_service_error";
        v->message = ngx_http_waav_auth_message(r->pool, (char *) prefix,
                                                call);
        return NGX_DECLINED;
    }

    ngx_http_waav_allocator(r->pool, &a);

    rc = waav_auth_svc_answer((char *) call->body, call->len, &a, &id);

    if (rc < 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "waav: auth service answered an id that cannot be a "
                      "tenant (empty, over 256 bytes, or a control byte)");
        v->status = NGX_HTTP_SERVICE_UNAVAILABLE;
        v->code = "auth_service_error";
        v->message = (u_char *) "Auth service error: invalid id";
        return NGX_DECLINED;
    }

    ctx->tenant.data = (u_char *) id.data;
    ctx->tenant.len = id.len;

    ngx_http_waav_auth_store(wmcf->auth_service, call->key, &ctx->tenant);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav auth service: allowed, tenant \"%V\"", &ctx->tenant);

    return NGX_OK;
}
