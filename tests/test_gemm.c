/* The engine's matrix product (ops/gemm.c): every dispatch path, in f32
 * and f64, with every transpose pair, beta 0 and 1, and odd sizes, against
 * a long double reference, at 1 and 2 threads. The suite runs this program
 * twice: f32 products through the default library (oneDNN's dnnl_sgemm in
 * builds that have it) and, with TG_SGEMM=openblas, through OpenBLAS; f64
 * always goes to OpenBLAS.
 *
 * Paths (M*N*K against TG_GEMM_SPLIT_MIN, ops/gemm.h):
 *   gemv      M == 1 (B plain or transposed), N == 1 (A plain or
 *             transposed): the kernel set's vecmat/matvec on the calling
 *             thread (small, and "large" up to TG_GEMV_CHUNK_MAX
 *             elements), and beyond that at 2 threads one library call
 *             that threads itself (the same kernels at 1 thread)
 *   outer     K == 1
 *   serial    below TG_GEMM_SPLIT_MIN: one call on the calling thread
 *   split     rows of C (M >= N) or columns across the team, including
 *             sizes just above the limit and blocks with ragged edges
 *             (f32 through oneDNN splits from TG_SGEMM_SPLIT_MIN: the
 *             "onednn" shapes reach it, the others run serial there)
 * Splitting rows or columns keeps each element's whole K sum in one gemm
 * call. With OpenBLAS's Haswell kernels that makes the f64 2-thread
 * result bit-identical to the 1-thread one, and the test requires it
 * there (the suite runs it once more with OPENBLAS_CORETYPE=Haswell, so
 * every machine checks it); its AVX-512 kernels (SkylakeX, Cooperlake)
 * round a row differently depending on the size of the block that holds
 * it, so with them f64 is held to the error bound only. A matrix-vector
 * product up to TG_GEMV_CHUNK_MAX must be bit-identical at every thread
 * count (the same kernel). In f32 this OpenBLAS's sgemm rounds a row
 * differently depending on the block it sits in, so f32 is held to the
 * error bound only.
 */
#include <cblas.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "ops/gemm.h"
#include "ops/kernels.h"
#include "tt.h"

typedef struct shape {
    const char *path;
    int64_t M, N, K;
} shape;

static const shape SHAPES[] = {
    {"gemv M=1", 1, 37, 29},
    {"gemv M=1 large", 1, 300, 200},
    {"gemv N=1", 41, 1, 23},
    {"gemv N=1 large", 300, 1, 200},
    {"gemv M=1 threaded", 1, 600, 500},
    {"gemv N=1 threaded", 700, 1, 400},
    {"outer", 19, 33, 1},
    {"serial", 17, 23, 31},
    {"serial at the limit", 64, 64, 64},
    {"split rows just above", 65, 64, 64},
    {"split rows", 131, 67, 257},
    {"split cols", 45, 203, 251},
    {"split cols few rows", 16, 301, 300},
    {"split rows onednn", 300, 140, 101},
    {"split cols onednn", 40, 901, 120},
};

static uint64_t rng = 0x9e3779b97f4a7c15u;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 * 2 - 1;
}

/* C = op(A) op(B) + beta C0 and the bound sum_k |a||b| + |beta C0| that
 * scales its rounding error, in long double. */
static void reference(bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                      const double *A, const double *B, double beta,
                      const double *C0, long double *C, long double *bound)
{
    int64_t lda = ta ? M : K, ldb = tb ? K : N;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            long double s = 0, b = 0;
            for (int64_t k = 0; k < K; k++) {
                long double a = ta ? A[k * lda + i] : A[i * lda + k];
                long double v = tb ? B[j * ldb + k] : B[k * ldb + j];
                s += a * v;
                b += fabsl(a * v);
            }
            s += (long double)beta * C0[i * N + j];
            b += fabsl((long double)beta * C0[i * N + j]);
            C[i * N + j] = s;
            bound[i * N + j] = b;
        }
}

/* Runs one product at `threads` threads in both dtypes, checks it against
 * the reference, and returns the f32 and f64 results (caller frees). */
