/*
 * Unit tests for WaaV's /ws messages (cmocka): every client message type,
 * serde's error texts, WaaV's size limits at N and N+1, defaults, and the
 * server messages byte for byte.
 */

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waav_tts.h"
#include "waav_ws_msg.h"
#include "waav_arena.h"


#define FMT  "Invalid message format: "

#define assert_str(s, lit)                                                   \
    do {                                                                     \
        assert_int_equal((s).len, strlen(lit));                              \
        assert_memory_equal((s).data, lit, strlen(lit));                     \
    } while (0)


static int
parse(waav_ws_msg_t *msg, const char *json, waav_err_t *err)
{
    memset(err, 0, sizeof(waav_err_t));
    return waav_ws_msg_parse(msg, json, strlen(json), &WAAV_ARENA, err);
}


static void
ok(waav_ws_msg_t *msg, const char *json)
{
    waav_err_t  err;

    if (parse(msg, json, &err) != 0) {
        fail_msg("%s: %s", json, err.message);
    }
}


/* the whole error text */
static void
refused(const char *json, const char *message)
{
    waav_ws_msg_t  msg;
    waav_err_t     err;

    if (parse(&msg, json, &err) != -1) {
        fail_msg("%s was accepted", json);
    }

    assert_int_equal(err.status, 400);
    assert_int_equal(msg.type, WAAV_WS_MSG_NONE);
    assert_string_equal(err.message, message);
}


/* a string of n times c, from the arena */
static char *
fill(size_t n, char c)
{
    char  *s;

    s = waav_arena_alloc(NULL, n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';

    return s;
}


static char *
json_printf(const char *fmt, ...)
{
    va_list  ap;
    char    *s;
    int      n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);

    s = waav_arena_alloc(NULL, (size_t) n + 1);
    assert_non_null(s);

    va_start(ap, fmt);
    vsnprintf(s, (size_t) n + 1, fmt, ap);
    va_end(ap);

    return s;
}


/* --- config ------------------------------------------------------------ */

#define STT  "{\"provider\":\"deepgram\",\"language\":\"en-US\"," \
             "\"sample_rate\":16000,\"channels\":1,\"punctuation\":true," \
             "\"encoding\":\"linear16\",\"model\":\"nova-2\"}"

static void
test_config_full(void **state)
{
    waav_ws_msg_t  msg;

    (void) state;

    ok(&msg, "{\"type\":\"config\",\"stream_id\":\"s-1\",\"audio\":true,"
             "\"stt_config\":{\"provider\":\"deepgram\",\"language\":"
             "\"en-US\",\"sample_rate\":16000,\"channels\":2,"
             "\"punctuation\":false,\"encoding\":\"linear16\",\"model\":"
             "\"nova-2\",\"api_key\":\"dg-key\",\"extra\":[1]},"
             "\"tts_config\":{\"provider\":\"elevenlabs\",\"voice_id\":\"v1\","
             "\"model\":\"eleven_turbo_v2\",\"audio_format\":\"linear16\","
             "\"sample_rate\":24000,\"speaking_rate\":1.5,\"api_key\":"
             "\"el-key\",\"pronunciations\":[{\"word\":\"AI\","
             "\"pronunciation\":\"A I\"}]},\"unknown\":{\"x\":1}}");

    assert_int_equal(msg.type, WAAV_WS_MSG_CONFIG);
    assert_str(msg.stream_id, "s-1");
    assert_int_equal(msg.audio, 1);
    assert_true(msg.has_stt);
    assert_true(msg.has_tts);
    assert_false(msg.has_livekit);
    assert_false(msg.has_dag);

    assert_str(msg.stt.provider, "deepgram");
    assert_str(msg.stt.language, "en-US");
    assert_str(msg.stt.encoding, "linear16");
    assert_str(msg.stt.model, "nova-2");
    assert_str(msg.stt.api_key, "dg-key");
    assert_int_equal(msg.stt.sample_rate, 16000);
    assert_int_equal(msg.stt.channels, 2);
    assert_int_equal(msg.stt.punctuation, 0);

    assert_str(msg.tts.provider, "elevenlabs");
    assert_str(msg.tts.voice, "v1");
    assert_str(msg.tts.model, "eleven_turbo_v2");
    assert_int_equal(msg.tts.format, WAAV_FMT_LINEAR16);
    assert_int_equal(msg.tts.sample_rate, 24000);
    assert_true(msg.tts.speaking_rate_set);
    assert_true(msg.tts.speaking_rate == 1.5);
    assert_int_equal(msg.tts.npron, 1);
    assert_int_equal(msg.tts.text.len, 0);
    assert_str(msg.tts_api_key, "el-key");

    /* the least: no stream_id (the server makes one), audio on */
    ok(&msg, "{\"type\":\"config\"}");
    assert_int_equal(msg.type, WAAV_WS_MSG_CONFIG);
    assert_int_equal(msg.stream_id.len, 0);
    assert_int_equal(msg.audio, 1);
    assert_false(msg.has_stt);
    assert_false(msg.has_tts);
    assert_true(msg.tts.speaking_rate == 1.0);

    /* null is None */
    ok(&msg, "{\"type\":\"config\",\"stream_id\":null,\"stt_config\":null,"
             "\"tts_config\":null,\"livekit\":null,\"dag_config\":null}");
    assert_int_equal(msg.stream_id.len, 0);
    assert_false(msg.has_stt || msg.has_tts || msg.has_livekit
                 || msg.has_dag);

    /* an api_key that is absent or null: the server's */
    ok(&msg, "{\"type\":\"config\",\"stt_config\":" STT ",\"tts_config\":"
             "{\"provider\":\"deepgram\",\"api_key\":null}}");
    assert_int_equal(msg.stt.api_key.len, 0);
    assert_int_equal(msg.tts_api_key.len, 0);
    assert_int_equal(msg.stt.punctuation, 1);
    assert_int_equal(msg.stt.channels, 1);
}


