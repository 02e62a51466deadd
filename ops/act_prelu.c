/* prelu(x, alpha) = x > 0 ? x : alpha_c x, alpha learned (torch.nn.PReLU).
 *
 * Legend: x is [N, C, S...] (N = x.shape[0], C = x.shape[1], S the
 * product of the trailing dims); alpha holds 1 value (any shape with one
 * element) or C values (shape [C]). For x with fewer than 2 dims there is
 * no channel axis and alpha must hold one value.
 *
 * VJPs (P = [x > 0], Q = 1 - P, both constant masks; at 0 the slope is
 * alpha_c as in PyTorch):
 *   dx     = g (P + Q alpha_c)
 *   dalpha = sum over N and S of g x Q, reshaped to alpha's shape.
 * alpha_c is alpha viewed as [C, 1, ..., 1] (rank ndim - 1) so that NumPy
 * broadcasting lines it up with axis 1. The sum is the channel mapping of
 * this op, not a broadcast the engine could undo. */
#include "ops/ew.h"

#include <stdio.h>

/* Fills *C with the channel count alpha must match, and the view shape
 * of alpha aligned with axis 1. */
static int64_t channels(const tg_tensor *x)
{
    return x->ndim >= 2 ? x->shape[1] : 1;
}

static tg_status prelu_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    const tg_tensor *x = n->in[0], *al = n->in[1];
    int64_t C = channels(x);
    bool ok = al->numel == 1 || (al->ndim == 1 && al->shape[0] == C);
    if (!ok) {
        char s1[TG_SHAPE_BUF], s2[TG_SHAPE_BUF];
        if (x->ndim >= 2)
            return tg__op_fail(g, n, TG_ERR_SHAPE,
                               "alpha has shape %s but x %s has %lld "
                               "channels (dim 1); hint: alpha needs 1 value "
                               "or one per channel",
                               tg__fmt_shape(s1, al->ndim, al->shape),
                               tg__fmt_shape(s2, x->ndim, x->shape),
                               (long long)C);
        return tg__op_fail(g, n, TG_ERR_SHAPE,
                           "alpha has shape %s but x %s has no channel axis "
                           "(fewer than 2 dims); hint: alpha needs 1 value",
                           tg__fmt_shape(s1, al->ndim, al->shape),
                           tg__fmt_shape(s2, x->ndim, x->shape));
    }
    return tg_shape_same(g, n, out);
}

/* y = x > 0 ? x : a x over rows of S elements, a = al[row % C] (or al[0]
 * when one alpha is shared) */
static void prelu_rows_f32(int64_t rows, int64_t C, int64_t S, float *y,
                           const float *x, const float *al, bool shared)
{
    TG_PAR_FOR(tg__par_worth((double)rows * S), r, rows, {
        const float a = al[shared ? 0 : r % C];
        const float *xr = x + r * S;
        float *yr = y + r * S;
        for (int64_t i = 0; i < S; i++) yr[i] = xr[i] > 0 ? xr[i] : a * xr[i];
    });
}
static void prelu_rows_f64(int64_t rows, int64_t C, int64_t S, double *y,
                           const double *x, const double *al, bool shared)
{
    TG_PAR_FOR(tg__par_worth((double)rows * S), r, rows, {
        const double a = al[shared ? 0 : r % C];
        const double *xr = x + r * S;
        double *yr = y + r * S;
        for (int64_t i = 0; i < S; i++) yr[i] = xr[i] > 0 ? xr[i] : a * xr[i];
    });
}

static tg_status prelu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    const tg_tensor *x = n->in[0], *al = n->in[1];
    int64_t C = x->ndim >= 2 ? x->shape[1] : 1;
    int64_t N = x->ndim >= 1 ? x->shape[0] : 1;
    if (x->numel == 0) return TG_OK;
    int64_t S = x->numel / (N * C);
    if (x->dtype == TG_F32)
        prelu_rows_f32(N * C, C, S, n->out->data, x->data, al->data, al->numel == 1);
    else
        prelu_rows_f64(N * C, C, S, n->out->data, x->data, al->data, al->numel == 1);
    return TG_OK;
}

static void prelu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                      const bool *need, tg_tensor **gx)
{
    tg_tensor *x = n->in[0], *al = n->in[1];
    tg_tensor *p = tg__ew_map_const(g, n, x, TG_KM_posmask, (tg_kp){0, 0, 0});
    tg_tensor *q = tg_add_scalar(tg_neg(p), 1.0);
    if (need[0]) {
        tg_tensor *ac;
        if (al->numel == 1 || x->ndim < 2) {
            ac = tg_reshape(al, 0, NULL);
        } else {
            int64_t vs[TG_MAX_DIMS];
            vs[0] = al->numel;
            for (int i = 1; i < x->ndim - 1; i++) vs[i] = 1;
            ac = tg_reshape(al, x->ndim - 1, vs);
        }
        gx[0] = tg_mul(gy, tg_add(p, tg_mul(q, ac)));
    }
    if (need[1]) {
        tg_tensor *t = tg_mul(tg_mul(gy, x), q);
        tg_tensor *s;
        if (al->numel == 1 || x->ndim < 2) {
            s = tg_sum_all(t);
        } else {
            int64_t axes[TG_MAX_DIMS];
            int na = 0;
            for (int i = 0; i < x->ndim; i++)
                if (i != 1) axes[na++] = i;
            s = tg_sum(t, na, axes, false);
        }
        gx[1] = tg_reshape(s, al->ndim, al->shape);
    }
}

TG_BUILTIN_OP(prelu,
    .n_inputs = 2,
    .flags = TG_OPF_NONSMOOTH,
    .shape = prelu_shape,
    .forward = prelu_fwd,
    .vjp = prelu_vjp,
    .cases = "prelu(x, a) | x=2x3x4 a=3; prelu(x, a) | x=5x2 a=1; "
        "prelu(x, a) | x=7 a=scalar");

tg_tensor *tg_prelu(tg_tensor *x, tg_tensor *alpha)
{
    return tg__apply2(TG_OP_prelu, x, alpha, NULL);
}
