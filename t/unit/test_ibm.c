/*
 * Unit tests for IBM Watson: the IAM exchange (its request, the OAuth2
 * answer read by waav_cred_oauth), the Basic apikey credentials, the TTS
 * request, the STT request and answer, the voice listing.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waav_cred.h"
#include "waav_registry.h"
#include "waav_stt.h"
#include "waav_tts.h"
#include "waav_voices.h"
#include "waav_arena.h"
#include "waav_assert.h"
#include "waav_header.h"


#define NOW  1700000000


static const waav_provider_type_t *
ibm(void)
{
    const waav_provider_type_t  *pt;

    pt = waav_provider_type("IBM", 3);
    assert_non_null(pt);
    assert_string_equal(pt->name, "ibm-watson");
    assert_ptr_equal(waav_provider_type("watson", 6), pt);
    assert_ptr_equal(waav_provider_type("ibm_watson", 10), pt);

    return pt;
}


static void
test_exchange(void **state)
{
    waav_err_t          err;
    waav_http_req_t     req;
    const waav_cred_t  *cred;
    waav_secret_t       s = {
        .key = waav_str_lit("a+b/c=d"), .token = { "", 0 }, .now = NOW
    };

    (void) state;

    cred = ibm()->tts->cred;
    assert_ptr_equal(cred, ibm()->stt->cred);       /* one token for both */

    assert_int_equal(cred->exchange(cred, &s, &req, &WAAV_ARENA, &err), 0);
    assert_string_equal(req.method, "POST");
    assert_str(req.path, "/identity/token");
    assert_str(req.body, "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-"
                         "type%3Aapikey&apikey=a%2Bb%2Fc%3Dd");
    assert_header_is(&req, "Content-Type", "application/x-www-form-urlencoded");
    assert_header_is(&req, "Accept", "application/json");
    assert_null(header(&req, "Authorization"));

    /* no token yet: nothing is sent with the key */
    memset(&req, 0, sizeof(req));
    assert_int_equal(waav_cred_apply(cred, &s, &req, &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 500);

    s.token = (waav_str_t) waav_str_lit("TOK");
    assert_int_equal(waav_cred_apply(cred, &s, &req, &WAAV_ARENA, &err), 0);
    assert_header_is(&req, "Authorization", "Bearer TOK");
    assert_int_equal(req.nheaders, 1);
}


/* an answer through IBM's exchanged(): 0 with the token and ttl, or -1 */
static int
exchanged(const char *body, waav_str_t *token, unsigned *ttl,
    waav_err_t *err)
{
    const waav_cred_t  *cred;
    waav_secret_t       s = {
        .key = waav_str_lit("KEY"), .token = { "", 0 }, .now = NOW
    };

    cred = ibm()->tts->cred;
    memset(err, 0, sizeof(waav_err_t));

    return cred->exchanged(cred, &s, body, strlen(body), token, ttl,
                           &WAAV_ARENA, err);
}


static void
test_exchanged(void **state)
{
    size_t       i;
    unsigned     ttl;
    waav_err_t   err;
    waav_str_t   token;

    static const char *const  bad[] = {
        "",
        "not json",
        "[]",
        "{\"token_type\":\"Bearer\",\"expires_in\":3600}",
        "{\"access_token\":\"\",\"expires_in\":3600}",
        "{\"access_token\":5,\"expires_in\":3600}",
        "{\"access_token\":\"T\",\"token_type\":\"MAC\",\"expires_in\":3600}",
        "{\"access_token\":\"T\",\"token_type\":null,\"expires_in\":3600}",
        "{\"access_token\":\"T\"}",
        "{\"access_token\":\"T\",\"expires_in\":\"3600\"}",
        "{\"access_token\":\"T\",\"expires_in\":0}",
        "{\"access_token\":\"T\",\"expires_in\":-5}",
        "{\"access_token\":\"T X\",\"expires_in\":3600}",
        "{\"access_token\":\"T\\r\\nX-Evil: 1\",\"expires_in\":3600}",
        "{\"access_token\":\"T\",\"expires_in\":3600} trailing",
        "{\"access_token\":\"T\\u0000\",\"expires_in\":3600}",
    };

    (void) state;

    assert_int_equal(exchanged("{\"access_token\":\"eyJ.a-b_c.d\","
                               "\"refresh_token\":\"not_supported\","
                               "\"token_type\":\"Bearer\","
                               "\"expires_in\":3600,"
                               "\"expiration\":1700003600}",
                               &token, &ttl, &err), 0);
    assert_str(token, "eyJ.a-b_c.d");
    assert_int_equal(ttl, 3600);

    /* at most an hour; the type in any case, or none */
    assert_int_equal(exchanged("{\"access_token\":\"T\",\"token_type\":"
                               "\"bearer\",\"expires_in\":86400}",
                               &token, &ttl, &err), 0);
    assert_int_equal(ttl, 3600);
    assert_int_equal(exchanged("{\"access_token\":\"T\",\"expires_in\":2.9}",
                               &token, &ttl, &err), 0);
    assert_int_equal(ttl, 2);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(exchanged(bad[i], &token, &ttl, &err), -1);
        assert_int_equal(err.status, 502);
        assert_string_equal(err.code, WAAV_E_PROVIDER_AUTH_FAILED);
    }
}


