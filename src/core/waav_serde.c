/*
 * waav: a client message read as serde_json reads it (see waav_serde.h).
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "waav_json.h"
#include "waav_serde.h"

/* what an error shows of a client's string */
#define WAAV_SERDE_SHOW  64


/* s cut to at most max bytes, on a character boundary */
static int
waav_serde_cut(const char *s, size_t len, size_t max)
{
    if (len <= max) {
        return (int) len;
    }

    while (max > 0 && ((unsigned char) s[max] & 0xc0) == 0x80) {
        max--;
    }

    return (int) max;
}


/* a double as Rust prints a float: the shortest digits that read back,
 * with ".0" when they look like an integer */
static void
waav_serde_float(char *buf, size_t size, double v)
{
    int  p;

    for (p = 1; p < 17; p++) {
        snprintf(buf, size, "%.*g", p, v);

        if (strtod(buf, NULL) == v) {
            break;
        }
    }

    snprintf(buf, size, "%.*g", p, v);

    if (strpbrk(buf, ".eni") == NULL && strlen(buf) + 3 <= size) {
        strcat(buf, ".0");
    }
}


/* 1 when a cJSON number is what serde_json reads as an integer (cJSON
 * keeps no text: an integral value within i64/u64 counts as one) */
static int
waav_serde_integral(double v)
{
    return isfinite(v) && floor(v) == v && v > -9.3e18 && v < 1.8e19;
}


/* serde's Unexpected: how an error names the value it got */
static void
waav_serde_unexpected(const cJSON *item, char *buf, size_t size)
{
    const char  *s;
    size_t       i, n;
    char         num[40];

    if (cJSON_IsString(item)) {
        /* Rust's {:?} of a str, cut short */
        s = item->valuestring;
        n = (size_t) waav_serde_cut(s, strlen(s), WAAV_SERDE_SHOW);
        i = (size_t) snprintf(buf, size, "string \"");

        for ( ; n > 0 && i + 8 < size; s++, n--) {
            if (*s == '"' || *s == '\\') {
                buf[i++] = '\\';
                buf[i++] = *s;

            } else if (*s == '\n' || *s == '\r' || *s == '\t') {
                buf[i++] = '\\';
                buf[i++] = (*s == '\n') ? 'n' : (*s == '\r') ? 'r' : 't';

            } else if ((unsigned char) *s < 0x20 || *s == 0x7f) {
                i += (size_t) snprintf(buf + i, size - i, "\\u{%x}",
                                       (unsigned) (unsigned char) *s);

            } else {
                buf[i++] = *s;
            }
        }

        snprintf(buf + i, size - i, "\"");

    } else if (cJSON_IsBool(item)) {
        snprintf(buf, size, "boolean `%s`",
                 cJSON_IsTrue(item) ? "true" : "false");

    } else if (cJSON_IsNumber(item)) {
        if (waav_serde_integral(item->valuedouble)) {
            snprintf(buf, size, "integer `%.0f`", item->valuedouble + 0.0);

        } else {
            waav_serde_float(num, sizeof(num), item->valuedouble);
            snprintf(buf, size, "floating point `%s`", num);
        }

    } else if (cJSON_IsArray(item)) {
        snprintf(buf, size, "sequence");

    } else if (cJSON_IsObject(item)) {
        snprintf(buf, size, "map");

    } else {
        snprintf(buf, size, "null");
    }
}


/* "invalid type: <what item is>, expected <expect>" */
static void
waav_serde_invalid_text(const cJSON *item, const char *expect, char *buf,
    size_t size)
{
    char  got[WAAV_SERDE_SHOW * 2 + 32];

    waav_serde_unexpected(item, got, sizeof(got));
    snprintf(buf, size, "invalid type: %s, expected %s", got, expect);
}


static int
waav_serde_invalid(const cJSON *item, const char *expect, waav_err_t *err)
{
    char  what[WAAV_SERDE_SHOW * 2 + 128];

    waav_serde_invalid_text(item, expect, what, sizeof(what));

    return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                        "%s", what);
}


