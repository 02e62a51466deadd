/* Kernel bodies of tanh (ops/tanh.c), the sigmoid family
 * (ops/act_sigmoid.c), the ELU family (ops/act_elu.c) and softplus
 * (ops/act_softplus.c): scalar references (`<op>_ref_f32/_f64`, the
 * specification) and, in the kernel units, vector bodies (`<op>_vf/_vd`).
 * The formulas, limits and accuracy of each op are described in its op
 * file; the f32 references evaluate the f64 one and round once. */
#ifndef TAPEGRAD_KERN_ACT_H
#define TAPEGRAD_KERN_ACT_H

#include "ops/kernels.h"

#include <math.h>
#include <stdbool.h>

#ifdef TG_SIMD_LEVEL
#include "ops/act_fexp.h"
#endif

/* ==================================================================
 * tanh, tanh_backward(g, y) = g (1 - y^2)
 * ================================================================== */

/* in long double, rounded once: libm's double tanh is off by up to 2 ulp */
static inline double tanh_ref_f64(double x, tg_kp p) { (void)p; return (double)tanhl(x); }
static inline float tanh_ref_f32(float x, tg_kp p) { return (float)tanh_ref_f64(x, p); }

/* g (1 - y^2) in double: for |y| < 1/2, 1 - y^2 in one FMA; beyond, the
 * factor u = 1 - |y| (exact below |y| = 2^53) first, g (1 - |y|)(1 + |y|)
 * = t + t |y| with t = g u in one FMA, which also keeps a finite result
 * finite when y^2 alone would overflow; from 2^53 on, 1 - y^2 = -y^2 to
 * far below an ulp, t = -g |y| and the FMA adds 0. For a float y, y^2 is
 * exact in double, so the f32 result is correctly rounded. `fused`
 * false rounds each product as the SSE2 vector body does (which has no
 * FMA), so that tiny runs (ops/tanh.c) match it bitwise. */
static inline double tanh_backward_scalar(double g, double y, bool fused)
{
    double a = fabs(y);
    if (a < 0.5) return g * (fused ? fma(-y, y, 1.0) : 1.0 - y * y);
    bool big = a >= 0x1p53;
    double t = g * (big ? -a : 1.0 - a), c = big ? 0.0 : t;
    return fused ? fma(t, a, c) : t * a + c;
}
static inline double tanh_backward_ref_f64(double g, double y, tg_kp p)
{
    (void)p;
    return tanh_backward_scalar(g, y, true);
}
static inline float tanh_backward_ref_f32(float g, float y, tg_kp p)
{
    return (float)tanh_backward_ref_f64(g, y, p);
}

#ifdef TG_SIMD_LEVEL
static inline vd tanh_vd(vd x, tg_kp p) { (void)p; return vd_tanh(x); }
#if TG_SIMD_LEVEL == 1
/* SSE2: SLEEF's tanh (1.0-ulp variant) */
static inline vf tanh_vf(vf x, tg_kp p) { (void)p; return vf_tanh(x); }
#else
/* f32 tanh on AVX2/AVX-512 from one exponential,
 *   tanh a = -m / (2 + m),  m = expm1(-2a),  a = |x|
 * with e^-2a = 2^k (1 + p) (ops/act_fexp.h); m is carried exactly as a
 * pair built from the exact terms 2^k, 2^k p and -1 (two Fast2Sums), so
 * it keeps its relative accuracy for small a (where m = p) and its low
 * bits near m = -1; 2 + m is kept exactly as a pair too and the quotient
 * is corrected once with its FMA residual. a is held at 9.1, beyond which
 * tanh rounds to 1; the sign is put back last, so tanh(-0) = -0 and NaN
 * passes through. AVX-512 takes the quotient from the 14-bit reciprocal
 * estimate, which the residual correction brings to 2^-28 (a division
 * costs more than the rest of the kernel); AVX2's estimate has 12 bits,
 * so it divides. */
