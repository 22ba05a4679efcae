/*
 * waav: base64 digits and base64url decoding (see waav_base64.h).
 */

#include "waav_base64.h"


int
waav_base64_digit(unsigned char c, unsigned alphabets)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if ((c == '+' && (alphabets & WAAV_BASE64_STD))
        || (c == '-' && (alphabets & WAAV_BASE64_URL)))
    {
        return 62;
    }

    if ((c == '/' && (alphabets & WAAV_BASE64_STD))
        || (c == '_' && (alphabets & WAAV_BASE64_URL)))
    {
        return 63;
    }

    return -1;
}


long
waav_b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    size_t    i, o;
    unsigned  acc;
    int       bits, v;

    /* a lone character cannot encode a byte */
    if (len % 4 == 1) {
        return -1;
    }

    acc = 0;
    bits = 0;
    o = 0;

    for (i = 0; i < len; i++) {
        v = waav_base64_digit((unsigned char) in[i], WAAV_BASE64_URL);
        if (v < 0) {
            return -1;
        }

        acc = (acc << 6) | (unsigned) v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;

            if (o == cap) {
                return -1;
            }

            out[o++] = (unsigned char) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }

    /* the leftover bits must be zero (canonical encoding) */
    if (acc != 0) {
        return -1;
    }

    return (long) o;
}