/* one field's value against its type, as serde deserializes it */
static int
waav_serde_check(const cJSON *item, const waav_serde_field_t *f,
    waav_err_t *err)
{
    const char  *name;
    double       v, max;

    switch (f->kind) {

    case WAAV_SERDE_STR:
        return cJSON_IsString(item) ? 0 : waav_serde_invalid(item, "a string",
                                                           err);

    case WAAV_SERDE_BOOL:
        return cJSON_IsBool(item) ? 0 : waav_serde_invalid(item, "a boolean",
                                                        err);

    case WAAV_SERDE_U32:
    case WAAV_SERDE_U16:
        name = (f->kind == WAAV_SERDE_U32) ? "u32" : "u16";
        max = (f->kind == WAAV_SERDE_U32) ? 4294967295.0 : 65535.0;

        if (!cJSON_IsNumber(item) || !waav_serde_integral(item->valuedouble)) {
            return waav_serde_invalid(item, name, err);
        }

        v = item->valuedouble;

        if (v < 0 || v > max) {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                "invalid value: integer `%.0f`,"
                                " expected %s", v, name);
        }

        return 0;

    case WAAV_SERDE_OBJ:
        if (!cJSON_IsObject(item)) {
            return waav_serde_invalid(item, f->expect, err);
        }

        return f->sub ? waav_serde_fields(item, f->sub, NULL, err) : 0;

    default: /* WAAV_SERDE_ANY */
        return 0;
    }
}


/*
 * The fields of obj as serde's derived visitor takes them: each key in
 * turn (unknown ones ignored, null an Option's None), then the first
 * required field that never came.  found[i] (when found is not NULL) is
 * field i's value, NULL when absent or None.
 */
int
waav_serde_fields(const cJSON *obj, const waav_serde_field_t *fields,
    const cJSON **found, waav_err_t *err)
{
    const cJSON  *c;
    unsigned      seen;
    size_t        i;

    seen = 0;

    for (c = obj->child; c; c = c->next) {
        for (i = 0; fields[i].name; i++) {
            if (strcmp(c->string, fields[i].name) == 0) {
                break;
            }
        }

        if (fields[i].name == NULL) {
            continue;
        }

        seen |= 1u << i;

        if (cJSON_IsNull(c) && !fields[i].required) {
            continue;
        }

        if (waav_serde_check(c, &fields[i], err) != 0) {
            return -1;
        }

        if (found) {
            found[i] = c;
        }
    }

    for (i = 0; fields[i].name; i++) {
        if (fields[i].required && !(seen & (1u << i))) {
            return waav_err_set(err, 400, WAAV_E_INVALID_REQUEST,
                                "missing field `%s`",
                                fields[i].name);
        }
    }

    return 0;
}


/* --- where serde_json stops: line and column of its errors ------------- */

static size_t
waav_serde_skip_ws(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'
                       || s[i] == '\n'))
    {
        i++;
    }

    return i;
}


/* i at a '"': the index past the closing one */
static size_t
waav_serde_skip_str(const char *s, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (s[i] == '\\') {
            i++;

        } else if (s[i] == '"') {
            return i + 1;
        }
    }

    return len;
}


/* i at a value: the index past it */
static size_t
waav_serde_skip_value(const char *s, size_t len, size_t i)
{
    size_t  depth;

    depth = 0;

    while (i < len) {
        if (s[i] == '"') {
            i = waav_serde_skip_str(s, len, i);

            if (depth == 0) {
                return i;
            }

            continue;
        }

        if (s[i] == '{' || s[i] == '[') {
            depth++;

        } else if (s[i] == '}' || s[i] == ']') {
            if (depth <= 1) {
                return depth ? i + 1 : i;
            }

            depth--;

        } else if (depth == 0 && strchr(", \t\r\n", s[i])) {
            return i;
        }

        i++;
    }

    return len;
}


