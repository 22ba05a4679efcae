/*
 * Unit tests for src/core/waav_livekit.c (cmocka): the room scoping, the
 * signed token, and the whole route from body to answer.
 */

#define _GNU_SOURCE                 /* memmem */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jwt.h>
#include <cjson/cJSON.h>

#include "waav_livekit.h"
#include "waav_arena.h"


#define NOW     1700000000L
#define SECRET  "lk-secret-lk-secret-lk-secret-12"


static const waav_livekit_conf_t  conf = {
    { "APIkey123", 9 }, { SECRET, 32 }, { "wss://lk.example", 16 }, 600
};


static void
test_livekit_room(void **state)
{
    waav_str_t  out;
    waav_str_t  t = { "acme", 4 }, none = { "", 0 };
    waav_str_t  r1 = { "lobby", 5 }, r2 = { "acme_lobby", 10 };
    waav_str_t  r3 = { "acme", 4 }, r4 = { "acmelobby", 9 };

    (void) state;

    assert_int_equal(waav_livekit_room(t, r1, &WAAV_ARENA, &out), 0);
    assert_int_equal(out.len, 10);
    assert_memory_equal(out.data, "acme_lobby", 10);

    assert_int_equal(waav_livekit_room(t, r2, &WAAV_ARENA, &out), 0);
    assert_ptr_equal(out.data, r2.data);

    /* the tenant's name alone, or without the '_', is not scoped yet */
    assert_int_equal(waav_livekit_room(t, r3, &WAAV_ARENA, &out), 0);
    assert_int_equal(out.len, 9);
    assert_int_equal(waav_livekit_room(t, r4, &WAAV_ARENA, &out), 0);
    assert_int_equal(out.len, 14);

    assert_int_equal(waav_livekit_room(none, r1, &WAAV_ARENA, &out), 0);
    assert_ptr_equal(out.data, r1.data);
}


static void
test_livekit_token(void **state)
{
    waav_livekit_grant_t  g;
    waav_str_t            tok;
    waav_err_t            err;
    jwt_t                *jwt;
    char                 *s, *video;
    cJSON                *v;

    (void) state;

    memset(&g, 0, sizeof(g));
    g.api_key = (waav_str_t) { "APIkey123", 9 };
    g.api_secret = (waav_str_t) { SECRET, 32 };
    g.identity = (waav_str_t) { "user-1", 6 };
    g.name = (waav_str_t) { "Ada \"L\"", 7 };
    g.room = (waav_str_t) { "acme_lobby", 10 };
    g.ttl = 3600;
    g.now = NOW;

    assert_int_equal(waav_livekit_token(&g, &WAAV_ARENA, &tok, &err), 0);

    s = strndup(tok.data, tok.len);
    assert_int_equal(jwt_decode(&jwt, s, (const unsigned char *) SECRET, 32),
                     0);
    assert_int_equal(jwt_get_alg(jwt), JWT_ALG_HS256);
    assert_string_equal(jwt_get_grant(jwt, "iss"), "APIkey123");
    assert_string_equal(jwt_get_grant(jwt, "sub"), "user-1");
    assert_string_equal(jwt_get_grant(jwt, "name"), "Ada \"L\"");
    assert_int_equal(jwt_get_grant_int(jwt, "nbf"), NOW);
    assert_int_equal(jwt_get_grant_int(jwt, "exp"), NOW + 3600);

    /* WaaV's token_permissions for a user, exactly */
    video = jwt_get_grants_json(jwt, "video");
    v = cJSON_Parse(video);
    assert_int_equal(cJSON_GetArraySize(v), 15);
    assert_string_equal(
        cJSON_GetObjectItem(v, "destinationRoom")->valuestring, "");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(v,
                                                  "canPublishSources")), 0);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(v, "ingressAdmin")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(v, "hidden")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(v, "recorder")));
    assert_string_equal(cJSON_GetObjectItem(v, "room")->valuestring,
                        "acme_lobby");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(v, "roomJoin")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(v, "roomAdmin")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(v, "roomRecord")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(v, "roomList")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(v, "roomCreate")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(v, "canPublish")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(v, "canSubscribe")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(v, "canPublishData")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(v,
                                                 "canUpdateOwnMetadata")));
    cJSON_Delete(v);
    free(video);

    video = jwt_get_grants_json(jwt, "sip");
    assert_string_equal(video, "{\"admin\":false,\"call\":false}");
    free(video);
    jwt_free(jwt);

    /* a wrong secret does not verify it */
    assert_int_not_equal(jwt_decode(&jwt, s, (const unsigned char *)
                                    "wrong-secret-wrong-secret-wrong-", 32), 0);
    free(s);
}


static int
answer(const char *tenant, const char *body, size_t len, waav_str_t *out,
    waav_err_t *err)
{
    waav_str_t  t;

    t.data = tenant;
    t.len = strlen(tenant);
    memset(err, 0, sizeof(*err));

    return waav_livekit_answer(&conf, t, body, len, NOW, &WAAV_ARENA, out,
                               err);
}


