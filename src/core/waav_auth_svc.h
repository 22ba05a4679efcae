/*
 * waav: WaaV's external auth service, its wire format (pure C).
 *
 * WaaV (gateway/src/auth/client.rs, jwt.rs) POSTs to AUTH_SERVICE_URL a
 * JWT (Content-Type: application/jwt) signed RS256 or ES256 with the
 * private key of AUTH_SIGNING_KEY_PATH, claims
 *   {"sub": "waav-auth", "iat": now, "exp": now + 300,
 *    "auth_data": {"token", "request_body", "request_headers",
 *                  "request_path", "request_method"}}
 * and reads the answer: 200 allows, with {"id": "<tenant>"} (an empty or
 * unparsable body: no id); 401 and other statuses refuse.
 */

#ifndef WAAV_AUTH_SVC_H
#define WAAV_AUTH_SVC_H

#include "waav_alloc.h"

#define WAAV_AUTH_SVC_EXP         300       /* the JWT's lifetime, WaaV's */
#define WAAV_AUTH_SVC_MAX_HEADERS 64
#define WAAV_AUTH_SVC_ANSWER_MAX  8192      /* an answer read, at most */
#define WAAV_AUTH_SVC_ID_MAX      256       /* WAAV_TENANT_MAX */

typedef enum {
    WAAV_AUTH_SVC_RS256 = 1,
    WAAV_AUTH_SVC_ES256
} waav_auth_svc_alg_e;

typedef struct {
    waav_str_t   name;
    waav_str_t   value;
} waav_auth_svc_header_t;

typedef struct {
    waav_str_t               token;
    waav_str_t               method;
    waav_str_t               path;
    waav_auth_svc_header_t  *headers;   /* the client's, as received */
    size_t                   nheaders;
    long                     now;
} waav_auth_svc_req_t;

/* WaaV's filter_headers: 1 when a header goes to the service (not
 * Authorization, Cookie, Host, X-Real-IP, X-Forwarded-*, X-Waav-*, and
 * only values of visible ASCII, space and tab) */
int waav_auth_svc_header_sent(waav_str_t name, waav_str_t value);

/* the claims, JSON, NUL-terminated; NULL: out of memory */
char *waav_auth_svc_claims(const waav_auth_svc_req_t *req, waav_alloc_t *a,
    size_t *len);

/* the signed JWT; -1 with err set (500) */
int waav_auth_svc_sign(const waav_auth_svc_req_t *req,
    waav_auth_svc_alg_e alg, waav_str_t pem, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err);

/*
 * A 200 answer's id: 1 and *id (in the answer's memory); 0: no id (an
 * empty, unparsable or id-less answer, which WaaV takes as no tenant);
 * -1: an id waav cannot use as a tenant (not a string, empty, over 256
 * bytes, a control character).
 */
int waav_auth_svc_answer(const char *body, size_t len, waav_alloc_t *a,
    waav_str_t *id);

#endif /* WAAV_AUTH_SVC_H */
