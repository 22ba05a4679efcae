/*
 * waav: WaaV's external auth service, its wire format (see the header).
 */

#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <strings.h>

#include <jwt.h>
#include <cjson/cJSON.h>

#include "waav_auth_svc.h"
#include "waav_json.h"
#include "waav_jw.h"


static int
waav_auth_svc_prefix(waav_str_t s, const char *p)
{
    size_t  n;

    n = strlen(p);

    return s.len >= n && strncasecmp(s.data, p, n) == 0;
}


static int
waav_auth_svc_is(waav_str_t s, const char *p)
{
    return s.len == strlen(p) && strncasecmp(s.data, p, s.len) == 0;
}


int
waav_auth_svc_header_sent(waav_str_t name, waav_str_t value)
{
    size_t         i;
    unsigned char  c;

    if (name.len == 0
        || waav_auth_svc_is(name, "authorization")
        || waav_auth_svc_is(name, "cookie")
        || waav_auth_svc_is(name, "host")
        || waav_auth_svc_is(name, "x-real-ip")
        || waav_auth_svc_prefix(name, "x-forwarded-")
        || waav_auth_svc_prefix(name, "x-waav-"))
    {
        return 0;
    }

    /* what http's HeaderValue::to_str() takes */
    for (i = 0; i < value.len; i++) {
        c = (unsigned char) value.data[i];

        if ((c < 0x20 && c != '\t') || c >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


/* a header sent once, by its last occurrence (WaaV collects a map) */
static int
waav_auth_svc_last(const waav_auth_svc_req_t *req, size_t i)
{
    size_t  j;

    for (j = i + 1; j < req->nheaders; j++) {
        if (req->headers[j].name.len == req->headers[i].name.len
            && strncasecmp(req->headers[j].name.data,
                           req->headers[i].name.data,
                           req->headers[i].name.len) == 0
            && waav_auth_svc_header_sent(req->headers[j].name,
                                         req->headers[j].value))
        {
            return 0;
        }
    }

    return 1;
}


char *
waav_auth_svc_claims(const waav_auth_svc_req_t *req, waav_alloc_t *a,
    size_t *len)
{
    char         name[256];
    size_t       i, j, cap, n;
    waav_jw_t    w;
    waav_str_t   out;
    waav_err_t   err;

    cap = 256 + 6 * (req->token.len + req->path.len + req->method.len);

    for (i = 0; i < req->nheaders; i++) {
        cap += 6 * (req->headers[i].name.len + req->headers[i].value.len)
               + 8;
    }

    if (waav_jw_alloc(&w, cap, a, &err) != 0) {
        return NULL;
    }

    waav_jw_open(&w, NULL);
    waav_jw_cstr(&w, "sub", "waav-auth");
    waav_jw_int(&w, "iat", req->now);
    waav_jw_int(&w, "exp", req->now + WAAV_AUTH_SVC_EXP);
    waav_jw_open(&w, "auth_data");
    waav_jw_str(&w, "token", req->token.data, req->token.len);
    /* waav does not read the body before authenticating (an upload may
     * be 25 MB): WaaV's value for a body it cannot parse */
    waav_jw_open(&w, "request_body");
    waav_jw_close(&w);
    waav_jw_open(&w, "request_headers");

    for (i = 0, n = 0;
         i < req->nheaders && n < WAAV_AUTH_SVC_MAX_HEADERS;
         i++)
    {
        if (req->headers[i].name.len >= sizeof(name)
            || !waav_auth_svc_header_sent(req->headers[i].name,
                                          req->headers[i].value)
            || !waav_auth_svc_last(req, i))
        {
            continue;
        }

        /* names lower-cased, as WaaV sends them */
        for (j = 0; j < req->headers[i].name.len; j++) {
            name[j] = (char) tolower((unsigned char)
                                     req->headers[i].name.data[j]);
        }

        name[j] = '\0';

        waav_jw_str(&w, name, req->headers[i].value.data,
                    req->headers[i].value.len);
        n++;
    }

    waav_jw_close(&w);
    waav_jw_str(&w, "request_path", req->path.data, req->path.len);
    waav_jw_str(&w, "request_method", req->method.data, req->method.len);
    waav_jw_close(&w);
    waav_jw_close(&w);

    if (waav_jw_done(&w, &out) != 0) {
        return NULL;
    }

    *len = out.len;

    return (char *) out.data;
}


int
waav_auth_svc_sign(const waav_auth_svc_req_t *req, waav_auth_svc_alg_e alg,
    waav_str_t pem, waav_alloc_t *a, waav_str_t *out, waav_err_t *err)
{
    int      rc;
    char    *claims, *tok;
    size_t   len;
    jwt_t   *jwt;

    claims = waav_auth_svc_claims(req, a, &len);
    if (claims == NULL) {
        return waav_err_nomem(err);
    }

    jwt = NULL;
    tok = NULL;

    /* libjwt writes the header {"alg": ..., "typ": "JWT"}, as
     * jsonwebtoken's Header::new does */
    rc = jwt_new(&jwt)
         || jwt_add_grants_json(jwt, claims)
         || jwt_set_alg(jwt, alg == WAAV_AUTH_SVC_ES256 ? JWT_ALG_ES256
                                                        : JWT_ALG_RS256,
                        (const unsigned char *) pem.data, (int) pem.len);

    if (rc == 0) {
        tok = jwt_encode_str(jwt);
    }

    jwt_free(jwt);

    if (tok == NULL) {
        return waav_err_set(err, 500, "jwt_signing_error",
                            "JWT signing error: Failed to encode JWT");
    }

    out->len = strlen(tok);
    out->data = waav_alloc(a, out->len + 1);

    if (out->data) {
        memcpy((char *) out->data, tok, out->len + 1);
    }

    free(tok);

    return out->data ? 0 : waav_err_nomem(err);
}


int
waav_auth_svc_answer(const char *body, size_t len, waav_alloc_t *a,
    waav_str_t *id)
{
    size_t       i, n;
    cJSON       *root, *v;
    waav_err_t   err;

    id->data = NULL;
    id->len = 0;

    if (len == 0 || len > WAAV_AUTH_SVC_ANSWER_MAX) {
        return 0;
    }

    /* a duplicate id is no id WaaV and waav would read alike */
    root = waav_json_parse(body, len, WAAV_JSON_CLIENT, a, &err);

    if (root == NULL || !cJSON_IsObject(root)) {
        return 0;
    }

    v = cJSON_GetObjectItemCaseSensitive(root, "id");

    if (v == NULL || cJSON_IsNull(v)) {
        return 0;
    }

    if (!cJSON_IsString(v) || v->valuestring == NULL) {
        return -1;
    }

    n = strlen(v->valuestring);

    if (n == 0 || n > WAAV_AUTH_SVC_ID_MAX) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if ((unsigned char) v->valuestring[i] < 0x20
            || v->valuestring[i] == 0x7f)
        {
            return -1;
        }
    }

    id->data = v->valuestring;
    id->len = n;

    return 1;
}
