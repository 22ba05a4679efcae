/*
 * waav: speech-to-text calls, provider-neutral (see waav_stt.h): the
 * first request, the steps after it, and the multipart form the
 * OpenAI-style providers take.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "waav_buf.h"
#include "waav_registry.h"
#include "waav_stt.h"


const waav_stt_adapter_t *
waav_stt_adapter(const char *type, size_t len)
{
    const waav_provider_type_t  *pt;

    pt = waav_provider_type(type, len);

    return pt ? pt->stt : NULL;
}


int
waav_stt_rest(const waav_stt_adapter_t *ad, waav_err_t *err)
{
    if (ad->build != NULL) {
        return 0;
    }

    return waav_err_set(err, 400, WAAV_E_INVALID_PROVIDER,
                        "%s has no REST transcription; use it on /ws",
                        ad->type);
}


int
waav_stt_fits(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_err_t *err)
{
    uint64_t  s;

    /*
     * Exact where the format says (WAV, PCM); else the least the bytes can
     * hold: no audio takes fewer than WAAV_STT_MAX_BYTE_RATE bytes a second
     * (48 kHz stereo 16-bit, more than any compressed encoding of it), so
     * a FLAC is never refused for what a 128 kbit/s estimate would make of
     * it; the provider judges the rest
     */
    s = req->audio_seconds ? req->audio_seconds
                           : req->audio_len / WAAV_STT_MAX_BYTE_RATE;

    if (ad->max_seconds == 0 || s <= ad->max_seconds) {
        return 0;
    }

    return waav_err_set(err, 413, WAAV_E_AUDIO_TOO_LONG,
                        "%s transcribes at most %u s of audio a request "
                        "(its REST API); this audio is %s%llu s", ad->type,
                        ad->max_seconds, req->audio_seconds ? "" : "at least ",
                        (unsigned long long) s);
}


int
waav_stt_check(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t       suffix;
    waav_http_req_t  out;

    memset(&out, 0, sizeof(waav_http_req_t));
    out.method = "POST";

    if (waav_stt_rest(ad, err) != 0 || waav_stt_fits(ad, req, err) != 0) {
        return -1;
    }

    return ad->build(ad, req, &out, &suffix, a, err);
}


const waav_cred_t *
waav_stt_cred(const waav_stt_adapter_t *ad, const waav_stt_req_t *req)
{
    return (req->byok && ad->byok_cred) ? ad->byok_cred : ad->cred;
}


int
waav_stt_build(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    const waav_secret_t *secret, waav_http_req_t *out, waav_str_t *suffix,
    waav_alloc_t *a, waav_err_t *err)
{
    memset(out, 0, sizeof(waav_http_req_t));
    suffix->data = "";
    suffix->len = 0;

    out->method = "POST";

    if (waav_stt_rest(ad, err) != 0
        || waav_stt_fits(ad, req, err) != 0
        || ad->build(ad, req, out, suffix, a, err) != 0)
    {
        return -1;
    }

    return waav_cred_apply(waav_stt_cred(ad, req), secret, out, a, err);
}


int
waav_stt_next(const waav_stt_adapter_t *ad, waav_stt_flow_t *flow,
    const waav_stt_req_t *req, const waav_secret_t *secret,
    waav_str_t provider, waav_str_t answer, waav_stt_result_t *res,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err)
{
    int  rc;

    memset(res, 0, sizeof(waav_stt_result_t));
    memset(out, 0, sizeof(waav_http_req_t));

    if (waav_stt_rest(ad, err) != 0) {
        return -1;
    }

    res->provider = provider;

    if (req->model.len) {
        res->model = req->model;

    } else {
        res->model.data = ad->default_model;
        res->model.len = strlen(ad->default_model);
    }

    if (ad->next) {
        flow->key = secret->key;
        rc = ad->next(ad, flow, req, answer, res, out, a, err);

    } else {
        rc = ad->normalize(ad, answer.data, answer.len, req, res, a, err)
             == 0 ? WAAV_STT_DONE : -1;
    }

    if (rc < 0) {
        return -1;
    }

    flow->step++;

    if (rc == WAAV_STT_DONE) {
        /* the language asked for, when the provider does not say */
        if (res->language.len == 0) {
            res->language = req->language;
        }

        return WAAV_STT_DONE;
    }

    if (out->method == NULL) {
        out->method = "POST";
    }

    return waav_cred_apply(waav_stt_cred(ad, req), secret, out, a, err) == 0
           ? rc : -1;
}


