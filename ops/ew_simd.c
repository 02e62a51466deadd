/* Running the kernels of the kernel set (ops/kernels.h) over nodes: the
 * OpenMP split of map kernels, the broadcast driver for binary ones (one
 * driver, ops/elementwise.c), and the public tg_vec_* kernels. */
#include "ops/ew.h"

#include <omp.h>
#include <stdio.h>

void tg__par_map_f32(int64_t n, float *y, const float *x, tg_map_kernel k,
                     tg_kp p)
{
    tg_map_f32_fn f = tg__kernels()->map[k].f32;
    if (n <= TG_PAR_MIN || omp_get_max_threads() == 1) {
        f(n, y, x, p);
        return;
    }
#pragma omp parallel
    {
        int64_t lo, hi;
        tg__chunk(n, omp_get_num_threads(), omp_get_thread_num(), 64, &lo, &hi);
        if (lo < hi) f(hi - lo, y + lo, x + lo, p);
    }
}

void tg__par_map_f64(int64_t n, double *y, const double *x, tg_map_kernel k,
                     tg_kp p)
{
    tg_map_f64_fn f = tg__kernels()->map[k].f64;
    if (n <= TG_PAR_MIN || omp_get_max_threads() == 1) {
        f(n, y, x, p);
        return;
    }
#pragma omp parallel
    {
        int64_t lo, hi;
        tg__chunk(n, omp_get_num_threads(), omp_get_thread_num(), 64, &lo, &hi);
        if (lo < hi) f(hi - lo, y + lo, x + lo, p);
    }
}

tg_status tg__ew_map_run(tg_node *n, tg_map_kernel k, tg_kp p)
{
    tg_tensor *x = n->in[0], *y = n->out;
    if (y->dtype == TG_F32) tg__par_map_f32(y->numel, y->data, x->data, k, p);
    else tg__par_map_f64(y->numel, y->data, x->data, k, p);
    return TG_OK;
}

tg_status tg__ew_binary_run(tg_node *n, tg_bin_kernel k, tg_kp p)
{
    const tg_kernel_set *ks = tg__kernels();
    tg_bin_call c = {.pf32 = ks->bin[k].f32, .pf64 = ks->bin[k].f64, .p = p};
    tg__binary_run_call(n, n->out, &c);
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
                            tg_map_kernel k, tg_kp p)
{
    tg_tensor *t = tg__ew_saved_like(g, n, x);
    if (!t) return NULL;
    if (x->dtype == TG_F32) tg__par_map_f32(x->numel, t->data, x->data, k, p);
    else tg__par_map_f64(x->numel, t->data, x->data, k, p);
    return t;
}

tg_tensor *tg__ew_binary_const(tg_graph *g, const tg_node *n,
                               tg_bin_kernel k, tg_kp p)
{
    tg_tensor *t = tg__ew_saved_like(g, n, n->out);
    if (!t) return NULL;
    const tg_kernel_set *ks = tg__kernels();
    tg_bin_call c = {.pf32 = ks->bin[k].f32, .pf64 = ks->bin[k].f64, .p = p};
    tg__binary_run_call(n, t, &c); /* same inputs, the constant as output */
    return t;
}

