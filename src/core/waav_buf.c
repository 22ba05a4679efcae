/*
 * waav: bounded buffer writer (see waav_buf.h).
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "waav_buf.h"


void
waav_buf_init(waav_buf_t *b, char *data, size_t cap)
{
    b->data = data;
    b->len = 0;
    b->cap = cap;
    b->overflow = 0;
    b->spare = 0;
}


int
waav_buf_alloc(waav_buf_t *b, size_t cap, waav_alloc_t *a, waav_err_t *err)
{
    char  *p;

    p = waav_alloc(a, cap + 1);
    if (p == NULL) {
        return waav_err_nomem(err);
    }

    waav_buf_init(b, p, cap);
    b->spare = 1;

    return 0;
}


void
waav_buf_add(waav_buf_t *b, const void *s, size_t len)
{
    if (b->overflow || len > b->cap - b->len) {
        b->overflow = 1;
        return;
    }

    if (len) {
        memcpy(b->data + b->len, s, len);
        b->len += len;
    }
}


void
waav_buf_cstr(waav_buf_t *b, const char *s)
{
    waav_buf_add(b, s, strlen(s));
}


void
waav_buf_str(waav_buf_t *b, waav_str_t s)
{
    waav_buf_add(b, s.data, s.len);
}


void
waav_buf_byte(waav_buf_t *b, char c)
{
    waav_buf_add(b, &c, 1);
}


void
waav_buf_uint(waav_buf_t *b, uint64_t v)
{
    char    tmp[20], *p;

    p = tmp + sizeof(tmp);

    do {
        *--p = (char) ('0' + v % 10);
        v /= 10;
    } while (v);

    waav_buf_add(b, p, (size_t) (tmp + sizeof(tmp) - p));
}


/*
 * "%.15g" without printf for what transcripts are made of (times and
 * confidences: at most 6 decimals, under 10^9): when v is the double
 * nearest to m / 10^6 for an integer m, that decimal is what "%.15g"
 * prints (15 significant digits are more than enough to tell it from its
 * neighbours).  Anything else goes through snprintf.
 */
void
waav_buf_num(waav_buf_t *b, double v)
{
    int        n;
    char       tmp[32], *p;
    double     a;
    uint64_t   m, frac;

    a = fabs(v);

    if (v == 0 && !signbit(v)) {
        waav_buf_byte(b, '0');
        return;
    }

    if (a >= 1e-4 && a < 1e9) {
        m = (uint64_t) llround(a * 1e6);

        if ((double) m / 1e6 == a) {
            if (v < 0) {
                waav_buf_byte(b, '-');
            }

            waav_buf_uint(b, m / 1000000);
            frac = m % 1000000;

            if (frac) {
                p = tmp + 7;
                *p = '\0';

                for (n = 0; n < 6; n++) {
                    *--p = (char) ('0' + frac % 10);
                    frac /= 10;
                }

                *--p = '.';

                /* trailing zeros go, as %g drops them */
                for (n = 7; tmp[n - 1] == '0'; n--) { /* void */ }

                waav_buf_add(b, tmp, (size_t) n);
            }

            return;
        }
    }

    n = snprintf(tmp, sizeof(tmp), "%.15g", v);
    waav_buf_add(b, tmp, (size_t) n);
}


int
waav_buf_done(waav_buf_t *b, waav_str_t *out)
{
    if (b->overflow) {
        return -1;
    }

    if (b->len < b->cap || b->spare) {
        b->data[b->len] = '\0';
    }

    out->data = b->data;
    out->len = b->len;

    return 0;
}
