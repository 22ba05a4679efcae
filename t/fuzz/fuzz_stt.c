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
 * fuzz-covers: stt/waav_stt_ibm.c stt/waav_stt_azure.c
 * fuzz-covers: stt/waav_stt_google.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_json.h"
#include "waav_registry.h"
#include "waav_stt_formats.h"
#include "waav_stt_normalize.h"
#include "../unit/waav_arena.h"


/*
 * The REST adapters in the order they joined: the seeds' first byte names
 * one by its place here (three bits: 0-7), so a new adapter goes last
 * (registry order would hand the seeds of those after it to their
 * neighbour); place 7 runs every adapter from the eighth on, each in turn.
 * Streaming-only ones have no answer to read (fuzz_stt_stream.c); local's
 * answer is OpenAI's shape (openai's seeds cover it).
 */
static const char *const  waav_fuzz_types[] = {
    "deepgram", "elevenlabs", "openai", "groq", "assemblyai", "ibm-watson",
    "openai-compatible", "azure", "google"
};

#define WAAV_FUZZ_NTYPES  (sizeof(waav_fuzz_types) / sizeof(char *))


static const waav_stt_adapter_t *
waav_fuzz_adapter(unsigned n)
{
    size_t                       i;
    const waav_provider_type_t  *pt;

    /* every REST adapter of the registry is here: one that is not would
     * never be fuzzed (every input aborts until it is added, last) */
    for (pt = waav_provider_types; pt->name; pt++) {
        if (pt->stt == NULL || pt->stt->build == NULL || pt->embedded) {
            continue;
        }

        for (i = 0; i < WAAV_FUZZ_NTYPES; i++) {
            if (strcmp(waav_fuzz_types[i], pt->name) == 0) {
                break;
            }
        }

        if (i == WAAV_FUZZ_NTYPES) {
            abort();
        }
    }

    return waav_stt_adapter(waav_fuzz_types[n % WAAV_FUZZ_NTYPES],
                            strlen(waav_fuzz_types[n % WAAV_FUZZ_NTYPES]));
}


/* one answer through one adapter */
static void
waav_fuzz_one(const waav_stt_adapter_t *ad, const uint8_t *data, size_t size)
{
    int                 rc;
    const char         *ct;
    waav_alloc_t        a = { waav_arena_alloc, NULL };
    waav_stt_req_t      req;
    waav_str_t          out, answer, provider = { "p", 1 };
    waav_err_t          err;
    waav_secret_t       secret = {
        .key = { "k", 1 }, .token = { "", 0 }, .now = 0
    };
    waav_http_req_t     next;
    waav_stt_flow_t     flow;
    waav_stt_result_t   res;

    memset(&req, 0, sizeof(req));
    req.punctuate = data[0] & 4 ? 1 : -1;
    req.diarize = -1;
    req.language.data = "en-US";
    req.language.len = (data[0] & 8) ? 5 : 0;

    memset(&flow, 0, sizeof(flow));
    flow.step = (data[0] & 16) ? 1 : 0;

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
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned  n;

    if (size < 1) {
        return 0;
    }

    n = data[0] & 3 ? data[0] & 7 : (data[0] >> 5);

    if (n < 7) {
        waav_fuzz_one(waav_fuzz_adapter(n), data, size);
        return 0;
    }

    for ( /* void */ ; n < WAAV_FUZZ_NTYPES; n++) {
        waav_fuzz_one(waav_fuzz_adapter(n), data, size);
    }

    return 0;
}