static void
test_basic(void **state)
{
    waav_err_t          err;
    waav_http_req_t     req;
    const waav_cred_t  *cred;
    waav_secret_t       s = {
        .key = waav_str_lit("KEY123"), .token = { "", 0 }, .now = NOW
    };

    (void) state;

    /* a client's own key, and the voice listing: no exchange */
    cred = ibm()->tts->byok_cred;
    assert_non_null(cred);
    assert_null(cred->exchange);
    assert_ptr_equal(ibm()->tts->voices->cred, cred);

    memset(&req, 0, sizeof(req));
    assert_int_equal(waav_cred_apply(cred, &s, &req, &WAAV_ARENA, &err), 0);
    assert_int_equal(req.nheaders, 1);
    /* base64("apikey:KEY123") */
    assert_header_is(&req, "Authorization", "Basic YXBpa2V5OktFWTEyMw==");
}


/* a WaaV body through IBM's TTS adapter with a token */
static int
tts(const char *json, waav_tts_out_t *out, waav_err_t *err)
{
    waav_tts_req_t  req;
    waav_secret_t   s = {
        .key = waav_str_lit("KEY"), .token = waav_str_lit("TOK"), .now = NOW
    };

    memset(err, 0, sizeof(waav_err_t));
    assert_int_equal(waav_tts_parse(&req, WAAV_TTS_SHAPE_WAAV, json,
                                    strlen(json), &WAAV_ARENA, err), 0);

    return waav_tts_build(ibm()->tts, &req, &s, out, &WAAV_ARENA, err);
}


