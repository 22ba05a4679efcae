/*
 * waav: the provider registry (see waav_registry.h).
 *
 * Adding a provider: its adapter file(s) in src/core/tts/ or src/core/stt/
 * and a row here; `make registry` then gives the configuration generator
 * and the README what they list.
 */

#include <string.h>

#include "waav_registry.h"


extern const waav_tts_adapter_t  waav_tts_deepgram;
extern const waav_tts_adapter_t  waav_tts_elevenlabs;
extern const waav_tts_adapter_t  waav_tts_openai;
extern const waav_tts_adapter_t  waav_tts_openai_compatible;
extern const waav_tts_adapter_t  waav_tts_cartesia;
extern const waav_tts_adapter_t  waav_tts_google;
extern const waav_tts_adapter_t  waav_tts_azure;
extern const waav_tts_adapter_t  waav_tts_polly;
extern const waav_tts_adapter_t  waav_tts_local;
extern const waav_tts_adapter_t  waav_tts_lmnt;
extern const waav_tts_adapter_t  waav_tts_playht;
extern const waav_tts_adapter_t  waav_tts_hume;
extern const waav_tts_adapter_t  waav_tts_ibm;

extern const waav_stt_adapter_t  waav_stt_deepgram;
extern const waav_stt_adapter_t  waav_stt_elevenlabs;
extern const waav_stt_adapter_t  waav_stt_openai;
extern const waav_stt_adapter_t  waav_stt_groq;
extern const waav_stt_adapter_t  waav_stt_openai_compatible;
extern const waav_stt_adapter_t  waav_stt_assemblyai;
extern const waav_stt_adapter_t  waav_stt_cartesia;
extern const waav_stt_adapter_t  waav_stt_local;
extern const waav_stt_adapter_t  waav_stt_ibm;
extern const waav_stt_adapter_t  waav_stt_azure;
extern const waav_stt_adapter_t  waav_stt_google;


static const char *const  waav_openai_compatible_aliases[] = {
    "openai_compatible", NULL
};

/* WaaV's names (gateway/src/plugin/dispatch.rs): its canonical
 * "microsoft-azure" and the alias "azure" */
static const char *const  waav_azure_aliases[] = {
    "microsoft-azure", NULL
};

/* WaaV's names (gateway/src/core/tts/mod.rs): "aws-polly" and its aliases */
static const char *const  waav_polly_aliases[] = {
    "aws_polly", "amazon-polly", "polly", NULL
};

/* WaaV's names (gateway/src/plugin/dispatch.rs) */
static const char *const  waav_lmnt_aliases[] = {
    "lmnt-ai", "lmnt_ai", NULL
};

static const char *const  waav_playht_aliases[] = {
    "play-ht", "play_ht", "play.ht", NULL
};

static const char *const  waav_hume_aliases[] = {
    "hume-ai", "hume_ai", NULL
};

/* WaaV's "ibm-watson" and its aliases */
static const char *const  waav_ibm_aliases[] = {
    "ibm_watson", "watson", "ibm", NULL
};


