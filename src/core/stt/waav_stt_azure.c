/*
 * waav: Microsoft Azure Speech to text, the REST API for short audio.
 *
 *   POST {stt base}/speech/recognition/conversation/cognitiveservices/v1
 *        ?language=en-US&format=detailed&profanity=masked
 *        &wordLevelTimestamps=true
 *        (stt base = https://<region>.stt.speech.microsoft.com: the
 *         registry's streaming host, AZURE_STT_BASE_URL, where Azure's
 *         WebSocket recognition is too)
 *   Authorization: Bearer <token>       (the TTS adapter's exchange: one
 *                                        issueToken for both services)
 *   Content-Type: audio/wav; codecs=audio/pcm; samplerate=16000
 *               | audio/ogg; codecs=opus
 *   Accept: application/json
 *   <the audio: at most 60 seconds>
 *
 * Azure takes those two types only.  Headerless 16 kHz mono PCM (L16) is
 * sent as a WAV: a 44-byte header goes before it (the request's body,
 * which the glue puts before the client's audio).  Longer audio than 60 s
 * is refused before any call (the adapter's max_seconds).
 *
 * Answer (format=detailed): {"RecognitionStatus": "Success", "Offset",
 * "Duration" (100-ns ticks), "DisplayText", "NBest": [{"Confidence",
 * "Lexical", "ITN", "MaskedITN", "Display", "Words": [{"Word", "Offset",
 * "Duration"[, "Confidence"]}]}]}.  The transcript is the best one's
 * Display (Lexical when punctuate=false), its confidence and words with
 * times in seconds, the duration where the speech ends.  NoMatch,
 * InitialSilenceTimeout and BabbleTimeout (no speech, or only noise) are
 * an empty transcript; Error is 502 PROVIDER_ERROR.
 *
 * Azure has no models for short audio: the model names the recognition
 * mode of the path, "conversation", the only one; another is 400.  A
 * language is a locale (en-US); a bare language takes its usual locale
 * (en: en-US), none is en-US.
 */

#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "waav_audio.h"
#include "waav_stt.h"
#include "waav_stt_normalize.h"


#define WAAV_AZURE_TICKS     10000000.0         /* 100 ns a tick */
#define WAAV_AZURE_MAX_WORDS 65536

#define WAAV_AZURE_PCM  "audio/wav; codecs=audio/pcm; samplerate=16000"
#define WAAV_AZURE_OPUS "audio/ogg; codecs=opus"


/* a bare language's usual locale; NULL: it is one already, or unknown */
static const char *
waav_stt_azure_locale(waav_str_t lang)
{
    size_t  i;

    static const char *const  locales[] = {
        "ar-SA", "de-DE", "en-US", "es-ES", "fr-FR", "hi-IN", "it-IT",
        "ja-JP", "ko-KR", "nl-NL", "pl-PL", "pt-BR", "ru-RU", "sv-SE",
        "tr-TR", "zh-CN", NULL
    };

    if (lang.len != 2) {
        return NULL;
    }

    for (i = 0; locales[i]; i++) {
        if (strncasecmp(locales[i], lang.data, 2) == 0) {
            return locales[i];
        }
    }

    return NULL;
}


static waav_str_t
waav_stt_azure_language(const waav_stt_req_t *req)
{
    waav_str_t   lang;
    const char  *l;

    lang = req->language;

    if (lang.len == 0) {
        lang = (waav_str_t) waav_str_lit("en-US");

    } else if ((l = waav_stt_azure_locale(lang)) != NULL) {
        lang.data = l;
        lang.len = 5;
    }

    return lang;
}


/* a WAV as Azure takes it: 16-bit PCM, 16 kHz, mono (its fmt chunk, read
 * by the glue: waav_audio_wav_info); another is refused before any call */
static int
waav_stt_azure_wav(const waav_audio_t *au, const char **ct, waav_err_t *err)
{
    if (au->wav_rate == 0) {
        return waav_err_set(err, 400, WAAV_E_UNSUPPORTED_OPTION,
                            "azure transcribes WAV as 16-bit PCM, 16 kHz, "
                            "mono: this WAV's fmt chunk is not in its "
                            "first %d bytes", WAAV_AUDIO_HEAD);
    }

    if (au->wav_format != 1 || au->wav_bits != 16 || au->wav_rate != 16000
        || au->wav_channels != 1)
    {
        return waav_err_set(err, 400, WAAV_E_UNSUPPORTED_OPTION,
                            "azure transcribes WAV as 16-bit PCM, 16 kHz, "
                            "mono only (this WAV: %s%u-bit, %u Hz, %u "
                            "channel%s); convert it, or send Ogg Opus",
                            au->wav_format == 1 ? "PCM, " : "not PCM, ",
                            au->wav_bits, au->wav_rate, au->wav_channels,
                            au->wav_channels == 1 ? "" : "s");
    }

    *ct = WAAV_AZURE_PCM;

    return 0;
}


