/*
 * libFuzzer target: bearer tokens through the JWT checks, the API secret
 * comparison and the token cache's comparison.  `make fuzz`.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_jwt.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    waav_jwt_conf_t     conf;
    waav_jwt_claims_t   claims;
    waav_err_t          err;
    waav_api_secret_t   s = { { "t", 1 }, { "fuzz-secret", 11 } };

    memset(&conf, 0, sizeof(conf));
    conf.keys[0].alg = WAAV_JWT_HS256;
    conf.keys[0].key.data = "fuzz-hs256-secret-fuzz-hs256-secret";
    conf.keys[0].key.len = 35;
    conf.nkeys = 1;
    conf.tenant_claim.data = "sub";
    conf.tenant_claim.len = 3;
    conf.audience.data = "waav";
    conf.audience.len = 4;
    conf.leeway = 30;

    (void) waav_jwt_verify(&conf, (const char *) data, size, 1700000000,
                           &claims, &err);
    (void) waav_api_secret_match(&s, 1, (const char *) data, size);

    /* the cache's comparison agrees with memcmp on the input's halves */
    if (waav_token_equal((const char *) data, size / 2,
                         (const char *) data + size / 2, size - size / 2)
        != (size % 2 == 0
            && memcmp(data, data + size / 2, size / 2) == 0))
    {
        abort();
    }

    return 0;
}
