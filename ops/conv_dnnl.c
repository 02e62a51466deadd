/* f32 convolutions through oneDNN 2.6's convolution primitives (see
 * ops/conv_dnnl.h for the contract, docs/benchmarks.md "Convolution
 * kernels" for the measurements behind the dispatch rule).
 *
 * The three tapegrad ops are oneDNN's three convolution directions on one
 * geometry: conv2d is forward (src x, weights w, bias, dst y),
 * conv_transpose2d is backward-data (diff_dst = its input, diff_src = its
 * output) and conv2d_weight is backward-weights (src x, diff_dst gy,
 * diff_weights). Groups are oneDNN's 5-D goihw weights, whose memory is
 * tapegrad's [O, C / G, KH, KW] as it is; a 1-D op is the 2-D one with a
 * height of 1.
 *
 * Layouts. A primitive is created with its operands' layouts left to
 * oneDNN ("any"): it picks blocked ones (nChw16c and the like) for which
 * its JIT kernels are written; on tapegrad's NCHW / OIHW arrays it would
 * run its own im2col + GEMM, which gains nothing over tapegrad's (the
 * measurement). Each call reorders its inputs into blocked copies and its
 * output back, through reorder primitives created with it.
 *
 * Cache. Creating a primitive generates code (milliseconds); every
 * primitive and its reorders are kept per key (direction, geometry,
 * bias, dtype, thread count: oneDNN sizes its work split by the thread
 * count it sees at creation) in a list guarded by a mutex, created once
 * and never changed after, so a found entry is used without the lock. A
 * geometry that oneDNN cannot do is cached too (as "not ok"), so it is
 * tried once. At most CACHE_MAX entries: beyond that a call creates its
 * primitives, uses them and destroys them. The entries stay reachable
 * from `cache` until the process ends (nothing to free by hand; leak
 * checkers see reachable memory).
 *
 * Threads. oneDNN here is its OpenMP build: a primitive runs on
 * omp_get_max_threads() of the calling thread (which tg_set_num_threads
 * sets), on one inside an active parallel region; how a call uses the
 * team is at tg__conv_dnnl. The scratchpad is the
 * caller's (scratchpad mode "user"), allocated per call with the blocked
 * copies, and the stream is created per call, so concurrent calls share
 * nothing that changes. */
#include "ops/conv_dnnl.h"

#include "ops/gemm.h" /* TG_GEMM_BLAS_SERIAL: the same threading limit */

#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/util.h"

#ifndef TG_HAVE_ONEDNN
#define TG_HAVE_ONEDNN 0
#endif

/* ----------------------------------------------------- the path switch */

static _Atomic int path_cached = -1;

tg_conv_path tg__conv_get_path(void)
{
    int v = atomic_load_explicit(&path_cached, memory_order_relaxed);
    if (v >= 0) return (tg_conv_path)v;
    const char *env = getenv("TG_CONV");
    v = TG_CONV_PATH_AUTO;
    if (env && !strcmp(env, "im2col")) v = TG_CONV_PATH_IM2COL;
    if (env && !strcmp(env, "onednn")) v = TG_CONV_PATH_ONEDNN;
    atomic_store_explicit(&path_cached, v, memory_order_relaxed);
    return (tg_conv_path)v;
}

void tg__conv_set_path(tg_conv_path p)
{
    atomic_store_explicit(&path_cached, (int)p, memory_order_relaxed);
}

static _Atomic int64_t n_calls[TG_CONV_NKINDS], n_failures;

int64_t tg__conv_dnnl_calls(tg_conv_kind k)
{
    return k >= 0 && k < TG_CONV_NKINDS ? atomic_load(&n_calls[k]) : 0;
}

int64_t tg__conv_dnnl_failures(void) { return atomic_load(&n_failures); }

static _Atomic int inject_failures;

void tg__conv_dnnl_fail_next(int n) { atomic_store(&inject_failures, n); }

/* true when an injected failure is due (tests of the fallback) */
static __attribute__((unused)) bool injected(void)
{
    int v = atomic_load(&inject_failures);
    while (v > 0)
        if (atomic_compare_exchange_weak(&inject_failures, &v, v - 1))
            return true;
    return false;
}

