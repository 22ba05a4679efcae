/*
 * waav: audio carried as a base64 string in a JSON object, decoded as the
 * answer arrives: {"audioContent": "<base64>", ...} (Google, Gnani).
 *
 * A waav_xform_t (waav_xform.h): the top-level object's member named
 * x->field must be a string of standard or URL-safe base64 (JSON escapes,
 * whitespace and line breaks in it allowed), present once; other members
 * are skipped whatever they hold.  Constant memory, any cut between pieces.
 * With WAAV_B64JSON_NO_WAV_HEADER, audio that starts as a RIFF file loses
 * its first 44 bytes (Google wraps raw PCM and G.711 in a WAV header).
 */

#ifndef WAAV_B64JSON_H
#define WAAV_B64JSON_H

#include <stddef.h>
#include <stdint.h>

#include "waav_xform.h"

#define WAAV_B64JSON_NO_WAV_HEADER  1     /* flags */
#define WAAV_B64JSON_WAV_HEADER     44

typedef struct {
    const char  *field;
    size_t       field_len;

    int          state;
    int          error;
    int          found;             /* the member was decoded */

    size_t       key_len;           /* bytes of the current key read */
    int          key_match;         /* ... and they match field so far */

    unsigned     depth;             /* nesting of a skipped value */
    int          in_str;            /* in a skipped string */
    int          escape;            /* after a backslash */
    char         uhex[4];           /* \uXXXX being read */
    int          unum;              /* its digits so far, -1: none */

    uint32_t     bits;              /* base64 bits not yet out */
    int          nbits;
    unsigned     chars;             /* base64 characters and padding */
    int          pad;

    unsigned     flags;
    unsigned     audio;             /* audio bytes decoded so far */
    char         held[4];           /* the first, until RIFF or not */
} waav_b64json_t;

void waav_b64json_init(const waav_xform_t *x, void *state);
int waav_b64json_feed(void *state, const char *in, size_t len, char *out,
    size_t *out_len);
int waav_b64json_end(void *state);

/* an adapter's response hook: WAAV_B64JSON_XFORM("audioContent", 0) */
#define WAAV_B64JSON_XFORM(name, flags)                                     \
    { sizeof(waav_b64json_t), name, flags, waav_b64json_init,               \
      waav_b64json_feed, waav_b64json_end }

#endif /* WAAV_B64JSON_H */
