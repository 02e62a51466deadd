/* The engine's matrix product C = op(A) op(B) + beta C (see ops/gemm.h):
 * the choice of library (oneDNN's dnnl_sgemm for f32 where the build has
 * it, OpenBLAS otherwise; the table is at GEMM_DISPATCH), the direct
 * kernels for the degenerate shapes that gemm handles poorly, and the
 * threading policy. Shared by matmul, linear and their VJPs.
 *
 * oneDNN 2.6 (Debian libdnnl-dev) is its OpenMP build, so its threads are
 * libgomp's pool too; it picks its kernels from the CPU itself (AVX-512
 * here) while this machine's OpenBLAS is held to its Haswell kernels
 * (OPENBLAS_CORETYPE), and made every f32 product of the benchmarks at
 * about twice OpenBLAS's rate, one thread, by CPU time (bench_gemm).
 *
 * Threads. OpenBLAS is the OpenMP build, so its threads and the
 * elementwise kernels' are one libgomp pool, sized by the caller's
 * omp_get_max_threads() (tg_set_num_threads, else OMP_NUM_THREADS) and
 * capped for products by openblas_get_num_threads().
 * OpenBLAS 0.3.21 (interface/gemm.c, gemv.c) keeps a call on the calling
 * thread when M*N*K <= 262144 (gemm) or m*n <= 9215 (gemv), or when it is
 * made from inside an active parallel region, and otherwise starts a team.
 * Its thread count is one global: openblas_set_num_threads also frees the
 * per-thread buffers that a call running in another thread may be using,
 * so it is no per-call switch, and a call from a thread whose OpenMP
 * count differs resets it for every thread. The policy:
 *   - M*N*K <= TG_GEMM_BLAS_SERIAL (262144): one call, serial in OpenBLAS;
 *   - larger gemm, team > 1: split here into one block of rows of C per
 *     thread (columns when N > M; block edges at multiples of 16, whole
 *     register tiles), each block one gemm from inside the parallel
 *     region, so single-threaded. It replaces OpenBLAS's own level-3
 *     threading: for the MLP's products at 2 threads (784-256-256-10,
 *     batch 128 and 16; one process, medians, on a loaded machine) the
 *     split took 2-9% less time in total than OpenBLAS's threads, and
 *     about half on the products just above the serial limit
 *     ([128,256]x[256,10], [256,128]x[128,10]);
 *   - matrix-vector products (M or N == 1) up to TG_GEMV_CHUNK_MAX (2^18)
 *     matrix elements, or of any size on a team of one: on the calling
 *     thread, through the kernel set's vecmat/matvec (MV_DIRECT), in both
 *     dtypes. A threaded gemv wakes a worker for a few microseconds of
 *     work (measured at 2 threads, passive, loaded: a [256,256] OpenBLAS
 *     gemv took 33 us of wall time as one threaded call, 7.6 us serial).
 *     Larger ones with a team go to the library in one call (oneDNN's
 *     threads, or OpenBLAS's split of the sum);
 *   - K == 1: the outer product, serial.
 * An f32 product through oneDNN that the policy splits runs on the
 * engine's worker pool instead of an OpenMP region, cut so that each
 * thread keeps the same part of the largest matrix (split_pool_f32
 * below; docs/architecture.md, "The worker pool").
 * In the OpenMP split each element of C keeps its whole K sum inside one
 * gemm call. In f64
 * the split result is bit-identical to the unsplit one with OpenBLAS's
 * Haswell kernels (tested), not with its AVX-512 ones, which round a row
 * by the size of its block; in f32 it is not always: this OpenBLAS's sgemm kernels round a row
 * differently depending on the block it sits in. A matrix-vector product
 * up to TG_GEMV_CHUNK_MAX runs the same kernel at every thread count, so
 * its result does not depend on it (OpenBLAS's own threaded gemv differs
 * from its serial one).
 * Called from a user's parallel region, a product is serial (no nested
 * team), as OpenBLAS would run it there. */
#include "ops/gemm.h"
#include "ops/kernels.h"
#include "src/internal.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
/* meson defines TG_HAVE_ONEDNN 0 or 1; builds that compile the sources
 * themselves (the fuzz harnesses) get OpenBLAS only. */
