/*
 * waav: bearer-token checks (see waav_jwt.h).
 */

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jwt.h>
#include <openssl/crypto.h>

#include "waav_base64.h"
#include "waav_jwt.h"


#define WAAV_JWT_MAX_HEADER  1024


/*
 * Secrets of another length are not compared at all (as WaaV's
 * constant_time_eq does): only a secret's length can be learnt from the
 * time taken, never its bytes.
 */
int
waav_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && CRYPTO_memcmp(a, b, alen) == 0;
}


/*
 * CRYPTO_memcmp goes byte by byte (about 0.5 us for an RS256 token, the
 * cost the worker's token cache paid on every hit): a token is compared
 * eight bytes at a time, still without a branch on its bytes.
 */
int
waav_token_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t    i;
    uint64_t  x, y, diff;

    if (alen != blen) {
        return 0;
    }

    diff = 0;

    for (i = 0; i + 8 <= alen; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        diff |= x ^ y;
    }

    for ( /* void */ ; i < alen; i++) {
        diff |= (uint64_t) ((unsigned char) a[i] ^ (unsigned char) b[i]);
    }

    return diff == 0;
}


int
waav_api_secret_match(const waav_api_secret_t *secrets, size_t n,
    const char *token, size_t len)
{
    size_t  i;
    int     found;

    found = -1;

    /* every secret is compared, so timing does not tell which matched */
    for (i = 0; i < n; i++) {
        if (waav_ct_equal(token, len, secrets[i].secret.data,
                          secrets[i].secret.len)
            && found < 0)
        {
            found = (int) i;
        }
    }

    return found;
}


waav_jwt_alg_e
waav_jwt_alg_parse(const char *s, size_t len)
{
    if (len == 5 && memcmp(s, "HS256", 5) == 0) {
        return WAAV_JWT_HS256;
    }

    if (len == 5 && memcmp(s, "RS256", 5) == 0) {
        return WAAV_JWT_RS256;
    }

    if (len == 5 && memcmp(s, "ES256", 5) == 0) {
        return WAAV_JWT_ES256;
    }

    return 0;
}


static int
waav_jwt_fail(waav_err_t *err, const char *why)
{
    return waav_err_set(err, 401, "unauthorized", "Unauthorized: %s", why);
}


/* a number claim, if present; -1 when it is not a number */
static int
waav_jwt_time(const cJSON *claims, const char *name, double *v)
{
    const cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(claims, name);

    if (item == NULL) {
        return 0;
    }

    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
        return -1;
    }

    *v = item->valuedouble;

    return 1;
}


static int
waav_jwt_str_eq(const cJSON *item, waav_str_t want)
{
    return cJSON_IsString(item)
           && strlen(item->valuestring) == want.len
           && memcmp(item->valuestring, want.data, want.len) == 0;
}


/* exp and nbf, with the leeway */
static const char *
waav_jwt_times(const waav_jwt_conf_t *conf, const cJSON *claims, time_t now,
    waav_jwt_claims_t *out)
{
    int     ok;
    double  exp, nbf;

    ok = waav_jwt_time(claims, "exp", &exp);
    if (ok < 0) {
        return "exp is not a number";
    }

    out->exp = 0;

    if (ok) {
        if ((double) now > exp + (double) conf->leeway) {
            return "token expired";
        }

        out->exp = (exp > 4e12) ? (time_t) 4e12 : (time_t) exp;
    }

    ok = waav_jwt_time(claims, "nbf", &nbf);
    if (ok < 0) {
        return "nbf is not a number";
    }

    if (ok && (double) now + (double) conf->leeway < nbf) {
        return "token not yet valid";
    }

    return NULL;
}


/* iss and aud, when configured; aud may be a string or an array */
static const char *
waav_jwt_iss_aud(const waav_jwt_conf_t *conf, const cJSON *claims)
{
    int           ok;
    const cJSON  *item, *aud;

    if (conf->issuer.len) {
        item = cJSON_GetObjectItemCaseSensitive(claims, "iss");

        if (!waav_jwt_str_eq(item, conf->issuer)) {
            return "wrong issuer";
        }
    }

    if (conf->audience.len == 0) {
        return NULL;
    }

    aud = cJSON_GetObjectItemCaseSensitive(claims, "aud");
    ok = waav_jwt_str_eq(aud, conf->audience);

    if (!ok && cJSON_IsArray(aud)) {
        cJSON_ArrayForEach(item, aud) {
            ok |= waav_jwt_str_eq(item, conf->audience);
        }
    }

    return ok ? NULL : "wrong audience";
}


