/*
 * waav: JSON text helpers (see waav_json.h).
 */

#include <string.h>

#include "waav_json.h"


static const char  waav_hex[] = "0123456789abcdef";


/*
 * Length of the valid UTF-8 sequence at s (at most len bytes), 0 if the
 * bytes there are not valid UTF-8.
 */
static size_t
waav_utf8_seq(const unsigned char *s, size_t len)
{
    unsigned int  c, min;
    size_t        n, i;

    c = s[0];

    if (c < 0x80) {
        return 1;

    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2; c &= 0x1f; min = 0x80;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3; c &= 0x0f; min = 0x800;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4; c &= 0x07; min = 0x10000;

    } else {
        return 0;
    }

    if (len < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }

        c = (c << 6) | (s[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }

    return n;
}


int
waav_utf8_valid(const char *s, size_t len)
{
    const unsigned char  *p, *end;
    size_t                n;

    p = (const unsigned char *) s;
    end = p + len;

    while (p < end) {
        n = waav_utf8_seq(p, (size_t) (end - p));
        if (n == 0) {
            return 0;
        }

        p += n;
    }

    return 1;
}


size_t
waav_utf8_chars(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


size_t
waav_json_escape(char *dst, const char *src, size_t len)
{
    const unsigned char  *p, *end;
    size_t                size, n;
    unsigned char         c;

    p = (const unsigned char *) src;
    end = p + len;
    size = 0;

    while (p < end) {
        c = *p;

        if (c >= 0x80) {
            n = waav_utf8_seq(p, (size_t) (end - p));

            if (n == 0) {
                /* U+FFFD REPLACEMENT CHARACTER */
                if (dst) {
                    memcpy(dst + size, "\xef\xbf\xbd", 3);
                }

                size += 3;
                p++;
                continue;
            }

            if (dst) {
                memcpy(dst + size, p, n);
            }

            size += n;
            p += n;
            continue;
        }

        if (c == '"' || c == '\\') {
            if (dst) {
                dst[size] = '\\';
                dst[size + 1] = (char) c;
            }

            size += 2;

        } else if (c < 0x20 || c == 0x7f) {
            if (dst) {
                switch (c) {
                case '\n':
                    memcpy(dst + size, "\\n", 2);
                    break;
                case '\r':
                    memcpy(dst + size, "\\r", 2);
                    break;
                case '\t':
                    memcpy(dst + size, "\\t", 2);
                    break;
                default:
                    memcpy(dst + size, "\\u00", 4);
                    dst[size + 4] = waav_hex[c >> 4];
                    dst[size + 5] = waav_hex[c & 0xf];
                }
            }

            size += (c == '\n' || c == '\r' || c == '\t') ? 2 : 6;

        } else {
            if (dst) {
                dst[size] = (char) c;
            }

            size++;
        }

        p++;
    }

    return size;
}


size_t
waav_json_error(char *dst, size_t cap, const char *message,
    size_t message_len, const char *code)
{
    static const char  head[] = "{\"error\":\"";
    static const char  mid[] = "\",\"code\":\"";
    static const char  tail[] = "\"}";
    size_t             mlen, clen, need, off;

    mlen = waav_json_escape(NULL, message, message_len);
    clen = waav_json_escape(NULL, code, strlen(code));

    need = sizeof(head) - 1 + mlen + sizeof(mid) - 1 + clen + sizeof(tail) - 1;

    if (need > cap || dst == NULL) {
        return need;
    }

    off = 0;
    memcpy(dst, head, sizeof(head) - 1);
    off += sizeof(head) - 1;
    off += waav_json_escape(dst + off, message, message_len);
    memcpy(dst + off, mid, sizeof(mid) - 1);
    off += sizeof(mid) - 1;
    off += waav_json_escape(dst + off, code, strlen(code));
    memcpy(dst + off, tail, sizeof(tail) - 1);
    off += sizeof(tail) - 1;

    return off;
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
