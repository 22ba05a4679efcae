/*
 * Unit tests for the TTS response hook's decoder (waav_b64json.c): audio
 * as base64 in a JSON member, however the answer is cut (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "waav_b64json.h"


static const waav_xform_t  xform = WAAV_B64JSON_XFORM("audioContent", 0);
static const waav_xform_t  unwrap =
    WAAV_B64JSON_XFORM("audioContent", WAAV_B64JSON_NO_WAV_HEADER);


/* the audio of an answer fed step bytes at a time; -1 when refused */
static int
decode_with(const waav_xform_t *x, const char *json, size_t step, char *out,
    size_t *len)
{
    size_t          i, n, m;
    waav_b64json_t  d;

    x->init(x, &d);
    *len = 0;

    for (i = 0; i < strlen(json); i += n) {
        n = strlen(json) - i < step ? strlen(json) - i : step;

        if (x->feed(&d, json + i, n, out + *len, &m) != 0) {
            return -1;
        }

        assert_true(m <= n + WAAV_XFORM_SLACK);
        *len += m;
    }

    return x->end(&d);
}


static int
decode(const char *json, size_t step, char *out, size_t *len)
{
    return decode_with(&xform, json, step, out, len);
}


static void
ok(const char *json, const char *want, size_t want_len)
{
    char    out[256];
    size_t  len, step;

    for (step = 1; step <= strlen(json); step++) {
        if (decode(json, step, out, &len) != 0) {
            fail_msg("refused %s (step %zu)", json, step);
        }

        assert_int_equal(len, want_len);
        assert_memory_equal(out, want, len);
    }
}


static void
refused(const char *json)
{
    char    out[256];
    size_t  len, step;

    for (step = 1; step <= strlen(json); step++) {
        if (decode(json, step, out, &len) == 0) {
            fail_msg("took %s (step %zu)", json, step);
        }
    }
}


static void
test_decode(void **state)
{
    (void) state;

    ok("{\"audioContent\":\"aGVsbG8gd29ybGQ=\"}", "hello world", 11);
    ok("{\"audioContent\":\"aGk=\"}", "hi", 2);
    ok("{\"audioContent\":\"aGk\"}", "hi", 2);
    ok("{\"audioContent\":\"\"}", "", 0);

    /* the other members, whatever they hold, before and after */
    ok(" {\"timepoints\":[{\"n\":\"a\\\"}\",\"t\":1.5}],\"x\":null,"
       "\"audioConfig\":{\"y\":[1,{\"z\":\"]\"}]},"
       "\"audioContent\" : \"AAEC/w==\" , \"t\":true,\"n\":-1e3}\n",
       "\x00\x01\x02\xff", 4);

    /* JSON escapes and line breaks inside the base64; URL-safe digits */
    ok("{\"audioContent\":\"aGVs\\/\\u0077\\nAB\"}", "hel\xff\x00\x01", 6);
    ok("{\"audioContent\":\"-_-_\"}", "\xfb\xff\xbf", 3);
    ok("{\"audioContent\":\"aG\\r\\n Vs\\tbG8=\"}", "hello", 5);

    /* a key spelled with an escape is not the member */
    refused("{\"audio\\u0043ontent\":\"aGk=\"}");
}


static void
test_refused(void **state)
{
    (void) state;

    refused("{\"other\":\"aGk=\"}");                       /* no audio */
    refused("{\"audioContent\":\"aGk=\",\"audioContent\":\"aGk=\"}");
    refused("{\"audioContent\":null}");
    refused("{\"audioContent\":[\"aGk=\"]}");
    refused("[\"audioContent\"]");
    refused("{\"audioContent\":\"aGk=\"} x");
    refused("{\"audioContent\":\"aGk=\"");                 /* cut */
    refused("{\"audioContent\":\"aGk=");
    refused("{\"audioContent\":\"a===\"}");                /* padding */
    refused("{\"audioContent\":\"a\"}");                   /* 6 bits */
    refused("{\"audioContent\":\"aG=k\"}");
    refused("{\"audioContent\":\"aGk*\"}");                /* not base64 */
    refused("{\"audioContent\":\"aGk\\u00e9\"}");
    refused("{\"audioContent\":\"aGk\\b\"}");
    refused("{\"audioContent\":\"aGk\\u00zz\"}");
    refused("{\"audioContent\" \"aGk=\"}");
    refused("{\"a\":1 2,\"audioContent\":\"aGk=\"}");
    refused("<html>");
    refused("");
}


