/* Kernel bodies of the second set of elementwise math ops (ops/ew_math2.c)
 * and of the piecewise activations of ops/act_more.c: the scalar
 * reference (`<op>_ref_f32/_f64`, plain C and libm, the specification)
 * and, with a SIMD vocabulary in scope (ops/simd.h), the vector body
 * (`<op>_vf/_vd`), as in ops/kern_math.h.
 *
 * Accuracy: the transcendental ones are SLEEF's 1.0-ulp functions (hypot
 * 0.5 ulp); floor, ceil, round (to nearest, ties to even, as rint), trunc,
 * frac, fmod, remainder, the masks and the piecewise-linear activations
 * are exact or one IEEE rounding per step in the order of the reference.
 * mish and logaddexp are evaluated in double for f32 (rounded once), as
 * softplus is. */
#ifndef TAPEGRAD_KERN_MATH2_H
#define TAPEGRAD_KERN_MATH2_H

#include "ops/kernels.h"

#include <math.h>

/* ---- tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, log2, log10,
 * exp2, floor, ceil, trunc: libm / SLEEF */
static inline float tan_ref_f32(float x, tg_kp p) { (void)p; return tanf(x); }
static inline double tan_ref_f64(double x, tg_kp p) { (void)p; return tan(x); }
static inline float asin_ref_f32(float x, tg_kp p) { (void)p; return asinf(x); }
static inline double asin_ref_f64(double x, tg_kp p) { (void)p; return asin(x); }
static inline float acos_ref_f32(float x, tg_kp p) { (void)p; return acosf(x); }
static inline double acos_ref_f64(double x, tg_kp p) { (void)p; return acos(x); }
static inline float atan_ref_f32(float x, tg_kp p) { (void)p; return atanf(x); }
static inline double atan_ref_f64(double x, tg_kp p) { (void)p; return atan(x); }
static inline float sinh_ref_f32(float x, tg_kp p) { (void)p; return sinhf(x); }
static inline double sinh_ref_f64(double x, tg_kp p) { (void)p; return sinh(x); }
static inline float cosh_ref_f32(float x, tg_kp p) { (void)p; return coshf(x); }
static inline double cosh_ref_f64(double x, tg_kp p) { (void)p; return cosh(x); }
static inline float asinh_ref_f32(float x, tg_kp p) { (void)p; return asinhf(x); }
static inline double asinh_ref_f64(double x, tg_kp p) { (void)p; return asinh(x); }
static inline float acosh_ref_f32(float x, tg_kp p) { (void)p; return acoshf(x); }
static inline double acosh_ref_f64(double x, tg_kp p) { (void)p; return acosh(x); }
static inline float atanh_ref_f32(float x, tg_kp p) { (void)p; return atanhf(x); }
static inline double atanh_ref_f64(double x, tg_kp p) { (void)p; return atanh(x); }
static inline float log2_ref_f32(float x, tg_kp p) { (void)p; return log2f(x); }
static inline double log2_ref_f64(double x, tg_kp p) { (void)p; return log2(x); }
static inline float log10_ref_f32(float x, tg_kp p) { (void)p; return log10f(x); }
static inline double log10_ref_f64(double x, tg_kp p) { (void)p; return log10(x); }
static inline float exp2_ref_f32(float x, tg_kp p) { (void)p; return exp2f(x); }
static inline double exp2_ref_f64(double x, tg_kp p) { (void)p; return exp2(x); }
static inline float floor_ref_f32(float x, tg_kp p) { (void)p; return floorf(x); }
static inline double floor_ref_f64(double x, tg_kp p) { (void)p; return floor(x); }
static inline float ceil_ref_f32(float x, tg_kp p) { (void)p; return ceilf(x); }
static inline double ceil_ref_f64(double x, tg_kp p) { (void)p; return ceil(x); }
static inline float trunc_ref_f32(float x, tg_kp p) { (void)p; return truncf(x); }
static inline double trunc_ref_f64(double x, tg_kp p) { (void)p; return trunc(x); }
/* round: to nearest, ties to even (PyTorch's torch.round); the default
 * rounding mode makes rint exactly that */
