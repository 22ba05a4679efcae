/*
 * Unit tests for src/core/waav_limit_batch.c (cmocka): what a batch of
 * limit checks sends to Redis and how the answer is read.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "waav_limit_batch.h"


#define MAX  8

typedef struct {
    waav_limit_batch_t   b;
    waav_limit_check_t   checks[MAX];
    waav_limit_place_t   places[MAX];
    waav_limit_entry_t   entries[MAX];
    const char          *argv[1 + 5 * MAX];
    size_t               argvlen[1 + 5 * MAX];
} batch_t;


static void
batch_init(batch_t *t)
{
    memset(t, 0, sizeof(batch_t));
    waav_limit_batch_init(&t->b, t->checks, t->places, t->entries, MAX);
}


static waav_limit_check_t
rate(const char *key, uint64_t interval_us, uint64_t burst)
{
    waav_limit_check_t  c;

    memset(&c, 0, sizeof(c));
    c.kind = WAAV_LIMIT_CHECK_RATE;
    c.key = (const unsigned char *) key;
    c.key_len = strlen(key);
    c.interval_us = interval_us;
    c.burst = burst;

    return c;
}


static waav_limit_check_t
quota(const char *key, uint64_t limit, uint64_t window_ms, uint64_t units)
{
    waav_limit_check_t  c;

    memset(&c, 0, sizeof(c));
    c.kind = WAAV_LIMIT_CHECK_QUOTA;
    c.key = (const unsigned char *) key;
    c.key_len = strlen(key);
    c.limit = limit;
    c.window_ms = window_ms;
    c.units = units;

    return c;
}


static waav_limit_check_t
slot(waav_limit_check_kind_t kind, const char *key, uint64_t limit,
    uint64_t member)
{
    waav_limit_check_t  c;

    memset(&c, 0, sizeof(c));
    c.kind = kind;
    c.key = (const unsigned char *) key;
    c.key_len = strlen(key);
    c.limit = limit;
    c.lease_ms = 3600000;
    c.member = member;

    return c;
}


/* argument i as a C string */
static const char *
arg(batch_t *t, size_t i)
{
    static char  buf[256];

    memcpy(buf, t->argv[i], t->argvlen[i]);
    buf[t->argvlen[i]] = '\0';

    return buf;
}


/* a rate's checks on one counter share an entry; the rest have their own */
static void
test_grouping_and_arguments(void **state)
{
    batch_t             t;
    waav_limit_check_t  c;

    (void) state;

    batch_init(&t);

    c = rate("waav:z:a", 500000, 5);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);
    c = quota("waav:z:q", 100, 60000, 40);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);
    c = rate("waav:z:a", 500000, 5);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);
    c = rate("waav:z:b", 500000, 5);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);
    c = slot(WAAV_LIMIT_CHECK_ACQUIRE, "waav:z:c", 2, 77);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);
    c = rate("waav:z:a", 500000, 5);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);

    assert_int_equal(t.b.nchecks, 6);
    assert_int_equal(t.b.nentries, 4);

    /* the three checks of "a": entry 0, first to third */
    assert_int_equal(t.places[0].entry, 0);
    assert_int_equal(t.places[0].nth, 1);
    assert_int_equal(t.places[2].entry, 0);
    assert_int_equal(t.places[2].nth, 2);
    assert_int_equal(t.places[5].entry, 0);
    assert_int_equal(t.places[5].nth, 3);
    assert_int_equal(t.places[1].entry, 1);
    assert_int_equal(t.places[3].entry, 2);
    assert_int_equal(t.places[4].entry, 3);

    assert_int_equal(waav_limit_batch_argc(&t.b), 1 + 4 + 16);
    waav_limit_batch_args(&t.b, t.argv, t.argvlen);

    assert_string_equal(arg(&t, 0), "4");
    assert_string_equal(arg(&t, 1), "waav:z:a");
    assert_string_equal(arg(&t, 2), "waav:z:q");
    assert_string_equal(arg(&t, 3), "waav:z:b");
    assert_string_equal(arg(&t, 4), "waav:z:c");

    /* rate: interval_us, burst, how many ask */
    assert_string_equal(arg(&t, 5), "rate");
    assert_string_equal(arg(&t, 6), "500000");
    assert_string_equal(arg(&t, 7), "5");
    assert_string_equal(arg(&t, 8), "3");

    /* quota: limit, window_ms, units */
    assert_string_equal(arg(&t, 9), "quota");
    assert_string_equal(arg(&t, 10), "100");
    assert_string_equal(arg(&t, 11), "60000");
    assert_string_equal(arg(&t, 12), "40");

    assert_string_equal(arg(&t, 13), "rate");
    assert_string_equal(arg(&t, 16), "1");

    /* acquire: limit, lease_ms, member */
    assert_string_equal(arg(&t, 17), "acquire");
    assert_string_equal(arg(&t, 18), "2");
    assert_string_equal(arg(&t, 19), "3600000");
    assert_string_equal(arg(&t, 20), "77");
}


