/* matmul: op(a) @ op(b) through CBLAS gemm, batch dims broadcast.
 *
 * Legend: a is [..., M, K] ([..., K, M] when trans_a), b is [..., K, N]
 * ([..., N, K] when trans_b), y is [batch..., M, N].
 *
 * Vectors follow torch.matmul: a 1-D a is the row [1,K] and a 1-D b the
 * column [K,1] for the product, and that inserted 1 is dropped from the
 * result ([K] @ [K] is 0-d, [K] @ [..., K, N] is [..., N], [..., M, K] @ [K]
 * is [..., M]). A transpose flag on a 1-D operand is ignored: a vector is
 * its own transpose (NumPy's v.T is v), and its side of the product alone
 * decides whether it acts as a row or a column. 0-d operands are an error.
 *
 * VJP, with dA' = g op(b)^T and dB' = op(a)^T g (the gradients of op(a),
 * op(b)):
 *   trans_a = 0: dA = g @ op(b)^T          = matmul_t(g, b, 0, !tb)
 *   trans_a = 1: dA = (dA')^T = op(b) g^T  = matmul_t(b, g, tb, 1)
 *   trans_b = 0: dB = op(a)^T @ g          = matmul_t(a, g, !ta, 0)
 *   trans_b = 1: dB = (dB')^T = g^T op(a)  = matmul_t(g, a, 1, ta)
 * with vectors and g viewed in their matrix shapes ([1,K], [K,1], g with
 * the dropped 1 restored); a vector's gradient, [batch..., 1, K] or
 * [batch..., K, 1], is squeezed back to [batch..., K]. Broadcast batch
 * dims come back summed by the engine, except for a matrix b that has no
 * batch dims under an untransposed a with some: its gradient is one
 * product over the folded rows, [B*M, K]^T [B*M, N].
 */
#include "ops/elementwise.h"
#include "ops/gemm.h"
#include <stdio.h>

#define TRANS_A i[0]
#define TRANS_B i[1]

/* The product's geometry once vectors are promoted to matrices. */
typedef struct mm_geom {
    bool va, vb;     /* a is 1-D (a row), b is 1-D (a column)        */
    bool ta, tb;     /* transposes in effect (never on a vector)     */
    int nba, nbb;    /* batch dims of a and b                        */
    int64_t M, Ka, Kb, N;
} mm_geom;

static void mm_geom_of(mm_geom *m, const tg_node *n)
{
    const tg_tensor *a = n->in[0], *b = n->in[1];
    m->va = a->ndim == 1;
    m->vb = b->ndim == 1;
    m->ta = !m->va && n->attr.TRANS_A;
    m->tb = !m->vb && n->attr.TRANS_B;
    m->nba = m->va ? 0 : a->ndim - 2;
    m->nbb = m->vb ? 0 : b->ndim - 2;
    m->M = m->va ? 1 : a->shape[a->ndim - (m->ta ? 1 : 2)];
    m->Ka = a->shape[a->ndim - (m->ta ? 2 : 1)];
    m->Kb = m->vb ? b->shape[0] : b->shape[b->ndim - (m->tb ? 1 : 2)];
    m->N = m->vb ? 1 : b->shape[b->ndim - (m->tb ? 2 : 1)];
}

