/*
 * Unit tests for the TTS core: parsing, validation, pronunciations and the
 * provider adapters' requests (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waav_errmsg.h"
#include "waav_b64json.h"
#include "waav_tts.h"
#include "waav_arena.h"
#include "waav_header.h"


static int
parse(waav_tts_req_t *req, waav_tts_shape_e shape, const char *json,
    waav_err_t *err)
{
    memset(err, 0, sizeof(waav_err_t));
    return waav_tts_parse(req, shape, json, strlen(json), &WAAV_ARENA, err);
}


#define assert_str(s, lit)                                                   \
    do {                                                                     \
        assert_int_equal((s).len, strlen(lit));                              \
        assert_memory_equal((s).data, lit, strlen(lit));                     \
    } while (0)


static void
expect_error(const char *json, waav_tts_shape_e shape, int status,
    const char *code, const char *part)
{
    waav_tts_req_t  req;
    waav_err_t      err;

    assert_int_equal(parse(&req, shape, json, &err), -1);
    assert_int_equal(err.status, status);
    assert_string_equal(err.code, code);

    if (part && strstr(err.message, part) == NULL) {
        fail_msg("message \"%s\" lacks \"%s\"", err.message, part);
    }
}


/* --- parsing ------------------------------------------------------------ */

static void
test_parse_waav_minimal(void **state)
{
    waav_tts_req_t  req;
    waav_err_t      err;

    (void) state;

    assert_int_equal(parse(&req, WAAV_TTS_SHAPE_WAAV,
        "{\"text\":\"Hello\",\"tts_config\":{\"provider\":\"deepgram\"}}",
        &err), 0);

    assert_str(req.text, "Hello");
    assert_str(req.provider, "deepgram");
    assert_int_equal(req.model.len, 0);
    assert_int_equal(req.voice.len, 0);
    assert_int_equal(req.format, WAAV_FMT_NONE);
    assert_int_equal(req.sample_rate, 0);
    assert_false(req.speaking_rate_set);
}


static void
test_parse_waav_full(void **state)
{
    waav_tts_req_t  req;
    waav_err_t      err;

    (void) state;

    assert_int_equal(parse(&req, WAAV_TTS_SHAPE_WAAV,
        "{\"text\":\"Hi there\",\"tts_config\":{\"provider\":\"elevenlabs\","
        "\"model\":\"eleven_turbo_v2_5\",\"voice_id\":\"21m00Tcm4TlvDq8ikWAM\","
        "\"speaking_rate\":1.1,\"audio_format\":\"mp3\",\"sample_rate\":44100,"
        "\"connection_timeout\":5,\"request_timeout\":20,"
        "\"pronunciations\":[],\"api_key\":null,\"emotion\":\"happy\"}}",
        &err), 0);

    assert_str(req.model, "eleven_turbo_v2_5");
    assert_str(req.voice, "21m00Tcm4TlvDq8ikWAM");
    assert_int_equal(req.format, WAAV_FMT_MP3);
    assert_str(req.format_name, "mp3");
    assert_int_equal(req.sample_rate, 44100);
    assert_true(req.speaking_rate_set);
    assert_true(req.speaking_rate > 1.09 && req.speaking_rate < 1.11);
    assert_int_equal(req.connection_timeout, 5);
    assert_int_equal(req.request_timeout, 20);
}


static void
test_parse_openai(void **state)
{
    waav_tts_req_t  req;
    waav_err_t      err;

    (void) state;

    assert_int_equal(parse(&req, WAAV_TTS_SHAPE_OPENAI,
        "{\"model\":\"tts-1\",\"input\":\"Hello\",\"voice\":\"nova\"}",
        &err), 0);

    assert_int_equal(req.provider.len, 0);
    assert_str(req.model, "tts-1");
    assert_str(req.voice, "nova");
    assert_str(req.format_name, "mp3");
    assert_int_equal(req.format, WAAV_FMT_MP3);

    assert_int_equal(parse(&req, WAAV_TTS_SHAPE_OPENAI,
        "{\"model\":\"deepgram/aura-2-thalia-en\",\"input\":\"Hi\","
        "\"response_format\":\"pcm\",\"speed\":1.5,"
        "\"instructions\":\"Speak calmly\"}", &err), 0);

    assert_str(req.provider, "deepgram");
    assert_str(req.model, "aura-2-thalia-en");
    assert_int_equal(req.format, WAAV_FMT_LINEAR16);
    assert_true(req.speaking_rate_set);
    assert_str(req.instructions, "Speak calmly");
}


static void
test_parse_bad_json(void **state)
{
    (void) state;

    expect_error("{\"text\":", WAAV_TTS_SHAPE_WAAV, 400, "INVALID_JSON", NULL);
    expect_error("", WAAV_TTS_SHAPE_WAAV, 400, "INVALID_JSON", NULL);
    expect_error("{} x", WAAV_TTS_SHAPE_WAAV, 400, "INVALID_JSON", NULL);
    expect_error("[1,2]", WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                 "JSON object");
    expect_error("\"text\"", WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                 NULL);
}


