/*
 * Unit tests for src/core/waav_limit.c (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "waav_limit.h"


static void
test_gcra_burst_then_rate(void **state)
{
    uint64_t             tat = 0, now = 1000000000;
    waav_limit_result_t  r;
    int                  i, passed;

    (void) state;

    /* 2 r/s (500000 us apart), burst 5: five at once, the sixth waits */
    passed = 0;

    for (i = 0; i < 20; i++) {
        waav_gcra(&tat, now, 500000, 5, &r);
        passed += r.allowed;
    }

    assert_int_equal(passed, 5);
    assert_false(r.allowed);
    assert_int_equal(r.limit, 5);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(r.reset_ms, 500);

    /* 500 ms later one more */
    waav_gcra(&tat, now + 500000, 500000, 5, &r);
    assert_true(r.allowed);
    waav_gcra(&tat, now + 500000, 500000, 5, &r);
    assert_false(r.allowed);

    /* after 3 s the bucket is full again */
    for (i = 0, passed = 0; i < 10; i++) {
        waav_gcra(&tat, now + 4000000, 500000, 5, &r);
        passed += r.allowed;
    }

    assert_int_equal(passed, 5);
}


static void
test_gcra_remaining(void **state)
{
    uint64_t             tat = 0;
    waav_limit_result_t  r;

    (void) state;

    waav_gcra(&tat, 5000000, 1000000, 3, &r);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 2);
    assert_int_equal(r.reset_ms, 1000);
    waav_gcra(&tat, 5000000, 1000000, 3, &r);
    assert_int_equal(r.remaining, 1);
    waav_gcra(&tat, 5000000, 1000000, 3, &r);
    assert_int_equal(r.remaining, 0);
    waav_gcra(&tat, 5000000, 1000000, 3, &r);
    assert_false(r.allowed);
    assert_int_equal(r.reset_ms, 1000);
}


/* microseconds are rounded up to whole milliseconds, never down to 0 */
static void
test_gcra_reset_rounds_up(void **state)
{
    uint64_t             tat = 0;
    waav_limit_result_t  r;

    (void) state;

    /* 3 r/s: 333333 us apart */
    waav_gcra(&tat, 1000000, 333333, 1, &r);
    assert_true(r.allowed);
    assert_int_equal(r.reset_ms, 334);

    waav_gcra(&tat, 1000000, 333333, 1, &r);
    assert_false(r.allowed);
    assert_int_equal(r.reset_ms, 334);

    /* 1 us short of the next slot: 1 ms to wait */
    waav_gcra(&tat, 1000000 + 333332, 333333, 1, &r);
    assert_false(r.allowed);
    assert_int_equal(r.reset_ms, 1);
}


static void
test_quota(void **state)
{
    uint64_t             w = 0, used = 0, now = 60000 * 1000 + 30000;
    waav_limit_result_t  r;

    (void) state;

    /* 100 characters a minute: 40 + 40 fit, the third 40 does not */
    waav_quota(&w, &used, now, 60000, 100, 40, &r);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 60);
    waav_quota(&w, &used, now, 60000, 100, 40, &r);
    assert_true(r.allowed);
    waav_quota(&w, &used, now, 60000, 100, 40, &r);
    assert_false(r.allowed);
    assert_int_equal(r.remaining, 20);
    assert_int_equal(r.reset_ms, 30000);

    /* 20 still fit */
    waav_quota(&w, &used, now, 60000, 100, 20, &r);
    assert_true(r.allowed);

    /* a new window starts empty */
    waav_quota(&w, &used, now + 30000, 60000, 100, 40, &r);
    assert_true(r.allowed);
    assert_int_equal(used, 40);

    /* more than the whole quota never fits */
    waav_quota(&w, &used, now + 30000, 60000, 100, 101, &r);
    assert_false(r.allowed);
}


static void
test_wait(void **state)
{
    (void) state;

    assert_int_equal(waav_limit_wait_s(0), 1);
    assert_int_equal(waav_limit_wait_s(1), 1);
    assert_int_equal(waav_limit_wait_s(1000), 1);
    assert_int_equal(waav_limit_wait_s(1001), 2);
}


/* a group decided at once answers as the same checks one by one */
static void
test_gcra_group(void **state)
{
    uint64_t             tat, now, lead, k, j, n, seq_passed;
    uint64_t             leads[] = { 0, 1, 499999, 500000, 2000000, 2499999,
                                     2500000, 2500001, 9000000 };
    uint64_t             counts[] = { 1, 2, 5, 6, 40 };
    size_t               a, b;
    waav_limit_result_t  one, grp;

    (void) state;

    now = 1000000000;

    for (a = 0; a < sizeof(leads) / sizeof(leads[0]); a++) {
        for (b = 0; b < sizeof(counts) / sizeof(counts[0]); b++) {
            lead = leads[a];
            n = counts[b];
            tat = now + lead;
            seq_passed = 0;

            k = waav_gcra_admit(lead, 500000, 5, n);

            for (j = 1; j <= n; j++) {
                waav_gcra(&tat, now, 500000, 5, &one);
                waav_gcra_nth(lead, 500000, 5, k, j, &grp);

                seq_passed += one.allowed;

                assert_int_equal(grp.allowed, one.allowed);
                assert_int_equal(grp.limit, one.limit);
                assert_int_equal(grp.remaining, one.remaining);
                assert_int_equal(grp.reset_ms, one.reset_ms);
            }

            assert_int_equal(k, seq_passed);
        }
    }

    /* a counter behind now: lead 0 is the same as a new one */
    assert_int_equal(waav_gcra_admit(0, 500000, 5, 100), 5);
    assert_int_equal(waav_gcra_admit(2500000, 500000, 5, 100), 0);
    assert_int_equal(waav_gcra_admit(9000000, 500000, 5, 100), 0);
}


static void
test_quota_refund(void **state)
{
    uint64_t             window = 0, used = 0;
    waav_limit_result_t  r;

    (void) state;

    /* 5 charged in window 2, 2 of them given back: 3 used, 3 left */
    waav_quota(&window, &used, 2 * 60000 + 10, 60000, 6, 5, &r);
    assert_true(r.allowed);
    assert_int_equal(r.window, 2);

    waav_quota_refund(&window, &used, r.window, 2);
    assert_int_equal(used, 3);

    waav_quota(&window, &used, 2 * 60000 + 20, 60000, 6, 3, &r);
    assert_true(r.allowed);
    assert_int_equal(r.remaining, 0);

    /* never below zero */
    waav_quota_refund(&window, &used, 2, 100);
    assert_int_equal(used, 0);

    /* a refund for a window gone by gives nothing to the new one */
    waav_quota(&window, &used, 3 * 60000, 60000, 6, 6, &r);
    assert_int_equal(r.window, 3);
    waav_quota_refund(&window, &used, 2, 4);
    assert_int_equal(used, 6);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_gcra_burst_then_rate),
        cmocka_unit_test(test_gcra_remaining),
        cmocka_unit_test(test_gcra_reset_rounds_up),
        cmocka_unit_test(test_gcra_group),
        cmocka_unit_test(test_quota_refund),
        cmocka_unit_test(test_quota),
        cmocka_unit_test(test_wait),
    };

    return cmocka_run_group_tests_name("waav_limit", tests, NULL, NULL);
}
