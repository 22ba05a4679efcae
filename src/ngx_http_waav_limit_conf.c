/*
 * waav: the limit directives: waav_limit_zone (a zone of counters, in
 * shared memory and maybe Redis) and waav_limit (a location's limits).
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_limit.h"
#include "ngx_http_waav_limit_conf.h"
#include "waav_json.h"


static ngx_int_t
ngx_http_waav_limit_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_waav_limit_zone_t  *old = data;
    ngx_http_waav_limit_zone_t  *zone = shm_zone->data;

    return ngx_http_waav_limit_shm_init(&zone->shm, shm_zone,
                                        old ? &old->shm : NULL);
}


/* what a waav_limit_zone line says after NAME:SIZE */
typedef struct {
    ngx_str_t                      key;
    ngx_str_t                      url;
    ngx_msec_t                     timeout;     /* 0: not set */
    ngx_msec_t                     lease;       /* 0: not set */
    ngx_int_t                      fail_open;
} ngx_http_waav_limit_zone_args_t;


static char *
ngx_http_waav_limit_zone_args(ngx_conf_t *cf,
    ngx_http_waav_limit_zone_args_t *a)
{
    ngx_str_t   *value, s;
    ngx_uint_t   i;

    value = cf->args->elts;

    ngx_str_set(&a->key, "$binary_remote_addr");
    a->fail_open = NGX_CONF_UNSET;

    for (i = 2; i < cf->args->nelts; i++) {
        s = value[i];

        if (ngx_strncmp(s.data, "key=", 4) == 0) {
            a->key.data = s.data + 4;
            a->key.len = s.len - 4;

        } else if (ngx_strncmp(s.data, "redis=", 6) == 0) {
            a->url.data = s.data + 6;
            a->url.len = s.len - 6;

        } else if (ngx_strncmp(s.data, "redis_timeout=", 14) == 0) {
            s.data += 14;
            s.len -= 14;
            a->timeout = ngx_parse_time(&s, 0);

            if (a->timeout == (ngx_msec_t) NGX_ERROR || a->timeout == 0) {
                return "has an invalid redis_timeout";
            }

        } else if (ngx_strncmp(s.data, "redis_lease=", 12) == 0) {
            s.data += 12;
            s.len -= 12;
            a->lease = ngx_parse_time(&s, 0);

            /* renewed every third: not a lease a Redis call may outlast */
            if (a->lease == (ngx_msec_t) NGX_ERROR || a->lease < 1000) {
                return "has an invalid redis_lease (1s or more)";
            }

        } else if (ngx_strcmp(s.data, "redis_fail=open") == 0) {
            a->fail_open = 1;

        } else if (ngx_strcmp(s.data, "redis_fail=closed") == 0) {
            a->fail_open = 0;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (a->url.len == 0
        && (a->timeout || a->lease || a->fail_open != NGX_CONF_UNSET))
    {
        return "takes redis_timeout=, redis_lease= and redis_fail= only "
               "with redis=";
    }

    return NGX_CONF_OK;
}


/* waav_limit_zone NAME:SIZE [key=VALUE] [redis=URL [redis_timeout=T]
 *                          [redis_lease=T] [redis_fail=open|closed]] */
char *
ngx_http_waav_limit_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_main_conf_t  *wmcf = conf;

    char                              *rv;
    u_char                            *p;
    ssize_t                            size;
    ngx_str_t                         *value, name, s;
    ngx_shm_zone_t                    *shm_zone;
    ngx_http_waav_limit_zone_t        *zone;
    ngx_http_compile_complex_value_t   ccv;
    ngx_http_waav_limit_zone_args_t    a;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;

    p = (u_char *) ngx_strchr(value[1].data, ':');
    if (p == NULL) {
        return "needs NAME:SIZE";
    }

    name.data = value[1].data;
    name.len = p - value[1].data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (name.len == 0 || size == NGX_ERROR) {
        return "needs NAME:SIZE";
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        return "needs a zone of at least 8 pages";
    }

    ngx_memzero(&a, sizeof(ngx_http_waav_limit_zone_args_t));

    rv = ngx_http_waav_limit_zone_args(cf, &a);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_waav_limit_zone_t));
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (a.url.len) {
        rv = ngx_http_waav_limit_redis_create(cf, &name, &a.url, &wmcf->redis,
                                              &zone->redis);
        if (rv != NGX_CONF_OK) {
            return rv;
        }

        if (a.timeout) {
            zone->redis->conn->timeout = a.timeout;
        }

        if (a.lease) {
            zone->redis->lease = a.lease;
        }

        if (a.fail_open != NGX_CONF_UNSET) {
            zone->redis->conn->fail_open = a.fail_open;
        }
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
    ccv.cf = cf;
    ccv.value = &a.key;
    ccv.complex_value = &zone->key;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    shm_zone = ngx_shared_memory_add(cf, &name, size, &ngx_http_waav_module);
    if (shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "waav_limit_zone \"%V\" is already declared",
                           &name);
        return NGX_CONF_ERROR;
    }

    shm_zone->init = ngx_http_waav_limit_init_zone;
    shm_zone->data = zone;

    return NGX_CONF_OK;
}