static void
expect_error(const char *body, size_t len, int status, const char *code,
    const char *message)
{
    waav_str_t  out;
    waav_err_t  err;

    assert_int_equal(answer("", body, len, &out, &err), -1);
    assert_int_equal(err.status, status);
    assert_string_equal(err.code, code);

    if (strstr(err.message, message) == NULL) {
        fail_msg("\"%s\" lacks \"%s\"", err.message, message);
    }
}


#define expect_refused(body, status, code, message)                          \
    expect_error(body, sizeof(body) - 1, status, code, message)


static void
test_livekit_answer(void **state)
{
    cJSON       *a;
    jwt_t       *jwt;
    char        *tok;
    waav_str_t   out;
    waav_err_t   err;
    const char  *body = "{\"room_name\":\"lo\\\"bby\","
                        "\"participant_name\":\"Zo\\u00eb\","
                        "\"participant_identity\":\"id-\\\\1\"} \r\n";

    (void) state;

    assert_int_equal(answer("acme", body, strlen(body), &out, &err), 0);

    a = cJSON_ParseWithLength(out.data, out.len);
    assert_non_null(a);
    assert_int_equal(cJSON_GetArraySize(a), 4);
    assert_string_equal(cJSON_GetObjectItem(a, "room_name")->valuestring,
                        "acme_lo\"bby");
    assert_string_equal(
        cJSON_GetObjectItem(a, "participant_identity")->valuestring, "id-\\1");
    assert_string_equal(cJSON_GetObjectItem(a, "livekit_url")->valuestring,
                        "wss://lk.example");

    tok = cJSON_GetObjectItem(a, "token")->valuestring;
    assert_int_equal(jwt_decode(&jwt, tok, (const unsigned char *) SECRET, 32),
                     0);
    assert_string_equal(jwt_get_grant(jwt, "name"), "Zo\xc3\xab");
    assert_string_equal(jwt_get_grant(jwt, "sub"), "id-\\1");
    assert_int_equal(jwt_get_grant_int(jwt, "exp"), NOW + 600);
    jwt_free(jwt);
    cJSON_Delete(a);
}


static void
test_livekit_refusals(void **state)
{
    waav_str_t           out;
    waav_err_t           err;
    waav_livekit_conf_t  none;
    const char          *bs;
    const char          *ok = "{\"room_name\":\"r\",\"participant_name\":\"n\","
                              "\"participant_identity\":\"i\"}";

    (void) state;

    expect_refused("", 400, "INVALID_JSON", "parse");
    expect_refused("[1]", 400, "INVALID_JSON", "parse");
    expect_refused("{\"room_name\":\"r\"", 400, "INVALID_JSON", "parse");
    expect_refused("{} {}", 400, "INVALID_JSON", "parse");
    expect_refused("{\"room_name\":\"r\xff\"}", 400, "INVALID_REQUEST",
                   "not valid UTF-8");
    expect_refused("{\"room_name\":\"\xed\xa0\x80\"}", 400, "INVALID_REQUEST",
                   "not valid UTF-8");
    expect_refused("{\"room_name\":\"a\\u0000b\"}", 400, "INVALID_REQUEST",
                   "NUL");
    expect_refused("{\"room_name\":\"a\\\\\\u0000\"}", 400, "INVALID_REQUEST",
                   "NUL");
    expect_refused("{\"room_name\":\"a\0b\"}", 400, "INVALID_REQUEST", "NUL");
    expect_refused("{\"room_name\":1}", 400, "INVALID_REQUEST",
                   "room_name is required");
    expect_refused("{\"room_name\":\" \\t\\r\\n\"}", 400, "INVALID_REQUEST",
                   "room_name cannot be empty");
    expect_refused("{\"room_name\":\"r\",\"participant_name\":\"n\"}", 400,
                   "INVALID_REQUEST", "participant_identity is required");
    expect_error(ok, WAAV_LIVEKIT_MAX_BODY + 1, 413, "PAYLOAD_TOO_LARGE",
                 "too large");

    /* "a\\u0000b" is a backslash and "u0000": no NUL */
    bs = "{\"room_name\":\"a\\\\u0000b\",\"participant_name\":\"n\","
         "\"participant_identity\":\"i\"}";
    assert_int_equal(answer("", bs, strlen(bs), &out, &err), 0);
    assert_non_null(memmem(out.data, out.len, "\"room_name\":\"a\\\\u0000b\"",
                           sizeof("\"room_name\":\"a\\\\u0000b\"") - 1));

    /* the SDKs' names: refusals name the field sent */
    expect_refused("{\"room_name\":\"r\",\"participant_name\":\"n\","
                   "\"identity\":\" \"}", 400, "INVALID_REQUEST",
                   "Invalid request: identity cannot be empty");
    expect_refused("{\"room_name\":\"r\",\"identity\":\"i\","
                   "\"participant_name\":\"\"}", 400, "INVALID_REQUEST",
                   "participant_name cannot be empty");
    expect_refused("{\"room_name\":\"r\",\"identity\":\"i\",\"name\":7}",
                   400, "INVALID_REQUEST", "Invalid request: name is required");

    none = conf;
    none.api_secret.len = 0;
    assert_int_equal(waav_livekit_answer(&none, (waav_str_t) { "", 0 }, "x", 1,
                                         NOW, &WAAV_ARENA, &out, &err), -1);
    assert_int_equal(err.status, 500);
    assert_string_equal(err.code, "LIVEKIT_NOT_CONFIGURED");
}


