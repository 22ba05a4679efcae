/*
 * waav: waav_auth, WaaV's bearer-token authentication.
 *
 *   waav_auth_secret tenant-a env:TENANT_A_SECRET;   # WaaV's API secrets
 *   waav_auth_jwt_key hs256 env:AUTH_JWT_SECRET kid=2026-11;
 *   waav_auth_jwt_key rs256 file:/etc/waav/jwt.pub.pem;
 *   waav_auth_jwt_jwks file:/etc/waav/jwks.json;     # an identity provider
 *   location /speak { waav_auth on; waav_tts; }
 *
 * An access-phase handler: the token comes from "Authorization: Bearer"
 * or, when that header is absent, ?token=.  API secrets are compared in
 * constant time; JWTs are verified (src/core/waav_jwt.c) and remembered
 * per worker until they expire, so the signature is not paid again.
 * Failures answer WaaV's 401 {"error": "...", "message": "..."}.  A token
 * too large for nginx's header buffers never reaches the phase: the header
 * filter turns nginx's refusal into the same 401.
 */

#include "ngx_http_waav_module.h"
#include "ngx_http_waav_auth.h"
#include "ngx_http_waav_auth_service.h"
#include "ngx_http_waav_filter.h"
#include "ngx_http_waav_response.h"
#include "ngx_http_waav_util.h"
#include "waav_jwt.h"
#include "waav_jw.h"


#define NGX_HTTP_WAAV_NOEXP_TTL    300

#define NGX_HTTP_WAAV_TOO_LARGE    "Unauthorized: token too large"


static ngx_int_t ngx_http_waav_auth_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_waav_auth_fail(ngx_http_request_t *r,
    const char *code, const char *message);
static ngx_int_t ngx_http_waav_auth_fail_status(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message);
static ngx_int_t ngx_http_waav_auth_ask(ngx_http_request_t *r,
    ngx_str_t *token, ngx_http_waav_ctx_t *ctx);
static ngx_int_t ngx_http_waav_auth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_waav_auth_mask_query(ngx_http_request_t *r,
    ngx_str_t *arg);
static void ngx_http_waav_auth_star(ngx_str_t *s, ngx_str_t *value);


