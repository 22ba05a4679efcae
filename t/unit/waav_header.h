/*
 * waav tests: a provider request's header, as unit tests read it (after
 * cmocka.h).
 */

#ifndef WAAV_HEADER_H
#define WAAV_HEADER_H

#include <stdio.h>
#include <string.h>

#include "waav_http.h"

/* the value of the header called name (NUL-terminated, cut at 255
 * bytes, valid until the next call), or NULL when there is none */
static __attribute__((unused)) const char *
header(const waav_http_req_t *out, const char *name)
{
    size_t       i;
    static char  buf[256];

    for (i = 0; i < out->nheaders; i++) {
        if (strcmp(out->headers[i].name, name) == 0) {
            snprintf(buf, sizeof(buf), "%.*s",
                     (int) out->headers[i].value.len,
                     out->headers[i].value.data);
            return buf;
        }
    }

    return NULL;
}


/* the header called name is there, with the value want */
static __attribute__((unused)) void
assert_header_is(const waav_http_req_t *out, const char *name,
    const char *want)
{
    const char  *v;

    v = header(out, name);
    assert_non_null(v);
    assert_string_equal(v, want);
}

#endif /* WAAV_HEADER_H */
