/* Engine kernels (accumulate, reduce-to-shape, broadcast copy, NaN scan),
 * ISA selection and the OpenMP chunking shared by elementwise ops. */
#include "internal.h"
#include "ops/kernels.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>

/* --------------------------------------------------------------- threads */

/* The kernels' serial threshold (internal.h, TG_PAR_MIN); TG_PAR_MIN in the
 * environment replaces the default when it is a whole non-negative
 * number, and is ignored otherwise. */
int64_t tg__par_min = TG_PAR_MIN_DEFAULT;

__attribute__((constructor)) static void par_min_from_env(void)
{
    const char *e = getenv("TG_PAR_MIN");
    if (!e || !*e) return;
    char *end;
    long long v = strtoll(e, &end, 10);
    if (*end == 0 && v >= 0) tg__par_min = (int64_t)v;
}

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

/* the best set this CPU and build can run */
static tg_isa best_isa(void)
{
#if TG_HAVE_SIMD
    __builtin_cpu_init();
    tg_isa best = TG_ISA_SSE2;
#if !defined(__clang__)
    /* clang builds stay on SSE2, as they always have: the AVX units are
     * compiled there too (and tested through TG_ISA), but the choice of
     * the instruction set is left as the GCC build makes it only where
     * GCC built the library */
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        best = TG_ISA_AVX2;
    if (best == TG_ISA_AVX2 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512dq"))
        best = TG_ISA_AVX512;
#endif
    return best;
#else
    return TG_ISA_REF;
#endif
}

tg_isa tg__isa(void)
{
    int v = __atomic_load_n(&isa_cached, __ATOMIC_RELAXED);
    if (v >= 0) return (tg_isa)v;
    tg_isa best = best_isa();
    const char *env = getenv("TG_ISA");
    if (env) { /* may lower the level, never raise it past the CPU's */
        tg_isa want = best;
        if (!strcmp(env, "ref")) want = TG_ISA_REF;
        else if (!strcmp(env, "sse2")) want = TG_ISA_SSE2;
        else if (!strcmp(env, "avx2")) want = TG_ISA_AVX2;
        else if (!strcmp(env, "avx512")) want = TG_ISA_AVX512;
        if (want < best) best = want;
    }
    __atomic_store_n(&isa_cached, (int)best, __ATOMIC_RELAXED);
    return best;
}

const char *tg__isa_name(tg_isa isa)
{
    static const char *const names[] = {"ref", "sse2", "avx2", "avx512"};
    return isa < TG_ISA_COUNT ? names[isa] : "?";
}

const tg_kernel_set *tg__kernels_for(tg_isa isa)
{
#if TG_HAVE_WIDE_SIMD
    /* the AVX sets need the CPU's support (a clang build may still ask
     * for them: they are built and correct there, only not the default) */
    if (isa >= TG_ISA_AVX2) {
        __builtin_cpu_init();
        bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                      __builtin_cpu_supports("avx512dq");
        if (isa == TG_ISA_AVX512 && avx512) return &tg__kernels_avx512;
        if (avx2) return &tg__kernels_avx2;
        return &tg__kernels_sse2;
    }
#endif
#if TG_HAVE_SIMD
    if (isa >= TG_ISA_SSE2) return &tg__kernels_sse2;
#else
    (void)isa;
#endif
    return &tg__kernels_ref;
}

static const tg_kernel_set *_Atomic kernels_cached;

const tg_kernel_set *tg__kernels(void)
{
    const tg_kernel_set *k = atomic_load_explicit(&kernels_cached, memory_order_relaxed);
    if (k) return k;
    k = tg__kernels_for(tg__isa());
    atomic_store_explicit(&kernels_cached, k, memory_order_relaxed);
    return k;
}

void tg__use_kernels(const tg_kernel_set *k)
{
    atomic_store_explicit(&kernels_cached, k, memory_order_relaxed);
}

/* ---------------------------------------------------------- accumulate */

/* Small tensors, and any tensor when one thread is configured, take the
 * plain loop: entering an OpenMP parallel region, even one whose `if`
 * clause is false or whose team is one thread, costs libgomp a team setup
 * and a futex round trip (about 3 us), which dominated the backward pass
 * of scalar graphs. */
static void accumulate_f32(int64_t n, float *restrict a, const float *restrict b)
{
    if (n <= TG_PAR_MIN || omp_get_max_threads() == 1) {
        for (int64_t i = 0; i < n; i++) a[i] += b[i];
        return;
    }
#pragma omp parallel for simd
    for (int64_t i = 0; i < n; i++) a[i] += b[i];
}
static void accumulate_f64(int64_t n, double *restrict a, const double *restrict b)
{
    if (n <= TG_PAR_MIN || omp_get_max_threads() == 1) {
        for (int64_t i = 0; i < n; i++) a[i] += b[i];
        return;
    }
#pragma omp parallel for simd
    for (int64_t i = 0; i < n; i++) a[i] += b[i];
}

void tg__accumulate(tg_tensor *y, const tg_tensor *x)
{
    int64_t n = y->numel;
    assert(x->numel == n && x->dtype == y->dtype);
    if (y->dtype == TG_F32) accumulate_f32(n, y->data, x->data);
    else accumulate_f64(n, y->data, x->data);
}

/* ------------------------------------------------------ reduce / expand */

/* The sum of all n elements in a double accumulator. */
static double sum_all_f32(int64_t n, const float *x)
{
    double s = 0;
    if (n <= TG_PAR_MIN || omp_get_max_threads() == 1) {
        for (int64_t i = 0; i < n; i++) s += x[i];
        return s;
    }
#pragma omp parallel for reduction(+ : s)
    for (int64_t i = 0; i < n; i++) s += x[i];
    return s;
}
static double sum_all_f64(int64_t n, const double *x)
{
    double s = 0;
    if (n <= TG_PAR_MIN || omp_get_max_threads() == 1) {
        for (int64_t i = 0; i < n; i++) s += x[i];
        return s;
    }
#pragma omp parallel for reduction(+ : s)
    for (int64_t i = 0; i < n; i++) s += x[i];
    return s;
}

/* out (small) is x reduced over broadcast dims. The plan walks x as the
 * "output" with `out` as operand 0 (stride 0 on reduced dims); rows that
 * reduce to one element are summed in double. */
static void reduce_rows_f32(const tg_bcast *p, float *o, const float *xv)
{
    for (int64_t r = 0; r < p->rows; r++) {
        int64_t oa, ob;
        tg__bcast_offsets(p, r, &oa, &ob);
        const float *src = xv + r * p->inner;
        if (p->step[0]) {
            float *dst = o + oa;
            for (int64_t j = 0; j < p->inner; j++) dst[j] += src[j];
        } else {
            /* double partial sums in vector lanes: a serial double chain
             * runs at one add per 3-4 cycles (a convolution's bias
             * gradient sums N C rows of H W elements here) */
            double s = 0;
#pragma omp simd reduction(+ : s)
            for (int64_t j = 0; j < p->inner; j++) s += src[j];
            o[oa] += (float)s;
        }
    }
}
static void reduce_rows_f64(const tg_bcast *p, double *o, const double *xv)
{
    for (int64_t r = 0; r < p->rows; r++) {
        int64_t oa, ob;
        tg__bcast_offsets(p, r, &oa, &ob);
        const double *src = xv + r * p->inner;
        if (p->step[0]) {
            double *dst = o + oa;
            for (int64_t j = 0; j < p->inner; j++) dst[j] += src[j];
        } else {
            double s = 0;
#pragma omp simd reduction(+ : s)
            for (int64_t j = 0; j < p->inner; j++) s += src[j];
            o[oa] += s;
        }
    }
}

void tg__reduce_sum_to(tg_tensor *out, const tg_tensor *x)
{
    bool f32 = x->dtype == TG_F32;
    memset(out->data, 0, (f32 ? sizeof(float) : sizeof(double)) * (size_t)out->numel);
    if (out->numel == 1) { /* full reduction: f64 accumulator */
        if (f32) *(float *)out->data = (float)sum_all_f32(x->numel, x->data);
        else *(double *)out->data = sum_all_f64(x->numel, x->data);
        return;
    }
    tg_bcast p;
    tg__bcast_plan(&p, x, out, NULL);
    if (f32) reduce_rows_f32(&p, out->data, x->data);
    else reduce_rows_f64(&p, out->data, x->data);
}

/* out = x broadcast to out's shape: whole rows copied, or one value
 * repeated along a row */
void tg__broadcast_copy(tg_tensor *out, const tg_tensor *x)
{
    tg_bcast p;
    tg__bcast_plan(&p, out, x, NULL);
    size_t es = x->dtype == TG_F32 ? sizeof(float) : sizeof(double);
    char *o = out->data;
    const char *xv = x->data;
    for (int64_t r = 0; r < p.rows; r++) {
        int64_t oa, ob;
        tg__bcast_offsets(&p, r, &oa, &ob);
        char *dst = o + (size_t)(r * p.inner) * es;
        if (p.step[0]) {
            memcpy(dst, xv + (size_t)oa * es, es * (size_t)p.inner);
        } else if (es == sizeof(float)) {
            float v = ((const float *)xv)[oa];
            for (int64_t j = 0; j < p.inner; j++) ((float *)dst)[j] = v;
        } else {
            double v = ((const double *)xv)[oa];
            for (int64_t j = 0; j < p.inner; j++) ((double *)dst)[j] = v;
        }
    }
}

int64_t tg__first_nonfinite(const tg_tensor *t)
{
    if (t->dtype == TG_F32) {
        const float *v = t->data;
        for (int64_t i = 0; i < t->numel; i++)
            if (!isfinite(v[i])) return i;
    } else if (t->dtype == TG_F64) {
        const double *v = t->data;
        for (int64_t i = 0; i < t->numel; i++)
            if (!isfinite(v[i])) return i;
    } /* i64 and bool hold no NaN or Inf */
    return -1;
}
