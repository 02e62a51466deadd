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
