/*
 * waav: AWS Signature Version 4 (see waav_sigv4.h).
 *
 *   canonical request = METHOD \n URI \n QUERY \n HEADERS \n SIGNED \n
 *                       hex(SHA256(body))
 *   string to sign    = AWS4-HMAC-SHA256 \n AMZDATE \n SCOPE \n
 *                       hex(SHA256(canonical request))
 *   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" SECRET, DATE), REGION),
 *                       SERVICE), "aws4_request")
 *
 * The URI is the path with "." and ".." segments and empty ones resolved,
 * each byte but A-Z a-z 0-9 - _ . ~ and '/' percent-encoded (upper-case
 * hex); the query's parameters are decoded, encoded so and sorted by name
 * then value; header names are lower-cased, values trimmed with runs of
 * spaces made one, a name given twice has its values joined by ','.
 * Checked against AWS's Signature Version 4 test suite (t/unit/
 * test_sigv4.c).
 */

#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "waav_buf.h"
#include "waav_sigv4.h"


#define WAAV_SIGV4_MAX_HEADERS  (WAAV_HTTP_MAX_HEADERS + 1)

typedef struct {
    char        *name;              /* lower case */
    size_t       name_len;
    waav_str_t   value;
} waav_sigv4_hdr_t;

typedef struct {
    waav_str_t   name;              /* encoded */
    waav_str_t   value;
} waav_sigv4_arg_t;


static const char  waav_sigv4_hex[] = "0123456789abcdef";


static int
waav_sigv4_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
           || c == '~';
}


static void
waav_sigv4_encode(waav_buf_t *b, const char *s, size_t len, int slash)
{
    size_t         i;
    unsigned char  c;

    static const char  hex[] = "0123456789ABCDEF";

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (waav_sigv4_unreserved(c) || (slash && c == '/')) {
            waav_buf_byte(b, (char) c);
            continue;
        }

        waav_buf_byte(b, '%');
        waav_buf_byte(b, hex[c >> 4]);
        waav_buf_byte(b, hex[c & 0xf]);
    }
}


static void
waav_sigv4_hexout(char *out, const unsigned char *md, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        out[2 * i] = waav_sigv4_hex[md[i] >> 4];
        out[2 * i + 1] = waav_sigv4_hex[md[i] & 0xf];
    }

    out[2 * n] = '\0';
}