static void
test_parse_wrong_types(void **state)
{
    (void) state;

    expect_error("{\"text\":5,\"tts_config\":{\"provider\":\"x\"}}",
                 WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                 "text must be a string");
    expect_error("{\"text\":\"a\",\"tts_config\":\"deepgram\"}",
                 WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                 "tts_config must be an object");
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":[]}}",
                 WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                 "tts_config.provider must be a string");
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"sample_rate\":\"24000\"}}",
                 WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                 "sample_rate must be a number");
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"speaking_rate\":true}}",
                 WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST", NULL);
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"pronunciations\":{}}}",
                 WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST", NULL);
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"pronunciations\":[{\"word\":1}]}}",
                 WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST", NULL);
}


static void
test_parse_missing(void **state)
{
    (void) state;

    expect_error("{\"tts_config\":{\"provider\":\"x\"}}", WAAV_TTS_SHAPE_WAAV,
                 400, "INVALID_REQUEST", "text is required");
    expect_error("{\"text\":\"a\"}", WAAV_TTS_SHAPE_WAAV, 400,
                 "INVALID_REQUEST", "tts_config is required");
    expect_error("{\"text\":\"a\",\"tts_config\":{}}", WAAV_TTS_SHAPE_WAAV,
                 400, "INVALID_PROVIDER", "provider is required");
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"\"}}",
                 WAAV_TTS_SHAPE_WAAV, 400, "INVALID_PROVIDER", NULL);
    expect_error("{\"input\":\"a\"}", WAAV_TTS_SHAPE_OPENAI, 400,
                 "INVALID_REQUEST", "model is required");
    expect_error("{\"model\":\"tts-1\"}", WAAV_TTS_SHAPE_OPENAI, 400,
                 "INVALID_REQUEST", "input is required");
}


static void
test_parse_text_limits(void **state)
{
    char   *json;
    size_t  n;

    (void) state;

    expect_error("{\"text\":\"  \\n\\t \",\"tts_config\":{\"provider\":\"x\"}}",
                 WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                 "Text cannot be empty");
    expect_error("{\"text\":\"\",\"tts_config\":{\"provider\":\"x\"}}",
                 WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                 "Text cannot be empty");
    expect_error("{\"text\":\"a\\u00ff\xff\",\"tts_config\":{\"provider\":"
                 "\"x\"}}", WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                 "UTF-8");

    n = WAAV_TTS_MAX_TEXT + 1;
    json = waav_arena_alloc(NULL, n + 64);
    strcpy(json, "{\"text\":\"");
    memset(json + 9, 'a', n);
    strcpy(json + 9 + n, "\",\"tts_config\":{\"provider\":\"x\"}}");

    expect_error(json, WAAV_TTS_SHAPE_WAAV, 400, "TEXT_TOO_LONG",
                 "Text too long: 10241 bytes exceeds maximum 10240 bytes");

    /* exactly the limit is fine */
    json[9 + n - 1] = '"';
    strcpy(json + 9 + n, ",\"tts_config\":{\"provider\":\"x\"}}");
    {
        waav_tts_req_t  req;
        waav_err_t      err;

        assert_int_equal(parse(&req, WAAV_TTS_SHAPE_WAAV, json, &err), 0);
        assert_int_equal(req.text.len, WAAV_TTS_MAX_TEXT);
    }
}


static int build_fails(const char *type, const char *json, waav_err_t *err);


static void
test_parse_idents(void **state)
{
    size_t       i;
    char         json[1024];
    const char  *bad[] = {
        "a/b", "..", "a..b", "a%2fb", "a?b", "a#b", "a\\nb", "a\\u0001b",
        "a b", "caf\\u00e9",
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* a voice is text until an adapter that puts it in a URL, a query
         * or SSML sees it (waav_tts_build); control characters never */
        snprintf(json, sizeof(json), "{\"text\":\"a\",\"tts_config\":{"
                 "\"provider\":\"deepgram\",\"voice_id\":\"%s\"}}", bad[i]);

        if (strstr(bad[i], "\\n") || strstr(bad[i], "\\u0001")) {
            expect_error(json, WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                         "voice_id must be at most 256 bytes of text");

        } else {
            waav_err_t  err;

            assert_true(build_fails("deepgram", json, &err));
            assert_int_equal(err.status, 400);
            assert_string_equal(err.code, "INVALID_REQUEST");
            assert_string_equal(err.message, "voice_id must be 1-256 "
                                "characters of A-Z a-z 0-9 . _ - : @ + for "
                                "deepgram");
        }

        snprintf(json, sizeof(json), "{\"text\":\"a\",\"tts_config\":{"
                 "\"provider\":\"deepgram\",\"model\":\"%s\"}}", bad[i]);
        expect_error(json, WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                     "model");
    }

    /* cJSON would cut "a\u0000b" to "a": refused before parsing */
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"voice_id\":\"a\\u0000b\"}}", WAAV_TTS_SHAPE_WAAV, 400,
                 "INVALID_REQUEST", "u0000");

    /* an escaped backslash before u0000 is plain text */
    {
        waav_tts_req_t  req;
        waav_err_t      err;

        assert_int_equal(parse(&req, WAAV_TTS_SHAPE_WAAV,
            "{\"text\":\"a\\\\u0000\",\"tts_config\":{\"provider\":\"d\"}}",
            &err), 0);
        assert_str(req.text, "a\\u0000");
    }

    memset(json, 0, sizeof(json));
    strcpy(json, "{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"voice_id\":\"");
    memset(json + strlen(json), 'v', 257);
    strcat(json, "\"}}");
    expect_error(json, WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                 "voice_id");

    assert_true(waav_ident_valid("aura-2-thalia-en", 16));
    assert_true(waav_ident_valid("gpt-4o-mini-tts-2025-03-20", 26));
    assert_true(waav_ident_valid("a0e99841-438c-4a64-b679-ae501e7d6091", 36));
    assert_true(waav_ident_valid("v1.2", 4));
    assert_false(waav_ident_valid("", 0));
    assert_false(waav_ident_valid("a..", 3));
}


