/*
 * waav: text-to-speech requests, provider-neutral.
 *
 * A client body (WaaV's POST /speak or OpenAI's /v1/audio/speech) is parsed
 * and validated into waav_tts_req_t (waav_tts_parse.c); a provider adapter
 * (src/core/tts/, one file each) turns that into the provider's HTTP
 * request.  Pure C: no nginx types.
 */

#ifndef WAAV_TTS_H
#define WAAV_TTS_H

#include <stddef.h>

#include "waav_alloc.h"
#include "waav_buf.h"
#include "waav_cred.h"
#include "waav_http.h"
#include "waav_xform.h"

#define WAAV_TTS_MAX_TEXT          10240
#define WAAV_TTS_MAX_IDENT         256
#define WAAV_TTS_MAX_PRONUNCIATIONS 100
#define WAAV_TTS_MAX_INSTRUCTIONS  4096
#define WAAV_TTS_MAX_API_KEY       4096

typedef enum {
    WAAV_TTS_SHAPE_WAAV = 0,        /* {"text", "tts_config": {...}}, or
                                     * the SDKs' flat {"text", "provider",
                                     * "voice_id", ...} */
    WAAV_TTS_SHAPE_OPENAI           /* {"model", "input", "voice", ...} */
} waav_tts_shape_e;

/* the audio formats clients may ask for, whatever they call them */
typedef enum {
    WAAV_FMT_NONE = 0,
    WAAV_FMT_LINEAR16,              /* linear16, pcm: 16-bit LE mono, raw */
    WAAV_FMT_MULAW,                 /* mulaw, ulaw */
    WAAV_FMT_ALAW,
    WAAV_FMT_MP3,                   /* mp3, mpeg */
    WAAV_FMT_WAV,
    WAAV_FMT_OPUS,                  /* opus, ogg: Opus in Ogg */
    WAAV_FMT_FLAC,
    WAAV_FMT_AAC
} waav_fmt_e;

typedef struct {
    waav_str_t   word;
    waav_str_t   pronunciation;
} waav_pron_t;

typedef struct {
    waav_str_t    provider;         /* as the client named it; may be empty */
    waav_str_t    model;            /* empty: the provider's default */
    waav_str_t    voice;            /* empty: the provider's default */
    waav_str_t    format_name;      /* as the client wrote it */
    waav_fmt_e    format;
    unsigned      sample_rate;      /* 0: the provider's default */
    double        speaking_rate;
    int           speaking_rate_set;
    waav_str_t    instructions;     /* OpenAI shape only */
    unsigned      connection_timeout;   /* seconds, 0 = not given */
    unsigned      request_timeout;
    waav_str_t    text;             /* pronunciations applied */
    waav_pron_t  *pron;
    size_t        npron;

    /* bring-your-own-key: the client's provider key (tts_config.api_key,
     * 1-WAAV_TTS_MAX_API_KEY bytes of visible ASCII); empty: none given */
    waav_str_t    api_key;

    /* 1: the SDKs' flat /speak body (no tts_config) */
    int           flat;

    /* the server's provider for a body that names none (waav_tts
     * default=NAME); empty: the provider is required */
    waav_str_t    provider_default;
} waav_tts_req_t;

/* the provider request, and what the client is told about the audio */
typedef struct {
    waav_http_req_t      http;
    const char          *content_type;  /* for the client, by format */
    waav_str_t           audio_format;  /* x-audio-format */
    unsigned             sample_rate;   /* x-sample-rate */
    double               speaking_rate; /* x-speaking-rate: the rate the
                                         * provider was asked for, after
                                         * clamping; 0: the client set none */

    /* the response hook: NULL when the answer's body is the audio, else
     * what turns the answer into it (the adapter's build sets it) */
    const waav_xform_t  *response;
} waav_tts_out_t;

typedef struct waav_tts_adapter_s  waav_tts_adapter_t;

struct waav_voices_adapter_s;

/*
 * A TTS adapter (src/core/tts/<provider>.c), linked to its provider type by
 * the registry (waav_registry.c).  Fields are set by name, so new ones
 * default to 0/NULL in adapters that do not need them.
 */
struct waav_tts_adapter_s {
    const char          *type;
    const char          *default_model;
    const char          *default_voice; /* NULL: the client must name one */
    waav_fmt_e           default_format;
    unsigned             default_rate;

    /* how the key travels (applied to the built request) */
    const waav_cred_t   *cred;

    /* a client's own key (BYOK) where cred exchanges the key for a token:
     * how it travels as it is, no exchange; NULL: cred, or (for an
     * exchanging cred) BYOK refused */
    const waav_cred_t   *byok_cred;

    /* WaaV's names for /speak and /ws (not /v1/audio/speech, where a
     * client naming a model means it): model and voice made ones the
     * provider has; NULL: passed as they are */
    void               (*names)(waav_tts_req_t *req);

    /* 1 when a bare model name (OpenAI shape) belongs to this provider */
    int                (*claims_model)(const char *model, size_t len);

    /* the provider request for a validated request with defaults applied;
     * -1 with err set (400 for what the provider cannot do) */
    int                (*build)(const waav_tts_adapter_t *ad,
                                const waav_tts_req_t *req,
                                waav_tts_out_t *out, waav_alloc_t *a,
                                waav_err_t *err);

    /* the media types a 2xx of the provider may carry, NULL-terminated;
     * "audio/" "*" is any audio type; NULL: not checked */
    const char *const   *media_types;

    /* its voices (GET /voices) and cloning (waav_voices.h); NULL: none */
    const struct waav_voices_adapter_s  *voices;

