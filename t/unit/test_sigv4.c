/*
 * Unit tests for AWS Signature Version 4 (src/core/waav_sigv4.c): AWS's
 * published test suite (waav_sigv4_vectors.h names where each case comes
 * from), the key's form, the base URL's host and path, and the
 * credentials hook's sign() with a secret as the glue fills it.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waav_sigv4.h"
#include "waav_arena.h"
#include "waav_sigv4_vectors.h"


static void
suite_signer(waav_sigv4_t *s, const char *token)
{
    memset(s, 0, sizeof(waav_sigv4_t));

    s->akid.data = SUITE_AKID;
    s->akid.len = sizeof(SUITE_AKID) - 1;
    s->secret.data = SUITE_SECRET;
    s->secret.len = sizeof(SUITE_SECRET) - 1;
    s->token.data = token ? token : "";
    s->token.len = token ? strlen(token) : 0;
    s->region.data = SUITE_REGION;
    s->region.len = sizeof(SUITE_REGION) - 1;
    s->service = "service";
    s->host.data = SUITE_HOST;
    s->host.len = sizeof(SUITE_HOST) - 1;
    s->now = SUITE_NOW;
}


/* "Name: value" into the request (the name NUL-terminated in the arena) */
static void
add_line(waav_http_req_t *req, const char *line)
{
    char        *name;
    const char  *colon, *v;
    waav_err_t   err;

    colon = strchr(line, ':');
    assert_non_null(colon);

    name = waav_arena_alloc(NULL, colon - line + 1);
    memcpy(name, line, colon - line);
    name[colon - line] = '\0';

    v = colon + 1;
    assert_int_equal(waav_http_add_header(req, name, v, strlen(v), &err), 0);
}


static const char *
header(const waav_http_req_t *req, const char *name)
{
    size_t  i;
    char   *v;

    for (i = 0; i < req->nheaders; i++) {
        if (strcmp(req->headers[i].name, name) == 0) {
            v = waav_arena_alloc(NULL, req->headers[i].value.len + 1);
            memcpy(v, req->headers[i].value.data, req->headers[i].value.len);
            v[req->headers[i].value.len] = '\0';
            return v;
        }
    }

    return NULL;
}


static void
test_suite_signatures(void **state)
{
    size_t                i, j;
    waav_err_t            err;
    waav_sigv4_t          s;
    waav_http_req_t       req;
    const suite_case_t   *c;

    (void) state;

    for (i = 0; i < sizeof(suite_cases) / sizeof(suite_cases[0]); i++) {
        c = &suite_cases[i];
        print_message("# %s\n", c->name);

        memset(&req, 0, sizeof(req));
        req.method = c->method;
        req.path.data = c->path;
        req.path.len = strlen(c->path);
        req.args.data = c->args;
        req.args.len = strlen(c->args);
        req.body.data = c->body;
        req.body.len = strlen(c->body);

        for (j = 0; c->headers[j]; j++) {
            add_line(&req, c->headers[j]);
        }

        suite_signer(&s, c->token);

        assert_int_equal(waav_sigv4_sign(&s, &req, &WAAV_ARENA, &err), 0);
        assert_string_equal(header(&req, "X-Amz-Date"), "20150830T123600Z");
        assert_string_equal(header(&req, "Authorization"),
                            waav_sprintf(&WAAV_ARENA, NULL, "%s%s",
                                         SUITE_SCOPE, c->authz));

        if (c->token) {
            assert_string_equal(header(&req, "X-Amz-Security-Token"),
                                c->token);

        } else {
            assert_null(header(&req, "X-Amz-Security-Token"));
        }

        waav_arena_reset();
    }
}