static void
test_parse_ranges(void **state)
{
    (void) state;

    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"speaking_rate\":0.1}}", WAAV_TTS_SHAPE_WAAV, 400,
                 "INVALID_REQUEST", "speaking_rate must be from 0.25 to 4");
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"speaking_rate\":4.5}}", WAAV_TTS_SHAPE_WAAV, 400,
                 "INVALID_REQUEST", "speaking_rate");
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"sample_rate\":-16000}}", WAAV_TTS_SHAPE_WAAV, 400,
                 "INVALID_REQUEST", "sample_rate");
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"sample_rate\":1e12}}", WAAV_TTS_SHAPE_WAAV, 400,
                 "INVALID_REQUEST", "sample_rate");
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"sample_rate\":16000.5}}", WAAV_TTS_SHAPE_WAAV, 400,
                 "INVALID_REQUEST", "sample_rate");
    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"audio_format\":\"m4a\"}}", WAAV_TTS_SHAPE_WAAV, 400,
                 "UNSUPPORTED_FORMAT", "audio_format");
    expect_error("{\"model\":\"tts-1\",\"input\":\"a\",\"speed\":5}",
                 WAAV_TTS_SHAPE_OPENAI, 400, "INVALID_REQUEST", "speed");
}


/* --- pronunciations ----------------------------------------------------- */

static void
test_pronunciations_whole_words(void **state)
{
    waav_tts_req_t  req;
    waav_err_t      err;

    (void) state;

    assert_int_equal(parse(&req, WAAV_TTS_SHAPE_WAAV,
        "{\"text\":\"Tomato tomatoes, tomato! SQL is not mySQL; SQL.\","
        "\"tts_config\":{\"provider\":\"d\",\"pronunciations\":["
        "{\"word\":\"tomato\",\"pronunciation\":\"toe-mah-toe\"},"
        "{\"word\":\"SQL\",\"pronunciation\":\"sequel\"}]}}", &err), 0);

    assert_str(req.text,
               "Tomato tomatoes, toe-mah-toe! sequel is not mySQL; sequel.");
}


static void
test_pronunciations_in_order(void **state)
{
    waav_tts_req_t  req;
    waav_err_t      err;

    (void) state;

    /* the second rule sees the first one's output */
    assert_int_equal(parse(&req, WAAV_TTS_SHAPE_WAAV,
        "{\"text\":\"a b\",\"tts_config\":{\"provider\":\"d\","
        "\"pronunciations\":[{\"word\":\"a\",\"pronunciation\":\"b\"},"
        "{\"word\":\"b\",\"pronunciation\":\"c\"}]}}", &err), 0);

    assert_str(req.text, "c c");
}


static void
test_pronunciations_limits(void **state)
{
    char    *json, *p;
    size_t   i;

    (void) state;

    json = waav_arena_alloc(NULL, 64 * 1024);
    p = json + sprintf(json, "{\"text\":\"a\",\"tts_config\":{\"provider\":"
                             "\"d\",\"pronunciations\":[");

    for (i = 0; i < 101; i++) {
        p += sprintf(p, "%s{\"word\":\"w%zu\",\"pronunciation\":\"x\"}",
                     i ? "," : "", i);
    }

    strcpy(p, "]}}");
    expect_error(json, WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST",
                 "more than 100");

    expect_error("{\"text\":\"a\",\"tts_config\":{\"provider\":\"d\","
                 "\"pronunciations\":[{\"word\":\"\",\"pronunciation\":\"x\"}]}}",
                 WAAV_TTS_SHAPE_WAAV, 400, "INVALID_REQUEST", "word");
}


/* --- adapters ----------------------------------------------------------- */

static void
build(const char *type, const char *json, waav_tts_shape_e shape,
    waav_tts_out_t *out)
{
    waav_tts_req_t             req;
    waav_err_t                 err;
    const waav_tts_adapter_t  *ad;
    waav_secret_t              key = {
        .key = waav_str_lit("KEY123"), .token = { "", 0 }, .now = 0
    };

    ad = waav_tts_adapter(type, strlen(type));
    assert_non_null(ad);

    assert_int_equal(parse(&req, shape, json, &err), 0);

    if (waav_tts_build(ad, &req, &key, out, &WAAV_ARENA, &err) != 0) {
        fail_msg("build failed: %d %s %s", err.status, err.code, err.message);
    }
}


