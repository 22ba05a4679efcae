/*
 * waav: waav_auth, WaaV's bearer-token authentication, and /livekit/token.
 *
 *   waav_auth_secret tenant-a env:TENANT_A_SECRET;   # WaaV's API secrets
 *   waav_auth_jwt_key hs256 env:AUTH_JWT_SECRET kid=2026-11;
 *   waav_auth_jwt_key rs256 file:/etc/waav/jwt.pub.pem;
 *   location /speak { waav_auth on; waav_tts; }
 *
 * An access-phase handler: the token comes from "Authorization: Bearer"
 * or, when that header is absent, ?token=.  API secrets are compared in
 * constant time; JWTs are verified (src/core/waav_jwt.c) and remembered
 * per worker until they expire, so the signature is not paid again.
 * Failures answer WaaV's 401 {"error": "...", "message": "..."}.
 */

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cjson/cJSON.h>

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_auth.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
#include "waav_jwt.h"
#include "waav_livekit.h"


#define NGX_HTTP_WAAV_SECRET_MAX   4096
#define NGX_HTTP_WAAV_PEM_MAX      16384
#define NGX_HTTP_WAAV_NOEXP_TTL    300


static ngx_int_t ngx_http_waav_auth_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_auth_fail(ngx_http_request_t *r,
    const char *code, const char *message);
