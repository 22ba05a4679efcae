/*
 * waav: LiveKit access tokens (see waav_livekit.h).
 *
 * Claims as LiveKit's server SDKs write them: iss = API key, sub =
 * identity, name, nbf, exp, and the "video" grant
 * {room, roomJoin, canPublish, canSubscribe, canPublishData}.
 */

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jwt.h>

#include "waav_livekit.h"


static char *
waav_cstr(waav_alloc_t *a, waav_str_t s)
{
    char  *p;

    p = waav_alloc(a, s.len + 1);
    if (p) {
        memcpy(p, s.data, s.len);
        p[s.len] = '\0';
    }

    return p;
}


int
waav_livekit_room(waav_str_t tenant, waav_str_t room, waav_alloc_t *a,
    waav_str_t *out)
{
    char  *p;

    if (tenant.len == 0
        || (room.len > tenant.len
            && memcmp(room.data, tenant.data, tenant.len) == 0
            && room.data[tenant.len] == '_'))
    {
        *out = room;
        return 0;
    }

    p = waav_alloc(a, tenant.len + 1 + room.len);
    if (p == NULL) {
        return -1;
    }

    memcpy(p, tenant.data, tenant.len);
    p[tenant.len] = '_';
    memcpy(p + tenant.len + 1, room.data, room.len);

    out->data = p;
    out->len = tenant.len + 1 + room.len;

    return 0;
}


int
waav_livekit_token(const waav_livekit_grant_t *g, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err)
{
    jwt_t   *jwt;
    cJSON   *grants, *video;
    char    *iss, *sub, *name, *room, *json, *tok;
    int      rc;

    iss = waav_cstr(a, g->api_key);
    sub = waav_cstr(a, g->identity);
    name = waav_cstr(a, g->name);
    room = waav_cstr(a, g->room);

    if (iss == NULL || sub == NULL || name == NULL || room == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    grants = cJSON_CreateObject();
    video = cJSON_AddObjectToObject(grants, "video");

    if (video == NULL
        || cJSON_AddStringToObject(video, "room", room) == NULL
        || cJSON_AddTrueToObject(video, "roomJoin") == NULL
        || cJSON_AddTrueToObject(video, "canPublish") == NULL
        || cJSON_AddTrueToObject(video, "canSubscribe") == NULL
        || cJSON_AddTrueToObject(video, "canPublishData") == NULL)
    {
        cJSON_Delete(grants);
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    json = cJSON_PrintUnformatted(grants);
    cJSON_Delete(grants);

    if (json == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    jwt = NULL;
    tok = NULL;

    rc = jwt_new(&jwt)
         || jwt_add_grant(jwt, "iss", iss)
         || jwt_add_grant(jwt, "sub", sub)
         || jwt_add_grant(jwt, "name", name)
         || jwt_add_grant_int(jwt, "nbf", (long) g->now)
         || jwt_add_grant_int(jwt, "exp", (long) g->now + g->ttl)
         || jwt_add_grants_json(jwt, json)
         || jwt_set_alg(jwt, JWT_ALG_HS256,
                        (const unsigned char *) g->api_secret.data,
                        (int) g->api_secret.len);

    free(json);

    if (rc == 0) {
        tok = jwt_encode_str(jwt);
    }

    jwt_free(jwt);

    if (tok == NULL) {
        return waav_err_set(err, 500, "LIVEKIT_TOKEN_ERROR",
                            "Failed to generate LiveKit token: signing failed");
    }

    out->len = strlen(tok);
    out->data = waav_alloc(a, out->len);

    if (out->data) {
        memcpy((char *) out->data, tok, out->len);
    }

    free(tok);

    if (out->data == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    return 0;
}
