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


/* --- the credentials hook: an API key, or a service account's file ----- */

static const waav_cred_t  waav_google_sa_cred;


/* a key that is a JSON object is a service account's file */
static const waav_cred_t *
waav_google_pick(const waav_cred_t *cred, waav_str_t key)
{
    size_t  i;

    for (i = 0; i < key.len; i++) {
        if (key.data[i] != ' ' && key.data[i] != '\t'
            && key.data[i] != '\r' && key.data[i] != '\n')
        {
            return (key.data[i] == '{') ? &waav_google_sa_cred : cred;
        }
    }

    return cred;
}


/* the token request, the assertion signed now; the file was checked when
 * the configuration was read, so a failure here is waav's own (500) */
static int
waav_google_exchange(const waav_cred_t *cred, const waav_secret_t *secret,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err)
{
    waav_google_sa_t  sa;

    (void) cred;

    if (waav_google_sa_parse(secret->key.data, secret->key.len, &sa, a, err)
        != 0
        || waav_google_token_request(&sa, secret->now, out, a, err) != 0)
    {
        err->status = 500;
        err->code = WAAV_E_INTERNAL;
        return -1;
    }

    return waav_http_add_header(out, "Accept", "application/json",
                                sizeof("application/json") - 1, err);
}


static int
waav_google_exchanged(const waav_cred_t *cred, const waav_secret_t *secret,
    const char *body, size_t len, waav_str_t *token, unsigned *ttl,
    waav_alloc_t *a, waav_err_t *err)
{
    (void) cred;
    (void) secret;

    return waav_cred_oauth(body, len, WAAV_GOOGLE_ASSERTION_TTL, token, ttl,
                           a, err);
}


/* memory for one check, from one malloc: nothing freed piecemeal */
typedef struct {
    char    *next;
    size_t   left;
} waav_google_bump_t;


static void *
waav_google_bump(void *data, size_t size)
{
    char                *p;
    waav_google_bump_t  *b = data;

    size = (size + 15) & ~(size_t) 15;

    if (size > b->left) {
        return NULL;
    }

    p = b->next;
    b->next += size;
    b->left -= size;

    return p;
}


/* when the configuration is read: a file that parses, with a key that
 * signs */
static int
waav_google_key_ok(waav_str_t key)
{
    int                 ok;
    char               *mem;
    size_t              cap;
    waav_err_t          err;
    waav_str_t          jwt;
    waav_alloc_t        a;
    waav_google_sa_t    sa;
    waav_google_bump_t  b;

    if (key.len > WAAV_GOOGLE_SA_MAX) {
        return 0;
    }

    /* cJSON's nodes, the copies, the assertion: a few times the file */
    cap = 16 * key.len + 65536;
    mem = malloc(cap);
    if (mem == NULL) {
        return 0;
    }

    b.next = mem;
    b.left = cap;
    a.alloc = waav_google_bump;
    a.data = &b;

    ok = waav_google_sa_parse(key.data, key.len, &sa, &a, &err) == 0
         && waav_google_assertion(&sa, time(NULL), &jwt, &a, &err) == 0;

    free(mem);

    return ok;
}


static const waav_cred_t  waav_google_sa_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Authorization",
    .prefix = "Bearer ",
    .exchange = waav_google_exchange,
    .exchanged = waav_google_exchanged,
    .key_ok = waav_google_key_ok,
};

const waav_cred_t  waav_google_key_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "X-Goog-Api-Key",
    .prefix = "",
};

const waav_cred_t  waav_google_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "X-Goog-Api-Key",
    .prefix = "",
    .pick = waav_google_pick,
};
