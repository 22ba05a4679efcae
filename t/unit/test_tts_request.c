/*
 * Unit tests for what WaaV's clients send to /speak and /ws (cmocka): the
 * SDKs' flat body, the BYOK api_key, and OpenAI's names as WaaV reads them.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waav_tts.h"
#include "waav_registry.h"
#include "waav_arena.h"


#define assert_str(s, lit)                                                   \
    do {                                                                     \
        assert_int_equal((s).len, strlen(lit));                              \
        assert_memory_equal((s).data, lit, strlen(lit));                     \
    } while (0)


static int
parse(waav_tts_req_t *req, const char *json, waav_err_t *err)
{
    memset(err, 0, sizeof(waav_err_t));
    return waav_tts_parse(req, WAAV_TTS_SHAPE_WAAV, json, strlen(json),
                          &WAAV_ARENA, err);
}


static void
expect_error(const char *json, const char *code, const char *message)
{
    waav_tts_req_t  req;
    waav_err_t      err;

    assert_int_equal(parse(&req, json, &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, code);
    assert_string_equal(err.message, message);
}


static void
test_flat(void **state)
{
    waav_tts_req_t  req;
    waav_err_t      err;

    (void) state;

    /* the TypeScript SDK's RestClient.speak */
    assert_int_equal(parse(&req, "{\"text\":\"Hi\",\"provider\":\"deepgram\","
                           "\"voice_id\":\"aura-luna-en\",\"model\":\"m\","
                           "\"sample_rate\":16000,\"audio_format\":\"mp3\","
                           "\"speaking_rate\":1.5}", &err), 0);
    assert_str(req.text, "Hi");
    assert_str(req.provider, "deepgram");
    assert_int_equal(req.flat, 1);
    assert_str(req.voice, "aura-luna-en");
    assert_str(req.model, "m");
    assert_int_equal(req.sample_rate, 16000);
    assert_int_equal(req.format, WAAV_FMT_MP3);
    assert_true(req.speaking_rate_set);
    assert_int_equal(req.api_key.len, 0);

    /* the Python SDK's: voice as voice_id; voice_id wins when both */
    assert_int_equal(parse(&req, "{\"text\":\"Hi\",\"provider\":\"openai\","
                           "\"voice\":\"nova\",\"sample_rate\":24000}", &err),
                     0);
    assert_str(req.voice, "nova");

    assert_int_equal(parse(&req, "{\"text\":\"Hi\",\"provider\":\"openai\","
                           "\"voice\":\"nova\",\"voice_id\":\"echo\"}", &err),
                     0);
    assert_str(req.voice, "echo");

    /* pronunciations and api_key at the top level too */
    assert_int_equal(parse(&req, "{\"text\":\"SQL\",\"provider\":\"openai\","
                           "\"api_key\":\"sk-1\",\"pronunciations\":"
                           "[{\"word\":\"SQL\",\"pronunciation\":\"sequel\"}]}",
                           &err), 0);
    assert_str(req.text, "sequel");
    assert_str(req.api_key, "sk-1");
}


static void
test_flat_and_nested(void **state)
{
    waav_tts_req_t  req;
    waav_err_t      err;

    (void) state;

    /* tts_config alone counts; the top level is not even type-checked,
     * as WaaV (serde) ignores what it does not know */
    assert_int_equal(parse(&req, "{\"text\":\"Hi\",\"provider\":\"openai\","
                           "\"sample_rate\":\"x\",\"voice\":\"nova\","
                           "\"tts_config\":{\"provider\":\"deepgram\"}}",
                           &err), 0);
    assert_str(req.provider, "deepgram");
    assert_int_equal(req.flat, 0);
    assert_int_equal(req.voice.len, 0);
    assert_int_equal(req.sample_rate, 0);

    /* tts_config null: the flat body */
    assert_int_equal(parse(&req, "{\"text\":\"Hi\",\"provider\":\"openai\","
                           "\"tts_config\":null}", &err), 0);
    assert_str(req.provider, "openai");
    assert_int_equal(req.flat, 1);

    /* voice is the flat body's only: in tts_config it is unknown */
    assert_int_equal(parse(&req, "{\"text\":\"Hi\",\"tts_config\":"
                           "{\"provider\":\"openai\",\"voice\":\"nova\"}}",
                           &err), 0);
    assert_int_equal(req.voice.len, 0);
}


