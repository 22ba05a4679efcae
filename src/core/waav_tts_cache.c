/*
 * waav: the cache key of a TTS request (see waav_tts_cache.h).
 */

#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "waav_tts_cache.h"


static void
waav_sha_str(EVP_MD_CTX *md, const char *s, size_t len)
{
    /* length-prefixed, so no two different fields read the same */
    uint32_t  n;

    n = (uint32_t) len;
    EVP_DigestUpdate(md, &n, sizeof(n));
    EVP_DigestUpdate(md, s, len);
}


int
waav_tts_cache_key(const char *provider, size_t provider_len,
    const waav_tts_req_t *q, unsigned sample_rate, char *out)
{
    static const char   hex[] = "0123456789abcdef";
    int                 n;
    char                buf[64];
    size_t              i;
    unsigned            hlen;
    EVP_MD_CTX         *md;
    unsigned char       hash[EVP_MAX_MD_SIZE];

    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return -1;
    }

    waav_sha_str(md, provider, provider_len);
    waav_sha_str(md, q->model.data, q->model.len);
    waav_sha_str(md, q->voice.data, q->voice.len);
    waav_sha_str(md, q->format_name.data, q->format_name.len);

    n = snprintf(buf, sizeof(buf), "%u|%.17g", sample_rate,
                 q->speaking_rate_set ? q->speaking_rate : 1.0);
    waav_sha_str(md, buf, n > 0 ? (size_t) n : 0);
    waav_sha_str(md, q->instructions.data, q->instructions.len);

    for (i = 0; i < q->npron; i++) {
        waav_sha_str(md, q->pron[i].word.data, q->pron[i].word.len);
        waav_sha_str(md, q->pron[i].pronunciation.data,
                     q->pron[i].pronunciation.len);
    }

    waav_sha_str(md, q->text.data, q->text.len);

    if (EVP_DigestFinal_ex(md, hash, &hlen) != 1 || hlen != 32) {
        EVP_MD_CTX_free(md);
        return -1;
    }

    EVP_MD_CTX_free(md);

    for (i = 0; i < hlen; i++) {
        out[2 * i] = hex[hash[i] >> 4];
        out[2 * i + 1] = hex[hash[i] & 0xf];
    }

    return 0;
}
