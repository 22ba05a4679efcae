/*
 * waav: the allocator the pure C code allocates from, and its string.
 *
 * The nginx glue passes one that takes memory from the request pool (freed
 * with the request); unit tests and fuzzers pass one on malloc.  Nothing the
 * core returns is freed piecemeal.
 */

#ifndef WAAV_ALLOC_H
#define WAAV_ALLOC_H

#include <stddef.h>

/* waav_jwt.h and waav_livekit.h still take waav_err_t from here */
#include "waav_err.h"

typedef struct {
    void   *(*alloc)(void *data, size_t size);
    void    *data;
} waav_alloc_t;

#define waav_alloc(a, size)  ((a)->alloc((a)->data, (size)))

/* a string that is not necessarily NUL-terminated */
typedef struct {
    const char  *data;
    size_t       len;
} waav_str_t;

#define waav_str_lit(s)  { s, sizeof(s) - 1 }

#endif /* WAAV_ALLOC_H */
