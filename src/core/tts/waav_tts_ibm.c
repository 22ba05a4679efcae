/*
 * waav: IBM Watson Text to Speech, with an IAM token exchange.
 *
 *   POST {base}/v1/synthesize?voice=en-US_AllisonV3Voice
 *        (base = https://api.<region>.text-to-speech.watson.cloud.ibm.com
 *                /instances/<instance id>)
 *   Authorization: Bearer <IAM access token>
 *   Content-Type: application/json
 *   Accept: audio/l16;rate=22050;endianness=little-endian
 *   {"text": "..."}
 *
 * The token comes from the credentials hook (waav_cred.h): the API key
 * goes only to IBM's IAM,
 *
 *   POST {token base}/identity/token   (token base = https://iam.cloud.ibm.com)
 *   Content-Type: application/x-www-form-urlencoded
 *   Accept: application/json
 *   grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey=<key>
 *
 * which answers {"access_token", "token_type": "Bearer", "expires_in":
 * 3600, ...}.  The speech-to-text adapter (src/core/stt/waav_stt_ibm.c)
 * uses the same token.  A client's own key (BYOK) and the voice listing
 * use IBM's other scheme, HTTP Basic with the user "apikey": no exchange.
 *
 * The Accept header names the format and its rate (IBM's default is
 * 22050 Hz): raw PCM is audio/l16 with its byte order said (little-endian,
 * as clients get linear16), Opus in Ogg at the nearest rate Opus has.
 * speaking_rate is IBM's rate_percentage (-50 to +100: 0.5 to 2).  Text
 * is at most 5 KB, IBM's limit.
 */

#include <stdio.h>
#include <string.h>

#include "waav_base64.h"
#include "waav_jw.h"
#include "waav_tts.h"


#define WAAV_IBM_MAX_TEXT   5120        /* bytes, IBM's */
#define WAAV_IBM_TOKEN_TTL  3600        /* seconds, at most */


static const unsigned  waav_ibm_opus_rates[] = {
    8000, 12000, 16000, 24000, 48000, 0
};


/* the Accept header for the format, its rate in *rate (0: the format's
 * default); NULL with err set */
static const char *
waav_ibm_accept(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    unsigned *rate, waav_alloc_t *a, waav_err_t *err)
{
    const char  *fmt, *accept;

    switch (req->format) {
    case WAAV_FMT_LINEAR16:
        fmt = "audio/l16;rate=%u;endianness=little-endian";
        break;
    case WAAV_FMT_WAV:
        fmt = "audio/wav;rate=%u";
        break;
    case WAAV_FMT_MP3:
        fmt = "audio/mp3;rate=%u";
        break;
    case WAAV_FMT_FLAC:
        fmt = "audio/flac;rate=%u";
        break;
    case WAAV_FMT_OPUS:
        fmt = "audio/ogg;codecs=opus;rate=%u";
        *rate = waav_rate_nearest(*rate ? *rate : 48000,
                                  waav_ibm_opus_rates);
        break;
    case WAAV_FMT_MULAW:
        fmt = "audio/mulaw;rate=%u";
        *rate = *rate ? *rate : 8000;
        break;
    case WAAV_FMT_ALAW:
        fmt = "audio/alaw;rate=%u";
        *rate = *rate ? *rate : 8000;
        break;
    default:
        (void) waav_tts_unsupported(err, ad->type, "this audio_format (use "
                                    "linear16, wav, mp3, flac, opus, mulaw "
                                    "or alaw)");
        return NULL;
    }

    if (*rate == 0) {
        *rate = 22050;
    }

    accept = waav_sprintf(a, NULL, fmt, *rate);
    if (accept == NULL) {
        (void) waav_err_nomem(err);
    }

    return accept;
}


static int
waav_ibm_build(const waav_tts_adapter_t *ad, const waav_tts_req_t *req,
    waav_tts_out_t *out, waav_alloc_t *a, waav_err_t *err)
{
    long         pct;
    double       speed;
    unsigned     rate;
    waav_jw_t    w;
    waav_str_t   v;
    const char  *accept;
    char         num[16];

    if (req->text.len > WAAV_IBM_MAX_TEXT) {
        return waav_err_set(err, 400, WAAV_E_TEXT_TOO_LONG,
                            "ibm-watson takes at most %d bytes of text",
                            WAAV_IBM_MAX_TEXT);
    }

    if (!waav_ident_valid(req->voice.data, req->voice.len)) {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "voice_id is not an IBM Watson voice name");
    }

    rate = req->sample_rate;
    accept = waav_ibm_accept(ad, req, &rate, a, err);

    if (accept == NULL) {
        return -1;
    }

    out->sample_rate = rate;
    out->http.path = (waav_str_t) waav_str_lit("/v1/synthesize");

    if (waav_http_add_arg(&out->http, "voice", req->voice, a, err) != 0) {
        return -1;
    }

    speed = waav_tts_speed(req, 0.5, 2.0, out);
    pct = (long) (speed * 100 + 0.5) - 100;      /* speed > 0 */

    if (pct != 0) {
        v.data = num;
        v.len = (size_t) snprintf(num, sizeof(num), "%ld", pct);

        if (waav_http_add_arg(&out->http, "rate_percentage", v, a, err)
            != 0)
        {
            return -1;
        }
    }

    if (waav_http_json(&out->http, err) != 0
        || waav_http_add_header(&out->http, "Accept", accept, strlen(accept),
                                err)
           != 0
        || waav_tts_body_begin(&w, req, a, err) != 0)
    {
        return -1;
    }

    waav_jw_str(&w, "text", req->text.data, req->text.len);

    return waav_tts_body_end(&w, out, err);
}


