/*
 * waav: provider error messages (see waav_errmsg.h).
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_errmsg.h"


#define WAAV_SCRUB_MIN  8


static const char *
waav_json_path(const cJSON *root, const char *a, const char *b)
{
    const cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(root, a);

    if (item && b) {
        item = cJSON_IsObject(item)
               ? cJSON_GetObjectItemCaseSensitive(item, b) : NULL;
    }

    if (item && cJSON_IsString(item) && item->valuestring[0]) {
        return item->valuestring;
    }

    return NULL;
}


/* longest run of key bytes starting at msg[i] */
static size_t
waav_key_run(const char *msg, size_t len, size_t i, const char *key,
    size_t key_len)
{
    size_t  j, n, best;

    best = 0;

    for (j = 0; j < key_len; j++) {
        n = 0;

        while (i + n < len && j + n < key_len && msg[i + n] == key[j + n]) {
            n++;
        }

        if (n > best) {
            best = n;
        }
    }

    return best;
}


size_t
waav_scrub(const char *msg, size_t mlen, const char *key, size_t key_len,
    char *out, size_t cap)
{
    static const char   redacted[] = "[redacted]";
    size_t              i, n, o, run;
    unsigned char       c;

    if (cap == 0) {
        return 0;
    }

    if (key_len > 256) {
        key_len = 256;
    }

    o = 0;
    i = 0;

    while (i < mlen && o + 1 < cap && o < WAAV_ERRMSG_MAX) {
        run = key_len >= WAAV_SCRUB_MIN
              ? waav_key_run(msg, mlen, i, key, key_len) : 0;

        if (run >= WAAV_SCRUB_MIN) {
            n = sizeof(redacted) - 1;

            if (o + n + 1 > cap) {
                break;
            }

            memcpy(out + o, redacted, n);
            o += n;
            i += run;
            continue;
        }

        c = (unsigned char) msg[i];
        out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
        i++;
    }

    /* do not end inside a UTF-8 sequence */
    if (i < mlen) {
        while (o > 0 && ((unsigned char) out[o - 1] & 0xc0) == 0x80) {
            o--;
        }

        if (o > 0 && ((unsigned char) out[o - 1] & 0xc0) == 0xc0) {
            o--;
        }
    }

    /* trim */
    while (o > 0 && out[o - 1] == ' ') {
        o--;
    }

    out[o] = '\0';

    return o;
}


size_t
waav_provider_message(const char *body, size_t len, const char *key,
    size_t key_len, char *out, size_t cap)
{
    static const char  *paths[][2] = {
        { "error", "message" },     /* OpenAI, Groq */
        { "detail", "message" },    /* ElevenLabs */
        { "detail", NULL },         /* FastAPI-style */
        { "err_msg", NULL },        /* Deepgram */
        { "message", NULL },
        { "error", NULL },
        { "title", NULL },
    };
    cJSON        *root;
    const char   *msg;
    size_t        i, mlen, o;

    if (cap == 0) {
        return 0;
    }

    root = NULL;
    msg = NULL;

    if (len && len < 65536) {
        root = cJSON_ParseWithLength(body, len);
    }

    if (root && cJSON_IsObject(root)) {
        for (i = 0; msg == NULL && i < sizeof(paths) / sizeof(paths[0]); i++) {
            msg = waav_json_path(root, paths[i][0], paths[i][1]);
        }
    }

    if (msg) {
        mlen = strlen(msg);

    } else {
        msg = body;
        mlen = len;
    }

    o = waav_scrub(msg, mlen, key, key_len, out, cap);

    if (root) {
        cJSON_Delete(root);
    }

    return o;
}
