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

#define WAAV_LOCAL_VOICE_MAX   40       /* "vi-vn-x-central": 15 */
#define WAAV_LOCAL_RATE        22050    /* espeak-ng's own */

/* 1 when name is 1-40 bytes of a-z A-Z 0-9 and '-' */
int waav_local_voice_syntax(const char *name, size_t len);

/* the voice of a request waav_tts_build accepted for `local` */
waav_str_t waav_local_voice(const waav_tts_req_t *req);

/* espeak-ng's words a minute for a speaking_rate (1.0: 175) */
int waav_local_wpm(const waav_tts_req_t *req);

#endif /* WAAV_LOCAL_H */
