/* Tensors from literals for the op tests: an input of dtype `dt` filled
 * from doubles (converted to f32 when dt is TG_F32; `v` NULL leaves it
 * unfilled), requiring gradients when `rg`. */
#ifndef TAPEGRAD_TT_TENSOR_H
#define TAPEGRAD_TT_TENSOR_H

#include <tapegrad/tapegrad.h>

static inline tg_tensor *tt_in(tg_graph *g, int nd, const int64_t *s,
                               const double *v, tg_dtype dt, bool rg)
{
    tg_tensor *t = tg_input(g, dt, nd, s, NULL);
    for (int64_t i = 0; v && i < t->numel; i++) {
        if (dt == TG_F32) tg_f32(t)[i] = (float)v[i];
        else tg_f64(t)[i] = v[i];
    }
    if (rg) tg_set_requires_grad(t, true);
    return t;
}

#endif
