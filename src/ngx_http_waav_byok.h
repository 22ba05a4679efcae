/*
 * waav: bring-your-own-key, a client's own provider key for its call
 * (waav_byok on).
 */

#ifndef NGX_HTTP_WAAV_BYOK_H
#define NGX_HTTP_WAAV_BYOK_H

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_provider.h"


/* the header the WaaV dashboard sends its provider key in */
#define NGX_HTTP_WAAV_BYOK_HEADER  "X-Provider-Api-Key"

/*
 * The client's key for a call: body_key (a parsed, checked api_key) when
 * there is one, else the X-Provider-Api-Key header when use_header, which
 * must be 1-WAAV_TTS_MAX_API_KEY bytes of visible ASCII (400 otherwise,
 * never quoting it).  key->len 0: none.  NGX_OK, or NGX_ERROR with err.
 */
ngx_int_t ngx_http_waav_byok_key(ngx_http_request_t *r, waav_str_t body_key,
    ngx_uint_t use_header, waav_str_t *key, waav_err_t *err);

/*
 * The provider a call to *pp with key uses.  No key: *pp as it is, 400
 * PROVIDER_NOT_CONFIGURED when it has no key of its own.  A key: 403
 * BYOK_DISABLED unless waav_byok is on where r is; for a provider that
 * exchanges its key for a token, 400 BYOK_UNSUPPORTED unless the call's
 * adapter sends a key as it is too (direct: its byok_cred; NULL for
 * none); else *pp becomes a copy with the client's key, from r's pool, so
 * the credentials, the redaction of provider errors and the logs use that
 * key, not the server's, and nothing of the server's token cache is used
 * or touched.  NGX_OK, or NGX_ERROR with err.
 */
ngx_int_t ngx_http_waav_byok_provider(ngx_http_request_t *r,
    ngx_http_waav_provider_t **pp, waav_str_t key, const waav_cred_t *direct,
    waav_err_t *err);

/* the credentials a TTS call to p applies: the adapter's byok_cred for a
 * client's key where it has one, else its cred */
static ngx_inline const waav_cred_t *
ngx_http_waav_byok_tts_cred(ngx_http_waav_provider_t *p)
{
    return (p->byok && p->tts->byok_cred) ? p->tts->byok_cred : p->tts->cred;
}

/* $waav_byok: "1" while the request's provider call uses a client's own
 * key (for proxy_cache_bypass and proxy_no_cache: audio made with a
 * client's account, perhaps in a voice only it may use, is neither served
 * from the shared cache nor stored in it), else "" */
ngx_int_t ngx_http_waav_byok_add_variables(ngx_conf_t *cf);


#endif /* NGX_HTTP_WAAV_BYOK_H */
