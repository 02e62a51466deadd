/* The reference kernel set: every kernel as a plain loop over its scalar
 * reference (ops/kern_*.h, src/nn/optim_kern.h), one element at a time.
 * The references are the specification the vector kernels are tested
 * against (tests/test_kernels.c, tests/test_accuracy.c), and the kernels
 * of a build without x86 SIMD (docs/ops-elementwise.md). TG_ISA=ref
 * selects them on any machine. */
#include "ops/kern_act.h"
#include "ops/kern_gelu.h"
#include "ops/kern_math.h"
#include "ops/kern_math2.h"
#include "ops/kern_rows.h"
#include "ops/kernels.h"
#include "src/nn/optim_kern.h"

static inline void map_f32(int64_t n, float *y, const float *x, tg_kp p,
                           float (*f)(float, tg_kp))
{
    for (int64_t i = 0; i < n; i++) y[i] = f(x[i], p);
}
static inline void map_f64(int64_t n, double *y, const double *x, tg_kp p,
                           double (*f)(double, tg_kp))
{
    for (int64_t i = 0; i < n; i++) y[i] = f(x[i], p);
}
static inline void bin_f32(int64_t n, float *y, const float *a, int64_t sa,
                           const float *b, int64_t sb, tg_kp p,
                           float (*f)(float, float, tg_kp))
{
    for (int64_t i = 0; i < n; i++) y[i] = f(a[i * sa], b[i * sb], p);
}
static inline void bin_f64(int64_t n, double *y, const double *a, int64_t sa,
                           const double *b, int64_t sb, tg_kp p,
                           double (*f)(double, double, tg_kp))
{
    for (int64_t i = 0; i < n; i++) y[i] = f(a[i * sa], b[i * sb], p);
}