static void
test_config_audio(void **state)
{
    waav_ws_msg_t  msg;

    (void) state;

    ok(&msg, "{\"type\":\"config\",\"audio\":false}");
    assert_int_equal(msg.audio, 0);

    /* the deprecated inverse, when audio is not given */
    ok(&msg, "{\"type\":\"config\",\"audio_disabled\":true}");
    assert_int_equal(msg.audio, 0);
    ok(&msg, "{\"type\":\"config\",\"audio_disabled\":false}");
    assert_int_equal(msg.audio, 1);
    ok(&msg, "{\"type\":\"config\",\"audio\":null,\"audio_disabled\":true}");
    assert_int_equal(msg.audio, 0);

    /* audio wins */
    ok(&msg, "{\"type\":\"config\",\"audio_disabled\":true,\"audio\":true}");
    assert_int_equal(msg.audio, 1);
    ok(&msg, "{\"type\":\"config\",\"audio\":false,\"audio_disabled\":false}");
    assert_int_equal(msg.audio, 0);

    refused("{\"type\":\"config\",\"audio\":1}",
            FMT "invalid type: integer `1`, expected a boolean");
    refused("{\"type\":\"config\",\"audio_disabled\":\"yes\"}",
            FMT "invalid type: string \"yes\", expected a boolean");

    /* LiveKit and DAG: noted (the session answers them) */
    ok(&msg, "{\"type\":\"config\",\"livekit\":{\"room_name\":\"r\"},"
             "\"dag_config\":{\"template\":\"t\"}}");
    assert_true(msg.has_livekit);
    assert_true(msg.has_dag);

    refused("{\"type\":\"config\",\"livekit\":{}}",
            FMT "missing field `room_name`");
    refused("{\"type\":\"config\",\"livekit\":\"r\"}",
            FMT "invalid type: string \"r\", expected struct "
            "LiveKitWebSocketConfig");
    refused("{\"type\":\"config\",\"livekit\":{\"room_name\":\"r\","
            "\"enable_recording\":\"no\"}}",
            FMT "invalid type: string \"no\", expected a boolean");
    refused("{\"type\":\"config\",\"dag_config\":[]}",
            FMT "invalid type: sequence, expected struct DAGWebSocketConfig");
}


static void
test_config_stream_id(void **state)
{
    waav_ws_msg_t  msg;

    (void) state;

    ok(&msg, json_printf("{\"type\":\"config\",\"stream_id\":\"%s\"}",
                         fill(256, 's')));
    assert_int_equal(msg.stream_id.len, 256);

    refused(json_printf("{\"type\":\"config\",\"stream_id\":\"%s\"}",
                        fill(257, 's')),
            "Stream ID too large: 257 bytes (max: 256 bytes)");

    refused("{\"type\":\"config\",\"stream_id\":7}",
            FMT "invalid type: integer `7`, expected a string");
}


/* stt_config without one of its fields */
static char *
stt_without(const char *field)
{
    static const char  *fields[] = {
        "\"provider\":\"deepgram\"", "\"language\":\"en-US\"",
        "\"sample_rate\":16000", "\"channels\":1", "\"punctuation\":true",
        "\"encoding\":\"linear16\"", "\"model\":\"nova-2\"", NULL
    };
    char                 buf[512];
    size_t               i, n;

    n = (size_t) snprintf(buf, sizeof(buf), "{\"type\":\"config\","
                          "\"stt_config\":{");

    for (i = 0; fields[i]; i++) {
        if (strncmp(fields[i] + 1, field, strlen(field)) == 0) {
            continue;
        }

        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%s%s",
                               buf[n - 1] == '{' ? "" : ",", fields[i]);
    }

    snprintf(buf + n, sizeof(buf) - n, "}}");

    return json_printf("%s", buf);
}


static void
test_config_stt_serde(void **state)
{
    static const char  *order[] = {
        "provider", "language", "sample_rate", "channels", "punctuation",
        "encoding", "model", NULL
    };
    size_t               i;
    char                 want[128];

    (void) state;

    /* each field is required (api_key alone is not) */
    for (i = 0; order[i]; i++) {
        snprintf(want, sizeof(want), FMT "missing field `%s`", order[i]);
        refused(stt_without(order[i]), want);
    }

    /* the first missing in declaration order, whatever the keys' order */
    refused("{\"type\":\"config\",\"stt_config\":{\"model\":\"m\"}}",
            FMT "missing field `provider`");
    refused("{\"type\":\"config\",\"stt_config\":{}}",
            FMT "missing field `provider`");

    /* a type error comes before a missing field, in the keys' order */
    refused("{\"type\":\"config\",\"stt_config\":{\"channels\":\"2\","
            "\"provider\":1}}",
            FMT "invalid type: string \"2\", expected u16");
    refused("{\"type\":\"config\",\"stt_config\":{\"provider\":1}}",
            FMT "invalid type: integer `1`, expected a string");

    /* and one in stt_config before a later top-level key's */
    refused("{\"type\":\"config\",\"stt_config\":{\"provider\":true},"
            "\"audio\":1}",
            FMT "invalid type: boolean `true`, expected a string");
    refused("{\"type\":\"config\",\"audio\":1,\"stt_config\":{\"provider\":"
            "true}}",
            FMT "invalid type: integer `1`, expected a boolean");

    refused("{\"type\":\"config\",\"stt_config\":\"deepgram\"}",
            FMT "invalid type: string \"deepgram\", expected struct "
            "STTWebSocketConfig");
    refused("{\"type\":\"config\",\"stt_config\":{\"provider\":\"p\","
            "\"language\":\"en\",\"sample_rate\":-1}}",
            FMT "invalid value: integer `-1`, expected u32");
    refused("{\"type\":\"config\",\"stt_config\":{\"sample_rate\":"
            "4294967296}}",
            FMT "invalid value: integer `4294967296`, expected u32");
    refused("{\"type\":\"config\",\"stt_config\":{\"sample_rate\":16000.5}}",
            FMT "invalid type: floating point `16000.5`, expected u32");
    refused("{\"type\":\"config\",\"stt_config\":{\"channels\":65536}}",
            FMT "invalid value: integer `65536`, expected u16");
    refused("{\"type\":\"config\",\"stt_config\":{\"channels\":null}}",
            FMT "invalid type: null, expected u16");
    refused("{\"type\":\"config\",\"stt_config\":{\"punctuation\":1}}",
            FMT "invalid type: integer `1`, expected a boolean");
    refused("{\"type\":\"config\",\"stt_config\":{\"api_key\":[]}}",
            FMT "invalid type: sequence, expected a string");
    refused("{\"type\":\"config\",\"stt_config\":{\"model\":{}}}",
            FMT "invalid type: map, expected a string");
}


