/*
 * waav: a streaming transform of a provider's answer (the TTS response
 * hook).
 *
 * Most providers answer a synthesis with the audio itself; some wrap it
 * (Google's {"audioContent": "<base64>"}).  An adapter's build names a
 * transform for the request (waav_tts_out_t.response), and the TTS glue
 * runs the provider's body through it as it arrives: each piece in, the
 * audio so far out, in constant memory.
 */

#ifndef WAAV_XFORM_H
#define WAAV_XFORM_H

#include <stddef.h>

/* what out holds beyond a piece's length (bytes a transform held back) */
#define WAAV_XFORM_SLACK  8

typedef struct waav_xform_s  waav_xform_t;

struct waav_xform_s {
    size_t        size;             /* of the state the glue allocates */
    const char   *field;            /* what to look for (a JSON member) */
    unsigned      flags;            /* the transform's own */

    void        (*init)(const waav_xform_t *x, void *state);

    /* len bytes of the answer in, at most len + WAAV_XFORM_SLACK bytes of
     * audio written to out; -1 when the answer is not what was expected */
    int         (*feed)(void *state, const char *in, size_t len, char *out,
                        size_t *out_len);

    /* after the last byte: -1 when the audio never came or was cut */
    int         (*end)(void *state);
};

#endif /* WAAV_XFORM_H */
