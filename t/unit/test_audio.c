/*
 * Unit tests for src/core/waav_audio.c: Content-Types, what an upload's
 * first bytes must be, seconds for quotas (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "waav_audio.h"
#include "waav_arena.h"


#define S(lit)  ((waav_str_t) { lit, sizeof(lit) - 1 })


static void
le(unsigned char *p, uint32_t v, int n)
{
    int  i;

    for (i = 0; i < n; i++) {
        p[i] = (unsigned char) (v >> (8 * i));
    }
}


/* a 16-bit PCM WAV header for data bytes at rate, channels */
static void
wav(unsigned char *h, uint32_t data, uint32_t rate, unsigned channels)
{
    memcpy(h, "RIFF", 4);
    le(h + 4, 36 + data, 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    le(h + 16, 16, 4);
    le(h + 20, 1, 2);
    le(h + 22, channels, 2);
    le(h + 24, rate, 4);
    le(h + 28, rate * 2 * channels, 4);
    le(h + 32, 2 * channels, 2);
    le(h + 34, 16, 2);
    memcpy(h + 36, "data", 4);
    le(h + 40, data, 4);
}


static void
test_types(void **state)
{
    waav_audio_t  au;

    (void) state;

    assert_true(waav_audio_type(S("audio/wav"), &au));
    assert_int_equal(au.kind, WAAV_AUDIO_WAV);
    assert_string_equal(au.media_type, "audio/wav");

    assert_true(waav_audio_type(S("audio/x-wav; codecs=1"), &au));
    assert_string_equal(au.media_type, "audio/wav");

    assert_true(waav_audio_type(S("AUDIO/MPEG"), &au));
    assert_string_equal(au.ext, "mp3");
    assert_true(waav_audio_type(S("audio/m4a"), &au));
    assert_string_equal(au.media_type, "audio/mp4");

    assert_true(waav_audio_type(S("audio/L16;rate=16000;channels=1"), &au));
    assert_int_equal(au.kind, WAAV_AUDIO_PCM);
    assert_int_equal(au.rate, 16000);
    assert_int_equal(au.channels, 1);
    assert_string_equal(waav_audio_content_type(&au, &WAAV_ARENA),
                        "audio/L16;rate=16000;channels=1");

    assert_true(waav_audio_type(S("audio/l16; Channels=2 ;RATE=8000"), &au));
    assert_int_equal(au.rate, 8000);
    assert_int_equal(au.channels, 2);

    /* L16 needs a rate (else not usable: 415), and parameters in range
     * (else invalid audio: 400) */
    assert_int_equal(waav_audio_type(S("audio/L16"), &au), 0);
    assert_int_equal(waav_audio_type(S("audio/L16;samplerate=16000"), &au),
                     0);
    assert_int_equal(waav_audio_type(S("audio/L16;channels=0"), &au), -1);
    assert_int_equal(waav_audio_type(S("audio/L16;rate=4000"), &au), -1);
    assert_int_equal(waav_audio_type(S("audio/L16;rate=200000"), &au), -1);
    assert_int_equal(waav_audio_type(S("audio/L16;rate=16000x"), &au), -1);
    assert_int_equal(waav_audio_type(S("audio/L16;rate=16000;channels=0"),
                                     &au), -1);
    assert_int_equal(waav_audio_type(S("audio/L16;rate=16000;channels=9"),
                                     &au), -1);
    assert_int_equal(waav_audio_type(S("audio/L16;rate=16000;rate=8000"),
                                     &au), -1);
    assert_int_equal(waav_audio_type(S("audio/L16;rate="), &au), -1);
    assert_int_equal(au.kind, WAAV_AUDIO_NONE);

    assert_false(waav_audio_type(S("audio/wav2"), &au));
    assert_false(waav_audio_type(S("text/plain"), &au));
    assert_false(waav_audio_type(S(""), &au));
    assert_false(waav_audio_type(S("audio/wav\r\nX: y"), &au));
    assert_false(waav_audio_type(S("audio/wav\0"), &au));

    assert_string_equal(waav_audio_ext_type("a.b.MP3"), "audio/mpeg");
    assert_string_equal(waav_audio_ext_type("x.opus"), "audio/ogg");
    assert_null(waav_audio_ext_type("wav"));
    assert_null(waav_audio_ext_type("a.txt"));
}


static int
check(const char *ct, const void *head, size_t len, uint64_t total)
{
    waav_audio_t  au;
    waav_err_t    err;

    assert_int_equal(waav_audio_type((waav_str_t) { ct, strlen(ct) }, &au), 1);

    if (waav_audio_check(&au, head, len, total, &err) == 0) {
        return 0;
    }

    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "INVALID_AUDIO");

    return -1;
}


