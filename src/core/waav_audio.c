/*
 * waav: audio facts (see waav_audio.h).
 */

#include <string.h>
#include <strings.h>

#include "waav_audio.h"
#include "waav_http.h"


typedef struct {
    const char         *type;
    waav_audio_kind_e   kind;
    const char         *media_type;
    const char         *ext;
} waav_audio_name_t;

static const waav_audio_name_t  waav_audio_names[] = {
    { "audio/wav", WAAV_AUDIO_WAV, "audio/wav", "wav" },
    { "audio/x-wav", WAAV_AUDIO_WAV, "audio/wav", "wav" },
    { "audio/wave", WAAV_AUDIO_WAV, "audio/wav", "wav" },
    { "audio/mpeg", WAAV_AUDIO_MP3, "audio/mpeg", "mp3" },
    { "audio/mp3", WAAV_AUDIO_MP3, "audio/mpeg", "mp3" },
    { "audio/ogg", WAAV_AUDIO_OGG, "audio/ogg", "ogg" },
    { "audio/webm", WAAV_AUDIO_WEBM, "audio/webm", "webm" },
    { "audio/flac", WAAV_AUDIO_FLAC, "audio/flac", "flac" },
    { "audio/x-flac", WAAV_AUDIO_FLAC, "audio/flac", "flac" },
    { "audio/mp4", WAAV_AUDIO_MP4, "audio/mp4", "m4a" },
    { "audio/m4a", WAAV_AUDIO_MP4, "audio/mp4", "m4a" },
    { "audio/l16", WAAV_AUDIO_PCM, "audio/L16", "pcm" },
};


/* digits only, at most max; 0 when not */
static unsigned
waav_audio_uint(const char *s, size_t len, unsigned max)
{
    size_t    i;
    unsigned  v;

    v = 0;

    if (len == 0 || len > 6) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        v = v * 10 + (unsigned) (s[i] - '0');
    }

    return v <= max ? v : 0;
}


/* L16's parameters: rate and channels (anything else ignored); 0 when one
 * is given twice or is not a number in range */
static int
waav_audio_params(const char *p, const char *end, waav_audio_t *au)
{
    size_t       nlen, vlen;
    unsigned    *slot, max;
    const char  *name, *value;

    while (p < end) {
        while (p < end && (*p == ';' || *p == ' ' || *p == '\t')) {
            p++;
        }

        name = p;

        while (p < end && *p != '=' && *p != ';') {
            p++;
        }

        nlen = (size_t) (p - name);

        if (p == end || *p == ';') {
            continue;                   /* a parameter without a value */
        }

        value = ++p;

        while (p < end && *p != ';') {
            p++;
        }

        for (vlen = (size_t) (p - value);
             vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t');
             vlen--)
        { /* void */ }

        if (nlen == 4 && strncasecmp(name, "rate", 4) == 0) {
            slot = &au->rate;
            max = WAAV_AUDIO_MAX_RATE;

        } else if (nlen == 8 && strncasecmp(name, "channels", 8) == 0) {
            slot = &au->channels;
            max = WAAV_AUDIO_MAX_CHANNELS;

        } else {
            continue;
        }

        /* a second one, or a value that is not a number in range */
        if (*slot || (*slot = waav_audio_uint(value, vlen, max)) == 0) {
            return 0;
        }
    }

    return 1;
}


