/*
 * Unit tests for voice lists and cloning (waav_voices.c,
 * waav_voices_clone.c, src/core/tts/waav_tts_*_voices.c): each provider's
 * listing mapped as WaaV maps it, hostile answers refused or trimmed, the
 * merged answer, WaaV's clone body and ElevenLabs' multipart (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "waav_arena.h"
#include "waav_jw.h"
#include "waav_tts.h"
#include "waav_voices.h"


static waav_alloc_t  arena = { waav_arena_alloc, NULL };


static const waav_voices_adapter_t *
va(const char *type)
{
    const waav_tts_adapter_t  *ad;

    ad = waav_tts_adapter(type, strlen(type));
    assert_non_null(ad);
    assert_non_null(ad->voices);

    return ad->voices;
}


static waav_voice_list_t
parse_ok(const char *type, const char *body)
{
    waav_err_t         err;
    waav_voice_list_t  l;

    assert_int_equal(waav_voices_parse(va(type), body, strlen(body), &l, &arena, &err),
                     0);
    return l;
}


static void
parse_bad(const char *type, const char *body)
{
    waav_err_t         err;
    waav_voice_list_t  l;

    assert_int_equal(waav_voices_parse(va(type), body, strlen(body), &l, &arena, &err),
                     -1);
    assert_int_equal(err.status, 502);
    assert_string_equal(err.code, "PROVIDER_BAD_RESPONSE");
}


/* 1 when binary s holds w */
static int
holds(waav_str_t s, const char *w)
{
    size_t  i, n;

    n = strlen(w);

    for (i = 0; i + n <= s.len; i++) {
        if (memcmp(s.data + i, w, n) == 0) {
            return 1;
        }
    }

    return 0;
}


static void
is(waav_str_t s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.data, want, s.len);
}


static void
voice_is(const waav_voice_t *v, const char *id, const char *sample,
    const char *name, const char *accent, const char *gender,
    const char *language)
{
    is(v->id, id);
    is(v->sample, sample);
    is(v->name, name);
    is(v->accent, accent);
    is(v->gender, gender);
    is(v->language, language);
}


static void
test_deepgram(void **state)
{
    waav_voice_list_t  l;

    (void) state;

    l = parse_ok("deepgram", "{\"stt\":[{\"canonical_name\":\"nova-3\"}],"
        "\"tts\":[{\"name\":\"thalia\",\"canonical_name\":\"aura-2-thalia-en\","
        "\"languages\":[\"en\",\"en-US\"],\"metadata\":{\"accent\":\"American\","
        "\"sample\":\"https://x/t.wav\",\"tags\":[\"feminine\",\"warm\"]}},"
        "{\"name\":\"orion\",\"canonical_name\":\"aura-orion-en\","
        "\"languages\":[\"en\"],\"metadata\":{\"tags\":[\"masculine\"]}},"
        "{\"name\":\"x\",\"canonical_name\":\"aura-x-es\","
        "\"languages\":[\"es\"],\"metadata\":{\"tags\":[7,\"Female\"]}},"
        "{\"name\":\"nolang\",\"canonical_name\":\"aura-n\"},"
        "{\"name\":\"no id\"}, 5, null]}");

    assert_int_equal(l.n, 4);
    voice_is(&l.v[0], "aura-2-thalia-en", "https://x/t.wav", "thalia",
             "American", "Female", "English");
    voice_is(&l.v[1], "aura-orion-en", "", "orion", "Unknown", "Male",
             "English");
    /* WaaV would say Male: "female" contains "male" */
    voice_is(&l.v[2], "aura-x-es", "", "x", "Unknown", "Female", "es");
    voice_is(&l.v[3], "aura-n", "", "nolang", "Unknown", "Unknown",
             "Unknown");

    parse_bad("deepgram", "{\"stt\":[]}");
    parse_bad("deepgram", "{\"tts\":{}}");
    parse_bad("deepgram", "[]");
    parse_bad("deepgram", "{\"tts\":[");
    parse_bad("deepgram", "");
}