/* a good stt_config, field set to value */
static char *
stt_with(const char *field, const char *value)
{
    char  *s;

    s = stt_without(field);
    s[strlen(s) - 2] = '\0';

    return json_printf("%s,\"%s\":%s}}", s, field, value);
}


static void
test_config_stt_checks(void **state)
{
    waav_ws_msg_t  msg;

#define IDENT " must be 1-256 characters of A-Z a-z 0-9 . _ - : @ +"

    (void) state;

    /* strings that reach provider URLs */
    refused(stt_with("provider", "\"\""), "stt_config.provider" IDENT);
    refused(stt_with("provider", "\"a/b\""), "stt_config.provider" IDENT);
    refused(stt_with("language", "\"en US\""), "stt_config.language" IDENT);
    refused(stt_with("encoding", "\"pcm&x=1\""), "stt_config.encoding" IDENT);
    refused(stt_with("model", "\"../m\""), "stt_config.model" IDENT);
    refused(stt_with("model", json_printf("\"%s\"", fill(257, 'm'))),
            "stt_config.model" IDENT);

    /* "": the provider's default */
    ok(&msg, stt_with("language", "\"\""));
    assert_int_equal(msg.stt.language.len, 0);
    ok(&msg, stt_with("model", json_printf("\"%s\"", fill(256, 'm'))));
    assert_int_equal(msg.stt.model.len, 256);

    ok(&msg, stt_with("sample_rate", "8000"));
    assert_int_equal(msg.stt.sample_rate, 8000);
    ok(&msg, stt_with("sample_rate", "48000"));
    assert_int_equal(msg.stt.sample_rate, 48000);
    refused(stt_with("sample_rate", "7999"),
            "stt_config.sample_rate must be an integer from 8000 to 48000");
    refused(stt_with("sample_rate", "48001"),
            "stt_config.sample_rate must be an integer from 8000 to 48000");

    ok(&msg, stt_with("channels", "8"));
    assert_int_equal(msg.stt.channels, 8);
    refused(stt_with("channels", "0"),
            "stt_config.channels must be an integer from 1 to 8");
    refused(stt_with("channels", "9"),
            "stt_config.channels must be an integer from 1 to 8");

    ok(&msg, stt_with("api_key", json_printf("\"%s\"", fill(4096, 'k'))));
    assert_int_equal(msg.stt.api_key.len, 4096);
    refused(stt_with("api_key", json_printf("\"%s\"", fill(4097, 'k'))),
            "stt_config.api_key must be up to 4096 bytes of visible ASCII");
    refused(stt_with("api_key", "\"a b\""),
            "stt_config.api_key must be up to 4096 bytes of visible ASCII");
    refused(stt_with("api_key", "\"a\\r\\nX-Injected: 1\""),
            "stt_config.api_key must be up to 4096 bytes of visible ASCII");
    refused(stt_with("api_key", "\"cl\xc3\xa9\""),
            "stt_config.api_key must be up to 4096 bytes of visible ASCII");

#undef IDENT
}


/* tts_config: /speak's checks, so /speak's answers */
static void
test_config_tts(void **state)
{
    static const char  *cfgs[] = {
        "{\"provider\":\"deepgram\"}",
        "{\"provider\":\"openai\",\"model\":\"tts-1\",\"voice_id\":\"alloy\","
        "\"audio_format\":\"mp3\",\"sample_rate\":24000,"
        "\"speaking_rate\":0.5,\"connection_timeout\":5,"
        "\"request_timeout\":30}",
        "{\"provider\":\"x\",\"pronunciations\":[{\"word\":\"a\","
        "\"pronunciation\":\"b\"},{\"word\":\"c\",\"pronunciation\":\"d\"}]}",
        "{}",
        "{\"provider\":\"a b\"}",
        "{\"provider\":\"x\",\"sample_rate\":1}",
        "{\"provider\":\"x\",\"audio_format\":\"midi\"}",
        "{\"provider\":\"x\",\"speaking_rate\":9}",
        "{\"provider\":\"x\",\"pronunciations\":{}}",
        "{\"provider\":7}",
        NULL
    };
    waav_ws_msg_t        msg;
    waav_tts_req_t       req;
    waav_err_t           err, speak_err;
    size_t               i;
    int                  rc, speak_rc;
    char                *json;

    (void) state;

    for (i = 0; cfgs[i]; i++) {
        json = json_printf("{\"text\":\"hi\",\"tts_config\":%s}", cfgs[i]);
        memset(&speak_err, 0, sizeof(speak_err));
        speak_rc = waav_tts_parse(&req, WAAV_TTS_SHAPE_WAAV, json,
                                  strlen(json), &WAAV_ARENA, &speak_err);

        rc = parse(&msg, json_printf("{\"type\":\"config\",\"tts_config\":%s}",
                                     cfgs[i]),
                   &err);

        assert_int_equal(rc, speak_rc);

        if (rc != 0) {
            assert_string_equal(err.message, speak_err.message);
            assert_string_equal(err.code, speak_err.code);
            continue;
        }

        assert_int_equal(msg.tts.provider.len, req.provider.len);
        assert_int_equal(msg.tts.model.len, req.model.len);
        assert_int_equal(msg.tts.voice.len, req.voice.len);
        assert_int_equal(msg.tts.format, req.format);
        assert_int_equal(msg.tts.sample_rate, req.sample_rate);
        assert_true(msg.tts.speaking_rate == req.speaking_rate);
        assert_int_equal(msg.tts.speaking_rate_set, req.speaking_rate_set);
        assert_int_equal(msg.tts.connection_timeout, req.connection_timeout);
        assert_int_equal(msg.tts.request_timeout, req.request_timeout);
        assert_int_equal(msg.tts.npron, req.npron);
    }

    refused("{\"type\":\"config\",\"tts_config\":{}}",
            "tts_config.provider is required");

    /* waav_ws tts_default=: a tts_config naming none takes it, one that
     * names one keeps it */
    {
        waav_ws_msg_t  m;
        waav_err_t     e;
        waav_str_t     local = { "local", 5 };
        const char    *none = "{\"type\":\"config\",\"tts_config\":{}}";
        const char    *named = "{\"type\":\"config\",\"tts_config\":"
                               "{\"provider\":\"deepgram\"}}";

        memset(&e, 0, sizeof(waav_err_t));
        assert_int_equal(waav_ws_msg_parse_default(&m, none, strlen(none),
                                                   local, &WAAV_ARENA, &e), 0);
        assert_int_equal(m.has_tts, 1);
        assert_str(m.tts.provider, "local");

        assert_int_equal(waav_ws_msg_parse_default(&m, named, strlen(named),
                                                   local, &WAAV_ARENA, &e), 0);
        assert_str(m.tts.provider, "deepgram");
    }
    refused("{\"type\":\"config\",\"tts_config\":\"x\"}",
            FMT "invalid type: string \"x\", expected struct "
            "TTSWebSocketConfig");
    refused("{\"type\":\"config\",\"tts_config\":{\"api_key\":1}}",
            FMT "invalid type: integer `1`, expected a string");
    refused("{\"type\":\"config\",\"tts_config\":{\"provider\":\"x\","
            "\"api_key\":\"a\\nb\"}}",
            "tts_config.api_key must be up to 4096 bytes of visible ASCII");
}


