/*
 * Unit tests for Azure speech to text (the REST API for short audio): the
 * request (path, query, Content-Type, the token, L16 as a WAV), what is
 * refused before a call (types, rates, models, over 60 s: waav_stt_fits,
 * waav_stt_check), and the answer normalized (detailed and simple, the
 * statuses).
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
#include "waav_assert.h"
#include "waav_header.h"


static const waav_stt_adapter_t *
azure(void)
{
    const waav_provider_type_t  *pt;

    pt = waav_provider_type("Microsoft-Azure", 15);
    assert_non_null(pt);
    assert_string_equal(pt->name, "azure");
    assert_non_null(pt->stt);
    assert_non_null(pt->stream_url);
    assert_true(pt->stt->stream_host);

    /* one token for both services: the TTS adapter's exchange */
    assert_ptr_equal(pt->stt->cred, pt->tts->cred);

    return pt->stt;
}


static void
req_init(waav_stt_req_t *req)
{
    memset(req, 0, sizeof(waav_stt_req_t));
    req->punctuate = -1;
    req->diarize = -1;
    req->audio.kind = WAAV_AUDIO_WAV;
    req->audio.media_type = "audio/wav";
    req->audio_len = 64044;
    req->seconds = 2;
    /* its fmt chunk: what Azure takes */
    req->audio.wav_format = 1;
    req->audio.wav_rate = 16000;
    req->audio.wav_channels = 1;
    req->audio.wav_bits = 16;
}


static int
build(waav_stt_req_t *req, waav_http_req_t *out, waav_err_t *err)
{
    waav_str_t     suffix;
    waav_secret_t  s = {
        .key = waav_str_lit("KEY"), .token = waav_str_lit("TOK"), .now = 1
    };

    memset(err, 0, sizeof(waav_err_t));

    return waav_stt_build(azure(), req, &s, out, &suffix, &WAAV_ARENA, err);
}


static void
test_build(void **state)
{
    waav_err_t       err;
    waav_stt_req_t   req;
    waav_http_req_t  out;
    unsigned char    h[WAAV_AUDIO_WAV_HEADER];

    (void) state;

    req_init(&req);

    assert_int_equal(build(&req, &out, &err), 0);
    assert_string_equal(out.method, "POST");
    assert_str(out.path,
               "/speech/recognition/conversation/cognitiveservices/v1");
    assert_str(out.args, "language=en-US&format=detailed&profanity=masked"
                         "&wordLevelTimestamps=true");
    assert_header_is(&out, "Content-Type",
                     "audio/wav; codecs=audio/pcm; samplerate=16000");
    assert_header_is(&out, "Accept", "application/json");
    assert_header_is(&out, "Authorization", "Bearer TOK");
    assert_null(header(&out, "Ocp-Apim-Subscription-Key"));
    assert_int_equal(out.body.len, 0);

    /* a locale as it is, a bare language its usual one; the model that
     * names the recognition mode */
    req.language = (waav_str_t) waav_str_lit("de-CH");
    req.model = (waav_str_t) waav_str_lit("conversation");
    assert_int_equal(build(&req, &out, &err), 0);
    assert_memory_equal(out.args.data, "language=de-CH&", 15);

    req.language = (waav_str_t) waav_str_lit("JA");
    assert_int_equal(build(&req, &out, &err), 0);
    assert_memory_equal(out.args.data, "language=ja-JP&", 15);

    req.language = (waav_str_t) waav_str_lit("xx");
    assert_int_equal(build(&req, &out, &err), 0);
    assert_memory_equal(out.args.data, "language=xx&", 12);

    /* Ogg is Opus, as Azure names it */
    req.audio.kind = WAAV_AUDIO_OGG;
    assert_int_equal(build(&req, &out, &err), 0);
    assert_header_is(&out, "Content-Type", "audio/ogg; codecs=opus");

    /* headerless 16 kHz mono PCM: a WAV header goes first */
    req.audio.kind = WAAV_AUDIO_PCM;
    req.audio.rate = 16000;
    req.audio.channels = 1;
    req.audio_len = 32000;
    assert_int_equal(build(&req, &out, &err), 0);
    assert_header_is(&out, "Content-Type",
                     "audio/wav; codecs=audio/pcm; samplerate=16000");
    waav_audio_wav_header(h, &req.audio, 32000);
    assert_int_equal(out.body.len, WAAV_AUDIO_WAV_HEADER);
    assert_memory_equal(out.body.data, h, WAAV_AUDIO_WAV_HEADER);
    assert_memory_equal(out.body.data, "RIFF", 4);
}