static tg_status matmul_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *a = n->in[0], *b = n->in[1];
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
    if (a->ndim < 1 || b->ndim < 1)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "needs at least 1 dim on both sides: %s @ %s; "
                           "hint: scale by a 0-d tensor with mul (*)",
                           tg__fmt_shape(s1, a->ndim, a->shape),
                           tg__fmt_shape(s2, b->ndim, b->shape));
    mm_geom m;
    mm_geom_of(&m, n);
    if (m.Ka != m.Kb)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "inner dimensions differ: %s%s @ %s%s (%lld vs "
                           "%lld)",
                           tg__fmt_shape(s1, a->ndim, a->shape),
                           m.ta ? "^T" : "",
                           tg__fmt_shape(s2, b->ndim, b->shape),
                           m.tb ? "^T" : "", (long long)m.Ka,
                           (long long)m.Kb);
    int bad;
    if (!tg__broadcast_shape(m.nba, a->shape, m.nbb, b->shape, &out->ndim,
                             out->shape, &bad))
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "batch dims of %s and %s do not broadcast",
                           tg__fmt_shape(s1, a->ndim, a->shape),
                           tg__fmt_shape(s2, b->ndim, b->shape));
    if (!m.va) out->shape[out->ndim++] = m.M;
    if (!m.vb) out->shape[out->ndim++] = m.N;
    return TG_OK;
}

/* Batch offsets (in matrices) of a and b for output batch index r; y has
 * nb batch dims, a has na, b has nbb. */