static int
build_fails(const char *type, const char *json, waav_err_t *err)
{
    waav_tts_req_t             req;
    waav_tts_out_t             out;
    const waav_tts_adapter_t  *ad;
    waav_secret_t              key = {
        .key = waav_str_lit("KEY123"), .token = { "", 0 }, .now = 0
    };

    ad = waav_tts_adapter(type, strlen(type));
    assert_int_equal(parse(&req, WAAV_TTS_SHAPE_WAAV, json, err), 0);

    return waav_tts_build(ad, &req, &key, &out, &WAAV_ARENA, err) != 0;
}



static void
test_deepgram(void **state)
{
    waav_tts_out_t   out;

    (void) state;

    build("deepgram", "{\"text\":\"Hello \\\"world\\\"\",\"tts_config\":{"
          "\"provider\":\"deepgram\"}}", WAAV_TTS_SHAPE_WAAV, &out);

    assert_string_equal(out.http.method, "POST");
    assert_str(out.http.path, "/v1/speak");
    assert_str(out.http.args, "model=aura-asteria-en&encoding=linear16"
                         "&container=none&sample_rate=24000");
    assert_string_equal(header(&out.http, "Authorization"), "Token KEY123");
    assert_string_equal(header(&out.http, "Content-Type"), "application/json");
    assert_str(out.http.body, "{\"text\":\"Hello \\\"world\\\"\"}");
    assert_string_equal(out.content_type, "audio/pcm");
    assert_str(out.audio_format, "linear16");
    assert_int_equal(out.sample_rate, 24000);

    build("deepgram", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"d\","
          "\"model\":\"aura-2-thalia-en\",\"voice_id\":\"ignored\","
          "\"audio_format\":\"mp3\"}}", WAAV_TTS_SHAPE_WAAV, &out);
    assert_str(out.http.args, "model=aura-2-thalia-en&encoding=mp3");
    assert_string_equal(out.content_type, "audio/mpeg");
    assert_int_equal(out.sample_rate, 22050);

    build("deepgram", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"d\","
          "\"audio_format\":\"ulaw\",\"sample_rate\":8000}}",
          WAAV_TTS_SHAPE_WAAV, &out);
    assert_str(out.http.args, "model=aura-asteria-en&encoding=mulaw"
                         "&container=none&sample_rate=8000");
    assert_str(out.audio_format, "ulaw");

    build("deepgram", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"d\","
          "\"audio_format\":\"wav\",\"sample_rate\":16000}}",
          WAAV_TTS_SHAPE_WAAV, &out);
    assert_str(out.http.args, "model=aura-asteria-en&encoding=linear16"
                         "&container=wav&sample_rate=16000");
    assert_string_equal(out.content_type, "audio/wav");

    build("deepgram", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"d\","
          "\"speaking_rate\":1.25}}", WAAV_TTS_SHAPE_WAAV, &out);
    assert_str(out.http.args, "model=aura-asteria-en&encoding=linear16"
                         "&container=none&sample_rate=24000&speed=1.25");
}


static void
test_deepgram_rejects(void **state)
{
    waav_err_t  err;

    (void) state;

    /* raw formats keep exact rates (audio_options: the rest) */
    assert_true(build_fails("deepgram", "{\"text\":\"x\",\"tts_config\":{"
                "\"provider\":\"d\",\"sample_rate\":22050}}", &err));
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "UNSUPPORTED_OPTION");
    assert_true(build_fails("deepgram", "{\"text\":\"x\",\"tts_config\":{"
                "\"provider\":\"d\",\"audio_format\":\"mulaw\","
                "\"sample_rate\":24000}}", &err));
}


static void
test_elevenlabs(void **state)
{
    waav_tts_out_t   out;

    (void) state;

    build("elevenlabs", "{\"text\":\"Hello\",\"tts_config\":{"
          "\"provider\":\"elevenlabs\"}}", WAAV_TTS_SHAPE_WAAV, &out);

    assert_str(out.http.path, "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream");
    assert_str(out.http.args, "output_format=pcm_24000");
    assert_string_equal(header(&out.http, "xi-api-key"), "KEY123");
    assert_string_equal(header(&out.http, "Accept"), "audio/pcm");
    assert_null(header(&out.http, "Authorization"));
    assert_str(out.http.body, "{\"text\":\"Hello\","
                         "\"model_id\":\"eleven_multilingual_v2\"}");
    assert_int_equal(out.sample_rate, 24000);

    build("elevenlabs", "{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"e\","
          "\"voice_id\":\"pNInz6obpgDQGcFmaJgB\",\"model\":\"eleven_flash_v2_5\","
          "\"audio_format\":\"mp3\",\"speaking_rate\":1.1}}",
          WAAV_TTS_SHAPE_WAAV, &out);
    assert_str(out.http.path, "/v1/text-to-speech/pNInz6obpgDQGcFmaJgB/stream");
    assert_str(out.http.args, "output_format=mp3_44100_128");
    assert_string_equal(header(&out.http, "Accept"), "audio/mpeg");
    assert_str(out.http.body, "{\"text\":\"Hi\",\"model_id\":\"eleven_flash_v2_5\","
                         "\"voice_settings\":{\"speed\":1.1}}");
    assert_int_equal(out.sample_rate, 44100);

    build("elevenlabs", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"e\","
          "\"audio_format\":\"mulaw\"}}", WAAV_TTS_SHAPE_WAAV, &out);
    assert_str(out.http.args, "output_format=ulaw_8000");
    assert_string_equal(out.content_type, "audio/basic");

    build("elevenlabs", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"e\","
          "\"audio_format\":\"wav\",\"sample_rate\":16000}}",
          WAAV_TTS_SHAPE_WAAV, &out);
    assert_str(out.http.args, "output_format=wav_16000");
    assert_string_equal(out.content_type, "audio/wav");
}