/* the tenant claim: a string of 1-256 bytes without control characters */
static const char *
waav_jwt_tenant(const waav_jwt_conf_t *conf, const cJSON *claims,
    waav_jwt_claims_t *out)
{
    size_t        i, len;
    const cJSON  *item;
    char          claim[64];

    len = conf->tenant_claim.len < sizeof(claim) - 1
          ? conf->tenant_claim.len : sizeof(claim) - 1;
    memcpy(claim, conf->tenant_claim.data, len);
    claim[len] = '\0';

    item = cJSON_GetObjectItemCaseSensitive(claims, claim);

    if (!cJSON_IsString(item)) {
        return "the tenant claim is missing or not a string";
    }

    len = strlen(item->valuestring);

    if (len == 0 || len > WAAV_TENANT_MAX) {
        return "the tenant claim must be 1-256 bytes";
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) item->valuestring[i] < 0x20
            || item->valuestring[i] == 0x7f)
        {
            return "the tenant claim has control characters";
        }
    }

    memcpy(out->tenant, item->valuestring, len + 1);
    out->tenant_len = len;

    return NULL;
}


static int
waav_jwt_claims(const waav_jwt_conf_t *conf, const char *json, time_t now,
    waav_jwt_claims_t *out, waav_err_t *err)
{
    cJSON       *claims;
    const char  *why;

    claims = cJSON_Parse(json);

    if (claims == NULL || !cJSON_IsObject(claims)) {
        cJSON_Delete(claims);
        return waav_jwt_fail(err, "token claims are not a JSON object");
    }

    why = waav_jwt_times(conf, claims, now, out);

    if (why == NULL) {
        why = waav_jwt_iss_aud(conf, claims);
    }

    if (why == NULL) {
        why = waav_jwt_tenant(conf, claims, out);
    }

    cJSON_Delete(claims);

    return why ? waav_jwt_fail(err, why) : 0;
}


/*
 * A token names its key, never how the key is used: only keys of the
 * token's algorithm.  A key with a kid takes tokens naming that kid (or
 * none); a key without one takes any token of its algorithm, as identity
 * providers put a kid in every token.
 */
static int
waav_jwt_key_fits(const waav_jwt_key_t *k, waav_jwt_alg_e alg,
    const char *kid)
{
    if (k->alg != alg) {
        return 0;
    }

    if (kid == NULL || k->kid.len == 0) {
        return 1;
    }

    return strlen(kid) == k->kid.len
           && memcmp(k->kid.data, kid, k->kid.len) == 0;
}


static int
waav_jwt_check_sig(const waav_jwt_key_t *key, const char *token,
    const waav_jwt_conf_t *conf, time_t now, waav_jwt_claims_t *claims,
    waav_err_t *err)
{
    jwt_t      *jwt;
    jwt_alg_t   want;
    char       *json;
    int         rc;

    want = key->alg == WAAV_JWT_HS256 ? JWT_ALG_HS256
           : key->alg == WAAV_JWT_RS256 ? JWT_ALG_RS256 : JWT_ALG_ES256;

    jwt = NULL;

    if (jwt_decode(&jwt, token, (const unsigned char *) key->key.data,
                   (int) key->key.len) != 0
        || jwt == NULL)
    {
        jwt_free(jwt);
        return waav_jwt_fail(err, "bad signature");
    }

    /* the algorithm libjwt verified with must be the key's */
    if (jwt_get_alg(jwt) != want) {
        jwt_free(jwt);
        return waav_jwt_fail(err, "algorithm does not match the key");
    }

    json = jwt_get_grants_json(jwt, NULL);
    jwt_free(jwt);

    if (json == NULL) {
        return waav_jwt_fail(err, "token claims are not a JSON object");
    }

    rc = waav_jwt_claims(conf, json, now, claims, err);
    free(json);

    return rc;
}


