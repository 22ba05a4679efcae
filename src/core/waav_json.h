/*
 * waav: JSON text helpers shared by every handler.
 *
 * Pure C, free of nginx types, so it is unit-tested and fuzzed on its own.
 */

#ifndef WAAV_JSON_H
#define WAAV_JSON_H

#include <stddef.h>

#include "waav_alloc.h"

struct cJSON;

/* waav_json_parse() flags */
#define WAAV_JSON_UNIQUE  1         /* a key twice in an object: refused */
#define WAAV_JSON_NO_NUL  2         /* a NUL byte or \u0000: refused */
#define WAAV_JSON_WHOLE   4         /* only whitespace after the value */
#define WAAV_JSON_CLIENT  (WAAV_JSON_UNIQUE|WAAV_JSON_NO_NUL|WAAV_JSON_WHOLE)

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

/* 1 when len bytes of s are valid UTF-8 (no overlongs, no surrogates). */
int waav_utf8_valid(const char *s, size_t len);

/* the length of the valid UTF-8 sequence at s (len > 0), 0 if invalid */
size_t waav_utf8_seq(const unsigned char *s, size_t len);

/* characters (not continuation bytes) in len bytes of UTF-8 */
size_t waav_utf8_chars(const char *s, size_t len);

/* 1 when JSON text holds a NUL byte, or a "\u0000" escape outside an
 * escaped backslash (a string cJSON would cut short) */
int waav_json_has_nul(const char *json, size_t len);

/*
 * Parses len bytes of JSON into a cJSON tree whose nodes come from the
 * allocator (no malloc per node; never cJSON_Delete it: it goes with the
 * allocator's memory).  Client bodies are parsed WAAV_JSON_CLIENT: a
 * duplicate key at any depth is refused, so no layer can read the first
 * value while another reads the second; so is \u0000, which cJSON would
 * silently cut a string at.  NULL with err set: 400 INVALID_JSON, or
 * INVALID_REQUEST for what cJSON would accept.
 */
struct cJSON *waav_json_parse(const char *json, size_t len, unsigned flags,
    waav_alloc_t *a, waav_err_t *err);

#endif /* WAAV_JSON_H */
