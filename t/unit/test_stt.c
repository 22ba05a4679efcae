/*
 * Unit tests for the STT core: request validation (waav_stt_validate.c),
 * provider requests without the audio (src/core/stt/), answers through
 * each adapter into one result (waav_stt_normalize.c), AssemblyAI's steps,
 * and OpenAI's formats (waav_stt_formats.c) (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waav_stt.h"
#include "waav_stt_formats.h"
#include "waav_stt_normalize.h"
#include "waav_stt_validate.h"
#include "waav_arena.h"
#include "waav_assert.h"
#include "waav_header.h"


static void
req_init(waav_stt_req_t *r, const char *ct)
{
    waav_err_t  err;

    memset(r, 0, sizeof(*r));
    r->content_type.data = ct;
    r->content_type.len = strlen(ct);
    r->punctuate = -1;
    r->diarize = -1;

    /* what the glue does before building: the audio's type */
    (void) waav_stt_validate(r, &err);
}


static waav_secret_t
secret(const char *key)
{
    waav_secret_t  s;

    memset(&s, 0, sizeof(s));
    s.key.data = key;
    s.key.len = strlen(key);

    return s;
}



static int
build(const char *type, const waav_stt_req_t *r, const char *key,
    waav_http_req_t *out, waav_str_t *suffix)
{
    waav_err_t     err;
    waav_secret_t  s;

    s = secret(key);

    if (waav_stt_build(waav_stt_adapter(type, strlen(type)), r, &s, out,
                       suffix, &WAAV_ARENA, &err)
        != 0)
    {
        fail_msg("build: %s", err.message);
    }

    return 0;
}


static void
test_validate(void **state)
{
    waav_stt_req_t  r;
    waav_err_t      err;

    (void) state;

    req_init(&r, "audio/wav");
    assert_int_equal(waav_stt_validate(&r, &err), 0);
    assert_int_equal(r.audio.kind, WAAV_AUDIO_WAV);

    req_init(&r, "text/plain");
    assert_int_equal(waav_stt_validate(&r, &err), -1);
    assert_int_equal(err.status, 415);

    req_init(&r, "audio/wav");
    r.language = S("en/../x");
    assert_int_equal(waav_stt_validate(&r, &err), -1);
    assert_int_equal(err.status, 400);

    req_init(&r, "audio/wav");
    r.model = S("nova-3?x=1");
    assert_int_equal(waav_stt_validate(&r, &err), -1);

    req_init(&r, "audio/wav");
    r.keywords = S("waav:2, nginx&x=y");
    assert_int_equal(waav_stt_validate(&r, &err), -1);

    req_init(&r, "audio/wav");
    r.keywords = S("waav:2, open ai,it's");
    assert_int_equal(waav_stt_validate(&r, &err), 0);

    /* a type waav takes with parameters out of range: invalid audio */
    req_init(&r, "audio/L16;channels=0");
    assert_int_equal(waav_stt_validate(&r, &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "INVALID_AUDIO");

    req_init(&r, "audio/L16");
    assert_int_equal(waav_stt_validate(&r, &err), -1);
    assert_int_equal(err.status, 415);
}


/* defect: strchr(extra, c) is true for c == 0, so a NUL passed */
static void
test_validate_nul(void **state)
{
    waav_stt_req_t  r;
    waav_err_t      err;

    (void) state;

    assert_false(waav_stt_chars_ok(S("a\0b"), "-_", 16));
    assert_false(waav_stt_chars_ok(S("\0"), " ,", 16));
    assert_true(waav_stt_chars_ok(S("en-US"), "-_", 16));

    req_init(&r, "audio/wav");
    r.keywords = S("a\0b");
    assert_int_equal(waav_stt_validate(&r, &err), -1);
    assert_int_equal(err.status, 400);

    req_init(&r, "audio/wav");
    r.language = S("en\0");
    assert_int_equal(waav_stt_validate(&r, &err), -1);
    assert_string_equal(err.code, "INVALID_REQUEST");

    req_init(&r, "audio/wav");
    r.prompt = S("say\0this");
    assert_int_equal(waav_stt_validate(&r, &err), -1);

    req_init(&r, "audio/wav");
    r.prompt = S("a prompt\nover two lines\twith a tab");
    assert_int_equal(waav_stt_validate(&r, &err), 0);

    req_init(&r, "audio/wav");
    r.prompt = S("bell\x07");
    assert_int_equal(waav_stt_validate(&r, &err), -1);
}


static void
test_temperature(void **state)
{
    static const char  *ok[] = { "0", "1", "0.2", "1.0", "1.000", "0.05" };
    static const char  *bad[] = { "2", "1.5", "01", ".5", "1.", "-0",
                                  "0.2.1", "0x1", "1e0", "0.5 ", "",
                                  "0.12345678901234567" };
    size_t              i;

    (void) state;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_true(waav_stt_temperature_ok((waav_str_t) { ok[i],
                                                           strlen(ok[i]) }));
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(waav_stt_temperature_ok((waav_str_t) { bad[i],
                                                            strlen(bad[i]) }));
    }
}


