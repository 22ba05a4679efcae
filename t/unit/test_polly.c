/*
 * Unit tests for the Amazon Polly adapter (src/core/tts/waav_tts_polly.c,
 * waav_tts_polly_voices.c): the SynthesizeSpeech body (formats, rates,
 * engines, voices, SSML for a speaking rate), what is refused before the
 * call, the signature it carries and no key, and DescribeVoices' answer.
 */

#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waav_tts.h"
#include "waav_voices.h"
#include "waav_arena.h"


#define NOW  1440938160                     /* 20150830T123600Z */


static const waav_tts_adapter_t *
polly(void)
{
    const waav_tts_adapter_t  *ad;

    ad = waav_tts_adapter("aws-polly", 9);
    assert_non_null(ad);
    assert_non_null(ad->cred);
    assert_non_null(ad->cred->sign);

    return ad;
}


static int
build(const char *json, const waav_secret_t *s, waav_tts_out_t *out,
    waav_err_t *err)
{
    waav_tts_req_t  req;

    memset(err, 0, sizeof(waav_err_t));
    assert_int_equal(waav_tts_parse(&req, WAAV_TTS_SHAPE_WAAV, json,
                                    strlen(json), &WAAV_ARENA, err), 0);
    waav_tts_names(polly(), &req);

    return waav_tts_build(polly(), &req, s, out, &WAAV_ARENA, err);
}


static void
body_is(const char *json, const char *body, unsigned rate)
{
    waav_err_t      err;
    waav_tts_out_t  out;

    print_message("# %s\n", json);
    assert_int_equal(build(json, NULL, &out, &err), 0);
    assert_string_equal(out.http.method, "POST");
    assert_int_equal(out.http.path.len, 10);
    assert_memory_equal(out.http.path.data, "/v1/speech", 10);
    assert_int_equal(out.http.body.len, strlen(body));
    assert_memory_equal(out.http.body.data, body, out.http.body.len);
    assert_int_equal(out.sample_rate, rate);
}


static void
refused(const char *json, int status, const char *code, const char *msg)
{
    waav_err_t      err;
    waav_tts_out_t  out;

    print_message("# %s\n", json);
    assert_int_equal(build(json, NULL, &out, &err), -1);
    assert_int_equal(err.status, status);
    assert_string_equal(err.code, code);

    if (msg) {
        assert_non_null(strstr(err.message, msg));
    }
}


static void
test_bodies(void **state)
{
    (void) state;

    /* the defaults: linear16 is Polly's pcm at 16000, neural, Joanna */
    body_is("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"aws-polly\"}}",
            "{\"Engine\":\"neural\",\"OutputFormat\":\"pcm\","
            "\"SampleRate\":\"16000\",\"Text\":\"Hi\",\"TextType\":\"text\","
            "\"VoiceId\":\"Joanna\"}", 16000);

    body_is("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"audio_format\":\"linear16\",\"sample_rate\":8000,"
            "\"voice_id\":\"matthew\",\"model\":\"standard\"}}",
            "{\"Engine\":\"standard\",\"OutputFormat\":\"pcm\","
            "\"SampleRate\":\"8000\",\"Text\":\"Hi\",\"TextType\":\"text\","
            "\"VoiceId\":\"Matthew\"}", 8000);

    /* mp3 and ogg (Vorbis): the nearest rate Polly has */
    body_is("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"audio_format\":\"mp3\",\"sample_rate\":44100,"
            "\"model\":\"long_form\"}}",
            "{\"Engine\":\"long-form\",\"OutputFormat\":\"mp3\","
            "\"SampleRate\":\"24000\",\"Text\":\"Hi\",\"TextType\":\"text\","
            "\"VoiceId\":\"Joanna\"}", 24000);

    body_is("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"audio_format\":\"ogg\",\"sample_rate\":22000,"
            "\"model\":\"Generative\"}}",
            "{\"Engine\":\"generative\",\"OutputFormat\":\"ogg_vorbis\","
            "\"SampleRate\":\"22050\",\"Text\":\"Hi\",\"TextType\":\"text\","
            "\"VoiceId\":\"Joanna\"}", 22050);

    body_is("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"audio_format\":\"mp3\"}}",
            "{\"Engine\":\"neural\",\"OutputFormat\":\"mp3\","
            "\"SampleRate\":\"24000\",\"Text\":\"Hi\",\"TextType\":\"text\","
            "\"VoiceId\":\"Joanna\"}", 24000);

    /* a speaking rate: SSML's prosody, the text XML-escaped */
    body_is("{\"text\":\"a<b & \\\"c\\\"\",\"tts_config\":{\"provider\":"
            "\"polly\",\"speaking_rate\":1.25}}",
            "{\"Engine\":\"neural\",\"OutputFormat\":\"pcm\","
            "\"SampleRate\":\"16000\",\"Text\":\"<speak><prosody "
            "rate=\\\"125%\\\">a&lt;b &amp; &quot;c&quot;</prosody></speak>\","
            "\"TextType\":\"ssml\",\"VoiceId\":\"Joanna\"}", 16000);

    body_is("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"speaking_rate\":4}}",
            "{\"Engine\":\"neural\",\"OutputFormat\":\"pcm\","
            "\"SampleRate\":\"16000\",\"Text\":\"<speak><prosody "
            "rate=\\\"200%\\\">Hi</prosody></speak>\","
            "\"TextType\":\"ssml\",\"VoiceId\":\"Joanna\"}", 16000);

    waav_arena_reset();
}


