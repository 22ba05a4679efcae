/*
 * waav: how a provider request carries the provider's credentials.
 *
 * Every adapter names a waav_cred_t; the core applies it to each request
 * the adapter builds (waav_cred_apply), so adapters never handle keys.
 * Most providers take the key as it is, in a header (Deepgram's
 * "Authorization: Token <key>", ElevenLabs' "xi-api-key", Google's
 * "X-Goog-Api-Key"); WAAV_CRED_QUERY puts it in the query instead.  The
 * hooks are for the providers that need more:
 *
 *   - a token exchange (Azure's issueToken, in src/core/tts/
 *     waav_tts_azure.c; Google's service accounts and IBM's IAM would be
 *     next): exchange() builds the request that turns the key into a
 *     token, exchanged() reads the answer (token and lifetime).  The nginx
 *     glue (src/ngx_http_waav_cred.c) sends that request to the provider's
 *     token location, keeps the token in shared memory (every worker uses
 *     one), refreshes it ahead of expiry and passes it in secret->token;
 *     the token is then sent where the key would be;
 *   - a signature over the finished request (AWS SigV4): sign() runs last,
 *     on the method, path, query, headers and body as they will be sent
 *     (AWS Polly's SigV4, src/core/waav_sigv4.c).
 */

#ifndef WAAV_CRED_H
#define WAAV_CRED_H

#include <stddef.h>
#include <time.h>

#include "waav_alloc.h"
#include "waav_http.h"

/* the largest token kept; a larger answer is refused */
#define WAAV_CRED_TOKEN_MAX  8192

typedef enum {
    WAAV_CRED_HEADER = 0,           /* name: prefix + value */
    WAAV_CRED_QUERY                 /* name=value in the query */
} waav_cred_place_e;

/* a provider's secret material, as configured and as exchanged */
typedef struct {
    waav_str_t   key;               /* waav_provider key=; empty: none */
    waav_str_t   token;             /* from exchange(), while it lasts */
    time_t       now;

    /* for a scheme that signs (AWS SigV4, waav_sigv4.h): where the
     * provider's location sends the request, from its configuration */
    waav_str_t   host;              /* the Host header it sends */
    waav_str_t   base_path;         /* its base URL's path, "" or "/x" */
    waav_str_t   region;
} waav_secret_t;

typedef struct waav_cred_s  waav_cred_t;

struct waav_cred_s {
    waav_cred_place_e  place;
    const char        *name;        /* header or query parameter; NULL:
                                     * the key is not sent (sign() uses
                                     * it) */
    const char        *prefix;      /* "Token ", "Bearer ", "" */

    /* NULL: the key is sent as it is */
    int              (*exchange)(const waav_cred_t *cred,
                                 const waav_secret_t *secret,
                                 waav_http_req_t *out, waav_alloc_t *a,
                                 waav_err_t *err);
    /* the token (at most WAAV_CRED_TOKEN_MAX bytes, visible ASCII: it
     * goes into a header) and its lifetime in seconds, from a 2xx answer;
     * -1 with err set when the answer is not one */
    int              (*exchanged)(const waav_cred_t *cred,
                                  const waav_secret_t *secret,
                                  const char *body, size_t len,
                                  waav_str_t *token, unsigned *ttl,
                                  waav_alloc_t *a, waav_err_t *err);

    /* a key this scheme can use (checked when the configuration is
     * read); NULL: any */
    int              (*key_ok)(waav_str_t key);

    /* NULL: no signature */
    int              (*sign)(const waav_cred_t *cred,
                             const waav_secret_t *secret,
                             waav_http_req_t *req, waav_alloc_t *a,
                             waav_err_t *err);

    /* a key made of two, "USER_ID:API_KEY" (Play.ht's X-USER-ID and
     * AUTHORIZATION): the part before the first ':' is sent in this
     * header, the rest as the key; NULL: the key is one */
    const char        *user_name;

    /* a scheme chosen by the key's shape (Google's: an API key is sent
     * as it is, a service account's JSON file is exchanged for tokens):
     * the scheme for this key; NULL: this one, whatever the key */
    const waav_cred_t *(*pick)(const waav_cred_t *cred, waav_str_t key);
};


/* the scheme a key takes with cred (its pick()): cred itself mostly */
const waav_cred_t *waav_cred_for(const waav_cred_t *cred, waav_str_t key);

/*
 * Adds the credentials to a built request, with the scheme the key takes
 * (waav_cred_for): the token when the scheme
 * exchanges one (500 when there is none yet), else the key (split in two
 * with user_name: 400 when it is not USER_ID:API_KEY); nothing when that
 * is empty (a provider usable without a key); then the signature.
 */
int waav_cred_apply(const waav_cred_t *cred, const waav_secret_t *secret,
    waav_http_req_t *req, waav_alloc_t *a, waav_err_t *err);

/*
 * A token that is a JWT (three base64url parts): 0 with *ttl the seconds
 * its "exp" leaves after secret->now, at most max (max too when it has no
 * "exp"); -1 with err set (502 PROVIDER_AUTH_FAILED) when it is not a JWT,
 * or has expired.  The token's bytes must be visible ASCII.
 */
int waav_cred_jwt_ttl(const char *token, size_t len, time_t now,
    unsigned max, unsigned *ttl, waav_alloc_t *a, waav_err_t *err);

/*
 * An OAuth2 token endpoint's 2xx answer (RFC 6749 5.1: IBM's IAM,
 * Google's): {"access_token", "token_type": "Bearer", "expires_in"} into
 * the token (visible ASCII, at most WAAV_CRED_TOKEN_MAX bytes; it points
 * into memory from a) and its lifetime, at most max seconds; -1 with err
 * set (502 PROVIDER_AUTH_FAILED) for any other answer.
 */
int waav_cred_oauth(const char *body, size_t len, unsigned max,
    waav_str_t *token, unsigned *ttl, waav_alloc_t *a, waav_err_t *err);

#endif /* WAAV_CRED_H */