static int
waav_sigv4_sha256_hex(const char *s, size_t len, char out[65])
{
    unsigned int   n;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (EVP_Digest(s, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32) {
        return -1;
    }

    waav_sigv4_hexout(out, md, 32);

    return 0;
}


static int
waav_sigv4_hmac(const unsigned char *key, size_t klen, const char *s,
    size_t len, unsigned char out[32])
{
    unsigned int  n;

    n = 0;

    if (HMAC(EVP_sha256(), key, (int) klen, (const unsigned char *) s, len,
             out, &n)
        == NULL || n != 32)
    {
        return -1;
    }

    return 0;
}


int
waav_sigv4_key(waav_str_t key, waav_sigv4_t *s)
{
    size_t       i, part, start;
    waav_str_t  *parts[3];

    parts[0] = &s->akid;
    parts[1] = &s->secret;
    parts[2] = &s->token;

    s->akid.len = s->secret.len = s->token.len = 0;
    s->token.data = "";

    part = 0;
    start = 0;

    for (i = 0; i <= key.len; i++) {
        if (i < key.len && key.data[i] != ':') {
            if ((unsigned char) key.data[i] <= 0x20
                || (unsigned char) key.data[i] >= 0x7f)
            {
                return -1;
            }

            continue;
        }

        if (part == 3 || i == start) {
            return -1;
        }

        parts[part]->data = key.data + start;
        parts[part]->len = i - start;
        part++;
        start = i + 1;
    }

    return part >= 2 ? 0 : -1;
}


int
waav_sigv4_region_valid(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > WAAV_SIGV4_REGION_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')
              || s[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


int
waav_sigv4_url(const char *url, size_t len, waav_str_t *host,
    waav_str_t *path)
{
    size_t       i, skip, hlen, port_at;
    const char  *deflt;

    if (len > 7 && strncmp(url, "http://", 7) == 0) {
        skip = 7;
        deflt = "80";

    } else if (len > 8 && strncmp(url, "https://", 8) == 0) {
        skip = 8;
        deflt = "443";

    } else {
        return -1;
    }

    port_at = 0;

    for (i = skip; i < len && url[i] != '/'; i++) {
        if (url[i] == ':') {
            port_at = i;

        } else if ((unsigned char) url[i] <= 0x20
                   || (unsigned char) url[i] >= 0x7f || url[i] == '?'
                   || url[i] == '#' || url[i] == '@')
        {
            return -1;
        }
    }

    hlen = i - skip;

    if (hlen == 0 || port_at == skip) {
        return -1;
    }

    /* ":443" of https and ":80" of http are not in the Host header */
    if (port_at && url[skip] != '[' && i - port_at - 1 == strlen(deflt)
        && strncmp(url + port_at + 1, deflt, strlen(deflt)) == 0)
    {
        hlen = port_at - skip;
    }

    host->data = url + skip;
    host->len = hlen;

    path->data = url + i;
    path->len = len - i;

    while (path->len && path->data[path->len - 1] == '/') {
        path->len--;
    }

    for (i = 0; i < path->len; i++) {
        if ((unsigned char) path->data[i] <= 0x20
            || (unsigned char) path->data[i] >= 0x7f
            || path->data[i] == '?' || path->data[i] == '#')
        {
            return -1;
        }
    }

    return 0;
}


/* the canonical URI: segments resolved ("." and empty ones dropped, ".."
 * going up), each encoded; a '/' at the end kept */
static int
waav_sigv4_uri(waav_buf_t *b, const waav_sigv4_t *s, waav_str_t path,
    waav_alloc_t *a, waav_err_t *err)
{
    char    *full;
    size_t   i, n, len, start, *seg_at, *seg_len, nseg;

    len = s->base_path.len + path.len;

    full = waav_alloc(a, len + 1);
    seg_at = waav_alloc(a, (len / 2 + 2) * sizeof(size_t));
    seg_len = waav_alloc(a, (len / 2 + 2) * sizeof(size_t));

    if (full == NULL || seg_at == NULL || seg_len == NULL) {
        return waav_err_nomem(err);
    }

    if (s->base_path.len) {
        memcpy(full, s->base_path.data, s->base_path.len);
    }

    if (path.len) {
        memcpy(full + s->base_path.len, path.data, path.len);
    }

    nseg = 0;
    start = 0;

    for (i = 0; i <= len; i++) {
        if (i < len && full[i] != '/') {
            continue;
        }

        n = i - start;

        if (n == 2 && full[start] == '.' && full[start + 1] == '.') {
            if (nseg) {
                nseg--;
            }

        } else if (n && !(n == 1 && full[start] == '.')) {
            seg_at[nseg] = start;
            seg_len[nseg] = n;
            nseg++;
        }

        start = i + 1;
    }

    for (i = 0; i < nseg; i++) {
        waav_buf_byte(b, '/');
        waav_sigv4_encode(b, full + seg_at[i], seg_len[i], 0);
    }

    if (nseg == 0 || full[len - 1] == '/') {
        waav_buf_byte(b, '/');
    }

    return 0;
}


static int
waav_sigv4_xdigit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}


/* one parameter, %XX decoded (a bad escape kept as it is), encoded again
 * into the buffer; the result in *out */
static void
waav_sigv4_arg(waav_buf_t *b, const char *s, size_t len, waav_str_t *out)
{
    int     hi, lo;
    char    c;
    size_t  i, at;

    at = b->len;

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c == '%' && len - i > 2) {
            hi = waav_sigv4_xdigit(s[i + 1]);
            lo = waav_sigv4_xdigit(s[i + 2]);

            if (hi >= 0 && lo >= 0) {
                c = (char) (hi << 4 | lo);
                i += 2;
            }
        }

        waav_sigv4_encode(b, &c, 1, 0);
    }

    out->data = b->data + at;
    out->len = b->overflow ? 0 : b->len - at;
}


static int
waav_sigv4_strcmp(waav_str_t x, waav_str_t y)
{
    int  rc;

    rc = memcmp(x.data, y.data, x.len < y.len ? x.len : y.len);

    if (rc) {
        return rc;
    }

    return (x.len > y.len) - (x.len < y.len);
}


