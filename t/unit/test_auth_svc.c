/*
 * Unit tests for src/core/waav_auth_svc.c (cmocka): the claims WaaV signs
 * for its auth service, the headers it leaves out, the signature, and the
 * service's answer.
 */

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

#include "waav_auth_svc.h"
#include "waav_arena.h"
#include "waav_base64.h"


#define S(s)  { s, sizeof(s) - 1 }


static waav_auth_svc_header_t  headers[] = {
    { S("Host"), S("gw.example") },
    { S("Authorization"), S("Bearer tok") },
    { S("Content-Type"), S("application/json") },
    { S("Cookie"), S("a=b") },
    { S("X-Forwarded-For"), S("1.2.3.4") },
    { S("X-Waav-Internal"), S("x") },
    { S("X-Real-IP"), S("1.2.3.4") },
    { S("User-Agent"), S("first") },
    { S("X-Bin"), S("caf\xc3\xa9") },
    { S("user-agent"), S("last") },
};


static waav_auth_svc_req_t
request(void)
{
    waav_auth_svc_req_t  r;

    memset(&r, 0, sizeof(r));
    r.token.data = "tok-\"1\"";
    r.token.len = 7;
    r.method.data = "POST";
    r.method.len = 4;
    r.path.data = "/speak";
    r.path.len = 6;
    r.headers = headers;
    r.nheaders = sizeof(headers) / sizeof(headers[0]);
    r.now = 1700000000L;

    return r;
}


static void
test_claims(void **state)
{
    char                 *json;
    size_t                len;
    cJSON                *root, *ad, *h;
    waav_auth_svc_req_t   r;

    (void) state;

    r = request();
    json = waav_auth_svc_claims(&r, &WAAV_ARENA, &len);
    assert_non_null(json);
    assert_int_equal(strlen(json), len);

    root = cJSON_Parse(json);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItem(root, "sub")->valuestring,
                        "waav-auth");
    assert_int_equal(cJSON_GetObjectItem(root, "iat")->valuedouble,
                     1700000000.0);
    assert_int_equal(cJSON_GetObjectItem(root, "exp")->valuedouble,
                     1700000300.0);

    ad = cJSON_GetObjectItem(root, "auth_data");
    assert_string_equal(cJSON_GetObjectItem(ad, "token")->valuestring,
                        "tok-\"1\"");
    assert_string_equal(cJSON_GetObjectItem(ad, "request_path")->valuestring,
                        "/speak");
    assert_string_equal(
        cJSON_GetObjectItem(ad, "request_method")->valuestring, "POST");
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(ad, "request_body")));
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItem(ad, "request_body")), 0);

    /* WaaV's filter_headers: names lower-cased, the last of a name */
    h = cJSON_GetObjectItem(ad, "request_headers");
    assert_int_equal(cJSON_GetArraySize(h), 2);
    assert_string_equal(cJSON_GetObjectItem(h, "content-type")->valuestring,
                        "application/json");
    assert_string_equal(cJSON_GetObjectItem(h, "user-agent")->valuestring,
                        "last");
    assert_null(cJSON_GetObjectItem(h, "x-bin"));

    cJSON_Delete(root);
    waav_arena_reset();
}


static const char  rsa_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCMrnQRHYGWk8lv\n"
    "FGwO/Dr6HVPxIc5FONC8Bz2E24pmUIEgRhvOaUsdlak1PZNiJU23eLcsa8/UtlGx\n"
    "B56i0PNXliiEpU9tCS5sCKf9PTwD5PkJowep4xBdcQMK1MdcDMMULpfJYc08o9rE\n"
    "zGHtoX4mnT2yk+/hAn9wCdvH0hceNFgxUhXtiJBToIjiC+ANqd3IjlCmcCZH1DhT\n"
    "Uwgzern6nmo0GetFydjeXFuPUiZdIprY2yRZtZ20j2PkowBroIGIiXTr7/X6fIRA\n"
    "9Jg4rrSDdoTsv15KBNcpcwoRqJ55/r4mevz3tWea2Mv1hxyJ5ywGnqoMC5X5G3Ur\n"
    "aoAriQHXAgMBAAECggEACD3qN9x6LJew6+yO3hvh2qhgNBbObljDRdjIvmFcTN03\n"
    "i2wAEgoyJ+QOOzvFyDC2SmLsnFIepXAe/hebsB88umtmKUtECXfJu/OP3/K38uR1\n"
    "wJ5IAyh123uU+Yv4uAhZX3PRWa98pipVVUVCEXluGhYJOM6Y9Z4/WBGDykOhLhg9\n"
    "tr3zmHJFGp0OXmmT4b/WTlwF6hvafaDb9mjAsL0fhK1r9+/U75q0QltJiLlIg5Gb\n"
    "q0kmQcG60/5Z2NZEizlH1lDB+gCC2s5H9CxXorLsZEpEDcHKkMT5sCM5tic5EMH2\n"
    "HNXXG+tC3ph/XvmK7Ow+rJEi3mMXwZFs95NJXQBBBQKBgQDGFrklHAUEQZL4Izgh\n"
    "GIDeL2caUSenXMMmpnD4kLs6P9F8UeQfErLZ2J3D5HayuAKAnj0wiwLOlrGTxC9N\n"
    "RaVsrVVidTn599b1ICD+fPidpfXhaye3wezrzVeVf3IOYa2LVHsiZZ9nVsHEbBKz\n"
    "i0yYw3aIlv/PTsSWtf8JumUVowKBgQC1z0bOuIUCuiGApTo00V/NR1IQ8+tX+yU7\n"
    "dn61SoyKtgmHA1Po+WgEDWi4zehFWU6xUog/KCTzm0VWTGIjh70Rv9w1N7QX/iug\n"
    "O8bpX8uekZUEt6ShddJYsyhd+e5WwWdxgjm7UOLXgOggJFjpx8CBzlIj9LtbJAJ9\n"
    "LeS/zItePQKBgQC3EEzuZKSmOEuwkivPOivuKfSot5Nj8jBPycXhkS/WNyBMOgoO\n"
    "RWOQO8YhQUQJClEVuCdocy+W6GEX5FiqmtC0TMP6B8gaoNbBFn4ncir41mUTe8nq\n"
    "4ocnrE9i07L+Y3rUprBdK3lTMTRFaHMoBnY1P36N4K5sUakQdwVJYj8E7QKBgQCA\n"
    "P8T9EeCR+eakLumOVJu13LehSc8b8wdimMXs8LePKbYyzUAlubmMEkFrC6TrNoJy\n"
    "R3vgwVq/lSomJB+eXKQcnzChQbgCrMLtdv1rpq2mH5/1Ae5aDxjghRDWqfVcsXVc\n"
    "9rXu0rIRvtb/xWQLFWNQrc/3mS2IrzAqSXNxcMJnKQKBgBiooJ/PPRuwg9ZFJYoc\n"
    "Sn8fw7fRDvRsslnHus1GgXZYWBbMwbNxGGO0Gy68i2SDu30gPlSVLzb+a8GD6qD/\n"
    "8unmgG3V7uLXrpNIu5to6SggvL2mt5F036GFEnR2pnPH08ooqQc4u7u2k9P79pS8\n"
    "V/reoL3Jcy/mQ9MrmJx+K1VC\n"
    "-----END PRIVATE KEY-----\n";


