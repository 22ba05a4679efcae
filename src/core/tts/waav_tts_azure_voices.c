/*
 * waav: Microsoft Azure Speech's voices.
 *
 *   GET {base}/cognitiveservices/voices/list
 *   Ocp-Apim-Subscription-Key: <key>
 *   [{"Name", "DisplayName", "ShortName", "Gender", "Locale", ...}]
 *
 * As WaaV asks and maps them (handlers/voices.rs fetch_azure_voices): the
 * key as it is (the listing takes it; no token is exchanged for it), id
 * ShortName, name DisplayName, gender verbatim, language and accent from
 * the locale.
 */

#include <cjson/cJSON.h>

#include "waav_voices.h"


static int
waav_azure_voices_request(waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    (void) a;

    out->method = "GET";
    out->path.data = "/cognitiveservices/voices/list";
    out->path.len = sizeof("/cognitiveservices/voices/list") - 1;

    return waav_http_add_header(out, "User-Agent", "waav",
                                sizeof("waav") - 1, err);
}


static int
waav_azure_voices_parse(const char *body, size_t len, waav_voice_list_t *out,
    waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t    code;
    waav_voice_t *v;
    const cJSON  *arr, *it;

    arr = waav_voices_array(body, len, NULL, a, err);

    if (arr == NULL || waav_voices_alloc(out, arr, a, err) != 0) {
        return -1;
    }

    cJSON_ArrayForEach(it, arr) {
        if (out->n == WAAV_VOICES_MAX) {
            break;
        }

        v = &out->v[out->n];
        v->id = waav_voice_field(it, "ShortName", NULL);

        if (v->id.len == 0) {
            continue;
        }

        v->name = waav_voice_field(it, "DisplayName", "");
        v->sample = (waav_str_t) waav_str_lit("");
        v->gender = waav_voice_field(it, "Gender", "Unknown");

        code = waav_voice_field(it, "Locale", "");
        v->language = waav_voice_language(code);
        v->accent = waav_voice_accent(code);

        out->n++;
    }

    return 0;
}


static const waav_cred_t  waav_azure_voices_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Ocp-Apim-Subscription-Key",
    .prefix = "",
};


const waav_voices_adapter_t  waav_voices_azure = {
    .request = waav_azure_voices_request,
    .parse = waav_azure_voices_parse,
    .cred = &waav_azure_voices_cred,
};
