/*
 * waav: a streaming multipart/form-data parser (see waav_multipart.h).
 */

#include <string.h>
#include <strings.h>

#include "waav_multipart.h"


enum {
    WAAV_MP_PREAMBLE = 0,
    WAAV_MP_AFTER,                      /* "--" (end) or CRLF (a part) */
    WAAV_MP_HEADERS,
    WAAV_MP_BODY,
    WAAV_MP_END
};


static int
waav_mp_fail(waav_mp_parser_t *p, const char *why)
{
    if (p->error == NULL) {
        p->error = why;
    }

    return -1;
}


int
waav_mp_init(waav_mp_parser_t *p, const char *ct, size_t len)
{
    size_t       i, k, blen;
    const char  *b, *end;

    memset(p, 0, sizeof(waav_mp_parser_t));

    end = ct + len;

    if (len < 19 || strncasecmp(ct, "multipart/form-data", 19) != 0) {
        return waav_mp_fail(p, "Content-Type must be multipart/form-data");
    }

    for (b = ct; b + 9 <= end; b++) {
        if (strncasecmp(b, "boundary=", 9) == 0) {
            break;
        }
    }

    if (b + 9 > end) {
        return waav_mp_fail(p, "multipart/form-data needs a boundary");
    }

    b += 9;

    if (b < end && *b == '"') {
        b++;
        for (blen = 0; b + blen < end && b[blen] != '"'; blen++) { /* void */ }

    } else {
        for (blen = 0; b + blen < end && b[blen] != ';' && b[blen] != ' ';
             blen++)
        { /* void */ }
    }

    if (blen == 0 || blen > WAAV_MP_MAX_BOUNDARY) {
        return waav_mp_fail(p, "the multipart boundary must be 1-70 "
                               "characters");
    }

    memcpy(p->delim, "\r\n--", 4);
    memcpy(p->delim + 4, b, blen);
    p->dlen = 4 + blen;

    /* KMP: the longest proper prefix that is also a suffix */
    p->fail[0] = 0;

    for (i = 1, k = 0; i < p->dlen; i++) {
        while (k > 0 && p->delim[i] != p->delim[k]) {
            k = p->fail[k - 1];
        }

        if (p->delim[i] == p->delim[k]) {
            k++;
        }

        p->fail[i] = k;
    }

    /* the first delimiter has no CRLF before it: as if it had */
    p->match = 2;
    p->state = WAAV_MP_PREAMBLE;

    return 0;
}


/* one byte through the delimiter matcher: 1 when a delimiter just ended */
static int
waav_mp_match(waav_mp_parser_t *p, char c)
{
    while (p->match > 0 && c != p->delim[p->match]) {
        p->match = p->fail[p->match - 1];
    }

    if (c == p->delim[p->match]) {
        p->match++;
    }

    if (p->match == p->dlen) {
        p->match = 0;
        return 1;
    }

    return 0;
}


/* name="..." in a header line, into out */
static int
waav_mp_param(const char *line, size_t len, const char *param, char *out,
    size_t size)
{
    size_t       plen, i;
    const char  *s, *end;

    plen = strlen(param);
    end = line + len;

    for (s = line; s + plen + 2 <= end; s++) {
        if ((s == line || s[-1] == ' ' || s[-1] == ';')
            && strncasecmp(s, param, plen) == 0 && s[plen] == '=')
        {
            s += plen + 1;

            if (*s == '"') {
                s++;
                for (i = 0; s + i < end && s[i] != '"'; i++) { /* void */ }

            } else {
                for (i = 0; s + i < end && s[i] != ';'; i++) { /* void */ }
            }

            if (i >= size) {
                return -1;
            }

            memcpy(out, s, i);
            out[i] = '\0';

            return 1;
        }
    }

    return 0;
}


/* a form field's part begins: where its value goes */
static int
waav_mp_field(waav_mp_parser_t *p, const char *name)
{
    size_t  n;

    if (p->nfields == WAAV_MP_MAX_FIELDS) {
        return waav_mp_fail(p, "too many multipart fields");
    }

    /* a field twice: no layer may read the first value while another
     * reads the second (a "name[]" list may repeat) */
    n = strlen(name);

    if (!(n > 2 && name[n - 2] == '[' && name[n - 1] == ']')
        && waav_mp_get(p, name) != NULL)
    {
        return waav_mp_fail(p, "a multipart field is there twice");
    }

    if (n >= sizeof(p->fields[0].name)) {
        return waav_mp_fail(p, "a multipart part name is too long");
    }

    p->current = &p->fields[p->nfields++];
    memcpy(p->current->name, name, n + 1);
    p->current->len = 0;

    return 0;
}