/* defect: malformed audio reached the provider (and came back a 502) */
static void
test_check_wav(void **state)
{
    unsigned char  h[64];

    (void) state;

    wav(h, 1000, 16000, 1);
    assert_int_equal(check("audio/wav", h, 44, 1044), 0);

    /* the sizes must fit in the body (less: a cut upload); bytes after
     * the RIFF file are the provider's to ignore */
    assert_int_equal(check("audio/wav", h, 44, 1043), -1);
    assert_int_equal(check("audio/wav", h, 44, 2044), 0);

    /* not RIFF/WAVE */
    assert_int_equal(check("audio/wav", "ID3\4\0\0\0\0\0\0\0\0\0\0\0\0", 16,
                           100), -1);
    assert_int_equal(check("audio/x-wav", "RIFF", 4, 4), -1);
    assert_int_equal(check("audio/wav", "", 0, 0), -1);

    /* 0 channels, 0 Hz, no byte rate, sizes that disagree */
    wav(h, 1000, 16000, 1);
    le(h + 22, 0, 2);
    assert_int_equal(check("audio/wav", h, 44, 1044), -1);

    wav(h, 1000, 0, 1);
    assert_int_equal(check("audio/wav", h, 44, 1044), -1);

    wav(h, 1000, 16000, 1);
    le(h + 28, 0, 4);
    assert_int_equal(check("audio/wav", h, 44, 1044), -1);

    wav(h, 1000, 16000, 1);
    le(h + 34, 12, 2);
    assert_int_equal(check("audio/wav", h, 44, 1044), -1);

    /* a header and no audio */
    wav(h, 0, 16000, 1);
    assert_int_equal(check("audio/wav", h, 44, 44), -1);
    wav(h, 0, 16000, 1);
    le(h + 4, 28, 4);
    assert_int_equal(check("audio/wav", h, 36, 36), -1);

    /* data before fmt */
    memcpy(h, "RIFF\x0c\0\0\0WAVEdata\x04\0\0\0", 20);
    le(h + 4, 12 + 8, 4);
    assert_int_equal(check("audio/wav", h, 24, 28), -1);

    /* a fmt chunk too short */
    wav(h, 1000, 16000, 1);
    le(h + 16, 8, 4);
    assert_int_equal(check("audio/wav", h, 44, 1044), -1);

    /* chunks beyond the head are not judged */
    wav(h, 1000, 16000, 1);
    memcpy(h + 36, "LIST", 4);
    le(h + 40, 500, 4);
    assert_int_equal(check("audio/wav", h, 44, 1044), 0);

    /* a compressed format in a WAV: its own sizes are not PCM's */
    wav(h, 1000, 8000, 1);
    le(h + 20, 0x55, 2);
    le(h + 34, 0, 2);
    assert_int_equal(check("audio/wav", h, 44, 1044), 0);
}


