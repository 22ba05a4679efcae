/*
 * Unit tests for streaming STT (waav_stt_stream.c and each provider's
 * stream in src/core/stt/): the upgrade request each adapter opens (path,
 * query, headers, the key), what it refuses, how audio is wrapped, the
 * control messages, and every provider message into events (cmocka).
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
#include "waav_errmsg.h"
#include "waav_json.h"
#include "waav_stt.h"
#include "waav_stt_stream.h"
#include "waav_arena.h"
#include "waav_assert.h"
#include "waav_header.h"


static const waav_stt_stream_t *
stream(const char *type)
{
    const waav_stt_adapter_t  *ad;

    ad = waav_stt_adapter(type, strlen(type));
    assert_non_null(ad);
    assert_non_null(ad->stream);

    return ad->stream;
}


static waav_ws_stt_config_t
config(const char *provider, const char *language, const char *encoding,
    unsigned rate)
{
    waav_ws_stt_config_t  c;

    memset(&c, 0, sizeof(c));
    c.provider.data = provider;
    c.provider.len = strlen(provider);
    c.language.data = language;
    c.language.len = strlen(language);
    c.encoding.data = encoding;
    c.encoding.len = strlen(encoding);
    c.model.data = "";
    c.sample_rate = rate;
    c.channels = 1;
    c.punctuation = 1;

    return c;
}


/* the upgrade request for c with key "sk-test-0123456789" */
static int
open_req(const waav_ws_stt_config_t *c, waav_http_req_t *out,
    waav_err_t *err)
{
    waav_secret_t  s;

    memset(&s, 0, sizeof(s));
    s.key = S("sk-test-0123456789");

    return waav_stt_stream_open(stream(c->provider.data), c, &s, out,
                                &WAAV_ARENA, err);
}


static void
open_ok(const waav_ws_stt_config_t *c, waav_http_req_t *out)
{
    waav_err_t  err;

    if (open_req(c, out, &err) != 0) {
        fail_msg("open: %s", err.message);
    }

    assert_string_equal(out->method, "GET");
    assert_int_equal(out->body.len, 0);
}


