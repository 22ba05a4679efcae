/*
 * waav: WaaV's POST /livekit/token, free of nginx types: the request body
 * checked, the room scoped to the tenant, a LiveKit access token (an HS256
 * JWT signed with the API secret) and the JSON answer.
 */

#ifndef WAAV_LIVEKIT_H
#define WAAV_LIVEKIT_H

#include <stddef.h>
#include <time.h>

#include "waav_alloc.h"

#define WAAV_LIVEKIT_MAX_BODY      (64 * 1024)
#define WAAV_LIVEKIT_MAX_ROOM      256
#define WAAV_LIVEKIT_MAX_NAME      128
#define WAAV_LIVEKIT_MAX_IDENTITY  256

typedef struct {
    waav_str_t   api_key;           /* empty: not configured */
    waav_str_t   api_secret;
    waav_str_t   url;               /* returned to clients as livekit_url */
    long         ttl;               /* seconds */
} waav_livekit_conf_t;

typedef struct {
    waav_str_t   api_key;
    waav_str_t   api_secret;
    waav_str_t   identity;
    waav_str_t   name;
    waav_str_t   room;
    long         ttl;               /* seconds */
    time_t       now;
} waav_livekit_grant_t;

/*
 * The whole route: body (len bytes of JSON {"room_name",
 * "participant_name", "participant_identity"}, or the SDKs' "identity" and
 * optional "name") to the answer
 * {"token", "room_name", "participant_identity", "livekit_url"} in out
 * (allocator memory).  0, or -1 with err: 500 LIVEKIT_NOT_CONFIGURED;
 * 400 INVALID_JSON (not JSON, not an object, trailing bytes); 400
 * INVALID_REQUEST (not UTF-8, a NUL, a field missing, blank or too long);
 * 500 LIVEKIT_TOKEN_ERROR.
 */
int waav_livekit_answer(const waav_livekit_conf_t *conf, waav_str_t tenant,
    const char *body, size_t len, time_t now, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err);

/* the signed token into out (allocator memory); 0 or -1 with err */
int waav_livekit_token(const waav_livekit_grant_t *g, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err);

/* WaaV's tenant scoping: "<tenant>_<room>" unless room already starts so */
int waav_livekit_room(waav_str_t tenant, waav_str_t room, waav_alloc_t *a,
    waav_str_t *out);

#endif /* WAAV_LIVEKIT_H */
