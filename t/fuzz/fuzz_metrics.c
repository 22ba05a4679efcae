/*
 * libFuzzer target: label values (a tenant, a route: client bytes) into
 * a series' label text and its exposition lines.  The text must stay
 * within its bound, hold no raw newline, and keep every quote escaped:
 * a value never ends its label early.  `make fuzz`.
 *
 * fuzz-covers: waav_metrics.c
 */

#include <stdint.h>
#include <string.h>
#include <stdlib.h>

#include "waav_metrics.h"


/* the label text parsed back: name="..." pairs, escapes balanced */
static int
waav_fuzz_labels_ok(const char *s, size_t len)
{
    size_t  i;
    int     in;

    for (i = 0, in = 0; i < len; i++) {
        if (s[i] == '\n') {
            return 0;
        }

        if (in && s[i] == '\\') {
            if (i + 1 == len || (s[i + 1] != '\\' && s[i + 1] != '"'
                                 && s[i + 1] != 'n'))
            {
                return 0;
            }

            i++;
            continue;
        }

        if (s[i] == '"') {
            in = !in;
        }
    }

    return !in;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                out[8192];
    size_t              split, i;
    uint64_t            v[WAAV_METRICS_VALUES];
    waav_buf_t          b;
    waav_metrics_key_t  k;
    unsigned            family;

    if (size < 1) {
        return 0;
    }

    family = data[0] % WAAV_M_FAMILIES;
    data++;
    size--;

    for (split = 0; split < size && data[split] != 0; split++) { /* void */ }

    waav_metrics_key_init(&k);
    waav_metrics_key_add(&k, "provider", (const char *) data, split);
    waav_metrics_key_add(&k, "tenant", (const char *) data + split,
                         size - split);

    if (k.len >= WAAV_METRICS_KEY_MAX || k.data[k.len] != '\0'
        || !waav_fuzz_labels_ok(k.data, k.len))
    {
        abort();
    }

    for (i = 0; i < WAAV_METRICS_VALUES; i++) {
        v[i] = (i < size) ? data[i] * 1000003ULL : 0;
    }

    waav_buf_init(&b, out, sizeof(out) - 1);
    waav_metrics_write_family(&b, family);
    waav_metrics_write_series(&b, family, k.data, k.len, v);

    waav_metrics_write_info(&b, "waav_fuzz_info", "Fuzz.", k.data, k.len);

    if (b.overflow || b.len > sizeof(out) - 1 || b.len == 0
        || out[b.len - 1] != '\n')
    {
        abort();
    }

    /* the status class and the bucket of any number */
    if (strlen(waav_metrics_status_class((unsigned) v[0] % 1000)) != 3
        && strcmp(waav_metrics_status_class((unsigned) v[0] % 1000),
                  "other") != 0)
    {
        abort();
    }

    if (waav_metrics_bucket(v[1]) > WAAV_METRICS_BUCKETS) {
        abort();
    }

    return 0;
}