static void
test_elevenlabs(void **state)
{
    waav_voice_list_t  l;

    (void) state;

    l = parse_ok("elevenlabs", "{\"voices\":["
        "{\"voice_id\":\"21m\",\"name\":\"Rachel\",\"preview_url\":\"https://p\","
        "\"labels\":{\"gender\":\"female\",\"accent\":\"american\"},"
        "\"verified_languages\":[{\"language\":\"en\",\"accent\":\"american\"}]},"
        "{\"voice_id\":\"a\",\"name\":\"Adam\",\"labels\":{\"sex\":\"Male\"}},"
        "{\"voice_id\":\"b\",\"name\":\"B\",\"description\":\"a Lady of note\"},"
        "{\"voice_id\":\"c\",\"name\":\"C\",\"description\":\"a true gentleman\"},"
        "{\"voice_id\":\"d\",\"name\":\"D\",\"labels\":{\"voice_type\":\"robot\"},"
        "\"verified_languages\":[]},"
        "{\"voice_id\":\"\",\"name\":\"empty id\"}]}");

    assert_int_equal(l.n, 5);
    voice_is(&l.v[0], "21m", "https://p", "Rachel", "american", "Female",
             "en");
    voice_is(&l.v[1], "a", "", "Adam", "Unknown", "Male", "Unknown");
    is(l.v[2].gender, "Female");
    is(l.v[3].gender, "Male");
    is(l.v[4].gender, "Unknown");

    parse_bad("elevenlabs", "{\"voices\":null}");
    parse_bad("elevenlabs", "{\"detail\":{\"status\":\"invalid_api_key\"}}");
}


static void
test_cartesia(void **state)
{
    waav_voice_list_t  l;

    (void) state;

    l = parse_ok("cartesia", "{\"data\":[{\"id\":\"u1\",\"name\":\"Barbershop\","
        "\"gender\":\"masculine\",\"language\":\"en\"},{\"id\":\"u2\","
        "\"name\":\"S\",\"gender\":\"feminine\",\"language\":\"pt-BR\","
        "\"preview_file_url\":\"https://p\"},{\"id\":\"u3\",\"gender\":"
        "\"gender_neutral\"},{\"id\":\"u4\",\"gender\":\"other\","
        "\"language\":\"xx-QQ\"}],\"has_more\":false}");

    assert_int_equal(l.n, 4);
    voice_is(&l.v[0], "u1", "", "Barbershop", "Standard", "Male", "English");
    voice_is(&l.v[1], "u2", "https://p", "S", "Brazilian", "Female",
             "Portuguese");
    voice_is(&l.v[2], "u3", "", "", "Unknown", "Neutral", "Unknown");
    voice_is(&l.v[3], "u4", "", "", "QQ", "Unknown", "xx-QQ");

    /* older API versions: a bare array */
    l = parse_ok("cartesia", "[{\"id\":\"u1\",\"name\":\"A\"}]");
    assert_int_equal(l.n, 1);

    parse_bad("cartesia", "{\"data\":7}");
    parse_bad("cartesia", "\"voices\"");
}


static void
test_google(void **state)
{
    waav_voice_list_t  l;

    (void) state;

    l = parse_ok("google", "{\"voices\":[{\"languageCodes\":[\"en-US\"],"
        "\"name\":\"en-US-Wavenet-D\",\"ssmlGender\":\"MALE\"},"
        "{\"languageCodes\":[\"cmn-CN\"],\"name\":\"cmn-CN-Chirp3-HD-Kore\","
        "\"ssmlGender\":\"FEMALE\"},{\"languageCodes\":[],\"name\":\"odd\","
        "\"ssmlGender\":\"NEUTRAL\"},{\"name\":\"en-US\","
        "\"ssmlGender\":\"SSML_VOICE_GENDER_UNSPECIFIED\"}]}");

    assert_int_equal(l.n, 4);
    voice_is(&l.v[0], "en-US-Wavenet-D", "", "Wavenet D", "American", "Male",
             "English");
    voice_is(&l.v[1], "cmn-CN-Chirp3-HD-Kore", "", "Chirp3 HD Kore",
             "Mainland China", "Female", "Chinese");
    voice_is(&l.v[2], "odd", "", "odd", "Standard", "Neutral", "");
    voice_is(&l.v[3], "en-US", "", "en-US", "Standard", "Unknown", "");

    parse_bad("google", "{\"error\":{\"code\":403}}");
}


