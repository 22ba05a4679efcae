/*
 * waav: the `local` provider's voices (GET /voices): espeak-ng's, as the
 * worker loaded them at start (src/ngx_http_waav_local.c sets the list
 * once espeak-ng is up, and clears it before espeak-ng goes), so a
 * listing is no work on the request path and never asks a provider.
 *
 *   espeak-ng:  languages "en-us", name "English (America)", gender 1
 *   WaaV:       {"id": "en-us", "sample": "", "name": "English (America)",
 *                "accent": "America", "gender": "Male",
 *                "language": "English"}
 *
 * The id is the name /speak's voice_id takes.  Pure C.
 */

#include <string.h>

#include "waav_local.h"


/* the list in use: a fixed list that the worker fills */
waav_voices_adapter_t  waav_voices_local;


void
waav_local_voices_set(const waav_voice_t *v, size_t n)
{
    waav_voices_local.fixed = v;
    waav_voices_local.nfixed = v ? n : 0;
}


static waav_str_t
waav_local_str(const char *s, size_t len)
{
    waav_str_t  r;

    r.data = s;
    r.len = len;

    return r;
}


/* the name without spaces at either end */
static waav_str_t
waav_local_trim(const char *s, size_t len)
{
    while (len && s[0] == ' ') {
        s++;
        len--;
    }

    while (len && s[len - 1] == ' ') {
        len--;
    }

    return waav_local_str(s, len);
}


void
waav_local_voice_entry(waav_voice_t *v, const char *id, const char *name,
    int gender)
{
    const char  *open, *close;
    waav_str_t   full;

    full = waav_local_trim(name, strlen(name));
    open = memchr(full.data, '(', full.len);
    close = open ? memchr(open, ')', full.len - (open - full.data)) : NULL;

    v->id = waav_local_str(id, strlen(id));
    v->sample = waav_local_str("", 0);
    v->name = full.len ? full : v->id;

    /* "English (America)": the language, then the accent in parentheses */
    if (open && close) {
        v->language = waav_local_trim(full.data, open - full.data);
        v->accent = waav_local_trim(open + 1, close - open - 1);

    } else {
        v->language = v->name;
        v->accent = waav_local_str("Standard", 8);
    }

    if (v->language.len == 0) {
        v->language = v->id;
    }

    if (v->accent.len == 0) {
        v->accent = waav_local_str("Standard", 8);
    }

    /* espeak-ng's genders: 1 male, 2 female, 0 none given */
    v->gender = gender == 1 ? waav_local_str("Male", 4)
                : gender == 2 ? waav_local_str("Female", 6)
                : waav_local_str("Unknown", 7);
}
