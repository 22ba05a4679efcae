/*
 * libFuzzer target: a text (a client's, to be synthesized) cut into the
 * pieces a local synthesis streams in, with min and max from its first two
 * bytes: every piece is 1 to max bytes, the pieces cover the text exactly;
 * the rest taken as samples through every encoding; and the whole input
 * as an upload's first bytes, whose WAV data never starts past them.
 * `make fuzz`.
 *
 * fuzz-covers: waav_pcm.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_pcm.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          min, max, pos, n, i;
    int16_t        *pcm;
    unsigned char  *out;
    const char     *text;
    waav_pcm_wav_t  wav;

    static const waav_fmt_e  fmts[] = {
        WAAV_FMT_LINEAR16, WAAV_FMT_WAV, WAAV_FMT_MULAW, WAAV_FMT_ALAW,
        WAAV_FMT_MP3
    };

    if (waav_pcm_wav(data, size, &wav) == 0 && wav.offset > size) {
        abort();
    }

    if (size < 2) {
        return 0;
    }

    max = 4 + data[0];
    min = data[1] % (max + 1);
    text = (const char *) data + 2;
    size -= 2;

    for (pos = 0; pos < size; pos += n) {
        n = waav_pcm_text_piece(text + pos, size - pos, min, max);

        if (n == 0 || n > max || n > size - pos) {
            abort();
        }
    }

    n = size / 2;
    pcm = malloc(n * sizeof(int16_t) + 1);
    out = malloc(n * 2 + 1);
    if (pcm == NULL || out == NULL) {
        abort();
    }

    memcpy(pcm, text, n * sizeof(int16_t));

    for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        if (waav_pcm_encode(fmts[i], pcm, n, out)
            != n * waav_pcm_width(fmts[i]))
        {
            abort();
        }
    }

    free(pcm);
    free(out);

    return 0;
}