/*
 * The index past the value of the top-level key tag as written (serde
 * reads the tag there, and reports a bad one there); 0 when it is not
 * found so (an escaped key, a byte-order mark).  s is an object cJSON
 * accepted.
 */
static size_t
waav_serde_tag_end(const char *s, size_t len, const char *tag)
{
    size_t  i, k, end, n;
    int     is_tag;

    n = strlen(tag);

    i = waav_serde_skip_ws(s, len, 0);

    if (i >= len || s[i] != '{') {
        return 0;
    }

    i++;

    for ( ;; ) {
        i = waav_serde_skip_ws(s, len, i);

        if (i >= len || s[i] != '"') {
            return 0;
        }

        k = i;
        i = waav_serde_skip_str(s, len, i);
        is_tag = (i - k == n + 2 && memcmp(s + k + 1, tag, n) == 0);
        i = waav_serde_skip_ws(s, len, i) + 1;                 /* ':' */
        i = waav_serde_skip_ws(s, len, i);
        end = waav_serde_skip_value(s, len, i);

        if (is_tag) {
            return end;
        }

        i = waav_serde_skip_ws(s, len, end);

        if (i >= len || s[i] != ',') {
            return 0;
        }

        i++;
    }
}


/* an error at byte offset off (serde's column: bytes of its line up to
 * and including the byte it stopped at) */
static int
waav_serde_err_at(waav_err_t *err, const char *code, const char *json,
    size_t off, const char *what)
{
    size_t  i, line, col;

    line = 1;
    col = 0;

    for (i = 0; i < off; i++) {
        if (json[i] == '\n') {
            line++;
            col = 0;

        } else {
            col++;
        }
    }

    return waav_err_set(err, 400, code,
                        "%s at line %zu column %zu",
                        what, line, col);
}


/* the offset past the last byte that is not whitespace */
static size_t
waav_serde_end(const char *json, size_t len)
{
    while (len > 0 && strchr(" \t\r\n", json[len - 1])) {
        len--;
    }

    return len;
}


/*
 * NULL when the text is whole (empty or cut short it is not): else what
 * serde_json was reading when it ended: a string, a value after ':' or
 * ',', else the innermost open object or list.
 */
static const char *
waav_serde_eof(const char *s, size_t len)
{
    char    open[64];
    size_t  i, depth;
    int     last;

    depth = 0;
    last = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '"') {
            i = waav_serde_skip_str(s, len, i);

            if (i == len && (s[len - 1] != '"' || i - 1 == 0
                             || s[len - 2] == '\\'))
            {
                return "EOF while parsing a string";
            }

            last = '"';
            i--;
            continue;
        }

        if (s[i] == '{' || s[i] == '[') {
            if (depth < sizeof(open)) {
                open[depth] = s[i];
            }

            depth++;

        } else if ((s[i] == '}' || s[i] == ']') && depth > 0) {
            depth--;
        }

        if (!strchr(" \t\r\n", s[i])) {
            last = (unsigned char) s[i];
        }
    }

    if (last == 0 || last == ':' || last == ','
        || (depth > sizeof(open)))
    {
        return "EOF while parsing a value";
    }

    if (depth == 0) {
        return NULL;
    }

    return (open[depth - 1] == '{') ? "EOF while parsing an object"
                                    : "EOF while parsing a list";
}


/* waav_json_parse refused the text: serde's kind of words for why */
int
waav_serde_syntax(const char *json, size_t len, waav_err_t *err)
{
    cJSON       *root;
    const char  *end, *eof;
    size_t       off;

    if (strcmp(err->code, WAAV_E_INVALID_JSON) != 0) {
        /* \u0000, a key twice: waav's refusals, which WaaV lacks */
        return -1;
    }

    /* again, for where it stopped (an error path: malloc'd, freed) */
    end = NULL;
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);

    if (root) {
        cJSON_Delete(root);
        off = waav_serde_skip_ws(json, len, (size_t) (end - json));

        if (off == len) {
            /* good JSON: the allocator ran out */
            return waav_err_nomem(err);
        }

        return waav_serde_err_at(err, WAAV_E_INVALID_JSON, json, off + 1,
                              "trailing characters");
    }

    off = end ? (size_t) (end - json) : 0;

    /* a text cut short: serde fails at its end (cJSON somewhere in it) */
    eof = waav_serde_eof(json, len);

    if (eof) {
        return waav_serde_err_at(err, WAAV_E_INVALID_JSON, json, len, eof);
    }

    return waav_serde_err_at(err, WAAV_E_INVALID_JSON, json, off + 1,
                          "expected value");
}