static ngx_http_variable_t  ngx_http_waav_auth_vars[] = {

    { ngx_string("waav_tenant"), NULL, ngx_http_waav_auth_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("waav_auth_method"), NULL, ngx_http_waav_auth_variable, 1,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/* --- the access phase -------------------------------------------------- */

/* WaaV's shape: {"error": "<code>", "message": "<text>"} */
static ngx_int_t
ngx_http_waav_auth_body(ngx_http_request_t *r, const char *code,
    const char *message, ngx_str_t *body)
{
    size_t      cap;
    waav_jw_t   w;
    waav_str_t  out;

    cap = 6 * (ngx_strlen(code) + ngx_strlen(message)) + 32;

    body->data = ngx_pnalloc(r->pool, cap);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    waav_jw_init(&w, (char *) body->data, cap);
    waav_jw_open(&w, NULL);
    waav_jw_cstr(&w, "error", code);
    waav_jw_cstr(&w, "message", message);
    waav_jw_close(&w);

    if (waav_jw_done(&w, &out) != 0) {
        return NGX_ERROR;
    }

    body->len = out.len;

    return NGX_OK;
}


/* a 401 says how to authenticate: "WWW-Authenticate: Bearer" */
static ngx_int_t
ngx_http_waav_auth_challenge(ngx_http_request_t *r)
{
    static ngx_str_t  www = ngx_string("WWW-Authenticate");
    static ngx_str_t  bearer = ngx_string("Bearer");

    return ngx_http_waav_add_header(r, &www, &bearer);
}


static ngx_int_t
ngx_http_waav_auth_fail(ngx_http_request_t *r, const char *code,
    const char *message)
{
    return ngx_http_waav_auth_fail_status(r,
               ngx_strcmp(code, "config_error") == 0
               ? NGX_HTTP_INTERNAL_SERVER_ERROR : NGX_HTTP_UNAUTHORIZED,
               code, message);
}


static ngx_int_t
ngx_http_waav_auth_fail_status(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message)
{
    ngx_int_t   rc;
    ngx_str_t   body;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav auth: refused: %s \"%s\" (%ui)", code, message,
                   status);

    if (ngx_http_waav_auth_body(r, code, message, &body) != NGX_OK
        || (status == NGX_HTTP_UNAUTHORIZED
            && ngx_http_waav_auth_challenge(r) != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_waav_send_json(r, status, body.data, body.len);

    /* answered here: finalize and stop the phases */
    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}



/*
 * ?token= (the WaaV SDKs' and dashboard's /ws?token=...) out of the logs:
 * the value's bytes are starred where nginx logs the request line
 * ($request, $request_uri, the error log's "request:") once r->args is a
 * copy of its own, which the auth check and anything after it read.
 * arg is the value within r->args; it is moved to the copy.
 */
static ngx_int_t
ngx_http_waav_auth_mask_query(ngx_http_request_t *r, ngx_str_t *arg)
{
    u_char  *args;
    size_t   off;

    off = arg->data - r->args.data;

    args = ngx_pnalloc(r->pool, r->args.len);
    if (args == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(args, r->args.data, r->args.len);
    r->args.data = args;

    ngx_http_waav_auth_star(&r->request_line, arg);
    ngx_http_waav_auth_star(&r->unparsed_uri, arg);

    arg->data = args + off;

    return NGX_OK;
}


/* "token=VALUE" in s, VALUE's bytes starred (all of its occurrences) */
static void
ngx_http_waav_auth_star(ngx_str_t *s, ngx_str_t *value)
{
    u_char  *p, *last;

    if (s->data == NULL || value->len == 0) {
        return;
    }

    p = s->data;
    last = s->data + s->len;

    while (p + sizeof("token=") - 1 + value->len <= last) {

        if ((p == s->data || p[-1] == '?' || p[-1] == '&')
            && ngx_strncmp(p, "token=", sizeof("token=") - 1) == 0
            && ngx_memcmp(p + sizeof("token=") - 1, value->data, value->len)
               == 0)
        {
            p += sizeof("token=") - 1;
            ngx_memset(p, '*', value->len);
            p += value->len;
            continue;
        }

        p++;
    }
}


/* the bearer token; NGX_DECLINED: none at all; NGX_ERROR: malformed */
static ngx_int_t
ngx_http_waav_auth_token(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char      *dst, *src;
    ngx_str_t    arg;
    ngx_uint_t   i;

    if (r->headers_in.authorization) {
        *token = r->headers_in.authorization->value;

        /* WaaV takes exactly "Bearer " (case-sensitive) */
        if (token->len <= 7 || ngx_strncmp(token->data, "Bearer ", 7) != 0) {
            return NGX_ERROR;
        }

        token->data += 7;
        token->len -= 7;

        for (i = 0; i < token->len; i++) {
            if (token->data[i] <= ' ' || token->data[i] >= 0x7f) {
                return NGX_ERROR;
            }
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "waav auth: token in Authorization, %uz bytes",
                       token->len);

        return NGX_OK;
    }

    if (ngx_http_arg(r, (u_char *) "token", 5, &arg) != NGX_OK
        || arg.len == 0)
    {
        return NGX_DECLINED;
    }

    if (ngx_http_waav_auth_mask_query(r, &arg) != NGX_OK) {
        return NGX_ERROR;
    }

    /* form-url-decoded, as WaaV reads it */
    token->data = ngx_pnalloc(r->pool, arg.len);
    if (token->data == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < arg.len; i++) {
        token->data[i] = (arg.data[i] == '+') ? ' ' : arg.data[i];
    }

    src = token->data;
    dst = token->data;
    ngx_unescape_uri(&dst, &src, arg.len, 0);
    token->len = dst - token->data;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav auth: token in ?token=, %uz bytes", token->len);

    return token->len ? NGX_OK : NGX_DECLINED;
}


/*
 * The cache is direct-mapped: a token has one slot (a cheap hash picks
 * it), holds the whole token (compared in constant time) and is replaced
 * by the next token that maps there.  Tokens over 1 KiB are not cached.
 */
static ngx_http_waav_token_t *
ngx_http_waav_token_slot(ngx_http_waav_main_conf_t *wmcf, ngx_str_t *token)
{
    uint32_t  h;

    if (wmcf->token_cache == NULL
        || token->len > NGX_HTTP_WAAV_CACHED_TOKEN_MAX)
    {
        return NULL;
    }

    h = ngx_murmur_hash2(token->data, token->len);

    return &wmcf->token_cache[h % (uint32_t) wmcf->token_cache_size];
}


static ngx_int_t
ngx_http_waav_auth_jwt(ngx_http_request_t *r, ngx_http_waav_main_conf_t *wmcf,
    ngx_str_t *token, ngx_http_waav_ctx_t *ctx, waav_err_t *err)
{
    time_t                  now;
    waav_jwt_claims_t       claims;
    ngx_http_waav_token_t  *t;

    now = ngx_time();
    t = ngx_http_waav_token_slot(wmcf, token);

    if (t) {
        if (t->expires > now
            && waav_token_equal((char *) token->data, token->len,
                                (char *) t->token, t->token_len))
        {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "waav auth: token from the worker's cache");

            /* the slot may be reused by another token: copy */
            ctx->tenant.data = ngx_pnalloc(r->pool, t->tenant_len);
            if (ctx->tenant.data == NULL) {
                return NGX_ERROR;
            }

            ngx_memcpy(ctx->tenant.data, t->tenant, t->tenant_len);
            ctx->tenant.len = t->tenant_len;
            ctx->auth_method = "jwt";
            return NGX_OK;
        }
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav auth: not in the worker's cache%s, verifying",
                   t ? "" : " (too long to cache)");

    if (waav_jwt_verify(&wmcf->jwt, (char *) token->data, token->len, now,
                        &claims, err)
        != 0)
    {
        return NGX_ERROR;
    }

    ctx->tenant.data = ngx_pnalloc(r->pool, claims.tenant_len);
    if (ctx->tenant.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->tenant.data, claims.tenant, claims.tenant_len);
    ctx->tenant.len = claims.tenant_len;
    ctx->auth_method = "jwt";

    if (t) {
        ngx_memcpy(t->token, token->data, token->len);
        t->token_len = token->len;
        ngx_memcpy(t->tenant, claims.tenant, claims.tenant_len);
        t->tenant_len = claims.tenant_len;

        /* until the token expires, and not for ever when it never does */
        t->expires = now + NGX_HTTP_WAAV_NOEXP_TTL;
        if (claims.exp && claims.exp < t->expires) {
            t->expires = claims.exp;
        }
    }

    return NGX_OK;
}


/* WaaV's API secrets: NGX_OK and the tenant, or NGX_DECLINED */
static ngx_int_t
ngx_http_waav_auth_secret_match(ngx_http_request_t *r,
    ngx_http_waav_main_conf_t *wmcf, ngx_str_t *token,
    ngx_http_waav_ctx_t *ctx)
{
    int                 i;
    waav_api_secret_t  *secrets;

    if (wmcf->secrets == NULL) {
        return NGX_DECLINED;
    }

    secrets = wmcf->secrets->elts;
    i = waav_api_secret_match(secrets, wmcf->secrets->nelts,
                              (char *) token->data, token->len);

    if (i < 0) {
        return NGX_DECLINED;
    }

    ctx->tenant.data = (u_char *) secrets[i].id.data;
    ctx->tenant.len = secrets[i].id.len;
    ctx->auth_method = "api_secret";
    ctx->auth_done = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav auth: api_secret, tenant \"%V\"", &ctx->tenant);

    return NGX_OK;
}


static ngx_int_t
ngx_http_waav_auth_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_str_t                   token;
    waav_err_t                  err;
    ngx_http_waav_ctx_t        *ctx;
    ngx_http_waav_loc_conf_t   *wlcf;
    ngx_http_waav_main_conf_t  *wmcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if (wlcf->auth != 1 || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_waav_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->auth_done) {
        return NGX_OK;
    }

    /* the phases again: the auth service's answer may be in */
    if (ctx->auth_call) {
        return ngx_http_waav_auth_ask(r, NULL, ctx);
    }

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);

    if (wmcf->secrets == NULL && wmcf->jwt.nkeys == 0
        && wmcf->auth_service == NULL)
    {
        return ngx_http_waav_auth_fail(r, "config_error",
                   "Auth configuration error: Authentication required but "
                   "no auth method configured");
    }

    rc = ngx_http_waav_auth_token(r, &token);

    /* /ws, as WaaV: a missing or malformed token upgrades anyway, and the
     * session asks for an auth message first */
    if (rc != NGX_OK && wlcf->ws) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "waav auth: no token, the session asks for one");
        ctx->auth_pending = 1;
        return NGX_OK;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_waav_auth_fail(r, "missing_auth_header",
                                       "Missing Authorization header");
    }

    if (rc != NGX_OK) {
        return ngx_http_waav_auth_fail(r, "invalid_auth_header",
                                       "Invalid Authorization header format");
    }

    if (token.len > WAAV_JWT_MAX_TOKEN) {
        return ngx_http_waav_auth_fail(r, "unauthorized",
                                       NGX_HTTP_WAAV_TOO_LARGE);
    }

    if (ngx_http_waav_auth_secret_match(r, wmcf, &token, ctx) == NGX_OK) {
        return NGX_OK;
    }

    if (wmcf->jwt.nkeys == 0 && wmcf->auth_service) {
        return ngx_http_waav_auth_ask(r, &token, ctx);
    }

    if (wmcf->jwt.nkeys == 0) {
        return ngx_http_waav_auth_fail(r, "unauthorized",
                                       "Unauthorized: Invalid API secret");
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav auth: no API secret matched, trying a JWT");

    /* set by a refusal; not zeroed whole: a cache hit never reads it */
    err.message[0] = '\0';

    if (ngx_http_waav_auth_jwt(r, wmcf, &token, ctx, &err) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "waav: token refused: %s", err.message);

        /* not one of our JWTs: the service may know it */
        if (wmcf->auth_service) {
            return ngx_http_waav_auth_ask(r, &token, ctx);
        }

        return ngx_http_waav_auth_fail(r, "unauthorized",
                                       err.message[0] ? err.message
                                                      : "Unauthorized");
    }

    ctx->auth_done = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav auth: jwt, tenant \"%V\"", &ctx->tenant);

    return NGX_OK;
}


