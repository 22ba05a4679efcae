/*
 * waav: 16-bit PCM as the embedded engines hand it out: encoded for a
 * client (linear16 little-endian, G.711 mu-law and A-law), and the text a
 * synthesis is cut into so that its audio streams piece by piece.  Pure C.
 */

#ifndef WAAV_PCM_H
#define WAAV_PCM_H

#include <stddef.h>
#include <stdint.h>

#include "waav_tts.h"

/* G.711, as ITU-T's reference (Sun's g711.c) encodes it */
unsigned char waav_pcm_ulaw(int16_t s);
unsigned char waav_pcm_alaw(int16_t s);

/* bytes a sample takes in fmt: 2 (linear16, wav), 1 (mulaw, alaw), 0 for
 * a format waav does not encode from PCM */
size_t waav_pcm_width(waav_fmt_e fmt);

/* n samples into out (n * waav_pcm_width(fmt) bytes); returns the bytes
 * written, 0 for a format waav does not encode */
size_t waav_pcm_encode(waav_fmt_e fmt, const int16_t *in, size_t n,
    unsigned char *out);

/*
 * The length of the next piece of text to synthesize on its own: through
 * the first sentence end (". ", "! ", "? ", "; ", ": " or a line break)
 * found after min bytes; without one within max bytes, up to the last
 * white space before max; without any, max bytes cut back to a UTF-8
 * character boundary.  0 only for len 0; min <= max, max >= 4.
 */
size_t waav_pcm_text_piece(const char *s, size_t len, size_t min, size_t max);

/* a RIFF/WAVE file's sound: where its data starts, in what */
typedef struct {
    size_t     offset;              /* of the data chunk's bytes */
    unsigned   rate;
    unsigned   channels;
    unsigned   bits;
    unsigned   format;              /* 1: PCM */
} waav_pcm_wav_t;

/* the fmt and data chunks of a WAV's first len bytes: 0, or -1 when they
 * are not both there (the data chunk's bytes may start at len) */
int waav_pcm_wav(const unsigned char *h, size_t len, waav_pcm_wav_t *wav);

#endif /* WAAV_PCM_H */
