/*
 * Unit tests for WaaV's turn logic (waav_stt_turn.c): blank finals
 * dropped, the synthetic speech-final 1800 ms after the latest final or
 * 4000 ms after a segment's first, real speech-finals ending the segment,
 * and the 500 ms duplicate window (cmocka).  Times are the test's own.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "waav_stt_turn.h"


static waav_stt_event_t
ev(const char *text, int is_final, int speech_final)
{
    waav_stt_event_t  e;

    memset(&e, 0, sizeof(e));
    e.type = WAAV_STT_EV_RESULT;
    e.transcript.data = text;
    e.transcript.len = strlen(text);
    e.is_final = is_final;
    e.is_speech_final = speech_final;
    e.confidence = 0.9;

    return e;
}


static int
feed(waav_stt_turn_t *t, const char *text, int is_final, int speech_final,
    uint64_t now)
{
    waav_stt_event_t  e;

    e = ev(text, is_final, speech_final);

    return waav_stt_turn_result(t, &e, now);
}


/* the timer as the glue runs it: at each deadline until none */
static uint64_t
fire(waav_stt_turn_t *t)
{
    uint64_t  at;

    at = waav_stt_turn_deadline(t);
    assert_true(at != 0);
    assert_int_equal(waav_stt_turn_timer(t, at - 1), 0);
    assert_int_equal(waav_stt_turn_timer(t, at), 1);
    assert_int_equal(waav_stt_turn_deadline(t), 0);
    assert_int_equal(waav_stt_turn_timer(t, at + 10000), 0);

    return at;
}


static void
test_idle(void **state)
{
    waav_stt_turn_t  t;

    (void) state;

    waav_stt_turn_init(&t);
    assert_int_equal(t.wait_ms, 1800);
    assert_int_equal(t.hard_ms, 4000);
    assert_int_equal(t.dup_ms, 500);
    assert_int_equal(waav_stt_turn_deadline(&t), 0);
    assert_int_equal(waav_stt_turn_timer(&t, 1000000), 0);

    /* interims: delivered, no timer, even empty ones */
    assert_int_equal(feed(&t, "hel", 0, 0, 100), 1);
    assert_int_equal(feed(&t, "", 0, 0, 200), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 0);
}


static void
test_final_then_silence(void **state)
{
    waav_stt_turn_t  t;

    (void) state;

    waav_stt_turn_init(&t);

    assert_int_equal(feed(&t, "Hello", 1, 0, 1000), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 1000 + 1800);
    assert_int_equal(fire(&t), 2800);

    /* the segment is over: an interim arms nothing */
    assert_int_equal(feed(&t, "next", 0, 0, 3000), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 0);

    /* a new final starts a new segment, its own hard timer */
    assert_int_equal(feed(&t, "Again", 1, 0, 5000), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 6800);
    assert_int_equal(t.hard_at, 9000);
}


static void
test_finals_reset_wait(void **state)
{
    waav_stt_turn_t  t;

    (void) state;

    waav_stt_turn_init(&t);

    /* finals 1 s apart: the wait restarts each time... */
    assert_int_equal(feed(&t, "one", 1, 0, 0), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 1800);
    assert_int_equal(feed(&t, "two", 1, 0, 1000), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 2800);
    assert_int_equal(waav_stt_turn_timer(&t, 1800), 0);
    assert_int_equal(feed(&t, "three", 1, 0, 2000), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 3800);
    assert_int_equal(feed(&t, "four", 1, 0, 2900), 1);

    /* ...but not past 4000 ms after the first */
    assert_int_equal(waav_stt_turn_deadline(&t), 4000);
    assert_int_equal(feed(&t, "five", 1, 0, 3500), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 4000);
    assert_int_equal(fire(&t), 4000);
}


static void
test_speech_final_cancels(void **state)
{
    waav_stt_turn_t  t;

    (void) state;

    waav_stt_turn_init(&t);

    assert_int_equal(feed(&t, "Hello", 1, 0, 0), 1);
    assert_int_equal(feed(&t, "there.", 1, 1, 500), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 0);
    assert_int_equal(waav_stt_turn_timer(&t, 1800), 0);
    assert_int_equal(waav_stt_turn_timer(&t, 4000), 0);

    /* a speech-final with no final before it: delivered, nothing armed;
     * so is one whose is_final is false */
    assert_int_equal(feed(&t, "Yes.", 1, 1, 10000), 1);
    assert_int_equal(feed(&t, "odd", 0, 1, 10100), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 0);

    /* the segment after a real speech-final starts afresh */
    assert_int_equal(feed(&t, "More", 1, 0, 20000), 1);
    assert_int_equal(t.hard_at, 24000);
    assert_int_equal(waav_stt_turn_deadline(&t), 21800);
}


