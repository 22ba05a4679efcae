/*
 * waav: AWS Signature Version 4, header form (the credentials hook's
 * sign(), waav_cred.h), for AWS Polly.
 *
 * The secret material is one string, the provider's key:
 *
 *   ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]
 *
 * (waav_provider ... key=env:AWS_ACCESS_KEY_ID:AWS_SECRET_ACCESS_KEY:
 * AWS_SESSION_TOKEN joins the three variables so; a client's own key,
 * X-Provider-Api-Key, is written the same way).  What the signature
 * also covers comes from the provider's configuration, in the secret:
 * the Host header its location sends, the path of its base URL (the
 * request's path follows it) and the region.  The time is secret->now.
 *
 * sign() adds X-Amz-Date (and X-Amz-Security-Token with a session
 * token) and then Authorization, over the method, the path, the query,
 * every header but User-Agent and Expect (proxies may rewrite those),
 * Host, and the SHA-256 of the body, as the AWS SDKs sign.
 */

#ifndef WAAV_SIGV4_H
#define WAAV_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "waav_alloc.h"
#include "waav_cred.h"
#include "waav_http.h"

#define WAAV_SIGV4_REGION_MAX  64

typedef struct {
    waav_str_t   akid;
    waav_str_t   secret;
    waav_str_t   token;             /* empty: none */
    waav_str_t   region;            /* us-east-1 */
    const char  *service;           /* polly */
    waav_str_t   host;              /* as the Host header says it */
    waav_str_t   base_path;         /* "" or "/prefix", no '/' at its end */
    time_t       now;
} waav_sigv4_t;

/* "AKID:SECRET[:TOKEN]" into s (akid, secret, token); -1 when the key is
 * not so (visible ASCII, parts not empty) */
int waav_sigv4_key(waav_str_t key, waav_sigv4_t *s);

/* a region: 1-64 bytes of [a-z0-9-] */
int waav_sigv4_region_valid(const char *s, size_t len);

/* "http(s)://host[:port][/path]": host as its Host header says it (the
 * port only when it is not the scheme's) and the path without a '/' at
 * its end; -1 when it is not such a URL */
int waav_sigv4_url(const char *url, size_t len, waav_str_t *host,
    waav_str_t *path);

/* the canonical request and its signed headers' list (the request's
 * headers, host and the ones sign() adds must be in req already) */
int waav_sigv4_canonical(const waav_sigv4_t *s, const waav_http_req_t *req,
    waav_str_t *creq, waav_str_t *signed_headers, waav_alloc_t *a,
    waav_err_t *err);

/* adds X-Amz-Date, X-Amz-Security-Token (with a token) and Authorization
 * to req; -1 with err set (500: too many headers) */
int waav_sigv4_sign(const waav_sigv4_t *s, waav_http_req_t *req,
    waav_alloc_t *a, waav_err_t *err);

/* sign() for a service: the key, host, base path and region from the
 * secret; a key that is not AKID:SECRET[:TOKEN] is 401 */
int waav_sigv4_secret_sign(const char *service, const waav_secret_t *secret,
    waav_http_req_t *req, waav_alloc_t *a, waav_err_t *err);

#endif /* WAAV_SIGV4_H */
