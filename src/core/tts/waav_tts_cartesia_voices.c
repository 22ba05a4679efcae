/*
 * waav: Cartesia's voices.
 *
 *   GET {base}/voices?limit=100      X-API-Key, Cartesia-Version
 *   {"data": [{"id", "name", "description", "language", "gender",
 *              "preview_file_url"?}], "has_more"}   (2025-04-16)
 *   [{"id", "name", "description", "language", ...}] (older versions)
 *
 * WaaV does not list Cartesia's voices.  gender is "masculine",
 * "feminine" or "gender_neutral" (Male, Female, Neutral); the accent is
 * the language's region when it has one.
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_voices.h"


static int
waav_cartesia_voices_request(waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    (void) a;

    out->method = "GET";
    out->path.data = "/voices";
    out->path.len = sizeof("/voices") - 1;
    out->args.data = "limit=100";
    out->args.len = sizeof("limit=100") - 1;

    return waav_http_add_header(out, "Cartesia-Version", "2025-04-16",
                                sizeof("2025-04-16") - 1, err);
}


static waav_str_t
waav_cartesia_gender(waav_str_t g)
{
    waav_str_t  r = waav_str_lit("Unknown");

    if (g.len == 9 && memcmp(g.data, "masculine", 9) == 0) {
        r.data = "Male";
        r.len = 4;

    } else if (g.len == 8 && memcmp(g.data, "feminine", 8) == 0) {
        r.data = "Female";
        r.len = 6;

    } else if (g.len == 14 && memcmp(g.data, "gender_neutral", 14) == 0) {
        r.data = "Neutral";
        r.len = 7;
    }

    return r;
}


static int
waav_cartesia_voices_parse(const char *body, size_t len,
    waav_voice_list_t *out, waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t    code;
    waav_voice_t *v;
    const cJSON  *arr, *it;

    /* the paginated shape first, then the bare array of older versions */
    arr = waav_voices_array(body, len, "data", a, err);

    if (arr == NULL) {
        arr = waav_voices_array(body, len, NULL, a, err);
    }

    if (arr == NULL || waav_voices_alloc(out, arr, a, err) != 0) {
        return -1;
    }

    cJSON_ArrayForEach(it, arr) {
        if (out->n == WAAV_VOICES_MAX) {
            break;
        }

        v = &out->v[out->n];
        v->id = waav_voice_field(it, "id", NULL);

        if (v->id.len == 0) {
            continue;
        }

        v->name = waav_voice_field(it, "name", "");
        v->sample = waav_voice_field(it, "preview_file_url", "");
        v->gender = waav_cartesia_gender(waav_voice_field(it, "gender", ""));

        code = waav_voice_field(it, "language", "");
        v->language = code.len ? waav_voice_language(code)
                               : (waav_str_t) waav_str_lit("Unknown");
        v->accent = code.len ? waav_voice_accent(code)
                             : (waav_str_t) waav_str_lit("Unknown");

        out->n++;
    }

    return 0;
}


const waav_voices_adapter_t  waav_voices_cartesia = {
    .request = waav_cartesia_voices_request,
    .parse = waav_cartesia_voices_parse,
};
