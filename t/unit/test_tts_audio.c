/*
 * Unit tests for the audio options every TTS adapter honours (README
 * "Audio options", waav-compat.md §4.3 and §2.3): the request each builds
 * for a format and sample rate, the rate it reports (x-sample-rate), the
 * speaking rate it clamps and reports (x-speaking-rate), and what it
 * still refuses (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "waav_errmsg.h"
#include "waav_tts.h"
#include "waav_arena.h"


#define CA_VOICE  "\"voice_id\":\"a0e99841-438c-4a64-b679-ae501e7d6091\","
#define CA_MP3    CA_VOICE "\"audio_format\":\"mp3\","
#define CA_WAV    CA_VOICE "\"audio_format\":\"wav\","
#define CA_PCM    CA_VOICE "\"audio_format\":\"pcm\","

typedef struct {
    const char  *provider;
    const char  *opts;          /* tts_config members, each with a comma */
    const char  *args;          /* the query, exactly; NULL: not checked */
    const char  *has;           /* in the body; NULL: not checked */
    const char  *lacks;         /* not in the body; NULL: not checked */
    unsigned     rate;          /* x-sample-rate */
    double       speed;         /* x-speaking-rate; 0: none */
} audio_case_t;

typedef struct {
    const char  *provider;
    const char  *opts;
    const char  *message;       /* exactly, or NULL: any 400 */
} audio_refused_t;


static int
audio_build(const char *provider, const char *opts, waav_tts_out_t *out,
    waav_err_t *err)
{
    char                       json[512];
    waav_tts_req_t             req;
    const waav_tts_adapter_t  *ad;
    waav_secret_t              key = {
        .key = waav_str_lit("K"), .token = { "", 0 }, .now = 0
    };

    snprintf(json, sizeof(json), "{\"text\":\"x\",\"tts_config\":{%s"
             "\"provider\":\"%s\"}}", opts, provider);

    ad = waav_tts_adapter(provider, strlen(provider));
    assert_non_null(ad);

    memset(err, 0, sizeof(waav_err_t));

    if (waav_tts_parse(&req, WAAV_TTS_SHAPE_WAAV, json, strlen(json),
                       &WAAV_ARENA, err)
        != 0)
    {
        fail_msg("%s: parse failed: %s", json, err->message);
    }

    return waav_tts_build(ad, &req, &key, out, &WAAV_ARENA, err);
}


static void
audio_check(const audio_case_t *c, size_t n)
{
    size_t          i;
    waav_err_t      err;
    waav_tts_out_t  out;

    for (i = 0; i < n; i++, c++) {
        if (audio_build(c->provider, c->opts, &out, &err) != 0) {
            fail_msg("%s {%s}: %d %s", c->provider, c->opts, err.status,
                     err.message);
        }

        if (c->args && (out.http.args.len != strlen(c->args)
                        || (out.http.args.len
                            && memcmp(out.http.args.data, c->args,
                                      out.http.args.len) != 0)))
        {
            fail_msg("%s {%s}: query \"%.*s\", not \"%s\"", c->provider,
                     c->opts, (int) out.http.args.len, out.http.args.data,
                     c->args);
        }

        if (c->has && strstr(out.http.body.data, c->has) == NULL) {
            fail_msg("%s {%s}: body %s lacks %s", c->provider, c->opts,
                     out.http.body.data, c->has);
        }

        if (c->lacks && strstr(out.http.body.data, c->lacks) != NULL) {
            fail_msg("%s {%s}: body %s has %s", c->provider, c->opts,
                     out.http.body.data, c->lacks);
        }

        if (out.sample_rate != c->rate) {
            fail_msg("%s {%s}: x-sample-rate %u, not %u", c->provider,
                     c->opts, out.sample_rate, c->rate);
        }

        if (out.speaking_rate < c->speed - 1e-9
            || out.speaking_rate > c->speed + 1e-9)
        {
            fail_msg("%s {%s}: x-speaking-rate %g, not %g", c->provider,
                     c->opts, out.speaking_rate, c->speed);
        }
    }
}


static void
audio_refused(const audio_refused_t *c, size_t n)
{
    size_t          i;
    waav_err_t      err;
    waav_tts_out_t  out;

    for (i = 0; i < n; i++, c++) {
        if (audio_build(c->provider, c->opts, &out, &err) == 0) {
            fail_msg("%s {%s}: built", c->provider, c->opts);
        }

        assert_int_equal(err.status, 400);

        if (c->message && strcmp(err.message, c->message) != 0) {
            fail_msg("%s {%s}: \"%s\"", c->provider, c->opts, err.message);
        }
    }
}


