/*
 * waav: Microsoft Azure Speech text to speech, with a token exchange.
 *
 *   POST {base}/cognitiveservices/v1
 *        (base = https://<region>.tts.speech.microsoft.com)
 *   Authorization: Bearer <token>
 *   Content-Type: application/ssml+xml
 *   X-Microsoft-OutputFormat: raw-24khz-16bit-mono-pcm
 *   <speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis'
 *    xml:lang='en-US'><voice name='en-US-JennyNeural'>text</voice></speak>
 *
 * The token comes from the credentials hook (waav_cred.h): the key goes
 * only to the token host,
 *
 *   POST {token base}/issueToken
 *        (token base = https://<region>.api.cognitive.microsoft.com/sts/v1.0)
 *   Ocp-Apim-Subscription-Key: <key>       (empty body)
 *
 * which answers the token as plain text: a JWT valid 10 minutes.
 *
 * Unlike WaaV, a raw format's rate is never rounded to another one (the
 * audio would be mislabelled): a rate Azure has no raw format for is 400;
 * mp3, opus and wav carry their rate, so the nearest Azure has is taken
 * and x-sample-rate tells which; speaking_rate is clamped to 0.5-2; wav is
 * Azure's riff-* (a WAV header), not raw PCM labelled audio/wav; opus is
 * Opus in Ogg (ogg-*-opus), as the client's audio/ogg says; speaking_rate
 * is Azure's prosody rate, a multiplier.  The voice's locale is xml:lang
 * (waav_tts_locale); the model is not used (Azure has none).  Text and
 * voice are XML-escaped; a control character XML cannot carry is refused
 * before the call.
 */

#include <string.h>

#include "waav_buf.h"
#include "waav_tts.h"


#define WAAV_AZURE_TOKEN_TTL  600           /* seconds, Azure's */


typedef struct {
    waav_fmt_e   fmt;
    unsigned     rate;
    const char  *name;              /* X-Microsoft-OutputFormat */
} waav_azure_fmt_t;

static const waav_azure_fmt_t  waav_azure_fmts[] = {
    { WAAV_FMT_LINEAR16, 8000, "raw-8khz-16bit-mono-pcm" },
    { WAAV_FMT_LINEAR16, 16000, "raw-16khz-16bit-mono-pcm" },
    { WAAV_FMT_LINEAR16, 22050, "raw-22050hz-16bit-mono-pcm" },
    { WAAV_FMT_LINEAR16, 24000, "raw-24khz-16bit-mono-pcm" },
    { WAAV_FMT_LINEAR16, 44100, "raw-44100hz-16bit-mono-pcm" },
    { WAAV_FMT_LINEAR16, 48000, "raw-48khz-16bit-mono-pcm" },
    { WAAV_FMT_WAV, 8000, "riff-8khz-16bit-mono-pcm" },
    { WAAV_FMT_WAV, 16000, "riff-16khz-16bit-mono-pcm" },
    { WAAV_FMT_WAV, 22050, "riff-22050hz-16bit-mono-pcm" },
    { WAAV_FMT_WAV, 24000, "riff-24khz-16bit-mono-pcm" },
    { WAAV_FMT_WAV, 44100, "riff-44100hz-16bit-mono-pcm" },
    { WAAV_FMT_WAV, 48000, "riff-48khz-16bit-mono-pcm" },
    { WAAV_FMT_MP3, 16000, "audio-16khz-64kbitrate-mono-mp3" },
    { WAAV_FMT_MP3, 24000, "audio-24khz-96kbitrate-mono-mp3" },
    { WAAV_FMT_MP3, 48000, "audio-48khz-192kbitrate-mono-mp3" },
    { WAAV_FMT_OPUS, 16000, "ogg-16khz-16bit-mono-opus" },
    { WAAV_FMT_OPUS, 24000, "ogg-24khz-16bit-mono-opus" },
    { WAAV_FMT_OPUS, 48000, "ogg-48khz-16bit-mono-opus" },
    { WAAV_FMT_MULAW, 8000, "raw-8khz-8bit-mono-mulaw" },
    { WAAV_FMT_ALAW, 8000, "raw-8khz-8bit-mono-alaw" },
};


