/*
 * waav: speech-to-text requests and answers, provider-neutral.
 *
 * The audio itself never passes through here: a provider request is a
 * method, path, query and headers, plus (for multipart providers) the
 * bytes that go before and after the client's audio, so the glue can wrap
 * the client body's buffer chain without copying it.  Provider answers are
 * normalized (waav_stt_normalize.h) into one result, written as our JSON
 *   {"transcript", "confidence", "language", "duration",
 *    "words": [{"word", "start", "end", "confidence"}], "provider", "model"}
 * or one of OpenAI's formats (waav_stt_formats.h), with fields a provider
 * lacks omitted, not invented.  Adapters: src/core/stt/, one file each.
 * Pure C.
 */

#ifndef WAAV_STT_H
#define WAAV_STT_H

#include <stddef.h>
#include <stdint.h>

#include "waav_alloc.h"
#include "waav_audio.h"
#include "waav_cred.h"
#include "waav_http.h"

#define WAAV_STT_MAX_PROMPT  2048

typedef struct {
    waav_str_t    model;            /* empty: the provider's default */
    waav_str_t    language;         /* empty: detect */
    waav_str_t    keywords;         /* comma-separated, Deepgram */
    waav_str_t    prompt;           /* OpenAI-style */
    waav_str_t    temperature;      /* OpenAI-style, "0" to "1" */
    waav_str_t    content_type;     /* of the audio, as the client sent it */
    waav_audio_t  audio;            /* what waav_stt_validate made of it */
    uint64_t      audio_len;        /* bytes of audio */
    uint64_t      seconds;          /* of audio (waav_audio_seconds: exact
                                     * for WAV and PCM, else estimated); 0:
                                     * not known */
    uint64_t      audio_seconds;    /* the same where exact (WAV, PCM); 0:
                                     * not known */
    int           punctuate;        /* -1 unset, 0, 1 */
    int           diarize;
    int           words;            /* ask for word timings */
    int           byok;             /* the key is a client's own
                                     * (waav_byok): the adapter's
                                     * byok_cred applies where it has one */
} waav_stt_req_t;

typedef struct {
    waav_str_t    word;
    double        start, end, confidence;
    unsigned      has_start:1;
    unsigned      has_end:1;
    unsigned      has_confidence:1;
} waav_stt_word_t;

/* a transcription, whoever made it */
typedef struct {
    waav_str_t        transcript;
    waav_str_t        language;     /* empty: none known */
    double            confidence;
    double            duration;     /* seconds */
    waav_stt_word_t  *words;
    size_t            nwords;
    waav_str_t        provider;     /* as the client named it */
    waav_str_t        model;
    unsigned          has_confidence:1;
    unsigned          has_duration:1;
    unsigned          has_words:1;  /* the provider gave a words list */
} waav_stt_result_t;

/* where a multi-step transcription is, between its calls */
typedef struct {
    unsigned      step;             /* provider answers read so far */
    waav_str_t    id;               /* what the adapter keeps (a job id) */
    waav_str_t    key;              /* set by waav_stt_next: to redact from
                                     * provider text an adapter quotes */
} waav_stt_flow_t;

/* what to do after a provider's answer (waav_stt_next) */
#define WAAV_STT_DONE  0            /* the result is in */
#define WAAV_STT_NEXT  1            /* send the next request now */
#define WAAV_STT_WAIT  2            /* send it after the poll interval */

typedef struct waav_stt_adapter_s  waav_stt_adapter_t;

/*
 * An STT adapter (src/core/stt/<provider>.c), linked to its provider type
 * by the registry (waav_registry.c).  Fields are set by name.
 */
struct waav_stt_adapter_s {
    const char         *type;
    const char         *default_model;
    int                 multipart;  /* the audio goes as a "file" part */

    /* 1: the audio goes base64-encoded between body and suffix, inside
     * the JSON build() begins and suffix ends (Google's {"audio":
     * {"content": "..."}}); the glue encodes it */
    int                 base64;

    /* 1: WaaV's /ws transcribes with this REST API, the session's audio
     * buffered and sent at once (openai, groq); 0: /ws needs a streaming
     * connection to the provider */
    int                 ws_buffered;

    /* 1: the REST calls go to the registry's streaming host (IBM's
     * speech-to-text host; its base URL is not the TTS one) */
    int                 stream_host;

    /* the most seconds of audio a request may hold (Azure's short audio:
     * 60); longer is refused before any call (waav_stt_fits); 0: no
     * bound of the provider's */
    unsigned            max_seconds;

    /* the model names (OpenAI's form) that belong to this provider,
     * NULL-terminated; a trailing '*' is any name so starting */
    const char *const  *models;

