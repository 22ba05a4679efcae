/*
 * libFuzzer target: multipart bodies fed in two pieces (the first byte
 * says where to cut) must parse as they do whole.  `make fuzz`.
 *
 * fuzz-covers: waav_multipart.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_multipart.h"


static waav_mp_parser_t  a, b;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char  ct[] = "multipart/form-data; boundary=B0";
    size_t             cut;
    int                ra, rb;

    if (size < 1) {
        return 0;
    }

    cut = data[0] % size;
    data++;
    size--;

    if (cut > size) {
        cut = size;
    }

    waav_mp_init(&a, ct, sizeof(ct) - 1);
    waav_mp_init(&b, ct, sizeof(ct) - 1);

    ra = waav_mp_feed(&a, (const char *) data, size);
    rb = waav_mp_feed(&b, (const char *) data, cut);
    if (rb == 0) {
        rb = waav_mp_feed(&b, (const char *) data + cut, size - cut);
    }

    ra = ra == 0 ? waav_mp_finish(&a) : ra;
    rb = rb == 0 ? waav_mp_finish(&b) : rb;

    if (ra != rb
        || (ra == 0 && (a.file_start != b.file_start
                        || a.file_end != b.file_end
                        || a.file_end > size || a.file_start > a.file_end
                        || a.nfields != b.nfields)))
    {
        abort();
    }

    return 0;
}
