/*
 * waav: live speech to text with pocketsphinx (see waav_sphinx_live.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pocketsphinx.h>

#include "waav_sphinx_live.h"


static int
waav_sphinx_live_add(waav_sphinx_out_t *out, const char *text, int final,
    double confidence)
{
    size_t                 len, cap;
    waav_sphinx_result_t  *res;

    if (out->n == out->cap) {
        cap = out->cap ? out->cap * 2 : 4;

        res = realloc(out->res, cap * sizeof(waav_sphinx_result_t));
        if (res == NULL) {
            return -1;
        }

        out->res = res;
        out->cap = cap;
    }

    len = strlen(text);
    res = &out->res[out->n];

    res->text = malloc(len + 1);
    if (res->text == NULL) {
        return -1;
    }

    memcpy(res->text, text, len + 1);
    res->len = len;
    res->final = final;
    res->confidence = confidence;
    out->n++;

    return 0;
}


/* the mean confidence of the words of the hypothesis decoded last */
static double
waav_sphinx_live_confidence(ps_decoder_t *ps)
{
    double       sum;
    size_t       n;
    ps_seg_t    *seg;
    logmath_t   *lm;
    const char  *w;

    lm = ps_get_logmath(ps);
    sum = 0.0;
    n = 0;

    for (seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
        w = ps_seg_word(seg);

        if (w == NULL || w[0] == '<' || w[0] == '[' || w[0] == '+') {
            continue;
        }

        sum += logmath_exp(lm, ps_seg_prob(seg, NULL, NULL, NULL));
        n++;
    }

    return n ? sum / n : 0.0;
}


/* the utterance ends: its audio decoded again whole, its words a final,
 * and the next utterance begins */
static int
waav_sphinx_live_final(waav_sphinx_live_t *lv, waav_sphinx_out_t *out)
{
    int            rc;
    double         conf;
    ps_decoder_t  *ps;
    const char    *hyp;

    ps = lv->sp->ps;
    rc = 0;
    hyp = NULL;

    lv->sp->utt = 0;

    if (ps_end_utt(ps) < 0) {
        return -1;
    }

    if (lv->utt_len
        && ps_start_utt(ps) == 0
        && ps_process_raw(ps, lv->utt, lv->utt_len, 0, 1) >= 0
        && ps_end_utt(ps) == 0)
    {
        hyp = ps_get_hyp(ps, NULL);
    }

    if (hyp == NULL) {
        hyp = "";
    }

    /* no word: said only to end the interims there were */
    if (hyp[0] != '\0' || lv->interim) {
        conf = waav_sphinx_live_confidence(ps);
        rc = waav_sphinx_live_add(out, hyp, 1, conf);
    }

    free(lv->interim);
    lv->interim = NULL;
    lv->speech = 0;
    lv->utt_len = 0;

    if (ps_start_utt(ps) < 0) {
        return -1;
    }

    lv->sp->utt = 1;

    return rc;
}


/* 16 kHz samples into the utterance's audio: before speech only the last
 * WAAV_SPHINX_LIVE_PRE are kept */
static int
waav_sphinx_live_keep(waav_sphinx_live_t *lv, const int16_t *p, size_t n)
{
    if (lv->utt == NULL) {
        lv->utt = malloc(WAAV_SPHINX_LIVE_UTT * sizeof(int16_t));
        if (lv->utt == NULL) {
            return -1;
        }
    }

    if (!lv->speech && lv->utt_len + n > WAAV_SPHINX_LIVE_PRE) {
        memmove(lv->utt, lv->utt + lv->utt_len + n - WAAV_SPHINX_LIVE_PRE,
                (WAAV_SPHINX_LIVE_PRE - n) * sizeof(int16_t));
        lv->utt_len = WAAV_SPHINX_LIVE_PRE - n;
    }

    memcpy(lv->utt + lv->utt_len, p, n * sizeof(int16_t));
    lv->utt_len += n;

    return 0;
}


/* in speech: the hypothesis so far, when it changed */
static int
waav_sphinx_live_interim(waav_sphinx_live_t *lv, waav_sphinx_out_t *out)
{
    size_t       len;
    const char  *hyp;

    hyp = ps_get_hyp(lv->sp->ps, NULL);

    if (hyp == NULL || hyp[0] == '\0'
        || (lv->interim && strcmp(lv->interim, hyp) == 0))
    {
        return 0;
    }

    len = strlen(hyp);
    free(lv->interim);

    lv->interim = malloc(len + 1);
    if (lv->interim == NULL) {
        return -1;
    }

    memcpy(lv->interim, hyp, len + 1);

    return waav_sphinx_live_add(out, hyp, 0, 0.0);
}


