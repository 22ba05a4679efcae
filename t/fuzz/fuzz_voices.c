/*
 * libFuzzer target: the voice-list parsers and WaaV's clone body.  The
 * first byte picks one (0-4: deepgram, elevenlabs, cartesia, google and
 * azure listings; 5: a clone body, then ElevenLabs' request for it and its
 * answer read from the same bytes; 6-8: lmnt, playht, hume listings; 9: IBM
 * Watson's); the rest is the provider's answer or the client's body.  Every
 * accepted listing must hold at most
 * WAAV_VOICES_MAX entries with non-empty ids, and its merged answer must be
 * valid JSON of the size waav_voices_size promised.  `make fuzz`.
 *
 * fuzz-covers: waav_voices.c waav_voices_clone.c
 * fuzz-covers: tts/waav_tts_deepgram_voices.c tts/waav_tts_elevenlabs_voices.c
 * fuzz-covers: tts/waav_tts_cartesia_voices.c tts/waav_tts_google_voices.c
 * fuzz-covers: tts/waav_tts_azure_voices.c tts/waav_tts_lmnt_voices.c
 * fuzz-covers: tts/waav_tts_playht_voices.c tts/waav_tts_hume_voices.c
 * fuzz-covers: tts/waav_tts_ibm_voices.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../unit/waav_arena.h"
#include "waav_jw.h"
#include "waav_tts.h"
#include "waav_voices.h"


/* NULL: the clone body */
static const char  *waav_fuzz_types[] = {
    "deepgram", "elevenlabs", "cartesia", "google", "azure", NULL, "lmnt",
    "playht", "hume", "ibm-watson"
};

#define WAAV_FUZZ_NTYPES  (sizeof(waav_fuzz_types) / sizeof(char *))

static waav_alloc_t  waav_fuzz_arena = { waav_arena_alloc, NULL };


static const waav_voices_adapter_t *
waav_fuzz_va(const char *type)
{
    return waav_tts_adapter(type, strlen(type))->voices;
}


static void
waav_fuzz_list(const waav_voices_adapter_t *va, const char *body, size_t len)
{
    size_t             i;
    cJSON             *j;
    waav_jw_t          w;
    waav_str_t         out;
    waav_err_t         err;
    waav_http_req_t    preq;
    waav_voice_list_t  l;

    memset(&preq, 0, sizeof(preq));

    if (waav_voices_request(va, &preq, &waav_fuzz_arena, &err) != 0
        || preq.path.len == 0)
    {
        abort();
    }

    if (waav_voices_parse(va, body, len, &l, &waav_fuzz_arena, &err) != 0) {
        if (err.status != 502 && err.status != 500) {
            abort();
        }

        return;
    }

    if (l.n > WAAV_VOICES_MAX) {
        abort();
    }

    for (i = 0; i < l.n; i++) {
        if (l.v[i].id.len == 0 || l.v[i].id.len > WAAV_VOICE_FIELD_MAX) {
            abort();
        }
    }

    if (waav_jw_alloc(&w, 2 + waav_voices_size("p", &l), &waav_fuzz_arena,
                      &err) != 0)
    {
        return;
    }

    waav_jw_open(&w, NULL);
    waav_voices_write(&w, "p", &l);
    waav_jw_close(&w);

    if (waav_jw_done(&w, &out) != 0) {
        abort();    /* waav_voices_size was short */
    }

    j = cJSON_ParseWithLength(out.data, out.len);
    if (j == NULL || cJSON_GetArraySize(cJSON_GetObjectItem(j, "p"))
                     != (int) l.n)
    {
        abort();
    }

    cJSON_Delete(j);
}


static void
waav_fuzz_clone(const char *body, size_t len)
{
    waav_str_t                    out;
    waav_err_t                    err;
    waav_http_req_t               preq;
    waav_clone_req_t             *req;
    waav_clone_res_t              res;
    const waav_voices_adapter_t  *va;

    req = waav_arena_alloc(NULL, sizeof(waav_clone_req_t));
    if (req == NULL) {
        return;
    }

    if (waav_clone_parse(req, body, len, &waav_fuzz_arena, &err) != 0) {
        if (err.status != 400 && err.status != 500) {
            abort();
        }

        return;
    }

    va = waav_fuzz_va("elevenlabs");
    memset(&preq, 0, sizeof(preq));

    if (va->clone(req, &preq, &waav_fuzz_arena, &err) == 0
        && preq.body.len == 0)
    {
        abort();
    }

    memset(&res, 0, sizeof(res));

    if (va->cloned(body, len, &res, &waav_fuzz_arena, &err) == 0) {
        if (waav_clone_answer(req, &res, "2026-01-01T00:00:00Z", &out,
                              &waav_fuzz_arena, &err) != 0)
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned  which;

    if (size < 1) {
        return 0;
    }

    which = data[0] % WAAV_FUZZ_NTYPES;

    if (waav_fuzz_types[which] == NULL) {
        waav_fuzz_clone((const char *) data + 1, size - 1);

    } else {
        waav_fuzz_list(waav_fuzz_va(waav_fuzz_types[which]),
                       (const char *) data + 1, size - 1);
    }

    waav_arena_reset();

    return 0;
}
