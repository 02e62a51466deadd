/* Kernel bodies of GELU, exact and tanh-approximated, and their fused
 * backward kernels (ops/act_gelu.c has the formulas and VJPs): scalar
 * references (`<op>_ref_f32/_f64`) and, in the kernel units, vector bodies.
 * erfc (not 1 + erf) and sigmoid(2u) (not 1 + tanh u) keep full relative
 * precision for x << 0, where the naive forms cancel to 0. The f32
 * references and every f32 body on SSE2 evaluate in double and round
 * once; f32 gelu, gelu_backward and gelu_tanh on AVX2/AVX-512 are built to
 * keep the root of the derivatives (x = -0.75) in float (below). */
#ifndef TAPEGRAD_KERN_GELU_H
#define TAPEGRAD_KERN_GELU_H

#include "ops/kern_act.h"

static const double tg_gelu_inv_sqrt2 = 0.70710678118654752440;
static const double tg_gelu_inv_sqrt_2pi = 0.39894228040143267794;
static const double tg_gelu_sqrt_2_over_pi = 0.79788456080286535588;
static const double tg_gelu_c = 0.044715;
/* beyond |x| = 1e6 every derivative here is exactly 0 or 1 in double;
 * clamping there keeps x * 0 from becoming Inf * 0 = NaN */
static const double tg_gelu_big = 1e6;

/* ---- references */
static inline double gelu_clampbig(double x)
{
    return x > tg_gelu_big ? tg_gelu_big : x < -tg_gelu_big ? -tg_gelu_big : x;
}
/* Phi(x) = erfc(-x / sqrt 2) / 2 */
static inline double gelu_phi_scalar(double x) { return 0.5 * erfc(x * -tg_gelu_inv_sqrt2); }
static inline double gelu_ref_f64(double x, tg_kp p)
{
    (void)p;
    return (x < -tg_gelu_big ? -tg_gelu_big : x) * gelu_phi_scalar(x);
}
static inline float gelu_ref_f32(float x, tg_kp p) { return (float)gelu_ref_f64(x, p); }
/* g (Phi(x) + x phi(x)) */
static inline double gelu_backward_ref_f64(double g, double x, tg_kp p)
{
    (void)p;
    double xc = gelu_clampbig(x);
    double dens = exp(xc * xc * -0.5) * tg_gelu_inv_sqrt_2pi;
    return g * fma(xc, dens, gelu_phi_scalar(x));
}
static inline float gelu_backward_ref_f32(float g, float x, tg_kp p)
{
    return (float)gelu_backward_ref_f64(g, x, p);
}
/* s = sigmoid(2u), t = sigmoid(-2u), u = sqrt(2/pi) (x + c x^3) */
static inline void gelu_tanh_sig_scalar(double x, double *s, double *t)
{
    double u2 = x * (2 * tg_gelu_sqrt_2_over_pi) * fma(x * x, tg_gelu_c, 1.0);
    sigmoid2_scalar(u2, s, t);
}
static inline double gelu_tanh_ref_f64(double x, tg_kp p)
{
    (void)p;
    double s, t;
    gelu_tanh_sig_scalar(gelu_clampbig(x), &s, &t);
    return (x < -tg_gelu_big ? -tg_gelu_big : x) * s;
}
static inline float gelu_tanh_ref_f32(float x, tg_kp p) { return (float)gelu_tanh_ref_f64(x, p); }
/* g s (1 + 2 x u' (1 - s)) */
static inline double gelu_tanh_backward_ref_f64(double g, double x, tg_kp p)
{
    (void)p;
    double s, t, xc = gelu_clampbig(x);
    gelu_tanh_sig_scalar(xc, &s, &t);
    double du = 2 * tg_gelu_sqrt_2_over_pi * fma(xc * xc, 3 * tg_gelu_c, 1.0);
    return g * (s * fma(xc * du, t, 1.0));
}
static inline float gelu_tanh_backward_ref_f32(float g, float x, tg_kp p)
{
    return (float)gelu_tanh_backward_ref_f64(g, x, p);
}

