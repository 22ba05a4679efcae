/*
 * Unit tests for src/core/waav_jwt.c (cmocka).
 * Tokens are made here with libjwt and OpenSSL; the RSA key is new each run.
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "waav_base64.h"
#include "waav_jwt.h"
#include "waav_arena.h"


#define NOW  1700000000L

static char  rsa_priv[4096], rsa_pub[2048];


static void
make_rsa(void)
{
    EVP_PKEY  *k;
    BIO       *b;
    int        n;

    k = EVP_RSA_gen(2048);
    assert_non_null(k);

    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    n = BIO_read(b, rsa_priv, sizeof(rsa_priv) - 1);
    rsa_priv[n] = '\0';
    BIO_free(b);

    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, k);
    n = BIO_read(b, rsa_pub, sizeof(rsa_pub) - 1);
    rsa_pub[n] = '\0';
    BIO_free(b);

    EVP_PKEY_free(k);
}


/* a signed token with the given claims (JSON) and optional kid */
static char *
make_token(jwt_alg_t alg, const char *key, const char *claims, const char *kid)
{
    jwt_t  *jwt;
    char   *tok;

    assert_int_equal(jwt_new(&jwt), 0);
    assert_int_equal(jwt_add_grants_json(jwt, claims), 0);

    if (kid) {
        assert_int_equal(jwt_add_header(jwt, "kid", kid), 0);
    }

    assert_int_equal(jwt_set_alg(jwt, alg, (const unsigned char *) key,
                                 key ? (int) strlen(key) : 0), 0);
    tok = jwt_encode_str(jwt);
    assert_non_null(tok);
    jwt_free(jwt);

    return tok;
}


static void
conf_init(waav_jwt_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    c->tenant_claim.data = "sub";
    c->tenant_claim.len = 3;
    c->leeway = 30;
}


static void
add_key(waav_jwt_conf_t *c, waav_jwt_alg_e alg, const char *key,
    const char *kid)
{
    waav_jwt_key_t  *k;

    k = &c->keys[c->nkeys++];
    k->alg = alg;
    k->key.data = key;
    k->key.len = strlen(key);
    k->kid.data = kid ? kid : "";
    k->kid.len = kid ? strlen(kid) : 0;
}


static int
verify(waav_jwt_conf_t *c, const char *tok, waav_jwt_claims_t *cl,
    waav_err_t *err)
{
    memset(err, 0, sizeof(*err));
    return waav_jwt_verify(c, tok, strlen(tok), NOW, cl, err);
}


static void
expect_reject(waav_jwt_conf_t *c, const char *tok, const char *why)
{
    waav_jwt_claims_t  cl;
    waav_err_t         err;

    assert_int_equal(verify(c, tok, &cl, &err), -1);
    assert_int_equal(err.status, 401);
    assert_string_equal(err.code, "unauthorized");

    if (why && strstr(err.message, why) == NULL) {
        fail_msg("\"%s\" lacks \"%s\"", err.message, why);
    }
}


static void
test_hs256_ok(void **state)
{
    waav_jwt_conf_t    c;
    waav_jwt_claims_t  cl;
    waav_err_t         err;
    char              *t;

    (void) state;

    conf_init(&c);
    add_key(&c, WAAV_JWT_HS256, "s3cret-s3cret-s3cret-s3cret-0001", NULL);

    t = make_token(JWT_ALG_HS256, "s3cret-s3cret-s3cret-s3cret-0001",
                   "{\"sub\":\"tenant-a\",\"exp\":1700000600}", NULL);
    assert_int_equal(verify(&c, t, &cl, &err), 0);
    assert_string_equal(cl.tenant, "tenant-a");
    assert_int_equal(cl.exp, 1700000600);
    free(t);
}


