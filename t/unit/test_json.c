/*
 * Unit tests for src/core/waav_json.c (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "waav_json.h"


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
    };

    return cmocka_run_group_tests_name("waav_json", tests, NULL, NULL);
}
