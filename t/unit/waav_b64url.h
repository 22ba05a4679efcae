/*
 * waav tests: base64url without padding (RFC 7515), for the tokens and
 * JWK Sets unit tests and fuzzers make (the core only decodes).
 */

#ifndef WAAV_B64URL_H
#define WAAV_B64URL_H

#include <stddef.h>

/* out needs 4 * ((len + 2) / 3) + 1 bytes; returns the length written */
static __attribute__((unused)) size_t
waav_test_b64url(const unsigned char *in, size_t len, char *out)
{
    static const char  tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t    i, o;
    unsigned  acc;
    int       bits;

    acc = 0;
    bits = 0;
    o = 0;

    for (i = 0; i < len; i++) {
        acc = ((acc << 8) | in[i]) & 0xffff;
        bits += 8;

        while (bits >= 6) {
            bits -= 6;
            out[o++] = tab[(acc >> bits) & 63];
        }
    }

    if (bits) {
        out[o++] = tab[(acc << (6 - bits)) & 63];
    }

    out[o] = '\0';

    return o;
}

#endif /* WAAV_B64URL_H */