static void
test_hs256_rejects(void **state)
{
    waav_jwt_conf_t  c;
    char            *t, *bad;
    const char      *k = "s3cret-s3cret-s3cret-s3cret-0001";

    (void) state;

    conf_init(&c);
    add_key(&c, WAAV_JWT_HS256, k, NULL);

    t = make_token(JWT_ALG_HS256, "another-secret-another-secret-00",
                   "{\"sub\":\"a\"}", NULL);
    expect_reject(&c, t, "bad signature");
    free(t);

    t = make_token(JWT_ALG_HS256, k, "{\"sub\":\"a\",\"exp\":1699999000}", NULL);
    expect_reject(&c, t, "expired");
    free(t);

    /* within the leeway */
    t = make_token(JWT_ALG_HS256, k, "{\"sub\":\"a\",\"exp\":1699999990}", NULL);
    {
        waav_jwt_claims_t  cl;
        waav_err_t         err;

        assert_int_equal(verify(&c, t, &cl, &err), 0);
    }
    free(t);

    t = make_token(JWT_ALG_HS256, k, "{\"sub\":\"a\",\"nbf\":1700001000}", NULL);
    expect_reject(&c, t, "not yet valid");
    free(t);

    t = make_token(JWT_ALG_HS256, k, "{\"sub\":\"a\",\"exp\":\"soon\"}", NULL);
    expect_reject(&c, t, "exp is not a number");
    free(t);

    t = make_token(JWT_ALG_HS256, k, "{\"sub\":42}", NULL);
    expect_reject(&c, t, "tenant claim");
    free(t);

    t = make_token(JWT_ALG_HS256, k, "{\"iss\":\"x\"}", NULL);
    expect_reject(&c, t, "tenant claim");
    free(t);

    /* the last byte of the signature changed */
    t = make_token(JWT_ALG_HS256, k, "{\"sub\":\"a\"}", NULL);
    bad = strdup(t);
    bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
    expect_reject(&c, bad, NULL);
    free(bad);

    /* truncated, extra segment, non-base64url */
    bad = strdup(t);
    *strrchr(bad, '.') = '\0';
    expect_reject(&c, bad, "malformed");
    free(bad);

    bad = malloc(strlen(t) + 3);
    sprintf(bad, "%s.x", t);
    expect_reject(&c, bad, "malformed");
    free(bad);

    bad = strdup(t);
    bad[3] = '*';
    expect_reject(&c, bad, "malformed");
    free(bad);

    expect_reject(&c, "", "malformed");
    expect_reject(&c, "..", "malformed");
    expect_reject(&c, "a.b.", "malformed");
    free(t);
}


static void
test_alg_none_rejected(void **state)
{
    waav_jwt_conf_t  c;
    char            *t;

    (void) state;

    conf_init(&c);
    add_key(&c, WAAV_JWT_HS256, "s3cret-s3cret-s3cret-s3cret-0001", NULL);

    /* libjwt writes "none" tokens with an empty signature */
    t = make_token(JWT_ALG_NONE, NULL, "{\"sub\":\"admin\"}", NULL);
    expect_reject(&c, t, NULL);
    free(t);

    /* hand-made: {"alg":"none"}.{"sub":"admin"}. with a junk signature */
    expect_reject(&c, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.AAAA",
                  "unsupported algorithm");
}


static void
test_alg_confusion_rejected(void **state)
{
    waav_jwt_conf_t  c;
    char            *t;

    (void) state;

    conf_init(&c);
    add_key(&c, WAAV_JWT_RS256, rsa_pub, NULL);

    /* HS256 "signed" with the RSA public key as the HMAC secret */
    t = make_token(JWT_ALG_HS256, rsa_pub, "{\"sub\":\"admin\"}", NULL);
    expect_reject(&c, t, "no key for the token's algorithm");
    free(t);
}


