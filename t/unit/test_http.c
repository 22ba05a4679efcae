/*
 * Unit tests for provider requests and credentials (waav_http.c,
 * waav_cred.c) and the provider registry (waav_registry.c) (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "waav_cred.h"
#include "waav_registry.h"
#include "waav_stt_stream.h"
#include "waav_arena.h"
#include "waav_assert.h"


static void
test_headers_and_args(void **state)
{
    int              i;
    waav_err_t       err;
    waav_http_req_t  r;

    (void) state;

    memset(&r, 0, sizeof(r));

    assert_int_equal(waav_http_json(&r, &err), 0);
    assert_int_equal(waav_http_prefixed(&r, "Authorization", "Token ",
                                        S("k1"), &WAAV_ARENA, &err), 0);
    assert_string_equal(r.headers[1].name, "Authorization");
    assert_str(r.headers[1].value, "Token k1");

    for (i = 2; i < WAAV_HTTP_MAX_HEADERS; i++) {
        assert_int_equal(waav_http_add_header(&r, "X", "y", 1, &err), 0);
    }

    assert_int_equal(waav_http_add_header(&r, "X", "y", 1, &err), -1);
    assert_int_equal(err.status, 500);

    /* query arguments: after what is there, percent-encoded */
    assert_int_equal(waav_http_add_arg(&r, "a", S("b c&d=e/\xc3\xa9~"),
                                       &WAAV_ARENA, &err), 0);
    assert_str(r.args, "a=b%20c%26d%3De%2F%C3%A9~");
    assert_int_equal(waav_http_add_arg(&r, "api_key", S("K-1_2.3"),
                                       &WAAV_ARENA, &err), 0);
    assert_str(r.args, "a=b%20c%26d%3De%2F%C3%A9~&api_key=K-1_2.3");

    assert_true(waav_ident_valid("aura-2-thalia-en", 16));
    assert_false(waav_ident_valid("a..b", 4));
    assert_false(waav_ident_valid("", 0));
    assert_false(waav_ident_valid("a/b", 3));
}


static int  signed_calls;

static int
sign(const waav_cred_t *cred, const waav_secret_t *secret,
    waav_http_req_t *req, waav_alloc_t *a, waav_err_t *err)
{
    (void) cred;
    (void) a;
    (void) err;

    signed_calls++;

    /* it sees the request as it will be sent, credentials included */
    assert_int_equal(req->nheaders, 1);
    assert_str(secret->token, "tok");

    return waav_http_add_header(req, "X-Signature", "sig", 3, err);
}


static int
exchange(const waav_cred_t *cred, const waav_secret_t *secret,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err)
{
    (void) cred;
    (void) secret;
    (void) out;
    (void) a;
    (void) err;

    return 0;
}


static void
test_cred(void **state)
{
    waav_err_t       err;
    waav_secret_t    s;
    waav_http_req_t  r;

    static const waav_cred_t  header = {
        .place = WAAV_CRED_HEADER, .name = "xi-api-key", .prefix = "" };
    static const waav_cred_t  query = {
        .place = WAAV_CRED_QUERY, .name = "api_key" };
    static const waav_cred_t  token = {
        .place = WAAV_CRED_HEADER, .name = "Authorization",
        .prefix = "Bearer ", .exchange = exchange, .sign = sign };

    (void) state;

    memset(&s, 0, sizeof(s));
    s.key = S("secret-key");

    memset(&r, 0, sizeof(r));
    assert_int_equal(waav_cred_apply(&header, &s, &r, &WAAV_ARENA, &err), 0);
    assert_int_equal(r.nheaders, 1);
    assert_str(r.headers[0].value, "secret-key");

    memset(&r, 0, sizeof(r));
    r.args = S("model=x");
    assert_int_equal(waav_cred_apply(&query, &s, &r, &WAAV_ARENA, &err), 0);
    assert_int_equal(r.nheaders, 0);
    assert_str(r.args, "model=x&api_key=secret-key");

    /* no key (a provider usable without one): nothing added */
    s.key = S("");
    memset(&r, 0, sizeof(r));
    assert_int_equal(waav_cred_apply(&header, &s, &r, &WAAV_ARENA, &err), 0);
    assert_int_equal(r.nheaders, 0);
    assert_int_equal(waav_cred_apply(NULL, &s, &r, &WAAV_ARENA, &err), 0);

    /* an exchanged token: none yet is the glue's mistake (500); the token
     * goes where the key would, then the request is signed */
    s.key = S("service-account");
    memset(&r, 0, sizeof(r));
    assert_int_equal(waav_cred_apply(&token, &s, &r, &WAAV_ARENA, &err), -1);
    assert_int_equal(err.status, 500);

    s.token = S("tok");
    signed_calls = 0;
    assert_int_equal(waav_cred_apply(&token, &s, &r, &WAAV_ARENA, &err), 0);
    assert_int_equal(signed_calls, 1);
    assert_str(r.headers[0].value, "Bearer tok");
    assert_string_equal(r.headers[1].name, "X-Signature");
}