static void k_exp_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, exp_ref_f32);
}
static void k_exp_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, exp_ref_f64);
}
static void k_log_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, log_ref_f32);
}
static void k_log_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, log_ref_f64);
}
static void k_log1p_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, log1p_ref_f32);
}
static void k_log1p_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, log1p_ref_f64);
}
static void k_expm1_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, expm1_ref_f32);
}
static void k_expm1_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, expm1_ref_f64);
}
static void k_sin_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, sin_ref_f32);
}
static void k_sin_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, sin_ref_f64);
}
static void k_cos_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, cos_ref_f32);
}
static void k_cos_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, cos_ref_f64);
}
static void k_erf_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, erf_ref_f32);
}
static void k_erf_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, erf_ref_f64);
}
static void k_abs_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, abs_ref_f32);
}
static void k_abs_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, abs_ref_f64);
}
static void k_sign_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, sign_ref_f32);
}
static void k_sign_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, sign_ref_f64);
}
static void k_sqrt_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, sqrt_ref_f32);
}
static void k_sqrt_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, sqrt_ref_f64);
}
static void k_rsqrt_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, rsqrt_ref_f32);
}
static void k_rsqrt_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, rsqrt_ref_f64);
}
static void k_square_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, square_ref_f32);
}
static void k_square_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, square_ref_f64);
}
static void k_reciprocal_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, reciprocal_ref_f32);
}
static void k_reciprocal_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, reciprocal_ref_f64);
}
static void k_pow_scalar_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, pow_scalar_ref_f32);
}
static void k_pow_scalar_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, pow_scalar_ref_f64);
}
static void k_clamp_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, clamp_ref_f32);
}
static void k_clamp_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, clamp_ref_f64);
}
static void k_clamp_mask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, clamp_mask_ref_f32);
}
static void k_clamp_mask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, clamp_mask_ref_f64);
}
static void k_relu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, relu_ref_f32);
}
static void k_relu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, relu_ref_f64);
}
static void k_leaky_relu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, leaky_relu_ref_f32);
}
static void k_leaky_relu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, leaky_relu_ref_f64);
}
static void k_posmask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, posmask_ref_f32);
}
static void k_posmask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, posmask_ref_f64);
}
static void k_hardshrink_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, hardshrink_ref_f32);
}
static void k_hardshrink_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, hardshrink_ref_f64);
}
static void k_hardshrink_mask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, hardshrink_mask_ref_f32);
}
static void k_hardshrink_mask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, hardshrink_mask_ref_f64);
}
static void k_tanh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, tanh_ref_f32);
}
static void k_tanh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, tanh_ref_f64);
}
static void k_sigmoid_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, sigmoid_ref_f32);
}
static void k_sigmoid_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, sigmoid_ref_f64);
}
static void k_logsigmoid_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, logsigmoid_ref_f32);
}
static void k_logsigmoid_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, logsigmoid_ref_f64);
}
static void k_silu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, silu_ref_f32);
}
static void k_silu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, silu_ref_f64);
}
static void k_gelu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, gelu_ref_f32);
}
static void k_gelu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, gelu_ref_f64);
}
static void k_gelu_tanh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, gelu_tanh_ref_f32);
}
static void k_gelu_tanh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, gelu_tanh_ref_f64);
}
static void k_elu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, elu_ref_f32);
}
static void k_elu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, elu_ref_f64);
}
static void k_selu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, selu_ref_f32);
}
static void k_selu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, selu_ref_f64);
}
static void k_celu_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, celu_ref_f32);
}
static void k_celu_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, celu_ref_f64);
}
static void k_nonpos_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, nonpos_ref_f32);
}
static void k_nonpos_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, nonpos_ref_f64);
}
static void k_softplus_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, softplus_ref_f32);
}
static void k_softplus_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, softplus_ref_f64);
}
static void k_softplus_mask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, softplus_mask_ref_f32);
}
static void k_softplus_mask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, softplus_mask_ref_f64);
}
static void k_pow_f32(int64_t n, float *y, const float *a, int64_t sa,
                      const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, pow_ref_f32);
}
static void k_pow_f64(int64_t n, double *y, const double *a, int64_t sa,
                      const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, pow_ref_f64);
}
static void k_maximum_f32(int64_t n, float *y, const float *a, int64_t sa,
                          const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, maximum_ref_f32);
}
static void k_maximum_f64(int64_t n, double *y, const double *a, int64_t sa,
                          const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, maximum_ref_f64);
}
static void k_minimum_f32(int64_t n, float *y, const float *a, int64_t sa,
                          const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, minimum_ref_f32);
}
static void k_minimum_f64(int64_t n, double *y, const double *a, int64_t sa,
                          const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, minimum_ref_f64);
}
static void k_wmax_f32(int64_t n, float *y, const float *a, int64_t sa,
                       const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, wmax_ref_f32);
}
static void k_wmax_f64(int64_t n, double *y, const double *a, int64_t sa,
                       const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, wmax_ref_f64);
}
static void k_wmin_f32(int64_t n, float *y, const float *a, int64_t sa,
                       const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, wmin_ref_f32);
}
static void k_wmin_f64(int64_t n, double *y, const double *a, int64_t sa,
                       const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, wmin_ref_f64);
}
static void k_relu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, relu_backward_ref_f32);
}
static void k_relu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, relu_backward_ref_f64);
}
static void k_leaky_relu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                      const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, leaky_relu_backward_ref_f32);
}
static void k_leaky_relu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                      const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, leaky_relu_backward_ref_f64);
}
static void k_tanh_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, tanh_backward_ref_f32);
}
static void k_tanh_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, tanh_backward_ref_f64);
}
static void k_sigmoid_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                   const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, sigmoid_backward_ref_f32);
}
static void k_sigmoid_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                   const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, sigmoid_backward_ref_f64);
}
static void k_logsigmoid_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                      const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, logsigmoid_backward_ref_f32);
}
static void k_logsigmoid_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                      const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, logsigmoid_backward_ref_f64);
}
static void k_silu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, silu_backward_ref_f32);
}
static void k_silu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, silu_backward_ref_f64);
}
static void k_gelu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, gelu_backward_ref_f32);
}
static void k_gelu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, gelu_backward_ref_f64);
}
static void k_gelu_tanh_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                     const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, gelu_tanh_backward_ref_f32);
}
static void k_gelu_tanh_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                     const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, gelu_tanh_backward_ref_f64);
}
static void k_elu_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                               const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, elu_backward_ref_f32);
}
static void k_elu_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                               const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, elu_backward_ref_f64);
}
static void k_softplus_backward_f32(int64_t n, float *y, const float *a, int64_t sa,
                                    const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, softplus_backward_ref_f32);
}
static void k_softplus_backward_f64(int64_t n, double *y, const double *a, int64_t sa,
                                    const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, softplus_backward_ref_f64);
}