static void
test_azure(void **state)
{
    waav_voice_list_t  l;

    (void) state;

    l = parse_ok("azure", "[{\"Name\":\"n\",\"DisplayName\":\"Jenny\","
        "\"ShortName\":\"en-US-JennyNeural\",\"Gender\":\"Female\","
        "\"Locale\":\"en-US\"},{\"ShortName\":\"nb-NO-FinnNeural\","
        "\"DisplayName\":\"Finn\",\"Gender\":\"Male\",\"Locale\":\"nb-NO\"},"
        "{\"DisplayName\":\"no short name\"}]");

    assert_int_equal(l.n, 2);
    voice_is(&l.v[0], "en-US-JennyNeural", "", "Jenny", "American", "Female",
             "English");
    voice_is(&l.v[1], "nb-NO-FinnNeural", "", "Finn", "Norwegian", "Male",
             "Norwegian Bokm\xc3\xa5l");

    parse_bad("azure", "{}");
    assert_non_null(va("azure")->cred);
    assert_null(va("azure")->cred->exchange);
}


static void
test_openai(void **state)
{
    waav_voice_list_t  l;

    (void) state;

    assert_null(va("openai")->path);
    waav_voices_fixed(va("openai"), &l);
    assert_int_equal(l.n, 13);
    voice_is(&l.v[0], "alloy", "", "Alloy", "Unknown", "Unknown",
             "Multilingual");
}


/* hostile strings are taken as missing; the entries are capped */
static void
test_hostile(void **state)
{
    char               *big, *p;
    size_t              i;
    waav_voice_list_t   l;

    (void) state;

    l = parse_ok("azure", "[{\"ShortName\":\"a\\u0001b\",\"DisplayName\":\"x\"},"
        "{\"ShortName\":\"ok\",\"DisplayName\":\"\xff\xfe\","
        "\"Gender\":\"a\\nb\",\"Locale\":17}]");
    assert_int_equal(l.n, 1);
    voice_is(&l.v[0], "ok", "", "", "Standard", "Unknown", "");

    /* a field over WAAV_VOICE_FIELD_MAX */
    big = malloc(WAAV_VOICE_FIELD_MAX + 64);
    p = big + sprintf(big, "[{\"ShortName\":\"");
    memset(p, 'a', WAAV_VOICE_FIELD_MAX + 1);
    strcpy(p + WAAV_VOICE_FIELD_MAX + 1, "\"}]");
    l = parse_ok("azure", big);
    assert_int_equal(l.n, 0);
    free(big);

    /* more entries than WAAV_VOICES_MAX */
    big = malloc((WAAV_VOICES_MAX + 10) * 20 + 8);
    p = big;
    *p++ = '[';

    for (i = 0; i < WAAV_VOICES_MAX + 10; i++) {
        p += sprintf(p, "%s{\"ShortName\":\"v\"}", i ? "," : "");
    }

    strcpy(p, "]");
    l = parse_ok("azure", big);
    assert_int_equal(l.n, WAAV_VOICES_MAX);
    free(big);
}


static void
test_tables(void **state)
{
    waav_str_t  c;

    (void) state;

    c.data = "fil-PH";
    c.len = 6;
    is(waav_voice_language(c), "Filipino");
    is(waav_voice_accent(c), "Filipino");
    c.data = "en-za-x";
    c.len = 7;
    is(waav_voice_accent(c), "South African");
    c.data = "qq";
    c.len = 2;
    is(waav_voice_language(c), "qq");
    is(waav_voice_accent(c), "Standard");
    c.data = "en-";
    c.len = 3;
    is(waav_voice_accent(c), "");
}


