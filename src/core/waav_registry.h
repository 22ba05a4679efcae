/*
 * waav: the provider types waav speaks to, in one table.
 *
 * A row names a type (what `waav_provider NAME type=TYPE` takes) and links
 * it to its TTS and/or STT adapter (src/core/tts/, src/core/stt/), with
 * what configuring it takes: whether a key is needed, the environment
 * variables `make run` reads for its key and base URL, and the default
 * base URL (and, for a provider that exchanges its key for a token, the
 * token host's; for one whose hosts name a region, the region's).
 * Everything else that lists providers comes from here: the
 * configuration errors, the fuzzers, `make registry` (build/waav-registry
 * prints the table for the configuration generator and the README).
 */

#ifndef WAAV_REGISTRY_H
#define WAAV_REGISTRY_H

#include <stddef.h>

#include "waav_stt.h"
#include "waav_tts.h"

typedef struct {
    const char                *name;
    const char *const         *aliases;     /* NULL-terminated, or NULL */
    const waav_tts_adapter_t  *tts;         /* NULL: no text to speech */
    const waav_stt_adapter_t  *stt;         /* NULL: no speech to text */
    int                        key_optional;    /* usable without a key */
    const char                *key_env;     /* e.g. DEEPGRAM_API_KEY */
    const char                *url_env;     /* e.g. DEEPGRAM_BASE_URL */
    const char                *base_url;    /* NULL: none (self-hosted) */
    const char                *example_url; /* where one usually is, then */
    const char                *title;       /* for people: "Deepgram" */

    /* a token exchange (the adapter's cred has exchange()): where its
     * requests go, a location of their own (the host differs) */
    const char                *token_url_env;   /* e.g. AZURE_TOKEN_URL */
    const char                *token_url;       /* its default */

    /* "{region}" in base_url and token_url: the value of region_env,
     * [a-z0-9]+, default region */
    const char                *region_env;      /* AZURE_SPEECH_REGION */
    const char                *region;          /* "eastus" */

    /* streaming speech to text on a host of its own (AssemblyAI's): its
     * base URL, a location of its own; NULL: the base URL's host */
    const char                *stream_url_env;  /* ASSEMBLYAI_STREAMING_URL */
    const char                *stream_url;      /* its default */

    /* runs inside nginx (`local`): no key, no URL, no location */
    int                        embedded;

    /* a second secret sent with the key (Play.ht's user id): its
     * variable; `waav_provider NAME user=` joins it to the key as
     * USER_ID:API_KEY (the adapter's cred has user_name) */
    const char                *user_env;        /* PLAYHT_USER_ID */

    /* a variable that names a file holding the key (Google's
     * service-account JSON): when it is set, `make run` declares
     * key=file:<its value> rather than key=env:<key_env> */
    const char                *key_file_env;    /* GOOGLE_APPLICATION_... */
} waav_provider_type_t;

/* the table, ended by a row with a NULL name */
extern const waav_provider_type_t  waav_provider_types[];

/* a type by its name or an alias, in any case ("Microsoft-Azure" is
 * azure); NULL when unknown */
const waav_provider_type_t *waav_provider_type(const char *name, size_t len);

#define WAAV_REGISTRY_TTS  1
#define WAAV_REGISTRY_STT  2

/* "deepgram, elevenlabs, ..." (types with one of kinds) into buf,
 * NUL-terminated and cut to cap; returns its length */
size_t waav_provider_type_list(char *buf, size_t cap, unsigned kinds);

#endif /* WAAV_REGISTRY_H */
