/*
 * waav: OpenAI's transcription formats (see waav_stt_formats.h).
 */

#include <stdio.h>
#include <string.h>

#include "waav_json.h"
#include "waav_jw.h"
#include "waav_stt_formats.h"
#include "waav_stt_normalize.h"


waav_stt_fmt_e
waav_stt_fmt_parse(const char *s, size_t len)
{
    static const char  *names[] = {
        NULL, "json", "text", "verbose_json", "srt", "vtt"
    };
    size_t  i;

    if (len == 0) {
        return WAAV_STT_FMT_JSON;
    }

    for (i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
            return (waav_stt_fmt_e) i;
        }
    }

    return WAAV_STT_FMT_WAAV;
}


/* 00:00:01,250 (srt) or 00:00:01.250 (vtt) */
static void
waav_stt_clock(waav_buf_t *b, double t, char sep)
{
    char           tmp[32];
    int            n;
    unsigned long  ms;

    /* 99:59:59.999 at most, the clock's widest */
    ms = (t > 0) ? (t < 359999.999 ? (unsigned long) (t * 1000 + 0.5)
                                   : 359999999UL)
                 : 0;

    n = snprintf(tmp, sizeof(tmp), "%02lu:%02lu:%02lu%c%03lu", ms / 3600000,
                 ms / 60000 % 60, ms / 1000 % 60, sep, ms % 1000);
    waav_buf_add(b, tmp, (size_t) n);
}


/*
 * The transcript as plain text: valid UTF-8 (a byte that is not becomes
 * U+FFFD, as it would in JSON); for a cue, a line break would end the cue
 * early (a space instead), and for WebVTT &, < and > are escaped, so the
 * text is never markup and never "-->".
 */
static void
waav_stt_text(waav_buf_t *b, waav_str_t s, int cue, int vtt)
{
    size_t                i, n;
    const unsigned char  *p;

    p = (const unsigned char *) s.data;

    for (i = 0; i < s.len; i += n) {
        n = waav_utf8_seq(p + i, s.len - i);

        if (n == 0) {
            waav_buf_cstr(b, "\xef\xbf\xbd");
            n = 1;

        } else if (cue && (p[i] == '\r' || p[i] == '\n')) {
            waav_buf_byte(b, ' ');

        } else if (vtt && p[i] == '&') {
            waav_buf_cstr(b, "&amp;");

        } else if (vtt && p[i] == '<') {
            waav_buf_cstr(b, "&lt;");

        } else if (vtt && p[i] == '>') {
            waav_buf_cstr(b, "&gt;");

        } else {
            waav_buf_add(b, p + i, n);
        }
    }
}


/* one cue for the whole transcript: its timings, nothing invented */
static int
waav_stt_cue(const waav_stt_result_t *res, int vtt, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err)
{
    char        sep;
    waav_buf_t  b;

    if (waav_buf_alloc(&b, 64 + 5 * res->transcript.len, a, err) != 0) {
        return -1;
    }

    sep = vtt ? '.' : ',';

    waav_buf_cstr(&b, vtt ? "WEBVTT\n\n" : "1\n");
    waav_stt_clock(&b, 0, sep);
    waav_buf_cstr(&b, " --> ");
    waav_stt_clock(&b, waav_stt_result_end(res), sep);
    waav_buf_byte(&b, '\n');
    waav_stt_text(&b, res->transcript, 1, vtt);
    waav_buf_byte(&b, '\n');

    return waav_buf_done(&b, out) == 0 ? 0 : waav_err_nomem(err);
}


static int
waav_stt_openai_json(const waav_stt_result_t *res, int verbose, int words,
    waav_alloc_t *a, waav_str_t *out, waav_err_t *err)
{
    waav_jw_t  w;

    if (waav_jw_alloc(&w, waav_stt_result_cap(res), a, err) != 0) {
        return -1;
    }

    waav_jw_open(&w, NULL);

    if (verbose) {
        waav_jw_cstr(&w, "task", "transcribe");

        if (res->language.len) {
            waav_jw_str(&w, "language", res->language.data,
                        res->language.len);
        }

        if (res->has_duration) {
            waav_jw_num(&w, "duration", res->duration);
        }
    }

    waav_jw_str(&w, "text", res->transcript.data, res->transcript.len);

    if (verbose && words) {
        waav_stt_words_json(&w, res, 0);
    }

    waav_jw_close(&w);

    return waav_jw_done(&w, out) == 0 ? 0 : waav_err_nomem(err);
}


int
waav_stt_format(const waav_stt_result_t *res, waav_stt_fmt_e fmt, int words,
    waav_alloc_t *a, waav_str_t *out, const char **content_type,
    waav_err_t *err)
{
    waav_buf_t  b;

    switch (fmt) {

    case WAAV_STT_FMT_WAAV:
        *content_type = "application/json";
        return waav_stt_result_json(res, a, out, err);

    case WAAV_STT_FMT_TEXT:
        *content_type = "text/plain; charset=utf-8";

        if (waav_buf_alloc(&b, 3 * res->transcript.len + 1, a, err) != 0) {
            return -1;
        }

        waav_stt_text(&b, res->transcript, 0, 0);
        waav_buf_byte(&b, '\n');

        return waav_buf_done(&b, out) == 0 ? 0 : waav_err_nomem(err);

    case WAAV_STT_FMT_SRT:
        *content_type = "application/x-subrip";
        return waav_stt_cue(res, 0, a, out, err);

    case WAAV_STT_FMT_VTT:
        *content_type = "text/vtt";
        return waav_stt_cue(res, 1, a, out, err);

    default:
        *content_type = "application/json";
        return waav_stt_openai_json(res, fmt == WAAV_STT_FMT_VERBOSE, words,
                                    a, out, err);
    }
}
