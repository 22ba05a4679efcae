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
waav_hume_voices_request(waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    (void) a;
    (void) err;

    out->method = "GET";
    out->path.data = "/v0/tts/voices";
    out->path.len = sizeof("/v0/tts/voices") - 1;
    out->args.data = "provider=HUME_AI&page_size=100";
    out->args.len = sizeof("provider=HUME_AI&page_size=100") - 1;

    return 0;
}


static int
waav_hume_voices_parse(const char *body, size_t len, waav_voice_list_t *out,
    waav_alloc_t *a, waav_err_t *err)
{
    waav_voice_t  *v;
    const cJSON   *arr, *it;

    arr = waav_voices_array(body, len, "voices_page", a, err);

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
        v->sample = (waav_str_t) waav_str_lit("");
        v->gender = (waav_str_t) waav_str_lit("Unknown");
        v->language = (waav_str_t) waav_str_lit("Unknown");
        v->accent = (waav_str_t) waav_str_lit("Unknown");

        out->n++;
    }

    return 0;
}


const waav_voices_adapter_t  waav_voices_hume = {
    .request = waav_hume_voices_request,
    .parse = waav_hume_voices_parse,
};
