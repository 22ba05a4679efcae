/*
 * waav: how a provider request carries the provider's credentials.
 *
 * Every adapter names a waav_cred_t; the core applies it to each request
 * the adapter builds (waav_cred_apply), so adapters never handle keys.
 * Today's providers take a static key, in a header (Deepgram's
 * "Authorization: Token <key>", ElevenLabs' "xi-api-key") or in the query
 * (Cartesia's STT "?api_key=").  The hooks below are the interface for the
 * providers that need more:
 *
 *   - a token exchange (Google's service account -> OAuth2 bearer, Azure's
 *     issueToken, IBM's IAM): exchange() builds the request that turns the
 *     key into a token, exchanged() reads the answer (token and lifetime).
 *     The glue makes that call, keeps the token until it expires (shared
 *     memory, so every worker uses one) and passes it in secret->token;
 *     the token is then sent where the key would be;
 *   - a signature over the finished request (AWS SigV4): sign() runs last,
 *     on the method, path, query, headers and body as they will be sent.
 */

#ifndef WAAV_CRED_H
#define WAAV_CRED_H

#include <stddef.h>
#include <time.h>

#include "waav_alloc.h"
#include "waav_http.h"

typedef enum {
    WAAV_CRED_HEADER = 0,           /* name: prefix + value */
    WAAV_CRED_QUERY                 /* name=value in the query */
} waav_cred_place_e;

/* a provider's secret material, as configured and as exchanged */
typedef struct {
    waav_str_t   key;               /* waav_provider key=; empty: none */
    waav_str_t   token;             /* from exchange(), while it lasts */
    time_t       now;
} waav_secret_t;

typedef struct waav_cred_s  waav_cred_t;

struct waav_cred_s {
    waav_cred_place_e  place;
    const char        *name;        /* header or query parameter */
    const char        *prefix;      /* "Token ", "Bearer ", "" */

    /* NULL: the key is sent as it is */
    int              (*exchange)(const waav_cred_t *cred,
                                 const waav_secret_t *secret,
                                 waav_http_req_t *out, waav_alloc_t *a,
                                 waav_err_t *err);
    int              (*exchanged)(const waav_cred_t *cred, const char *body,
                                  size_t len, waav_str_t *token,
                                  unsigned *ttl, waav_alloc_t *a,
                                  waav_err_t *err);

    /* NULL: no signature */
    int              (*sign)(const waav_cred_t *cred,
                             const waav_secret_t *secret,
                             waav_http_req_t *req, waav_alloc_t *a,
                             waav_err_t *err);
};

/*
 * Adds the credentials to a built request: the token when the scheme
 * exchanges one (500 when there is none yet), else the key; nothing when
 * that is empty (a provider usable without a key); then the signature.
 */
int waav_cred_apply(const waav_cred_t *cred, const waav_secret_t *secret,
    waav_http_req_t *req, waav_alloc_t *a, waav_err_t *err);

#endif /* WAAV_CRED_H */