#define nelts(a)  (sizeof(a) / sizeof((a)[0]))


/* the nearest rate: least difference, the higher of two as near */
static void
test_rate_nearest(void **state)
{
    static const unsigned  el[] = { 22050, 24000, 44100, 0 };
    static const unsigned  two[] = { 16000, 32000, 0 };
    static const unsigned  one[] = { 48000, 0 };

    (void) state;

    assert_int_equal(waav_rate_nearest(16000, el), 22050);
    assert_int_equal(waav_rate_nearest(8000, el), 22050);
    assert_int_equal(waav_rate_nearest(23000, el), 22050);
    assert_int_equal(waav_rate_nearest(23100, el), 24000);
    assert_int_equal(waav_rate_nearest(32000, el), 24000);
    assert_int_equal(waav_rate_nearest(48000, el), 44100);
    assert_int_equal(waav_rate_nearest(24000, el), 24000);
    assert_int_equal(waav_rate_nearest(24000, two), 32000);    /* a tie */
    assert_int_equal(waav_rate_nearest(8000, one), 48000);
    assert_int_equal(waav_rate_nearest(0xffffffffu, el), 44100);
}


static void
test_deepgram_audio(void **state)
{
    static const audio_case_t  c[] = {
        /* the SDKs' default */
        { "deepgram", "\"audio_format\":\"linear16\",\"sample_rate\":24000,",
          "model=aura-asteria-en&encoding=linear16&container=none"
          "&sample_rate=24000", NULL, NULL, 24000, 0 },
        /* mp3 and aac are 22050, opus 48000: the rate is dropped */
        { "deepgram", "\"audio_format\":\"mp3\",\"sample_rate\":24000,",
          "model=aura-asteria-en&encoding=mp3", NULL, NULL, 22050, 0 },
        { "deepgram", "\"audio_format\":\"mp3\",",
          "model=aura-asteria-en&encoding=mp3", NULL, NULL, 22050, 0 },
        { "deepgram", "\"audio_format\":\"mp3\",\"sample_rate\":44100,",
          "model=aura-asteria-en&encoding=mp3", NULL, NULL, 22050, 0 },
        { "deepgram", "\"audio_format\":\"aac\",\"sample_rate\":24000,",
          "model=aura-asteria-en&encoding=aac", NULL, NULL, 22050, 0 },
        { "deepgram", "\"audio_format\":\"opus\",\"sample_rate\":24000,",
          "model=aura-asteria-en&encoding=opus&container=ogg", NULL, NULL,
          48000, 0 },
        { "deepgram", "\"audio_format\":\"ogg\",\"sample_rate\":16000,",
          "model=aura-asteria-en&encoding=opus&container=ogg", NULL, NULL,
          48000, 0 },
        /* wav and flac: the nearest */
        { "deepgram", "\"audio_format\":\"wav\",\"sample_rate\":22050,",
          "model=aura-asteria-en&encoding=linear16&container=wav"
          "&sample_rate=24000", NULL, NULL, 24000, 0 },
        { "deepgram", "\"audio_format\":\"wav\",\"sample_rate\":44100,",
          "model=aura-asteria-en&encoding=linear16&container=wav"
          "&sample_rate=48000", NULL, NULL, 48000, 0 },
        { "deepgram", "\"audio_format\":\"flac\",\"sample_rate\":24000,",
          "model=aura-asteria-en&encoding=flac&sample_rate=22050", NULL,
          NULL, 22050, 0 },
        { "deepgram", "\"audio_format\":\"flac\",",
          "model=aura-asteria-en&encoding=flac&sample_rate=48000", NULL,
          NULL, 48000, 0 },
        /* raw at its exact rates */
        { "deepgram", "\"audio_format\":\"pcm\",\"sample_rate\":16000,",
          "model=aura-asteria-en&encoding=linear16&container=none"
          "&sample_rate=16000", NULL, NULL, 16000, 0 },
        { "deepgram", "\"audio_format\":\"alaw\",\"sample_rate\":16000,",
          "model=aura-asteria-en&encoding=alaw&container=none"
          "&sample_rate=16000", NULL, NULL, 16000, 0 },
        /* speed: clamped to 0.7-1.5, never sent at 1 */
        { "deepgram", "\"speaking_rate\":2.0,",
          "model=aura-asteria-en&encoding=linear16&container=none"
          "&sample_rate=24000&speed=1.5", NULL, NULL, 24000, 1.5 },
        { "deepgram", "\"speaking_rate\":0.25,",
          "model=aura-asteria-en&encoding=linear16&container=none"
          "&sample_rate=24000&speed=0.7", NULL, NULL, 24000, 0.7 },
        { "deepgram", "\"speaking_rate\":1.2,",
          "model=aura-asteria-en&encoding=linear16&container=none"
          "&sample_rate=24000&speed=1.2", NULL, NULL, 24000, 1.2 },
        { "deepgram", "\"speaking_rate\":1.0,",
          "model=aura-asteria-en&encoding=linear16&container=none"
          "&sample_rate=24000", NULL, NULL, 24000, 1.0 },
    };

    static const audio_refused_t  r[] = {
        { "deepgram", "\"sample_rate\":22050,",
          "deepgram does not support sample_rate 22050 for linear16 "
          "(it can do 8000, 16000, 24000, 32000, 48000)" },
        { "deepgram", "\"audio_format\":\"pcm\",\"sample_rate\":44100,",
          NULL },
        { "deepgram", "\"audio_format\":\"ulaw\",\"sample_rate\":24000,",
          "deepgram does not support sample_rate 24000 for mulaw "
          "(it can do 8000, 16000)" },
        { "deepgram", "\"audio_format\":\"alaw\",\"sample_rate\":48000,",
          NULL },
    };

    (void) state;

    audio_check(c, nelts(c));
    audio_refused(r, nelts(r));
}