static void
test_refused(void **state)
{
    char    *json;
    size_t   i;

    (void) state;

    refused("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"sample_rate\":24000}}", 400, "UNSUPPORTED_OPTION",
            "aws-polly does not support sample_rate 24000 for linear16 (it "
            "can do 8000, 16000)");
    refused("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"audio_format\":\"opus\"}}", 400, "UNSUPPORTED_OPTION",
            "linear16, mp3 or ogg");
    refused("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"audio_format\":\"wav\"}}", 400, "UNSUPPORTED_OPTION", NULL);
    refused("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"audio_format\":\"mulaw\"}}", 400, "UNSUPPORTED_OPTION", NULL);
    refused("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"model\":\"turbo\"}}", 400, "INVALID_MODEL", "engines");
    refused("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"voice_id\":\"Jo_anna2\"}}", 400, "INVALID_REQUEST",
            "voice_id");
    refused("{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"polly\","
            "\"voice_id\":\"en-US-Joanna\"}}", 400, "INVALID_REQUEST", NULL);

    /* 3001 characters; 3000 of two bytes each pass */
    json = waav_arena_alloc(NULL, 8000);
    strcpy(json, "{\"text\":\"");
    for (i = 0; i < 3001; i++) {
        strcat(json, "a");
    }
    strcat(json, "\",\"tts_config\":{\"provider\":\"polly\"}}");
    refused(json, 400, "TEXT_TOO_LONG", "3000 characters");

    strcpy(json, "{\"text\":\"");
    for (i = 0; i < 3000; i++) {
        strcat(json, "\xc3\xa9");
    }
    strcat(json, "\",\"tts_config\":{\"provider\":\"polly\"}}");
    {
        waav_err_t      err;
        waav_tts_out_t  out;

        assert_int_equal(build(json, NULL, &out, &err), 0);
    }

    waav_arena_reset();
}


static const char *
header(const waav_http_req_t *req, const char *name)
{
    size_t  i;
    char   *v;

    for (i = 0; i < req->nheaders; i++) {
        if (strcmp(req->headers[i].name, name) == 0) {
            v = waav_arena_alloc(NULL, req->headers[i].value.len + 1);
            memcpy(v, req->headers[i].value.data, req->headers[i].value.len);
            v[req->headers[i].value.len] = '\0';
            return v;
        }
    }

    return NULL;
}