static void
test_check_others(void **state)
{
    (void) state;

    /* headerless PCM: whole samples of every channel */
    assert_int_equal(check("audio/L16;rate=16000", "\0\0", 2, 32000), 0);
    assert_int_equal(check("audio/L16;rate=16000", "\0", 1, 32001), -1);
    assert_int_equal(check("audio/L16;rate=16000;channels=2", "\0\0", 2, 32002),
                     -1);
    assert_int_equal(check("audio/L16;rate=16000;channels=2", "\0\0", 2, 32004),
                     0);

    /* compressed formats start as they do */
    assert_int_equal(check("audio/mpeg", "ID3\4", 4, 1000), 0);
    assert_int_equal(check("audio/mpeg", "\xff\xfb\x90", 3, 1000), 0);
    assert_int_equal(check("audio/mpeg", "RIFF", 4, 1000), -1);
    assert_int_equal(check("audio/mpeg", "I", 1, 1), -1);
    assert_int_equal(check("audio/ogg", "OggS\0", 5, 1000), 0);
    assert_int_equal(check("audio/ogg", "Ogg", 3, 3), -1);
    assert_int_equal(check("audio/flac", "fLaC", 4, 1000), 0);
    assert_int_equal(check("audio/flac", "flac", 4, 1000), -1);
    assert_int_equal(check("audio/webm", "\x1a\x45\xdf\xa3", 4, 1000), 0);
    assert_int_equal(check("audio/mp4", "\0\0\0\x20" "ftypM4A ", 12, 1000), 0);
    assert_int_equal(check("audio/mp4", "ftyp", 4, 1000), -1);
}


static void
test_seconds(void **state)
{
    unsigned char  h[44];
    waav_audio_t   au;

    (void) state;

    wav(h, 0, 16000, 1);
    assert_true(waav_audio_type(S("audio/wav"), &au));

    /* a WAV: its byte rate (32000), the header not counted */
    assert_int_equal(waav_audio_seconds(&au, h, 44, 44 + 32000), 1);
    assert_int_equal(waav_audio_seconds(&au, h, 44, 44 + 32001), 2);
    assert_int_equal(waav_audio_seconds(&au, h, 44, 44 + 64000 * 10), 20);
    assert_int_equal(waav_audio_seconds(&au, h, 44, 10), 1);

    /* a byte rate that makes no sense is not trusted */
    le(h + 28, 1, 4);
    assert_int_equal(waav_audio_seconds(&au, h, 44, 44 + 16000), 1);

    /* nor one that makes audio cheap: at most 192000 bytes a second */
    le(h + 28, 0xffffffff, 4);
    assert_int_equal(waav_audio_seconds(&au, h, 44, 44 + 25 * 1024 * 1024),
                     137);

    /* headerless PCM at 8 kHz: 16000 bytes a second, per channel */
    assert_true(waav_audio_type(S("audio/L16;rate=8000"), &au));
    assert_int_equal(waav_audio_seconds(&au, NULL, 0, 48000), 3);
    assert_true(waav_audio_type(S("audio/L16;rate=8000;channels=2"), &au));
    assert_int_equal(waav_audio_seconds(&au, NULL, 0, 48000), 2);

    /* compressed: 128 kbit/s */
    assert_true(waav_audio_type(S("audio/mpeg"), &au));
    assert_int_equal(waav_audio_seconds(&au, (const unsigned char *) "ID3", 3,
                                        160000), 10);
}


static void
test_wav_header(void **state)
{
    unsigned char  h[WAAV_AUDIO_WAV_HEADER], want[44];
    waav_audio_t   au;
    waav_err_t     err;

    (void) state;

    assert_true(waav_audio_type(S("audio/L16;rate=24000;channels=2"), &au));
    waav_audio_wav_header(h, &au, 9600);
    wav(want, 9600, 24000, 2);
    assert_memory_equal(h, want, 44);

    /* what waav writes passes its own check */
    assert_true(waav_audio_type(S("audio/wav"), &au));
    assert_int_equal(waav_audio_check(&au, h, 44, 44 + 9600, &err), 0);
}


/* a WAV written as it streams cannot know its sizes: 0 or 0xffffffff in
 * RIFF's and the data chunk's is unknown, not a lie; the header alone is
 * still no audio, and a known size still must fit */
