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

const tg_op_desc tg_op_neg = {"neg", 1, 1, 0, tg__same_shape_rule, neg_fwd,
                              neg_vjp, "neg(x) | x=3x4; -x | x=5"};
const tg_op_desc tg_op_add_scalar = {
    "add_scalar", 1, 1, 0, tg__same_shape_rule, add_scalar_fwd,
    add_scalar_vjp, "add_scalar(x, s=2.5) | x=3x4"};
const tg_op_desc tg_op_mul_scalar = {
    "mul_scalar", 1, 1, 0, tg__same_shape_rule, mul_scalar_fwd,
    mul_scalar_vjp, "mul_scalar(x, s=-1.5) | x=3x4"};

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
