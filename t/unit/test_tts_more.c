/*
 * Unit tests for the LMNT, Play.ht and Hume adapters
 * (src/core/tts/waav_tts_{lmnt,playht,hume}*.c): the requests they build
 * from WaaV's bodies, what they refuse before a provider is called, the
 * credentials they carry and their voice listings (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waav_arena.h"
#include "waav_assert.h"
#include "waav_header.h"
#include "waav_tts.h"
#include "waav_voices.h"


static waav_alloc_t  arena = { waav_arena_alloc, NULL };


/* the request the adapter of type builds for a /speak body, with key */
static int
build_key(const char *type, const char *json, const char *key,
    waav_tts_out_t *out, waav_err_t *err)
{
    waav_tts_req_t             req;
    waav_secret_t              secret;
    const waav_tts_adapter_t  *ad;

    memset(&secret, 0, sizeof(secret));
    secret.key.data = key;
    secret.key.len = strlen(key);

    ad = waav_tts_adapter(type, strlen(type));
    assert_non_null(ad);

    memset(err, 0, sizeof(waav_err_t));
    assert_int_equal(waav_tts_parse(&req, WAAV_TTS_SHAPE_WAAV, json,
                                    strlen(json), &arena, err), 0);
    waav_tts_names(ad, &req);

    return waav_tts_build(ad, &req, &secret, out, &arena, err);
}


static void
build(const char *type, const char *json, waav_tts_out_t *out)
{
    waav_err_t  err;

    if (build_key(type, json, "KEY123", out, &err) != 0) {
        fail_msg("build failed: %d %s %s", err.status, err.code, err.message);
    }
}