static void
test_elevenlabs_rejects(void **state)
{
    waav_err_t  err;

    (void) state;

    assert_true(build_fails("elevenlabs", "{\"text\":\"x\",\"tts_config\":{"
                "\"provider\":\"e\",\"audio_format\":\"flac\"}}", &err));
    assert_true(build_fails("elevenlabs", "{\"text\":\"x\",\"tts_config\":{"
                "\"provider\":\"e\",\"sample_rate\":11025}}", &err));
    assert_string_equal(err.code, "UNSUPPORTED_OPTION");
}


static void
test_openai(void **state)
{
    waav_tts_out_t   out;

    (void) state;

    build("openai", "{\"model\":\"tts-1-hd\",\"input\":\"Hello\","
          "\"voice\":\"nova\",\"speed\":1.25}", WAAV_TTS_SHAPE_OPENAI, &out);

    assert_str(out.http.path, "/audio/speech");
    assert_int_equal(out.http.args.len, 0);
    assert_string_equal(header(&out.http, "Authorization"), "Bearer KEY123");
    assert_str(out.http.body, "{\"model\":\"tts-1-hd\",\"input\":\"Hello\","
                         "\"voice\":\"nova\",\"response_format\":\"mp3\","
                         "\"speed\":1.25}");
    assert_string_equal(out.content_type, "audio/mpeg");
    assert_int_equal(out.sample_rate, 24000);

    build("openai", "{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"openai\"}}",
          WAAV_TTS_SHAPE_WAAV, &out);
    assert_str(out.http.body, "{\"model\":\"tts-1\",\"input\":\"Hi\","
                         "\"voice\":\"alloy\",\"response_format\":\"pcm\"}");
    assert_string_equal(out.content_type, "audio/pcm");

    build("openai", "{\"model\":\"gpt-4o-mini-tts\",\"input\":\"Hi\","
          "\"voice\":\"coral\",\"response_format\":\"wav\","
          "\"instructions\":\"Cheerful\"}", WAAV_TTS_SHAPE_OPENAI, &out);
    assert_str(out.http.body, "{\"model\":\"gpt-4o-mini-tts\",\"input\":\"Hi\","
                         "\"voice\":\"coral\",\"response_format\":\"wav\","
                         "\"instructions\":\"Cheerful\"}");
}


static void
test_openai_compatible_without_key(void **state)
{
    waav_tts_req_t             req;
    waav_tts_out_t             out;
    waav_err_t                 err;
    waav_secret_t              nokey = {
        .key = { "", 0 }, .token = { "", 0 }, .now = 0
    };
    const waav_tts_adapter_t  *ad;

    (void) state;

    ad = waav_tts_adapter("openai-compatible", 17);
    assert_non_null(ad);
    assert_int_equal(parse(&req, WAAV_TTS_SHAPE_OPENAI,
        "{\"model\":\"kokoro\",\"input\":\"Hi\",\"voice\":\"af_heart\"}",
        &err), 0);
    assert_int_equal(waav_tts_build(ad, &req, &nokey, &out, &WAAV_ARENA, &err), 0);
    assert_null(header(&out.http, "Authorization"));
    assert_str(out.http.body, "{\"model\":\"kokoro\",\"input\":\"Hi\","
                         "\"voice\":\"af_heart\",\"response_format\":\"mp3\"}");
}


static void
test_openai_rejects(void **state)
{
    waav_err_t  err;

    (void) state;

    assert_true(build_fails("openai", "{\"text\":\"x\",\"tts_config\":{"
                "\"provider\":\"o\",\"sample_rate\":16000}}", &err));
    assert_true(build_fails("openai", "{\"text\":\"x\",\"tts_config\":{"
                "\"provider\":\"o\",\"audio_format\":\"mulaw\"}}", &err));
}


