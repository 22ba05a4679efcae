/*
 * waav: base64 audio in a JSON member, streamed (see waav_b64json.h).
 */

#include <string.h>

#include "waav_base64.h"
#include "waav_b64json.h"


enum {
    WAAV_B64_START = 0,             /* before the top-level '{' */
    WAAV_B64_MEMBER,                /* a key, or '}' */
    WAAV_B64_KEY,                   /* in a key */
    WAAV_B64_COLON,
    WAAV_B64_VALUE,                 /* before a value */
    WAAV_B64_AUDIO,                 /* in the base64 string */
    WAAV_B64_SKIP,                  /* in another member's value */
    WAAV_B64_AFTER,                 /* ',' or '}' */
    WAAV_B64_DONE                   /* after the closing '}' */
};


void
waav_b64json_init(const waav_xform_t *x, void *state)
{
    waav_b64json_t  *d = state;

    memset(d, 0, sizeof(waav_b64json_t));
    d->field = x->field;
    d->field_len = strlen(x->field);
    d->unum = -1;
    d->flags = x->flags;
}


/*
 * A byte of a RIFF file's header, after "RIFF": the file's size and
 * "WAVE" (to byte 12), then chunks (id, size, data padded to even) up to
 * the "data" chunk, whose 8 header bytes end it.  -1: too long a header.
 */
static int
waav_b64json_wav_byte(waav_b64json_t *d, unsigned at, unsigned char c)
{
    uint32_t  size;

    if (at >= WAAV_B64JSON_WAV_MAX) {
        return -1;
    }

    if (at < 12) {
        return 0;
    }

    if (d->chunk_left) {
        d->chunk_left--;
        return 0;
    }

    d->chunk[d->chunk_len++] = c;

    if (d->chunk_len < 8) {
        return 0;
    }

    d->chunk_len = 0;

    if (memcmp(d->chunk, "data", 4) == 0) {
        d->wav_done = 1;
        return 0;
    }

    size = (uint32_t) d->chunk[4] | (uint32_t) d->chunk[5] << 8
           | (uint32_t) d->chunk[6] << 16 | (uint32_t) d->chunk[7] << 24;

    if (size >= WAAV_B64JSON_WAV_MAX) {
        return -1;
    }

    d->chunk_left = size + (size & 1);

    return 0;
}


/*
 * The n bytes just decoded into out, without a leading WAV header when
 * asked: the first 4 are held until they tell; a RIFF file's header is
 * dropped up to its "data" chunk.  out has room for WAAV_XFORM_SLACK more.
 * -1: a WAV header too long to be one.
 */
static long
waav_b64json_unwrap(waav_b64json_t *d, char *out, size_t n)
{
    size_t    i, o;
    unsigned  at;

    if (!(d->flags & WAAV_B64JSON_NO_WAV_HEADER) || d->wav_done) {
        d->audio += n;
        return (long) n;
    }

    o = 0;

    for (i = 0; i < n; i++) {
        at = d->audio++;

        if (d->wav_done) {
            out[o++] = out[i];
            continue;
        }

        if (at < 4) {
            d->held[at] = out[i];

            if (at < 3) {
                continue;
            }

            if (memcmp(d->held, "RIFF", 4) == 0) {
                continue;
            }

            /* not a WAV: what was held goes out, and everything after */
            d->flags &= ~WAAV_B64JSON_NO_WAV_HEADER;
            memmove(out + 4, out + i + 1, n - i - 1);
            memcpy(out, d->held, 4);
            d->audio += (unsigned) (n - i - 1);

            return (long) (4 + (n - i - 1));
        }

        if (waav_b64json_wav_byte(d, at, (unsigned char) out[i]) != 0) {
            return -1;
        }
    }

    return (long) o;
}


static int
waav_b64json_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}


/* one character of the base64 text (JSON escapes already undone) */
static int
waav_b64json_digit(waav_b64json_t *d, char c, char *out, size_t *n)
{
    int  v;

    if (waav_b64json_ws(c)) {
        return 0;
    }

    if (c == '=') {
        /* at most two, and only to fill the last quantum */
        if (++d->pad > 2 || (d->chars % 4) < 2) {
            return -1;
        }

        d->chars++;
        return 0;
    }

    v = waav_base64_digit((unsigned char) c,
                          WAAV_BASE64_STD | WAAV_BASE64_URL);

    if (v < 0 || d->pad) {
        return -1;
    }

    d->chars++;
    d->bits = (d->bits << 6) | (uint32_t) v;
    d->nbits += 6;

    if (d->nbits >= 8) {
        d->nbits -= 8;
        out[(*n)++] = (char) (d->bits >> d->nbits);
        d->bits &= (1u << d->nbits) - 1;
    }

    return 0;
}


static int
waav_b64json_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}


/* a byte of the audio string: escapes, the closing quote, base64 */
static int
waav_b64json_audio(waav_b64json_t *d, char c, char *out, size_t *n)
{
    int  i, v;

    if (d->unum >= 0) {
        if (waav_b64json_hex(c) < 0) {
            return -1;
        }

        d->uhex[d->unum++] = c;

        if (d->unum < 4) {
            return 0;
        }

        d->unum = -1;

        for (v = 0, i = 0; i < 4; i++) {
            v = v * 16 + waav_b64json_hex(d->uhex[i]);
        }

        return v < 0x80 ? waav_b64json_digit(d, (char) v, out, n) : -1;
    }

    if (d->escape) {
        d->escape = 0;

        switch (c) {
        case '/':
            return waav_b64json_digit(d, '/', out, n);
        case 'n':
        case 'r':
        case 't':
            return 0;
        case 'u':
            d->unum = 0;
            return 0;
        default:
            return -1;
        }
    }

    if (c == '\\') {
        d->escape = 1;
        return 0;
    }

    if (c == '"') {
        /* whole quanta only (padding counted) or the unpadded rest */
        if (d->chars % 4 == 1) {
            return -1;
        }

        d->found = 1;
        d->state = WAAV_B64_AFTER;
        return 0;
    }

    return waav_b64json_digit(d, c, out, n);
}