static void
test_elevenlabs_audio(void **state)
{
    static const audio_case_t  c[] = {
        /* mp3: the exact variant, else the nearest */
        { "elevenlabs", "\"audio_format\":\"mp3\",\"sample_rate\":24000,",
          "output_format=mp3_24000_48", NULL, NULL, 24000, 0 },
        { "elevenlabs", "\"audio_format\":\"mp3\",\"sample_rate\":22050,",
          "output_format=mp3_22050_32", NULL, NULL, 22050, 0 },
        { "elevenlabs", "\"audio_format\":\"mp3\",\"sample_rate\":44100,",
          "output_format=mp3_44100_128", NULL, NULL, 44100, 0 },
        { "elevenlabs", "\"audio_format\":\"mp3\",",
          "output_format=mp3_44100_128", NULL, NULL, 44100, 0 },
        { "elevenlabs", "\"audio_format\":\"mp3\",\"sample_rate\":16000,",
          "output_format=mp3_22050_32", NULL, NULL, 22050, 0 },
        { "elevenlabs", "\"audio_format\":\"mp3\",\"sample_rate\":8000,",
          "output_format=mp3_22050_32", NULL, NULL, 22050, 0 },
        { "elevenlabs", "\"audio_format\":\"mp3\",\"sample_rate\":32000,",
          "output_format=mp3_24000_48", NULL, NULL, 24000, 0 },
        { "elevenlabs", "\"audio_format\":\"mpeg\",\"sample_rate\":48000,",
          "output_format=mp3_44100_128", NULL, NULL, 44100, 0 },
        /* opus is 48000 whatever is preferred; wav the nearest */
        { "elevenlabs", "\"audio_format\":\"opus\",\"sample_rate\":24000,",
          "output_format=opus_48000_128", NULL, NULL, 48000, 0 },
        { "elevenlabs", "\"audio_format\":\"wav\",\"sample_rate\":11025,",
          "output_format=wav_8000", NULL, NULL, 8000, 0 },
        { "elevenlabs", "\"audio_format\":\"wav\",\"sample_rate\":44100,",
          "output_format=wav_44100", NULL, NULL, 44100, 0 },
        /* pcm exactly (WaaV asks pcm_24000 for 48000) */
        { "elevenlabs", "\"audio_format\":\"pcm\",\"sample_rate\":48000,",
          "output_format=pcm_48000", NULL, NULL, 48000, 0 },
        { "elevenlabs", "\"audio_format\":\"linear16\",\"sample_rate\":24000,",
          "output_format=pcm_24000", NULL, NULL, 24000, 0 },
        { "elevenlabs", "\"audio_format\":\"ulaw\",",
          "output_format=ulaw_8000", NULL, NULL, 8000, 0 },
        /* speed: clamped to 0.7-1.2, voice_settings only to carry it */
        { "elevenlabs", "\"speaking_rate\":2,", "output_format=pcm_24000",
          "\"voice_settings\":{\"speed\":1.2}", NULL, 24000, 1.2 },
        { "elevenlabs", "\"speaking_rate\":0.5,", "output_format=pcm_24000",
          "\"voice_settings\":{\"speed\":0.7}", NULL, 24000, 0.7 },
        { "elevenlabs", "\"speaking_rate\":1,", "output_format=pcm_24000",
          NULL, "voice_settings", 24000, 1.0 },
        { "elevenlabs", "", "output_format=pcm_24000", NULL,
          "voice_settings", 24000, 0 },
    };

    static const audio_refused_t  r[] = {
        { "elevenlabs", "\"sample_rate\":11025,",
          "elevenlabs does not support sample_rate 11025 for linear16 "
          "(it can do 8000, 16000, 22050, 24000, 32000, 44100, 48000)" },
        { "elevenlabs", "\"audio_format\":\"mulaw\",\"sample_rate\":16000,",
          "elevenlabs does not support sample_rate 16000 for mulaw "
          "(it can do 8000)" },
        { "elevenlabs", "\"audio_format\":\"alaw\",\"sample_rate\":24000,",
          NULL },
        { "elevenlabs", "\"audio_format\":\"flac\",", NULL },
    };

    (void) state;

    audio_check(c, nelts(c));
    audio_refused(r, nelts(r));
}