static void
test_rs256_and_kid(void **state)
{
    waav_jwt_conf_t    c;
    waav_jwt_claims_t  cl;
    waav_err_t         err;
    char              *t;

    (void) state;

    conf_init(&c);
    add_key(&c, WAAV_JWT_HS256, "old-secret-old-secret-old-secret", "k1");
    add_key(&c, WAAV_JWT_RS256, rsa_pub, "k2");
    add_key(&c, WAAV_JWT_HS256, "new-secret-new-secret-new-secret", "k3");

    t = make_token(JWT_ALG_RS256, rsa_priv, "{\"sub\":\"rsa-tenant\"}", "k2");
    assert_int_equal(verify(&c, t, &cl, &err), 0);
    assert_string_equal(cl.tenant, "rsa-tenant");
    free(t);

    t = make_token(JWT_ALG_HS256, "new-secret-new-secret-new-secret",
                   "{\"sub\":\"b\"}", "k3");
    assert_int_equal(verify(&c, t, &cl, &err), 0);
    free(t);

    /* right secret, wrong kid */
    t = make_token(JWT_ALG_HS256, "new-secret-new-secret-new-secret",
                   "{\"sub\":\"b\"}", "k1");
    expect_reject(&c, t, "bad signature");
    free(t);

    t = make_token(JWT_ALG_HS256, "new-secret-new-secret-new-secret",
                   "{\"sub\":\"b\"}", "k9");
    expect_reject(&c, t, "unknown kid");
    free(t);

    /* without kid every key of the algorithm is tried (rotation) */
    t = make_token(JWT_ALG_HS256, "new-secret-new-secret-new-secret",
                   "{\"sub\":\"b\"}", NULL);
    assert_int_equal(verify(&c, t, &cl, &err), 0);
    free(t);

    /* RS256 header with the kid of an HS256 key */
    t = make_token(JWT_ALG_RS256, rsa_priv, "{\"sub\":\"x\"}", "k1");
    expect_reject(&c, t, "unknown kid");
    free(t);
}


/* issue 10 #4: identity providers put a kid in every token */
static void
test_kidless_key_takes_any_kid(void **state)
{
    waav_jwt_conf_t    c;
    waav_jwt_claims_t  cl;
    waav_err_t         err;
    char              *t;
    const char        *k = "s3cret-s3cret-s3cret-s3cret-0001";

    (void) state;

    conf_init(&c);
    add_key(&c, WAAV_JWT_RS256, rsa_pub, "r1");
    add_key(&c, WAAV_JWT_HS256, k, NULL);

    t = make_token(JWT_ALG_HS256, k, "{\"sub\":\"idp\"}", "2026-key-7");
    assert_int_equal(verify(&c, t, &cl, &err), 0);
    assert_string_equal(cl.tenant, "idp");
    free(t);

    /* a kid'd key still selects by kid: RS256 has no kid-less key */
    t = make_token(JWT_ALG_RS256, rsa_priv, "{\"sub\":\"x\"}", "r2");
    expect_reject(&c, t, "unknown kid");
    free(t);

    t = make_token(JWT_ALG_RS256, rsa_priv, "{\"sub\":\"x\"}", "r1");
    assert_int_equal(verify(&c, t, &cl, &err), 0);
    free(t);

    /* the kid-less key is tried, and refuses another secret's token */
    t = make_token(JWT_ALG_HS256, "another-secret-another-secret-00",
                   "{\"sub\":\"x\"}", "r1");
    expect_reject(&c, t, "bad signature");
    free(t);
}


static void
test_ct_equal(void **state)
{
    (void) state;

    assert_true(waav_ct_equal("abc", 3, "abc", 3));
    assert_false(waav_ct_equal("abc", 3, "abd", 3));
    assert_false(waav_ct_equal("abc", 3, "abcd", 4));
    assert_false(waav_ct_equal("abcd", 4, "abc", 3));
    assert_true(waav_ct_equal("", 0, "", 0));
}


static void
test_token_equal(void **state)
{
    size_t  i, n;
    char    a[423], b[423];

    (void) state;

    memset(a, 'x', sizeof(a));

    /* every length around the 8-byte steps, a difference at every place */
    for (n = 0; n <= 40; n++) {
        memcpy(b, a, n);
        assert_true(waav_token_equal(a, n, b, n));
        assert_false(waav_token_equal(a, n, b, n + 1));

        for (i = 0; i < n; i++) {
            b[i] ^= 0x80;
            assert_false(waav_token_equal(a, n, b, n));
            b[i] ^= 0x80;
        }
    }

    memcpy(b, a, sizeof(b));
    b[422] = 'y';
    assert_false(waav_token_equal(a, 423, b, 423));
    b[422] = 'x';
    assert_true(waav_token_equal(a, 423, b, 423));
}


