/*
 * waav: JSON text helpers shared by every handler.
 *
 * Pure C, free of nginx types, so it is unit-tested and fuzzed on its own.
 */

#ifndef WAAV_JSON_H
#define WAAV_JSON_H

#include <stddef.h>

/*
 * Escapes len bytes of src as the inside of a JSON string (no quotes).
 * Control characters, '"' and '\\' are escaped; bytes that are not valid
 * UTF-8 become U+FFFD, so hostile input never yields invalid JSON.
 * With dst == NULL only the length needed is returned.
 */
size_t waav_json_escape(char *dst, const char *src, size_t len);

/*
 * Writes {"error":"<message>","code":"<code>"} into dst (cap bytes, no
 * terminating NUL needed).  Returns the length written, or the length that
 * would be needed when it is larger than cap (nothing usable is written then).
 */
size_t waav_json_error(char *dst, size_t cap, const char *message,
    size_t message_len, const char *code);

/* Reason phrase and UPPER_SNAKE code waav uses for an HTTP error status. */
typedef struct {
    int          status;
    const char  *message;
    const char  *code;
} waav_status_info_t;

/* Never NULL: unknown statuses get a generic client or server error. */
const waav_status_info_t *waav_status_info(int status);

/* 1 when len bytes of s are valid UTF-8 (no overlongs, no surrogates). */
int waav_utf8_valid(const char *s, size_t len);

/* characters (not continuation bytes) in len bytes of UTF-8 */
size_t waav_utf8_chars(const char *s, size_t len);

#endif /* WAAV_JSON_H */
