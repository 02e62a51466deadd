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

/* tg_set_allocator installed a hook of the caller's (src/graph.c). */
bool tg__custom_allocator(void);
bool tg__custom_allocator(void) { return hook_alloc != default_alloc; }

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
    tg__arena_chunk *c = a->cur;
    /* Walk forward through chunks kept from earlier steps; a chunk is
     * rewound when it is entered, which keeps tg__arena_reset O(1). */
    while (c && c->cap - c->used < size) {
        if (!c->next) break;
        c = c->next;
        c->used = 0;
    }
    if (!c || c->cap - c->used < size) {
        size_t cap = size > CHUNK_MIN ? size : CHUNK_MIN;
        if (cap > a->limit || a->held > a->limit - cap) {
            a->over = true;
            a->over_req = cap;
            return NULL;
        }
        tg__arena_chunk *nc = tg__malloc(sizeof *nc);
        if (!nc) return NULL;
        nc->mem = tg__malloc(cap);
        if (!nc->mem) {
            tg__free(nc);
            return NULL;
        }
        nc->cap = cap;
        nc->used = 0;
        nc->next = NULL;
        a->held += cap;
        if (c) c->next = nc; else a->head = nc;
        c = nc;
    }
    a->cur = c;
    void *p = c->mem + c->used;
    c->used += size;
    return p;
}

/* ------------------------------------------------------ tensor headers */

/* A segment of n slots inserted after the cursor's segment (or as the
 * ring's first); the cursor moves to its start. */
static bool hdr_grow(tg_arena *a, int64_t n)
{
    size_t bytes = sizeof(tg_hdr_seg) + (size_t)n * sizeof(tg_tensor);
    if (bytes > a->limit || a->held > a->limit - bytes) {
        a->over = true;
        a->over_req = bytes;
        return false;
    }
    tg_hdr_seg *s = tg__malloc(bytes);
    if (!s) return false;
    s->hw = s->slot;
    s->end = s->slot + n;
    if (a->hseg) {
        s->next = a->hseg->next;
        a->hseg->next = s;
    } else {
        s->next = s;
    }
    a->hseg = s;
    a->hpos = s->slot;
    a->h_slots += n;
    a->held += bytes;
    return true;
}

/* The cursor is at the end of its segment, or at a header made in this
 * or the previous epoch (the ring holds nothing older: it is full). */
tg_tensor *tg__hdr_alloc_slow(tg_arena *a, uint32_t epoch)
{
    tg_hdr_seg *s = a->hseg;
    if (s && a->hpos >= s->end) {
        tg_hdr_seg *n = s->next; /* the oldest headers, or unused slots */
        if (n->hw == n->slot || (uint32_t)(epoch - n->slot[0].epoch) >= 2) {
            a->hseg = n;
            a->hpos = n->slot;
            return tg__hdr_alloc(a, epoch);
        }
    }
    int64_t n = a->h_slots > TG_HDR_MIN ? a->h_slots : TG_HDR_MIN;
    if (!hdr_grow(a, n)) return NULL;
    return tg__hdr_alloc(a, epoch);
}

void tg__arena_reset(tg_arena *a)
{
    a->cur = a->head;
    if (a->head) a->head->used = 0;
    /* Room for the next step without touching the last one's headers:
     * grown here, so a steady loop allocates only in its first step. A
     * refusal is left to the next step's allocations to report. */
    if (a->h_used > 0 && a->h_slots < 2 * a->h_used)
        hdr_grow(a, 2 * a->h_used - a->h_slots);
    a->h_used = 0;
    a->over = false;
}

void tg__arena_free(tg_arena *a)
{
    tg__arena_chunk *c = a->head;
    while (c) {
        tg__arena_chunk *n = c->next;
        tg__free(c->mem);
        tg__free(c);
        c = n;
    }
    a->head = a->cur = NULL;
    tg_hdr_seg *s = a->hseg;
    if (s) {
        tg_hdr_seg *first = s;
        do {
            tg_hdr_seg *n = s->next;
            tg__free(s);
            s = n;
        } while (s != first);
    }
    a->hseg = NULL;
    a->hpos = NULL;
    a->h_slots = a->h_used = 0;
    a->held = 0;
}
