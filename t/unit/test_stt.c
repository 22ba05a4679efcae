/*
 * Unit tests for src/core/waav_stt.c: provider requests (without the
 * audio) and normalized answers (cmocka).
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
#include "waav_arena.h"


#define S(lit)  ((waav_str_t) { lit, sizeof(lit) - 1 })

static void
req_init(waav_stt_req_t *r, const char *ct)
{
    memset(r, 0, sizeof(*r));
    r->content_type.data = ct;
    r->content_type.len = strlen(ct);
    r->punctuate = -1;
    r->diarize = -1;
}


static const char *
header(const waav_http_req_t *out, const char *name)
{
    size_t       i;
    static char  buf[256];

    for (i = 0; i < out->nheaders; i++) {
        if (strcmp(out->headers[i].name, name) == 0) {
            snprintf(buf, sizeof(buf), "%.*s",
                     (int) out->headers[i].value.len,
                     out->headers[i].value.data);
            return buf;
        }
    }

    return NULL;
}


static void
test_validate(void **state)
{
    waav_stt_req_t  r;
    waav_err_t      err;
    unsigned        rate;
    const char     *ext;

    (void) state;

    req_init(&r, "audio/wav");
    assert_int_equal(waav_stt_validate(&r, &err), 0);

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

    assert_true(waav_stt_audio_type(S("audio/L16;rate=16000;channels=1"),
                                    &rate, &ext));
    assert_int_equal(rate, 16000);
    assert_false(waav_stt_audio_type(S("audio/L16"), &rate, &ext));
    assert_true(waav_stt_audio_type(S("AUDIO/MPEG"), &rate, &ext));
    assert_string_equal(ext, "mp3");
}


static void
test_deepgram_request(void **state)
{
    waav_stt_req_t             r;
    waav_http_req_t            out;
    waav_str_t                 suffix;
    waav_err_t                 err;
    const waav_stt_adapter_t  *ad;

    (void) state;

    ad = waav_stt_adapter("deepgram", 8);
    assert_non_null(ad);
    assert_false(ad->multipart);

    req_init(&r, "audio/wav");
    memset(&out, 0, sizeof(out));
    assert_int_equal(ad->build(ad, &r, S("KEY"), &out, &suffix, &WAAV_ARENA, &err), 0);
    assert_int_equal(out.path.len, 10);
    assert_memory_equal(out.path.data, "/v1/listen", 10);
    assert_int_equal(out.args.len, strlen("model=nova-3&detect_language=true"));
    assert_memory_equal(out.args.data, "model=nova-3&detect_language=true",
                        out.args.len);
    assert_string_equal(header(&out, "Authorization"), "Token KEY");
    assert_string_equal(header(&out, "Content-Type"), "audio/wav");
    assert_int_equal(suffix.len, 0);

    req_init(&r, "audio/L16;rate=16000");
    r.model = S("nova-2");
    r.language = S("en-US");
    r.punctuate = 1;
    r.diarize = 0;
    r.keywords = S("waav:2,open ai");
    memset(&out, 0, sizeof(out));
    assert_int_equal(ad->build(ad, &r, S("KEY"), &out, &suffix, &WAAV_ARENA, &err), 0);
    assert_int_equal(out.args.len, strlen("model=nova-2&language=en-US"
        "&encoding=linear16&sample_rate=16000&channels=1"
        "&punctuate=true&diarize=false&keywords=waav:2&keywords=open%20ai"));
    assert_memory_equal(out.args.data, "model=nova-2&language=en-US"
        "&encoding=linear16&sample_rate=16000&channels=1"
        "&punctuate=true&diarize=false&keywords=waav:2&keywords=open%20ai",
        out.args.len);

    req_init(&r, "audio/wav");
    r.keywords = S("waav");
    memset(&out, 0, sizeof(out));
    assert_int_equal(ad->build(ad, &r, S("KEY"), &out, &suffix, &WAAV_ARENA, &err), 0);
    assert_non_null(strstr(out.args.data, "&keyterm=waav"));
}


static void
test_openai_request(void **state)
{
    waav_stt_req_t             r;
    waav_http_req_t            out;
    waav_str_t                 suffix;
    waav_err_t                 err;
    char                       boundary[64], want[1024];
    const char                *ct;
    const waav_stt_adapter_t  *ad;

    (void) state;

    ad = waav_stt_adapter("openai", 6);
    req_init(&r, "audio/mpeg");
    r.language = S("en");
    r.words = 1;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ad->build(ad, &r, S("sk"), &out, &suffix, &WAAV_ARENA, &err), 0);

    assert_memory_equal(out.path.data, "/audio/transcriptions", out.path.len);
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
    memset(&out, 0, sizeof(out));
    assert_int_equal(ad->build(ad, &r, S("sk"), &out, &suffix, &WAAV_ARENA, &err), 0);
    assert_null(strstr(out.body.data, "timestamp_granularities"));
    assert_non_null(strstr(out.body.data, "\r\n\r\njson\r\n"));

    /* no key, no Authorization (self-hosted) */
    ad = waav_stt_adapter("openai-compatible", 17);
    memset(&out, 0, sizeof(out));
    assert_int_equal(ad->build(ad, &r, (waav_str_t) { "", 0 }, &out, &suffix,
                               &WAAV_ARENA, &err), 0);
    assert_null(header(&out, "Authorization"));
}


