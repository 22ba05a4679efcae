/*
 * libFuzzer target: client JSON through waav_json_parse (duplicate keys,
 * \u0000, trailing bytes refused), against a plain cJSON parse and a
 * pairwise duplicate check: it accepts exactly what they accept.  The
 * same bytes, escaped as a JSON string and in an error body, must read
 * back as valid JSON.  `make fuzz`.
 *
 * fuzz-covers: waav_json.c
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


/* hostile bytes as a JSON string and in an error body: always JSON */
static void
waav_fuzz_escape(const uint8_t *data, size_t size)
{
    char    *buf;
    size_t   n, m;
    cJSON   *j;

    n = waav_json_escape(NULL, (const char *) data, size);
    buf = malloc(n + 3);
    buf[0] = '"';

    if (waav_json_escape(buf + 1, (const char *) data, size) != n) {
        abort();
    }

    buf[n + 1] = '"';
    buf[n + 2] = '\0';

    j = cJSON_Parse(buf);

    if (j == NULL || !cJSON_IsString(j)
        || !waav_utf8_valid(buf, n + 2))
    {
        abort();
    }

    cJSON_Delete(j);
    free(buf);

    m = waav_json_error(NULL, 0, (const char *) data, size, "CODE");
    buf = malloc(m + 1);

    if (waav_json_error(buf, m, (const char *) data, size, "CODE") != m) {
        abort();
    }

    buf[m] = '\0';
    j = cJSON_Parse(buf);

    if (j == NULL || !cJSON_IsObject(j)) {
        abort();
    }

    cJSON_Delete(j);
    free(buf);

    (void) waav_utf8_chars((const char *) data, size);
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
    waav_fuzz_escape(data, size);
    waav_arena_reset();

    return 0;
}
