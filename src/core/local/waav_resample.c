/*
 * waav: resampling with speexdsp's resampler (see waav_resample.h).
 */

#include <stdlib.h>
#include <string.h>

#include <speex/speex_resampler.h>

#include "waav_resample.h"


int
waav_resample_init(waav_resample_t *rs, unsigned in_rate, unsigned out_rate)
{
    int  err;

    memset(rs, 0, sizeof(waav_resample_t));
    rs->in_rate = in_rate;
    rs->out_rate = out_rate;

    if (in_rate == out_rate) {
        return 0;
    }

    rs->st = speex_resampler_init(1, in_rate, out_rate,
                                  SPEEX_RESAMPLER_QUALITY_DEFAULT, &err);
    if (rs->st == NULL) {
        return -1;
    }

    /* the output starts with the first sample, not the filter's delay */
    (void) speex_resampler_skip_zeros(rs->st);

    return 0;
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


/* n samples through the filter, appended to rs->out */
static int
waav_resample_run(waav_resample_t *rs, const int16_t *in, size_t n)
{
    size_t           room;
    spx_uint32_t     ilen, olen;

    /* what the ratio gives, and a margin */
    room = (size_t) ((double) n * rs->out_rate / rs->in_rate) + 256;

    while (n) {
        if (waav_resample_room(rs, room) != 0) {
            return -1;
        }

        ilen = n > 0x10000000 ? 0x10000000 : (spx_uint32_t) n;
        olen = (spx_uint32_t) (rs->cap - rs->len);

        if (speex_resampler_process_int(rs->st, 0, in, &ilen,
                                        rs->out + rs->len, &olen)
            != RESAMPLER_ERR_SUCCESS
            || (ilen == 0 && olen == 0))
        {
            return -1;
        }

        rs->len += olen;
        in += ilen;
        n -= ilen;
    }

    return 0;
}


int
waav_resample(waav_resample_t *rs, const int16_t *in, size_t n, int last)
{
    int       rc;
    size_t    lat;
    int16_t  *zeros;

    rs->len = 0;

    if (rs->st == NULL) {
        if (waav_resample_room(rs, n) != 0) {
            return -1;
        }

        if (n) {
            memcpy(rs->out, in, n * sizeof(int16_t));
        }

        rs->len = n;

        return 0;
    }

    if (waav_resample_run(rs, in, n) != 0) {
        return -1;
    }

    if (!last) {
        return 0;
    }

    /* the end: the filter's delay of silence pushes its tail out */
    lat = (size_t) speex_resampler_get_input_latency(rs->st);

    zeros = calloc(lat ? lat : 1, sizeof(int16_t));
    if (zeros == NULL) {
        return -1;
    }

    rc = waav_resample_run(rs, zeros, lat);
    free(zeros);

    return rc;
}


void
waav_resample_free(waav_resample_t *rs)
{
    if (rs->st) {
        speex_resampler_destroy(rs->st);
    }

    free(rs->out);
    memset(rs, 0, sizeof(waav_resample_t));
}
