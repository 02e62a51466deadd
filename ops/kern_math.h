/* Kernel bodies of the elementwise math ops (ops/ew_*.c) and of the
 * piecewise-linear activations (ops/act_relu.c, act_hardshrink.c,
 * act_prelu.c): for each, the scalar reference (`<op>_ref_f32/_f64`, the
 * specification, plain C and libm) and, when a SIMD vocabulary is in
 * scope (ops/simd.h, in the kernel units), the vector body (`<op>_vf/_vd`).
 * Map bodies take (x, p), binary bodies (a, b, p) with p the op's
 * parameters (tg_kp). f32 bodies round a parameter that multiplies or
 * compares with an element to float first, as the references do.
 * Accuracy: SLEEF's 1.0-ulp functions (pow, sin, cos keep it over the
 * whole range); abs, sqrt, square, reciprocal, max, min, the masks and
 * the piecewise-linear ones are exact or one IEEE rounding; f32 rsqrt is
 * computed in double and rounded once. */
#ifndef TAPEGRAD_KERN_MATH_H
#define TAPEGRAD_KERN_MATH_H

#include "ops/kernels.h"

#include <math.h>

/* ---- exp, log, log1p, expm1, sin, cos, erf */
static inline float exp_ref_f32(float x, tg_kp p) { (void)p; return expf(x); }
static inline double exp_ref_f64(double x, tg_kp p) { (void)p; return exp(x); }
static inline float log_ref_f32(float x, tg_kp p) { (void)p; return logf(x); }
static inline double log_ref_f64(double x, tg_kp p) { (void)p; return log(x); }
static inline float log1p_ref_f32(float x, tg_kp p) { (void)p; return log1pf(x); }
static inline double log1p_ref_f64(double x, tg_kp p) { (void)p; return log1p(x); }
static inline float expm1_ref_f32(float x, tg_kp p) { (void)p; return expm1f(x); }
static inline double expm1_ref_f64(double x, tg_kp p) { (void)p; return expm1(x); }
static inline float sin_ref_f32(float x, tg_kp p) { (void)p; return sinf(x); }
static inline double sin_ref_f64(double x, tg_kp p) { (void)p; return sin(x); }
static inline float cos_ref_f32(float x, tg_kp p) { (void)p; return cosf(x); }
static inline double cos_ref_f64(double x, tg_kp p) { (void)p; return cos(x); }
static inline float erf_ref_f32(float x, tg_kp p) { (void)p; return erff(x); }
static inline double erf_ref_f64(double x, tg_kp p) { (void)p; return erf(x); }
#ifdef TG_SIMD_LEVEL
static inline vf exp_vf(vf x, tg_kp p) { (void)p; return vf_exp(x); }
static inline vd exp_vd(vd x, tg_kp p) { (void)p; return vd_exp(x); }
static inline vf log_vf(vf x, tg_kp p) { (void)p; return vf_log(x); }
static inline vd log_vd(vd x, tg_kp p) { (void)p; return vd_log(x); }
/* SLEEF's log1p overflows internally near the top of the range (it
 * returns Inf for x = FLT_MAX); there log1p(x) = log(x) to the last bit. */
static inline vf log1p_vf(vf x, tg_kp p)
{
    (void)p;
    return vf_blend(vf_gt(x, vf_set1(1e30f)), vf_log(x), vf_log1p(x));
}
static inline vd log1p_vd(vd x, tg_kp p)
{
    (void)p;
    return vd_blend(vd_gt(x, vd_set1(1e300)), vd_log(x), vd_log1p(x));
}
static inline vf expm1_vf(vf x, tg_kp p) { (void)p; return vf_expm1(x); }
static inline vd expm1_vd(vd x, tg_kp p) { (void)p; return vd_expm1(x); }
static inline vf sin_vf(vf x, tg_kp p) { (void)p; return vf_sin(x); }
static inline vd sin_vd(vd x, tg_kp p) { (void)p; return vd_sin(x); }
static inline vf cos_vf(vf x, tg_kp p) { (void)p; return vf_cos(x); }
static inline vd cos_vd(vd x, tg_kp p) { (void)p; return vd_cos(x); }
static inline vf erf_vf(vf x, tg_kp p) { (void)p; return vf_erf(x); }
static inline vd erf_vd(vd x, tg_kp p) { (void)p; return vd_erf(x); }
#endif

