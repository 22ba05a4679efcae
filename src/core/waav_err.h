/*
 * waav: the error the core reports, and the strings errors are made of.
 *
 * A core function that fails returns -1 with a waav_err_t filled in; the
 * nginx glue sends it as {"error": message, "code": code} with that status.
 */

#ifndef WAAV_ERR_H
#define WAAV_ERR_H

#include <stddef.h>

typedef struct {
    int          status;
    const char  *code;
    char         message[256];
} waav_err_t;

/* UPPER_SNAKE codes the core uses */
#define WAAV_E_INVALID_REQUEST       "INVALID_REQUEST"
#define WAAV_E_INVALID_JSON          "INVALID_JSON"
#define WAAV_E_INVALID_AUDIO         "INVALID_AUDIO"
#define WAAV_E_INVALID_PROVIDER      "INVALID_PROVIDER"
#define WAAV_E_INVALID_MODEL         "INVALID_MODEL"
#define WAAV_E_UNSUPPORTED_FORMAT    "UNSUPPORTED_FORMAT"
#define WAAV_E_UNSUPPORTED_OPTION    "UNSUPPORTED_OPTION"
#define WAAV_E_UNSUPPORTED_MEDIA     "UNSUPPORTED_MEDIA_TYPE"
#define WAAV_E_TEXT_TOO_LONG         "TEXT_TOO_LONG"
#define WAAV_E_AUDIO_TOO_LONG        "AUDIO_TOO_LONG"
#define WAAV_E_EMPTY_BODY            "EMPTY_BODY"
#define WAAV_E_INTERNAL              "INTERNAL_ERROR"
#define WAAV_E_PROVIDER_ERROR        "PROVIDER_ERROR"
#define WAAV_E_PROVIDER_BAD_RESPONSE "PROVIDER_BAD_RESPONSE"
#define WAAV_E_PROVIDER_TIMEOUT      "PROVIDER_TIMEOUT"
#define WAAV_E_PROVIDER_AUTH_FAILED  "PROVIDER_AUTH_FAILED"

/* fills err (message printf-style, cut at 255 bytes); returns -1 */
int waav_err_set(waav_err_t *err, int status, const char *code,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* 500 INTERNAL_ERROR "out of memory"; returns -1 */
int waav_err_nomem(waav_err_t *err);

/* Reason phrase and UPPER_SNAKE code waav uses for an HTTP error status. */
typedef struct {
    int          status;
    const char  *message;
    const char  *code;
} waav_status_info_t;

/* Never NULL: unknown statuses get a generic client or server error. */
const waav_status_info_t *waav_status_info(int status);

#endif /* WAAV_ERR_H */
