/*
 * waav: a streaming multipart/form-data parser.
 *
 * Fed the request body piece by piece as it arrives (before nginx may
 * spool it to a file), it keeps the small fields and only the byte range
 * of the one file part, so the audio can later be sent on without being
 * copied or read back.  Pure C, bounded memory.
 */

#ifndef WAAV_MULTIPART_H
#define WAAV_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#define WAAV_MP_MAX_BOUNDARY  70
#define WAAV_MP_MAX_FIELDS    16
#define WAAV_MP_MAX_VALUE     4096
#define WAAV_MP_MAX_HEADER    2048

typedef struct {
    char      name[64];
    char      value[WAAV_MP_MAX_VALUE];
    size_t    len;
} waav_mp_field_t;

typedef struct {
    /* the delimiter "\r\n--boundary" and its KMP failure table */
    char             delim[WAAV_MP_MAX_BOUNDARY + 4];
    size_t           dlen;
    size_t           fail[WAAV_MP_MAX_BOUNDARY + 4];
    size_t           match;

    int              state;
    uint64_t         offset;            /* body bytes seen */

    char             header[WAAV_MP_MAX_HEADER];
    size_t           header_len;
    int              after;             /* bytes after a delimiter */
    char             after_buf[2];

    waav_mp_field_t  fields[WAAV_MP_MAX_FIELDS];
    size_t           nfields;
    waav_mp_field_t *current;           /* the field being read */
    int              in_file;

    int              files;
    uint64_t         file_start;        /* [file_start, file_end) */
    uint64_t         file_end;
    char             file_type[128];
    char             file_name[128];

    const char      *error;             /* set once, parsing stops */
} waav_mp_parser_t;

/* from the Content-Type header; -1 when it has no usable boundary */
int waav_mp_init(waav_mp_parser_t *p, const char *content_type, size_t len);

/* feeds the next bytes; -1 when the body is not well-formed (p->error) */
int waav_mp_feed(waav_mp_parser_t *p, const char *data, size_t len);

/* after the last bytes: -1 unless closed with exactly one file part */
int waav_mp_finish(waav_mp_parser_t *p);

/* a field's value, NULL when absent */
const waav_mp_field_t *waav_mp_get(const waav_mp_parser_t *p,
    const char *name);

#endif /* WAAV_MULTIPART_H */