/* the canonical query: each name=value decoded and encoded again, sorted
 * by name then value, joined by '&' */
static int
waav_sigv4_query(waav_buf_t *b, waav_str_t args, waav_alloc_t *a,
    waav_err_t *err)
{
    size_t             i, j, n, start, eq, nargs;
    waav_buf_t         tmp;
    waav_sigv4_arg_t  *arg, t;

    if (args.len == 0) {
        return 0;
    }

    n = 1;

    for (i = 0; i < args.len; i++) {
        n += (args.data[i] == '&');
    }

    arg = waav_alloc(a, n * sizeof(waav_sigv4_arg_t));

    /* each byte becomes at most 3 */
    if (arg == NULL || waav_buf_alloc(&tmp, 3 * args.len + 1, a, err) != 0) {
        return waav_err_nomem(err);
    }

    nargs = 0;
    start = 0;

    for (i = 0; i <= args.len; i++) {
        if (i < args.len && args.data[i] != '&') {
            continue;
        }

        if (i > start) {
            for (eq = start; eq < i && args.data[eq] != '='; eq++) {
                /* void */
            }

            waav_sigv4_arg(&tmp, args.data + start, eq - start,
                           &arg[nargs].name);
            waav_sigv4_arg(&tmp, args.data + eq + (eq < i),
                           i - eq - (eq < i), &arg[nargs].value);
            nargs++;
        }

        start = i + 1;
    }

    /* insertion sort: a provider request has a few parameters */
    for (i = 1; i < nargs; i++) {
        t = arg[i];

        for (j = i; j > 0; j--) {
            if (waav_sigv4_strcmp(arg[j - 1].name, t.name) < 0
                || (waav_sigv4_strcmp(arg[j - 1].name, t.name) == 0
                    && waav_sigv4_strcmp(arg[j - 1].value, t.value) <= 0))
            {
                break;
            }

            arg[j] = arg[j - 1];
        }

        arg[j] = t;
    }

    for (i = 0; i < nargs; i++) {
        if (i) {
            waav_buf_byte(b, '&');
        }

        waav_buf_str(b, arg[i].name);
        waav_buf_byte(b, '=');
        waav_buf_str(b, arg[i].value);
    }

    return 0;
}


/* a header's value trimmed, runs of spaces and tabs made one space */
static void
waav_sigv4_value(waav_buf_t *b, waav_str_t v)
{
    size_t  i, space;

    space = 0;

    while (v.len && (v.data[0] == ' ' || v.data[0] == '\t')) {
        v.data++;
        v.len--;
    }

    while (v.len && (v.data[v.len - 1] == ' ' || v.data[v.len - 1] == '\t')) {
        v.len--;
    }

    for (i = 0; i < v.len; i++) {
        if (v.data[i] == ' ' || v.data[i] == '\t') {
            space = 1;
            continue;
        }

        if (space) {
            waav_buf_byte(b, ' ');
            space = 0;
        }

        waav_buf_byte(b, v.data[i]);
    }
}


static int
waav_sigv4_skip(const char *name)
{
    return strcasecmp(name, "Authorization") == 0
           || strcasecmp(name, "User-Agent") == 0
           || strcasecmp(name, "Expect") == 0
           || strcasecmp(name, "Host") == 0;
}


static int
waav_sigv4_hdrcmp(const waav_sigv4_hdr_t *x, const waav_sigv4_hdr_t *y)
{
    waav_str_t  a, b;

    a.data = x->name;
    a.len = x->name_len;
    b.data = y->name;
    b.len = y->name_len;

    return waav_sigv4_strcmp(a, b);
}


/* the headers to sign, lower-cased and sorted by name (stable: the
 * values of a name given twice stay in their order) */
