/* matmul: op(a) @ op(b) through CBLAS gemm, batch dims broadcast.
 *
 * Legend: a is [..., M, K] ([..., K, M] when trans_a), b is [..., K, N]
 * ([..., N, K] when trans_b), y is [batch..., M, N].
 *
 * VJP, with dA' = g op(b)^T and dB' = op(a)^T g (the gradients of op(a),
 * op(b)):
 *   trans_a = 0: dA = g @ op(b)^T          = matmul_t(g, b, 0, !tb)
 *   trans_a = 1: dA = (dA')^T = op(b) g^T  = matmul_t(b, g, tb, 1)
 *   trans_b = 0: dB = op(a)^T @ g          = matmul_t(a, g, !ta, 0)
 *   trans_b = 1: dB = (dB')^T = g^T op(a)  = matmul_t(g, a, 1, ta)
 * Broadcast batch dims come back summed by the engine.
 */
#include "ops/elementwise.h"
#include "ops/gemm.h"
#include "ops/simd.h"

#include <cblas.h>
#include <stdio.h>

#define TRANS_A i[0]
#define TRANS_B i[1]

static tg_status matmul_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *a = n->in[0], *b = n->in[1];
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    if (a->ndim < 2 || b->ndim < 2)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "needs at least 2 dims on both sides: %s @ %s; "
                           "hint: reshape a vector to [1,K] or [K,1]",
                           tg__fmt_shape(s1, a->ndim, a->shape),
                           tg__fmt_shape(s2, b->ndim, b->shape));
    bool ta = n->attr.TRANS_A, tb = n->attr.TRANS_B;
    int64_t M = a->shape[a->ndim - (ta ? 1 : 2)];
    int64_t Ka = a->shape[a->ndim - (ta ? 2 : 1)];
    int64_t Kb = b->shape[b->ndim - (tb ? 1 : 2)];
    int64_t N = b->shape[b->ndim - (tb ? 2 : 1)];
    if (Ka != Kb)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "inner dimensions differ: %s%s @ %s%s (%lld vs "
                           "%lld)",
                           tg__fmt_shape(s1, a->ndim, a->shape),
                           ta ? "^T" : "", tg__fmt_shape(s2, b->ndim, b->shape),
                           tb ? "^T" : "", (long long)Ka, (long long)Kb);
    int bad;
    if (!tg__broadcast_shape(a->ndim - 2, a->shape, b->ndim - 2, b->shape,
                             &out->ndim, out->shape, &bad))
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "batch dims of %s and %s do not broadcast",
                           tg__fmt_shape(s1, a->ndim, a->shape),
                           tg__fmt_shape(s2, b->ndim, b->shape));
    out->shape[out->ndim++] = M;
    out->shape[out->ndim++] = N;
    return TG_OK;
}

/* Batch offsets (in matrices) of a and b for output batch index r. */
static void batch_offsets(const tg_tensor *y, const tg_tensor *a,
                          const tg_tensor *b, int64_t r, int64_t *oa,
                          int64_t *ob)
{
    int nb = y->ndim - 2, na = a->ndim - 2, nbb = b->ndim - 2;
    int64_t sa = 1, sb = 1, offa = 0, offb = 0;
    for (int i = nb - 1; i >= 0; i--) {
        int64_t k = r % y->shape[i];
        r /= y->shape[i];
        int ia = i - (nb - na), ib = i - (nb - nbb);
        if (ia >= 0) {
            if (a->shape[ia] != 1) offa += k * sa;
            sa *= a->shape[ia];
        }
        if (ib >= 0) {
            if (b->shape[ib] != 1) offb += k * sb;
            sb *= b->shape[ib];
        }
    }
    *oa = offa;
    *ob = offb;
}

/* Outer product C[M,N] = a b^T + beta C (a: M values, b: N values, both
 * contiguous), one kernel per instruction set like the elementwise ones:
 * it is a pure store stream (the weight gradient of a batch-1 linear
 * layer), and the baseline build's compiler-vectorized loop issued 16-byte
 * stores, twice the time of a memset of the same bytes. With beta == 0, C
 * may hold garbage and is never read. */
