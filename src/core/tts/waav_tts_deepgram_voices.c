/*
 * waav: Deepgram's voices.
 *
 *   GET {base}/v1/models          Authorization: Token <key>
 *   {"tts": [{"name", "canonical_name", "languages": [...],
 *             "metadata": {"accent", "sample", "tags": [...]}}]}
 *
 * As WaaV maps them (handlers/voices.rs fetch_deepgram_voices), except the
 * gender: WaaV tests "male" first, so a "female" tag came out "Male".
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_voices.h"


/* the first tag saying masculine or feminine; "feminine"/"female" are
 * tested first, as "male" is a part of "female" */
static waav_str_t
waav_deepgram_gender(const cJSON *tags)
{
    size_t        i, len;
    char          low[64];
    const cJSON  *t;
    waav_str_t    male = waav_str_lit("Male");
    waav_str_t    female = waav_str_lit("Female");
    waav_str_t    unknown = waav_str_lit("Unknown");

    if (!cJSON_IsArray(tags)) {
        return unknown;
    }

    cJSON_ArrayForEach(t, tags) {
        if (!cJSON_IsString(t) || t->valuestring == NULL) {
            continue;
        }

        len = strlen(t->valuestring);
        if (len >= sizeof(low)) {
            continue;
        }

        for (i = 0; i <= len; i++) {
            low[i] = (char) ((t->valuestring[i] >= 'A'
                              && t->valuestring[i] <= 'Z')
                             ? t->valuestring[i] + 32 : t->valuestring[i]);
        }

        if (strstr(low, "female") || strstr(low, "feminine")) {
            return female;
        }

        if (strstr(low, "male") || strstr(low, "masculine")) {
            return male;
        }
    }

    return unknown;
}


static int
waav_deepgram_voice(const cJSON *it, waav_voice_t *v, waav_alloc_t *a)
{
    waav_str_t    lang;
    const cJSON  *meta, *langs;

    (void) a;

    meta = cJSON_GetObjectItemCaseSensitive(it, "metadata");
    v->name = waav_voice_field(it, "name", "");
    v->sample = waav_voice_field(meta, "sample", "");
    v->accent = waav_voice_field(meta, "accent", "Unknown");
    v->gender = waav_deepgram_gender(
                    cJSON_GetObjectItemCaseSensitive(meta, "tags"));

    /* the first language: "English" for en*, else the code */
    langs = cJSON_GetObjectItemCaseSensitive(it, "languages");
    lang = waav_voice_str(cJSON_IsArray(langs)
                          ? cJSON_GetArrayItem(langs, 0) : NULL,
                          "Unknown");

    if (lang.len >= 2 && memcmp(lang.data, "en", 2) == 0) {
        lang.data = "English";
        lang.len = sizeof("English") - 1;
    }

    v->language = lang;

    return 0;
}


const waav_voices_adapter_t  waav_voices_deepgram = {
    .path = "/v1/models",
    .list_key = "tts",
    .id_key = "canonical_name",
    .entry = waav_deepgram_voice,
};
