/*
 * waav: text to speech with espeak-ng, piece by piece (see
 * src/ngx_http_waav_local_tts.c for how nginx runs it).
 *
 * espeak-ng keeps its state in globals: one synthesis at a time in a
 * process, whatever thread runs it.  waav_espeak_init() loads it once (a
 * worker, before any task); waav_espeak_piece() runs in nginx's thread
 * pool, one at a time in a worker (the worker's scheduler never posts two
 * at once), so no lock is needed.  Pure C, no nginx.
 */

#ifndef WAAV_ESPEAK_H
#define WAAV_ESPEAK_H

#include <stddef.h>
#include <stdint.h>

#include "waav_local.h"
#include "waav_resample.h"

typedef struct {
    /* the caller's, before the first piece */
    const char       *voice;            /* waav_espeak_voice_id()'s */
    int               wpm;              /* words a minute, 80-450 */
    unsigned          rate;             /* the client's sample rate */
    waav_fmt_e        fmt;              /* linear16, wav, mulaw, alaw */

    /* the last piece's audio, encoded */
    unsigned char    *out;
    size_t            out_len;
    uint64_t          samples;          /* all pieces' */

    /* espeak-ng's samples of the piece, and the resampler */
    int16_t          *pcm;
    size_t            pcm_len;
    size_t            pcm_cap;
    size_t            out_cap;
    waav_resample_t   rs;
    unsigned          rs_ready:1;
    unsigned          nomem:1;

    char              err[128];
} waav_espeak_job_t;

/* once per process; 0, or -1 with a message in err */
int waav_espeak_init(char *err, size_t len);
void waav_espeak_exit(void);

/* the voices, as their language names (en-us, en-gb, fr-fr, ...); valid
 * after waav_espeak_init(), until waav_espeak_exit() */
size_t waav_espeak_voices(void);
const char *waav_espeak_voice(size_t i);
/* its name ("English (America)") and gender (1 male, 2 female, 0 none) */
const char *waav_espeak_voice_title(size_t i);
int waav_espeak_voice_gender(size_t i);
/* espeak-ng's id of a voice named so (case aside): "gmw/en" of "en-gb";
 * NULL when there is none */
const char *waav_espeak_voice_id(const char *name, size_t len);

/* text (len bytes, NUL-terminated) into job->out; last: the resampler's
 * tail too.  0, or -1 with job->err */
int waav_espeak_piece(waav_espeak_job_t *job, const char *text, size_t len,
    int last);

void waav_espeak_job_free(waav_espeak_job_t *job);

#endif /* WAAV_ESPEAK_H */
