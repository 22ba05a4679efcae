/*
 * Unit tests for Google's service-account credentials: the file read, the
 * RS256 assertion verified with the account's public key (a key pair made
 * here, with OpenSSL: no private key is committed), the token request.
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

#include "waav_cred.h"
#include "waav_google_sa.h"
#include "waav_arena.h"
#include "waav_header.h"


#define NOW  1700000000

static char  priv_pem[4096], pub_pem[2048], sa_json[8192];


static void
pem(EVP_PKEY *k, int pub, char *out, size_t size)
{
    BIO    *b;
    long    n;
    char   *p;

    b = BIO_new(BIO_s_mem());
    assert_non_null(b);
    assert_int_equal(pub ? PEM_write_bio_PUBKEY(b, k)
                         : PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0,
                                                    NULL, NULL), 1);
    n = BIO_get_mem_data(b, &p);
    assert_true(n > 0 && (size_t) n < size);
    memcpy(out, p, (size_t) n);
    out[n] = '\0';
    BIO_free(b);
}


/* a key pair, and a service-account file with its private key */
static int
setup(void **state)
{
    size_t     i, n;
    EVP_PKEY  *k;

    (void) state;

    k = EVP_RSA_gen(2048);
    if (k == NULL) {
        return -1;
    }

    pem(k, 0, priv_pem, sizeof(priv_pem));
    pem(k, 1, pub_pem, sizeof(pub_pem));
    EVP_PKEY_free(k);

    n = (size_t) snprintf(sa_json, sizeof(sa_json),
                          "{\"type\":\"service_account\",\"project_id\":\"p\","
                          "\"private_key_id\":\"abc\",\"private_key\":\"");

    for (i = 0; priv_pem[i]; i++) {
        if (priv_pem[i] == '\n') {
            sa_json[n++] = '\\';
            sa_json[n++] = 'n';

        } else {
            sa_json[n++] = priv_pem[i];
        }
    }

    snprintf(sa_json + n, sizeof(sa_json) - n,
             "\",\"client_email\":\"waav@p.iam.gserviceaccount.com\","
             "\"client_id\":\"1\",\"token_uri\":"
             "\"http://127.0.0.1:9/google-token/token\"}");

    return 0;
}


static void
test_parse(void **state)
{
    size_t            i;
    waav_err_t        err;
    waav_google_sa_t  sa;

    static const char *const  bad[] = {
        "", "[]", "{}",
        "{\"type\":\"authorized_user\"}",
        "{\"type\":\"service_account\",\"private_key\":\"-----BEGIN x\"}",
        "{\"type\":\"service_account\",\"client_email\":\"a b\","
        "\"private_key\":\"-----BEGIN x\"}",
        "{\"type\":\"service_account\",\"client_email\":\"a\","
        "\"private_key\":\"secret\"}",
        "{\"type\":\"service_account\",\"client_email\":\"a\","
        "\"private_key\":\"-----BEGIN x\",\"token_uri\":\"ftp://h/t\"}",
        "{\"type\":\"service_account\",\"client_email\":\"a\","
        "\"private_key\":\"-----BEGIN x\",\"token_uri\":\"https://h\"}",
        "{\"type\":\"service_account\",\"client_email\":\"a\","
        "\"private_key\":\"-----BEGIN x\",\"token_uri\":\"https://h/t?q\"}",
    };

    (void) state;

    assert_int_equal(waav_google_sa_parse(sa_json, strlen(sa_json), &sa,
                                          &WAAV_ARENA, &err), 0);
    assert_string_equal(sa.client_email.data,
                        "waav@p.iam.gserviceaccount.com");
    assert_string_equal(sa.private_key.data, priv_pem);
    assert_string_equal(sa.token_uri.data,
                        "http://127.0.0.1:9/google-token/token");
    assert_int_equal(sa.token_path.len, strlen("/google-token/token"));

    /* Google's token host when the file names none */
    assert_int_equal(waav_google_sa_parse(
        "{\"type\":\"service_account\",\"client_email\":\"a@b\","
        "\"private_key\":\"-----BEGIN x\"}", 76, &sa, &WAAV_ARENA, &err), 0);
    assert_string_equal(sa.token_uri.data, WAAV_GOOGLE_TOKEN_URI);
    assert_memory_equal(sa.token_path.data, "/token", 6);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(waav_google_sa_parse(bad[i], strlen(bad[i]), &sa,
                                              &WAAV_ARENA, &err), -1);
        assert_int_equal(err.status, 400);
        assert_null(strstr(err.message, "secret"));
    }
}


