/*
 * waav: base64 digits, standard encoding and base64url decoding (see
 * waav_base64.h).
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


size_t
waav_base64_encode(char *out, const unsigned char *in, size_t len)
{
    size_t    i, o;
    unsigned  v;

    static const char  digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    o = 0;

    for (i = 0; i + 2 < len; i += 3) {
        v = ((unsigned) in[i] << 16) | ((unsigned) in[i + 1] << 8) | in[i + 2];
        out[o++] = digits[v >> 18];
        out[o++] = digits[(v >> 12) & 63];
        out[o++] = digits[(v >> 6) & 63];
        out[o++] = digits[v & 63];
    }

    if (i < len) {
        v = (unsigned) in[i] << 16;

        if (i + 1 < len) {
            v |= (unsigned) in[i + 1] << 8;
        }

        out[o++] = digits[v >> 18];
        out[o++] = digits[(v >> 12) & 63];
        out[o++] = (i + 1 < len) ? digits[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }

    out[o] = '\0';

    return o;
}
