/*
 * waav: a small bounded JSON writer, over the buffer writer (waav_buf.h).
 *
 * On overflow it stops writing and sets w->b.overflow, so a caller checks
 * once at the end (waav_jw_done).
 */

#ifndef WAAV_JW_H
#define WAAV_JW_H

#include <stddef.h>

#include "waav_buf.h"

#define WAAV_JW_MAX_DEPTH  16

typedef struct waav_jw_s {
    waav_buf_t     b;
    int            depth;
    unsigned char  first[WAAV_JW_MAX_DEPTH];
} waav_jw_t;

void waav_jw_init(waav_jw_t *w, char *buf, size_t cap);

/* a writer of cap bytes from the allocator; -1 with err set */
int waav_jw_alloc(waav_jw_t *w, size_t cap, waav_alloc_t *a, waav_err_t *err);

void waav_jw_open(waav_jw_t *w, const char *key);     /* key NULL at top */
void waav_jw_close(waav_jw_t *w);
void waav_jw_key_array(waav_jw_t *w, const char *key);  /* key NULL in arrays */
void waav_jw_close_array(waav_jw_t *w);
void waav_jw_str(waav_jw_t *w, const char *key, const char *s, size_t len);
void waav_jw_cstr(waav_jw_t *w, const char *key, const char *s);
void waav_jw_int(waav_jw_t *w, const char *key, long v);
/* null for a number that is not finite */
void waav_jw_num(waav_jw_t *w, const char *key, double v);
void waav_jw_bool(waav_jw_t *w, const char *key, int v);

/* the JSON written; -1 when it did not fit */
int waav_jw_done(waav_jw_t *w, waav_str_t *out);

#endif /* WAAV_JW_H */