static void
test_elevenlabs_request(void **state)
{
    waav_stt_req_t             r;
    waav_http_req_t            out;
    waav_str_t                 suffix;
    waav_err_t                 err;
    const waav_stt_adapter_t  *ad;

    (void) state;

    ad = waav_stt_adapter("elevenlabs", 10);
    req_init(&r, "audio/wav");
    r.diarize = 1;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ad->build(ad, &r, S("xk"), &out, &suffix, &WAAV_ARENA, &err), 0);
    assert_memory_equal(out.path.data, "/v1/speech-to-text", out.path.len);
    assert_string_equal(header(&out, "xi-api-key"), "xk");
    assert_non_null(strstr(out.body.data, "name=\"model_id\"\r\n\r\nscribe_v1"));
    assert_non_null(strstr(out.body.data, "name=\"diarize\"\r\n\r\ntrue"));
    assert_non_null(strstr(out.body.data, "filename=\"audio.wav\""));
}


static void
normalize(const char *type, const char *json, waav_stt_req_t *r,
    const char *want)
{
    waav_str_t                 out;
    waav_err_t                 err;
    const waav_stt_adapter_t  *ad;

    ad = waav_stt_adapter(type, strlen(type));

    if (ad->normalize(json, strlen(json), r, S("prov"), &WAAV_ARENA, &out, &err) != 0) {
        fail_msg("normalize: %s", err.message);
    }

    if (out.len != strlen(want) || memcmp(out.data, want, out.len) != 0) {
        fail_msg("got %.*s", (int) out.len, out.data);
    }
}


static void
test_normalize(void **state)
{
    waav_stt_req_t  r;
    waav_str_t      out;
    waav_err_t      err;

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

    r.model = (waav_str_t) { "whisper-1", 9 };
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
        "{\"text\":\"b\",\"start\":0.3,\"end\":0.5,\"type\":\"word\"}]}", &r,
        "{\"transcript\":\"a b\",\"language\":\"eng\",\"duration\":0.5,"
        "\"words\":["
        "{\"word\":\"a\",\"start\":0,\"end\":0.2},{\"word\":\"b\","
        "\"start\":0.3,\"end\":0.5}],\"provider\":\"prov\",\"model\":"
        "\"scribe_v1\"}");

    /* not the expected JSON */
    assert_int_equal(waav_stt_adapter("deepgram", 8)->normalize("{\"results\"",
                     11, &r, S("prov"), &WAAV_ARENA, &out, &err), -1);
    assert_int_equal(err.status, 502);
    assert_string_equal(err.code, "PROVIDER_BAD_RESPONSE");

    assert_int_equal(waav_stt_adapter("openai", 6)->normalize("[1]", 3, &r,
                     S("prov"), &WAAV_ARENA, &out, &err), -1);
}