/* the output format for a format and rate (0: the format's default: 24000,
 * or 8000 for G.711): the exact rate for a raw format, else the nearest
 * Azure has; NULL with err set when there is none */
static const char *
waav_azure_output_format(const waav_tts_adapter_t *ad,
    const waav_tts_req_t *req, unsigned *rate, waav_err_t *err)
{
    size_t    i, n;
    unsigned  want, rates[8];

    want = *rate;

    if (want == 0) {
        want = (req->format == WAAV_FMT_MULAW || req->format == WAAV_FMT_ALAW)
               ? 8000 : 24000;
    }

    n = 0;

    for (i = 0; i < sizeof(waav_azure_fmts) / sizeof(waav_azure_fmts[0]);
         i++)
    {
        if (waav_azure_fmts[i].fmt == req->format && n < 7) {
            rates[n++] = waav_azure_fmts[i].rate;
        }
    }

    rates[n] = 0;

    if (n == 0) {
        (void) waav_tts_unsupported(err, ad->type, "this audio_format "
                                    "(use linear16, wav, mp3, opus, "
                                    "mulaw or alaw)");
        return NULL;
    }

    if (!waav_fmt_raw(req->format)) {
        want = waav_rate_nearest(want, rates);

    } else if (waav_rate_exact(err, ad->type, waav_fmt_name(req->format),
                               want, rates)
               != 0)
    {
        return NULL;
    }

    for (i = 0; i < sizeof(waav_azure_fmts) / sizeof(waav_azure_fmts[0]);
         i++)
    {
        if (waav_azure_fmts[i].fmt == req->format
            && waav_azure_fmts[i].rate == want)
        {
            break;
        }
    }

    *rate = want;

    return waav_azure_fmts[i].name;
}


static int
waav_azure_ssml(const waav_tts_req_t *req, double speed, waav_tts_out_t *out,
    waav_alloc_t *a, waav_err_t *err)
{
    unsigned     pct;
    waav_buf_t   b;
    waav_str_t   lang;

    /* "&apos;" is the longest escape: 6 bytes for 1 */
    if (waav_buf_alloc(&b, 6 * (req->text.len + req->voice.len) + 512, a,
                       err)
        != 0)
    {
        return -1;
    }

    lang = waav_tts_locale(req->voice);

    waav_buf_cstr(&b, "<speak version='1.0' "
                      "xmlns='http://www.w3.org/2001/10/synthesis' "
                      "xml:lang='");
    waav_buf_str(&b, lang);
    waav_buf_cstr(&b, "'><voice name='");

    if (waav_tts_xml(&b, req->voice) != 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "voice_id holds a control character");
    }

    waav_buf_cstr(&b, "'>");

    /* |rate - 1| > 0.01, as WaaV; "1.25": a multiplier, in hundredths */
    pct = (unsigned) (speed * 100 + 0.5);

    if (pct != 100 && pct != 99 && pct != 101) {
        waav_buf_cstr(&b, "<prosody rate='");
        waav_buf_uint(&b, pct / 100);
        waav_buf_byte(&b, '.');
        waav_buf_byte(&b, (char) ('0' + pct % 100 / 10));
        waav_buf_byte(&b, (char) ('0' + pct % 10));
        waav_buf_cstr(&b, "'>");
    }

    if (waav_tts_xml(&b, req->text) != 0) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "text holds a control character SSML cannot "
                            "carry");
    }

    if (pct != 100 && pct != 99 && pct != 101) {
        waav_buf_cstr(&b, "</prosody>");
    }

    waav_buf_cstr(&b, "</voice></speak>");

    if (waav_buf_done(&b, &out->http.body) != 0) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL,
                            "provider request body too large");
    }

    return 0;
}


