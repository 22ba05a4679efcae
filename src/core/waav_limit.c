/*
 * waav: limit arithmetic (see waav_limit.h).
 */

#include "waav_limit.h"


void
waav_gcra(uint64_t *tat, uint64_t now_ms, uint64_t interval_ms, uint64_t burst,
    waav_limit_result_t *res)
{
    uint64_t  t, next, tau;

    if (interval_ms == 0) {
        interval_ms = 1;
    }

    if (burst == 0) {
        burst = 1;
    }

    tau = interval_ms * burst;          /* the bucket, in time */
    t = (*tat > now_ms) ? *tat : now_ms;
    next = t + interval_ms;

    res->limit = burst;

    if (next - now_ms > tau) {
        res->allowed = 0;
        res->remaining = 0;
        res->reset_ms = next - now_ms - tau;
        return;
    }

    *tat = next;
    res->allowed = 1;
    res->remaining = (tau - (next - now_ms)) / interval_ms;
    res->reset_ms = next - now_ms;
}


uint64_t
waav_gcra_admit(uint64_t lead, uint64_t interval, uint64_t burst,
    uint64_t count)
{
    uint64_t  tau, k;

    interval = interval ? interval : 1;
    tau = interval * (burst ? burst : 1);

    /* the jth passes while lead + j * interval <= tau */
    k = (lead < tau) ? (tau - lead) / interval : 0;

    return k < count ? k : count;
}


void
waav_gcra_nth(uint64_t lead, uint64_t interval, uint64_t burst,
    uint64_t admitted, uint64_t nth, waav_limit_result_t *res)
{
    uint64_t  tau, next;

    interval = interval ? interval : 1;
    burst = burst ? burst : 1;
    tau = interval * burst;

    res->limit = burst;

    if (nth <= admitted) {
        next = lead + nth * interval;
        res->allowed = 1;
        res->remaining = (next < tau) ? (tau - next) / interval : 0;
        res->reset_ms = next;
        return;
    }

    next = lead + (admitted + 1) * interval;
    res->allowed = 0;
    res->remaining = 0;
    res->reset_ms = (next > tau) ? next - tau : interval;
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
