/*
 * waav: transcription request checks (see waav_stt_validate.h).
 */

#include <string.h>

#include "waav_json.h"
#include "waav_stt_validate.h"


int
waav_stt_chars_ok(waav_str_t s, const char *extra, size_t max)
{
    size_t  i;
    char    c;

    if (s.len > max) {
        return 0;
    }

    for (i = 0; i < s.len; i++) {
        c = s.data[i];

        /* strchr() finds the terminating NUL too: a NUL is never "extra" */
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || (c != '\0' && strchr(extra, c)))
        {
            continue;
        }

        return 0;
    }

    return 1;
}


int
waav_stt_temperature_ok(waav_str_t t)
{
    size_t  i, dot;

    if (t.len == 0 || t.len > 16) {
        return 0;
    }

    dot = t.len;

    for (i = 0; i < t.len; i++) {
        if (t.data[i] == '.' && dot == t.len && i > 0) {
            dot = i;
            continue;
        }

        if (t.data[i] < '0' || t.data[i] > '9') {
            return 0;
        }
    }

    if (dot == t.len - 1) {
        return 0;                       /* "1." */
    }

    if (dot != 1) {
        return 0;                       /* "10", "01.5" */
    }

    if (t.data[0] == '1') {
        for (i = 2; i < t.len; i++) {
            if (t.data[i] != '0') {
                return 0;               /* "1.5" */
            }
        }

        return 1;
    }

    return t.data[0] == '0';
}


/* UTF-8 text: no NUL, no control characters but tab and line breaks */
static int
waav_stt_text_ok(waav_str_t s, size_t max)
{
    size_t         i;
    unsigned char  c;

    if (s.len > max || !waav_utf8_valid(s.data, s.len)) {
        return 0;
    }

    for (i = 0; i < s.len; i++) {
        c = (unsigned char) s.data[i];

        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
            return 0;
        }
    }

    return 1;
}


int
waav_stt_validate(waav_stt_req_t *req, waav_err_t *err)
{
    if (req->model.len && !waav_ident_valid(req->model.data, req->model.len)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "model must be 1-256 characters of A-Z a-z 0-9 "
                            ". _ - : @ +");
    }

    if (!waav_stt_chars_ok(req->language, "-_", 16)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "language must be a language code such as en or "
                            "en-US");
    }

    if (!waav_stt_chars_ok(req->keywords, " ,:_-'", 1024)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "keywords must be up to 1024 characters of words, "
                            "spaces, commas and :boosts");
    }

    if (req->temperature.len && !waav_stt_temperature_ok(req->temperature)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "temperature must be a number from 0 to 1");
    }

    if (!waav_stt_text_ok(req->prompt, WAAV_STT_MAX_PROMPT)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "prompt must be UTF-8 text of up to %d bytes",
                            WAAV_STT_MAX_PROMPT);
    }

    switch (waav_audio_type(req->content_type, &req->audio)) {

    case 1:
        break;

    case 0:
        return waav_err_set(err, 415, WAAV_E_UNSUPPORTED_MEDIA,
                            "Content-Type must be audio/wav, audio/x-wav, "
                            "audio/mpeg, audio/ogg, audio/webm, audio/flac, "
                            "audio/mp4 or audio/L16;rate=N[;channels=C]");

    default:
        return waav_err_set(err, 400, WAAV_E_INVALID_AUDIO,
                            "audio/L16 takes rate=8000 to 192000 and "
                            "channels=1 to 8, once each");
    }

    return 0;
}