/* one key, another rate: another counter step */
static void
test_same_key_other_rate(void **state)
{
    batch_t             t;
    waav_limit_check_t  c;

    (void) state;

    batch_init(&t);

    c = rate("k", 500000, 5);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);
    c = rate("k", 250000, 5);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);
    c = rate("k", 500000, 6);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);
    c = rate("kk", 500000, 5);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);

    assert_int_equal(t.b.nentries, 4);
}


/* releases and refunds: their numbers in the script's order */
static void
test_release_and_refund_arguments(void **state)
{
    batch_t             t;
    waav_limit_check_t  c;

    (void) state;

    batch_init(&t);

    c = slot(WAAV_LIMIT_CHECK_RELEASE, "k", 0, 18446744073709551615ULL);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);

    memset(&c, 0, sizeof(c));
    c.kind = WAAV_LIMIT_CHECK_REFUND;
    c.key = (const unsigned char *) "k";
    c.key_len = 1;
    c.window = 29000000;
    c.window_ms = 60000;
    c.units = 3;
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);

    waav_limit_batch_args(&t.b, t.argv, t.argvlen);

    assert_string_equal(arg(&t, 3), "release");
    assert_string_equal(arg(&t, 4), "0");
    assert_string_equal(arg(&t, 5), "0");
    assert_string_equal(arg(&t, 6), "18446744073709551615");
    assert_string_equal(arg(&t, 7), "refund");
    assert_string_equal(arg(&t, 8), "29000000");
    assert_string_equal(arg(&t, 9), "60000");
    assert_string_equal(arg(&t, 10), "3");
}


/* a held slot's new lease: its numbers in the script's order; a lease of
 * 0 is out of bounds */
static void
test_renew_arguments(void **state)
{
    batch_t             t;
    waav_limit_check_t  c;

    (void) state;

    batch_init(&t);

    c = slot(WAAV_LIMIT_CHECK_RENEW, "k", 0, 42);
    c.lease_ms = 0;
    assert_int_equal(waav_limit_batch_add(&t.b, &c), -1);

    c.lease_ms = 1500;
    assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);
    assert_string_equal(waav_limit_check_name(WAAV_LIMIT_CHECK_RENEW),
                        "renew");

    waav_limit_batch_args(&t.b, t.argv, t.argvlen);

    assert_int_equal(waav_limit_batch_argc(&t.b), 6);
    assert_string_equal(arg(&t, 2), "renew");
    assert_string_equal(arg(&t, 3), "0");
    assert_string_equal(arg(&t, 4), "1500");
    assert_string_equal(arg(&t, 5), "42");
}


/* checks the script cannot take never go into a batch */
static void
test_bounds(void **state)
{
    size_t              i;
    batch_t             t;
    waav_limit_check_t  c;

    (void) state;

    batch_init(&t);

    c = rate("k", 0, 5);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), -1);
    c = rate("k", 60000001, 5);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), -1);
    c = rate("k", 500000, 0);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), -1);
    c = rate("", 500000, 5);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), -1);
    c = quota("k", 0, 60000, 1);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), -1);
    c = quota("k", 10, 0, 1);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), -1);
    c = slot(WAAV_LIMIT_CHECK_ACQUIRE, "k", 0, 1);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), -1);
    c = rate("k", 500000, 5);
    c.kind = (waav_limit_check_kind_t) 9;
    assert_int_equal(waav_limit_batch_add(&t.b, &c), -1);

    assert_int_equal(t.b.nchecks, 0);

    /* a full batch takes no more */
    for (i = 0; i < MAX; i++) {
        c = quota("k", 10, 60000, 1);
        assert_int_equal(waav_limit_batch_add(&t.b, &c), 0);
    }

    c = quota("k", 10, 60000, 1);
    assert_int_equal(waav_limit_batch_add(&t.b, &c), -1);
    assert_int_equal(t.b.nentries, MAX);
}


