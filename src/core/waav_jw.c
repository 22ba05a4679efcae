/*
 * waav: bounded JSON writer (see waav_jw.h).
 */

#include <math.h>
#include <string.h>

#include "waav_json.h"
#include "waav_jw.h"


void
waav_jw_init(waav_jw_t *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof(waav_jw_t));
    waav_buf_init(&w->b, buf, cap);
}


int
waav_jw_alloc(waav_jw_t *w, size_t cap, waav_alloc_t *a, waav_err_t *err)
{
    memset(w, 0, sizeof(waav_jw_t));

    return waav_buf_alloc(&w->b, cap, a, err);
}


static void
waav_jw_quoted(waav_jw_t *w, const char *s, size_t len)
{
    size_t       n;
    waav_buf_t  *b;

    b = &w->b;
    n = waav_json_escape(NULL, s, len);

    if (b->overflow || n + 2 > b->cap - b->len) {
        b->overflow = 1;
        return;
    }

    b->data[b->len++] = '"';
    b->len += waav_json_escape(b->data + b->len, s, len);
    b->data[b->len++] = '"';
}


static void
waav_jw_key(waav_jw_t *w, const char *key)
{
    if (w->depth > 0) {
        if (!w->first[w->depth - 1]) {
            waav_buf_byte(&w->b, ',');
        }

        w->first[w->depth - 1] = 0;
    }

    if (key) {
        waav_jw_quoted(w, key, strlen(key));
        waav_buf_byte(&w->b, ':');
    }
}


static void
waav_jw_push(waav_jw_t *w, const char *key, char c)
{
    waav_jw_key(w, key);
    waav_buf_byte(&w->b, c);

    if (w->depth == WAAV_JW_MAX_DEPTH) {
        w->b.overflow = 1;
        return;
    }

    w->first[w->depth++] = 1;
}


static void
waav_jw_pop(waav_jw_t *w, char c)
{
    if (w->depth > 0) {
        w->depth--;
    }

    waav_buf_byte(&w->b, c);
}


void
waav_jw_open(waav_jw_t *w, const char *key)
{
    waav_jw_push(w, key, '{');
}


void
waav_jw_key_array(waav_jw_t *w, const char *key)
{
    waav_jw_push(w, key, '[');
}


void
waav_jw_close_array(waav_jw_t *w)
{
    waav_jw_pop(w, ']');
}


void
waav_jw_close(waav_jw_t *w)
{
    waav_jw_pop(w, '}');
}


void
waav_jw_str(waav_jw_t *w, const char *key, const char *s, size_t len)
{
    waav_jw_key(w, key);
    waav_jw_quoted(w, s, len);
}


void
waav_jw_cstr(waav_jw_t *w, const char *key, const char *s)
{
    waav_jw_str(w, key, s, strlen(s));
}


void
waav_jw_int(waav_jw_t *w, const char *key, long v)
{
    waav_jw_key(w, key);

    if (v < 0) {
        waav_buf_byte(&w->b, '-');
        waav_buf_uint(&w->b, (uint64_t) -(v + 1) + 1);
        return;
    }

    waav_buf_uint(&w->b, (uint64_t) v);
}


void
waav_jw_num(waav_jw_t *w, const char *key, double v)
{
    waav_jw_key(w, key);

    if (!isfinite(v)) {
        waav_buf_cstr(&w->b, "null");
        return;
    }

    waav_buf_num(&w->b, v);
}


void
waav_jw_bool(waav_jw_t *w, const char *key, int v)
{
    waav_jw_key(w, key);
    waav_buf_cstr(&w->b, v ? "true" : "false");
}


int
waav_jw_done(waav_jw_t *w, waav_str_t *out)
{
    return waav_buf_done(&w->b, out);
}
