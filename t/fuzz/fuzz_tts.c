/*
 * libFuzzer target: client bodies through the TTS core (parse, then every
 * adapter the registry links: the model it claims, the request it
 * builds).  First byte: the body shape (bit 0), a default provider
 * (bit 1).  `make fuzz`.
 *
 * fuzz-covers: waav_tts.c waav_tts_parse.c tts/waav_tts_cartesia.c
 * fuzz-covers: tts/waav_tts_deepgram.c tts/waav_tts_elevenlabs.c
 * fuzz-covers: tts/waav_tts_google.c tts/waav_tts_openai.c
 * fuzz-covers: tts/waav_tts_azure.c waav_tts_cache.c
 * fuzz-covers: tts/waav_tts_openai_names.c tts/waav_tts_local.c
 * fuzz-covers: tts/waav_tts_polly.c tts/waav_tts_lmnt.c
 * fuzz-covers: tts/waav_tts_playht.c waav_cred.c tts/waav_tts_hume.c
 * fuzz-covers: tts/waav_tts_ibm.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_json.h"
#include "waav_registry.h"
#include "waav_tts.h"
#include "waav_tts_cache.h"
#include "../unit/waav_arena.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    waav_alloc_t                 a = { waav_arena_alloc, NULL };
    waav_tts_req_t               req, copy;
    waav_tts_out_t               out;
    waav_err_t                   err;
    char                         hex[WAAV_TTS_CACHE_KEY_LEN + 1] = "";
    /* a token too, for the adapters that exchange the key for one; the
     * key USER_ID:API_KEY, for the ones that take two (Play.ht) */
    waav_secret_t                key = {
        .key = { "fuzz-user:fuzz-key", 18 }, .token = { "fuzz-token", 10 },
        .now = 0
    };
    size_t                       i;
    waav_str_t                   dflt;
    const waav_provider_type_t  *pt;

    if (size < 1) {
        return 0;
    }

    /* the same bytes as a provider's Content-Type, for every adapter */
    for (pt = waav_provider_types; pt->name; pt++) {
        if (pt->tts) {
            (void) waav_tts_media_ok(pt->tts, (const char *) data, size);
        }
    }

    /* the second bit: the server's default provider (waav_tts default=) */
    dflt.data = "local";
    dflt.len = (data[0] & 2) ? 5 : 0;

    if (waav_tts_parse_default(&req, data[0] & 1 ? WAAV_TTS_SHAPE_OPENAI
                                                  : WAAV_TTS_SHAPE_WAAV,
                               (const char *) data + 1, size - 1, dflt, &a,
                               &err) == 0)
    {
        /* WaaV's shape always ends with a provider, named or the default */
        if (!(data[0] & 1) && req.provider.len == 0) {
            abort();
        }

        /* a BYOK key accepted is one a header can carry */
        for (i = 0; i < req.api_key.len; i++) {
            if (req.api_key.data[i] < 0x21 || req.api_key.data[i] > 0x7e) {
                abort();
            }
        }

        /* the provider a client names, in any case or by an alias */
        (void) waav_provider_type(req.provider.data, req.provider.len);

        /* every TTS adapter the registry links */
        for (pt = waav_provider_types; pt->name; pt++) {
            if (pt->tts == NULL) {
                continue;
            }

            /* which provider a bare model names (OpenAI's shape) */
            if (pt->tts->claims_model) {
                (void) pt->tts->claims_model(req.model.data, req.model.len);
            }

            copy = req;

            /* WaaV's names (/speak, /ws): still names a URL may carry */
            if (pt->tts->names) {
                pt->tts->names(&copy);

                if ((copy.model.len
                     && !waav_ident_valid(copy.model.data, copy.model.len))
                    || (copy.voice.len
                        && !waav_ident_valid(copy.voice.data, copy.voice.len)))
                {
                    abort();
                }
            }

            if (waav_tts_build(pt->tts, &copy, &key, &out, &a, &err) == 0) {
                /* what goes on the wire is valid and bounded (an engine
                 * inside nginx, `local`, builds no provider request) */
                if (!pt->embedded
                    && (!waav_utf8_valid(out.http.body.data,
                                         out.http.body.len)
                        || out.http.path.len == 0
                        || out.http.path.data[0] != '/'))
                {
                    abort();
                }

                /* the cache key: 64 hex digits, whatever the request */
                if (waav_tts_cache_key(pt->name, strlen(pt->name), &copy,
                                       copy.sample_rate, hex)
                    != 0
                    || strspn(hex, "0123456789abcdef") != sizeof(hex) - 1)
                {
                    abort();
                }
            }
        }
    }

    waav_arena_reset();

    return 0;
}
