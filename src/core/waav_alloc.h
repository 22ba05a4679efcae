/*
 * waav: the allocator the pure C code allocates from.
 *
 * The nginx glue passes one that takes memory from the request pool (freed
 * with the request); unit tests and fuzzers pass one on malloc.  Nothing the
 * core returns is freed piecemeal.
 */

#ifndef WAAV_ALLOC_H
#define WAAV_ALLOC_H

#include <stddef.h>

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

/* error the core reports; the glue sends it as JSON with that status */
typedef struct {
    int          status;
    const char  *code;
    char         message[256];
} waav_err_t;

int waav_err_set(waav_err_t *err, int status, const char *code,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif /* WAAV_ALLOC_H */