static inline vf tanh_vf(vf x, tg_kp p)
{
    (void)p;
    vf one = vf_set1(1.0f), two = vf_set1(2.0f);
    vf a = vf_min(vf_set1(9.1f), vf_abs(x));
    vf k, pp = tg_fexp(vf_mul(a, vf_set1(-2.0f)), &k);
    vf s = vf_pow2(k), sp = vf_mul(s, pp); /* both exact */
    /* e^-2a = s + s p = eh + el exactly (Fast2Sum, |s| >= |s p|),
     * m = eh - 1 + el = mh + ml exactly (Fast2Sum, 1 >= eh) */
    vf eh = vf_add(s, sp);
    vf el = vf_sub(sp, vf_sub(eh, s));
    vf mh = vf_sub(eh, one);
    vf ml = vf_add(vf_sub(eh, vf_add(mh, one)), el);
    /* renormalised, m = mm + lo with mm = fl(m) (mh = 0 for small a) */
    vf mm = vf_add(mh, ml);
    vf lo = vf_sub(ml, vf_sub(mm, mh));
    /* -m / (2 + m): d + dl = 2 + m exactly (Fast2Sum), quotient
     * corrected by its residual -m - q (2 + m) */
    vf d = vf_add(two, mm);
    vf dl = vf_add(vf_sub(mm, vf_sub(d, two)), lo);
    vf n = vf_neg(mm);
    vf q = TG_SIMD_LEVEL == 3 ? vf_mul(n, vf_rcp(d)) : vf_div(n, d);
    vf r = vf_fnma(q, dl, vf_fnma(q, d, n));
    vf y = vf_fma(vf_sub(r, lo), vf_rcp(d), q);
    return vf_xorsign(y, x);
}
#endif
static inline vd tanh_backward_vd(vd g, vd y, tg_kp p)
{
    (void)p;
    vd a = vd_abs(y);
    md big = vd_ge(a, vd_set1(0x1p53));
    vd u = vd_blend(big, vd_neg(a), vd_sub(vd_set1(1.0), a));
    vd t = vd_mul(g, u);
    vd far = vd_fma(t, a, vd_blend(big, vd_zero(), t));
    return vd_blend(vd_lt(a, vd_set1(0.5)), vd_mul(g, vd_fnma(y, y, vd_set1(1.0))), far);
}
#endif

/* ==================================================================
 * The sigmoid family. Every formula is evaluated from e = e^-|x| <= 1,
 * which never overflows: sigmoid(x) = 1/(1+e) for x >= 0 and e/(1+e) for
 * x < 0, and sigmoid(-x) is the other one of the pair.
 * ================================================================== */

/* num / (1 + e) with 1 + e kept exactly as d + dl (Fast2Sum: 1 >= e) and
 * the quotient corrected once with its exact FMA residual */
static inline double sigmoid_ref_f64(double x, tg_kp p)
{
    (void)p;
    double e = exp(-fabs(x));
    double num = x >= 0 ? 1.0 : e;
    double d = 1.0 + e, dl = e - (d - 1.0);
    double q = num / d;
    double r = fma(-q, d, num);
    r = fma(-q, dl, r);
    return q + r / d;
}
static inline float sigmoid_ref_f32(float x, tg_kp p) { return (float)sigmoid_ref_f64(x, p); }
/* sigmoid(x) and sigmoid(-x) from one exp */
static inline void sigmoid2_scalar(double x, double *s, double *t)
{
    double e = exp(-fabs(x)), d = 1.0 + e;
    bool pos = x >= 0;
    *s = (pos ? 1.0 : e) / d;
    *t = (pos ? e : 1.0) / d;
}
static inline double logsigmoid_ref_f64(double x, tg_kp p)
{
    (void)p;
    return (x < 0 ? x : 0.0) - log1p(exp(-fabs(x)));
}
static inline float logsigmoid_ref_f32(float x, tg_kp p) { return (float)logsigmoid_ref_f64(x, p); }
/* x = -Inf: the factor x is held at -1e6 so the result is -0, not
 * -Inf * 0 = NaN (below -1e6 the sigmoid is 0 anyway) */
static inline double silu_ref_f64(double x, tg_kp p)
{
    return (x < -1e6 ? -1e6 : x) * sigmoid_ref_f64(x, p);
}
static inline float silu_ref_f32(float x, tg_kp p) { return (float)silu_ref_f64(x, p); }
static inline double sigmoid_backward_ref_f64(double g, double y, tg_kp p)
{
    (void)p;
    return g * y * (1.0 - y);
}
static inline float sigmoid_backward_ref_f32(float g, float y, tg_kp p)
{
    return (float)sigmoid_backward_ref_f64(g, y, p);
}
static inline double logsigmoid_backward_ref_f64(double g, double x, tg_kp p)
{
    (void)p;
    double s, t;
    sigmoid2_scalar(x, &s, &t);
    return g * t;
}
static inline float logsigmoid_backward_ref_f32(float g, float x, tg_kp p)
{
    return (float)logsigmoid_backward_ref_f64(g, x, p);
}
/* g s (1 + x (1 - s)); |x| held at 1e6 so that x t stays 0 (not Inf * 0)
 * at +Inf */
