/*
 * waav: LiveKit access tokens (HS256 JWTs signed with the API secret).
 */

#ifndef WAAV_LIVEKIT_H
#define WAAV_LIVEKIT_H

#include <stddef.h>
#include <time.h>

#include "waav_alloc.h"

typedef struct {
    waav_str_t   api_key;
    waav_str_t   api_secret;
    waav_str_t   identity;
    waav_str_t   name;
    waav_str_t   room;
    long         ttl;               /* seconds */
    time_t       now;
} waav_livekit_grant_t;

/* the signed token into out (allocator memory); 0 or -1 with err */
int waav_livekit_token(const waav_livekit_grant_t *g, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err);

/* WaaV's tenant scoping: "<tenant>_<room>" unless room already starts so */
int waav_livekit_room(waav_str_t tenant, waav_str_t room, waav_alloc_t *a,
    waav_str_t *out);

#endif /* WAAV_LIVEKIT_H */
