/*
 * waav: speech-to-text requests and answers, provider-neutral.
 *
 * The audio itself never passes through here: a provider request is a
 * method, path, query and headers, plus (for multipart providers) the
 * bytes that go before and after the client's audio, so the glue can wrap
 * the client body's buffer chain without copying it.  Provider answers are
 * normalized into one JSON shape:
 *   {"transcript", "confidence", "language", "duration",
 *    "words": [{"word", "start", "end", "confidence"}], "provider", "model"}
 * with fields a provider lacks omitted, not invented.  Pure C.
 */

#ifndef WAAV_STT_H
#define WAAV_STT_H

#include <stddef.h>
#include <stdint.h>

#include "waav_alloc.h"
#include "waav_tts.h"

#define WAAV_STT_MAX_PROMPT  2048

typedef struct {
    waav_str_t   model;             /* empty: the provider's default */
    waav_str_t   language;          /* empty: detect */
    waav_str_t   keywords;          /* comma-separated, Deepgram */
    waav_str_t   prompt;            /* OpenAI-style */
    waav_str_t   temperature;       /* OpenAI-style, "0" to "1" */
    waav_str_t   content_type;      /* of the audio, as the client sent it */
    uint64_t     audio_len;         /* bytes of audio */
    int          punctuate;         /* -1 unset, 0, 1 */
    int          diarize;
    int          words;             /* ask for word timings */
} waav_stt_req_t;

typedef struct waav_stt_adapter_s  waav_stt_adapter_t;

struct waav_stt_adapter_s {
    const char   *type;
    const char   *default_model;
    int           multipart;        /* the audio goes as a "file" part */
    int           flow;             /* upload, create, poll (AssemblyAI) */

    /* the provider request: path, args, headers; for multipart, body is
     * what goes before the audio and suffix what goes after */
    int         (*build)(const waav_stt_adapter_t *ad,
                         const waav_stt_req_t *req, waav_str_t key,
                         waav_http_req_t *out, waav_str_t *suffix,
                         waav_alloc_t *a, waav_err_t *err);

    /* the provider's JSON answer to our shape */
    int         (*normalize)(const char *json, size_t len,
                             const waav_stt_req_t *req, waav_str_t provider,
                             waav_alloc_t *a, waav_str_t *out,
                             waav_err_t *err);
};

const waav_stt_adapter_t *waav_stt_adapter(const char *type, size_t len);

/* checks model, language, keywords, prompt and the content type */
int waav_stt_validate(const waav_stt_req_t *req, waav_err_t *err);

/* audio/wav ... -> 1; audio/L16;rate=16000 gives rate (else 0) */
int waav_stt_audio_type(waav_str_t ct, unsigned *rate, const char **ext);

/*
 * The first bytes of a WAV body against its real length: -1 when the
 * header claims more (or less) than is there, 0 when it fits or the body
 * is not a RIFF/WAVE file, 1 when it is too short to tell.
 */
int waav_stt_wav_check(const unsigned char *head, size_t head_len,
    uint64_t total);

/* a multipart/form-data boundary made from 16 random-looking bytes */
void waav_stt_boundary(char *out, size_t size, uint64_t seed);

#endif /* WAAV_STT_H */

/*
 * AssemblyAI takes three steps: upload the audio, create a transcript
 * from the upload's URL, poll it until it is done.
 */
#ifndef WAAV_STT_AAI_H
#define WAAV_STT_AAI_H

int waav_stt_aai_create(const waav_stt_req_t *req, waav_str_t key,
    waav_str_t upload_url, waav_http_req_t *out, waav_alloc_t *a,
    waav_err_t *err);
int waav_stt_aai_poll(waav_str_t key, waav_str_t id, waav_http_req_t *out,
    waav_alloc_t *a, waav_err_t *err);

/* the upload's answer: its URL (http or https) */
int waav_stt_aai_upload_url(const char *json, size_t len, waav_str_t provider,
    waav_alloc_t *a, waav_str_t *url, waav_err_t *err);

/* a transcript's answer: 0 still working (id set), 1 done (out set),
 * -1 failed or not understood (err set) */
int waav_stt_aai_state(const char *json, size_t len,
    const waav_stt_req_t *req, waav_str_t provider, waav_alloc_t *a,
    waav_str_t *id, waav_str_t *out, waav_err_t *err);

#endif

#ifndef WAAV_STT_OPENAI_H
#define WAAV_STT_OPENAI_H

typedef enum {
    WAAV_STT_FMT_WAAV = 0,
    WAAV_STT_FMT_JSON,
    WAAV_STT_FMT_TEXT,
    WAAV_STT_FMT_VERBOSE,
    WAAV_STT_FMT_SRT,
    WAAV_STT_FMT_VTT
} waav_stt_fmt_e;

/* whole seconds of audio, for quotas, estimated before the call: exact
 * for a WAV (its byte rate) and headerless PCM (rate, 16-bit mono), at
 * 128 kbit/s for compressed formats; at least 1 */
uint64_t waav_stt_seconds(const unsigned char *head, size_t head_len,
    uint64_t audio_len, unsigned pcm_rate);

/* a normalized answer's duration in whole seconds, rounded up; 0 if none */
uint64_t waav_stt_answer_seconds(const char *json, size_t len);

/* "json", "text", ... to the enum; 0 when unknown (len 0: json) */
waav_stt_fmt_e waav_stt_fmt_parse(const char *s, size_t len);

/* a normalized answer (ours) in one of OpenAI's response formats */
int waav_stt_openai_answer(const char *json, size_t len, waav_stt_fmt_e fmt,
    int words, waav_alloc_t *a, waav_str_t *out, const char **content_type,
    waav_err_t *err);

/* the provider type a model name belongs to, NULL when nobody's */
const char *waav_stt_model_type(const char *model, size_t len);

/* the audio type for a file name's extension, NULL when unknown */
const char *waav_stt_ext_type(const char *filename);

#endif
