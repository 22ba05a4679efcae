/*
 * libFuzzer target: provider error bodies to client messages.  The key
 * must never come out whole.  `make fuzz`.
 *
 * fuzz-covers: waav_errmsg.c
 */

#include <stdint.h>
#include <string.h>
#include <stdlib.h>

#include "waav_errmsg.h"
#include "waav_json.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char         out[WAAV_ERRMSG_MAX + 1];
    size_t       n;
    const char  *key = "sk-FUZZ-0123456789";

    n = waav_provider_message((const char *) data, size, key, strlen(key),
                              out, sizeof(out));

    if (n > WAAV_ERRMSG_MAX || out[n] != '\0' || strstr(out, key) != NULL) {
        abort();
    }

    return 0;
}