/* 1 when a model name matches a pattern ("nova*": a prefix) */
static int
waav_stt_model_match(const char *m, size_t len, const char *pattern)
{
    size_t  n;

    n = strlen(pattern);

    if (n && pattern[n - 1] == '*') {
        return len >= n - 1 && memcmp(m, pattern, n - 1) == 0;
    }

    return len == n && memcmp(m, pattern, n) == 0;
}


const char *
waav_stt_model_type(const char *m, size_t len)
{
    const char *const           *pat;
    const waav_provider_type_t  *pt;

    for (pt = waav_provider_types; pt->name; pt++) {
        if (pt->stt == NULL || pt->stt->models == NULL) {
            continue;
        }

        for (pat = pt->stt->models; *pat; pat++) {
            if (waav_stt_model_match(m, len, *pat)) {
                return pt->name;
            }
        }
    }

    return NULL;
}


/* --- multipart --------------------------------------------------------- */

void
waav_stt_boundary(char *out, size_t size, uint64_t seed)
{
    size_t         i;
    uint64_t       x;
    unsigned char  r[32];

    static const char  hex[] = "0123456789abcdef";

    /*
     * Random, so no client can put it in a field or the audio; xorshift
     * over the seed only if the system has no randomness to give.
     */
    if (RAND_bytes(r, sizeof(r)) != 1) {
        x = seed ? seed : 0x9e3779b97f4a7c15ULL;

        for (i = 0; i < sizeof(r); i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            r[i] = (unsigned char) x;
        }
    }

    snprintf(out, size, "waav-");

    for (i = 5; i + 1 < size && i < 5 + sizeof(r); i++) {
        out[i] = hex[r[i - 5] & 0xf];
    }

    out[i] = '\0';
}


static void
waav_stt_part(waav_buf_t *b, const char *boundary, const char *name)
{
    waav_buf_cstr(b, "--");
    waav_buf_cstr(b, boundary);
    waav_buf_cstr(b, "\r\nContent-Disposition: form-data; name=\"");
    waav_buf_cstr(b, name);
    waav_buf_byte(b, '"');
}


int
waav_stt_form(const waav_stt_req_t *req, const waav_stt_field_t *fields,
    size_t n, waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a,
    waav_err_t *err)
{
    size_t          i, cap;
    char            boundary[48], *ct;
    waav_buf_t      b;
    unsigned char   wav[WAAV_AUDIO_WAV_HEADER];

    waav_stt_boundary(boundary, sizeof(boundary),
                      (uint64_t) (uintptr_t) out ^ (uint64_t) req->prompt.len
                      ^ ((uint64_t) req->model.len << 32));

    cap = 512;

    for (i = 0; i < n; i++) {
        cap += 128 + strlen(fields[i].name) + fields[i].value.len;
    }

    if (waav_buf_alloc(&b, cap, a, err) != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (fields[i].value.len) {
            waav_stt_part(&b, boundary, fields[i].name);
            waav_buf_cstr(&b, "\r\n\r\n");
            waav_buf_str(&b, fields[i].value);
            waav_buf_cstr(&b, "\r\n");
        }
    }

    waav_stt_part(&b, boundary, "file");
    waav_buf_cstr(&b, "; filename=\"audio.");

    if (req->audio.kind == WAAV_AUDIO_PCM) {
        /* headerless PCM becomes a WAV: a 44-byte header before it */
        waav_buf_cstr(&b, "wav\"\r\nContent-Type: audio/wav\r\n\r\n");
        waav_audio_wav_header(wav, &req->audio, req->audio_len);
        waav_buf_add(&b, wav, sizeof(wav));

    } else {
        waav_buf_cstr(&b, req->audio.ext);
        waav_buf_cstr(&b, "\"\r\nContent-Type: ");
        waav_buf_cstr(&b, req->audio.media_type);
        waav_buf_cstr(&b, "\r\n\r\n");
    }

    if (waav_buf_done(&b, &out->body) != 0) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL, "multipart overflow");
    }

    suffix->data = waav_sprintf(a, &suffix->len, "\r\n--%s--\r\n", boundary);
    ct = waav_sprintf(a, NULL, "multipart/form-data; boundary=%s", boundary);

    if (suffix->data == NULL || ct == NULL) {
        return waav_err_nomem(err);
    }

    return waav_http_add_header(out, "Content-Type", ct, strlen(ct), err);
}