static int
waav_sigv4_headers(const waav_sigv4_t *s, const waav_http_req_t *req,
    waav_sigv4_hdr_t *h, size_t *nh, waav_alloc_t *a, waav_err_t *err)
{
    size_t            i, j, k, n;
    waav_sigv4_hdr_t  t;

    n = 0;
    h[n].name = "host";
    h[n].name_len = 4;
    h[n].value = s->host;
    n++;

    for (i = 0; i < req->nheaders; i++) {
        if (waav_sigv4_skip(req->headers[i].name)) {
            continue;
        }

        h[n].name_len = strlen(req->headers[i].name);
        h[n].name = waav_alloc(a, h[n].name_len + 1);

        if (h[n].name == NULL) {
            return waav_err_nomem(err);
        }

        for (k = 0; k <= h[n].name_len; k++) {
            h[n].name[k] = req->headers[i].name[k];

            if (h[n].name[k] >= 'A' && h[n].name[k] <= 'Z') {
                h[n].name[k] |= 0x20;
            }

            /* a name goes into SignedHeaders: [a-z0-9-] only */
            if (k < h[n].name_len
                && !((h[n].name[k] >= 'a' && h[n].name[k] <= 'z')
                     || (h[n].name[k] >= '0' && h[n].name[k] <= '9')
                     || h[n].name[k] == '-'))
            {
                return waav_err_set(err, 500, WAAV_E_INTERNAL,
                                    "a header name that cannot be signed");
            }
        }

        h[n].value = req->headers[i].value;
        n++;
    }

    for (i = 1; i < n; i++) {
        t = h[i];

        for (j = i; j > 0 && waav_sigv4_hdrcmp(&h[j - 1], &t) > 0; j--) {
            h[j] = h[j - 1];
        }

        h[j] = t;
    }

    *nh = n;

    return 0;
}


int
waav_sigv4_canonical(const waav_sigv4_t *s, const waav_http_req_t *req,
    waav_str_t *creq, waav_str_t *signed_headers, waav_alloc_t *a,
    waav_err_t *err)
{
    char              hash[65];
    size_t            i, cap, nh, sh_at;
    waav_buf_t        b;
    waav_sigv4_hdr_t  h[WAAV_SIGV4_MAX_HEADERS];

    nh = 0;

    if (waav_sigv4_headers(s, req, h, &nh, a, err) != 0) {
        return -1;
    }

    cap = 3 * (s->base_path.len + req->path.len + req->args.len) + 128;

    for (i = 0; i < nh; i++) {
        cap += 2 * (h[i].name_len + 1) + h[i].value.len + 2;
    }

    if (waav_buf_alloc(&b, cap, a, err) != 0) {
        return -1;
    }

    waav_buf_cstr(&b, req->method ? req->method : "POST");
    waav_buf_byte(&b, '\n');

    if (waav_sigv4_uri(&b, s, req->path, a, err) != 0) {
        return -1;
    }

    waav_buf_byte(&b, '\n');

    if (waav_sigv4_query(&b, req->args, a, err) != 0) {
        return -1;
    }

    waav_buf_byte(&b, '\n');

    for (i = 0; i < nh; i++) {
        if (i && waav_sigv4_hdrcmp(&h[i - 1], &h[i]) == 0) {
            waav_buf_byte(&b, ',');

        } else {
            if (i) {
                waav_buf_byte(&b, '\n');
            }

            waav_buf_add(&b, h[i].name, h[i].name_len);
            waav_buf_byte(&b, ':');
        }

        waav_sigv4_value(&b, h[i].value);
    }

    waav_buf_cstr(&b, "\n\n");
    sh_at = b.len;

    for (i = 0; i < nh; i++) {
        if (i && waav_sigv4_hdrcmp(&h[i - 1], &h[i]) == 0) {
            continue;
        }

        if (i) {
            waav_buf_byte(&b, ';');
        }

        waav_buf_add(&b, h[i].name, h[i].name_len);
    }

    signed_headers->len = b.len - sh_at;

    if (waav_sigv4_sha256_hex(req->body.data ? req->body.data : "",
                              req->body.len, hash)
        != 0)
    {
        return waav_err_set(err, 500, WAAV_E_INTERNAL, "SHA-256 failed");
    }

    waav_buf_byte(&b, '\n');
    waav_buf_add(&b, hash, 64);

    if (waav_buf_done(&b, creq) != 0) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL,
                            "canonical request too large");
    }

    signed_headers->data = creq->data + sh_at;

    return 0;
}