/* --- speak, clear, flush ------------------------------------------------ */

static void
test_speak(void **state)
{
    waav_ws_msg_t  msg;

    (void) state;

    ok(&msg, "{\"type\":\"speak\",\"text\":\"Hello \\\"world\\\"\"}");
    assert_int_equal(msg.type, WAAV_WS_MSG_SPEAK);
    assert_str(msg.text, "Hello \"world\"");
    assert_int_equal(msg.flush, 1);
    assert_int_equal(msg.allow_interruption, 1);

    ok(&msg, "{\"text\":\"x\",\"flush\":false,\"allow_interruption\":false,"
             "\"type\":\"speak\",\"voice\":\"ignored\"}");
    assert_str(msg.text, "x");
    assert_int_equal(msg.flush, 0);
    assert_int_equal(msg.allow_interruption, 0);

    ok(&msg, "{\"type\":\"speak\",\"text\":\"\",\"flush\":null,"
             "\"allow_interruption\":null}");
    assert_int_equal(msg.text.len, 0);
    assert_int_equal(msg.flush, 1);
    assert_int_equal(msg.allow_interruption, 1);

    ok(&msg, json_printf("{\"type\":\"speak\",\"text\":\"%s\"}",
                         fill(WAAV_WS_SPEAK_MAX, 'a')));
    assert_int_equal(msg.text.len, 102400);

    refused(json_printf("{\"type\":\"speak\",\"text\":\"%s\"}",
                        fill(WAAV_WS_SPEAK_MAX + 1, 'a')),
            "Speak text too large: 102401 bytes (max: 102400 bytes)");

    refused("{\"type\":\"speak\"}", FMT "missing field `text`");
    refused("{\"type\":\"speak\",\"text\":null}",
            FMT "invalid type: null, expected a string");
    refused("{\"type\":\"speak\",\"text\":1.5}",
            FMT "invalid type: floating point `1.5`, expected a string");
    refused("{\"type\":\"speak\",\"text\":\"x\",\"flush\":\"x\"}",
            FMT "invalid type: string \"x\", expected a boolean");
    refused("{\"type\":\"speak\",\"flush\":3,\"text\":\"x\"}",
            FMT "invalid type: integer `3`, expected a boolean");
}


static void
test_clear_flush(void **state)
{
    waav_ws_msg_t  msg;

    (void) state;

    ok(&msg, "{\"type\":\"clear\"}");
    assert_int_equal(msg.type, WAAV_WS_MSG_CLEAR);

    /* a unit variant takes any other keys */
    ok(&msg, "{\"type\":\"clear\",\"text\":1,\"x\":[{}]}");
    assert_int_equal(msg.type, WAAV_WS_MSG_CLEAR);

    ok(&msg, " {\"type\":\"flush\"} \n");
    assert_int_equal(msg.type, WAAV_WS_MSG_FLUSH);
}


/* --- send_message, sip_transfer, auth, custom --------------------------- */

static void
test_send_message(void **state)
{
    waav_ws_msg_t  msg;

    (void) state;

    ok(&msg, "{\"type\":\"send_message\",\"message\":\"hi\",\"role\":"
             "\"user\"}");
    assert_int_equal(msg.type, WAAV_WS_MSG_SEND_MESSAGE);
    assert_str(msg.message, "hi");
    assert_str(msg.role, "user");
    assert_str(msg.topic, "messages");

    ok(&msg, "{\"type\":\"send_message\",\"message\":\"\",\"role\":\"a\","
             "\"topic\":\"chat\",\"debug\":{\"any\":[1,null]}}");
    assert_str(msg.topic, "chat");

    ok(&msg, "{\"type\":\"send_message\",\"message\":\"m\",\"role\":\"a\","
             "\"topic\":null,\"debug\":null}");
    assert_str(msg.topic, "messages");

    ok(&msg, json_printf("{\"type\":\"send_message\",\"message\":\"%s\","
                         "\"role\":\"user\"}", fill(51200, 'm')));
    assert_int_equal(msg.message.len, 51200);

    refused(json_printf("{\"type\":\"send_message\",\"message\":\"%s\","
                        "\"role\":\"user\"}", fill(51201, 'm')),
            "Message content too large: 51201 bytes (max: 51200 bytes)");

    refused("{\"type\":\"send_message\",\"message\":\"m\"}",
            FMT "missing field `role`");
    refused("{\"type\":\"send_message\",\"role\":\"r\"}",
            FMT "missing field `message`");
    refused("{\"type\":\"send_message\",\"message\":\"m\",\"role\":\"r\","
            "\"topic\":[]}",
            FMT "invalid type: sequence, expected a string");
}


