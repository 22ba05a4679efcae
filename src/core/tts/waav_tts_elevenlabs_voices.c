/*
 * waav: ElevenLabs' voices, and cloning.
 *
 *   GET {base}/v2/voices?page_size=100          xi-api-key: <key>
 *   {"voices": [{"voice_id", "name", "preview_url", "description",
 *                "labels": {...}, "verified_languages": [{"language",
 *                "accent"}]}]}
 *
 *   POST {base}/v1/voices/add                   multipart/form-data
 *   name, description?, remove_background_noise?, labels?, files...
 *   {"voice_id", "requires_verification"}
 *
 * As WaaV maps them (handlers/voices.rs fetch_elevenlabs_voices), except
 * the gender: WaaV tests "male" first, so a label "female" never gave
 * "Female".  WaaV asks for the first page only (10 voices); waav asks for
 * 100, the most a page holds.
 */

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_buf.h"
#include "waav_json.h"
#include "waav_voices.h"


#define WAAV_EL_BOUNDARY  "waav-clone-5f0c3a9e81d24b76a1e0c9d3b8f2e417"


/* 1 when s (lower-cased, at most 1 KiB) contains w */
static int
waav_el_has(waav_str_t s, const char *w)
{
    size_t  i;
    char    low[WAAV_VOICE_FIELD_MAX + 1];

    for (i = 0; i < s.len && i < WAAV_VOICE_FIELD_MAX; i++) {
        low[i] = (char) ((s.data[i] >= 'A' && s.data[i] <= 'Z')
                         ? s.data[i] + 32 : s.data[i]);
    }

    low[i] = '\0';

    return strstr(low, w) != NULL;
}


static waav_str_t
waav_elevenlabs_gender(const cJSON *labels, waav_str_t desc)
{
    size_t        i;
    waav_str_t    v;
    waav_str_t    male = waav_str_lit("Male");
    waav_str_t    female = waav_str_lit("Female");
    waav_str_t    unknown = waav_str_lit("Unknown");

    static const char  *keys[] = { "gender", "sex", "voice_type" };

    for (i = 0; i < 3; i++) {
        v = waav_voice_field(labels, keys[i], "");

        if (waav_el_has(v, "female")) {
            return female;
        }

        if (waav_el_has(v, "male")) {
            return male;
        }
    }

    if (waav_el_has(desc, "female") || waav_el_has(desc, "feminine")
        || waav_el_has(desc, " woman ") || waav_el_has(desc, "lady"))
    {
        return female;
    }

    if (waav_el_has(desc, "male") || waav_el_has(desc, "masculine")
        || waav_el_has(desc, " man ") || waav_el_has(desc, "gentleman"))
    {
        return male;
    }

    return unknown;
}


static int
waav_elevenlabs_voice(const cJSON *it, waav_voice_t *v, waav_alloc_t *a)
{
    const cJSON  *langs, *first;

    (void) a;

    v->name = waav_voice_field(it, "name", "");
    v->sample = waav_voice_field(it, "preview_url", "");
    v->gender = waav_elevenlabs_gender(
                    cJSON_GetObjectItemCaseSensitive(it, "labels"),
                    waav_voice_field(it, "description", ""));

    langs = cJSON_GetObjectItemCaseSensitive(it, "verified_languages");
    first = cJSON_IsArray(langs) ? cJSON_GetArrayItem(langs, 0) : NULL;
    v->language = waav_voice_field(first, "language", "Unknown");
    v->accent = waav_voice_field(first, "accent", "Unknown");

    return 0;
}


static int
waav_el_contains(waav_str_t s, const char *w)
{
    size_t  i, n;

    n = strlen(w);

    for (i = 0; i + n <= s.len; i++) {
        if (s.data[i] == w[0] && memcmp(s.data + i, w, n) == 0) {
            return 1;
        }
    }

    return 0;
}


static void
waav_el_field(waav_buf_t *b, const char *name, const char *v, size_t len)
{
    waav_buf_cstr(b, "--" WAAV_EL_BOUNDARY "\r\n"
                  "Content-Disposition: form-data; name=\"");
    waav_buf_cstr(b, name);
    waav_buf_cstr(b, "\"\r\n\r\n");
    waav_buf_add(b, v, len);
    waav_buf_cstr(b, "\r\n");
}


static int
waav_elevenlabs_clone(const waav_clone_req_t *req, waav_http_req_t *out,
    waav_alloc_t *a, waav_err_t *err)
{
    char         head[96];
    size_t       i, size;
    waav_buf_t   b;
    waav_str_t   ct = waav_str_lit("multipart/form-data; boundary="
                                   WAAV_EL_BOUNDARY);

    size = 1024 + req->name.len + req->description.len + req->labels.len;

    for (i = 0; i < req->nsamples; i++) {
        /* the boundary inside a sample would end its part early */
        if (waav_el_contains(req->samples[i].data, WAAV_EL_BOUNDARY))
        {
            return waav_err_set(err, 400, WAAV_E_INVALID_AUDIO,
                                "audio sample %zu cannot be sent", i);
        }

        size += 256 + req->samples[i].data.len;
    }

    if (waav_buf_alloc(&b, size, a, err) != 0) {
        return -1;
    }

    waav_el_field(&b, "name", req->name.data, req->name.len);

    if (req->description.len) {
        waav_el_field(&b, "description", req->description.data,
                      req->description.len);
    }

    if (req->remove_background_noise) {
        waav_el_field(&b, "remove_background_noise", "true", 4);
    }

    if (req->labels.len) {
        waav_el_field(&b, "labels", req->labels.data, req->labels.len);
    }

    for (i = 0; i < req->nsamples; i++) {
        snprintf(head, sizeof(head), "sample_%zu.%s", i, req->samples[i].ext);
        waav_buf_cstr(&b, "--" WAAV_EL_BOUNDARY "\r\n"
                      "Content-Disposition: form-data; name=\"files\"; "
                      "filename=\"");
        waav_buf_cstr(&b, head);
        waav_buf_cstr(&b, "\"\r\nContent-Type: ");
        waav_buf_cstr(&b, req->samples[i].mime);
        waav_buf_cstr(&b, "\r\n\r\n");
        waav_buf_add(&b, req->samples[i].data.data, req->samples[i].data.len);
        waav_buf_cstr(&b, "\r\n");
    }

    waav_buf_cstr(&b, "--" WAAV_EL_BOUNDARY "--\r\n");

    if (waav_buf_done(&b, &out->body) != 0) {
        return waav_err_nomem(err);
    }

    out->method = "POST";
    out->path.data = "/v1/voices/add";
    out->path.len = sizeof("/v1/voices/add") - 1;

    return waav_http_add_header(out, "Content-Type", ct.data, ct.len, err);
}


static int
waav_elevenlabs_cloned(const char *body, size_t len, waav_clone_res_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    cJSON  *root;

    root = waav_json_parse(body, len, WAAV_JSON_NO_NUL, a, err);

    res->voice_id = waav_voice_field(root, "voice_id", NULL);
    res->name = waav_voice_field(root, "name", NULL);

    if (res->voice_id.len == 0) {
        return waav_err_set(err, 502, WAAV_E_PROVIDER_BAD_RESPONSE,
                            "ElevenLabs answered without a voice_id");
    }

    return 0;
}


const waav_voices_adapter_t  waav_voices_elevenlabs = {
    .path = "/v2/voices",
    .args = "page_size=100",
    .list_key = "voices",
    .id_key = "voice_id",
    .entry = waav_elevenlabs_voice,
    .clone = waav_elevenlabs_clone,
    .cloned = waav_elevenlabs_cloned,
};