#ifndef TG_HAVE_ONEDNN
#define TG_HAVE_ONEDNN 0
#endif
#if TG_HAVE_ONEDNN
#include <dnnl.h>
#endif

/* Outer products (K == 1) go to the kernel set's outer_f32/_f64
 * (ops/kern_rows.h). */
static void outer_f32(int64_t M, int64_t N, const float *a, const float *b,
                      float beta, float *C)
{
    tg__kernels()->outer_f32(M, N, a, b, beta, C);
}
static void outer_f64(int64_t M, int64_t N, const double *a, const double *b,
                      double beta, double *C)
{
    tg__kernels()->outer_f64(M, N, a, b, beta, C);
}

/* Matrix-vector products (M == 1 or N == 1) that run on the calling
 * thread go to the kernel set's vecmat/matvec (ops/kern_rows.h): the
 * vector operand is contiguous (its other extent is 1), the matrix is
 * read once, in rows (vecmat: y = x W, W's rows streamed; matvec:
 * y = W x, one dot product per row of W). */
#define MV_DIRECT(T, NAME, VECMAT, MATVEC)                                   \
    static void NAME(bool ta, bool tb, int64_t M, int64_t N, int64_t K,      \
                     const T *A, int64_t lda, const T *B, int64_t ldb,       \
                     T beta, T *C)                                           \
    {                                                                        \
        const tg_kernel_set *ks = tg__kernels();                             \
        if (M == 1) {                                                        \
            if (tb) /* B stored [N,K]: C[n] = B[n,:] . a */                  \
                ks->MATVEC(N, K, C, B, ldb, A, beta);                        \
            else /* C = a B */                                               \
                ks->VECMAT(K, N, C, A, B, ldb, beta);                        \
        } else if (ta) /* A stored [K,M]: C = b^T A */                       \
            ks->VECMAT(K, M, C, B, A, lda, beta);                            \
        else /* C[m] = A[m,:] . b */                                         \
            ks->MATVEC(M, K, C, A, lda, B, beta);                            \
    }
MV_DIRECT(float, mv_direct_f32, vecmat_f32, matvec_f32)
MV_DIRECT(double, mv_direct_f64, vecmat_f64, matvec_f64)

/* ------------------------------------------------------------ dispatch */

/* The team a product may use: the caller's OpenMP thread count (the
 * engine's tg_set_num_threads, else OMP_NUM_THREADS), capped by OpenBLAS's
 * own count (OPENBLAS_NUM_THREADS=1 keeps products serial, as OpenBLAS
 * alone would; tg_set_num_threads sets both); 1 inside a user's parallel
 * region (nested regions are inactive by default, and OpenBLAS runs
 * single-threaded there anyway). */
static int gemm_team(void)
{
    if (omp_in_parallel()) return 1;
    int n = omp_get_max_threads(), b = openblas_get_num_threads();
    return b < n ? b : n;
}

/* parts of whole register blocks of the BLAS kernel (tg__chunk) */
#define ALIGN_ROWS 16

/* One rectangular block of C through gemm: rows [m0, m1), columns
 * [n0, n1); each element's whole K sum stays inside this one call. */
#define GEMM_BLOCK(T, NAME, GEMM)                                            \
    static void NAME(bool ta, bool tb, int64_t N, int64_t K, const T *A,     \
                     int64_t lda, const T *B, int64_t ldb, T beta, T *C,     \
                     int64_t m0, int64_t m1, int64_t n0, int64_t n1)         \
    {                                                                        \
        if (m1 <= m0 || n1 <= n0) return;                                    \
        GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,                  \
             tb ? CblasTrans : CblasNoTrans, (int)(m1 - m0), (int)(n1 - n0), \
             (int)K, 1, ta ? A + m0 : A + m0 * lda, (int)lda,                \
             tb ? B + n0 * ldb : B + n0, (int)ldb, beta, C + m0 * N + n0,    \
             (int)N);                                                        \
    }
GEMM_BLOCK(float, block_blas_f32, cblas_sgemm)
GEMM_BLOCK(double, block_f64, cblas_dgemm)

