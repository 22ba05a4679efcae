/*
 * waav: PCM encoding and the pieces a synthesis streams in (see
 * waav_pcm.h).
 */

#include <string.h>

#include "waav_pcm.h"


/* the segment of a magnitude: how many of the table's ends it exceeds */
static int
waav_pcm_segment(int v, const int *end)
{
    int  i;

    for (i = 0; i < 8; i++) {
        if (v <= end[i]) {
            return i;
        }
    }

    return 8;
}


unsigned char
waav_pcm_ulaw(int16_t s)
{
    int  v, mask, seg;

    static const int  end[8] = {
        0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff
    };

    v = s >> 2;                             /* 14 bits */

    if (v < 0) {
        v = -v;
        mask = 0x7f;

    } else {
        mask = 0xff;
    }

    if (v > 8159) {
        v = 8159;                           /* the clip */
    }

    v += 0x84 >> 2;                         /* the bias */

    seg = waav_pcm_segment(v, end);

    if (seg >= 8) {
        return (unsigned char) (0x7f ^ mask);
    }

    return (unsigned char) (((seg << 4) | ((v >> (seg + 1)) & 0xf)) ^ mask);
}


unsigned char
waav_pcm_alaw(int16_t s)
{
    int  v, mask, seg, aval;

    static const int  end[8] = {
        0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff
    };

    v = s >> 3;                             /* 13 bits */

    if (v >= 0) {
        mask = 0xd5;

    } else {
        mask = 0x55;
        v = -v - 1;
    }

    seg = waav_pcm_segment(v, end);

    if (seg >= 8) {
        return (unsigned char) (0x7f ^ mask);
    }

    aval = seg << 4;
    aval |= (seg < 2) ? (v >> 1) & 0xf : (v >> seg) & 0xf;

    return (unsigned char) (aval ^ mask);
}


size_t
waav_pcm_width(waav_fmt_e fmt)
{
    switch (fmt) {
    case WAAV_FMT_LINEAR16:
    case WAAV_FMT_WAV:
        return 2;
    case WAAV_FMT_MULAW:
    case WAAV_FMT_ALAW:
        return 1;
    default:
        return 0;
    }
}


size_t
waav_pcm_encode(waav_fmt_e fmt, const int16_t *in, size_t n,
    unsigned char *out)
{
    size_t  i;

    switch (fmt) {
    case WAAV_FMT_LINEAR16:
    case WAAV_FMT_WAV:
        for (i = 0; i < n; i++) {
            out[2 * i] = (unsigned char) ((uint16_t) in[i] & 0xff);
            out[2 * i + 1] = (unsigned char) ((uint16_t) in[i] >> 8);
        }

        return 2 * n;

    case WAAV_FMT_MULAW:
        for (i = 0; i < n; i++) {
            out[i] = waav_pcm_ulaw(in[i]);
        }

        return n;

    case WAAV_FMT_ALAW:
        for (i = 0; i < n; i++) {
            out[i] = waav_pcm_alaw(in[i]);
        }

        return n;

    default:
        return 0;
    }
}


static int
waav_pcm_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}


size_t
waav_pcm_text_piece(const char *s, size_t len, size_t min, size_t max)
{
    size_t  i, space;

    if (len <= max) {
        max = len;
    }

    space = 0;

    for (i = 0; i < max; i++) {
        if (s[i] == '\n' && i + 1 >= min) {
            return i + 1;
        }

        if (waav_pcm_space(s[i])) {
            space = i + 1;

            if (i >= min && i > 0
                && memchr(".!?;:", s[i - 1], 5) != NULL)
            {
                return i + 1;
            }
        }
    }

    if (max == len) {
        return len;
    }

    if (space) {
        return space;
    }

    /* no white space at all: back to the start of a UTF-8 character */
    for (i = max; i > 0 && ((unsigned char) s[i] & 0xc0) == 0x80; i--) {
        /* void */
    }

    return i ? i : max;
}


static uint32_t
waav_pcm_le(const unsigned char *p, int n)
{
    uint32_t  v;

    v = 0;

    while (n--) {
        v = (v << 8) | p[n];
    }

    return v;
}


int
waav_pcm_wav(const unsigned char *h, size_t len, waav_pcm_wav_t *wav)
{
    int       fmt;
    size_t    pos;
    uint32_t  size;

    memset(wav, 0, sizeof(waav_pcm_wav_t));

    if (len < 12 || memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0)
    {
        return -1;
    }

    fmt = 0;

    for (pos = 12; pos + 8 <= len; pos += 8 + size + (size & 1)) {
        size = waav_pcm_le(h + pos + 4, 4);

        if (memcmp(h + pos, "fmt ", 4) == 0) {
            if (size < 16 || pos + 8 + 16 > len) {
                return -1;
            }

            wav->format = waav_pcm_le(h + pos + 8, 2);
            wav->channels = waav_pcm_le(h + pos + 10, 2);
            wav->rate = waav_pcm_le(h + pos + 12, 4);
            wav->bits = waav_pcm_le(h + pos + 22, 2);
            fmt = 1;

        } else if (memcmp(h + pos, "data", 4) == 0) {
            wav->offset = pos + 8;
            return fmt ? 0 : -1;
        }

        if (size > len) {
            return -1;
        }
    }

    return -1;
}