static int
waav_azure_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    double       speed;
    unsigned     rate;
    const char  *name;

    rate = req->sample_rate;
    name = waav_azure_output_format(ad, req, &rate, err);

    if (name == NULL) {
        return -1;
    }

    speed = waav_tts_speed(req, 0.5, 2.0, out);

    out->sample_rate = rate;
    out->http.path.data = "/cognitiveservices/v1";
    out->http.path.len = sizeof("/cognitiveservices/v1") - 1;

    if (waav_http_add_header(&out->http, "Content-Type",
                             "application/ssml+xml",
                             sizeof("application/ssml+xml") - 1, err)
        != 0
        || waav_http_add_header(&out->http, "X-Microsoft-OutputFormat", name,
                                strlen(name), err)
           != 0
        || waav_http_add_header(&out->http, "User-Agent", "waav",
                                sizeof("waav") - 1, err)
           != 0)
    {
        return -1;
    }

    return waav_azure_ssml(req, speed, out, a, err);
}


/* POST /issueToken with the key, an empty body */
static int
waav_azure_exchange(const waav_cred_t *cred, const waav_secret_t *secret,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err)
{
    (void) cred;

    memset(out, 0, sizeof(waav_http_req_t));

    out->method = "POST";
    out->path.data = "/issueToken";
    out->path.len = sizeof("/issueToken") - 1;

    return waav_http_prefixed(out, "Ocp-Apim-Subscription-Key", "",
                              secret->key, a, err);
}


/* the answer is the token itself, a JWT (white space around it aside) */
static int
waav_azure_exchanged(const waav_cred_t *cred, const waav_secret_t *secret,
    const char *body, size_t len, waav_str_t *token, unsigned *ttl,
    waav_alloc_t *a, waav_err_t *err)
{
    (void) cred;

    while (len && (body[len - 1] == '\n' || body[len - 1] == '\r'
                   || body[len - 1] == ' ' || body[len - 1] == '\t'))
    {
        len--;
    }

    while (len && (body[0] == '\n' || body[0] == '\r' || body[0] == ' '
                   || body[0] == '\t'))
    {
        body++;
        len--;
    }

    if (len == 0 || len > WAAV_CRED_TOKEN_MAX) {
        return waav_err_set(err, 502, WAAV_E_PROVIDER_AUTH_FAILED,
                            "the provider's token exchange answered %s",
                            len ? "a token over 8192 bytes" : "no token");
    }

    if (waav_cred_jwt_ttl(body, len, secret->now, WAAV_AZURE_TOKEN_TTL, ttl,
                          a, err)
        != 0)
    {
        return -1;
    }

    token->data = body;
    token->len = len;

    return 0;
}


/* the speech-to-text adapter's too (src/core/stt/waav_stt_azure.c): one
 * token for both services of a region */
const waav_cred_t  waav_azure_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Authorization",
    .prefix = "Bearer ",
    .exchange = waav_azure_exchange,
    .exchanged = waav_azure_exchanged,
};

/* a client's own key (waav_byok): sent as it is, no token (the token cache
 * is the server key's); the speech host takes the key or a token */
const waav_cred_t  waav_azure_byok_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Ocp-Apim-Subscription-Key",
    .prefix = "",
};


extern const struct waav_voices_adapter_s  waav_voices_azure;


const waav_tts_adapter_t  waav_tts_azure = {
    .type = "azure",
    .default_voice = "en-US-JennyNeural",
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 24000,
    .cred = &waav_azure_cred,
    .byok_cred = &waav_azure_byok_cred,
    .build = waav_azure_build,
    .media_types = (const char *const []) { "audio/*",
                                            "application/octet-stream",
                                            NULL },
    .voices = &waav_voices_azure,
};