static void
test_openai_audio(void **state)
{
    static const audio_case_t  c[] = {
        /* any rate for a format that carries it; the audio is 24000 */
        { "openai", "\"audio_format\":\"mp3\",\"sample_rate\":24000,", "",
          "\"response_format\":\"mp3\"}", NULL, 24000, 0 },
        { "openai", "\"audio_format\":\"mp3\",\"sample_rate\":16000,", "",
          "\"response_format\":\"mp3\"}", NULL, 24000, 0 },
        { "openai", "\"audio_format\":\"opus\",\"sample_rate\":48000,", "",
          "\"response_format\":\"opus\"}", NULL, 24000, 0 },
        { "openai", "\"audio_format\":\"wav\",\"sample_rate\":8000,", "",
          "\"response_format\":\"wav\"}", NULL, 24000, 0 },
        { "openai", "\"audio_format\":\"flac\",\"sample_rate\":44100,", "",
          "\"response_format\":\"flac\"}", NULL, 24000, 0 },
        { "openai", "\"audio_format\":\"aac\",\"sample_rate\":22050,", "",
          "\"response_format\":\"aac\"}", NULL, 24000, 0 },
        { "openai", "\"audio_format\":\"linear16\",\"sample_rate\":24000,",
          "", "\"response_format\":\"pcm\"}", NULL, 24000, 0 },
        { "openai-compatible", "\"audio_format\":\"mp3\","
          "\"sample_rate\":16000,", "", "\"response_format\":\"mp3\"}",
          NULL, 24000, 0 },
        /* speed: OpenAI's range is waav's; 1 is not sent */
        { "openai", "\"speaking_rate\":1,", "", NULL, "speed", 24000, 1.0 },
        { "openai", "\"speaking_rate\":4,", "", "\"speed\":4}", NULL, 24000,
          4.0 },
        { "openai", "\"speaking_rate\":0.25,", "", "\"speed\":0.25}", NULL,
          24000, 0.25 },
    };

    static const audio_refused_t  r[] = {
        { "openai", "\"audio_format\":\"pcm\",\"sample_rate\":16000,",
          "openai does not support sample_rate 16000 for pcm "
          "(it can do 24000)" },
        { "openai", "\"sample_rate\":8000,", NULL },
        { "openai-compatible", "\"sample_rate\":16000,",
          "openai-compatible does not support sample_rate 16000 for pcm "
          "(it can do 24000)" },
        { "openai", "\"audio_format\":\"mulaw\",", NULL },
    };

    (void) state;

    audio_check(c, nelts(c));
    audio_refused(r, nelts(r));
}


