/* cast: convert between any two dtypes (f32, f64, i64, bool), as
 * PyTorch's Tensor.to(dtype):
 *   float -> i64   truncation toward zero; NaN gives 0 and values beyond
 *                  the int64 range saturate (PyTorch leaves both
 *                  undefined; C's conversion would be undefined behaviour)
 *   any -> bool    v != 0 (NaN is true)
 *   bool -> any    0 or 1
 *   i64 -> float   rounded to nearest beyond 2^24 (f32) or 2^53 (f64)
 * VJP: cast(g, x.dtype), between float dtypes only: an i64 or bool output
 * never requires grad, and an i64 or bool input never needs one. */
#include "ops/array.h"

#define DTYPE i[0] /* target dtype */

static tg_status cast_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    int64_t dt = n->attr.DTYPE;
    if (dt < 0 || dt >= TG_DTYPE_COUNT)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "unknown dtype %lld; hint: TG_F32, TG_F64, TG_I64 "
                           "or TG_BOOL",
                           (long long)dt);
    out->dtype = (tg_dtype)dt;
    return tg_shape_same(g, n, out);
}

/* Convert n elements of type S at s into type D at d. */
#define CONV(D, S, expr)                                                   \
    {                                                                      \
        const S *src = s;                                                  \
        D *dst = d;                                                        \
        for (int64_t i = 0; i < len; i++) {                                \
            S v = src[i];                                                  \
            dst[i] = (expr);                                               \
        }                                                                  \
    }

static tg_status cast_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg_tensor *x = n->in[0], *y = n->out;
    int64_t len = y->numel;
    const void *s = x->data;
    void *d = y->data;
    if (x->dtype == y->dtype) {
        memcpy(d, s, (size_t)len * tg_dtype_size(x->dtype));
        return TG_OK;
    }
    switch (y->dtype * TG_DTYPE_COUNT + x->dtype) {
#define PAIR(a, b) ((a) * TG_DTYPE_COUNT + (b))
    case PAIR(TG_F32, TG_F64): CONV(float, double, (float)v) break;
    case PAIR(TG_F32, TG_I64): CONV(float, int64_t, (float)v) break;
    case PAIR(TG_F32, TG_BOOL): CONV(float, bool, v ? 1.0f : 0.0f) break;
    case PAIR(TG_F64, TG_F32): CONV(double, float, (double)v) break;
    case PAIR(TG_F64, TG_I64): CONV(double, int64_t, (double)v) break;
    case PAIR(TG_F64, TG_BOOL): CONV(double, bool, v ? 1.0 : 0.0) break;
    case PAIR(TG_I64, TG_F32): CONV(int64_t, float, tg__to_i64(v)) break;
    case PAIR(TG_I64, TG_F64): CONV(int64_t, double, tg__to_i64(v)) break;
    case PAIR(TG_I64, TG_BOOL): CONV(int64_t, bool, v ? 1 : 0) break;
    case PAIR(TG_BOOL, TG_F32): CONV(bool, float, v != 0) break;
    case PAIR(TG_BOOL, TG_F64): CONV(bool, double, v != 0) break;
    case PAIR(TG_BOOL, TG_I64): CONV(bool, int64_t, v != 0) break;
#undef PAIR
    default: assert(!"cast: dtype pair");
    }
    return TG_OK;
}

static void cast_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g;
    if (need[0]) gx[0] = tg_cast(gy, n->in[0]->dtype);
}

TG_BUILTIN_OP(cast,
    .n_inputs = 1,
    .flags = TG_OPF_ANY_DTYPE,
    .attrs = {{"dtype", TG_ATTR_DTYPE, TG_F64, true}},
    .shape = cast_shape,
    .forward = cast_fwd,
    .vjp = cast_vjp,
    .cases = "cast(cast(x, dtype=f32), dtype=f64) | x=3x4 | eps=1e-2 "
        "atol=1e-3 rtol=1e-3; cast(x, dtype=f64) * x | x=5; "
        "x * cast(cast(3 * x, dtype=i64), dtype=f64) | x=2x3");

tg_tensor *tg_cast(tg_tensor *x, tg_dtype dt)
{
    tg_attrs a = {0};
    a.DTYPE = dt;
    return tg__apply1(TG_OP_cast, x, &a);
}