    /* 1: the voice goes only into a JSON body, so any text names one (a
     * Play.ht s3:// URL, a Hume name with spaces); 0: it must be an
     * identifier (waav_ident_valid), as it reaches a URL, a query or SSML */
    unsigned             voice_text:1;
};

/* parse and validate a client body; 0 or -1 with err set (400/422) */
int waav_tts_parse(waav_tts_req_t *req, waav_tts_shape_e shape,
    const char *json, size_t len, waav_alloc_t *a, waav_err_t *err);

/* the same, a WaaV body that names no provider taking dflt (when not
 * empty) */
int waav_tts_parse_default(waav_tts_req_t *req, waav_tts_shape_e shape,
    const char *json, size_t len, waav_str_t dflt, waav_alloc_t *a,
    waav_err_t *err);

struct cJSON;

/*
 * The tts_config object of WaaV's /speak body (also /ws config's): provider,
 * model, voice_id, audio_format, sample_rate, speaking_rate, timeouts,
 * pronunciations and api_key, checked as /speak checks them.  cfg must be
 * an object; req zeroed with speaking_rate 1.0 beforehand (the text is not
 * touched).
 * 0, or -1 with err set.
 */
int waav_tts_parse_config(waav_tts_req_t *req, const struct cJSON *cfg,
    waav_alloc_t *a, waav_err_t *err);

/* the adapter for a provider type ("deepgram", "openai-compatible", ...) */
const waav_tts_adapter_t *waav_tts_adapter(const char *type, size_t len);

/* applies defaults, checks what the provider supports, builds the request
 * and adds the credentials (secret NULL: none yet; waav_cred_apply adds
 * them to out->http later, once the request is known to be good) */
int waav_tts_build(const waav_tts_adapter_t *ad, waav_tts_req_t *req,
    const waav_secret_t *secret, waav_tts_out_t *out, waav_alloc_t *a,
    waav_err_t *err);

/* 1 when a provider answer's Content-Type (parameters and all) is one of
 * the adapter's media types, 0 when it is not (or is missing) */
int waav_tts_media_ok(const waav_tts_adapter_t *ad, const char *ct,
    size_t len);

/* Content-Type for a format name, as WaaV's /speak maps it */
const char *waav_tts_content_type(const char *name, size_t len);

/* whole-word replacement of each pronunciation in turn (like \bword\b) */
int waav_tts_pronounce(waav_tts_req_t *req, waav_alloc_t *a, waav_err_t *err);

/* helpers for adapters */
const char *waav_fmt_name(waav_fmt_e fmt);
waav_fmt_e waav_fmt_parse(const char *s, size_t len);

struct waav_jw_s;

/* a JSON body writer sized for the request's text */
int waav_tts_body_begin(struct waav_jw_s *w, const waav_tts_req_t *req,
    waav_alloc_t *a, waav_err_t *err);
int waav_tts_body_end(struct waav_jw_s *w, waav_tts_out_t *out,
    waav_err_t *err);

/* a voice's locale: "en-US" of "en-US-Neural2-C" or "en-US-JennyNeural",
 * "cmn-CN" of "cmn-CN-Wavenet-A" (2-3 lower-case letters, a dash, 2
 * upper-case letters, then a dash or the end); else "en-US" */
waav_str_t waav_tts_locale(waav_str_t voice);

/* 1 when rate is in the list (0-terminated) */
int waav_rate_in(unsigned rate, const unsigned *list);

/* OpenAI's names as WaaV reads them (src/core/tts/waav_tts_openai_names.c):
 * the openai adapter's names hook */
void waav_tts_openai_names(waav_tts_req_t *req);

/* WaaV's names on /speak and /ws (not on /v1/audio/speech): the adapter's
 * names hook when it has one; else a model equal to the voice (WaaV's
 * dashboard sends the voice as the model, "for most providers, model
 * matches voice_id") is no model for a provider whose models are not its
 * voices (one with a default model): the adapter's default is taken */
void waav_tts_names(const waav_tts_adapter_t *ad, waav_tts_req_t *req);

/*
 * Audio options (README "Audio options"): for a self-describing format
 * (mp3, opus, wav, flac, aac) the client's sample_rate is a preference and
 * the provider's nearest rate is taken: the listed rate (0-terminated, not
 * empty) with the least absolute difference, the higher of two as near.
 * Raw formats (linear16, mulaw, alaw) are exact: a rate not listed is 400
 * UNSUPPORTED_OPTION naming the rates there are (no resampler: the label
 * must be true).
 */
unsigned waav_rate_nearest(unsigned rate, const unsigned *list);
int waav_rate_exact(waav_err_t *err, const char *type, const char *fmt,
    unsigned rate, const unsigned *list);

/* 1 for linear16, mulaw and alaw: headerless, the rate is not in the bytes */
int waav_fmt_raw(waav_fmt_e fmt);

/* the client's speaking_rate clamped to the provider's [lo, hi], recorded
 * in out for x-speaking-rate; 1.0 when the client set none */
double waav_tts_speed(const waav_tts_req_t *req, double lo, double hi,
    waav_tts_out_t *out);

/* XML-escaped text (& < > " ') into b, which has room for 6 bytes a
 * byte; -1 for a control character XML 1.0 cannot carry (Azure's and
 * Polly's SSML) */
int waav_tts_xml(waav_buf_t *b, waav_str_t s);

/* 400 for a setting the provider cannot honour */
int waav_tts_unsupported(waav_err_t *err, const char *type, const char *what);

/* 400 TEXT_TOO_LONG when the text has more than max characters (code
 * points, as providers count them) */
int waav_tts_max_chars(const waav_tts_req_t *req, const char *type,
    size_t max, waav_err_t *err);

#endif /* WAAV_TTS_H */
