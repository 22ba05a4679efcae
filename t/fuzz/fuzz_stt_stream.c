/*
 * libFuzzer target: provider messages of streaming STT (untrusted) through
 * every streaming adapter's parse(), the results into WaaV's turn logic,
 * and the adapter's open() and wrap() on configs the input picks.
 * `make fuzz`.
 *
 * Input: byte 0 picks the adapter (its low 2 bits, among the registry's
 * streams in order: deepgram, elevenlabs, cartesia, assemblyai), how many
 * events parse() may write (bits 6-7); byte 1 the config (rate, encoding,
 * language, channels); then provider messages, one a line, each line's
 * first byte also the milliseconds that pass before it (x 37).
 *
 * What must hold: parse() returns -1..max; results are booleans with
 * their text; an error's text is bounded, without control characters;
 * the turn machine's deadline is set exactly while a segment is open and
 * never before a final's time; open() gives a path, a query of visible
 * ASCII and header values without CR/LF, or a 400; wrap() gives JSON.
 *
 * fuzz-covers: waav_stt_stream.c waav_stt_turn.c stt/waav_stt_cartesia.c
 * fuzz-covers: stt/waav_stt_deepgram.c stt/waav_stt_assemblyai.c
 * fuzz-covers: stt/waav_stt_elevenlabs.c waav_base64.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_errmsg.h"
#include "waav_json.h"
#include "waav_registry.h"
#include "waav_stt_stream.h"
#include "waav_stt_turn.h"
#include "../unit/waav_arena.h"


static const waav_stt_stream_t *
waav_fuzz_stream(unsigned n, const char **name)
{
    unsigned                     count;
    const waav_provider_type_t  *pt;

    count = 0;

    for (pt = waav_provider_types; pt->name; pt++) {
        count += (pt->stt != NULL && pt->stt->stream != NULL);
    }

    n %= count;

    for (pt = waav_provider_types; pt->name; pt++) {
        if (pt->stt && pt->stt->stream && n-- == 0) {
            *name = pt->name;
            return pt->stt->stream;
        }
    }

    return NULL;
}


static void
waav_fuzz_text(waav_str_t s, int query)
{
    size_t  i;

    for (i = 0; i < s.len; i++) {
        if ((unsigned char) s.data[i] < 0x20 || s.data[i] == 0x7f
            || (query && ((unsigned char) s.data[i] > 0x7e
                          || s.data[i] == ' ' || s.data[i] == '#')))
        {
            abort();
        }
    }
}


/* open() and wrap() on a config from one byte */
static void
waav_fuzz_open(const waav_stt_stream_t *st, const char *name, uint8_t c,
    const uint8_t *audio, size_t len, waav_alloc_t *a)
{
    char                  *m;
    size_t                 i, n;
    waav_err_t             err;
    waav_secret_t          secret = {
        .key = { "fuzz-key-0123", 13 }, .token = { "", 0 }, .now = 0
    };
    waav_http_req_t        out;
    waav_ws_stt_config_t   cfg;

    static const unsigned    rates[] = { 8000, 16000, 11025, 48000 };
    static const char *const encs[] = { "linear16", "", "MULAW", "opus" };
    static const char *const langs[] = { "", "en-US", "es", "-" };

    memset(&cfg, 0, sizeof(cfg));
    cfg.provider.data = name;
    cfg.provider.len = strlen(name);
    cfg.sample_rate = rates[c & 3];
    cfg.encoding.data = encs[(c >> 2) & 3];
    cfg.encoding.len = strlen(cfg.encoding.data);
    cfg.language.data = langs[(c >> 4) & 3];
    cfg.language.len = strlen(cfg.language.data);
    cfg.model.data = (c & 64) ? "nova-2" : "";
    cfg.model.len = strlen(cfg.model.data);
    cfg.channels = (c & 128) ? 2 : 1;
    cfg.punctuation = c & 1;

    if (waav_stt_stream_rate(&cfg) == 0) {
        abort();
    }

    if (waav_stt_stream_open(st, &cfg, &secret, &out, a, &err) != 0) {
        if (err.status != 400) {
            abort();
        }

    } else {
        if (out.path.len == 0 || out.path.data[0] != '/') {
            abort();
        }

        waav_fuzz_text(out.args, 1);

        for (i = 0; i < out.nheaders; i++) {
            waav_fuzz_text(out.headers[i].value, 0);
        }
    }

    if (st->wrap) {
        m = st->wrap(audio, len, &n, a);

        if (m == NULL || strlen(m) != n
            || waav_json_parse(m, n, WAAV_JSON_CLIENT, a, &err) == NULL)
        {
            abort();
        }
    }
}


static void
waav_fuzz_events(const waav_stt_event_t *ev, int n, waav_stt_turn_t *t,
    uint64_t now)
{
    int       i;
    size_t    j;
    uint64_t  at;

    for (i = 0; i < n; i++) {
        switch (ev[i].type) {

        case WAAV_STT_EV_RESULT:
            if ((ev[i].transcript.len && ev[i].transcript.data == NULL)
                || (ev[i].is_final != 0 && ev[i].is_final != 1)
                || (ev[i].is_speech_final != 0 && ev[i].is_speech_final != 1))
            {
                abort();
            }

            break;

        case WAAV_STT_EV_ERROR:
            if (ev[i].message.len == 0
                || ev[i].message.len > WAAV_ERRMSG_MAX)
            {
                abort();
            }

            for (j = 0; j < ev[i].message.len; j++) {
                if ((unsigned char) ev[i].message.data[j] < 0x20) {
                    abort();
                }
            }

            break;

        case WAAV_STT_EV_READY:
        case WAAV_STT_EV_DONE:
            break;

        default:
            abort();
        }

        (void) waav_stt_turn_result(t, &ev[i], now);

        at = waav_stt_turn_deadline(t);

        if ((at != 0) != t->waiting
            || (ev[i].type == WAAV_STT_EV_RESULT && ev[i].is_final
                && !ev[i].is_speech_final && at != 0 && at <= now))
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                        rc;
    size_t                     max, i, end;
    uint64_t                   now;
    const char                *name;
    waav_alloc_t               a = { waav_arena_alloc, NULL };
    waav_stt_turn_t            t;
    waav_stt_event_t           ev[WAAV_STT_EV_MAX];
    const waav_stt_stream_t   *st;

    if (size < 2) {
        return 0;
    }

    st = waav_fuzz_stream(data[0] & 3, &name);
    max = data[0] >> 6;

    waav_fuzz_open(st, name, data[1], data + 2, size - 2, &a);

    waav_stt_turn_init(&t);
    now = 1000;

    for (i = 2; i < size; i = end + 1) {
        end = i;

        while (end < size && data[end] != '\n') {
            end++;
        }

        now += (uint64_t) data[i] * 37;

        if (waav_stt_turn_timer(&t, now) && waav_stt_turn_deadline(&t) != 0)
        {
            abort();
        }

        rc = st->parse((const char *) data + i, end - i, ev, max, &a);

        if (rc < -1 || rc > (int) max) {
            abort();
        }

        if (rc > 0) {
            waav_fuzz_events(ev, rc, &t, now);
        }
    }

    waav_arena_reset();

    return 0;
}
