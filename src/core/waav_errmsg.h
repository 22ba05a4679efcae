/*
 * waav: the human-readable message in a provider's error answer.
 */

#ifndef WAAV_ERRMSG_H
#define WAAV_ERRMSG_H

#include <stddef.h>

#define WAAV_ERRMSG_MAX  300

/*
 * Finds the message in a provider error body (OpenAI's error.message,
 * ElevenLabs' detail.message or detail, Deepgram's err_msg, message, error,
 * else the text itself), removes control characters, replaces any run of 8
 * or more bytes of key with "[redacted]", and writes at most cap - 1 bytes
 * plus a NUL to out.  Returns the length written.
 */
/*
 * Copies msg to out as above (control characters to spaces, key runs
 * "[redacted]", at most WAAV_ERRMSG_MAX bytes, cut on a UTF-8 boundary,
 * trailing spaces trimmed, NUL-terminated).  Returns the length written.
 */
size_t waav_scrub(const char *msg, size_t mlen, const char *key,
    size_t key_len, char *out, size_t cap);

size_t waav_provider_message(const char *body, size_t len, const char *key,
    size_t key_len, char *out, size_t cap);

#endif /* WAAV_ERRMSG_H */
