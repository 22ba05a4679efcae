/*
 * Unit tests for src/core/waav_json.c, the buffer and JSON writers
 * (waav_buf.c, waav_jw.c) and waav_err.c (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "waav_json.h"
#include "waav_jw.h"
#include "waav_arena.h"


static char *
escape(const char *in, size_t len)
{
    size_t  n;
    char   *out;

    n = waav_json_escape(NULL, in, len);
    out = calloc(1, n + 1);
    assert_non_null(out);
    assert_int_equal(waav_json_escape(out, in, len), n);

    return out;
}


static void
test_escape_plain(void **state)
{
    char  *s;

    (void) state;

    s = escape("hello world", 11);
    assert_string_equal(s, "hello world");
    free(s);
}


static void
test_escape_specials(void **state)
{
    char  *s;

    (void) state;

    s = escape("a\"b\\c\nd\re\tf\x01g\x7f", 14);
    assert_string_equal(s, "a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007f");
    free(s);
}


static void
test_escape_nul_inside(void **state)
{
    char  *s;

    (void) state;

    s = escape("a\0b", 3);
    assert_string_equal(s, "a\\u0000b");
    free(s);
}


static void
test_escape_utf8_kept(void **state)
{
    char  *s;

    (void) state;

    /* é, €, 😀 */
    s = escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
    assert_string_equal(s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    free(s);
}


static void
test_escape_invalid_utf8_replaced(void **state)
{
    char        *s;
    size_t       i;
    const char  *bad[] = {
        "\xff",                     /* never valid */
        "\xc0\xaf",                 /* overlong '/' */
        "\xed\xa0\x80",             /* UTF-16 surrogate */
        "\xf4\x90\x80\x80",         /* above U+10FFFF */
        "\xe2\x82",                 /* truncated */
        "\x80",                     /* lone continuation */
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        s = escape(bad[i], strlen(bad[i]));
        assert_true(waav_utf8_valid(s, strlen(s)));
        assert_non_null(strstr(s, "\xef\xbf\xbd"));
        free(s);
    }
}


static void
test_utf8_valid(void **state)
{
    (void) state;

    assert_true(waav_utf8_valid("", 0));
    assert_true(waav_utf8_valid("plain", 5));
    assert_true(waav_utf8_valid("\xc3\xa9", 2));
    assert_false(waav_utf8_valid("\xc3", 1));
    assert_false(waav_utf8_valid("\xc0\x80", 2));
    assert_false(waav_utf8_valid("\xed\xbf\xbf", 3));
}


static void
test_error_body_parses(void **state)
{
    char    buf[256];
    size_t  n;
    cJSON  *json, *err, *code;

    (void) state;

    n = waav_json_error(buf, sizeof(buf), "bad \"thing\"\n", 12, "BAD_REQUEST");
    assert_true(n < sizeof(buf));
    buf[n] = '\0';

    assert_string_equal(buf,
        "{\"error\":\"bad \\\"thing\\\"\\n\",\"code\":\"BAD_REQUEST\"}");

    json = cJSON_Parse(buf);
    assert_non_null(json);
    err = cJSON_GetObjectItemCaseSensitive(json, "error");
    code = cJSON_GetObjectItemCaseSensitive(json, "code");
    assert_true(cJSON_IsString(err));
    assert_string_equal(err->valuestring, "bad \"thing\"\n");
    assert_string_equal(code->valuestring, "BAD_REQUEST");
    cJSON_Delete(json);
}


static void
test_error_body_too_small(void **state)
{
    char    buf[8];
    size_t  need;

    (void) state;

    memset(buf, 'x', sizeof(buf));
    need = waav_json_error(buf, sizeof(buf), "message", 7, "CODE");
    assert_int_equal(need, strlen("{\"error\":\"message\",\"code\":\"CODE\"}"));

    /* nothing written when it does not fit */
    assert_memory_equal(buf, "xxxxxxxx", 8);
    assert_int_equal(waav_json_error(NULL, 0, "message", 7, "CODE"), need);
}


