/*
 * libFuzzer target: an upload's Content-Type (the input's first line) and
 * body (the rest) through the audio checks and the seconds estimate.  A
 * body that passes as headerless PCM is whole samples; a WAV header waav
 * writes for PCM passes its own WAV check.  `make fuzz`.
 *
 * fuzz-covers: waav_audio.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_audio.h"
#include "../unit/waav_arena.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             rc;
    size_t          head;
    uint64_t        total, s;
    waav_str_t      ct;
    waav_err_t      err;
    waav_alloc_t    a = { waav_arena_alloc, NULL };
    waav_audio_t    au, wav;
    const uint8_t  *nl, *body;
    unsigned char   h[WAAV_AUDIO_WAV_HEADER];

    nl = memchr(data, '\n', size);
    if (nl == NULL) {
        return 0;
    }

    ct.data = (const char *) data;
    ct.len = (size_t) (nl - data);
    body = nl + 1;
    total = (uint64_t) (size - ct.len - 1);
    head = total < WAAV_AUDIO_HEAD ? (size_t) total : WAAV_AUDIO_HEAD;

    rc = waav_audio_type(ct, &au);

    if (rc != 1) {
        if (au.kind != WAAV_AUDIO_NONE) {
            abort();
        }

        return 0;
    }

    if (waav_audio_content_type(&au, &a) == NULL) {
        abort();
    }

    if (waav_audio_check(&au, body, head, total, &err) == 0) {
        if (au.kind == WAAV_AUDIO_PCM && total % (2 * au.channels) != 0) {
            abort();
        }

        /* a WAV that passed: its fmt chunk, when seen, is a sane one */
        if (waav_audio_wav_info(&au, body, head) == 0
            && (au.kind != WAAV_AUDIO_WAV || au.wav_channels == 0
                || au.wav_channels > 16 || au.wav_rate < 1000
                || au.wav_rate > 384000))
        {
            abort();
        }

    } else if (err.status != 400) {
        abort();
    }

    s = waav_audio_seconds(&au, body, head, total);

    if (s == 0) {
        abort();
    }

    /* the WAV header made for PCM is one waav itself takes */
    if (au.kind == WAAV_AUDIO_PCM && total > 0 && total < 0xffffff00
        && total % (2 * au.channels) == 0)
    {
        waav_audio_wav_header(h, &au, total);
        (void) waav_audio_type((waav_str_t) { "audio/wav", 9 }, &wav);

        if (waav_audio_check(&wav, h, sizeof(h), total + sizeof(h), &err)
            != 0)
        {
            abort();
        }
    }

    waav_arena_reset();

    return 0;
}
