/*
 * Unit tests for the credentials hook and the adapter that uses it (Azure):
 * the token applied where the key would be, a token exchange's request and
 * answer (a JWT's lifetime), Azure's SSML, output formats and voices.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waav_base64.h"
#include "waav_cred.h"
#include "waav_tts.h"
#include "waav_arena.h"
#include "waav_header.h"


#define NOW  1700000000


static const waav_tts_adapter_t *
azure(void)
{
    const waav_tts_adapter_t  *ad;

    ad = waav_tts_adapter("azure", 5);
    assert_non_null(ad);
    assert_non_null(ad->cred);
    assert_non_null(ad->cred->exchange);

    return ad;
}



/* a WaaV body through Azure's adapter with a token; 0 or -1 with err */
static int
azure_build(const char *json, waav_tts_out_t *out, waav_err_t *err)
{
    waav_tts_req_t  req;
    waav_secret_t   s = {
        .key = waav_str_lit("KEY123"), .token = waav_str_lit("TOK"), .now = NOW
    };

    memset(err, 0, sizeof(waav_err_t));
    assert_int_equal(waav_tts_parse(&req, WAAV_TTS_SHAPE_WAAV, json,
                                    strlen(json), &WAAV_ARENA, err), 0);

    return waav_tts_build(azure(), &req, &s, out, &WAAV_ARENA, err);
}


static void
assert_body(const waav_tts_out_t *out, const char *body)
{
    assert_int_equal(out->http.body.len, strlen(body));
    assert_memory_equal(out->http.body.data, body, strlen(body));
}


/* "<b64url header>.<b64url claims>.sig" */
static char *
jwt(const char *claims)
{
    static char  buf[1024];
    size_t       i, n;
    char        *p;

    static const char  digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    p = buf + sprintf(buf, "eyJhbGciOiJIUzI1NiJ9.");
    n = strlen(claims);

    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned char) claims[i] << 16;

        v |= (i + 1 < n) ? (unsigned char) claims[i + 1] << 8 : 0;
        v |= (i + 2 < n) ? (unsigned char) claims[i + 2] : 0;

        *p++ = digits[(v >> 18) & 63];
        *p++ = digits[(v >> 12) & 63];

        if (i + 1 < n) {
            *p++ = digits[(v >> 6) & 63];
        }

        if (i + 2 < n) {
            *p++ = digits[v & 63];
        }
    }

    strcpy(p, ".c2ln");

    return buf;
}


/* --- the hook ------------------------------------------------------------ */

static void
test_apply_token(void **state)
{
    waav_err_t       err;
    waav_http_req_t  req;
    waav_secret_t    s = {
        .key = waav_str_lit("KEY123"), .token = { "", 0 }, .now = NOW
    };

    (void) state;

    /* no token yet: the glue must have fetched one */
    memset(&req, 0, sizeof(req));
    assert_int_equal(waav_cred_apply(azure()->cred, &s, &req, &WAAV_ARENA,
                                     &err), -1);
    assert_int_equal(err.status, 500);
    assert_int_equal(req.nheaders, 0);

    /* the token where the key would be; the key nowhere */
    s.token = (waav_str_t) waav_str_lit("TOK");
    assert_int_equal(waav_cred_apply(azure()->cred, &s, &req, &WAAV_ARENA,
                                     &err), 0);
    assert_int_equal(req.nheaders, 1);
    assert_string_equal(header(&req, "Authorization"), "Bearer TOK");
}


static void
test_azure_exchange(void **state)
{
    waav_err_t         err;
    waav_http_req_t    req;
    const waav_cred_t  *cred;
    waav_secret_t       s = {
        .key = waav_str_lit("KEY123"), .token = { "", 0 }, .now = NOW
    };

    (void) state;

    cred = azure()->cred;
    assert_int_equal(cred->exchange(cred, &s, &req, &WAAV_ARENA, &err), 0);
    assert_string_equal(req.method, "POST");
    assert_int_equal(req.path.len, strlen("/issueToken"));
    assert_memory_equal(req.path.data, "/issueToken", req.path.len);
    assert_int_equal(req.body.len, 0);
    assert_int_equal(req.nheaders, 1);
    assert_string_equal(header(&req, "Ocp-Apim-Subscription-Key"), "KEY123");
}


