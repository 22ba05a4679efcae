/*
 * libFuzzer target: AWS Signature Version 4 over hostile requests (the
 * key's form, the base URL, the path's segments, the query's escapes, the
 * headers' values), and Polly's voice listing.  `make fuzz`.
 *
 * Input: a first byte (even: a request to sign, odd: a DescribeVoices
 * answer), then for a request, NUL-separated: the key, the base URL, the
 * path, the query, "Name: value" lines, the body.
 *
 * fuzz-covers: waav_sigv4.c tts/waav_tts_polly_voices.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "waav_sigv4.h"
#include "waav_tts.h"
#include "waav_voices.h"
#include "../unit/waav_arena.h"


static waav_alloc_t  waav_fuzz_arena = { waav_arena_alloc, NULL };


/* the next NUL-separated field */
static waav_str_t
waav_fuzz_field(const char **p, const char *end)
{
    waav_str_t   s;
    const char  *nul;

    nul = memchr(*p, '\0', end - *p);
    s.data = *p;
    s.len = (nul ? nul : end) - *p;
    *p = nul ? nul + 1 : end;

    return s;
}


static void
waav_fuzz_headers(waav_http_req_t *req, waav_str_t lines)
{
    char        *name;
    size_t       n;
    waav_err_t   err;
    const char  *p, *end, *nl, *colon;

    p = lines.data;
    end = lines.data + lines.len;

    /* room left for X-Amz-Date, the token and Authorization */
    while (p < end && req->nheaders < WAAV_HTTP_MAX_HEADERS - 3) {
        nl = memchr(p, '\n', end - p);
        nl = nl ? nl : end;
        colon = memchr(p, ':', nl - p);

        if (colon && colon > p) {
            n = colon - p;
            name = waav_arena_alloc(NULL, n + 1);
            if (name == NULL) {
                return;
            }

            memcpy(name, p, n);
            name[n] = '\0';

            /* a name with a NUL in it is no header name */
            if (strlen(name) == n) {
                (void) waav_http_add_header(req, name, colon + 1,
                                            nl - colon - 1, &err);
            }
        }

        p = nl + 1;
    }
}


static void
waav_fuzz_sign(const char *p, const char *end)
{
    size_t           i;
    waav_str_t       key, url, creq, creq2, sh;
    waav_err_t       err;
    waav_sigv4_t     s;
    waav_http_req_t  req;

    memset(&s, 0, sizeof(s));
    memset(&req, 0, sizeof(req));

    key = waav_fuzz_field(&p, end);
    url = waav_fuzz_field(&p, end);
    req.path = waav_fuzz_field(&p, end);
    req.args = waav_fuzz_field(&p, end);
    waav_fuzz_headers(&req, waav_fuzz_field(&p, end));
    req.body.data = p;
    req.body.len = end - p;
    req.method = (req.body.len & 1) ? "GET" : "POST";

    if (waav_sigv4_key(key, &s) != 0) {
        s.akid = (waav_str_t) waav_str_lit("AKIDEXAMPLE");
        s.secret = (waav_str_t) waav_str_lit("SECRET");
        s.token = (waav_str_t) waav_str_lit("");

    } else if (s.akid.len == 0 || s.secret.len == 0) {
        abort();
    }

    if (waav_sigv4_url(url.data, url.len, &s.host, &s.base_path) != 0) {
        s.host = (waav_str_t) waav_str_lit("polly.us-east-1.amazonaws.com");
        s.base_path = (waav_str_t) waav_str_lit("");

    } else if (s.host.len == 0
               || (s.base_path.len && s.base_path.data[0] != '/'))
    {
        abort();
    }

    s.region = (waav_str_t) waav_str_lit("us-east-1");
    s.service = "polly";
    s.now = 1700000000;

    /* the canonical request: the same twice, the signed headers named */
    if (waav_sigv4_canonical(&s, &req, &creq, &sh, &waav_fuzz_arena, &err)
        == 0)
    {
        if (waav_sigv4_canonical(&s, &req, &creq2, &sh, &waav_fuzz_arena,
                                 &err) != 0
            || creq.len != creq2.len
            || memcmp(creq.data, creq2.data, creq.len) != 0
            || sh.len < 4)
        {
            abort();
        }
    }

    if (waav_sigv4_sign(&s, &req, &waav_fuzz_arena, &err) != 0) {
        if (err.status != 500) {
            abort();
        }

        return;
    }

    /* Authorization last, visible ASCII but its spaces: a header value */
    if (req.nheaders == 0
        || strcmp(req.headers[req.nheaders - 1].name, "Authorization") != 0)
    {
        abort();
    }

    for (i = 0; i < req.headers[req.nheaders - 1].value.len; i++) {
        if (req.headers[req.nheaders - 1].value.data[i] < 0x20
            || req.headers[req.nheaders - 1].value.data[i] > 0x7e)
        {
            abort();
        }
    }
}


static void
waav_fuzz_voices(const char *body, size_t len)
{
    size_t                        i;
    waav_err_t                    err;
    waav_http_req_t               req;
    waav_voice_list_t             l;
    const waav_voices_adapter_t  *va;

    va = waav_tts_adapter("aws-polly", 9)->voices;

    memset(&req, 0, sizeof(req));

    if (waav_voices_request(va, &req, &waav_fuzz_arena, &err) != 0
        || req.path.len == 0)
    {
        abort();
    }

    if (waav_voices_parse(va, body, len, &l, &waav_fuzz_arena, &err) != 0) {
        if (err.status != 502 && err.status != 500) {
            abort();
        }

        return;
    }

    for (i = 0; i < l.n; i++) {
        if (l.v[i].id.len == 0 || l.v[i].id.len > WAAV_VOICE_FIELD_MAX
            || l.v[i].name.len == 0)
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }

    if (data[0] & 1) {
        waav_fuzz_voices((const char *) data + 1, size - 1);

    } else {
        waav_fuzz_sign((const char *) data + 1, (const char *) data + size);
    }

    waav_arena_reset();

    return 0;
}