/* Whether f32 products go to oneDNN: when the build has it, unless the
 * environment says TG_SGEMM=openblas (read once, as TG_ISA is; the tests
 * run every f32 path both ways, and it lets a user compare the two). */
static int f32_onednn_cached = -1;

static bool f32_onednn(void)
{
    int v = __atomic_load_n(&f32_onednn_cached, __ATOMIC_RELAXED);
    if (v >= 0) return v;
    const char *env = getenv("TG_SGEMM");
    v = TG_HAVE_ONEDNN && !(env && !strcmp(env, "openblas"));
    __atomic_store_n(&f32_onednn_cached, v, __ATOMIC_RELAXED);
    return v;
}

const char *tg__gemm_f32_library(void)
{
    return f32_onednn() ? "onednn" : "openblas";
}

#if TG_HAVE_ONEDNN
/* oneDNN runs a call on as many threads as omp_get_max_threads() says,
 * or one inside an active parallel region. A product the policy keeps
 * serial is made with the calling thread's count set to 1 for the call:
 * a per-thread setting, so other threads are not affected. */
static int onednn_serial_begin(void)
{
    int saved = omp_get_max_threads();
    if (saved > 1 && !omp_in_parallel()) omp_set_num_threads(1);
    return saved;
}
static void onednn_serial_end(int saved)
{
    if (saved > 1 && !omp_in_parallel()) omp_set_num_threads(saved);
}
#endif

/* f32 blocks go to oneDNN's dnnl_sgemm when the build has it (see the
 * dispatch table below), else to OpenBLAS. dnnl_sgemm fails only on
 * arguments it rejects (a zero leading dimension when K == 0) or when it
 * cannot allocate its packing buffers, both before it writes C; OpenBLAS
 * then makes the product, so a failure costs time, never the result. */
static void block_f32(bool ta, bool tb, int64_t N, int64_t K, const float *A,
                      int64_t lda, const float *B, int64_t ldb, float beta,
                      float *C, int64_t m0, int64_t m1, int64_t n0,
                      int64_t n1)
{
    if (m1 <= m0 || n1 <= n0) return;
#if TG_HAVE_ONEDNN
    if (f32_onednn() &&
        dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m1 - m0, n1 - n0, K,
                   1.0f, ta ? A + m0 : A + m0 * lda, lda,
                   tb ? B + n0 * ldb : B + n0, ldb, beta, C + m0 * N + n0,
                   N) == dnnl_success)
        return;
#endif
    block_blas_f32(ta, tb, N, K, A, lda, B, ldb, beta, C, m0, m1, n0, n1);
}

/* y = op(X) x + beta y for a row-major X [rows, cols] (op = X^T when
 * `trans`) in one BLAS gemv call: the matrix-vector products too large
 * for the calling thread (more than TG_GEMV_CHUNK_MAX elements with a
 * team of more than one thread), which OpenBLAS threads by a split of
 * the sum. */
#define GEMV_BLAS(T, NAME, GEMV)                                             \
    static void NAME(bool trans, int64_t rows, int64_t cols, const T *X,     \
                     int64_t ld, const T *x, T beta, T *y)                   \
    {                                                                        \
        GEMV(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, (int)rows,    \
             (int)cols, 1, X, (int)ld, x, 1, beta, y, 1);                    \
    }
GEMV_BLAS(float, gemv_f32, cblas_sgemv)
GEMV_BLAS(double, gemv_f64, cblas_dgemv)

/* OpenBLAS keeps the products that the policy makes serial on the calling
 * thread by itself (size limits, or a team of one thread). */
static int blas_serial_begin(void) { return 0; }
static void blas_serial_end(int saved) { (void)saved; }
#if TG_HAVE_ONEDNN
static int f32_serial_begin(void)
{
    return f32_onednn() ? onednn_serial_begin() : 0;
}
static void f32_serial_end(int saved)
{
    if (f32_onednn()) onednn_serial_end(saved);
}
#else
#define f32_serial_begin blas_serial_begin
#define f32_serial_end blas_serial_end
#endif

