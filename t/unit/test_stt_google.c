/*
 * Unit tests for Google Speech-to-Text (speech:recognize): the JSON around
 * the base64 audio for each audio type, Google's limits before any call,
 * the credentials (an API key, or the service account's token), and the
 * answer normalized.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waav_registry.h"
#include "waav_stt.h"
#include "waav_arena.h"
#include "waav_header.h"


static const waav_stt_adapter_t *
google(void)
{
    const waav_provider_type_t  *pt;

    pt = waav_provider_type("Google", 6);
    assert_non_null(pt);
    assert_non_null(pt->stt);
    assert_ptr_equal(pt->stt->cred, pt->tts->cred);  /* one token for both */

    return pt->stt;
}


static void
assert_str(waav_str_t s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.data, want, s.len);
}


static int
build(waav_stt_req_t *req, const char *key, const char *token,
    waav_http_req_t *out, waav_str_t *suffix, waav_err_t *err)
{
    waav_secret_t  s;

    memset(&s, 0, sizeof(s));
    s.key.data = key;
    s.key.len = strlen(key);
    s.token.data = token;
    s.token.len = strlen(token);
    memset(err, 0, sizeof(waav_err_t));

    return waav_stt_build(google(), req, &s, out, suffix, &WAAV_ARENA, err);
}


static void
req_init(waav_stt_req_t *req, waav_audio_kind_e kind)
{
    memset(req, 0, sizeof(waav_stt_req_t));
    req->punctuate = -1;
    req->diarize = -1;
    req->words = 1;
    req->audio.kind = kind;
    req->audio_len = 64000;
}


/* a client's own key (waav_byok) is an API key, even when it is JSON:
 * never a service account to exchange (no token: the build would fail) */
static void
test_byok(void **state)
{
    waav_err_t       err;
    waav_str_t       suffix;
    waav_stt_req_t   req;
    waav_http_req_t  out;

    (void) state;

    req_init(&req, WAAV_AUDIO_WAV);
    req.byok = 1;
    assert_int_equal(build(&req, "{\"type\":\"service_account\"}", "", &out,
                           &suffix, &err), 0);
    assert_string_equal(header(&out, "X-Goog-Api-Key"),
                        "{\"type\":\"service_account\"}");
    assert_null(header(&out, "Authorization"));

    /* the server's key of that shape is a service account's */
    req.byok = 0;
    assert_int_equal(build(&req, "{\"type\":\"service_account\"}", "", &out,
                           &suffix, &err), -1);
    assert_int_equal(err.status, 500);
}


static void
test_build(void **state)
{
    waav_err_t       err;
    waav_str_t       suffix;
    waav_stt_req_t   req;
    waav_http_req_t  out;

    (void) state;

    assert_true(google()->base64);
    assert_true(google()->stream_host);

    /* a WAV: its header says the encoding; an API key as it is */
    req_init(&req, WAAV_AUDIO_WAV);
    assert_int_equal(build(&req, "AIzaKey", "", &out, &suffix, &err), 0);
    assert_string_equal(out.method, "POST");
    assert_str(out.path, "/v1/speech:recognize");
    assert_int_equal(out.args.len, 0);
    assert_string_equal(header(&out, "Content-Type"), "application/json");
    assert_string_equal(header(&out, "X-Goog-Api-Key"), "AIzaKey");
    assert_str(out.body, "{\"config\":{\"languageCode\":\"en-US\","
                         "\"model\":\"latest_long\","
                         "\"enableAutomaticPunctuation\":true,"
                         "\"enableWordTimeOffsets\":true,"
                         "\"enableWordConfidence\":true},"
                         "\"audio\":{\"content\":\"");
    assert_str(suffix, "\"}}");

    /* headerless PCM: LINEAR16, its rate and channels; keywords; a
     * service account's token */
    req_init(&req, WAAV_AUDIO_PCM);
    req.audio.rate = 8000;
    req.audio.channels = 2;
    req.punctuate = 0;
    req.words = 0;
    req.language = (waav_str_t) waav_str_lit("fr-FR");
    req.model = (waav_str_t) waav_str_lit("phone_call");
    req.keywords = (waav_str_t) waav_str_lit(" waav , nginx module,,");
    assert_int_equal(build(&req, "{\"type\":\"service_account\"}", "ya29.t",
                           &out, &suffix, &err), 0);
    assert_string_equal(header(&out, "Authorization"), "Bearer ya29.t");
    assert_null(header(&out, "X-Goog-Api-Key"));
    assert_str(out.body, "{\"config\":{\"encoding\":\"LINEAR16\","
                         "\"sampleRateHertz\":8000,\"audioChannelCount\":2,"
                         "\"languageCode\":\"fr-FR\",\"model\":\"phone_call\","
                         "\"enableAutomaticPunctuation\":false,"
                         "\"enableWordTimeOffsets\":false,"
                         "\"enableWordConfidence\":false,"
                         "\"speechContexts\":[{\"phrases\":[\"waav\","
                         "\"nginx module\"]}]},\"audio\":{\"content\":\"");

    /* no token yet for a service account: nothing is built to send */
    assert_int_equal(build(&req, " {}", "", &out, &suffix, &err), -1);
    assert_int_equal(err.status, 500);

    /* Opus in Ogg and WebM: at 48 kHz */
    req_init(&req, WAAV_AUDIO_OGG);
    assert_int_equal(build(&req, "k", "", &out, &suffix, &err), 0);
    assert_non_null(strstr(out.body.data, "\"encoding\":\"OGG_OPUS\","
                                          "\"sampleRateHertz\":48000"));
    req_init(&req, WAAV_AUDIO_WEBM);
    assert_int_equal(build(&req, "k", "", &out, &suffix, &err), 0);
    assert_non_null(strstr(out.body.data, "\"encoding\":\"WEBM_OPUS\""));
    req_init(&req, WAAV_AUDIO_FLAC);
    assert_int_equal(build(&req, "k", "", &out, &suffix, &err), 0);
    assert_null(strstr(out.body.data, "encoding"));
}


