/*
 * waav: provider transcription answers into one result (waav_stt.h), and
 * that result as our JSON.  The adapters' normalizers are built from the
 * helpers here.  Provider answers are parsed into the request's memory
 * (no malloc per JSON node, nothing to free).
 */

#ifndef WAAV_STT_NORMALIZE_H
#define WAAV_STT_NORMALIZE_H

#include "waav_buf.h"
#include "waav_stt.h"

struct cJSON;

/* {"transcript", "confidence", "language", "duration", "words",
 *  "provider", "model"}, fields the result lacks left out */
int waav_stt_result_json(const waav_stt_result_t *res, waav_alloc_t *a,
    waav_str_t *out, waav_err_t *err);

/* the duration in whole seconds, rounded up, a day at most; 0: none */
uint64_t waav_stt_result_seconds(const waav_stt_result_t *res);

/* where the audio ends: the duration, else the last timed word's end */
double waav_stt_result_end(const waav_stt_result_t *res);

struct waav_jw_s;

/* bytes enough for a result written as JSON, whatever its escaping */
size_t waav_stt_result_cap(const waav_stt_result_t *res);

/* "words": [{"word", "start", "end"[, "confidence"]}] when it has any */
void waav_stt_words_json(struct waav_jw_s *w, const waav_stt_result_t *res,
    int confidence);

/* --- for normalizers ------------------------------------------------------ */

/* 502 PROVIDER_BAD_RESPONSE "Provider <name> returned <what>"; -1 */
int waav_stt_bad(waav_err_t *err, waav_str_t provider, const char *what);

/* a piece of a transcript (a phrase, a result) after the others in b:
 * trimmed of spaces and newlines, one space between pieces */
void waav_stt_join(waav_buf_t *b, waav_str_t piece);

/* answers shaped {"results": [{"alternatives": [{"transcript",
 * "confidence", ...}], ...}]}, one result a phrase (IBM's, Google's): the
 * first alternatives' transcripts joined, their confidence the mean, the
 * duration (when result() sets none) the last word's end */
typedef struct {
    /* room the results need: their words and transcripts' bytes; -1 for
     * a shape that is not the provider's */
    int            (*count)(const struct cJSON *results, size_t *words,
                            size_t *text);
    /* a result's words (into res->words, room counted) and whatever
     * else it says */
    void           (*result)(waav_stt_result_t *res,
                             const struct cJSON *result,
                             const struct cJSON *alt);
    int              results_optional;  /* none at all: silence */
} waav_stt_results_shape_t;

int waav_stt_results_normalize(const char *json, size_t len,
    const waav_stt_results_shape_t *shape, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err);

/* a provider's answer into the allocator's memory; NULL if not JSON */
const struct cJSON *waav_stt_parse(const char *json, size_t len,
    waav_alloc_t *a);

/* j.a, or j.a.b when b is not NULL; NULL when absent */
const struct cJSON *waav_stt_get(const struct cJSON *j, const char *a,
    const char *b);

/* 1 with the value when j is a finite number / a string */
int waav_stt_num(const struct cJSON *j, double *v);
int waav_stt_str(const struct cJSON *j, waav_str_t *s);

/* how a provider's words array reads */
typedef struct {
    const char  *word_key;          /* the word's text; else "word" */
    const char  *type_only;         /* items of this "type" only, or NULL */
    double       scale;             /* times to seconds (0: they are) */
    int          confidence;        /* keep each word's confidence */
} waav_stt_words_opt_t;

/* the words of an array into res (has_words when it is one) */
int waav_stt_words(waav_stt_result_t *res, const struct cJSON *words,
    const waav_stt_words_opt_t *opt, waav_alloc_t *a, waav_err_t *err);

/* where the last timed item of a provider's words array ends; 0: none */
double waav_stt_words_end(const struct cJSON *words);

/* answers shaped {"text", <language>, "words"[, "duration"]}: OpenAI's,
 * Groq's, ElevenLabs' */
typedef struct {
    const char            *language;    /* its key */
    waav_stt_words_opt_t   words;
    int                    words_duration;  /* no "duration": last word's end */
} waav_stt_text_shape_t;

int waav_stt_text_normalize(const char *json, size_t len,
    const waav_stt_text_shape_t *shape, waav_stt_result_t *res,
    waav_alloc_t *a, waav_err_t *err);

#endif /* WAAV_STT_NORMALIZE_H */