/* three non-empty base64url segments; d1, d2: where the dots are */
static int
waav_jwt_shape(const char *token, size_t len, size_t *d1, size_t *d2)
{
    size_t  i, dots;

    dots = 0;
    *d1 = *d2 = 0;

    for (i = 0; i < len; i++) {
        if (token[i] == '.') {
            if (++dots == 1) {
                *d1 = i;
            } else {
                *d2 = i;
            }

            continue;
        }

        if (waav_base64_digit((unsigned char) token[i], WAAV_BASE64_URL) < 0) {
            return -1;
        }
    }

    return (dots != 2 || *d1 == 0 || *d2 == *d1 + 1 || *d2 + 1 == len)
           ? -1 : 0;
}


/* the header's alg and kid (kid[0] == '\0': none or ""); a reason, or NULL */
static const char *
waav_jwt_header(const char *b64, size_t len, waav_jwt_alg_e *alg,
    char *kid, size_t kid_cap)
{
    long           n;
    cJSON         *hdr;
    const char    *why;
    const cJSON   *a, *k;
    unsigned char  buf[WAAV_JWT_MAX_HEADER + 1];

    n = waav_b64url_decode(b64, len, buf, WAAV_JWT_MAX_HEADER);
    if (n < 0) {
        return "malformed token header";
    }

    hdr = cJSON_ParseWithLength((char *) buf, (size_t) n);

    if (hdr == NULL || !cJSON_IsObject(hdr)) {
        cJSON_Delete(hdr);
        return "malformed token header";
    }

    a = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
    k = cJSON_GetObjectItemCaseSensitive(hdr, "kid");

    *alg = cJSON_IsString(a) ? waav_jwt_alg_parse(a->valuestring,
                                                  strlen(a->valuestring))
                             : 0;
    kid[0] = '\0';
    why = NULL;

    if (*alg == 0) {
        why = "unsupported algorithm";

    } else if (k && (!cJSON_IsString(k)
                     || strlen(k->valuestring) >= kid_cap))
    {
        why = "kid is not a string of at most 256 bytes";

    } else if (k) {
        memcpy(kid, k->valuestring, strlen(k->valuestring) + 1);
    }

    cJSON_Delete(hdr);

    return why;
}


int
waav_jwt_verify(const waav_jwt_conf_t *conf, const char *token, size_t len,
    time_t now, waav_jwt_claims_t *claims, waav_err_t *err)
{
    size_t                 i, d1, d2;
    int                    tried, rc;
    char                  *copy;
    const char            *why;
    waav_jwt_alg_e         alg;
    const waav_jwt_key_t  *k;
    char                   kid[WAAV_TENANT_MAX + 1];

    memset(claims, 0, sizeof(waav_jwt_claims_t));

    if (conf->nkeys == 0) {
        return waav_jwt_fail(err, "no JWT key configured");
    }

    if (len > WAAV_JWT_MAX_TOKEN) {
        return waav_jwt_fail(err, "token too large");
    }

    if (waav_jwt_shape(token, len, &d1, &d2) != 0) {
        return waav_jwt_fail(err, "malformed token");
    }

    why = waav_jwt_header(token, d1, &alg, kid, sizeof(kid));
    if (why) {
        return waav_jwt_fail(err, why);
    }

    copy = malloc(len + 1);
    if (copy == NULL) {
        return waav_err_set(err, 500, "config_error", "out of memory");
    }

    memcpy(copy, token, len);
    copy[len] = '\0';

    tried = 0;
    rc = -1;

    for (i = 0; i < conf->nkeys && rc != 0; i++) {
        k = &conf->keys[i];

        if (!waav_jwt_key_fits(k, alg, kid[0] ? kid : NULL)) {
            continue;
        }

        tried++;
        rc = waav_jwt_check_sig(k, copy, conf, now, claims, err);

        /* only a bad signature moves on to the next key */
        if (rc != 0 && strcmp(err->message, "Unauthorized: bad signature")) {
            break;
        }
    }

    free(copy);

    if (tried == 0) {
        return waav_jwt_fail(err, kid[0] ? "unknown kid"
                                         : "no key for the token's algorithm");
    }

    return rc;
}
