/*
 * waav: IBM Watson Text to Speech's voices.
 *
 *   GET {base}/v1/voices          Authorization: Basic apikey:<key>
 *   {"voices": [{"name": "en-US_AllisonV3Voice", "language": "en-US",
 *                "gender": "female", "description": "Allison: American
 *                English female voice...", "url", "customizable"}]}
 *
 * id is the name; name the voice's own ("Allison", the description up to
 * its colon, else the part of the id between '_' and "V3Voice"/"Voice");
 * language and accent from the language code (WaaV's tables); gender
 * capitalized ("Female").  The listing takes Basic auth with the key
 * (no token exchange: the listing is many providers' at once).
 */

#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "waav_voices.h"


/* "Allison" of "Allison: American English female voice." or of
 * "en-US_AllisonV3Voice"; the id itself when neither says */
static waav_str_t
waav_ibm_voice_name(waav_str_t id, waav_str_t desc)
{
    size_t      i;
    waav_str_t  r;

    for (i = 0; i < desc.len && desc.data[i] != ':'; i++) {
        /* void */
    }

    if (i > 0 && i < desc.len) {
        r.data = desc.data;
        r.len = i;
        return r;
    }

    for (i = 0; i < id.len && id.data[i] != '_'; i++) {
        /* void */
    }

    if (i + 1 >= id.len) {
        return id;
    }

    r.data = id.data + i + 1;
    r.len = id.len - i - 1;

    if (r.len > 7 && memcmp(r.data + r.len - 7, "V3Voice", 7) == 0) {
        r.len -= 7;

    } else if (r.len > 5 && memcmp(r.data + r.len - 5, "Voice", 5) == 0) {
        r.len -= 5;
    }

    return r;
}


static waav_str_t
waav_ibm_gender(waav_str_t g)
{
    if (g.len == 6 && strncasecmp(g.data, "female", 6) == 0) {
        return (waav_str_t) waav_str_lit("Female");
    }

    if (g.len == 4 && strncasecmp(g.data, "male", 4) == 0) {
        return (waav_str_t) waav_str_lit("Male");
    }

    return (waav_str_t) waav_str_lit("Unknown");
}


static int
waav_ibm_voice(const cJSON *it, waav_voice_t *v, waav_alloc_t *a)
{
    waav_str_t    code;

    (void) a;

    v->name = waav_ibm_voice_name(v->id,
                                  waav_voice_field(it, "description",
                                                   ""));
    v->gender = waav_ibm_gender(waav_voice_field(it, "gender", ""));

    code = waav_voice_field(it, "language", "");
    v->language = waav_voice_language(code);
    v->accent = waav_voice_accent(code);

    return 0;
}


extern const waav_cred_t  waav_ibm_basic_cred;


const waav_voices_adapter_t  waav_voices_ibm = {
    .path = "/v1/voices",
    .list_key = "voices",
    .id_key = "name",
    .entry = waav_ibm_voice,
    .cred = &waav_ibm_basic_cred,
};
