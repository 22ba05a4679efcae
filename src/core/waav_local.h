/*
 * waav: the `local` provider's requests, engine aside: which espeak-ng
 * voice a synthesis asks for (the model of "local/en-us", else its voice),
 * and what a voice name may look like.  Pure C; the engines are in
 * src/core/local/.
 */

#ifndef WAAV_LOCAL_H
#define WAAV_LOCAL_H

#include <stddef.h>

#include "waav_tts.h"
#include "waav_voices.h"

#define WAAV_LOCAL_VOICE_MAX   40       /* "vi-vn-x-central": 15 */
#define WAAV_LOCAL_RATE        22050    /* espeak-ng's own */
#define WAAV_LOCAL_VOICE       "en-us"  /* the default */

/* 1 when name is 1-40 bytes of a-z A-Z 0-9 and '-' */
int waav_local_voice_syntax(const char *name, size_t len);

/* the voice of a request waav_tts_build accepted for `local` */
waav_str_t waav_local_voice(const waav_tts_req_t *req);

/* espeak-ng's words a minute for a speaking_rate (1.0: 175) */
int waav_local_wpm(const waav_tts_req_t *req);

/* GET /voices: espeak-ng's voices as the worker loaded them
 * (tts/waav_tts_local_voices.c); empty until waav_local_voices_set() */
extern waav_voices_adapter_t  waav_voices_local;

/* the list /voices answers with (NULL: none); the entries must live until
 * the next call */
void waav_local_voices_set(const waav_voice_t *v, size_t n);

/* WaaV's entry of an espeak-ng voice: its language name as the id
 * ("en-us"), its name ("English (America)": language English, accent
 * America), espeak-ng's gender (1 male, 2 female); v points into id and
 * name */
void waav_local_voice_entry(waav_voice_t *v, const char *id,
    const char *name, int gender);

#endif /* WAAV_LOCAL_H */