static void
test_assertion(void **state)
{
    jwt_t            *jwt;
    waav_err_t        err;
    waav_str_t        as;
    waav_google_sa_t  sa;
    char             *tok;

    (void) state;

    assert_int_equal(waav_google_sa_parse(sa_json, strlen(sa_json), &sa,
                                          &WAAV_ARENA, &err), 0);
    assert_int_equal(waav_google_assertion(&sa, NOW, &as, &WAAV_ARENA, &err),
                     0);

    tok = strndup(as.data, as.len);
    assert_non_null(tok);

    /* verified with the public key: RS256, the claims Google wants */
    assert_int_equal(jwt_decode(&jwt, tok, (const unsigned char *) pub_pem,
                                (int) strlen(pub_pem)), 0);
    assert_int_equal(jwt_get_alg(jwt), JWT_ALG_RS256);
    assert_string_equal(jwt_get_grant(jwt, "iss"),
                        "waav@p.iam.gserviceaccount.com");
    assert_string_equal(jwt_get_grant(jwt, "scope"), WAAV_GOOGLE_SCOPE);
    assert_string_equal(jwt_get_grant(jwt, "aud"),
                        "http://127.0.0.1:9/google-token/token");
    assert_int_equal(jwt_get_grant_int(jwt, "iat"), NOW);
    assert_int_equal(jwt_get_grant_int(jwt, "exp"), NOW + 3600);
    jwt_free(jwt);

    /* the same bytes do not pass as another key's */
    tok[as.len - 3] ^= 1;
    assert_int_not_equal(jwt_decode(&jwt, tok,
                                    (const unsigned char *) pub_pem,
                                    (int) strlen(pub_pem)), 0);
    free(tok);

    /* a key that does not sign: 500, the key not quoted */
    sa.private_key = (waav_str_t) waav_str_lit("-----BEGIN PRIVATE KEY-----"
                                               "\nnot a key\n");
    assert_int_equal(waav_google_assertion(&sa, NOW, &as, &WAAV_ARENA, &err),
                     -1);
    assert_int_equal(err.status, 500);
    assert_null(strstr(err.message, "not a key"));
}


static void
test_request(void **state)
{
    unsigned          ttl;
    waav_err_t        err;
    waav_str_t        token;
    waav_http_req_t   req;
    waav_google_sa_t  sa;

    static const char  prefix[] =
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
        "&assertion=eyJ";
    static const char  answer[] =
        "{\"access_token\":\"ya29.c.b0Aaek\",\"expires_in\":3599,"
        "\"token_type\":\"Bearer\"}";

    (void) state;

    assert_int_equal(waav_google_sa_parse(sa_json, strlen(sa_json), &sa,
                                          &WAAV_ARENA, &err), 0);
    assert_int_equal(waav_google_token_request(&sa, NOW, &req, &WAAV_ARENA,
                                               &err), 0);
    assert_string_equal(req.method, "POST");
    assert_int_equal(req.path.len, strlen("/google-token/token"));
    assert_memory_equal(req.path.data, "/google-token/token", req.path.len);
    assert_string_equal(header(&req, "Content-Type"),
                        "application/x-www-form-urlencoded");
    assert_true(req.body.len > sizeof(prefix));
    assert_memory_equal(req.body.data, prefix, sizeof(prefix) - 1);
    assert_null(memchr(req.body.data, '\n', req.body.len));

    /* Google's answer */
    assert_int_equal(waav_cred_oauth(answer, sizeof(answer) - 1, 3600,
                                     &token, &ttl, &WAAV_ARENA, &err), 0);
    assert_int_equal(token.len, 13);
    assert_int_equal(ttl, 3599);
}


