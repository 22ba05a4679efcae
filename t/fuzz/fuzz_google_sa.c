/*
 * libFuzzer target: a service-account file (GOOGLE_APPLICATION_CREDENTIALS)
 * read into its fields; what is accepted must be bounded, its client_email
 * visible ASCII, its token path a path; the token request is then built
 * (a key that does not sign is refused, never a crash).  A file whose
 * private_key is "-----BEGIN FUZZ-----" signs with an RSA key made at
 * start: the request is then a form with the assertion.  The same bytes go
 * through Google's credentials hook (waav_google_cred): the key's shape
 * picks the scheme, a service account's is checked as the configuration
 * check does and exchanged, the bytes read as the token endpoint's
 * answer.  `make fuzz`.
 *
 * fuzz-covers: waav_google_sa.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "waav_google_sa.h"
#include "../unit/waav_arena.h"


#define WAAV_FUZZ_KEY  "-----BEGIN FUZZ-----"


static waav_str_t  waav_fuzz_pem;
static char        waav_fuzz_file[8192];    /* an account with that key */


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    long       n;
    char      *p, *copy;
    size_t     i;
    BIO       *b;
    EVP_PKEY  *k;

    (void) argc;
    (void) argv;

    k = EVP_RSA_gen(2048);
    b = BIO_new(BIO_s_mem());

    if (k == NULL || b == NULL
        || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
    {
        abort();
    }

    n = BIO_get_mem_data(b, &p);
    copy = malloc(n + 1);
    if (copy == NULL) {
        abort();
    }

    memcpy(copy, p, n);
    copy[n] = '\0';
    waav_fuzz_pem.data = copy;
    waav_fuzz_pem.len = n;

    /* its PEM in a service account's JSON, the newlines escaped */
    i = (size_t) snprintf(waav_fuzz_file, sizeof(waav_fuzz_file),
                          "{\"type\":\"service_account\",\"client_email\":"
                          "\"f@p.iam.gserviceaccount.com\",\"private_key\":\"");

    for (p = copy; *p && i < sizeof(waav_fuzz_file) - 64; p++) {
        if (*p == '\n') {
            waav_fuzz_file[i++] = '\\';
            waav_fuzz_file[i++] = 'n';

        } else {
            waav_fuzz_file[i++] = *p;
        }
    }

    snprintf(waav_fuzz_file + i, sizeof(waav_fuzz_file) - i, "\"}");

    BIO_free(b);
    EVP_PKEY_free(k);

    return 0;
}


/* the assertion's dots in the form (the form's other field has none) */
static int
waav_fuzz_dots(waav_str_t body)
{
    int     n;
    size_t  i;

    n = 0;

    for (i = 0; i < body.len; i++) {
        n += (body.data[i] == '.');
    }

    return n;
}


/* the credentials hook on the bytes: never a crash; a service account's
 * file that passes the configuration check is exchanged for a form */
static void
waav_fuzz_cred(const uint8_t *data, size_t size, waav_alloc_t *a)
{
    unsigned            ttl;
    waav_err_t          err;
    waav_str_t          token;
    waav_secret_t       secret;
    waav_http_req_t     req;
    const waav_cred_t  *cred;

    memset(&secret, 0, sizeof(secret));
    secret.key.data = (const char *) data;
    secret.key.len = size;
    secret.now = 1700000000;

    cred = waav_cred_for(&waav_google_cred, secret.key);

    /* the bytes as the token endpoint's answer */
    if (cred->exchanged
        && cred->exchanged(cred, &secret, secret.key.data, size, &token,
                           &ttl, a, &err) == 0
        && (token.len == 0 || ttl == 0 || ttl > 3600))
    {
        abort();
    }

    if (cred == &waav_google_cred) {
        return;
    }

    /* our key's file (the bytes' own key never signs): a form */
    if (size && data[0] == '{' && (data[size - 1] & 1)) {
        secret.key.data = waav_fuzz_file;
        secret.key.len = strlen(waav_fuzz_file);
    }

    if (cred->key_ok(secret.key)
        && (cred->exchange(cred, &secret, &req, a, &err) != 0
            || waav_fuzz_dots(req.body) != 2 || req.nheaders != 2))
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int               rc, signs;
    size_t            i;
    waav_err_t        err;
    waav_http_req_t   req;
    waav_google_sa_t  sa;
    waav_alloc_t      a = { waav_arena_alloc, NULL };

    waav_fuzz_cred(data, size, &a);

    if (waav_google_sa_parse((const char *) data, size, &sa, &a, &err) != 0) {
        if (err.status != 400 && err.status != 500) {
            abort();
        }

        waav_arena_reset();
        return 0;
    }

    if (sa.client_email.len == 0 || sa.token_path.len == 0
        || sa.token_path.data[0] != '/')
    {
        abort();
    }

    for (i = 0; i < sa.client_email.len; i++) {
        if (sa.client_email.data[i] <= 0x20
            || sa.client_email.data[i] >= 0x7f)
        {
            abort();
        }
    }

    signs = (sa.private_key.len == sizeof(WAAV_FUZZ_KEY) - 1
             && memcmp(sa.private_key.data, WAAV_FUZZ_KEY,
                       sa.private_key.len) == 0);

    if (signs) {
        sa.private_key = waav_fuzz_pem;
    }

    rc = waav_google_token_request(&sa, 1700000000, &req, &a, &err);

    /* our key signs: a form with a JWT of three parts; no key: 500 */
    if ((rc == 0 && (req.body.len == 0 || req.nheaders != 1
                     || req.path.len == 0 || req.path.data[0] != '/'
                     || waav_fuzz_dots(req.body) != 2))
        || (rc != 0 && (signs || err.status != 500)))
    {
        abort();
    }

    waav_arena_reset();

    return 0;
}