/* hex(HMAC(signing key, string to sign)) */
static int
waav_sigv4_signature(const waav_sigv4_t *s, const char *date,
    const char *sts, size_t sts_len, char out[65])
{
    char           key[4 + 256];
    size_t         klen;
    unsigned char  k[32];

    klen = s->secret.len + 4;

    if (klen > sizeof(key)) {
        return -1;
    }

    memcpy(key, "AWS4", 4);
    memcpy(key + 4, s->secret.data, s->secret.len);

    if (waav_sigv4_hmac((unsigned char *) key, klen, date, 8, k) != 0
        || waav_sigv4_hmac(k, 32, s->region.data, s->region.len, k) != 0
        || waav_sigv4_hmac(k, 32, s->service, strlen(s->service), k) != 0
        || waav_sigv4_hmac(k, 32, "aws4_request", 12, k) != 0
        || waav_sigv4_hmac(k, 32, sts, sts_len, k) != 0)
    {
        return -1;
    }

    waav_sigv4_hexout(out, k, 32);

    return 0;
}


int
waav_sigv4_sign(const waav_sigv4_t *s, waav_http_req_t *req,
    waav_alloc_t *a, waav_err_t *err)
{
    char        amzdate[17], hash[65], sig[65], *sts, *auth, *date;
    size_t      sts_len, auth_len;
    struct tm   tm;
    waav_str_t  creq, sh;

    if (gmtime_r(&s->now, &tm) == NULL
        || strftime(amzdate, sizeof(amzdate), "%Y%m%dT%H%M%SZ", &tm) != 16)
    {
        return waav_err_set(err, 500, WAAV_E_INTERNAL, "no time to sign");
    }

    date = waav_alloc(a, 17);
    if (date == NULL) {
        return waav_err_nomem(err);
    }

    memcpy(date, amzdate, 17);

    if (waav_http_add_header(req, "X-Amz-Date", date, 16, err) != 0
        || (s->token.len
            && waav_http_add_header(req, "X-Amz-Security-Token",
                                    s->token.data, s->token.len, err)
               != 0))
    {
        return -1;
    }

    if (waav_sigv4_canonical(s, req, &creq, &sh, a, err) != 0) {
        return -1;
    }

    if (waav_sigv4_sha256_hex(creq.data, creq.len, hash) != 0) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL, "SHA-256 failed");
    }

    sts = waav_sprintf(a, &sts_len, "AWS4-HMAC-SHA256\n%s\n%.8s/%.*s/%s/"
                       "aws4_request\n%s", amzdate, amzdate,
                       (int) s->region.len, s->region.data, s->service,
                       hash);

    if (sts == NULL) {
        return waav_err_nomem(err);
    }

    if (waav_sigv4_signature(s, amzdate, sts, sts_len, sig) != 0) {
        return waav_err_set(err, 500, WAAV_E_INTERNAL,
                            "the request could not be signed");
    }

    auth = waav_sprintf(a, &auth_len, "AWS4-HMAC-SHA256 Credential=%.*s/%.8s/"
                        "%.*s/%s/aws4_request, SignedHeaders=%.*s, "
                        "Signature=%s", (int) s->akid.len, s->akid.data,
                        amzdate, (int) s->region.len, s->region.data,
                        s->service, (int) sh.len, sh.data, sig);

    if (auth == NULL) {
        return waav_err_nomem(err);
    }

    return waav_http_add_header(req, "Authorization", auth, auth_len, err);
}


int
waav_sigv4_secret_sign(const char *service, const waav_secret_t *secret,
    waav_http_req_t *req, waav_alloc_t *a, waav_err_t *err)
{
    waav_sigv4_t  s;

    memset(&s, 0, sizeof(waav_sigv4_t));

    if (waav_sigv4_key(secret->key, &s) != 0) {
        return waav_err_set(err, 401, WAAV_E_PROVIDER_AUTH_FAILED,
                            "the provider key is not "
                            "ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN]");
    }

    if (secret->host.len == 0
        || !waav_sigv4_region_valid(secret->region.data, secret->region.len))
    {
        return waav_err_set(err, 500, WAAV_E_INTERNAL,
                            "the provider has no host or region to sign "
                            "for");
    }

    s.region = secret->region;
    s.service = service;
    s.host = secret->host;
    s.base_path = secret->base_path;
    s.now = secret->now;

    return waav_sigv4_sign(&s, req, a, err);
}