/* the Content-Type, and for headerless PCM the WAV header before it */
static int
waav_stt_azure_type(const waav_stt_req_t *req, waav_http_req_t *out,
    const char **ct, waav_alloc_t *a, waav_err_t *err)
{
    unsigned char  *h;

    switch (req->audio.kind) {

    case WAAV_AUDIO_WAV:
        return waav_stt_azure_wav(&req->audio, ct, err);

    case WAAV_AUDIO_OGG:
        *ct = WAAV_AZURE_OPUS;
        return 0;

    case WAAV_AUDIO_PCM:
        if (req->audio.rate != 16000 || req->audio.channels > 1) {
            return waav_err_set(err, 400, WAAV_E_UNSUPPORTED_OPTION,
                                "azure takes 16 kHz mono PCM only "
                                "(audio/L16;rate=16000)");
        }

        h = waav_alloc(a, WAAV_AUDIO_WAV_HEADER);
        if (h == NULL) {
            return waav_err_nomem(err);
        }

        waav_audio_wav_header(h, &req->audio, req->audio_len);

        out->body.data = (const char *) h;
        out->body.len = WAAV_AUDIO_WAV_HEADER;
        *ct = WAAV_AZURE_PCM;
        return 0;

    default:
        return waav_err_set(err, 415, WAAV_E_UNSUPPORTED_MEDIA,
                            "azure transcribes WAV (16 kHz mono PCM), Ogg "
                            "Opus or headerless 16 kHz PCM (audio/wav, "
                            "audio/ogg, audio/L16;rate=16000)");
    }
}


static int
waav_stt_azure_build(const waav_stt_adapter_t *ad, const waav_stt_req_t *req,
    waav_http_req_t *out, waav_str_t *suffix, waav_alloc_t *a,
    waav_err_t *err)
{
    waav_str_t   lang;
    const char  *ct;

    (void) suffix;

    if (req->model.len
        && !(req->model.len == strlen(ad->default_model)
             && memcmp(req->model.data, ad->default_model, req->model.len)
                == 0))
    {
        return waav_err_set(err, 400, WAAV_E_INVALID_MODEL,
                            "azure has no model \"%.*s\" for short audio "
                            "(leave model out, or use conversation)",
                            (int) (req->model.len > 64 ? 64 : req->model.len),
                            req->model.data);
    }

    lang = waav_stt_azure_language(req);

    if (!waav_ident_valid(lang.data, lang.len)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "language is not an Azure locale (en-US)");
    }

    if (waav_stt_azure_type(req, out, &ct, a, err) != 0) {
        return -1;
    }

    if (waav_http_add_arg(out, "language", lang, a, err) != 0
        || waav_http_add_arg(out, "format",
                             (waav_str_t) waav_str_lit("detailed"), a, err)
           != 0
        || waav_http_add_arg(out, "profanity",
                             (waav_str_t) waav_str_lit("masked"), a, err)
           != 0
        || waav_http_add_arg(out, "wordLevelTimestamps",
                             (waav_str_t) waav_str_lit("true"), a, err)
           != 0)
    {
        return -1;
    }

    out->path = (waav_str_t) waav_str_lit(
                    "/speech/recognition/conversation/cognitiveservices/v1");

    if (waav_http_add_header(out, "Content-Type", ct, strlen(ct), err) != 0)
    {
        return -1;
    }

    return waav_http_add_header(out, "Accept", "application/json",
                                sizeof("application/json") - 1, err);
}


/* ticks to seconds; 0 when j is no number of ticks */
static int
waav_stt_azure_ticks(const cJSON *j, double *s)
{
    if (!waav_stt_num(j, s) || *s < 0) {
        return 0;
    }

    *s /= WAAV_AZURE_TICKS;

    return 1;
}


