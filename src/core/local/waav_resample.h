/*
 * waav: 16-bit mono PCM from one rate to another, in pieces, with
 * speexdsp's resampler (its default quality, 4: what a voice needs).
 * libsoxr was the first choice, but it leaks a block each time it is
 * unloaded, which nginx does to the module at every reload.  Pure C, no
 * nginx: the embedded engines run it in nginx's thread pool.
 */

#ifndef WAAV_RESAMPLE_H
#define WAAV_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    void      *st;                  /* NULL: rates equal, copied */
    unsigned   in_rate;
    unsigned   out_rate;
    int16_t   *out;                 /* the last call's samples */
    size_t     len;
    size_t     cap;
} waav_resample_t;

/* 0, or -1 (no memory, or a rate the resampler refuses) */
int waav_resample_init(waav_resample_t *rs, unsigned in_rate,
    unsigned out_rate);

/* n samples in, what comes out of them in rs->out / rs->len (replacing
 * the last call's); last: the filter's tail too.  0, or -1 (no memory) */
int waav_resample(waav_resample_t *rs, const int16_t *in, size_t n,
    int last);

void waav_resample_free(waav_resample_t *rs);

#endif /* WAAV_RESAMPLE_H */
