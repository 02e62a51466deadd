/* Engine kernels (accumulate, reduce-to-shape, broadcast copy, NaN scan),
 * ISA selection and the OpenMP chunking shared by elementwise ops. */
#include "internal.h"
#include "ops/simd.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>

/* --------------------------------------------------------------- threads */

/* OpenBLAS's thread count is global, but OpenMP's is a per-thread setting:
 * omp_set_num_threads changes the calling thread's only, and threads made
 * later start from OMP_NUM_THREADS. So the request is published here with
 * a generation number, and every thread adopts a newer request when it
 * next enters the engine (tg__sync_threads in tg__apply): one relaxed load
 * and a compare per op. */
static _Atomic int threads_req;
_Atomic unsigned tg__threads_gen;
_Thread_local unsigned tg__threads_seen;

void tg__sync_threads_slow(void)
{
    unsigned gen = atomic_load_explicit(&tg__threads_gen, memory_order_acquire);
    int n = atomic_load_explicit(&threads_req, memory_order_relaxed);
    tg__threads_seen = gen;
    if (n > 0) omp_set_num_threads(n);
}

void tg_set_num_threads(int n)
{
    if (n <= 0) n = omp_get_num_procs();
    atomic_store_explicit(&threads_req, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&tg__threads_gen, 1, memory_order_release);
    tg__sync_threads_slow();
    openblas_set_num_threads(n);
}

int tg_get_num_threads(void)
{
    tg__sync_threads();
    return omp_get_max_threads();
}

/* ------------------------------------------------------------------- ISA */

static int isa_cached = -1;