/*
 * The external auth service (ngx_http_waav_auth_service.c), in the access
 * phase: asked (token), then, when the phases run again, its answer.
 */
static ngx_int_t
ngx_http_waav_auth_ask(ngx_http_request_t *r, ngx_str_t *token,
    ngx_http_waav_ctx_t *ctx)
{
    ngx_int_t                      rc;
    ngx_http_waav_auth_verdict_t   v;

    if (token) {
        rc = ngx_http_waav_auth_service_ask(r, token, r->pool, r, 0);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else {
        rc = ngx_http_waav_auth_service_verdict(r, &v);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        ctx->auth_call = NULL;

        if (rc != NGX_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "waav: token refused by the auth service: %s",
                          v.code);
            return ngx_http_waav_auth_fail_status(r, v.status, v.code,
                                                  (char *) v.message);
        }
    }

    ctx->auth_method = "auth_service";
    ctx->auth_done = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav auth: auth service, tenant \"%V\"", &ctx->tenant);

    return NGX_OK;
}


/*
 * A token sent in a /ws session's auth message, checked against the API
 * secrets as WaaV does (and the JWT keys, as waav's REST routes): NGX_OK
 * sets the request's tenant; NGX_DECLINED: no such secret (*message says
 * what to tell the client); NGX_ABORT: no secret is configured at all;
 * NGX_BUSY: none matched, the auth service is to be asked (the caller
 * does, ngx_http_waav_ws_auth.c).
 */
