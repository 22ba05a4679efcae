/*
 * waav: JWK Set to JWT verification keys (see waav_jwks.h).
 *
 * Each key's numbers are decoded from base64url, checked for size, built
 * into an EVP_PKEY with OpenSSL 3's EVP_PKEY_fromdata(), checked with
 * EVP_PKEY_public_check() (an EC point must be on the curve) and written
 * out as a PEM public key.
 */

#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "waav_base64.h"
#include "waav_jwks.h"


#define WAAV_JWKS_RSA_MIN    256            /* modulus bytes: 2048 bits */
#define WAAV_JWKS_RSA_MAX    1024           /* 8192 bits */
#define WAAV_JWKS_E_MAX      8
#define WAAV_JWKS_P256       32             /* bytes of a P-256 coordinate */
#define WAAV_JWKS_B64_MAX    1400           /* base64url of RSA_MAX + slack */

/* what one member of keys[] turned out to be */
#define WAAV_JWK_SKIPPED     0
#define WAAV_JWK_TAKEN       1


static int
waav_jwks_fail(waav_err_t *err, size_t i, const char *why)
{
    return waav_err_set(err, 500, "config_error", "JWKS key %zu: %s", i, why);
}


/* an optional string member: 0 absent, 1 present, -1 not a string */
static int
waav_jwks_member(const cJSON *jwk, const char *name, const char **out)
{
    const cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(jwk, name);

    if (item == NULL) {
        return 0;
    }

    if (!cJSON_IsString(item)) {
        return -1;
    }

    *out = item->valuestring;

    return 1;
}


/*
 * A required base64url member decoded into out (cap bytes); leading zero
 * bytes of an unsigned big-endian integer are dropped when strip.
 * Returns the length, or -1.
 */
static long
waav_jwks_bytes(const cJSON *jwk, const char *name, unsigned char *out,
    size_t cap, int strip)
{
    long        n, z;
    size_t      len;
    const char  *s;

    if (waav_jwks_member(jwk, name, &s) != 1) {
        return -1;
    }

    len = strlen(s);

    if (len == 0 || len > WAAV_JWKS_B64_MAX) {
        return -1;
    }

    n = waav_b64url_decode(s, len, out, cap);

    if (n <= 0 || !strip) {
        return n;
    }

    for (z = 0; z < n && out[z] == 0; z++) { /* void */ }

    memmove(out, out + z, (size_t) (n - z));

    return n - z;
}


/* the public key, checked, as PEM text into k (allocator memory); 0 or -1 */
static int
waav_jwks_pem(EVP_PKEY *pk, waav_jwt_key_t *k, waav_alloc_t *a)
{
    int            ok;
    BIO           *bio;
    char          *pem, *data;
    long           n;
    EVP_PKEY_CTX  *check;

    check = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    ok = check != NULL && EVP_PKEY_public_check(check) == 1;
    EVP_PKEY_CTX_free(check);

    bio = ok ? BIO_new(BIO_s_mem()) : NULL;
    pem = NULL;

    if (bio && PEM_write_bio_PUBKEY(bio, pk) == 1) {
        n = BIO_get_mem_data(bio, &data);
        pem = (n > 0) ? waav_alloc(a, (size_t) n) : NULL;

        if (pem) {
            memcpy(pem, data, (size_t) n);
            k->key.data = pem;
            k->key.len = (size_t) n;
        }
    }

    BIO_free(bio);

    return pem ? 0 : -1;
}


/* a key of type name ("RSA", "EC") from its public parameters into k */
static int
waav_jwks_fromdata(const char *name, OSSL_PARAM *params, waav_jwt_key_t *k,
    waav_alloc_t *a)
{
    int            rc;
    EVP_PKEY      *pk;
    EVP_PKEY_CTX  *ctx;

    rc = -1;
    pk = NULL;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);

    if (ctx != NULL
        && EVP_PKEY_fromdata_init(ctx) == 1
        && EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) == 1)
    {
        rc = waav_jwks_pem(pk, k, a);
    }

    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(ctx);

    return rc;
}