const cJSON *
waav_serde_tag(const cJSON *root, const char *json, size_t len,
    const char *tag, const char *enum_name, size_t *off, waav_err_t *err)
{
    const cJSON  *item;
    char          what[WAAV_SERDE_SHOW * 2 + 160];
    char          expect[96];

    if (!cJSON_IsObject(root)) {
        snprintf(expect, sizeof(expect), "internally tagged enum %s",
                 enum_name);
        waav_serde_invalid_text(root, expect, what, sizeof(what));

        (void) waav_serde_err_at(err, WAAV_E_INVALID_REQUEST, json,
                                 waav_serde_end(json, len), what);
        return NULL;
    }

    item = cJSON_GetObjectItemCaseSensitive(root, tag);

    if (item == NULL) {
        snprintf(what, sizeof(what), "missing field `%s`", tag);

        (void) waav_serde_err_at(err, WAAV_E_INVALID_REQUEST, json,
                                 waav_serde_end(json, len), what);
        return NULL;
    }

    *off = waav_serde_tag_end(json, len, tag);
    if (*off == 0) {
        *off = waav_serde_end(json, len);
    }

    if (!cJSON_IsString(item)) {
        waav_serde_invalid_text(item, "variant identifier", what,
                                sizeof(what));

        (void) waav_serde_err_at(err, WAAV_E_INVALID_REQUEST, json, *off,
                                 what);
        return NULL;
    }

    return item;
}


int
waav_serde_unknown(waav_err_t *err, const char *json, size_t off,
    const char *variant, const char *expected)
{
    char  what[sizeof(err->message)];

    snprintf(what, sizeof(what), "unknown variant `%.*s`, expected one of %s",
             waav_serde_cut(variant, strlen(variant), WAAV_SERDE_SHOW),
             variant, expected);

    return waav_serde_err_at(err, WAAV_E_INVALID_REQUEST, json, off, what);
}


/* the length of s as serde_json writes a string */
static size_t
waav_serde_str_len(const char *s)
{
    size_t  n;

    for (n = 2; *s; s++) {
        n += (strchr("\"\\\b\f\n\r\t", *s)) ? 2
             : ((unsigned char) *s < 0x20) ? 6 : 1;
    }

    return n;
}


/* the bytes serde_json's to_string() makes of a value (numbers as cJSON
 * holds them: integral ones as integers, others shortest) */
size_t
waav_serde_len(const cJSON *item)
{
    const cJSON  *c;
    size_t        n;
    char          num[40];

    if (cJSON_IsString(item)) {
        return waav_serde_str_len(item->valuestring);
    }

    if (cJSON_IsNumber(item)) {
        if (waav_serde_integral(item->valuedouble)) {
            snprintf(num, sizeof(num), "%.0f", item->valuedouble + 0.0);

        } else {
            waav_serde_float(num, sizeof(num), item->valuedouble);
        }

        return strlen(num);
    }

    if (!cJSON_IsArray(item) && !cJSON_IsObject(item)) {
        return cJSON_IsFalse(item) ? 5 : 4;     /* true, null */
    }

    n = 2;

    for (c = item->child; c; c = c->next) {
        n += (c != item->child) ? 1 : 0;

        if (cJSON_IsObject(item)) {
            n += waav_serde_str_len(c->string) + 1;
        }

        n += waav_serde_len(c);
    }

    return n;
}


