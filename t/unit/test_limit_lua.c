/*
 * The limits' Redis script: the C string nginx sends
 * (src/ngx_http_waav_limit_lua.h, committed, written by scripts/lua2c.sh)
 * is the script in src/ngx_http_waav_limit.lua, byte for byte.  Run from
 * the repository's top directory (make unit).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../src/ngx_http_waav_limit_lua.h"


static void
test_generated_script_is_current(void **state)
{
    FILE    *f;
    char    *text;
    size_t   n, len;

    (void) state;

    f = fopen("src/ngx_http_waav_limit.lua", "rb");
    assert_non_null(f);

    text = malloc(1 << 20);
    assert_non_null(text);

    n = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    text[n] = '\0';

    len = sizeof(ngx_http_waav_limit_lua) - 1;

    if (n != len || memcmp(text, ngx_http_waav_limit_lua, n) != 0) {
        fail_msg("src/ngx_http_waav_limit_lua.h is not the script in "
                 "src/ngx_http_waav_limit.lua: run make (scripts/lua2c.sh)");
    }

    free(text);
}


/* the script answers four integers per entry and knows every kind */
static void
test_script_speaks_the_batch(void **state)
{
    (void) state;

    assert_non_null(strstr(ngx_http_waav_limit_lua, "(i - 1) * 4"));
    assert_non_null(strstr(ngx_http_waav_limit_lua, "kind == 'rate'"));
    assert_non_null(strstr(ngx_http_waav_limit_lua, "kind == 'quota'"));
    assert_non_null(strstr(ngx_http_waav_limit_lua, "kind == 'acquire'"));
    assert_non_null(strstr(ngx_http_waav_limit_lua, "kind == 'release'"));
    assert_non_null(strstr(ngx_http_waav_limit_lua, "kind == 'refund'"));
    assert_non_null(strstr(ngx_http_waav_limit_lua, "kind == 'renew'"));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_generated_script_is_current),
        cmocka_unit_test(test_script_speaks_the_batch),
    };

    return cmocka_run_group_tests_name("waav_limit_lua", tests, NULL, NULL);
}
