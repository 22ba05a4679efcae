/*
 * waav: a batch of limit checks for Redis, free of nginx and hiredis types.
 *
 * The glue collects the checks of one zone and worker (up to
 * WAAV_LIMIT_BATCH_MAX) into a batch, sends the arguments this file writes
 * to the script in ngx_http_waav_limit.lua (EVALSHA sha numkeys keys...
 * args...), and gives the integers Redis answered back to this file, which
 * tells each check what it got.  A rate's checks on one counter become one
 * entry ("n requests at once"); every other check is an entry of its own.
 *
 * Arguments, per entry i (KEYS[i], ARGV[4i-3 .. 4i]):
 *   rate     key  "rate"     interval_us  burst      count
 *   quota    key  "quota"    limit        window_ms  units
 *   acquire  key  "acquire"  limit        lease_ms   member
 *   release  key  "release"  0            0          member
 *   refund   key  "refund"   window       window_ms  units
 *   renew    key  "renew"    0            lease_ms   member
 *
 * The answer: four integers per entry, in order:
 *   rate     passed   lead_us    0         0
 *   quota    allowed  remaining  reset_ms  window
 *   acquire  allowed  remaining  reset_ms  0
 *   release, refund, renew: four integers nobody reads
 */

#ifndef WAAV_LIMIT_BATCH_H
#define WAAV_LIMIT_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "waav_limit.h"


#define WAAV_LIMIT_BATCH_MAX     256        /* checks in one script call */
#define WAAV_LIMIT_BATCH_ARGS    4          /* ARGV per entry */
#define WAAV_LIMIT_NUM_LEN       24         /* a uint64_t as text, and NUL */

/* what a rate, a quota, a slot's lease may be (the directives' bounds) */
#define WAAV_LIMIT_MAX_INTERVAL_US  60000000ULL         /* 1 r/m */
#define WAAV_LIMIT_MAX_BURST        1000000000ULL
#define WAAV_LIMIT_MAX_KEY          1024


typedef enum {
    WAAV_LIMIT_CHECK_RATE = 1,
    WAAV_LIMIT_CHECK_QUOTA,
    WAAV_LIMIT_CHECK_ACQUIRE,
    WAAV_LIMIT_CHECK_RELEASE,
    WAAV_LIMIT_CHECK_REFUND,
    WAAV_LIMIT_CHECK_RENEW              /* a held slot's new lease */
} waav_limit_check_kind_t;


/* one check; each kind uses the fields its comment names */
typedef struct {
    waav_limit_check_kind_t   kind;
    const unsigned char      *key;          /* the counter's Redis key */
    size_t                    key_len;
    uint64_t                  interval_us;  /* rate */
    uint64_t                  burst;        /* rate */
    uint64_t                  limit;        /* quota: units; acquire: slots */
    uint64_t                  window_ms;    /* quota, refund */
    uint64_t                  window;       /* refund: the window charged */
    uint64_t                  units;        /* quota: cost; refund: back */
    uint64_t                  lease_ms;     /* acquire, renew */
    uint64_t                  member;       /* acquire, release, renew:
                                               the slot */
} waav_limit_check_t;


/* where a check went: its entry, and for a rate its place in the group */
typedef struct {
    size_t                    entry;
    uint64_t                  nth;          /* 1-based */
} waav_limit_place_t;


typedef struct {
    size_t                    first;        /* its first check */
    uint64_t                  count;        /* checks that share it */
    uint32_t                  hash;         /* of the key, rates only */
    char                      num[WAAV_LIMIT_BATCH_ARGS - 1]
                                 [WAAV_LIMIT_NUM_LEN];
    size_t                    num_len[WAAV_LIMIT_BATCH_ARGS - 1];
} waav_limit_entry_t;


/* the caller provides the arrays, max elements each */
typedef struct {
    waav_limit_check_t       *checks;
    waav_limit_place_t       *places;
    waav_limit_entry_t       *entries;
    size_t                    max;
    size_t                    nchecks;
    size_t                    nentries;
    char                      numkeys[WAAV_LIMIT_NUM_LEN];
} waav_limit_batch_t;


void waav_limit_batch_init(waav_limit_batch_t *b, waav_limit_check_t *checks,
    waav_limit_place_t *places, waav_limit_entry_t *entries, size_t max);

/*
 * Adds a check (copied; its key is not): 0, or -1 when the batch is full
 * or the check is out of bounds (no key, a rate of 0, ...).
 */
int waav_limit_batch_add(waav_limit_batch_t *b,
    const waav_limit_check_t *check);

/* how many arguments waav_limit_batch_args writes: numkeys, keys, args */
size_t waav_limit_batch_argc(const waav_limit_batch_t *b);

/*
 * Writes the script's arguments after "EVALSHA sha": argv[0] numkeys,
 * then the keys, then four arguments per entry.  They point into the batch
 * and the checks' keys, which must outlive the call.
 */
void waav_limit_batch_args(waav_limit_batch_t *b, const char **argv,
    size_t *argvlen);

/*
 * What each check got, from the integers Redis answered (nvalues must be
 * four per entry; a negative one is read as 0): 0, or -1 when the answer
 * does not fit the batch.  results has one element per check.
 */
int waav_limit_batch_decode(const waav_limit_batch_t *b,
    const int64_t *values, size_t nvalues, waav_limit_result_t *results);

/* the kind's name as the script knows it */
const char *waav_limit_check_name(waav_limit_check_kind_t kind);

#endif /* WAAV_LIMIT_BATCH_H */
