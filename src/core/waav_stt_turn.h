/*
 * waav: WaaV's turn logic over streamed STT results (its
 * voice_manager/stt_result.rs, timings from voice_manager/config.rs),
 * as a state machine without a clock: the glue passes the time (ms, any
 * monotonic origin) and keeps one timer at waav_stt_turn_deadline().
 *
 *   - a final (is_final) whose transcript is blank (Unicode white space
 *     only, as Rust's trim) and not speech-final is dropped;
 *   - every other result is delivered as it is;
 *   - a final that is not speech-final adds to the segment and (re)starts
 *     the wait: wait_ms (1800) after the latest final, or hard_ms (4000)
 *     after the segment's first, whichever comes first, the synthetic
 *     {"transcript":"","is_final":true,"is_speech_final":true,
 *     "confidence":1.0} is due (waav_stt_turn_timer says 1); the segment
 *     ends there;
 *   - a real speech-final ends the segment and stops the wait, unless it
 *     repeats, within dup_ms (500) of a synthetic one, that segment's text
 *     (the finals' transcripts joined as WaaV joins them, without a
 *     separator): then it is dropped;
 *   - interim results change nothing.
 *
 * WaaV keeps the segment's text to compare; only its length and a 64-bit
 * FNV-1a hash are kept here: no allocation, constant memory whatever the
 * provider sends, so there is nothing to free.  (WaaV's turn-detector
 * model, a build option, is not ported: its default build fires on the
 * timer alone, as here.)
 */

#ifndef WAAV_STT_TURN_H
#define WAAV_STT_TURN_H

#include <stdint.h>

#include "waav_stt_stream.h"

#define WAAV_STT_TURN_WAIT_MS  1800     /* stt_speech_final_wait_ms */
#define WAAV_STT_TURN_HARD_MS  4000     /* speech_final_hard_timeout_ms */
#define WAAV_STT_TURN_DUP_MS   500      /* duplicate_window_ms */

typedef struct {
    /* settings: waav_stt_turn_init's defaults, may be changed after it */
    uint64_t    wait_ms;
    uint64_t    hard_ms;
    uint64_t    dup_ms;

    /* the segment: finals since the last speech-final */
    uint64_t    wait_at;            /* latest final + wait_ms */
    uint64_t    hard_at;            /* first final + hard_ms */
    uint64_t    text_hash;          /* its transcripts, joined */
    uint64_t    text_len;

    /* the last synthetic speech-final: when, and its segment's text */
    uint64_t    fired_at;
    uint64_t    fired_hash;
    uint64_t    fired_len;

    unsigned    waiting:1;          /* a segment is open: a timer runs */
    unsigned    fired:1;            /* fired_* are set */
} waav_stt_turn_t;

/* an idle machine with WaaV's timings */
void waav_stt_turn_init(waav_stt_turn_t *t);

/* a RESULT event at now: 1 deliver it, 0 drop it; then re-arm the timer
 * at waav_stt_turn_deadline() (other event types: 1, nothing changes) */
int waav_stt_turn_result(waav_stt_turn_t *t, const waav_stt_event_t *ev,
    uint64_t now);

/* when the synthetic speech-final is due (absolute ms), 0: no timer */
uint64_t waav_stt_turn_deadline(const waav_stt_turn_t *t);

/* the timer at now: 1 when the synthetic speech-final must be sent now
 * (the segment is over; re-arm from waav_stt_turn_deadline(), then 0),
 * 0 when nothing is due yet (a timer that fired early: re-arm) */
int waav_stt_turn_timer(waav_stt_turn_t *t, uint64_t now);

#endif /* WAAV_STT_TURN_H */
