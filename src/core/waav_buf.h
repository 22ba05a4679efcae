/*
 * waav: a bounded buffer writer.
 *
 * Writes into a caller-sized buffer; anything that does not fit sets
 * b->overflow and nothing more is written, so a caller checks once, at the
 * end (waav_buf_done).  The JSON writer (waav_jw) and the multipart form
 * builder write through it.  Numbers are formatted without printf in the
 * common cases.
 */

#ifndef WAAV_BUF_H
#define WAAV_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "waav_alloc.h"

typedef struct {
    char    *data;
    size_t   len;
    size_t   cap;
    int      overflow;
    int      spare;             /* a byte after cap for the NUL */
} waav_buf_t;

void waav_buf_init(waav_buf_t *b, char *data, size_t cap);

/* cap bytes (and one for a NUL) from the allocator; -1 with err set */
int waav_buf_alloc(waav_buf_t *b, size_t cap, waav_alloc_t *a,
    waav_err_t *err);

void waav_buf_add(waav_buf_t *b, const void *s, size_t len);
void waav_buf_cstr(waav_buf_t *b, const char *s);
void waav_buf_str(waav_buf_t *b, waav_str_t s);
void waav_buf_byte(waav_buf_t *b, char c);
void waav_buf_uint(waav_buf_t *b, uint64_t v);

/* as printf's "%.15g" would write it (finite numbers only) */
void waav_buf_num(waav_buf_t *b, double v);

/* the bytes written (NUL-terminated when there is room, as there is
 * after waav_buf_alloc); -1 on overflow */
int waav_buf_done(waav_buf_t *b, waav_str_t *out);

#endif /* WAAV_BUF_H */