/* A split f32 product through oneDNN on the worker pool (src/pool.c):
 * the blocks are chunks that the calling thread and the workers claim, so
 * the call never waits for a worker that is slow to wake, and each block
 * is one single-threaded dnnl_sgemm. Chunk i goes first to the same
 * thread at every call, and the cut is chosen so that what each thread
 * keeps is a contiguous part of the largest of the three matrices: on
 * the 2-core VM a cache line written on one core and then used on the
 * other costs several times a local one, and a training step reuses its
 * weights in every product and in the optimizer's update. So:
 *   C largest                 rows of C (M)
 *   B largest, stored K x N   rows of B: a split of the sum (K), each
 *                             chunk after the first into a buffer of its
 *                             own, added to C in chunk order afterwards
 *   B largest, stored N x K   columns of C (N)
 *   A largest, stored M x K   rows of C (M)
 *   A largest, stored K x M   a split of the sum (K)
 * For linear (W stored [in, out]) that is the same cut of W's rows in the
 * forward product (K), the weight gradient (M) and the input gradient
 * (N), and the optimizer's step cuts every 2-D parameter by rows alike
 * (src/nn/optim.c). A dimension too short for two blocks of ALIGN_ROWS
 * falls back to the longest of M and N. A block that oneDNN fails to make
 * (no memory for its packing) is made by OpenBLAS afterwards on the
 * calling thread: OpenBLAS must not be called from a worker, whose
 * OpenMP count of 1 would reset OpenBLAS's global thread count under
 * calls running elsewhere. */
#if TG_HAVE_ONEDNN
enum { CUT_M, CUT_N, CUT_K };
typedef struct {
    bool ta, tb;
    int cut;
    int64_t M, N, K, lda, ldb, nchunks;
    const float *A, *B;
    float beta, *C;
    float *part[TG_GEMM_POOL_CHUNKS_MAX]; /* CUT_K: chunk i > 0's sum */
    _Atomic bool failed[TG_GEMM_POOL_CHUNKS_MAX];
} pool_gemm;

/* chunk i's rows [m0, m1), columns [n0, n1) and sum range [k0, k1) */
static void pool_block(const pool_gemm *g, int64_t i, int64_t r[6])
{
    int64_t ext = g->cut == CUT_M ? g->M : g->cut == CUT_N ? g->N : g->K;
    int64_t lo, hi;
    tg__chunk(ext, (int)g->nchunks, (int)i, ALIGN_ROWS, &lo, &hi);
    r[0] = 0, r[1] = g->M, r[2] = 0, r[3] = g->N, r[4] = 0, r[5] = g->K;
    r[2 * g->cut] = lo, r[2 * g->cut + 1] = hi;
}

/* the block of chunk i through oneDNN (or OpenBLAS when oneDNN fails
 * and `blas` is set); false when oneDNN failed and blas is not */
static bool pool_do(pool_gemm *g, int64_t i, bool blas)
{
    int64_t r[6];
    pool_block(g, i, r);
    int64_t m0 = r[0], m1 = r[1], n0 = r[2], n1 = r[3], k0 = r[4], k1 = r[5];
    if (m1 <= m0 || n1 <= n0 || k1 <= k0) return true;
    const float *A = g->ta ? g->A + k0 * g->lda + m0 : g->A + m0 * g->lda + k0;
    const float *B = g->tb ? g->B + n0 * g->ldb + k0 : g->B + k0 * g->ldb + n0;
    bool part = g->cut == CUT_K && i > 0;
    float *C = part ? g->part[i] : g->C + m0 * g->N + n0;
    float beta = part ? 0.0f : g->beta;
    if (dnnl_sgemm(g->ta ? 'T' : 'N', g->tb ? 'T' : 'N', m1 - m0, n1 - n0,
                   k1 - k0, 1.0f, A, g->lda, B, g->ldb, beta, C,
                   g->N) == dnnl_success)
        return true;
    if (!blas) return false;
    cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans,
                g->tb ? CblasTrans : CblasNoTrans, (int)(m1 - m0),
                (int)(n1 - n0), (int)(k1 - k0), 1.0f, A, (int)g->lda, B,
                (int)g->ldb, beta, C, (int)g->N);
    return true;
}