static int
exchanged(const char *body, waav_str_t *token, unsigned *ttl,
    waav_err_t *err)
{
    const waav_cred_t  *cred;
    waav_secret_t       s = {
        .key = waav_str_lit("KEY123"), .token = { "", 0 }, .now = NOW
    };

    cred = azure()->cred;
    memset(err, 0, sizeof(waav_err_t));

    return cred->exchanged(cred, &s, body, strlen(body), token, ttl,
                           &WAAV_ARENA, err);
}


static void
test_azure_exchanged(void **state)
{
    char        buf[WAAV_CRED_TOKEN_MAX + 8], *t;
    unsigned    ttl;
    waav_err_t  err;
    waav_str_t  token;

    (void) state;

    /* exp 300 s from now: 300; white space around the token dropped */
    t = jwt("{\"exp\":1700000300,\"region\":\"eastus\"}");
    snprintf(buf, sizeof(buf), " %s\r\n", t);
    assert_int_equal(exchanged(buf, &token, &ttl, &err), 0);
    assert_int_equal(ttl, 300);
    assert_int_equal(token.len, strlen(t));
    assert_memory_equal(token.data, t, token.len);

    /* beyond 10 minutes, or no exp: Azure's 10 minutes */
    assert_int_equal(exchanged(jwt("{\"exp\":1800000000}"), &token, &ttl,
                               &err), 0);
    assert_int_equal(ttl, 600);
    assert_int_equal(exchanged(jwt("{\"region\":\"x\"}"), &token, &ttl,
                               &err), 0);
    assert_int_equal(ttl, 600);

    /* what is no token: 502 PROVIDER_AUTH_FAILED */
    const char *bad[] = {
        "", "   \n", "not a jwt", "a.b", "a..c", ".b.c", "a.b.", "a.b.c.d",
        "<html>", "eyJ9.e30.c2ln\x01",
        "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",     /* "not json" */
        "eyJhbGciOiJIUzI1NiJ9.WzFd.c2ln",             /* [1] */
        "eyJhbGciOiJIUzI1NiJ9.e30=.c2ln",             /* padding */
        "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOiJ4In0.c2ln",  /* {"exp":"x"} */
        NULL
    };

    for (size_t i = 0; bad[i]; i++) {
        if (exchanged(bad[i], &token, &ttl, &err) != -1) {
            fail_msg("\"%s\" was taken for a token", bad[i]);
        }

        assert_int_equal(err.status, 502);
        assert_string_equal(err.code, "PROVIDER_AUTH_FAILED");
    }

    /* expired */
    assert_int_equal(exchanged(jwt("{\"exp\":1700000000}"), &token, &ttl,
                               &err), -1);
    assert_non_null(strstr(err.message, "expired"));

    /* over 8 KiB */
    memset(buf, 'a', sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = '\0';
    assert_int_equal(exchanged(buf, &token, &ttl, &err), -1);
    assert_non_null(strstr(err.message, "8192"));
    assert_null(strstr(err.message, "KEY123"));
}


/* --- Azure's request ----------------------------------------------------- */

static void
test_azure_ssml(void **state)
{
    waav_err_t      err;
    waav_tts_out_t  out;

    (void) state;

    assert_int_equal(azure_build("{\"text\":\"Tom & Jerry <b> \\\"q\\\" it's"
                                 "\",\"tts_config\":{\"provider\":\"a\"}}",
                                 &out, &err), 0);
    assert_body(&out, "<speak version='1.0' "
                "xmlns='http://www.w3.org/2001/10/synthesis' "
                "xml:lang='en-US'><voice name='en-US-JennyNeural'>"
                "Tom &amp; Jerry &lt;b&gt; &quot;q&quot; it&apos;s"
                "</voice></speak>");
    assert_int_equal(out.http.path.len, strlen("/cognitiveservices/v1"));
    assert_string_equal(header(&out.http, "Content-Type"),
                        "application/ssml+xml");
    assert_string_equal(header(&out.http, "X-Microsoft-OutputFormat"),
                        "raw-24khz-16bit-mono-pcm");
    assert_string_equal(header(&out.http, "Authorization"), "Bearer TOK");
    assert_null(header(&out.http, "Ocp-Apim-Subscription-Key"));
    assert_string_equal(out.content_type, "audio/pcm");
    assert_int_equal(out.sample_rate, 24000);
    assert_true(out.speaking_rate == 0);      /* none asked: none said */

    /* the rate as a multiplier; within 0.01 of 1, none */
    assert_int_equal(azure_build("{\"text\":\"x\",\"tts_config\":{"
                                 "\"provider\":\"a\",\"speaking_rate\":0.5,"
                                 "\"voice_id\":\"de-DE-KatjaNeural\"}}",
                                 &out, &err), 0);
    assert_body(&out, "<speak version='1.0' "
                "xmlns='http://www.w3.org/2001/10/synthesis' "
                "xml:lang='de-DE'><voice name='de-DE-KatjaNeural'>"
                "<prosody rate='0.50'>x</prosody></voice></speak>");
    assert_int_equal(azure_build("{\"text\":\"x\",\"tts_config\":{"
                                 "\"provider\":\"a\",\"speaking_rate\":1.004"
                                 "}}", &out, &err), 0);
    assert_null(strstr(out.http.body.data, "prosody"));
    assert_true(out.speaking_rate > 1.003 && out.speaking_rate < 1.005);

    /* outside Azure's 0.5-2: clamped, and said (x-speaking-rate) */
    assert_int_equal(azure_build("{\"text\":\"x\",\"tts_config\":{"
                                 "\"provider\":\"a\",\"speaking_rate\":2.1"
                                 "}}", &out, &err), 0);
    assert_non_null(strstr(out.http.body.data, "<prosody rate='2.00'>"));
    assert_true(out.speaking_rate == 2.0);
    assert_int_equal(azure_build("{\"text\":\"x\",\"tts_config\":{"
                                 "\"provider\":\"a\",\"speaking_rate\":0.25"
                                 "}}", &out, &err), 0);
    assert_non_null(strstr(out.http.body.data, "<prosody rate='0.50'>"));
    assert_true(out.speaking_rate == 0.5);

    /* a voice without a locale: en-US */
    assert_int_equal(azure_build("{\"text\":\"x\",\"tts_config\":{"
                                 "\"provider\":\"a\",\"voice_id\":\"Jenny\"}}",
                                 &out, &err), 0);
    assert_non_null(strstr(out.http.body.data, "xml:lang='en-US'><voice "
                                               "name='Jenny'>"));

    /* a control character XML cannot carry: 400, before the call */
    assert_int_equal(azure_build("{\"text\":\"a\\u0001b\",\"tts_config\":{"
                                 "\"provider\":\"a\"}}", &out, &err), -1);
    assert_int_equal(err.status, 400);
    assert_int_equal(azure_build("{\"text\":\"a\\tb\\nc\",\"tts_config\":{"
                                 "\"provider\":\"a\"}}", &out, &err), 0);
}


static void
test_azure_formats(void **state)
{
    size_t          i;
    char            json[256];
    waav_err_t      err;
    waav_tts_out_t  out;

    static const struct {
        const char  *format;
        unsigned     rate;
        const char  *name;
        unsigned     out_rate;
    } ok[] = {
        { "linear16", 0, "raw-24khz-16bit-mono-pcm", 24000 },
        { "pcm", 8000, "raw-8khz-16bit-mono-pcm", 8000 },
        { "linear16", 22050, "raw-22050hz-16bit-mono-pcm", 22050 },
        { "linear16", 44100, "raw-44100hz-16bit-mono-pcm", 44100 },
        { "linear16", 48000, "raw-48khz-16bit-mono-pcm", 48000 },
        { "wav", 0, "riff-24khz-16bit-mono-pcm", 24000 },
        { "wav", 16000, "riff-16khz-16bit-mono-pcm", 16000 },
        { "mp3", 0, "audio-24khz-96kbitrate-mono-mp3", 24000 },
        { "mp3", 16000, "audio-16khz-64kbitrate-mono-mp3", 16000 },
        { "mp3", 48000, "audio-48khz-192kbitrate-mono-mp3", 48000 },
        { "opus", 0, "ogg-24khz-16bit-mono-opus", 24000 },
        { "ogg", 16000, "ogg-16khz-16bit-mono-opus", 16000 },
        { "mulaw", 0, "raw-8khz-8bit-mono-mulaw", 8000 },
        { "alaw", 8000, "raw-8khz-8bit-mono-alaw", 8000 },
        /* self-describing: the nearest rate Azure has */
        { "mp3", 22050, "audio-24khz-96kbitrate-mono-mp3", 24000 },
        { "mp3", 32000, "audio-24khz-96kbitrate-mono-mp3", 24000 },
        { "mp3", 44100, "audio-48khz-192kbitrate-mono-mp3", 48000 },
        { "mp3", 8000, "audio-16khz-64kbitrate-mono-mp3", 16000 },
        { "opus", 8000, "ogg-16khz-16bit-mono-opus", 16000 },
        { "opus", 44100, "ogg-48khz-16bit-mono-opus", 48000 },
        { "wav", 32000, "riff-24khz-16bit-mono-pcm", 24000 },
        { "wav", 12345, "riff-16khz-16bit-mono-pcm", 16000 },
    };

    static const struct {
        const char  *format;
        unsigned     rate;
    } bad[] = {
        { "linear16", 32000 }, { "pcm", 12345 }, { "mulaw", 16000 },
        { "alaw", 24000 }, { "flac", 0 }, { "aac", 0 },
    };

    (void) state;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(json, sizeof(json), "{\"text\":\"x\",\"tts_config\":{"
                 "\"provider\":\"a\",\"audio_format\":\"%s\"%s%.0u}}",
                 ok[i].format, ok[i].rate ? ",\"sample_rate\":" : "",
                 ok[i].rate);
        assert_int_equal(azure_build(json, &out, &err), 0);
        assert_string_equal(header(&out.http, "X-Microsoft-OutputFormat"),
                            ok[i].name);
        assert_int_equal(out.sample_rate, ok[i].out_rate);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(json, sizeof(json), "{\"text\":\"x\",\"tts_config\":{"
                 "\"provider\":\"a\",\"audio_format\":\"%s\"%s%.0u}}",
                 bad[i].format, bad[i].rate ? ",\"sample_rate\":" : "",
                 bad[i].rate);
        assert_int_equal(azure_build(json, &out, &err), -1);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.code, "UNSUPPORTED_OPTION");
    }

    /* a raw rate refused names the rates there are */
    assert_int_equal(azure_build("{\"text\":\"x\",\"tts_config\":{"
                                 "\"provider\":\"a\",\"sample_rate\":32000"
                                 "}}", &out, &err), -1);
    assert_string_equal(err.message, "azure does not support sample_rate "
                        "32000 for linear16 (it can do 8000, 16000, 22050, "
                        "24000, 44100, 48000)");
}


