/*
 * waav: Google Cloud Text-to-Speech's voices.
 *
 *   GET {base}/voices                X-Goog-Api-Key: <key>
 *   {"voices": [{"languageCodes": [...], "name", "ssmlGender"}]}
 *
 * As WaaV maps them (handlers/voices.rs fetch_google_voices): the name
 * without its locale ("en-US-Wavenet-D" is "Wavenet D"), language and
 * accent from the first language code.
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_voices.h"


/* "Wavenet D" of "en-US-Wavenet-D"; the name itself when nothing is left */
static waav_str_t
waav_google_name(waav_str_t id, waav_alloc_t *a)
{
    char        *p;
    size_t       i, dashes;
    waav_str_t   r;

    for (i = 0, dashes = 0; i < id.len && dashes < 2; i++) {
        dashes += id.data[i] == '-';
    }

    if (dashes < 2 || i == id.len) {
        return id;
    }

    p = waav_alloc(a, id.len - i);
    if (p == NULL) {
        return id;
    }

    memcpy(p, id.data + i, id.len - i);
    r.data = p;
    r.len = id.len - i;

    for (i = 0; i < r.len; i++) {
        p[i] = p[i] == '-' ? ' ' : p[i];
    }

    return r;
}


static waav_str_t
waav_google_gender(waav_str_t g)
{
    waav_str_t  r = waav_str_lit("Unknown");

    if (g.len == 4 && memcmp(g.data, "MALE", 4) == 0) {
        r.data = "Male";
        r.len = 4;

    } else if (g.len == 6 && memcmp(g.data, "FEMALE", 6) == 0) {
        r.data = "Female";
        r.len = 6;

    } else if (g.len == 7 && memcmp(g.data, "NEUTRAL", 7) == 0) {
        r.data = "Neutral";
        r.len = 7;
    }

    return r;
}


static int
waav_google_voice(const cJSON *it, waav_voice_t *v, waav_alloc_t *a)
{
    waav_str_t    code;
    const cJSON  *codes;

    v->name = waav_google_name(v->id, a);
    v->gender = waav_google_gender(waav_voice_field(it, "ssmlGender",
                                                    ""));

    codes = cJSON_GetObjectItemCaseSensitive(it, "languageCodes");
    code = waav_voice_str(cJSON_IsArray(codes)
                          ? cJSON_GetArrayItem(codes, 0) : NULL, "");
    v->language = waav_voice_language(code);
    v->accent = waav_voice_accent(code);

    return 0;
}


const waav_voices_adapter_t  waav_voices_google = {
    .path = "/voices",
    .list_key = "voices",
    .id_key = "name",
    .entry = waav_google_voice,
};