static int
waav_jwks_rsa(const cJSON *jwk, size_t i, waav_jwt_key_t *k, waav_alloc_t *a,
    waav_err_t *err)
{
    int              rc;
    long             nlen, elen;
    BIGNUM          *bn_n, *bn_e;
    OSSL_PARAM      *params;
    OSSL_PARAM_BLD  *bld;
    unsigned char    n[WAAV_JWKS_RSA_MAX + 1], e[WAAV_JWKS_E_MAX + 1];

    nlen = waav_jwks_bytes(jwk, "n", n, sizeof(n), 1);

    if (nlen < WAAV_JWKS_RSA_MIN || nlen > WAAV_JWKS_RSA_MAX) {
        return waav_jwks_fail(err, i, "an RSA key needs \"n\", base64url of "
                              "a 2048 to 8192-bit modulus");
    }

    elen = waav_jwks_bytes(jwk, "e", e, sizeof(e), 1);

    if (elen <= 0 || elen > WAAV_JWKS_E_MAX || (e[elen - 1] & 1) == 0
        || (elen == 1 && e[0] < 3))
    {
        return waav_jwks_fail(err, i, "an RSA key needs \"e\", base64url of "
                              "an odd exponent of at most 64 bits");
    }

    rc = -1;
    params = NULL;
    bn_n = BN_bin2bn(n, (int) nlen, NULL);
    bn_e = BN_bin2bn(e, (int) elen, NULL);
    bld = OSSL_PARAM_BLD_new();

    if (bn_n && bn_e && bld
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1
        && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL)
    {
        rc = waav_jwks_fromdata("RSA", params, k, a);
    }

    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);

    if (rc != 0) {
        return waav_jwks_fail(err, i, "OpenSSL refused the RSA key");
    }

    k->alg = WAAV_JWT_RS256;

    return WAAV_JWK_TAKEN;
}


static int
waav_jwks_ec(const cJSON *jwk, size_t i, waav_jwt_key_t *k, waav_alloc_t *a,
    waav_err_t *err)
{
    OSSL_PARAM      params[3];
    unsigned char   point[1 + 2 * WAAV_JWKS_P256];
    char            group[] = "prime256v1";

    /* the uncompressed point: 04 || x || y, each exactly 32 bytes */
    point[0] = 0x04;

    if (waav_jwks_bytes(jwk, "x", point + 1, WAAV_JWKS_P256, 0)
        != WAAV_JWKS_P256
        || waav_jwks_bytes(jwk, "y", point + 1 + WAAV_JWKS_P256,
                           WAAV_JWKS_P256, 0)
           != WAAV_JWKS_P256)
    {
        return waav_jwks_fail(err, i, "a P-256 key needs \"x\" and \"y\", "
                              "base64url of 32 bytes each");
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                 group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                                  point, sizeof(point));
    params[2] = OSSL_PARAM_construct_end();

    if (waav_jwks_fromdata("EC", params, k, a) != 0) {
        return waav_jwks_fail(err, i, "the point is not on the P-256 curve");
    }

    k->alg = WAAV_JWT_ES256;

    return WAAV_JWK_TAKEN;
}


/* "kid": optional, 1-256 printable ASCII bytes, copied */
static int
waav_jwks_kid(const cJSON *jwk, size_t i, waav_jwt_key_t *k, waav_alloc_t *a,
    waav_err_t *err)
{
    int          rc;
    char        *p;
    size_t       len, j;
    const char  *kid;

    rc = waav_jwks_member(jwk, "kid", &kid);

    if (rc == 0) {
        return 0;
    }

    len = (rc == 1) ? strlen(kid) : 0;

    for (j = 0; j < len; j++) {
        if (kid[j] < 0x20 || kid[j] > 0x7e) {
            break;
        }
    }

    if (len == 0 || len > WAAV_JWKS_MAX_KID || j < len) {
        return waav_jwks_fail(err, i, "\"kid\" must be 1-256 printable "
                              "ASCII characters");
    }

    p = waav_alloc(a, len);
    if (p == NULL) {
        return waav_err_set(err, 500, "config_error", "out of memory");
    }

    memcpy(p, kid, len);
    k->kid.data = p;
    k->kid.len = len;

    return 0;
}