static void
test_suite_canonical(void **state)
{
    size_t           i;
    waav_str_t       creq, sh;
    waav_err_t       err;
    waav_sigv4_t     s;
    waav_http_req_t  req;

    (void) state;

    for (i = 0; i < sizeof(suite_creqs) / sizeof(suite_creqs[0]); i++) {
        print_message("# %s\n", suite_creqs[i].name);

        memset(&req, 0, sizeof(req));
        req.method = suite_creqs[i].method;
        req.path.data = suite_creqs[i].path;
        req.path.len = strlen(suite_creqs[i].path);
        req.body.data = suite_creqs[i].body;
        req.body.len = strlen(suite_creqs[i].body);

        if (suite_creqs[i].header) {
            add_line(&req, suite_creqs[i].header);
        }

        add_line(&req, "X-Amz-Date:20150830T123600Z");
        suite_signer(&s, NULL);

        assert_int_equal(waav_sigv4_canonical(&s, &req, &creq, &sh,
                                              &WAAV_ARENA, &err), 0);
        assert_int_equal(creq.len, strlen(suite_creqs[i].creq));
        assert_memory_equal(creq.data, suite_creqs[i].creq, creq.len);

        waav_arena_reset();
    }
}


/* User-Agent and Authorization are not signed; the base URL's path is
 * the path's start; Host is the configured one, never a header's */
static void
test_unsigned_headers_and_base_path(void **state)
{
    waav_str_t       creq, sh;
    waav_err_t       err;
    waav_sigv4_t     s;
    waav_http_req_t  req;

    static const char  want[] =
        "POST\n/aws-polly/v1/speech\n\n"
        "content-type:application/json\nhost:127.0.0.1:8080\n"
        "x-amz-date:20150830T123600Z\n\n"
        "content-type;host;x-amz-date\n"
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    (void) state;

    memset(&req, 0, sizeof(req));
    req.path.data = "/v1/speech";
    req.path.len = 10;
    req.body.data = "{}";
    req.body.len = 2;

    add_line(&req, "Content-Type:application/json");
    add_line(&req, "User-Agent:waav");
    add_line(&req, "Host:evil.example.com");
    add_line(&req, "X-Amz-Date:20150830T123600Z");

    suite_signer(&s, NULL);
    s.host.data = "127.0.0.1:8080";
    s.host.len = 14;
    s.base_path.data = "/aws-polly";
    s.base_path.len = 10;

    assert_int_equal(waav_sigv4_canonical(&s, &req, &creq, &sh, &WAAV_ARENA,
                                          &err), 0);
    assert_int_equal(creq.len, sizeof(want) - 1);
    assert_memory_equal(creq.data, want, creq.len);
    assert_int_equal(sh.len, sizeof("content-type;host;x-amz-date") - 1);
    assert_memory_equal(sh.data, "content-type;host;x-amz-date", sh.len);

    waav_arena_reset();
}


static void
test_key(void **state)
{
    size_t        i;
    waav_sigv4_t  s;

    static const char  *bad[] = {
        "", "AKID", "AKID:", ":SECRET", "AKID::TOKEN", "AKID:SECRET:",
        "AKID:SECRET:TOKEN:MORE", "AKID:SEC RET", "AKID:SECRET\x7f",
        NULL
    };

    (void) state;

    assert_int_equal(waav_sigv4_key((waav_str_t) waav_str_lit("AK:SE"), &s),
                     0);
    assert_int_equal(s.akid.len, 2);
    assert_memory_equal(s.akid.data, "AK", 2);
    assert_int_equal(s.secret.len, 2);
    assert_memory_equal(s.secret.data, "SE", 2);
    assert_int_equal(s.token.len, 0);

    assert_int_equal(waav_sigv4_key((waav_str_t) waav_str_lit("AK:S/E+:T=="),
                                    &s), 0);
    assert_int_equal(s.secret.len, 4);
    assert_int_equal(s.token.len, 3);
    assert_memory_equal(s.token.data, "T==", 3);

    for (i = 0; bad[i]; i++) {
        print_message("# bad key \"%s\"\n", bad[i]);
        assert_int_equal(waav_sigv4_key((waav_str_t) { bad[i],
                                                       strlen(bad[i]) }, &s),
                         -1);
    }
}


static void
url_is(const char *url, const char *host, const char *path)
{
    waav_str_t  h, p;

    assert_int_equal(waav_sigv4_url(url, strlen(url), &h, &p), 0);
    assert_int_equal(h.len, strlen(host));
    assert_memory_equal(h.data, host, h.len);
    assert_int_equal(p.len, strlen(path));
    if (p.len) {
        assert_memory_equal(p.data, path, p.len);
    }
}


