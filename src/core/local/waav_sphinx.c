/*
 * waav: pocketsphinx (see waav_sphinx.h).
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pocketsphinx.h>

#include "waav_resample.h"
#include "waav_sphinx.h"


/* pocketsphinx's frames: 100 a second by default */
#define WAAV_SPHINX_FPS  100.0

/*
 * Each thread's decoder, and all of them in a list, freed by
 * waav_sphinx_exit() once the threads are done: a thread-specific
 * destructor would run as a pool thread exits, while the worker unloads
 * the module (and pocketsphinx) under it.  The mutex is taken when a
 * thread loads its decoder, once, never for a recognition.
 */
static __thread waav_sphinx_t  *waav_sphinx_mine;
static waav_sphinx_t           *waav_sphinx_all;
static waav_sphinx_t           *waav_sphinx_idle;
static pthread_mutex_t          waav_sphinx_mutex = PTHREAD_MUTEX_INITIALIZER;


static void
waav_sphinx_unload(waav_sphinx_t *sp)
{
    if (sp->ps) {
        ps_free(sp->ps);
    }

    if (sp->cfg) {
        cmd_ln_free_r(sp->cfg);
    }

    free(sp);
}


void
waav_sphinx_exit(void)
{
    waav_sphinx_t  *sp, *next;

    (void) pthread_mutex_lock(&waav_sphinx_mutex);

    for (sp = waav_sphinx_all; sp; sp = next) {
        next = sp->next;
        waav_sphinx_unload(sp);
    }

    waav_sphinx_all = NULL;
    waav_sphinx_idle = NULL;

    (void) pthread_mutex_unlock(&waav_sphinx_mutex);
}


waav_sphinx_t *
waav_sphinx_load(void)
{
    waav_sphinx_t  *sp;

    sp = calloc(1, sizeof(waav_sphinx_t));
    if (sp == NULL) {
        return NULL;
    }

    sp->cfg = cmd_ln_init(NULL, ps_args(), TRUE,
                          "-hmm", WAAV_SPHINX_MODEL "/en-us",
                          "-lm", WAAV_SPHINX_MODEL "/en-us.lm.bin",
                          "-dict", WAAV_SPHINX_MODEL "/cmudict-en-us.dict",
                          "-logfn", "/dev/null", NULL);

    sp->ps = sp->cfg ? ps_init(sp->cfg) : NULL;

    if (sp->ps == NULL) {
        waav_sphinx_unload(sp);
        return NULL;
    }

    (void) pthread_mutex_lock(&waav_sphinx_mutex);
    sp->next = waav_sphinx_all;
    waav_sphinx_all = sp;
    (void) pthread_mutex_unlock(&waav_sphinx_mutex);

    return sp;
}


waav_sphinx_t *
waav_sphinx_take(void)
{
    waav_sphinx_t  *sp;

    (void) pthread_mutex_lock(&waav_sphinx_mutex);

    sp = waav_sphinx_idle;

    if (sp) {
        waav_sphinx_idle = sp->idle;
        sp->idle = NULL;
    }

    (void) pthread_mutex_unlock(&waav_sphinx_mutex);

    return sp;
}


void
waav_sphinx_give(waav_sphinx_t *sp)
{
    (void) pthread_mutex_lock(&waav_sphinx_mutex);
    sp->idle = waav_sphinx_idle;
    waav_sphinx_idle = sp;
    (void) pthread_mutex_unlock(&waav_sphinx_mutex);
}


/* this thread's decoder, loaded the first time */
static ps_decoder_t *
waav_sphinx_decoder(void)
{
    waav_sphinx_t  *sp;

    if (waav_sphinx_mine) {
        return waav_sphinx_mine->ps;
    }

    sp = waav_sphinx_load();
    if (sp == NULL) {
        return NULL;
    }

    waav_sphinx_mine = sp;

    return sp->ps;
}


void
waav_sphinx_mix(const int16_t *pcm, size_t frames, unsigned channels,
    int16_t *mono)
{
    long    sum;
    size_t  i, c;

    for (i = 0; i < frames; i++) {
        sum = 0;

        for (c = 0; c < channels; c++) {
            sum += pcm[i * channels + c];
        }

        mono[i] = (int16_t) (sum / (long) channels);
    }
}


/* the samples as mono at 16 kHz: channels averaged, then resampled */
static int
waav_sphinx_mono(waav_sphinx_job_t *job, const int16_t *pcm, size_t n,
    waav_resample_t *rs)
{
    int       rc;
    size_t    frames;
    int16_t  *mono;

    frames = n / job->channels;

    mono = malloc((frames ? frames : 1) * sizeof(int16_t));
    if (mono == NULL) {
        return -1;
    }

    waav_sphinx_mix(pcm, frames, job->channels, mono);

    rc = waav_resample_init(rs, job->rate, WAAV_SPHINX_RATE);

    if (rc == 0) {
        rc = waav_resample(rs, mono, frames, 1);
    }

    free(mono);

    return rc;
}


/* a dictionary word as said: "read(2)" is "read"; NULL: not a word
 * (silence, noise, sentence marks) */