/* the credentials hook: the key's shape picks the scheme */
static void
test_cred(void **state)
{
    unsigned            ttl;
    waav_err_t          err;
    waav_str_t          token;
    waav_secret_t       secret;
    waav_http_req_t     req, ex;
    const waav_cred_t  *sa;

    static const char  answer[] =
        "{\"access_token\":\"ya29.c.b0Aaek\",\"expires_in\":3599,"
        "\"token_type\":\"Bearer\"}";

    (void) state;

    /* an API key: as it is, in X-Goog-Api-Key */
    memset(&secret, 0, sizeof(secret));
    secret.key = (waav_str_t) waav_str_lit("AIzaSyKey");
    assert_ptr_equal(waav_cred_for(&waav_google_cred, secret.key),
                     &waav_google_cred);
    memset(&req, 0, sizeof(req));
    assert_int_equal(waav_cred_apply(&waav_google_cred, &secret, &req,
                                     &WAAV_ARENA, &err), 0);
    assert_string_equal(header(&req, "X-Goog-Api-Key"), "AIzaSyKey");
    assert_null(header(&req, "Authorization"));

    /* a service account's file (blanks before it too): exchanged */
    secret.key.data = sa_json;
    secret.key.len = strlen(sa_json);
    sa = waav_cred_for(&waav_google_cred, secret.key);
    assert_ptr_not_equal(sa, &waav_google_cred);
    assert_non_null(sa->exchange);
    assert_ptr_equal(waav_cred_for(&waav_google_cred,
                                   (waav_str_t) waav_str_lit(" \n\t{\"a\"")),
                     sa);
    assert_ptr_equal(waav_cred_for(&waav_google_cred,
                                   (waav_str_t) waav_str_lit("  ")),
                     &waav_google_cred);
    assert_ptr_equal(waav_cred_for(&waav_google_key_cred, secret.key),
                     &waav_google_key_cred);

    /* no token yet: waav's own error, nothing sent */
    memset(&req, 0, sizeof(req));
    assert_int_equal(waav_cred_apply(&waav_google_cred, &secret, &req,
                                     &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 500);
    assert_int_equal(req.nheaders, 0);

    /* the exchange: the token_uri's path, the form, JSON asked for */
    secret.now = NOW;
    assert_int_equal(sa->exchange(sa, &secret, &ex, &WAAV_ARENA, &err), 0);
    assert_memory_equal(ex.path.data, "/google-token/token", ex.path.len);
    assert_string_equal(header(&ex, "Accept"), "application/json");
    assert_non_null(strstr(ex.body.data, "&assertion=eyJ"));
    assert_null(strstr(ex.body.data, "PRIVATE"));

    assert_int_equal(sa->exchanged(sa, &secret, answer, sizeof(answer) - 1,
                                   &token, &ttl, &WAAV_ARENA, &err), 0);
    assert_int_equal(ttl, 3599);
    assert_int_equal(sa->exchanged(sa, &secret, "{\"error\":\"x\"}", 13,
                                   &token, &ttl, &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 502);

    /* with the token: Authorization: Bearer, no key */
    secret.token = (waav_str_t) waav_str_lit("ya29.tok");
    memset(&req, 0, sizeof(req));
    assert_int_equal(waav_cred_apply(&waav_google_cred, &secret, &req,
                                     &WAAV_ARENA, &err), 0);
    assert_string_equal(header(&req, "Authorization"), "Bearer ya29.tok");
    assert_null(header(&req, "X-Goog-Api-Key"));

    /* when the configuration is read: a file that parses and signs */
    assert_true(sa->key_ok(secret.key));
    assert_false(sa->key_ok((waav_str_t) waav_str_lit("{\"type\":1}")));
    assert_false(sa->key_ok((waav_str_t) waav_str_lit(
        "{\"type\":\"service_account\",\"client_email\":\"a@b\","
        "\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nnot a key\\n\"}")));

    /* a file that no longer parses when exchanged: 500, not quoted */
    secret.key = (waav_str_t) waav_str_lit("{\"type\":\"secret\"}");
    assert_int_equal(sa->exchange(sa, &secret, &ex, &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 500);
    assert_null(strstr(err.message, "secret\""));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_parse, waav_arena_teardown),
        cmocka_unit_test_teardown(test_assertion, waav_arena_teardown),
        cmocka_unit_test_teardown(test_request, waav_arena_teardown),
        cmocka_unit_test_teardown(test_cred, waav_arena_teardown),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
