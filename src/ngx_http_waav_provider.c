/*
 * waav: providers, declared once at http level.
 *
 *   waav_provider deepgram key=env:DEEPGRAM_API_KEY;
 *   waav_provider openai   key=file:/etc/waav/openai.key;
 *   waav_provider kokoro   type=openai-compatible location=/_waav/kokoro;
 *   waav_provider playht   key=env:PLAYHT_API_KEY user=env:PLAYHT_USER_ID;
 *
 * The key is read when the configuration is (environment variables from
 * the master's environment, files with the master's rights), so a worker
 * never blocks on it.  It is only ever put in the provider request's
 * headers: never in a variable, a log line or an answer.  A provider that
 * takes a second secret with the key (Play.ht's user id, the adapter's
 * cred has user_name) has it as user=, joined to the key as
 * USER_ID:API_KEY (the form a client's own key takes too); key= may also
 * be that whole pair.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_cred.h"
#include "ngx_http_waav_provider.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
#include "waav_errmsg.h"
#include "waav_sigv4.h"


/* an AWS key with its session token is over 1 KiB */
#define NGX_HTTP_WAAV_MAX_KEY  4096

/* a key read whole and exchanged, never sent (a Google service account's
 * JSON file, WAAV_GOOGLE_SA_MAX) */
#define NGX_HTTP_WAAV_MAX_FILE_KEY  (64 * 1024)


