/*
 * waav: the authentication directives: API secrets (waav_auth_secret,
 * waav_auth_secrets_json) and JWT keys (waav_auth_jwt_key,
 * waav_auth_jwt_jwks), read and checked at configuration time, never in a
 * worker.  The access phase that uses them is ngx_http_waav_auth.c.
 */

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cjson/cJSON.h>

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_auth.h"
#include "ngx_http_waav_util.h"
#include "waav_jwt.h"
#include "waav_jwks.h"


#define NGX_HTTP_WAAV_SECRET_MAX   4096
#define NGX_HTTP_WAAV_PEM_MAX      16384


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

        /* cJSON's strings go with the list: copies in the pool */
        sid.len = ngx_strlen(id->valuestring);
        sid.data = (u_char *) id->valuestring;
        sid.data = ngx_pstrdup(cf->pool, &sid);
        ssecret.len = ngx_strlen(secret->valuestring);
        ssecret.data = (u_char *) secret->valuestring;
        ssecret.data = ngx_pstrdup(cf->pool, &ssecret);

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
               : "needs a P-256 EC public key in PEM "
                 "(-----BEGIN PUBLIC KEY-----)";
    }

    if (wmcf->jwt.nkeys == WAAV_JWT_MAX_KEYS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "more than %d JWT keys in all", WAAV_JWT_MAX_KEYS);
        return NGX_CONF_ERROR;
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


/*
 * waav_auth_jwt_jwks file:PATH|env:NAME|JSON; an identity provider's JWK
 * Set (RS256 and ES256 keys, with their kids), read now, never in a worker.
 */
char *
ngx_http_waav_auth_jwt_jwks(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_main_conf_t  *wmcf = conf;

    int            n;
    ngx_str_t     *value, json;
    waav_err_t     err;
    waav_alloc_t   a;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;

    if (ngx_http_waav_conf_value(cf, &value[1], WAAV_JWKS_MAX_SIZE, 1, &json)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    /* an unset variable is no key, as for waav_auth_jwt_key */
    if (json.len == 0) {
        return ngx_strncmp(value[1].data, "env:", 4) == 0
               ? NGX_CONF_OK : "needs a JWK Set: {\"keys\": [...]}";
    }

    ngx_http_waav_allocator(cf->pool, &a);
    ngx_memzero(&err, sizeof(waav_err_t));

    n = waav_jwks_parse((char *) json.data, json.len, wmcf->jwt.keys,
                        WAAV_JWT_MAX_KEYS, &wmcf->jwt.nkeys, &a, &err);

    if (n < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s in \"%V\"",
                           err.message, &value[1]);
        return NGX_CONF_ERROR;
    }

    ngx_conf_log_error(NGX_LOG_INFO, cf, 0, "%d JWT key(s) from \"%V\"",
                       n, &value[1]);

    return NGX_CONF_OK;
}
