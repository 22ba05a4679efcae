/*
 * waav: OpenAI's model and voice names on WaaV's routes (/speak, /ws), as
 * WaaV reads them (gateway/src/core/tts/openai/config.rs,
 * from_str_or_default): in any case, its spellings of the models ("tts1",
 * "tts1-hd", "tts1hd", "gpt4o-mini-tts"), an unknown model as tts-1 and an
 * unknown voice as alloy.  WaaV's dashboard sends the voice as the model
 * ({"model": "nova", "voice_id": "nova"}) and its Python SDK sends
 * "aura-asteria-en" as the model whatever the provider: both synthesize.
 *
 * Exact where WaaV is not: OpenAI's dated model snapshots
 * ("gpt-4o-mini-tts-2025-03-20", "tts-1-1106") and its voices marin and
 * cedar pass as they are (WaaV turns them into tts-1 and alloy).
 *
 * /v1/audio/speech never comes here: a client of OpenAI's own API naming a
 * model or voice means it, and OpenAI's answer says if it does not exist.
 */

#include <string.h>

#include "waav_tts.h"


typedef struct {
    const char  *name;              /* as written, in lower case */
    const char  *is;                /* what OpenAI calls it */
} waav_openai_name_t;


static const waav_openai_name_t  waav_openai_models[] = {
    { "tts-1", "tts-1" },
    { "tts1", "tts-1" },
    { "tts-1-hd", "tts-1-hd" },
    { "tts1-hd", "tts-1-hd" },
    { "tts1hd", "tts-1-hd" },
    { "gpt-4o-mini-tts", "gpt-4o-mini-tts" },
    { "gpt4o-mini-tts", "gpt-4o-mini-tts" },
    { "tts-1-1106", "tts-1-1106" },
    { "tts-1-hd-1106", "tts-1-hd-1106" },
    { NULL, NULL }
};


static const char *const  waav_openai_voices[] = {
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova",
    "sage", "shimmer", "verse", "marin", "cedar", NULL
};


/* s equals lower (lower case) in any case */
static int
waav_openai_is(const char *s, size_t len, const char *lower)
{
    size_t         i;
    unsigned char  c;

    if (strlen(lower) != len) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (unsigned char) lower[i]) {
            return 0;
        }
    }

    return 1;
}


static void
waav_openai_set(waav_str_t *s, const char *v)
{
    s->data = v;
    s->len = strlen(v);
}


/* a dated snapshot, "gpt-4o-mini-tts-2025-03-20": digits and dashes */
static int
waav_openai_snapshot(const char *s, size_t len)
{
    static const char  base[] = "gpt-4o-mini-tts-";
    size_t             i;

    if (len <= sizeof(base) - 1 || memcmp(s, base, sizeof(base) - 1) != 0) {
        return 0;
    }

    for (i = sizeof(base) - 1; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '-')) {
            return 0;
        }
    }

    return 1;
}


void
waav_tts_openai_names(waav_tts_req_t *req)
{
    size_t                     i;
    const waav_openai_name_t  *m;

    /* empty: the adapter's default (tts-1, alloy), as WaaV's */

    if (req->model.len && !waav_openai_snapshot(req->model.data,
                                                req->model.len))
    {
        for (m = waav_openai_models; m->name; m++) {
            if (waav_openai_is(req->model.data, req->model.len, m->name)) {
                break;
            }
        }

        waav_openai_set(&req->model, m->name ? m->is : "tts-1");
    }

    if (req->voice.len) {
        for (i = 0; waav_openai_voices[i]; i++) {
            if (waav_openai_is(req->voice.data, req->voice.len,
                               waav_openai_voices[i]))
            {
                break;
            }
        }

        waav_openai_set(&req->voice, waav_openai_voices[i]
                                     ? waav_openai_voices[i] : "alloy");
    }
}