/* Multiply-adds of one call (the same in all three directions). */
static double conv_flops(const tg_conv_geo *q)
{
    return (double)q->N * (double)q->O * (double)(q->P * q->Q) *
           (double)(q->C / q->G) * (double)(q->KH * q->KW);
}

/* The rule under TG_CONV_PATH_AUTO, from bench_conv_paths (each op
 * through both kernels, 1 and 2 threads; docs/benchmarks.md,
 * "Convolution kernels"): oneDNN when
 *   - the call has at least DNNL_MIN_MADDS multiply-adds (at 5 k the
 *     reorders and the primitive's start cost more than they save, at
 *     41 k oneDNN is 1.0-1.5x faster), and
 *   - forward: the image has at least 4 channels (1.0-1.2x at 2 and 3
 *     channels, 0.65x at 1: the reorder of a thin image to 16-channel
 *     blocks costs as much as the convolution), and the kernel is not a
 *     1x1 at stride 1 without padding (im2col has no columns to make
 *     then: it is one GEMM, 2x faster than oneDNN's);
 *   - backward-data (the transposed direction): the image it writes has
 *     at least 8 channels (0.3-0.8x at 1 to 3 channels, 2x at 8), and
 *     not the 1x1 case either (0.8x);
 *   - backward-weights: always (1.5-2.4x even on one-channel images:
 *     im2col's weight gradient is a thin product per sample).
 * f64 never comes here. */
#define DNNL_MIN_MADDS 16384.0

static bool pointwise(const tg_conv_geo *q)
{
    return q->KH == 1 && q->KW == 1 && q->sh == 1 && q->sw == 1 &&
           q->pt == 0 && q->pl == 0 && q->P == q->H && q->Q == q->W;
}

bool tg__conv_dnnl_wanted(tg_conv_kind k, const tg_conv_geo *q)
{
    if (!TG_HAVE_ONEDNN) return false;
    switch (tg__conv_get_path()) {
    case TG_CONV_PATH_IM2COL: return false;
    case TG_CONV_PATH_ONEDNN: return true;
    case TG_CONV_PATH_AUTO: break;
    }
    if (conv_flops(q) < DNNL_MIN_MADDS) return false;
    switch (k) {
    case TG_CONV_FWD: return q->C >= 4 && !pointwise(q);
    case TG_CONV_BWD_DATA: return q->C >= 8 && !pointwise(q);
    default: return true;
    }
}

#if TG_HAVE_ONEDNN
#include <dnnl.h>
#include <pthread.h>

bool tg__conv_dnnl_available(void) { return true; }

/* ------------------------------------------------------------- engine */

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void engine_init(void)
{
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success)
        engine = NULL;
}

/* -------------------------------------------------------------- cache */

typedef struct ckey {
    int32_t kind, bias, dtype, nthr;
    tg_conv_geo q;
} ckey;

/* Operand slots of a primitive: up to three inputs and one output. */
enum { S_IN0, S_IN1, S_BIAS, S_OUT, NSLOT };

typedef struct centry {
    ckey key;
    bool ok;               /* false: oneDNN cannot do this; im2col */
    bool is_ref;           /* oneDNN's reference implementation */
    dnnl_primitive_t prim; /* the convolution */
    int arg[NSLOT];        /* DNNL_ARG_* of each slot, 0 if unused */
    /* per slot: the plain layout (tapegrad's array), the primitive's,
     * and the reorder between them (to the primitive's for inputs, back
     * for the output; NULL when both are the same) */
    dnnl_memory_desc_t user_md[NSLOT], prim_md[NSLOT];
    dnnl_primitive_t reorder[NSLOT];
    size_t copy_bytes[NSLOT]; /* blocked copy's size, 0 when none */
    size_t scratch_bytes;     /* largest scratchpad of any of them */
    char impl[48];
    struct centry *next;
} centry;

#define CACHE_MAX 256
static centry *cache;
static int cache_n;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

int tg__conv_dnnl_cached(void)
{
    pthread_mutex_lock(&cache_lock);
    int n = cache_n;
    pthread_mutex_unlock(&cache_lock);
    return n;
}

