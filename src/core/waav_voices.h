/*
 * waav: voice lists (GET /voices) and voice cloning (POST /voices/clone),
 * provider-neutral.
 *
 * A TTS adapter that can list its voices points at a waav_voices_adapter_t
 * (src/core/tts/waav_tts_<provider>_voices.c): the listing request (path,
 * query, headers; the credentials are applied as for TTS calls) and the
 * parser of the provider's answer into WaaV's entries {id, sample, name,
 * accent, gender, language}, or a fixed list when the provider has no
 * listing endpoint.  The nginx glue (src/ngx_http_waav_voices.c) asks every
 * configured provider at once and merges the answers.  Pure C.
 */

#ifndef WAAV_VOICES_H
#define WAAV_VOICES_H

#include <stddef.h>

#include "waav_alloc.h"
#include "waav_cred.h"
#include "waav_http.h"

struct waav_jw_s;
struct cJSON;

/* the most of a provider's listing read, and the entries kept from it */
#define WAAV_VOICES_ANSWER_MAX  (4 * 1024 * 1024)
#define WAAV_VOICES_MAX         2000

/* a field longer than this (or not valid UTF-8) is taken as missing */
#define WAAV_VOICE_FIELD_MAX    1024

typedef struct {
    waav_str_t   id;
    waav_str_t   sample;
    waav_str_t   name;
    waav_str_t   accent;
    waav_str_t   gender;
    waav_str_t   language;
} waav_voice_t;

typedef struct {
    waav_voice_t  *v;
    size_t         n;
} waav_voice_list_t;

/* POST /voices/clone, as WaaV takes it */
#define WAAV_CLONE_MAX_SAMPLES   25
#define WAAV_CLONE_MAX_LABELS    32

typedef struct {
    const char   *mime;             /* sniffed from the bytes */
    const char   *ext;
    waav_str_t    data;             /* decoded */
} waav_clone_sample_t;

typedef struct {
    waav_str_t            provider;
    waav_str_t            name;
    waav_str_t            description;      /* empty: none */
    int                   remove_background_noise;
    waav_str_t            labels;           /* a JSON object, or empty */
    waav_clone_sample_t   samples[WAAV_CLONE_MAX_SAMPLES];
    size_t                nsamples;
} waav_clone_req_t;

typedef struct {
    waav_str_t   voice_id;
    waav_str_t   name;              /* empty: the request's */
} waav_clone_res_t;

/* an entry of a provider's listing into v, whose id is set and whose
 * name and sample are "": 0, or 1 to leave the entry out */
typedef int (*waav_voice_entry_pt)(const struct cJSON *it, waav_voice_t *v,
    waav_alloc_t *a);

typedef struct waav_voices_adapter_s {
    /* the listing request: GET path?args, with one header when header is
     * set (waav_voices_request); path NULL: the adapter has a fixed list */
    const char  *path;
    const char  *args;
    const char  *header;
    const char  *header_value;

    /* its 2xx answer: the array of entries is the answer itself (list_key
     * NULL) or its member list_key (with list_or_array, the bare array
     * too); an entry whose member id_key is a string is kept, completed by
     * entry() (waav_voices_parse) */
    const char           *list_key;
    unsigned              list_or_array:1;
    const char           *id_key;
    waav_voice_entry_pt   entry;

    /* the fixed list, when there is no path */
    const waav_voice_t  *fixed;
    size_t               nfixed;

    /* how the key travels on these calls; NULL: as on TTS calls */
    const waav_cred_t   *cred;

    /* voice cloning; NULL: the provider cannot clone */
    int        (*clone)(const waav_clone_req_t *req, waav_http_req_t *out,
                        waav_alloc_t *a, waav_err_t *err);
    int        (*cloned)(const char *body, size_t len, waav_clone_res_t *res,
                         waav_alloc_t *a, waav_err_t *err);
} waav_voices_adapter_t;


/* "English" of "en-US" (WaaV's table); the code itself when unknown */
waav_str_t waav_voice_language(waav_str_t code);

/* "American" of "en-US" (WaaV's table); the region as written when
 * unknown, "Standard" when there is none */
waav_str_t waav_voice_accent(waav_str_t code);

/* a string that may go into the answer (a string of at most
 * WAAV_VOICE_FIELD_MAX bytes of valid UTF-8, no control characters); else
 * def (also for an empty string when def is not NULL) */
waav_str_t waav_voice_str(const struct cJSON *it, const char *def);

/* a string member of obj that may go into the answer (a string of at most
 * WAAV_VOICE_FIELD_MAX bytes of valid UTF-8, no control characters); else
 * def */
waav_str_t waav_voice_field(const struct cJSON *obj, const char *key,
    const char *def);

/* the listing request of an adapter with a path */
int waav_voices_request(const waav_voices_adapter_t *va, waav_http_req_t *out,
    waav_alloc_t *a, waav_err_t *err);

/* a provider's 2xx answer into out (at most WAAV_VOICES_MAX entries); -1
 * with err set (502) when it is no listing */
int waav_voices_parse(const waav_voices_adapter_t *va, const char *body,
    size_t len, waav_voice_list_t *out, waav_alloc_t *a, waav_err_t *err);

/* the fixed list of an adapter into out */
void waav_voices_fixed(const waav_voices_adapter_t *va,
    waav_voice_list_t *out);

/* "name": [entries] into an open object */
void waav_voices_write(struct waav_jw_s *w, const char *name,
    const waav_voice_list_t *list);

/* the JSON size waav_voices_write needs at most */
size_t waav_voices_size(const char *name, const waav_voice_list_t *list);

/* WaaV's /voices/clone body; 0 or -1 with err set (400) */
int waav_clone_parse(waav_clone_req_t *req, const char *json, size_t len,
    waav_alloc_t *a, waav_err_t *err);

/* the clone's answer {voice_id, name, provider, status, created_at} */
int waav_clone_answer(const waav_clone_req_t *req, const waav_clone_res_t *res,
    const char *created_at, waav_str_t *out, waav_alloc_t *a,
    waav_err_t *err);

#endif /* WAAV_VOICES_H */
