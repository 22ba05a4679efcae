/*
 * Unit tests for the `local` provider's GET /voices entries (cmocka):
 * espeak-ng's voice names into WaaV's {id, sample, name, accent, gender,
 * language}, and the list a worker sets.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "waav_local.h"

/* the adapter (src/core/tts/waav_tts_local.c), as the registry links it */
extern const waav_tts_adapter_t  waav_tts_local;


#define assert_str(s, lit)                                                   \
    do {                                                                     \
        assert_int_equal((s).len, strlen(lit));                              \
        assert_memory_equal((s).data, lit, strlen(lit));                     \
    } while (0)


static void
test_entry(void **state)
{
    waav_voice_t  v;

    (void) state;

    waav_local_voice_entry(&v, "en-us", "English (America)", 1);
    assert_str(v.id, "en-us");
    assert_str(v.sample, "");
    assert_str(v.name, "English (America)");
    assert_str(v.language, "English");
    assert_str(v.accent, "America");
    assert_str(v.gender, "Male");

    /* no accent; espeak-ng's trailing space ("Cherokee ") */
    waav_local_voice_entry(&v, "chr-US-Qaaa-x-west", "Cherokee ", 2);
    assert_str(v.name, "Cherokee");
    assert_str(v.language, "Cherokee");
    assert_str(v.accent, "Standard");
    assert_str(v.gender, "Female");

    /* a comma in the parentheses stays in the accent */
    waav_local_voice_entry(&v, "cmn", "Chinese (Mandarin, latin as English)",
                           0);
    assert_str(v.language, "Chinese");
    assert_str(v.accent, "Mandarin, latin as English");
    assert_str(v.gender, "Unknown");

    /* nothing to go by: the id; an unclosed or empty parenthesis */
    waav_local_voice_entry(&v, "xx", "", 1);
    assert_str(v.name, "xx");
    assert_str(v.language, "xx");
    assert_str(v.accent, "Standard");

    waav_local_voice_entry(&v, "yy", "Lang (oops", 1);
    assert_str(v.language, "Lang (oops");
    assert_str(v.accent, "Standard");

    waav_local_voice_entry(&v, "zz", "() ", 1);
    assert_str(v.name, "()");
    assert_str(v.language, "zz");
    assert_str(v.accent, "Standard");
}


static void
test_list(void **state)
{
    waav_voice_t        v[2];
    waav_voice_list_t   out;

    (void) state;

    waav_voices_fixed(&waav_voices_local, &out);
    assert_int_equal(out.n, 0);
    assert_null(waav_tts_local.voices->path);
    assert_ptr_equal(waav_tts_local.voices, &waav_voices_local);

    waav_local_voice_entry(&v[0], "en-us", "English (America)", 1);
    waav_local_voice_entry(&v[1], "de", "German", 1);
    waav_local_voices_set(v, 2);
    waav_voices_fixed(&waav_voices_local, &out);
    assert_int_equal(out.n, 2);
    assert_str(out.v[1].id, "de");

    waav_local_voices_set(NULL, 5);
    waav_voices_fixed(&waav_voices_local, &out);
    assert_int_equal(out.n, 0);
}


/* the voice a synthesis asks for: the model's (local/en-gb), else the
 * voice, where OpenAI's voices (its SDKs always send one) are en-us */
static void
test_voice(void **state)
{
    waav_tts_req_t  req;

    (void) state;

    memset(&req, 0, sizeof(req));
    req.model.data = "en-gb";
    req.model.len = 5;
    req.voice.data = "alloy";
    req.voice.len = 5;
    assert_str(waav_local_voice(&req), "en-gb");

    req.model.data = "local";
    assert_str(waav_local_voice(&req), "en-us");

    req.voice.data = "Nova";
    req.voice.len = 4;
    assert_str(waav_local_voice(&req), "en-us");

    req.voice.data = "fr-fr";
    req.voice.len = 5;
    assert_str(waav_local_voice(&req), "fr-fr");

    req.model.len = 0;
    req.voice.data = "allo";
    req.voice.len = 4;
    assert_str(waav_local_voice(&req), "allo");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_entry),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_voice),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