static void
test_flat_errors(void **state)
{
    (void) state;

    expect_error("{\"text\":\"Hi\"}", "INVALID_REQUEST",
                 "tts_config is required (or provider and the other "
                 "settings at the top level)");
    expect_error("{\"text\":\"Hi\",\"provider\":\"\"}", "INVALID_REQUEST",
                 "tts_config is required (or provider and the other "
                 "settings at the top level)");
    expect_error("{\"text\":\"Hi\",\"tts_config\":[]}", "INVALID_REQUEST",
                 "tts_config must be an object");
    expect_error("{\"text\":\"Hi\",\"provider\":\"d\",\"sample_rate\":7}",
                 "INVALID_REQUEST",
                 "sample_rate must be an integer from 8000 to 48000");
    expect_error("{\"text\":\"Hi\",\"provider\":\"d\",\"voice\":\"a\\tb\"}",
                 "INVALID_REQUEST",
                 "voice must be at most 256 bytes of text without control "
                 "characters");
    expect_error("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"d\","
                 "\"voice_id\":\"a\\u007fb\"}}", "INVALID_REQUEST",
                 "tts_config.voice_id must be at most 256 bytes of text "
                 "without control characters");
    expect_error("{\"text\":\"Hi\",\"provider\":\"d\",\"audio_format\":\"x\"}",
                 "UNSUPPORTED_FORMAT",
                 "audio_format must be one of linear16, pcm, mulaw, ulaw, "
                 "alaw, mp3, wav, opus, ogg, flac, aac");
    expect_error("{\"text\":\"Hi\",\"provider\":\"d\",\"pronunciations\":"
                 "[{\"word\":2}]}", "INVALID_REQUEST",
                 "pronunciations[].word must be a string");
    expect_error("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"d\","
                 "\"pronunciations\":[{\"word\":2}]}}", "INVALID_REQUEST",
                 "tts_config.pronunciations[].word must be a string");
    expect_error("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"d\","
                 "\"pronunciations\":7}}", "INVALID_REQUEST",
                 "tts_config.pronunciations must be an array");
    expect_error("{\"text\":\"Hi\",\"tts_config\":{}}", "INVALID_PROVIDER",
                 "tts_config.provider is required");
}


static void
test_api_key(void **state)
{
    char            json[4200];
    waav_tts_req_t  req;
    waav_err_t      err;

    (void) state;

    assert_int_equal(parse(&req, "{\"text\":\"Hi\",\"tts_config\":"
                           "{\"provider\":\"openai\",\"api_key\":"
                           "\"sk-AZaz09_-.~!\"}}", &err), 0);
    assert_str(req.api_key, "sk-AZaz09_-.~!");

    /* "" is none (WaaV skips an empty key), as is null */
    assert_int_equal(parse(&req, "{\"text\":\"Hi\",\"tts_config\":"
                           "{\"provider\":\"openai\",\"api_key\":\"\"}}",
                           &err), 0);
    assert_int_equal(req.api_key.len, 0);
    assert_int_equal(parse(&req, "{\"text\":\"Hi\",\"tts_config\":"
                           "{\"provider\":\"openai\",\"api_key\":null}}",
                           &err), 0);
    assert_int_equal(req.api_key.len, 0);

    /* what could not be a header value: never quoted back */
    expect_error("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"o\","
                 "\"api_key\":\"k\\r\\nX: y\"}}", "INVALID_REQUEST",
                 "tts_config.api_key must be up to 4096 bytes of visible "
                 "ASCII");
    expect_error("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"o\","
                 "\"api_key\":\"a key\"}}", "INVALID_REQUEST",
                 "tts_config.api_key must be up to 4096 bytes of visible "
                 "ASCII");
    expect_error("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"o\","
                 "\"api_key\":\"k\\u00e9\"}}", "INVALID_REQUEST",
                 "tts_config.api_key must be up to 4096 bytes of visible "
                 "ASCII");
    expect_error("{\"text\":\"Hi\",\"provider\":\"o\",\"api_key\":\"\\t\"}",
                 "INVALID_REQUEST",
                 "api_key must be up to 4096 bytes of visible ASCII");
    expect_error("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"o\","
                 "\"api_key\":7}}", "INVALID_REQUEST",
                 "tts_config.api_key must be a string");

    /* 4096 bytes pass, 4097 do not */
    snprintf(json, sizeof(json), "{\"text\":\"Hi\",\"provider\":\"o\","
             "\"api_key\":\"%0*d\"}", WAAV_TTS_MAX_API_KEY, 0);
    assert_int_equal(parse(&req, json, &err), 0);
    assert_int_equal(req.api_key.len, WAAV_TTS_MAX_API_KEY);

    snprintf(json, sizeof(json), "{\"text\":\"Hi\",\"provider\":\"o\","
             "\"api_key\":\"%0*d\"}", WAAV_TTS_MAX_API_KEY + 1, 0);
    expect_error(json, "INVALID_REQUEST",
                 "api_key must be up to 4096 bytes of visible ASCII");
}