static void
test_deepgram_request(void **state)
{
    waav_stt_req_t   r;
    waav_http_req_t  out;
    waav_str_t       suffix;

    (void) state;

    assert_false(waav_stt_adapter("deepgram", 8)->multipart);

    req_init(&r, "audio/x-wav; foo=bar");
    build("deepgram", &r, "KEY", &out, &suffix);
    assert_str(out.path, "/v1/listen");
    assert_str(out.args, "model=nova-3&detect_language=true");
    assert_string_equal(header(&out, "Authorization"), "Token KEY");

    /* the type waav validated, never the client's parameters */
    assert_string_equal(header(&out, "Content-Type"), "audio/wav");
    assert_int_equal(suffix.len, 0);

    req_init(&r, "audio/L16;rate=16000");
    r.model = S("nova-2");
    r.language = S("en-US");
    r.punctuate = 1;
    r.diarize = 0;
    r.keywords = S("waav:2,open ai");
    build("deepgram", &r, "KEY", &out, &suffix);
    assert_str(out.args, "model=nova-2&language=en-US"
               "&encoding=linear16&sample_rate=16000&channels=1"
               "&punctuate=true&diarize=false&keywords=waav:2"
               "&keywords=open%20ai");
    assert_string_equal(header(&out, "Content-Type"),
                        "audio/L16;rate=16000;channels=1");

    req_init(&r, "audio/l16; channels=2; rate=8000; x=1");
    build("deepgram", &r, "KEY", &out, &suffix);
    assert_str(out.args, "model=nova-3&detect_language=true"
               "&encoding=linear16&sample_rate=8000&channels=2");

    req_init(&r, "audio/wav");
    r.keywords = S(",waav,,");
    build("deepgram", &r, "KEY", &out, &suffix);
    assert_str(out.args, "model=nova-3&detect_language=true&keyterm=waav");
}