static void
open_refused(const waav_ws_stt_config_t *c, const char *message)
{
    waav_err_t       err;
    waav_http_req_t  out;

    assert_int_equal(open_req(c, &out, &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "UNSUPPORTED_OPTION");
    assert_string_equal(err.message, message);
}


/* parse one message: n events expected, into ev */
static void
parse_n(const char *type, const char *msg, int n, waav_stt_event_t *ev)
{
    int               rc;
    waav_stt_event_t  scratch[WAAV_STT_EV_MAX];

    if (ev == NULL) {
        ev = scratch;
    }

    rc = stream(type)->parse(msg, strlen(msg), ev, WAAV_STT_EV_MAX,
                             &WAAV_ARENA);

    if (rc != n) {
        fail_msg("%s: %s: %d events, want %d", type, msg, rc, n);
    }
}


static void
result(const char *type, const char *msg, const char *text, int is_final,
    int speech_final, double confidence)
{
    waav_stt_event_t  ev[WAAV_STT_EV_MAX];

    parse_n(type, msg, 1, ev);
    assert_int_equal(ev[0].type, WAAV_STT_EV_RESULT);
    assert_str(ev[0].transcript, text);
    assert_int_equal(ev[0].is_final, is_final);
    assert_int_equal(ev[0].is_speech_final, speech_final);

    if (ev[0].confidence < confidence - 1e-9
        || ev[0].confidence > confidence + 1e-9)
    {
        fail_msg("%s: confidence %.17g, want %.17g", msg, ev[0].confidence,
                 confidence);
    }
}


static void
event(const char *type, const char *msg, int want)
{
    waav_stt_event_t  ev[WAAV_STT_EV_MAX];

    parse_n(type, msg, 1, ev);
    assert_int_equal(ev[0].type, want);
}


static void
error_event(const char *type, const char *msg, const char *text)
{
    waav_stt_event_t  ev[WAAV_STT_EV_MAX];

    parse_n(type, msg, 1, ev);
    assert_int_equal(ev[0].type, WAAV_STT_EV_ERROR);
    assert_str(ev[0].message, text);
}


/* what every adapter answers to messages that are not its provider's */
static void
malformed(const char *type, const char *field)
{
    char              msg[128];
    waav_stt_event_t  ev[WAAV_STT_EV_MAX];

    parse_n(type, "", -1, ev);
    parse_n(type, "not json", -1, ev);
    parse_n(type, "[1,2]", -1, ev);
    parse_n(type, "\"done\"", -1, ev);
    parse_n(type, "{}", -1, ev);

    snprintf(msg, sizeof(msg), "{\"%s\":7}", field);
    parse_n(type, msg, -1, ev);

    /* unknown types: nothing to say */
    snprintf(msg, sizeof(msg), "{\"%s\":\"SomethingNew\",\"x\":[1]}", field);
    parse_n(type, msg, 0, ev);
}


/* --- deepgram ------------------------------------------------------------- */

static void
test_deepgram_open(void **state)
{
    waav_http_req_t       out;
    waav_ws_stt_config_t  c;

    (void) state;

    c = config("deepgram", "en-US", "linear16", 16000);
    open_ok(&c, &out);
    assert_str(out.path, "/v1/listen");
    assert_str(out.args, "model=nova-3&language=en-US&sample_rate=16000"
               "&channels=1&punctuate=true&interim_results=true"
               "&smart_format=true&encoding=linear16&endpointing=200");
    assert_int_equal(out.nheaders, 1);
    assert_string_equal(header(&out, "Authorization"),
                        "Token sk-test-0123456789");

    /* the config's model, stereo mu-law, no punctuation, no language */
    c = config("deepgram", "", "MULAW", 8000);
    c.model = S("nova-2-phonecall");
    c.channels = 2;
    c.punctuation = 0;
    open_ok(&c, &out);
    assert_str(out.args, "model=nova-2-phonecall&sample_rate=8000"
               "&channels=2&punctuate=false&interim_results=true"
               "&smart_format=true&encoding=mulaw&endpointing=200");

    c = config("deepgram", "fr", "pcm_s16le", 48000);
    c.model = S("nova-3:general+x");
    open_ok(&c, &out);
    assert_str(out.args, "model=nova-3%3Ageneral%2Bx&language=fr"
               "&sample_rate=48000&channels=1&punctuate=true"
               "&interim_results=true&smart_format=true&encoding=linear16"
               "&endpointing=200");

    c = config("deepgram", "en", "alaw", 8000);
    open_ok(&c, &out);
    assert_non_null(strstr(out.args.data, "&encoding=alaw&"));

    c = config("deepgram", "en", "opus", 48000);
    open_refused(&c, "Unsupported encoding for deepgram: opus "
                 "(use linear16, mulaw or alaw)");
}


static void
test_deepgram_parse(void **state)
{
    const waav_stt_stream_t  *st;

    (void) state;

    st = stream("deepgram");
    assert_null(st->wrap);
    assert_string_equal(st->keepalive, "{\"type\":\"KeepAlive\"}");
    assert_int_equal(st->keepalive_ms, 1000);
    assert_string_equal(st->flush, "{\"type\":\"Finalize\"}");
    assert_string_equal(st->finish, "{\"type\":\"CloseStream\"}");
    assert_int_equal(st->wait_ready, 0);

    result("deepgram",
           "{\"type\":\"Results\",\"channel_index\":[0,1],\"duration\":1.02,"
           "\"start\":0.0,\"is_final\":false,\"speech_final\":false,"
           "\"channel\":{\"alternatives\":[{\"transcript\":\"hello wor\","
           "\"confidence\":0.87,\"words\":[]}]},\"metadata\":"
           "{\"request_id\":\"r\"}}", "hello wor", 0, 0, 0.87);
    result("deepgram",
           "{\"type\":\"Results\",\"is_final\":true,\"speech_final\":true,"
           "\"channel\":{\"alternatives\":[{\"transcript\":\"Hello world.\","
           "\"confidence\":0.99},{\"transcript\":\"other\","
           "\"confidence\":0.1}]}}", "Hello world.", 1, 1, 0.99);
    /* a final that is not the end of speech; no confidence: 0 */
    result("deepgram",
           "{\"type\":\"Results\",\"is_final\":true,"
           "\"channel\":{\"alternatives\":[{\"transcript\":\"a\"}]}}",
           "a", 1, 0, 0.0);
    /* escapes and UTF-8 come out decoded */
    result("deepgram",
           "{\"type\":\"Results\",\"channel\":{\"alternatives\":"
           "[{\"transcript\":\"caf\\u00e9 \\\"x\\\"\",\"confidence\":1}]}}",
           "caf\xc3\xa9 \"x\"", 0, 0, 1.0);

    error_event("deepgram",
                "{\"type\":\"Error\",\"description\":\"Bad audio\\n\\tx\","
                "\"message\":\"m\",\"variant\":\"v\"}", "Bad audio  x");
    error_event("deepgram", "{\"type\":\"Error\",\"message\":\"only m\"}",
                "only m");
    error_event("deepgram", "{\"type\":\"Error\",\"description\":7}",
                "Deepgram reported an error");

    parse_n("deepgram", "{\"type\":\"Metadata\",\"request_id\":\"x\","
            "\"duration\":3.2,\"channels\":1}", 0, NULL);
    parse_n("deepgram", "{\"type\":\"SpeechStarted\",\"channel\":[0],"
            "\"timestamp\":1.5}", 0, NULL);
    parse_n("deepgram", "{\"type\":\"UtteranceEnd\",\"channel\":[0,1],"
            "\"last_word_end\":2.1}", 0, NULL);
    /* no alternatives: nothing, as WaaV */
    parse_n("deepgram", "{\"type\":\"Results\",\"channel\":"
            "{\"alternatives\":[]}}", 0, NULL);

    /* wrong types: not Deepgram's */
    parse_n("deepgram", "{\"type\":\"Results\",\"channel\":{\"alternatives\":"
            "[{\"transcript\":5}]}}", -1, NULL);
    parse_n("deepgram", "{\"type\":\"Results\",\"is_final\":\"yes\","
            "\"channel\":{\"alternatives\":[{\"transcript\":\"a\"}]}}", -1,
            NULL);
    malformed("deepgram", "type");
}


/* --- assemblyai ----------------------------------------------------------- */

static void
test_assemblyai_open(void **state)
{
    waav_http_req_t       out;
    waav_ws_stt_config_t  c;

    (void) state;

    c = config("assemblyai", "en-US", "linear16", 16000);
    open_ok(&c, &out);
    assert_str(out.path, "/v3/ws");
    assert_str(out.args, "sample_rate=16000&encoding=pcm_s16le"
               "&speech_model=universal-streaming-english&format_turns=true"
               "&end_of_turn_confidence_threshold=0.50");
    assert_int_equal(out.nheaders, 1);
    assert_string_equal(header(&out, "Authorization"), "sk-test-0123456789");

    c = config("assemblyai", "", "ulaw", 8000);
    open_ok(&c, &out);
    assert_str(out.args, "sample_rate=8000&encoding=pcm_mulaw"
               "&speech_model=universal-streaming-english&format_turns=true"
               "&end_of_turn_confidence_threshold=0.50");

    c = config("assemblyai", "es", "pcm", 48000);
    open_ok(&c, &out);
    assert_str(out.args, "sample_rate=48000&encoding=pcm_s16le"
               "&speech_model=universal-streaming-multilingual"
               "&format_turns=true&end_of_turn_confidence_threshold=0.50");

    c = config("assemblyai", "en", "linear16", 7999);
    open_refused(&c, "Unsupported sample rate for assemblyai: 7999 "
                 "(use 8000 to 48000)");
    c = config("assemblyai", "en", "linear16", 48001);
    open_refused(&c, "Unsupported sample rate for assemblyai: 48001 "
                 "(use 8000 to 48000)");
    c = config("assemblyai", "en", "alaw", 8000);
    open_refused(&c, "Unsupported encoding for assemblyai: alaw "
                 "(use linear16 or mulaw)");
    c = config("assemblyai", "en", "linear16", 16000);
    c.channels = 2;
    open_refused(&c, "assemblyai takes mono audio only "
                 "(stt_config.channels: 2)");
}


static void
test_assemblyai_parse(void **state)
{
    const waav_stt_stream_t  *st;

    (void) state;

    st = stream("assemblyai");
    assert_null(st->wrap);
    assert_null(st->keepalive);
    assert_string_equal(st->flush, "{\"type\":\"ForceEndpoint\"}");
    assert_string_equal(st->finish, "{\"type\":\"Terminate\"}");
    assert_int_equal(st->wait_ready, 1);

    event("assemblyai", "{\"type\":\"Begin\",\"id\":\"s-1\","
          "\"expires_at\":1704067200}", WAAV_STT_EV_READY);

    /* a turn in progress: the mean of its words' confidences */
    result("assemblyai",
           "{\"type\":\"Turn\",\"turn_order\":0,\"turn_is_formatted\":false,"
           "\"end_of_turn\":false,\"transcript\":\"hello wor\","
           "\"end_of_turn_confidence\":0.1,\"words\":["
           "{\"start\":0,\"end\":500,\"confidence\":0.5,\"text\":\"hello\","
           "\"word_is_final\":true},"
           "{\"start\":500,\"end\":900,\"confidence\":0.75,\"text\":\"wor\","
           "\"word_is_final\":false}]}", "hello wor", 0, 0, 0.625);

    /* the end of the turn, unformatted: an interim, not WaaV's first of
     * two finals */
    result("assemblyai",
           "{\"type\":\"Turn\",\"turn_order\":0,\"turn_is_formatted\":false,"
           "\"end_of_turn\":true,\"transcript\":\"hello world\","
           "\"words\":[{\"confidence\":0.5,\"text\":\"hello\"},"
           "{\"confidence\":1.0,\"text\":\"world\"}]}",
           "hello world", 0, 0, 0.75);

    /* then formatted: the one final */
    result("assemblyai",
           "{\"type\":\"Turn\",\"turn_order\":0,\"turn_is_formatted\":true,"
           "\"end_of_turn\":true,\"transcript\":\"Hello world.\","
           "\"words\":[{\"confidence\":0.5,\"text\":\"Hello\"},"
           "{\"confidence\":1.0,\"text\":\"world.\"}]}",
           "Hello world.", 1, 1, 0.75);

    /* without turn_is_formatted (format_turns off): end_of_turn is the
     * final; no words: 1.0 */
    result("assemblyai",
           "{\"type\":\"Turn\",\"turn_order\":3,\"end_of_turn\":true,"
           "\"transcript\":\"ok\",\"words\":[]}", "ok", 1, 1, 1.0);
    result("assemblyai",
           "{\"type\":\"Turn\",\"turn_order\":3,\"end_of_turn\":true,"
           "\"transcript\":\"ok\"}", "ok", 1, 1, 1.0);
    /* words without a numeric confidence do not count */
    result("assemblyai",
           "{\"type\":\"Turn\",\"end_of_turn\":false,\"transcript\":\"x\","
           "\"words\":[{\"confidence\":\"high\"},7,{\"confidence\":0.2}]}",
           "x", 0, 0, 0.2);

    event("assemblyai", "{\"type\":\"Termination\",\"audio_duration_ms\":5000,"
          "\"terminated_normally\":true}", WAAV_STT_EV_DONE);
    error_event("assemblyai", "{\"type\":\"Error\",\"error_code\":"
                "\"invalid_api_key\",\"error\":\"Invalid API key\"}",
                "Invalid API key");
    error_event("assemblyai", "{\"type\":\"Error\"}",
                "AssemblyAI reported an error");

    parse_n("assemblyai", "{\"type\":\"Turn\",\"end_of_turn\":1,"
            "\"transcript\":\"x\"}", -1, NULL);
    parse_n("assemblyai", "{\"type\":\"Turn\",\"end_of_turn\":true,"
            "\"turn_is_formatted\":\"yes\",\"transcript\":\"x\"}", -1, NULL);
    parse_n("assemblyai", "{\"type\":\"Turn\",\"end_of_turn\":true}", -1,
            NULL);
    malformed("assemblyai", "type");
}


/* --- elevenlabs ----------------------------------------------------------- */

static void
test_elevenlabs_open(void **state)
{
    waav_http_req_t       out;
    waav_ws_stt_config_t  c;

    (void) state;

    c = config("elevenlabs", "en-US", "linear16", 16000);
    open_ok(&c, &out);
    assert_str(out.path, "/v1/speech-to-text/realtime");
    assert_str(out.args, "model_id=scribe_v2_realtime&audio_format=pcm_16000"
               "&language_code=en&commit_strategy=vad"
               "&include_timestamps=false&vad_silence_threshold_secs=0.5"
               "&min_speech_duration_ms=50&min_silence_duration_ms=300");
    assert_int_equal(out.nheaders, 1);
    assert_string_equal(header(&out, "xi-api-key"), "sk-test-0123456789");

    /* no language: none sent; every rate of the set */
    c = config("elevenlabs", "", "pcm", 44100);
    open_ok(&c, &out);
    assert_str(out.args, "model_id=scribe_v2_realtime&audio_format=pcm_44100"
               "&commit_strategy=vad&include_timestamps=false"
               "&vad_silence_threshold_secs=0.5&min_speech_duration_ms=50"
               "&min_silence_duration_ms=300");

    c = config("elevenlabs", "pt", "mulaw", 8000);
    open_ok(&c, &out);
    assert_non_null(strstr(out.args.data,
                           "&audio_format=ulaw_8000&language_code=pt&"));

    c = config("elevenlabs", "-x", "linear16", 22050);
    open_ok(&c, &out);
    assert_non_null(strstr(out.args.data, "&audio_format=pcm_22050&commit"));

    c = config("elevenlabs", "en", "linear16", 11025);
    open_refused(&c, "Unsupported sample rate for elevenlabs: 11025 "
                 "(use 8000, 16000, 22050, 24000, 44100 or 48000)");
    c = config("elevenlabs", "en", "mulaw", 16000);
    open_refused(&c, "Unsupported sample rate for elevenlabs: 16000 "
                 "(use 8000 for mulaw)");
    c = config("elevenlabs", "en", "alaw", 8000);
    open_refused(&c, "Unsupported encoding for elevenlabs: alaw "
                 "(use linear16 or mulaw)");
    c = config("elevenlabs", "en", "linear16", 16000);
    c.channels = 2;
    open_refused(&c, "elevenlabs takes mono audio only "
                 "(stt_config.channels: 2)");
}


static void
test_elevenlabs_wrap(void **state)
{
    char                     *m;
    size_t                    len;
    const waav_stt_stream_t  *st;

    static const uint8_t  audio[] = { 0x00, 0xff, 0x10, 0x80, 0x7f };

    (void) state;

    st = stream("elevenlabs");
    assert_non_null(st->wrap);

    m = st->wrap(audio, sizeof(audio), &len, &WAAV_ARENA);
    assert_non_null(m);
    assert_string_equal(m, "{\"message_type\":\"input_audio_chunk\","
                        "\"audio_base_64\":\"AP8QgH8=\"}");
    assert_int_equal(len, strlen(m));

    m = st->wrap(audio, 3, &len, &WAAV_ARENA);
    assert_string_equal(m, "{\"message_type\":\"input_audio_chunk\","
                        "\"audio_base_64\":\"AP8Q\"}");

    m = st->wrap(audio, 1, &len, &WAAV_ARENA);
    assert_string_equal(m, "{\"message_type\":\"input_audio_chunk\","
                        "\"audio_base_64\":\"AA==\"}");

    m = st->wrap(audio, 0, &len, &WAAV_ARENA);
    assert_string_equal(m, "{\"message_type\":\"input_audio_chunk\","
                        "\"audio_base_64\":\"\"}");

    /* impossible sizes: NULL, nothing allocated */
    assert_null(st->wrap(audio, SIZE_MAX, &len, &WAAV_ARENA));

    assert_string_equal(st->flush, "{\"message_type\":\"input_audio_chunk\","
                        "\"audio_base_64\":\"\",\"commit\":true}");
    assert_string_equal(st->finish, st->flush);
    assert_null(st->keepalive);
    assert_int_equal(st->wait_ready, 1);
}


static void
test_elevenlabs_parse(void **state)
{
    waav_stt_event_t  ev[WAAV_STT_EV_MAX];

    (void) state;

    event("elevenlabs", "{\"message_type\":\"session_started\","
          "\"session_id\":\"abc\",\"config\":{\"sample_rate\":16000}}",
          WAAV_STT_EV_READY);
    result("elevenlabs", "{\"message_type\":\"partial_transcript\","
           "\"text\":\"hel\"}", "hel", 0, 0, 0.0);
    parse_n("elevenlabs", "{\"message_type\":\"partial_transcript\","
            "\"text\":\"\"}", 0, ev);
    result("elevenlabs", "{\"message_type\":\"committed_transcript\","
           "\"text\":\"Hello.\"}", "Hello.", 1, 1, 1.0);
    /* exp(log 0.5) and exp(log 0.25); the spacing has no logprob */
    result("elevenlabs",
           "{\"message_type\":\"committed_transcript_with_timestamps\","
           "\"text\":\"Hi you\",\"language_code\":\"en\",\"words\":["
           "{\"text\":\"Hi\",\"start\":0,\"end\":0.2,\"type\":\"word\","
           "\"logprob\":-0.6931471805599453},"
           "{\"text\":\" \",\"start\":0.2,\"end\":0.3,\"type\":\"spacing\"},"
           "{\"text\":\"you\",\"start\":0.3,\"end\":0.5,\"type\":\"word\","
           "\"logprob\":-1.3862943611198906}]}", "Hi you", 1, 1, 0.375);
    result("elevenlabs",
           "{\"message_type\":\"committed_transcript_with_timestamps\","
           "\"text\":\"Hi\",\"words\":[]}", "Hi", 1, 1, 1.0);

    error_event("elevenlabs", "{\"message_type\":\"auth_error\","
                "\"error\":\"You must be authenticated\"}",
                "You must be authenticated");
    error_event("elevenlabs", "{\"message_type\":\"quota_exceeded_error\","
                "\"error\":\"Quota exceeded\"}", "Quota exceeded");
    error_event("elevenlabs", "{\"message_type\":\"error\","
                "\"error\":\"bad\"}", "bad");
    /* any *_error, its type when it says nothing */
    error_event("elevenlabs", "{\"message_type\":\"rate_limited_error\"}",
                "rate_limited_error");
    parse_n("elevenlabs", "{\"message_type\":\"_error\"}", 0, ev);

    parse_n("elevenlabs", "{\"message_type\":\"committed_transcript\"}", -1,
            ev);
    parse_n("elevenlabs", "{\"message_type\":\"partial_transcript\","
            "\"text\":null}", -1, ev);
    malformed("elevenlabs", "message_type");
}


/* --- cartesia ------------------------------------------------------------- */

static void
test_cartesia_open(void **state)
{
    waav_err_t                 err;
    waav_str_t                 suffix;
    waav_secret_t              s;
    waav_stt_req_t             req;
    waav_http_req_t            out;
    waav_stt_result_t          res;
    waav_stt_flow_t            flow;
    waav_ws_stt_config_t       c;
    const waav_stt_adapter_t  *ad;

    (void) state;

    c = config("cartesia", "en", "linear16", 16000);
    open_ok(&c, &out);
    assert_str(out.path, "/stt/websocket");
    assert_str(out.args, "model=ink-whisper&language=en&encoding=pcm_s16le"
               "&sample_rate=16000");
    /* the key in a header, never in the URL */
    assert_null(strstr(out.args.data, "sk-test"));
    assert_int_equal(out.nheaders, 2);
    assert_string_equal(header(&out, "Cartesia-Version"), "2025-04-16");
    assert_string_equal(header(&out, "X-API-Key"), "sk-test-0123456789");

    c = config("cartesia", "", "pcm_s16le", 8000);
    c.model = S("ink-2");
    open_ok(&c, &out);
    assert_str(out.args, "model=ink-whisper&language=en&encoding=pcm_s16le"
               "&sample_rate=8000");

    c = config("cartesia", "en", "linear16", 32000);
    open_refused(&c, "Unsupported sample rate for cartesia: 32000 "
                 "(use 8000, 16000, 22050, 24000, 44100 or 48000)");
    c = config("cartesia", "en", "mulaw", 8000);
    open_refused(&c, "Unsupported encoding for cartesia: mulaw "
                 "(use linear16)");
    c = config("cartesia", "en", "linear16", 16000);
    c.channels = 3;
    open_refused(&c, "cartesia takes mono audio only "
                 "(stt_config.channels: 3)");

    /* no REST transcription: refused before any request is built */
    ad = waav_stt_adapter("cartesia", 8);
    assert_null(ad->build);
    memset(&req, 0, sizeof(req));
    memset(&s, 0, sizeof(s));
    assert_int_equal(waav_stt_rest(ad, &err), -1);
    assert_int_equal(waav_stt_build(ad, &req, &s, &out, &suffix, &WAAV_ARENA,
                                    &err), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "INVALID_PROVIDER");
    assert_string_equal(err.message,
                        "cartesia has no REST transcription; use it on /ws");
    memset(&flow, 0, sizeof(flow));
    assert_int_equal(waav_stt_next(ad, &flow, &req, &s, S("cartesia"),
                                   S("{}"), &res, &out, &WAAV_ARENA, &err),
                     -1);
    assert_int_equal(err.status, 400);
    assert_int_equal(waav_stt_rest(waav_stt_adapter("deepgram", 8), &err), 0);
}


static void
test_cartesia_parse(void **state)
{
    const waav_stt_stream_t  *st;

    (void) state;

    st = stream("cartesia");
    assert_null(st->wrap);
    assert_null(st->keepalive);
    assert_string_equal(st->flush, "finalize");
    /* plain text, not WaaV's JSON string "\"done\"" */
    assert_string_equal(st->finish, "done");
    assert_int_equal(st->wait_ready, 0);

    result("cartesia", "{\"type\":\"transcript\",\"request_id\":\"r\","
           "\"text\":\"hel\",\"is_final\":false}", "hel", 0, 0, 0.0);
    result("cartesia", "{\"type\":\"transcript\",\"text\":\"Hello.\","
           "\"is_final\":true,\"duration\":1.2,\"language\":\"en\","
           "\"words\":[{\"word\":\"Hello.\",\"start\":0,\"end\":0.5}]}",
           "Hello.", 1, 1, 1.0);
    parse_n("cartesia", "{\"type\":\"flush_done\",\"request_id\":\"r\"}", 0,
            NULL);
    event("cartesia", "{\"type\":\"done\",\"request_id\":\"r\"}",
          WAAV_STT_EV_DONE);
    error_event("cartesia", "{\"type\":\"error\",\"message\":\"Invalid "
                "sample rate\"}", "Invalid sample rate");
    error_event("cartesia", "{\"type\":\"error\",\"error\":\"e\"}", "e");
    error_event("cartesia", "{\"type\":\"error\",\"message\":\"\\u0001\"}",
                "Cartesia reported an error");

    parse_n("cartesia", "{\"type\":\"transcript\",\"text\":\"a\","
            "\"is_final\":0}", -1, NULL);
    parse_n("cartesia", "{\"type\":\"transcript\",\"is_final\":true}", -1,
            NULL);
    malformed("cartesia", "type");
}


/* --- shared --------------------------------------------------------------- */

static void
test_error_bounds(void **state)
{
    char              *msg;
    size_t             n;
    waav_stt_event_t   ev[WAAV_STT_EV_MAX];

    (void) state;

    /* 2000 bytes of provider text: cut to WAAV_ERRMSG_MAX, on a UTF-8
     * boundary */
    msg = malloc(4096);
    assert_non_null(msg);
    n = (size_t) snprintf(msg, 4096, "{\"type\":\"Error\",\"description\":\"");

    while (n < 2000) {
        memcpy(msg + n, "\xc3\xa9", 2);
        n += 2;
    }

    memcpy(msg + n, "x\"}", 4);

    assert_int_equal(stream("deepgram")->parse(msg, strlen(msg), ev, 1,
                                               &WAAV_ARENA), 1);
    assert_int_equal(ev[0].type, WAAV_STT_EV_ERROR);
    assert_true(ev[0].message.len <= WAAV_ERRMSG_MAX);
    assert_true(ev[0].message.len >= WAAV_ERRMSG_MAX - 2);
    assert_true(waav_utf8_valid(ev[0].message.data, ev[0].message.len));
    free(msg);

    /* no room for an event: none written */
    assert_int_equal(stream("cartesia")->parse(
                         "{\"type\":\"done\"}", 15, ev, 0, &WAAV_ARENA), 0);
    assert_int_equal(stream("cartesia")->parse(
                         "{\"type\":\"error\"}", 16, ev, 0, &WAAV_ARENA), 0);
    assert_int_equal(stream("assemblyai")->parse(
                         "{\"type\":\"Turn\",\"transcript\":\"a\"}", 32, ev,
                         0, &WAAV_ARENA), 0);
}


static void
test_rate(void **state)
{
    waav_ws_stt_config_t  c;

    (void) state;

    c = config("deepgram", "en", "linear16", 16000);
    assert_int_equal(waav_stt_stream_rate(&c), 32000);
    c.channels = 2;
    assert_int_equal(waav_stt_stream_rate(&c), 64000);
    c.channels = 0;
    assert_int_equal(waav_stt_stream_rate(&c), 32000);

    c = config("deepgram", "en", "MuLaw", 8000);
    assert_int_equal(waav_stt_stream_rate(&c), 8000);
    c = config("deepgram", "en", "pcm_alaw", 8000);
    assert_int_equal(waav_stt_stream_rate(&c), 8000);
    c = config("deepgram", "en", "", 48000);
    assert_int_equal(waav_stt_stream_rate(&c), 96000);

    assert_int_equal(waav_stt_stream_encoding(S("PCM_S16LE")),
                     WAAV_STT_ENC_PCM16);
    assert_int_equal(waav_stt_stream_encoding(S("pcm_s16")),
                     WAAV_STT_ENC_UNKNOWN);
    assert_int_equal(waav_stt_stream_encoding(S("ulaw")), WAAV_STT_ENC_MULAW);
}


static void
test_base64(void **state)
{
    char  out[16];

    (void) state;

    /* RFC 4648's vectors */
    assert_int_equal(waav_base64_encode(out, (const unsigned char *) "", 0),
                     0);
    assert_string_equal(out, "");
    waav_base64_encode(out, (const unsigned char *) "f", 1);
    assert_string_equal(out, "Zg==");
    waav_base64_encode(out, (const unsigned char *) "fo", 2);
    assert_string_equal(out, "Zm8=");
    waav_base64_encode(out, (const unsigned char *) "foo", 3);
    assert_string_equal(out, "Zm9v");
    assert_int_equal(waav_base64_encode(out, (const unsigned char *) "foob",
                                        4), 8);
    assert_string_equal(out, "Zm9vYg==");
    waav_base64_encode(out, (const unsigned char *) "fooba", 5);
    assert_string_equal(out, "Zm9vYmE=");
    waav_base64_encode(out, (const unsigned char *) "foobar", 6);
    assert_string_equal(out, "Zm9vYmFy");
    waav_base64_encode(out, (const unsigned char *) "\xfb\xff", 2);
    assert_string_equal(out, "+/8=");
    assert_int_equal(WAAV_BASE64_LEN(6), 8);
    assert_int_equal(WAAV_BASE64_LEN(7), 12);
}


/* the REST-only adapters have no stream */
static void
test_registry(void **state)
{
    (void) state;

    assert_null(waav_stt_adapter("openai", 6)->stream);
    assert_null(waav_stt_adapter("groq", 4)->stream);
    assert_non_null(waav_stt_adapter("deepgram", 8)->stream);
    assert_non_null(waav_stt_adapter("assemblyai", 10)->stream);
    assert_non_null(waav_stt_adapter("elevenlabs", 10)->stream);
    assert_non_null(waav_stt_adapter("cartesia", 8)->stream);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_deepgram_open, waav_arena_teardown),
        cmocka_unit_test_teardown(test_deepgram_parse, waav_arena_teardown),
        cmocka_unit_test_teardown(test_assemblyai_open, waav_arena_teardown),
        cmocka_unit_test_teardown(test_assemblyai_parse, waav_arena_teardown),
        cmocka_unit_test_teardown(test_elevenlabs_open, waav_arena_teardown),
        cmocka_unit_test_teardown(test_elevenlabs_wrap, waav_arena_teardown),
        cmocka_unit_test_teardown(test_elevenlabs_parse, waav_arena_teardown),
        cmocka_unit_test_teardown(test_cartesia_open, waav_arena_teardown),
        cmocka_unit_test_teardown(test_cartesia_parse, waav_arena_teardown),
        cmocka_unit_test_teardown(test_error_bounds, waav_arena_teardown),
        cmocka_unit_test_teardown(test_rate, waav_arena_teardown),
        cmocka_unit_test_teardown(test_base64, waav_arena_teardown),
        cmocka_unit_test_teardown(test_registry, waav_arena_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