static void run(const shape *s, bool ta, bool tb, double beta, int threads,
                const double *A, const double *B, const double *C0,
                const long double *ref, const long double *bound,
                float **out32, double **out64)
{
    int64_t M = s->M, N = s->N, K = s->K, mn = M * N;
    int64_t lda = ta ? M : K, ldb = tb ? K : N;
    float *A32 = malloc(sizeof(float) * (size_t)(M * K));
    float *B32 = malloc(sizeof(float) * (size_t)(K * N));
    float *C32 = malloc(sizeof(float) * (size_t)mn);
    double *C64 = malloc(sizeof(double) * (size_t)mn);
    for (int64_t i = 0; i < M * K; i++) A32[i] = (float)A[i];
    for (int64_t i = 0; i < K * N; i++) B32[i] = (float)B[i];
    for (int64_t i = 0; i < mn; i++) {
        C32[i] = (float)C0[i];
        C64[i] = C0[i];
    }
    tg_set_num_threads(threads);
    tg__gemm_f32(ta, tb, M, N, K, A32, lda, B32, ldb, (float)beta, C32);
    tg__gemm_f64(ta, tb, M, N, K, A, lda, B, ldb, beta, C64);
    /* the f32 inputs are roundings of the f64 ones: their products differ
     * from the reference by up to 2^-23 relative, plus the sum's rounding */
    double worst32 = 0, worst64 = 0;
    for (int64_t i = 0; i < mn; i++) {
        double b = (double)bound[i] + 1e-300;
        double e32 = fabs((double)((long double)C32[i] - ref[i])) / b;
        double e64 = fabs((double)((long double)C64[i] - ref[i])) / b;
        if (e32 > worst32) worst32 = e32;
        if (e64 > worst64) worst64 = e64;
    }
    double k = (double)(K + 2);
    if (!(worst32 <= 4e-7 * k) || !(worst64 <= 4e-16 * k))
        fprintf(stderr, "  %s %c%c beta %g threads %d: err32 %.3g err64 "
                "%.3g\n", s->path, ta ? 'T' : 'N', tb ? 'T' : 'N', beta,
                threads, worst32, worst64);
    TT_CHECK(worst32 <= 4e-7 * k);
    TT_CHECK(worst64 <= 4e-16 * k);
    free(A32);
    free(B32);
    *out32 = C32;
    *out64 = C64;
}

/* Whether OpenBLAS's dgemm gives a row the same bits in any block of
 * rows or columns: true of its Haswell kernels, which OPENBLAS_CORETYPE
 * can ask for on any AVX2 machine. */
static bool blas_splits_exact(void)
{
    return !strcmp(openblas_get_corename(), "Haswell");
}

static void shape_case(const shape *s)
{
    int64_t M = s->M, N = s->N, K = s->K, mn = M * N;
    double *A = malloc(sizeof(double) * (size_t)(M * K));
    double *B = malloc(sizeof(double) * (size_t)(K * N));
    double *C0 = malloc(sizeof(double) * (size_t)mn);
    long double *ref = malloc(sizeof(long double) * (size_t)mn);
    long double *bound = malloc(sizeof(long double) * (size_t)mn);
    for (int64_t i = 0; i < M * K; i++) A[i] = uniform();
    for (int64_t i = 0; i < K * N; i++) B[i] = uniform();
    for (int64_t i = 0; i < mn; i++) C0[i] = uniform();
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        for (int bi = 0; bi < 2; bi++) {
            double beta = bi;
            reference(ta, tb, M, N, K, A, B, beta, C0, ref, bound);
            float *c1_32, *c2_32;
            double *c1_64, *c2_64;
            run(s, ta, tb, beta, 1, A, B, C0, ref, bound, &c1_32, &c1_64);
            run(s, ta, tb, beta, 2, A, B, C0, ref, bound, &c2_32, &c2_64);
            /* OpenBLAS's own threaded gemv splits the sum: not exact */
            if (!strstr(s->path, "threaded") &&
                (strncmp(s->path, "split", 5) || blas_splits_exact()))
                TT_CHECK(!memcmp(c1_64, c2_64, sizeof(double) * (size_t)mn));
            /* unsplit paths make the same calls at any thread count */
            if (!strstr(s->path, "threaded") && strncmp(s->path, "split", 5))
                TT_CHECK(!memcmp(c1_32, c2_32, sizeof(float) * (size_t)mn));
            free(c1_32);
            free(c2_32);
            free(c1_64);
            free(c2_64);
        }
    }
    free(A);
    free(B);
    free(C0);
    free(ref);
    free(bound);
}

/* The library making f32 products is the one the build and the
 * environment ask for. */
static void test_library(void)
{
    const char *env = getenv("TG_SGEMM");
    bool blas = !TG_HAVE_ONEDNN || (env && !strcmp(env, "openblas"));
    TT_CHECK(!strcmp(tg__gemm_f32_library(), blas ? "openblas" : "onednn"));
}

