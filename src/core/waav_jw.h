/*
 * waav: a small bounded JSON writer for provider request bodies.
 *
 * Writes into a caller-sized buffer; on overflow it stops writing and sets
 * w->overflow, so a caller checks once at the end.
 */

#ifndef WAAV_JW_H
#define WAAV_JW_H

#include <stddef.h>

#define WAAV_JW_MAX_DEPTH  16

typedef struct waav_jw_s {
    char          *buf;
    size_t         len;
    size_t         cap;
    int            overflow;
    int            depth;
    unsigned char  first[WAAV_JW_MAX_DEPTH];
} waav_jw_t;

void waav_jw_init(waav_jw_t *w, char *buf, size_t cap);
void waav_jw_open(waav_jw_t *w, const char *key);     /* key NULL at top */
void waav_jw_close(waav_jw_t *w);
void waav_jw_key_array(waav_jw_t *w, const char *key);  /* key NULL in arrays */
void waav_jw_close_array(waav_jw_t *w);
void waav_jw_str(waav_jw_t *w, const char *key, const char *s, size_t len);
void waav_jw_cstr(waav_jw_t *w, const char *key, const char *s);
void waav_jw_int(waav_jw_t *w, const char *key, long v);
void waav_jw_num(waav_jw_t *w, const char *key, double v);
void waav_jw_bool(waav_jw_t *w, const char *key, int v);

#endif /* WAAV_JW_H */