/* rate=Nr/s or rate=Nr/m (v without "rate=") */
static char *
ngx_http_waav_limit_parse_rate(ngx_str_t *v, ngx_http_waav_limit_rule_t *rule)
{
    u_char     *unit;
    ngx_int_t   n;

    if (v->len < 4) {
        return NGX_CONF_ERROR;
    }

    unit = v->data + v->len - 3;

    if (ngx_strncmp(unit, "r/s", 3) != 0 && ngx_strncmp(unit, "r/m", 3) != 0) {
        return NGX_CONF_ERROR;
    }

    n = ngx_atoi(v->data, v->len - 3);
    if (n <= 0) {
        return NGX_CONF_ERROR;
    }

    if (n > 1000000) {
        return "takes rates up to 1000000 requests per second or minute";
    }

    rule->interval_us = (unit[2] == 's' ? 1000000 : 60000000) / (uint64_t) n;

    return NGX_CONF_OK;
}


/* tts_chars= or stt_seconds=: "N/m" or "N/d" */
static char *
ngx_http_waav_limit_parse_quota(ngx_str_t *v, ngx_http_waav_limit_rule_t *rule)
{
    u_char     *slash, *last;
    ngx_int_t   n;

    last = v->data + v->len;

    slash = ngx_strlchr(v->data, last, '/');
    if (slash == NULL || last - slash != 2) {
        return NGX_CONF_ERROR;
    }

    n = ngx_atoi(v->data, slash - v->data);
    if (n <= 0) {
        return NGX_CONF_ERROR;
    }

    rule->limit = (uint64_t) n;

    switch (slash[1]) {
    case 'm':
        rule->window_ms = 60000;
        return NGX_CONF_OK;
    case 'd':
        rule->window_ms = 86400000;
        return NGX_CONF_OK;
    default:
        return NGX_CONF_ERROR;
    }
}


/* concurrency=N */
static char *
ngx_http_waav_limit_parse_slots(ngx_str_t *v, ngx_http_waav_limit_rule_t *rule)
{
    ngx_int_t  n;

    n = ngx_atoi(v->data, v->len);
    if (n <= 0) {
        return NGX_CONF_ERROR;
    }

    rule->limit = (uint64_t) n;

    return NGX_CONF_OK;
}


/* what a line may limit: one of these */
typedef struct {
    ngx_str_t                      prefix;
    ngx_uint_t                     kind;
    char                        *(*parse)(ngx_str_t *v,
                                          ngx_http_waav_limit_rule_t *rule);
    char                          *usage;
} ngx_http_waav_limit_kind_t;


static ngx_http_waav_limit_kind_t  ngx_http_waav_limit_kinds[] = {
    { ngx_string("rate="), NGX_HTTP_WAAV_LIMIT_RATE,
      ngx_http_waav_limit_parse_rate, "needs rate=Nr/s or rate=Nr/m" },
    { ngx_string("tts_chars="), NGX_HTTP_WAAV_LIMIT_TTS_CHARS,
      ngx_http_waav_limit_parse_quota,
      "needs tts_chars=N/m or tts_chars=N/d" },
    { ngx_string("stt_seconds="), NGX_HTTP_WAAV_LIMIT_STT_SECONDS,
      ngx_http_waav_limit_parse_quota,
      "needs stt_seconds=N/m or stt_seconds=N/d" },
    { ngx_string("concurrency="), NGX_HTTP_WAAV_LIMIT_CONCURRENCY,
      ngx_http_waav_limit_parse_slots, "needs concurrency=N (N >= 1)" },
    { ngx_null_string, 0, NULL, NULL }
};


/* the line's kind from one parameter; NGX_DECLINED: not a kind */
static char *
ngx_http_waav_limit_parse_kind(ngx_str_t *param,
    ngx_http_waav_limit_rule_t *rule)
{
    char                        *rv;
    ngx_str_t                    v;
    ngx_http_waav_limit_kind_t  *k;

    for (k = ngx_http_waav_limit_kinds; k->prefix.len; k++) {

        if (param->len < k->prefix.len
            || ngx_strncmp(param->data, k->prefix.data, k->prefix.len) != 0)
        {
            continue;
        }

        /* one limit a line: the rest would be dropped without a word */
        if (rule->kind) {
            return "takes one of rate=, tts_chars=, stt_seconds= or "
                   "concurrency= (one waav_limit line each)";
        }

        v.data = param->data + k->prefix.len;
        v.len = param->len - k->prefix.len;

        rv = k->parse(&v, rule);
        if (rv != NGX_CONF_OK) {
            return rv == NGX_CONF_ERROR ? k->usage : rv;
        }

        rule->kind = k->kind;

        return NGX_CONF_OK;
    }

    return (char *) NGX_DECLINED;
}