static void
test_sip_transfer(void **state)
{
    waav_ws_msg_t  msg;

    (void) state;

    ok(&msg, "{\"type\":\"sip_transfer\",\"transfer_to\":\" +1234567890 \"}");
    assert_int_equal(msg.type, WAAV_WS_MSG_SIP_TRANSFER);
    assert_str(msg.transfer_to, " +1234567890 ");

    ok(&msg, json_printf("{\"type\":\"sip_transfer\",\"transfer_to\":\"%s\"}",
                         fill(256, '1')));
    assert_int_equal(msg.transfer_to.len, 256);

    refused(json_printf("{\"type\":\"sip_transfer\",\"transfer_to\":\"%s\"}",
                        fill(257, '1')),
            "SIP transfer_to too large: 257 bytes (max: 256 bytes)");
    refused("{\"type\":\"sip_transfer\"}", FMT "missing field `transfer_to`");
    refused("{\"type\":\"sip_transfer\",\"transfer_to\":1234}",
            FMT "invalid type: integer `1234`, expected a string");
}


static void
test_auth(void **state)
{
    waav_ws_msg_t  msg;

    (void) state;

    ok(&msg, "{\"type\":\"auth\",\"token\":\"sk_test_1\"}");
    assert_int_equal(msg.type, WAAV_WS_MSG_AUTH);
    assert_str(msg.token, "sk_test_1");

    ok(&msg, json_printf("{\"type\":\"auth\",\"token\":\"%s\"}",
                         fill(4096, 't')));
    assert_int_equal(msg.token.len, 4096);

    refused(json_printf("{\"type\":\"auth\",\"token\":\"%s\"}",
                        fill(4097, 't')),
            "Auth token too large: 4097 bytes (max: 4096 bytes)");
    refused("{\"type\":\"auth\"}", FMT "missing field `token`");
    refused("{\"type\":\"auth\",\"token\":null}",
            FMT "invalid type: null, expected a string");
}


static void
test_custom(void **state)
{
    waav_ws_msg_t  msg;
    char          *s, *nl;
    size_t         i;

    (void) state;

    ok(&msg, "{\"type\":\"custom\",\"message_type\":\"analytics\","
             "\"payload\":{\"k\":[1,true,null]}}");
    assert_int_equal(msg.type, WAAV_WS_MSG_CUSTOM);
    assert_str(msg.custom_type, "analytics");

    /* payload is a Value: null is one, absent is not */
    ok(&msg, "{\"type\":\"custom\",\"message_type\":\"t\",\"payload\":null}");
    refused("{\"type\":\"custom\",\"message_type\":\"t\"}",
            FMT "missing field `payload`");
    refused("{\"type\":\"custom\",\"payload\":1}",
            FMT "missing field `message_type`");

    ok(&msg, json_printf("{\"type\":\"custom\",\"message_type\":\"%s\","
                         "\"payload\":1}", fill(256, 't')));

    /* WaaV names this limit after the stream ID */
    refused(json_printf("{\"type\":\"custom\",\"message_type\":\"%s\","
                        "\"payload\":1}", fill(257, 't')),
            "Stream ID too large: 257 bytes (max: 256 bytes)");

    /* the payload as serde_json writes it: {"a":[1,true,null,false,1.5,
     * "<s>"]} is 32 bytes and s's; each "\n" of s is 2 */
    nl = fill(200, 'n');

    for (i = 0; i < 200; i += 2) {
        nl[i] = '\\';
    }

    s = fill(51200 - 32 - 200, 'y');

    ok(&msg, json_printf("{\"type\":\"custom\",\"message_type\":\"t\","
                         "\"payload\": { \"a\" : [ 1 , true , null , false ,"
                         " 1.5 , \"%s%s\"]}}", nl, s));

    refused(json_printf("{\"type\":\"custom\",\"message_type\":\"t\","
                        "\"payload\": { \"a\" : [ 1 , true , null , false ,"
                        " 1.5 , \"%s%sy\"]}}", nl, s),
            "Message content too large: 51201 bytes (max: 51200 bytes)");

    /* a string payload: quotes, escapes (\u0001 is 6) */
    ok(&msg, json_printf("{\"type\":\"custom\",\"message_type\":\"t\","
                         "\"payload\":\"\\u0001\\\"%s\"}", fill(51190, 'p')));
    refused(json_printf("{\"type\":\"custom\",\"message_type\":\"t\","
                        "\"payload\":\"\\u0001\\\"%s\"}", fill(51191, 'p')),
            "Message content too large: 51201 bytes (max: 51200 bytes)");
}


/* --- ping ---------------------------------------------------------------- */

