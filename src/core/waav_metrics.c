/*
 * waav: Prometheus text exposition (see waav_metrics.h).
 */

#include <string.h>

#include "waav_metrics.h"


const waav_metrics_family_t  waav_metrics_families[WAAV_M_FAMILIES] = {
    { "waav_requests_total",
      "Requests waav handled, by location, provider and status class.",
      WAAV_METRICS_COUNTER },
    { "waav_provider_latency_seconds",
      "Time from a provider call to its response header.",
      WAAV_METRICS_HISTOGRAM },
    { "waav_tts_time_to_first_audio_seconds",
      "Time from a TTS request's arrival to its first audio byte sent.",
      WAAV_METRICS_HISTOGRAM },
    { "waav_tts_characters_total",
      "Characters of text sent to TTS providers, by provider and tenant.",
      WAAV_METRICS_COUNTER },
    { "waav_stt_audio_seconds_total",
      "Seconds of audio transcribed, by provider and tenant.",
      WAAV_METRICS_COUNTER },
    { "waav_limit_refusals_total",
      "Requests refused by a waav_limit line, by zone and kind.",
      WAAV_METRICS_COUNTER },
    { "waav_redis_connections",
      "Workers with a ready connection to a Redis backend.",
      WAAV_METRICS_GAUGE },
    { "waav_redis_errors_total",
      "Redis backend failures: connects, timeouts, lost connections.",
      WAAV_METRICS_COUNTER },
    { "waav_ws_sessions",
      "Open /ws sessions.",
      WAAV_METRICS_GAUGE },
    { "waav_ws_sessions_total",
      "/ws sessions opened.",
      WAAV_METRICS_COUNTER },
};


const uint64_t  waav_metrics_bounds_ms[WAAV_METRICS_BUCKETS] = {
    10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000
};


static const char  *waav_metrics_types[] = { "counter", "gauge", "histogram" };


void
waav_metrics_key_init(waav_metrics_key_t *k)
{
    k->len = 0;
    k->overflow = 0;
    k->data[0] = '\0';
}


/* the bytes of s kept: at most max, not cutting a UTF-8 sequence */
static size_t
waav_metrics_cut(const char *s, size_t len, size_t max)
{
    if (len <= max) {
        return len;
    }

    while (max > 0 && ((unsigned char) s[max] & 0xc0) == 0x80) {
        max--;
    }

    return max;
}


void
waav_metrics_key_add(waav_metrics_key_t *k, const char *name,
    const char *value, size_t len)
{
    char        out[2 * WAAV_METRICS_VALUE_MAX];
    size_t      i, n, nlen;
    const char  *sep;

    len = waav_metrics_cut(value, len, WAAV_METRICS_VALUE_MAX);

    for (i = 0, n = 0; i < len; i++) {
        switch (value[i]) {

        case '\\':
        case '"':
            out[n++] = '\\';
            out[n++] = value[i];
            break;

        case '\n':
            out[n++] = '\\';
            out[n++] = 'n';
            break;

        default:
            out[n++] = value[i];
        }
    }

    sep = k->len ? "," : "";
    nlen = strlen(name);

    /* sep name =" value " NUL */
    if (k->overflow
        || k->len + strlen(sep) + nlen + 2 + n + 2 > WAAV_METRICS_KEY_MAX)
    {
        k->overflow = 1;
        return;
    }

    memcpy(k->data + k->len, sep, strlen(sep));
    k->len += strlen(sep);
    memcpy(k->data + k->len, name, nlen);
    k->len += nlen;
    memcpy(k->data + k->len, "=\"", 2);
    k->len += 2;
    memcpy(k->data + k->len, out, n);
    k->len += n;
    k->data[k->len++] = '"';
    k->data[k->len] = '\0';
}


const char *
waav_metrics_status_class(unsigned status)
{
    static const char  *classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };

    if (status >= 100 && status < 600) {
        return classes[status / 100 - 1];
    }

    return "other";
}


unsigned
waav_metrics_bucket(uint64_t ms)
{
    unsigned  i;

    for (i = 0; i < WAAV_METRICS_BUCKETS; i++) {
        if (ms <= waav_metrics_bounds_ms[i]) {
            break;
        }
    }

    return i;
}


