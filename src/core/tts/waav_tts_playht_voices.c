/*
 * waav: Play.ht's voices.
 *
 *   GET {base}/api/v2/voices           X-USER-ID, AUTHORIZATION
 *   [{"id", "name", "sample", "accent", "age", "gender", "language",
 *     "language_code", "voice_engine", ...}]
 *
 * WaaV does not list Play.ht's voices (its struct has "preview_url" where
 * Play.ht's documented listing has "sample": either is taken).  gender
 * "male"/"female" is Male/Female, anything else as written; the language
 * is Play.ht's name for it ("English (US)"), else WaaV's name of the
 * language code; the accent as written, else the code's region.
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_voices.h"


static waav_str_t
waav_playht_gender(waav_str_t g)
{
    if (g.len == 4 && strncmp(g.data, "male", 4) == 0) {
        return (waav_str_t) waav_str_lit("Male");
    }

    if (g.len == 6 && strncmp(g.data, "female", 6) == 0) {
        return (waav_str_t) waav_str_lit("Female");
    }

    return g.len ? g : (waav_str_t) waav_str_lit("Unknown");
}


static int
waav_playht_voice(const cJSON *it, waav_voice_t *v, waav_alloc_t *a)
{
    waav_str_t     code;

    (void) a;

    v->name = waav_voice_field(it, "name", "");
    v->sample = waav_voice_field(it, "sample", NULL);

    if (v->sample.len == 0) {
        v->sample = waav_voice_field(it, "preview_url", "");
    }

    v->gender = waav_playht_gender(waav_voice_field(it, "gender", ""));

    code = waav_voice_field(it, "language_code", "");
    v->language = waav_voice_field(it, "language", NULL);

    if (v->language.len == 0) {
        v->language = code.len ? waav_voice_language(code)
                               : (waav_str_t) waav_str_lit("Unknown");
    }

    v->accent = waav_voice_field(it, "accent", NULL);

    if (v->accent.len == 0) {
        v->accent = code.len ? waav_voice_accent(code)
                             : (waav_str_t) waav_str_lit("Unknown");
    }

    return 0;
}


const waav_voices_adapter_t  waav_voices_playht = {
    .path = "/api/v2/voices",
    .id_key = "id",
    .entry = waav_playht_voice,
};