int
waav_audio_type(waav_str_t ct, waav_audio_t *au)
{
    size_t                    i, n;
    const waav_audio_name_t  *t;

    memset(au, 0, sizeof(waav_audio_t));

    /* it was a header; it must stay text */
    for (i = 0; i < ct.len; i++) {
        if ((unsigned char) ct.data[i] < 0x20
            || (unsigned char) ct.data[i] >= 0x7f)
        {
            return 0;
        }
    }

    /* the media type, without parameters, case-insensitively */
    for (n = 0; n < ct.len && ct.data[n] != ';' && ct.data[n] != ' '; n++) {
        /* void */
    }

    t = NULL;

    for (i = 0; i < sizeof(waav_audio_names) / sizeof(waav_audio_names[0]);
         i++)
    {
        if (strlen(waav_audio_names[i].type) == n
            && strncasecmp(ct.data, waav_audio_names[i].type, n) == 0)
        {
            t = &waav_audio_names[i];
            break;
        }
    }

    if (t == NULL) {
        return 0;
    }

    au->kind = t->kind;
    au->media_type = t->media_type;
    au->ext = t->ext;

    /* other types' parameters are neither read nor sent on */
    if (t->kind != WAAV_AUDIO_PCM) {
        return 1;
    }

    if (!waav_audio_params(ct.data + n, ct.data + ct.len, au)
        || (au->rate && au->rate < 8000))
    {
        au->kind = WAAV_AUDIO_NONE;
        return -1;
    }

    if (au->rate == 0) {
        au->kind = WAAV_AUDIO_NONE;
        return 0;                       /* headerless PCM needs its rate */
    }

    if (au->channels == 0) {
        au->channels = 1;
    }

    return 1;
}


const char *
waav_audio_content_type(const waav_audio_t *au, waav_alloc_t *a)
{
    if (au->kind != WAAV_AUDIO_PCM) {
        return au->media_type;
    }

    return waav_sprintf(a, NULL, "audio/L16;rate=%u;channels=%u", au->rate,
                        au->channels);
}


const char *
waav_audio_ext_type(const char *filename)
{
    static const char  *map[][2] = {
        { "wav", "audio/wav" }, { "mp3", "audio/mpeg" },
        { "mpeg", "audio/mpeg" }, { "mpga", "audio/mpeg" },
        { "m4a", "audio/mp4" }, { "mp4", "audio/mp4" },
        { "ogg", "audio/ogg" }, { "oga", "audio/ogg" },
        { "opus", "audio/ogg" }, { "webm", "audio/webm" },
        { "flac", "audio/flac" },
    };
    const char  *dot;
    size_t       i;

    dot = strrchr(filename, '.');
    if (dot == NULL) {
        return NULL;
    }

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcasecmp(dot + 1, map[i][0]) == 0) {
            return map[i][1];
        }
    }

    return NULL;
}


/* --- checks ------------------------------------------------------------ */

static uint32_t
waav_rd32(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}


static unsigned
waav_rd16(const unsigned char *p)
{
    return (unsigned) p[0] | (unsigned) p[1] << 8;
}


static int
waav_audio_bad(waav_err_t *err, const char *why)
{
    return waav_err_set(err, 400, WAAV_E_INVALID_AUDIO, "%s", why);
}


/* the 16 bytes of a fmt chunk: what a decoder needs to make sense of it */
static int
waav_audio_wav_fmt(const unsigned char *f, waav_err_t *err)
{
    unsigned  format, channels, align, bits;
    uint32_t  rate, byte_rate;

    format = waav_rd16(f);
    channels = waav_rd16(f + 2);
    rate = waav_rd32(f + 4);
    byte_rate = waav_rd32(f + 8);
    align = waav_rd16(f + 12);
    bits = waav_rd16(f + 14);

    if (channels == 0 || channels > 16) {
        return waav_audio_bad(err, "The WAV header must say 1 to 16 channels");
    }

    if (rate < 1000 || rate > 384000) {
        return waav_audio_bad(err, "The WAV header must say a sample rate "
                                   "from 1000 to 384000 Hz");
    }

    if (byte_rate == 0 || align == 0) {
        return waav_audio_bad(err, "The WAV header says no bytes a second");
    }

    /* PCM and float: the sizes follow from each other */
    if ((format == 1 || format == 3)
        && (bits == 0 || bits % 8 || bits > 64
            || align != channels * (bits / 8) || byte_rate != rate * align))
    {
        return waav_audio_bad(err, "The WAV header's sample sizes do not "
                                   "agree");
    }

    return 0;
}