static void
test_tts(void **state)
{
    size_t          i;
    waav_err_t      err;
    waav_tts_req_t  req;
    waav_tts_out_t  out;
    char           *big;
    waav_secret_t   s = {
        .key = waav_str_lit("KEY"), .token = waav_str_lit("TOK"), .now = NOW
    };

    static const struct {
        const char  *cfg;
        const char  *accept;
        unsigned     rate;
        const char  *args;
    } cases[] = {
        { "", "audio/l16;rate=22050;endianness=little-endian", 22050,
          "voice=en-US_AllisonV3Voice" },
        { ",\"audio_format\":\"wav\",\"sample_rate\":16000",
          "audio/wav;rate=16000", 16000, "voice=en-US_AllisonV3Voice" },
        { ",\"audio_format\":\"opus\",\"sample_rate\":44100",
          "audio/ogg;codecs=opus;rate=48000", 48000,
          "voice=en-US_AllisonV3Voice" },
        { ",\"audio_format\":\"alaw\"", "audio/alaw;rate=8000", 8000,
          "voice=en-US_AllisonV3Voice" },
        { ",\"audio_format\":\"flac\",\"voice_id\":\"de-DE_DieterV3Voice\"",
          "audio/flac;rate=22050", 22050, "voice=de-DE_DieterV3Voice" },
        { ",\"speaking_rate\":0.75", "audio/l16;rate=22050;endianness="
          "little-endian", 22050,
          "voice=en-US_AllisonV3Voice&rate_percentage=-25" },
        { ",\"speaking_rate\":3", "audio/l16;rate=22050;endianness="
          "little-endian", 22050,
          "voice=en-US_AllisonV3Voice&rate_percentage=100" },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char  json[256];

        snprintf(json, sizeof(json), "{\"text\":\"Hi \\\"you\\\"\","
                 "\"tts_config\":{\"provider\":\"ibm-watson\"%s}}",
                 cases[i].cfg);
        memset(&out, 0, sizeof(out));
        assert_int_equal(tts(json, &out, &err), 0);
        assert_str(out.http.path, "/v1/synthesize");
        assert_str(out.http.args, cases[i].args);
        assert_header_is(&out.http, "Accept", cases[i].accept);
        assert_header_is(&out.http, "Content-Type", "application/json");
        assert_header_is(&out.http, "Authorization", "Bearer TOK");
        assert_str(out.http.body, "{\"text\":\"Hi \\\"you\\\"\"}");
        assert_int_equal(out.sample_rate, cases[i].rate);
    }

    /* refused before the call */
    memset(&out, 0, sizeof(out));
    assert_int_equal(tts("{\"text\":\"Hi\",\"tts_config\":{\"provider\":"
                         "\"ibm-watson\",\"audio_format\":\"aac\"}}",
                         &out, &err), -1);
    assert_int_equal(err.status, 400);

    /* a voice that is no name (the parser refuses it first; the adapter
     * too, whoever calls it) */
    memset(&out, 0, sizeof(out));
    big = "{\"text\":\"Hi\",\"tts_config\":{\"provider\":\"ibm\"}}";
    assert_int_equal(waav_tts_parse(&req, WAAV_TTS_SHAPE_WAAV, big,
                                    strlen(big), &WAAV_ARENA, &err), 0);
    req.voice = (waav_str_t) waav_str_lit("en US/../x");
    assert_int_equal(waav_tts_build(ibm()->tts, &req, &s, &out, &WAAV_ARENA,
                                    &err), -1);
    assert_int_equal(err.status, 400);

    big = test_malloc(5200 + 128);
    strcpy(big, "{\"text\":\"");
    memset(big + 9, 'a', 5200);
    strcpy(big + 9 + 5200, "\",\"tts_config\":{\"provider\":\"ibm\"}}");
    memset(&out, 0, sizeof(out));
    assert_int_equal(tts(big, &out, &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, WAAV_E_TEXT_TOO_LONG);
    test_free(big);
}


static int
stt_build(waav_stt_req_t *req, waav_http_req_t *out, waav_err_t *err)
{
    waav_str_t     suffix;
    waav_secret_t  s = {
        .key = waav_str_lit("KEY"), .token = waav_str_lit("TOK"), .now = NOW
    };

    memset(err, 0, sizeof(waav_err_t));

    return waav_stt_build(ibm()->stt, req, &s, out, &suffix, &WAAV_ARENA,
                          err);
}


static void
test_stt_build(void **state)
{
    waav_err_t       err;
    waav_stt_req_t   req;
    waav_http_req_t  out;

    (void) state;

    assert_true(ibm()->stt->stream_host);

    memset(&req, 0, sizeof(req));
    req.punctuate = -1;
    req.diarize = -1;
    req.audio.kind = WAAV_AUDIO_WAV;
    req.audio.media_type = "audio/wav";

    assert_int_equal(stt_build(&req, &out, &err), 0);
    assert_string_equal(out.method, "POST");
    assert_str(out.path, "/v1/recognize");
    assert_str(out.args, "model=en-US_Multimedia&timestamps=true"
                         "&word_confidence=true");
    assert_header_is(&out, "Content-Type", "audio/wav");
    assert_header_is(&out, "Authorization", "Bearer TOK");

    /* a language: its model; headerless PCM: L16 said in full */
    req.language = (waav_str_t) waav_str_lit("fr-FR");
    req.model = (waav_str_t) waav_str_lit("en-US_Multimedia");
    req.punctuate = 0;
    req.audio.kind = WAAV_AUDIO_PCM;
    req.audio.rate = 8000;
    req.audio.channels = 2;
    assert_int_equal(stt_build(&req, &out, &err), 0);
    assert_str(out.args, "model=fr-FR_Multimedia&timestamps=true"
                         "&word_confidence=true&smart_formatting=false");
    assert_header_is(&out, "Content-Type", "audio/l16;rate=8000;channels=2;"
                                        "endianness=little-endian");

    /* a model of the client's own */
    req.model = (waav_str_t) waav_str_lit("en-US_Telephony");
    assert_int_equal(stt_build(&req, &out, &err), 0);
    assert_memory_equal(out.args.data, "model=en-US_Telephony&", 22);

    req.model = (waav_str_t) waav_str_lit("a b");
    assert_int_equal(stt_build(&req, &out, &err), -1);
    assert_int_equal(err.status, 400);

    /* what IBM takes no such audio of */
    req.model.len = 0;
    req.audio.kind = WAAV_AUDIO_MP4;
    assert_int_equal(stt_build(&req, &out, &err), -1);
    assert_int_equal(err.status, 415);
}


static int
stt_answer(const char *json, waav_stt_result_t *res, waav_err_t *err)
{
    waav_stt_req_t   req;
    waav_stt_flow_t  flow;
    waav_http_req_t  next;
    waav_str_t       answer = { json, strlen(json) };
    waav_secret_t    s = {
        .key = waav_str_lit("KEY"), .token = waav_str_lit("TOK"), .now = NOW
    };

    memset(&req, 0, sizeof(req));
    memset(&flow, 0, sizeof(flow));
    memset(err, 0, sizeof(waav_err_t));

    return waav_stt_next(ibm()->stt, &flow, &req, &s,
                         (waav_str_t) waav_str_lit("ibm-watson"), answer,
                         res, &next, &WAAV_ARENA, err);
}


static void
test_stt_answer(void **state)
{
    size_t             i;
    waav_err_t         err;
    waav_stt_result_t  res;

    static const char *const  bad[] = {
        "", "[]", "{}", "{\"results\":{}}",
        "{\"results\":[{\"alternatives\":[]}]}",
        "{\"results\":[{\"alternatives\":[{\"transcript\":5}]}]}",
        "{\"results\":[1]}",
    };

    (void) state;

    assert_int_equal(stt_answer(
        "{\"result_index\":0,\"results\":["
        "{\"final\":true,\"alternatives\":[{\"transcript\":\"hello world \","
        "\"confidence\":0.9,\"timestamps\":[[\"hello\",0.0,0.5],"
        "[\"world\",0.5,1.0]],\"word_confidence\":[[\"hello\",0.95],"
        "[\"other\",0.5]]}]},"
        "{\"final\":true,\"alternatives\":[{\"transcript\":\" from it \","
        "\"confidence\":0.7,\"timestamps\":[[\"from\",1.0,1.25],"
        "[\"bad\"],[\"it\",1.25,2.5]]}]}]}", &res, &err), WAAV_STT_DONE);

    assert_str(res.transcript, "hello world from it");
    assert_true(res.has_confidence);
    assert_true(res.confidence > 0.799 && res.confidence < 0.801);
    assert_true(res.has_words);
    assert_int_equal(res.nwords, 4);
    assert_str(res.words[0].word, "hello");
    assert_true(res.words[0].has_confidence);
    assert_true(res.words[0].confidence == 0.95);
    /* word_confidence naming another word is not this word's */
    assert_false(res.words[1].has_confidence);
    assert_str(res.words[3].word, "it");
    assert_true(res.words[3].end == 2.5);
    assert_true(res.has_duration);
    assert_true(res.duration == 2.5);

    /* no speech: an empty transcript */
    assert_int_equal(stt_answer("{\"result_index\":0,\"results\":[]}", &res,
                                &err), WAAV_STT_DONE);
    assert_int_equal(res.transcript.len, 0);
    assert_false(res.has_confidence);
    assert_false(res.has_duration);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(stt_answer(bad[i], &res, &err), -1);
        assert_int_equal(err.status, 502);
    }
}


