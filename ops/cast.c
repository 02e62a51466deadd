/* cast: convert between f32 and f64. VJP: cast(g, x.dtype). */
#include "ops/elementwise.h"

#define DTYPE i[0] /* target dtype */

static tg_status cast_shape(tg_graph *g, tg_node *n, tg_tensor *out)
{
    int64_t dt = n->attr.DTYPE;
    if (dt != TG_F32 && dt != TG_F64)
        return tg__op_fail(g, n, TG_ERR_ARG,
                           "unknown dtype %lld; hint: TG_F32 or TG_F64",
                           (long long)dt);
    out->dtype = (tg_dtype)dt;
    return tg_shape_same(g, n, out);
}

static tg_status cast_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    tg_tensor *x = n->in[0], *y = n->out;
    int64_t len = y->numel;
    if (x->dtype == y->dtype) {
        memcpy(y->data, x->data, (size_t)len * (x->dtype == TG_F64 ? 8 : 4));
    } else if (y->dtype == TG_F64) {
        const float *s = x->data;
        double *d = y->data;
        for (int64_t i = 0; i < len; i++) d[i] = s[i];
    } else {
        const double *s = x->data;
        float *d = y->data;
        for (int64_t i = 0; i < len; i++) d[i] = (float)s[i];
    }
    return TG_OK;
}

static void cast_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_cast(gy, n->in[0]->dtype);
}

TG_BUILTIN_OP(cast,
    .n_inputs = 1,
    .attrs = {{"dtype", TG_ATTR_DTYPE, TG_F64, true}},
    .shape = cast_shape,
    .forward = cast_fwd,
    .vjp = cast_vjp,
    .cases = "cast(cast(x, dtype=f32), dtype=f64) | x=3x4 | eps=1e-2 "
        "atol=1e-3 rtol=1e-3; cast(x, dtype=f64) * x | x=5");

tg_tensor *tg_cast(tg_tensor *x, tg_dtype dt)
{
    tg_attrs a = {0};
    a.DTYPE = dt;
    return tg__apply1(TG_OP_cast, x, &a);
}
