/*
 * waav: speech to text with pocketsphinx (5prealpha's API), in nginx's
 * thread pool (see src/ngx_http_waav_local_stt.c).
 *
 * Each pool thread that runs a recognition loads its own decoder (the
 * en-us acoustic model, language model and dictionary) the first time,
 * and keeps it until the worker's end (waav_sphinx_exit()): decoders are
 * not shared, so recognitions run side by side without a lock.  The result is
 * JSON shaped as OpenAI's verbose answer, {"text", "language",
 * "duration", "words": [{"word", "start", "end", "confidence"}]}, which
 * the STT adapter normalizes as it does a provider's.  Pure C, no nginx.
 */

#ifndef WAAV_SPHINX_H
#define WAAV_SPHINX_H

#include <stddef.h>
#include <stdint.h>

#define WAAV_SPHINX_RATE   16000
#define WAAV_SPHINX_MODEL  "/usr/share/pocketsphinx/model/en-us"

typedef struct {
    /* the caller's: the samples' rate and channels (interleaved) */
    unsigned    rate;
    unsigned    channels;

    /* the answer, malloc()ed */
    char       *json;
    size_t      json_len;

    char        err[128];
} waav_sphinx_job_t;

/* n samples (all channels) into job->json; 0, or -1 with job->err */
int waav_sphinx_run(waav_sphinx_job_t *job, const int16_t *pcm, size_t n);

void waav_sphinx_job_free(waav_sphinx_job_t *job);

/* frees every thread's decoder: once no thread runs a recognition (the
 * worker's exit, after its thread pools') */
void waav_sphinx_exit(void);

#endif /* WAAV_SPHINX_H */
