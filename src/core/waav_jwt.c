/*
 * waav: bearer-token checks (see waav_jwt.h).
 */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jwt.h>

#include "waav_jwt.h"


#define WAAV_JWT_MAX_HEADER  1024


int
waav_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t                i;
    volatile unsigned     diff;
    const unsigned char  *x, *y;

    x = (const unsigned char *) a;
    y = (const unsigned char *) b;

    diff = (alen != blen);

    for (i = 0; i < blen; i++) {
        diff |= (unsigned) (y[i] ^ (i < alen ? x[i] : 0));
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
waav_b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '-') {
        return 62;
    }

    if (c == '_') {
        return 63;
    }

    return -1;
}


long
waav_b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    size_t    i, o;
    unsigned  acc;
    int       bits, v;

    /* a lone character cannot encode a byte */
    if (len % 4 == 1) {
        return -1;
    }

    acc = 0;
    bits = 0;
    o = 0;

    for (i = 0; i < len; i++) {
        v = waav_b64url_value((unsigned char) in[i]);
        if (v < 0) {
            return -1;
        }

        acc = (acc << 6) | (unsigned) v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;

            if (o == cap) {
                return -1;
            }

            out[o++] = (unsigned char) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }

    /* the leftover bits must be zero (canonical encoding) */
    if (acc != 0) {
        return -1;
    }

    return (long) o;
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


static int
waav_jwt_claims(const waav_jwt_conf_t *conf, const char *json, time_t now,
    waav_jwt_claims_t *out, waav_err_t *err)
{
    cJSON        *claims;
    const cJSON  *item, *aud;
    double        exp, nbf;
    size_t        i, len;
    int           rc, ok;
    char          claim[64];

    claims = cJSON_Parse(json);

    if (claims == NULL || !cJSON_IsObject(claims)) {
        cJSON_Delete(claims);
        return waav_jwt_fail(err, "token claims are not a JSON object");
    }

    rc = -1;

    ok = waav_jwt_time(claims, "exp", &exp);
    if (ok < 0) {
        waav_jwt_fail(err, "exp is not a number");
        goto done;
    }

    out->exp = 0;

    if (ok) {
        if ((double) now > exp + (double) conf->leeway) {
            waav_jwt_fail(err, "token expired");
            goto done;
        }

        out->exp = (exp > 4e12) ? (time_t) 4e12 : (time_t) exp;
    }

    ok = waav_jwt_time(claims, "nbf", &nbf);
    if (ok < 0) {
        waav_jwt_fail(err, "nbf is not a number");
        goto done;
    }

    if (ok && (double) now + (double) conf->leeway < nbf) {
        waav_jwt_fail(err, "token not yet valid");
        goto done;
    }

    if (conf->issuer.len) {
        item = cJSON_GetObjectItemCaseSensitive(claims, "iss");

        if (!waav_jwt_str_eq(item, conf->issuer)) {
            waav_jwt_fail(err, "wrong issuer");
            goto done;
        }
    }

    if (conf->audience.len) {
        aud = cJSON_GetObjectItemCaseSensitive(claims, "aud");
        ok = waav_jwt_str_eq(aud, conf->audience);

        if (!ok && cJSON_IsArray(aud)) {
            cJSON_ArrayForEach(item, aud) {
                if (waav_jwt_str_eq(item, conf->audience)) {
                    ok = 1;
                }
            }
        }

        if (!ok) {
            waav_jwt_fail(err, "wrong audience");
            goto done;
        }
    }

    len = conf->tenant_claim.len < sizeof(claim) - 1
          ? conf->tenant_claim.len : sizeof(claim) - 1;
    memcpy(claim, conf->tenant_claim.data, len);
    claim[len] = '\0';

    item = cJSON_GetObjectItemCaseSensitive(claims, claim);

    if (!cJSON_IsString(item)) {
        waav_jwt_fail(err, "the tenant claim is missing or not a string");
        goto done;
    }

    len = strlen(item->valuestring);

    if (len == 0 || len > WAAV_TENANT_MAX) {
        waav_jwt_fail(err, "the tenant claim must be 1-256 bytes");
        goto done;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) item->valuestring[i] < 0x20
            || item->valuestring[i] == 0x7f)
        {
            waav_jwt_fail(err, "the tenant claim has control characters");
            goto done;
        }
    }

    memcpy(out->tenant, item->valuestring, len + 1);
    out->tenant_len = len;
    rc = 0;

