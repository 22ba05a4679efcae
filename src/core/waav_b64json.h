/*
 * waav: audio carried as a base64 string in a JSON object, decoded as the
 * answer arrives: {"audioContent": "<base64>", ...} (Google, Gnani).
 *
 * A waav_xform_t (waav_xform.h): the top-level object's member named
 * x->field must be a string of standard or URL-safe base64 (JSON escapes,
 * whitespace and line breaks in it allowed), present once; other members
 * are skipped whatever they hold.  Constant memory, any cut between pieces.
 * With WAAV_B64JSON_NO_WAV_HEADER, audio that starts as a RIFF file loses
 * its header, every chunk up to and with the "data" chunk's own 8 bytes
 * (Google wraps raw PCM in a 44-byte header, G.711 in a longer one); a
 * header of more than WAAV_B64JSON_WAV_MAX bytes is an error.
 */

#ifndef WAAV_B64JSON_H
#define WAAV_B64JSON_H

#include <stddef.h>
#include <stdint.h>

#include "waav_xform.h"

#define WAAV_B64JSON_NO_WAV_HEADER  1     /* flags */
#define WAAV_B64JSON_WAV_MAX        4096

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
    unsigned     wav_done;          /* the WAV header is behind */
    unsigned     chunk_len;         /* bytes of a chunk header read */
    unsigned char chunk[8];         /* ... its id and size */
    uint32_t     chunk_left;        /* bytes of a chunk still to skip */
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
