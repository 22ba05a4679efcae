/*
 * waav: a transcription request's options, checked before anything is
 * sent: everything that reaches a provider's URL, form or headers.
 */

#ifndef WAAV_STT_VALIDATE_H
#define WAAV_STT_VALIDATE_H

#include "waav_stt.h"

/*
 * Checks model, language, keywords, temperature and prompt (400), and
 * makes req->audio of req->content_type (415 when it is no audio type
 * waav takes, 400 INVALID_AUDIO when its parameters are wrong).  0, or -1
 * with err set.
 */
int waav_stt_validate(waav_stt_req_t *req, waav_err_t *err);

/* 1 when every byte of s is A-Z a-z 0-9 or one of extra (never NUL),
 * and s is at most max bytes */
int waav_stt_chars_ok(waav_str_t s, const char *extra, size_t max);

/* 0, 1, 0.2, 1.0: a decimal from 0 to 1, nothing else */
int waav_stt_temperature_ok(waav_str_t t);

#endif /* WAAV_STT_VALIDATE_H */