static void entry_destroy(centry *e)
{
    if (!e) return;
    if (e->prim) dnnl_primitive_destroy(e->prim);
    for (int s = 0; s < NSLOT; s++)
        if (e->reorder[s]) dnnl_primitive_destroy(e->reorder[s]);
    free(e);
}

/* ------------------------------------------------------ creation */

/* The primitive's bottom / right padding for an image of H and columns
 * of P: oneDNN wants P = (H + pt + pb - ext) / s + 1 exactly. When the
 * image has rows no tap reaches (P came from a floor, or a transposed
 * convolution's output_padding), the padding that makes the sizes tight
 * is negative; 0 then gives the same P if the rows left over are fewer
 * than the stride. false when no padding works. */
static bool pad_r(int64_t H, int64_t P, int64_t K, int64_t s, int64_t d,
                  int64_t pt, int64_t *pb)
{
    int64_t ext = d * (K - 1) + 1;
    int64_t need = (P - 1) * s + ext - H - pt;
    if (need >= 0) {
        *pb = need;
        return true;
    }
    *pb = 0;
    return H + pt - ext >= 0 && (H + pt - ext) / s + 1 == P;
}

#define TRY(call)                                                          \
    do {                                                                   \
        if ((call) != dnnl_success) goto fail;                             \
    } while (0)

static bool slot_init(centry *e, int s, const dnnl_memory_desc_t *user,
                      const_dnnl_primitive_desc_t pd, dnnl_query_t what,
                      int index, bool input)
{
    const dnnl_memory_desc_t *pm = dnnl_primitive_desc_query_md(pd, what,
                                                                index);
    if (!pm) return false;
    e->user_md[s] = *user;
    e->prim_md[s] = *pm;
    if (dnnl_memory_desc_equal(user, pm)) return true;
    e->copy_bytes[s] = dnnl_memory_desc_get_size(pm);
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    bool ok = false;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success) return false;
    if (dnnl_primitive_attr_set_scratchpad_mode(attr,
                                                dnnl_scratchpad_mode_user) ==
            dnnl_success &&
        dnnl_reorder_primitive_desc_create(&rpd, input ? user : pm, engine,
                                           input ? pm : user, engine,
                                           attr) == dnnl_success) {
        const dnnl_memory_desc_t *sp = dnnl_primitive_desc_query_md(
            rpd, dnnl_query_scratchpad_md, 0);
        size_t sb = sp ? dnnl_memory_desc_get_size(sp) : 0;
        if (sb > e->scratch_bytes) e->scratch_bytes = sb;
        ok = dnnl_primitive_create(&e->reorder[s], rpd) == dnnl_success;
    }
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    dnnl_primitive_attr_destroy(attr);
    return ok;
}

/* A new entry for key (ok false when oneDNN cannot do it; NULL only when
 * out of memory). */
