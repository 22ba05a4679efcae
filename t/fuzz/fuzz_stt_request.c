/*
 * libFuzzer target: a transcription request's options (what a client
 * puts in /listen's query or OpenAI's form) through validation, then
 * every STT adapter's request: whatever passes must make a request whose
 * path, query and headers cannot be broken out of (no control bytes, no
 * spaces in the query) and whose form is valid UTF-8 up to the audio.
 * Input: Content-Type, model, language, keywords, prompt, temperature,
 * file name, response_format, provider type, separated by '\n'; the first
 * byte: flags.  The prompt also goes through the query encoder (what a
 * credential in the query would).  An adapter that takes the audio
 * base64 in JSON (Google's) must make JSON of what goes around it.
 * `make fuzz`.
 *
 * fuzz-covers: waav_stt_validate.c waav_stt.c waav_http.c
 * fuzz-covers: stt/waav_stt_assemblyai.c stt/waav_stt_deepgram.c
 * fuzz-covers: stt/waav_stt_elevenlabs.c stt/waav_stt_openai.c
 * fuzz-covers: stt/waav_stt_ibm.c stt/waav_stt_azure.c
 * fuzz-covers: stt/waav_stt_google.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_audio.h"
#include "waav_json.h"
#include "waav_registry.h"
#include "waav_stt_formats.h"
#include "waav_stt_validate.h"
#include "../unit/waav_arena.h"


static int
waav_fuzz_text_ok(waav_str_t s, int space)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < s.len; i++) {
        c = (unsigned char) s.data[i];

        if (c < 0x20 || c == 0x7f || (!space && c == ' ')) {
            return 0;
        }
    }

    return 1;
}


/* body, some base64, suffix: one JSON object; -1 when not.  The harness's
 * own copy is malloc'd (as the other targets' are): its failure aborts,
 * never passes for a JSON object; the parser's running out of the arena
 * is no object either */
static int
waav_fuzz_json_around(waav_str_t body, waav_str_t suffix, waav_alloc_t *a)
{
    int          rc;
    char        *json;
    cJSON       *root;
    waav_err_t   err;

    json = malloc(body.len + 4 + suffix.len);
    if (json == NULL) {
        abort();
    }

    memcpy(json, body.data, body.len);
    memcpy(json + body.len, "AAAA", 4);
    memcpy(json + body.len + 4, suffix.data, suffix.len);

    root = waav_json_parse(json, body.len + 4 + suffix.len,
                           WAAV_JSON_NO_NUL|WAAV_JSON_WHOLE, a, &err);

    rc = cJSON_IsObject(root) ? 0 : -1;
    free(json);

    return rc;
}


static void
waav_fuzz_check(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_alloc_t *a)
{
    size_t           i;
    waav_str_t       suffix;
    waav_err_t       err;
    waav_secret_t    secret = {
        .key = { "fuzz-key", 8 }, .token = { "", 0 }, .now = 0
    };
    waav_http_req_t  out;

    /* what the glue checks before a token exchange: a request it lets by
     * may still fail on credentials, one it refuses is never built */
    if (waav_stt_check(ad, req, a, &err) != 0) {
        if (waav_stt_build(ad, req, &secret, &out, &suffix, a, &err) == 0) {
            abort();
        }

        return;
    }

    if (waav_stt_build(ad, req, &secret, &out, &suffix, a, &err) != 0) {
        return;
    }

    if (out.path.len == 0 || out.path.data[0] != '/'
        || !waav_fuzz_text_ok(out.path, 0) || !waav_fuzz_text_ok(out.args, 0))
    {
        abort();
    }

    for (i = 0; i < out.nheaders; i++) {
        if (!waav_fuzz_text_ok(out.headers[i].value, 1)) {
            abort();
        }
    }

    /* the form before the audio: text, but for a WAV header's 44 bytes */
    if (ad->multipart
        && !waav_utf8_valid(out.body.data,
                            out.body.len
                            - (req->audio.kind == WAAV_AUDIO_PCM
                               ? WAAV_AUDIO_WAV_HEADER : 0)))
    {
        abort();
    }

    /* JSON around the base64 audio */
    if (ad->base64 && waav_fuzz_json_around(out.body, suffix, a) != 0) {
        abort();
    }
}


/* name=value in a query: unreserved bytes and %XX only */
static void
waav_fuzz_arg(waav_str_t value, waav_alloc_t *a)
{
    size_t           i;
    waav_err_t       err;
    waav_http_req_t  req;
    unsigned char    c;

    memset(&req, 0, sizeof(req));
    req.args.data = "x=1";
    req.args.len = 3;

    if (waav_http_add_arg(&req, "api_key", value, a, &err) != 0) {
        abort();
    }

    for (i = 0; i < req.args.len; i++) {
        c = (unsigned char) req.args.data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || (c && strchr("-_.~%=&", c))))
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                       i, n;
    char                         name[64];
    const char                  *p, *end, *nl;
    waav_str_t                   f[9];
    waav_err_t                   err;
    waav_alloc_t                 a = { waav_arena_alloc, NULL };
    waav_stt_req_t               req;
    const waav_provider_type_t  *pt;

    if (size < 1) {
        return 0;
    }

    p = (const char *) data + 1;
    end = (const char *) data + size;

    for (i = 0; i < 9; i++) {
        nl = memchr(p, '\n', (size_t) (end - p));
        f[i].data = p;
        f[i].len = nl ? (size_t) (nl - p) : (size_t) (end - p);
        p = nl ? nl + 1 : end;
    }

    memset(&req, 0, sizeof(req));
    req.content_type = f[0];
    req.model = f[1];
    req.language = f[2];
    req.keywords = f[3];
    req.prompt = f[4];
    req.temperature = f[5];
    req.punctuate = (data[0] & 3) - 1;
    req.diarize = ((data[0] >> 2) & 3) - 1;
    req.words = data[0] & 16;
    req.audio_len = (uint64_t) data[0] * 1000;
    req.seconds = data[0];              /* over some adapter's bound */
    req.audio_seconds = (uint64_t) (data[0] >> 5) * 10;

    /* what the glue asks the core beside the request */
    n = f[6].len < sizeof(name) - 1 ? f[6].len : sizeof(name) - 1;
    memcpy(name, f[6].data, n);
    name[n] = '\0';
    (void) waav_audio_ext_type(name);
    (void) waav_stt_fmt_parse(f[7].data, f[7].len);
    (void) waav_stt_model_type(f[1].data, f[1].len);
    (void) waav_provider_type(f[8].data, f[8].len);
    (void) waav_provider_type_list(name, data[0] % sizeof(name),
                                   data[0] & 3);
    waav_fuzz_arg(f[4], &a);

    if (waav_stt_validate(&req, &err) != 0) {
        if (err.status != 400 && err.status != 415) {
            abort();
        }

        waav_arena_reset();
        return 0;
    }

    /* a WAV's fmt chunk, as the glue reads it: 16 kHz mono 16-bit PCM
     * (Azure's) or not */
    if (req.audio.kind == WAAV_AUDIO_WAV && (data[0] & 32)) {
        req.audio.wav_format = (data[0] & 64) ? 1 : 3;
        req.audio.wav_rate = (data[0] & 128) ? 16000 : 44100;
        req.audio.wav_channels = (data[0] & 4) ? 2 : 1;
        req.audio.wav_bits = 16;
    }

    for (pt = waav_provider_types; pt->name; pt++) {
        if (pt->stt) {
            waav_fuzz_check(pt->stt, &req, &a);
        }
    }

    waav_arena_reset();

    return 0;
}