static void
test_cartesia(void **state)
{
    waav_tts_out_t   out;
    waav_err_t       err;

    (void) state;

    build("cartesia", "{\"text\":\"Hello\",\"tts_config\":{"
          "\"provider\":\"cartesia\",\"voice_id\":"
          "\"a0e99841-438c-4a64-b679-ae501e7d6091\"}}",
          WAAV_TTS_SHAPE_WAAV, &out);

    assert_str(out.http.path, "/tts/bytes");
    assert_string_equal(header(&out.http, "Authorization"), "Bearer KEY123");
    assert_string_equal(header(&out.http, "Cartesia-Version"), "2025-04-16");
    assert_str(out.http.body, "{\"model_id\":\"sonic-2\",\"transcript\":\"Hello\","
               "\"voice\":{\"mode\":\"id\","
               "\"id\":\"a0e99841-438c-4a64-b679-ae501e7d6091\"},"
               "\"output_format\":{\"container\":\"raw\","
               "\"encoding\":\"pcm_s16le\",\"sample_rate\":24000},"
               "\"language\":\"en\"}");

    build("cartesia", "{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"c\","
          "\"voice_id\":\"v1\",\"audio_format\":\"mp3\"}}",
          WAAV_TTS_SHAPE_WAAV, &out);
    assert_str(out.http.body, "{\"model_id\":\"sonic-2\",\"transcript\":\"Hi\","
               "\"voice\":{\"mode\":\"id\",\"id\":\"v1\"},"
               "\"output_format\":{\"container\":\"mp3\","
               "\"sample_rate\":44100,\"bit_rate\":128000},"
               "\"language\":\"en\"}");

    /* no default voice */
    assert_true(build_fails("cartesia", "{\"text\":\"x\",\"tts_config\":{"
                "\"provider\":\"c\"}}", &err));
    assert_int_equal(err.status, 400);
}


static void
test_content_types(void **state)
{
    (void) state;

    assert_string_equal(waav_tts_content_type("wav", 3), "audio/wav");
    assert_string_equal(waav_tts_content_type("mp3", 3), "audio/mpeg");
    assert_string_equal(waav_tts_content_type("mpeg", 4), "audio/mpeg");
    assert_string_equal(waav_tts_content_type("ogg", 3), "audio/ogg");
    assert_string_equal(waav_tts_content_type("opus", 4), "audio/ogg");
    assert_string_equal(waav_tts_content_type("linear16", 8), "audio/pcm");
    assert_string_equal(waav_tts_content_type("pcm", 3), "audio/pcm");
    assert_string_equal(waav_tts_content_type("mulaw", 5), "audio/basic");
    assert_string_equal(waav_tts_content_type("flac", 4),
                        "application/octet-stream");
}


/* what a 200 of each provider may carry before its bytes reach the client */
static void
test_media_ok(void **state)
{
    size_t                     i, j;
    const waav_tts_adapter_t  *ad, *dg, *el;
    waav_tts_adapter_t         any;

    static const char  *types[] = {
        "deepgram", "elevenlabs", "openai", "openai-compatible", "cartesia"
    };

    /* audio of any kind, parameters and case aside */
    static const char  *audio[] = {
        "audio/mpeg", "audio/L16; rate=24000", "AUDIO/WAV",
        " audio/ogg;codecs=opus"
    };

    /* a captive portal, a JSON error with 200, nothing, garbage */
    static const char  *other[] = {
        "text/html", "text/html; charset=utf-8", "application/json", "",
        "audio", "audio/", "audio/x/y", "audiox/mpeg", "video/mp4"
    };

#define ok(ad, s)  waav_tts_media_ok(ad, s, strlen(s))

    (void) state;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        ad = waav_tts_adapter(types[i], strlen(types[i]));
        assert_non_null(ad);
        assert_non_null(ad->media_types);

        for (j = 0; j < sizeof(audio) / sizeof(audio[0]); j++) {
            assert_true(ok(ad, audio[j]));
        }

        for (j = 0; j < sizeof(other) / sizeof(other[0]); j++) {
            assert_false(ok(ad, other[j]));
        }

        /* the length bounds it, not a NUL */
        assert_false(waav_tts_media_ok(ad, "audio/mpeg", 5));
    }

    /* per adapter: raw bytes are octet-stream for some providers only */
    dg = waav_tts_adapter("deepgram", 8);
    el = waav_tts_adapter("elevenlabs", 10);
    assert_true(ok(dg, "application/octet-stream"));
    assert_false(ok(el, "application/octet-stream"));
    assert_false(ok(dg, "application/octet-streamx"));
    assert_false(ok(dg, "application/octet"));

    /* an adapter without a list is not checked */
    any = *el;
    any.media_types = NULL;
    assert_true(ok(&any, "text/html"));

#undef ok
}


static void
test_adapter_claims(void **state)
{
    const waav_tts_adapter_t  *dg, *el, *oa, *ca;

    (void) state;

    dg = waav_tts_adapter("deepgram", 8);
    el = waav_tts_adapter("elevenlabs", 10);
    oa = waav_tts_adapter("openai", 6);
    ca = waav_tts_adapter("cartesia", 8);

    assert_true(dg->claims_model("aura-asteria-en", 15));
    assert_false(dg->claims_model("tts-1", 5));
    assert_true(el->claims_model("eleven_multilingual_v2", 22));
    assert_true(oa->claims_model("tts-1", 5));
    assert_true(oa->claims_model("gpt-4o-mini-tts", 15));
    assert_false(oa->claims_model("tts-10", 6));
    assert_true(ca->claims_model("sonic-2", 7));
    assert_null(waav_tts_adapter("nope", 4));
}


/* --- provider error messages --------------------------------------------- */