static int
waav_mp_part(waav_mp_parser_t *p)
{
    char         name[64], filename[128], type[128];
    int          has_name, has_file;
    size_t       n, i;
    const char  *line, *eol, *end;

    name[0] = '\0';
    filename[0] = '\0';
    type[0] = '\0';
    has_name = 0;
    has_file = 0;

    end = p->header + p->header_len;

    for (line = p->header; line < end; line = eol + 2) {
        eol = line;

        while (eol + 1 < end && !(eol[0] == '\r' && eol[1] == '\n')) {
            eol++;
        }

        if (eol + 1 >= end) {
            break;
        }

        n = (size_t) (eol - line);

        /* a bare CR or LF, or any control byte, is not a header line */
        for (i = 0; i < n; i++) {
            if (((unsigned char) line[i] < 0x20 && line[i] != '\t')
                || (unsigned char) line[i] == 0x7f)
            {
                return waav_mp_fail(p, "a multipart part header has a "
                                       "control character");
            }
        }

        if (n > 20 && strncasecmp(line, "content-disposition:", 20) == 0) {
            has_name = waav_mp_param(line + 20, n - 20, "name", name,
                                     sizeof(name));
            has_file = waav_mp_param(line + 20, n - 20, "filename", filename,
                                     sizeof(filename));

            if (has_name < 0 || has_file < 0) {
                return waav_mp_fail(p, "a multipart part name is too long");
            }

        } else if (n > 13 && strncasecmp(line, "content-type:", 13) == 0) {
            line += 13;
            n -= 13;

            while (n && *line == ' ') {
                line++;
                n--;
            }

            if (n >= sizeof(type)) {
                return waav_mp_fail(p, "a multipart Content-Type is too long");
            }

            memcpy(type, line, n);
            type[n] = '\0';
        }
    }

    if (!has_name) {
        return waav_mp_fail(p, "a multipart part has no name");
    }

    p->current = NULL;
    p->in_file = 0;

    if (strcmp(name, "file") == 0 || has_file) {
        if (strcmp(name, "file") != 0) {
            return waav_mp_fail(p, "the audio must be the part named file");
        }

        if (++p->files > 1) {
            return waav_mp_fail(p, "there must be one file part, not two");
        }

        p->in_file = 1;
        p->file_start = p->offset;
        memcpy(p->file_type, type, sizeof(type));
        memcpy(p->file_name, filename, sizeof(filename));

        return 0;
    }

    return waav_mp_field(p, name);
}


/* a byte of a part's body: a field's value kept, the file's range noted */
static int
waav_mp_body(waav_mp_parser_t *p, char c)
{
    if (p->current) {
        /* the delimiter's bytes come in too: cut below */
        if (p->current->len < sizeof(p->current->value)) {
            p->current->value[p->current->len] = c;
        }

        p->current->len++;

        if (p->current->len > WAAV_MP_MAX_VALUE + p->dlen) {
            return waav_mp_fail(p, "a multipart field is too long");
        }
    }

    if (!waav_mp_match(p, c)) {
        return 0;
    }

    if (p->current) {
        p->current->len -= p->dlen;

        if (p->current->len > WAAV_MP_MAX_VALUE - 1) {
            return waav_mp_fail(p, "a multipart field is too long");
        }

        p->current->value[p->current->len] = '\0';
        p->current = NULL;
    }

    if (p->in_file) {
        p->file_end = p->offset - p->dlen;
        p->in_file = 0;
    }

    p->state = WAAV_MP_AFTER;
    p->after = 0;

    return 0;
}


int
waav_mp_feed(waav_mp_parser_t *p, const char *data, size_t len)
{
    size_t  i;
    char    c;

    if (p->error) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        c = data[i];
        p->offset++;

        switch (p->state) {

        case WAAV_MP_PREAMBLE:
            if (waav_mp_match(p, c)) {
                p->state = WAAV_MP_AFTER;
                p->after = 0;
            }

            break;

        case WAAV_MP_AFTER:
            p->after_buf[p->after++] = c;

            if (p->after < 2) {
                break;
            }

            if (p->after_buf[0] == '-' && p->after_buf[1] == '-') {
                p->state = WAAV_MP_END;

            } else if (p->after_buf[0] == '\r' && p->after_buf[1] == '\n') {
                p->state = WAAV_MP_HEADERS;
                p->header_len = 0;

            } else {
                return waav_mp_fail(p, "a multipart boundary is malformed");
            }

            break;

        case WAAV_MP_HEADERS:
            if (p->header_len == sizeof(p->header)) {
                return waav_mp_fail(p, "multipart part headers are too long");
            }

            p->header[p->header_len++] = c;

            if (p->header_len >= 4
                && memcmp(p->header + p->header_len - 4, "\r\n\r\n", 4) == 0)
            {
                if (waav_mp_part(p) != 0) {
                    return -1;
                }

                p->state = WAAV_MP_BODY;
                p->match = 0;
            }

            break;

        case WAAV_MP_BODY:
            if (waav_mp_body(p, c) != 0) {
                return -1;
            }

            break;

        default:                        /* the epilogue is ignored */
            break;
        }
    }

    return 0;
}


int
waav_mp_finish(waav_mp_parser_t *p)
{
    if (p->error) {
        return -1;
    }

    if (p->state != WAAV_MP_END) {
        return waav_mp_fail(p, "the multipart body never closes");
    }

    if (p->files == 0) {
        return waav_mp_fail(p, "the multipart body has no file part");
    }

    return 0;
}


const waav_mp_field_t *
waav_mp_get(const waav_mp_parser_t *p, const char *name)
{
    size_t  i;

    for (i = 0; i < p->nfields; i++) {
        if (strcmp(p->fields[i].name, name) == 0) {
            return &p->fields[i];
        }
    }

    return NULL;
}