ngx_int_t
ngx_http_waav_auth_check(ngx_http_request_t *r, ngx_str_t *token,
    const char **message)
{
    waav_err_t                  err;
    ngx_http_waav_ctx_t        *ctx;
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_waav_module);
    ctx = ngx_http_waav_get_ctx(r);

    *message = "Invalid authentication token";

    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (wmcf->secrets == NULL && wmcf->jwt.nkeys == 0
        && wmcf->auth_service == NULL)
    {
        *message = "API secret authentication not configured";
        return NGX_ABORT;
    }

    if (token->len == 0 || token->len > WAAV_JWT_MAX_TOKEN) {
        return NGX_DECLINED;
    }

    if (ngx_http_waav_auth_secret_match(r, wmcf, token, ctx) == NGX_OK) {
        ctx->auth_pending = 0;
        return NGX_OK;
    }

    if (wmcf->jwt.nkeys == 0) {
        return wmcf->auth_service ? NGX_BUSY : NGX_DECLINED;
    }

    err.message[0] = '\0';

    if (ngx_http_waav_auth_jwt(r, wmcf, token, ctx, &err) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "waav: token refused: %s", err.message);
        return wmcf->auth_service ? NGX_BUSY : NGX_DECLINED;
    }

    ctx->auth_done = 1;
    ctx->auth_pending = 0;

    return NGX_OK;
}