static ngx_int_t
ngx_http_waav_key_valid(ngx_str_t *key)
{
    size_t  i;

    for (i = 0; i < key->len; i++) {
        /* it goes into a header: visible ASCII only */
        if (key->data[i] <= 0x20 || key->data[i] >= 0x7f) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static char *
ngx_http_waav_provider_key(ngx_conf_t *cf, ngx_http_waav_provider_t *p,
    ngx_str_t *value)
{
    waav_str_t          key;
    const waav_cred_t  *cred, *base;

    if (ngx_http_waav_conf_value(cf, value, NGX_HTTP_WAAV_MAX_FILE_KEY, 1,
                                 &p->key)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    key.data = (char *) p->key.data;
    key.len = p->key.len;
    base = p->tts ? p->tts->cred : (p->stt ? p->stt->cred : NULL);
    cred = waav_cred_for(base, key);

    /* a key its shape gives another scheme (Google's service-account
     * file) is that scheme's to check: it is never sent as it is */
    if (cred == base
        && (p->key.len > NGX_HTTP_WAAV_MAX_KEY
            || ngx_http_waav_key_valid(&p->key) != NGX_OK))
    {
        /* never echo the key itself */
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the key of waav provider \"%V\" must be visible "
                           "ASCII of at most %d bytes", &p->name,
                           NGX_HTTP_WAAV_MAX_KEY);
        return NGX_CONF_ERROR;
    }

    if (key.len && cred && cred->key_ok && !cred->key_ok(key)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the key of waav provider \"%V\" is not of the "
                           "form its type takes (%s: %s)", &p->name,
                           p->ptype->name,
                           (cred == base)
                           ? "ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]"
                           : "a service account's JSON file whose "
                             "private_key signs");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* user=: joined to the key as USER_ID:API_KEY; a key without its user id
 * is refused where the adapter needs one */
static char *
ngx_http_waav_provider_user(ngx_conf_t *cf, ngx_http_waav_provider_t *p,
    ngx_str_t *value)
{
    u_char       *d;
    ngx_str_t     user;
    const char   *name;

    name = (p->tts && p->tts->cred) ? p->tts->cred->user_name : NULL;

    if (value->data == NULL) {
        if (name && p->key.len
            && ngx_strlchr(p->key.data, p->key.data + p->key.len, ':')
               == NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "waav provider \"%V\" needs user= (its %s) "
                               "or a key of the form USER_ID:API_KEY",
                               &p->name, name);
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    if (name == NULL) {
        return "has user= for a provider type that takes no user id";
    }

    if (ngx_http_waav_conf_value(cf, value, NGX_HTTP_WAAV_MAX_KEY, 1, &user)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_waav_key_valid(&user) != NGX_OK
        || ngx_strlchr(user.data, user.data + user.len, ':') != NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the user id of waav provider \"%V\" must be "
                           "visible ASCII without a colon", &p->name);
        return NGX_CONF_ERROR;
    }

    if (user.len == 0 || p->key.len == 0) {
        /* one of the two missing: not usable */
        ngx_str_null(&p->key);
        return NGX_CONF_OK;
    }

    d = ngx_pnalloc(cf->pool, user.len + 1 + p->key.len);
    if (d == NULL) {
        return NGX_CONF_ERROR;
    }

    p->key.len = ngx_sprintf(d, "%V:%V", &user, &p->key) - d;
    p->key.data = d;

    return NGX_CONF_OK;
}


static ngx_int_t ngx_http_waav_provider_sibling(ngx_conf_t *cf,
    ngx_http_waav_provider_t *p, ngx_str_t *out, const char *suffix);


/* a key exchanged for tokens: they come from token_location, by default
 * the provider's location with "-token" (/_waav/azure-token) */
static ngx_int_t
ngx_http_waav_provider_exchange(ngx_conf_t *cf, ngx_http_waav_provider_t *p)
{
    waav_str_t          key;
    const waav_cred_t  *tc, *sc;

    /* the scheme the key takes (Google's: by the key's shape) */
    key.data = (char *) p->key.data;
    key.len = p->key.len;
    tc = waav_cred_for(p->tts ? p->tts->cred : NULL, key);
    sc = waav_cred_for(p->stt ? p->stt->cred : NULL, key);

    if (tc && tc->exchange) {
        p->cred = tc;

    } else if (sc && sc->exchange) {
        p->cred = sc;
    }

    if (p->cred == NULL || p->token_location.len) {
        return NGX_OK;
    }

    return ngx_http_waav_provider_sibling(cf, p, &p->token_location,
                                          "-token");
}


/* the provider's location with a suffix: /_waav/azure-token */
static ngx_int_t
ngx_http_waav_provider_sibling(ngx_conf_t *cf, ngx_http_waav_provider_t *p,
    ngx_str_t *out, const char *suffix)
{
    out->len = p->location.len + ngx_strlen(suffix);
    out->data = ngx_pnalloc(cf->pool, out->len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(out->data, "%V%s", &p->location, suffix);

    return NGX_OK;
}


/* where streaming speech to text opens its WebSocket: a location of its
 * own when the registry names a streaming host (/_waav/assemblyai-stream),
 * else the provider's */
static ngx_int_t
ngx_http_waav_provider_stream(ngx_conf_t *cf, ngx_http_waav_provider_t *p)
{
    if (p->stream_location.len) {
        return NGX_OK;
    }

    if (p->ptype->stream_url == NULL) {
        p->stream_location = p->location;
        return NGX_OK;
    }

    return ngx_http_waav_provider_sibling(cf, p, &p->stream_location,
                                          "-stream");
}


/* the registry's base URL with "{region}" made the region */
static ngx_int_t
ngx_http_waav_provider_default_url(ngx_conf_t *cf,
    ngx_http_waav_provider_t *p)
{
    u_char      *d;
    const char  *u, *at;

    u = p->ptype->base_url;
    at = u ? ngx_strstr(u, "{region}") : NULL;

    if (u == NULL) {
        return NGX_ERROR;
    }

    p->url.len = ngx_strlen(u) + (at ? p->region.len - 8 : 0);
    p->url.data = ngx_pnalloc(cf->pool, p->url.len);
    if (p->url.data == NULL) {
        return NGX_ERROR;
    }

    if (at == NULL) {
        ngx_memcpy(p->url.data, u, p->url.len);
        return NGX_OK;
    }

    d = ngx_cpymem(p->url.data, u, at - u);
    d = ngx_cpymem(d, p->region.data, p->region.len);
    ngx_memcpy(d, at + 8, ngx_strlen(at + 8));

    return NGX_OK;
}


/* a scheme that signs: the host, path and region it signs for */
static char *
ngx_http_waav_provider_signs(ngx_conf_t *cf, ngx_http_waav_provider_t *p)
{
    waav_str_t  host, path;

    if (!(p->tts && p->tts->cred && p->tts->cred->sign)) {
        return (p->url.len || p->region.len)
               ? "takes url= and region= only for a provider that signs"
               : NGX_CONF_OK;
    }

    if (p->region.len == 0 && p->ptype->region) {
        p->region.data = (u_char *) p->ptype->region;
        p->region.len = ngx_strlen(p->ptype->region);
    }

    if (!waav_sigv4_region_valid((char *) p->region.data, p->region.len)) {
        return "needs a region= of [a-z0-9-]";
    }

    if (p->url.len == 0
        && ngx_http_waav_provider_default_url(cf, p) != NGX_OK)
    {
        return "needs a url=";
    }

    if (waav_sigv4_url((char *) p->url.data, p->url.len, &host, &path)
        != 0)
    {
        return "needs a url= that is http(s)://host[:port][/path]";
    }

    p->sign_host.data = (u_char *) host.data;
    p->sign_host.len = host.len;
    p->sign_path.data = (u_char *) path.data;
    p->sign_path.len = path.len;

    return NGX_CONF_OK;
}


/* a location= parameter's value, without trailing slashes */
static char *
ngx_http_waav_provider_location(ngx_str_t *v, size_t skip, ngx_str_t *out)
{
    out->data = v->data + skip;
    out->len = v->len - skip;

    while (out->len && out->data[out->len - 1] == '/') {
        out->len--;
    }

    if (out->len == 0 || out->data[0] != '/') {
        return "needs a location=/uri";
    }

    return NGX_CONF_OK;
}


/* type=, key=, user=, location=, token_location=, stream_location=, url=,
 * region= */
static char *
ngx_http_waav_provider_param(ngx_conf_t *cf, ngx_http_waav_provider_t *p,
    ngx_str_t *v, ngx_str_t *key, ngx_uint_t *have_key, ngx_str_t *user)
{
    if (ngx_strncmp(v->data, "type=", 5) == 0) {
        p->type.data = v->data + 5;
        p->type.len = v->len - 5;
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(v->data, "key=", 4) == 0) {
        key->data = v->data + 4;
        key->len = v->len - 4;
        *have_key = 1;
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(v->data, "user=", 5) == 0) {
        user->data = v->data + 5;
        user->len = v->len - 5;
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(v->data, "token_location=", 15) == 0) {
        return ngx_http_waav_provider_location(v, 15, &p->token_location);
    }

    if (ngx_strncmp(v->data, "stream_location=", 16) == 0) {
        return ngx_http_waav_provider_location(v, 16, &p->stream_location);
    }

    if (ngx_strncmp(v->data, "location=", 9) == 0) {
        return ngx_http_waav_provider_location(v, 9, &p->location);
    }

    if (ngx_strncmp(v->data, "url=", 4) == 0) {
        p->url.data = v->data + 4;
        p->url.len = v->len - 4;
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(v->data, "region=", 7) == 0) {
        p->region.data = v->data + 7;
        p->region.len = v->len - 7;
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"", v);

    return NGX_CONF_ERROR;
}


char *
ngx_http_waav_provider(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_waav_main_conf_t  *wmcf = conf;

    char                      *rv, types[512];
    ngx_str_t                 *value, key, user;
    ngx_uint_t                 i, have_key;
    ngx_http_waav_provider_t  *p, *q;

    ngx_http_waav_unused(cmd);

    value = cf->args->elts;

    if (!waav_ident_valid((char *) value[1].data, value[1].len)) {
        return "has an invalid provider name";
    }

    q = wmcf->providers.elts;

    for (i = 0; i < wmcf->providers.nelts; i++) {
        /* clients name providers in any case: one name, one provider */
        if (q[i].name.len == value[1].len
            && ngx_strncasecmp(q[i].name.data, value[1].data, value[1].len)
               == 0)
        {
            return "declares a provider twice";
        }
    }

    p = ngx_array_push(&wmcf->providers);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(p, sizeof(ngx_http_waav_provider_t));
    p->name = value[1];
    p->type = value[1];
    ngx_str_null(&key);
    ngx_str_null(&user);
    have_key = 0;

    for (i = 2; i < cf->args->nelts; i++) {
        rv = ngx_http_waav_provider_param(cf, p, &value[i], &key, &have_key,
                                          &user);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    p->ptype = waav_provider_type((char *) p->type.data, p->type.len);

    if (p->ptype == NULL) {
        (void) waav_provider_type_list(types, sizeof(types),
                                       WAAV_REGISTRY_TTS|WAAV_REGISTRY_STT);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown waav provider type \"%V\" (%s)",
                           &p->type, types);
        return NGX_CONF_ERROR;
    }

    p->tts = p->ptype->tts;
    p->stt = p->ptype->stt;

    if (p->location.len == 0) {
        p->location.len = sizeof("/_waav/") - 1 + p->name.len;
        p->location.data = ngx_pnalloc(cf->pool, p->location.len);
        if (p->location.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_sprintf(p->location.data, "/_waav/%V", &p->name);
    }

    /* the key first: the scheme it takes may depend on its shape */
    if (have_key) {
        rv = ngx_http_waav_provider_key(cf, p, &key);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if (ngx_http_waav_provider_exchange(cf, p) != NGX_OK
        || ngx_http_waav_provider_stream(cf, p) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    rv = ngx_http_waav_provider_signs(cf, p);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    rv = ngx_http_waav_provider_user(cf, p, &user);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* a self-hosted server may need no key */
    p->usable = p->key.len > 0 || p->ptype->key_optional;

    return NGX_CONF_OK;
}


/*
 * The provider a client names, as WaaV's registry finds one: a declared
 * name in any case ("Deepgram"); else a type's name or alias in any case
 * ("microsoft-azure", "AZURE") and the provider declared of that type,
 * the one named after the type first (a second one of the type is only
 * reached by its own name).
 */
ngx_http_waav_provider_t *
ngx_http_waav_provider_find(ngx_http_request_t *r, waav_str_t name)
{
    ngx_uint_t                   i;
    ngx_http_waav_provider_t    *p, *first;
    ngx_http_waav_main_conf_t   *wmcf;
    const waav_provider_type_t  *pt;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);
    p = wmcf->providers.elts;

    for (i = 0; i < wmcf->providers.nelts; i++) {
        if (p[i].name.len == name.len
            && ngx_strncasecmp(p[i].name.data, (u_char *) name.data,
                               name.len)
               == 0)
        {
            return &p[i];
        }
    }

    pt = waav_provider_type(name.data, name.len);
    first = NULL;

    for (i = 0; pt && i < wmcf->providers.nelts; i++) {
        if (p[i].ptype != pt) {
            continue;
        }

        if (ngx_strlen(pt->name) == p[i].name.len
            && ngx_strncmp(p[i].name.data, pt->name, p[i].name.len) == 0)
        {
            return &p[i];
        }

        if (first == NULL) {
            first = &p[i];
        }
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav: provider \"%*s\" %s", name.len, name.data,
                   first ? "is an alias" : "is unknown");

    return first;
}


/* what a provider's credentials are made of (a token, once exchanged,
 * will come from the shared-memory cache) */
void
ngx_http_waav_provider_secret(ngx_http_waav_provider_t *p,
    waav_secret_t *secret)
{
    ngx_memzero(secret, sizeof(waav_secret_t));

    secret->key.data = (char *) p->key.data;
    secret->key.len = p->key.len;
    secret->now = ngx_time();

    secret->host.data = (char *) p->sign_host.data;
    secret->host.len = p->sign_host.len;
    secret->base_path.data = (char *) p->sign_path.data;
    secret->base_path.len = p->sign_path.len;
    secret->region.data = (char *) p->region.data;
    secret->region.len = p->region.len;
}


/* "deepgram, openai" into buf: the providers a client may name
 * (what: 1 those with TTS, 2 those with STT) */
ngx_int_t
ngx_http_waav_provider_list(ngx_http_request_t *r, ngx_uint_t what,
    u_char *buf, size_t size, size_t *len)
{
    u_char                     *p, *last;
    ngx_uint_t                  i;
    ngx_http_waav_provider_t   *pr;
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);
    pr = wmcf->providers.elts;
    p = buf;
    last = buf + size;

    for (i = 0; i < wmcf->providers.nelts; i++) {
        if ((what == 1 && pr[i].tts == NULL)
            || (what == 2 && pr[i].stt == NULL))
        {
            continue;
        }

        p = ngx_slprintf(p, last, "%s%V", p == buf ? "" : ", ", &pr[i].name);
    }

    if (p == buf) {
        p = ngx_slprintf(p, last, "none");
    }

    *len = p - buf;

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_provider_init(ngx_conf_t *cf)
{
    ngx_uint_t                  i;
    ngx_http_waav_provider_t   *p;
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_waav_module);
    p = wmcf->providers.elts;

    if (ngx_http_waav_cred_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    for (i = 0; i < wmcf->providers.nelts; i++) {
        ngx_log_error(NGX_LOG_NOTICE, cf->log, 0,
                      "waav: provider \"%V\" (%V) via %V/ %s", &p[i].name,
                      &p[i].type, &p[i].location,
                      p[i].usable ? "usable" : "not configured: no key");
    }

    return NGX_OK;
}


/* a provider answer's Retry-After (up to 32 bytes), to pass on; empty: none */
ngx_str_t
ngx_http_waav_retry_after(ngx_http_request_t *sr)
{
    ngx_str_t         none = ngx_null_string;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &sr->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash && h[i].key.len == sizeof("Retry-After") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Retry-After",
                               h[i].key.len) == 0
            && h[i].value.len <= 32)
        {
            return h[i].value;
        }
    }

    return none;
}


/*
 * A provider's failure as the client sees it: before any answer, 504
 * PROVIDER_TIMEOUT or 502 PROVIDER_ERROR; a 2xx without anything usable,
 * 502 PROVIDER_BAD_RESPONSE; a 429, 429 PROVIDER_RATE_LIMITED with
 * Retry-After; any other status, 502 PROVIDER_ERROR with the provider's
 * message, the key redacted.
 */
void
ngx_http_waav_provider_failure(ngx_http_request_t *r,
    ngx_http_waav_provider_t *p, ngx_http_waav_failure_t *f, waav_err_t *err)
{
    char        msg[WAAV_ERRMSG_MAX + 1];
    size_t      len;
    ngx_str_t  *name;

    name = &p->name;

    if (f->status == 0) {
        if (f->rc == NGX_HTTP_GATEWAY_TIME_OUT) {
            waav_err_set(err, NGX_HTTP_GATEWAY_TIME_OUT, "PROVIDER_TIMEOUT",
                         "Provider %.*s did not answer in time",
                         (int) name->len, name->data);

        } else {
            waav_err_set(err, NGX_HTTP_BAD_GATEWAY, "PROVIDER_ERROR",
                         "Could not reach provider %.*s",
                         (int) name->len, name->data);
        }

    } else if (f->status >= 200 && f->status < 300) {
        waav_err_set(err, NGX_HTTP_BAD_GATEWAY, "PROVIDER_BAD_RESPONSE",
                     "Provider %.*s returned %s", (int) name->len, name->data,
                     f->empty);

    } else {
        if (f->status == NGX_HTTP_UNAUTHORIZED) {
            /* an exchanged token refused: the next call gets a new one */
            ngx_http_waav_cred_refused(r, p);
        }

        len = waav_provider_message((char *) f->body, f->body_len,
                                    (char *) p->key.data, p->key.len, msg,
                                    sizeof(msg));

        if (f->status == NGX_HTTP_TOO_MANY_REQUESTS) {
            waav_err_set(err, NGX_HTTP_TOO_MANY_REQUESTS,
                         "PROVIDER_RATE_LIMITED",
                         "Provider %.*s is rate limiting: %.*s",
                         (int) name->len, name->data, (int) len, msg);

        } else {
            waav_err_set(err, NGX_HTTP_BAD_GATEWAY, "PROVIDER_ERROR",
                         "Provider %.*s answered %lu: %.*s",
                         (int) name->len, name->data,
                         (unsigned long) f->status, (int) len, msg);
        }
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0, "waav: %s",
                  err->message);
}


ngx_int_t
ngx_http_waav_provider_error(ngx_http_request_t *r, ngx_http_waav_provider_t *p,
    ngx_http_waav_failure_t *f)
{
    waav_err_t  err;

    static ngx_str_t  retry_after = ngx_string("Retry-After");
    static ngx_str_t  one = ngx_string("1");

    ngx_http_waav_provider_failure(r, p, f, &err);

    if (err.status == NGX_HTTP_TOO_MANY_REQUESTS
        && ngx_http_waav_add_header(r, &retry_after,
                                    f->retry_after.len ? &f->retry_after
                                                       : &one)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_waav_send_err(r, &err);
}


/*
 * A subrequest to the provider's internal location with the provider
 * request's method, path, query and headers, and body as its body (len
 * bytes), nothing of the client's request.  Everything is made before the
 * subrequest, so a failure leaves none behind.
 */
ngx_int_t
ngx_http_waav_call(ngx_http_request_t *r, ngx_http_waav_provider_t *pv,
    waav_http_req_t *preq, ngx_chain_t *body, off_t len,
    ngx_http_post_subrequest_pt handler, void *data, ngx_uint_t flags,
    ngx_http_request_t **psr)
{
    size_t                        i;
    u_char                       *p;
    ngx_str_t                     uri, args;
    ngx_list_t                    headers;
    ngx_table_elt_t              *h;
    ngx_http_request_t           *sr;
    ngx_http_request_body_t      *rb;
    ngx_http_post_subrequest_t   *ps;

    uri.len = pv->location.len + preq->path.len;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));

    if (uri.data == NULL || ps == NULL || rb == NULL
        || ngx_list_init(&headers, r->pool, preq->nheaders + 1,
                         sizeof(ngx_table_elt_t))
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(uri.data, pv->location.data, pv->location.len);
    if (preq->path.len) {
        ngx_memcpy(p, preq->path.data, preq->path.len);
    }

    args.data = (u_char *) preq->args.data;
    args.len = preq->args.len;

    ps->handler = handler;
    ps->data = data;

    rb->bufs = body;

    for (i = 0; i < preq->nheaders; i++) {
        h = ngx_list_push(&headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->key.data = (u_char *) preq->headers[i].name;
        h->key.len = ngx_strlen(preq->headers[i].name);
        h->value.data = (u_char *) preq->headers[i].value.data;
        h->value.len = preq->headers[i].value.len;
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif

        h->lowcase_key = ngx_pnalloc(r->pool, h->key.len);
        if (h->lowcase_key == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = ngx_hash_strlow(h->lowcase_key, h->key.data, h->key.len);
    }

    if (ngx_http_subrequest(r, &uri, args.len ? &args : NULL, &sr, ps, flags)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *psr = sr;

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav: provider \"%V\" subrequest %s %V%s%V",
                   &pv->name, preq->method ? preq->method : "POST", &uri,
                   args.len ? "?" : "", &args);

    if (preq->method && ngx_strcmp(preq->method, "GET") == 0) {
        sr->method = NGX_HTTP_GET;
        ngx_str_set(&sr->method_name, "GET");

    } else {
        sr->method = NGX_HTTP_POST;
        ngx_str_set(&sr->method_name, "POST");
    }

    sr->request_body = rb;

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));
    sr->headers_in.headers = headers;
    sr->headers_in.content_length_n = len;
    sr->headers_in.keep_alive_n = -1;

    return NGX_OK;
}