static size_t
waav_sphinx_word(const char *w)
{
    const char  *p;

    if (w == NULL || w[0] == '<' || w[0] == '[' || w[0] == '+') {
        return 0;
    }

    p = strchr(w, '(');

    return p ? (size_t) (p - w) : strlen(w);
}


/* appends printf-style text to the answer; -1 when it does not fit */
static int
waav_sphinx_put(waav_sphinx_job_t *job, size_t cap, const char *fmt,
    const char *w, size_t wlen, double a, double b, double c)
{
    int  n;

    n = snprintf(job->json + job->json_len, cap - job->json_len, fmt,
                 (int) wlen, w, a, b, c);

    if (n < 0 || (size_t) n >= cap - job->json_len) {
        return -1;
    }

    job->json_len += n;

    return 0;
}


/* a word is letters, digits, ' . - _ (the dictionary's); else left out */
static int
waav_sphinx_plain(const char *w, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (w[i] == '"' || w[i] == '\\' || (unsigned char) w[i] < 0x20) {
            return 0;
        }
    }

    return 1;
}


static int
waav_sphinx_answer(waav_sphinx_job_t *job, ps_decoder_t *ps, double duration)
{
    int          sf, ef, first;
    size_t       cap, len;
    int32        score;
    ps_seg_t    *seg;
    logmath_t   *lm;
    const char  *hyp, *w;

    hyp = ps_get_hyp(ps, &score);
    lm = ps_get_logmath(ps);

    cap = 256 + (hyp ? 8 * strlen(hyp) : 0);

    for (seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
        cap += 96 + strlen(ps_seg_word(seg));
    }

    job->json = malloc(cap);
    if (job->json == NULL) {
        return -1;
    }

    job->json_len = 0;

    if (waav_sphinx_put(job, cap, "{\"language\":\"en\",\"duration\":%.*s%.3f"
                        ",\"words\":[", "", 0, duration, 0, 0) != 0)
    {
        return -1;
    }

    first = 1;

    for (seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
        w = ps_seg_word(seg);
        len = waav_sphinx_word(w);

        if (len == 0 || !waav_sphinx_plain(w, len)) {
            continue;
        }

        ps_seg_frames(seg, &sf, &ef);

        if (waav_sphinx_put(job, cap, first ? "{\"word\":\"%.*s\",\"start\":"
                            "%.2f,\"end\":%.2f,\"confidence\":%.3f}"
                            : ",{\"word\":\"%.*s\",\"start\":%.2f,\"end\":"
                            "%.2f,\"confidence\":%.3f}",
                            w, len, sf / WAAV_SPHINX_FPS,
                            (ef + 1) / WAAV_SPHINX_FPS,
                            logmath_exp(lm, ps_seg_prob(seg, NULL, NULL,
                                                        NULL)))
            != 0)
        {
            return -1;
        }

        first = 0;
    }

    /* the text: the words, without pronunciation marks */
    if (waav_sphinx_put(job, cap, "],\"text\":\"%.*s", "", 0, 0, 0, 0) != 0) {
        return -1;
    }

    first = 1;

    for (seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
        w = ps_seg_word(seg);
        len = waav_sphinx_word(w);

        if (len == 0 || !waav_sphinx_plain(w, len)) {
            continue;
        }

        if (waav_sphinx_put(job, cap, first ? "%.*s" : " %.*s", w, len,
                            0, 0, 0) != 0)
        {
            return -1;
        }

        first = 0;
    }

    return waav_sphinx_put(job, cap, "\"}%.*s", "", 0, 0, 0, 0);
}


int
waav_sphinx_run(waav_sphinx_job_t *job, const int16_t *pcm, size_t n)
{
    int               rc;
    ps_decoder_t     *ps;
    waav_resample_t   rs;

    if (job->channels == 0 || job->rate == 0) {
        snprintf(job->err, sizeof(job->err), "no audio format");
        return -1;
    }

    ps = waav_sphinx_decoder();
    if (ps == NULL) {
        snprintf(job->err, sizeof(job->err), "pocketsphinx did not load its "
                 "model (%s): is pocketsphinx-en-us installed?",
                 WAAV_SPHINX_MODEL);
        return -1;
    }

    if (waav_sphinx_mono(job, pcm, n, &rs) != 0) {
        waav_resample_free(&rs);
        snprintf(job->err, sizeof(job->err), "no memory to resample");
        return -1;
    }

    rc = ps_start_utt(ps);

    if (rc == 0 && rs.len) {
        rc = ps_process_raw(ps, rs.out, rs.len, FALSE, TRUE) < 0 ? -1 : 0;
    }

    if (rc == 0) {
        rc = ps_end_utt(ps);
    }

    if (rc == 0) {
        rc = waav_sphinx_answer(job, ps, (double) rs.len / WAAV_SPHINX_RATE);
    }

    waav_resample_free(&rs);

    if (rc != 0) {
        snprintf(job->err, sizeof(job->err), "pocketsphinx failed");
        return -1;
    }

    return 0;
}


void
waav_sphinx_job_free(waav_sphinx_job_t *job)
{
    free(job->json);
    job->json = NULL;
}