#define OUTER_ISA(I, S, T, SFX)                                              \
    TG_TARGET_##I static void outer_##SFX##_##I(int64_t M, int64_t N,        \
                                                const T *a, const T *b,      \
                                                T beta, T *C)                \
    {                                                                        \
        for (int64_t i = 0; i < M; i++) {                                    \
            const T ai = a[i];                                               \
            T *restrict c = C + i * N;                                       \
            TG_V##S(I) av = TG_SET1##S(I, ai);                               \
            int64_t j = 0;                                                   \
            if (beta == 0) {                                                 \
                for (; j + TG_N##S(I) <= N; j += TG_N##S(I))                 \
                    TG_STORE##S(I, c + j,                                    \
                                TG_MUL##S(I, av, TG_LOAD##S(I, b + j)));     \
                for (; j < N; j++) c[j] = ai * b[j];                         \
            } else {                                                         \
                TG_V##S(I) bv = TG_SET1##S(I, beta);                         \
                for (; j + TG_N##S(I) <= N; j += TG_N##S(I))                 \
                    TG_STORE##S(I, c + j,                                    \
                                TG_ADD##S(I,                                 \
                                          TG_MUL##S(I, bv,                   \
                                                    TG_LOAD##S(I, c + j)),   \
                                          TG_MUL##S(I, av,                   \
                                                    TG_LOAD##S(I, b + j)))); \
                for (; j < N; j++) c[j] = beta * c[j] + ai * b[j];           \
            }                                                                \
        }                                                                    \
    }
OUTER_ISA(sse2, F, float, f32)
OUTER_ISA(avx2, F, float, f32)
OUTER_ISA(avx512, F, float, f32)
OUTER_ISA(sse2, D, double, f64)
OUTER_ISA(avx2, D, double, f64)
OUTER_ISA(avx512, D, double, f64)

typedef void (*outer_f32_fn)(int64_t, int64_t, const float *, const float *,
                             float, float *);
typedef void (*outer_f64_fn)(int64_t, int64_t, const double *,
                             const double *, double, double *);
static const outer_f32_fn outer_f32[3] = {outer_f32_sse2, outer_f32_avx2,
                                          outer_f32_avx512};
static const outer_f64_fn outer_f64[3] = {outer_f64_sse2, outer_f64_avx2,
                                          outer_f64_avx512};

/* C[M,N] = op(A) op(B) + beta C (row-major, leading dims lda, ldb; see
 * ops/gemm.h). Degenerate shapes skip gemm, which packs whole operands even
 * when one side is a single row or column (measured here, 1 thread: a
 * [1,784] x [784,256] product takes 36 us through sgemm, 7 us through
 * sgemv):
 *   M == 1 or N == 1   a matrix-vector product (gemv);
 *   K == 1             an outer product, written directly (outer_*).
 * In these cases every vector operand is contiguous whatever the
 * transpose flags (its other extent is 1). */
#define GEMM_DISPATCH(T, NAME, GEMM, GEMV, OUTER)                                   \
    void NAME(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T *A, \
              int64_t lda, const T *B, int64_t ldb, T beta, T *C)           \
    {                                                                        \
        if (M == 1) {                                                        \
            if (tb)                                                          \
                GEMV(CblasRowMajor, CblasNoTrans, (int)N, (int)K, 1, B,      \
                     (int)ldb, A, 1, beta, C, 1);                            \
            else                                                             \
                GEMV(CblasRowMajor, CblasTrans, (int)K, (int)N, 1, B,        \
                     (int)ldb, A, 1, beta, C, 1);                            \
        } else if (N == 1) {                                                 \
            if (ta)                                                          \
                GEMV(CblasRowMajor, CblasTrans, (int)K, (int)M, 1, A,        \
                     (int)lda, B, 1, beta, C, 1);                            \
            else                                                             \
                GEMV(CblasRowMajor, CblasNoTrans, (int)M, (int)K, 1, A,      \
                     (int)lda, B, 1, beta, C, 1);                            \
        } else if (K == 1) {                                                 \
            OUTER[tg__isa()](M, N, A, B, beta, C);                           \
        } else {                                                             \
            GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,              \
                 tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, 1,  \
                 A, (int)lda, B, (int)ldb, beta, C, (int)N);                 \
        }                                                                    \
    }
GEMM_DISPATCH(float, tg__gemm_f32, cblas_sgemm, cblas_sgemv, outer_f32)
GEMM_DISPATCH(double, tg__gemm_f64, cblas_dgemm, cblas_dgemv, outer_f64)

static tg_status matmul_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *a = n->in[0], *b = n->in[1];
    tg_tensor *y = n->out;
    bool ta = n->attr.TRANS_A, tb = n->attr.TRANS_B;
    int64_t M = y->shape[y->ndim - 2], N = y->shape[y->ndim - 1];
    int64_t K = a->shape[a->ndim - (ta ? 2 : 1)];
    int64_t batch = (M != 0 && N != 0) ? y->numel / (M * N) : 0;
    if (y->numel == 0) return TG_OK;
    if (K == 0) {
        memset(y->data, 0, (size_t)y->numel * (y->dtype == TG_F64 ? 8 : 4));
        return TG_OK;
    }
    int64_t lda = ta ? M : K, ldb = tb ? K : N;
    int64_t a_mat = M * K, b_mat = K * N;
    /* Fold a's batch into M when b has no batch dims and a is not
     * transposed: [B, M, K] @ [K, N] is one [B*M, K] @ [K, N] gemm. */
    if (b->ndim == 2 && !ta && a->numel == batch * a_mat) {
        M *= batch;
        batch = 1;
    }
    for (int64_t r = 0; r < batch; r++) {
        int64_t oa = 0, ob = 0;
        if (batch > 1) batch_offsets(y, a, b, r, &oa, &ob);
        if (y->dtype == TG_F32)
            tg__gemm_f32(ta, tb, M, N, K,
                         (const float *)a->data + oa * a_mat, lda,
                         (const float *)b->data + ob * b_mat, ldb, 0.0f,
                         (float *)y->data + r * M * N);
        else
            tg__gemm_f64(ta, tb, M, N, K,
                         (const double *)a->data + oa * a_mat, lda,
                         (const double *)b->data + ob * b_mat, ldb, 0.0,
                         (double *)y->data + r * M * N);
    }
    return TG_OK;
}

