/*
 * waav: facts about the audio a client uploads for transcription: what
 * its Content-Type says (and what waav sends on in its place), whether
 * its first bytes are what that type promises, and how many seconds it
 * holds.  Pure C.
 */

#ifndef WAAV_AUDIO_H
#define WAAV_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "waav_alloc.h"

#define WAAV_AUDIO_HEAD        4096     /* first bytes the checks look at: a
                                         * WAV's fmt after a bext or LIST */
#define WAAV_AUDIO_MAX_RATE    192000   /* headerless PCM */
#define WAAV_AUDIO_MAX_CHANNELS  8

typedef enum {
    WAAV_AUDIO_NONE = 0,
    WAAV_AUDIO_WAV,
    WAAV_AUDIO_MP3,
    WAAV_AUDIO_OGG,
    WAAV_AUDIO_WEBM,
    WAAV_AUDIO_FLAC,
    WAAV_AUDIO_MP4,
    WAAV_AUDIO_PCM                      /* 16-bit little-endian, headerless */
} waav_audio_kind_e;

typedef struct {
    waav_audio_kind_e   kind;
    const char         *media_type;     /* the one waav sends: audio/wav, ... */
    const char         *ext;            /* wav, mp3, ..., pcm */
    unsigned            rate;           /* PCM: samples a second */
    unsigned            channels;       /* PCM: 1 unless said */

    /* WAV: what its fmt chunk says (waav_audio_wav_info); 0: not seen */
    unsigned            wav_format;     /* 1 PCM, 3 float, 6 A-law, ...;
                                         * an extensible one's sub-format */
    unsigned            wav_rate;
    unsigned            wav_channels;
    unsigned            wav_bits;
} waav_audio_t;

/*
 * A Content-Type (audio/wav, audio/x-wav, audio/mpeg, audio/ogg,
 * audio/webm, audio/flac, audio/mp4, audio/L16;rate=N[;channels=C]) into
 * au: 1; 0 when it is none of those, not plain text, or L16 without a
 * rate (415); -1 for L16 with a rate (8000-192000) or a channel count
 * (1-8) out of range, or given twice (400 INVALID_AUDIO).
 */
int waav_audio_type(waav_str_t ct, waav_audio_t *au);

/* the Content-Type to send to a provider (PCM's from the allocator) */
const char *waav_audio_content_type(const waav_audio_t *au, waav_alloc_t *a);

/* a file name's extension to a Content-Type (OpenAI's form), or NULL */
const char *waav_audio_ext_type(const char *filename);

/*
 * The body's first head_len bytes (all of it, or WAAV_AUDIO_HEAD) and its
 * total length against what au says it is: a WAV must be RIFF/WAVE with a
 * sane fmt chunk, a data chunk that is not empty and sizes that match the
 * body; a compressed format must start as that format does; headerless
 * PCM must be whole samples of every channel.  0, or -1 with err set
 * (400 INVALID_AUDIO).
 */
int waav_audio_check(const waav_audio_t *au, const unsigned char *head,
    size_t head_len, uint64_t total, waav_err_t *err);

/*
 * A WAV's fmt chunk, when it is in its first head_len bytes, into au's
 * wav_format, wav_rate, wav_channels and wav_bits: 0; -1 (left 0) when
 * it is not there, or au is no WAV.  After waav_audio_check.
 */
int waav_audio_wav_info(waav_audio_t *au, const unsigned char *head,
    size_t head_len);

/*
 * Whole seconds of audio, for quotas, estimated before the call: exact for
 * a WAV (its byte rate, counted as at most 192000 bytes a second) and for
 * headerless PCM, at 128 kbit/s for compressed formats; at least 1.
 */
uint64_t waav_audio_seconds(const waav_audio_t *au, const unsigned char *head,
    size_t head_len, uint64_t total);

/* RIFF/WAVE for headerless PCM: 16-bit, au's rate and channels, len bytes */
#define WAAV_AUDIO_WAV_HEADER  44

void waav_audio_wav_header(unsigned char *h, const waav_audio_t *au,
    uint64_t len);

#endif /* WAAV_AUDIO_H */
