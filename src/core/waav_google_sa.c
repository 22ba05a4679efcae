/*
 * waav: Google service-account credentials (see waav_google_sa.h).
 */

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jwt.h>

#include "waav_google_sa.h"
#include "waav_json.h"


static int
waav_google_sa_bad(waav_err_t *err, const char *why)
{
    return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                        "the service-account file %s", why);
}


/* a string member, copied NUL-terminated; 0 when missing or empty */
static int
waav_google_sa_str(const cJSON *root, const char *name, waav_str_t *out,
    waav_alloc_t *a)
{
    char         *p;
    size_t        len;
    const cJSON  *it;

    it = cJSON_GetObjectItemCaseSensitive(root, name);

    if (!cJSON_IsString(it) || it->valuestring[0] == '\0') {
        return 0;
    }

    len = strlen(it->valuestring);
    p = waav_alloc(a, len + 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p, it->valuestring, len + 1);
    out->data = p;
    out->len = len;

    return 1;
}


/* "https://host[:port]/path": the path, or NULL */
static const char *
waav_google_sa_path(waav_str_t uri)
{
    const char  *p, *rest;

    if (uri.len > 8 && memcmp(uri.data, "https://", 8) == 0) {
        rest = uri.data + 8;

    } else if (uri.len > 7 && memcmp(uri.data, "http://", 7) == 0) {
        rest = uri.data + 7;

    } else {
        return NULL;
    }

    p = strchr(rest, '/');

    return (p && p > rest) ? p : NULL;
}


int
waav_google_sa_parse(const char *json, size_t len, waav_google_sa_t *sa,
    waav_alloc_t *a, waav_err_t *err)
{
    size_t        i;
    cJSON        *root;
    const char   *path;
    const cJSON  *type;

    memset(sa, 0, sizeof(waav_google_sa_t));

    if (len > WAAV_GOOGLE_SA_MAX) {
        return waav_google_sa_bad(err, "is over 64 KiB");
    }

    root = waav_json_parse(json, len, WAAV_JSON_CLIENT, a, err);

    if (root == NULL || !cJSON_IsObject(root)) {
        return waav_google_sa_bad(err, "is not a JSON object");
    }

    type = cJSON_GetObjectItemCaseSensitive(root, "type");

    if (!cJSON_IsString(type)
        || strcmp(type->valuestring, "service_account") != 0)
    {
        return waav_google_sa_bad(err, "is not a service account's "
                                  "(\"type\": \"service_account\")");
    }

    if (!waav_google_sa_str(root, "client_email", &sa->client_email, a)) {
        return waav_google_sa_bad(err, "has no client_email");
    }

    for (i = 0; i < sa->client_email.len; i++) {
        if (sa->client_email.data[i] <= 0x20
            || sa->client_email.data[i] >= 0x7f)
        {
            return waav_google_sa_bad(err, "has a bad client_email");
        }
    }

    if (!waav_google_sa_str(root, "private_key", &sa->private_key, a)
        || strncmp(sa->private_key.data, "-----BEGIN ", 11) != 0)
    {
        return waav_google_sa_bad(err, "has no PEM private_key");
    }

    if (!waav_google_sa_str(root, "token_uri", &sa->token_uri, a)) {
        sa->token_uri = (waav_str_t) waav_str_lit(WAAV_GOOGLE_TOKEN_URI);
    }

    path = waav_google_sa_path(sa->token_uri);

    if (path == NULL || !waav_utf8_valid(sa->token_uri.data,
                                         sa->token_uri.len))
    {
        return waav_google_sa_bad(err, "has a token_uri that is no http(s) "
                                  "URL");
    }

    for (i = 0; path[i]; i++) {
        if ((unsigned char) path[i] <= 0x20 || path[i] == '?'
            || path[i] == '#' || (unsigned char) path[i] >= 0x7f)
        {
            return waav_google_sa_bad(err, "has a bad token_uri path");
        }
    }

    sa->token_path.data = path;
    sa->token_path.len = i;

    return 0;
}


int
waav_google_assertion(const waav_google_sa_t *sa, time_t now,
    waav_str_t *out, waav_alloc_t *a, waav_err_t *err)
{
    int     rc;
    char   *s, *p;
    jwt_t  *jwt;
    size_t  len;

    if (jwt_new(&jwt) != 0) {
        return waav_err_nomem(err);
    }

    rc = jwt_set_alg(jwt, JWT_ALG_RS256,
                     (const unsigned char *) sa->private_key.data,
                     (int) sa->private_key.len)
         || jwt_add_grant(jwt, "iss", sa->client_email.data)
         || jwt_add_grant(jwt, "scope", WAAV_GOOGLE_SCOPE)
         || jwt_add_grant(jwt, "aud", sa->token_uri.data)
         || jwt_add_grant_int(jwt, "iat", (long) now)
         || jwt_add_grant_int(jwt, "exp",
                              (long) now + WAAV_GOOGLE_ASSERTION_TTL);

    s = (rc == 0) ? jwt_encode_str(jwt) : NULL;
    jwt_free(jwt);

    /* the key's own words stay out of the message */
    if (s == NULL) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL,
                            "the service account's private_key does not "
                            "sign (RS256)");
    }

    len = strlen(s);
    p = waav_alloc(a, len + 1);

    if (p) {
        memcpy(p, s, len + 1);
    }

    free(s);

    if (p == NULL) {
        return waav_err_nomem(err);
    }

    out->data = p;
    out->len = len;

    return 0;
}


int
waav_google_token_request(const waav_google_sa_t *sa, time_t now,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t       assertion;
    waav_http_req_t  form;

    memset(out, 0, sizeof(waav_http_req_t));
    memset(&form, 0, sizeof(waav_http_req_t));

    if (waav_google_assertion(sa, now, &assertion, a, err) != 0) {
        return -1;
    }

    out->method = "POST";
    out->path = sa->token_path;

    /* the form's fields, percent-encoded as a query's are */
    if (waav_http_add_arg(&form, "grant_type",
                          (waav_str_t)
                          waav_str_lit("urn:ietf:params:oauth:grant-type:"
                                       "jwt-bearer"), a, err)
        != 0
        || waav_http_add_arg(&form, "assertion", assertion, a, err) != 0
        || waav_http_add_header(out, "Content-Type",
                                "application/x-www-form-urlencoded",
                                sizeof("application/x-www-form-urlencoded")
                                - 1, err)
           != 0)
    {
        return -1;
    }

    out->body = form.args;

    return 0;
}
