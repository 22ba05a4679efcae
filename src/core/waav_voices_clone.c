/*
 * waav: WaaV's POST /voices/clone body, and its answer.
 *
 *   {"provider", "name", "description"?, "audio_samples": [base64, ...],
 *    "sample_text"?, "remove_background_noise"?, "labels"?: {k: v}}
 *
 * Samples are standard base64, optionally a data: URL ("data:audio/wav;
 * base64,..."), each sniffed for its type as WaaV does (mp3, wav, m4a,
 * ogg, flac; else wav).
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "waav_base64.h"
#include "waav_json.h"
#include "waav_jw.h"
#include "waav_voices.h"


#define WAAV_CLONE_MAX_NAME   256
#define WAAV_CLONE_MAX_DESC   2048


static void
waav_clone_sniff(waav_clone_sample_t *s)
{
    const unsigned char  *d = (const unsigned char *) s->data.data;
    size_t                n = s->data.len;

    s->mime = "audio/wav";
    s->ext = "wav";

    if (n < 12) {
        s->mime = "application/octet-stream";
        s->ext = "bin";

    } else if (memcmp(d, "ID3", 3) == 0 || (d[0] == 0xff
                                            && (d[1] & 0xe0) == 0xe0))
    {
        s->mime = "audio/mpeg";
        s->ext = "mp3";

    } else if (memcmp(d, "ftyp", 4) == 0 || memcmp(d + 4, "ftyp", 4) == 0) {
        s->mime = "audio/mp4";
        s->ext = "m4a";

    } else if (memcmp(d, "OggS", 4) == 0) {
        s->mime = "audio/ogg";
        s->ext = "ogg";

    } else if (memcmp(d, "fLaC", 4) == 0) {
        s->mime = "audio/flac";
        s->ext = "flac";
    }
}


/* standard base64 (padding optional) into its bytes */
static int
waav_clone_decode(const char *in, size_t len, waav_clone_sample_t *s,
    size_t i, waav_alloc_t *a, waav_err_t *err)
{
    char        *buf;
    const char  *comma;
    size_t       k, o;
    unsigned     acc;
    int          bits, v;

    comma = memchr(in, ',', len);
    if (comma) {
        len -= comma + 1 - in;
        in = comma + 1;
    }

    while (len && in[len - 1] == '=') {
        len--;
    }

    buf = waav_alloc(a, len / 4 * 3 + 3);
    if (buf == NULL) {
        return waav_err_nomem(err);
    }

    acc = 0;
    bits = 0;
    o = 0;

    for (k = 0; k < len; k++) {
        v = waav_base64_digit((unsigned char) in[k], WAAV_BASE64_STD);
        if (v < 0) {
            return waav_err_set(err, 400, WAAV_E_INVALID_AUDIO,
                                "Failed to decode audio sample %zu: not "
                                "base64", i);
        }

        acc = ((acc << 6) | (unsigned) v) & 0xffffff;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (char) (acc >> bits);
        }
    }

    if (len % 4 == 1 || o == 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_AUDIO,
                            "Failed to decode audio sample %zu: %s", i,
                            o ? "truncated base64" : "empty");
    }

    s->data.data = buf;
    s->data.len = o;
    waav_clone_sniff(s);

    return 0;
}


static int
waav_clone_text(const cJSON *root, const char *key, size_t max, int need,
    waav_str_t *out, waav_err_t *err)
{
    size_t        len;
    const cJSON  *it;

    it = cJSON_GetObjectItemCaseSensitive(root, key);

    if (it == NULL || cJSON_IsNull(it)) {
        if (need) {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                "missing field `%s`", key);
        }

        return 0;
    }

    if (!cJSON_IsString(it)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "`%s` must be a string", key);
    }

    len = strlen(it->valuestring);

    if (len > max || !waav_utf8_valid(it->valuestring, len)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "`%s` must be UTF-8 of at most %zu bytes", key,
                            max);
    }

    out->data = it->valuestring;
    out->len = len;

    return 0;
}


/* labels: an object of strings, passed on as JSON */
static int
waav_clone_labels(const cJSON *labels, waav_clone_req_t *req,
    waav_alloc_t *a, waav_err_t *err)
{
    size_t        n;
    waav_jw_t     w;
    const cJSON  *it;

    if (labels == NULL || cJSON_IsNull(labels)) {
        return 0;
    }

    if (!cJSON_IsObject(labels)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "`labels` must be an object of strings");
    }

    n = 0;

    cJSON_ArrayForEach(it, labels) {
        if (!cJSON_IsString(it) || ++n > WAAV_CLONE_MAX_LABELS
            || strlen(it->string) > 256 || strlen(it->valuestring) > 256)
        {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                "`labels` must be an object of at most %d "
                                "strings", WAAV_CLONE_MAX_LABELS);
        }
    }

    if (waav_jw_alloc(&w, 64 + n * 3200, a, err) != 0) {
        return -1;
    }

    waav_jw_open(&w, NULL);

    cJSON_ArrayForEach(it, labels) {
        waav_jw_cstr(&w, it->string, it->valuestring);
    }

    waav_jw_close(&w);

    if (waav_jw_done(&w, &req->labels) != 0) {
        return waav_err_nomem(err);
    }

    return 0;
}


