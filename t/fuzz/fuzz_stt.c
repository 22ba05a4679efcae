/*
 * libFuzzer target: provider transcription answers (untrusted JSON) through
 * each adapter's normalizer; the result must be valid UTF-8.  `make fuzz`.
 *
 * fuzz-covers: waav_stt.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_json.h"
#include "waav_stt.h"
#include "../unit/waav_arena.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char         *types[] = { "deepgram", "openai", "elevenlabs" };
    waav_alloc_t               a = { waav_arena_alloc, NULL };
    waav_stt_req_t             req;
    waav_str_t                 out, provider = { "p", 1 };
    waav_err_t                 err;
    const waav_stt_adapter_t  *ad;

    waav_str_t   id, out2;
    const char  *ct;

    if (size < 1) {
        return 0;
    }

    memset(&req, 0, sizeof(req));
    req.punctuate = data[0] & 4 ? 1 : -1;

    if (data[0] & 8) {
        /* AssemblyAI's transcript states */
        if (waav_stt_aai_state((const char *) data + 1, size - 1, &req,
                               provider, &a, &id, &out, &err) == 1
            && !waav_utf8_valid(out.data, out.len))
        {
            abort();
        }

    } else {
        ad = waav_stt_adapter(types[data[0] % 3], strlen(types[data[0] % 3]));

        if (ad->normalize((const char *) data + 1, size - 1, &req, provider,
                          &a, &out, &err) == 0)
        {
            if (!waav_utf8_valid(out.data, out.len)) {
                abort();
            }

            /* and on into each of OpenAI's shapes */
            if (waav_stt_openai_answer(out.data, out.len,
                                       (waav_stt_fmt_e) (1 + (data[0] >> 4) % 5),
                                       data[0] & 16, &a, &out2, &ct, &err)
                == 0 && !waav_utf8_valid(out2.data, out2.len))
            {
                abort();
            }
        }
    }

    waav_arena_reset();

    return 0;
}