static void
test_openai_request(void **state)
{
    waav_stt_req_t   r;
    waav_http_req_t  out;
    waav_str_t       suffix;
    char             boundary[64], want[1024];
    const char      *ct;

    (void) state;

    req_init(&r, "audio/mp3; x=y");
    r.language = S("en");
    r.words = 1;
    build("openai", &r, "sk", &out, &suffix);

    assert_str(out.path, "/audio/transcriptions");
    assert_string_equal(out.method, "POST");
    assert_string_equal(header(&out, "Authorization"), "Bearer sk");

    ct = header(&out, "Content-Type");
    assert_non_null(ct);
    assert_int_equal(sscanf(ct, "multipart/form-data; boundary=%63s", boundary),
                     1);

    snprintf(want, sizeof(want),
             "--%s\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n"
             "whisper-1\r\n"
             "--%s\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\n"
             "en\r\n"
             "--%s\r\nContent-Disposition: form-data; "
             "name=\"response_format\"\r\n\r\nverbose_json\r\n"
             "--%s\r\nContent-Disposition: form-data; "
             "name=\"timestamp_granularities[]\"\r\n\r\nword\r\n"
             "--%s\r\nContent-Disposition: form-data; name=\"file\"; "
             "filename=\"audio.mp3\"\r\nContent-Type: audio/mpeg\r\n\r\n",
             boundary, boundary, boundary, boundary, boundary);

    assert_int_equal(out.body.len, strlen(want));
    assert_memory_equal(out.body.data, want, out.body.len);

    snprintf(want, sizeof(want), "\r\n--%s--\r\n", boundary);
    assert_int_equal(suffix.len, strlen(want));
    assert_memory_equal(suffix.data, want, suffix.len);

    /* gpt-4o models: json, no timings */
    req_init(&r, "audio/wav");
    r.model = S("gpt-4o-transcribe");
    r.words = 1;
    r.temperature = S("0.2");
    build("openai", &r, "sk", &out, &suffix);
    assert_null(strstr(out.body.data, "timestamp_granularities"));
    assert_non_null(strstr(out.body.data, "\r\n\r\njson\r\n"));
    assert_non_null(strstr(out.body.data, "name=\"temperature\"\r\n\r\n0.2"));

    /* no key, no Authorization (self-hosted) */
    build("openai-compatible", &r, "", &out, &suffix);
    assert_null(header(&out, "Authorization"));

    /* headerless PCM goes as a WAV with its own header */
    req_init(&r, "audio/L16;rate=8000;channels=2");
    r.audio_len = 32000;
    build("groq", &r, "gk", &out, &suffix);
    assert_non_null(strstr(out.body.data, "filename=\"audio.wav\"\r\n"
                                          "Content-Type: audio/wav\r\n\r\n"));
    assert_memory_equal(out.body.data + out.body.len - 44,
                        "RIFF\x24\x7d\0\0WAVEfmt \x10\0\0\0\x01\0\x02\0"
                        "\x40\x1f\0\0\0\x7d\0\0\x04\0\x10\0data\0\x7d\0\0",
                        44);
    assert_non_null(strstr(out.body.data, "whisper-large-v3-turbo"));
}


static void
test_elevenlabs_request(void **state)
{
    waav_stt_req_t   r;
    waav_http_req_t  out;
    waav_str_t       suffix;

    (void) state;

    req_init(&r, "audio/wav");
    r.diarize = 1;
    build("elevenlabs", &r, "xk", &out, &suffix);
    assert_str(out.path, "/v1/speech-to-text");
    assert_string_equal(header(&out, "xi-api-key"), "xk");
    assert_null(header(&out, "Authorization"));
    assert_non_null(strstr(out.body.data,
                           "name=\"model_id\"\r\n\r\nscribe_v1"));
    assert_non_null(strstr(out.body.data, "name=\"diarize\"\r\n\r\ntrue"));
    assert_non_null(strstr(out.body.data, "filename=\"audio.wav\""));
}


/* a one-call adapter's answer through waav_stt_next, as our JSON */
static int
answer(const char *type, const char *json, const waav_stt_req_t *r,
    waav_stt_result_t *res, waav_err_t *err)
{
    waav_http_req_t   out;
    waav_stt_flow_t   flow;
    waav_secret_t     s;

    memset(&flow, 0, sizeof(flow));
    s = secret("k");

    return waav_stt_next(waav_stt_adapter(type, strlen(type)), &flow, r, &s,
                         S("prov"), (waav_str_t) { json, strlen(json) }, res,
                         &out, &WAAV_ARENA, err);
}


static void
normalize(const char *type, const char *json, const waav_stt_req_t *r,
    const char *want)
{
    waav_str_t         out;
    waav_err_t         err;
    waav_stt_result_t  res;

    if (answer(type, json, r, &res, &err) != WAAV_STT_DONE
        || waav_stt_result_json(&res, &WAAV_ARENA, &out, &err) != 0)
    {
        fail_msg("normalize: %s", err.message);
    }

    if (out.len != strlen(want) || memcmp(out.data, want, out.len) != 0) {
        fail_msg("got %.*s", (int) out.len, out.data);
    }
}


