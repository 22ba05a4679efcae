/*
 * waav: errors (see waav_err.h).
 */

#include <stdarg.h>
#include <stdio.h>

#include "waav_err.h"


int
waav_err_set(waav_err_t *err, int status, const char *code,
    const char *fmt, ...)
{
    va_list  ap;

    err->status = status;
    err->code = code;

    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);

    return -1;
}


int
waav_err_nomem(waav_err_t *err)
{
    return waav_err_set(err, 500, WAAV_E_INTERNAL, "out of memory");
}


static const waav_status_info_t  waav_statuses[] = {
    { 400, "Bad request", "BAD_REQUEST" },
    { 401, "Unauthorized", "UNAUTHORIZED" },
    { 403, "Forbidden", "FORBIDDEN" },
    { 404, "Not found", "NOT_FOUND" },
    { 405, "Method not allowed", "METHOD_NOT_ALLOWED" },
    { 406, "Not acceptable", "NOT_ACCEPTABLE" },
    { 408, "Request timeout", "REQUEST_TIMEOUT" },
    { 409, "Conflict", "CONFLICT" },
    { 411, "Length required", "LENGTH_REQUIRED" },
    { 413, "Request body too large", "PAYLOAD_TOO_LARGE" },
    { 414, "Request URI too long", "URI_TOO_LONG" },
    { 415, "Unsupported media type", "UNSUPPORTED_MEDIA_TYPE" },
    { 416, "Range not satisfiable", "RANGE_NOT_SATISFIABLE" },
    { 421, "Misdirected request", "MISDIRECTED_REQUEST" },
    { 422, "Unprocessable entity", "UNPROCESSABLE_ENTITY" },
    { 429, "Too many requests", "RATE_LIMITED" },
    { 494, "Request header too large", "HEADER_TOO_LARGE" },
    { 500, "Internal server error", "INTERNAL_ERROR" },
    { 501, "Not implemented", "NOT_IMPLEMENTED" },
    { 502, "Bad gateway", "BAD_GATEWAY" },
    { 503, "Service unavailable", "SERVICE_UNAVAILABLE" },
    { 504, "Gateway timeout", "GATEWAY_TIMEOUT" },
    { 505, "HTTP version not supported", "HTTP_VERSION_NOT_SUPPORTED" },
    { 507, "Insufficient storage", "INSUFFICIENT_STORAGE" },
};


static const waav_status_info_t  waav_client_error =
    { 0, "Client error", "CLIENT_ERROR" };

static const waav_status_info_t  waav_server_error =
    { 0, "Server error", "SERVER_ERROR" };


const waav_status_info_t *
waav_status_info(int status)
{
    size_t  i;

    for (i = 0; i < sizeof(waav_statuses) / sizeof(waav_statuses[0]); i++) {
        if (waav_statuses[i].status == status) {
            return &waav_statuses[i];
        }
    }

    return (status < 500) ? &waav_client_error : &waav_server_error;
}
