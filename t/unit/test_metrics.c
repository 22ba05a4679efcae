/*
 * Unit tests for src/core/waav_metrics.c (cmocka): label text, buckets,
 * the exposition lines.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "waav_metrics.h"


static void
test_key_escapes(void **state)
{
    waav_metrics_key_t  k;

    (void) state;

    waav_metrics_key_init(&k);
    waav_metrics_key_add(&k, "provider", "deepgram", 8);
    waav_metrics_key_add(&k, "tenant", "a\"b\\c\nd", 7);

    assert_string_equal(k.data,
                        "provider=\"deepgram\",tenant=\"a\\\"b\\\\c\\nd\"");
    assert_int_equal(k.len, strlen(k.data));
    assert_false(k.overflow);
}


static void
test_key_bounds(void **state)
{
    char                long_value[300];
    char                utf8[WAAV_METRICS_VALUE_MAX + 2];
    waav_metrics_key_t  k;

    (void) state;

    /* a value is cut at WAAV_METRICS_VALUE_MAX bytes */
    memset(long_value, 'x', sizeof(long_value));
    waav_metrics_key_init(&k);
    waav_metrics_key_add(&k, "t", long_value, sizeof(long_value));
    assert_false(k.overflow);
    assert_int_equal(k.len, 2 + WAAV_METRICS_VALUE_MAX + 2);

    /* ... never inside a UTF-8 sequence: "é" straddling the cut goes */
    memset(utf8, 'a', sizeof(utf8));
    utf8[WAAV_METRICS_VALUE_MAX - 1] = (char) 0xc3;
    utf8[WAAV_METRICS_VALUE_MAX] = (char) 0xa9;
    waav_metrics_key_init(&k);
    waav_metrics_key_add(&k, "t", utf8, sizeof(utf8));
    assert_int_equal(k.len, 2 + WAAV_METRICS_VALUE_MAX - 1 + 2);

    /* escaped quotes double a value: the key overflows, flagged */
    memset(long_value, '"', sizeof(long_value));
    waav_metrics_key_init(&k);
    waav_metrics_key_add(&k, "a", long_value, sizeof(long_value));
    waav_metrics_key_add(&k, "b", long_value, sizeof(long_value));
    assert_true(k.overflow);
    assert_true(k.len < WAAV_METRICS_KEY_MAX);
}


static void
test_buckets(void **state)
{
    (void) state;

    assert_int_equal(waav_metrics_bucket(0), 0);
    assert_int_equal(waav_metrics_bucket(10), 0);
    assert_int_equal(waav_metrics_bucket(11), 1);
    assert_int_equal(waav_metrics_bucket(1000), 6);
    assert_int_equal(waav_metrics_bucket(30000), 10);
    assert_int_equal(waav_metrics_bucket(30001), WAAV_METRICS_BUCKETS);

    assert_string_equal(waav_metrics_status_class(200), "2xx");
    assert_string_equal(waav_metrics_status_class(499), "4xx");
    assert_string_equal(waav_metrics_status_class(599), "5xx");
    assert_string_equal(waav_metrics_status_class(0), "other");
    assert_string_equal(waav_metrics_status_class(600), "other");
}


static void
test_counter_and_gauge(void **state)
{
    char        out[512];
    uint64_t    v[WAAV_METRICS_VALUES];
    waav_buf_t  b;
    waav_str_t  s;

    (void) state;

    memset(v, 0, sizeof(v));
    v[0] = 42;

    waav_buf_init(&b, out, sizeof(out) - 1);
    waav_metrics_write_family(&b, WAAV_M_TTS_CHARS);
    waav_metrics_write_series(&b, WAAV_M_TTS_CHARS, "provider=\"p\"", 12, v);
    assert_int_equal(waav_buf_done(&b, &s), 0);
    out[b.len] = '\0';

    assert_string_equal(out,
        "# HELP waav_tts_characters_total Characters of text sent to TTS "
        "providers, by provider and tenant.\n"
        "# TYPE waav_tts_characters_total counter\n"
        "waav_tts_characters_total{provider=\"p\"} 42\n");

    /* a gauge may dip below zero for a moment: signed */
    v[0] = (uint64_t) -1;
    waav_buf_init(&b, out, sizeof(out) - 1);
    waav_metrics_write_series(&b, WAAV_M_WS_SESSIONS, "", 0, v);
    out[b.len] = '\0';
    assert_string_equal(out, "waav_ws_sessions -1\n");
}


static void
test_histogram(void **state)
{
    char        out[4096];
    uint64_t    v[WAAV_METRICS_VALUES];
    waav_buf_t  b;

    (void) state;

    memset(v, 0, sizeof(v));

    /* 5 ms, 120 ms, 40 s: buckets 0, 4, +Inf */
    v[waav_metrics_bucket(5)]++;
    v[waav_metrics_bucket(120)]++;
    v[waav_metrics_bucket(40000)]++;
    v[WAAV_METRICS_BUCKETS + 1] = 5 + 120 + 40000;

    waav_buf_init(&b, out, sizeof(out) - 1);
    waav_metrics_write_series(&b, WAAV_M_PROVIDER_LATENCY, "p=\"x\"", 5, v);
    assert_false(b.overflow);
    out[b.len] = '\0';

    assert_non_null(strstr(out,
        "waav_provider_latency_seconds_bucket{p=\"x\",le=\"0.010\"} 1\n"
        "waav_provider_latency_seconds_bucket{p=\"x\",le=\"0.025\"} 1\n"));
    assert_non_null(strstr(out,
        "waav_provider_latency_seconds_bucket{p=\"x\",le=\"0.250\"} 2\n"));
    assert_non_null(strstr(out,
        "waav_provider_latency_seconds_bucket{p=\"x\",le=\"30.000\"} 2\n"
        "waav_provider_latency_seconds_bucket{p=\"x\",le=\"+Inf\"} 3\n"
        "waav_provider_latency_seconds_sum{p=\"x\"} 40.125\n"
        "waav_provider_latency_seconds_count{p=\"x\"} 3\n"));

    /* no labels: le alone */
    waav_buf_init(&b, out, sizeof(out) - 1);
    waav_metrics_write_series(&b, WAAV_M_PROVIDER_LATENCY, "", 0, v);
    out[b.len] = '\0';
    assert_non_null(strstr(out,
        "waav_provider_latency_seconds_bucket{le=\"+Inf\"} 3\n"
        "waav_provider_latency_seconds_sum 40.125\n"));

    /* too small a buffer: overflow, never past it */
    waav_buf_init(&b, out, 64);
    waav_metrics_write_series(&b, WAAV_M_PROVIDER_LATENCY, "", 0, v);
    assert_true(b.overflow);
    assert_true(b.len <= 64);
}


static void
test_info(void **state)
{
    char        out[256];
    waav_buf_t  b;

    (void) state;

    waav_buf_init(&b, out, sizeof(out) - 1);
    waav_metrics_write_info(&b, "waav_build_info", "Build.",
                            "version=\"1\"", 11);
    out[b.len] = '\0';
    assert_string_equal(out, "# HELP waav_build_info Build.\n"
                             "# TYPE waav_build_info gauge\n"
                             "waav_build_info{version=\"1\"} 1\n");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_key_escapes),
        cmocka_unit_test(test_key_bounds),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_counter_and_gauge),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_info),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
