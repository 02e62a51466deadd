/* neg, add_scalar, mul_scalar: x with a constant.
 * VJPs: neg: -g;  add_scalar: g;  mul_scalar: g s. */
#include "ops/elementwise.h"

#define SCALAR_ATTR f[0] /* the constant s */

/* Small tensors stay out of OpenMP: a region with a false `if` clause
 * still costs a libgomp team setup and a futex call (about 3 us). */
#define AFFINE_LOOP(T)                                                      \
    {                                                                       \
        T *restrict y = n->out->data;                                       \
        const T *restrict x = n->in[0]->data;                               \
        const T m = (T)mul, c = (T)add;                                     \
        int64_t len = n->out->numel;                                        \
        if (len <= TG_PAR_MIN) {                                            \
            for (int64_t i = 0; i < len; i++) y[i] = x[i] * m + c;          \
        } else {                                                            \
            _Pragma("omp parallel for simd")                                \
            for (int64_t i = 0; i < len; i++) y[i] = x[i] * m + c;          \
        }                                                                   \
    }

/* y = x*mul + add; exact for the three uses (mul = ±1 or add = 0). */
static tg_status affine(tg_node *n, double mul, double add)
{
    if (n->out->dtype == TG_F32) AFFINE_LOOP(float) else AFFINE_LOOP(double)
    return TG_OK;
}

static tg_status neg_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return affine(n, -1.0, 0.0);
}
static tg_status add_scalar_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return affine(n, 1.0, n->attr.SCALAR_ATTR);
}
static tg_status mul_scalar_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return affine(n, n->attr.SCALAR_ATTR, 0.0);
}

static void neg_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                    tg_tensor **gx)
{
    (void)g, (void)n, (void)need;
    gx[0] = tg_neg(gy);
}
static void add_scalar_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)g, (void)n, (void)need;
    gx[0] = gy;
}
static void mul_scalar_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_mul_scalar(gy, n->attr.SCALAR_ATTR);
}

TG_BUILTIN_OP(neg,
    .n_inputs = 1,
    .forward = neg_fwd,
    .vjp = neg_vjp,
    .cases = "neg(x) | x=3x4; -x | x=5");
TG_BUILTIN_OP(add_scalar,
    .n_inputs = 1,
    .attrs = {{"s", TG_ATTR_REAL, 0, true}},
    .forward = add_scalar_fwd,
    .vjp = add_scalar_vjp,
    .cases = "add_scalar(x, s=2.5) | x=3x4");
TG_BUILTIN_OP(mul_scalar,
    .n_inputs = 1,
    .attrs = {{"s", TG_ATTR_REAL, 0, true}},
    .forward = mul_scalar_fwd,
    .vjp = mul_scalar_vjp,
    .cases = "mul_scalar(x, s=-1.5) | x=3x4");

tg_tensor *tg_neg(tg_tensor *x) { return tg__apply1(TG_OP_neg, x, NULL); }

tg_tensor *tg_add_scalar(tg_tensor *x, double s)
{
    tg_attrs a = {0};
    a.SCALAR_ATTR = s;
    return tg__apply1(TG_OP_add_scalar, x, &a);
}

tg_tensor *tg_mul_scalar(tg_tensor *x, double s)
{
    tg_attrs a = {0};
    a.SCALAR_ATTR = s;
    return tg__apply1(TG_OP_mul_scalar, x, &a);
}
