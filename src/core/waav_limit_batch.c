/*
 * waav: a batch of limit checks for Redis (see waav_limit_batch.h).
 */

#include <stdio.h>
#include <string.h>

#include "waav_limit_batch.h"


/* what a Lua number holds exactly: larger answers are read as this */
#define WAAV_LIMIT_MAX_VALUE  ((uint64_t) 1 << 53)


static const char  *waav_limit_check_names[] = {
    "", "rate", "quota", "acquire", "release", "refund", "renew"
};


const char *
waav_limit_check_name(waav_limit_check_kind_t kind)
{
    if (kind < WAAV_LIMIT_CHECK_RATE || kind > WAAV_LIMIT_CHECK_RENEW) {
        return "";
    }

    return waav_limit_check_names[kind];
}


void
waav_limit_batch_init(waav_limit_batch_t *b, waav_limit_check_t *checks,
    waav_limit_place_t *places, waav_limit_entry_t *entries, size_t max)
{
    b->checks = checks;
    b->places = places;
    b->entries = entries;
    b->max = max;
    b->nchecks = 0;
    b->nentries = 0;
    b->numkeys[0] = '\0';
}


static uint32_t
waav_limit_hash(const unsigned char *p, size_t len)
{
    uint32_t  h;

    h = 2166136261u;                        /* FNV-1a */

    while (len--) {
        h = (h ^ *p++) * 16777619u;
    }

    return h;
}


/* a check the script can take: bounded numbers, a key */
static int
waav_limit_check_valid(const waav_limit_check_t *c)
{
    if (c->key == NULL || c->key_len == 0 || c->key_len > WAAV_LIMIT_MAX_KEY) {
        return 0;
    }

    switch (c->kind) {

    case WAAV_LIMIT_CHECK_RATE:
        return c->interval_us >= 1
               && c->interval_us <= WAAV_LIMIT_MAX_INTERVAL_US
               && c->burst >= 1 && c->burst <= WAAV_LIMIT_MAX_BURST;

    case WAAV_LIMIT_CHECK_QUOTA:
        return c->limit >= 1 && c->limit <= WAAV_LIMIT_MAX_VALUE
               && c->window_ms >= 1 && c->window_ms <= WAAV_LIMIT_MAX_VALUE
               && c->units <= WAAV_LIMIT_MAX_VALUE;

    case WAAV_LIMIT_CHECK_ACQUIRE:
        return c->limit >= 1 && c->limit <= WAAV_LIMIT_MAX_VALUE
               && c->lease_ms >= 1 && c->lease_ms <= WAAV_LIMIT_MAX_VALUE;

    case WAAV_LIMIT_CHECK_RELEASE:
        return 1;

    case WAAV_LIMIT_CHECK_RENEW:
        return c->lease_ms >= 1 && c->lease_ms <= WAAV_LIMIT_MAX_VALUE;

    case WAAV_LIMIT_CHECK_REFUND:
        return c->window <= WAAV_LIMIT_MAX_VALUE
               && c->window_ms >= 1 && c->window_ms <= WAAV_LIMIT_MAX_VALUE
               && c->units <= WAAV_LIMIT_MAX_VALUE;
    }

    return 0;
}


/* an entry of the batch that a rate check shares, or -1 */
static long
waav_limit_batch_find(const waav_limit_batch_t *b,
    const waav_limit_check_t *c, uint32_t hash)
{
    size_t                     e;
    const waav_limit_check_t  *first;

    for (e = 0; e < b->nentries; e++) {
        first = &b->checks[b->entries[e].first];

        if (b->entries[e].hash == hash
            && first->kind == WAAV_LIMIT_CHECK_RATE
            && first->interval_us == c->interval_us
            && first->burst == c->burst
            && first->key_len == c->key_len
            && memcmp(first->key, c->key, c->key_len) == 0)
        {
            return (long) e;
        }
    }

    return -1;
}


int
waav_limit_batch_add(waav_limit_batch_t *b, const waav_limit_check_t *check)
{
    long                 found;
    size_t               i;
    uint32_t             hash;
    waav_limit_entry_t  *en;

    if (b->nchecks >= b->max || !waav_limit_check_valid(check)) {
        return -1;
    }

    i = b->nchecks++;
    b->checks[i] = *check;

    hash = 0;
    found = -1;

    if (check->kind == WAAV_LIMIT_CHECK_RATE) {
        hash = waav_limit_hash(check->key, check->key_len);
        found = waav_limit_batch_find(b, check, hash);
    }

    if (found >= 0) {
        en = &b->entries[found];
        b->places[i].entry = (size_t) found;
        b->places[i].nth = ++en->count;
        return 0;
    }

    en = &b->entries[b->nentries];
    en->first = i;
    en->count = 1;
    en->hash = hash;

    b->places[i].entry = b->nentries++;
    b->places[i].nth = 1;

    return 0;
}


