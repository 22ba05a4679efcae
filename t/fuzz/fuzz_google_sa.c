/*
 * libFuzzer target: a service-account file (GOOGLE_APPLICATION_CREDENTIALS)
 * read into its fields; what is accepted must be bounded, its client_email
 * visible ASCII, its token path a path; the token request is then built
 * (a key that does not sign is refused, never a crash).  `make fuzz`.
 *
 * fuzz-covers: waav_google_sa.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_google_sa.h"
#include "../unit/waav_arena.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t            i;
    waav_err_t        err;
    waav_http_req_t   req;
    waav_google_sa_t  sa;
    waav_alloc_t      a = { waav_arena_alloc, NULL };

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

    if (waav_google_token_request(&sa, 1700000000, &req, &a, &err) == 0
        && (req.body.len == 0 || req.nheaders != 1))
    {
        abort();
    }

    waav_arena_reset();

    return 0;
}
