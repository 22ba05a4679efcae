/* placeholder */
#include <string.h>
#include "waav_stt_stream.h"
int
waav_stt_stream_open(const waav_stt_stream_t *st,
    const waav_ws_stt_config_t *cfg, const waav_secret_t *secret,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err)
{
    memset(out, 0, sizeof(waav_http_req_t));
    out->method = "GET";
    if (st->open(st, cfg, out, a, err) != 0) {
        return -1;
    }
    return waav_cred_apply(st->cred, secret, out, a, err);
}
uint64_t
waav_stt_stream_rate(const waav_ws_stt_config_t *cfg)
{
    return (uint64_t) cfg->sample_rate * (cfg->channels ? cfg->channels : 1) * 2;
}