/* the merged answer: valid JSON, sized right */
static void
test_write(void **state)
{
    waav_jw_t          w;
    waav_str_t         out;
    waav_err_t         err;
    waav_voice_list_t  a, b;
    cJSON             *j;

    (void) state;

    a = parse_ok("azure", "[{\"ShortName\":\"x\\\"y\",\"DisplayName\":"
                          "\"\\u00e9\\\\\"}]");
    waav_voices_fixed(va("openai"), &b);

    assert_int_equal(waav_jw_alloc(&w, 8 + waav_voices_size("azure", &a)
                                   + waav_voices_size("openai", &b),
                                   &arena, &err), 0);
    waav_jw_open(&w, NULL);
    waav_voices_write(&w, "azure", &a);
    waav_voices_write(&w, "openai", &b);
    waav_jw_close(&w);
    assert_int_equal(waav_jw_done(&w, &out), 0);

    j = cJSON_ParseWithLength(out.data, out.len);
    assert_non_null(j);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "azure"),
                                           0)->child->valuestring, "x\"y");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "openai")),
                     13);
    cJSON_Delete(j);
}


static void
clone_bad(const char *json, const char *code)
{
    waav_err_t        err;
    waav_clone_req_t  req;

    assert_int_equal(waav_clone_parse(&req, json, strlen(json), &arena,
                                      &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, code);
}


static void
test_clone(void **state)
{
    const char         *json;
    waav_str_t          out;
    waav_err_t          err;
    waav_clone_req_t    req;
    waav_clone_res_t    res;
    waav_http_req_t     preq;

    (void) state;

    json = "{\"provider\":\"elevenlabs\",\"name\":\"V\",\"description\":\"d\","
           "\"audio_samples\":[\"UklGRiQAAABXQVZFZm10IAAAAAAA\","
           "\"data:audio/mpeg;base64,SUQzAQEBAQEBAQEBAQEB\","
           "\"T2dnUwAAAAAAAAAAAA==\",\"AAAA\"],"
           "\"remove_background_noise\":true,\"labels\":{\"a\":\"b\"},"
           "\"sample_text\":null}";

    assert_int_equal(waav_clone_parse(&req, json, strlen(json), &arena, &err),
                     0);
    is(req.provider, "elevenlabs");
    is(req.name, "V");
    is(req.labels, "{\"a\":\"b\"}");
    assert_int_equal(req.remove_background_noise, 1);
    assert_int_equal(req.nsamples, 4);
    assert_string_equal(req.samples[0].ext, "wav");
    assert_memory_equal(req.samples[0].data.data, "RIFF", 4);
    assert_string_equal(req.samples[1].mime, "audio/mpeg");
    assert_string_equal(req.samples[2].ext, "ogg");
    assert_string_equal(req.samples[3].ext, "bin");     /* 3 bytes */

    memset(&preq, 0, sizeof(preq));
    assert_int_equal(va("elevenlabs")->clone(&req, &preq, &arena, &err), 0);
    assert_string_equal(preq.method, "POST");
    is(preq.path, "/v1/voices/add");
    assert_true(holds(preq.body, "name=\"files\"; "
                      "filename=\"sample_1.mp3\"\r\n"
                      "Content-Type: audio/mpeg\r\n\r\nID3"));
    assert_true(holds(preq.body, "name=\"remove_background_noise\""
                      "\r\n\r\ntrue\r\n"));

    json = "{\"voice_id\":\"new1\"}";
    assert_int_equal(va("elevenlabs")->cloned(json, strlen(json), &res,
                                              &arena, &err), 0);
    assert_int_equal(waav_clone_answer(&req, &res, "2026-01-01T00:00:00Z",
                                       &out, &arena, &err), 0);
    is(out, "{\"voice_id\":\"new1\",\"name\":\"V\",\"provider\":\"elevenlabs\","
            "\"status\":\"ready\",\"created_at\":\"2026-01-01T00:00:00Z\"}");

    json = "{\"detail\":\"x\"}";
    assert_int_equal(va("elevenlabs")->cloned(json, strlen(json), &res,
                                              &arena, &err), -1);
    assert_int_equal(err.status, 502);

    clone_bad("{\"provider\":\"elevenlabs\",\"name\":\" \\t\"}",
              "INVALID_NAME");
    clone_bad("{\"name\":\"x\"}", "INVALID_REQUEST");
    clone_bad("{\"provider\":1,\"name\":\"x\"}", "INVALID_REQUEST");
    clone_bad("[]", "INVALID_REQUEST");
    clone_bad("{\"provider\":\"e\",\"name\":\"x\",\"audio_samples\":\"A\"}",
              "INVALID_REQUEST");
    clone_bad("{\"provider\":\"e\",\"name\":\"x\",\"audio_samples\":[1]}",
              "INVALID_REQUEST");
    clone_bad("{\"provider\":\"e\",\"name\":\"x\",\"audio_samples\":[\"@@\"]}",
              "INVALID_AUDIO");
    clone_bad("{\"provider\":\"e\",\"name\":\"x\",\"audio_samples\":[\"A\"]}",
              "INVALID_AUDIO");
    clone_bad("{\"provider\":\"e\",\"name\":\"x\",\"audio_samples\":[\"\"]}",
              "INVALID_AUDIO");
    clone_bad("{\"provider\":\"e\",\"name\":\"x\",\"labels\":{\"a\":1}}",
              "INVALID_REQUEST");
    clone_bad("{\"provider\":\"e\",\"name\":\"x\",\"labels\":[]}",
              "INVALID_REQUEST");
    clone_bad("{\"provider\":\"e\",\"name\":\"x\","
              "\"remove_background_noise\":\"yes\"}", "INVALID_REQUEST");
    clone_bad("{\"provider\":\"e\",\"provider\":\"e\",\"name\":\"x\"}",
              "INVALID_REQUEST");
}


/* a sample holding the multipart boundary is refused, not sent */
static void
test_clone_boundary(void **state)
{
    waav_err_t        err;
    waav_http_req_t   preq;
    waav_clone_req_t  req;

    (void) state;

    memset(&req, 0, sizeof(req));
    req.name.data = "x";
    req.name.len = 1;
    req.nsamples = 1;
    req.samples[0].mime = "audio/wav";
    req.samples[0].ext = "wav";
    req.samples[0].data.data = "abc waav-clone-5f0c3a9e81d24b76a1e0c9d3b8f2e417"
                               " def";
    req.samples[0].data.len = strlen(req.samples[0].data.data);

    memset(&preq, 0, sizeof(preq));
    assert_int_equal(va("elevenlabs")->clone(&req, &preq, &arena, &err), -1);
    assert_string_equal(err.code, "INVALID_AUDIO");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_deepgram, waav_arena_teardown),
        cmocka_unit_test_teardown(test_elevenlabs, waav_arena_teardown),
        cmocka_unit_test_teardown(test_cartesia, waav_arena_teardown),
        cmocka_unit_test_teardown(test_google, waav_arena_teardown),
        cmocka_unit_test_teardown(test_azure, waav_arena_teardown),
        cmocka_unit_test_teardown(test_openai, waav_arena_teardown),
        cmocka_unit_test_teardown(test_hostile, waav_arena_teardown),
        cmocka_unit_test_teardown(test_tables, waav_arena_teardown),
        cmocka_unit_test_teardown(test_write, waav_arena_teardown),
        cmocka_unit_test_teardown(test_clone, waav_arena_teardown),
        cmocka_unit_test_teardown(test_clone_boundary, waav_arena_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