static void
test_assemblyai(void **state)
{
    waav_stt_req_t   r;
    waav_http_req_t  out;
    waav_str_t       url, id, res;
    waav_err_t       err;

    (void) state;

    req_init(&r, "audio/wav");
    r.language = S("en-US");
    r.punctuate = 1;
    r.model = S("best");

    memset(&out, 0, sizeof(out));
    assert_int_equal(waav_stt_aai_create(&r, S("aaikey"),
                     S("https://cdn.example/u/1"), &out, &WAAV_ARENA, &err), 0);
    assert_memory_equal(out.path.data, "/v2/transcript", out.path.len);
    assert_string_equal(header(&out, "Authorization"), "aaikey");
    assert_int_equal(out.body.len, strlen("{\"audio_url\":\"https://cdn.example/u/1\","
                     "\"language_code\":\"en_us\",\"punctuate\":true}"));
    assert_memory_equal(out.body.data, "{\"audio_url\":\"https://cdn.example/u/1\","
                        "\"language_code\":\"en_us\",\"punctuate\":true}",
                        out.body.len);

    memset(&out, 0, sizeof(out));
    assert_int_equal(waav_stt_aai_poll(S("aaikey"), S("abc-123"), &out, &WAAV_ARENA,
                                       &err), 0);
    assert_string_equal(out.method, "GET");
    assert_memory_equal(out.path.data, "/v2/transcript/abc-123", out.path.len);
    assert_int_equal(waav_stt_aai_poll(S("aaikey"), S("../x"), &out, &WAAV_ARENA, &err),
                     -1);

    assert_int_equal(waav_stt_aai_upload_url("{\"upload_url\":\"https://u/1\"}",
                     28, S("a"), &WAAV_ARENA, &url, &err), 0);
    assert_int_equal(url.len, 11);
    assert_int_equal(waav_stt_aai_upload_url("{\"upload_url\":\"ftp://x\"}",
                     24, S("a"), &WAAV_ARENA, &url, &err), -1);

    assert_int_equal(waav_stt_aai_state("{\"id\":\"t1\",\"status\":\"queued\"}",
                     31, &r, S("a"), &WAAV_ARENA, &id, &res, &err), 0);
    assert_int_equal(id.len, 2);

    assert_int_equal(waav_stt_aai_state("{\"id\":\"t1\",\"status\":\"error\","
                     "\"error\":\"Download error\"}", 55, &r, S("a"), &WAAV_ARENA, &id,
                     &res, &err), -1);
    assert_string_equal(err.code, "PROVIDER_ERROR");

    {
        const char  *j = "{\"id\":\"t1\",\"status\":\"completed\",\"text\":"
                         "\"Hi.\",\"confidence\":0.9,\"audio_duration\":2,"
                         "\"language_code\":\"en_us\",\"words\":[{\"text\":"
                         "\"Hi.\",\"start\":250,\"end\":750,"
                         "\"confidence\":0.9}]}";

        assert_int_equal(waav_stt_aai_state(j, strlen(j), &r, S("a"), &WAAV_ARENA, &id,
                                            &res, &err), 1);
        assert_int_equal(res.len, strlen("{\"transcript\":\"Hi.\","
            "\"confidence\":0.9,\"language\":\"en_us\",\"duration\":2,"
            "\"words\":[{\"word\":\"Hi.\",\"start\":0.25,\"end\":0.75,"
            "\"confidence\":0.9}],\"provider\":\"a\",\"model\":\"best\"}"));
    }
}


static void
test_wav_check(void **state)
{
    unsigned char  h[44];
    uint32_t       v;

    (void) state;

    memcpy(h, "RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0"
              "\x80\x3e\0\0\0\x7d\0\0\x02\0\x10\0data\0\0\0\0", 44);

    v = 36 + 1000;
    memcpy(h + 4, &v, 4);
    v = 1000;
    memcpy(h + 40, &v, 4);

    assert_int_equal(waav_stt_wav_check(h, 44, 1044), 0);
    assert_int_equal(waav_stt_wav_check(h, 44, 1043), -1);   /* RIFF size */
    assert_int_equal(waav_stt_wav_check(h, 44, 2044), -1);
    assert_int_equal(waav_stt_wav_check(h, 8, 1044), 1);     /* too short */
    assert_int_equal(waav_stt_wav_check((const unsigned char *) "ID3....."
                                        "........", 16, 100), 0);
}


