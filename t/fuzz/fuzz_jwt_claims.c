/*
 * libFuzzer target: JWT claims that verify.  The input's claims are signed
 * here with a known key, so the claims checks (exp, nbf, iss, aud, the
 * tenant claim) run on every input, not only the header and signature
 * checks fuzz_jwt reaches.  `make fuzz`.
 *
 * Input: byte 0 picks the key and the configuration, the rest is the
 * claims JSON, signed as it is.
 *   bits 0-1  HS256 (0, 1), RS256 (2) or ES256 (3)
 *   bit  2    a kid in the header: the key's, or another one (bit 3)
 *   bit  4    the signature spoilt
 *   bit  5    issuer and audience required
 *   bit  6    the tenant claim is "tenant" instead of "sub"
 *   bit  7    the claims are also tried as a bearer token and API secret
 *
 * fuzz-covers: waav_jwt.c
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "waav_jwt.h"
#include "../unit/waav_b64url.h"


#define FUZZ_NOW     1700000000
#define FUZZ_SECRET  "fuzz-hs256-secret-fuzz-hs256-secret"
#define FUZZ_MAX     (WAAV_JWT_MAX_TOKEN + 64)

static EVP_PKEY  *rsa, *ec;
static char       rsa_pub[1024], ec_pub[512];


static void
fuzz_pub(EVP_PKEY *k, char *out, size_t cap)
{
    BIO  *b;
    int   n;

    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, k);
    n = BIO_read(b, out, (int) cap - 1);
    out[n > 0 ? n : 0] = '\0';
    BIO_free(b);
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    rsa = EVP_RSA_gen(2048);
    ec = EVP_EC_gen("P-256");

    if (rsa == NULL || ec == NULL) {
        abort();
    }

    fuzz_pub(rsa, rsa_pub, sizeof(rsa_pub));
    fuzz_pub(ec, ec_pub, sizeof(ec_pub));

    return 0;
}


/* JOSE's ES256 signature is r || s, 32 bytes each, not DER */
static size_t
fuzz_es256_raw(unsigned char *sig, size_t len)
{
    ECDSA_SIG            *es;
    const BIGNUM         *r, *s;
    const unsigned char  *p;

    p = sig;
    es = d2i_ECDSA_SIG(NULL, &p, (long) len);
    if (es == NULL) {
        abort();
    }

    ECDSA_SIG_get0(es, &r, &s);
    BN_bn2binpad(r, sig, 32);
    BN_bn2binpad(s, sig + 32, 32);
    ECDSA_SIG_free(es);

    return 64;
}


/* the signature of input[0..len) into sig; returns its length */
static size_t
fuzz_sign(int alg, const char *input, size_t len, unsigned char *sig)
{
    size_t       n;
    unsigned     hn;
    EVP_MD_CTX  *md;

    if (alg == WAAV_JWT_HS256) {
        HMAC(EVP_sha256(), FUZZ_SECRET, sizeof(FUZZ_SECRET) - 1,
             (const unsigned char *) input, len, sig, &hn);
        return hn;
    }

    n = 512;
    md = EVP_MD_CTX_new();

    if (md == NULL
        || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
                              alg == WAAV_JWT_RS256 ? rsa : ec) != 1
        || EVP_DigestSign(md, sig, &n, (const unsigned char *) input, len)
           != 1)
    {
        abort();
    }

    EVP_MD_CTX_free(md);

    return alg == WAAV_JWT_ES256 ? fuzz_es256_raw(sig, n) : n;
}


static void
fuzz_conf(waav_jwt_conf_t *conf, uint8_t sel)
{
    static const char  *algs[] = { "HS256", "RS256", "ES256" };
    size_t              i;

    memset(conf, 0, sizeof(waav_jwt_conf_t));

    /* a key of each kind with a kid, and one without */
    for (i = 0; i < 3; i++) {
        conf->keys[i].alg = waav_jwt_alg_parse(algs[i], 5);
        conf->keys[i].kid.data = algs[i];
        conf->keys[i].kid.len = 5;
    }

    conf->keys[0].key.data = FUZZ_SECRET;
    conf->keys[0].key.len = sizeof(FUZZ_SECRET) - 1;
    conf->keys[1].key.data = rsa_pub;
    conf->keys[1].key.len = strlen(rsa_pub);
    conf->keys[2].key.data = ec_pub;
    conf->keys[2].key.len = strlen(ec_pub);
    conf->keys[3].alg = WAAV_JWT_HS256;
    conf->keys[3].key.data = "another-hs256-secret-another-hs256";
    conf->keys[3].key.len = 34;
    conf->nkeys = 4;

    conf->tenant_claim.data = (sel & 0x40) ? "tenant" : "sub";
    conf->tenant_claim.len = (sel & 0x40) ? 6 : 3;
    conf->leeway = 30;

    if (sel & 0x20) {
        conf->issuer.data = "https://issuer.fuzz";
        conf->issuer.len = 19;
        conf->audience.data = "waav";
        conf->audience.len = 4;
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                 alg;
    char               *tok;
    size_t              n, h;
    uint8_t             sel;
    waav_err_t          err;
    waav_jwt_conf_t     conf;
    waav_jwt_claims_t   claims;
    unsigned char       sig[512];
    char                header[96];
    waav_api_secret_t   s = { { "t", 1 }, { "fuzz-secret", 11 } };

    static const char  *names[] = { "HS256", "HS256", "RS256", "ES256" };

    if (size < 1 || size > WAAV_JWT_MAX_TOKEN) {
        return 0;
    }

    sel = data[0];
    alg = (sel & 3) < 2 ? WAAV_JWT_HS256 : (sel & 3);
    fuzz_conf(&conf, sel);

    h = (size_t) snprintf(header, sizeof(header),
                          "{\"alg\":\"%s\",\"typ\":\"JWT\"%s%s%s}",
                          names[sel & 3], (sel & 4) ? ",\"kid\":\"" : "",
                          (sel & 4) ? ((sel & 8) ? "other" : names[sel & 3])
                                    : "",
                          (sel & 4) ? "\"" : "");

    /* header.claims.signature, each base64url */
    tok = malloc(2 * FUZZ_MAX);
    if (tok == NULL) {
        return 0;
    }

    n = waav_test_b64url((const unsigned char *) header, h, tok);
    tok[n++] = '.';
    n += waav_test_b64url(data + 1, size - 1, tok + n);

    h = fuzz_sign(alg, tok, n, sig);

    if (sel & 0x10) {
        sig[h / 2] ^= 1;
    }

    tok[n++] = '.';
    n += waav_test_b64url(sig, h, tok + n);

    if (waav_jwt_verify(&conf, tok, n, FUZZ_NOW, &claims, &err) == 0) {
        /* what passed is what the checks promise */
        if (claims.tenant_len == 0 || claims.tenant_len > WAAV_TENANT_MAX
            || strlen(claims.tenant) != claims.tenant_len
            || (sel & 0x10))
        {
            abort();
        }
    }

    /* the token cache's comparison: a token is itself, not its prefix */
    if (!waav_token_equal(tok, n, tok, n)
        || waav_token_equal(tok, n, tok, n - 1))
    {
        abort();
    }

    if (sel & 0x80) {
        (void) waav_jwt_verify(&conf, (const char *) data + 1, size - 1,
                               FUZZ_NOW, &claims, &err);
        (void) waav_api_secret_match(&s, 1, (const char *) data + 1,
                                     size - 1);
    }

    free(tok);

    return 0;
}