/* --- the credentials: IAM's token, or Basic apikey:<key> ---------------- */

/* POST /identity/token, the key in a form */
static int
waav_ibm_exchange(const waav_cred_t *cred, const waav_secret_t *secret,
    waav_http_req_t *out, waav_alloc_t *a, waav_err_t *err)
{
    waav_http_req_t  form;

    (void) cred;

    memset(out, 0, sizeof(waav_http_req_t));
    memset(&form, 0, sizeof(waav_http_req_t));

    out->method = "POST";
    out->path = (waav_str_t) waav_str_lit("/identity/token");

    /* the form's fields, percent-encoded as a query's are */
    if (waav_http_add_arg(&form, "grant_type",
                          (waav_str_t)
                          waav_str_lit("urn:ibm:params:oauth:grant-type:"
                                       "apikey"), a, err)
        != 0
        || waav_http_add_arg(&form, "apikey", secret->key, a, err) != 0)
    {
        return -1;
    }

    out->body = form.args;

    if (waav_http_add_header(out, "Content-Type",
                             "application/x-www-form-urlencoded",
                             sizeof("application/x-www-form-urlencoded") - 1,
                             err)
        != 0
        || waav_http_add_header(out, "Accept", "application/json",
                                sizeof("application/json") - 1, err)
           != 0)
    {
        return -1;
    }

    return 0;
}


static int
waav_ibm_exchanged(const waav_cred_t *cred, const waav_secret_t *secret,
    const char *body, size_t len, waav_str_t *token, unsigned *ttl,
    waav_alloc_t *a, waav_err_t *err)
{
    (void) cred;
    (void) secret;

    return waav_cred_oauth(body, len, WAAV_IBM_TOKEN_TTL, token, ttl, a,
                           err);
}


/* Authorization: Basic base64("apikey:<key>") */
static int
waav_ibm_basic(const waav_cred_t *cred, const waav_secret_t *secret,
    waav_http_req_t *req, waav_alloc_t *a, waav_err_t *err)
{
    char           *user, *v;
    size_t          len;

    (void) cred;

    if (secret->key.len == 0) {
        return 0;
    }

    user = waav_sprintf(a, &len, "apikey:%.*s", (int) secret->key.len,
                        secret->key.data);
    v = user ? waav_alloc(a, sizeof("Basic ") + WAAV_BASE64_LEN(len)) : NULL;

    if (v == NULL) {
        return waav_err_nomem(err);
    }

    memcpy(v, "Basic ", sizeof("Basic ") - 1);
    len = waav_base64_encode(v + sizeof("Basic ") - 1,
                             (const unsigned char *) user, len);

    return waav_http_add_header(req, "Authorization", v,
                                sizeof("Basic ") - 1 + len, err);
}


const waav_cred_t  waav_ibm_cred = {
    .place = WAAV_CRED_HEADER,
    .name = "Authorization",
    .prefix = "Bearer ",
    .exchange = waav_ibm_exchange,
    .exchanged = waav_ibm_exchanged,
};

const waav_cred_t  waav_ibm_basic_cred = {
    .place = WAAV_CRED_HEADER,
    .name = NULL,
    .sign = waav_ibm_basic,
};


extern const struct waav_voices_adapter_s  waav_voices_ibm;


const waav_tts_adapter_t  waav_tts_ibm = {
    .type = "ibm-watson",
    .default_voice = "en-US_AllisonV3Voice",
    .default_format = WAAV_FMT_LINEAR16,
    .default_rate = 22050,
    .cred = &waav_ibm_cred,
    .byok_cred = &waav_ibm_basic_cred,
    .build = waav_ibm_build,
    .media_types = (const char *const []) { "audio/*", NULL },
    .voices = &waav_voices_ibm,
};