static void
test_normalize(void **state)
{
    waav_stt_req_t     r;
    waav_err_t         err;
    waav_stt_result_t  res;

    (void) state;

    req_init(&r, "audio/wav");

    normalize("deepgram",
        "{\"metadata\":{\"duration\":2.5},\"results\":{\"channels\":[{"
        "\"detected_language\":\"en\",\"alternatives\":[{\"transcript\":"
        "\"hello world\",\"confidence\":0.98,\"words\":[{\"word\":\"hello\","
        "\"start\":0.1,\"end\":0.5,\"confidence\":0.99,\"punctuated_word\":"
        "\"Hello\"},{\"word\":\"world\",\"start\":0.6,\"end\":1,"
        "\"confidence\":0.97}]}]}]}}", &r,
        "{\"transcript\":\"hello world\",\"confidence\":0.98,"
        "\"language\":\"en\",\"duration\":2.5,\"words\":["
        "{\"word\":\"hello\",\"start\":0.1,\"end\":0.5,\"confidence\":0.99},"
        "{\"word\":\"world\",\"start\":0.6,\"end\":1,\"confidence\":0.97}],"
        "\"provider\":\"prov\",\"model\":\"nova-3\"}");

    /* punctuated words when punctuate=true; the language asked for when
     * the provider does not say */
    r.punctuate = 1;
    r.language = S("en-GB");
    normalize("deepgram",
        "{\"results\":{\"channels\":[{\"alternatives\":[{\"transcript\":"
        "\"Hi.\",\"words\":[{\"word\":\"hi\",\"punctuated_word\":"
        "\"Hi.\"}]}]}]}}",
        &r,
        "{\"transcript\":\"Hi.\",\"language\":\"en-GB\",\"words\":["
        "{\"word\":\"Hi.\"}],\"provider\":\"prov\",\"model\":\"nova-3\"}");

    req_init(&r, "audio/wav");
    r.model = S("whisper-1");
    normalize("openai",
        "{\"task\":\"transcribe\",\"language\":\"english\",\"duration\":1.5,"
        "\"text\":\"Hi.\",\"words\":[{\"word\":\"Hi\",\"start\":0,"
        "\"end\":0.4}]}", &r,
        "{\"transcript\":\"Hi.\",\"language\":\"english\",\"duration\":1.5,"
        "\"words\":[{\"word\":\"Hi\",\"start\":0,\"end\":0.4}],"
        "\"provider\":\"prov\",\"model\":\"whisper-1\"}");

    /* json: only text; nothing invented */
    req_init(&r, "audio/wav");
    normalize("openai", "{\"text\":\"Hi.\"}", &r,
        "{\"transcript\":\"Hi.\",\"provider\":\"prov\",\"model\":"
        "\"whisper-1\"}");

    normalize("elevenlabs",
        "{\"language_code\":\"eng\",\"text\":\"a b\",\"words\":["
        "{\"text\":\"a\",\"start\":0,\"end\":0.2,\"type\":\"word\"},"
        "{\"text\":\" \",\"start\":0.2,\"end\":0.3,\"type\":\"spacing\"},"
        "{\"text\":\"b\",\"start\":0.3,\"end\":0.5,\"type\":\"word\"},"
        "{\"text\":\"(laughs)\",\"start\":0.5,\"end\":0.75,"
        "\"type\":\"audio_event\"}]}", &r,
        "{\"transcript\":\"a b\",\"language\":\"eng\",\"duration\":0.75,"
        "\"words\":["
        "{\"word\":\"a\",\"start\":0,\"end\":0.2},{\"word\":\"b\","
        "\"start\":0.3,\"end\":0.5}],\"provider\":\"prov\",\"model\":"
        "\"scribe_v1\"}");

    /* not the expected JSON */
    assert_int_equal(answer("deepgram", "{\"results\"", &r, &res, &err), -1);
    assert_int_equal(err.status, 502);
    assert_string_equal(err.code, "PROVIDER_BAD_RESPONSE");
    assert_non_null(strstr(err.message, "prov"));

    assert_int_equal(answer("openai", "[1]", &r, &res, &err), -1);
    assert_int_equal(answer("elevenlabs", "{\"text\":1}", &r, &res, &err), -1);

    /* numbers that are not finite, words that are not words: left out */
    normalize("openai", "{\"text\":\"x\",\"duration\":\"9\",\"words\":["
        "{\"word\":1},{\"word\":\"y\",\"start\":\"0\",\"end\":2}]}", &r,
        "{\"transcript\":\"x\",\"words\":[{\"word\":\"y\",\"end\":2}],"
        "\"provider\":\"prov\",\"model\":\"whisper-1\"}");
}