static void batch_offsets(const tg_tensor *y, int nb, const tg_tensor *a,
                          int na, const tg_tensor *b, int nbb, int64_t r,
                          int64_t *oa, int64_t *ob)
{
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
    mm_geom m;
    mm_geom_of(&m, n);
    bool ta = m.ta, tb = m.tb;
    int64_t M = m.M, N = m.N, K = m.Ka;
    int nb = y->ndim - !m.va - !m.vb; /* y's batch dims */
    /* An empty product first: M * N need not fit when another extent is
     * 0 ([0, 2^32] @ [2^32, 0]); once y holds elements, every product of
     * its extents (and of a's and b's, K > 0) is at most its count. */
    if (y->numel == 0) return TG_OK;
    int64_t batch = y->numel / (M * N);
    if (K == 0) {
        memset(y->data, 0, (size_t)y->numel * (y->dtype == TG_F64 ? 8 : 4));
        return TG_OK;
    }
    int64_t lda = ta ? M : K, ldb = tb ? K : N;
    int64_t a_mat = M * K, b_mat = K * N;
    /* Fold a's batch into M when b has no batch dims and a is not
     * transposed: [B, M, K] @ [K, N] is one [B*M, K] @ [K, N] gemm. */
    if (m.nbb == 0 && !ta && a->numel == batch * a_mat) {
        M *= batch;
        batch = 1;
    }
    for (int64_t r = 0; r < batch; r++) {
        int64_t oa = 0, ob = 0;
        if (batch > 1)
            batch_offsets(y, nb, a, m.nba, b, m.nbb, r, &oa, &ob);
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
    mm_geom m;
    mm_geom_of(&m, n);
    bool ta = m.ta, tb = m.tb;
    if (m.va || m.vb) { /* views in the matrix shapes; see the top */
        int64_t s[TG_MAX_DIMS];
        int nb = gy->ndim - !m.va - !m.vb;
        memcpy(s, gy->shape, (size_t)nb * sizeof *s);
        s[nb] = m.M;
        s[nb + 1] = m.N;
        gy = tg_reshape(gy, nb + 2, s);
        if (m.va) a = tg_reshape(a, 2, (int64_t[]){1, m.Ka});
        if (m.vb) b = tg_reshape(b, 2, (int64_t[]){m.Kb, 1});
    }
    if (need[0]) {
        gx[0] = ta ? tg_matmul_t(b, gy, tb, true)
                   : tg_matmul_t(gy, b, false, !tb);
        if (m.va) gx[0] = tg_squeeze(gx[0], -2);
    }
    if (need[1] && m.nbb == 0 && m.nba > 0 && !m.va && !m.vb && !ta) {
        /* A matrix b shared by every batch of a ([..., M, K] @ [K, N],
         * the forward's fold): its gradient sums over the batch, which
         * folds into the product's own sum, one gemm over the B*M rows of
         * a and g instead of B products that the engine then adds up. */
        int64_t rows = 1;
        for (int i = 0; i < a->ndim - 1; i++) rows *= a->shape[i];
        tg_tensor *a2 = tg_reshape(a, 2, (int64_t[]){rows, m.Ka});
        tg_tensor *g2 = tg_reshape(gy, 2, (int64_t[]){rows, m.N});
        gx[1] = tb ? tg_matmul_t(g2, a2, true, false)
                   : tg_matmul_t(a2, g2, true, false);
    } else if (need[1]) {
        gx[1] = tb ? tg_matmul_t(gy, a, true, ta)
                   : tg_matmul_t(a, gy, !ta, false);
        if (m.vb) gx[1] = tg_squeeze(gx[1], -1);
    }
}

/* The backward pass's in-place path for a weight shared by many products
 * (an RNN's W_hh, once per time step): once b's gradient has a private
 * accumulator, each further product adds its contribution there with the
 * gemm's beta = 1, instead of making a tensor of b's size and adding it.
 * Only for two matrices (no batch dims, no vectors); the sums are those
 * of the VJP's products, added in the same order. */
bool tg__matmul_add_into_b(const tg_node *n, const tg_tensor *gy,
                           tg_tensor *acc)
{
    const tg_tensor *a = n->in[0], *b = n->in[1];
    if (n->op != &tg_op_matmul || a->ndim != 2 || b->ndim != 2 ||
        gy->ndim != 2 || acc->dtype != gy->dtype || a->dtype != gy->dtype ||
        acc->ndim != 2 || acc->shape[0] != b->shape[0] ||
        acc->shape[1] != b->shape[1] ||
        (gy->dtype != TG_F32 && gy->dtype != TG_F64))
        return false;
    bool ta = n->attr.TRANS_A, tb = n->attr.TRANS_B;
    int64_t M = gy->shape[0], N = gy->shape[1];
    int64_t K = ta ? a->shape[0] : a->shape[1], lda = a->shape[1];
    if (M == 0 || N == 0 || K == 0) return true; /* adds nothing */
    /* tb = 0: acc [K, N] += op(a)^T g; tb = 1: acc [N, K] += g^T op(a) */
    bool f32 = gy->dtype == TG_F32;
    if (!tb) {
        if (f32)
            tg__gemm_f32(!ta, false, K, N, M, a->data, lda, gy->data, N,
                         1.0f, acc->data);
        else
            tg__gemm_f64(!ta, false, K, N, M, a->data, lda, gy->data, N, 1.0,
                         acc->data);
    } else {
        if (f32)
            tg__gemm_f32(true, ta, N, K, M, gy->data, N, a->data, lda, 1.0f,
                         acc->data);
        else
            tg__gemm_f64(true, ta, N, K, M, gy->data, N, a->data, lda, 1.0,
                         acc->data);
    }
    return true;
}

TG_BUILTIN_OP(matmul,
    .n_inputs = 2,
    .attrs = {{"trans_a", TG_ATTR_BOOL}, {"trans_b", TG_ATTR_BOOL}},
    .shape = matmul_shape,
    .forward = matmul_fwd,
    .vjp = matmul_vjp,
    .cases = "a @ b | a=3x4 b=4x5; matmul(a, b) | a=2x3x4 b=4x2; "
        "matmul(a, b) | a=2x1x3x4 b=3x4x2; matmul(a, b, trans_a=1) | a=4x3 b=4x2; "
        "matmul(a, b, trans_b=1) | a=3x4 b=2x4; a @ b | a=4 b=4; "
        "a @ b | a=3 b=3x2; a @ b | a=3x2 b=2; matmul(a, b) | a=3 b=2x3x4; "
        "matmul(a, b) | a=2x1x4x3 b=3; matmul(a, b, trans_a=1, trans_b=1) | "
        "a=3 b=2x3; matmul(a, b, trans_b=1) | a=2x3x4 b=5x4; "
        "matmul(a, b) | a=2x1x3x4 b=4x2; matmul(a, b, trans_a=1) | "
        "a=2x4x3 b=4x2");

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