/* ---- abs, sign, sqrt, rsqrt, square, reciprocal */
static inline float abs_ref_f32(float x, tg_kp p) { (void)p; return fabsf(x); }
static inline double abs_ref_f64(double x, tg_kp p) { (void)p; return fabs(x); }
/* sign(x) in {-1, 0, 1}; NaN and -0 pass through */
static inline float sign_ref_f32(float x, tg_kp p)
{
    (void)p;
    return x > 0 ? 1.0f : x < 0 ? -1.0f : x;
}
static inline double sign_ref_f64(double x, tg_kp p)
{
    (void)p;
    return x > 0 ? 1.0 : x < 0 ? -1.0 : x;
}
static inline float sqrt_ref_f32(float x, tg_kp p) { (void)p; return sqrtf(x); }
static inline double sqrt_ref_f64(double x, tg_kp p) { (void)p; return sqrt(x); }
static inline double rsqrt_ref_f64(double x, tg_kp p) { (void)p; return 1.0 / sqrt(x); }
static inline float rsqrt_ref_f32(float x, tg_kp p) { return (float)rsqrt_ref_f64(x, p); }
static inline float square_ref_f32(float x, tg_kp p) { (void)p; return x * x; }
static inline double square_ref_f64(double x, tg_kp p) { (void)p; return x * x; }
static inline float reciprocal_ref_f32(float x, tg_kp p) { (void)p; return 1.0f / x; }
static inline double reciprocal_ref_f64(double x, tg_kp p) { (void)p; return 1.0 / x; }
#ifdef TG_SIMD_LEVEL
static inline vf abs_vf(vf x, tg_kp p) { (void)p; return vf_abs(x); }
static inline vd abs_vd(vd x, tg_kp p) { (void)p; return vd_abs(x); }
static inline vf sign_vf(vf x, tg_kp p)
{
    (void)p;
    return vf_blend(vf_gt(x, vf_zero()), vf_set1(1.0f),
                    vf_blend(vf_lt(x, vf_zero()), vf_set1(-1.0f), x));
}
static inline vd sign_vd(vd x, tg_kp p)
{
    (void)p;
    return vd_blend(vd_gt(x, vd_zero()), vd_set1(1.0),
                    vd_blend(vd_lt(x, vd_zero()), vd_set1(-1.0), x));
}
static inline vf sqrt_vf(vf x, tg_kp p) { (void)p; return vf_sqrt(x); }
static inline vd sqrt_vd(vd x, tg_kp p) { (void)p; return vd_sqrt(x); }
static inline vd rsqrt_vd(vd x, tg_kp p) { (void)p; return vd_div(vd_set1(1.0), vd_sqrt(x)); }
static inline vf square_vf(vf x, tg_kp p) { (void)p; return vf_mul(x, x); }
static inline vd square_vd(vd x, tg_kp p) { (void)p; return vd_mul(x, x); }
static inline vf reciprocal_vf(vf x, tg_kp p) { (void)p; return vf_div(vf_set1(1.0f), x); }
static inline vd reciprocal_vd(vd x, tg_kp p) { (void)p; return vd_div(vd_set1(1.0), x); }
#endif

/* ---- pow(a, b), pow_scalar(x; p.a) (C99 special cases: pow(x, 0) = 1
 * even for NaN x, pow(-8, 1/3) = NaN, pow(-2, 3) = -8) */
static inline float pow_ref_f32(float a, float b, tg_kp p) { (void)p; return powf(a, b); }
static inline double pow_ref_f64(double a, double b, tg_kp p) { (void)p; return pow(a, b); }
static inline float pow_scalar_ref_f32(float x, tg_kp p) { return powf(x, (float)p.a); }
static inline double pow_scalar_ref_f64(double x, tg_kp p) { return pow(x, p.a); }
#ifdef TG_SIMD_LEVEL
static inline vf pow_vf(vf a, vf b, tg_kp p) { (void)p; return vf_pow(a, b); }
static inline vd pow_vd(vd a, vd b, tg_kp p) { (void)p; return vd_pow(a, b); }
static inline vf pow_scalar_vf(vf x, tg_kp p) { return vf_pow(x, vf_set1((float)p.a)); }
static inline vd pow_scalar_vd(vd x, tg_kp p) { return vd_pow(x, vd_set1(p.a)); }
#endif

/* ---- clamp(x; lo = p.a, hi = p.b) = min(max(x, lo), hi), NaN stays NaN;
 * its gradient mask: 1 where lo <= x <= hi (or NaN), else 0 */
