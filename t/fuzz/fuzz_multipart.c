/*
 * libFuzzer target: multipart bodies fed in two pieces (the first byte
 * says where to cut) must parse as they do whole.  When the second byte
 * is odd, the Content-Type the boundary is read from is the input's next
 * line, else a fixed one.  `make fuzz`.
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
    static const char  fixed[] = "multipart/form-data; boundary=B0";
    size_t             cut, ctlen;
    int                ra, rb;
    const char        *ct;
    const uint8_t     *nl;

    if (size < 2) {
        return 0;
    }

    cut = data[0] % size;
    ct = fixed;
    ctlen = sizeof(fixed) - 1;

    if (data[1] & 1) {
        nl = memchr(data + 2, '\n', size - 2);
        if (nl == NULL) {
            return 0;
        }

        ct = (const char *) data + 2;
        ctlen = (size_t) (nl - data - 2);
        size -= (size_t) (nl + 1 - data);
        data = nl + 1;

    } else {
        data += 2;
        size -= 2;
    }

    if (cut > size) {
        cut = size;
    }

    ra = waav_mp_init(&a, ct, ctlen);
    rb = waav_mp_init(&b, ct, ctlen);

    if (ra != rb || (ra == 0 && (a.dlen < 5 || a.dlen > 4 + 70))) {
        abort();
    }

    if (ra != 0) {
        return 0;
    }

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
