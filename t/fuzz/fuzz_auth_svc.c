/*
 * libFuzzer target: the external auth service's answer (its id becomes a
 * tenant: bounded, no control character), the claims built from a
 * hostile token and headers (always valid JSON), and the question signed
 * with them: with an ES256 key made at start (a JWT of three parts), or
 * with bytes that are no key (an error, never a token).  `make fuzz`.
 *
 * fuzz-covers: waav_auth_svc.c
 */

#include <stdint.h>
#include <string.h>
#include <stdlib.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "waav_auth_svc.h"
#include "../unit/waav_arena.h"


static waav_str_t  waav_fuzz_pem;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    long       n;
    char      *p, *copy;
    BIO       *b;
    EVP_PKEY  *k;

    (void) argc;
    (void) argv;

    k = EVP_EC_gen("P-256");
    b = BIO_new(BIO_s_mem());

    if (k == NULL || b == NULL
        || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
    {
        abort();
    }

    n = BIO_get_mem_data(b, &p);
    copy = malloc(n);
    if (copy == NULL) {
        abort();
    }

    memcpy(copy, p, n);
    waav_fuzz_pem.data = copy;
    waav_fuzz_pem.len = n;

    BIO_free(b);
    EVP_PKEY_free(k);

    return 0;
}


/* the question signed: a JWT with the key, an error with no key */
static void
waav_fuzz_sign(const waav_auth_svc_req_t *r, const uint8_t *data, size_t size)
{
    size_t       i, dots;
    waav_str_t   tok, junk;
    waav_err_t   err;

    if (waav_auth_svc_sign(r, WAAV_AUTH_SVC_ES256, waav_fuzz_pem,
                           &WAAV_ARENA, &tok, &err)
        == 0)
    {
        for (i = 0, dots = 0; i < tok.len; i++) {
            dots += (tok.data[i] == '.');
        }

        if (dots != 2) {
            abort();
        }
    }

    junk.data = (const char *) data;
    junk.len = size;

    if (waav_auth_svc_sign(r, WAAV_AUTH_SVC_RS256, junk, &WAAV_ARENA, &tok,
                           &err)
        == 0 && size < 100)
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                      rc;
    char                    *json;
    size_t                   i, len, half;
    cJSON                   *root;
    waav_str_t               id;
    waav_auth_svc_req_t      r;
    waav_auth_svc_header_t   h[2];

    rc = waav_auth_svc_answer((const char *) data, size, &WAAV_ARENA, &id);

    if (rc == 1) {
        if (id.len == 0 || id.len > WAAV_AUTH_SVC_ID_MAX) {
            abort();
        }

        for (i = 0; i < id.len; i++) {
            if ((unsigned char) id.data[i] < 0x20) {
                abort();
            }
        }
    }

    half = size / 2;
    memset(&r, 0, sizeof(r));
    r.token.data = (const char *) data;
    r.token.len = half;
    h[0].name.data = (const char *) data + half;
    h[0].name.len = (size - half) / 2;
    h[0].value.data = h[0].name.data + h[0].name.len;
    h[0].value.len = size - half - h[0].name.len;
    h[1] = h[0];
    r.headers = h;
    r.nheaders = 2;
    r.method.data = "POST";
    r.method.len = 4;
    r.path.data = (const char *) data;
    r.path.len = half;

    json = waav_auth_svc_claims(&r, &WAAV_ARENA, &len);

    if (json) {
        root = cJSON_ParseWithLength(json, len);
        if (root == NULL) {
            abort();
        }
        cJSON_Delete(root);
    }

    /* signing costs time: one input in eight */
    if (size > 0 && (data[0] & 7) == 0) {
        waav_fuzz_sign(&r, data, size);
    }

    waav_arena_reset();

    return 0;
}