static centry *entry_create(const ckey *key)
{
    centry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->key = *key;
    const tg_conv_geo *q = &key->q;
    int64_t pb, pr;
    if (!pad_r(q->H, q->P, q->KH, q->sh, q->dh, q->pt, &pb) ||
        !pad_r(q->W, q->Q, q->KW, q->sw, q->dw, q->pl, &pr))
        return e;
    int64_t Cg = q->C / q->G, Og = q->O / q->G;
    dnnl_dims_t xd = {q->N, q->C, q->H, q->W}, yd = {q->N, q->O, q->P, q->Q};
    dnnl_dims_t wd = {q->O, Cg, q->KH, q->KW}, bd = {q->O};
    dnnl_dims_t wgd = {q->G, Og, Cg, q->KH, q->KW};
    dnnl_dims_t st = {q->sh, q->sw}, dil = {q->dh - 1, q->dw - 1};
    dnnl_dims_t pl = {q->pt, q->pl}, prr = {pb, pr};
    bool grouped = q->G > 1;
    dnnl_memory_desc_t xm, wm, bm, ym, xa, wa, ya;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t fpd = NULL, pd = NULL;
    dnnl_convolution_desc_t cd;
    TRY(dnnl_memory_desc_init_by_tag(&xm, 4, xd, dnnl_f32, dnnl_nchw));
    TRY(dnnl_memory_desc_init_by_tag(&ym, 4, yd, dnnl_f32, dnnl_nchw));
    TRY(dnnl_memory_desc_init_by_tag(&bm, 1, bd, dnnl_f32, dnnl_x));
    if (grouped)
        TRY(dnnl_memory_desc_init_by_tag(&wm, 5, wgd, dnnl_f32, dnnl_goihw));
    else
        TRY(dnnl_memory_desc_init_by_tag(&wm, 4, wd, dnnl_f32, dnnl_oihw));
    TRY(dnnl_memory_desc_init_by_tag(&xa, 4, xd, dnnl_f32,
                                     dnnl_format_tag_any));
    TRY(dnnl_memory_desc_init_by_tag(&ya, 4, yd, dnnl_f32,
                                     dnnl_format_tag_any));
    TRY(dnnl_memory_desc_init_by_tag(&wa, grouped ? 5 : 4,
                                     grouped ? wgd : wd, dnnl_f32,
                                     dnnl_format_tag_any));
    TRY(dnnl_primitive_attr_create(&attr));
    TRY(dnnl_primitive_attr_set_scratchpad_mode(attr,
                                                dnnl_scratchpad_mode_user));
    bool bias = key->bias;
    /* forward: the primitive itself, or the hint the backward ones need */
    TRY(dnnl_dilated_convolution_forward_desc_init(
        &cd,
        key->kind == TG_CONV_FWD ? dnnl_forward_inference
                                 : dnnl_forward_training,
        dnnl_convolution_direct, &xa, &wa,
        key->kind == TG_CONV_BWD_WEIGHTS || bias ? &bm : NULL, &ya, st, dil,
        pl, prr));
    TRY(dnnl_primitive_desc_create(&fpd, &cd,
                                   key->kind == TG_CONV_FWD ? attr : NULL,
                                   engine, NULL));
    if (key->kind == TG_CONV_FWD) {
        pd = fpd, fpd = NULL;
        e->arg[S_IN0] = DNNL_ARG_SRC, e->arg[S_IN1] = DNNL_ARG_WEIGHTS;
        e->arg[S_BIAS] = bias ? DNNL_ARG_BIAS : 0;
        e->arg[S_OUT] = DNNL_ARG_DST;
        if (!slot_init(e, S_IN0, &xm, pd, dnnl_query_src_md, 0, true) ||
            !slot_init(e, S_IN1, &wm, pd, dnnl_query_weights_md, 0, true) ||
            (bias &&
             !slot_init(e, S_BIAS, &bm, pd, dnnl_query_weights_md, 1,
                        true)) ||
            !slot_init(e, S_OUT, &ym, pd, dnnl_query_dst_md, 0, false))
            goto fail;
    } else if (key->kind == TG_CONV_BWD_DATA) {
        TRY(dnnl_dilated_convolution_backward_data_desc_init(
            &cd, dnnl_convolution_direct, &xa, &wa, &ya, st, dil, pl, prr));
        TRY(dnnl_primitive_desc_create(&pd, &cd, attr, engine, fpd));
        e->arg[S_IN0] = DNNL_ARG_DIFF_DST, e->arg[S_IN1] = DNNL_ARG_WEIGHTS;
        e->arg[S_OUT] = DNNL_ARG_DIFF_SRC;
        if (!slot_init(e, S_IN0, &ym, pd, dnnl_query_diff_dst_md, 0, true) ||
            !slot_init(e, S_IN1, &wm, pd, dnnl_query_weights_md, 0, true) ||
            !slot_init(e, S_OUT, &xm, pd, dnnl_query_diff_src_md, 0, false))
            goto fail;
    } else {
        TRY(dnnl_dilated_convolution_backward_weights_desc_init(
            &cd, dnnl_convolution_direct, &xa, &wa, NULL, &ya, st, dil, pl,
            prr));
        TRY(dnnl_primitive_desc_create(&pd, &cd, attr, engine, fpd));
        e->arg[S_IN0] = DNNL_ARG_SRC, e->arg[S_IN1] = DNNL_ARG_DIFF_DST;
        e->arg[S_OUT] = DNNL_ARG_DIFF_WEIGHTS;
        if (!slot_init(e, S_IN0, &xm, pd, dnnl_query_src_md, 0, true) ||
            !slot_init(e, S_IN1, &ym, pd, dnnl_query_diff_dst_md, 0, true) ||
            !slot_init(e, S_OUT, &wm, pd, dnnl_query_diff_weights_md, 0,
                       false))
            goto fail;
    }
    const char *impl = "?";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(e->impl, sizeof e->impl, "%s", impl ? impl : "?");
    e->is_ref = !strncmp(e->impl, "ref", 3);
    const dnnl_memory_desc_t *sp =
        dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t sb = sp ? dnnl_memory_desc_get_size(sp) : 0;
    if (sb > e->scratch_bytes) e->scratch_bytes = sb;
    TRY(dnnl_primitive_create(&e->prim, pd));
    e->ok = true;
fail:
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (fpd) dnnl_primitive_desc_destroy(fpd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!e->ok) { /* keep the key, drop what was made */
        centry *bad = calloc(1, sizeof *bad);
        if (bad) bad->key = *key, snprintf(bad->impl, sizeof bad->impl, "-");
        entry_destroy(e);
        e = bad;
    }
    return e;
}

