/*
 * waav: provider HTTP requests (see waav_http.h).
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "waav_buf.h"
#include "waav_http.h"


int
waav_http_add_header(waav_http_req_t *out, const char *name,
    const char *value, size_t len, waav_err_t *err)
{
    if (out->nheaders == WAAV_HTTP_MAX_HEADERS) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL, "too many headers");
    }

    out->headers[out->nheaders].name = name;
    out->headers[out->nheaders].value.data = value;
    out->headers[out->nheaders].value.len = len;
    out->nheaders++;

    return 0;
}


int
waav_http_json(waav_http_req_t *out, waav_err_t *err)
{
    return waav_http_add_header(out, "Content-Type", "application/json",
                                sizeof("application/json") - 1, err);
}


int
waav_http_prefixed(waav_http_req_t *out, const char *name, const char *prefix,
    waav_str_t value, waav_alloc_t *a, waav_err_t *err)
{
    char    *v;
    size_t   len;

    v = waav_sprintf(a, &len, "%s%.*s", prefix, (int) value.len, value.data);
    if (v == NULL) {
        return waav_err_nomem(err);
    }

    return waav_http_add_header(out, name, v, len, err);
}


int
waav_http_add_arg(waav_http_req_t *out, const char *name, waav_str_t value,
    waav_alloc_t *a, waav_err_t *err)
{
    size_t         i;
    waav_str_t     s;
    waav_buf_t     b;
    unsigned char  c;

    static const char  hex[] = "0123456789ABCDEF";

    if (waav_buf_alloc(&b, out->args.len + strlen(name) + 2 + 3 * value.len,
                       a, err) != 0)
    {
        return -1;
    }

    waav_buf_str(&b, out->args);

    if (out->args.len) {
        waav_buf_byte(&b, '&');
    }

    waav_buf_cstr(&b, name);
    waav_buf_byte(&b, '=');

    for (i = 0; i < value.len; i++) {
        c = (unsigned char) value.data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
            || c == '~')
        {
            waav_buf_byte(&b, (char) c);
            continue;
        }

        waav_buf_byte(&b, '%');
        waav_buf_byte(&b, hex[c >> 4]);
        waav_buf_byte(&b, hex[c & 0xf]);
    }

    if (waav_buf_done(&b, &s) != 0) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL, "query too long");
    }

    out->args = s;

    return 0;
}


char *
waav_sprintf(waav_alloc_t *a, size_t *len, const char *fmt, ...)
{
    va_list   ap;
    char     *p;
    int       n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);

    if (n < 0) {
        return NULL;
    }

    p = waav_alloc(a, (size_t) n + 1);
    if (p == NULL) {
        return NULL;
    }

    va_start(ap, fmt);
    vsnprintf(p, (size_t) n + 1, fmt, ap);
    va_end(ap);

    if (len) {
        *len = (size_t) n;
    }

    return p;
}


int
waav_ident_valid(const char *s, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0 || len > WAAV_IDENT_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || c == '_' || c == '-' || c == ':' || c == '@' || c == '+')
        {
            continue;
        }

        if (c == '.' && !(i + 1 < len && s[i + 1] == '.')) {
            continue;
        }

        return 0;
    }

    return 1;
}
