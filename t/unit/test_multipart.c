/*
 * Unit tests for src/core/waav_multipart.c: fields, the file part's byte
 * range, every split of the input, malformed bodies (cmocka).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "waav_multipart.h"


#define CT  "multipart/form-data; boundary=XyZ123"

static const char  body[] =
    "--XyZ123\r\n"
    "Content-Disposition: form-data; name=\"model\"\r\n\r\n"
    "whisper-1\r\n"
    "--XyZ123\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
    "Content-Type: audio/wav\r\n\r\n"
    "RIFF\r\n--XyZ12 not a boundary\r\n-\r\n--XyZdata"
    "\r\n--XyZ123\r\n"
    "Content-Disposition: form-data; name=\"language\"\r\n\r\n"
    "en\r\n"
    "--XyZ123--\r\n";


static void
check(waav_mp_parser_t *p)
{
    const char  *file;

    assert_int_equal(waav_mp_finish(p), 0);
    assert_string_equal(waav_mp_get(p, "model")->value, "whisper-1");
    assert_string_equal(waav_mp_get(p, "language")->value, "en");
    assert_null(waav_mp_get(p, "prompt"));
    assert_string_equal(p->file_type, "audio/wav");
    assert_string_equal(p->file_name, "a.wav");

    file = strstr(body, "RIFF");
    assert_int_equal(p->file_start, (uint64_t) (file - body));
    assert_int_equal(p->file_end - p->file_start,
                     strlen("RIFF\r\n--XyZ12 not a boundary\r\n-\r\n--XyZdata"));
}


static void
test_whole(void **state)
{
    waav_mp_parser_t  *p;

    (void) state;

    p = malloc(sizeof(*p));
    assert_int_equal(waav_mp_init(p, CT, strlen(CT)), 0);
    assert_int_equal(waav_mp_feed(p, body, strlen(body)), 0);
    check(p);
    free(p);
}


static void
test_every_split(void **state)
{
    size_t             i, j;
    waav_mp_parser_t  *p;

    (void) state;

    p = malloc(sizeof(*p));

    for (i = 0; i <= strlen(body); i++) {
        assert_int_equal(waav_mp_init(p, CT, strlen(CT)), 0);
        assert_int_equal(waav_mp_feed(p, body, i), 0);
        assert_int_equal(waav_mp_feed(p, body + i, strlen(body) - i), 0);
        check(p);
    }

    /* one byte at a time */
    assert_int_equal(waav_mp_init(p, CT, strlen(CT)), 0);

    for (j = 0; j < strlen(body); j++) {
        assert_int_equal(waav_mp_feed(p, body + j, 1), 0);
    }

    check(p);
    free(p);
}


static void
fails(const char *ct, const char *b, const char *why)
{
    waav_mp_parser_t  *p;
    int                rc;

    p = malloc(sizeof(*p));
    rc = waav_mp_init(p, ct, strlen(ct));

    if (rc == 0) {
        rc = waav_mp_feed(p, b, strlen(b));
    }

    if (rc == 0) {
        rc = waav_mp_finish(p);
    }

    assert_int_equal(rc, -1);

    if (strstr(p->error, why) == NULL) {
        fail_msg("\"%s\" lacks \"%s\"", p->error, why);
    }

    free(p);
}


static void
test_malformed(void **state)
{
    char  big[8000];

    (void) state;

    fails("text/plain", "", "multipart/form-data");
    fails("multipart/form-data", "", "boundary");

    fails(CT, "--XyZ123\r\nContent-Disposition: form-data; name=\"model\""
          "\r\n\r\nw\r\n--XyZ123--\r\n", "no file part");

    fails(CT, "--XyZ123\r\nContent-Disposition: form-data; name=\"file\"; "
          "filename=\"a\"\r\n\r\nx\r\n--XyZ123\r\nContent-Disposition: "
          "form-data; name=\"file\"; filename=\"b\"\r\n\r\ny\r\n--XyZ123--\r\n",
          "one file part");

    fails(CT, "--XyZ123\r\nContent-Disposition: form-data; name=\"file\"; "
          "filename=\"a\"\r\n\r\nnever closed", "never closes");

    fails(CT, "--XyZ123\r\nContent-Disposition: form-data\r\n\r\nx\r\n"
          "--XyZ123--\r\n", "no name");

    /* a field twice (the first read by one layer, the second by another) */
    fails(CT, "--XyZ123\r\nContent-Disposition: form-data; name=\"model\""
          "\r\n\r\nwhisper-1\r\n--XyZ123\r\nContent-Disposition: "
          "form-data; name=\"model\"\r\n\r\nother\r\n--XyZ123--\r\n",
          "twice");

    {
        static const char  head[] = "--XyZ123\r\nContent-Disposition: "
                                    "form-data; name=\"prompt\"\r\n\r\n";

        memset(big, 'v', sizeof(big));
        memcpy(big, head, sizeof(head) - 1);
    }
    big[sizeof(big) - 1] = '\0';
    fails(CT, big, "too long");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_malformed),
    };

    return cmocka_run_group_tests_name("waav_multipart", tests, NULL, NULL);
}
