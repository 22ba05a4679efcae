/*
 * waav: provider credentials (see waav_cred.h).
 */

#include "waav_cred.h"


int
waav_cred_apply(const waav_cred_t *cred, const waav_secret_t *secret,
    waav_http_req_t *req, waav_alloc_t *a, waav_err_t *err)
{
    waav_str_t  value;
    int         rc;

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

    if (value.len) {
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