static inline float round_ref_f32(float x, tg_kp p) { (void)p; return rintf(x); }
static inline double round_ref_f64(double x, tg_kp p) { (void)p; return rint(x); }
/* frac(x) = x - trunc(x), sign of x; frac(+-inf) = NaN as in PyTorch */
static inline float frac_ref_f32(float x, tg_kp p) { (void)p; return x - truncf(x); }
static inline double frac_ref_f64(double x, tg_kp p) { (void)p; return x - trunc(x); }
#ifdef TG_SIMD_LEVEL
static inline vf tan_vf(vf x, tg_kp p) { (void)p; return vf_tan(x); }
static inline vd tan_vd(vd x, tg_kp p) { (void)p; return vd_tan(x); }
static inline vf asin_vf(vf x, tg_kp p) { (void)p; return vf_asin(x); }
static inline vd asin_vd(vd x, tg_kp p) { (void)p; return vd_asin(x); }
static inline vf acos_vf(vf x, tg_kp p) { (void)p; return vf_acos(x); }
static inline vd acos_vd(vd x, tg_kp p) { (void)p; return vd_acos(x); }
static inline vf atan_vf(vf x, tg_kp p) { (void)p; return vf_atan(x); }
static inline vd atan_vd(vd x, tg_kp p) { (void)p; return vd_atan(x); }
static inline vf sinh_vf(vf x, tg_kp p) { (void)p; return vf_sinh(x); }
static inline vd sinh_vd(vd x, tg_kp p) { (void)p; return vd_sinh(x); }
static inline vf cosh_vf(vf x, tg_kp p) { (void)p; return vf_cosh(x); }
static inline vd cosh_vd(vd x, tg_kp p) { (void)p; return vd_cosh(x); }
static inline vf asinh_vf(vf x, tg_kp p) { (void)p; return vf_asinh(x); }
static inline vd asinh_vd(vd x, tg_kp p) { (void)p; return vd_asinh(x); }
static inline vf acosh_vf(vf x, tg_kp p) { (void)p; return vf_acosh(x); }
static inline vd acosh_vd(vd x, tg_kp p) { (void)p; return vd_acosh(x); }
static inline vf atanh_vf(vf x, tg_kp p) { (void)p; return vf_atanh(x); }
static inline vd atanh_vd(vd x, tg_kp p) { (void)p; return vd_atanh(x); }
static inline vf log2_vf(vf x, tg_kp p) { (void)p; return vf_log2(x); }
static inline vd log2_vd(vd x, tg_kp p) { (void)p; return vd_log2(x); }
static inline vf log10_vf(vf x, tg_kp p) { (void)p; return vf_log10(x); }
static inline vd log10_vd(vd x, tg_kp p) { (void)p; return vd_log10(x); }
static inline vf exp2_vf(vf x, tg_kp p) { (void)p; return vf_exp2(x); }
static inline vd exp2_vd(vd x, tg_kp p) { (void)p; return vd_exp2(x); }
static inline vf floor_vf(vf x, tg_kp p) { (void)p; return vf_floor(x); }
static inline vd floor_vd(vd x, tg_kp p) { (void)p; return vd_floor(x); }
static inline vf ceil_vf(vf x, tg_kp p) { (void)p; return vf_ceil(x); }
static inline vd ceil_vd(vd x, tg_kp p) { (void)p; return vd_ceil(x); }
static inline vf trunc_vf(vf x, tg_kp p) { (void)p; return vf_trunc(x); }
static inline vd trunc_vd(vd x, tg_kp p) { (void)p; return vd_trunc(x); }
static inline vf round_vf(vf x, tg_kp p) { (void)p; return vf_rint(x); }
static inline vd round_vd(vd x, tg_kp p) { (void)p; return vd_rint(x); }
static inline vf frac_vf(vf x, tg_kp p) { (void)p; return vf_sub(x, vf_trunc(x)); }
static inline vd frac_vd(vd x, tg_kp p) { (void)p; return vd_sub(x, vd_trunc(x)); }
#endif

