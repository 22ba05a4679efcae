/*
 * waav: bounded JSON writer (see waav_jw.h).
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "waav_alloc.h"
#include "waav_json.h"
#include "waav_jw.h"


int
waav_err_set(waav_err_t *err, int status, const char *code,
    const char *fmt, ...)
{
    va_list  ap;

    err->status = status;
    err->code = code;

    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);

    return -1;
}


void
waav_jw_init(waav_jw_t *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof(waav_jw_t));
    w->buf = buf;
    w->cap = cap;
}


static void
waav_jw_raw(waav_jw_t *w, const char *s, size_t len)
{
    if (w->overflow || len > w->cap - w->len) {
        w->overflow = 1;
        return;
    }

    memcpy(w->buf + w->len, s, len);
    w->len += len;
}


static void
waav_jw_quoted(waav_jw_t *w, const char *s, size_t len)
{
    size_t  n;

    n = waav_json_escape(NULL, s, len);

    if (w->overflow || n + 2 > w->cap - w->len) {
        w->overflow = 1;
        return;
    }

    w->buf[w->len++] = '"';
    w->len += waav_json_escape(w->buf + w->len, s, len);
    w->buf[w->len++] = '"';
}


static void
waav_jw_key(waav_jw_t *w, const char *key)
{
    if (w->depth > 0) {
        if (!w->first[w->depth - 1]) {
            waav_jw_raw(w, ",", 1);
        }

        w->first[w->depth - 1] = 0;
    }

    if (key) {
        waav_jw_quoted(w, key, strlen(key));
        waav_jw_raw(w, ":", 1);
    }
}


void
waav_jw_open(waav_jw_t *w, const char *key)
{
    waav_jw_key(w, key);
    waav_jw_raw(w, "{", 1);

    if (w->depth == WAAV_JW_MAX_DEPTH) {
        w->overflow = 1;
        return;
    }

    w->first[w->depth++] = 1;
}


void
waav_jw_key_array(waav_jw_t *w, const char *key)
{
    waav_jw_key(w, key);
    waav_jw_raw(w, "[", 1);

    if (w->depth == WAAV_JW_MAX_DEPTH) {
        w->overflow = 1;
        return;
    }

    w->first[w->depth++] = 1;
}


void
waav_jw_close_array(waav_jw_t *w)
{
    if (w->depth > 0) {
        w->depth--;
    }

    waav_jw_raw(w, "]", 1);
}


void
waav_jw_close(waav_jw_t *w)
{
    if (w->depth > 0) {
        w->depth--;
    }

    waav_jw_raw(w, "}", 1);
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
    char  tmp[32];
    int   n;

    waav_jw_key(w, key);
    n = snprintf(tmp, sizeof(tmp), "%ld", v);
    waav_jw_raw(w, tmp, (size_t) n);
}


void
waav_jw_num(waav_jw_t *w, const char *key, double v)
{
    char  tmp[32];
    int   n;

    waav_jw_key(w, key);

    /* shortest form that reads back as the same value: 1, 1.25, 0.5 */
    n = snprintf(tmp, sizeof(tmp), "%.15g", v);
    waav_jw_raw(w, tmp, (size_t) n);
}


void
waav_jw_bool(waav_jw_t *w, const char *key, int v)
{
    waav_jw_key(w, key);
    waav_jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}
