/*
 * waav: a transcription in OpenAI's response formats (POST
 * /v1/audio/transcriptions): json, text, verbose_json, srt, vtt.
 */

#ifndef WAAV_STT_FORMATS_H
#define WAAV_STT_FORMATS_H

#include "waav_stt.h"

typedef enum {
    WAAV_STT_FMT_WAAV = 0,          /* ours (/listen); unknown for parse */
    WAAV_STT_FMT_JSON,
    WAAV_STT_FMT_TEXT,
    WAAV_STT_FMT_VERBOSE,
    WAAV_STT_FMT_SRT,
    WAAV_STT_FMT_VTT
} waav_stt_fmt_e;

/* "json", "text", ... to the enum; WAAV_STT_FMT_WAAV when unknown
 * (len 0: json, OpenAI's default) */
waav_stt_fmt_e waav_stt_fmt_parse(const char *s, size_t len);

/*
 * The result in a format, and its Content-Type: json {"text"}; text the
 * transcript and a newline; verbose_json {"task", "language", "duration",
 * "text", "words" (with words set)}; srt / vtt one cue spanning the audio
 * (providers give words, not OpenAI's segments: none are invented).
 */
int waav_stt_format(const waav_stt_result_t *res, waav_stt_fmt_e fmt,
    int words, waav_alloc_t *a, waav_str_t *out, const char **content_type,
    waav_err_t *err);

#endif /* WAAV_STT_FORMATS_H */
