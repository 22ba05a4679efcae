/*
 * waav: a client message read as serde_json reads it into a Rust type,
 * on a cJSON tree, for serde's error texts: WaaV's clients see them (its
 * /ws and /realtime send "Invalid message format: <serde's text>"), so
 * waav gives the same ones.  Pure C: no nginx types.
 *
 * serde_json reads a tagged enum's tag as the text streams by, so errors
 * about the tag, like syntax errors, end in " at line L column C"; a
 * variant's fields are read from buffered content, and their errors have
 * no position.  Texts are serde's alone; the caller adds its prefix.
 */

#ifndef WAAV_SERDE_H
#define WAAV_SERDE_H

#include <stddef.h>

#include "waav_alloc.h"

struct cJSON;

/* a field's Rust type */
typedef enum {
    WAAV_SERDE_STR = 0,             /* String */
    WAAV_SERDE_BOOL,                /* bool */
    WAAV_SERDE_U32,
    WAAV_SERDE_U16,
    WAAV_SERDE_OBJ,                 /* a struct (an object, here) */
    WAAV_SERDE_ANY                  /* serde_json::Value */
} waav_serde_kind_e;

typedef struct waav_serde_field_s  waav_serde_field_t;

/* one field of a struct or variant; lists end with a NULL name */
struct waav_serde_field_s {
    const char                *name;
    waav_serde_kind_e          kind;
    unsigned                   required;    /* not an Option */
    const char                *expect;      /* OBJ: "struct X" */
    const waav_serde_field_t  *sub;         /* OBJ: its fields, or NULL */
};

/* fields a list may have */
#define WAAV_SERDE_FIELDS_MAX  32

/*
 * The fields of object obj, as serde's derived visitor takes them: each
 * key in turn (unknown keys ignored, null an Option's None, OBJ fields'
 * own fields checked on the way), then the first required field missing,
 * in the list's order.  found[i] (when found is not NULL; zeroed by the
 * caller) is field i's value, NULL when absent or None.  0, or -1 with err
 * set: "invalid type: integer `1`, expected a string", "missing field
 * `text`", "invalid value: integer `-1`, expected u32".
 */
int waav_serde_fields(const struct cJSON *obj,
    const waav_serde_field_t *fields, const struct cJSON **found,
    waav_err_t *err);

/*
 * len bytes of text that waav_json_parse() refused, err being what it
 * said: err becomes serde's words for it ("expected value at line 1
 * column 1", "EOF while parsing an object at ...", "trailing characters
 * at ..."; cJSON does not say what it expected, so these are close, not
 * exact).  waav's own refusals (\u0000, a key twice) keep their text.
 * Returns -1.
 */
int waav_serde_syntax(const char *json, size_t len, waav_err_t *err);

/*
 * The tag of an internally tagged enum (#[serde(tag = "...")]) named
 * enum_name, in root parsed from json: a string item, with *off the
 * offset past its value (for waav_serde_unknown); NULL with err set when
 * root is no object, has no tag, or a tag that is not a string.
 */
const struct cJSON *waav_serde_tag(const struct cJSON *root, const char *json,
    size_t len, const char *tag, const char *enum_name, size_t *off,
    waav_err_t *err);

/* "unknown variant `x`, expected one of <expected> at line 1 column off";
 * returns -1 */
int waav_serde_unknown(waav_err_t *err, const char *json, size_t off,
    const char *variant, const char *expected);

/* the length of serde_json::to_string() of a value (numbers as cJSON
 * holds them: integral ones as integers, others shortest) */
size_t waav_serde_len(const struct cJSON *item);

#endif /* WAAV_SERDE_H */