static void
test_iss_aud(void **state)
{
    waav_jwt_conf_t    c;
    waav_jwt_claims_t  cl;
    waav_err_t         err;
    char              *t;
    const char        *k = "s3cret-s3cret-s3cret-s3cret-0001";

    (void) state;

    conf_init(&c);
    add_key(&c, WAAV_JWT_HS256, k, NULL);
    c.issuer.data = "https://issuer.example";
    c.issuer.len = strlen(c.issuer.data);
    c.audience.data = "waav";
    c.audience.len = 4;

    t = make_token(JWT_ALG_HS256, k, "{\"sub\":\"a\",\"iss\":"
                   "\"https://issuer.example\",\"aud\":[\"x\",\"waav\"]}", NULL);
    assert_int_equal(verify(&c, t, &cl, &err), 0);
    free(t);

    t = make_token(JWT_ALG_HS256, k, "{\"sub\":\"a\",\"iss\":\"evil\","
                   "\"aud\":\"waav\"}", NULL);
    expect_reject(&c, t, "wrong issuer");
    free(t);

    t = make_token(JWT_ALG_HS256, k, "{\"sub\":\"a\",\"iss\":"
                   "\"https://issuer.example\",\"aud\":\"other\"}", NULL);
    expect_reject(&c, t, "wrong audience");
    free(t);

    t = make_token(JWT_ALG_HS256, k, "{\"sub\":\"a\",\"iss\":"
                   "\"https://issuer.example\"}", NULL);
    expect_reject(&c, t, "wrong audience");
    free(t);
}


static void
test_size_limit(void **state)
{
    waav_jwt_conf_t  c;
    char            *big;

    (void) state;

    conf_init(&c);
    add_key(&c, WAAV_JWT_HS256, "s3cret-s3cret-s3cret-s3cret-0001", NULL);

    big = malloc(6 * 1024 + 1);
    memset(big, 'a', 6 * 1024);
    big[100] = '.';
    big[200] = '.';
    big[6 * 1024] = '\0';
    expect_reject(&c, big, "too large");
    free(big);
}


static void
test_api_secrets(void **state)
{
    waav_api_secret_t  s[2] = {
        { { "tenant-a", 8 }, { "secret-aaaa", 11 } },
        { { "tenant-b", 8 }, { "secret-bbbb", 11 } },
    };

    (void) state;

    assert_int_equal(waav_api_secret_match(s, 2, "secret-bbbb", 11), 1);
    assert_int_equal(waav_api_secret_match(s, 2, "secret-aaaa", 11), 0);
    assert_int_equal(waav_api_secret_match(s, 2, "secret-aaab", 11), -1);
    assert_int_equal(waav_api_secret_match(s, 2, "secret-aaa", 10), -1);
    assert_int_equal(waav_api_secret_match(s, 2, "secret-aaaaa", 12), -1);
    assert_int_equal(waav_api_secret_match(s, 2, "", 0), -1);
}


static void
test_b64url(void **state)
{
    unsigned char  out[16];

    (void) state;

    assert_int_equal(waav_b64url_decode("aGk", 3, out, sizeof(out)), 2);
    assert_memory_equal(out, "hi", 2);
    assert_int_equal(waav_b64url_decode("a", 1, out, sizeof(out)), -1);
    assert_int_equal(waav_b64url_decode("aGk=", 4, out, sizeof(out)), -1);
    assert_int_equal(waav_b64url_decode("aGl", 3, out, sizeof(out)), -1);
    assert_int_equal(waav_b64url_decode("-_-_", 4, out, sizeof(out)), 3);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_hs256_ok),
        cmocka_unit_test(test_hs256_rejects),
        cmocka_unit_test(test_alg_none_rejected),
        cmocka_unit_test(test_alg_confusion_rejected),
        cmocka_unit_test(test_rs256_and_kid),
        cmocka_unit_test(test_kidless_key_takes_any_kid),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_token_equal),
        cmocka_unit_test(test_iss_aud),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_api_secrets),
        cmocka_unit_test(test_b64url),
    };

    make_rsa();

    return cmocka_run_group_tests_name("waav_jwt", tests, NULL, NULL);
}