size_t
waav_limit_batch_argc(const waav_limit_batch_t *b)
{
    return 1 + b->nentries * (1 + WAAV_LIMIT_BATCH_ARGS);
}


/* an entry's three numbers, in the script's order for its kind */
static void
waav_limit_entry_numbers(const waav_limit_entry_t *en,
    const waav_limit_check_t *c, uint64_t num[3])
{
    switch (c->kind) {

    case WAAV_LIMIT_CHECK_RATE:
        num[0] = c->interval_us;
        num[1] = c->burst;
        num[2] = en->count;
        break;

    case WAAV_LIMIT_CHECK_QUOTA:
        num[0] = c->limit;
        num[1] = c->window_ms;
        num[2] = c->units;
        break;

    case WAAV_LIMIT_CHECK_ACQUIRE:
        num[0] = c->limit;
        num[1] = c->lease_ms;
        num[2] = c->member;
        break;

    case WAAV_LIMIT_CHECK_RELEASE:
        num[0] = 0;
        num[1] = 0;
        num[2] = c->member;
        break;

    case WAAV_LIMIT_CHECK_RENEW:
        num[0] = 0;
        num[1] = c->lease_ms;
        num[2] = c->member;
        break;

    default:                                /* refund */
        num[0] = c->window;
        num[1] = c->window_ms;
        num[2] = c->units;
    }
}


void
waav_limit_batch_args(waav_limit_batch_t *b, const char **argv,
    size_t *argvlen)
{
    int                        n;
    size_t                     e, j, a, nkeys;
    uint64_t                   num[3];
    const char                *name;
    waav_limit_entry_t        *en;
    const waav_limit_check_t  *c;

    nkeys = b->nentries;

    n = snprintf(b->numkeys, sizeof(b->numkeys), "%zu", nkeys);
    argv[0] = b->numkeys;
    argvlen[0] = (size_t) n;

    for (e = 0; e < nkeys; e++) {
        en = &b->entries[e];
        c = &b->checks[en->first];

        argv[1 + e] = (const char *) c->key;
        argvlen[1 + e] = c->key_len;

        waav_limit_entry_numbers(en, c, num);

        a = 1 + nkeys + WAAV_LIMIT_BATCH_ARGS * e;
        name = waav_limit_check_name(c->kind);
        argv[a] = name;
        argvlen[a] = strlen(name);

        for (j = 0; j < 3; j++) {
            n = snprintf(en->num[j], WAAV_LIMIT_NUM_LEN, "%llu",
                         (unsigned long long) num[j]);
            en->num_len[j] = (size_t) n;
            argv[a + 1 + j] = en->num[j];
            argvlen[a + 1 + j] = en->num_len[j];
        }
    }
}


static uint64_t
waav_limit_value(int64_t v)
{
    if (v <= 0) {
        return 0;
    }

    return (uint64_t) v > WAAV_LIMIT_MAX_VALUE ? WAAV_LIMIT_MAX_VALUE
                                               : (uint64_t) v;
}


/* one check's answer from its entry's four integers */
static void
waav_limit_check_result(const waav_limit_check_t *c,
    const waav_limit_place_t *place, uint64_t count, const int64_t *values,
    waav_limit_result_t *res)
{
    uint64_t  v[WAAV_LIMIT_BATCH_ARGS];
    size_t    i;

    for (i = 0; i < WAAV_LIMIT_BATCH_ARGS; i++) {
        v[i] = waav_limit_value(values[i]);
    }

    memset(res, 0, sizeof(waav_limit_result_t));

    switch (c->kind) {

    case WAAV_LIMIT_CHECK_RATE:
        /* v: passed (never more than asked), lead_us */
        waav_gcra_nth(v[1], c->interval_us, c->burst,
                      v[0] < count ? v[0] : count, place->nth, res);
        return;

    case WAAV_LIMIT_CHECK_QUOTA:
    case WAAV_LIMIT_CHECK_ACQUIRE:
        res->allowed = v[0] == 1;
        res->limit = c->limit;
        res->remaining = v[1] < c->limit ? v[1] : c->limit;
        res->reset_ms = v[2];
        res->window = v[3];
        return;

    default:
        res->allowed = 1;
    }
}


int
waav_limit_batch_decode(const waav_limit_batch_t *b, const int64_t *values,
    size_t nvalues, waav_limit_result_t *results)
{
    size_t                     i, e;
    const waav_limit_place_t  *place;

    if (nvalues != WAAV_LIMIT_BATCH_ARGS * b->nentries) {
        return -1;
    }

    for (i = 0; i < b->nchecks; i++) {
        place = &b->places[i];
        e = place->entry;

        waav_limit_check_result(&b->checks[i], place, b->entries[e].count,
                                &values[WAAV_LIMIT_BATCH_ARGS * e],
                                &results[i]);
    }

    return 0;
}
