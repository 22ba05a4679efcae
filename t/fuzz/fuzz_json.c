/*
 * libFuzzer target: client JSON through waav_json_parse (duplicate keys,
 * \u0000, trailing bytes refused), against a plain cJSON parse and a
 * pairwise duplicate check: it accepts exactly what they accept.
 * `make fuzz`.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_json.h"
#include "../unit/waav_arena.h"


static int
waav_fuzz_dup(const cJSON *item)
{
    const cJSON  *c, *d;

    for (c = item->child; c; c = c->next) {
        if (waav_fuzz_dup(c)) {
            return 1;
        }

        if (cJSON_IsObject(item)) {
            for (d = c->next; d; d = d->next) {
                if (strcmp(c->string, d->string) == 0) {
                    return 1;
                }
            }
        }
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int           ok, want;
    cJSON        *ref;
    waav_err_t    err;
    waav_alloc_t  a = { waav_arena_alloc, NULL };
    const char   *end;

    ok = waav_json_parse((const char *) data, size, WAAV_JSON_CLIENT, &a,
                         &err) != NULL;

    if (!ok && err.status != 400) {
        abort();
    }

    end = NULL;
    ref = cJSON_ParseWithLengthOpts((const char *) data, size, &end, 0);
    want = ref != NULL;

    if (want) {
        while (end < (const char *) data + size
               && (*end == ' ' || *end == '\t' || *end == '\r'
                   || *end == '\n'))
        {
            end++;
        }

        want = end == (const char *) data + size && !waav_fuzz_dup(ref)
               && memchr(data, '\0', size) == NULL;
    }

    /* a "\u0000" waav refuses and cJSON reads as an early end */
    if (ok && !want) {
        abort();
    }

    if (!ok && want && strstr(err.message, "u0000") == NULL) {
        abort();
    }

    cJSON_Delete(ref);
    waav_arena_reset();

    return 0;
}