static void
test_sign(void **state)
{
    char                 *dot, *hdr;
    waav_str_t            tok, pem = S(rsa_pem), bad = S("not a key");
    waav_err_t            err;
    waav_auth_svc_req_t   r;
    unsigned char         raw[256];
    long                  n;

    (void) state;

    r = request();
    memset(&err, 0, sizeof(err));
    assert_int_equal(waav_auth_svc_sign(&r, WAAV_AUTH_SVC_RS256, pem,
                                        &WAAV_ARENA, &tok, &err), 0);

    /* three parts, the header RS256's */
    dot = strchr(tok.data, '.');
    assert_non_null(dot);
    assert_non_null(strchr(dot + 1, '.'));

    hdr = strndup(tok.data, dot - tok.data);
    n = waav_b64url_decode(hdr, strlen(hdr), raw, sizeof(raw) - 1);
    free(hdr);
    assert_true(n > 0);
    raw[n] = '\0';
    assert_non_null(strstr((char *) raw, "\"alg\":\"RS256\""));
    assert_non_null(strstr((char *) raw, "\"typ\":\"JWT\""));

    assert_int_equal(waav_auth_svc_sign(&r, WAAV_AUTH_SVC_RS256, bad,
                                        &WAAV_ARENA, &tok, &err), -1);
    assert_string_equal(err.code, "jwt_signing_error");

    waav_arena_reset();
}


static void
test_answer(void **state)
{
    waav_str_t  id;
    char        big[300];

    (void) state;

    assert_int_equal(waav_auth_svc_answer("{\"id\":\"project1\",\"x\":1}",
                                          23, &WAAV_ARENA, &id), 1);
    assert_int_equal(id.len, 8);
    assert_memory_equal(id.data, "project1", 8);

    /* WaaV: an empty or unparsable answer is an Auth without id */
    assert_int_equal(waav_auth_svc_answer("", 0, &WAAV_ARENA, &id), 0);
    assert_int_equal(waav_auth_svc_answer("ok", 2, &WAAV_ARENA, &id), 0);
    assert_int_equal(waav_auth_svc_answer("{}", 2, &WAAV_ARENA, &id), 0);
    assert_int_equal(waav_auth_svc_answer("{\"id\":null}", 11, &WAAV_ARENA,
                                          &id), 0);
    assert_int_equal(waav_auth_svc_answer("[1]", 3, &WAAV_ARENA, &id), 0);
    assert_int_equal(waav_auth_svc_answer("{\"id\":\"a\",\"id\":\"b\"}", 19,
                                          &WAAV_ARENA, &id), 0);

    /* ids no tenant can be */
    assert_int_equal(waav_auth_svc_answer("{\"id\":7}", 8, &WAAV_ARENA, &id),
                     -1);
    assert_int_equal(waav_auth_svc_answer("{\"id\":\"\"}", 9, &WAAV_ARENA,
                                          &id), -1);
    assert_int_equal(waav_auth_svc_answer("{\"id\":\"a\\nb\"}", 13,
                                          &WAAV_ARENA, &id), -1);

    memset(big, 'a', sizeof(big));
    memcpy(big, "{\"id\":\"", 7);
    memcpy(big + sizeof(big) - 2, "\"}", 2);
    assert_int_equal(waav_auth_svc_answer(big, sizeof(big), &WAAV_ARENA,
                                          &id), -1);

    waav_arena_reset();
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_sign),
        cmocka_unit_test(test_answer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