const waav_provider_type_t  waav_provider_types[] = {

    { .name = "deepgram", .title = "Deepgram",
      .tts = &waav_tts_deepgram, .stt = &waav_stt_deepgram,
      .key_env = "DEEPGRAM_API_KEY", .url_env = "DEEPGRAM_BASE_URL",
      .base_url = "https://api.deepgram.com" },

    { .name = "elevenlabs", .title = "ElevenLabs",
      .tts = &waav_tts_elevenlabs, .stt = &waav_stt_elevenlabs,
      .key_env = "ELEVENLABS_API_KEY", .url_env = "ELEVENLABS_BASE_URL",
      .base_url = "https://api.elevenlabs.io" },

    { .name = "openai", .title = "OpenAI",
      .tts = &waav_tts_openai, .stt = &waav_stt_openai,
      .key_env = "OPENAI_API_KEY", .url_env = "OPENAI_BASE_URL",
      .base_url = "https://api.openai.com/v1" },

    { .name = "cartesia", .title = "Cartesia",
      .tts = &waav_tts_cartesia, .stt = &waav_stt_cartesia,
      .key_env = "CARTESIA_API_KEY", .url_env = "CARTESIA_BASE_URL",
      .base_url = "https://api.cartesia.ai" },

    /* an API key, or a service account's file exchanged for OAuth2
     * tokens at its token_uri's path on the token host (waav_google_sa.h);
     * speech to text on a host of its own (GOOGLE_STT_BASE_URL) */
    { .name = "google",
      .title = "Google Cloud Text-to-Speech and Speech-to-Text (an API key, "
               "or a service account for OAuth2 tokens)",
      .tts = &waav_tts_google, .stt = &waav_stt_google,
      .key_env = "GOOGLE_API_KEY", .url_env = "GOOGLE_BASE_URL",
      .base_url = "https://texttospeech.googleapis.com/v1",
      .key_file_env = "GOOGLE_APPLICATION_CREDENTIALS",
      .token_url_env = "GOOGLE_TOKEN_URL",
      .token_url = "https://oauth2.googleapis.com",
      .stream_url_env = "GOOGLE_STT_BASE_URL",
      .stream_url = "https://speech.googleapis.com" },

    /* WaaV's variables; speech to text on its own host (short audio) */
    { .name = "azure", .title = "Microsoft Azure Speech (key for a token)",
      .aliases = waav_azure_aliases,
      .tts = &waav_tts_azure, .stt = &waav_stt_azure,
      .key_env = "AZURE_SPEECH_SUBSCRIPTION_KEY", .url_env = "AZURE_BASE_URL",
      .base_url = "https://{region}.tts.speech.microsoft.com",
      .token_url_env = "AZURE_TOKEN_URL",
      .token_url = "https://{region}.api.cognitive.microsoft.com/sts/v1.0",
      .region_env = "AZURE_SPEECH_REGION", .region = "eastus",
      .stream_url_env = "AZURE_STT_BASE_URL",
      .stream_url = "https://{region}.stt.speech.microsoft.com" },

    /* the key is ACCESS_KEY_ID:SECRET[:SESSION_TOKEN], from the three
     * variables (waav_sigv4.h); it signs (SigV4), for the region */
    { .name = "aws-polly", .title = "Amazon Polly (AWS Signature V4)",
      .aliases = waav_polly_aliases,
      .tts = &waav_tts_polly,
      .key_env = "AWS_ACCESS_KEY_ID:AWS_SECRET_ACCESS_KEY:AWS_SESSION_TOKEN",
      .url_env = "AWS_POLLY_BASE_URL",
      .base_url = "https://polly.{region}.amazonaws.com",
      .region_env = "AWS_REGION", .region = "us-east-1" },
    { .name = "lmnt", .title = "LMNT",
      .aliases = waav_lmnt_aliases,
      .tts = &waav_tts_lmnt,
      .key_env = "LMNT_API_KEY", .url_env = "LMNT_BASE_URL",
      .base_url = "https://api.lmnt.com" },

    { .name = "playht", .title = "Play.ht (an API key and a user id)",
      .aliases = waav_playht_aliases,
      .tts = &waav_tts_playht,
      .key_env = "PLAYHT_API_KEY", .user_env = "PLAYHT_USER_ID",
      .url_env = "PLAYHT_BASE_URL",
      .base_url = "https://api.play.ht" },

    { .name = "hume", .title = "Hume (Octave)",
      .aliases = waav_hume_aliases,
      .tts = &waav_tts_hume,
      .key_env = "HUME_API_KEY", .url_env = "HUME_BASE_URL",
      .base_url = "https://api.hume.ai" },

    { .name = "groq", .title = "Groq",
      .stt = &waav_stt_groq,
      .key_env = "GROQ_API_KEY", .url_env = "GROQ_BASE_URL",
      .base_url = "https://api.groq.com/openai/v1" },

    { .name = "assemblyai", .title = "AssemblyAI",
      .stt = &waav_stt_assemblyai,
      .key_env = "ASSEMBLYAI_API_KEY", .url_env = "ASSEMBLYAI_BASE_URL",
      .base_url = "https://api.assemblyai.com",
      .stream_url_env = "ASSEMBLYAI_STREAMING_URL",
      .stream_url = "https://streaming.assemblyai.com" },

    /* one key, one instance for both services (WaaV's variables);
     * IBM_WATSON_STT_BASE_URL names another instance for speech to text */
    { .name = "ibm-watson", .title = "IBM Watson (key for an IAM token)",
      .aliases = waav_ibm_aliases,
      .tts = &waav_tts_ibm, .stt = &waav_stt_ibm,
      .key_env = "IBM_WATSON_API_KEY", .url_env = "IBM_WATSON_BASE_URL",
      .base_url = "https://api.{region}.text-to-speech.watson.cloud.ibm.com"
                  "/instances/{IBM_WATSON_INSTANCE_ID}",
      .token_url_env = "IBM_WATSON_TOKEN_URL",
      .token_url = "https://iam.cloud.ibm.com",
      .region_env = "IBM_WATSON_REGION", .region = "us-south",
      .stream_url_env = "IBM_WATSON_STT_BASE_URL",
      .stream_url = "https://api.{region}.speech-to-text.watson.cloud.ibm.com"
                    "/instances/{IBM_WATSON_INSTANCE_ID}" },

    { .name = "openai-compatible",
      .title = "a self-hosted OpenAI-compatible server (Kokoro-FastAPI, "
               "speaches, LocalAI)",
      .aliases = waav_openai_compatible_aliases,
      .tts = &waav_tts_openai_compatible, .stt = &waav_stt_openai_compatible,
      .key_optional = 1,
      .key_env = "OPENAI_COMPATIBLE_API_KEY",
      .url_env = "OPENAI_COMPATIBLE_BASE_URL",
      .example_url = "http://127.0.0.1:8880/v1" },

    { .name = "local",
      .title = "waav's own engines in nginx's thread pool (espeak-ng, "
               "pocketsphinx)",
      .tts = &waav_tts_local, .stt = &waav_stt_local,
      .key_optional = 1, .embedded = 1 },

    { .name = NULL }
};