/* a 400 whose message has part */
static void
refused(const char *type, const char *json, const char *code,
    const char *part)
{
    waav_err_t      err;
    waav_tts_out_t  out;

    assert_int_equal(build_key(type, json, "KEY123", &out, &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, code);

    if (strstr(err.message, part) == NULL) {
        fail_msg("message \"%s\" lacks \"%s\"", err.message, part);
    }
}


static waav_voice_list_t
voices(const char *type, const char *body)
{
    waav_err_t                 err;
    waav_voice_list_t          l;
    const waav_tts_adapter_t  *ad;

    ad = waav_tts_adapter(type, strlen(type));
    assert_non_null(ad->voices);
    assert_int_equal(waav_voices_parse(ad->voices, body, strlen(body), &l, &arena, &err),
                     0);
    return l;
}


static void
voices_bad(const char *type, const char *body)
{
    waav_err_t                 err;
    waav_voice_list_t          l;
    const waav_tts_adapter_t  *ad;

    ad = waav_tts_adapter(type, strlen(type));
    assert_int_equal(waav_voices_parse(ad->voices, body, strlen(body), &l, &arena, &err),
                     -1);
    assert_int_equal(err.status, 502);
}


static void
test_names(void **state)
{
    (void) state;

    assert_ptr_equal(waav_tts_adapter("LMNT-AI", 7),
                     waav_tts_adapter("lmnt", 4));
    assert_ptr_equal(waav_tts_adapter("lmnt_ai", 7),
                     waav_tts_adapter("lmnt", 4));
    assert_ptr_equal(waav_tts_adapter("Play.HT", 7),
                     waav_tts_adapter("playht", 6));
    assert_ptr_equal(waav_tts_adapter("hume_ai", 7),
                     waav_tts_adapter("hume", 4));
    assert_non_null(waav_tts_adapter("hume", 4));
    assert_non_null(waav_tts_adapter("playht", 6));
}


static void
test_lmnt(void **state)
{
    waav_tts_out_t  out;

    (void) state;

    build("lmnt", "{\"text\":\"Hello \\\"you\\\"\",\"tts_config\":{"
          "\"provider\":\"lmnt\"}}", &out);

    assert_string_equal(out.http.method, "POST");
    assert_str(out.http.path, "/v1/ai/speech/bytes");
    assert_int_equal(out.http.args.len, 0);
    assert_string_equal(header(&out.http, "X-API-Key"), "KEY123");
    assert_string_equal(header(&out.http, "Content-Type"),
                        "application/json");
    assert_str(out.http.body, "{\"voice\":\"leah\",\"text\":\"Hello \\\"you\\\"\","
               "\"model\":\"blizzard\",\"format\":\"pcm_s16le\","
               "\"sample_rate\":24000}");
    assert_int_equal(out.sample_rate, 24000);
    assert_string_equal(out.content_type, "audio/pcm");

    /* the nearest rate for a self-describing format; the voice as the
     * model (WaaV's dashboard) is no model; no speed: LMNT has none */
    build("lmnt", "{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"lmnt\","
          "\"voice_id\":\"morgan\",\"model\":\"morgan\","
          "\"audio_format\":\"mp3\",\"sample_rate\":44100,"
          "\"speaking_rate\":1.5}}", &out);
    assert_str(out.http.body, "{\"voice\":\"morgan\",\"text\":\"Hi\","
               "\"model\":\"blizzard\",\"format\":\"mp3\","
               "\"sample_rate\":24000}");
    assert_int_equal(out.sample_rate, 24000);
    assert_true(out.speaking_rate == 0);

    build("lmnt", "{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"lmnt\","
          "\"audio_format\":\"wav\",\"sample_rate\":11025}}", &out);
    assert_str(out.http.body, "{\"voice\":\"leah\",\"text\":\"Hi\","
               "\"model\":\"blizzard\",\"format\":\"wav\","
               "\"sample_rate\":8000}");

    build("lmnt", "{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"lmnt\","
          "\"audio_format\":\"aac\",\"sample_rate\":16000}}", &out);
    assert_str(out.http.body, "{\"voice\":\"leah\",\"text\":\"Hi\","
               "\"model\":\"blizzard\",\"format\":\"aac\","
               "\"sample_rate\":16000}");
}


static void
test_lmnt_refused(void **state)
{
    char            *json, *p;
    size_t           i, n;
    waav_err_t       err;
    waav_tts_out_t   out;

    (void) state;

    refused("lmnt", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"lmnt\","
            "\"sample_rate\":22050}}", "UNSUPPORTED_OPTION",
            "(it can do 8000, 16000, 24000)");
    refused("lmnt", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"lmnt\","
            "\"audio_format\":\"mulaw\"}}", "UNSUPPORTED_OPTION",
            "audio_format");
    refused("lmnt", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"lmnt\","
            "\"audio_format\":\"opus\"}}", "UNSUPPORTED_OPTION",
            "audio_format");

    /* 5000 characters pass, 5001 do not: characters, not bytes */
    json = waav_arena_alloc(NULL, 2 * 5001 + 64);
    assert_non_null(json);

    for (n = 5000; n <= 5001; n++) {
        p = json + sprintf(json, "{\"text\":\"");

        for (i = 0; i < n; i++) {
            memcpy(p, "\xc3\xa9", 2);   /* two bytes, one character */
            p += 2;
        }

        sprintf(p, "\",\"tts_config\":{\"provider\":\"lmnt\"}}");

        assert_int_equal(build_key("lmnt", json, "K", &out, &err),
                         n == 5000 ? 0 : -1);
    }

    assert_string_equal(err.code, "TEXT_TOO_LONG");
}


static void
test_lmnt_voices(void **state)
{
    waav_err_t         err;
    waav_http_req_t    req;
    waav_voice_list_t  l;

    (void) state;

    memset(&req, 0, sizeof(req));
    assert_int_equal(waav_voices_request(waav_tts_adapter("lmnt", 4)->voices, &req,
                                                       &arena, &err), 0);
    assert_string_equal(req.method, "GET");
    assert_str(req.path, "/v1/ai/voice/list");

    l = voices("lmnt", "[{\"id\":\"leah\",\"name\":\"Leah\",\"owner\":"
               "\"system\",\"state\":\"ready\",\"gender\":\"female\","
               "\"preview_url\":\"https://x/leah.mp3\"},"
               "{\"id\":\"t\",\"name\":\"T\",\"owner\":\"me\","
               "\"state\":\"training\"},"
               "{\"id\":\"c\",\"name\":\"C\",\"owner\":\"me\","
               "\"state\":\"ready\",\"gender\":\"nonbinary\"},"
               "{\"id\":\"s\",\"owner\":\"other\",\"state\":\"ready\","
               "\"description\":\"An older MALE voice\"},"
               "{\"id\":\"d\",\"owner\":\"other\",\"state\":\"ready\","
               "\"description\":\"A Female voice\"},"
               "{\"name\":\"no id\",\"state\":\"ready\"},"
               "{\"id\":\"u\",\"state\":\"ready\",\"gender\":7}]");

    assert_int_equal(l.n, 5);
    assert_str(l.v[0].id, "leah");
    assert_str(l.v[0].name, "Leah");
    assert_str(l.v[0].sample, "https://x/leah.mp3");
    assert_str(l.v[0].accent, "Standard");
    assert_str(l.v[0].gender, "Female");
    assert_str(l.v[0].language, "English");
    assert_str(l.v[1].id, "c");
    assert_str(l.v[1].accent, "Custom");
    assert_str(l.v[1].gender, "nonbinary");
    assert_str(l.v[1].sample, "");
    assert_str(l.v[2].accent, "Shared");
    assert_str(l.v[2].gender, "Male");
    assert_str(l.v[3].gender, "Female");
    assert_str(l.v[4].id, "u");
    assert_str(l.v[4].gender, "Unknown");

    voices_bad("lmnt", "{\"voices\":[]}");
    voices_bad("lmnt", "[1,");
}

static void
test_playht(void **state)
{
    waav_err_t      err;
    waav_tts_out_t  out;

    (void) state;

    assert_int_equal(build_key("playht", "{\"text\":\"Hi\",\"tts_config\":{"
                               "\"provider\":\"play.ht\"}}", "u-42:k-7",
                               &out, &err), 0);

    assert_string_equal(out.http.method, "POST");
    assert_str(out.http.path, "/api/v2/tts/stream");
    assert_string_equal(header(&out.http, "X-USER-ID"), "u-42");
    assert_string_equal(header(&out.http, "AUTHORIZATION"), "k-7");
    assert_string_equal(header(&out.http, "Accept"), "audio/pcm");
    assert_string_equal(header(&out.http, "Content-Type"),
                        "application/json");
    assert_str(out.http.body, "{\"text\":\"Hi\",\"voice\":"
               "\"s3://voice-cloning-zero-shot/d9ff78ba-d016-47f6-b0ef-"
               "dd630f59414e/female-cs/manifest.json\","
               "\"voice_engine\":\"Play3.0-mini\",\"output_format\":\"raw\","
               "\"sample_rate\":24000}");
    assert_int_equal(out.sample_rate, 24000);

    /* WaaV's engine names; the rate as asked; the speed */
    assert_int_equal(build_key("playht", "{\"text\":\"Hi\",\"tts_config\":{"
                               "\"provider\":\"play-ht\",\"model\":\"dialog\","
                               "\"voice_id\":\"v1\",\"audio_format\":\"mp3\","
                               "\"sample_rate\":44100,"
                               "\"speaking_rate\":4}}", "u:k", &out, &err),
                     0);
    assert_string_equal(header(&out.http, "Accept"), "audio/mpeg");
    assert_str(out.http.body, "{\"text\":\"Hi\",\"voice\":\"v1\","
               "\"voice_engine\":\"PlayDialog\",\"output_format\":\"mp3\","
               "\"sample_rate\":44100,\"speed\":4}");
    assert_true(out.speaking_rate == 4.0);

    assert_int_equal(build_key("playht", "{\"text\":\"Hi\",\"tts_config\":{"
                               "\"provider\":\"play_ht\",\"model\":\"TURBO\","
                               "\"voice_id\":\"v1\",\"audio_format\":\"mulaw\","
                               "\"speaking_rate\":1.25}}", "u:k:with:colons",
                               &out, &err), 0);
    assert_string_equal(header(&out.http, "AUTHORIZATION"), "k:with:colons");
    assert_string_equal(header(&out.http, "Accept"), "audio/basic");
    assert_str(out.http.body, "{\"text\":\"Hi\",\"voice\":\"v1\","
               "\"voice_engine\":\"PlayHT2.0-turbo\","
               "\"output_format\":\"mulaw\",\"sample_rate\":8000,"
               "\"speed\":1.25}");

    /* Play.ht's own ids are s3:// URLs: a voice that goes only into JSON */
    assert_int_equal(build_key("playht", "{\"text\":\"Hi\",\"voice_id\":"
                               "\"s3://voice-cloning-zero-shot/abc/x y/"
                               "manifest.json\",\"provider\":\"playht\"}",
                               "u:k", &out, &err), 0);
    assert_non_null(strstr(out.http.body.data, "\"voice\":\"s3://"
                           "voice-cloning-zero-shot/abc/x y/"
                           "manifest.json\""));
}


static void
test_playht_refused(void **state)
{
    waav_err_t      err;
    waav_tts_out_t  out;

    (void) state;

    refused("playht", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"playht\","
            "\"model\":\"gpt-4\"}}", "INVALID_MODEL", "no engine \"gpt-4\"");
    refused("playht", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"playht\","
            "\"audio_format\":\"aac\"}}", "UNSUPPORTED_OPTION",
            "audio_format");

    /* the key without its user id: 400, and never the key in the message */
    assert_int_equal(build_key("playht", "{\"text\":\"x\",\"tts_config\":{"
                               "\"provider\":\"playht\"}}", "secret-key",
                               &out, &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "INVALID_REQUEST");
    assert_null(strstr(err.message, "secret"));
    assert_int_equal(build_key("playht", "{\"text\":\"x\",\"tts_config\":{"
                               "\"provider\":\"playht\"}}", ":k", &out, &err),
                     -1);
    assert_int_equal(build_key("playht", "{\"text\":\"x\",\"tts_config\":{"
                               "\"provider\":\"playht\"}}", "u:", &out, &err),
                     -1);
}


static void
test_playht_voices(void **state)
{
    waav_voice_list_t  l;

    (void) state;

    l = voices("playht", "[{\"id\":\"s3://a\",\"name\":\"Jennifer\","
               "\"sample\":\"https://x/j.wav\",\"accent\":\"american\","
               "\"gender\":\"female\",\"language\":\"English (US)\","
               "\"language_code\":\"en-US\"},"
               "{\"id\":\"s3://b\",\"name\":\"Charles\",\"gender\":\"male\","
               "\"language_code\":\"en-GB\",\"preview_url\":\"https://x/c\"},"
               "{\"id\":\"s3://c\"},{\"name\":\"no id\"}]");

    assert_int_equal(l.n, 3);
    assert_str(l.v[0].id, "s3://a");
    assert_str(l.v[0].sample, "https://x/j.wav");
    assert_str(l.v[0].accent, "american");
    assert_str(l.v[0].gender, "Female");
    assert_str(l.v[0].language, "English (US)");
    assert_str(l.v[1].gender, "Male");
    assert_str(l.v[1].sample, "https://x/c");
    assert_str(l.v[1].language, "English");
    assert_str(l.v[1].accent, "British");
    assert_str(l.v[2].gender, "Unknown");
    assert_str(l.v[2].language, "Unknown");
    assert_str(l.v[2].sample, "");

    voices_bad("playht", "{\"voices\":[]}");
}


static void
test_hume(void **state)
{
    waav_tts_out_t  out;

    (void) state;

    build("hume", "{\"text\":\"Hi \\\"you\\\"\",\"tts_config\":{"
          "\"provider\":\"hume-ai\"}}", &out);

    assert_string_equal(out.http.method, "POST");
    assert_str(out.http.path, "/v0/tts/stream/file");
    assert_int_equal(out.http.args.len, 0);
    assert_string_equal(header(&out.http, "X-Hume-Api-Key"), "KEY123");
    assert_string_equal(header(&out.http, "Content-Type"),
                        "application/json");
    assert_str(out.http.body, "{\"utterances\":[{\"text\":\"Hi \\\"you\\\"\","
               "\"voice\":{\"name\":\"Male English Actor\","
               "\"provider\":\"HUME_AI\"}}],\"format\":{\"type\":\"pcm\"},"
               "\"strip_headers\":true}");
    assert_int_equal(out.sample_rate, 48000);

    /* an id; Octave 2; wav at Hume's one rate; the speed clamped */
    build("hume", "{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"HUME_AI\","
          "\"voice_id\":\"9E068547-5ba4-4c8e-8e03-69282a008f04\","
          "\"model\":\"octave-2\",\"audio_format\":\"wav\","
          "\"sample_rate\":16000,\"speaking_rate\":3}}", &out);
    assert_str(out.http.body, "{\"utterances\":[{\"text\":\"Hi\","
               "\"voice\":{\"id\":\"9E068547-5ba4-4c8e-8e03-69282a008f04\"},"
               "\"speed\":2}],\"format\":{\"type\":\"wav\"},"
               "\"strip_headers\":true,\"version\":\"2\"}");
    assert_int_equal(out.sample_rate, 48000);
    assert_true(out.speaking_rate == 2.0);

    /* not quite a UUID: a name; the voice as the model is no model */
    build("hume", "{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"hume\","
          "\"voice_id\":\"9e068547-5ba4-4c8e-8e03-69282a008f0g\","
          "\"model\":\"9e068547-5ba4-4c8e-8e03-69282a008f0g\","
          "\"audio_format\":\"mp3\"}}", &out);
    assert_str(out.http.body, "{\"utterances\":[{\"text\":\"Hi\","
               "\"voice\":{\"name\":\"9e068547-5ba4-4c8e-8e03-69282a008f0g\","
               "\"provider\":\"HUME_AI\"}}],\"format\":{\"type\":\"mp3\"},"
               "\"strip_headers\":true}");

    /* Hume's voice names have spaces and quotes: text, escaped in JSON */
    build("hume", "{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"hume\","
          "\"voice_id\":\"Ava \\\"Song\\\" \\u00e9\"}}", &out);
    assert_non_null(strstr(out.http.body.data, "\"voice\":{\"name\":"
                           "\"Ava \\\"Song\\\" \u00e9\","));

    build("hume", "{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"hume\","
          "\"model\":\"1\",\"audio_format\":\"linear16\","
          "\"sample_rate\":48000}}", &out);
    assert_non_null(strstr(out.http.body.data, "\"version\":\"1\"}"));
}


static void
test_hume_refused(void **state)
{
    (void) state;

    refused("hume", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"hume\","
            "\"sample_rate\":24000}}", "UNSUPPORTED_OPTION",
            "(it can do 48000)");
    refused("hume", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"hume\","
            "\"audio_format\":\"mulaw\"}}", "UNSUPPORTED_OPTION",
            "audio_format");
    refused("hume", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"hume\","
            "\"model\":\"octave-3\"}}", "INVALID_MODEL", "octave-3");
}


static void
test_hume_voices(void **state)
{
    waav_err_t         err;
    waav_http_req_t    req;
    waav_voice_list_t  l;

    (void) state;

    memset(&req, 0, sizeof(req));
    assert_int_equal(waav_voices_request(waav_tts_adapter("hume", 4)->voices, &req,
                                                       &arena, &err), 0);
    assert_str(req.path, "/v0/tts/voices");
    assert_str(req.args, "provider=HUME_AI&page_size=100");

    l = voices("hume", "{\"page_number\":0,\"page_size\":100,"
               "\"total_pages\":1,\"voices_page\":[{\"id\":\"u1\","
               "\"name\":\"Ava Song\",\"provider\":\"HUME_AI\"},"
               "{\"name\":\"no id\"},{\"id\":\"u2\"}]}");
    assert_int_equal(l.n, 2);
    assert_str(l.v[0].id, "u1");
    assert_str(l.v[0].name, "Ava Song");
    assert_str(l.v[0].gender, "Unknown");
    assert_str(l.v[0].sample, "");
    assert_str(l.v[1].name, "");

    voices_bad("hume", "[]");
    voices_bad("hume", "{\"voices_page\":{}}");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_names, waav_arena_teardown),
        cmocka_unit_test_teardown(test_lmnt, waav_arena_teardown),
        cmocka_unit_test_teardown(test_lmnt_refused, waav_arena_teardown),
        cmocka_unit_test_teardown(test_lmnt_voices, waav_arena_teardown),
        cmocka_unit_test_teardown(test_playht, waav_arena_teardown),
        cmocka_unit_test_teardown(test_playht_refused, waav_arena_teardown),
        cmocka_unit_test_teardown(test_playht_voices, waav_arena_teardown),
        cmocka_unit_test_teardown(test_hume, waav_arena_teardown),
        cmocka_unit_test_teardown(test_hume_refused, waav_arena_teardown),
        cmocka_unit_test_teardown(test_hume_voices, waav_arena_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
