/*
 * waav: WaaV's turn logic over streamed STT results (see waav_stt_turn.h).
 */

#include <string.h>

#include "waav_stt_turn.h"


#define WAAV_FNV_OFFSET  0xcbf29ce484222325ULL
#define WAAV_FNV_PRIME   0x100000001b3ULL


void
waav_stt_turn_init(waav_stt_turn_t *t)
{
    memset(t, 0, sizeof(waav_stt_turn_t));

    t->wait_ms = WAAV_STT_TURN_WAIT_MS;
    t->hard_ms = WAAV_STT_TURN_HARD_MS;
    t->dup_ms = WAAV_STT_TURN_DUP_MS;
    t->text_hash = WAAV_FNV_OFFSET;
}


static uint64_t
waav_stt_turn_hash(uint64_t h, waav_str_t s)
{
    size_t  i;

    for (i = 0; i < s.len; i++) {
        h ^= (unsigned char) s.data[i];
        h *= WAAV_FNV_PRIME;
    }

    return h;
}


/* the white space Rust's str::trim removes (Unicode White_Space) */
static size_t
waav_stt_turn_space(const unsigned char *p, size_t len)
{
    unsigned  c;

    if (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r')) {
        return 1;
    }

    if (len >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0)) {
        return 2;
    }

    if (len < 3) {
        return 0;
    }

    c = ((unsigned) p[0] << 16) | ((unsigned) p[1] << 8) | p[2];

    /* U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 */
    if (c == 0xe19a80 || (c >= 0xe28080 && c <= 0xe2808a)
        || c == 0xe280a8 || c == 0xe280a9 || c == 0xe280af
        || c == 0xe2819f || c == 0xe38080)
    {
        return 3;
    }

    return 0;
}


static int
waav_stt_turn_blank(waav_str_t s)
{
    size_t                n;
    const unsigned char  *p, *end;

    p = (const unsigned char *) s.data;
    end = p + s.len;

    while (p < end) {
        n = waav_stt_turn_space(p, (size_t) (end - p));

        if (n == 0) {
            return 0;
        }

        p += n;
    }

    return 1;
}


/* the segment is over: no timer, its text forgotten */
static void
waav_stt_turn_end(waav_stt_turn_t *t)
{
    t->waiting = 0;
    t->wait_at = 0;
    t->hard_at = 0;
    t->text_hash = WAAV_FNV_OFFSET;
    t->text_len = 0;
}


int
waav_stt_turn_result(waav_stt_turn_t *t, const waav_stt_event_t *ev,
    uint64_t now)
{
    if (ev->type != WAAV_STT_EV_RESULT) {
        return 1;
    }

    if (ev->is_final && !ev->is_speech_final
        && waav_stt_turn_blank(ev->transcript))
    {
        return 0;
    }

    if (ev->is_speech_final) {
        /* WaaV's saturating now - fired_at */
        if (t->fired
            && (now > t->fired_at ? now - t->fired_at : 0) < t->dup_ms
            && t->fired_len == ev->transcript.len
            && t->fired_hash
               == waav_stt_turn_hash(WAAV_FNV_OFFSET, ev->transcript))
        {
            /* the provider's own speech-final for what the synthetic one
             * just ended */
            return 0;
        }

        waav_stt_turn_end(t);
        t->fired = 0;

        return 1;
    }

    if (!ev->is_final) {
        return 1;
    }

    t->text_hash = waav_stt_turn_hash(t->text_hash, ev->transcript);
    t->text_len += ev->transcript.len;
    t->wait_at = now + t->wait_ms;

    if (!t->waiting) {
        t->waiting = 1;
        t->hard_at = now + t->hard_ms;
    }

    return 1;
}


uint64_t
waav_stt_turn_deadline(const waav_stt_turn_t *t)
{
    if (!t->waiting) {
        return 0;
    }

    return t->wait_at < t->hard_at ? t->wait_at : t->hard_at;
}


int
waav_stt_turn_timer(waav_stt_turn_t *t, uint64_t now)
{
    if (!t->waiting || now < waav_stt_turn_deadline(t)) {
        return 0;
    }

    t->fired = 1;
    t->fired_at = now;
    t->fired_hash = t->text_hash;
    t->fired_len = t->text_len;

    waav_stt_turn_end(t);

    return 1;
}