/*
 * What a line's refusal answers, from one parameter: status=4xx|5xx,
 * message=TEXT (up to 255 bytes of UTF-8, no control characters; quote
 * the whole parameter for spaces: "message=Server at capacity."),
 * code=UPPER_SNAKE.  NGX_DECLINED: none of these.
 */
static char *
ngx_http_waav_limit_parse_refusal(ngx_str_t *param, ngx_http_waav_limit_t *l)
{
    size_t      i;
    ngx_int_t   n;
    ngx_str_t   v;

    if (ngx_strncmp(param->data, "status=", 7) == 0) {
        n = ngx_atoi(param->data + 7, param->len - 7);
        if (n < 400 || n > 599) {
            return "needs status=N (400 to 599)";
        }

        l->status = (ngx_uint_t) n;
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(param->data, "message=", 8) == 0) {
        v.data = param->data + 8;
        v.len = param->len - 8;

        for (i = 0; i < v.len; i++) {
            if (v.data[i] < 0x20 || v.data[i] == 0x7f) {
                break;
            }
        }

        if (v.len == 0 || v.len > 255 || i < v.len
            || !waav_utf8_valid((char *) v.data, v.len))
        {
            return "needs message=TEXT (1 to 255 bytes of UTF-8 text)";
        }

        l->message = v;
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(param->data, "code=", 5) == 0) {
        v.data = param->data + 5;
        v.len = param->len - 5;

        for (i = 0; i < v.len; i++) {
            if (!(v.data[i] >= 'A' && v.data[i] <= 'Z') && v.data[i] != '_'
                && !(v.data[i] >= '0' && v.data[i] <= '9'))
            {
                break;
            }
        }

        if (v.len == 0 || v.len > 64 || i < v.len) {
            return "needs code=UPPER_SNAKE (up to 64 of A-Z, 0-9 and _)";
        }

        l->code = v;
        return NGX_CONF_OK;
    }

    return (char *) NGX_DECLINED;
}


/* waav_limit off |
 * waav_limit zone=NAME (rate=Nr/s|Nr/m [burst=N] | tts_chars=N/m|N/d |
 *                        stt_seconds=N/m|N/d | concurrency=N)
 *                       [status=N] [message=TEXT] [code=CODE] */
char *
ngx_http_waav_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_loc_conf_t  *wlcf = conf;

    char                   *rv;
    ngx_int_t               burst;
    ngx_str_t              *value, s;
    ngx_uint_t              i;
    ngx_http_waav_limit_t  *l;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;
    burst = 0;

    /* waav_limit off: no limit here, none inherited */
    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        if (wlcf->limits != NULL || wlcf->limit_off) {
            return "off cannot be combined with other waav_limit lines";
        }

        wlcf->limit_off = 1;
        return NGX_CONF_OK;
    }

    if (wlcf->limit_off) {
        return "off cannot be combined with other waav_limit lines";
    }

    if (wlcf->limits == NULL) {
        wlcf->limits = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_waav_limit_t));
        if (wlcf->limits == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    l = ngx_array_push(wlcf->limits);
    if (l == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(l, sizeof(ngx_http_waav_limit_t));

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            s.data = value[i].data + 5;
            s.len = value[i].len - 5;

            l->shm_zone = ngx_shared_memory_add(cf, &s, 0,
                                                &ngx_http_waav_module);
            if (l->shm_zone == NULL) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "burst=", 6) == 0) {
            burst = ngx_atoi(value[i].data + 6, value[i].len - 6);
            if (burst <= 0 || burst > 1000000000) {
                return "needs burst=N (1 to 1000000000)";
            }

            continue;
        }

        rv = ngx_http_waav_limit_parse_refusal(&value[i], l);

        if (rv == (char *) NGX_DECLINED) {
            rv = ngx_http_waav_limit_parse_kind(&value[i], &l->rule);
        }

        if (rv == (char *) NGX_DECLINED) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if (l->shm_zone == NULL) {
        return "needs zone=NAME";
    }

    if (l->rule.kind == 0) {
        return "needs rate=, tts_chars=, stt_seconds= or concurrency=";
    }

    if (l->rule.kind == NGX_HTTP_WAAV_LIMIT_RATE) {
        l->rule.limit = burst ? (uint64_t) burst : 1;

    } else if (burst) {
        return "takes burst= only with rate=";
    }

    /*
     * Counters are per zone, kind (and quota window) and key, as limit_req
     * shares a zone's counters between locations: so every nginx of a
     * fleet finds the same counter whatever its configuration looks like.
     */
    l->rule.id = (l->rule.kind << 4) | (l->rule.window_ms == 86400000);

    return NGX_CONF_OK;
}
