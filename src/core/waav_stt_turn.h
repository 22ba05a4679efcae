/* placeholder until the core's turn logic lands (stream-core branch) */
#ifndef WAAV_STT_TURN_H
#define WAAV_STT_TURN_H
#include <stdint.h>
#include "waav_stt_stream.h"
typedef struct { uint64_t deadline; } waav_stt_turn_t;
void waav_stt_turn_init(waav_stt_turn_t *t);
int waav_stt_turn_result(waav_stt_turn_t *t, const waav_stt_event_t *ev,
    uint64_t now);
uint64_t waav_stt_turn_deadline(const waav_stt_turn_t *t);
int waav_stt_turn_timer(waav_stt_turn_t *t, uint64_t now);
void waav_stt_turn_free(waav_stt_turn_t *t);
#endif