/* The sizes above reach the paths they are named for. */
static void test_shapes_reach_paths(void)
{
    TT_CHECK(TG_GEMM_SPLIT_MIN == TG_GEMM_BLAS_SERIAL + 1);
    for (size_t i = 0; i < sizeof SHAPES / sizeof *SHAPES; i++) {
        const shape *s = &SHAPES[i];
        double mnk = (double)s->M * (double)s->N * (double)s->K;
        if (!strncmp(s->path, "serial", 6))
            TT_CHECK(mnk < TG_GEMM_SPLIT_MIN);
        if (!strncmp(s->path, "serial at", 9))
            TT_CHECK(mnk == TG_GEMM_BLAS_SERIAL);
        if (!strncmp(s->path, "split", 5))
            TT_CHECK(mnk >= TG_GEMM_SPLIT_MIN);
        if (strstr(s->path, "onednn")) TT_CHECK(mnk >= TG_SGEMM_SPLIT_MIN);
        if (!strncmp(s->path, "split rows", 10))
            TT_CHECK(s->M >= s->N && s->M >= 32);
        if (!strncmp(s->path, "split cols", 10))
            TT_CHECK(s->N > s->M && s->N >= 32);
        if (!strncmp(s->path, "gemv", 4))
            TT_CHECK(s->M == 1 || s->N == 1);
        double mk = (double)s->M * (double)s->N * (double)s->K;
        if (strstr(s->path, "gemv") && strstr(s->path, "large"))
            TT_CHECK(mk > TG_GEMV_BLAS_SERIAL && mk <= TG_GEMV_CHUNK_MAX);
        if (strstr(s->path, "threaded")) TT_CHECK(mk > TG_GEMV_CHUNK_MAX);
        if (!strncmp(s->path, "outer", 5))
            TT_CHECK(s->K == 1 && s->M > 1 && s->N > 1);
    }
}

static void test_gemv(void)
{
    for (int i = 0; i < 6; i++) shape_case(&SHAPES[i]);
}
/* An empty sum (K == 0) on the gemv paths leaves C as it was with beta 1
 * (callers handle K == 0 themselves; this must only not fault). */
static void test_gemv_empty_sum(void)
{
    float a[1] = {0}, b[1] = {0}, c[5] = {1, 2, 3, 4, 5};
    double cd[5] = {1, 2, 3, 4, 5};
    tg_set_num_threads(2);
    tg__gemm_f32(false, true, 1, 5, 0, a, 1, b, 1, 1.0f, c);
    tg__gemm_f32(true, false, 5, 1, 0, a, 5, b, 1, 1.0f, c);
    tg__gemm_f64(false, true, 1, 5, 0, (const double *)cd, 1,
                 (const double *)cd, 1, 1.0, cd);
    for (int i = 0; i < 5; i++) {
        TT_CHECK(c[i] == (float)(i + 1));
        TT_CHECK(cd[i] == (double)(i + 1));
    }
}

/* Matrix-vector products on the calling thread are the kernel set's
 * vecmat and matvec, bit for bit, at 1 and 2 threads (the dispatch
 * reaches them for every transpose flag). */
static void test_gemv_direct(void)
{
    enum { K = 45, L = 301 };
    static float A32[K * L], x32[L], y32[L], r32[L];
    static double A64[K * L], x64[L], y64[L], r64[L];
    for (int i = 0; i < K * L; i++) A64[i] = A32[i] = (float)uniform();
    for (int i = 0; i < L; i++) x64[i] = x32[i] = (float)uniform();
    const tg_kernel_set *ks = tg__kernels();
    for (int threads = 1; threads <= 2; threads++) {
        tg_set_num_threads(threads);
        /* [1,K] x [K,L]: vecmat over A's rows */
        tg__gemm_f32(false, false, 1, L, K, x32, K, A32, L, 0.0f, y32);
        ks->vecmat_f32(K, L, r32, x32, A32, L, 0.0f);
        TT_CHECK(!memcmp(y32, r32, sizeof(float) * L));
        tg__gemm_f64(false, false, 1, L, K, x64, K, A64, L, 0.0, y64);
        ks->vecmat_f64(K, L, r64, x64, A64, L, 0.0);
        TT_CHECK(!memcmp(y64, r64, sizeof(double) * L));
        /* [1,L] x [K,L]^T: matvec, one dot product per row */
        tg__gemm_f32(false, true, 1, K, L, x32, L, A32, L, 0.0f, y32);
        ks->matvec_f32(K, L, r32, A32, L, x32, 0.0f);
        TT_CHECK(!memcmp(y32, r32, sizeof(float) * K));
        /* [K,L] x [L,1]: matvec; [K,L]^T x [K,1]: vecmat */
        tg__gemm_f64(false, false, K, 1, L, A64, L, x64, 1, 0.0, y64);
        ks->matvec_f64(K, L, r64, A64, L, x64, 0.0);
        TT_CHECK(!memcmp(y64, r64, sizeof(double) * K));
        tg__gemm_f32(true, false, L, 1, K, A32, L, x32, 1, 0.0f, y32);
        ks->vecmat_f32(K, L, r32, x32, A32, L, 0.0f);
        TT_CHECK(!memcmp(y32, r32, sizeof(float) * L));
    }
}