/* The entry for key, created on first use. *owned: the caller must
 * destroy it (the cache was full). NULL only when out of memory. */
static centry *entry_get(const ckey *key, bool *owned)
{
    *owned = false;
    /* the list only grows at its head and entries never change: walk it
     * from a snapshot of the head without the lock */
    centry *head = __atomic_load_n(&cache, __ATOMIC_ACQUIRE);
    for (centry *e = head; e; e = e->next)
        if (!memcmp(&e->key, key, sizeof *key)) return e;
    /* create outside the lock (code generation takes milliseconds);
     * another thread may make the same entry meanwhile: the first one
     * in wins */
    centry *n = entry_create(key);
    if (!n) return NULL;
    pthread_mutex_lock(&cache_lock);
    for (centry *e = cache; e; e = e->next)
        if (!memcmp(&e->key, key, sizeof *key)) {
            pthread_mutex_unlock(&cache_lock);
            entry_destroy(n);
            return e;
        }
    if (cache_n >= CACHE_MAX) {
        pthread_mutex_unlock(&cache_lock);
        *owned = true;
        return n;
    }
    n->next = cache;
    __atomic_store_n(&cache, n, __ATOMIC_RELEASE);
    cache_n++;
    pthread_mutex_unlock(&cache_lock);
    return n;
}

static void key_of(ckey *k, tg_conv_kind kind, const tg_conv_geo *q,
                   bool bias)
{
    memset(k, 0, sizeof *k); /* padding bytes too: keys compare by memcmp */
    k->kind = kind, k->bias = bias, k->dtype = TG_F32;
    k->nthr = omp_in_parallel() ? 1 : omp_get_max_threads();
    k->q = *q;
}

/* Any cached entry of this direction and geometry, whatever its batch
 * and thread count (a split call caches blocks of the batch). */
const char *tg__conv_dnnl_impl(tg_conv_kind k, const tg_conv_geo *q)
{
    tg_conv_geo a = *q;
    a.N = 0;
    for (centry *e = __atomic_load_n(&cache, __ATOMIC_ACQUIRE); e;
         e = e->next) {
        tg_conv_geo b = e->key.q;
        b.N = 0;
        if (e->key.kind == (int32_t)k && e->ok && !memcmp(&a, &b, sizeof a))
            return e->impl;
    }
    return "";
}

/* ---------------------------------------------------------- execution */