/* ---- the public kernels */
void tg_vec_exp_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_exp, (tg_kp){0, 0, 0});
}
void tg_vec_exp_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_exp, (tg_kp){0, 0, 0});
}
void tg_vec_log_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_log, (tg_kp){0, 0, 0});
}
void tg_vec_log_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_log, (tg_kp){0, 0, 0});
}
void tg_vec_log1p_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_log1p, (tg_kp){0, 0, 0});
}
void tg_vec_log1p_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_log1p, (tg_kp){0, 0, 0});
}
void tg_vec_expm1_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_expm1, (tg_kp){0, 0, 0});
}
void tg_vec_expm1_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_expm1, (tg_kp){0, 0, 0});
}
void tg_vec_sin_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_sin, (tg_kp){0, 0, 0});
}
void tg_vec_sin_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_sin, (tg_kp){0, 0, 0});
}
void tg_vec_cos_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_cos, (tg_kp){0, 0, 0});
}
void tg_vec_cos_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_cos, (tg_kp){0, 0, 0});
}
void tg_vec_erf_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_erf, (tg_kp){0, 0, 0});
}
void tg_vec_erf_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_erf, (tg_kp){0, 0, 0});
}
void tg_vec_abs_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_abs, (tg_kp){0, 0, 0});
}
void tg_vec_abs_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_abs, (tg_kp){0, 0, 0});
}
void tg_vec_sqrt_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_sqrt, (tg_kp){0, 0, 0});
}
void tg_vec_sqrt_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_sqrt, (tg_kp){0, 0, 0});
}
void tg_vec_rsqrt_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_rsqrt, (tg_kp){0, 0, 0});
}
void tg_vec_rsqrt_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_rsqrt, (tg_kp){0, 0, 0});
}
void tg_vec_square_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_square, (tg_kp){0, 0, 0});
}
void tg_vec_square_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_square, (tg_kp){0, 0, 0});
}
void tg_vec_reciprocal_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_reciprocal, (tg_kp){0, 0, 0});
}
void tg_vec_reciprocal_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_reciprocal, (tg_kp){0, 0, 0});
}
void tg_vec_tanh_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_tanh, (tg_kp){0, 0, 0});
}
void tg_vec_tanh_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_tanh, (tg_kp){0, 0, 0});
}
void tg_vec_sigmoid_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_sigmoid, (tg_kp){0, 0, 0});
}
void tg_vec_sigmoid_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_sigmoid, (tg_kp){0, 0, 0});
}
void tg_vec_logsigmoid_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_logsigmoid, (tg_kp){0, 0, 0});
}
void tg_vec_logsigmoid_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_logsigmoid, (tg_kp){0, 0, 0});
}
void tg_vec_silu_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_silu, (tg_kp){0, 0, 0});
}
void tg_vec_silu_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_silu, (tg_kp){0, 0, 0});
}
void tg_vec_relu_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_relu, (tg_kp){0, 0, 0});
}
void tg_vec_relu_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_relu, (tg_kp){0, 0, 0});
}
void tg_vec_selu_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_selu, (tg_kp){0, 0, 0});
}
void tg_vec_selu_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_selu, (tg_kp){0, 0, 0});
}
void tg_vec_gelu_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_gelu, (tg_kp){0, 0, 0});
}
void tg_vec_gelu_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_gelu, (tg_kp){0, 0, 0});
}
void tg_vec_gelu_tanh_f32(int64_t n, float *y, const float *x)
{
    tg__par_map_f32(n, y, x, TG_KM_gelu_tanh, (tg_kp){0, 0, 0});
}
void tg_vec_gelu_tanh_f64(int64_t n, double *y, const double *x)
{
    tg__par_map_f64(n, y, x, TG_KM_gelu_tanh, (tg_kp){0, 0, 0});
}
void tg_vec_pow_scalar_f32(int64_t n, float *y, const float *x, double p)
{
    tg__par_map_f32(n, y, x, TG_KM_pow_scalar, (tg_kp){p, 0, 0});
}
void tg_vec_pow_scalar_f64(int64_t n, double *y, const double *x, double p)
{
    tg__par_map_f64(n, y, x, TG_KM_pow_scalar, (tg_kp){p, 0, 0});
}
void tg_vec_leaky_relu_f32(int64_t n, float *y, const float *x, double alpha)
{
    tg__par_map_f32(n, y, x, TG_KM_leaky_relu, (tg_kp){alpha, 0, 0});
}
void tg_vec_leaky_relu_f64(int64_t n, double *y, const double *x, double alpha)
{
    tg__par_map_f64(n, y, x, TG_KM_leaky_relu, (tg_kp){alpha, 0, 0});
}
void tg_vec_elu_f32(int64_t n, float *y, const float *x, double alpha)
{
    tg__par_map_f32(n, y, x, TG_KM_elu, (tg_kp){alpha, 0, 0});
}
void tg_vec_elu_f64(int64_t n, double *y, const double *x, double alpha)
{
    tg__par_map_f64(n, y, x, TG_KM_elu, (tg_kp){alpha, 0, 0});
}
void tg_vec_celu_f32(int64_t n, float *y, const float *x, double alpha)
{
    tg__par_map_f32(n, y, x, TG_KM_celu, (tg_kp){alpha, 0, 0});
}
void tg_vec_celu_f64(int64_t n, double *y, const double *x, double alpha)
{
    tg__par_map_f64(n, y, x, TG_KM_celu, (tg_kp){alpha, 0, 0});
}
void tg_vec_hardshrink_f32(int64_t n, float *y, const float *x, double lambda)
{
    tg__par_map_f32(n, y, x, TG_KM_hardshrink, (tg_kp){lambda, 0, 0});
}
void tg_vec_hardshrink_f64(int64_t n, double *y, const double *x, double lambda)
{
    tg__par_map_f64(n, y, x, TG_KM_hardshrink, (tg_kp){lambda, 0, 0});
}
void tg_vec_clamp_f32(int64_t n, float *y, const float *x, double lo, double hi)
{
    tg__par_map_f32(n, y, x, TG_KM_clamp, (tg_kp){lo, hi, 0});
}
void tg_vec_clamp_f64(int64_t n, double *y, const double *x, double lo, double hi)
{
    tg__par_map_f64(n, y, x, TG_KM_clamp, (tg_kp){lo, hi, 0});
}
void tg_vec_softplus_f32(int64_t n, float *y, const float *x, double beta, double threshold)
{
    tg__par_map_f32(n, y, x, TG_KM_softplus, (tg_kp){beta, threshold, 0});
}
void tg_vec_softplus_f64(int64_t n, double *y, const double *x, double beta, double threshold)
{
    tg__par_map_f64(n, y, x, TG_KM_softplus, (tg_kp){beta, threshold, 0});
}
void tg_vec_pow_f32(int64_t n, float *y, const float *a, int64_t sa,
                    const float *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_pow].f32(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_pow_f64(int64_t n, double *y, const double *a, int64_t sa,
                    const double *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_pow].f64(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_maximum_f32(int64_t n, float *y, const float *a, int64_t sa,
                        const float *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_maximum].f32(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_maximum_f64(int64_t n, double *y, const double *a, int64_t sa,
                        const double *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_maximum].f64(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_minimum_f32(int64_t n, float *y, const float *a, int64_t sa,
                        const float *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_minimum].f32(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_minimum_f64(int64_t n, double *y, const double *a, int64_t sa,
                        const double *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_minimum].f64(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_relu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                              const float *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_relu_backward].f32(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_relu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                              const double *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_relu_backward].f64(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_sigmoid_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                 const float *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_sigmoid_backward].f32(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_sigmoid_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                 const double *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_sigmoid_backward].f64(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_logsigmoid_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                    const float *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_logsigmoid_backward].f32(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_logsigmoid_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                    const double *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_logsigmoid_backward].f64(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_silu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                              const float *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_silu_backward].f32(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_silu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                              const double *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_silu_backward].f64(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_gelu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                              const float *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_gelu_backward].f32(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_gelu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                              const double *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_gelu_backward].f64(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_gelu_tanh_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                   const float *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_gelu_tanh_backward].f32(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_gelu_tanh_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                   const double *b, int64_t sb)
{
    tg__kernels()->bin[TG_KB_gelu_tanh_backward].f64(n, y, a, sa, b, sb, (tg_kp){0, 0, 0});
}
void tg_vec_leaky_relu_backward_f32(int64_t n, float *y, const float *g,
                                    int64_t sg, const float *x, int64_t sx,
                                    double alpha)
{
    tg__kernels()->bin[TG_KB_leaky_relu_backward].f32(n, y, g, sg, x, sx, (tg_kp){alpha, 0, 0});
}
void tg_vec_leaky_relu_backward_f64(int64_t n, double *y, const double *g,
                                    int64_t sg, const double *x, int64_t sx,
                                    double alpha)
{
    tg__kernels()->bin[TG_KB_leaky_relu_backward].f64(n, y, g, sg, x, sx, (tg_kp){alpha, 0, 0});
}
void tg_vec_softplus_backward_f32(int64_t n, float *y, const float *g,
                                  int64_t sg, const float *x, int64_t sx,
                                  double beta, double threshold)
{
    tg__kernels()->bin[TG_KB_softplus_backward].f32(n, y, g, sg, x, sx,
                                                    (tg_kp){beta, threshold, 0});
}
void tg_vec_softplus_backward_f64(int64_t n, double *y, const double *g,
                                  int64_t sg, const double *x, int64_t sx,
                                  double beta, double threshold)
{
    tg__kernels()->bin[TG_KB_softplus_backward].f64(n, y, g, sg, x, sx,
                                                    (tg_kp){beta, threshold, 0});
}
/* the kernel's slope parameter is c = scale alpha input_scale */
void tg_vec_elu_backward_f32(int64_t n, float *y, const float *g, int64_t sg,
                             const float *x, int64_t sx, double alpha,
                             double scale, double input_scale)
{
    tg_kp p = {scale * alpha * input_scale, scale, input_scale};
    tg__kernels()->bin[TG_KB_elu_backward].f32(n, y, g, sg, x, sx, p);
}
void tg_vec_elu_backward_f64(int64_t n, double *y, const double *g,
                             int64_t sg, const double *x, int64_t sx,
                             double alpha, double scale, double input_scale)
{
    tg_kp p = {scale * alpha * input_scale, scale, input_scale};
    tg__kernels()->bin[TG_KB_elu_backward].f64(n, y, g, sg, x, sx, p);
}