static int
waav_audio_wav(const unsigned char *head, size_t head_len, uint64_t total,
    waav_err_t *err)
{
    int       fmt, known;
    size_t    off;
    uint32_t  size, riff;
    uint64_t  end;

    if (head_len < 12 || memcmp(head, "RIFF", 4) != 0
        || memcmp(head + 8, "WAVE", 4) != 0)
    {
        return waav_audio_bad(err, "audio/wav must be a RIFF/WAVE file");
    }

    /*
     * RIFF's size counts everything after its first 8 bytes.  A WAV
     * written as it streams (ffmpeg to a pipe, recorders) cannot know it
     * and says 0 or 0xffffffff, in RIFF's size and the data chunk's:
     * unknown, not a lie.  A known size must fit in the body (more is a
     * cut upload), and the chunks in it.
     */
    riff = waav_rd32(head + 4);
    end = total;

    if (riff != 0 && riff != 0xffffffff) {
        if ((uint64_t) riff + 8 > total) {
            return waav_audio_bad(err, "The WAV header does not match the "
                                       "body's length");
        }

        end = (uint64_t) riff + 8;
    }

    fmt = 0;

    for (off = 12; off + 8 <= head_len; off += 8 + size + (size & 1)) {
        size = waav_rd32(head + off + 4);

        known = !(memcmp(head + off, "data", 4) == 0
                  && (size == 0 || size == 0xffffffff));

        if (known && (uint64_t) off + 8 + size > end) {
            return waav_audio_bad(err, "The WAV header does not match the "
                                       "body's length");
        }

        if (memcmp(head + off, "fmt ", 4) == 0) {
            if (size < 16) {
                return waav_audio_bad(err, "The WAV fmt chunk is too short");
            }

            if (off + 8 + 16 > head_len) {
                return 0;               /* beyond what is looked at */
            }

            if (waav_audio_wav_fmt(head + off + 8, err) != 0) {
                return -1;
            }

            fmt = 1;

        } else if (memcmp(head + off, "data", 4) == 0) {
            if (!fmt) {
                return waav_audio_bad(err, "The WAV data chunk comes before "
                                           "its fmt chunk");
            }

            /* the header alone (whatever the data chunk's size says) */
            if ((uint64_t) off + 8 >= total) {
                return waav_audio_bad(err, "The WAV file holds no audio");
            }

            return 0;
        }
    }

    /* the whole body seen, and no data chunk in it */
    if ((uint64_t) head_len >= total) {
        return waav_audio_bad(err, "The WAV file holds no audio");
    }

    return 0;                           /* the rest is beyond the head */
}


int
waav_audio_wav_info(waav_audio_t *au, const unsigned char *head,
    size_t head_len)
{
    size_t               off;
    uint32_t             size;
    const unsigned char *f;

    if (au->kind != WAAV_AUDIO_WAV || head_len < 12
        || memcmp(head, "RIFF", 4) != 0 || memcmp(head + 8, "WAVE", 4) != 0)
    {
        return -1;
    }

    for (off = 12; off + 8 <= head_len; off += 8 + size + (size & 1)) {
        size = waav_rd32(head + off + 4);

        if (memcmp(head + off, "fmt ", 4) != 0) {
            if (size > head_len) {
                return -1;
            }

            continue;
        }

        if (size < 16 || off + 8 + 16 > head_len) {
            return -1;
        }

        f = head + off + 8;
        au->wav_format = waav_rd16(f);
        au->wav_channels = waav_rd16(f + 2);
        au->wav_rate = waav_rd32(f + 4);
        au->wav_bits = waav_rd16(f + 14);

        /* WAVE_FORMAT_EXTENSIBLE: the sub-format GUID's first two bytes */
        if (au->wav_format == 0xfffe) {
            au->wav_format = (size >= 40 && off + 8 + 26 <= head_len)
                             ? waav_rd16(f + 24) : 0;
        }

        return 0;
    }

    return -1;
}