/* ---- atan2(a, b) (angle of the point (b, a)), hypot(a, b), fmod(a, b)
 * (C fmod: sign of a), remainder(a, b) (Python's %: sign of b, as
 * torch.remainder: fmod plus b when the two signs differ),
 * logaddexp(a, b) = log(e^a + e^b) = max + log1p(e^-|a - b|), with
 * logaddexp(inf, inf) = inf and logaddexp(-inf, -inf) = -inf */
static inline float atan2_ref_f32(float a, float b, tg_kp p) { (void)p; return atan2f(a, b); }
static inline double atan2_ref_f64(double a, double b, tg_kp p) { (void)p; return atan2(a, b); }
static inline float hypot_ref_f32(float a, float b, tg_kp p) { (void)p; return hypotf(a, b); }
static inline double hypot_ref_f64(double a, double b, tg_kp p) { (void)p; return hypot(a, b); }
static inline float fmod_ref_f32(float a, float b, tg_kp p) { (void)p; return fmodf(a, b); }
static inline double fmod_ref_f64(double a, double b, tg_kp p) { (void)p; return fmod(a, b); }
static inline float remainder_ref_f32(float a, float b, tg_kp p)
{
    (void)p;
    float m = fmodf(a, b);
    return (m < 0 && b > 0) || (m > 0 && b < 0) ? m + b : m;
}
static inline double remainder_ref_f64(double a, double b, tg_kp p)
{
    (void)p;
    double m = fmod(a, b);
    return (m < 0 && b > 0) || (m > 0 && b < 0) ? m + b : m;
}
static inline double logaddexp_ref_f64(double a, double b, tg_kp p)
{
    (void)p;
    if (isinf(a) && a == b) return a;
    double m = a > b ? a : b;
    return m + log1p(exp(-fabs(a - b)));
}
/* f32 in double, rounded once: m + log1p(...) cancels when m < 0 */
static inline float logaddexp_ref_f32(float a, float b, tg_kp p)
{
    return (float)logaddexp_ref_f64(a, b, p);
}
#ifdef TG_SIMD_LEVEL
static inline vf atan2_vf(vf a, vf b, tg_kp p) { (void)p; return vf_atan2(a, b); }
static inline vd atan2_vd(vd a, vd b, tg_kp p) { (void)p; return vd_atan2(a, b); }
static inline vf hypot_vf(vf a, vf b, tg_kp p) { (void)p; return vf_hypot(a, b); }
static inline vd hypot_vd(vd a, vd b, tg_kp p) { (void)p; return vd_hypot(a, b); }
static inline vf fmod_vf(vf a, vf b, tg_kp p) { (void)p; return vf_fmod(a, b); }
static inline vd fmod_vd(vd a, vd b, tg_kp p) { (void)p; return vd_fmod(a, b); }
static inline vf remainder_vf(vf a, vf b, tg_kp p)
{
    (void)p;
    vf m = vf_fmod(a, b), r = vf_add(m, b), z = vf_zero();
    vf neg = vf_blend(vf_gt(b, z), r, m), pos = vf_blend(vf_lt(b, z), r, m);
    return vf_blend(vf_lt(m, z), neg, vf_blend(vf_gt(m, z), pos, m));
}
static inline vd remainder_vd(vd a, vd b, tg_kp p)
{
    (void)p;
    vd m = vd_fmod(a, b), r = vd_add(m, b), z = vd_zero();
    vd neg = vd_blend(vd_gt(b, z), r, m), pos = vd_blend(vd_lt(b, z), r, m);
    return vd_blend(vd_lt(m, z), neg, vd_blend(vd_gt(m, z), pos, m));
}
/* the max of the reference (a > b ? a : b): b unless a is larger, so a
 * NaN b reaches the sum, and a NaN a reaches it through a - b */
