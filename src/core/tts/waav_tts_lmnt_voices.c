/*
 * waav: LMNT's voices.
 *
 *   GET {base}/v1/ai/voice/list       X-API-Key
 *   [{"id", "name", "owner": "system"|"me"|"other", "state",
 *     "description"?, "gender"?, "preview_url"?, ...}]
 *
 * As WaaV maps them (handlers/voices.rs fetch_lmnt_voices): only voices
 * whose state is "ready"; the accent is the owner's kind ("Standard" for
 * LMNT's own, "Custom" for the account's, else "Shared"); the language
 * English; the gender from "gender", else from the description ("female"
 * before "male": one contains the other), else Unknown.
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_voices.h"


/* 1 when s holds word, in any case */
static int
waav_lmnt_has(waav_str_t s, const char *word)
{
    size_t  i, j, n;

    n = strlen(word);

    for (i = 0; i + n <= s.len; i++) {
        for (j = 0; j < n; j++) {
            if ((s.data[i + j] | 0x20) != word[j]) {
                break;
            }
        }

        if (j == n) {
            return 1;
        }
    }

    return 0;
}


/* Female, Male, or 0 when s names neither */
static int
waav_lmnt_gender_of(waav_str_t s, waav_str_t *g)
{
    if (waav_lmnt_has(s, "female")) {
        *g = (waav_str_t) waav_str_lit("Female");
        return 1;
    }

    if (waav_lmnt_has(s, "male")) {
        *g = (waav_str_t) waav_str_lit("Male");
        return 1;
    }

    return 0;
}


static waav_str_t
waav_lmnt_gender(const cJSON *it)
{
    waav_str_t  g, r;

    g = waav_voice_field(it, "gender", "");

    if (g.len) {
        /* a tag of its own (nonbinary) as LMNT writes it */
        return waav_lmnt_gender_of(g, &r) ? r : g;
    }

    if (waav_lmnt_gender_of(waav_voice_field(it, "description", ""), &r)) {
        return r;
    }

    return (waav_str_t) waav_str_lit("Unknown");
}


static waav_str_t
waav_lmnt_accent(waav_str_t owner)
{
    if (owner.len == 6 && memcmp(owner.data, "system", 6) == 0) {
        return (waav_str_t) waav_str_lit("Standard");
    }

    if (owner.len == 2 && memcmp(owner.data, "me", 2) == 0) {
        return (waav_str_t) waav_str_lit("Custom");
    }

    return (waav_str_t) waav_str_lit("Shared");
}


static int
waav_lmnt_voice(const cJSON *it, waav_voice_t *v, waav_alloc_t *a)
{
    waav_str_t  state;

    (void) a;

    state = waav_voice_field(it, "state", "");

    if (state.len != 5 || memcmp(state.data, "ready", 5) != 0) {
        return 1;
    }

    v->name = waav_voice_field(it, "name", "");
    v->sample = waav_voice_field(it, "preview_url", "");
    v->accent = waav_lmnt_accent(waav_voice_field(it, "owner", ""));
    v->gender = waav_lmnt_gender(it);
    v->language = (waav_str_t) waav_str_lit("English");

    return 0;
}


const waav_voices_adapter_t  waav_voices_lmnt = {
    .path = "/v1/ai/voice/list",
    .id_key = "id",
    .entry = waav_lmnt_voice,
};
