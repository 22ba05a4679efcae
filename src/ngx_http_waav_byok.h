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
 * BYOK_DISABLED unless waav_byok is on where r is; 400 BYOK_UNSUPPORTED for
 * a provider that exchanges its key for a token (the token cache holds the
 * server key's; a client's would need one of its own); else *pp becomes a
 * copy with the client's key, from r's pool, so the credentials, the
 * redaction of provider errors and the logs use that key, not the
 * server's.  NGX_OK, or NGX_ERROR with err.
 */
ngx_int_t ngx_http_waav_byok_provider(ngx_http_request_t *r,
    ngx_http_waav_provider_t **pp, waav_str_t key, waav_err_t *err);

/* $waav_byok: "1" while the request's provider call uses a client's own
 * key (for proxy_cache_bypass and proxy_no_cache: audio made with a
 * client's account, perhaps in a voice only it may use, is neither served
 * from the shared cache nor stored in it), else "" */
ngx_int_t ngx_http_waav_byok_add_variables(ngx_conf_t *cf);


#endif /* NGX_HTTP_WAAV_BYOK_H */
