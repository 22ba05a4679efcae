/*
 * Unit tests for src/core/waav_pcm.c and the `local` adapter
 * (src/core/tts/waav_tts_local.c): G.711 against its reference values,
 * encodings' sizes, the pieces a synthesis streams in, and what `local`
 * accepts (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "waav_local.h"
#include "waav_pcm.h"
#include "waav_registry.h"
#include "waav_arena.h"


/* G.711's decoders, to check the encoders by round trip */
static int
ulaw_decode(unsigned char u)
{
    int  t;

    u = ~u;
    t = ((u & 0x0f) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;

    return (u & 0x80) ? 0x84 - t : t - 0x84;
}


static int
alaw_decode(unsigned char a)
{
    int  t, seg;

    a ^= 0x55;
    t = (a & 0x0f) << 4;
    seg = (a & 0x70) >> 4;

    if (seg == 0) {
        t += 8;

    } else {
        t += 0x108;
        t <<= seg - 1;
    }

    return (a & 0x80) ? t : -t;
}


static void
test_g711_reference(void **state)
{
    (void) state;

    /* silence and the extremes, as the reference (Sun's g711.c) codes them */
    assert_int_equal(waav_pcm_ulaw(0), 0xff);
    assert_int_equal(waav_pcm_ulaw(-1), 0x7e);
    assert_int_equal(waav_pcm_ulaw(32767), 0x80);
    assert_int_equal(waav_pcm_ulaw(-32768), 0x00);
    assert_int_equal(waav_pcm_alaw(0), 0xd5);
    assert_int_equal(waav_pcm_alaw(-1), 0x55);
    assert_int_equal(waav_pcm_alaw(32767), 0xaa);
    assert_int_equal(waav_pcm_alaw(-32768), 0x2a);
}


static void
test_g711_round_trip(void **state)
{
    int  s, d, err, lim;

    (void) state;

    /* every 16-bit value comes back within its segment's step */
    for (s = -32768; s <= 32767; s++) {
        lim = (s < 0 ? -s : s) / 16 + 16;

        d = ulaw_decode(waav_pcm_ulaw((int16_t) s));
        err = d > s ? d - s : s - d;
        if (s > -32124 && s < 32124) {
            assert_true(err <= lim);
        }

        d = alaw_decode(waav_pcm_alaw((int16_t) s));
        err = d > s ? d - s : s - d;
        if (s > -32256 && s < 32256) {
            assert_true(err <= lim);
        }
    }
}


static void
test_encode(void **state)
{
    int16_t        in[3] = { 0x1234, -2, 0 };
    unsigned char  out[8];

    (void) state;

    assert_int_equal(waav_pcm_width(WAAV_FMT_LINEAR16), 2);
    assert_int_equal(waav_pcm_width(WAAV_FMT_WAV), 2);
    assert_int_equal(waav_pcm_width(WAAV_FMT_MULAW), 1);
    assert_int_equal(waav_pcm_width(WAAV_FMT_ALAW), 1);
    assert_int_equal(waav_pcm_width(WAAV_FMT_MP3), 0);

    assert_int_equal(waav_pcm_encode(WAAV_FMT_LINEAR16, in, 3, out), 6);
    assert_memory_equal(out, "\x34\x12\xfe\xff\x00\x00", 6);

    assert_int_equal(waav_pcm_encode(WAAV_FMT_MULAW, in, 3, out), 3);
    assert_int_equal(out[2], 0xff);
    assert_int_equal(waav_pcm_encode(WAAV_FMT_ALAW, in, 3, out), 3);
    assert_int_equal(out[2], 0xd5);
    assert_int_equal(waav_pcm_encode(WAAV_FMT_OPUS, in, 3, out), 0);
}


#define PIECE(s, min, max)  waav_pcm_text_piece(s, strlen(s), min, max)

static void
test_pieces(void **state)
{
    (void) state;

    assert_int_equal(PIECE("", 1, 10), 0);
    assert_int_equal(PIECE("Hello.", 1, 100), 6);

    /* through a sentence end and its space */
    assert_int_equal(PIECE("Hi. There you are.", 1, 100), 4);
    assert_int_equal(PIECE("Hi! There? Yes; no: ok", 1, 100), 4);

    /* a sentence shorter than min runs on to the next end */
    assert_int_equal(PIECE("Hi. There you are. And more", 5, 100), 19);

    /* a line break ends a piece */
    assert_int_equal(PIECE("one\ntwo", 1, 100), 4);

    /* "3.5" is no sentence end */
    assert_int_equal(PIECE("pi is 3.5 or so", 1, 100), 15);

    /* no end within max: up to the last white space */
    assert_int_equal(PIECE("aaaa bbbb cccc dddd", 1, 12), 10);

    /* no white space: max, cut back to a character's start */
    assert_int_equal(PIECE("abcdefghij", 1, 4), 4);
    assert_int_equal(PIECE("ab\xc3\xa9" "cdef", 1, 3), 2);
    assert_int_equal(PIECE("\xe2\x82\xac\xe2\x82\xac", 1, 4), 3);

    /* a NUL before "." is not a sentence end */
    assert_int_equal(waav_pcm_text_piece("a\0 b c", 6, 1, 100), 6);
}


static void
test_wav(void **state)
{
    waav_pcm_wav_t  wav;
    unsigned char   h[64];

    static const unsigned char  head[44] =
        "RIFF\xff\xff\xff\xff" "WAVEfmt " "\x10\0\0\0" "\x01\0\x02\0"
        "\x80\x3e\0\0" "\0\xfa\0\0" "\x04\0\x10\0" "data"
        "\xff\xff\xff\xff";

    (void) state;

    assert_int_equal(waav_pcm_wav(head, 44, &wav), 0);
    assert_int_equal(wav.offset, 44);
    assert_int_equal(wav.rate, 16000);
    assert_int_equal(wav.channels, 2);
    assert_int_equal(wav.bits, 16);
    assert_int_equal(wav.format, 1);

    /* a LIST chunk before data is stepped over */
    memcpy(h, head, 36);
    memcpy(h + 36, "LIST\x04\0\0\0abcd", 12);
    memcpy(h + 48, "data\0\0\0\0", 8);
    assert_int_equal(waav_pcm_wav(h, 56, &wav), 0);
    assert_int_equal(wav.offset, 56);

    /* no data chunk in sight, no fmt before it, not RIFF */
    assert_int_equal(waav_pcm_wav(head, 40, &wav), -1);
    memcpy(h, head, 12);
    memcpy(h + 12, "data\0\0\0\0", 8);
    assert_int_equal(waav_pcm_wav(h, 20, &wav), -1);
    assert_int_equal(waav_pcm_wav((const unsigned char *) "RIFX", 4, &wav), -1);
}


static void
test_local_adapter(void **state)
{
    waav_err_t                  err;
    waav_tts_req_t              req;
    waav_tts_out_t              out;
    waav_alloc_t                a = { waav_arena_alloc, NULL };
    const waav_provider_type_t *pt;

    (void) state;

    pt = waav_provider_type("local", 5);
    assert_non_null(pt);
    assert_true(pt->embedded);
    assert_non_null(pt->tts);

    /* the OpenAI shape's models it claims */
    assert_true(pt->tts->claims_model("local", 5));
    assert_true(pt->tts->claims_model("espeak-ng", 9));
    assert_false(pt->tts->claims_model("tts-1", 5));
    assert_false(pt->tts->claims_model("", 0));

    /* defaults: en-us, linear16 at espeak-ng's 22050 Hz */
    memset(&req, 0, sizeof(req));
    req.text = (waav_str_t) waav_str_lit("hello");
    assert_int_equal(waav_tts_build(pt->tts, &req, NULL, &out, &a, &err), 0);
    assert_int_equal(out.sample_rate, 22050);
    assert_string_equal(out.content_type, "audio/pcm");
    assert_int_equal(waav_local_voice(&req).len, 5);
    assert_memory_equal(waav_local_voice(&req).data, "en-us", 5);
    assert_int_equal(waav_local_wpm(&req), 175);

    /* "local/en-gb": the model names the voice, over OpenAI's "alloy" */
    memset(&req, 0, sizeof(req));
    req.model = (waav_str_t) waav_str_lit("en-gb");
    req.voice = (waav_str_t) waav_str_lit("alloy");
    req.format = WAAV_FMT_MULAW;
    req.speaking_rate = 4.0;
    req.speaking_rate_set = 1;
    assert_int_equal(waav_tts_build(pt->tts, &req, NULL, &out, &a, &err), 0);
    assert_memory_equal(waav_local_voice(&req).data, "en-gb", 5);
    assert_int_equal(out.sample_rate, 8000);
    assert_int_equal(waav_local_wpm(&req), 450);

    /* a rate asked for is the rate given */
    memset(&req, 0, sizeof(req));
    req.format = WAAV_FMT_WAV;
    req.sample_rate = 48000;
    assert_int_equal(waav_tts_build(pt->tts, &req, NULL, &out, &a, &err), 0);
    assert_int_equal(out.sample_rate, 48000);

    /* what it cannot do: 400 */
    memset(&req, 0, sizeof(req));
    req.format = WAAV_FMT_MP3;
    assert_int_equal(waav_tts_build(pt->tts, &req, NULL, &out, &a, &err), -1);
    assert_int_equal(err.status, 400);

    memset(&req, 0, sizeof(req));
    req.voice = (waav_str_t) waav_str_lit("en_us/../x");
    assert_int_equal(waav_tts_build(pt->tts, &req, NULL, &out, &a, &err), -1);
    assert_int_equal(err.status, 400);

    assert_true(waav_local_voice_syntax("vi-vn-x-central", 15));
    assert_false(waav_local_voice_syntax("", 0));
    assert_false(waav_local_voice_syntax("en us", 5));
    assert_false(waav_local_voice_syntax(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 41));

    waav_arena_reset();
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_g711_reference),
        cmocka_unit_test(test_g711_round_trip),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_wav),
        cmocka_unit_test(test_local_adapter),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