/* AssemblyAI through the multi-step hook: upload, create, poll, done */
static void
test_assemblyai(void **state)
{
    int                rc;
    waav_stt_req_t     r;
    waav_http_req_t    out;
    waav_str_t         suffix, json;
    waav_err_t         err;
    waav_secret_t      s;
    waav_stt_flow_t    flow;
    waav_stt_result_t  res;
    const waav_stt_adapter_t  *ad;

    (void) state;

    ad = waav_stt_adapter("assemblyai", 10);
    s = secret("aaikey");

    req_init(&r, "audio/wav");
    r.language = S("en-US");
    r.punctuate = 1;
    r.model = S("best");

    build("assemblyai", &r, "aaikey", &out, &suffix);
    assert_str(out.path, "/v2/upload");
    assert_string_equal(header(&out, "Authorization"), "aaikey");
    assert_string_equal(header(&out, "Content-Type"),
                        "application/octet-stream");

    memset(&flow, 0, sizeof(flow));

#define step(j)                                                              \
    (json = (waav_str_t) { j, strlen(j) },                                   \
     waav_stt_next(ad, &flow, &r, &s, S("a"), json, &res, &out, &WAAV_ARENA, \
                   &err))

    /* the upload's answer: create the transcript */
    rc = step("{\"upload_url\":\"https://cdn.example/u/1\"}");
    assert_int_equal(rc, WAAV_STT_NEXT);
    assert_int_equal(flow.step, 1);
    assert_string_equal(out.method, "POST");
    assert_str(out.path, "/v2/transcript");
    assert_string_equal(header(&out, "Authorization"), "aaikey");
    assert_string_equal(header(&out, "Content-Type"), "application/json");
    assert_str(out.body, "{\"audio_url\":\"https://cdn.example/u/1\","
               "\"language_code\":\"en_us\",\"punctuate\":true}");

    /* queued: poll it after the interval */
    rc = step("{\"id\":\"t1\",\"status\":\"queued\"}");
    assert_int_equal(rc, WAAV_STT_WAIT);
    assert_string_equal(out.method, "GET");
    assert_str(out.path, "/v2/transcript/t1");
    assert_string_equal(header(&out, "Authorization"), "aaikey");
    assert_str(flow.id, "t1");

    rc = step("{\"id\":\"t1\",\"status\":\"completed\",\"text\":"
              "\"Hi.\",\"confidence\":0.9,\"audio_duration\":2,"
              "\"language_code\":\"en_us\",\"words\":[{\"text\":"
              "\"Hi.\",\"start\":250,\"end\":750,\"confidence\":0.9}]}");
    assert_int_equal(rc, WAAV_STT_DONE);
    assert_int_equal(waav_stt_result_json(&res, &WAAV_ARENA, &json, &err), 0);
    assert_str(json, "{\"transcript\":\"Hi.\",\"confidence\":0.9,"
               "\"language\":\"en_us\",\"duration\":2,\"words\":[{\"word\":"
               "\"Hi.\",\"start\":0.25,\"end\":0.75,\"confidence\":0.9}],"
               "\"provider\":\"a\",\"model\":\"best\"}");

    /* the failures */
    flow.step = 0;
    assert_int_equal(step("{\"upload_url\":\"ftp://x\"}"), -1);
    assert_string_equal(err.code, "PROVIDER_BAD_RESPONSE");

    flow.step = 2;
    assert_int_equal(step("{\"id\":\"../x\",\"status\":\"processing\"}"), -1);
    assert_int_equal(step("{\"id\":\"t1\"}"), -1);
    assert_int_equal(step("{\"id\":\"t1\",\"status\":\"error\","
                          "\"error\":\"Download error\"}"), -1);
    assert_string_equal(err.code, "PROVIDER_ERROR");
    assert_non_null(strstr(err.message, "Download error"));
    assert_int_equal(step("{\"id\":\"t1\",\"status\":\"weird\"}"), -1);

#undef step
}