static bool run(const centry *e, float *out, const float *a, const float *b,
                const float *bias)
{
    void *user[NSLOT] = {(void *)a, (void *)b, (void *)bias, out};
    dnnl_memory_t um[NSLOT] = {0}, pm[NSLOT] = {0}, scratch = NULL;
    dnnl_stream_t strm = NULL;
    bool ok = false;
    /* one allocation: the blocked copies, then the scratchpad */
    size_t off[NSLOT + 1], total = 0;
    for (int s = 0; s < NSLOT; s++) {
        off[s] = total;
        if (e->arg[s]) total += (e->copy_bytes[s] + 63) & ~(size_t)63;
    }
    off[NSLOT] = total;
    total += e->scratch_bytes;
    if (injected()) return false;
    char *buf = total ? tg__malloc(total) : NULL;
    if (total && !buf) return false;
    TRY(dnnl_stream_create(&strm, engine, dnnl_stream_default_flags));
    for (int s = 0; s < NSLOT; s++) {
        if (!e->arg[s]) continue;
        TRY(dnnl_memory_create(&um[s], &e->user_md[s], engine, user[s]));
        if (e->copy_bytes[s])
            TRY(dnnl_memory_create(&pm[s], &e->prim_md[s], engine,
                                   buf + off[s]));
    }
    if (e->scratch_bytes) {
        dnnl_memory_desc_t sd;
        dnnl_dims_t n = {(dnnl_dim_t)e->scratch_bytes};
        TRY(dnnl_memory_desc_init_by_tag(&sd, 1, n, dnnl_u8, dnnl_x));
        TRY(dnnl_memory_create(&scratch, &sd, engine, buf + off[NSLOT]));
    }
    dnnl_exec_arg_t args[NSLOT + 1];
    int na = 0;
    for (int s = 0; s < NSLOT; s++) {
        if (!e->arg[s]) continue;
        dnnl_memory_t m = pm[s] ? pm[s] : um[s];
        if (pm[s] && s != S_OUT) {
            dnnl_exec_arg_t r[3] = {{DNNL_ARG_FROM, um[s]},
                                    {DNNL_ARG_TO, pm[s]},
                                    {DNNL_ARG_SCRATCHPAD, scratch}};
            TRY(dnnl_primitive_execute(e->reorder[s], strm, scratch ? 3 : 2,
                                       r));
        }
        args[na++] = (dnnl_exec_arg_t){e->arg[s], m};
    }
    if (scratch) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, scratch};
    TRY(dnnl_primitive_execute(e->prim, strm, na, args));
    if (pm[S_OUT]) {
        dnnl_exec_arg_t r[3] = {{DNNL_ARG_FROM, pm[S_OUT]},
                                {DNNL_ARG_TO, um[S_OUT]},
                                {DNNL_ARG_SCRATCHPAD, scratch}};
        TRY(dnnl_primitive_execute(e->reorder[S_OUT], strm, scratch ? 3 : 2,
                                   r));
    }
    TRY(dnnl_stream_wait(strm));
    ok = true;
fail:
    for (int s = 0; s < NSLOT; s++) {
        if (um[s]) dnnl_memory_destroy(um[s]);
        if (pm[s]) dnnl_memory_destroy(pm[s]);
    }
    if (scratch) dnnl_memory_destroy(scratch);
    if (strm) dnnl_stream_destroy(strm);
    tg__free(buf);
    return ok;
}

/* One call on the calling thread's team as it is (nthr in the key). */
static bool dnnl_call(tg_conv_kind k, const tg_conv_geo *q, float *out,
                      const float *a, const float *b, const float *bias)
{
    ckey key;
    key_of(&key, k, q, bias != NULL);
    bool owned;
    centry *e = entry_get(&key, &owned);
    /* oneDNN's reference kernels are plain loops, slower than im2col:
     * only a forced path runs them (so that the tests reach them) */
    bool ok = e && e->ok &&
              (!e->is_ref || tg__conv_get_path() == TG_CONV_PATH_ONEDNN) &&
              run(e, out, a, b, bias);
    if (owned) entry_destroy(e);
    return ok;
}

/* The same call on one thread: the calling thread's OpenMP count set to
 * 1 for it (a per-thread setting; other threads are not affected). Also
 * inside a parallel region: oneDNN plans a primitive's work split for
 * omp_get_max_threads() at creation, which there still says the team's
 * size, but runs it on the one thread, which then does only its share
 * (a weight gradient summed over half the samples). */
static bool dnnl_serial(tg_conv_kind k, const tg_conv_geo *q, float *out,
                        const float *a, const float *b, const float *bias)
{
    int saved = omp_get_max_threads();
    bool set = saved > 1;
    if (set) omp_set_num_threads(1);
    bool ok = dnnl_call(k, q, out, a, b, bias);
    if (set) omp_set_num_threads(saved);
    return ok;
}

