/*
 * waav: limit arithmetic, free of nginx types (the glue keeps the state in
 * shared memory or Redis and calls these under its lock).
 */

#ifndef WAAV_LIMIT_H
#define WAAV_LIMIT_H

#include <stdint.h>

/* what a check decided */
typedef struct {
    int        allowed;
    uint64_t   limit;           /* RateLimit-Limit */
    uint64_t   remaining;       /* RateLimit-Remaining */
    uint64_t   reset_ms;        /* until the next unit is available */
    uint64_t   window;          /* quota: the window charged */
} waav_limit_result_t;

/*
 * GCRA request rate, in microseconds: interval_us = 1 s / rate, burst =
 * how many requests may arrive at once.  *tat_us is the stored theoretical
 * arrival time (0 = new); it is advanced only when the request is allowed.
 * res->reset_ms is rounded up to whole milliseconds.
 */
void waav_gcra(uint64_t *tat_us, uint64_t now_us, uint64_t interval_us,
    uint64_t burst, waav_limit_result_t *res);

/*
 * GCRA for a group of count checks on one counter at one instant, decided
 * at once (Redis does this for a batch): lead_us is how far the stored tat
 * was ahead of now (0 if behind).  waav_gcra_admit says how many of the
 * group pass, the first ones; waav_gcra_nth what the nth (1-based) of the
 * group gets.  The same answers as count calls of waav_gcra in a row.
 */
uint64_t waav_gcra_admit(uint64_t lead_us, uint64_t interval_us,
    uint64_t burst, uint64_t count);
void waav_gcra_nth(uint64_t lead_us, uint64_t interval_us, uint64_t burst,
    uint64_t admitted, uint64_t nth, waav_limit_result_t *res);

/*
 * Fixed-window quota: *window is the stored window number, *used the units
 * used in it.  cost units are taken when they fit.  window_ms is 60000
 * (per minute) or 86400000 (per day, UTC).
 */
void waav_quota(uint64_t *window, uint64_t *used, uint64_t now_ms,
    uint64_t window_ms, uint64_t limit, uint64_t cost,
    waav_limit_result_t *res);

/*
 * Gives back amount units charged in window charged_window (res->window of
 * the charge), if that window is still the current one; never below 0.
 */
void waav_quota_refund(uint64_t *window, uint64_t *used,
    uint64_t charged_window, uint64_t amount);

/* whole seconds to wait, at least 1 */
uint64_t waav_limit_wait_s(uint64_t ms);

#endif /* WAAV_LIMIT_H */
