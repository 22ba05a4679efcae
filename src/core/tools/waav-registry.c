/*
 * waav-registry: prints the provider registry (src/core/waav_registry.c),
 * for what is generated from it.  `make registry` builds it.
 *
 *   waav-registry             TSV, one provider type a line, a # header:
 *                             name, tts (yes|no), stt (yes: REST, and
 *                             maybe /ws; ws: streaming on /ws only; no),
 *                             key (required|optional|embedded:
 *                             runs inside nginx, no key, no URL|
 *                             signed: required, and it signs
 *                             requests for the URL and region:
 *                             waav_provider takes url= and region=),
 *                             key_env, url_env, base_url, example_url,
 *                             aliases (comma-separated), title,
 *                             token_url_env, token_url, region_env,
 *                             region, stream_url_env, stream_url,
 *                             user_env, key_file_env; "-" empty
 *   waav-registry --markdown  the README's provider table
 *   waav-registry --types tts|stt   the type names, one a line
 */

#include <stdio.h>
#include <string.h>

#include "waav_registry.h"


static const char *
waav_or_dash(const char *s)
{
    return (s && s[0]) ? s : "-";
}


static void
waav_aliases(const waav_provider_type_t *pt, const char *sep,
    const char *quote)
{
    const char *const  *al;

    for (al = pt->aliases; al && *al; al++) {
        printf("%s%s%s%s", al == pt->aliases ? "" : sep, quote, *al, quote);
    }
}


/* what a type's STT is: REST (and maybe streaming), streaming only */
static const char *
waav_stt_kind(const waav_provider_type_t *pt, const char *rest,
    const char *ws, const char *none)
{
    if (pt->stt == NULL) {
        return none;
    }

    return pt->stt->build ? rest : ws;
}


/* a key that signs requests (AWS SigV4) rather than travelling */
static int
waav_signs(const waav_provider_type_t *pt)
{
    return pt->tts && pt->tts->cred && pt->tts->cred->sign;
}


static void
waav_tsv(void)
{
    const waav_provider_type_t  *pt;

    printf("# name\ttts\tstt\tkey\tkey_env\turl_env\tbase_url\texample_url"
           "\taliases\ttitle\ttoken_url_env\ttoken_url\tregion_env\tregion"
           "\tstream_url_env\tstream_url\tuser_env\tkey_file_env\n");

    for (pt = waav_provider_types; pt->name; pt++) {
        printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t", pt->name,
               pt->tts ? "yes" : "no", waav_stt_kind(pt, "yes", "ws", "no"),
               pt->embedded ? "embedded"
                            : pt->key_optional ? "optional"
                            : waav_signs(pt) ? "signed" : "required",
               waav_or_dash(pt->key_env), waav_or_dash(pt->url_env),
               waav_or_dash(pt->base_url), waav_or_dash(pt->example_url));

        if (pt->aliases && pt->aliases[0]) {
            waav_aliases(pt, ",", "");

        } else {
            printf("-");
        }

        printf("\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
               waav_or_dash(pt->title),
               waav_or_dash(pt->token_url_env), waav_or_dash(pt->token_url),
               waav_or_dash(pt->region_env), waav_or_dash(pt->region),
               waav_or_dash(pt->stream_url_env),
               waav_or_dash(pt->stream_url), waav_or_dash(pt->user_env),
               waav_or_dash(pt->key_file_env));
    }
}


static void
waav_markdown(void)
{
    const waav_provider_type_t  *pt;

    printf("| type | provider | text to speech | speech to text | key "
           "| base URL |\n|---|---|---|---|---|---|\n");

    for (pt = waav_provider_types; pt->name; pt++) {
        printf("| `%s`", pt->name);

        if (pt->aliases && pt->aliases[0]) {
            printf(" (or ");
            waav_aliases(pt, ", ", "`");
            printf(")");
        }

        if (pt->embedded) {
            printf(" | %s | %s | %s | none | none: runs inside nginx "
                   "(`waav_local`) |\n", waav_or_dash(pt->title),
                   pt->tts ? "yes" : "",
                   waav_stt_kind(pt, "yes", "streaming (`/ws`) only", ""));
            continue;
        }

        printf(" | %s | %s | %s | `%s`%s%s%s%s%s%s%s | `%s`, %s `%s`",
               waav_or_dash(pt->title), pt->tts ? "yes" : "",
               waav_stt_kind(pt, "yes", "streaming (`/ws`) only", ""),
               waav_or_dash(pt->key_env),
               pt->key_optional ? " (optional)" : "",
               pt->user_env ? " and `" : "",
               pt->user_env ? pt->user_env : "",
               pt->user_env ? "`" : "",
               pt->key_file_env ? " or `" : "",
               pt->key_file_env ? pt->key_file_env : "",
               pt->key_file_env ? "` (a file)" : "",
               waav_or_dash(pt->url_env),
               pt->base_url ? "default" : "none by default, e.g.",
               pt->base_url ? pt->base_url : waav_or_dash(pt->example_url));

        if (pt->token_url) {
            printf("; tokens: `%s`, default `%s`", pt->token_url_env,
                   pt->token_url);
        }

        if (pt->region) {
            printf("; `{region}`: `%s`, default `%s`", pt->region_env,
                   pt->region);
        }

        if (pt->stream_url) {
            printf("; %s: `%s`, default `%s`",
                   (pt->stt && pt->stt->stream_host) ? "speech to text"
                                                     : "streaming",
                   pt->stream_url_env, pt->stream_url);
        }

        printf(" |\n");
    }
}


int
main(int argc, char **argv)
{
    const waav_provider_type_t  *pt;

    if (argc == 1) {
        waav_tsv();
        return 0;
    }

    if (argc == 2 && strcmp(argv[1], "--markdown") == 0) {
        waav_markdown();
        return 0;
    }

    if (argc == 3 && strcmp(argv[1], "--types") == 0
        && (strcmp(argv[2], "tts") == 0 || strcmp(argv[2], "stt") == 0))
    {
        for (pt = waav_provider_types; pt->name; pt++) {
            if (argv[2][0] == 't' ? pt->tts != NULL : pt->stt != NULL) {
                printf("%s\n", pt->name);
            }
        }

        return 0;
    }

    fprintf(stderr, "usage: %s [--markdown | --types tts|stt]\n", argv[0]);

    return 2;
}