static void
test_ping(void **state)
{
    waav_ws_msg_t  msg;

    (void) state;

    ok(&msg, "{\"type\":\"ping\",\"timestamp\":1700000000000}");
    assert_int_equal(msg.type, WAAV_WS_MSG_PING);
    assert_str(msg.timestamp, "1700000000000");

    ok(&msg, "{\"type\":\"ping\",\"timestamp\":\"t-1\"}");
    assert_str(msg.timestamp, "\"t-1\"");

    ok(&msg, "{\"type\":\"ping\",\"timestamp\": { \"a\" : [ 1, \"\\n\" ] }}");
    assert_str(msg.timestamp, "{\"a\":[1,\"\\n\"]}");

    ok(&msg, "{\"type\":\"ping\"}");
    assert_int_equal(msg.timestamp.len, 0);

    ok(&msg, "{\"type\":\"ping\",\"timestamp\":null}");
    assert_int_equal(msg.timestamp.len, 0);

    /* 64 bytes written, quotes and all */
    ok(&msg, json_printf("{\"type\":\"ping\",\"timestamp\":\"%s\"}",
                         fill(62, 't')));
    assert_int_equal(msg.timestamp.len, 64);

    refused(json_printf("{\"type\":\"ping\",\"timestamp\":\"%s\"}",
                        fill(63, 't')),
            "Ping timestamp too large (max: 64 bytes)");
    refused(json_printf("{\"type\":\"ping\",\"timestamp\":\"%s\"}",
                        fill(5000, 't')),
            "Ping timestamp too large (max: 64 bytes)");
}


/* --- the tag, and what is not a message ---------------------------------- */

static void
test_tag(void **state)
{
    (void) state;

#define VARIANTS "expected one of `config`, `speak`, `clear`, " \
                 "`send_message`, `sip_transfer`, `auth`, `custom`"

    refused("{\"type\":\"foo\"}",
            FMT "unknown variant `foo`, " VARIANTS " at line 1 column 13");
    refused("{\"text\":\"hi\", \"type\" : \"Speak\", \"x\":1}",
            FMT "unknown variant `Speak`, " VARIANTS " at line 1 column 30");
    refused("{\n  \"type\": \"tts\"\n}",
            FMT "unknown variant `tts`, " VARIANTS " at line 2 column 15");
    refused("{\"a\":{\"type\":\"x\"},\"b\":[\"type\"],\"type\":\"\"}",
            FMT "unknown variant ``, " VARIANTS " at line 1 column 40");

    /* a long one is cut short in the text */
    refused(json_printf("{\"type\":\"%s\"}", fill(300, 'v')),
            json_printf(FMT "unknown variant `%s`, " VARIANTS
                        " at line 1 column 310", fill(64, 'v')));

    refused("{\"type\":1}",
            FMT "invalid type: integer `1`, expected variant identifier at "
            "line 1 column 9");
    refused("{\"type\":null,\"text\":\"x\"}",
            FMT "invalid type: null, expected variant identifier at line 1 "
            "column 12");
    refused("{\"type\":{\"a\":\"}\"}}",
            FMT "invalid type: map, expected variant identifier at line 1 "
            "column 17");
    refused("{\"type\":[\"speak\"]}",
            FMT "invalid type: sequence, expected variant identifier at line "
            "1 column 17");

    refused("{}", FMT "missing field `type` at line 1 column 2");
    refused("{\"text\":\"hi\"}\n",
            FMT "missing field `type` at line 1 column 13");
    refused("{\"Type\":\"speak\"}",
            FMT "missing field `type` at line 1 column 16");

    refused("1",
            FMT "invalid type: integer `1`, expected internally tagged enum "
            "IncomingMessage at line 1 column 1");
    refused("\"speak\"",
            FMT "invalid type: string \"speak\", expected internally tagged "
            "enum IncomingMessage at line 1 column 7");
    refused("null",
            FMT "invalid type: null, expected internally tagged enum "
            "IncomingMessage at line 1 column 4");
    refused("true",
            FMT "invalid type: boolean `true`, expected internally tagged "
            "enum IncomingMessage at line 1 column 4");
    refused("[]",
            FMT "invalid type: sequence, expected internally tagged enum "
            "IncomingMessage at line 1 column 2");
    refused("-2.5e3",
            FMT "invalid type: integer `-2500`, expected internally tagged "
            "enum IncomingMessage at line 1 column 6");
    refused("0.25",
            FMT "invalid type: floating point `0.25`, expected internally "
            "tagged enum IncomingMessage at line 1 column 4");

#undef VARIANTS
}


static void
test_syntax(void **state)
{
    (void) state;

    refused("", FMT "EOF while parsing a value at line 1 column 0");
    refused("  \n ", FMT "EOF while parsing a value at line 2 column 1");
    refused("x", FMT "expected value at line 1 column 1");
    refused("{", FMT "EOF while parsing an object at line 1 column 1");
    refused("{\"type\":", FMT "EOF while parsing a value at line 1 column 8");
    refused("{\"type\":\"speak\",",
            FMT "EOF while parsing a value at line 1 column 16");
    refused("{\"type\":\"spe", FMT "EOF while parsing a string at line 1 "
            "column 12");
    refused("{\"type\":\"a\\\"", FMT "EOF while parsing a string at line 1 "
            "column 12");
    refused("{\"a\":[1,2", FMT "EOF while parsing a list at line 1 column 9");
    refused("{\"a\":[{}", FMT "EOF while parsing a list at line 1 column 8");
    refused("{\"a\":x}", FMT "expected value at line 1 column 6");
    refused("{\"type\":\"clear\"} {}",
            FMT "trailing characters at line 1 column 18");
    refused("{\"type\":\"clear\"}\n\nx",
            FMT "trailing characters at line 3 column 1");

    /* waav's own refusals (no layer may read another value than this) */
    refused("{\"type\":\"speak\",\"text\":\"a\",\"text\":\"b\"}",
            FMT "A JSON object has the same key twice");
    refused("{\"type\":\"speak\",\"text\":\"a\\u0000b\"}",
            FMT "JSON strings must not contain \\u0000");
}