static void
test_errmsg(void **state)
{
    char         out[WAAV_ERRMSG_MAX + 1];
    const char  *b;

    (void) state;

    b = "{\"error\":{\"message\":\"Incorrect API key provided: sk-abcdefghijkl."
        "\",\"type\":\"invalid_request_error\"}}";
    waav_provider_message(b, strlen(b), "sk-abcdefghijkl", 15, out,
                          sizeof(out));
    assert_string_equal(out, "Incorrect API key provided: [redacted].");

    b = "{\"detail\":{\"status\":\"invalid_api_key\",\"message\":\"Invalid API "
        "key\"}}";
    waav_provider_message(b, strlen(b), "k", 1, out, sizeof(out));
    assert_string_equal(out, "Invalid API key");

    b = "{\"err_code\":\"INVALID_AUTH\",\"err_msg\":\"Invalid credentials.\"}";
    waav_provider_message(b, strlen(b), "k", 1, out, sizeof(out));
    assert_string_equal(out, "Invalid credentials.");

    b = "{\"detail\":\"Not Found\"}";
    waav_provider_message(b, strlen(b), "k", 1, out, sizeof(out));
    assert_string_equal(out, "Not Found");

    b = "upstream said\r\nno KEY-1234567890-xyz way";
    waav_provider_message(b, strlen(b), "KEY-1234567890-xyz", 18, out,
                          sizeof(out));
    assert_string_equal(out, "upstream said  no [redacted] way");

    /* a fragment of the key (8+ bytes) is redacted too */
    b = "{\"message\":\"key ...67890-xyz is revoked\"}";
    waav_provider_message(b, strlen(b), "KEY-1234567890-xyz", 18, out,
                          sizeof(out));
    assert_string_equal(out, "key ...[redacted] is revoked");

    /* bounded */
    {
        char  big[2000];

        memset(big, 'x', sizeof(big));
        assert_int_equal(waav_provider_message(big, sizeof(big), "", 0, out,
                                               sizeof(out)), WAAV_ERRMSG_MAX);
    }
}


static void
test_google(void **state)
{
    waav_err_t      err;
    waav_tts_out_t  out;

    (void) state;

    build("google", "{\"text\":\"Hello\",\"tts_config\":{"
          "\"provider\":\"g\"}}", WAAV_TTS_SHAPE_WAAV, &out);

    assert_string_equal(out.http.method, "POST");
    assert_str(out.http.path, "/text:synthesize");
    assert_int_equal(out.http.args.len, 0);
    assert_string_equal(header(&out.http, "X-Goog-Api-Key"), "KEY123");
    assert_null(header(&out.http, "Authorization"));
    assert_string_equal(header(&out.http, "Content-Type"), "application/json");
    assert_str(out.http.body, "{\"input\":{\"text\":\"Hello\"},"
               "\"voice\":{\"languageCode\":\"en-US\","
               "\"name\":\"en-US-Standard-C\"},\"audioConfig\":{"
               "\"audioEncoding\":\"LINEAR16\",\"sampleRateHertz\":24000}}");
    assert_string_equal(out.content_type, "audio/pcm");
    assert_int_equal(out.sample_rate, 24000);

    /* the audio comes inside JSON: the response hook, without Google's
     * WAV header for raw PCM, with it when the client asked for wav */
    assert_non_null(out.response);
    assert_string_equal(out.response->field, "audioContent");
    assert_true(out.response->flags & WAAV_B64JSON_NO_WAV_HEADER);

    build("google", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"g\","
          "\"voice_id\":\"cmn-CN-Wavenet-A\",\"audio_format\":\"wav\","
          "\"sample_rate\":16000,\"speaking_rate\":1.25}}",
          WAAV_TTS_SHAPE_WAAV, &out);
    assert_str(out.http.body, "{\"input\":{\"text\":\"x\"},"
               "\"voice\":{\"languageCode\":\"cmn-CN\","
               "\"name\":\"cmn-CN-Wavenet-A\"},\"audioConfig\":{"
               "\"audioEncoding\":\"LINEAR16\",\"sampleRateHertz\":16000,"
               "\"speakingRate\":1.25}}");
    assert_false(out.response->flags & WAAV_B64JSON_NO_WAV_HEADER);
    assert_string_equal(out.content_type, "audio/wav");

    /* a voice that does not name a language: en-US */
    build("google", "{\"model\":\"google/x\",\"input\":\"Hi\","
          "\"voice\":\"custom-voice\",\"response_format\":\"opus\"}",
          WAAV_TTS_SHAPE_OPENAI, &out);
    assert_non_null(strstr(out.http.body.data, "\"languageCode\":\"en-US\""));
    assert_non_null(strstr(out.http.body.data,
                           "\"audioEncoding\":\"OGG_OPUS\"}"));

    /* a voice that is only a language: that language, no voice name (Google
     * refuses "en-GB" as one) */
    build("google", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"g\","
          "\"voice_id\":\"en-GB\",\"audio_format\":\"ulaw\"}}",
          WAAV_TTS_SHAPE_WAAV, &out);
    assert_str(out.http.body, "{\"input\":{\"text\":\"x\"},"
               "\"voice\":{\"languageCode\":\"en-GB\"},\"audioConfig\":{"
               "\"audioEncoding\":\"MULAW\",\"sampleRateHertz\":8000}}");

    assert_true(build_fails("google", "{\"text\":\"x\",\"tts_config\":{"
                "\"provider\":\"g\",\"audio_format\":\"flac\"}}", &err));
    assert_string_equal(err.code, "UNSUPPORTED_OPTION");
}