static void
test_refused(void **state)
{
    waav_err_t       err;
    waav_stt_req_t   req;
    waav_http_req_t  out;

    (void) state;

    req_init(&req);
    req.audio.kind = WAAV_AUDIO_MP3;
    assert_int_equal(build(&req, &out, &err), -1);
    assert_int_equal(err.status, 415);
    assert_string_equal(err.code, "UNSUPPORTED_MEDIA_TYPE");

    /* the same before any credentials: the glue asks before an exchange */
    memset(&err, 0, sizeof(err));
    assert_int_equal(waav_stt_check(azure(), &req, &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 415);
    req.audio.kind = WAAV_AUDIO_WAV;
    assert_int_equal(waav_stt_check(azure(), &req, &WAAV_ARENA, &err), 0);
    req.audio_len = 61 * WAAV_STT_MAX_BYTE_RATE;
    assert_int_equal(waav_stt_check(azure(), &req, &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 413);
    req.audio_len = 2 * WAAV_STT_MAX_BYTE_RATE;
    req.audio.kind = WAAV_AUDIO_MP3;

    req.audio.kind = WAAV_AUDIO_PCM;
    req.audio.rate = 8000;
    req.audio.channels = 1;
    assert_int_equal(build(&req, &out, &err), -1);
    assert_int_equal(err.status, 400);

    req.audio.rate = 16000;
    req.audio.channels = 2;
    assert_int_equal(build(&req, &out, &err), -1);
    assert_int_equal(err.status, 400);

    req_init(&req);
    req.model = (waav_str_t) waav_str_lit("whisper-1");
    assert_int_equal(build(&req, &out, &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "INVALID_MODEL");

    req_init(&req);
    req.language = (waav_str_t) waav_str_lit("en US");
    assert_int_equal(build(&req, &out, &err), -1);
    assert_int_equal(err.status, 400);

    /* 60 s at most, before anything else: without a duration, the least
     * the bytes hold (a 128 kbit/s estimate, req.seconds, is not used) */
    req_init(&req);
    req.seconds = 500;
    req.audio_len = 61 * WAAV_STT_MAX_BYTE_RATE - 1;
    assert_int_equal(waav_stt_fits(azure(), &req, &err), 0);
    assert_int_equal(build(&req, &out, &err), 0);

    req.audio_len = 61 * WAAV_STT_MAX_BYTE_RATE;
    assert_int_equal(waav_stt_fits(azure(), &req, &err), -1);
    assert_int_equal(build(&req, &out, &err), -1);
    assert_int_equal(err.status, 413);
    assert_string_equal(err.code, "AUDIO_TOO_LONG");
    assert_string_equal(err.message, "azure transcribes at most 60 s of "
                                     "audio a request (its REST API); this "
                                     "audio is at least 61 s");

    /* the exact seconds, where the format has them, over the estimate */
    req.audio_seconds = 60;
    assert_int_equal(waav_stt_fits(azure(), &req, &err), 0);
    req.audio_seconds = 61;
    req.seconds = 2;
    assert_int_equal(waav_stt_fits(azure(), &req, &err), -1);
    assert_string_equal(err.message, "azure transcribes at most 60 s of "
                                     "audio a request (its REST API); this "
                                     "audio is 61 s");
    req.audio_seconds = 0;

    /* a WAV that is not 16 kHz mono 16-bit PCM: 400 before any call */
    req_init(&req);
    req.audio.wav_rate = 44100;
    req.audio.wav_channels = 2;
    assert_int_equal(waav_stt_check(azure(), &req, &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "UNSUPPORTED_OPTION");
    assert_non_null(strstr(err.message, "16-bit PCM, 16 kHz, mono only "
                                        "(this WAV: PCM, 16-bit, 44100 Hz, "
                                        "2 channels)"));
    req_init(&req);
    req.audio.wav_format = 3;
    assert_int_equal(waav_stt_check(azure(), &req, &WAAV_ARENA, &err), -1);
    assert_non_null(strstr(err.message, "not PCM, 16-bit"));
    req_init(&req);
    req.audio.wav_rate = 0;
    assert_int_equal(waav_stt_check(azure(), &req, &WAAV_ARENA, &err), -1);
    assert_non_null(strstr(err.message, "fmt chunk is not in its first"));
    req_init(&req);
    req.seconds = 61;

    /* other adapters: no bound of their own */
    req.seconds = 86400;
    assert_int_equal(waav_stt_fits(waav_stt_adapter("deepgram", 8), &req,
                                   &err), 0);
}


static int
answer(const char *json, int punctuate, waav_stt_result_t *res,
    waav_err_t *err)
{
    waav_stt_req_t   req;
    waav_stt_flow_t  flow;
    waav_http_req_t  next;
    waav_str_t       a = { json, strlen(json) };
    waav_secret_t    s = {
        .key = waav_str_lit("KEY"), .token = waav_str_lit("TOK"), .now = 1
    };

    req_init(&req);
    req.punctuate = punctuate;
    req.language = (waav_str_t) waav_str_lit("fr");
    memset(&flow, 0, sizeof(flow));
    memset(err, 0, sizeof(waav_err_t));

    return waav_stt_next(azure(), &flow, &req, &s,
                         (waav_str_t) waav_str_lit("azure"), a, res, &next,
                         &WAAV_ARENA, err);
}


#define DETAILED                                                             \
    "{\"RecognitionStatus\":\"Success\",\"Offset\":5000000,"                 \
    "\"Duration\":15000000,\"NBest\":[{\"Confidence\":0.93,"                 \
    "\"Lexical\":\"hello world\",\"ITN\":\"hello world\","                   \
    "\"MaskedITN\":\"hello world\",\"Display\":\"Hello world.\","            \
    "\"Words\":[{\"Word\":\"hello\",\"Offset\":5000000,"                     \
    "\"Duration\":4000000,\"Confidence\":0.9},{\"Word\":5},"                 \
    "{\"Word\":\"world\",\"Offset\":10000000,\"Duration\":\"x\"}]},"         \
    "{\"Confidence\":0.5,\"Display\":\"Yellow world.\"}]}"


static void
test_answer(void **state)
{
    size_t             i;
    waav_err_t         err;
    waav_stt_result_t  res;

    static const char *const  quiet[] = {
        "{\"RecognitionStatus\":\"NoMatch\",\"Offset\":0,"
        "\"Duration\":20000000}",
        "{\"RecognitionStatus\":\"InitialSilenceTimeout\",\"Offset\":0,"
        "\"Duration\":20000000}",
        "{\"RecognitionStatus\":\"BabbleTimeout\",\"Offset\":0,"
        "\"Duration\":20000000}",
    };

    static const char *const  bad[] = {
        "", "[]", "{}", "{\"RecognitionStatus\":5}",
        "{\"RecognitionStatus\":\"Unknown\"}",
        "{\"RecognitionStatus\":\"Success\"}",
        "{\"RecognitionStatus\":\"Success\",\"NBest\":[{\"Display\":1}]}",
        "{\"RecognitionStatus\":\"Success\",\"DisplayText\":null}",
    };

    (void) state;

    assert_int_equal(answer(DETAILED, -1, &res, &err), WAAV_STT_DONE);
    assert_str(res.transcript, "Hello world.");
    assert_str(res.provider, "azure");
    assert_str(res.model, "conversation");
    assert_str(res.language, "fr-FR");
    assert_true(res.has_confidence);
    assert_true(res.confidence == 0.93);
    assert_true(res.has_duration);
    assert_true(res.duration > 1.999999 && res.duration < 2.000001);
    assert_true(res.has_words);
    assert_int_equal(res.nwords, 2);
    assert_str(res.words[0].word, "hello");
    assert_true(res.words[0].has_start && res.words[0].has_end);
    assert_true(res.words[0].start > 0.499999 && res.words[0].start < 0.5001);
    assert_true(res.words[0].end > 0.899999 && res.words[0].end < 0.900001);
    assert_true(res.words[0].has_confidence);
    assert_str(res.words[1].word, "world");
    assert_true(res.words[1].has_start);
    assert_false(res.words[1].has_end);        /* its Duration no number */
    assert_false(res.words[1].has_confidence);

    /* punctuate=false: the Lexical form */
    assert_int_equal(answer(DETAILED, 0, &res, &err), WAAV_STT_DONE);
    assert_str(res.transcript, "hello world");

    /* format=simple's shape */
    assert_int_equal(answer("{\"RecognitionStatus\":\"Success\","
                            "\"DisplayText\":\"Hi.\",\"Offset\":-1}", -1,
                            &res, &err), WAAV_STT_DONE);
    assert_str(res.transcript, "Hi.");
    assert_false(res.has_confidence);
    assert_false(res.has_words);
    assert_false(res.has_duration);

    /* no speech: an empty transcript, no words, where Azure listened to */
    for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
        assert_int_equal(answer(quiet[i], -1, &res, &err), WAAV_STT_DONE);
        assert_non_null(res.transcript.data);
        assert_int_equal(res.transcript.len, 0);
        assert_false(res.has_words);
        assert_false(res.has_confidence);
        assert_true(res.has_duration);
        assert_true(res.duration == 2.0);
    }

    assert_int_equal(answer("{\"RecognitionStatus\":\"Error\"}", -1, &res,
                            &err), -1);
    assert_int_equal(err.status, 502);
    assert_string_equal(err.code, "PROVIDER_ERROR");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(answer(bad[i], -1, &res, &err), -1);
        assert_int_equal(err.status, 502);
        assert_string_equal(err.code, "PROVIDER_BAD_RESPONSE");
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_build, waav_arena_teardown),
        cmocka_unit_test_teardown(test_refused, waav_arena_teardown),
        cmocka_unit_test_teardown(test_answer, waav_arena_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