/* the request as sent: signed, the key nowhere */
static void
test_signed(void **state)
{
    size_t          i;
    waav_err_t      err;
    waav_secret_t   s;
    const char     *auth;
    waav_tts_out_t  out;

    (void) state;

    memset(&s, 0, sizeof(s));
    s.key = (waav_str_t) waav_str_lit("AKIDEXAMPLE:SECRETKEY:TOKEN");
    s.host = (waav_str_t) waav_str_lit("polly.eu-west-1.amazonaws.com");
    s.region = (waav_str_t) waav_str_lit("eu-west-1");
    s.now = NOW;

    assert_int_equal(build("{\"text\":\"Hi\",\"tts_config\":{\"provider\":"
                           "\"polly\"}}", &s, &out, &err), 0);

    assert_string_equal(header(&out.http, "Content-Type"),
                        "application/json");
    assert_string_equal(header(&out.http, "X-Amz-Date"), "20150830T123600Z");
    assert_string_equal(header(&out.http, "X-Amz-Security-Token"), "TOKEN");

    auth = header(&out.http, "Authorization");
    assert_non_null(auth);
    assert_non_null(strstr(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
                           "20150830/eu-west-1/polly/aws4_request, "
                           "SignedHeaders=content-type;host;x-amz-date;"
                           "x-amz-security-token, Signature="));
    assert_int_equal(strlen(strstr(auth, "Signature=")), 10 + 64);

    for (i = 0; i < out.http.nheaders; i++) {
        assert_null(memmem(out.http.headers[i].value.data,
                           out.http.headers[i].value.len, "SECRETKEY", 9));
    }

    /* a key that is not AKID:SECRET: refused before the call */
    s.key = (waav_str_t) waav_str_lit("AKIDEXAMPLE");
    assert_int_equal(build("{\"text\":\"Hi\",\"tts_config\":{\"provider\":"
                           "\"polly\"}}", &s, &out, &err), -1);
    assert_int_equal(err.status, 401);

    assert_true(polly()->cred->key_ok((waav_str_t) waav_str_lit("A:B")));
    assert_false(polly()->cred->key_ok((waav_str_t) waav_str_lit("AB")));

    waav_arena_reset();
}


static void
test_voices(void **state)
{
    waav_err_t                    err;
    waav_http_req_t               req;
    waav_voice_list_t             list;
    const waav_voices_adapter_t  *va;

    static const char  answer[] =
        "{\"Voices\":[{\"Gender\":\"Female\",\"Id\":\"Joanna\","
        "\"LanguageCode\":\"en-US\",\"LanguageName\":\"US English\","
        "\"Name\":\"Joanna\",\"SupportedEngines\":[\"neural\"]},"
        "{\"Gender\":\"Male\",\"Id\":\"Brian\",\"LanguageCode\":\"en-GB\"},"
        "{\"Name\":\"no id\"},{\"Id\":7}]}";

    (void) state;

    va = polly()->voices;
    assert_non_null(va);

    memset(&req, 0, sizeof(req));
    assert_int_equal(waav_voices_request(va, &req, &WAAV_ARENA, &err), 0);
    assert_string_equal(req.method, "GET");
    assert_int_equal(req.path.len, 10);
    assert_memory_equal(req.path.data, "/v1/voices", 10);

    assert_int_equal(waav_voices_parse(va, answer, sizeof(answer) - 1, &list,
                               &WAAV_ARENA, &err), 0);
    assert_int_equal(list.n, 2);
    assert_memory_equal(list.v[0].id.data, "Joanna", 6);
    assert_memory_equal(list.v[0].gender.data, "Female", 6);
    assert_memory_equal(list.v[0].language.data, "English", 7);
    assert_memory_equal(list.v[0].accent.data, "American", 8);
    assert_memory_equal(list.v[1].name.data, "Brian", 5);
    assert_memory_equal(list.v[1].accent.data, "British", 7);

    assert_int_equal(waav_voices_parse(va, "[]", 2, &list, &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 502);

    waav_arena_reset();
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_signed),
        cmocka_unit_test(test_voices),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