#ifdef TG_SIMD_LEVEL
/* ---- f64 bodies (every instruction set) */
static inline vd gelu_clampbig_vd(vd x)
{
    return vd_min(vd_set1(tg_gelu_big), vd_max(vd_set1(-tg_gelu_big), x));
}
static inline vd gelu_phi_vd(vd x)
{
    return vd_mul(vd_set1(0.5), vd_erfc(vd_mul(x, vd_set1(-tg_gelu_inv_sqrt2))));
}
static inline vd gelu_vd(vd x, tg_kp p)
{
    (void)p;
    return vd_mul(vd_max(vd_set1(-tg_gelu_big), x), gelu_phi_vd(x));
}
static inline vd gelu_backward_vd(vd g, vd x, tg_kp p)
{
    (void)p;
    vd xc = gelu_clampbig_vd(x);
    vd dens = vd_mul(vd_exp(vd_mul(vd_mul(xc, xc), vd_set1(-0.5))),
                     vd_set1(tg_gelu_inv_sqrt_2pi));
    return vd_mul(g, vd_fma(xc, dens, gelu_phi_vd(x)));
}
static inline void gelu_tanh_sig_vd(vd x, vd *s, vd *t)
{
    vd x2 = vd_mul(x, x);
    vd u2 = vd_mul(vd_mul(x, vd_set1(2 * tg_gelu_sqrt_2_over_pi)),
                   vd_fma(x2, vd_set1(tg_gelu_c), vd_set1(1.0)));
    sigmoid2_vd(u2, s, t);
}
static inline vd gelu_tanh_vd(vd x, tg_kp p)
{
    (void)p;
    vd s, t;
    gelu_tanh_sig_vd(gelu_clampbig_vd(x), &s, &t);
    return vd_mul(vd_max(vd_set1(-tg_gelu_big), x), s);
}
static inline vd gelu_tanh_backward_vd(vd g, vd x, tg_kp p)
{
    (void)p;
    vd s, t, one = vd_set1(1.0);
    vd xc = gelu_clampbig_vd(x);
    gelu_tanh_sig_vd(xc, &s, &t);
    vd du = vd_mul(vd_set1(2 * tg_gelu_sqrt_2_over_pi),
                   vd_fma(vd_mul(xc, xc), vd_set1(3 * tg_gelu_c), one));
    vd k = vd_fma(vd_mul(xc, du), t, one);
    return vd_mul(g, vd_mul(s, k));
}

#if TG_SIMD_LEVEL == 1
/* SSE2 has no FMA (no exact square, no single-rounding assembly): the f32
 * kernels are the double bodies, rounded once */
static inline vf gelu_vf(vf x, tg_kp p)
{
    return vf_of_vd2(gelu_vd(vd_lo(x), p), gelu_vd(vd_hi(x), p));
}
static inline vf gelu_backward_vf(vf g, vf x, tg_kp p)
{
    return vf_of_vd2(gelu_backward_vd(vd_lo(g), vd_lo(x), p),
                     gelu_backward_vd(vd_hi(g), vd_hi(x), p));
}
static inline vf gelu_tanh_vf(vf x, tg_kp p)
{
    return vf_of_vd2(gelu_tanh_vd(vd_lo(x), p), gelu_tanh_vd(vd_hi(x), p));
}
#else
/* ---- f32 gelu and gelu_backward in f32 arithmetic (AVX2, AVX-512;
 * docs/ops-elementwise.md, "GELU in f32"). With a = |x|, E = e^(-a^2/2):
 *   gelu(x)  = max(x, 0) - E M(a),              M = a Q(a) e^(a^2/2)
 *   gelu'(x) = x > 0 ? 1 - E D(a) : E D(a),     D = Q(a) e^(a^2/2) - a/sqrt(2 pi)
 * (Q(a) = Phi(-a); x Phi(x) = x - a Q(a) for x > 0, and Phi + x phi =
 * phi (Q/phi - a) for x < 0). M and D are smooth, bounded and never
 * underflow, so they are piecewise polynomials (tools/gen_gelu_tables.py:
 * 8 intervals of a, one register permute per coefficient), and the whole
 * dynamic range is in E, computed as 2^k (1 + p) from the exact split
 * a^2 = h + l (FMA), so the rounding of a^2 costs nothing. The result is
 * assembled as 2^k fma(f, p, f), one rounding for E f. D keeps relative
 * accuracy next to its root (x = -0.7518) because that interval is
 * expanded around the float nearest the root. */

/* beyond a = 14.5, gelu(-a) < 2^-150 rounds to -0 and gelu(a) = a; the
 * derivative's E D stays nonzero in float further out (g up to 2^81
 * times it), so backward goes to 18 (E = 2^k (1+p), k >= -234) */
static const float tg_gelu_fwd_amax = 14.5f;
static const float tg_gelu_bwd_amax = 18.0f;
/* rows of the tables: centre, value at the centre (in one of two rows,
 * the other is 0), then S */
enum { GELU_T_C, GELU_T_C0, GELU_T_C0IN, GELU_T_S0 };

/* interval of a >= 0: a + 1 in quarter binades, [0,.25) [.25,.5) ...
 * [1,1.5) [1.5,2) ... [3,4) ... [7,9) ... [13,...); NaN -> 15 */