static waav_stt_result_t
result(const char *json)
{
    waav_stt_req_t     r;
    waav_err_t         err;
    waav_stt_result_t  res;

    req_init(&r, "audio/wav");
    r.model = S("nova-3");

    if (answer("deepgram", json, &r, &res, &err) != WAAV_STT_DONE) {
        fail_msg("answer: %s", err.message);
    }

    return res;
}


#define format(res, fmt, words, want_ct, want)                               \
    do {                                                                     \
        waav_str_t   o_;                                                     \
        waav_err_t   e_;                                                     \
        const char  *ct_;                                                    \
        assert_int_equal(waav_stt_format(&(res), fmt, words, &WAAV_ARENA,    \
                                         &o_, &ct_, &e_), 0);                \
        assert_string_equal(ct_, want_ct);                                   \
        assert_str(o_, want);                                                \
    } while (0)


static void
test_formats(void **state)
{
    waav_stt_result_t  res;

    (void) state;

    assert_int_equal(waav_stt_fmt_parse("", 0), WAAV_STT_FMT_JSON);
    assert_int_equal(waav_stt_fmt_parse("verbose_json", 12),
                     WAAV_STT_FMT_VERBOSE);
    assert_int_equal(waav_stt_fmt_parse("vtt", 3), WAAV_STT_FMT_VTT);
    assert_int_equal(waav_stt_fmt_parse("json2", 5), WAAV_STT_FMT_WAAV);
    assert_int_equal(waav_stt_fmt_parse("jso", 3), WAAV_STT_FMT_WAAV);
    assert_int_equal(waav_stt_fmt_parse("json\0", 5), WAAV_STT_FMT_WAAV);

    res = result("{\"metadata\":{\"duration\":3661.25},\"results\":{"
                 "\"channels\":[{\"detected_language\":\"en\","
                 "\"alternatives\":[{\"transcript\":\"hi there\","
                 "\"words\":[{\"word\":\"hi\",\"start\":0,\"end\":0.5,"
                 "\"confidence\":0.9}]}]}]}}");

    format(res, WAAV_STT_FMT_JSON, 0, "application/json",
           "{\"text\":\"hi there\"}");
    format(res, WAAV_STT_FMT_VERBOSE, 1, "application/json",
           "{\"task\":\"transcribe\",\"language\":\"en\",\"duration\":3661.25,"
           "\"text\":\"hi there\",\"words\":[{\"word\":\"hi\",\"start\":0,"
           "\"end\":0.5}]}");
    format(res, WAAV_STT_FMT_VERBOSE, 0, "application/json",
           "{\"task\":\"transcribe\",\"language\":\"en\",\"duration\":3661.25,"
           "\"text\":\"hi there\"}");
    format(res, WAAV_STT_FMT_TEXT, 0, "text/plain; charset=utf-8",
           "hi there\n");
    format(res, WAAV_STT_FMT_SRT, 0, "application/x-subrip",
           "1\n00:00:00,000 --> 01:01:01,250\nhi there\n");
    format(res, WAAV_STT_FMT_WAAV, 0, "application/json",
           "{\"transcript\":\"hi there\",\"language\":\"en\","
           "\"duration\":3661.25,\"words\":[{\"word\":\"hi\",\"start\":0,"
           "\"end\":0.5,\"confidence\":0.9}],\"provider\":\"prov\","
           "\"model\":\"nova-3\"}");

    /* a line break in the transcript cannot end the cue */
    res = result("{\"results\":{\"channels\":[{\"alternatives\":[{"
                 "\"transcript\":\"a\\n\\rb\"}]}]}}");
    format(res, WAAV_STT_FMT_VTT, 0, "text/vtt",
           "WEBVTT\n\n00:00:00.000 --> 00:00:00.000\na  b\n");

    /* WebVTT: the text is never markup nor a timing arrow; no duration:
     * the last word's end; a huge one: the clock's widest */
    res = result("{\"results\":{\"channels\":[{\"alternatives\":[{"
                 "\"transcript\":\"a --> <b> & c\",\"words\":[{\"word\":"
                 "\"a\",\"end\":1.5},{\"word\":\"c\",\"end\":2.25}]}]}]}}");
    format(res, WAAV_STT_FMT_VTT, 0, "text/vtt",
           "WEBVTT\n\n00:00:00.000 --> 00:00:02.250\n"
           "a --&gt; &lt;b&gt; &amp; c\n");

    res = result("{\"metadata\":{\"duration\":1e12},\"results\":{"
                 "\"channels\":[{\"alternatives\":[{\"transcript\":"
                 "\"x\"}]}]}}");
    format(res, WAAV_STT_FMT_SRT, 0, "application/x-subrip",
           "1\n00:00:00,000 --> 99:59:59,999\nx\n");
}


