/*
 * waav: live speech to text with pocketsphinx, for /ws (see
 * src/ngx_http_waav_ws_local.c): a session's audio is fed in pieces as it
 * comes, each piece in a pool thread, one piece of a session at a time.
 *
 * The session keeps a decoder of its own (waav_sphinx_take(), else one
 * loaded by the first feed) in utterance mode: pocketsphinx's voice
 * activity detection (-remove_silence) tells when speech starts and ends;
 * while in speech the hypothesis so far is an interim result (when it
 * changed), at its end (or at a flush) the utterance's hypothesis is a
 * final one and the next utterance begins.  Audio is mixed to mono and
 * resampled to 16 kHz (waav_resample.h) on the way, the resampler's state
 * kept from piece to piece.  The live pass normalizes the cepstrum with a
 * running mean, which misses the first words of a session: a final is
 * the utterance's audio decoded again whole (as /listen does it), and
 * the live pass only finds where utterances end and says interims.  Silence gives nothing; speech that gives no
 * word gives a final only when an interim was said for it.  Pure C, no
 * nginx.
 */

#ifndef WAAV_SPHINX_LIVE_H
#define WAAV_SPHINX_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "waav_resample.h"
#include "waav_sphinx.h"

/* speech is looked for every this many 16 kHz samples (100 ms) */
#define WAAV_SPHINX_LIVE_STEP  1600

/* an utterance's audio kept for its final (30 s): longer, it ends there;
 * before speech, the last half second is kept */
#define WAAV_SPHINX_LIVE_UTT   (30 * 16000)
#define WAAV_SPHINX_LIVE_PRE   8000

typedef struct {
    char        *text;              /* malloc()ed, NUL-terminated */
    size_t       len;
    int          final;             /* the utterance ended */
    double       confidence;        /* a final's posterior, 0-1 */
} waav_sphinx_result_t;

typedef struct {
    waav_sphinx_result_t   *res;    /* malloc()ed */
    size_t                  n;
    size_t                  cap;
    char                    err[128];
} waav_sphinx_out_t;

typedef struct {
    /* the caller's audio: its rate and channels (interleaved) */
    unsigned         rate;
    unsigned         channels;

    waav_sphinx_t   *sp;            /* NULL until the first feed */
    waav_resample_t  rs;
    int16_t         *mono;          /* the mixing's buffer */
    size_t           mono_cap;
    int16_t         *utt;           /* the utterance's 16 kHz audio */
    size_t           utt_len;
    char            *interim;       /* the last interim said, malloc()ed */
    unsigned         ready:1;       /* the resampler is set */
    unsigned         speech:1;      /* in an utterance's speech */
} waav_sphinx_live_t;

/* in a pool thread: n samples (all channels; n a multiple of channels,
 * may be 0: the decoder is loaded) into results appended to out; end: the
 * utterance ends after them (a flush).  0, or -1 with out->err */
int waav_sphinx_live_feed(waav_sphinx_live_t *lv, const int16_t *pcm,
    size_t n, int end, waav_sphinx_out_t *out);

/* the session is over (no feed runs): its decoder to the idle list, the
 * rest freed; lv may be fed again (a decoder is taken again) */
void waav_sphinx_live_free(waav_sphinx_live_t *lv);

/* the results freed, out empty again */
void waav_sphinx_out_free(waav_sphinx_out_t *out);

#endif /* WAAV_SPHINX_LIVE_H */