/* the fmt chunk's rate, channels, sample format (for Azure's check) */
static void
test_wav_info(void **state)
{
    unsigned char  h[80];
    waav_audio_t   au;

    (void) state;

    memset(&au, 0, sizeof(au));
    au.kind = WAAV_AUDIO_WAV;
    wav(h, 1000, 44100, 2);
    assert_int_equal(waav_audio_wav_info(&au, h, 44), 0);
    assert_int_equal(au.wav_format, 1);
    assert_int_equal(au.wav_rate, 44100);
    assert_int_equal(au.wav_channels, 2);
    assert_int_equal(au.wav_bits, 16);

    /* not in the bytes looked at, or no WAV */
    memset(&au, 0, sizeof(au));
    au.kind = WAAV_AUDIO_WAV;
    assert_int_equal(waav_audio_wav_info(&au, h, 30), -1);
    assert_int_equal(au.wav_rate, 0);
    au.kind = WAAV_AUDIO_PCM;
    assert_int_equal(waav_audio_wav_info(&au, h, 44), -1);

    /* after another chunk */
    memset(&au, 0, sizeof(au));
    au.kind = WAAV_AUDIO_WAV;
    memcpy(h + 36, h + 12, 24);
    memcpy(h + 12, "LIST", 4);
    le(h + 16, 16, 4);
    assert_int_equal(waav_audio_wav_info(&au, h, 60), 0);
    assert_int_equal(au.wav_rate, 44100);

    /* WAVE_FORMAT_EXTENSIBLE: its sub-format */
    memset(&au, 0, sizeof(au));
    au.kind = WAAV_AUDIO_WAV;
    wav(h, 1000, 16000, 1);
    le(h + 16, 40, 4);
    le(h + 20, 0xfffe, 2);
    le(h + 44, 1, 2);
    assert_int_equal(waav_audio_wav_info(&au, h, 80), 0);
    assert_int_equal(au.wav_format, 1);
    le(h + 44, 3, 2);
    assert_int_equal(waav_audio_wav_info(&au, h, 80), 0);
    assert_int_equal(au.wav_format, 3);
}


static void
test_streamed_wav(void **state)
{
    unsigned char  h[44];
    uint32_t       unknown[] = { 0, 0xffffffff };
    size_t         i;

    (void) state;

    for (i = 0; i < 2; i++) {
        wav(h, 0, 16000, 1);
        le(h + 4, unknown[i], 4);
        le(h + 40, unknown[i], 4);

        assert_int_equal(check("audio/wav", h, 44, 44 + 32000), 0);
        assert_int_equal(check("audio/wav", h, 44, 44), -1);

        /* RIFF's size unknown, the data chunk's known and too long */
        le(h + 40, 64000, 4);
        assert_int_equal(check("audio/wav", h, 44, 44 + 32000), -1);

        /* RIFF's known, the data chunk's unknown */
        le(h + 4, 36 + 32000, 4);
        le(h + 40, unknown[i], 4);
        assert_int_equal(check("audio/wav", h, 44, 44 + 32000), 0);

        /* RIFF's known and more than there is: a cut upload */
        assert_int_equal(check("audio/wav", h, 44, 44 + 16000), -1);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_types, waav_arena_teardown),
        cmocka_unit_test_teardown(test_streamed_wav, waav_arena_teardown),
        cmocka_unit_test_teardown(test_check_wav, waav_arena_teardown),
        cmocka_unit_test_teardown(test_check_others, waav_arena_teardown),
        cmocka_unit_test_teardown(test_seconds, waav_arena_teardown),
        cmocka_unit_test_teardown(test_wav_header, waav_arena_teardown),
        cmocka_unit_test_teardown(test_wav_info, waav_arena_teardown),
    };

    return cmocka_run_group_tests_name("waav_audio", tests, NULL, NULL);
}
