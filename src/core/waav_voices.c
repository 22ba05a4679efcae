/*
 * waav: voice lists, provider-neutral: WaaV's language and accent names,
 * the checks every listing's strings pass, and the merged answer.
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_json.h"
#include "waav_jw.h"
#include "waav_voices.h"


typedef struct {
    const char  *code;
    const char  *name;
} waav_voice_name_t;


/* handlers/voices.rs language_code_to_name */
static const waav_voice_name_t  waav_voice_languages[] = {
    { "af", "Afrikaans" }, { "am", "Amharic" }, { "ar", "Arabic" },
    { "bg", "Bulgarian" }, { "bn", "Bengali" }, { "ca", "Catalan" },
    { "cmn", "Chinese" }, { "zh", "Chinese" }, { "cs", "Czech" },
    { "cy", "Welsh" }, { "da", "Danish" }, { "de", "German" },
    { "el", "Greek" }, { "en", "English" }, { "es", "Spanish" },
    { "et", "Estonian" }, { "eu", "Basque" }, { "fa", "Persian" },
    { "fi", "Finnish" }, { "fil", "Filipino" }, { "fr", "French" },
    { "ga", "Irish" }, { "gl", "Galician" }, { "gu", "Gujarati" },
    { "he", "Hebrew" }, { "iw", "Hebrew" }, { "hi", "Hindi" },
    { "hr", "Croatian" }, { "hu", "Hungarian" }, { "id", "Indonesian" },
    { "is", "Icelandic" }, { "it", "Italian" }, { "ja", "Japanese" },
    { "jv", "Javanese" }, { "kn", "Kannada" }, { "ko", "Korean" },
    { "lt", "Lithuanian" }, { "lv", "Latvian" }, { "ml", "Malayalam" },
    { "mr", "Marathi" }, { "ms", "Malay" }, { "nb", "Norwegian Bokm\xc3\xa5l" },
    { "nl", "Dutch" }, { "pa", "Punjabi" }, { "pl", "Polish" },
    { "pt", "Portuguese" }, { "ro", "Romanian" }, { "ru", "Russian" },
    { "sk", "Slovak" }, { "sl", "Slovenian" }, { "sr", "Serbian" },
    { "su", "Sundanese" }, { "sv", "Swedish" }, { "sw", "Swahili" },
    { "ta", "Tamil" }, { "te", "Telugu" }, { "th", "Thai" },
    { "tr", "Turkish" }, { "uk", "Ukrainian" }, { "ur", "Urdu" },
    { "vi", "Vietnamese" }, { "yue", "Cantonese" },
    { NULL, NULL }
};


/* handlers/voices.rs extract_accent_from_code */
static const waav_voice_name_t  waav_voice_accents[] = {
    { "US", "American" }, { "GB", "British" }, { "AU", "Australian" },
    { "IN", "Indian" }, { "CA", "Canadian" }, { "IE", "Irish" },
    { "NZ", "New Zealand" }, { "ZA", "South African" }, { "ES", "Spain" },
    { "MX", "Mexican" }, { "AR", "Argentinian" }, { "CL", "Chilean" },
    { "CO", "Colombian" }, { "PE", "Peruvian" }, { "VE", "Venezuelan" },
    { "BR", "Brazilian" }, { "PT", "Portuguese" }, { "FR", "French" },
    { "BE", "Belgian" }, { "CH", "Swiss" }, { "DE", "German" },
    { "AT", "Austrian" }, { "IT", "Italian" }, { "CN", "Mainland China" },
    { "TW", "Taiwanese" }, { "HK", "Hong Kong" }, { "JP", "Japanese" },
    { "KR", "Korean" }, { "RU", "Russian" }, { "UA", "Ukrainian" },
    { "PL", "Polish" }, { "NL", "Dutch" }, { "SE", "Swedish" },
    { "NO", "Norwegian" }, { "DK", "Danish" }, { "FI", "Finnish" },
    { "TR", "Turkish" }, { "SA", "Saudi" }, { "EG", "Egyptian" },
    { "IL", "Israeli" }, { "PH", "Filipino" }, { "ID", "Indonesian" },
    { "MY", "Malaysian" }, { "TH", "Thai" }, { "VN", "Vietnamese" },
    { NULL, NULL }
};


static waav_str_t
waav_voice_lookup(const waav_voice_name_t *t, const char *s, size_t len,
    int ci, waav_str_t def)
{
    size_t      k;
    char        c;
    waav_str_t  r;

    for (; t->code; t++) {
        if (strlen(t->code) != len) {
            continue;
        }

        for (k = 0; k < len; k++) {
            c = s[k];

            if (ci && c >= 'a' && c <= 'z') {
                c = (char) (c - 'a' + 'A');
            }

            if (c != t->code[k]) {
                break;
            }
        }

        if (k == len) {
            r.data = t->name;
            r.len = strlen(t->name);
            return r;
        }
    }

    return def;
}


waav_str_t
waav_voice_language(waav_str_t code)
{
    size_t  n;

    for (n = 0; n < code.len && code.data[n] != '-'; n++) {
        /* void */
    }

    return waav_voice_lookup(waav_voice_languages, code.data, n, 0, code);
}


waav_str_t
waav_voice_accent(waav_str_t code)
{
    size_t      s, e;
    waav_str_t  part, std = waav_str_lit("Standard");

    for (s = 0; s < code.len && code.data[s] != '-'; s++) {
        /* void */
    }

    if (s >= code.len) {
        return std;
    }

    s++;

    for (e = s; e < code.len && code.data[e] != '-'; e++) {
        /* void */
    }

    part.data = code.data + s;
    part.len = e - s;

    return waav_voice_lookup(waav_voice_accents, part.data, part.len, 1,
                             part);
}


