/*
 * libFuzzer target: JWK Sets through the JWKS parser
 * (src/core/waav_jwks.c).  Every key it gives must be a PEM public key
 * OpenSSL reads back, of the type its algorithm says.  `make fuzz`.
 *
 * fuzz-covers: waav_jwks.c waav_base64.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "waav_jwks.h"
#include "../unit/waav_arena.h"


static void
fuzz_check(const waav_jwt_key_t *k)
{
    BIO       *b;
    EVP_PKEY  *pk;
    int        type;

    b = BIO_new_mem_buf(k->key.data, (int) k->key.len);
    pk = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);

    if (pk == NULL) {
        abort();
    }

    type = EVP_PKEY_get_base_id(pk);
    EVP_PKEY_free(pk);

    if (type != (k->alg == WAAV_JWT_RS256 ? EVP_PKEY_RSA : EVP_PKEY_EC)
        || k->kid.len > WAAV_JWKS_MAX_KID)
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int              n;
    size_t           i, nkeys;
    waav_err_t       err;
    waav_jwt_key_t   keys[4];

    nkeys = 1;                      /* after a key configured before */

    n = waav_jwks_parse((const char *) data, size, keys, 4, &nkeys,
                        &WAAV_ARENA, &err);

    if (n > 0) {
        if ((size_t) n != nkeys - 1) {
            abort();
        }

        for (i = 1; i < nkeys; i++) {
            fuzz_check(&keys[i]);
        }

    } else if (n != -1 || nkeys != 1 || err.message[0] == '\0') {
        abort();
    }

    waav_arena_reset();

    return 0;
}
