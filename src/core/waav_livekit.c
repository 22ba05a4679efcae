/*
 * waav: LiveKit access tokens and WaaV's POST /livekit/token (see
 * waav_livekit.h).
 *
 * Claims as LiveKit's server SDKs write them: iss = API key, sub =
 * identity, name, nbf, exp, and the "video" grant WaaV gives a user
 * (gateway/src/livekit/room_handler.rs token_permissions): room, roomJoin,
 * roomRecord, roomList, roomCreate, canPublish, canSubscribe,
 * canPublishData, canUpdateOwnMetadata true, the other fields false or
 * empty, and the "sip" grant all false, as livekit-api writes them.
 *
 * WaaV's SDKs send {room_name, identity, name} (name optional) where WaaV
 * reads participant_identity and participant_name: both are taken, WaaV's
 * names first; without any name the identity is the display name.
 *
 * The body is refused unless it is UTF-8 without NUL (cJSON would read
 * "a\u0000b" as "a", and libjwt refuses to sign invalid UTF-8), one JSON
 * object with no key twice and nothing after it.
 */

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <jwt.h>

#include "waav_json.h"
#include "waav_jw.h"
#include "waav_livekit.h"


/* the body's fields */
typedef struct {
    waav_str_t   room;
    waav_str_t   name;
    waav_str_t   identity;
} waav_livekit_req_t;


static int waav_livekit_blank(const cJSON *item);
static int waav_livekit_alias(const cJSON *root, const char *name,
    const char *alias, size_t max, waav_str_t *out, waav_err_t *err);


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


/*
 * {"video": {...}, "sip": {...}}: the grants, as libjwt takes extra claims
 * (JSON text).  Every field livekit-api 0.4.9 (WaaV's) serializes, with
 * WaaV's values for a user (token_permissions); the rest its defaults.
 */
static char *
waav_livekit_video(waav_str_t room, waav_alloc_t *a)
{
    char       *buf;
    size_t      cap;
    waav_jw_t   w;
    waav_str_t  json;

    cap = waav_json_escape(NULL, room.data, room.len) + 512;

    buf = waav_alloc(a, cap);
    if (buf == NULL) {
        return NULL;
    }

    waav_jw_init(&w, buf, cap - 1);
    waav_jw_open(&w, NULL);
    waav_jw_open(&w, "video");
    waav_jw_bool(&w, "roomCreate", 1);
    waav_jw_bool(&w, "roomList", 1);
    waav_jw_bool(&w, "roomRecord", 1);
    waav_jw_bool(&w, "roomAdmin", 0);
    waav_jw_bool(&w, "roomJoin", 1);
    waav_jw_str(&w, "room", room.data, room.len);
    waav_jw_str(&w, "destinationRoom", "", 0);
    waav_jw_bool(&w, "canPublish", 1);
    waav_jw_bool(&w, "canSubscribe", 1);
    waav_jw_bool(&w, "canPublishData", 1);
    waav_jw_key_array(&w, "canPublishSources");
    waav_jw_close_array(&w);
    waav_jw_bool(&w, "canUpdateOwnMetadata", 1);
    waav_jw_bool(&w, "ingressAdmin", 0);
    waav_jw_bool(&w, "hidden", 0);
    waav_jw_bool(&w, "recorder", 0);
    waav_jw_close(&w);
    waav_jw_open(&w, "sip");
    waav_jw_bool(&w, "admin", 0);
    waav_jw_bool(&w, "call", 0);
    waav_jw_close(&w);
    waav_jw_close(&w);

    if (waav_jw_done(&w, &json) != 0) {
        return NULL;
    }

    buf[json.len] = '\0';

    return buf;
}


int
waav_livekit_token(const waav_livekit_grant_t *g, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err)
{
    jwt_t   *jwt;
    char    *iss, *sub, *name, *video, *tok;
    int      rc;

    iss = waav_cstr(a, g->api_key);
    sub = waav_cstr(a, g->identity);
    name = waav_cstr(a, g->name);
    video = waav_livekit_video(g->room, a);

    if (iss == NULL || sub == NULL || name == NULL || video == NULL) {
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
         || jwt_add_grants_json(jwt, video)
         || jwt_set_alg(jwt, JWT_ALG_HS256,
                        (const unsigned char *) g->api_secret.data,
                        (int) g->api_secret.len);

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


/* a required non-blank string member of at most max bytes */
static int
waav_livekit_field(const cJSON *root, const char *name, size_t max,
    waav_str_t *out, waav_err_t *err)
{
    size_t        len, i;
    const cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(root, name);

    if (!cJSON_IsString(item)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "Invalid request: %s is required", name);
    }

    len = strlen(item->valuestring);

    for (i = 0; i < len && memchr(" \t\n\r", item->valuestring[i], 4); i++) {
        /* void */
    }

    if (i == len) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "Invalid request: %s cannot be empty", name);
    }

    if (len > max) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "Invalid request: %s exceeds maximum length of "
                            "%zu characters", name, max);
    }

    out->data = item->valuestring;
    out->len = len;

    return 0;
}


