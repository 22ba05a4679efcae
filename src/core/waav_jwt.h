/*
 * waav: bearer-token checks, provider-neutral and free of nginx types.
 *
 * API secrets (WaaV's mode 1): constant-time comparison against a list of
 * {id, secret}.  JWTs: structure, header and claims are checked here; the
 * signature by libjwt with a key chosen here (by kid and by algorithm, so a
 * token can never pick how its own key is used).
 */

#ifndef WAAV_JWT_H
#define WAAV_JWT_H

#include <stddef.h>
#include <time.h>

#include "waav_alloc.h"

#define WAAV_JWT_MAX_TOKEN   4096
#define WAAV_JWT_MAX_KEYS    32
#define WAAV_TENANT_MAX      256

typedef enum {
    WAAV_JWT_HS256 = 1,
    WAAV_JWT_RS256,
    WAAV_JWT_ES256
} waav_jwt_alg_e;

typedef struct {
    waav_jwt_alg_e   alg;
    waav_str_t       kid;           /* empty: no kid */
    waav_str_t       key;           /* HS256: the secret; RS/ES256: PEM */
} waav_jwt_key_t;

typedef struct {
    waav_jwt_key_t   keys[WAAV_JWT_MAX_KEYS];
    size_t           nkeys;
    waav_str_t       issuer;        /* empty: not checked */
    waav_str_t       audience;      /* empty: not checked */
    waav_str_t       tenant_claim;  /* "sub" */
    long             leeway;        /* seconds, for exp and nbf */
} waav_jwt_conf_t;

typedef struct {
    waav_str_t   id;
    waav_str_t   secret;
} waav_api_secret_t;

/* what a valid token says */
typedef struct {
    char         tenant[WAAV_TENANT_MAX + 1];
    size_t       tenant_len;
    time_t       exp;               /* 0: the token has none */
} waav_jwt_claims_t;

/*
 * Verifies a JWT.  0, or -1 with a message in err (status 401, code
 * "unauthorized").  Never reads more than len bytes of token.
 */
int waav_jwt_verify(const waav_jwt_conf_t *conf, const char *token,
    size_t len, time_t now, waav_jwt_claims_t *claims, waav_err_t *err);

/* index of the matching secret, compared in constant time; -1: none */
int waav_api_secret_match(const waav_api_secret_t *secrets, size_t n,
    const char *token, size_t len);

/* "HS256" etc. to the enum; 0 when unknown */
waav_jwt_alg_e waav_jwt_alg_parse(const char *s, size_t len);

/*
 * Equality of two secrets: strings of different lengths are unequal at
 * once; equal lengths are compared in constant time (CRYPTO_memcmp).
 */
int waav_ct_equal(const char *a, size_t alen, const char *b, size_t blen);

/*
 * The same for long strings (a bearer token against the one a worker
 * cached), eight bytes at a time: constant time for equal lengths.
 */
int waav_token_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif /* WAAV_JWT_H */