static void
test_url(void **state)
{
    size_t      i;
    waav_str_t  h, p;

    static const char  *bad[] = {
        "polly.us-east-1.amazonaws.com", "ftp://x", "http://", "https:///x",
        "http://:80/", "http://a b/", "http://u@host/", "http://h/p?q",
        "http://h/a b", NULL
    };

    (void) state;

    url_is("https://polly.us-east-1.amazonaws.com",
           "polly.us-east-1.amazonaws.com", "");
    url_is("https://polly.eu-west-1.amazonaws.com:443/",
           "polly.eu-west-1.amazonaws.com", "");
    url_is("http://127.0.0.1:8080/aws-polly", "127.0.0.1:8080",
           "/aws-polly");
    url_is("http://127.0.0.1:80/p/q//", "127.0.0.1", "/p/q");
    url_is("https://h:8443", "h:8443", "");
    url_is("http://[::1]:9000/x", "[::1]:9000", "/x");

    for (i = 0; bad[i]; i++) {
        print_message("# bad URL \"%s\"\n", bad[i]);
        assert_int_equal(waav_sigv4_url(bad[i], strlen(bad[i]), &h, &p), -1);
    }
}


static void
test_region(void **state)
{
    (void) state;

    assert_true(waav_sigv4_region_valid("us-east-1", 9));
    assert_true(waav_sigv4_region_valid("eu-central-2", 12));
    assert_false(waav_sigv4_region_valid("", 0));
    assert_false(waav_sigv4_region_valid("US-EAST-1", 9));
    assert_false(waav_sigv4_region_valid("us/east", 7));
    assert_false(waav_sigv4_region_valid("us east", 7));
}


/* the hook as an adapter uses it: the key from the secret, not sent */
static void
test_secret_sign(void **state)
{
    waav_err_t       err;
    waav_secret_t    secret;
    waav_http_req_t  req;

    (void) state;

    memset(&secret, 0, sizeof(secret));
    secret.key = (waav_str_t) waav_str_lit(SUITE_AKID ":" SUITE_SECRET);
    secret.host = (waav_str_t) waav_str_lit(SUITE_HOST);
    secret.region = (waav_str_t) waav_str_lit(SUITE_REGION);
    secret.now = SUITE_NOW;

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = (waav_str_t) waav_str_lit("/");

    assert_int_equal(waav_sigv4_secret_sign("service", &secret, &req,
                                            &WAAV_ARENA, &err), 0);
    assert_string_equal(header(&req, "Authorization"),
                        SUITE_SCOPE "SignedHeaders=host;x-amz-date, "
                        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a"
                        "2260956d9b8aae1d763fbf31");

    /* a key that is no AWS key: refused, never sent */
    memset(&req, 0, sizeof(req));
    secret.key = (waav_str_t) waav_str_lit("just-a-key");
    assert_int_equal(waav_sigv4_secret_sign("service", &secret, &req,
                                            &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 401);
    assert_int_equal(req.nheaders, 0);

    /* no region configured */
    secret.key = (waav_str_t) waav_str_lit(SUITE_AKID ":" SUITE_SECRET);
    secret.region.len = 0;
    assert_int_equal(waav_sigv4_secret_sign("service", &secret, &req,
                                            &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 500);

    waav_arena_reset();
}


/* a header name SignedHeaders cannot carry: refused, nothing signed */
static void
test_bad_header_name(void **state)
{
    waav_err_t       err;
    waav_sigv4_t     s;
    waav_http_req_t  req;

    (void) state;

    memset(&req, 0, sizeof(req));
    req.path = (waav_str_t) waav_str_lit("/");
    add_line(&req, "X-Bad;Name: v");
    suite_signer(&s, NULL);

    assert_int_equal(waav_sigv4_sign(&s, &req, &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 500);
    assert_null(header(&req, "Authorization"));

    waav_arena_reset();
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_suite_signatures),
        cmocka_unit_test(test_suite_canonical),
        cmocka_unit_test(test_unsigned_headers_and_base_path),
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_region),
        cmocka_unit_test(test_secret_sign),
        cmocka_unit_test(test_bad_header_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
