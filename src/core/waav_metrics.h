/*
 * waav: Prometheus text exposition (version 0.0.4), nginx-free.
 *
 * The metric families waav exports, the series' label text (escaped and
 * bounded, it is also the key a series is found by in shared memory) and
 * the lines a family and its series are written as.  Histograms keep one
 * count per bucket (not cumulative: one add per observation) and the sum
 * of the observations in milliseconds; they are made cumulative here.
 */

#ifndef WAAV_METRICS_H
#define WAAV_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "waav_buf.h"


/* the label text of a series: a="x",b="y" */
#define WAAV_METRICS_KEY_MAX      192

/* the most of a label value kept (a tenant, a zone, a route) */
#define WAAV_METRICS_VALUE_MAX    64

/* 10 ms .. 30 s, then +Inf */
#define WAAV_METRICS_BUCKETS      11

/* a series' values: one (counter, gauge) or the buckets, +Inf and sum */
#define WAAV_METRICS_VALUES       (WAAV_METRICS_BUCKETS + 2)


typedef enum {
    WAAV_METRICS_COUNTER = 0,
    WAAV_METRICS_GAUGE,
    WAAV_METRICS_HISTOGRAM
} waav_metrics_type_e;


/* the families, in the order they are written */
typedef enum {
    WAAV_M_REQUESTS = 0,
    WAAV_M_PROVIDER_LATENCY,
    WAAV_M_TTS_FIRST_AUDIO,
    WAAV_M_TTS_CHARS,
    WAAV_M_STT_SECONDS,
    WAAV_M_LIMIT_REFUSALS,
    WAAV_M_REDIS_CONNECTIONS,
    WAAV_M_REDIS_ERRORS,
    WAAV_M_WS_SESSIONS,
    WAAV_M_WS_SESSIONS_TOTAL,
    WAAV_M_FAMILIES
} waav_metrics_family_e;


typedef struct {
    const char           *name;
    const char           *help;
    waav_metrics_type_e   type;
} waav_metrics_family_t;


typedef struct {
    char      data[WAAV_METRICS_KEY_MAX];
    size_t    len;
    int       overflow;
} waav_metrics_key_t;


extern const waav_metrics_family_t  waav_metrics_families[WAAV_M_FAMILIES];

/* the buckets' upper bounds, in milliseconds */
extern const uint64_t  waav_metrics_bounds_ms[WAAV_METRICS_BUCKETS];


void waav_metrics_key_init(waav_metrics_key_t *k);

/* name="value", escaped (\\, \", \n), the value cut at
 * WAAV_METRICS_VALUE_MAX bytes (never inside a UTF-8 sequence) */
void waav_metrics_key_add(waav_metrics_key_t *k, const char *name,
    const char *value, size_t len);

/* "2xx" .. "5xx" for a status, "other" otherwise */
const char *waav_metrics_status_class(unsigned status);

/* the bucket an observation counts in (WAAV_METRICS_BUCKETS: +Inf) */
unsigned waav_metrics_bucket(uint64_t ms);

/* # HELP and # TYPE lines */
void waav_metrics_write_family(waav_buf_t *b, waav_metrics_family_e f);

/* a series' sample lines; values[] as a series keeps them (a gauge's as
 * signed); b->overflow when they did not fit */
void waav_metrics_write_series(waav_buf_t *b, waav_metrics_family_e f,
    const char *key, size_t key_len, const uint64_t *values);

/* an info-style gauge with the value 1 (waav_build_info) */
void waav_metrics_write_info(waav_buf_t *b, const char *name,
    const char *help, const char *key, size_t key_len);

#endif /* WAAV_METRICS_H */