static void
test_error_body_hostile_message(void **state)
{
    char    msg[256], *buf;
    size_t  i, n;
    cJSON  *json;

    (void) state;

    for (i = 0; i < sizeof(msg); i++) {
        msg[i] = (char) i;
    }

    n = waav_json_error(NULL, 0, msg, sizeof(msg), "X");
    buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(waav_json_error(buf, n, msg, sizeof(msg), "X"), n);
    buf[n] = '\0';

    json = cJSON_Parse(buf);
    assert_non_null(json);
    cJSON_Delete(json);
    free(buf);
}


static void
test_status_info(void **state)
{
    const waav_status_info_t  *i;

    (void) state;

    i = waav_status_info(413);
    assert_int_equal(i->status, 413);
    assert_string_equal(i->code, "PAYLOAD_TOO_LARGE");

    i = waav_status_info(405);
    assert_string_equal(i->code, "METHOD_NOT_ALLOWED");

    i = waav_status_info(504);
    assert_string_equal(i->code, "GATEWAY_TIMEOUT");

    i = waav_status_info(418);
    assert_string_equal(i->code, "CLIENT_ERROR");

    i = waav_status_info(599);
    assert_string_equal(i->code, "SERVER_ERROR");
}


static cJSON *
parse(const char *json, unsigned flags, waav_err_t *err)
{
    return waav_json_parse(json, strlen(json), flags, &WAAV_ARENA, err);
}


/* defect: {"text":"hi","text":""} was taken, the first value winning */
static void
test_parse_duplicates(void **state)
{
    int         i;
    char        big[2048], *p;
    waav_err_t  err;

    (void) state;

    assert_null(parse("{\"text\":\"hi\",\"text\":\"\"}", WAAV_JSON_CLIENT,
                      &err));
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "INVALID_REQUEST");

    /* at any depth, in arrays too, spelled differently */
    assert_null(parse("{\"a\":{\"b\":{\"c\":1,\"c\":2}}}", WAAV_JSON_CLIENT,
                      &err));
    assert_null(parse("{\"a\":[{\"x\":1},{\"y\":1,\"y\":1}]}",
                      WAAV_JSON_CLIENT, &err));
    assert_null(parse("{\"ab\":1,\"a\\u0062\":2}", WAAV_JSON_CLIENT, &err));

    /* the same key in two objects is no duplicate */
    assert_non_null(parse("{\"a\":{\"k\":1},\"b\":{\"k\":1},\"k\":[{\"k\":1}]}",
                          WAAV_JSON_CLIENT, &err));

    /* many keys: sorted, found wherever they are */
    for (i = 0; i < 2; i++) {
        p = big;
        p += sprintf(p, "{");

        for (int k = 0; k < 100; k++) {
            p += sprintf(p, "%s\"k%d\":%d", k ? "," : "", k, k);
        }

        if (i) {
            p += sprintf(p, ",\"k57\":0");
        }

        sprintf(p, "}");

        if (i) {
            assert_null(parse(big, WAAV_JSON_CLIENT, &err));

        } else {
            assert_non_null(parse(big, WAAV_JSON_CLIENT, &err));
        }
    }

    /* provider answers are read as they come */
    assert_non_null(parse("{\"a\":1,\"a\":2}", 0, &err));
}


static void
test_parse_client(void **state)
{
    waav_err_t  err;
    cJSON      *j;

    (void) state;

    j = parse(" {\"a\":\"b\"} \r\n", WAAV_JSON_CLIENT, &err);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "a")->valuestring,
                        "b");

    assert_null(parse("{\"a\":1} x", WAAV_JSON_CLIENT, &err));
    assert_string_equal(err.code, "INVALID_JSON");
    assert_null(parse("{\"a\":1", WAAV_JSON_CLIENT, &err));
    assert_string_equal(err.code, "INVALID_JSON");

    /* cJSON would cut "a\u0000b" to "a": refused */
    assert_null(parse("{\"a\":\"a\\u0000b\"}", WAAV_JSON_CLIENT, &err));
    assert_string_equal(err.code, "INVALID_REQUEST");
    assert_non_null(parse("{\"a\":\"a\\\\u0000b\"}", WAAV_JSON_CLIENT, &err));
    assert_null(waav_json_parse("{\"a\":\"x\0\"}", 9, WAAV_JSON_CLIENT,
                                &WAAV_ARENA, &err));

    /* the hooks are back to malloc after a parse */
    j = cJSON_Parse("{\"x\":[1,2,3]}");
    assert_non_null(j);
    cJSON_Delete(j);
}