static inline vd logaddexp_vd(vd a, vd b, tg_kp p)
{
    (void)p;
    vd m = vd_blend(vd_gt(a, b), a, b);
    vd r = vd_add(m, vd_log1p(vd_exp(vd_neg(vd_abs(vd_sub(a, b))))));
    vd same_inf = vd_blend(vd_eq(a, b), a, r);
    return vd_blend(vd_eq(vd_abs(a), vd_set1(INFINITY)), same_inf, r);
}
#endif

/* ---- activations (ops/act_more.c), PyTorch's formulas and order of
 * operations; NaN passes through every one of them.
 * hardtanh_mask(x; lo = p.a, hi = p.b) = lo < x < hi (or NaN) ? 1 : 0,
 *   the gradient mask of hardtanh and relu6 (0 at the bounds, as PyTorch)
 * gtmask(x; t = p.a) = x <= t ? 0 : 1 (NaN: 1), threshold's mask
 * hardsigmoid(x) = min(max(x + 3, 0), 6) / 6
 * hardswish(x) = x min(max(x + 3, 0), 6) / 6
 * softsign(x) = x / (1 + |x|)
 * mish(x) = x tanh(softplus(x))
 * softshrink(x; l = p.a) = x > l ? x - l : x < -l ? x + l : 0
 * threshold(x; t = p.a, v = p.b) = x <= t ? v : x */
static inline float hardtanh_mask_ref_f32(float x, tg_kp p)
{
    return x <= (float)p.a || x >= (float)p.b ? 0.0f : 1.0f;
}
static inline double hardtanh_mask_ref_f64(double x, tg_kp p)
{
    return x <= p.a || x >= p.b ? 0.0 : 1.0;
}
static inline float gtmask_ref_f32(float x, tg_kp p) { return x <= (float)p.a ? 0.0f : 1.0f; }
static inline double gtmask_ref_f64(double x, tg_kp p) { return x <= p.a ? 0.0 : 1.0; }
static inline float hardsigmoid_ref_f32(float x, tg_kp p)
{
    (void)p;
    float t = x + 3.0f;
    t = t < 0 ? 0.0f : t > 6 ? 6.0f : t;
    return t / 6.0f;
}
static inline double hardsigmoid_ref_f64(double x, tg_kp p)
{
    (void)p;
    double t = x + 3.0;
    t = t < 0 ? 0.0 : t > 6 ? 6.0 : t;
    return t / 6.0;
}
static inline float hardswish_ref_f32(float x, tg_kp p)
{
    (void)p;
    float t = x + 3.0f;
    t = t < 0 ? 0.0f : t > 6 ? 6.0f : t;
    return x * t / 6.0f;
}
static inline double hardswish_ref_f64(double x, tg_kp p)
{
    (void)p;
    double t = x + 3.0;
    t = t < 0 ? 0.0 : t > 6 ? 6.0 : t;
    return x * t / 6.0;
}
static inline float softsign_ref_f32(float x, tg_kp p) { (void)p; return x / (1.0f + fabsf(x)); }
static inline double softsign_ref_f64(double x, tg_kp p) { (void)p; return x / (1.0 + fabs(x)); }
/* softplus as log1p(e^-|x|) + max(x, 0); mish(x) -> x for large x, and
 * -> x e^x (through 0) for very negative x */
