/*
 * Unit tests for src/core/waav_jwks.c (cmocka): JWK Sets made here from
 * fresh OpenSSL keys, parsed into PEM keys that must equal OpenSSL's own
 * PEM of the same key and verify tokens signed with the private keys.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "waav_jwks.h"
#include "waav_arena.h"
#include "waav_b64url.h"


#define NOW  1700000000L

typedef struct {
    char  priv[4096];
    char  pub[2048];
    char  a[1400];                  /* n or x, base64url */
    char  b[1400];                  /* e or y */
} test_key_t;

static test_key_t  rsa, ec, rsa1024;


static void
pem_of(EVP_PKEY *k, char *priv, char *pub)
{
    BIO  *b;
    int   n;

    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    n = BIO_read(b, priv, 4095);
    priv[n] = '\0';
    BIO_free(b);

    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, k);
    n = BIO_read(b, pub, 2047);
    pub[n] = '\0';
    BIO_free(b);
}


static void
bn_b64(EVP_PKEY *k, const char *param, char *out, int pad)
{
    BIGNUM         *bn;
    unsigned char   buf[1024];
    int             n;

    bn = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
    n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    waav_test_b64url(buf, (size_t) n, out);
    BN_free(bn);
}


static void
make_keys(void)
{
    EVP_PKEY  *k;

    k = EVP_RSA_gen(2048);
    pem_of(k, rsa.priv, rsa.pub);
    bn_b64(k, OSSL_PKEY_PARAM_RSA_N, rsa.a, 0);
    bn_b64(k, OSSL_PKEY_PARAM_RSA_E, rsa.b, 0);
    EVP_PKEY_free(k);

    k = EVP_RSA_gen(1024);
    pem_of(k, rsa1024.priv, rsa1024.pub);
    bn_b64(k, OSSL_PKEY_PARAM_RSA_N, rsa1024.a, 0);
    bn_b64(k, OSSL_PKEY_PARAM_RSA_E, rsa1024.b, 0);
    EVP_PKEY_free(k);

    k = EVP_EC_gen("P-256");
    pem_of(k, ec.priv, ec.pub);
    bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_X, ec.a, 32);
    bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_Y, ec.b, 32);
    EVP_PKEY_free(k);
}


static int
parse(const char *json, waav_jwt_key_t *keys, size_t max, size_t *n,
    waav_err_t *err)
{
    memset(err, 0, sizeof(*err));
    return waav_jwks_parse(json, strlen(json), keys, max, n, &WAAV_ARENA,
                           err);
}


static void
expect_refused(const char *json, const char *why)
{
    waav_jwt_key_t  keys[4];
    waav_err_t      err;
    size_t          n;

    n = 0;
    assert_int_equal(parse(json, keys, 4, &n, &err), -1);
    assert_string_equal(err.code, "config_error");

    if (strstr(err.message, why) == NULL) {
        fail_msg("\"%s\" lacks \"%s\"", err.message, why);
    }

    waav_arena_reset();
}


static char *
token(jwt_alg_t alg, const char *priv, const char *kid)
{
    jwt_t  *jwt;
    char   *tok;

    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_add_grants_json(jwt, "{\"sub\":\"idp-user\"}"), 0);

    if (kid) {
        assert_int_equal(jwt_add_header(jwt, "kid", kid), 0);
    }

    assert_int_equal(jwt_set_alg(jwt, alg, (const unsigned char *) priv,
                                 (int) strlen(priv)), 0);
    tok = jwt_encode_str(jwt);
    assert_non_null(tok);
    jwt_free(jwt);

    return tok;
}


static int
verify(waav_jwt_key_t *keys, size_t n, const char *tok, waav_err_t *err)
{
    waav_jwt_conf_t    c;
    waav_jwt_claims_t  cl;

    memset(&c, 0, sizeof(c));
    memcpy(c.keys, keys, n * sizeof(waav_jwt_key_t));
    c.nkeys = n;
    c.tenant_claim.data = "sub";
    c.tenant_claim.len = 3;
    memset(err, 0, sizeof(*err));

    return waav_jwt_verify(&c, tok, strlen(tok), NOW, &cl, err);
}


