/*
 * waav: base64 (RFC 4648), the standard and the URL-safe alphabets.
 *
 * Pure C, for JWTs and JWK Sets (base64url) and audio carried in JSON
 * (either alphabet; ElevenLabs' streaming STT takes it standard).
 */

#ifndef WAAV_BASE64_H
#define WAAV_BASE64_H

#include <stddef.h>

#define WAAV_BASE64_STD  1          /* '+' and '/' */
#define WAAV_BASE64_URL  2          /* '-' and '_' */

/* a digit's value in the given alphabets; -1 when it is none */
int waav_base64_digit(unsigned char c, unsigned alphabets);

/* standard base64 with padding of len bytes into out (room for
 * WAAV_BASE64_LEN(len) bytes and a NUL); returns the length written */
#define WAAV_BASE64_LEN(len)  (((len) + 2) / 3 * 4)

size_t waav_base64_encode(char *out, const unsigned char *in, size_t len);

/* base64url without padding; returns the decoded length or -1 */
long waav_b64url_decode(const char *in, size_t len, unsigned char *out,
    size_t cap);

#endif /* WAAV_BASE64_H */