static inline vi gelu_interval(vf a)
{
    vi b = vi_srl(vf_bits(vf_add(a, vf_set1(1.0f))), 21);
    return vi_min(vi_sub(b, vi_set1(508)), vi_set1(15));
}
/* e^(-a^2/2) = 2^k (1 + p), p = rh + z: sets k (an integral float) and z,
 * returns rh. a^2 = h + l exactly; rh = -h/2 - k ln2_hi is exact with an
 * FMA (both are multiples of 2^-25 and |rh| < 1/2); the rest of the
 * reduced argument, rl = -k ln2_lo - l/2 (up to 8e-6), enters to first
 * order: e^(rh + rl) = (1 + ph)(1 + rl). z = rh^2 q(rh) + rl (1 + ph)
 * carries everything but rh, so p is never rounded. */
static inline vf gelu_exp(vf a, vf *k, vf *z)
{
    vf h = vf_mul(a, a);
    vf l = vf_fms(a, a, h);
    vf t = vf_mul(h, vf_set1(-0.5f));
    vf sh = vf_set1(tg_fexp_shifter);
    vf kk = vf_sub(vf_fma(t, vf_set1(tg_fexp_log2e), sh), sh);
    vf rh = vf_fnma(kk, vf_set1(tg_fexp_ln2_hi), t);
    vf rl = vf_fnma(kk, vf_set1(tg_fexp_ln2_lo), vf_mul(l, vf_set1(-0.5f)));
    vf q = tg_fexp_q(rh);
    vf r2 = vf_mul(rh, rh);
    vf ph = vf_fma(r2, q, rh);
    *z = vf_fma(r2, q, vf_fma(rl, ph, rl));
    *k = kk;
    return rh;
}
/* f (1 + p) = c0 + w for f = c0 + d S(d), d = a - c, from table t: sets
 * c0, returns w - d s0 = c0' + d^2 S1(d) + f p (S = s0 + d S1, p = rh + z),
 * where c0 stands alone when it dominates f and c0' holds it where d s0
 * does (M near 0, D near its root). Either way one rounding falls on the
 * size of the result (the final c0 + w, or the FMA with d s0) and every
 * other one on a smaller term (f p uses f to float accuracy). d is exact:
 * c = 0 in the first interval, elsewhere a is within a factor 2 of c
 * (Sterbenz). */
static inline vf gelu_poly(const float (*t)[16], vf a, vf rh, vf z, vf *c0,
                           vf *dd, vf *ss0)
{
    vi iv = gelu_interval(a);
    vf d = vf_sub(a, vf_lut16(t[GELU_T_C], iv));
    vf s = vf_lut16(t[GELU_T_S0 + 5], iv);
    for (int j = 4; j >= 1; j--) s = vf_fma(s, d, vf_lut16(t[GELU_T_S0 + j], iv));
    vf s0 = vf_lut16(t[GELU_T_S0], iv);
    vf v = vf_fma(vf_mul(d, s), d, vf_lut16(t[GELU_T_C0IN], iv));
    *c0 = vf_lut16(t[GELU_T_C0], iv);
    vf f = vf_add(*c0, vf_fma(d, s0, v));
    *dd = d, *ss0 = s0;
    return vf_fma(f, rh, vf_fma(f, z, v));
}
static inline vf gelu_vf(vf x, tg_kp p)
{
    (void)p;
    /* min(AMAX, |x|) keeps NaN */
    vf a = vf_min(vf_set1(tg_gelu_fwd_amax), vf_abs(x));
    vf k, z, rh = gelu_exp(a, &k, &z);
    vf c0, d, s0, vv = gelu_poly(gelu_tab_m, a, rh, z, &c0, &d, &s0);
    vf w = vf_fma(d, s0, vv);
    vf u = vf_ldexp(vf_add(c0, w), k); /* E M */
    /* x > 0: x - E M; otherwise -E M, and -0 stays -0 */
    return vf_blend(vf_gt(x, vf_zero()), vf_sub(x, u), vf_xorsign(u, x));
}
/* g gelu'(x), E D = 2^k D (1 + p). The scaling goes in two
 * exact-or-once-rounded steps: D 2^k1 first (k1 = max(k, -117), normal,
 * exact) so that g multiplies before anything can underflow or overflow,
 * 2^k2 last. */
