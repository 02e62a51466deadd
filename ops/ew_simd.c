/* Drivers for the map and binary kernel generators of ops/simd.h: ISA
 * choice, OpenMP chunking, broadcast walking with parameters. */
#include "ops/ew.h"

#include <omp.h>
#include <stdio.h>

/* Chunks are multiples of 64 elements: every chunk but the last starts on
 * a cache line (so streaming stores stay aligned) and holds whole vectors
 * (so no element of an interior chunk takes the padded tail). */
#define PAR_MAP(T, FN)                                                      \
    FN k = kernels[tg__isa()];                                              \
    if (n < TG_PAR_MIN || omp_get_max_threads() == 1) {                     \
        k(n, y, x, p0, p1, p2);                                                 \
        return;                                                             \
    }                                                                       \
    _Pragma("omp parallel")                                                 \
    {                                                                       \
        int nt = omp_get_num_threads(), t = omp_get_thread_num();           \
        int64_t per = ((n + nt - 1) / nt + 63) & ~(int64_t)63;              \
        int64_t lo = per * t, hi = lo + per < n ? lo + per : n;             \
        if (lo < hi) k(hi - lo, y + lo, x + lo, p0, p1, p2);                    \
    }

void tg__par_map_f32(int64_t n, float *y, const float *x, double p0,
                     double p1, double p2, const tg_map_f32_fn kernels[3])
{
    PAR_MAP(float, tg_map_f32_fn)
}

void tg__par_map_f64(int64_t n, double *y, const double *x, double p0,
                     double p1, double p2, const tg_map_f64_fn kernels[3])
{
    PAR_MAP(double, tg_map_f64_fn)
}

tg_status tg__ew_map_run(tg_node *n, const tg_map_f32_fn kf[3],
                         const tg_map_f64_fn kd[3], double p0, double p1,
                         double p2)
{
    tg_tensor *x = n->in[0], *y = n->out;
    if (y->dtype == TG_F32) tg__par_map_f32(y->numel, y->data, x->data, p0, p1, p2, kf);
    else tg__par_map_f64(y->numel, y->data, x->data, p0, p1, p2, kd);
    return TG_OK;
}

#define BIN_RUN(T, FN, TABLE)                                               \
    {                                                                       \
        FN k = TABLE[tg__isa()];                                            \
        T *y = out->data;                                                   \
        const T *a = n->in[0]->data, *b = n->in[1]->data;                   \
        if (p.rows == 1) {                                                  \
            int64_t len = p.inner;                                          \
            if (len < TG_PAR_MIN || omp_get_max_threads() == 1) {           \
                k(len, y, a, p.step[0], b, p.step[1], p0, p1, p2);              \
            } else {                                                        \
                _Pragma("omp parallel")                                     \
                {                                                           \
                    int nt = omp_get_num_threads(), t = omp_get_thread_num(); \
                    int64_t per = ((len + nt - 1) / nt + 63) & ~(int64_t)63; \
                    int64_t lo = per * t, hi = lo + per < len ? lo + per : len; \
                    if (lo < hi)                                            \
                        k(hi - lo, y + lo, a + lo * p.step[0], p.step[0],   \
                          b + lo * p.step[1], p.step[1], p0, p1, p2);           \
                }                                                           \
            }                                                               \
        } else if (out->numel <= TG_PAR_MIN) { /* no OpenMP region */     \
            for (int64_t r = 0; r < p.rows; r++) {                          \
                int64_t oa, ob;                                             \
                tg__bcast_offsets(&p, r, &oa, &ob);                         \
                k(p.inner, y + r * p.inner, a + oa, p.step[0], b + ob,      \
                  p.step[1], p0, p1, p2);                                   \
            }                                                               \
        } else {                                                            \
            _Pragma("omp parallel for")                                     \
            for (int64_t r = 0; r < p.rows; r++) {                          \
                int64_t oa, ob;                                             \
                tg__bcast_offsets(&p, r, &oa, &ob);                         \
                k(p.inner, y + r * p.inner, a + oa, p.step[0], b + ob,      \
                  p.step[1], p0, p1, p2);                                   \
            }                                                               \
        }                                                                   \
    }

tg_status tg__ew_binary_run(tg_node *n, const tg_bin2_f32_fn kf[3],
                            const tg_bin2_f64_fn kd[3], double p0, double p1,
                            double p2)
{
    tg_tensor *out = n->out;
    tg_bcast p;
    tg__bcast_plan(&p, out, n->in[0], n->in[1]);
    if (out->numel == 0) return TG_OK;
    if (out->dtype == TG_F32) BIN_RUN(float, tg_bin2_f32_fn, kf)
    else BIN_RUN(double, tg_bin2_f64_fn, kd)
    return TG_OK;
}

tg_status tg__ew_need_finite(tg_graph *g, const tg_node *n, const char *what,
                             double v)
{
    if (isfinite(v)) return TG_OK;
    return tg__op_fail(g, n, TG_ERR_ARG, "%s must be finite (got %g)", what,
                       v);
}

tg_tensor *tg__ew_saved_like(tg_graph *g, const tg_node *n,
                             const tg_tensor *x)
{
    char who[64];
    snprintf(who, sizeof who, "tg_%s", n->op->name);
    tg_tensor *t = tg__new_tensor(g, x->dtype, x->ndim, x->shape, who);
    if (t) t->flags = TG_TF_CONSTANT;
    return t;
}

tg_tensor *tg__ew_map_const(tg_graph *g, const tg_node *n, tg_tensor *x,
                            const tg_map_f32_fn kf[3],
                            const tg_map_f64_fn kd[3], double p0, double p1,
                            double p2)
{
    tg_tensor *t = tg__ew_saved_like(g, n, x);
    if (!t) return NULL;
    if (x->dtype == TG_F32) tg__par_map_f32(x->numel, t->data, x->data, p0, p1, p2, kf);
    else tg__par_map_f64(x->numel, t->data, x->data, p0, p1, p2, kd);
    return t;
}

tg_tensor *tg__ew_binary_const(tg_graph *g, const tg_node *n,
                               const tg_bin2_f32_fn kf[3],
                               const tg_bin2_f64_fn kd[3], double p0,
                               double p1, double p2)
{
    tg_tensor *t = tg__ew_saved_like(g, n, n->out);
    if (!t) return NULL;
    tg_node tmp = *n; /* same inputs, the constant as output */
    tmp.out = t;
    tg__ew_binary_run(&tmp, kf, kd, p0, p1, p2);
    return t;
}