static inline double mish_ref_f64(double x, tg_kp p)
{
    (void)p;
    double sp = log1p(exp(-fabs(x))) + (x > 0 ? x : 0.0);
    return x * tanh(sp);
}
static inline float mish_ref_f32(float x, tg_kp p) { return (float)mish_ref_f64(x, p); }
static inline float softshrink_ref_f32(float x, tg_kp p)
{
    float l = (float)p.a;
    return x > l ? x - l : x < -l ? x + l : x * 0.0f;
}
static inline double softshrink_ref_f64(double x, tg_kp p)
{
    return x > p.a ? x - p.a : x < -p.a ? x + p.a : x * 0.0;
}
static inline float threshold_ref_f32(float x, tg_kp p) { return x <= (float)p.a ? (float)p.b : x; }
static inline double threshold_ref_f64(double x, tg_kp p) { return x <= p.a ? p.b : x; }
#ifdef TG_SIMD_LEVEL
static inline vf hardtanh_mask_vf(vf x, tg_kp p)
{
    mf out = mf_or(vf_le(x, vf_set1((float)p.a)), vf_ge(x, vf_set1((float)p.b)));
    return vf_blend(out, vf_zero(), vf_set1(1.0f));
}
static inline vd hardtanh_mask_vd(vd x, tg_kp p)
{
    md out = md_or(vd_le(x, vd_set1(p.a)), vd_ge(x, vd_set1(p.b)));
    return vd_blend(out, vd_zero(), vd_set1(1.0));
}
static inline vf gtmask_vf(vf x, tg_kp p)
{
    return vf_blend(vf_le(x, vf_set1((float)p.a)), vf_zero(), vf_set1(1.0f));
}
static inline vd gtmask_vd(vd x, tg_kp p)
{
    return vd_blend(vd_le(x, vd_set1(p.a)), vd_zero(), vd_set1(1.0));
}
/* max/min return their second operand when one is NaN: t goes second */
static inline vf hardsigmoid_vf(vf x, tg_kp p)
{
    (void)p;
    vf t = vf_min(vf_set1(6.0f), vf_max(vf_zero(), vf_add(x, vf_set1(3.0f))));
    return vf_div(t, vf_set1(6.0f));
}
static inline vd hardsigmoid_vd(vd x, tg_kp p)
{
    (void)p;
    vd t = vd_min(vd_set1(6.0), vd_max(vd_zero(), vd_add(x, vd_set1(3.0))));
    return vd_div(t, vd_set1(6.0));
}
static inline vf hardswish_vf(vf x, tg_kp p)
{
    (void)p;
    vf t = vf_min(vf_set1(6.0f), vf_max(vf_zero(), vf_add(x, vf_set1(3.0f))));
    return vf_div(vf_mul(x, t), vf_set1(6.0f));
}
static inline vd hardswish_vd(vd x, tg_kp p)
{
    (void)p;
    vd t = vd_min(vd_set1(6.0), vd_max(vd_zero(), vd_add(x, vd_set1(3.0))));
    return vd_div(vd_mul(x, t), vd_set1(6.0));
}
static inline vf softsign_vf(vf x, tg_kp p)
{
    (void)p;
    return vf_div(x, vf_add(vf_set1(1.0f), vf_abs(x)));
}
static inline vd softsign_vd(vd x, tg_kp p)
{
    (void)p;
    return vd_div(x, vd_add(vd_set1(1.0), vd_abs(x)));
}
static inline vd mish_vd(vd x, tg_kp p)
{
    (void)p;
    vd sp = vd_add(vd_log1p(vd_exp(vd_neg(vd_abs(x)))), vd_max(x, vd_zero()));
    return vd_mul(x, vd_tanh(sp));
}
static inline vf softshrink_vf(vf x, tg_kp p)
{
    vf l = vf_set1((float)p.a);
    return vf_blend(vf_gt(x, l), vf_sub(x, l),
                    vf_blend(vf_lt(x, vf_neg(l)), vf_add(x, l), vf_mul(x, vf_zero())));
}
static inline vd softshrink_vd(vd x, tg_kp p)
{
    vd l = vd_set1(p.a);
    return vd_blend(vd_gt(x, l), vd_sub(x, l),
                    vd_blend(vd_lt(x, vd_neg(l)), vd_add(x, l), vd_mul(x, vd_zero())));
}
static inline vf threshold_vf(vf x, tg_kp p)
{
    return vf_blend(vf_le(x, vf_set1((float)p.a)), vf_set1((float)p.b), x);
}
static inline vd threshold_vd(vd x, tg_kp p)
{
    return vd_blend(vd_le(x, vd_set1(p.a)), vd_set1(p.b), x);
}
#endif

#endif