/* an identity provider's set: RSA and EC keys with kids, and keys to skip */
static void
test_jwks_rsa_and_ec(void **state)
{
    char            json[8192], *t;
    size_t          n;
    waav_err_t      err;
    waav_jwt_key_t  keys[8];

    (void) state;

    snprintf(json, sizeof(json),
             "{\"keys\":["
             "{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
             "{\"kty\":\"RSA\",\"kid\":\"rsa-1\",\"use\":\"sig\","
             "\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"},"
             "{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},"
             "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"},"
             "{\"kty\":\"RSA\",\"alg\":\"PS256\",\"n\":\"AA\",\"e\":\"AQAB\"},"
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"},"
             "{\"kty\":\"EC\",\"kid\":\"ec-1\",\"crv\":\"P-256\","
             "\"x\":\"%s\",\"y\":\"%s\"}"
             "]}", rsa.a, rsa.b, ec.a, ec.b);

    n = 1;                          /* appended after a key already there */
    assert_int_equal(parse(json, keys, 8, &n, &err), 2);
    assert_int_equal(n, 3);

    assert_int_equal(keys[1].alg, WAAV_JWT_RS256);
    assert_int_equal(keys[1].kid.len, 5);
    assert_memory_equal(keys[1].kid.data, "rsa-1", 5);
    assert_int_equal(keys[1].key.len, strlen(rsa.pub));
    assert_memory_equal(keys[1].key.data, rsa.pub, strlen(rsa.pub));

    assert_int_equal(keys[2].alg, WAAV_JWT_ES256);
    assert_memory_equal(keys[2].kid.data, "ec-1", 4);
    assert_int_equal(keys[2].key.len, strlen(ec.pub));
    assert_memory_equal(keys[2].key.data, ec.pub, strlen(ec.pub));

    /* tokens signed with the private keys verify, selected by kid */
    t = token(JWT_ALG_RS256, rsa.priv, "rsa-1");
    assert_int_equal(verify(keys + 1, 2, t, &err), 0);
    free(t);

    t = token(JWT_ALG_ES256, ec.priv, "ec-1");
    assert_int_equal(verify(keys + 1, 2, t, &err), 0);
    free(t);

    t = token(JWT_ALG_ES256, ec.priv, "rsa-1");
    assert_int_equal(verify(keys + 1, 2, t, &err), -1);
    assert_string_equal(err.message, "Unauthorized: unknown kid");
    free(t);

    t = token(JWT_ALG_RS256, rsa1024.priv, "rsa-1");
    assert_int_equal(verify(keys + 1, 2, t, &err), -1);
    assert_string_equal(err.message, "Unauthorized: bad signature");
    free(t);
}


/* a key without kid takes any token of its algorithm */
static void
test_jwks_no_kid(void **state)
{
    char            json[4096], *t;
    size_t          n;
    waav_err_t      err;
    waav_jwt_key_t  keys[2];

    (void) state;

    snprintf(json, sizeof(json),
             "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}]}",
             rsa.a, rsa.b);

    n = 0;
    assert_int_equal(parse(json, keys, 2, &n, &err), 1);
    assert_int_equal(keys[0].kid.len, 0);

    t = token(JWT_ALG_RS256, rsa.priv, "whatever-the-idp-says");
    assert_int_equal(verify(keys, 1, t, &err), 0);
    free(t);
}