int
waav_audio_check(const waav_audio_t *au, const unsigned char *head,
    size_t head_len, uint64_t total, waav_err_t *err)
{
    const char  *magic;
    size_t       at, n;

    if (head_len > total) {
        head_len = (size_t) total;
    }

    magic = NULL;
    at = 0;

    switch (au->kind) {

    case WAAV_AUDIO_WAV:
        return waav_audio_wav(head, head_len, total, err);

    case WAAV_AUDIO_PCM:
        if (total % (2 * au->channels)) {
            return waav_audio_bad(err, "Headerless 16-bit PCM must be whole "
                                       "samples of every channel");
        }

        return 0;

    case WAAV_AUDIO_MP3:
        /* an ID3 tag, or an MPEG frame's sync bits */
        if ((head_len >= 3 && memcmp(head, "ID3", 3) == 0)
            || (head_len >= 2 && head[0] == 0xff && (head[1] & 0xe0) == 0xe0))
        {
            return 0;
        }

        return waav_audio_bad(err, "audio/mpeg must start with an ID3 tag "
                                   "or an MPEG frame");

    case WAAV_AUDIO_OGG:
        magic = "OggS";
        break;

    case WAAV_AUDIO_FLAC:
        magic = "fLaC";
        break;

    case WAAV_AUDIO_WEBM:
        magic = "\x1a\x45\xdf\xa3";
        break;

    case WAAV_AUDIO_MP4:
        magic = "ftyp";
        at = 4;
        break;

    default:
        return waav_audio_bad(err, "Unknown audio type");
    }

    n = strlen(magic);

    if (head_len < at + n || memcmp(head + at, magic, n) != 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_AUDIO,
                            "The body is not %s audio", au->media_type);
    }

    return 0;
}


uint64_t
waav_audio_seconds(const waav_audio_t *au, const unsigned char *head,
    size_t head_len, uint64_t total)
{
    uint64_t  rate;

    if (au->kind == WAAV_AUDIO_PCM) {
        rate = (uint64_t) au->rate * 2 * au->channels;

    } else if (au->kind == WAAV_AUDIO_WAV && head_len >= 32
               && memcmp(head, "RIFF", 4) == 0
               && memcmp(head + 8, "WAVE", 4) == 0
               && memcmp(head + 12, "fmt ", 4) == 0)
    {
        rate = waav_rd32(head + 28);        /* fmt's byte rate */
        total = total > 44 ? total - 44 : 0;

        /*
         * A header cannot buy cheap seconds: at most 48 kHz stereo 16-bit
         * counts (higher rates are charged as if they were that, and the
         * provider's duration gives the rest back).
         */
        if (rate > 192000) {
            rate = 192000;
        }

    } else {
        rate = 16000;                       /* 128 kbit/s */
    }

    if (rate < 1000) {
        rate = 16000;                       /* a header that makes no sense */
    }

    total = (total + rate - 1) / rate;

    return total ? total : 1;
}


static void
waav_le(unsigned char *p, uint32_t v, int n)
{
    int  i;

    for (i = 0; i < n; i++) {
        p[i] = (unsigned char) (v >> (8 * i));
    }
}


void
waav_audio_wav_header(unsigned char *h, const waav_audio_t *au, uint64_t len)
{
    uint32_t  n;

    n = len > 0xffffffd3 ? 0xffffffd3 : (uint32_t) len;

    memcpy(h, "RIFF", 4);
    waav_le(h + 4, 36 + n, 4);
    memcpy(h + 8, "WAVEfmt ", 8);
    waav_le(h + 16, 16, 4);
    waav_le(h + 20, 1, 2);                  /* PCM */
    waav_le(h + 22, au->channels, 2);
    waav_le(h + 24, au->rate, 4);
    waav_le(h + 28, au->rate * 2 * au->channels, 4);
    waav_le(h + 32, 2 * au->channels, 2);
    waav_le(h + 34, 16, 2);
    memcpy(h + 36, "data", 4);
    waav_le(h + 40, n, 4);
}