/* the best recognition's words: start Offset, end Offset + Duration */
static int
waav_stt_azure_words(waav_stt_result_t *res, const cJSON *words,
    waav_alloc_t *a, waav_err_t *err)
{
    int               n;
    double            d;
    const cJSON      *it;
    waav_stt_word_t  *w;

    res->has_words = 1;

    n = cJSON_GetArraySize(words);

    if (n <= 0 || n > WAAV_AZURE_MAX_WORDS) {
        return 0;
    }

    res->words = waav_alloc(a, (size_t) n * sizeof(waav_stt_word_t));
    if (res->words == NULL) {
        return waav_err_nomem(err);
    }

    cJSON_ArrayForEach(it, words) {
        w = &res->words[res->nwords];
        memset(w, 0, sizeof(waav_stt_word_t));

        if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(it, "Word"),
                          &w->word))
        {
            continue;
        }

        w->has_start = waav_stt_azure_ticks(
                           cJSON_GetObjectItemCaseSensitive(it, "Offset"),
                           &w->start);

        if (w->has_start
            && waav_stt_azure_ticks(
                   cJSON_GetObjectItemCaseSensitive(it, "Duration"), &d))
        {
            w->has_end = 1;
            w->end = w->start + d;
        }

        w->has_confidence = waav_stt_num(
            cJSON_GetObjectItemCaseSensitive(it, "Confidence"),
            &w->confidence);

        res->nwords++;
    }

    return 0;
}


/* a Success: the best of NBest, or DisplayText (format=simple) */
static int
waav_stt_azure_success(const cJSON *root, const waav_stt_req_t *req,
    waav_stt_result_t *res, waav_alloc_t *a, waav_err_t *err)
{
    const cJSON  *best, *words;

    best = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "NBest"),
                              0);

    if (best == NULL) {
        if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(root,
                                                           "DisplayText"),
                          &res->transcript))
        {
            return waav_stt_bad(err, res->provider,
                                "a recognition without text");
        }

        return 0;
    }

    if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(
                          best, req->punctuate == 0 ? "Lexical" : "Display"),
                      &res->transcript))
    {
        return waav_stt_bad(err, res->provider, "a recognition without text");
    }

    res->has_confidence = waav_stt_num(
        cJSON_GetObjectItemCaseSensitive(best, "Confidence"),
        &res->confidence);

    words = cJSON_GetObjectItemCaseSensitive(best, "Words");

    return cJSON_IsArray(words) ? waav_stt_azure_words(res, words, a, err)
                                : 0;
}


static int
waav_stt_azure_normalize(const waav_stt_adapter_t *ad, const char *json,
    size_t len, const waav_stt_req_t *req, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    double        off, dur;
    const char   *s;
    const cJSON  *root, *st;

    (void) ad;

    res->transcript = (waav_str_t) waav_str_lit("");

    root = waav_stt_parse(json, len, a);
    st = cJSON_GetObjectItemCaseSensitive(root, "RecognitionStatus");

    if (!cJSON_IsString(st)) {
        return waav_stt_bad(err, res->provider,
                            "an answer without RecognitionStatus");
    }

    s = st->valuestring;

    if (strcmp(s, "Error") == 0) {
        return waav_err_set(err, 502, WAAV_E_PROVIDER_ERROR,
                            "Provider %.*s could not recognize the audio "
                            "(RecognitionStatus Error)",
                            (int) res->provider.len, res->provider.data);
    }

    if (strcmp(s, "Success") == 0) {
        if (waav_stt_azure_success(root, req, res, a, err) != 0) {
            return -1;
        }

    } else if (strcmp(s, "NoMatch") != 0
               && strcmp(s, "InitialSilenceTimeout") != 0
               && strcmp(s, "BabbleTimeout") != 0)
    {
        return waav_stt_bad(err, res->provider,
                            "an unknown RecognitionStatus");
    }

    /* no speech (or only noise): an empty transcript, no words */
    res->language = waav_stt_azure_language(req);

    /* where the speech ends */
    if (waav_stt_azure_ticks(cJSON_GetObjectItemCaseSensitive(root,
                                                              "Offset"),
                             &off)
        && waav_stt_azure_ticks(cJSON_GetObjectItemCaseSensitive(
                                    root, "Duration"), &dur))
    {
        res->has_duration = 1;
        res->duration = off + dur;
    }

    return 0;
}


extern const waav_cred_t  waav_azure_cred;
extern const waav_cred_t  waav_azure_byok_cred;


const waav_stt_adapter_t  waav_stt_azure = {
    .type = "azure",
    .default_model = "conversation",
    .stream_host = 1,
    .max_seconds = 60,
    .cred = &waav_azure_cred,
    .byok_cred = &waav_azure_byok_cred,
    .build = waav_stt_azure_build,
    .normalize = waav_stt_azure_normalize,
};