waav_str_t
waav_voice_str(const cJSON *it, const char *def)
{
    size_t      i, len;
    waav_str_t  r;

    r.data = def;
    r.len = def ? strlen(def) : 0;

    if (!cJSON_IsString(it) || it->valuestring == NULL) {
        return r;
    }

    len = strlen(it->valuestring);

    if (len > WAAV_VOICE_FIELD_MAX
        || !waav_utf8_valid(it->valuestring, len))
    {
        return r;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) it->valuestring[i] < 0x20
            || it->valuestring[i] == 0x7f)
        {
            return r;
        }
    }

    if (len == 0 && def != NULL) {
        return r;
    }

    r.data = it->valuestring;
    r.len = len;

    return r;
}


waav_str_t
waav_voice_field(const cJSON *obj, const char *key, const char *def)
{
    return waav_voice_str(cJSON_IsObject(obj)
                          ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL,
                          def);
}


/* the array of entries a listing has (root itself, or root's member key
 * when key is not NULL), parsed from body; NULL with err set (502) */
static const cJSON *
waav_voices_array(const char *body, size_t len, const char *key,
    waav_alloc_t *a, waav_err_t *err)
{
    cJSON        *root;
    const cJSON  *arr;

    if (len > WAAV_VOICES_ANSWER_MAX) {
        waav_err_set(err, 502, WAAV_E_PROVIDER_BAD_RESPONSE,
                     "a voice list over %u bytes",
                     (unsigned) WAAV_VOICES_ANSWER_MAX);
        return NULL;
    }

    root = waav_json_parse(body, len, WAAV_JSON_NO_NUL, a, err);

    arr = (root && key) ? cJSON_GetObjectItemCaseSensitive(root, key) : root;

    if (!cJSON_IsArray(arr)) {
        waav_err_set(err, 502, WAAV_E_PROVIDER_BAD_RESPONSE,
                     "an answer that is not a voice list");
        return NULL;
    }

    return arr;
}


/* room for the entries of arr (at most WAAV_VOICES_MAX) */
static int
waav_voices_alloc(waav_voice_list_t *out, const cJSON *arr, waav_alloc_t *a,
    waav_err_t *err)
{
    size_t  n;

    n = (size_t) cJSON_GetArraySize(arr);
    n = n > WAAV_VOICES_MAX ? WAAV_VOICES_MAX : n;

    out->n = 0;
    out->v = waav_alloc(a, (n ? n : 1) * sizeof(waav_voice_t));

    if (out->v == NULL) {
        return waav_err_nomem(err);
    }

    return 0;
}


int
waav_voices_request(const waav_voices_adapter_t *va, waav_http_req_t *out,
    waav_alloc_t *a, waav_err_t *err)
{
    (void) a;

    memset(out, 0, sizeof(waav_http_req_t));

    out->method = "GET";
    out->path.data = va->path;
    out->path.len = strlen(va->path);

    if (va->args) {
        out->args.data = va->args;
        out->args.len = strlen(va->args);
    }

    if (va->header == NULL) {
        return 0;
    }

    return waav_http_add_header(out, va->header, va->header_value,
                                strlen(va->header_value), err);
}


int
waav_voices_parse(const waav_voices_adapter_t *va, const char *body,
    size_t len, waav_voice_list_t *out, waav_alloc_t *a, waav_err_t *err)
{
    waav_voice_t  *v;
    const cJSON   *arr, *it;

    arr = waav_voices_array(body, len, va->list_key, a, err);

    if (arr == NULL && va->list_key && va->list_or_array) {
        arr = waav_voices_array(body, len, NULL, a, err);
    }

    if (arr == NULL || waav_voices_alloc(out, arr, a, err) != 0) {
        return -1;
    }

    cJSON_ArrayForEach(it, arr) {
        if (out->n == WAAV_VOICES_MAX) {
            break;
        }

        v = &out->v[out->n];
        memset(v, 0, sizeof(waav_voice_t));
        v->id = waav_voice_field(it, va->id_key, NULL);

        if (v->id.len == 0) {
            continue;
        }

        v->name = (waav_str_t) waav_str_lit("");
        v->sample = (waav_str_t) waav_str_lit("");

        if (va->entry(it, v, a) == 0) {
            out->n++;
        }
    }

    return 0;
}


void
waav_voices_fixed(const waav_voices_adapter_t *va, waav_voice_list_t *out)
{
    out->v = (waav_voice_t *) va->fixed;
    out->n = va->nfixed;
}


static const char  *waav_voice_keys[] = {
    "id", "sample", "name", "accent", "gender", "language"
};


void
waav_voices_write(waav_jw_t *w, const char *name,
    const waav_voice_list_t *list)
{
    size_t               i, k;
    const waav_str_t    *f;

    waav_jw_key_array(w, name);

    for (i = 0; i < list->n; i++) {
        f = &list->v[i].id;
        waav_jw_open(w, NULL);

        for (k = 0; k < 6; k++) {
            waav_jw_str(w, waav_voice_keys[k], f[k].data, f[k].len);
        }

        waav_jw_close(w);
    }

    waav_jw_close_array(w);
}


size_t
waav_voices_size(const char *name, const waav_voice_list_t *list)
{
    size_t             i, k, n;
    const waav_str_t  *f;

    n = waav_json_escape(NULL, name, strlen(name)) + 8;

    for (i = 0; i < list->n; i++) {
        f = &list->v[i].id;
        n += 4;

        for (k = 0; k < 6; k++) {
            n += strlen(waav_voice_keys[k]) + 6
                 + waav_json_escape(NULL, f[k].data, f[k].len);
        }
    }

    return n;
}