static void
names(const char *model, const char *voice, const char *want_model,
    const char *want_voice)
{
    waav_tts_req_t  req;

    memset(&req, 0, sizeof(req));
    req.model.data = model;
    req.model.len = strlen(model);
    req.voice.data = voice;
    req.voice.len = strlen(voice);

    waav_tts_openai_names(&req);

    assert_str(req.model, want_model);
    assert_str(req.voice, want_voice);
}


static void
test_openai_names(void **state)
{
    const waav_tts_adapter_t  *ad;

    (void) state;

    /* WaaV's config.rs: its spellings, any case */
    names("tts-1", "alloy", "tts-1", "alloy");
    names("TTS1", "ECHO", "tts-1", "echo");
    names("tts1-hd", "Shimmer", "tts-1-hd", "shimmer");
    names("tts1hd", "sage", "tts-1-hd", "sage");
    names("TTS-1-HD", "verse", "tts-1-hd", "verse");
    names("gpt4o-mini-tts", "ballad", "gpt-4o-mini-tts", "ballad");
    names("GPT-4o-Mini-TTS", "coral", "gpt-4o-mini-tts", "coral");

    /* the dashboard's model = voice id; the Python SDK's Deepgram model */
    names("nova", "nova", "tts-1", "nova");
    names("aura-asteria-en", "aura-asteria-en", "tts-1", "alloy");
    names("whisper-1", "bogus", "tts-1", "alloy");

    /* empty: the adapter's default, untouched */
    names("", "", "", "");

    /* OpenAI's own names WaaV does not know: as they are */
    names("gpt-4o-mini-tts-2025-12-15", "marin", "gpt-4o-mini-tts-2025-12-15",
          "marin");
    names("tts-1-hd-1106", "Cedar", "tts-1-hd-1106", "cedar");
    names("gpt-4o-mini-tts-", "onyx", "tts-1", "onyx");
    names("gpt-4o-mini-tts-x", "fable", "tts-1", "fable");
    names("gpt-4o-mini-ttsX", "ash", "tts-1", "ash");

    /* only the openai adapter has the hook: a compatible server's voices
     * (af_bella) are its own */
    ad = waav_tts_adapter("openai", 6);
    assert_ptr_equal(ad->names, waav_tts_openai_names);
    assert_null(waav_tts_adapter("openai-compatible", 17)->names);
    assert_null(waav_tts_adapter("deepgram", 8)->names);
}


/* waav_tts_names: the dashboard's model = voice id is no model where models
 * are not voices; kept where they are (Deepgram), and any other model kept */
static void
generic_names(const char *type, const char *model, const char *voice,
    const char *want)
{
    waav_tts_req_t  req;

    memset(&req, 0, sizeof(req));
    req.model.data = model;
    req.model.len = strlen(model);
    req.voice.data = voice;
    req.voice.len = strlen(voice);

    waav_tts_names(waav_tts_adapter(type, strlen(type)), &req);

    assert_int_equal(req.model.len, strlen(want));
    assert_memory_equal(req.model.len ? req.model.data : "", want,
                        strlen(want));
}


static void
test_voice_as_model(void **state)
{
    (void) state;

    generic_names("elevenlabs", "EXAVITQu4vr4xnSDxMaL",
                  "EXAVITQu4vr4xnSDxMaL", "");
    generic_names("elevenlabs", "eleven_flash_v2_5", "EXAVITQu4vr4xnSDxMaL",
                  "eleven_flash_v2_5");
    generic_names("elevenlabs", "EXAVITQu4vr4xnSDxMa", "EXAVITQu4vr4xnSDxMaL",
                  "EXAVITQu4vr4xnSDxMa");
    generic_names("cartesia", "a0e99841", "a0e99841", "");
    generic_names("deepgram", "aura-2-thalia-en", "aura-2-thalia-en",
                  "aura-2-thalia-en");
    generic_names("azure", "en-US-JennyNeural", "en-US-JennyNeural",
                  "en-US-JennyNeural");
    /* openai: its own hook (the voice as the model is tts-1) */
    generic_names("openai", "nova", "nova", "tts-1");
}


