/*
 * waav: text-to-speech requests, provider-neutral (see waav_tts.h): the
 * formats, and building a provider request through its adapter.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "waav_json.h"
#include "waav_jw.h"
#include "waav_registry.h"
#include "waav_buf.h"
#include "waav_tts.h"


typedef struct {
    const char  *name;
    waav_fmt_e   fmt;
} waav_fmt_name_t;

static const waav_fmt_name_t  waav_fmt_names[] = {
    { "linear16", WAAV_FMT_LINEAR16 },
    { "pcm", WAAV_FMT_LINEAR16 },
    { "mulaw", WAAV_FMT_MULAW },
    { "ulaw", WAAV_FMT_MULAW },
    { "alaw", WAAV_FMT_ALAW },
    { "mp3", WAAV_FMT_MP3 },
    { "mpeg", WAAV_FMT_MP3 },
    { "wav", WAAV_FMT_WAV },
    { "opus", WAAV_FMT_OPUS },
    { "ogg", WAAV_FMT_OPUS },
    { "flac", WAAV_FMT_FLAC },
    { "aac", WAAV_FMT_AAC },
};


const waav_tts_adapter_t *
waav_tts_adapter(const char *type, size_t len)
{
    const waav_provider_type_t  *pt;

    pt = waav_provider_type(type, len);

    return pt ? pt->tts : NULL;
}


const char *
waav_fmt_name(waav_fmt_e fmt)
{
    size_t  i;

    for (i = 0; i < sizeof(waav_fmt_names) / sizeof(waav_fmt_names[0]); i++) {
        if (waav_fmt_names[i].fmt == fmt) {
            return waav_fmt_names[i].name;
        }
    }

    return "linear16";
}


waav_fmt_e
waav_fmt_parse(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(waav_fmt_names) / sizeof(waav_fmt_names[0]); i++) {
        if (strlen(waav_fmt_names[i].name) == len
            && memcmp(waav_fmt_names[i].name, s, len) == 0)
        {
            return waav_fmt_names[i].fmt;
        }
    }

    return WAAV_FMT_NONE;
}


int
waav_tts_media_ok(const waav_tts_adapter_t *ad, const char *ct, size_t len)
{
    size_t        n, plen;
    const char   *const *t;

    if (ad->media_types == NULL) {
        return 1;
    }

    /* the media type: up to parameters or white space */
    while (len && (*ct == ' ' || *ct == '\t')) {
        ct++;
        len--;
    }

    for (n = 0; n < len && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t';
         n++)
    {
        /* void */
    }

    for (t = ad->media_types; *t; t++) {
        plen = strlen(*t);

        if (plen >= 2 && (*t)[plen - 1] == '*' && (*t)[plen - 2] == '/') {
            /* "type/" "*": the type, a slash and a subtype */
            if (n > plen - 1 && strncasecmp(ct, *t, plen - 1) == 0
                && memchr(ct + plen - 1, '/', n - (plen - 1)) == NULL)
            {
                return 1;
            }

            continue;
        }

        if (n == plen && strncasecmp(ct, *t, n) == 0) {
            return 1;
        }
    }

    return 0;
}


const char *
waav_tts_content_type(const char *name, size_t len)
{
#define waav_is(lit)  (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)

    if (waav_is("wav")) {
        return "audio/wav";
    }

    if (waav_is("mp3") || waav_is("mpeg")) {
        return "audio/mpeg";
    }

    if (waav_is("ogg") || waav_is("opus")) {
        return "audio/ogg";
    }

    if (waav_is("linear16") || waav_is("pcm")) {
        return "audio/pcm";
    }

    if (waav_is("mulaw")) {
        return "audio/basic";
    }

#undef waav_is

    return "application/octet-stream";
}


void
waav_tts_names(const waav_tts_adapter_t *ad, waav_tts_req_t *req)
{
    if (ad->names) {
        ad->names(req);
        return;
    }

    if (ad->default_model != NULL
        && req->model.len != 0
        && req->model.len == req->voice.len
        && memcmp(req->model.data, req->voice.data, req->model.len) == 0)
    {
        req->model.data = NULL;
        req->model.len = 0;
    }
}


int
waav_tts_build(const waav_tts_adapter_t *ad, waav_tts_req_t *req,
    const waav_secret_t *secret, waav_tts_out_t *out, waav_alloc_t *a,
    waav_err_t *err)
{
    memset(out, 0, sizeof(waav_tts_out_t));

    if (req->model.len == 0 && ad->default_model) {
        req->model.data = ad->default_model;
        req->model.len = strlen(ad->default_model);
    }

    if (req->voice.len == 0) {
        if (ad->default_voice == NULL) {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                "a voice is required for %s (voice_id)",
                                ad->type);
        }

        req->voice.data = ad->default_voice;
        req->voice.len = strlen(ad->default_voice);

    } else if (!ad->voice_text
               && !waav_ident_valid(req->voice.data, req->voice.len))
    {
        return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                            "voice_id must be 1-256 characters of A-Z a-z "
                            "0-9 . _ - : @ + for %s", ad->type);
    }

    if (req->format == WAAV_FMT_NONE) {
        req->format = ad->default_format;
        req->format_name.data = waav_fmt_name(ad->default_format);
        req->format_name.len = strlen(req->format_name.data);
    }

    /* the rate (8000-48000, parsed) is the adapter's to honour */

    out->http.method = "POST";
    out->audio_format = req->format_name;
    out->content_type = waav_tts_content_type(req->format_name.data,
                                              req->format_name.len);

    if (ad->build(ad, req, out, a, err) != 0) {
        return -1;
    }

    return secret ? waav_cred_apply(ad->cred, secret, &out->http, a, err) : 0;
}


