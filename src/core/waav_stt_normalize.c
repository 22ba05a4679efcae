/*
 * waav: normalized transcriptions (see waav_stt_normalize.h).
 */

#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_json.h"
#include "waav_jw.h"
#include "waav_buf.h"
#include "waav_stt_normalize.h"


void
waav_stt_join(waav_buf_t *b, waav_str_t piece)
{
    while (piece.len && (piece.data[piece.len - 1] == ' '
                         || piece.data[piece.len - 1] == '\n'))
    {
        piece.len--;
    }

    while (piece.len && piece.data[0] == ' ') {
        piece.data++;
        piece.len--;
    }

    if (piece.len && b->len) {
        waav_buf_byte(b, ' ');
    }

    waav_buf_str(b, piece);
}


int
waav_stt_results_normalize(const char *json, size_t len,
    const waav_stt_results_shape_t *shape, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    size_t        nw, nt, n;
    double        sum, conf;
    waav_buf_t    b;
    waav_str_t    tr;
    const cJSON  *root, *results, *r, *alt;

    root = waav_stt_parse(json, len, a);
    results = cJSON_GetObjectItemCaseSensitive(root, "results");

    if (!cJSON_IsObject(root)
        || (results ? !cJSON_IsArray(results) : !shape->results_optional)
        || shape->count(results, &nw, &nt) != 0)
    {
        return waav_stt_bad(err, res->provider,
                            "an answer without transcripts");
    }

    if (waav_buf_alloc(&b, nt + 1, a, err) != 0) {
        return -1;
    }

    res->words = waav_alloc(a, (nw + 1) * sizeof(waav_stt_word_t));
    if (res->words == NULL) {
        return waav_err_nomem(err);
    }

    n = 0;
    sum = 0;

    cJSON_ArrayForEach(r, results) {
        alt = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                                     r, "alternatives"), 0);

        if (waav_stt_str(cJSON_GetObjectItemCaseSensitive(alt, "transcript"),
                         &tr))
        {
            waav_stt_join(&b, tr);
        }

        if (waav_stt_num(cJSON_GetObjectItemCaseSensitive(alt, "confidence"),
                         &conf))
        {
            sum += conf;
            n++;
        }

        shape->result(res, r, alt);
    }

    if (waav_buf_done(&b, &res->transcript) != 0) {
        return waav_err_nomem(err);
    }

    if (n) {
        res->has_confidence = 1;
        res->confidence = sum / (double) n;
    }

    if (!res->has_duration && res->nwords
        && res->words[res->nwords - 1].has_end)
    {
        res->has_duration = 1;
        res->duration = res->words[res->nwords - 1].end;
    }

    return 0;
}


int
waav_stt_bad(waav_err_t *err, waav_str_t provider, const char *what)
{
    return waav_err_set(err, 502, WAAV_E_PROVIDER_BAD_RESPONSE,
                        "Provider %.*s returned %s", (int) provider.len,
                        provider.data, what);
}


const cJSON *
waav_stt_parse(const char *json, size_t len, waav_alloc_t *a)
{
    waav_err_t  err;

    return waav_json_parse(json, len, 0, a, &err);
}


const cJSON *
waav_stt_get(const cJSON *j, const char *a, const char *b)
{
    j = cJSON_GetObjectItemCaseSensitive(j, a);
    return (j && b) ? cJSON_GetObjectItemCaseSensitive(j, b) : j;
}


int
waav_stt_num(const cJSON *j, double *v)
{
    if (cJSON_IsNumber(j) && isfinite(j->valuedouble)) {
        *v = j->valuedouble;
        return 1;
    }

    return 0;
}


int
waav_stt_str(const cJSON *j, waav_str_t *s)
{
    if (cJSON_IsString(j)) {
        s->data = j->valuestring;
        s->len = strlen(j->valuestring);
        return 1;
    }

    return 0;
}


int
waav_stt_words(waav_stt_result_t *res, const cJSON *words,
    const waav_stt_words_opt_t *opt, waav_alloc_t *a, waav_err_t *err)
{
    int               n;
    double            scale;
    const cJSON      *item, *t, *word;
    waav_stt_word_t  *w;

    res->has_words = cJSON_IsArray(words);
    res->nwords = 0;

    if (!res->has_words || (n = cJSON_GetArraySize(words)) == 0) {
        return 0;
    }

    res->words = waav_alloc(a, (size_t) n * sizeof(waav_stt_word_t));
    if (res->words == NULL) {
        return waav_err_nomem(err);
    }

    scale = opt->scale ? opt->scale : 1;

    cJSON_ArrayForEach(item, words) {
        if (opt->type_only) {
            t = cJSON_GetObjectItemCaseSensitive(item, "type");
            if (!cJSON_IsString(t) || strcmp(t->valuestring, opt->type_only))
            {
                continue;
            }
        }

        word = cJSON_GetObjectItemCaseSensitive(item, opt->word_key);
        if (!cJSON_IsString(word)) {
            word = cJSON_GetObjectItemCaseSensitive(item, "word");
        }

        w = &res->words[res->nwords];
        memset(w, 0, sizeof(waav_stt_word_t));

        if (!waav_stt_str(word, &w->word)) {
            continue;
        }

        w->has_start = waav_stt_num(cJSON_GetObjectItemCaseSensitive(item,
                                                                     "start"),
                                    &w->start);
        w->has_end = waav_stt_num(cJSON_GetObjectItemCaseSensitive(item, "end"),
                                  &w->end);
        w->start /= scale;
        w->end /= scale;

        if (opt->confidence) {
            w->has_confidence = waav_stt_num(
                cJSON_GetObjectItemCaseSensitive(item, "confidence"),
                &w->confidence);
        }

        res->nwords++;
    }

    return 0;
}