/* Google wraps raw PCM (and G.711) in a WAV header: dropped when asked,
 * up to its "data" chunk, however the answer is cut */
static void
test_unwrap(void **state)
{
    char         json[512], want[256], out[512];
    size_t       len, step, i;
    const char  *b64;

    static const struct {
        const char  *b64;
        size_t       whole;
    } wavs[] = {
        /* PCM: the 44-byte header + "audio!" */
        { "UklGRioAAABXQVZFZm10IBAAAAABAAEAwF0AAIC7AAACABAAZGF0YQYAAABh"
          "dWRpbyE=", 50 },
        /* mu-law: fmt of 18 bytes and a "fact" chunk (58 bytes) */
        { "UklGRjgAAABXQVZFZm10IBIAAAAHAAEAQB8AAEAfAAABAAgAAABmYWN0BAAA"
          "AAYAAABkYXRhBgAAAGF1ZGlvIQ==", 64 },
        /* a chunk of odd size, padded, before "data" */
        { "UklGRgAAAABXQVZFTElTVAMAAABhYmMAZGF0YQYAAABhdWRpbyE=", 38 },
    };

    (void) state;

    for (i = 0; i < sizeof(wavs) / sizeof(wavs[0]); i++) {
        snprintf(json, sizeof(json), "{\"audioContent\":\"%s\"}",
                 wavs[i].b64);

        for (step = 1; step <= strlen(json); step++) {
            assert_int_equal(decode_with(&unwrap, json, step, out, &len), 0);
            assert_int_equal(len, 6);
            assert_memory_equal(out, "audio!", 6);

            assert_int_equal(decode_with(&xform, json, step, out, &len), 0);
            assert_int_equal(len, wavs[i].whole);
        }
    }

    /* a header that never reaches "data", or a chunk too long for one */
    b64 = "UklGRgAAAABXQVZFZm10IBAAAAABAAEAwF0AAIC7AAACABAA";
    snprintf(json, sizeof(json), "{\"audioContent\":\"%s\"}", b64);
    assert_int_equal(decode_with(&unwrap, json, 5, out, &len), -1);

    b64 = "UklGRgAAAABXQVZFanVua6CGAQB4eHh4eHh4eHh4";
    snprintf(json, sizeof(json), "{\"audioContent\":\"%s\"}", b64);
    assert_int_equal(decode_with(&unwrap, json, 5, out, &len), -1);

    /* not a WAV: all of it, held bytes included */
    snprintf(json, sizeof(json), "{\"audioContent\":\"aGVsbG8gd29ybGQ=\"}");
    memcpy(want, "hello world", 11);

    for (step = 1; step <= strlen(json); step++) {
        assert_int_equal(decode_with(&unwrap, json, step, out, &len), 0);
        assert_int_equal(len, 11);
        assert_memory_equal(out, want, 11);
    }

    /* 1 to 3 bytes: too short to tell, refused; none: fine */
    assert_int_equal(decode_with(&unwrap, "{\"audioContent\":\"aGk=\"}", 3,
                                 out, &len), -1);
    assert_int_equal(decode_with(&unwrap, "{\"audioContent\":\"\"}", 3,
                                 out, &len), 0);
    assert_int_equal(len, 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_unwrap),
    };

    return cmocka_run_group_tests_name("waav_b64json", tests, NULL, NULL);
}
