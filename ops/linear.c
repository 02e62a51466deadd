/* linear: y = x @ W + b, one gemm with the bias folded in.
 *
 * Legend: x [..., K] (or [K]), W [K, N] (input-major, so no transpose is
 * needed; PyTorch's nn.Linear keeps [N, K]), b [N] or absent, y [..., N].
 * M = rows of x = numel(x) / K.
 *
 * VJPs (g = dL/dy):
 *   dx = g @ W^T                 matmul_t(g, W, 0, 1), batch dims kept
 *   dW = x2^T @ g2               x2 = x as [M, K], g2 = g as [M, N]
 *   db = g                       summed to [N] by the engine
 * (dW and db are written straight into the parameters' ->grad when the
 * engine offers them, see linear_vjp.)
 * Nothing is saved: x and W are the node's inputs.
 */
#include "ops/array.h"
#include "ops/gemm.h"

#define HAS_BIAS i[0]

static tg_status linear_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0], *W = n->in[1];
    n->attr.HAS_BIAS = n->n_in > 2; /* derived here, so tg_apply works too */
    const tg_tensor *b = n->attr.HAS_BIAS ? n->in[2] : NULL;
    char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF], s3[TG_SHAPE_BUF];
    if (W->ndim != 2)
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "W must be 2-D [in, out], got %s",
                           tg__fmt_shape(s1, W->ndim, W->shape));
    if (x->ndim < 1 || x->shape[x->ndim - 1] != W->shape[0])
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "x %s does not end in W's input size: W is %s; "
                           "hint: x is [..., in] and W is [in, out]",
                           tg__fmt_shape(s1, x->ndim, x->shape),
                           tg__fmt_shape(s2, W->ndim, W->shape));
    if (b && (b->ndim != 1 || b->shape[0] != W->shape[1]))
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "bias %s does not match W %s; hint: b is [out]",
                           tg__fmt_shape(s3, b->ndim, b->shape),
                           tg__fmt_shape(s2, W->ndim, W->shape));
    out->ndim = x->ndim;
    for (int i = 0; i < x->ndim - 1; i++) out->shape[i] = x->shape[i];
    out->shape[x->ndim - 1] = W->shape[1];
    return TG_OK;
}

static tg_status linear_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0], *W = n->in[1];
    const tg_tensor *b = n->attr.HAS_BIAS ? n->in[2] : NULL;
    tg_tensor *y = n->out;
    int64_t K = W->shape[0], N = W->shape[1];
    int64_t M = N ? y->numel / N : 0;
    size_t es = tg__dsize(y->dtype);
    if (y->numel == 0) return TG_OK;
    if (b)
        for (int64_t r = 0; r < M; r++)
            memcpy((char *)y->data + (size_t)(r * N) * es, b->data,
                   (size_t)N * es);
    else
        memset(y->data, 0, (size_t)y->numel * es);
    if (K == 0) return TG_OK;
    /* Through the engine's product dispatch: a single row (batch 1) runs
     * as gemv, which reads W once instead of packing all of it. */
    if (y->dtype == TG_F32)
        tg__gemm_f32(false, false, M, N, K, x->data, K, W->data, N, 1.0f,
                     y->data);
    else
        tg__gemm_f64(false, false, M, N, K, x->data, K, W->data, N, 1.0,
                     y->data);
    return TG_OK;
}

static void linear_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                       const bool *need, tg_tensor **gx)
{
    tg_tensor *x = n->in[0], *W = n->in[1];
    int64_t K = W->shape[0], N = W->shape[1];
    bool vec = x->ndim == 1;
    tg_tensor *g2 = vec ? tg_reshape(gy, TG_SHAPE(1, N)) : gy;
    if (need[0]) {
        tg_tensor *d = tg_matmul_t(g2, W, false, true);
        gx[0] = vec ? tg_reshape(d, 1, x->shape) : d;
    }
    /* gx[1], gx[2] may arrive as destinations (W's and b's zeroed ->grad,
     * recording off; see tg_op.vjp): the same product, written there
     * with beta = 0, and the bias's row sums by the engine's own sum_to
     * kernel. */
    int64_t M = N ? gy->numel / N : 0;
    if (need[1] && gx[1] && !g->grad_enabled) {
        tg_tensor *d = gx[1];
        if (d->numel == 0)
            ;
        else if (M == 0)
            memset(d->data, 0, (size_t)d->numel * tg__dsize(d->dtype));
        else if (d->dtype == TG_F32)
            tg__gemm_f32(true, false, K, N, M, x->data, K, gy->data, N, 0.0f,
                         d->data);
        else
            tg__gemm_f64(true, false, K, N, M, x->data, K, gy->data, N, 0.0,
                         d->data);
    } else if (need[1]) {
        tg_tensor *x2 = x->ndim == 2 ? x : tg_reshape(x, TG_SHAPE(-1, K));
        tg_tensor *gm = gy->ndim == 2 ? gy : tg_reshape(gy, TG_SHAPE(-1, N));
        gx[1] = tg_matmul_t(x2, gm, true, false);
    }
    if (n->attr.HAS_BIAS && need[2] && gx[2] && !g->grad_enabled) {
        tg__reduce_sum_to(gx[2], gy);
    } else if (n->attr.HAS_BIAS && need[2]) {
        gx[2] = gy;
    }
}

TG_BUILTIN_OP(linear,
    .n_inputs = 2,
    .max_inputs = 3,
    .shape = linear_shape,
    .forward = linear_fwd,
    .vjp = linear_vjp,
    .cases = "linear(x, W, b) | x=4x3 W=3x5 b=5; linear(x, W) | x=2x3x4 W=4x2; "
        "linear(x, W, b) | x=3 W=3x2 b=2");

tg_tensor *tg_linear(tg_tensor *x, tg_tensor *W, tg_tensor *b)
{
    tg_attrs a = {0};
    a.HAS_BIAS = b != NULL;
    tg_tensor *in[3] = {x, W, b};
    return tg__apply(TG_OP_linear, in, b ? 3 : 2, &a);
}