double
waav_stt_words_end(const cJSON *words)
{
    double        end;
    const cJSON  *w, *e;

    end = 0;

    cJSON_ArrayForEach(w, words) {
        e = cJSON_GetObjectItemCaseSensitive(w, "end");

        if (cJSON_IsNumber(e) && e->valuedouble > end
            && e->valuedouble < 1e7)
        {
            end = e->valuedouble;
        }
    }

    return end;
}


double
waav_stt_result_end(const waav_stt_result_t *res)
{
    size_t  i;
    double  end;

    if (res->has_duration && res->duration > 0) {
        return res->duration;
    }

    end = 0;

    for (i = 0; i < res->nwords; i++) {
        if (res->words[i].has_end && res->words[i].end > end
            && res->words[i].end < 1e7)
        {
            end = res->words[i].end;
        }
    }

    return end;
}


int
waav_stt_text_normalize(const char *json, size_t len,
    const waav_stt_text_shape_t *shape, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err)
{
    const cJSON  *root, *words;

    root = waav_stt_parse(json, len, a);

    if (!waav_stt_str(cJSON_GetObjectItemCaseSensitive(root, "text"),
                      &res->transcript))
    {
        return waav_stt_bad(err, res->provider, "an answer without text");
    }

    (void) waav_stt_str(cJSON_GetObjectItemCaseSensitive(root,
                                                         shape->language),
                        &res->language);

    words = cJSON_GetObjectItemCaseSensitive(root, "words");

    if (shape->words_duration) {
        /* ElevenLabs: where its last word (or space, or sound event) ends,
         * so quotas can be trued up from it */
        res->duration = waav_stt_words_end(words);
        res->has_duration = res->duration > 0;

    } else {
        res->has_duration = waav_stt_num(
            cJSON_GetObjectItemCaseSensitive(root, "duration"),
            &res->duration);
    }

    return waav_stt_words(res, words, &shape->words, a, err);
}


/* --- our JSON ------------------------------------------------------------- */

size_t
waav_stt_result_cap(const waav_stt_result_t *res)
{
    size_t  i, cap;

    /* a byte escapes to at most 6 */
    cap = 1024 + 6 * (res->transcript.len + res->language.len
                      + res->provider.len + res->model.len);

    for (i = 0; i < res->nwords; i++) {
        cap += 128 + 6 * res->words[i].word.len;
    }

    return cap;
}


void
waav_stt_words_json(waav_jw_t *w, const waav_stt_result_t *res,
    int confidence)
{
    size_t                  i;
    const waav_stt_word_t  *word;

    if (!res->has_words) {
        return;
    }

    waav_jw_key_array(w, "words");

    for (i = 0; i < res->nwords; i++) {
        word = &res->words[i];

        waav_jw_open(w, NULL);
        waav_jw_str(w, "word", word->word.data, word->word.len);

        if (word->has_start) {
            waav_jw_num(w, "start", word->start);
        }

        if (word->has_end) {
            waav_jw_num(w, "end", word->end);
        }

        if (confidence && word->has_confidence) {
            waav_jw_num(w, "confidence", word->confidence);
        }

        waav_jw_close(w);
    }

    waav_jw_close_array(w);
}


int
waav_stt_result_json(const waav_stt_result_t *res, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err)
{
    waav_jw_t  w;

    if (waav_jw_alloc(&w, waav_stt_result_cap(res), a, err) != 0) {
        return -1;
    }

    waav_jw_open(&w, NULL);
    waav_jw_str(&w, "transcript", res->transcript.data, res->transcript.len);

    if (res->has_confidence) {
        waav_jw_num(&w, "confidence", res->confidence);
    }

    if (res->language.len) {
        waav_jw_str(&w, "language", res->language.data, res->language.len);
    }

    if (res->has_duration) {
        waav_jw_num(&w, "duration", res->duration);
    }

    waav_stt_words_json(&w, res, 1);

    waav_jw_str(&w, "provider", res->provider.data, res->provider.len);
    waav_jw_str(&w, "model", res->model.data, res->model.len);
    waav_jw_close(&w);

    if (waav_jw_done(&w, out) != 0) {
        return waav_err_set(err, 502, WAAV_E_PROVIDER_BAD_RESPONSE,
                            "the provider's answer is too large");
    }

    return 0;
}


uint64_t
waav_stt_result_seconds(const waav_stt_result_t *res)
{
    uint64_t  s;
    double    v;

    /* a day at most: a provider cannot drain a budget by itself */
    if (!res->has_duration || !(res->duration > 0)) {
        return 0;
    }

    v = res->duration > 86400 ? 86400 : res->duration;
    s = (uint64_t) v;

    return (double) s < v ? s + 1 : s;
}
