/*
 * waav: resampling with libsoxr (see waav_resample.h).
 */

#include <stdlib.h>
#include <string.h>

#include <soxr.h>

#include "waav_resample.h"


int
waav_resample_init(waav_resample_t *rs, unsigned in_rate, unsigned out_rate)
{
    soxr_error_t         e;
    soxr_io_spec_t       io;
    soxr_quality_spec_t  q;

    memset(rs, 0, sizeof(waav_resample_t));
    rs->in_rate = in_rate;
    rs->out_rate = out_rate;

    if (in_rate == out_rate) {
        return 0;
    }

    io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
    q = soxr_quality_spec(SOXR_MQ, 0);

    rs->soxr = soxr_create(in_rate, out_rate, 1, &e, &io, &q, NULL);

    return (rs->soxr == NULL || e) ? -1 : 0;
}


static int
waav_resample_room(waav_resample_t *rs, size_t need)
{
    size_t    cap;
    int16_t  *p;

    if (rs->len + need <= rs->cap) {
        return 0;
    }

    cap = rs->cap ? rs->cap : 4096;

    while (cap < rs->len + need) {
        cap *= 2;
    }

    p = realloc(rs->out, cap * sizeof(int16_t));
    if (p == NULL) {
        return -1;
    }

    rs->out = p;
    rs->cap = cap;

    return 0;
}


int
waav_resample(waav_resample_t *rs, const int16_t *in, size_t n, int last)
{
    size_t        idone, odone, room;
    soxr_error_t  e;

    rs->len = 0;

    if (rs->soxr == NULL) {
        if (waav_resample_room(rs, n) != 0) {
            return -1;
        }

        if (n) {
            memcpy(rs->out, in, n * sizeof(int16_t));
        }

        rs->len = n;

        return 0;
    }

    /* what the ratio gives, and room for the filter's delay */
    room = (size_t) ((double) n * rs->out_rate / rs->in_rate) + 1024;

    while (n) {
        if (waav_resample_room(rs, room) != 0) {
            return -1;
        }

        e = soxr_process(rs->soxr, in, n, &idone, rs->out + rs->len,
                         rs->cap - rs->len, &odone);
        if (e || (idone == 0 && odone == 0)) {
            return -1;
        }

        rs->len += odone;
        in += idone;
        n -= idone;
    }

    /* the end: soxr_process(NULL) gives the filter's tail until none */
    while (last) {
        if (waav_resample_room(rs, 1024) != 0) {
            return -1;
        }

        e = soxr_process(rs->soxr, NULL, 0, NULL, rs->out + rs->len,
                         rs->cap - rs->len, &odone);
        if (e) {
            return -1;
        }

        rs->len += odone;

        if (odone == 0) {
            break;
        }
    }

    return 0;
}


void
waav_resample_free(waav_resample_t *rs)
{
    if (rs->soxr) {
        soxr_delete(rs->soxr);
    }

    free(rs->out);
    memset(rs, 0, sizeof(waav_resample_t));
}