static void
test_seconds(void **state)
{
    unsigned char  h[44];

    (void) state;

    memcpy(h, "RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0"
              "\x80\x3e\0\0\0\x7d\0\0\x02\0\x10\0data\0\0\0\0", 44);

    /* a WAV: its byte rate (32000), the header not counted */
    assert_int_equal(waav_stt_seconds(h, 44, 44 + 32000, 0), 1);
    assert_int_equal(waav_stt_seconds(h, 44, 44 + 32001, 0), 2);
    assert_int_equal(waav_stt_seconds(h, 44, 44 + 64000 * 10, 0), 20);
    assert_int_equal(waav_stt_seconds(h, 44, 10, 0), 1);

    /* headerless PCM at 8 kHz: 16000 bytes a second */
    assert_int_equal(waav_stt_seconds(NULL, 0, 48000, 8000), 3);

    /* compressed: 128 kbit/s */
    assert_int_equal(waav_stt_seconds((const unsigned char *) "ID3", 3,
                                      160000, 0), 10);

    /* what the provider reported, rounded up, bounded */
    assert_int_equal(waav_stt_answer_seconds("{\"duration\":2.5}", 16), 3);
    assert_int_equal(waav_stt_answer_seconds("{\"duration\":2}", 14), 2);
    assert_int_equal(waav_stt_answer_seconds("{\"duration\":1e9}", 16), 86400);
    assert_int_equal(waav_stt_answer_seconds("{\"duration\":-1}", 15), 0);
    assert_int_equal(waav_stt_answer_seconds("{\"duration\":\"9\"}", 16), 0);
    assert_int_equal(waav_stt_answer_seconds("nope", 4), 0);

    /* a byte rate that makes no sense is not trusted */
    h[28] = 1; h[29] = 0; h[30] = 0; h[31] = 0;
    assert_int_equal(waav_stt_seconds(h, 44, 44 + 16000, 0), 1);

    /* nor one that makes audio cheap: at most 192000 bytes a second */
    h[28] = 0xff; h[29] = 0xff; h[30] = 0xff; h[31] = 0xff;
    assert_int_equal(waav_stt_seconds(h, 44, 44 + 25 * 1024 * 1024, 0), 137);
}