static void test_outer(void) { shape_case(&SHAPES[6]); }
static void test_serial(void)
{
    shape_case(&SHAPES[7]);
    shape_case(&SHAPES[8]);
}
static void test_split(void)
{
    for (int i = 9; i < 15; i++) shape_case(&SHAPES[i]);
}

/* Products made from inside a user's parallel region run on the calling
 * thread (no nested team), and each thread gets its own right answer. */
static void test_nested(void)
{
    enum { M = 96, N = 80, K = 300, T = 2 };
    static float A[T][M * K], B[K * N], C[T][M * N];
    static long double ref[T][M * N];
    for (int i = 0; i < K * N; i++) B[i] = (float)uniform();
    for (int t = 0; t < T; t++) {
        for (int i = 0; i < M * K; i++) A[t][i] = (float)uniform();
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                long double s = 0;
                for (int k = 0; k < K; k++)
                    s += (long double)A[t][i * K + k] * B[k * N + j];
                ref[t][i * N + j] = s;
            }
    }
    tg_set_num_threads(2);
    int levels[T] = {0};
#pragma omp parallel num_threads(T)
    {
        int t = omp_get_thread_num();
        tg__gemm_f32(false, false, M, N, K, A[t], K, B, N, 0.0f, C[t]);
        levels[t] = omp_get_level();
    }
    for (int t = 0; t < T; t++) {
        TT_CHECK(levels[t] == 1);
        double worst = 0;
        for (int i = 0; i < M * N; i++) {
            double e = fabs((double)((long double)C[t][i] - ref[t][i]));
            if (e > worst) worst = e;
        }
        TT_CHECK(worst < 1e-4);
    }
}

/* Through the public op at 2 threads, a split-size product: values and
 * the gradient of sum(a @ b) with respect to a (row sums of b). */
static void test_matmul_split(void)
{
    enum { M = 160, N = 96, K = 200 };
    tg_set_num_threads(2);
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_param(g, TG_F64, TG_SHAPE(M, K), "a");
    tg_tensor *b = tg_param(g, TG_F64, TG_SHAPE(K, N), "b");
    double *av = a->data, *bv = b->data;
    for (int i = 0; i < M * K; i++) av[i] = uniform();
    for (int i = 0; i < K * N; i++) bv[i] = uniform();
    tg_tensor *y = tg_matmul(a, b);
    TT_CHECK(tg_backward(g, tg_sum_all(y)) == TG_OK);
    const double *yv = y->data;
    double worst = 0;
    for (int i = 0; i < M; i += 7)
        for (int j = 0; j < N; j += 5) {
            long double s = 0;
            for (int k = 0; k < K; k++)
                s += (long double)av[i * K + k] * bv[k * N + j];
            double e = fabs((double)(yv[i * N + j] - s));
            if (e > worst) worst = e;
        }
    TT_CHECK(worst < 1e-12);
    const double *ga = a->grad->data;
    worst = 0;
    for (int i = 0; i < M; i += 3)
        for (int k = 0; k < K; k++) {
            long double s = 0;
            for (int j = 0; j < N; j++) s += bv[k * N + j];
            double e = fabs((double)(ga[i * K + k] - s));
            if (e > worst) worst = e;
        }
    TT_CHECK(worst < 1e-12);
    tg_graph_free(g);
}

int main(int argc, char **argv)
{
    static const tt_entry cases[] = {
        TT(test_library),
        TT(test_shapes_reach_paths), TT(test_gemv), TT(test_gemv_direct),   TT(test_outer),
        TT(test_gemv_empty_sum),
        TT(test_serial),             TT(test_split),
        TT(test_nested),             TT(test_matmul_split),
    };
    return tt_main(cases, (int)(sizeof cases / sizeof *cases), argc, argv);
}
