/*
 * libFuzzer target: a token exchange's answer through every adapter that
 * exchanges a key (exchanged(): the token, a JWT's lifetime), then the
 * token applied to a request.  `make fuzz`.
 *
 * fuzz-covers: waav_cred.c tts/waav_tts_azure.c tts/waav_tts_ibm.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_registry.h"
#include "../unit/waav_arena.h"


static int
waav_fuzz_visible(waav_str_t v)
{
    size_t  i;

    for (i = 0; i < v.len; i++) {
        if (v.data[i] < 0x20 || v.data[i] >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                       i;
    unsigned                     ttl;
    waav_err_t                   err;
    waav_str_t                   token;
    waav_http_req_t              req;
    waav_alloc_t                 a = { waav_arena_alloc, NULL };
    const waav_cred_t           *cred;
    const waav_provider_type_t  *pt;
    waav_secret_t                s = {
        .key = { "fuzz-key", 8 }, .token = { "", 0 }, .now = 1700000000
    };

    for (pt = waav_provider_types; pt->name; pt++) {
        cred = pt->tts ? pt->tts->cred : NULL;

        if (cred == NULL || cred->exchanged == NULL) {
            continue;
        }

        /* the request: the key in it, bounded */
        if (cred->exchange(cred, &s, &req, &a, &err) != 0
            || req.nheaders == 0)
        {
            abort();
        }

        if (cred->exchanged(cred, &s, (const char *) data, size, &token,
                            &ttl, &a, &err)
            != 0)
        {
            continue;
        }

        /* a token is bounded, visible ASCII (it goes into a header) and
         * never outlives what the provider grants */
        if (token.len == 0 || token.len > WAAV_CRED_TOKEN_MAX || ttl > 3600) {
            abort();
        }

        for (i = 0; i < token.len; i++) {
            if (token.data[i] <= 0x20 || token.data[i] >= 0x7f) {
                abort();
            }
        }

        memset(&req, 0, sizeof(req));
        s.token = token;

        if (waav_cred_apply(cred, &s, &req, &a, &err) != 0
            || req.nheaders != 1)
        {
            abort();
        }

        s.token.len = 0;
    }

    /* a caller's own key (X-Provider-Api-Key), whatever its bytes, as the
     * provider takes one: at most one header, visible ASCII */
    s.key.data = (const char *) data;
    s.key.len = size < 512 ? size : 512;

    for (pt = waav_provider_types; pt->name; pt++) {
        cred = pt->tts ? pt->tts->byok_cred : NULL;

        if (cred == NULL || cred->exchange) {
            continue;
        }

        memset(&req, 0, sizeof(req));

        if (waav_cred_apply(cred, &s, &req, &a, &err) != 0) {
            continue;
        }

        if (req.nheaders > 1
            || (req.nheaders == 1 && s.key.len && cred->name == NULL
                && !waav_fuzz_visible(req.headers[0].value)))
        {
            abort();
        }
    }

    waav_arena_reset();

    return 0;
}
