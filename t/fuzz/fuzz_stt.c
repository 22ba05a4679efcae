/*
 * libFuzzer target: provider transcription answers (untrusted JSON)
 * through every STT adapter the registry links (its normalizer, or its
 * multi-step hook at step 0 and later), then into our JSON and each of
 * OpenAI's formats; what comes out must be valid UTF-8, and a next
 * request a proper one.  First byte: which adapter, step, format, options.
 * `make fuzz`.
 *
 * fuzz-covers: waav_stt.c waav_stt_normalize.c waav_stt_formats.c
 * fuzz-covers: stt/waav_stt_assemblyai.c stt/waav_stt_deepgram.c
 * fuzz-covers: stt/waav_stt_elevenlabs.c stt/waav_stt_openai.c
 * fuzz-covers: stt/waav_stt_ibm.c stt/waav_stt_google.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_json.h"
#include "waav_registry.h"
#include "waav_stt_formats.h"
#include "waav_stt_normalize.h"
#include "../unit/waav_arena.h"


/* the REST adapters (streaming-only ones have no answer to read:
 * fuzz_stt_stream.c) in the order the committed seeds were made for: a new
 * one is appended, so the seeds keep their adapter (local's answer is
 * OpenAI's shape: openai's seeds cover it) */
static const char *const  waav_fuzz_types[] = {
    "deepgram", "elevenlabs", "openai", "groq", "assemblyai", "ibm-watson",
    "openai-compatible", "google"
};

#define WAAV_FUZZ_NTYPES  (sizeof(waav_fuzz_types) / sizeof(char *))


static const waav_stt_adapter_t *
waav_fuzz_adapter(unsigned n)
{
    const char  *name;

    name = waav_fuzz_types[n % WAAV_FUZZ_NTYPES];

    return waav_provider_type(name, strlen(name))->stt;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                        rc;
    const char                *ct;
    waav_alloc_t               a = { waav_arena_alloc, NULL };
    waav_stt_req_t             req;
    waav_str_t                 out, answer, provider = { "p", 1 };
    waav_err_t                 err;
    waav_secret_t              secret = {
        .key = { "k", 1 }, .token = { "", 0 }, .now = 0
    };
    waav_http_req_t            next;
    waav_stt_flow_t            flow;
    waav_stt_result_t          res;
    const waav_stt_adapter_t  *ad;

    if (size < 1) {
        return 0;
    }

    memset(&req, 0, sizeof(req));
    req.punctuate = data[0] & 4 ? 1 : -1;
    req.diarize = -1;
    req.language.data = "en-US";
    req.language.len = (data[0] & 8) ? 5 : 0;

    memset(&flow, 0, sizeof(flow));
    flow.step = (data[0] & 16) ? 1 : 0;

    ad = waav_fuzz_adapter(data[0] & 3 ? data[0] & 7 : (data[0] >> 5));
    answer.data = (const char *) data + 1;
    answer.len = size - 1;

    rc = waav_stt_next(ad, &flow, &req, &secret, provider, answer, &res,
                       &next, &a, &err);

    if (rc == WAAV_STT_NEXT || rc == WAAV_STT_WAIT) {
        if (next.path.len == 0 || next.path.data[0] != '/'
            || !waav_utf8_valid(next.body.data, next.body.len))
        {
            abort();
        }

    } else if (rc == WAAV_STT_DONE) {
        if (waav_stt_result_json(&res, &a, &out, &err) == 0
            && !waav_utf8_valid(out.data, out.len))
        {
            abort();
        }

        if (waav_stt_format(&res, (waav_stt_fmt_e) ((data[0] >> 2) % 6),
                            data[0] & 1, &a, &out, &ct, &err) == 0
            && !waav_utf8_valid(out.data, out.len))
        {
            abort();
        }

        (void) waav_stt_result_seconds(&res);
    }

    waav_arena_reset();

    return 0;
}
