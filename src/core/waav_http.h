/*
 * waav: a provider HTTP request, as adapters build it and the glue sends
 * it (as a subrequest to the provider's internal location).  Pure C.
 */

#ifndef WAAV_HTTP_H
#define WAAV_HTTP_H

#include <stddef.h>

#include "waav_alloc.h"

#define WAAV_HTTP_MAX_HEADERS  8

typedef struct {
    const char   *name;
    waav_str_t    value;
} waav_header_t;

typedef struct {
    const char    *method;          /* "POST" (NULL too) or "GET" */
    waav_str_t     path;            /* relative to the provider's base URL */
    waav_str_t     args;            /* query string without '?' */
    waav_header_t  headers[WAAV_HTTP_MAX_HEADERS];
    size_t         nheaders;
    waav_str_t     body;
} waav_http_req_t;

int waav_http_add_header(waav_http_req_t *out, const char *name,
    const char *value, size_t len, waav_err_t *err);

/* Content-Type: application/json */
int waav_http_json(waav_http_req_t *out, waav_err_t *err);

/* "<name>: <prefix><value>" */
int waav_http_prefixed(waav_http_req_t *out, const char *name,
    const char *prefix, waav_str_t value, waav_alloc_t *a, waav_err_t *err);

/* name=value (value percent-encoded) after the query's other arguments */
int waav_http_add_arg(waav_http_req_t *out, const char *name,
    waav_str_t value, waav_alloc_t *a, waav_err_t *err);

/* identifiers that end up in provider URLs: [A-Za-z0-9._:@+-], no "..",
 * 1-256 bytes */
#define WAAV_IDENT_MAX  256

int waav_ident_valid(const char *s, size_t len);

/* a string from the allocator, printf-style ("%.*s" for waav_str_t) */
char *waav_sprintf(waav_alloc_t *a, size_t *len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* WAAV_HTTP_H */
