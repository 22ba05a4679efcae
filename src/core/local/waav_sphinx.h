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

/* frees every decoder (threads', sessions', idle ones): once no thread
 * runs a recognition (the worker's exit, after its thread pools') */
void waav_sphinx_exit(void);


/* --- decoders of their own (live recognition, waav_sphinx_live.h) --------
 * A decoder takes about 1.7 s of CPU and 90 MB to load: a session's, once
 * the session is over, waits in an idle list for the next one.  Every
 * decoder loaded is freed by waav_sphinx_exit(). */

struct cmd_ln_s;
struct ps_decoder_s;

typedef struct waav_sphinx_s  waav_sphinx_t;

struct waav_sphinx_s {
    struct cmd_ln_s       *cfg;
    struct ps_decoder_s   *ps;
    waav_sphinx_t         *next;        /* every decoder loaded */
    waav_sphinx_t         *idle;        /* the idle list's */
    unsigned               utt:1;       /* an utterance is open */
};

/* a decoder loaded now (in a pool thread: it reads the model); NULL when
 * the model does not load */
waav_sphinx_t *waav_sphinx_load(void);

/* an idle decoder (NULL: none), and one back to the idle list */
waav_sphinx_t *waav_sphinx_take(void);
void waav_sphinx_give(waav_sphinx_t *sp);

/* frames of interleaved samples, channels averaged, into mono */
void waav_sphinx_mix(const int16_t *pcm, size_t frames, unsigned channels,
    int16_t *mono);

#endif /* WAAV_SPHINX_H */