/* what kind of key: WAAV_JWK_SKIPPED, WAAV_JWK_TAKEN (filled in) or -1 */
static int
waav_jwks_key(const cJSON *jwk, size_t i, waav_jwt_key_t *k, waav_alloc_t *a,
    waav_err_t *err)
{
    int          rsa;
    const char  *kty, *use, *alg, *crv;

    if (!cJSON_IsObject(jwk)) {
        return waav_jwks_fail(err, i, "not a JSON object");
    }

    if (waav_jwks_member(jwk, "kty", &kty) != 1) {
        return waav_jwks_fail(err, i, "\"kty\" is missing or not a string");
    }

    use = "sig";
    alg = NULL;
    crv = NULL;

    if (waav_jwks_member(jwk, "use", &use) < 0
        || waav_jwks_member(jwk, "alg", &alg) < 0
        || waav_jwks_member(jwk, "crv", &crv) < 0)
    {
        return waav_jwks_fail(err, i, "\"use\", \"alg\" and \"crv\" must be "
                              "strings");
    }

    rsa = strcmp(kty, "RSA") == 0;

    /* another use, algorithm, key type or curve: not ours to verify with */
    if (strcmp(use, "sig") != 0
        || (rsa && alg && strcmp(alg, "RS256") != 0)
        || (!rsa && (strcmp(kty, "EC") != 0 || crv == NULL
                     || strcmp(crv, "P-256") != 0
                     || (alg && strcmp(alg, "ES256") != 0))))
    {
        return WAAV_JWK_SKIPPED;
    }

    if (cJSON_GetObjectItemCaseSensitive(jwk, "d") != NULL) {
        return waav_jwks_fail(err, i, "a private key (\"d\"): publish only "
                              "the public key");
    }

    memset(k, 0, sizeof(waav_jwt_key_t));

    if (waav_jwks_kid(jwk, i, k, a, err) != 0) {
        return -1;
    }

    return rsa ? waav_jwks_rsa(jwk, i, k, a, err)
               : waav_jwks_ec(jwk, i, k, a, err);
}


int
waav_jwks_parse(const char *json, size_t len, waav_jwt_key_t *keys,
    size_t max, size_t *n, waav_alloc_t *a, waav_err_t *err)
{
    int              rc;
    size_t           i, added;
    cJSON           *root;
    const cJSON     *list, *jwk;
    waav_jwt_key_t   k;

    if (len > WAAV_JWKS_MAX_SIZE) {
        return waav_err_set(err, 500, "config_error",
                            "a JWK Set of more than %d bytes",
                            WAAV_JWKS_MAX_SIZE);
    }

    root = cJSON_ParseWithLength(json, len);
    list = cJSON_GetObjectItemCaseSensitive(root, "keys");

    if (!cJSON_IsObject(root) || !cJSON_IsArray(list)) {
        cJSON_Delete(root);
        return waav_err_set(err, 500, "config_error",
                            "not a JWK Set: {\"keys\": [...]} expected");
    }

    if (cJSON_GetArraySize(list) > WAAV_JWKS_MAX_ENTRIES) {
        cJSON_Delete(root);
        return waav_err_set(err, 500, "config_error",
                            "a JWK Set of more than %d keys",
                            WAAV_JWKS_MAX_ENTRIES);
    }

    added = 0;
    i = 0;
    rc = 0;

    cJSON_ArrayForEach(jwk, list) {

        rc = waav_jwks_key(jwk, i++, &k, a, err);

        if (rc < 0) {
            break;
        }

        if (rc == WAAV_JWK_TAKEN) {
            if (*n + added == max) {
                rc = waav_err_set(err, 500, "config_error",
                                  "more than %zu JWT keys in all", max);
                break;
            }

            keys[*n + added++] = k;
        }
    }

    cJSON_Delete(root);

    if (rc < 0) {
        return -1;
    }

    if (added == 0) {
        return waav_err_set(err, 500, "config_error",
                            "no RS256 or ES256 signature key in the JWK Set");
    }

    /* all or nothing */
    *n += added;

    return (int) added;
}
