/*
 * libFuzzer target: a batch of limit checks for Redis and the answer Redis
 * gives, which comes from the network (src/core/waav_limit_batch.c).
 * `make fuzz`.
 *
 * Input: a byte n (checks, mod 17), then per check a kind byte, a key
 * length byte (mod 16) and its bytes, and three 8-byte numbers (big
 * endian); the rest is the answer, 8 bytes an integer.  Whatever comes, the arguments stay
 * well-formed and each answer stays within what its check allows.
 *
 * fuzz-covers: waav_limit_batch.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_limit_batch.h"


#define MAX  16


typedef struct {
    const uint8_t  *p;
    size_t          left;
} input_t;


static uint64_t
take(input_t *in, size_t n)
{
    uint64_t  v;

    v = 0;

    while (n-- && in->left) {
        v = (v << 8) | *in->p++;
        in->left--;
    }

    return v;
}


static void
check_args(waav_limit_batch_t *b)
{
    size_t       i, j, argc;
    const char  *argv[1 + 5 * MAX];
    size_t       argvlen[1 + 5 * MAX];

    argc = waav_limit_batch_argc(b);

    if (argc != 1 + 5 * b->nentries || b->nentries > b->nchecks) {
        abort();
    }

    waav_limit_batch_args(b, argv, argvlen);

    for (i = 0; i < argc; i++) {
        if (argv[i] == NULL || argvlen[i] == 0) {
            abort();
        }
    }

    /* numkeys and every number: decimal digits */
    for (i = 0; i < argc; i++) {
        if (i >= 1 && i <= b->nentries) {
            continue;                       /* a key */
        }

        if (i > b->nentries && (i - 1 - b->nentries) % 4 == 0) {
            continue;                       /* a kind */
        }

        for (j = 0; j < argvlen[i]; j++) {
            if (argv[i][j] < '0' || argv[i][j] > '9') {
                abort();
            }
        }
    }
}


static void
check_results(waav_limit_batch_t *b, waav_limit_result_t *res)
{
    size_t                     i;
    const waav_limit_check_t  *c;

    for (i = 0; i < b->nchecks; i++) {
        c = &b->checks[i];

        if (b->places[i].entry >= b->nentries
            || b->places[i].nth == 0
            || b->places[i].nth > b->entries[b->places[i].entry].count)
        {
            abort();
        }

        if ((c->kind == WAAV_LIMIT_CHECK_RATE
             || c->kind == WAAV_LIMIT_CHECK_QUOTA
             || c->kind == WAAV_LIMIT_CHECK_ACQUIRE)
            && res[i].remaining > res[i].limit)
        {
            abort();
        }

        /* a refused rate check always has something to wait for */
        if (c->kind == WAAV_LIMIT_CHECK_RATE && !res[i].allowed
            && res[i].reset_ms == 0)
        {
            abort();
        }

        if (waav_limit_wait_s(res[i].reset_ms) == 0) {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t               i, n, klen, nvalues;
    input_t              in;
    int64_t              values[4 * MAX + 4];
    uint8_t              keys[MAX][16];
    waav_limit_batch_t   b;
    waav_limit_check_t   checks[MAX], c;
    waav_limit_place_t   places[MAX];
    waav_limit_entry_t   entries[MAX];
    waav_limit_result_t  res[MAX];

    in.p = data;
    in.left = size;

    waav_limit_batch_init(&b, checks, places, entries, MAX);

    n = take(&in, 1) % (MAX + 1);

    for (i = 0; i < n; i++) {
        memset(&c, 0, sizeof(c));

        c.kind = (waav_limit_check_kind_t) (take(&in, 1) % 8);
        klen = take(&in, 1) % 16;

        memset(keys[i], 'k', sizeof(keys[i]));
        memcpy(keys[i], in.p, klen < in.left ? klen : in.left);
        take(&in, klen);

        c.key = keys[i];
        c.key_len = klen;
        c.interval_us = c.limit = c.window = take(&in, 8);
        c.burst = c.window_ms = c.lease_ms = take(&in, 8);
        c.units = c.member = take(&in, 8);

        (void) waav_limit_batch_add(&b, &c);
    }

    check_args(&b);

    nvalues = 0;

    while (in.left && nvalues < sizeof(values) / sizeof(values[0])) {
        values[nvalues++] = (int64_t) take(&in, 8);
    }

    if (waav_limit_batch_decode(&b, values, nvalues, res) == 0) {
        if (nvalues != 4 * b.nentries) {
            abort();
        }

        check_results(&b, res);

    } else if (nvalues == 4 * b.nentries) {
        abort();
    }

    return 0;
}
