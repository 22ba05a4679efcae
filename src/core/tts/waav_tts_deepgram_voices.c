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


static int
waav_deepgram_voices_request(waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    (void) a;
    (void) err;

    out->method = "GET";
    out->path.data = "/v1/models";
    out->path.len = sizeof("/v1/models") - 1;

    return 0;
}


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
waav_deepgram_voices_parse(const char *body, size_t len,
    waav_voice_list_t *out, waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t    lang;
    waav_voice_t *v;
    const cJSON  *arr, *it, *meta, *langs;

    arr = waav_voices_array(body, len, "tts", a, err);

    if (arr == NULL || waav_voices_alloc(out, arr, a, err) != 0) {
        return -1;
    }

    cJSON_ArrayForEach(it, arr) {
        if (out->n == WAAV_VOICES_MAX) {
            break;
        }

        v = &out->v[out->n];
        v->id = waav_voice_field(it, "canonical_name", NULL);

        if (v->id.len == 0) {
            continue;
        }

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
        out->n++;
    }

    return 0;
}


const waav_voices_adapter_t  waav_voices_deepgram = {
    .request = waav_deepgram_voices_request,
    .parse = waav_deepgram_voices_parse,
};