/* Threads. With a team of nt > 1 threads (the same rule as im2col's:
 * when N * flops is above the GEMM's serial limit, at most one sample per
 * thread) the samples are split across the team, each thread one
 * single-threaded primitive on its block (the weight gradient into a
 * buffer of its own, added up after), rather than oneDNN's own threading:
 * its backward-weights kernels meet at spin barriers between the
 * threads, which cost 10-36 ms per call instead of 0.1 ms when another
 * process holds one of the two cores (bench_conv_paths at load 27). A
 * single large sample uses oneDNN's threads. */
bool tg__conv_dnnl(tg_conv_kind k, const tg_conv_geo *q, float *out,
                   const float *a, const float *b, const float *bias)
{
    if (!tg__conv_dnnl_wanted(k, q)) return false;
    pthread_once(&engine_once, engine_init);
    if (!engine) {
        atomic_fetch_add(&n_failures, 1);
        return false;
    }
    if (k != TG_CONV_FWD) bias = NULL;
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    bool big = conv_flops(q) > (double)TG_GEMM_BLAS_SERIAL;
    if (!big) nt = 1;
    if (q->N < nt) nt = (int)q->N;
    bool ok;
    if (nt <= 1 && q->N == 1 && big) {
        ok = dnnl_call(k, q, out, a, b, bias);
    } else if (nt <= 1) {
        ok = dnnl_serial(k, q, out, a, b, bias);
    } else {
        /* image side per sample, column side per sample, weight size */
        int64_t is = q->C * q->H * q->W, cs = q->O * q->P * q->Q;
        int64_t ws = q->O * (q->C / q->G) * q->KH * q->KW;
        float *acc = NULL;
        if (k == TG_CONV_BWD_WEIGHTS) {
            acc = tg__malloc(sizeof(float) * (size_t)ws * (size_t)(nt - 1));
            if (!acc) {
                atomic_fetch_add(&n_failures, 1);
                return false;
            }
        }
        int fails = 0;
#pragma omp parallel num_threads(nt) reduction(+ : fails)
        {
            int t = omp_get_thread_num(), p = omp_get_num_threads();
            int64_t n0 = q->N * t / p, n1 = q->N * (t + 1) / p;
            tg_conv_geo qt = *q;
            qt.N = n1 - n0;
            bool done = true;
            if (k == TG_CONV_FWD)
                done = dnnl_serial(k, &qt, out + n0 * cs, a + n0 * is, b, bias);
            else if (k == TG_CONV_BWD_DATA)
                done = dnnl_serial(k, &qt, out + n0 * is, a + n0 * cs, b, NULL);
            else
                done = dnnl_serial(k, &qt,
                                   t ? acc + (size_t)(t - 1) * (size_t)ws : out,
                                   a + n0 * is, b + n0 * cs, NULL);
            fails += !done;
            /* a smaller team than asked (the runtime's choice) leaves
             * samples undone: count it as a failure */
            if (t == 0 && p != nt) fails++;
        }
        ok = fails == 0;
        if (ok && acc)
            for (int t = 1; t < nt; t++)
                for (int64_t i = 0; i < ws; i++)
                    out[i] += acc[(size_t)(t - 1) * (size_t)ws + (size_t)i];
        tg__free(acc);
    }
    if (ok) atomic_fetch_add(&n_calls[k], 1);
    else atomic_fetch_add(&n_failures, 1);
    return ok;
}

#else /* no oneDNN: every convolution is im2col + GEMM */

bool tg__conv_dnnl_available(void) { return false; }
int tg__conv_dnnl_cached(void) { return 0; }
const char *tg__conv_dnnl_impl(tg_conv_kind k, const tg_conv_geo *q)
{
    (void)k, (void)q;
    return "";
}
bool tg__conv_dnnl(tg_conv_kind k, const tg_conv_geo *q, float *out,
                   const float *a, const float *b, const float *bias)
{
    (void)k, (void)q, (void)out, (void)a, (void)b, (void)bias;
    return false;
}
#endif
