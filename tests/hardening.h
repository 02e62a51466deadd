/* Shared by the hardening tests: an allocation hook that counts live
 * blocks, can fail the Nth allocation (once, or from then on) and refuses
 * requests above a size cap, so out-of-memory paths can be driven
 * deterministically and leaks show up as a non-zero live count. */
#ifndef TAPEGRAD_TESTS_HARDENING_H
#define TAPEGRAD_TESTS_HARDENING_H

#include <stdbool.h>
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

typedef struct hd_alloc {
    long fail_at;     /* 1-based index of the allocation to fail; <= 0: none */
    bool persistent;  /* fail every allocation from fail_at on               */
    size_t cap;       /* refuse requests above this many bytes (0: no cap)   */
    long n_allocs;    /* allocation requests seen                           */
    long live;        /* blocks handed out and not yet released             */
    long failed;      /* requests refused                                   */
} hd_alloc;

static void *hd_alloc_fn(size_t size, size_t align, void *ud)
{
    hd_alloc *a = ud;
    long k = ++a->n_allocs;
    if ((a->fail_at > 0 &&
         (k == a->fail_at || (a->persistent && k > a->fail_at))) ||
        (a->cap && size > a->cap)) {
        a->failed++;
        return NULL;
    }
    size_t r = (size + align - 1) & ~(align - 1);
    void *p = aligned_alloc(align, r ? r : align);
    if (p) a->live++;
    return p;
}

static void hd_free_fn(void *p, void *ud)
{
    hd_alloc *a = ud;
    if (p) a->live--;
    free(p);
}

/* Install the hook with counters cleared; fail_at <= 0 fails nothing. */
static void hd_install(hd_alloc *a, long fail_at, bool persistent, size_t cap)
{
    a->fail_at = fail_at;
    a->persistent = persistent;
    a->cap = cap;
    a->n_allocs = a->live = a->failed = 0;
    tg_set_allocator(hd_alloc_fn, hd_free_fn, a);
}

static void hd_uninstall(void) { tg_set_allocator(NULL, NULL, NULL); }

#endif
