/*
 * waav: Hume's voices (its Voice Library).
 *
 *   GET {base}/v0/tts/voices?provider=HUME_AI&page_size=100
 *   X-Hume-Api-Key
 *   {"page_number", "page_size", "total_pages",
 *    "voices_page": [{"id", "name", ...}]}
 *
 * WaaV does not list Hume's voices.  An entry is its id (what /speak
 * sends back as {"id"}) and name; Hume's listing says nothing of gender,
 * language or accent: Unknown.  The first page only (100 voices).
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_voices.h"


static int
waav_hume_voice(const cJSON *it, waav_voice_t *v, waav_alloc_t *a)
{
    (void) a;

    v->name = waav_voice_field(it, "name", "");
    v->gender = (waav_str_t) waav_str_lit("Unknown");
    v->language = (waav_str_t) waav_str_lit("Unknown");
    v->accent = (waav_str_t) waav_str_lit("Unknown");

    return 0;
}


const waav_voices_adapter_t  waav_voices_hume = {
    .path = "/v0/tts/voices",
    .args = "provider=HUME_AI&page_size=100",
    .list_key = "voices_page",
    .id_key = "id",
    .entry = waav_hume_voice,
};