int
waav_tts_body_begin(waav_jw_t *w, const waav_tts_req_t *req, waav_alloc_t *a,
    waav_err_t *err)
{
    /* escaping grows a byte to at most 6 ("\u001f") */
    if (waav_jw_alloc(w, 6 * (req->text.len + req->instructions.len
                              + req->model.len + req->voice.len) + 1024,
                      a, err)
        != 0)
    {
        return -1;
    }

    waav_jw_open(w, NULL);

    return 0;
}


int
waav_tts_body_end(waav_jw_t *w, waav_tts_out_t *out, waav_err_t *err)
{
    waav_jw_close(w);

    if (waav_jw_done(w, &out->http.body) != 0) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL,
                            "provider request body too large");
    }

    return 0;
}


waav_str_t
waav_tts_locale(waav_str_t voice)
{
    size_t  i, dash;

    for (dash = 0; dash < voice.len && voice.data[dash] != '-'; dash++) {
        /* void */
    }

    if (dash >= 2 && dash <= 3 && voice.len >= dash + 3
        && voice.data[dash + 1] >= 'A' && voice.data[dash + 1] <= 'Z'
        && voice.data[dash + 2] >= 'A' && voice.data[dash + 2] <= 'Z'
        && (voice.len == dash + 3 || voice.data[dash + 3] == '-'))
    {
        for (i = 0; i < dash; i++) {
            if (voice.data[i] < 'a' || voice.data[i] > 'z') {
                return (waav_str_t) waav_str_lit("en-US");
            }
        }

        return (waav_str_t) { voice.data, dash + 3 };
    }

    return (waav_str_t) waav_str_lit("en-US");
}


int
waav_rate_in(unsigned rate, const unsigned *list)
{
    for ( /* void */ ; *list; list++) {
        if (*list == rate) {
            return 1;
        }
    }

    return 0;
}


unsigned
waav_rate_nearest(unsigned rate, const unsigned *list)
{
    unsigned  best, d, bd;

    best = *list;
    bd = (rate > best) ? rate - best : best - rate;

    for (list++; *list; list++) {
        d = (rate > *list) ? rate - *list : *list - rate;

        if (d < bd || (d == bd && *list > best)) {
            best = *list;
            bd = d;
        }
    }

    return best;
}


int
waav_rate_exact(waav_err_t *err, const char *type, const char *fmt,
    unsigned rate, const unsigned *list)
{
    int     n;
    char    rates[128];
    size_t  off;

    if (waav_rate_in(rate, list)) {
        return 0;
    }

    off = 0;
    rates[0] = '\0';

    for ( /* void */ ; *list && off < sizeof(rates); list++) {
        n = snprintf(rates + off, sizeof(rates) - off, "%s%u",
                     off ? ", " : "", *list);
        if (n < 0) {
            break;
        }

        off += (size_t) n;
    }

    return waav_err_set(err, 400, WAAV_E_UNSUPPORTED_OPTION,
                        "%s does not support sample_rate %u for %s "
                        "(it can do %s)", type, rate, fmt, rates);
}


int
waav_fmt_raw(waav_fmt_e fmt)
{
    return fmt == WAAV_FMT_LINEAR16 || fmt == WAAV_FMT_MULAW
           || fmt == WAAV_FMT_ALAW;
}


double
waav_tts_speed(const waav_tts_req_t *req, double lo, double hi,
    waav_tts_out_t *out)
{
    double  r;

    if (!req->speaking_rate_set) {
        return 1.0;
    }

    r = req->speaking_rate;
    r = (r < lo) ? lo : (r > hi) ? hi : r;

    out->speaking_rate = r;

    return r;
}


int
waav_tts_unsupported(waav_err_t *err, const char *type, const char *what)
{
    return waav_err_set(err, 400, WAAV_E_UNSUPPORTED_OPTION,
                        "%s does not support %s", type, what);
}


/* XML-escaped text into b (& < > " '); -1 for a control character XML 1.0
 * cannot carry */
int
waav_tts_xml(waav_buf_t *b, waav_str_t s)
{
    size_t          i;
    unsigned char   c;

    for (i = 0; i < s.len; i++) {
        c = (unsigned char) s.data[i];

        switch (c) {
        case '&':
            waav_buf_cstr(b, "&amp;");
            break;
        case '<':
            waav_buf_cstr(b, "&lt;");
            break;
        case '>':
            waav_buf_cstr(b, "&gt;");
            break;
        case '"':
            waav_buf_cstr(b, "&quot;");
            break;
        case '\'':
            waav_buf_cstr(b, "&apos;");
            break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                return -1;
            }

            waav_buf_byte(b, (char) c);
        }
    }

    return 0;
}


int
waav_tts_max_chars(const waav_tts_req_t *req, const char *type, size_t max,
    waav_err_t *err)
{
    if (req->text.len <= max
        || waav_utf8_chars(req->text.data, req->text.len) <= max)
    {
        return 0;
    }

    return waav_err_set(err, 400, WAAV_E_TEXT_TOO_LONG,
                        "%s takes at most %zu characters of text", type, max);
}
