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
waav_azure_voice(const cJSON *it, waav_voice_t *v, waav_alloc_t *a)
{
    waav_str_t    code;

    (void) a;

    v->name = waav_voice_field(it, "DisplayName", "");
    v->gender = waav_voice_field(it, "Gender", "Unknown");

    code = waav_voice_field(it, "Locale", "");
    v->language = waav_voice_language(code);
    v->accent = waav_voice_accent(code);

    return 0;
}


static const waav_cred_t  waav_azure_voices_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Ocp-Apim-Subscription-Key",
    .prefix = "",
};


const waav_voices_adapter_t  waav_voices_azure = {
    .path = "/cognitiveservices/voices/list",
    .header = "User-Agent",
    .header_value = "waav",
    .id_key = "ShortName",
    .entry = waav_azure_voice,
    .cred = &waav_azure_voices_cred,
};