static void
test_locale(void **state)
{
    size_t      i;
    waav_str_t  l;

    static const char  *cases[][2] = {
        { "en-US-JennyNeural", "en-US" }, { "cmn-CN-Wavenet-A", "cmn-CN" },
        { "en-GB", "en-GB" }, { "zh-CN-shaanxi-XiaoniNeural", "zh-CN" },
        { "Jenny", "en-US" }, { "EN-US-x", "en-US" }, { "e-US-x", "en-US" },
        { "en-us-x", "en-US" }, { "en-USA", "en-US" }, { "", "en-US" },
        { "abcd-US-x", "en-US" },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        l = waav_tts_locale((waav_str_t) { cases[i][0],
                                           strlen(cases[i][0]) });
        if (l.len != strlen(cases[i][1])
            || memcmp(l.data, cases[i][1], l.len) != 0)
        {
            fail_msg("%s: %.*s", cases[i][0], (int) l.len, l.data);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_apply_token, waav_arena_teardown),
        cmocka_unit_test_teardown(test_azure_exchange, waav_arena_teardown),
        cmocka_unit_test_teardown(test_azure_exchanged, waav_arena_teardown),
        cmocka_unit_test_teardown(test_azure_ssml, waav_arena_teardown),
        cmocka_unit_test_teardown(test_azure_formats, waav_arena_teardown),
        cmocka_unit_test(test_locale),
    };

    return cmocka_run_group_tests_name("waav_cred", tests, NULL, NULL);
}