/* a client's own key where the adapter exchanges the server's: sent as it
 * is, never exchanged */
static void
test_byok_cred(void **state)
{
    waav_err_t                   err;
    waav_http_req_t              r;
    waav_secret_t                secret;
    const waav_tts_adapter_t    *ad;
    const waav_provider_type_t  *pt;

    (void) state;

    for (pt = waav_provider_types; pt->name; pt++) {
        if (pt->tts && pt->tts->byok_cred) {
            assert_null(pt->tts->byok_cred->exchange);
            /* its cred exchanges, or may by the key's shape (Google's) */
            assert_true(pt->tts->cred->exchange != NULL
                        || pt->tts->cred->pick != NULL);
        }
    }

    ad = waav_tts_adapter("azure", 5);
    assert_non_null(ad->byok_cred);

    memset(&r, 0, sizeof(r));
    memset(&secret, 0, sizeof(secret));
    memset(&err, 0, sizeof(err));
    secret.key.data = "client-key";
    secret.key.len = 10;

    assert_int_equal(waav_cred_apply(ad->byok_cred, &secret, &r, &WAAV_ARENA,
                                     &err), 0);
    assert_int_equal(r.nheaders, 1);
    assert_string_equal(r.headers[0].name, "Ocp-Apim-Subscription-Key");
    assert_str(r.headers[0].value, "client-key");
}


static int
parse_default(waav_tts_req_t *req, waav_tts_shape_e shape, const char *json,
    waav_err_t *err)
{
    waav_str_t  dflt = { "local", 5 };

    memset(err, 0, sizeof(waav_err_t));
    return waav_tts_parse_default(req, shape, json, strlen(json), dflt,
                                  &WAAV_ARENA, err);
}


/* waav_tts default=NAME: a WaaV body naming no provider takes the server's
 * (flat or nested); one naming a provider keeps it; OpenAI's shape has no
 * default: its model names the provider */
static void
test_default_provider(void **state)
{
    size_t           i;
    waav_err_t       err;
    waav_tts_req_t   req;
    static const char  *none[] = {
        "{\"text\":\"a\"}",
        "{\"text\":\"a\",\"voice_id\":\"en-gb\"}",
        "{\"text\":\"a\",\"tts_config\":{}}",
        "{\"text\":\"a\",\"tts_config\":{\"provider\":\"\"}}",
        "{\"text\":\"a\",\"tts_config\":{\"voice_id\":\"en-gb\"}}",
    };

    (void) state;

    for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        assert_int_equal(parse_default(&req, WAAV_TTS_SHAPE_WAAV, none[i],
                                       &err), 0);
        assert_str(req.provider, "local");
    }

    assert_str(req.voice, "en-gb");

    assert_int_equal(parse_default(&req, WAAV_TTS_SHAPE_WAAV,
                     "{\"text\":\"a\",\"tts_config\":{\"provider\":\"x\"}}",
                     &err), 0);
    assert_str(req.provider, "x");

    assert_int_equal(parse_default(&req, WAAV_TTS_SHAPE_OPENAI,
                                   "{\"input\":\"a\"}", &err), -1);
    assert_string_equal(err.message, "model is required");

    /* without a default, as before */
    assert_int_equal(parse(&req, "{\"text\":\"a\",\"tts_config\":{}}",
                           &err), -1);
    assert_string_equal(err.code, "INVALID_PROVIDER");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_flat, waav_arena_teardown),
        cmocka_unit_test_teardown(test_flat_and_nested, waav_arena_teardown),
        cmocka_unit_test_teardown(test_flat_errors, waav_arena_teardown),
        cmocka_unit_test_teardown(test_api_key, waav_arena_teardown),
        cmocka_unit_test(test_openai_names),
        cmocka_unit_test(test_voice_as_model),
        cmocka_unit_test_teardown(test_byok_cred, waav_arena_teardown),
        cmocka_unit_test_teardown(test_default_provider, waav_arena_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