static inline double silu_backward_ref_f64(double g, double x, tg_kp p)
{
    (void)p;
    double s, t;
    sigmoid2_scalar(x, &s, &t);
    double xc = x > 1e6 ? 1e6 : x < -1e6 ? -1e6 : x;
    return g * s * fma(xc, t, 1.0);
}
static inline float silu_backward_ref_f32(float g, float x, tg_kp p)
{
    return (float)silu_backward_ref_f64(g, x, p);
}

#ifdef TG_SIMD_LEVEL
static inline void sigmoid2_vd(vd x, vd *s, vd *t)
{
    vd one = vd_set1(1.0);
    vd e = vd_exp(vd_neg(vd_abs(x)));
    vd d = vd_add(one, e);
    md pos = vd_ge(x, vd_zero());
    *s = vd_div(vd_blend(pos, one, e), d);
    *t = vd_div(vd_blend(pos, e, one), d);
}
static inline vd sigmoid_vd(vd x, tg_kp p)
{
    (void)p;
    vd one = vd_set1(1.0);
    vd e = vd_exp(vd_neg(vd_abs(x)));
    vd num = vd_blend(vd_ge(x, vd_zero()), one, e);
    vd d = vd_add(one, e);
    vd dl = vd_sub(e, vd_sub(d, one));
    vd q = vd_div(num, d);
    vd r = vd_fnma(q, d, num);
    r = vd_fnma(q, dl, r);
    return vd_add(q, vd_div(r, d));
}
static inline vd logsigmoid_vd(vd x, tg_kp p)
{
    (void)p;
    vd e = vd_exp(vd_neg(vd_abs(x)));
    return vd_sub(vd_min(x, vd_zero()), vd_log1p(e));
}
static inline vd logsigmoid_backward_vd(vd g, vd x, tg_kp p)
{
    (void)p;
    vd s, t;
    sigmoid2_vd(x, &s, &t);
    return vd_mul(g, t);
}
static inline vd silu_vd(vd x, tg_kp p)
{
    vd xl = vd_max(vd_set1(-1e6), x);
    return vd_mul(xl, sigmoid_vd(x, p));
}
static inline vd silu_backward_vd(vd g, vd x, tg_kp p)
{
    (void)p;
    vd s, t;
    sigmoid2_vd(x, &s, &t);
    vd xc = vd_min(vd_set1(1e6), vd_max(vd_set1(-1e6), x));
    vd k = vd_fma(xc, t, vd_set1(1.0));
    return vd_mul(vd_mul(g, s), k);
}
static inline vd sigmoid_backward_vd(vd g, vd y, tg_kp p)
{
    (void)p;
    return vd_mul(vd_mul(g, y), vd_sub(vd_set1(1.0), y));
}

#if TG_SIMD_LEVEL == 1
/* f32 sigmoid on SSE2: y = num / (1 + e) with num = 1 (x >= 0) or e
 * (x < 0). The sum 1 + e is kept exactly as d + dl (Fast2Sum: 1 >= e) and
 * the quotient is corrected once with its residual, so the only error
 * left besides the final rounding is exp's own. */
static inline vf sigmoid_vf(vf x, tg_kp p)
{
    (void)p;
    vf one = vf_set1(1.0f);
    vf e = vf_exp(vf_neg(vf_abs(x)));
    vf num = vf_blend(vf_ge(x, vf_zero()), one, e);
    vf d = vf_add(one, e);
    vf dl = vf_sub(e, vf_sub(d, one));
    vf q = vf_div(num, d);
    /* r = num - q (d + dl); q + r/d, r/d from a reciprocal estimate */
    vf r = vf_fnma(q, d, num);
    r = vf_fnma(q, dl, r);
    return vf_fma(r, vf_rcp(d), q);
}
/* silu in f32 on SSE2: the f64 body, rounded once */
static inline vf silu_vf(vf x, tg_kp p)
{
    return vf_of_vd2(silu_vd(vd_lo(x), p), silu_vd(vd_hi(x), p));
}
#elif TG_SIMD_LEVEL == 2
/* f32 sigmoid on the FMA instruction sets: the quotient of tg_sig_parts
 * (ops/act_fexp.h): e = e^-|x| inline with the degree-6 expm1, rounded
 * once, y = num / (1 + e) from a reciprocal estimate corrected once by
 * its residual against the exact 1 + e. Left besides the final rounding:
 * e's rounding, up to 2^-24 relative, which is up to twice as many ulps
 * when y sits at the bottom of its binade. AVX2 builds 2^k from bits,
 * which needs |x| <= 87: a vector with a lane beyond (or a NaN) has those
 * lanes replaced by the f64 body's result; the other lanes are computed
 * the same way either way, so a result never depends on its neighbours. */
