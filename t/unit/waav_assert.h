/*
 * waav tests: strings as unit tests write and check them.
 */

#ifndef WAAV_ASSERT_H
#define WAAV_ASSERT_H

#include <string.h>

#include "waav_alloc.h"

/* a waav_str_t of a literal */
#define S(lit)  ((waav_str_t) { lit, sizeof(lit) - 1 })

/* s (a waav_str_t) is the literal, byte for byte */
#define assert_str(s, lit)                                                   \
    do {                                                                     \
        waav_str_t  s_ = (s);                                                \
        if (s_.len != strlen(lit) || memcmp(s_.data, lit, s_.len) != 0) {    \
            fail_msg("got \"%.*s\", want \"%s\"", (int) s_.len, s_.data,     \
                     lit);                                                   \
        }                                                                    \
    } while (0)

#endif /* WAAV_ASSERT_H */
