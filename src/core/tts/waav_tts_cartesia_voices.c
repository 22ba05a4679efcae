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
waav_cartesia_voice(const cJSON *it, waav_voice_t *v, waav_alloc_t *a)
{
    waav_str_t    code;

    (void) a;

    v->name = waav_voice_field(it, "name", "");
    v->sample = waav_voice_field(it, "preview_file_url", "");
    v->gender = waav_cartesia_gender(waav_voice_field(it, "gender", ""));

    code = waav_voice_field(it, "language", "");
    v->language = code.len ? waav_voice_language(code)
                           : (waav_str_t) waav_str_lit("Unknown");
    v->accent = code.len ? waav_voice_accent(code)
                         : (waav_str_t) waav_str_lit("Unknown");

    return 0;
}


const waav_voices_adapter_t  waav_voices_cartesia = {
    .path = "/voices",
    .args = "limit=100",
    .header = "Cartesia-Version",
    .header_value = "2025-04-16",
    /* the paginated shape, or the bare array of older versions */
    .list_key = "data",
    .list_or_array = 1,
    .id_key = "id",
    .entry = waav_cartesia_voice,
};
