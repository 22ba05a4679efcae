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
waav_polly_voices_request(waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    (void) a;
    (void) err;

    out->method = "GET";
    out->path.data = "/v1/voices";
    out->path.len = sizeof("/v1/voices") - 1;

    return 0;
}


static int
waav_polly_voices_parse(const char *body, size_t len, waav_voice_list_t *out,
    waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t    code;
    waav_voice_t *v;
    const cJSON  *arr, *it;

    arr = waav_voices_array(body, len, "Voices", a, err);

    if (arr == NULL || waav_voices_alloc(out, arr, a, err) != 0) {
        return -1;
    }

    cJSON_ArrayForEach(it, arr) {
        if (out->n == WAAV_VOICES_MAX) {
            break;
        }

        v = &out->v[out->n];
        v->id = waav_voice_field(it, "Id", NULL);

        if (v->id.len == 0) {
            continue;
        }

        v->name = waav_voice_field(it, "Name", NULL);
        if (v->name.len == 0) {
            v->name = v->id;
        }

        v->sample = (waav_str_t) waav_str_lit("");
        v->gender = waav_voice_field(it, "Gender", "Unknown");

        code = waav_voice_field(it, "LanguageCode", "");
        v->language = waav_voice_language(code);
        v->accent = waav_voice_accent(code);

        out->n++;
    }

    return 0;
}


const waav_voices_adapter_t  waav_voices_polly = {
    .request = waav_polly_voices_request,
    .parse = waav_polly_voices_parse,
};