static void
test_cartesia_audio(void **state)
{
    static const audio_case_t  c[] = {
        { "cartesia", CA_MP3 "\"sample_rate\":24000,",
          "", "{\"container\":\"mp3\",\"sample_rate\":24000,"
          "\"bit_rate\":128000}", "generation_config", 24000, 0 },
        { "cartesia", CA_MP3 "\"sample_rate\":32000,",
          "", "\"sample_rate\":24000,", NULL, 24000, 0 },
        { "cartesia", CA_VOICE "\"audio_format\":\"mp3\",", "",
          "\"sample_rate\":44100,", NULL, 44100, 0 },
        { "cartesia", CA_WAV "\"sample_rate\":32000,",
          "", "{\"container\":\"wav\",\"encoding\":\"pcm_s16le\","
          "\"sample_rate\":24000}", NULL, 24000, 0 },
        { "cartesia", CA_PCM "\"sample_rate\":16000,",
          "", "{\"container\":\"raw\",\"encoding\":\"pcm_s16le\","
          "\"sample_rate\":16000}", NULL, 16000, 0 },
        { "cartesia", CA_VOICE "\"audio_format\":\"mulaw\",", "",
          "\"encoding\":\"pcm_mulaw\",\"sample_rate\":8000}", NULL, 8000, 0 },
        /* speed: generation_config.speed, clamped to 0.6-1.5 */
        { "cartesia", CA_VOICE "\"speaking_rate\":2,", "",
          "\"language\":\"en\",\"generation_config\":{\"speed\":1.5}}", NULL,
          24000, 1.5 },
        { "cartesia", CA_VOICE "\"speaking_rate\":0.3,", "",
          "\"generation_config\":{\"speed\":0.6}}", NULL, 24000, 0.6 },
        { "cartesia", CA_VOICE "\"speaking_rate\":1.1,", "",
          "\"generation_config\":{\"speed\":1.1}}", NULL, 24000, 1.1 },
        { "cartesia", CA_VOICE "\"speaking_rate\":1,", "", NULL,
          "generation_config", 24000, 1.0 },
    };

    static const audio_refused_t  r[] = {
        { "cartesia", CA_VOICE "\"sample_rate\":32000,",
          "cartesia does not support sample_rate 32000 for linear16 "
          "(it can do 8000, 16000, 22050, 24000, 44100, 48000)" },
        { "cartesia", CA_VOICE "\"audio_format\":\"alaw\","
          "\"sample_rate\":32000,", NULL },
        { "cartesia", CA_VOICE "\"audio_format\":\"opus\",", NULL },
        { "cartesia", "\"audio_format\":\"mp3\",\"sample_rate\":24000,",
          "a voice is required for cartesia (voice_id)" },
    };

    (void) state;

    audio_check(c, nelts(c));
    audio_refused(r, nelts(r));
}


static void
test_google_audio(void **state)
{
    static const audio_case_t  c[] = {
        { "google", "\"audio_format\":\"opus\",\"sample_rate\":44100,", "",
          "\"audioEncoding\":\"OGG_OPUS\",\"sampleRateHertz\":48000}", NULL,
          48000, 0 },
        { "google", "\"audio_format\":\"opus\",\"sample_rate\":22050,", "",
          "\"sampleRateHertz\":24000}", NULL, 24000, 0 },
        { "google", "\"audio_format\":\"mp3\",\"sample_rate\":12345,", "",
          "\"audioEncoding\":\"MP3\",\"sampleRateHertz\":12000}", NULL,
          12000, 0 },
        { "google", "\"audio_format\":\"mp3\",\"sample_rate\":24000,", "",
          "\"sampleRateHertz\":24000}", NULL, 24000, 0 },
        /* Google converts LINEAR16 to any rate: exact, as asked */
        { "google", "\"audio_format\":\"pcm\",\"sample_rate\":12345,", "",
          "\"sampleRateHertz\":12345}", NULL, 12345, 0 },
        { "google", "\"speaking_rate\":3,", "", "\"speakingRate\":2}", NULL,
          24000, 2.0 },
        { "google", "\"speaking_rate\":1,", "", NULL, "speakingRate", 24000,
          1.0 },
    };

    (void) state;

    audio_check(c, nelts(c));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_rate_nearest, waav_arena_teardown),
        cmocka_unit_test_teardown(test_deepgram_audio, waav_arena_teardown),
        cmocka_unit_test_teardown(test_elevenlabs_audio, waav_arena_teardown),
        cmocka_unit_test_teardown(test_openai_audio, waav_arena_teardown),
        cmocka_unit_test_teardown(test_cartesia_audio, waav_arena_teardown),
        cmocka_unit_test_teardown(test_google_audio, waav_arena_teardown),
    };

    return cmocka_run_group_tests_name("waav_tts_audio", tests, NULL, NULL);
}
