/* placeholder until the core's turn logic lands */
#include "waav_stt_turn.h"
void waav_stt_turn_init(waav_stt_turn_t *t) { t->deadline = 0; }
int waav_stt_turn_result(waav_stt_turn_t *t, const waav_stt_event_t *ev,
    uint64_t now) { (void) t; (void) ev; (void) now; return 1; }
uint64_t waav_stt_turn_deadline(const waav_stt_turn_t *t) { return t->deadline; }
int waav_stt_turn_timer(waav_stt_turn_t *t, uint64_t now) { (void) t; (void) now; return 0; }
void waav_stt_turn_free(waav_stt_turn_t *t) { (void) t; }