static inline float clamp_ref_f32(float x, tg_kp p)
{
    float lo = (float)p.a, hi = (float)p.b;
    return isnan(x) ? x : x < lo ? lo : x > hi ? hi : x;
}
static inline double clamp_ref_f64(double x, tg_kp p)
{
    return isnan(x) ? x : x < p.a ? p.a : x > p.b ? p.b : x;
}
static inline float clamp_mask_ref_f32(float x, tg_kp p)
{
    return x < (float)p.a || x > (float)p.b ? 0.0f : 1.0f;
}
static inline double clamp_mask_ref_f64(double x, tg_kp p)
{
    return x < p.a || x > p.b ? 0.0 : 1.0;
}
#ifdef TG_SIMD_LEVEL
/* max/min return their second operand when one is NaN: x goes second */
static inline vf clamp_vf(vf x, tg_kp p)
{
    return vf_min(vf_set1((float)p.b), vf_max(vf_set1((float)p.a), x));
}
static inline vd clamp_vd(vd x, tg_kp p)
{
    return vd_min(vd_set1(p.b), vd_max(vd_set1(p.a), x));
}
static inline vf clamp_mask_vf(vf x, tg_kp p)
{
    mf out = mf_or(vf_lt(x, vf_set1((float)p.a)), vf_gt(x, vf_set1((float)p.b)));
    return vf_blend(out, vf_zero(), vf_set1(1.0f));
}
static inline vd clamp_mask_vd(vd x, tg_kp p)
{
    md out = md_or(vd_lt(x, vd_set1(p.a)), vd_gt(x, vd_set1(p.b)));
    return vd_blend(out, vd_zero(), vd_set1(1.0));
}
#endif

/* ---- maximum(a, b), minimum(a, b): NaN in either operand gives NaN (the
 * max/min instructions return the second operand when one is NaN, so a
 * NaN a is selected explicitly); the weights of a in their gradients:
 * 1 where a wins, 1/2 on ties, 0 where b wins */
static inline float maximum_ref_f32(float a, float b, tg_kp p)
{
    (void)p;
    return isnan(a) ? a : a > b ? a : b;
}
static inline double maximum_ref_f64(double a, double b, tg_kp p)
{
    (void)p;
    return isnan(a) ? a : a > b ? a : b;
}
static inline float minimum_ref_f32(float a, float b, tg_kp p)
{
    (void)p;
    return isnan(a) ? a : a < b ? a : b;
}
static inline double minimum_ref_f64(double a, double b, tg_kp p)
{
    (void)p;
    return isnan(a) ? a : a < b ? a : b;
}
static inline float wmax_ref_f32(float a, float b, tg_kp p)
{
    (void)p;
    return a > b ? 1.0f : a == b ? 0.5f : 0.0f;
}
static inline double wmax_ref_f64(double a, double b, tg_kp p)
{
    (void)p;
    return a > b ? 1.0 : a == b ? 0.5 : 0.0;
}
static inline float wmin_ref_f32(float a, float b, tg_kp p)
{
    (void)p;
    return a < b ? 1.0f : a == b ? 0.5f : 0.0f;
}
static inline double wmin_ref_f64(double a, double b, tg_kp p)
{
    (void)p;
    return a < b ? 1.0 : a == b ? 0.5 : 0.0;
}
#ifdef TG_SIMD_LEVEL
static inline vf maximum_vf(vf a, vf b, tg_kp p)
{
    (void)p;
    return vf_blend(vf_unord(a, a), a, vf_max(a, b));
}
static inline vd maximum_vd(vd a, vd b, tg_kp p)
{
    (void)p;
    return vd_blend(vd_unord(a, a), a, vd_max(a, b));
}
static inline vf minimum_vf(vf a, vf b, tg_kp p)
{
    (void)p;
    return vf_blend(vf_unord(a, a), a, vf_min(a, b));
}
static inline vd minimum_vd(vd a, vd b, tg_kp p)
{
    (void)p;
    return vd_blend(vd_unord(a, a), a, vd_min(a, b));
}
static inline vf wmax_vf(vf a, vf b, tg_kp p)
{
    (void)p;
    return vf_blend(vf_gt(a, b), vf_set1(1.0f),
                    vf_blend(vf_eq(a, b), vf_set1(0.5f), vf_zero()));
}
static inline vd wmax_vd(vd a, vd b, tg_kp p)
{
    (void)p;
    return vd_blend(vd_gt(a, b), vd_set1(1.0),
                    vd_blend(vd_eq(a, b), vd_set1(0.5), vd_zero()));
}
static inline vf wmin_vf(vf a, vf b, tg_kp p)
{
    (void)p;
    return vf_blend(vf_lt(a, b), vf_set1(1.0f),
                    vf_blend(vf_eq(a, b), vf_set1(0.5f), vf_zero()));
}
static inline vd wmin_vd(vd a, vd b, tg_kp p)
{
    (void)p;
    return vd_blend(vd_lt(a, b), vd_set1(1.0),
                    vd_blend(vd_eq(a, b), vd_set1(0.5), vd_zero()));
}
#endif

/* ---- relu(x) = x < 0 ? 0 : x (NaN passes), leaky_relu(x; alpha = p.a),
 * posmask(x) = x > 0 ? 1 : 0 (prelu's gradient), and the fused backward
 * kernels relu_backward(g, x) = x > 0 ? g : 0,
 * leaky_relu_backward(g, x; alpha) = x > 0 ? g : alpha g */