/* the body into req; its strings stay in the allocator's memory */
static int
waav_livekit_parse(const char *body, size_t len, waav_alloc_t *a,
    waav_livekit_req_t *req, waav_err_t *err)
{
    cJSON  *root;

    if (len > WAAV_LIVEKIT_MAX_BODY) {
        return waav_err_set(err, 413, "PAYLOAD_TOO_LARGE",
                            "Request body too large");
    }

    if (!waav_utf8_valid(body, len)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "Invalid request: the body is not valid UTF-8");
    }

    if (waav_json_has_nul(body, len)) {
        return waav_err_set(err, 400, "INVALID_REQUEST",
                            "Invalid request: strings must not contain NUL");
    }

    /* a key twice is refused there (INVALID_REQUEST) */
    root = waav_json_parse(body, len, WAAV_JSON_CLIENT, a, err);

    if (root == NULL && strcmp(err->code, "INVALID_JSON") != 0) {
        return -1;
    }

    if (root == NULL || !cJSON_IsObject(root)) {
        return waav_err_set(err, 400, "INVALID_JSON",
                            "Failed to parse the request body as JSON");
    }

    if (waav_livekit_field(root, "room_name", WAAV_LIVEKIT_MAX_ROOM,
                           &req->room, err) != 0
        || waav_livekit_alias(root, "participant_identity", "identity",
                              WAAV_LIVEKIT_MAX_IDENTITY, &req->identity, err)
           != 0)
    {
        return -1;
    }

    /* the SDKs' name is optional: the identity stands for it */
    if (cJSON_GetObjectItemCaseSensitive(root, "participant_name") == NULL
        && waav_livekit_blank(cJSON_GetObjectItemCaseSensitive(root, "name")))
    {
        req->name = req->identity;
        return 0;
    }

    return waav_livekit_alias(root, "participant_name", "name",
                              WAAV_LIVEKIT_MAX_NAME, &req->name, err);
}


/* absent, or a string of blanks only */
static int
waav_livekit_blank(const cJSON *item)
{
    const char  *p;

    if (item == NULL) {
        return 1;
    }

    if (!cJSON_IsString(item)) {
        return 0;
    }

    for (p = item->valuestring; *p && strchr(" \t\n\r", *p); p++) {
        /* void */
    }

    return *p == '\0';
}


/* WaaV's field, or the SDKs' name for it when WaaV's is absent; a
 * refusal names the field sent (WaaV's when neither is) */
static int
waav_livekit_alias(const cJSON *root, const char *name, const char *alias,
    size_t max, waav_str_t *out, waav_err_t *err)
{
    const char  *use;

    use = name;

    if (cJSON_GetObjectItemCaseSensitive(root, name) == NULL
        && cJSON_GetObjectItemCaseSensitive(root, alias) != NULL)
    {
        use = alias;
    }

    return waav_livekit_field(root, use, max, out, err);
}


/* {"token", "room_name", "participant_identity", "livekit_url"} */
static int
waav_livekit_write(const waav_livekit_conf_t *conf,
    const waav_livekit_grant_t *g, waav_str_t token, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err)
{
    char       *buf;
    size_t      cap;
    waav_jw_t   w;

    cap = token.len + waav_json_escape(NULL, g->room.data, g->room.len)
          + waav_json_escape(NULL, g->identity.data, g->identity.len)
          + waav_json_escape(NULL, conf->url.data, conf->url.len) + 128;

    buf = waav_alloc(a, cap);
    if (buf == NULL) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    waav_jw_init(&w, buf, cap);
    waav_jw_open(&w, NULL);
    waav_jw_str(&w, "token", token.data, token.len);
    waav_jw_str(&w, "room_name", g->room.data, g->room.len);
    waav_jw_str(&w, "participant_identity", g->identity.data,
                g->identity.len);
    waav_jw_str(&w, "livekit_url", conf->url.data, conf->url.len);
    waav_jw_close(&w);

    if (waav_jw_done(&w, out) != 0) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "answer too large");
    }

    return 0;
}


/* the token for req, scoped to the tenant, and the answer */
static int
waav_livekit_grant(const waav_livekit_conf_t *conf, waav_str_t tenant,
    const waav_livekit_req_t *req, time_t now, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err)
{
    waav_str_t             token;
    waav_livekit_grant_t   g;

    /*
     * "<tenant>_<room>", tenant ids with '_' allowed as WaaV allows them,
     * with WaaV's ambiguity: tenant "a" asking for room "b_c" gets the
     * room tenant "a_b" gets for "c" (the README says so); ids without
     * '_' keep tenants apart.
     */
    memset(&g, 0, sizeof(waav_livekit_grant_t));
    g.api_key = conf->api_key;
    g.api_secret = conf->api_secret;
    g.identity = req->identity;
    g.name = req->name;
    g.ttl = conf->ttl;
    g.now = now;

    if (waav_livekit_room(tenant, req->room, a, &g.room) != 0) {
        return waav_err_set(err, 500, "INTERNAL_ERROR", "out of memory");
    }

    if (waav_livekit_token(&g, a, &token, err) != 0) {
        return -1;
    }

    return waav_livekit_write(conf, &g, token, a, out, err);
}


int
waav_livekit_answer(const waav_livekit_conf_t *conf, waav_str_t tenant,
    const char *body, size_t len, time_t now, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err)
{
    int                  rc;
    waav_livekit_req_t   req;

    /* WaaV checks the configuration before the fields */
    if (conf->api_key.len == 0 || conf->api_secret.len == 0) {
        return waav_err_set(err, 500, "LIVEKIT_NOT_CONFIGURED",
                            "Failed to generate LiveKit token: LiveKit "
                            "service not configured");
    }

    memset(&req, 0, sizeof(waav_livekit_req_t));

    rc = waav_livekit_parse(body, len, a, &req, err);

    if (rc == 0) {
        rc = waav_livekit_grant(conf, tenant, &req, now, a, out, err);
    }

    return rc;
}