static void
test_voices(void **state)
{
    waav_err_t                    err;
    waav_http_req_t               req;
    waav_voice_list_t             l;
    const waav_voices_adapter_t  *va;

    static const char  body[] =
        "{\"voices\":["
        "{\"name\":\"en-US_AllisonV3Voice\",\"language\":\"en-US\","
        "\"gender\":\"female\",\"description\":\"Allison: American English "
        "female voice.\",\"customizable\":true},"
        "{\"name\":\"de-DE_DieterV3Voice\",\"language\":\"de-DE\","
        "\"gender\":\"male\"},"
        "{\"name\":\"\"},{\"language\":\"en-GB\"},"
        "{\"name\":\"ja-JP_EmiVoice\",\"gender\":5}]}";

    (void) state;

    va = ibm()->tts->voices;
    memset(&req, 0, sizeof(req));
    assert_int_equal(waav_voices_request(va, &req, &WAAV_ARENA, &err), 0);
    assert_string_equal(req.method, "GET");
    assert_str(req.path, "/v1/voices");

    assert_int_equal(waav_voices_parse(va, body, sizeof(body) - 1, &l, &WAAV_ARENA,
                               &err), 0);
    assert_int_equal(l.n, 3);
    assert_str(l.v[0].id, "en-US_AllisonV3Voice");
    assert_str(l.v[0].name, "Allison");
    assert_str(l.v[0].gender, "Female");
    assert_str(l.v[0].language, "English");
    assert_str(l.v[0].accent, "American");
    assert_str(l.v[1].name, "Dieter");
    assert_str(l.v[1].gender, "Male");
    assert_str(l.v[1].language, "German");
    assert_str(l.v[2].name, "Emi");
    assert_str(l.v[2].gender, "Unknown");

    assert_int_equal(waav_voices_parse(va, "{\"voices\":5}", 12, &l, &WAAV_ARENA, &err),
                     -1);
    assert_int_equal(err.status, 502);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_exchange, waav_arena_teardown),
        cmocka_unit_test_teardown(test_exchanged, waav_arena_teardown),
        cmocka_unit_test_teardown(test_basic, waav_arena_teardown),
        cmocka_unit_test_teardown(test_tts, waav_arena_teardown),
        cmocka_unit_test_teardown(test_stt_build, waav_arena_teardown),
        cmocka_unit_test_teardown(test_stt_answer, waav_arena_teardown),
        cmocka_unit_test_teardown(test_voices, waav_arena_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
