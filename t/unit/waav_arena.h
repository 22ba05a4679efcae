/*
 * waav tests: the allocator unit tests and fuzzers give the core.
 *
 * The core never frees what it allocates (nginx gives it a request pool),
 * so tests give it an arena on malloc and free everything at once after
 * each test or fuzz input.  The arena grows as needed; WAAV_ARENA_LIMIT
 * bytes in all (default 64 MiB) make waav_arena_alloc return NULL, as a
 * pool that runs out would.
 */

#ifndef WAAV_ARENA_H
#define WAAV_ARENA_H

#include <stdlib.h>

#include "waav_alloc.h"

#ifndef WAAV_ARENA_LIMIT
#define WAAV_ARENA_LIMIT  (64u * 1024 * 1024)
#endif

static void   **waav_arena_ptrs;
static size_t   waav_arena_n;
static size_t   waav_arena_cap;
static size_t   waav_arena_bytes;

static __attribute__((unused)) void *
waav_arena_alloc(void *data, size_t size)
{
    void    *p, **ptrs;
    size_t   cap;

    (void) data;

    if (size > WAAV_ARENA_LIMIT - waav_arena_bytes) {
        return NULL;
    }

    if (waav_arena_n == waav_arena_cap) {
        cap = waav_arena_cap ? waav_arena_cap * 2 : 256;
        ptrs = realloc(waav_arena_ptrs, cap * sizeof(void *));
        if (ptrs == NULL) {
            return NULL;
        }

        waav_arena_ptrs = ptrs;
        waav_arena_cap = cap;
    }

    p = malloc(size ? size : 1);
    if (p == NULL) {
        return NULL;
    }

    waav_arena_bytes += size;
    waav_arena_ptrs[waav_arena_n++] = p;

    return p;
}

/* frees everything allocated since the last call */
static __attribute__((unused)) void
waav_arena_reset(void)
{
    while (waav_arena_n) {
        free(waav_arena_ptrs[--waav_arena_n]);
    }

    waav_arena_bytes = 0;
}

/* a cmocka teardown */
static __attribute__((unused)) int
waav_arena_teardown(void **state)
{
    (void) state;
    waav_arena_reset();
    return 0;
}

static waav_alloc_t  WAAV_ARENA __attribute__((unused)) = { waav_arena_alloc, NULL };

#endif /* WAAV_ARENA_H */