/* serde's Unexpected for a string: Rust's {:?} */
static void
test_unexpected(void **state)
{
    (void) state;

    refused("{\"type\":\"speak\",\"text\":\"x\",\"flush\":\"a\\\"b\\\\c\\n\"}",
            FMT "invalid type: string \"a\\\"b\\\\c\\n\", expected a "
            "boolean");
    refused("{\"type\":\"speak\",\"text\":\"x\",\"flush\":\"\\u001b\"}",
            FMT "invalid type: string \"\\u{1b}\", expected a boolean");
    refused("{\"type\":\"speak\",\"text\":\"x\",\"flush\":"
            "\"\xc3\xa9t\xc3\xa9\"}",
            FMT "invalid type: string \"\xc3\xa9t\xc3\xa9\", expected a "
            "boolean");
    refused("{\"type\":\"speak\",\"text\":\"x\",\"flush\":-0}",
            FMT "invalid type: integer `0`, expected a boolean");
    refused("{\"type\":\"speak\",\"text\":\"x\",\"flush\":1e300}",
            FMT "invalid type: floating point `1e+300`, expected a boolean");
    refused("{\"type\":\"speak\",\"text\":\"x\",\"flush\":0.1}",
            FMT "invalid type: floating point `0.1`, expected a boolean");

    /* a long string: 64 bytes of it, not cutting a character */
    refused(json_printf("{\"type\":\"speak\",\"text\":\"x\",\"flush\":"
                        "\"a%s\"}", fill(100, 'b')),
            json_printf(FMT "invalid type: string \"a%s\", expected a "
                        "boolean", fill(63, 'b')));
}


/* --- out of memory ------------------------------------------------------- */

static size_t  budget;

static void *
tight_alloc(void *data, size_t size)
{
    if (size > budget) {
        return NULL;
    }

    budget -= size;

    return waav_arena_alloc(data, size);
}


static void
test_nomem(void **state)
{
    waav_alloc_t   a = { tight_alloc, NULL };
    waav_ws_msg_t  msg;
    waav_err_t     err;
    const char    *json;
    size_t         len, b;
    int            rc;

    (void) state;

    json = "{\"type\":\"config\",\"stt_config\":" STT ",\"tts_config\":"
           "{\"provider\":\"x\",\"pronunciations\":[{\"word\":\"a\","
           "\"pronunciation\":\"b\"}]}}";

    /* every budget: a clean answer, never a wrong text */
    for (b = 0; b < 8192; b += 16) {
        budget = b;
        memset(&err, 0, sizeof(err));
        rc = waav_ws_msg_parse(&msg, json, strlen(json), &a, &err);

        if (rc == 0) {
            break;
        }

        assert_int_equal(err.status, 500);
        assert_string_equal(err.message, "out of memory");
    }

    assert_int_equal(rc, 0);

    budget = 0;
    assert_null(waav_ws_error(&a, "x", &len));
    assert_null(waav_ws_pong(&a, (waav_str_t) waav_str_lit("1"), &len));
    assert_null(waav_ws_playback_complete(&a, 1, &len));

    budget = 64;
    json = "{\"type\":\"ping\",\"timestamp\":1}";
    budget = 0;
    assert_int_equal(waav_ws_msg_parse(&msg, json, strlen(json), &a, &err),
                     -1);
}


/* --- the server's messages, byte for byte -------------------------------- */

static void
assert_bytes(const char *got, size_t len, const char *want)
{
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
}


static void
test_write(void **state)
{
    waav_alloc_t  *a = &WAAV_ARENA;
    waav_str_t     none = { NULL, 0 };
    waav_str_t     id = waav_str_lit("6ba7b810-9dad-41d1-80b4-00c04fd430c8");
    waav_str_t     url = waav_str_lit("http://localhost:7880");
    waav_str_t     text = waav_str_lit("say \"hi\"\n\t\\ caf\xc3\xa9");
    waav_str_t     bad = waav_str_lit("a\xff" "b");
    size_t         len;
    char          *s;

    (void) state;

    s = waav_ws_error(a, "Speak text too large: 1 bytes (max: 0 bytes)",
                      &len);
    assert_bytes(s, len, "{\"type\":\"error\",\"message\":\"Speak text too "
                 "large: 1 bytes (max: 0 bytes)\"}");

    s = waav_ws_error(a, "Invalid message format: unknown variant `\"\\`",
                      &len);
    assert_bytes(s, len, "{\"type\":\"error\",\"message\":\"Invalid message "
                 "format: unknown variant `\\\"\\\\`\"}");

    s = waav_ws_ready(a, id, url, &len);
    assert_bytes(s, len, "{\"type\":\"ready\",\"stream_id\":"
                 "\"6ba7b810-9dad-41d1-80b4-00c04fd430c8\",\"livekit_url\":"
                 "\"http://localhost:7880\"}");

    s = waav_ws_ready(a, (waav_str_t) waav_str_lit("a\"b"), none, &len);
    assert_bytes(s, len, "{\"type\":\"ready\",\"stream_id\":\"a\\\"b\"}");

    s = waav_ws_ready(a, id, (waav_str_t) { "", 0 }, &len);
    assert_bytes(s, len, "{\"type\":\"ready\",\"stream_id\":"
                 "\"6ba7b810-9dad-41d1-80b4-00c04fd430c8\",\"livekit_url\":"
                 "\"\"}");

    s = waav_ws_stt_result(a, text, 1, 0, 0.95, &len);
    assert_bytes(s, len, "{\"type\":\"stt_result\",\"transcript\":\"say "
                 "\\\"hi\\\"\\n\\t\\\\ caf\xc3\xa9\",\"is_final\":true,"
                 "\"is_speech_final\":false,\"confidence\":0.95}");

    /* the synthetic speech-final of WaaV's timers */
    s = waav_ws_stt_result(a, (waav_str_t) { "", 0 }, 1, 1, 1.0, &len);
    assert_bytes(s, len, "{\"type\":\"stt_result\",\"transcript\":\"\","
                 "\"is_final\":true,\"is_speech_final\":true,"
                 "\"confidence\":1.0}");

    s = waav_ws_stt_result(a, bad, 0, 0, 0.5, &len);
    assert_bytes(s, len, "{\"type\":\"stt_result\",\"transcript\":"
                 "\"a\xef\xbf\xbd" "b\",\"is_final\":false,"
                 "\"is_speech_final\":false,\"confidence\":0.5}");

    s = waav_ws_playback_complete(a, 1700000000123ULL, &len);
    assert_bytes(s, len, "{\"type\":\"tts_playback_complete\","
                 "\"timestamp\":1700000000123}");

    s = waav_ws_playback_complete(a, UINT64_MAX, &len);
    assert_bytes(s, len, "{\"type\":\"tts_playback_complete\","
                 "\"timestamp\":18446744073709551615}");

    s = waav_ws_authenticated(a, (waav_str_t) waav_str_lit("client-1"), &len);
    assert_bytes(s, len, "{\"type\":\"authenticated\",\"id\":\"client-1\"}");

    s = waav_ws_authenticated(a, none, &len);
    assert_bytes(s, len, "{\"type\":\"authenticated\"}");

    s = waav_ws_pong(a, (waav_str_t) waav_str_lit("1700000000000"), &len);
    assert_bytes(s, len, "{\"type\":\"pong\",\"timestamp\":1700000000000}");

    s = waav_ws_pong(a, none, &len);
    assert_bytes(s, len, "{\"type\":\"pong\"}");

    assert_string_equal(WAAV_WS_AUTH_REQUIRED, "{\"type\":\"auth_required\"}");
}