/* the answer: each check of a rate's group gets its own place's answer */
static void
test_decode(void **state)
{
    batch_t              t;
    int64_t              values[12];
    waav_limit_check_t   c;
    waav_limit_result_t  res[5];

    (void) state;

    batch_init(&t);

    c = rate("a", 500000, 5);                           /* 3 ask, 2 pass */
    waav_limit_batch_add(&t.b, &c);
    waav_limit_batch_add(&t.b, &c);
    c = quota("q", 100, 60000, 40);
    waav_limit_batch_add(&t.b, &c);
    c = rate("a", 500000, 5);
    waav_limit_batch_add(&t.b, &c);
    c = slot(WAAV_LIMIT_CHECK_ACQUIRE, "s", 2, 7);
    waav_limit_batch_add(&t.b, &c);

    /* rate: 2 passed, the counter was 1.5 s ahead (3 of 5 used) */
    values[0] = 2;  values[1] = 1500000;  values[2] = 0;      values[3] = 0;
    /* quota: charged, 20 left, 30 s to the next window, window 29 */
    values[4] = 1;  values[5] = 20;       values[6] = 30000;  values[7] = 29;
    /* acquire: refused */
    values[8] = 0;  values[9] = 0;        values[10] = 1000;  values[11] = 0;

    assert_int_equal(waav_limit_batch_decode(&t.b, values, 12, res), 0);

    assert_true(res[0].allowed);
    assert_int_equal(res[0].limit, 5);
    assert_int_equal(res[0].remaining, 1);
    assert_int_equal(res[0].reset_ms, 2000);
    assert_true(res[1].allowed);
    assert_int_equal(res[1].remaining, 0);
    assert_false(res[3].allowed);
    assert_int_equal(res[3].remaining, 0);
    assert_int_equal(res[3].reset_ms, 500);

    assert_true(res[2].allowed);
    assert_int_equal(res[2].limit, 100);
    assert_int_equal(res[2].remaining, 20);
    assert_int_equal(res[2].reset_ms, 30000);
    assert_int_equal(res[2].window, 29);

    assert_false(res[4].allowed);
    assert_int_equal(res[4].limit, 2);
    assert_int_equal(res[4].reset_ms, 1000);
}


/* what Redis says is not believed beyond what makes sense */
static void
test_decode_hostile(void **state)
{
    batch_t              t;
    int64_t              values[8];
    waav_limit_check_t   c;
    waav_limit_result_t  res[3];

    (void) state;

    batch_init(&t);

    c = rate("a", 500000, 5);
    waav_limit_batch_add(&t.b, &c);
    waav_limit_batch_add(&t.b, &c);
    c = quota("q", 100, 60000, 40);
    waav_limit_batch_add(&t.b, &c);

    /* not four integers an entry */
    assert_int_equal(waav_limit_batch_decode(&t.b, values, 7, res), -1);
    assert_int_equal(waav_limit_batch_decode(&t.b, values, 0, res), -1);

    /* "a million passed" of 2 asking: both, and no more; a negative
     * lead is none; more left than the limit is the limit */
    values[0] = 1000000;  values[1] = -5;  values[2] = 0;  values[3] = 0;
    values[4] = 1;  values[5] = INT64_MAX;  values[6] = -1;  values[7] = -9;

    assert_int_equal(waav_limit_batch_decode(&t.b, values, 8, res), 0);

    assert_true(res[0].allowed);
    assert_true(res[1].allowed);
    assert_int_equal(res[1].remaining, 3);
    assert_int_equal(res[2].remaining, 100);
    assert_int_equal(res[2].reset_ms, 0);
    assert_int_equal(res[2].window, 0);
    assert_int_equal(waav_limit_wait_s(res[2].reset_ms), 1);

    /* "allowed" is 1, nothing else */
    values[4] = 2;
    assert_int_equal(waav_limit_batch_decode(&t.b, values, 8, res), 0);
    assert_false(res[2].allowed);
}


/* a group answered at once reads as the same checks one by one */
static void
test_decode_matches_sequential(void **state)
{
    size_t               i, n;
    batch_t              t;
    int64_t              values[4];
    uint64_t             tat, now, admitted;
    waav_limit_check_t   c;
    waav_limit_result_t  res[MAX], one;

    (void) state;

    batch_init(&t);

    n = 7;
    c = rate("a", 1000000, 4);

    for (i = 0; i < n; i++) {
        waav_limit_batch_add(&t.b, &c);
    }

    now = 5000000000ULL;
    tat = now + 1200000;                                /* 1.2 s ahead */
    admitted = waav_gcra_admit(1200000, 1000000, 4, n);

    values[0] = (int64_t) admitted;
    values[1] = 1200000;
    values[2] = 0;
    values[3] = 0;

    assert_int_equal(waav_limit_batch_decode(&t.b, values, 4, res), 0);

    for (i = 0; i < n; i++) {
        waav_gcra(&tat, now, 1000000, 4, &one);

        assert_int_equal(res[i].allowed, one.allowed);
        assert_int_equal(res[i].remaining, one.remaining);
        assert_int_equal(res[i].reset_ms, one.reset_ms);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_grouping_and_arguments),
        cmocka_unit_test(test_same_key_other_rate),
        cmocka_unit_test(test_release_and_refund_arguments),
        cmocka_unit_test(test_renew_arguments),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_decode_hostile),
        cmocka_unit_test(test_decode_matches_sequential),
    };

    return cmocka_run_group_tests_name("waav_limit_batch", tests, NULL, NULL);
}
