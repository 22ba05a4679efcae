/*
 * waav: a JWK Set (RFC 7517), as identity providers publish their keys,
 * turned into JWT verification keys.  Pure C, free of nginx types; read
 * when the configuration is loaded, never in a worker.
 */

#ifndef WAAV_JWKS_H
#define WAAV_JWKS_H

#include <stddef.h>

#include "waav_alloc.h"
#include "waav_jwt.h"

#define WAAV_JWKS_MAX_SIZE     (256 * 1024)  /* the JSON text */
#define WAAV_JWKS_MAX_ENTRIES  64            /* keys[] members, any kind */
#define WAAV_JWKS_MAX_KID      256

/*
 * Reads the JWK Set in json (len bytes, at most WAAV_JWKS_MAX_SIZE) and
 * appends its signature keys to keys[*n .. max):
 *   - "kty": "RSA" with "n" and "e" (2048 to 8192 bits) as RS256;
 *   - "kty": "EC", "crv": "P-256" with "x" and "y" as ES256;
 * each with its "kid" (when it has one) and as a PEM public key, which is
 * what libjwt 1.10 verifies with (memory from a).
 *
 * Skipped: keys with a "use" other than "sig", an "alg" other than RS256
 * or ES256, another "kty" (oct, OKP, ...) or another curve.  Refused (-1,
 * message in err): text that is not a JWK Set, a malformed key of a kind
 * it takes (missing or non-base64url members, a wrong size, a point off
 * the curve), a private key ("d"), more keys than max, or no usable key.
 *
 * Returns the number of keys added; on -1, *n is unchanged.
 */
int waav_jwks_parse(const char *json, size_t len, waav_jwt_key_t *keys,
    size_t max, size_t *n, waav_alloc_t *a, waav_err_t *err);

#endif /* WAAV_JWKS_H */