/* what Google refuses is refused, clamped or rounded before the call */
static void
test_google_limits(void **state)
{
    char            json[6000];
    waav_err_t      err;
    waav_tts_out_t  out;

    (void) state;

    /* speakingRate: [0.25, 2.0] */
    build("google", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"g\","
          "\"speaking_rate\":2}}", WAAV_TTS_SHAPE_WAAV, &out);
    assert_non_null(strstr(out.http.body.data, "\"speakingRate\":2}"));
    assert_true(out.speaking_rate == 2.0);
    build("google", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"g\","
          "\"speaking_rate\":2.01}}", WAAV_TTS_SHAPE_WAAV, &out);
    assert_non_null(strstr(out.http.body.data, "\"speakingRate\":2}"));
    assert_true(out.speaking_rate == 2.0);

    /* OGG_OPUS: the rates Opus has; none given, none sent */
    build("google", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"g\","
          "\"audio_format\":\"opus\",\"sample_rate\":16000}}",
          WAAV_TTS_SHAPE_WAAV, &out);
    assert_non_null(strstr(out.http.body.data, "\"audioEncoding\":\"OGG_OPUS\","
                                               "\"sampleRateHertz\":16000}"));
    build("google", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"g\","
          "\"audio_format\":\"opus\",\"sample_rate\":44100}}",
          WAAV_TTS_SHAPE_WAAV, &out);
    assert_non_null(strstr(out.http.body.data, "\"sampleRateHertz\":48000}"));
    assert_int_equal(out.sample_rate, 48000);
    build("google", "{\"text\":\"x\",\"tts_config\":{\"provider\":\"g\","
          "\"audio_format\":\"mp3\"}}", WAAV_TTS_SHAPE_WAAV, &out);
    assert_non_null(strstr(out.http.body.data, "{\"audioEncoding\":\"MP3\"}"));
    assert_string_equal(out.content_type, "audio/mpeg");

    /* 5000 bytes of text, not characters */
    memcpy(json, "{\"text\":\"", 9);
    memset(json + 9, 'a', 5000);
    strcpy(json + 9 + 5000, "\",\"tts_config\":{\"provider\":\"g\"}}");
    build("google", json, WAAV_TTS_SHAPE_WAAV, &out);
    memmove(json + 9 + 1, json + 9, strlen(json + 9) + 1);
    assert_true(build_fails("google", json, &err));
    assert_string_equal(err.code, "TEXT_TOO_LONG");
    assert_string_equal(err.message, "google takes at most 5000 bytes of text");
    json[9] = '\xc3';                         /* 5001 bytes, 5000 characters */
    json[10] = '\xa9';
    assert_true(build_fails("google", json, &err));
    assert_string_equal(err.code, "TEXT_TOO_LONG");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_parse_waav_minimal, waav_arena_teardown),
        cmocka_unit_test_teardown(test_parse_waav_full, waav_arena_teardown),
        cmocka_unit_test_teardown(test_parse_openai, waav_arena_teardown),
        cmocka_unit_test_teardown(test_parse_bad_json, waav_arena_teardown),
        cmocka_unit_test_teardown(test_parse_wrong_types, waav_arena_teardown),
        cmocka_unit_test_teardown(test_parse_missing, waav_arena_teardown),
        cmocka_unit_test_teardown(test_parse_text_limits, waav_arena_teardown),
        cmocka_unit_test_teardown(test_parse_idents, waav_arena_teardown),
        cmocka_unit_test_teardown(test_parse_ranges, waav_arena_teardown),
        cmocka_unit_test_teardown(test_pronunciations_whole_words, waav_arena_teardown),
        cmocka_unit_test_teardown(test_pronunciations_in_order, waav_arena_teardown),
        cmocka_unit_test_teardown(test_pronunciations_limits, waav_arena_teardown),
        cmocka_unit_test_teardown(test_deepgram, waav_arena_teardown),
        cmocka_unit_test_teardown(test_deepgram_rejects, waav_arena_teardown),
        cmocka_unit_test_teardown(test_elevenlabs, waav_arena_teardown),
        cmocka_unit_test_teardown(test_elevenlabs_rejects, waav_arena_teardown),
        cmocka_unit_test_teardown(test_openai, waav_arena_teardown),
        cmocka_unit_test_teardown(test_openai_compatible_without_key, waav_arena_teardown),
        cmocka_unit_test_teardown(test_openai_rejects, waav_arena_teardown),
        cmocka_unit_test_teardown(test_cartesia, waav_arena_teardown),
        cmocka_unit_test_teardown(test_google, waav_arena_teardown),
        cmocka_unit_test_teardown(test_google_limits, waav_arena_teardown),
        cmocka_unit_test_teardown(test_content_types, waav_arena_teardown),
        cmocka_unit_test(test_media_ok),
        cmocka_unit_test_teardown(test_adapter_claims, waav_arena_teardown),
        cmocka_unit_test_teardown(test_errmsg, waav_arena_teardown),
    };

    return cmocka_run_group_tests_name("waav_tts", tests, NULL, NULL);
}
