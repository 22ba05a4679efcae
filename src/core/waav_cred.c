/*
 * waav: provider credentials (see waav_cred.h).
 */

#include <math.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "waav_base64.h"
#include "waav_cred.h"
#include "waav_json.h"


/* "USER_ID:API_KEY": the user id into cred->user_name, *value the rest */
static int
waav_cred_user(const waav_cred_t *cred, waav_str_t *value,
    waav_http_req_t *req, waav_err_t *err)
{
    const char  *colon;

    colon = memchr(value->data, ':', value->len);

    if (colon == NULL || colon == value->data
        || colon + 1 == value->data + value->len)
    {
        /* never the key itself in the message */
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "this provider's key is two: USER_ID:API_KEY "
                            "(the %s, a colon, the key)", cred->user_name);
    }

    if (waav_http_add_header(req, cred->user_name, value->data,
                             (size_t) (colon - value->data), err)
        != 0)
    {
        return -1;
    }

    value->len -= (size_t) (colon + 1 - value->data);
    value->data = (char *) colon + 1;

    return 0;
}


const waav_cred_t *
waav_cred_for(const waav_cred_t *cred, waav_str_t key)
{
    return (cred && cred->pick) ? cred->pick(cred, key) : cred;
}


int
waav_cred_apply(const waav_cred_t *cred, const waav_secret_t *secret,
    waav_http_req_t *req, waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t  value;
    int         rc;

    cred = waav_cred_for(cred, secret->key);

    if (cred == NULL) {
        return 0;
    }

    value = secret->key;

    if (cred->exchange) {
        if (secret->token.len == 0) {
            return waav_err_set(err, 500, WAAV_E_INTERNAL,
                                "no provider token yet");
        }

        value = secret->token;
    }

    rc = 0;

    if (value.len && cred->user_name
        && waav_cred_user(cred, &value, req, err) != 0)
    {
        return -1;
    }

    /* no name: sign() alone carries the key (IBM's Basic apikey:<key>) */
    if (value.len && cred->name) {
        rc = (cred->place == WAAV_CRED_QUERY)
             ? waav_http_add_arg(req, cred->name, value, a, err)
             : waav_http_prefixed(req, cred->name,
                                  cred->prefix ? cred->prefix : "", value, a,
                                  err);
    }

    if (rc == 0 && cred->sign) {
        rc = cred->sign(cred, secret, req, a, err);
    }

    return rc;
}


static int
waav_cred_bad_token(waav_err_t *err, const char *why)
{
    return waav_err_set(err, 502, WAAV_E_PROVIDER_AUTH_FAILED,
                        "the provider's token exchange answered %s", why);
}


int
waav_cred_jwt_ttl(const char *token, size_t len, time_t now, unsigned max,
    unsigned *ttl, waav_alloc_t *a, waav_err_t *err)
{
    long            n;
    size_t          i, dot1, dot2, dots;
    double          exp;
    cJSON          *claims, *item;
    unsigned char  *buf;

    dot1 = dot2 = dots = 0;

    for (i = 0; i < len; i++) {
        if (token[i] == '.') {
            if (dots == 0) {
                dot1 = i;

            } else {
                dot2 = i;
            }

            dots++;

        } else if (waav_base64_digit((unsigned char) token[i],
                                     WAAV_BASE64_URL) < 0)
        {
            return waav_cred_bad_token(err, "a token that is not a JWT");
        }
    }

    if (dots != 2 || dot1 == 0 || dot2 == dot1 + 1 || dot2 + 1 == len) {
        return waav_cred_bad_token(err, "a token that is not a JWT");
    }

    /* the claims: base64url of at most 3/4 of their length */
    buf = waav_alloc(a, dot2 - dot1);
    if (buf == NULL) {
        return waav_err_nomem(err);
    }

    n = waav_b64url_decode(token + dot1 + 1, dot2 - dot1 - 1, buf,
                           dot2 - dot1);

    claims = (n > 0) ? waav_json_parse((char *) buf, (size_t) n,
                                       WAAV_JSON_NO_NUL|WAAV_JSON_WHOLE, a,
                                       err)
                     : NULL;

    if (claims == NULL || !cJSON_IsObject(claims)) {
        return waav_cred_bad_token(err, "a JWT without JSON claims");
    }

    *ttl = max;
    item = cJSON_GetObjectItemCaseSensitive(claims, "exp");

    if (item == NULL) {
        return 0;
    }

    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
        return waav_cred_bad_token(err, "a JWT whose exp is not a number");
    }

    exp = item->valuedouble;

    if (exp <= (double) now) {
        return waav_cred_bad_token(err, "a JWT that has expired");
    }

    if (exp - (double) now < (double) max) {
        *ttl = (unsigned) (exp - (double) now);
    }

    return 0;
}


int
waav_cred_oauth(const char *body, size_t len, unsigned max,
    waav_str_t *token, unsigned *ttl, waav_alloc_t *a, waav_err_t *err)
{
    size_t        i;
    double        exp;
    cJSON        *root;
    const cJSON  *tok, *type, *in;

    root = waav_json_parse(body, len, WAAV_JSON_NO_NUL|WAAV_JSON_WHOLE, a,
                           err);

    if (root == NULL || !cJSON_IsObject(root)) {
        return waav_cred_bad_token(err, "no JSON object");
    }

    tok = cJSON_GetObjectItemCaseSensitive(root, "access_token");
    type = cJSON_GetObjectItemCaseSensitive(root, "token_type");
    in = cJSON_GetObjectItemCaseSensitive(root, "expires_in");

    if (!cJSON_IsString(tok) || tok->valuestring[0] == '\0') {
        return waav_cred_bad_token(err, "no access_token");
    }

    /* a bearer token, or none said (the type is case-insensitive) */
    if (type && !(cJSON_IsString(type)
                  && strcasecmp(type->valuestring, "Bearer") == 0))
    {
        return waav_cred_bad_token(err, "a token that is not a Bearer one");
    }

    if (!cJSON_IsNumber(in) || !isfinite(in->valuedouble)
        || in->valuedouble < 1)
    {
        return waav_cred_bad_token(err, "no expires_in");
    }

    token->data = tok->valuestring;
    token->len = strlen(tok->valuestring);

    if (token->len > WAAV_CRED_TOKEN_MAX) {
        return waav_cred_bad_token(err, "a token over 8192 bytes");
    }

    /* it goes into a header: visible ASCII only */
    for (i = 0; i < token->len; i++) {
        if (token->data[i] <= 0x20 || token->data[i] >= 0x7f) {
            return waav_cred_bad_token(err, "a token that no header carries");
        }
    }

    exp = in->valuedouble;
    *ttl = (exp < (double) max) ? (unsigned) exp : max;

    return 0;
}