static void
test_jwks_refused(void **state)
{
    char  json[4096];

    (void) state;

    expect_refused("", "not a JWK Set");
    expect_refused("[]", "not a JWK Set");
    expect_refused("{\"keys\":{}}", "not a JWK Set");
    expect_refused("{\"keys\":[]}", "no RS256 or ES256");
    expect_refused("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}",
                   "no RS256 or ES256");
    expect_refused("{\"keys\":[1]}", "JWKS key 0: not a JSON object");
    expect_refused("{\"keys\":[{\"n\":\"AA\"}]}", "\"kty\" is missing");
    expect_refused("{\"keys\":[{\"kty\":\"RSA\",\"use\":1}]}",
                   "must be strings");
    expect_refused("{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\"}]}",
                   "needs \"n\"");
    expect_refused("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"***\","
                   "\"e\":\"AQAB\"}]}",
                   "needs \"n\"");
    expect_refused("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\","
                   "\"y\":\"AA\"}]}", "32 bytes each");

    /* 1024 bits is too weak; e must be odd and sane; n must be odd */
    {
        size_t  i;

        const struct {
            const char  *n;
            const char  *e;
            const char  *why;
        } rsa_bad[] = {
            { rsa1024.a, "AQAB", "2048 to 8192-bit" },
            { rsa.a, "AQAA", "odd exponent" },
            { rsa.a, "AQ", "odd exponent" },
        };

        for (i = 0; i < sizeof(rsa_bad) / sizeof(rsa_bad[0]); i++) {
            snprintf(json, sizeof(json), "{\"keys\":[{\"kty\":\"RSA\","
                     "\"n\":\"%s\",\"e\":\"%s\"}]}",
                     rsa_bad[i].n, rsa_bad[i].e);
            expect_refused(json, rsa_bad[i].why);
        }
    }

    snprintf(json, sizeof(json),
             "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"%.340sAA\",\"e\":\"AQAB\"}]}",
             rsa.a);
    expect_refused(json, "OpenSSL refused the RSA key");

    /* a private key in a public set */
    snprintf(json, sizeof(json),
             "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\","
             "\"d\":\"AQAB\"}]}", rsa.a);
    expect_refused(json, "a private key");

    /* x and y swapped: off the curve (almost surely) */
    snprintf(json, sizeof(json),
             "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
             "\"y\":\"%s\"}]}", ec.a, ec.a);
    expect_refused(json, "not on the P-256 curve");

    snprintf(json, sizeof(json),
             "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"a\\nb\","
             "\"x\":\"%s\",\"y\":\"%s\"}]}", ec.a, ec.b);
    expect_refused(json, "printable");

    snprintf(json, sizeof(json),
             "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":7,"
             "\"x\":\"%s\",\"y\":\"%s\"}]}", ec.a, ec.b);
    expect_refused(json, "printable");
}


static void
test_jwks_bounds(void **state)
{
    char            *json, *p;
    size_t           n, i;
    waav_err_t       err;
    waav_jwt_key_t   keys[2];

    (void) state;

    /* more usable keys than room */
    json = malloc(8192);
    p = json + sprintf(json, "{\"keys\":[");

    for (i = 0; i < 3; i++) {
        p += sprintf(p, "%s{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\","
                     "\"y\":\"%s\"}", i ? "," : "", ec.a, ec.b);
    }

    strcpy(p, "]}");
    n = 0;
    assert_int_equal(parse(json, keys, 2, &n, &err), -1);
    assert_non_null(strstr(err.message, "more than 2 JWT keys"));
    assert_int_equal(n, 0);         /* all or nothing */
    waav_arena_reset();

    /* more entries than a JWK Set may have, even of kinds skipped */
    p = json + sprintf(json, "{\"keys\":[");

    for (i = 0; i <= WAAV_JWKS_MAX_ENTRIES; i++) {
        p += sprintf(p, "%s{\"kty\":\"oct\"}", i ? "," : "");
    }

    strcpy(p, "]}");
    expect_refused(json, "more than 64 keys");
    free(json);

    /* the size bound comes before any parsing */
    n = 0;
    assert_int_equal(waav_jwks_parse("{}", WAAV_JWKS_MAX_SIZE + 1, keys, 2,
                                     &n, &WAAV_ARENA, &err), -1);
    assert_non_null(strstr(err.message, "more than 262144 bytes"));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_jwks_rsa_and_ec, waav_arena_teardown),
        cmocka_unit_test_teardown(test_jwks_no_kid, waav_arena_teardown),
        cmocka_unit_test_teardown(test_jwks_refused, waav_arena_teardown),
        cmocka_unit_test_teardown(test_jwks_bounds, waav_arena_teardown),
    };

    make_keys();

    return cmocka_run_group_tests_name("waav_jwks", tests, NULL, NULL);
}