static void
num(double v)
{
    char        want[64], got[64];
    waav_buf_t  b;

    snprintf(want, sizeof(want), "%.15g", v);
    waav_buf_init(&b, got, sizeof(got) - 1);
    waav_buf_num(&b, v);
    got[b.len] = '\0';

    if (strcmp(want, got) != 0) {
        fail_msg("%.17g: got %s, printf says %s", v, got, want);
    }
}


static void
test_buf(void **state)
{
    int         i;
    char        s[8];
    waav_buf_t  b;
    waav_str_t  out;

    (void) state;

    /* numbers as printf writes them, without it for the usual ones */
    num(0);
    num(-0.0);
    num(1);
    num(0.18);
    num(0.99);
    num(2.5);
    num(-3.25);
    num(3661.25);
    num(1e-4);
    num(0.000123);
    num(5e-5);
    num(123456789.123456);
    num(999999999.5);
    num(1e9);
    num(1e15);
    num(0.1 + 0.2);
    num(1.0 / 3);
    num(0.30000000000000004);

    for (i = 0; i < 100000; i++) {
        num(i / 1000.0);
        num(i * 0.07);
        num(-i / 7.0);
    }

    /* bounded: what does not fit sets overflow, once */
    waav_buf_init(&b, s, 4);
    waav_buf_cstr(&b, "abc");
    waav_buf_uint(&b, 12);
    assert_true(b.overflow);
    waav_buf_byte(&b, 'x');
    assert_int_equal(b.len, 3);
    assert_int_equal(waav_buf_done(&b, &out), -1);

    waav_buf_init(&b, s, 8);
    waav_buf_uint(&b, 18446744073709551615ULL);
    assert_true(b.overflow);

    assert_int_equal(waav_buf_alloc(&b, 20, &WAAV_ARENA, NULL), 0);
    waav_buf_uint(&b, 18446744073709551615ULL);
    assert_int_equal(waav_buf_done(&b, &out), 0);
    assert_int_equal(out.len, 20);
    assert_string_equal(out.data, "18446744073709551615");
}


static void
test_jw(void **state)
{
    char        s[16];
    waav_jw_t   w;
    waav_str_t  out;

    (void) state;

    assert_int_equal(waav_jw_alloc(&w, 256, &WAAV_ARENA, NULL), 0);
    waav_jw_open(&w, NULL);
    waav_jw_int(&w, "i", -42);
    waav_jw_int(&w, "m", -9223372036854775807L - 1);
    waav_jw_num(&w, "n", 0.5);
    waav_jw_num(&w, "inf", 1.0 / 0.0);
    waav_jw_bool(&w, "b", 0);
    waav_jw_key_array(&w, "a");
    waav_jw_cstr(&w, NULL, "x\"y");
    waav_jw_open(&w, NULL);
    waav_jw_close(&w);
    waav_jw_close_array(&w);
    waav_jw_close(&w);
    assert_int_equal(waav_jw_done(&w, &out), 0);
    assert_string_equal(out.data, "{\"i\":-42,\"m\":-9223372036854775808,"
                        "\"n\":0.5,\"inf\":null,\"b\":false,"
                        "\"a\":[\"x\\\"y\",{}]}");

    waav_jw_init(&w, s, sizeof(s));
    waav_jw_open(&w, NULL);
    waav_jw_cstr(&w, "key", "a value too long");
    assert_int_equal(waav_jw_done(&w, &out), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_escape_plain),
        cmocka_unit_test(test_escape_specials),
        cmocka_unit_test(test_escape_nul_inside),
        cmocka_unit_test(test_escape_utf8_kept),
        cmocka_unit_test(test_escape_invalid_utf8_replaced),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_error_body_parses),
        cmocka_unit_test(test_error_body_too_small),
        cmocka_unit_test(test_error_body_hostile_message),
        cmocka_unit_test(test_status_info),
        cmocka_unit_test_teardown(test_parse_duplicates, waav_arena_teardown),
        cmocka_unit_test_teardown(test_parse_client, waav_arena_teardown),
        cmocka_unit_test_teardown(test_buf, waav_arena_teardown),
        cmocka_unit_test_teardown(test_jw, waav_arena_teardown),
    };

    return cmocka_run_group_tests_name("waav_json", tests, NULL, NULL);
}