static void matmul_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *a = n->in[0], *b = n->in[1];
    bool ta = n->attr.TRANS_A, tb = n->attr.TRANS_B;
    if (need[0])
        gx[0] = ta ? tg_matmul_t(b, gy, tb, true)
                   : tg_matmul_t(gy, b, false, !tb);
    if (need[1])
        gx[1] = tb ? tg_matmul_t(gy, a, true, ta)
                   : tg_matmul_t(a, gy, !ta, false);
}

const tg_op_desc tg_op_matmul = {
    "matmul", 2, 2, 0, matmul_shape, matmul_fwd, matmul_vjp,
    "a @ b | a=3x4 b=4x5; matmul(a, b) | a=2x3x4 b=4x2; "
    "matmul(a, b) | a=2x1x3x4 b=3x4x2; matmul(a, b, trans_a=1) | a=4x3 b=4x2; "
    "matmul(a, b, trans_b=1) | a=3x4 b=2x4"};

tg_tensor *tg_matmul_t(tg_tensor *a, tg_tensor *b, bool trans_a, bool trans_b)
{
    tg_attrs at = {0};
    at.TRANS_A = trans_a;
    at.TRANS_B = trans_b;
    return tg__apply2(TG_OP_matmul, a, b, &at);
}

tg_tensor *tg_matmul(tg_tensor *a, tg_tensor *b)
{
    return tg_matmul_t(a, b, false, false);
}