static ngx_int_t ngx_http_waav_livekit_handler(ngx_http_request_t *r);
static void ngx_http_waav_livekit_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_auth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_waav_auth_vars[] = {

    { ngx_string("waav_tenant"), NULL, ngx_http_waav_auth_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_auth_method"), NULL, ngx_http_waav_auth_variable, 1,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/* --- configuration ------------------------------------------------------ */

static char *
ngx_http_waav_add_secret(ngx_conf_t *cf, ngx_http_waav_main_conf_t *wmcf,
    ngx_str_t *id, ngx_str_t *secret)
{
    waav_api_secret_t  *s;

    if (id->len == 0 || id->len > WAAV_TENANT_MAX) {
        return "needs an id of 1-256 bytes";
    }

    if (wmcf->secrets == NULL) {
        wmcf->secrets = ngx_array_create(cf->pool, 4,
                                         sizeof(waav_api_secret_t));
        if (wmcf->secrets == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    s = ngx_array_push(wmcf->secrets);
    if (s == NULL) {
        return NGX_CONF_ERROR;
    }

    s->id.data = (char *) id->data;
    s->id.len = id->len;
    s->secret.data = (char *) secret->data;
    s->secret.len = secret->len;

    return NGX_CONF_OK;
}


/* waav_auth_secret ID SECRET|env:NAME|file:PATH; an empty one is skipped */
char *
ngx_http_waav_auth_secret(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t  *value, secret;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;

    if (ngx_http_waav_conf_value(cf, &value[2], NGX_HTTP_WAAV_SECRET_MAX, 1,
                                 &secret)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (secret.len == 0) {
        return NGX_CONF_OK;
    }

    return ngx_http_waav_add_secret(cf, conf, &value[1], &secret);
}


/* waav_auth_secrets_json env:AUTH_API_SECRETS_JSON: [{"id", "secret"}] */
char *
ngx_http_waav_auth_secrets_json(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char         *rv;
    cJSON        *list, *item, *id, *secret;
    ngx_str_t    *value, json, sid, ssecret;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;

    if (ngx_http_waav_conf_value(cf, &value[1], 1024 * 1024, 1, &json)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (json.len == 0) {
        return NGX_CONF_OK;
    }

    list = cJSON_ParseWithLength((char *) json.data, json.len);

    if (list == NULL || !cJSON_IsArray(list)) {
        cJSON_Delete(list);
        return "needs a JSON array of {\"id\": ..., \"secret\": ...}";
    }

    rv = NGX_CONF_OK;

    cJSON_ArrayForEach(item, list) {
        id = cJSON_GetObjectItemCaseSensitive(item, "id");
        secret = cJSON_GetObjectItemCaseSensitive(item, "secret");

        if (!cJSON_IsString(id) || !cJSON_IsString(secret)
            || secret->valuestring[0] == '\0')
        {
            rv = "needs a JSON array of {\"id\": ..., \"secret\": ...}";
            break;
        }

        sid.len = ngx_strlen(id->valuestring);
        sid.data = ngx_pstrdup(cf->pool, &(ngx_str_t) { sid.len,
                                                        (u_char *) id->valuestring });
        ssecret.len = ngx_strlen(secret->valuestring);
        ssecret.data = ngx_pstrdup(cf->pool,
                                   &(ngx_str_t) { ssecret.len,
                                                  (u_char *) secret->valuestring });

        if (sid.data == NULL || ssecret.data == NULL) {
            rv = NGX_CONF_ERROR;
            break;
        }

        rv = ngx_http_waav_add_secret(cf, conf, &sid, &ssecret);
        if (rv != NGX_CONF_OK) {
            break;
        }
    }

    cJSON_Delete(list);

    return rv;
}


/* the key's type must fit the algorithm: found now, not on a request */
static ngx_int_t
ngx_http_waav_pem_check(ngx_str_t *pem, waav_jwt_alg_e alg)
{
    int        ok;
    BIO       *bio;
    EVP_PKEY  *pk;
    char       group[64];
    size_t     glen;

    bio = BIO_new_mem_buf(pem->data, (int) pem->len);
    if (bio == NULL) {
        return NGX_ERROR;
    }

    pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);

    if (pk == NULL) {
        return NGX_ERROR;
    }

    if (alg == WAAV_JWT_RS256) {
        ok = EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA;

    } else {
        ok = EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC
             && EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) == 1
             && ngx_strcmp(group, "prime256v1") == 0;
    }

    EVP_PKEY_free(pk);

    return ok ? NGX_OK : NGX_ERROR;
}


/* waav_auth_jwt_key hs256|rs256|es256 KEY [kid=ID]; empty keys skipped */
char *
ngx_http_waav_auth_jwt_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_main_conf_t  *wmcf = conf;

    ngx_str_t        *value, key;
    ngx_uint_t        i;
    waav_jwt_alg_e    alg;
    waav_jwt_key_t   *k;
    u_char            upper[8];

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;

    if (value[1].len != 5) {
        return "takes hs256, rs256 or es256";
    }

    for (i = 0; i < 5; i++) {
        upper[i] = ngx_toupper(value[1].data[i]);
    }

    alg = waav_jwt_alg_parse((char *) upper, 5);
    if (alg == 0) {
        return "takes hs256, rs256 or es256";
    }

    if (ngx_http_waav_conf_value(cf, &value[2], NGX_HTTP_WAAV_PEM_MAX,
                                 alg == WAAV_JWT_HS256, &key)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (key.len == 0) {
        return NGX_CONF_OK;
    }

    if (alg == WAAV_JWT_HS256 && key.len < 32) {
        return "needs an HS256 secret of at least 32 bytes";
    }

    if (alg != WAAV_JWT_HS256 && ngx_http_waav_pem_check(&key, alg) != NGX_OK)
    {
        return alg == WAAV_JWT_RS256
               ? "needs an RSA public key in PEM (-----BEGIN PUBLIC KEY-----)"
               : "needs a P-256 EC public key in PEM (-----BEGIN PUBLIC KEY-----)";
    }

    if (wmcf->jwt.nkeys == WAAV_JWT_MAX_KEYS) {
        return "takes at most 16 keys";
    }

    k = &wmcf->jwt.keys[wmcf->jwt.nkeys];
    ngx_memzero(k, sizeof(waav_jwt_key_t));
    k->alg = alg;
    k->key.data = (char *) key.data;
    k->key.len = key.len;

    for (i = 3; i < cf->args->nelts; i++) {
        if (value[i].len > 4 && ngx_strncmp(value[i].data, "kid=", 4) == 0) {
            k->kid.data = (char *) value[i].data + 4;
            k->kid.len = value[i].len - 4;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    wmcf->jwt.nkeys++;

    return NGX_CONF_OK;
}


/* --- the access phase ------------------------------------------------------ */

/* WaaV's shape: {"error": "<code>", "message": "<text>"} */
static ngx_int_t
ngx_http_waav_auth_fail(ngx_http_request_t *r, const char *code,
    const char *message)
{
    cJSON      *json;
    char       *s;
    u_char     *body;
    size_t      len;
    ngx_int_t   rc;
    ngx_uint_t  status;

    static ngx_str_t  www = ngx_string("WWW-Authenticate");
    static ngx_str_t  bearer = ngx_string("Bearer");

    status = ngx_strcmp(code, "config_error") == 0
             ? NGX_HTTP_INTERNAL_SERVER_ERROR : NGX_HTTP_UNAUTHORIZED;

    json = cJSON_CreateObject();
    if (json == NULL
        || cJSON_AddStringToObject(json, "error", code) == NULL
        || cJSON_AddStringToObject(json, "message", message) == NULL
        || (s = cJSON_PrintUnformatted(json)) == NULL)
    {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_Delete(json);

    len = ngx_strlen(s);
    body = ngx_pnalloc(r->pool, len);
    if (body != NULL) {
        ngx_memcpy(body, s, len);
    }

    cJSON_free(s);

    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status == NGX_HTTP_UNAUTHORIZED
        && ngx_http_waav_add_header(r, &www, &bearer) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_waav_send_json(r, status, body, len);

    /* answered here: finalize and stop the phases */
    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


/* the bearer token; NGX_DECLINED: none at all; NGX_ERROR: malformed */
static ngx_int_t
ngx_http_waav_auth_token(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char      *dst, *src;
    ngx_str_t    arg;
    ngx_uint_t   i;

    if (r->headers_in.authorization) {
        *token = r->headers_in.authorization->value;

        /* WaaV takes exactly "Bearer " (case-sensitive) */
        if (token->len <= 7 || ngx_strncmp(token->data, "Bearer ", 7) != 0) {
            return NGX_ERROR;
        }

        token->data += 7;
        token->len -= 7;

        for (i = 0; i < token->len; i++) {
            if (token->data[i] <= ' ' || token->data[i] >= 0x7f) {
                return NGX_ERROR;
            }
        }

        return NGX_OK;
    }

    if (ngx_http_arg(r, (u_char *) "token", 5, &arg) != NGX_OK
        || arg.len == 0)
    {
        return NGX_DECLINED;
    }

    /* form-url-decoded, as WaaV reads it */
    token->data = ngx_pnalloc(r->pool, arg.len);
    if (token->data == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < arg.len; i++) {
        token->data[i] = (arg.data[i] == '+') ? ' ' : arg.data[i];
    }

    src = token->data;
    dst = token->data;
    ngx_unescape_uri(&dst, &src, arg.len, 0);
    token->len = dst - token->data;

    return token->len ? NGX_OK : NGX_DECLINED;
}


/*
 * The cache is direct-mapped: a token has one slot (a cheap hash picks
 * it), holds the whole token (compared in constant time) and is replaced
 * by the next token that maps there.  Tokens over 1 KiB are not cached.
 */
static ngx_http_waav_token_t *
ngx_http_waav_token_slot(ngx_http_waav_main_conf_t *wmcf, ngx_str_t *token)
{
    uint32_t  h;

    if (wmcf->token_cache == NULL
        || token->len > NGX_HTTP_WAAV_CACHED_TOKEN_MAX)
    {
        return NULL;
    }

    h = ngx_murmur_hash2(token->data, token->len);

    return &wmcf->token_cache[h % (uint32_t) wmcf->token_cache_size];
}


static ngx_int_t
ngx_http_waav_auth_jwt(ngx_http_request_t *r, ngx_http_waav_main_conf_t *wmcf,
    ngx_str_t *token, ngx_http_waav_ctx_t *ctx, waav_err_t *err)
{
    time_t                  now;
    waav_jwt_claims_t       claims;
    ngx_http_waav_token_t  *t;

    now = ngx_time();
    t = ngx_http_waav_token_slot(wmcf, token);

    if (t) {
        if (t->expires > now
            && waav_ct_equal((char *) token->data, token->len,
                             (char *) t->token, t->token_len))
        {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "waav: token from the worker's cache");

            /* the slot may be reused by another token: copy */
            ctx->tenant.data = ngx_pnalloc(r->pool, t->tenant_len);
            if (ctx->tenant.data == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(ctx->tenant.data, t->tenant, t->tenant_len);
            ctx->tenant.len = t->tenant_len;
            ctx->auth_method = "jwt";
            return NGX_OK;
        }
    }

    if (waav_jwt_verify(&wmcf->jwt, (char *) token->data, token->len, now,
                        &claims, err)
        != 0)
    {
        return NGX_ERROR;
    }

    ctx->tenant.data = ngx_pnalloc(r->pool, claims.tenant_len);
    if (ctx->tenant.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->tenant.data, claims.tenant, claims.tenant_len);
    ctx->tenant.len = claims.tenant_len;
    ctx->auth_method = "jwt";

    if (t) {
        ngx_memcpy(t->token, token->data, token->len);
        t->token_len = token->len;
        ngx_memcpy(t->tenant, claims.tenant, claims.tenant_len);
        t->tenant_len = claims.tenant_len;

        /* until the token expires, and not for ever when it never does */
        t->expires = now + NGX_HTTP_WAAV_NOEXP_TTL;
        if (claims.exp && claims.exp < t->expires) {
            t->expires = claims.exp;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_waav_auth_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc, i;
    ngx_str_t                   token;
    waav_err_t                  err;
    ngx_http_waav_ctx_t        *ctx;
    ngx_http_waav_loc_conf_t   *wlcf;
    ngx_http_waav_main_conf_t  *wmcf;
    waav_api_secret_t          *secrets;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->auth != 1 || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_waav_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->auth_done) {
        return NGX_OK;
    }

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);

    if (wmcf->secrets == NULL && wmcf->jwt.nkeys == 0) {
        return ngx_http_waav_auth_fail(r, "config_error",
                   "Auth configuration error: Authentication required but "
                   "no auth method configured");
    }

    rc = ngx_http_waav_auth_token(r, &token);

    if (rc == NGX_DECLINED) {
        return ngx_http_waav_auth_fail(r, "missing_auth_header",
                                       "Missing Authorization header");
    }

    if (rc != NGX_OK) {
        return ngx_http_waav_auth_fail(r, "invalid_auth_header",
                                       "Invalid Authorization header format");
    }

    if (token.len > WAAV_JWT_MAX_TOKEN) {
        return ngx_http_waav_auth_fail(r, "unauthorized",
                                       "Unauthorized: token too large");
    }

    if (wmcf->secrets) {
        secrets = wmcf->secrets->elts;
        i = waav_api_secret_match(secrets, wmcf->secrets->nelts,
                                  (char *) token.data, token.len);

        if (i >= 0) {
            ctx->tenant.data = (u_char *) secrets[i].id.data;
            ctx->tenant.len = secrets[i].id.len;
            ctx->auth_method = "api_secret";
            ctx->auth_done = 1;
            return NGX_OK;
        }

        if (wmcf->jwt.nkeys == 0) {
            return ngx_http_waav_auth_fail(r, "unauthorized",
                                       "Unauthorized: Invalid API secret");
        }
    }

    ngx_memzero(&err, sizeof(waav_err_t));

    if (ngx_http_waav_auth_jwt(r, wmcf, &token, ctx, &err) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "waav: token refused: %s", err.message);

        return ngx_http_waav_auth_fail(r, "unauthorized",
                                       err.message[0] ? err.message
                                                      : "Unauthorized");
    }

    ctx->auth_done = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_waav_auth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r->main);

    if (ctx == NULL || !ctx->auth_done) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data == 0) {
        v->data = ctx->tenant.data;
        v->len = ctx->tenant.len;

    } else {
        v->data = (u_char *) ctx->auth_method;
        v->len = ngx_strlen(ctx->auth_method);
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* --- /livekit/token ------------------------------------------------------ */

/* waav_livekit api_key=... api_secret=... url=... [ttl=6h]; */
char *
ngx_http_waav_livekit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_main_conf_t  *wmcf = conf;

    size_t       plen;
    ngx_str_t   *value, v;
    ngx_uint_t   i, j;

    /* the env:/file:/literal parameters */
    struct {
        const char  *name;
        ngx_str_t   *field;
        size_t       max;
    } params[] = {
        { "api_key=", &wmcf->livekit_key, 1024 },
        { "api_secret=", &wmcf->livekit_secret, 1024 },
        { "url=", &wmcf->livekit_url, 2048 },
    };

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        for (j = 0; j < sizeof(params) / sizeof(params[0]); j++) {
            plen = ngx_strlen(params[j].name);

            if (ngx_strncmp(value[i].data, params[j].name, plen) == 0) {
                break;
            }
        }

        if (j < sizeof(params) / sizeof(params[0])) {
            v.data = value[i].data + plen;
            v.len = value[i].len - plen;

            if (ngx_http_waav_conf_value(cf, &v, params[j].max, 1,
                                         params[j].field)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            v.data = value[i].data + 4;
            v.len = value[i].len - 4;

            wmcf->livekit_ttl = ngx_parse_time(&v, 1);

            if (wmcf->livekit_ttl == (time_t) NGX_ERROR
                || wmcf->livekit_ttl <= 0)
            {
                return "has an invalid ttl";
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


char *
ngx_http_waav_livekit_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_unused(cmd);

    return ngx_http_waav_set_handler(cf, conf, ngx_http_waav_livekit_handler);
}


static ngx_int_t
ngx_http_waav_livekit_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_waav_not_allowed(r, "POST", "POST");
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_waav_livekit_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* adds a string member; cJSON wants it NUL-terminated */
static ngx_int_t
ngx_http_waav_json_add(ngx_http_request_t *r, cJSON *obj, const char *name,
    waav_str_t value)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, value.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, value.data, value.len);
    p[value.len] = '\0';

    return cJSON_AddStringToObject(obj, name, (char *) p) ? NGX_OK : NGX_ERROR;
}


/* a required non-blank string field of at most max bytes */
static const char *
ngx_http_waav_livekit_field(cJSON *root, const char *name, size_t max,
    waav_str_t *out, char *msg, size_t size)
{
    cJSON       *item;
    const char  *p;
    size_t       len;

    item = cJSON_GetObjectItemCaseSensitive(root, name);

    if (!cJSON_IsString(item)) {
        ngx_snprintf((u_char *) msg, size, "Invalid request: %s is required%Z",
                     name);
        return msg;
    }

    len = ngx_strlen(item->valuestring);

    for (p = item->valuestring; *p == ' ' || *p == '\t' || *p == '\n'
                                || *p == '\r'; p++) { /* void */ }

    if (*p == '\0') {
        ngx_snprintf((u_char *) msg, size,
                     "Invalid request: %s cannot be empty%Z", name);
        return msg;
    }

    if (len > max) {
        ngx_snprintf((u_char *) msg, size,
                     "Invalid request: %s exceeds maximum length of %uz "
                     "characters%Z", name, max);
        return msg;
    }

    out->data = item->valuestring;
    out->len = len;

    return NULL;
}


static void
ngx_http_waav_livekit_body(ngx_http_request_t *r)
{
    char                       *s, msg[160];
    cJSON                      *root, *resp;
    u_char                     *body;
    size_t                      len;
    ngx_int_t                   rc;
    ngx_chain_t                *cl;
    const char                 *bad;
    waav_err_t                  err;
    waav_str_t                  room, tenant, token;
    waav_alloc_t                a;
    ngx_http_waav_ctx_t        *ctx;
    waav_livekit_grant_t        g;
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);

    /* WaaV checks the configuration before the fields */
    if (wmcf->livekit_key.len == 0 || wmcf->livekit_secret.len == 0) {
        rc = ngx_http_waav_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "Failed to generate LiveKit token: LiveKit "
                                 "service not configured",
                                 "LIVEKIT_NOT_CONFIGURED");
        ngx_http_finalize_request(r, rc);
        return;
    }

    len = 0;
    body = NULL;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        if (ngx_buf_size(cl->buf) == 0) {
            continue;
        }

        if (cl->buf->in_file || body != NULL) {
            rc = ngx_http_waav_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                     "Request body too large",
                                     "PAYLOAD_TOO_LARGE");
            ngx_http_finalize_request(r, rc);
            return;
        }

        body = cl->buf->pos;
        len = cl->buf->last - cl->buf->pos;
    }

    root = body ? cJSON_ParseWithLength((char *) body, len) : NULL;

    if (root == NULL || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        rc = ngx_http_waav_error(r, NGX_HTTP_BAD_REQUEST,
                                 "Failed to parse the request body as JSON",
                                 "INVALID_JSON");
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_memzero(&g, sizeof(waav_livekit_grant_t));

    bad = ngx_http_waav_livekit_field(root, "room_name", 256, &room,
                                      msg, sizeof(msg));
    if (bad == NULL) {
        bad = ngx_http_waav_livekit_field(root, "participant_name", 128,
                                          &g.name, msg, sizeof(msg));
    }

    if (bad == NULL) {
        bad = ngx_http_waav_livekit_field(root, "participant_identity", 256,
                                          &g.identity, msg, sizeof(msg));
    }

    if (bad) {
        cJSON_Delete(root);
        rc = ngx_http_waav_send_error(r, NGX_HTTP_BAD_REQUEST, bad,
                                      ngx_strlen(bad), "INVALID_REQUEST");
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_waav_allocator(r->pool, &a);

    ctx = ngx_http_waav_find_ctx(r);
    tenant.data = (ctx && ctx->auth_done) ? (char *) ctx->tenant.data : "";
    tenant.len = (ctx && ctx->auth_done) ? ctx->tenant.len : 0;

    /*
     * "<tenant>_<room>": with a '_' in tenant ids, tenant "a" asking for
     * room "b_c" would get tenant "a_b"'s room "c".
     */
    if (ngx_strlchr((u_char *) tenant.data, (u_char *) tenant.data + tenant.len,
                    '_'))
    {
        cJSON_Delete(root);
        rc = ngx_http_waav_error(r, NGX_HTTP_FORBIDDEN,
                                 "Tenant ids with '_' cannot have LiveKit "
                                 "rooms: rename the tenant",
                                 "INVALID_TENANT");
        ngx_http_finalize_request(r, rc);
        return;
    }

    g.api_key.data = (char *) wmcf->livekit_key.data;
    g.api_key.len = wmcf->livekit_key.len;
    g.api_secret.data = (char *) wmcf->livekit_secret.data;
    g.api_secret.len = wmcf->livekit_secret.len;
    g.ttl = wmcf->livekit_ttl;
    g.now = ngx_time();

    ngx_memzero(&err, sizeof(waav_err_t));

    if (waav_livekit_room(tenant, room, &a, &g.room) != 0
        || waav_livekit_token(&g, &a, &token, &err) != 0)
    {
        cJSON_Delete(root);
        rc = ngx_http_waav_error(r, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                 "Failed to generate LiveKit token: "
                                 "signing failed", "LIVEKIT_TOKEN_ERROR");
        ngx_http_finalize_request(r, rc);
        return;
    }

    resp = cJSON_CreateObject();
    s = NULL;

    if (resp == NULL
        || ngx_http_waav_json_add(r, resp, "token", token) != NGX_OK
        || ngx_http_waav_json_add(r, resp, "room_name", g.room) != NGX_OK
        || ngx_http_waav_json_add(r, resp, "participant_identity", g.identity)
           != NGX_OK
        || ngx_http_waav_json_add(r, resp, "livekit_url",
                                  (waav_str_t) { (char *) wmcf->livekit_url.data,
                                                 wmcf->livekit_url.len })
           != NGX_OK
        || (s = cJSON_PrintUnformatted(resp)) == NULL)
    {
        cJSON_Delete(resp);
        cJSON_Delete(root);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cJSON_Delete(resp);
    cJSON_Delete(root);

    len = ngx_strlen(s);
    body = ngx_pnalloc(r->pool, len);

    if (body) {
        ngx_memcpy(body, s, len);
    }

    cJSON_free(s);

    if (body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_waav_send_json(r, NGX_HTTP_OK, body,
                                                         len));
}


/* --- set-up ------------------------------------------------------------- */

ngx_int_t
ngx_http_waav_auth_add_variables(ngx_conf_t *cf)
{
    return ngx_http_waav_add_variables(cf, ngx_http_waav_auth_vars);
}


ngx_int_t
ngx_http_waav_auth_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_waav_module);

    wmcf->jwt.issuer.data = (char *) wmcf->jwt_issuer.data;
    wmcf->jwt.issuer.len = wmcf->jwt_issuer.len;
    wmcf->jwt.audience.data = (char *) wmcf->jwt_audience.data;
    wmcf->jwt.audience.len = wmcf->jwt_audience.len;

    if (wmcf->jwt_tenant_claim.len > 63) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "waav_auth_jwt_tenant_claim is longer than 63 bytes");
        return NGX_ERROR;
    }

    if (wmcf->jwt_tenant_claim.len) {
        wmcf->jwt.tenant_claim.data = (char *) wmcf->jwt_tenant_claim.data;
        wmcf->jwt.tenant_claim.len = wmcf->jwt_tenant_claim.len;

    } else {
        wmcf->jwt.tenant_claim.data = "sub";
        wmcf->jwt.tenant_claim.len = 3;
    }

    wmcf->jwt.leeway = (wmcf->jwt_leeway == NGX_CONF_UNSET)
                       ? 30 : (long) wmcf->jwt_leeway;

    if (wmcf->token_cache_size == NGX_CONF_UNSET) {
        wmcf->token_cache_size = 1024;
    }

    if (wmcf->livekit_ttl == NGX_CONF_UNSET) {
        wmcf->livekit_ttl = 6 * 3600;
    }

    /* one table per configuration, copied into each worker on fork */
    if (wmcf->jwt.nkeys && wmcf->token_cache_size > 0) {
        wmcf->token_cache = ngx_pcalloc(cf->pool,
                                        (size_t) wmcf->token_cache_size
                                        * sizeof(ngx_http_waav_token_t));
        if (wmcf->token_cache == NULL) {
            return NGX_ERROR;
        }
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_waav_auth_handler;

    return NGX_OK;
}
