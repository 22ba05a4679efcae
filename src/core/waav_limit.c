/*
 * waav: limit arithmetic (see waav_limit.h).
 */

#include "waav_limit.h"


/* microseconds to whole milliseconds, rounded up */
static uint64_t
waav_limit_us_to_ms(uint64_t us)
{
    return us / 1000 + (us % 1000 != 0);
}


void
waav_gcra(uint64_t *tat_us, uint64_t now_us, uint64_t interval_us,
    uint64_t burst, waav_limit_result_t *res)
{
    uint64_t  t, next, tau;

    if (interval_us == 0) {
        interval_us = 1;
    }

    if (burst == 0) {
        burst = 1;
    }

    tau = interval_us * burst;          /* the bucket, in time */
    t = (*tat_us > now_us) ? *tat_us : now_us;
    next = t + interval_us;

    res->limit = burst;

    if (next - now_us > tau) {
        res->allowed = 0;
        res->remaining = 0;
        res->reset_ms = waav_limit_us_to_ms(next - now_us - tau);
        return;
    }

    *tat_us = next;
    res->allowed = 1;
    res->remaining = (tau - (next - now_us)) / interval_us;
    res->reset_ms = waav_limit_us_to_ms(next - now_us);
}


uint64_t
waav_gcra_admit(uint64_t lead_us, uint64_t interval_us, uint64_t burst,
    uint64_t count)
{
    uint64_t  tau, k;

    interval_us = interval_us ? interval_us : 1;
    tau = interval_us * (burst ? burst : 1);

    /* the jth passes while lead + j * interval <= tau */
    k = (lead_us < tau) ? (tau - lead_us) / interval_us : 0;

    return k < count ? k : count;
}


void
waav_gcra_nth(uint64_t lead_us, uint64_t interval_us, uint64_t burst,
    uint64_t admitted, uint64_t nth, waav_limit_result_t *res)
{
    uint64_t  tau, next;

    interval_us = interval_us ? interval_us : 1;
    burst = burst ? burst : 1;
    tau = interval_us * burst;

    res->limit = burst;

    if (nth <= admitted) {
        next = lead_us + nth * interval_us;
        res->allowed = 1;
        res->remaining = (next < tau) ? (tau - next) / interval_us : 0;
        res->reset_ms = waav_limit_us_to_ms(next);
        return;
    }

    next = lead_us + (admitted + 1) * interval_us;
    res->allowed = 0;
    res->remaining = 0;
    res->reset_ms = waav_limit_us_to_ms((next > tau) ? next - tau
                                                      : interval_us);
}


void
waav_quota(uint64_t *window, uint64_t *used, uint64_t now_ms,
    uint64_t window_ms, uint64_t limit, uint64_t cost,
    waav_limit_result_t *res)
{
    uint64_t  w;

    w = now_ms / window_ms;

    if (*window != w) {
        *window = w;
        *used = 0;
    }

    res->limit = limit;
    res->window = w;
    res->reset_ms = (w + 1) * window_ms - now_ms;

    /* a lowered limit may leave used above it: never wrap */
    if (cost > limit || *used > limit - cost) {
        res->allowed = 0;
        res->remaining = (*used < limit) ? limit - *used : 0;
        return;
    }

    *used += cost;
    res->allowed = 1;
    res->remaining = limit - *used;
}


void
waav_quota_refund(uint64_t *window, uint64_t *used, uint64_t charged_window,
    uint64_t amount)
{
    if (*window != charged_window) {
        return;                         /* a new window: nothing to give */
    }

    *used -= (*used < amount) ? *used : amount;
}


uint64_t
waav_limit_wait_s(uint64_t ms)
{
    uint64_t  s;

    s = (ms + 999) / 1000;

    return s ? s : 1;
}