/* names are matched in any case, as WaaV's registry matches them */
static int
waav_registry_is(const char *name, const char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (strlen(name) != len) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (unsigned char) name[i]) {
            return 0;
        }
    }

    return 1;
}


const waav_provider_type_t *
waav_provider_type(const char *name, size_t len)
{
    const char *const           *al;
    const waav_provider_type_t  *pt;

    for (pt = waav_provider_types; pt->name; pt++) {
        if (waav_registry_is(pt->name, name, len)) {
            return pt;
        }

        for (al = pt->aliases; al && *al; al++) {
            if (waav_registry_is(*al, name, len)) {
                return pt;
            }
        }
    }

    return NULL;
}


size_t
waav_provider_type_list(char *buf, size_t cap, unsigned kinds)
{
    size_t                       n, len;
    const waav_provider_type_t  *pt;

    n = 0;

    if (cap == 0) {
        return 0;
    }

    for (pt = waav_provider_types; pt->name; pt++) {
        if (!(((kinds & WAAV_REGISTRY_TTS) && pt->tts)
              || ((kinds & WAAV_REGISTRY_STT) && pt->stt)))
        {
            continue;
        }

        len = strlen(pt->name);

        if (n + len + 3 > cap) {
            break;
        }

        if (n) {
            memcpy(buf + n, ", ", 2);
            n += 2;
        }

        memcpy(buf + n, pt->name, len);
        n += len;
    }

    buf[n] = '\0';

    return n;
}