/* a byte of a value skipped: strings, nesting, scalars */
static int
waav_b64json_skip(waav_b64json_t *d, char c)
{
    if (d->in_str) {
        if (d->escape) {
            d->escape = 0;

        } else if (c == '\\') {
            d->escape = 1;

        } else if (c == '"') {
            d->in_str = 0;

            if (d->depth == 0) {
                d->state = WAAV_B64_AFTER;
            }
        }

        return 0;
    }

    if (c == '"') {
        d->in_str = 1;
        return 0;
    }

    if (c == '{' || c == '[') {
        if (++d->depth > 64) {
            return -1;
        }

        return 0;
    }

    if (c == '}' || c == ']') {
        if (d->depth == 0) {
            /* the end of a scalar, and of the object */
            if (c == ']') {
                return -1;
            }

            d->state = WAAV_B64_DONE;
            return 0;
        }

        if (--d->depth == 0) {
            d->state = WAAV_B64_AFTER;
        }

        return 0;
    }

    if (d->depth == 0 && (c == ',' || waav_b64json_ws(c))) {
        d->state = (c == ',') ? WAAV_B64_MEMBER : WAAV_B64_AFTER;
    }

    return 0;
}


/* one byte of the document outside the audio */
static int
waav_b64json_byte(waav_b64json_t *d, char c)
{
    switch (d->state) {

    case WAAV_B64_START:
        if (c == '{') {
            d->state = WAAV_B64_MEMBER;
            return 0;
        }

        return waav_b64json_ws(c) ? 0 : -1;

    case WAAV_B64_MEMBER:
        if (c == '"') {
            d->state = WAAV_B64_KEY;
            d->key_len = 0;
            d->key_match = 1;
            d->escape = 0;
            return 0;
        }

        if (c == '}') {
            d->state = WAAV_B64_DONE;
            return 0;
        }

        return waav_b64json_ws(c) ? 0 : -1;

    case WAAV_B64_KEY:
        if (d->escape) {
            d->escape = 0;
            d->key_match = 0;           /* an escaped key: not ours */

        } else if (c == '\\') {
            d->escape = 1;

        } else if (c == '"') {
            d->key_match = d->key_match && d->key_len == d->field_len;
            d->state = WAAV_B64_COLON;
            return 0;

        } else if (d->key_len >= d->field_len || d->field[d->key_len] != c) {
            d->key_match = 0;
        }

        d->key_len++;
        return 0;

    case WAAV_B64_COLON:
        if (c == ':') {
            d->state = WAAV_B64_VALUE;
            return 0;
        }

        return waav_b64json_ws(c) ? 0 : -1;

    case WAAV_B64_VALUE:
        if (waav_b64json_ws(c)) {
            return 0;
        }

        if (d->key_match) {
            /* ours: a string, and only once */
            if (c != '"' || d->found) {
                return -1;
            }

            d->state = WAAV_B64_AUDIO;
            d->escape = 0;
            return 0;
        }

        d->state = WAAV_B64_SKIP;
        d->depth = 0;
        d->in_str = 0;
        d->escape = 0;
        return waav_b64json_skip(d, c);

    case WAAV_B64_SKIP:
        return waav_b64json_skip(d, c);

    case WAAV_B64_AFTER:
        if (c == ',') {
            d->state = WAAV_B64_MEMBER;
            return 0;
        }

        if (c == '}') {
            d->state = WAAV_B64_DONE;
            return 0;
        }

        return waav_b64json_ws(c) ? 0 : -1;

    default:                            /* DONE: whitespace only */
        return waav_b64json_ws(c) ? 0 : -1;
    }
}


int
waav_b64json_feed(void *state, const char *in, size_t len, char *out,
    size_t *out_len)
{
    waav_b64json_t  *d = state;
    long             unwrapped;
    size_t           i, n;
    int              rc;

    n = 0;
    *out_len = 0;

    if (d->error) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        rc = (d->state == WAAV_B64_AUDIO)
             ? waav_b64json_audio(d, in[i], out, &n)
             : waav_b64json_byte(d, in[i]);

        if (rc != 0) {
            d->error = 1;
            return -1;
        }
    }

    unwrapped = waav_b64json_unwrap(d, out, n);

    if (unwrapped < 0) {
        d->error = 1;
        return -1;
    }

    *out_len = (size_t) unwrapped;

    return 0;
}


int
waav_b64json_end(void *state)
{
    waav_b64json_t  *d = state;

    if (d->error || !d->found || d->state != WAAV_B64_DONE) {
        return -1;
    }

    /* audio still held (fewer than 4 bytes), or a WAV header that never
     * reached its "data" chunk: no audio */
    if ((d->flags & WAAV_B64JSON_NO_WAV_HEADER) && d->audio
        && !d->wav_done)
    {
        return -1;
    }

    return 0;
}
