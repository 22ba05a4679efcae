/*
 * waav: JSON text helpers (see waav_json.h).
 */

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_json.h"


static const char  waav_hex[] = "0123456789abcdef";


/*
 * Length of the valid UTF-8 sequence at s (at most len bytes), 0 if the
 * bytes there are not valid UTF-8.
 */
size_t
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

    if (len == 0) {
        return 1;
    }

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


/* --- parsing ------------------------------------------------------------ */

/*
 * cJSON allocates through global hooks: for the length of one parse they
 * point at the caller's allocator (a worker runs one parse at a time), and
 * are put back to malloc and free right after, so any other cJSON user
 * is unaffected.  Frees are no-ops meanwhile (the allocator's memory is
 * freed with it).
 */
static waav_alloc_t  *waav_json_arena;


static void *
waav_json_malloc(size_t size)
{
    return waav_alloc(waav_json_arena, size);
}


static void
waav_json_free(void *p)
{
    (void) p;
}


int
waav_json_has_nul(const char *json, size_t len)
{
    size_t  i, slashes;

    if (memchr(json, '\0', len) != NULL) {
        return 1;
    }

    for (i = 0; i + 6 <= len; i++) {
        if (json[i] != '\\' || memcmp(json + i + 1, "u0000", 5) != 0) {
            continue;
        }

        slashes = 0;

        while (slashes < i && json[i - 1 - slashes] == '\\') {
            slashes++;
        }

        if (slashes % 2 == 0) {
            return 1;
        }
    }

    return 0;
}


static int
waav_json_key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}


/* 1 when some object in the tree has a key twice */
static int
waav_json_has_dup(const cJSON *item, waav_alloc_t *a)
{
    size_t        n, i, j;
    const char  **keys;
    const cJSON  *c, *d;

    n = 0;

    for (c = item->child; c; c = c->next) {
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && waav_json_has_dup(c, a))
        {
            return 1;
        }

        n++;
    }

    if (!cJSON_IsObject(item) || n < 2) {
        return 0;
    }

    if (n <= 8) {
        for (c = item->child; c; c = c->next) {
            for (d = c->next; d; d = d->next) {
                if (strcmp(c->string, d->string) == 0) {
                    return 1;
                }
            }
        }

        return 0;
    }

    /* many keys: sorted, so a hostile object costs n log n, not n^2 */
    keys = waav_alloc(a, n * sizeof(const char *));
    if (keys == NULL) {
        return 1;
    }

    for (i = 0, c = item->child; c; c = c->next) {
        keys[i++] = c->string;
    }

    qsort(keys, n, sizeof(const char *), waav_json_key_cmp);

    for (j = 1; j < n; j++) {
        if (strcmp(keys[j - 1], keys[j]) == 0) {
            return 1;
        }
    }

    return 0;
}


cJSON *
waav_json_parse(const char *json, size_t len, unsigned flags, waav_alloc_t *a,
    waav_err_t *err)
{
    cJSON        *root;
    const char   *end;
    cJSON_Hooks   hooks;

    if ((flags & WAAV_JSON_NO_NUL) && waav_json_has_nul(json, len)) {
        waav_err_set(err, 400, "INVALID_REQUEST",
                     "JSON strings must not contain \\u0000");
        return NULL;
    }

    hooks.malloc_fn = waav_json_malloc;
    hooks.free_fn = waav_json_free;

    waav_json_arena = a;
    cJSON_InitHooks(&hooks);

    end = NULL;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);

    cJSON_InitHooks(NULL);
    waav_json_arena = NULL;

    if (root == NULL) {
        waav_err_set(err, 400, "INVALID_JSON",
                     "Failed to parse the request body as JSON");
        return NULL;
    }

    if (flags & WAAV_JSON_WHOLE) {
        while (end < json + len
               && (*end == ' ' || *end == '\t' || *end == '\r'
                   || *end == '\n'))
        {
            end++;
        }

        if (end != json + len) {
            waav_err_set(err, 400, "INVALID_JSON",
                         "Failed to parse the request body as JSON: "
                         "trailing characters");
            return NULL;
        }
    }

    if ((flags & WAAV_JSON_UNIQUE) && waav_json_has_dup(root, a)) {
        waav_err_set(err, 400, "INVALID_REQUEST",
                     "A JSON object has the same key twice");
        return NULL;
    }

    return root;
}