/* the room and identity an answer names */
static void
expect_answer(const char *tenant, const char *body, const char *room,
    const char *identity, const char *name)
{
    cJSON       *a;
    jwt_t       *jwt;
    waav_str_t   out;
    waav_err_t   err;

    assert_int_equal(answer(tenant, body, strlen(body), &out, &err), 0);

    a = cJSON_ParseWithLength(out.data, out.len);
    assert_non_null(a);
    assert_string_equal(cJSON_GetObjectItem(a, "room_name")->valuestring,
                        room);
    assert_string_equal(
        cJSON_GetObjectItem(a, "participant_identity")->valuestring, identity);
    assert_int_equal(jwt_decode(&jwt, cJSON_GetObjectItem(a, "token")
                                          ->valuestring,
                                (const unsigned char *) SECRET, 32), 0);
    assert_string_equal(jwt_get_grant(jwt, "sub"), identity);
    assert_string_equal(jwt_get_grant(jwt, "name"), name);
    jwt_free(jwt);
    cJSON_Delete(a);
}


static void
test_livekit_shapes(void **state)
{
    (void) state;

    /* tenant ids with '_', as WaaV: "<id>_<room>" unless so already */
    expect_answer("ac_me", "{\"room_name\":\"lobby\",\"participant_name\":"
                  "\"n\",\"participant_identity\":\"i\"}", "ac_me_lobby",
                  "i", "n");
    expect_answer("ac_me", "{\"room_name\":\"ac_me_lobby\",\"participant_name\""
                  ":\"n\",\"participant_identity\":\"i\"}", "ac_me_lobby",
                  "i", "n");

    /* the SDKs' shape: identity and name; name optional (TS, Python) or
     * blank (the dashboard's empty field) */
    expect_answer("", "{\"room_name\":\"r\",\"identity\":\"u-1\","
                  "\"name\":\"Ada\",\"ttl\":60,\"metadata\":\"m\"}", "r",
                  "u-1", "Ada");
    expect_answer("", "{\"room_name\":\"r\",\"identity\":\"u-1\"}", "r",
                  "u-1", "u-1");
    expect_answer("", "{\"room_name\":\"r\",\"identity\":\"u-1\","
                  "\"name\":\"\"}", "r", "u-1", "u-1");

    /* WaaV's names win over the SDKs' */
    expect_answer("", "{\"room_name\":\"r\",\"identity\":\"x\",\"name\":"
                  "\"X\",\"participant_identity\":\"i\",\"participant_name\":"
                  "\"N\"}", "r", "i", "N");
}


static void
test_livekit_lengths(void **state)
{
    char        body[1024];
    waav_str_t  out;
    waav_err_t  err;
    int         n;

    (void) state;

    /* at the limit of each field, then one byte over */
    n = snprintf(body, sizeof(body), "{\"room_name\":\"%0256d\","
                 "\"participant_name\":\"%0128d\","
                 "\"participant_identity\":\"%0256d\"}", 0, 0, 0);
    assert_int_equal(answer("", body, (size_t) n, &out, &err), 0);

    n = snprintf(body, sizeof(body), "{\"room_name\":\"r\","
                 "\"participant_name\":\"%0129d\","
                 "\"participant_identity\":\"i\"}", 0);
    assert_int_equal(answer("", body, (size_t) n, &out, &err), -1);
    assert_string_equal(err.message, "Invalid request: participant_name "
                        "exceeds maximum length of 128 characters");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_livekit_room, waav_arena_teardown),
        cmocka_unit_test_teardown(test_livekit_token, waav_arena_teardown),
        cmocka_unit_test_teardown(test_livekit_answer, waav_arena_teardown),
        cmocka_unit_test_teardown(test_livekit_refusals, waav_arena_teardown),
        cmocka_unit_test_teardown(test_livekit_shapes, waav_arena_teardown),
        cmocka_unit_test_teardown(test_livekit_lengths, waav_arena_teardown),
    };

    return cmocka_run_group_tests_name("waav_livekit", tests, NULL, NULL);
}
