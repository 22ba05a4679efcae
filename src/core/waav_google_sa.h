/*
 * waav: Google service-account credentials (GOOGLE_APPLICATION_CREDENTIALS)
 * for OAuth2 access tokens, the pure part: the JSON file read into its
 * fields, the RS256 JWT assertion signed with its key (libjwt), the token
 * request (RFC 7523) that carries it.  The answer is an OAuth2 token
 * answer (waav_cred_oauth).  The private key is never logged nor put in
 * an error message.  Pure C.
 *
 *   POST <token_uri>    (https://oauth2.googleapis.com/token)
 *   Content-Type: application/x-www-form-urlencoded
 *   grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer
 *   &assertion=<header>.<claims>.<RS256 signature>
 *
 * claims: {"iss": client_email, "scope":
 * "https://www.googleapis.com/auth/cloud-platform", "aud": token_uri,
 * "iat": now, "exp": now + 3600}.
 */

#ifndef WAAV_GOOGLE_SA_H
#define WAAV_GOOGLE_SA_H

#include <stddef.h>
#include <time.h>

#include "waav_alloc.h"
#include "waav_cred.h"
#include "waav_http.h"

#define WAAV_GOOGLE_SA_MAX       (64 * 1024)    /* the file, at most */
#define WAAV_GOOGLE_SCOPE        "https://www.googleapis.com/auth/cloud-platform"
#define WAAV_GOOGLE_TOKEN_URI    "https://oauth2.googleapis.com/token"
#define WAAV_GOOGLE_ASSERTION_TTL  3600

typedef struct {
    waav_str_t   client_email;
    waav_str_t   private_key;       /* PEM, NUL-terminated */
    waav_str_t   token_uri;
    waav_str_t   token_path;        /* token_uri's path: "/token" */
} waav_google_sa_t;

/*
 * A service-account file's JSON into sa (strings from a): "type"
 * "service_account", client_email, a PEM private_key, token_uri (an
 * http(s) URL; Google's when absent).  0, or -1 with err set (400, a
 * message that quotes none of the file).
 */
int waav_google_sa_parse(const char *json, size_t len, waav_google_sa_t *sa,
    waav_alloc_t *a, waav_err_t *err);

/* the signed assertion for now, from a; -1 with err set (500) when the key
 * does not sign */
int waav_google_assertion(const waav_google_sa_t *sa, time_t now,
    waav_str_t *out, waav_alloc_t *a, waav_err_t *err);

/* the token request: POST token_path, the form with the assertion */
int waav_google_token_request(const waav_google_sa_t *sa, time_t now,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err);

/*
 * Google's credentials (waav_cred.h), for every Google adapter: the key is
 * an API key (X-Goog-Api-Key: <key>) or, when it is a JSON object, a
 * service account's file (key=file:$GOOGLE_APPLICATION_CREDENTIALS),
 * exchanged at its token_uri for an access token (Authorization: Bearer
 * <token>).  The file is checked when the configuration is read: it must
 * parse and its key must sign.  waav_google_key_cred takes an API key
 * only (a client's own key).
 */
extern const waav_cred_t  waav_google_cred;
extern const waav_cred_t  waav_google_key_cred;

#endif /* WAAV_GOOGLE_SA_H */