static inline float relu_ref_f32(float x, tg_kp p) { (void)p; return x < 0 ? 0.0f : x; }
static inline double relu_ref_f64(double x, tg_kp p) { (void)p; return x < 0 ? 0.0 : x; }
static inline float leaky_relu_ref_f32(float x, tg_kp p) { return x > 0 ? x : x * (float)p.a; }
static inline double leaky_relu_ref_f64(double x, tg_kp p) { return x > 0 ? x : x * p.a; }
static inline float posmask_ref_f32(float x, tg_kp p) { (void)p; return x > 0 ? 1.0f : 0.0f; }
static inline double posmask_ref_f64(double x, tg_kp p) { (void)p; return x > 0 ? 1.0 : 0.0; }
static inline float relu_backward_ref_f32(float g, float x, tg_kp p)
{
    (void)p;
    return x > 0 ? g : 0.0f;
}
static inline double relu_backward_ref_f64(double g, double x, tg_kp p)
{
    (void)p;
    return x > 0 ? g : 0.0;
}
static inline float leaky_relu_backward_ref_f32(float g, float x, tg_kp p)
{
    return x > 0 ? g : g * (float)p.a;
}
static inline double leaky_relu_backward_ref_f64(double g, double x, tg_kp p)
{
    return x > 0 ? g : g * p.a;
}
#ifdef TG_SIMD_LEVEL
static inline vf relu_vf(vf x, tg_kp p)
{
    (void)p;
    return vf_blend(vf_lt(x, vf_zero()), vf_zero(), x);
}
static inline vd relu_vd(vd x, tg_kp p)
{
    (void)p;
    return vd_blend(vd_lt(x, vd_zero()), vd_zero(), x);
}
static inline vf leaky_relu_vf(vf x, tg_kp p)
{
    return vf_blend(vf_gt(x, vf_zero()), x, vf_mul(x, vf_set1((float)p.a)));
}
static inline vd leaky_relu_vd(vd x, tg_kp p)
{
    return vd_blend(vd_gt(x, vd_zero()), x, vd_mul(x, vd_set1(p.a)));
}
static inline vf posmask_vf(vf x, tg_kp p) { (void)p; return vf_one_if(vf_gt(x, vf_zero())); }
static inline vd posmask_vd(vd x, tg_kp p) { (void)p; return vd_one_if(vd_gt(x, vd_zero())); }
static inline vf relu_backward_vf(vf g, vf x, tg_kp p)
{
    (void)p;
    return vf_blend(vf_gt(x, vf_zero()), g, vf_zero());
}
static inline vd relu_backward_vd(vd g, vd x, tg_kp p)
{
    (void)p;
    return vd_blend(vd_gt(x, vd_zero()), g, vd_zero());
}
static inline vf leaky_relu_backward_vf(vf g, vf x, tg_kp p)
{
    return vf_blend(vf_gt(x, vf_zero()), g, vf_mul(g, vf_set1((float)p.a)));
}
static inline vd leaky_relu_backward_vd(vd g, vd x, tg_kp p)
{
    return vd_blend(vd_gt(x, vd_zero()), g, vd_mul(g, vd_set1(p.a)));
}
#endif

/* ---- hardshrink(x; lambda = p.a) = |x| > lambda ? x : 0 (x = +-lambda
 * maps to 0, NaN passes); its gradient mask |x| > lambda ? 1 : 0 */
static inline float hardshrink_ref_f32(float x, tg_kp p)
{
    return fabsf(x) <= (float)p.a ? 0.0f : x;
}
static inline double hardshrink_ref_f64(double x, tg_kp p)
{
    return fabs(x) <= p.a ? 0.0 : x;
}
static inline float hardshrink_mask_ref_f32(float x, tg_kp p)
{
    return fabsf(x) <= (float)p.a ? 0.0f : 1.0f;
}
static inline double hardshrink_mask_ref_f64(double x, tg_kp p)
{
    return fabs(x) <= p.a ? 0.0 : 1.0;
}
#ifdef TG_SIMD_LEVEL
static inline vf hardshrink_vf(vf x, tg_kp p)
{
    return vf_blend(vf_le(vf_abs(x), vf_set1((float)p.a)), vf_zero(), x);
}
static inline vd hardshrink_vd(vd x, tg_kp p)
{
    return vd_blend(vd_le(vd_abs(x), vd_set1(p.a)), vd_zero(), x);
}
static inline vf hardshrink_mask_vf(vf x, tg_kp p)
{
    return vf_blend(vf_le(vf_abs(x), vf_set1((float)p.a)), vf_zero(), vf_set1(1.0f));
}
static inline vd hardshrink_mask_vd(vd x, tg_kp p)
{
    return vd_blend(vd_le(vd_abs(x), vd_set1(p.a)), vd_zero(), vd_set1(1.0));
}
#endif

#endif
