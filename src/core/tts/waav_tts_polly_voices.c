/*
 * waav: Amazon Polly's voices (DescribeVoices), signed as SynthesizeSpeech
 * is (SigV4, service "polly").
 *
 *   GET {base}/v1/voices
 *   {"Voices": [{"Gender": "Female", "Id": "Joanna", "LanguageCode":
 *    "en-US", "LanguageName": "US English", "Name": "Joanna",
 *    "SupportedEngines": ["neural", "standard"]}, ...], "NextToken": ...}
 *
 * Mapped to WaaV's entries: id Id (what voice_id takes), name Name,
 * gender as Polly writes it, language and accent from LanguageCode.  One
 * page: Polly lists every voice in it when no filter is given.
 */

#include <cjson/cJSON.h>

#include "waav_voices.h"


static int
waav_polly_voice(const cJSON *it, waav_voice_t *v, waav_alloc_t *a)
{
    waav_str_t    code;

    (void) a;

    v->name = waav_voice_field(it, "Name", NULL);
    if (v->name.len == 0) {
        v->name = v->id;
    }

    v->gender = waav_voice_field(it, "Gender", "Unknown");

    code = waav_voice_field(it, "LanguageCode", "");
    v->language = waav_voice_language(code);
    v->accent = waav_voice_accent(code);

    return 0;
}


const waav_voices_adapter_t  waav_voices_polly = {
    .path = "/v1/voices",
    .list_key = "Voices",
    .id_key = "Id",
    .entry = waav_polly_voice,
};