    /* how the key travels (applied to every request built) */
    const waav_cred_t  *cred;

    /* how a client's own key travels (req->byok) when cred exchanges the
     * server's for a token (Google, Azure): sent as it is, never
     * exchanged; NULL: as cred says */
    const waav_cred_t  *byok_cred;

    /* the provider's streaming API (WaaV's /ws), NULL: none */
    const struct waav_stt_stream_s  *stream;    /* waav_stt_stream.h */

    /* the first request, the one that carries the audio: path, args,
     * headers; for multipart, body is what goes before the audio and
     * suffix what goes after.  NULL (with normalize and next): the
     * provider has no REST transcription, only stream (waav_stt_build
     * and waav_stt_next refuse it: 400) */
    int               (*build)(const waav_stt_adapter_t *ad,
                               const waav_stt_req_t *req,
                               waav_http_req_t *out, waav_str_t *suffix,
                               waav_alloc_t *a, waav_err_t *err);

    /* a 2xx answer with the transcription into res (provider and model
     * are set); -1 with err set (502 when it is not understood) */
    int               (*normalize)(const waav_stt_adapter_t *ad,
                                   const char *json, size_t len,
                                   const waav_stt_req_t *req,
                                   waav_stt_result_t *res, waav_alloc_t *a,
                                   waav_err_t *err);

    /* the multi-step hook: a 2xx answer to step flow->step (0: the audio
     * request) into WAAV_STT_DONE (res set), WAAV_STT_NEXT or
     * WAAV_STT_WAIT (out: the next request, without credentials), or -1
     * with err set.  NULL: one call, its answer normalized. */
    int               (*next)(const waav_stt_adapter_t *ad,
                              waav_stt_flow_t *flow,
                              const waav_stt_req_t *req, waav_str_t answer,
                              waav_stt_result_t *res, waav_http_req_t *out,
                              waav_alloc_t *a, waav_err_t *err);
};

/* the adapter for a provider type, NULL when it has none */
const waav_stt_adapter_t *waav_stt_adapter(const char *type, size_t len);

/* 400 INVALID_PROVIDER "<type> has no REST transcription; use it on /ws"
 * when the adapter has no build (a streaming-only provider); else 0 */
int waav_stt_rest(const waav_stt_adapter_t *ad, waav_err_t *err);

/* bytes a second of 48 kHz stereo 16-bit PCM: no encoding takes fewer
 * seconds for its bytes */
#define WAAV_STT_MAX_BYTE_RATE  192000

/* 413 AUDIO_TOO_LONG when the audio's seconds (req->audio_seconds where
 * exact, else the least its bytes can hold) are over the adapter's
 * max_seconds (its REST API's bound: Azure's short audio, Google's
 * synchronous recognition); else 0 */
int waav_stt_fits(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_err_t *err);

/* what building the first request would refuse (waav_stt_fits, then the
 * adapter's build, without credentials): 0, or -1 with err set; so that a
 * request refused anyway costs no token exchange */
int waav_stt_check(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_alloc_t *a, waav_err_t *err);

/* the credentials a request applies: the adapter's byok_cred for a
 * client's own key where it has one, else its cred */
const waav_cred_t *waav_stt_cred(const waav_stt_adapter_t *ad,
    const waav_stt_req_t *req);

/* the first request, credentials added (waav_stt_fits checked); for an
 * adapter that is not multipart, a body it builds goes before the audio */
int waav_stt_build(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    const waav_secret_t *secret, waav_http_req_t *out, waav_str_t *suffix,
    waav_alloc_t *a, waav_err_t *err);

/*
 * The provider's 2xx answer to the current step: WAAV_STT_DONE with res
 * (named after provider), WAAV_STT_NEXT / WAAV_STT_WAIT with the next
 * request in out (credentials added, flow->step advanced), -1 with err.
 */
int waav_stt_next(const waav_stt_adapter_t *ad, waav_stt_flow_t *flow,
    const waav_stt_req_t *req, const waav_secret_t *secret,
    waav_str_t provider, waav_str_t answer, waav_stt_result_t *res,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err);

/* the provider type a model name belongs to, NULL when nobody's */
const char *waav_stt_model_type(const char *model, size_t len);

/* for multipart adapters: the form around the audio (fields with an empty
 * value are left out), and its Content-Type header */
typedef struct {
    const char   *name;
    waav_str_t    value;
} waav_stt_field_t;

int waav_stt_form(const waav_stt_req_t *req, const waav_stt_field_t *fields,
    size_t n, waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a,
    waav_err_t *err);

/* a multipart/form-data boundary made from 16 random bytes */
void waav_stt_boundary(char *out, size_t size, uint64_t seed);

#endif /* WAAV_STT_H */