/* ops/kern_math2.h */
static void k_tan_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, tan_ref_f32);
}
static void k_tan_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, tan_ref_f64);
}
static void k_asin_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, asin_ref_f32);
}
static void k_asin_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, asin_ref_f64);
}
static void k_acos_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, acos_ref_f32);
}
static void k_acos_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, acos_ref_f64);
}
static void k_atan_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, atan_ref_f32);
}
static void k_atan_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, atan_ref_f64);
}
static void k_sinh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, sinh_ref_f32);
}
static void k_sinh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, sinh_ref_f64);
}
static void k_cosh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, cosh_ref_f32);
}
static void k_cosh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, cosh_ref_f64);
}
static void k_asinh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, asinh_ref_f32);
}
static void k_asinh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, asinh_ref_f64);
}
static void k_acosh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, acosh_ref_f32);
}
static void k_acosh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, acosh_ref_f64);
}
static void k_atanh_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, atanh_ref_f32);
}
static void k_atanh_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, atanh_ref_f64);
}
static void k_log2_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, log2_ref_f32);
}
static void k_log2_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, log2_ref_f64);
}
static void k_log10_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, log10_ref_f32);
}
static void k_log10_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, log10_ref_f64);
}
static void k_exp2_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, exp2_ref_f32);
}
static void k_exp2_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, exp2_ref_f64);
}
static void k_floor_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, floor_ref_f32);
}
static void k_floor_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, floor_ref_f64);
}
static void k_ceil_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, ceil_ref_f32);
}
static void k_ceil_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, ceil_ref_f64);
}
static void k_round_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, round_ref_f32);
}
static void k_round_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, round_ref_f64);
}
static void k_trunc_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, trunc_ref_f32);
}
static void k_trunc_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, trunc_ref_f64);
}
static void k_frac_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, frac_ref_f32);
}
static void k_frac_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, frac_ref_f64);
}
static void k_hardtanh_mask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, hardtanh_mask_ref_f32);
}
static void k_hardtanh_mask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, hardtanh_mask_ref_f64);
}
static void k_gtmask_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, gtmask_ref_f32);
}
static void k_gtmask_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, gtmask_ref_f64);
}
static void k_hardsigmoid_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, hardsigmoid_ref_f32);
}
static void k_hardsigmoid_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, hardsigmoid_ref_f64);
}
static void k_hardswish_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, hardswish_ref_f32);
}
static void k_hardswish_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, hardswish_ref_f64);
}
static void k_softsign_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, softsign_ref_f32);
}
static void k_softsign_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, softsign_ref_f64);
}
static void k_mish_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, mish_ref_f32);
}
static void k_mish_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, mish_ref_f64);
}
static void k_softshrink_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, softshrink_ref_f32);
}
static void k_softshrink_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, softshrink_ref_f64);
}
static void k_threshold_f32(int64_t n, float *y, const float *x, tg_kp p)
{
    map_f32(n, y, x, p, threshold_ref_f32);
}
static void k_threshold_f64(int64_t n, double *y, const double *x, tg_kp p)
{
    map_f64(n, y, x, p, threshold_ref_f64);
}
static void k_atan2_f32(int64_t n, float *y, const float *a, int64_t sa,
                        const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, atan2_ref_f32);
}
static void k_atan2_f64(int64_t n, double *y, const double *a, int64_t sa,
                        const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, atan2_ref_f64);
}
static void k_hypot_f32(int64_t n, float *y, const float *a, int64_t sa,
                        const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, hypot_ref_f32);
}
static void k_hypot_f64(int64_t n, double *y, const double *a, int64_t sa,
                        const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, hypot_ref_f64);
}
static void k_fmod_f32(int64_t n, float *y, const float *a, int64_t sa,
                       const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, fmod_ref_f32);
}
static void k_fmod_f64(int64_t n, double *y, const double *a, int64_t sa,
                       const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, fmod_ref_f64);
}
static void k_remainder_f32(int64_t n, float *y, const float *a, int64_t sa,
                            const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, remainder_ref_f32);
}
static void k_remainder_f64(int64_t n, double *y, const double *a, int64_t sa,
                            const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, remainder_ref_f64);
}
static void k_logaddexp_f32(int64_t n, float *y, const float *a, int64_t sa,
                            const float *b, int64_t sb, tg_kp p)
{
    bin_f32(n, y, a, sa, b, sb, p, logaddexp_ref_f32);
}
static void k_logaddexp_f64(int64_t n, double *y, const double *a, int64_t sa,
                            const double *b, int64_t sb, tg_kp p)
{
    bin_f64(n, y, a, sa, b, sb, p, logaddexp_ref_f64);
}