tg_isa tg__isa(void)
{
    int v = __atomic_load_n(&isa_cached, __ATOMIC_RELAXED);
    if (v >= 0) return (tg_isa)v;
    __builtin_cpu_init();
    tg_isa best = TG_ISA_SSE2;
#if defined(__clang__)
    /* clang passes AVX vector arguments to SLEEF's AVX entry points in
     * memory while SLEEF reads registers (see ops/simd.h), so clang builds
     * stay on the SSE2 kernels, whose vector ABI is fixed by x86-64. */
    if (0)
#else
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
#endif
        best = TG_ISA_AVX2;
#if !defined(__clang__)
    if (__builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512dq"))
#else
    if (0)
#endif
        best = TG_ISA_AVX512;
    const char *env = getenv("TG_ISA");
    if (env) { /* may lower the level, never raise it past the CPU's */
        tg_isa want = best;
        if (!strcmp(env, "sse2")) want = TG_ISA_SSE2;
        else if (!strcmp(env, "avx2")) want = TG_ISA_AVX2;
        else if (!strcmp(env, "avx512")) want = TG_ISA_AVX512;
        if (want < best) best = want;
    }
    __atomic_store_n(&isa_cached, (int)best, __ATOMIC_RELAXED);
    return best;
}

const char *tg__isa_name(tg_isa isa)
{
    static const char *const names[] = {"sse2", "avx2", "avx512"};
    return names[isa];
}

/* Chunks are a multiple of 64 elements so every chunk but the last keeps
 * full vectors and whole cache lines. */
#define PAR_BODY(T, FN)                                                     \
    FN k = kernels[tg__isa()];                                              \
    if (n < TG_PAR_MIN || omp_get_max_threads() == 1) {                     \
        k(n, y, x);                                                         \
        return;                                                             \
    }                                                                       \
    _Pragma("omp parallel")                                                 \
    {                                                                       \
        int nt = omp_get_num_threads(), t = omp_get_thread_num();           \
        int64_t per = ((n + nt - 1) / nt + 63) & ~(int64_t)63;              \
        int64_t lo = per * t, hi = lo + per < n ? lo + per : n;             \
        if (lo < hi) k(hi - lo, y + lo, x + lo);                            \
    }

void tg__par_unary_f32(int64_t n, float *y, const float *x,
                       const tg_unary_f32_fn kernels[3])
{
    PAR_BODY(float, tg_unary_f32_fn)
}

void tg__par_unary_f64(int64_t n, double *y, const double *x,
                       const tg_unary_f64_fn kernels[3])
{
    PAR_BODY(double, tg_unary_f64_fn)
}

/* ---------------------------------------------------------- accumulate */

/* Small tensors, and any tensor when one thread is configured, take the
 * plain loop: entering an OpenMP parallel region, even one whose `if`
 * clause is false or whose team is one thread, costs libgomp a team setup
 * and a futex round trip (about 3 us), which dominated the backward pass
 * of scalar graphs. */
#define ACCUMULATE_BODY(T)                                                  \
    {                                                                       \
        T *restrict a = y->data;                                            \
        const T *restrict b = x->data;                                      \
        if (n <= TG_PAR_MIN || omp_get_max_threads() == 1) {                \
            for (int64_t i = 0; i < n; i++) a[i] += b[i];                   \
        } else {                                                            \
            _Pragma("omp parallel for simd")                                \
            for (int64_t i = 0; i < n; i++) a[i] += b[i];                   \
        }                                                                   \
    }

void tg__accumulate(tg_tensor *y, const tg_tensor *x)
{
    int64_t n = y->numel;
    assert(x->numel == n && x->dtype == y->dtype);
    if (y->dtype == TG_F32) ACCUMULATE_BODY(float) else ACCUMULATE_BODY(double)
}

/* ------------------------------------------------------ reduce / expand */

/* out (small) is x reduced over broadcast dims. The plan walks x as the
 * "output" with `out` as operand 0 (stride 0 on reduced dims). */
#define REDUCE_BODY(T)                                                      \
    {                                                                       \
        T *o = out->data;                                                   \
        const T *xv = x->data;                                              \
        memset(o, 0, sizeof(T) * (size_t)out->numel);                       \
        if (out->numel == 1) { /* full reduction: f64 accumulator */        \
            double s = 0;                                                   \
            int64_t n = x->numel;                                           \
            if (n <= TG_PAR_MIN || omp_get_max_threads() == 1) {            \
                for (int64_t i = 0; i < n; i++) s += xv[i];                 \
            } else {                                                        \
                _Pragma("omp parallel for reduction(+ : s)")                \
                for (int64_t i = 0; i < n; i++) s += xv[i];                 \
            }                                                               \
            o[0] = (T)s;                                                    \
            return;                                                         \
        }                                                                   \
        for (int64_t r = 0; r < p.rows; r++) {                              \
            int64_t oa, ob;                                                 \
            tg__bcast_offsets(&p, r, &oa, &ob);                             \
            const T *src = xv + r * p.inner;                                \
            if (p.step[0]) {                                                \
                T *dst = o + oa;                                            \
                for (int64_t j = 0; j < p.inner; j++) dst[j] += src[j];     \
            } else {                                                        \
                double s = 0;                                               \
                for (int64_t j = 0; j < p.inner; j++) s += src[j];          \
                o[oa] += (T)s;                                              \
            }                                                               \
        }                                                                   \
    }

void tg__reduce_sum_to(tg_tensor *out, const tg_tensor *x)
{
    tg_bcast p;
    tg__bcast_plan(&p, x, out, NULL);
    if (x->dtype == TG_F32) REDUCE_BODY(float) else REDUCE_BODY(double)
}

#define BCOPY_BODY(T)                                                       \
    {                                                                       \
        T *o = out->data;                                                   \
        const T *xv = x->data;                                              \
        for (int64_t r = 0; r < p.rows; r++) {                              \
            int64_t oa, ob;                                                 \
            tg__bcast_offsets(&p, r, &oa, &ob);                             \
            T *dst = o + r * p.inner;                                       \
            if (p.step[0])                                                  \
                memcpy(dst, xv + oa, sizeof(T) * (size_t)p.inner);          \
            else                                                            \
                for (int64_t j = 0; j < p.inner; j++) dst[j] = xv[oa];      \
        }                                                                   \
    }

void tg__broadcast_copy(tg_tensor *out, const tg_tensor *x)
{
    tg_bcast p;
    tg__bcast_plan(&p, out, x, NULL);
    if (x->dtype == TG_F32) BCOPY_BODY(float) else BCOPY_BODY(double)
}

int64_t tg__first_nonfinite(const tg_tensor *t)
{
    if (t->dtype == TG_F32) {
        const float *v = t->data;
        for (int64_t i = 0; i < t->numel; i++)
            if (!isfinite(v[i])) return i;
    } else {
        const double *v = t->data;
        for (int64_t i = 0; i < t->numel; i++)
            if (!isfinite(v[i])) return i;
    }
    return -1;
}
