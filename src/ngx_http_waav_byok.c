/*
 * waav: bring-your-own-key (see ngx_http_waav_byok.h).
 *
 *   waav_byok on;     # WaaV's default: a client's key wins for its call
 *
 * Off by default: a deployment that bills tenants or keeps providers to
 * its own accounts does not want clients' keys, and a client that sent
 * one is told so (403) rather than silently billed to the server's
 * account.  The key is only ever put in the provider request: never in a
 * log line, a variable or an answer (provider errors are scrubbed of it
 * as of the server's).  Limits and quotas apply as to any call.  A
 * provider that exchanges its key for a token (Azure) is sent a client's
 * key as it is (its adapter's byok_cred): the token cache in shared memory
 * is the server key's alone.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_byok.h"
#include "ngx_http_waav_util.h"


static ngx_int_t ngx_http_waav_byok_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_waav_byok_vars[] = {

    { ngx_string("waav_byok"), NULL, ngx_http_waav_byok_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_waav_byok_valid(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > WAAV_TTS_MAX_API_KEY) {
        return NGX_ERROR;
    }

    for (i = 0; i < len; i++) {
        /* it goes into a header: visible ASCII, no CR, LF or controls */
        if (s[i] < 0x21 || s[i] > 0x7e) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_byok_key(ngx_http_request_t *r, waav_str_t body_key,
    ngx_uint_t use_header, waav_str_t *key, waav_err_t *err)
{
    ngx_table_elt_t  *h;

    *key = body_key;

    if (key->len || !use_header) {
        return NGX_OK;
    }

    h = ngx_http_waav_header(&r->headers_in.headers,
                             NGX_HTTP_WAAV_BYOK_HEADER);

    if (h == NULL) {
        return NGX_OK;
    }

    if (ngx_http_waav_byok_valid((char *) h->value.data, h->value.len)
        != NGX_OK)
    {
        waav_err_set(err, NGX_HTTP_BAD_REQUEST, "INVALID_REQUEST",
                     NGX_HTTP_WAAV_BYOK_HEADER " must be 1-%d bytes of "
                     "visible ASCII", WAAV_TTS_MAX_API_KEY);
        return NGX_ERROR;
    }

    key->data = (char *) h->value.data;
    key->len = h->value.len;

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_byok_provider(ngx_http_request_t *r,
    ngx_http_waav_provider_t **pp, waav_str_t key, const waav_cred_t *direct,
    waav_err_t *err)
{
    ngx_http_waav_ctx_t       *wctx;
    ngx_http_waav_provider_t  *p, *own;
    ngx_http_waav_loc_conf_t  *wlcf;

    p = *pp;

    if (key.len == 0) {
        if (!p->usable) {
            waav_err_set(err, NGX_HTTP_BAD_REQUEST, "PROVIDER_NOT_CONFIGURED",
                         "API key not configured for provider: %.*s",
                         (int) p->name.len, p->name.data);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (!wlcf->byok) {
        waav_err_set(err, NGX_HTTP_FORBIDDEN, "BYOK_DISABLED",
                     "This server does not accept clients' provider API "
                     "keys (api_key, " NGX_HTTP_WAAV_BYOK_HEADER "); send "
                     "the request without one");
        return NGX_ERROR;
    }

    if (p->cred && direct == NULL) {
        waav_err_set(err, NGX_HTTP_BAD_REQUEST, "BYOK_UNSUPPORTED",
                     "Provider %.*s exchanges its key for a token: waav "
                     "does not accept a client's own key for it",
                     (int) p->name.len, p->name.data);
        return NGX_ERROR;
    }

    /* the key copied: on /ws it outlives the config message it came in */
    own = ngx_palloc(r->pool, sizeof(ngx_http_waav_provider_t));
    if (own == NULL) {
        (void) waav_err_nomem(err);
        return NGX_ERROR;
    }

    *own = *p;
    own->key.data = ngx_pnalloc(r->pool, key.len);
    if (own->key.data == NULL) {
        (void) waav_err_nomem(err);
        return NGX_ERROR;
    }

    ngx_memcpy(own->key.data, key.data, key.len);
    own->key.len = key.len;
    own->usable = 1;
    own->byok = 1;

    /* no exchange: the server key's token is neither used nor dropped when
     * the provider refuses the client's key */
    own->cred = NULL;
    own->cred_zone = NULL;

    wctx = ngx_http_waav_get_ctx(r->main);
    if (wctx == NULL) {
        (void) waav_err_nomem(err);
        return NGX_ERROR;
    }

    /* for the session's life on /ws: its later speaks bypass the cache
     * too, whatever their config */
    wctx->byok = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav: provider \"%V\" with the client's own key",
                   &p->name);

    *pp = own;

    return NGX_OK;
}


static ngx_int_t
ngx_http_waav_byok_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_waav_ctx_t  *wctx;

    ngx_http_waav_unused(data);

    wctx = ngx_http_waav_find_ctx(r->main);

    v->data = (u_char *) "1";
    v->len = (wctx && wctx->byok) ? 1 : 0;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


ngx_int_t
ngx_http_waav_byok_add_variables(ngx_conf_t *cf)
{
    return ngx_http_waav_add_variables(cf, ngx_http_waav_byok_vars);
}