static void
test_registry(void **state)
{
    char                         buf[256];
    size_t                       n;
    const char *const           *al;
    const waav_provider_type_t  *pt, *q;

    (void) state;

    /* names and aliases are unique; every row has an adapter, its
     * adapters are named after it, and it says how to configure it */
    for (pt = waav_provider_types; pt->name; pt++) {
        assert_true(pt->tts || pt->stt);
        assert_ptr_equal(waav_provider_type(pt->name, strlen(pt->name)), pt);

        /* an engine inside nginx (local): no key, no URL, no credentials */
        if (pt->embedded) {
            assert_null(pt->key_env);
            assert_null(pt->url_env);
            assert_null(pt->base_url);
            assert_non_null(pt->title);
            assert_true(pt->key_optional);
            assert_true(pt->tts == NULL || (pt->tts->cred == NULL
                        && strcmp(pt->tts->type, pt->name) == 0));
            continue;
        }

        assert_non_null(pt->key_env);
        assert_non_null(pt->url_env);
        assert_non_null(pt->title);
        assert_true(pt->base_url || pt->example_url);
        assert_true(pt->base_url == NULL || pt->key_optional == 0
                    || pt->example_url == NULL);

        if (pt->tts) {
            assert_string_equal(pt->tts->type, pt->name);
            assert_non_null(pt->tts->build);
            assert_non_null(pt->tts->cred);
        }

        /* an STT adapter has REST (build, and normalize or next), or a
         * stream, or both; a stream has what the glue calls */
        if (pt->stt) {
            assert_string_equal(pt->stt->type, pt->name);
            assert_true(pt->stt->build || pt->stt->stream);
            assert_true(pt->stt->build == NULL
                        || pt->stt->normalize || pt->stt->next);
            assert_true(pt->stt->build
                        || (!pt->stt->normalize && !pt->stt->next
                            && !pt->stt->ws_buffered));
            assert_non_null(pt->stt->cred);
        }

        if (pt->stt && pt->stt->stream) {
            assert_non_null(pt->stt->stream->cred);
            assert_non_null(pt->stt->stream->open);
            assert_non_null(pt->stt->stream->parse);
            assert_true(pt->stt->stream->keepalive == NULL
                        || pt->stt->stream->keepalive_ms > 0);
        }

        /* an alias leads to its own row, not to an earlier one's */
        for (al = pt->aliases; al && *al; al++) {
            assert_ptr_equal(waav_provider_type(*al, strlen(*al)), pt);
        }

        for (q = pt + 1; q->name; q++) {
            assert_string_not_equal(q->name, pt->name);
            assert_true(q->embedded || strcmp(q->key_env, pt->key_env));
        }
    }

    assert_string_equal(waav_provider_type("openai_compatible", 17)->name,
                        "openai-compatible");
    assert_null(waav_provider_type("deepgram2", 9));
    assert_null(waav_provider_type("deepgra", 7));

    /* any case, and WaaV's names (gateway/src/plugin/dispatch.rs) */
    assert_string_equal(waav_provider_type("Deepgram", 8)->name, "deepgram");
    assert_string_equal(waav_provider_type("OPENAI", 6)->name, "openai");
    assert_string_equal(waav_provider_type("microsoft-azure", 15)->name,
                        "azure");
    assert_string_equal(waav_provider_type("Microsoft-Azure", 15)->name,
                        "azure");
    assert_string_equal(waav_provider_type("AZURE", 5)->name, "azure");
    assert_string_equal(waav_provider_type("OpenAI_Compatible", 17)->name,
                        "openai-compatible");
    assert_null(waav_provider_type("microsoft_azure", 15));
    assert_string_equal(waav_provider_type("Amazon-Polly", 12)->name,
                        "aws-polly");
    assert_string_equal(waav_provider_type("AWS_POLLY", 9)->name,
                        "aws-polly");
    assert_string_equal(waav_provider_type("polly", 5)->name, "aws-polly");
    assert_null(waav_provider_type("DEEPGRAM\0", 9));
    assert_null(waav_provider_type("", 0));

    assert_ptr_equal(waav_tts_adapter("deepgram", 8),
                     waav_provider_type("deepgram", 8)->tts);
    assert_null(waav_tts_adapter("groq", 4));
    assert_null(waav_stt_adapter("lmnt", 4));
    assert_non_null(waav_stt_adapter("google", 6)->build);
    assert_null(waav_stt_adapter("cartesia", 8)->build);

    n = waav_provider_type_list(buf, sizeof(buf), WAAV_REGISTRY_TTS);
    assert_int_equal(n, strlen(buf));
    assert_string_equal(buf, "deepgram, elevenlabs, openai, cartesia, "
                             "google, azure, aws-polly, lmnt, playht, hume, "
                             "ibm-watson, openai-compatible, local");

    n = waav_provider_type_list(buf, sizeof(buf), WAAV_REGISTRY_STT);
    assert_string_equal(buf, "deepgram, elevenlabs, openai, cartesia, "
                             "google, azure, groq, assemblyai, ibm-watson, "
                             "openai-compatible, local");

    /* cut, never overrun */
    n = waav_provider_type_list(buf, 12, WAAV_REGISTRY_TTS);
    assert_string_equal(buf, "deepgram");
    assert_int_equal(waav_provider_type_list(buf, 0, WAAV_REGISTRY_TTS), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_headers_and_args, waav_arena_teardown),
        cmocka_unit_test_teardown(test_cred, waav_arena_teardown),
        cmocka_unit_test_teardown(test_registry, waav_arena_teardown),
    };

    return cmocka_run_group_tests_name("waav_http", tests, NULL, NULL);
}