static void pool_gemm_chunk(void *ctx, int64_t i)
{
    pool_gemm *g = ctx;
    if (!pool_do(g, i, false))
        atomic_store_explicit(&g->failed[i], true, memory_order_relaxed);
}

static bool split_pool_f32(int nt, bool ta, bool tb, int64_t M, int64_t N,
                           int64_t K, const float *A, int64_t lda,
                           const float *B, int64_t ldb, float beta, float *C,
                           bool rows)
{
    (void)rows;
    if (!f32_onednn()) return false;
    double sa = (double)M * K, sb = (double)K * N, sc = (double)M * N;
    int cut = sc >= sa && sc >= sb ? CUT_M
              : sb >= sa           ? (tb ? CUT_N : CUT_K)
                                   : (ta ? CUT_K : CUT_M);
    int64_t ext = cut == CUT_M ? M : cut == CUT_N ? N : K;
    if (ext < 2 * ALIGN_ROWS) cut = M >= N ? CUT_M : CUT_N;
    ext = cut == CUT_M ? M : cut == CUT_N ? N : K;
    int64_t nch = nt;
    if (nch > TG_GEMM_POOL_CHUNKS_MAX) nch = TG_GEMM_POOL_CHUNKS_MAX;
    if (nch > ext / ALIGN_ROWS) nch = ext / ALIGN_ROWS;
    if (nch < 2) return false;
    pool_gemm gs, *g = &gs;
    *g = (pool_gemm){.ta = ta, .tb = tb, .cut = cut, .M = M, .N = N, .K = K,
                     .lda = lda, .ldb = ldb, .nchunks = nch, .A = A, .B = B,
                     .beta = beta, .C = C};
    bool ok = true;
    if (cut == CUT_K)
        for (int64_t i = 1; i < nch && ok; i++)
            ok = (g->part[i] = tg__malloc((size_t)(M * N) * sizeof(float))) !=
                 NULL;
    if (ok) {
        atomic_fetch_add_explicit(&tg__gemm_pool_splits, 1,
                                  memory_order_relaxed);
        tg__pool_run(nt, nch, pool_gemm_chunk, g);
        for (int64_t i = 0; i < nch; i++)
            if (atomic_load_explicit(&g->failed[i], memory_order_relaxed))
                pool_do(g, i, true);
        if (cut == CUT_K) /* in chunk order: the result does not depend on
                           * which thread made which part */
            for (int64_t i = 1; i < nch; i++) {
                const float *p = g->part[i];
                for (int64_t e = 0; e < M * N; e++) C[e] += p[e];
            }
    }
    for (int64_t i = 1; i < nch; i++) tg__free(g->part[i]);
    return ok;
}
#define SPLIT_POOL_f32 split_pool_f32
#else
#define SPLIT_POOL_f32(...) false
#endif
#define SPLIT_POOL_f64(...) false

/* C[M,N] = op(A) op(B) + beta C (row-major, leading dims lda, ldb; see
 * ops/gemm.h). The dispatch table (measurements in docs/architecture.md):
 *
 *   shape                  f32, oneDNN build     f64, or f32 without it
 *   K == 1, M, N > 1       outer product (outer_*, serial)
 *   M == 1 or N == 1,      vecmat / matvec (MV_DIRECT, serial)
 *     serial (see above)
 *   M == 1 or N == 1,      dnnl_sgemm            gemv (GEMV_BLAS)
 *     larger, team > 1
 *   anything else          dnnl_sgemm            cblas_dgemm / sgemm
 *
 * Degenerate shapes skip OpenBLAS's gemm, which packs whole operands even
 * when one side is a single row or column (measured here, 1 thread: a
 * [1,784] x [784,256] product takes 36 us through sgemm, 7 us through
 * sgemv). A matrix-vector product is a single pass over the matrix, so
 * its time is the time to read it: the direct kernels read the batch-1
 * MLP's weights faster than oneDNN's matrix-vector code and OpenBLAS's
 * gemv (docs/architecture.md has the table). In these cases every vector
 * operand is contiguous whatever the transpose flags (its other extent
 * is 1).
 * Threads: a full gemm of at least TG_GEMM_SPLIT_MIN multiply-adds
 * (TG_SGEMM_SPLIT_MIN for f32 through oneDNN, ops/gemm.h), with
 * a team of nt > 1 threads, is split here across the team: rows of C
 * (columns when N > M), each thread one gemm on its block, which both
 * libraries run single-threaded because the region is active. Anything
 * smaller is one call on the calling thread, and so is a matrix-vector
 * product of up to TG_GEMV_CHUNK_MAX elements; a larger one is one call
 * that the library threads itself. */
