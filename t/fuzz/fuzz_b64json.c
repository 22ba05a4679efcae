/*
 * libFuzzer target: the TTS response hook (audio as base64 in a JSON
 * member): a provider's answer decoded whole and in three pieces (the
 * first two bytes say where to cut; the first's low bit: drop a WAV
 * header) must give the same verdict and the same audio, never more bytes
 * than came in.  `make fuzz`.
 *
 * fuzz-covers: waav_b64json.c waav_base64.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_b64json.h"


static const waav_xform_t  waav_fuzz_xforms[2] = {
    WAAV_B64JSON_XFORM("audioContent", 0),
    WAAV_B64JSON_XFORM("audioContent", WAAV_B64JSON_NO_WAV_HEADER),
};

static const waav_xform_t  *waav_fuzz_xform;


/* feeds data in the pieces cuts make; -1 on error, else the audio length */
static long
waav_fuzz_decode(const uint8_t *data, size_t size, const size_t *cuts,
    size_t ncuts, char *out)
{
    size_t          i, from, to, n, total;
    waav_b64json_t  d;

    waav_fuzz_xform->init(waav_fuzz_xform, &d);
    total = 0;
    from = 0;

    for (i = 0; i <= ncuts; i++) {
        to = (i < ncuts) ? cuts[i] : size;

        if (waav_fuzz_xform->feed(&d, (const char *) data + from, to - from,
                                 out + total, &n) != 0)
        {
            return -1;
        }

        if (n > to - from + WAAV_XFORM_SLACK) {
            abort();
        }

        total += n;
        from = to;
    }

    return waav_fuzz_xform->end(&d) == 0 ? (long) total : -1;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long     whole, split;
    size_t   cuts[2];
    char    *a, *b;

    if (size < 2) {
        return 0;
    }

    waav_fuzz_xform = &waav_fuzz_xforms[data[0] & 1];
    cuts[0] = data[0] % (size - 1);
    cuts[1] = cuts[0] + data[1] % (size - 1 - cuts[0] + 1);
    data += 2;
    size -= 2;

    if (cuts[1] > size) {
        cuts[1] = size;
    }

    if (cuts[0] > cuts[1]) {
        cuts[0] = cuts[1];
    }

    a = malloc(size + WAAV_XFORM_SLACK + 1);
    b = malloc(size + WAAV_XFORM_SLACK + 1);

    whole = waav_fuzz_decode(data, size, NULL, 0, a);
    split = waav_fuzz_decode(data, size, cuts, 2, b);

    if (whole != split || (whole > 0 && memcmp(a, b, (size_t) whole) != 0)) {
        abort();
    }

    free(a);
    free(b);

    return 0;
}
