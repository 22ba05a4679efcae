/*
 * libFuzzer target: POST /livekit/token bodies through the LiveKit core
 * (src/core/waav_livekit.c), from the body to the JSON answer.  Byte 0
 * picks the caller's tenant: none, "acme", or one with '_'.  An answer
 * must be one JSON object whose token verifies with the API secret and
 * whose room is the tenant's.  `make fuzz`.
 *
 * fuzz-covers: waav_livekit.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jwt.h>

#include "waav_livekit.h"
#include "../unit/waav_arena.h"


#define FUZZ_SECRET  "lk-fuzz-secret-lk-fuzz-secret-00"


static void
fuzz_check(waav_str_t tenant, waav_str_t out)
{
    jwt_t        *jwt;
    cJSON        *a;
    const cJSON  *tok, *room;

    a = cJSON_ParseWithLength(out.data, out.len);
    tok = cJSON_GetObjectItemCaseSensitive(a, "token");
    room = cJSON_GetObjectItemCaseSensitive(a, "room_name");

    if (!cJSON_IsString(tok) || !cJSON_IsString(room)
        || (tenant.len
            && (strncmp(room->valuestring, tenant.data, tenant.len) != 0
                || room->valuestring[tenant.len] != '_')))
    {
        abort();
    }

    jwt = NULL;

    if (jwt_decode(&jwt, tok->valuestring, (const unsigned char *) FUZZ_SECRET,
                   sizeof(FUZZ_SECRET) - 1)
        != 0)
    {
        abort();
    }

    jwt_free(jwt);
    cJSON_Delete(a);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    waav_err_t           err;
    waav_str_t           out, tenant;
    waav_livekit_conf_t  conf = {
        { "APIfuzz", 7 }, { FUZZ_SECRET, sizeof(FUZZ_SECRET) - 1 },
        { "wss://lk.fuzz", 13 }, 600
    };

    static const waav_str_t  tenants[] = {
        { "", 0 }, { "acme", 4 }, { "ac_me", 5 }
    };

    if (size < 1) {
        return 0;
    }

    tenant = tenants[data[0] % 3];

    if (waav_livekit_answer(&conf, tenant, (const char *) data + 1, size - 1,
                            1700000000, &WAAV_ARENA, &out, &err)
        == 0)
    {
        fuzz_check(tenant, out);

    } else if (err.status < 400 || err.message[0] == '\0') {
        abort();
    }

    waav_arena_reset();

    return 0;
}