/* --- tokens nginx refuses before any phase ------------------------------ */

/*
 * nginx answers a header line that does not fit in a buffer of
 * large_client_header_buffers with 400 ("Request Header Or Cookie Too
 * Large"), a request line that does not with 414, while it reads them:
 * the line is left unfinished in the buffer.  Is it a token?
 */
static ngx_flag_t
ngx_http_waav_auth_oversized(ngx_http_request_t *r)
{
    u_char     *p, *last;
    ngx_buf_t  *b;

    if (r->err_status == NGX_HTTP_REQUEST_URI_TOO_LARGE) {
        p = ngx_strlchr(r->request_line.data,
                        r->request_line.data + r->request_line.len, '?');
        last = r->request_line.data + r->request_line.len;

        for ( /* void */ ; p && last - p > 6; p++) {
            if ((*p == '?' || *p == '&')
                && ngx_strncmp(p + 1, "token=", 6) == 0)
            {
                return 1;
            }
        }

        return 0;
    }

    b = r->header_in;
    p = r->header_name_start;

    if (r->err_status != NGX_HTTP_BAD_REQUEST || b == NULL || p == NULL
        || p < b->start || b->last - p < 14)
    {
        return 0;
    }

    return ngx_strncasecmp(p, (u_char *) "authorization:", 14) == 0
           && ngx_strlchr(p, b->last, LF) == NULL;
}


/*
 * The header filter's first look at the main request: such a token gets
 * the 401 the access phase gives one over 4 KiB, with WWW-Authenticate.
 * No location is chosen yet then: waav_auth on in the server, or in any
 * of its locations, answers.
 * NGX_DECLINED: not ours.
 */