static void
test_result_seconds(void **state)
{
    waav_stt_result_t  res;

    (void) state;

    memset(&res, 0, sizeof(res));
    assert_int_equal(waav_stt_result_seconds(&res), 0);

    res.has_duration = 1;
    res.duration = 2.5;
    assert_int_equal(waav_stt_result_seconds(&res), 3);
    res.duration = 2;
    assert_int_equal(waav_stt_result_seconds(&res), 2);
    res.duration = 1e9;
    assert_int_equal(waav_stt_result_seconds(&res), 86400);
    res.duration = -1;
    assert_int_equal(waav_stt_result_seconds(&res), 0);
}


static void
test_model_type(void **state)
{
    (void) state;

    assert_string_equal(waav_stt_model_type("whisper-1", 9), "openai");
    assert_null(waav_stt_model_type("whisper-10", 10));
    assert_string_equal(waav_stt_model_type("gpt-4o-transcribe", 17), "openai");
    assert_string_equal(waav_stt_model_type("whisper-large-v3-turbo", 22),
                        "groq");
    assert_string_equal(waav_stt_model_type("distil-whisper-large-v3-en", 26),
                        "groq");
    assert_string_equal(waav_stt_model_type("nova-3", 6), "deepgram");
    assert_string_equal(waav_stt_model_type("scribe_v1", 9), "elevenlabs");
    assert_string_equal(waav_stt_model_type("best", 4), "assemblyai");
    assert_string_equal(waav_stt_model_type("nano", 4), "assemblyai");
    assert_string_equal(waav_stt_model_type("slam-1", 6), "assemblyai");
    assert_null(waav_stt_model_type("bestest", 7));
    assert_null(waav_stt_model_type("", 0));

    /* every type a model names has an STT adapter */
    assert_non_null(waav_stt_adapter("groq", 4));
    assert_non_null(waav_stt_adapter("assemblyai", 10));
    assert_null(waav_stt_adapter("lmnt", 4));

    /* cartesia's STT is streaming only: no model routes /stt to it */
    assert_null(waav_stt_model_type("ink-whisper", 11));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_validate, waav_arena_teardown),
        cmocka_unit_test_teardown(test_validate_nul, waav_arena_teardown),
        cmocka_unit_test_teardown(test_temperature, waav_arena_teardown),
        cmocka_unit_test_teardown(test_deepgram_request, waav_arena_teardown),
        cmocka_unit_test_teardown(test_openai_request, waav_arena_teardown),
        cmocka_unit_test_teardown(test_elevenlabs_request, waav_arena_teardown),
        cmocka_unit_test_teardown(test_normalize, waav_arena_teardown),
        cmocka_unit_test_teardown(test_assemblyai, waav_arena_teardown),
        cmocka_unit_test_teardown(test_formats, waav_arena_teardown),
        cmocka_unit_test_teardown(test_result_seconds, waav_arena_teardown),
        cmocka_unit_test_teardown(test_model_type, waav_arena_teardown),
    };

    return cmocka_run_group_tests_name("waav_stt", tests, NULL, NULL);
}
