/* The allocation hook and the graph arena.
 *
 * Every allocation in the library goes through tg__malloc so that tests can
 * fail the Nth one and prove each path reports TG_ERR_OOM and leaks nothing.
 */
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>

static void *default_alloc(size_t size, size_t align, void *ud)
{
    (void)ud;
    /* aligned_alloc wants size to be a multiple of align. */
    size_t rounded = (size + align - 1) & ~(align - 1);
    return aligned_alloc(align, rounded ? rounded : align);
}

static void default_free(void *p, void *ud)
{
    (void)ud;
    free(p);
}

static tg_alloc_fn hook_alloc = default_alloc;
static tg_free_fn hook_free = default_free;
static void *hook_ud;
static _Atomic uint64_t alloc_count;

void tg_set_allocator(tg_alloc_fn alloc, tg_free_fn release, void *ud)
{
    hook_alloc = alloc ? alloc : default_alloc;
    hook_free = release ? release : default_free;
    hook_ud = (alloc || release) ? ud : NULL;
}

uint64_t tg_alloc_count(void) { return atomic_load(&alloc_count); }

void *tg__malloc(size_t size)
{
    void *p = hook_alloc(size ? size : 1, TG_ALIGN, hook_ud);
    if (p) atomic_fetch_add(&alloc_count, 1);
    return p;
}

void *tg__calloc(size_t size)
{
    void *p = tg__malloc(size);
    if (p) memset(p, 0, size);
    return p;
}

void tg__free(void *p)
{
    if (p) hook_free(p, hook_ud);
}

bool tg__reserve(void **buf, int64_t *cap, int64_t n, size_t sz)
{
    if (n <= *cap) return true;
    int64_t ncap = *cap ? *cap : 64;
    while (ncap < n) ncap *= 2;
    void *nb = tg__malloc((size_t)ncap * sz);
    if (!nb) return false;
    if (*buf) {
        memcpy(nb, *buf, (size_t)*cap * sz);
        tg__free(*buf);
    }
    *buf = nb;
    *cap = ncap;
    return true;
}

/* ---------------------------------------------------------------- arena */

#define CHUNK_MIN ((size_t)1 << 20)

void *tg__arena_alloc(tg_arena *a, size_t size)
{
    size = (size + TG_ALIGN - 1) & ~(size_t)(TG_ALIGN - 1);
    if (size == 0) size = TG_ALIGN;
    tg_chunk *c = a->cur;
    /* Walk forward through chunks kept from earlier steps; a chunk is
     * rewound when it is entered, which keeps tg__arena_reset O(1). */
    while (c && c->cap - c->used < size) {
        if (!c->next) break;
        c = c->next;
        c->used = 0;
    }
    if (!c || c->cap - c->used < size) {
        size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
        tg_chunk *nc = tg__malloc(sizeof *nc);
        if (!nc) return NULL;
        nc->mem = tg__malloc(cap);
        if (!nc->mem) {
            tg__free(nc);
            return NULL;
        }
        nc->cap = cap;
        nc->used = 0;
        nc->next = NULL;
        if (c) c->next = nc; else a->head = nc;
        c = nc;
    }
    a->cur = c;
    void *p = c->mem + c->used;
    c->used += size;
    return p;
}

void tg__arena_reset(tg_arena *a)
{
    a->cur = a->head;
    if (a->head) a->head->used = 0;
}

void tg__arena_free(tg_arena *a)
{
    tg_chunk *c = a->head;
    while (c) {
        tg_chunk *n = c->next;
        tg__free(c->mem);
        tg__free(c);
        c = n;
    }
    a->head = a->cur = NULL;
}
