/*
 * waav: espeak-ng (see waav_espeak.h).
 */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <espeak-ng/speak_lib.h>

#include "waav_espeak.h"
#include "waav_pcm.h"


/* espeak-ng hands samples over every 50 ms of audio */
#define WAAV_ESPEAK_BUFLEN  50

/* the voices: language names (en-gb), espeak-ng's ids (gmw/en), their
 * names (English (Great Britain)) and genders */
static char    **waav_espeak_names;
static char    **waav_espeak_ids;
static char    **waav_espeak_titles;
static int      *waav_espeak_genders;
static size_t    waav_espeak_nnames;


/* the voices' language names, copied: espeak-ng's list is its own */
static int
waav_espeak_list(void)
{
    size_t               n, i;
    const espeak_VOICE **v;

    v = espeak_ListVoices(NULL);

    for (n = 0; v && v[n]; n++) {
        /* void */
    }

    waav_espeak_names = calloc(n ? n : 1, sizeof(char *));
    waav_espeak_ids = calloc(n ? n : 1, sizeof(char *));
    waav_espeak_titles = calloc(n ? n : 1, sizeof(char *));
    waav_espeak_genders = calloc(n ? n : 1, sizeof(int));
    if (waav_espeak_names == NULL || waav_espeak_ids == NULL
        || waav_espeak_titles == NULL || waav_espeak_genders == NULL)
    {
        return -1;
    }

    for (i = 0; i < n; i++) {
        /* languages: a priority byte, then the name */
        if (v[i]->languages == NULL || v[i]->languages[0] == '\0'
            || v[i]->identifier == NULL)
        {
            continue;
        }

        waav_espeak_names[waav_espeak_nnames] = strdup(v[i]->languages + 1);
        waav_espeak_ids[waav_espeak_nnames] = strdup(v[i]->identifier);
        waav_espeak_titles[waav_espeak_nnames] = strdup(v[i]->name
                                                        ? v[i]->name : "");
        waav_espeak_genders[waav_espeak_nnames] = v[i]->gender;
        waav_espeak_nnames++;

        if (waav_espeak_names[waav_espeak_nnames - 1] == NULL
            || waav_espeak_ids[waav_espeak_nnames - 1] == NULL
            || waav_espeak_titles[waav_espeak_nnames - 1] == NULL)
        {
            return -1;
        }
    }

    return 0;
}


static int waav_espeak_synth_cb(short *wav, int n, espeak_EVENT *ev);


int
waav_espeak_init(char *err, size_t len)
{
    int  rate;

    if (waav_espeak_names) {
        return 0;
    }

    /*
     * espeak-ng keeps its voice list and an audio object in memory that
     * espeak_Terminate() does not free; unloaded with the module (nginx
     * unloads it at exit and reload), they would be orphaned: leaks.  It
     * stays loaded for the process's life instead.
     */
    (void) dlopen("libespeak-ng.so.1", RTLD_NOW | RTLD_NODELETE);

    rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, WAAV_ESPEAK_BUFLEN,
                             NULL, espeakINITIALIZE_DONT_EXIT);

    if (rate != WAAV_LOCAL_RATE) {
        snprintf(err, len, "espeak-ng did not start (%d): is espeak-ng-data "
                 "installed?", rate);
        return -1;
    }

    espeak_SetSynthCallback(waav_espeak_synth_cb);

    if (waav_espeak_list() != 0) {
        snprintf(err, len, "no memory for espeak-ng's voices");
        waav_espeak_exit();
        return -1;
    }

    return 0;
}


void
waav_espeak_exit(void)
{
    size_t  i;

    if (waav_espeak_names == NULL) {
        return;
    }

    for (i = 0; i < waav_espeak_nnames; i++) {
        free(waav_espeak_names[i]);
        free(waav_espeak_ids[i]);
        free(waav_espeak_titles[i]);
    }

    free(waav_espeak_names);
    free(waav_espeak_ids);
    free(waav_espeak_titles);
    free(waav_espeak_genders);
    waav_espeak_names = NULL;
    waav_espeak_ids = NULL;
    waav_espeak_titles = NULL;
    waav_espeak_genders = NULL;
    waav_espeak_nnames = 0;

    espeak_Terminate();
}


size_t
waav_espeak_voices(void)
{
    return waav_espeak_nnames;
}