static void
test_blank(void **state)
{
    waav_stt_turn_t  t;

    (void) state;

    waav_stt_turn_init(&t);

    /* blank finals (Unicode white space too) are dropped, arm nothing */
    assert_int_equal(feed(&t, "", 1, 0, 0), 0);
    assert_int_equal(feed(&t, "  \t\r\n", 1, 0, 0), 0);
    assert_int_equal(feed(&t, "\xc2\xa0\xe3\x80\x80\xe2\x80\x89", 1, 0, 0),
                     0);
    assert_int_equal(waav_stt_turn_deadline(&t), 0);

    /* not blank: a word, a lone NUL, a cut sequence */
    assert_int_equal(feed(&t, " a ", 1, 0, 0), 1);
    assert_int_equal(feed(&t, "\xc2", 1, 0, 0), 1);
    assert_int_equal(feed(&t, "\xe2\x80", 1, 0, 0), 1);
    assert_int_equal(feed(&t, "\xe2\x80\x8b", 1, 0, 0), 1);     /* ZWSP */

    /* blank interims and blank speech-finals are delivered */
    assert_int_equal(feed(&t, " ", 0, 0, 10), 1);
    assert_int_equal(feed(&t, "", 1, 1, 20), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 0);

    /* other events pass */
    {
        waav_stt_event_t  e;

        memset(&e, 0, sizeof(e));
        e.type = WAAV_STT_EV_READY;
        assert_int_equal(waav_stt_turn_result(&t, &e, 30), 1);
        assert_int_equal(waav_stt_turn_deadline(&t), 0);
    }
}


static void
test_duplicate(void **state)
{
    waav_stt_turn_t  t;

    (void) state;

    waav_stt_turn_init(&t);

    /* two finals, the synthetic after 1800 ms; the provider's own
     * speech-final for the same text 499 ms later: dropped */
    assert_int_equal(feed(&t, "Hello ", 1, 0, 0), 1);
    assert_int_equal(feed(&t, "world", 1, 0, 100), 1);
    assert_int_equal(fire(&t), 1900);
    assert_int_equal(feed(&t, "Hello world", 1, 1, 2399), 0);
    /* and again: the window still runs from the synthetic */
    assert_int_equal(feed(&t, "Hello world", 1, 1, 2300), 0);

    /* other text in the window: delivered, and the window is over */
    assert_int_equal(feed(&t, "Hello", 1, 1, 2350), 1);
    assert_int_equal(feed(&t, "Hello world", 1, 1, 2360), 1);

    /* the same text at 500 ms: delivered */
    waav_stt_turn_init(&t);
    assert_int_equal(feed(&t, "Hi", 1, 0, 0), 1);
    assert_int_equal(fire(&t), 1800);
    assert_int_equal(feed(&t, "Hi", 1, 1, 2300), 1);

    /* the hard timeout's synthetic counts the same */
    waav_stt_turn_init(&t);
    t.wait_ms = 5000;
    assert_int_equal(feed(&t, "a", 1, 0, 1000), 1);
    assert_int_equal(feed(&t, "b", 1, 0, 2000), 1);
    assert_int_equal(fire(&t), 5000);
    assert_int_equal(feed(&t, "ab", 1, 1, 5100), 0);

    /* a final after the synthetic starts a segment but keeps the window */
    waav_stt_turn_init(&t);
    assert_int_equal(feed(&t, "x", 1, 0, 0), 1);
    assert_int_equal(fire(&t), 1800);
    assert_int_equal(feed(&t, "y", 1, 0, 1900), 1);
    assert_int_equal(feed(&t, "x", 1, 1, 2000), 0);
    /* still waiting for y's end */
    assert_int_equal(waav_stt_turn_deadline(&t), 3700);
    assert_int_equal(feed(&t, "y", 1, 1, 2100), 1);
    assert_int_equal(waav_stt_turn_deadline(&t), 0);

    /* no synthetic yet: a speech-final equal to the finals is delivered */
    waav_stt_turn_init(&t);
    assert_int_equal(feed(&t, "z", 1, 0, 0), 1);
    assert_int_equal(feed(&t, "z", 1, 1, 100), 1);
}


static void
test_timer_early(void **state)
{
    waav_stt_turn_t  t;

    (void) state;

    /* a timer that fires before the deadline it was armed for moved
     * (a final came in between): nothing, re-arm */
    waav_stt_turn_init(&t);
    assert_int_equal(feed(&t, "a", 1, 0, 0), 1);
    assert_int_equal(feed(&t, "b", 1, 0, 1000), 1);
    assert_int_equal(waav_stt_turn_timer(&t, 1800), 0);
    assert_int_equal(waav_stt_turn_deadline(&t), 2800);

    /* a late timer fires once */
    assert_int_equal(waav_stt_turn_timer(&t, 9000), 1);
    assert_int_equal(waav_stt_turn_timer(&t, 9001), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_final_then_silence),
        cmocka_unit_test(test_finals_reset_wait),
        cmocka_unit_test(test_speech_final_cancels),
        cmocka_unit_test(test_blank),
        cmocka_unit_test(test_duplicate),
        cmocka_unit_test(test_timer_early),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
