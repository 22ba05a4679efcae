/*
 * waav: the cache key of a TTS request ($waav_tts_cache_key).
 */

#ifndef WAAV_TTS_CACHE_H
#define WAAV_TTS_CACHE_H

#include <stddef.h>

#include "waav_tts.h"

#define WAAV_TTS_CACHE_KEY_LEN  64          /* hex SHA-256 */

/*
 * Writes to out (WAAV_TTS_CACHE_KEY_LEN bytes, no NUL) the hex SHA-256 of
 * everything that makes the audio: the provider, model, voice, format,
 * sample rate, speaking rate (at full precision: 1.0004 is not 1),
 * instructions, pronunciations and text, each length-prefixed so that no
 * two different requests read the same.  0, or -1 (OpenSSL failed).
 */
int waav_tts_cache_key(const char *provider, size_t provider_len,
    const waav_tts_req_t *q, unsigned sample_rate, char *out);

#endif /* WAAV_TTS_CACHE_H */