static inline vf sigmoid_vf(vf x, tg_kp p)
{
    (void)p;
    vf r, y0, q = tg_sig_parts(x, x, false, &r, &y0);
    vf y = vf_fma(r, y0, q);
    if (__builtin_expect(tg_xsig_slow(x), 0)) y = tg_xsig_fix(y, x, x, sigmoid_vd);
    return y;
}
#else
/* AVX-512 needs no fast/slow split: -min(|x|, 104) comes from one
 * vrangeps (e^-104 < 2^-150 rounds to 0; NaN passes through), vscalefps
 * rounds e once into the subnormal range, and one vfixupimmps on the
 * class of x picks num. */
static inline vf sigmoid_vf(vf x, tg_kp p)
{
    (void)p;
    vf one = vf_set1(1.0f);
    /* vrangeps 0x0E: min(|a|, |b|) with the sign bit set */
    vf t = _mm512_range_ps(x, vf_set1(104.0f), 0x0E);
    vf k, n, pp = tg_fexp6(t, t, false, &k, &n);
    (void)n;
    vf e = vf_ldexp(vf_add(one, pp), k);
    vf num = tg_xsig_num(x, e);
    vf y0 = vf_rcp(vf_add(one, e));
    vf q = vf_mul(num, y0);
    vf r = vf_fnma(q, e, vf_sub(num, q));
    return vf_fma(r, y0, q);
}
#endif
#if TG_SIMD_LEVEL >= 2
/* silu = x sigmoid(x) = x q + x (r y0) (tg_xsig): x q is exact inside
 * the final FMA, so only e's rounding and the last one remain, as in
 * sigmoid. Fast path for |x| <= 87 on both instruction sets (there e is
 * normal and x e / (1 + e) keeps its relative accuracy; below, e would
 * lose bits to the subnormal range while the result is still normal),
 * the f64 body's result for the lanes beyond. */
static inline vf silu_vf(vf x, tg_kp p)
{
    (void)p;
    vf y = tg_xsig(x, x, x, false);
    if (__builtin_expect(tg_xsig_slow(x), 0)) y = tg_xsig_fix(y, x, x, silu_vd);
    return y;
}
#endif
#endif

/* ==================================================================
 * The ELU family: scale (x > 0 ? x : alpha expm1(x / div)); for celu,
 * x / alpha is a division (not x * (1/alpha)) to match the definition
 * exactly. elu_backward(g, x; c, scale, is) = g (x > 0 ? scale : c e^(x is))
 * with c = scale alpha is.
 * ================================================================== */
static const double tg_selu_scale = 1.0507009873554804934193349852946;
static const double tg_selu_alpha = 1.6732632423543772848170429916717;