static float k_row_max_f32(int64_t n, const float *x) { return row_max_ref_f32(n, x); }
static double k_row_max_f64(int64_t n, const double *x) { return row_max_ref_f64(n, x); }
static double k_row_expsum_f32(int64_t n, float *y, const float *x, float m)
{
    return row_expsum_ref_f32(n, y, x, m);
}
static double k_row_expsum_f64(int64_t n, double *y, const double *x, double m)
{
    return row_expsum_ref_f64(n, y, x, m);
}
static void k_outer_f32(int64_t M, int64_t N, const float *a, const float *b,
                        float beta, float *C)
{
    outer_ref_f32(M, N, a, b, beta, C);
}
static void k_outer_f64(int64_t M, int64_t N, const double *a, const double *b,
                        double beta, double *C)
{
    outer_ref_f64(M, N, a, b, beta, C);
}
static void k_vecmat_f32(int64_t K, int64_t N, float *y, const float *x,
                         const float *W, int64_t ldw, float beta)
{
    vecmat_ref_f32(K, N, y, x, W, ldw, beta);
}
static void k_vecmat_f64(int64_t K, int64_t N, double *y, const double *x,
                         const double *W, int64_t ldw, double beta)
{
    vecmat_ref_f64(K, N, y, x, W, ldw, beta);
}
static void k_matvec_f32(int64_t M, int64_t K, float *y, const float *W,
                         int64_t ldw, const float *x, float beta)
{
    matvec_ref_f32(M, K, y, W, ldw, x, beta);
}
static void k_matvec_f64(int64_t M, int64_t K, double *y, const double *W,
                         int64_t ldw, const double *x, double beta)
{
    matvec_ref_f64(M, K, y, W, ldw, x, beta);
}
static void k_sgd_f32(int64_t lo, int64_t hi, const tg_optim_args *a) { sgd_ref_f32(lo, hi, a); }
static void k_sgd_f64(int64_t lo, int64_t hi, const tg_optim_args *a) { sgd_ref_f64(lo, hi, a); }
static void k_momentum_f32(int64_t lo, int64_t hi, const tg_optim_args *a) { momentum_ref_f32(lo, hi, a); }
static void k_momentum_f64(int64_t lo, int64_t hi, const tg_optim_args *a) { momentum_ref_f64(lo, hi, a); }
static void k_adam_f32(int64_t lo, int64_t hi, const tg_optim_args *a) { adam_ref_f32(lo, hi, a); }
static void k_adam_f64(int64_t lo, int64_t hi, const tg_optim_args *a) { adam_ref_f64(lo, hi, a); }
static void k_rmsprop_f32(int64_t lo, int64_t hi, const tg_optim_args *a) { rmsprop_ref_f32(lo, hi, a); }
static void k_rmsprop_f64(int64_t lo, int64_t hi, const tg_optim_args *a) { rmsprop_ref_f64(lo, hi, a); }

const tg_kernel_set tg__kernels_ref = {
    .name = "ref",
#include "ops/kern_table.h"
};
