/*
 * libFuzzer target: the external auth service's answer (its id becomes a
 * tenant: bounded, no control character) and the claims built from a
 * hostile token and headers (always valid JSON).  `make fuzz`.
 *
 * fuzz-covers: waav_auth_svc.c
 */

#include <stdint.h>
#include <string.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "waav_auth_svc.h"
#include "../unit/waav_arena.h"


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

    waav_arena_reset();

    return 0;
}