static inline vf gelu_backward_vf(vf g, vf x, tg_kp p)
{
    (void)p;
    vf a = vf_min(vf_set1(tg_gelu_bwd_amax), vf_abs(x));
    vf k, z, rh = gelu_exp(a, &k, &z);
    vf k1 = vf_max(k, vf_set1(-117.0f));
    vf s2 = vf_pow2(vf_sub(k, k1));
    vf c0, d, s0, vv = gelu_poly(gelu_tab_d, a, rh, z, &c0, &d, &s0);
    vf w = vf_fma(d, s0, vv);
    vf s1 = vf_pow2(k1);
    /* x > 0: g (1 - c0 2^k1 - w 2^k1) (below 2^-117, E D is nothing next
     * to 1). B = 1 - c0 2^k1 rounded, its error e exactly (FMA, B - 1 is
     * exact), and g B exactly as hi + lo: the only rounding on the size
     * of the result is the last addition. */
    vf one = vf_set1(1.0f);
    vf bb = vf_fnma(c0, s1, one);
    vf e = vf_fma(c0, s1, vf_sub(bb, one));
    vf pt = vf_fma(w, s1, e);
    vf ph = vf_mul(g, bb), pl = vf_fms(g, bb, ph);
    vf pos = vf_add(ph, vf_fnma(g, pt, pl));
    /* x <= 0: g 2^k1 (c0 + d s0 + vv) with g c0 2^k1 and g d 2^k1 formed
     * exactly (hi + lo, FMA two-products), so that, whichever of c0 and
     * d s0 dominates, one rounding falls on the size of the result. 2^k1
     * goes on c0, d and vv, not on g, which may be small (d 2^k1 is exact
     * where d s0 matters: there k1 >= -1). */
    vf cs = vf_mul(c0, s1); /* exact: c0 >= 0.2 or 0 */
    vf hi = vf_mul(g, cs), lo = vf_fms(g, cs, hi);
    vf ds = vf_mul(d, s1);
    vf qh = vf_mul(g, ds), ql = vf_fms(g, ds, qh);
    vf rest = vf_fma(ql, s0, vf_fma(g, vf_mul(vv, s1), lo));
    vf neg = vf_mul(vf_add(hi, vf_fma(qh, s0, rest)), s2);
    return vf_blend(vf_gt(x, vf_zero()), pos, neg);
}

/* ---- f32 gelu_tanh (AVX2, AVX-512): x sigmoid(z), z = 2u =
 * x (C1 + C3 x^2), through tg_xsig (ops/act_fexp.h). For x < 0 the
 * result is ~ x e^z, whose relative error is the absolute error of z:
 * z (up to 87 in magnitude on the fast path) is carried as a pair
 * zh + zl good to ~2^-46 relative: x^2 and C3h x^2 exact (FMA),
 * C1 + C3 x^2 by Fast2Sum (larger term first: max/min), the small terms
 * (the low halves of the constants and of x^2) added into the low part,
 * and x (vh + vl) as an exact product plus x vl. zl goes into the reduced
 * argument of exp before its single rounding. Lanes with |z| > 87
 * (|x| > ~9.99) or NaN take the f64 body's result. */
static const double tg_gt_c1 = 1.595769121605730711759784;   /* 2 sqrt(2/pi) */
static const double tg_gt_c3 = 0.07135481627260024877633875; /* 2 sqrt(2/pi) 0.044715 */
static inline vf gelu_tanh_z(vf x, vf *zl)
{
    const float c1h = (float)tg_gt_c1, c1l = (float)(tg_gt_c1 - c1h);
    const float c3h = (float)tg_gt_c3, c3l = (float)(tg_gt_c3 - c3h);
    vf c1 = vf_set1(c1h), c3 = vf_set1(c3h);
    vf s = vf_mul(x, x), sl = vf_fms(x, x, s);
    vf ph = vf_mul(c3, s), pl = vf_fms(c3, s, ph);
    vf big = vf_max(c1, ph), small = vf_min(c1, ph);
    vf vh = vf_add(big, small);
    vf e1 = vf_sub(small, vf_sub(vh, big));
    vf vl = vf_fma(c3, sl, pl);
    vl = vf_fma(vf_set1(c3l), s, vl);
    vl = vf_add(vl, vf_add(e1, vf_set1(c1l)));
    vf zh = vf_mul(x, vh);
    *zl = vf_fma(x, vl, vf_fms(x, vh, zh));
    return zh;
}
static inline vf gelu_tanh_vf(vf x, tg_kp p)
{
    (void)p;
    vf zl, zh = gelu_tanh_z(x, &zl);
    vf y = tg_xsig(x, zh, zl, true);
    if (__builtin_expect(tg_xsig_slow(zh), 0)) y = tg_xsig_fix(y, x, zh, gelu_tanh_vd);
    return y;
}
#endif
#endif

#endif