ngx_int_t
ngx_http_waav_auth_header_filter(ngx_http_request_t *r)
{
    ngx_str_t                  body;
    ngx_http_waav_ctx_t       *ctx;
    ngx_http_waav_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_waav_module);

    if ((wlcf->auth != 1 && !wlcf->auth_in_server)
        || !ngx_http_waav_auth_oversized(r))
    {
        return NGX_DECLINED;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "waav auth: refused: nginx's %ui for an oversized token",
                   r->err_status);

    ctx = ngx_http_waav_get_ctx(r);

    if (ctx == NULL
        || ngx_http_waav_auth_body(r, "unauthorized", NGX_HTTP_WAAV_TOO_LARGE,
                                   &body)
           != NGX_OK
        || ngx_http_waav_auth_challenge(r) != NGX_OK
        || ngx_http_waav_set_nosniff(r) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the error body filter sends this instead of nginx's page */
    ctx->error_body = body;
    ctx->error_json = 1;

    r->headers_out.status = NGX_HTTP_UNAUTHORIZED;
    r->err_status = NGX_HTTP_UNAUTHORIZED;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = body.len;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    return ngx_http_waav_next_header_filter(r);
}


static ngx_int_t
ngx_http_waav_auth_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_waav_ctx_t  *ctx;

    ctx = ngx_http_waav_find_ctx(r->main);

    if (ctx == NULL || !ctx->auth_done) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data == 0) {
        v->data = ctx->tenant.data;
        v->len = ctx->tenant.len;

    } else {
        v->data = (u_char *) ctx->auth_method;
        v->len = ngx_strlen(ctx->auth_method);
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* --- set-up ------------------------------------------------------------- */

ngx_int_t
ngx_http_waav_auth_add_variables(ngx_conf_t *cf)
{
    return ngx_http_waav_add_variables(cf, ngx_http_waav_auth_vars);
}


ngx_int_t
ngx_http_waav_auth_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;
    ngx_http_waav_main_conf_t  *wmcf;

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_waav_module);

    wmcf->jwt.issuer.data = (char *) wmcf->jwt_issuer.data;
    wmcf->jwt.issuer.len = wmcf->jwt_issuer.len;
    wmcf->jwt.audience.data = (char *) wmcf->jwt_audience.data;
    wmcf->jwt.audience.len = wmcf->jwt_audience.len;

    /* fail closed: waav_auth on with nothing to check a token against
     * is refused now, not answered 500 on every request */
    if (wmcf->auth_used && wmcf->secrets == NULL && wmcf->jwt.nkeys == 0
        && wmcf->auth_service == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"waav_auth on\" needs an "
                           "auth method: waav_auth_secret, "
                           "waav_auth_secrets_json, waav_auth_jwt_key, "
                           "waav_auth_jwt_jwks or waav_auth_service (an "
                           "empty env: or file: value configures none)");
        return NGX_ERROR;
    }

    if (wmcf->jwt_tenant_claim.len > 63) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "waav_auth_jwt_tenant_claim "
                           "is longer than 63 bytes");
        return NGX_ERROR;
    }

    if (wmcf->jwt_tenant_claim.len) {
        wmcf->jwt.tenant_claim.data = (char *) wmcf->jwt_tenant_claim.data;
        wmcf->jwt.tenant_claim.len = wmcf->jwt_tenant_claim.len;

    } else {
        wmcf->jwt.tenant_claim.data = "sub";
        wmcf->jwt.tenant_claim.len = 3;
    }

    wmcf->jwt.leeway = (wmcf->jwt_leeway == NGX_CONF_UNSET)
                       ? 30 : (long) wmcf->jwt_leeway;

    if (wmcf->token_cache_size == NGX_CONF_UNSET) {
        wmcf->token_cache_size = 1024;
    }

    /* one table per configuration, copied into each worker on fork */
    if (wmcf->jwt.nkeys && wmcf->token_cache_size > 0) {
        wmcf->token_cache = ngx_pcalloc(cf->pool,
                                        (size_t) wmcf->token_cache_size
                                        * sizeof(ngx_http_waav_token_t));
        if (wmcf->token_cache == NULL) {
            return NGX_ERROR;
        }
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_waav_auth_handler;

    return NGX_OK;
}