const char *
waav_espeak_voice(size_t i)
{
    return i < waav_espeak_nnames ? waav_espeak_names[i] : NULL;
}


const char *
waav_espeak_voice_title(size_t i)
{
    return i < waav_espeak_nnames ? waav_espeak_titles[i] : NULL;
}


int
waav_espeak_voice_gender(size_t i)
{
    return i < waav_espeak_nnames ? waav_espeak_genders[i] : 0;
}


const char *
waav_espeak_voice_id(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < waav_espeak_nnames; i++) {
        if (strlen(waav_espeak_names[i]) == len
            && strncasecmp(waav_espeak_names[i], name, len) == 0)
        {
            return waav_espeak_ids[i];
        }
    }

    return NULL;
}


/* espeak-ng's samples, appended to the job's (its user_data) */
static int
waav_espeak_synth_cb(short *wav, int n, espeak_EVENT *ev)
{
    size_t              cap;
    int16_t            *p;
    waav_espeak_job_t  *job;

    job = ev ? ev->user_data : NULL;

    if (job == NULL || wav == NULL || n <= 0) {
        return 0;
    }

    if (job->pcm_len + (size_t) n > job->pcm_cap) {
        cap = job->pcm_cap ? 2 * job->pcm_cap : 16384;

        while (cap < job->pcm_len + (size_t) n) {
            cap *= 2;
        }

        p = realloc(job->pcm, cap * sizeof(int16_t));
        if (p == NULL) {
            job->nomem = 1;
            return 1;                       /* stops the synthesis */
        }

        job->pcm = p;
        job->pcm_cap = cap;
    }

    memcpy(job->pcm + job->pcm_len, wav, (size_t) n * sizeof(int16_t));
    job->pcm_len += n;

    return 0;
}


static int
waav_espeak_fail(waav_espeak_job_t *job, const char *what)
{
    snprintf(job->err, sizeof(job->err), "%s", what);
    return -1;
}


/* the piece's samples, resampled and encoded into job->out */
static int
waav_espeak_encode(waav_espeak_job_t *job, int last)
{
    size_t          need;
    unsigned char  *p;

    if (!job->rs_ready) {
        if (waav_resample_init(&job->rs, WAAV_LOCAL_RATE, job->rate) != 0) {
            return waav_espeak_fail(job, "the resampler did not start");
        }

        job->rs_ready = 1;
    }

    if (waav_resample(&job->rs, job->pcm, job->pcm_len, last) != 0) {
        return waav_espeak_fail(job, "the resampler failed");
    }

    need = job->rs.len * waav_pcm_width(job->fmt);

    if (need > job->out_cap) {
        p = realloc(job->out, need);
        if (p == NULL) {
            return waav_espeak_fail(job, "no memory for audio");
        }

        job->out = p;
        job->out_cap = need;
    }

    job->out_len = waav_pcm_encode(job->fmt, job->rs.out, job->rs.len,
                                   job->out);
    job->samples += job->rs.len;

    return 0;
}


int
waav_espeak_piece(waav_espeak_job_t *job, const char *text, size_t len,
    int last)
{
    espeak_ERROR  e;

    job->pcm_len = 0;
    job->out_len = 0;
    job->nomem = 0;

    if (waav_espeak_names == NULL) {
        return waav_espeak_fail(job, "espeak-ng is not loaded");
    }

    /* the engine's settings are global: set for every piece, as another
     * request's piece may have changed them */
    if (espeak_SetVoiceByName(job->voice) != EE_OK) {
        return waav_espeak_fail(job, "espeak-ng has no such voice");
    }

    (void) espeak_SetParameter(espeakRATE, job->wpm, 0);

    e = espeak_Synth(text, len + 1, 0, POS_CHARACTER, 0,
                     espeakCHARS_UTF8 | espeakENDPAUSE, NULL, job);

    if (job->nomem) {
        return waav_espeak_fail(job, "no memory for audio");
    }

    if (e != EE_OK) {
        return waav_espeak_fail(job, "espeak-ng failed");
    }

    return waav_espeak_encode(job, last);
}


void
waav_espeak_job_free(waav_espeak_job_t *job)
{
    if (job->rs_ready) {
        waav_resample_free(&job->rs);
    }

    free(job->pcm);
    free(job->out);

    job->pcm = NULL;
    job->out = NULL;
    job->rs_ready = 0;
}