static void
test_refused(void **state)
{
    waav_err_t       err;
    waav_str_t       suffix;
    waav_stt_req_t   req;
    waav_http_req_t  out;

    (void) state;

    /* what Google takes no such audio of */
    req_init(&req, WAAV_AUDIO_MP3);
    assert_int_equal(build(&req, "k", "", &out, &suffix, &err), -1);
    assert_int_equal(err.status, 415);
    req.audio.kind = WAAV_AUDIO_MP4;
    assert_int_equal(build(&req, "k", "", &out, &suffix, &err), -1);
    assert_int_equal(err.status, 415);

    /* 10 MB a request, base64 and JSON included */
    req_init(&req, WAAV_AUDIO_WAV);
    req.audio_len = 7700000;
    assert_int_equal(build(&req, "k", "", &out, &suffix, &err), 0);
    req.audio_len = 7900000;
    assert_int_equal(build(&req, "k", "", &out, &suffix, &err), -1);
    assert_int_equal(err.status, 413);
    assert_string_equal(err.code, "PAYLOAD_TOO_LARGE");

    /* a minute */
    req_init(&req, WAAV_AUDIO_WAV);
    req.audio_seconds = 60;
    assert_int_equal(build(&req, "k", "", &out, &suffix, &err), 0);
    req.audio_seconds = 61;
    assert_int_equal(build(&req, "k", "", &out, &suffix, &err), -1);
    assert_int_equal(err.status, 413);
    assert_string_equal(err.code, WAAV_E_AUDIO_TOO_LONG);

    /* compressed: the least its bytes hold (Azure's rule too), never the
     * 128 kbit/s estimate (a FLAC would be refused for it) */
    req_init(&req, WAAV_AUDIO_FLAC);
    req.seconds = 94;
    req.audio_len = 1500000;
    assert_int_equal(waav_stt_check(google(), &req, &WAAV_ARENA, &err), 0);
    req.audio_len = 61 * WAAV_STT_MAX_BYTE_RATE;
    assert_int_equal(waav_stt_check(google(), &req, &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 413);
    assert_string_equal(err.code, WAAV_E_AUDIO_TOO_LONG);

    /* names that are not Google's */
    req_init(&req, WAAV_AUDIO_WAV);
    req.model = (waav_str_t) waav_str_lit("a\"b");
    assert_int_equal(build(&req, "k", "", &out, &suffix, &err), -1);
    assert_int_equal(err.status, 400);
    req.model.len = 0;
    req.language = (waav_str_t) waav_str_lit("en US");
    assert_int_equal(build(&req, "k", "", &out, &suffix, &err), -1);
    assert_int_equal(err.status, 400);
}


static int
answer(const char *json, waav_stt_result_t *res, waav_err_t *err)
{
    waav_stt_req_t   req;
    waav_stt_flow_t  flow;
    waav_http_req_t  next;
    waav_str_t       a = { json, strlen(json) };
    waav_secret_t    s;

    memset(&s, 0, sizeof(s));
    req_init(&req, WAAV_AUDIO_WAV);
    memset(&flow, 0, sizeof(flow));
    memset(err, 0, sizeof(waav_err_t));

    return waav_stt_next(google(), &flow, &req, &s,
                         (waav_str_t) waav_str_lit("google"), a, res, &next,
                         &WAAV_ARENA, err);
}


static void
test_answer(void **state)
{
    size_t             i;
    waav_err_t         err;
    waav_stt_result_t  res;

    static const char *const  bad[] = {
        "", "[]", "\"x\"", "{\"results\":{}}", "{\"results\":[1]}",
        "{\"results\":[[]]}",
    };

    (void) state;

    assert_int_equal(answer(
        "{\"results\":[{\"alternatives\":[{\"transcript\":\"Hello world\","
        "\"confidence\":0.9,\"words\":[{\"startTime\":\"0.100s\","
        "\"endTime\":\"0.5s\",\"word\":\"Hello\",\"confidence\":0.8},"
        "{\"startTime\":\"1.5\",\"endTime\":\"-1s\",\"word\":\"world\"},"
        "{\"startTime\":\"1s\"}]}],\"resultEndTime\":\"1.200s\","
        "\"languageCode\":\"en-us\"},"
        "{\"alternatives\":[{\"transcript\":\" from it.\",\"confidence\":0.7,"
        "\"words\":[{\"startTime\":\"1.5s\",\"endTime\":\"2.250s\","
        "\"word\":\"from\"}]},{\"transcript\":\"other\"}],"
        "\"resultEndTime\":\"2.500s\",\"languageCode\":\"en-us\"}],"
        "\"totalBilledTime\":\"3s\",\"requestId\":\"1\"}", &res, &err),
        WAAV_STT_DONE);

    assert_str(res.transcript, "Hello world from it.");
    assert_str(res.language, "en-us");
    assert_str(res.provider, "google");
    assert_str(res.model, "latest_long");
    assert_true(res.has_confidence);
    assert_true(res.confidence > 0.799 && res.confidence < 0.801);
    assert_true(res.has_duration);
    assert_true(res.duration > 2.499 && res.duration < 2.501);
    assert_true(res.has_words);
    assert_int_equal(res.nwords, 3);
    assert_str(res.words[0].word, "Hello");
    assert_true(res.words[0].has_start && res.words[0].has_end);
    assert_true(res.words[0].start > 0.099 && res.words[0].start < 0.101);
    assert_true(res.words[0].has_confidence);
    /* times not of Google's form are left out, not guessed */
    assert_str(res.words[1].word, "world");
    assert_false(res.words[1].has_start);
    assert_false(res.words[1].has_end);
    assert_false(res.words[1].has_confidence);
    assert_true(res.words[2].end > 2.249 && res.words[2].end < 2.251);

    /* silence: no results at all, an empty transcript */
    assert_int_equal(answer("{\"totalBilledTime\":\"1s\",\"requestId\":\"2\"}",
                            &res, &err), WAAV_STT_DONE);
    assert_int_equal(res.transcript.len, 0);
    assert_false(res.has_confidence);
    assert_false(res.has_words);

    /* no resultEndTime: the last word's end */
    assert_int_equal(answer(
        "{\"results\":[{\"alternatives\":[{\"transcript\":\"a\",\"words\":"
        "[{\"word\":\"a\",\"startTime\":\"0s\",\"endTime\":\"0.75s\"}]}]}]}",
        &res, &err), WAAV_STT_DONE);
    assert_true(res.has_duration);
    assert_true(res.duration > 0.749 && res.duration < 0.751);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(answer(bad[i], &res, &err), -1);
        assert_int_equal(err.status, 502);
        assert_string_equal(err.code, WAAV_E_PROVIDER_BAD_RESPONSE);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_build, waav_arena_teardown),
        cmocka_unit_test_teardown(test_byok, waav_arena_teardown),
        cmocka_unit_test_teardown(test_refused, waav_arena_teardown),
        cmocka_unit_test_teardown(test_answer, waav_arena_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