static void
test_openai_shapes(void **state)
{
    const char  *ans = "{\"transcript\":\"hi there\",\"language\":\"en\","
                       "\"duration\":3661.25,\"words\":[{\"word\":\"hi\","
                       "\"start\":0,\"end\":0.5,\"confidence\":0.9}],"
                       "\"provider\":\"deepgram\",\"model\":\"nova-3\"}";
    const char  *ct;
    waav_str_t   out;
    waav_err_t   err;

    (void) state;

    {
        static const char  *ok[] = { "0", "1", "0.2", "1.0", "1.000", "0.05" };
        static const char  *bad[] = { "2", "1.5", "01", ".5", "1.", "-0",
                                      "0.2.1", "0x1", "1e0", "0.5 " };
        waav_stt_req_t      req;
        size_t              i;

        for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
            req_init(&req, "audio/wav");
            req.temperature.data = ok[i];
            req.temperature.len = strlen(ok[i]);
            assert_int_equal(waav_stt_validate(&req, &err), 0);
        }

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            req_init(&req, "audio/wav");
            req.temperature.data = bad[i];
            req.temperature.len = strlen(bad[i]);
            assert_int_equal(waav_stt_validate(&req, &err), -1);
        }
    }

    assert_int_equal(waav_stt_fmt_parse("", 0), WAAV_STT_FMT_JSON);
    assert_int_equal(waav_stt_fmt_parse("verbose_json", 12),
                     WAAV_STT_FMT_VERBOSE);
    assert_int_equal(waav_stt_fmt_parse("vtt", 3), WAAV_STT_FMT_VTT);
    assert_int_equal(waav_stt_fmt_parse("json2", 5), WAAV_STT_FMT_WAAV);
    assert_int_equal(waav_stt_fmt_parse("jso", 3), WAAV_STT_FMT_WAAV);

    assert_string_equal(waav_stt_model_type("whisper-1", 9), "openai");
    assert_null(waav_stt_model_type("whisper-10", 10));
    assert_string_equal(waav_stt_model_type("gpt-4o-transcribe", 17), "openai");
    assert_string_equal(waav_stt_model_type("whisper-large-v3-turbo", 22),
                        "groq");
    assert_string_equal(waav_stt_model_type("nova-3", 6), "deepgram");
    assert_string_equal(waav_stt_model_type("scribe_v1", 9), "elevenlabs");
    assert_string_equal(waav_stt_model_type("best", 4), "assemblyai");
    assert_null(waav_stt_model_type("bestest", 7));
    assert_null(waav_stt_model_type("", 0));

    assert_string_equal(waav_stt_ext_type("a.b.MP3"), "audio/mpeg");
    assert_string_equal(waav_stt_ext_type("x.opus"), "audio/ogg");
    assert_null(waav_stt_ext_type("wav"));
    assert_null(waav_stt_ext_type("a.txt"));

    memset(&err, 0, sizeof(err));

    assert_int_equal(waav_stt_openai_answer(ans, strlen(ans),
                     WAAV_STT_FMT_JSON, 0, &WAAV_ARENA, &out, &ct, &err), 0);
    assert_string_equal(ct, "application/json");
    assert_int_equal(out.len, strlen("{\"text\":\"hi there\"}"));
    assert_memory_equal(out.data, "{\"text\":\"hi there\"}", out.len);

    assert_int_equal(waav_stt_openai_answer(ans, strlen(ans),
                     WAAV_STT_FMT_VERBOSE, 1, &WAAV_ARENA, &out, &ct, &err), 0);
    assert_memory_equal(out.data, "{\"task\":\"transcribe\",\"language\":"
                        "\"en\",\"duration\":3661.25,\"text\":\"hi there\","
                        "\"words\":[{\"word\":\"hi\",\"start\":0,\"end\":0.5}]}",
                        out.len);

    assert_int_equal(waav_stt_openai_answer(ans, strlen(ans),
                     WAAV_STT_FMT_SRT, 0, &WAAV_ARENA, &out, &ct, &err), 0);
    assert_string_equal(ct, "application/x-subrip");
    assert_int_equal(out.len, strlen("1\n00:00:00,000 --> 01:01:01,250\n"
                                     "hi there\n"));
    assert_memory_equal(out.data, "1\n00:00:00,000 --> 01:01:01,250\n"
                        "hi there\n", out.len);

    /* a line break in the transcript cannot end the cue */
    assert_int_equal(waav_stt_openai_answer("{\"transcript\":\"a\\n\\nb\"}",
                     23, WAAV_STT_FMT_VTT, 0, &WAAV_ARENA, &out, &ct, &err), 0);
    assert_string_equal(ct, "text/vtt");
    assert_int_equal(out.len, strlen("WEBVTT\n\n00:00:00.000 --> "
                                     "00:00:00.000\na  b\n"));
    assert_memory_equal(out.data, "WEBVTT\n\n00:00:00.000 --> 00:00:00.000\n"
                        "a  b\n", out.len);

    /* WebVTT: the text is never markup nor a timing arrow; no duration:
     * the last word's end; a huge one: the clock's widest */
    {
        const char  *j = "{\"transcript\":\"a --> <b> & c\","
                         "\"words\":[{\"word\":\"a\",\"end\":1.5},"
                         "{\"word\":\"c\",\"end\":2.25}]}";
        const char  *want = "WEBVTT\n\n00:00:00.000 --> 00:00:02.250\n"
                            "a --&gt; &lt;b&gt; &amp; c\n";

        assert_int_equal(waav_stt_openai_answer(j, strlen(j),
                         WAAV_STT_FMT_VTT, 0, &WAAV_ARENA, &out, &ct, &err), 0);
        assert_int_equal(out.len, strlen(want));
        assert_memory_equal(out.data, want, out.len);

        j = "{\"transcript\":\"x\",\"duration\":1e12}";
        want = "1\n00:00:00,000 --> 99:59:59,999\nx\n";
        assert_int_equal(waav_stt_openai_answer(j, strlen(j),
                         WAAV_STT_FMT_SRT, 0, &WAAV_ARENA, &out, &ct, &err), 0);
        assert_int_equal(out.len, strlen(want));
        assert_memory_equal(out.data, want, out.len);
    }

    assert_int_equal(waav_stt_openai_answer("{\"x\":1}", 7,
                     WAAV_STT_FMT_TEXT, 0, &WAAV_ARENA, &out, &ct, &err), -1);
    assert_int_equal(waav_stt_openai_answer("not json", 8,
                     WAAV_STT_FMT_TEXT, 0, &WAAV_ARENA, &out, &ct, &err), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_validate, waav_arena_teardown),
        cmocka_unit_test_teardown(test_deepgram_request, waav_arena_teardown),
        cmocka_unit_test_teardown(test_openai_request, waav_arena_teardown),
        cmocka_unit_test_teardown(test_elevenlabs_request, waav_arena_teardown),
        cmocka_unit_test_teardown(test_normalize, waav_arena_teardown),
        cmocka_unit_test_teardown(test_assemblyai, waav_arena_teardown),
        cmocka_unit_test_teardown(test_wav_check, waav_arena_teardown),
        cmocka_unit_test_teardown(test_openai_shapes, waav_arena_teardown),
        cmocka_unit_test_teardown(test_seconds, waav_arena_teardown),
    };

    return cmocka_run_group_tests_name("waav_stt", tests, NULL, NULL);
}