void
waav_metrics_write_family(waav_buf_t *b, waav_metrics_family_e f)
{
    const waav_metrics_family_t  *fm = &waav_metrics_families[f];

    waav_buf_cstr(b, "# HELP ");
    waav_buf_cstr(b, fm->name);
    waav_buf_byte(b, ' ');
    waav_buf_cstr(b, fm->help);
    waav_buf_cstr(b, "\n# TYPE ");
    waav_buf_cstr(b, fm->name);
    waav_buf_byte(b, ' ');
    waav_buf_cstr(b, waav_metrics_types[fm->type]);
    waav_buf_byte(b, '\n');
}


/* milliseconds as seconds: 1234 -> 1.234 */
static void
waav_metrics_seconds(waav_buf_t *b, uint64_t ms)
{
    char  frac[4];

    waav_buf_uint(b, ms / 1000);
    frac[0] = '.';
    frac[1] = (char) ('0' + ms % 1000 / 100);
    frac[2] = (char) ('0' + ms % 100 / 10);
    frac[3] = (char) ('0' + ms % 10);
    waav_buf_add(b, frac, 4);
}


/* name{key[,le="bound"]} */
static void
waav_metrics_name(waav_buf_t *b, const char *name, const char *suffix,
    const char *key, size_t key_len, const char *le)
{
    waav_buf_cstr(b, name);
    waav_buf_cstr(b, suffix);

    if (key_len == 0 && le == NULL) {
        return;
    }

    waav_buf_byte(b, '{');
    waav_buf_add(b, key, key_len);

    if (le) {
        waav_buf_cstr(b, key_len ? ",le=\"" : "le=\"");
        waav_buf_cstr(b, le);
        waav_buf_byte(b, '"');
    }

    waav_buf_byte(b, '}');
}


static void
waav_metrics_write_histogram(waav_buf_t *b, const char *name,
    const char *key, size_t key_len, const uint64_t *values)
{
    char        le[32];
    unsigned    i;
    uint64_t    count;
    waav_buf_t  lb;

    count = 0;

    for (i = 0; i <= WAAV_METRICS_BUCKETS; i++) {
        count += values[i];

        if (i == WAAV_METRICS_BUCKETS) {
            waav_metrics_name(b, name, "_bucket", key, key_len, "+Inf");

        } else {
            waav_buf_init(&lb, le, sizeof(le) - 1);
            waav_metrics_seconds(&lb, waav_metrics_bounds_ms[i]);
            le[lb.len] = '\0';
            waav_metrics_name(b, name, "_bucket", key, key_len, le);
        }

        waav_buf_byte(b, ' ');
        waav_buf_uint(b, count);
        waav_buf_byte(b, '\n');
    }

    waav_metrics_name(b, name, "_sum", key, key_len, NULL);
    waav_buf_byte(b, ' ');
    waav_metrics_seconds(b, values[WAAV_METRICS_BUCKETS + 1]);
    waav_buf_byte(b, '\n');

    waav_metrics_name(b, name, "_count", key, key_len, NULL);
    waav_buf_byte(b, ' ');
    waav_buf_uint(b, count);
    waav_buf_byte(b, '\n');
}


void
waav_metrics_write_series(waav_buf_t *b, waav_metrics_family_e f,
    const char *key, size_t key_len, const uint64_t *values)
{
    int64_t                       v;
    const waav_metrics_family_t  *fm = &waav_metrics_families[f];

    if (fm->type == WAAV_METRICS_HISTOGRAM) {
        waav_metrics_write_histogram(b, fm->name, key, key_len, values);
        return;
    }

    waav_metrics_name(b, fm->name, "", key, key_len, NULL);
    waav_buf_byte(b, ' ');

    if (fm->type == WAAV_METRICS_GAUGE) {
        v = (int64_t) values[0];

        if (v < 0) {
            waav_buf_byte(b, '-');
            waav_buf_uint(b, (uint64_t) -v);

        } else {
            waav_buf_uint(b, (uint64_t) v);
        }

    } else {
        waav_buf_uint(b, values[0]);
    }

    waav_buf_byte(b, '\n');
}


void
waav_metrics_write_info(waav_buf_t *b, const char *name, const char *help,
    const char *key, size_t key_len)
{
    waav_buf_cstr(b, "# HELP ");
    waav_buf_cstr(b, name);
    waav_buf_byte(b, ' ');
    waav_buf_cstr(b, help);
    waav_buf_cstr(b, "\n# TYPE ");
    waav_buf_cstr(b, name);
    waav_buf_cstr(b, " gauge\n");
    waav_metrics_name(b, name, "", key, key_len, NULL);
    waav_buf_cstr(b, " 1\n");
}