done:

    cJSON_Delete(claims);

    return rc;
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


int
waav_jwt_verify(const waav_jwt_conf_t *conf, const char *token, size_t len,
    time_t now, waav_jwt_claims_t *claims, waav_err_t *err)
{
    size_t                 i, dots, d1, d2;
    long                   n;
    int                    tried, rc;
    char                  *copy;
    cJSON                 *hdr;
    const cJSON           *alg, *kid;
    waav_jwt_alg_e         a;
    const waav_jwt_key_t  *k;
    unsigned char          buf[WAAV_JWT_MAX_HEADER + 1];

    memset(claims, 0, sizeof(waav_jwt_claims_t));

    if (conf->nkeys == 0) {
        return waav_jwt_fail(err, "no JWT key configured");
    }

    if (len > WAAV_JWT_MAX_TOKEN) {
        return waav_jwt_fail(err, "token too large");
    }

    /* three non-empty base64url segments */
    dots = 0;
    d1 = d2 = 0;

    for (i = 0; i < len; i++) {
        if (token[i] == '.') {
            if (++dots == 1) {
                d1 = i;
            } else {
                d2 = i;
            }

            continue;
        }

        if (waav_b64url_value((unsigned char) token[i]) < 0) {
            return waav_jwt_fail(err, "malformed token");
        }
    }

    if (dots != 2 || d1 == 0 || d2 == d1 + 1 || d2 + 1 == len) {
        return waav_jwt_fail(err, "malformed token");
    }

    n = waav_b64url_decode(token, d1, buf, WAAV_JWT_MAX_HEADER);
    if (n < 0) {
        return waav_jwt_fail(err, "malformed token header");
    }

    buf[n] = '\0';

    hdr = cJSON_ParseWithLength((char *) buf, (size_t) n);

    if (hdr == NULL || !cJSON_IsObject(hdr)) {
        cJSON_Delete(hdr);
        return waav_jwt_fail(err, "malformed token header");
    }

    alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
    kid = cJSON_GetObjectItemCaseSensitive(hdr, "kid");

    a = cJSON_IsString(alg) ? waav_jwt_alg_parse(alg->valuestring,
                                                 strlen(alg->valuestring))
                            : 0;

    if (a == 0) {
        cJSON_Delete(hdr);
        return waav_jwt_fail(err, "unsupported algorithm");
    }

    if (kid && !cJSON_IsString(kid)) {
        cJSON_Delete(hdr);
        return waav_jwt_fail(err, "kid is not a string");
    }

    copy = malloc(len + 1);
    if (copy == NULL) {
        cJSON_Delete(hdr);
        return waav_err_set(err, 500, "config_error", "out of memory");
    }

    memcpy(copy, token, len);
    copy[len] = '\0';

    tried = 0;
    rc = -1;

    for (i = 0; i < conf->nkeys && rc != 0; i++) {
        k = &conf->keys[i];

        /* a token names its key, never how the key is used */
        if (k->alg != a) {
            continue;
        }

        if (kid) {
            if (k->kid.len != strlen(kid->valuestring)
                || memcmp(k->kid.data, kid->valuestring, k->kid.len) != 0)
            {
                continue;
            }
        }

        tried++;
        rc = waav_jwt_check_sig(k, copy, conf, now, claims, err);

        /* only a bad signature moves on to the next key */
        if (rc != 0 && strcmp(err->message, "Unauthorized: bad signature") != 0) {
            break;
        }
    }

    free(copy);
    cJSON_Delete(hdr);

    if (tried == 0) {
        return waav_jwt_fail(err, kid ? "unknown kid"
                                      : "no key for the token's algorithm");
    }

    return rc;
}