static int
waav_clone_samples(const cJSON *arr, waav_clone_req_t *req, waav_alloc_t *a,
    waav_err_t *err)
{
    const cJSON  *it;

    if (arr == NULL || cJSON_IsNull(arr)) {
        return 0;
    }

    if (!cJSON_IsArray(arr)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "`audio_samples` must be an array of base64 "
                            "strings");
    }

    cJSON_ArrayForEach(it, arr) {
        if (req->nsamples == WAAV_CLONE_MAX_SAMPLES) {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                "at most %d audio samples",
                                WAAV_CLONE_MAX_SAMPLES);
        }

        if (!cJSON_IsString(it)) {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                "`audio_samples` must be an array of base64 "
                                "strings");
        }

        if (waav_clone_decode(it->valuestring, strlen(it->valuestring),
                              &req->samples[req->nsamples], req->nsamples,
                              a, err)
            != 0)
        {
            return -1;
        }

        req->nsamples++;
    }

    return 0;
}


int
waav_clone_parse(waav_clone_req_t *req, const char *json, size_t len,
    waav_alloc_t *a, waav_err_t *err)
{
    size_t        i;
    cJSON        *root;
    const cJSON  *rbn;
    waav_str_t    text;

    memset(req, 0, sizeof(waav_clone_req_t));

    root = waav_json_parse(json, len, WAAV_JSON_CLIENT, a, err);
    if (root == NULL) {
        return -1;
    }

    if (!cJSON_IsObject(root)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "the body must be a JSON object");
    }

    if (waav_clone_text(root, "provider", 64, 1, &req->provider, err) != 0
        || waav_clone_text(root, "name", WAAV_CLONE_MAX_NAME, 1, &req->name,
                           err) != 0
        || waav_clone_text(root, "description", WAAV_CLONE_MAX_DESC, 0,
                           &req->description, err) != 0
        || waav_clone_text(root, "sample_text", WAAV_CLONE_MAX_DESC, 0,
                           &text, err) != 0)
    {
        return -1;
    }

    for (i = 0; i < req->name.len && (req->name.data[i] == ' '
                                      || req->name.data[i] == '\t'
                                      || req->name.data[i] == '\n'
                                      || req->name.data[i] == '\r'); i++)
    {
        /* void */
    }

    if (i == req->name.len) {
        return waav_err_set(err, 400, "INVALID_NAME",
                            "Voice name cannot be empty");
    }

    rbn = cJSON_GetObjectItemCaseSensitive(root, "remove_background_noise");

    if (rbn && !cJSON_IsBool(rbn) && !cJSON_IsNull(rbn)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "`remove_background_noise` must be a boolean");
    }

    req->remove_background_noise = cJSON_IsTrue(rbn);

    if (waav_clone_labels(cJSON_GetObjectItemCaseSensitive(root, "labels"),
                          req, a, err) != 0)
    {
        return -1;
    }

    return waav_clone_samples(cJSON_GetObjectItemCaseSensitive(root,
                                                               "audio_samples"),
                              req, a, err);
}


int
waav_clone_answer(const waav_clone_req_t *req, const waav_clone_res_t *res,
    const char *created_at, waav_str_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    waav_jw_t          w;
    const waav_str_t  *name;

    name = res->name.len ? &res->name : &req->name;

    if (waav_jw_alloc(&w, 256 + 6 * (res->voice_id.len + name->len
                                     + req->provider.len), a, err)
        != 0)
    {
        return -1;
    }

    waav_jw_open(&w, NULL);
    waav_jw_str(&w, "voice_id", res->voice_id.data, res->voice_id.len);
    waav_jw_str(&w, "name", name->data, name->len);
    waav_jw_str(&w, "provider", req->provider.data, req->provider.len);
    waav_jw_cstr(&w, "status", "ready");
    waav_jw_cstr(&w, "created_at", created_at);
    waav_jw_close(&w);

    if (waav_jw_done(&w, out) != 0) {
        return waav_err_nomem(err);
    }

    return 0;
}
