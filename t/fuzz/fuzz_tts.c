/*
 * libFuzzer target: client bodies through the TTS core (parse, then every
 * adapter's build).  First byte: the body shape.  The whole input is also
 * a provider's Content-Type for every adapter's media check.  `make fuzz`.
 *
 * fuzz-covers: waav_tts.c waav_tts_deepgram.c waav_tts_elevenlabs.c waav_tts_openai.c waav_tts_cartesia.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_json.h"
#include "waav_tts.h"
#include "../unit/waav_arena.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                     i;
    waav_alloc_t               a = { waav_arena_alloc, NULL };
    waav_tts_req_t             req, copy;
    waav_http_req_t            out;
    waav_err_t                 err;
    waav_str_t                 key = { "fuzz-key", 8 };
    const waav_tts_adapter_t  *ad;

    if (size < 1) {
        return 0;
    }

    /* the same bytes as a provider's Content-Type, for every adapter */
    for (i = 0; waav_tts_types[i]; i++) {
        ad = waav_tts_adapter(waav_tts_types[i], strlen(waav_tts_types[i]));
        (void) waav_tts_media_ok(ad, (const char *) data, size);
    }

    if (waav_tts_parse(&req, data[0] & 1 ? WAAV_TTS_SHAPE_OPENAI
                                          : WAAV_TTS_SHAPE_WAAV,
                       (const char *) data + 1, size - 1, &a, &err) == 0)
    {
        for (i = 0; waav_tts_types[i]; i++) {
            ad = waav_tts_adapter(waav_tts_types[i], strlen(waav_tts_types[i]));
            copy = req;

            if (waav_tts_build(ad, &copy, key, &out, &a, &err) == 0) {
                /* what goes on the wire is valid and bounded */
                if (!waav_utf8_valid(out.body.data, out.body.len)
                    || out.path.len == 0 || out.path.data[0] != '/')
                {
                    abort();
                }
            }
        }
    }

    waav_arena_reset();

    return 0;
}