#define GEMM_DISPATCH(T, NAME, MV, GEMV, OUTER, BLOCK, VIA_GEMM, SBEGIN,    \
                      SEND, SPLIT_MIN, POOL)                                 \
    void NAME(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T *A, \
              int64_t lda, const T *B, int64_t ldb, T beta, T *C)           \
    {                                                                        \
        double mnk = (double)M * (double)N * (double)K;                      \
        if ((M == 1 || N == 1) &&                                            \
            (mnk <= TG_GEMV_CHUNK_MAX || gemm_team() == 1)) {                \
            MV(ta, tb, M, N, K, A, lda, B, ldb, beta, C);                    \
            return;                                                          \
        }                                                                    \
        if (VIA_GEMM && (M == 1 || N == 1)) {                                \
            bool serial = mnk <= TG_GEMV_CHUNK_MAX || gemm_team() == 1;      \
            int saved = serial ? SBEGIN() : 0;                               \
            BLOCK(ta, tb, N, K, A, lda, B, ldb, beta, C, 0, M, 0, N);        \
            if (serial) SEND(saved);                                         \
            return;                                                          \
        }                                                                    \
        if (M == 1) { /* y[N] = a[K] op(B) */                                \
            GEMV(!tb, tb ? N : K, tb ? K : N, B, ldb, A, beta, C);           \
            return;                                                          \
        }                                                                    \
        if (N == 1) { /* y[M] = op(A) b[K] */                                \
            GEMV(ta, ta ? K : M, ta ? M : K, A, lda, B, beta, C);            \
            return;                                                          \
        }                                                                    \
        if (K == 1) {                                                        \
            OUTER(M, N, A, B, beta, C);                           \
            return;                                                          \
        }                                                                    \
        int nt = mnk >= (SPLIT_MIN) ? gemm_team() : 1;                       \
        bool rows = M >= N;                                                  \
        if (nt > 1 && (rows ? M : N) >= 2 * ALIGN_ROWS) {                    \
            if (POOL(nt, ta, tb, M, N, K, A, lda, B, ldb, beta, C, rows))    \
                return;                                                      \
            _Pragma("omp parallel num_threads(nt)")                          \
            {                                                                \
                int p = omp_get_num_threads(), t = omp_get_thread_num();     \
                int64_t lo, hi;                                              \
                tg__chunk(rows ? M : N, p, t, ALIGN_ROWS, &lo, &hi);         \
                if (rows)                                                    \
                    BLOCK(ta, tb, N, K, A, lda, B, ldb, beta, C, lo, hi, 0,  \
                          N);                                                \
                else                                                         \
                    BLOCK(ta, tb, N, K, A, lda, B, ldb, beta, C, 0, M, lo,   \
                          hi);                                               \
            }                                                                \
            return;                                                          \
        }                                                                    \
        int saved = SBEGIN();                                                \
        BLOCK(ta, tb, N, K, A, lda, B, ldb, beta, C, 0, M, 0, N);            \
        SEND(saved);                                                         \
    }
GEMM_DISPATCH(float, tg__gemm_f32, mv_direct_f32, gemv_f32, outer_f32, block_f32,
              f32_onednn(), f32_serial_begin, f32_serial_end,
              f32_onednn() ? TG_SGEMM_SPLIT_MIN : TG_GEMM_SPLIT_MIN,
              SPLIT_POOL_f32)
GEMM_DISPATCH(double, tg__gemm_f64, mv_direct_f64, gemv_f64, outer_f64, block_f64, false,
              blas_serial_begin, blas_serial_end, TG_GEMM_SPLIT_MIN,
              SPLIT_POOL_f64)