static inline double elu_scalar(double x, double al, double sc, double div)
{
    double r = x > 0 ? x : al * expm1(x / div);
    return sc == 1.0 ? r : sc * r;
}
static inline double elu_ref_f64(double x, tg_kp p) { return elu_scalar(x, p.a, 1.0, 1.0); }
static inline float elu_ref_f32(float x, tg_kp p) { return (float)elu_ref_f64(x, p); }
static inline double selu_ref_f64(double x, tg_kp p)
{
    (void)p;
    return elu_scalar(x, tg_selu_alpha, tg_selu_scale, 1.0);
}
static inline float selu_ref_f32(float x, tg_kp p) { return (float)selu_ref_f64(x, p); }
static inline double celu_ref_f64(double x, tg_kp p) { return elu_scalar(x, p.a, 1.0, p.a); }
static inline float celu_ref_f32(float x, tg_kp p) { return (float)celu_ref_f64(x, p); }
/* 1 where x <= 0 (or NaN), else 0 */
static inline double nonpos_ref_f64(double x, tg_kp p) { (void)p; return x > 0 ? 0.0 : 1.0; }
static inline float nonpos_ref_f32(float x, tg_kp p) { return (float)nonpos_ref_f64(x, p); }
static inline double elu_backward_ref_f64(double g, double x, tg_kp p)
{
    double e = exp(x * p.c);
    return g * (x > 0 ? p.b : p.a * e);
}
static inline float elu_backward_ref_f32(float g, float x, tg_kp p)
{
    return (float)elu_backward_ref_f64(g, x, p);
}
#ifdef TG_SIMD_LEVEL
static inline vd elu_vec(vd x, double al, double sc, double div)
{
    vd z = vd_div(x, vd_set1(div));
    vd neg = vd_mul(vd_set1(al), vd_expm1(z));
    vd r = vd_blend(vd_gt(x, vd_zero()), x, neg);
    return sc == 1.0 ? r : vd_mul(vd_set1(sc), r);
}
static inline vd elu_vd(vd x, tg_kp p) { return elu_vec(x, p.a, 1.0, 1.0); }
static inline vd selu_vd(vd x, tg_kp p)
{
    (void)p;
    return elu_vec(x, tg_selu_alpha, tg_selu_scale, 1.0);
}
static inline vd celu_vd(vd x, tg_kp p) { return elu_vec(x, p.a, 1.0, p.a); }
static inline vd nonpos_vd(vd x, tg_kp p)
{
    (void)p;
    return vd_blend(vd_gt(x, vd_zero()), vd_zero(), vd_set1(1.0));
}
static inline vd elu_backward_vd(vd g, vd x, tg_kp p)
{
    vd e = vd_exp(vd_mul(x, vd_set1(p.c)));
    vd d = vd_blend(vd_gt(x, vd_zero()), vd_set1(p.b), vd_mul(vd_set1(p.a), e));
    return vd_mul(g, d);
}
#endif

/* ==================================================================
 * softplus(x; beta = p.a, threshold = p.b) = z > thr ? x
 *     : (max(z, 0) + log1p(e^-|z|)) / beta,  z = beta x
 * softplus_backward(g, x; beta, thr) = z > thr ? g : g sigmoid(z)
 * mask: 1 on the sigmoid branch (z <= thr or NaN), 0 on the linear one
 * ================================================================== */
static inline double softplus_ref_f64(double x, tg_kp p)
{
    double z = x * p.a;
    double s = ((z > 0 ? z : 0.0) + log1p(exp(-fabs(z)))) / p.a;
    return z > p.b ? x : s;
}
static inline float softplus_ref_f32(float x, tg_kp p) { return (float)softplus_ref_f64(x, p); }
static inline double softplus_backward_ref_f64(double g, double x, tg_kp p)
{
    double z = x * p.a, e = exp(-fabs(z));
    double s = (z >= 0 ? 1.0 : e) / (1.0 + e);
    return g * (z > p.b ? 1.0 : s);
}
static inline float softplus_backward_ref_f32(float g, float x, tg_kp p)
{
    return (float)softplus_backward_ref_f64(g, x, p);
}
static inline double softplus_mask_ref_f64(double x, tg_kp p) { return x * p.a > p.b ? 0.0 : 1.0; }
static inline float softplus_mask_ref_f32(float x, tg_kp p) { return (float)softplus_mask_ref_f64(x, p); }
#ifdef TG_SIMD_LEVEL
static inline vd softplus_vd(vd x, tg_kp p)
{
    vd z = vd_mul(x, vd_set1(p.a));
    vd e = vd_exp(vd_neg(vd_abs(z)));
    vd s = vd_add(vd_max(z, vd_zero()), vd_log1p(e));
    s = vd_div(s, vd_set1(p.a));
    return vd_blend(vd_gt(z, vd_set1(p.b)), x, s);
}
static inline vd softplus_backward_vd(vd g, vd x, tg_kp p)
{
    vd one = vd_set1(1.0);
    vd z = vd_mul(x, vd_set1(p.a));
    vd e = vd_exp(vd_neg(vd_abs(z)));
    vd s = vd_div(vd_blend(vd_ge(z, vd_zero()), one, e), vd_add(one, e));
    return vd_mul(g, vd_blend(vd_gt(z, vd_set1(p.b)), one, s));
}
static inline vd softplus_mask_vd(vd x, tg_kp p)
{
    vd z = vd_mul(x, vd_set1(p.a));
    return vd_blend(vd_gt(z, vd_set1(p.b)), vd_zero(), vd_set1(1.0));
}
#endif

#endif