/* f32 confidences as serde_json (ryu) prints them */
static void
test_write_confidence(void **state)
{
    static const struct {
        double       v;
        const char  *want;
    } cases[] = {
        { 1.0, "1.0" }, { 0.95, "0.95" }, { 0.0, "0.0" }, { 0.5, "0.5" },
        { 0.1, "0.1" }, { 0.3, "0.3" }, { 0.99, "0.99" },
        { 0.123456789, "0.12345679" }, { 0.87654321, "0.8765432" },
        { 1e-6, "0.000001" }, { 1.5e-6, "0.0000015" }, { 1e-7, "1e-7" },
        { 1.25e-9, "1.25e-9" }, { 1.4e-45, "1e-45" },
        /* clamped */
        { 1.5, "1.0" }, { -0.2, "0.0" }, { 1e300, "1.0" }, { -1e300, "0.0" },
    };
    size_t  i, len;
    char   *s, want[160];

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s = waav_ws_stt_result(&WAAV_ARENA, (waav_str_t) waav_str_lit("t"),
                               0, 0, cases[i].v, &len);
        snprintf(want, sizeof(want), "{\"type\":\"stt_result\",\"transcript\":"
                 "\"t\",\"is_final\":false,\"is_speech_final\":false,"
                 "\"confidence\":%s}", cases[i].want);
        assert_bytes(s, len, want);
    }

    s = waav_ws_stt_result(&WAAV_ARENA, (waav_str_t) waav_str_lit("t"), 0, 0,
                           NAN, &len);
    assert_non_null(strstr(s, "\"confidence\":0.0}"));
}


static void
test_uuid4(void **state)
{
    unsigned char  rnd[16];
    char           out[37];
    size_t         i;

    (void) state;

    memset(rnd, 0, sizeof(rnd));
    waav_ws_uuid4(out, rnd);
    assert_string_equal(out, "00000000-0000-4000-8000-000000000000");

    memset(rnd, 0xff, sizeof(rnd));
    waav_ws_uuid4(out, rnd);
    assert_string_equal(out, "ffffffff-ffff-4fff-bfff-ffffffffffff");

    for (i = 0; i < 16; i++) {
        rnd[i] = (unsigned char) (i * 17);
    }

    waav_ws_uuid4(out, rnd);
    assert_string_equal(out, "00112233-4455-4677-8899-aabbccddeeff");
}


static void
test_frame_bytes(void **state)
{
    (void) state;

    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_LINEAR16, 24000), 480);
    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_LINEAR16, 16000), 320);
    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_LINEAR16, 22050), 440);
    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_MULAW, 8000), 80);
    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_ALAW, 8000), 80);
    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_MULAW, 16000), 160);

    /* WaaV's guard: at least one sample */
    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_LINEAR16, 50), 2);
    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_MULAW, 0), 1);

    /* the rest goes as it comes */
    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_MP3, 24000), 0);
    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_WAV, 24000), 0);
    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_OPUS, 48000), 0);
    assert_int_equal(waav_ws_frame_bytes(WAAV_FMT_NONE, 24000), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_config_full, waav_arena_teardown),
        cmocka_unit_test_teardown(test_config_audio, waav_arena_teardown),
        cmocka_unit_test_teardown(test_config_stream_id,
                                  waav_arena_teardown),
        cmocka_unit_test_teardown(test_config_stt_serde,
                                  waav_arena_teardown),
        cmocka_unit_test_teardown(test_config_stt_checks,
                                  waav_arena_teardown),
        cmocka_unit_test_teardown(test_config_tts, waav_arena_teardown),
        cmocka_unit_test_teardown(test_speak, waav_arena_teardown),
        cmocka_unit_test_teardown(test_clear_flush, waav_arena_teardown),
        cmocka_unit_test_teardown(test_send_message, waav_arena_teardown),
        cmocka_unit_test_teardown(test_sip_transfer, waav_arena_teardown),
        cmocka_unit_test_teardown(test_auth, waav_arena_teardown),
        cmocka_unit_test_teardown(test_custom, waav_arena_teardown),
        cmocka_unit_test_teardown(test_ping, waav_arena_teardown),
        cmocka_unit_test_teardown(test_tag, waav_arena_teardown),
        cmocka_unit_test_teardown(test_syntax, waav_arena_teardown),
        cmocka_unit_test_teardown(test_unexpected, waav_arena_teardown),
        cmocka_unit_test_teardown(test_nomem, waav_arena_teardown),
        cmocka_unit_test_teardown(test_write, waav_arena_teardown),
        cmocka_unit_test_teardown(test_write_confidence,
                                  waav_arena_teardown),
        cmocka_unit_test(test_uuid4),
        cmocka_unit_test(test_frame_bytes),
    };

    return cmocka_run_group_tests_name("waav_ws_msg", tests, NULL, NULL);
}