/* the decoder, the resampler, an utterance open */
static int
waav_sphinx_live_start(waav_sphinx_live_t *lv, waav_sphinx_out_t *out)
{
    if (lv->sp == NULL) {
        lv->sp = waav_sphinx_take();

        if (lv->sp == NULL) {
            lv->sp = waav_sphinx_load();
        }

        if (lv->sp == NULL) {
            snprintf(out->err, sizeof(out->err), "pocketsphinx did not load "
                     "its model (%s): is pocketsphinx-en-us installed?",
                     WAAV_SPHINX_MODEL);
            return -1;
        }

        /* an earlier session's utterance, left open: not this one's */
        if (lv->sp->utt) {
            (void) ps_end_utt(lv->sp->ps);
            lv->sp->utt = 0;
        }
    }

    if (!lv->ready) {
        if (waav_resample_init(&lv->rs, lv->rate, WAAV_SPHINX_RATE) != 0) {
            snprintf(out->err, sizeof(out->err), "the resampler refused "
                     "%u Hz", lv->rate);
            return -1;
        }

        lv->ready = 1;
    }

    if (!lv->sp->utt) {
        if (ps_start_utt(lv->sp->ps) < 0) {
            snprintf(out->err, sizeof(out->err), "pocketsphinx failed");
            return -1;
        }

        lv->sp->utt = 1;
    }

    return 0;
}


/* 16 kHz samples, speech looked for every step */
static int
waav_sphinx_live_decode(waav_sphinx_live_t *lv, const int16_t *p, size_t n,
    waav_sphinx_out_t *out)
{
    size_t         step;
    ps_decoder_t  *ps;

    ps = lv->sp->ps;

    while (n) {
        step = n < WAAV_SPHINX_LIVE_STEP ? n : WAAV_SPHINX_LIVE_STEP;

        /* an utterance as long as it may be ends here */
        if (lv->utt_len + step > WAAV_SPHINX_LIVE_UTT
            && waav_sphinx_live_final(lv, out) != 0)
        {
            return -1;
        }

        if (waav_sphinx_live_keep(lv, p, step) != 0
            || ps_process_raw(ps, p, step, 0, 0) < 0)
        {
            return -1;
        }

        p += step;
        n -= step;

        if (ps_get_in_speech(ps)) {
            lv->speech = 1;

        } else if (lv->speech) {
            if (waav_sphinx_live_final(lv, out) != 0) {
                return -1;
            }
        }
    }

    return 0;
}


int
waav_sphinx_live_feed(waav_sphinx_live_t *lv, const int16_t *pcm, size_t n,
    int end, waav_sphinx_out_t *out)
{
    size_t     frames;
    int16_t   *mono;

    if (lv->rate == 0 || lv->channels == 0) {
        snprintf(out->err, sizeof(out->err), "no audio format");
        return -1;
    }

    if (waav_sphinx_live_start(lv, out) != 0) {
        return -1;
    }

    frames = n / lv->channels;

    if (frames > lv->mono_cap) {
        mono = realloc(lv->mono, frames * sizeof(int16_t));
        if (mono == NULL) {
            goto nomem;
        }

        lv->mono = mono;
        lv->mono_cap = frames;
    }

    if (frames) {
        waav_sphinx_mix(pcm, frames, lv->channels, lv->mono);

        if (waav_resample(&lv->rs, lv->mono, frames, 0) != 0) {
            goto nomem;
        }

        if (waav_sphinx_live_decode(lv, lv->rs.out, lv->rs.len, out) != 0) {
            goto failed;
        }
    }

    if (end && (lv->speech || lv->interim)) {
        if (waav_sphinx_live_final(lv, out) != 0) {
            goto failed;
        }

    } else if (lv->speech && waav_sphinx_live_interim(lv, out) != 0) {
        goto nomem;
    }

    return 0;

nomem:

    snprintf(out->err, sizeof(out->err), "no memory to recognize");
    return -1;

failed:

    snprintf(out->err, sizeof(out->err), "pocketsphinx failed");
    return -1;
}


void
waav_sphinx_live_free(waav_sphinx_live_t *lv)
{
    if (lv->sp) {
        waav_sphinx_give(lv->sp);
        lv->sp = NULL;
    }

    if (lv->ready) {
        waav_resample_free(&lv->rs);
        lv->ready = 0;
    }

    free(lv->mono);
    lv->mono = NULL;
    lv->mono_cap = 0;

    free(lv->utt);
    lv->utt = NULL;
    lv->utt_len = 0;

    free(lv->interim);
    lv->interim = NULL;
    lv->speech = 0;
}


void
waav_sphinx_out_free(waav_sphinx_out_t *out)
{
    size_t  i;

    for (i = 0; i < out->n; i++) {
        free(out->res[i].text);
    }

    free(out->res);
    out->res = NULL;
    out->n = 0;
    out->cap = 0;
    out->err[0] = '\0';
}
