/* Shared by the fuzz harnesses: an allocation hook that refuses huge
 * requests (an expression can legally ask for a 10^12-element tensor; the
 * library must report TG_ERR_OOM, and the fuzzer must not try to map it). */
#ifndef TAPEGRAD_FUZZ_COMMON_H
#define TAPEGRAD_FUZZ_COMMON_H

#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#define FUZZ_ALLOC_LIMIT ((size_t)64 << 20)

static void *fuzz_alloc(size_t size, size_t align, void *ud)
{
    (void)ud;
    if (size > FUZZ_ALLOC_LIMIT) return NULL;
    size_t rounded = (size + align - 1) & ~(align - 1);
    return aligned_alloc(align, rounded ? rounded : align);
}

static void fuzz_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static void fuzz_init(void)
{
    static int done;
    if (done) return;
    done = 1;
    tg_set_allocator(fuzz_alloc, fuzz_free, NULL);
    tg_set_num_threads(1);
}

#endif
