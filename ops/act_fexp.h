/* e^t in f32 for the FMA instruction sets (AVX2, AVX-512), inlined into
 * the sigmoid, tanh and GELU bodies (a SLEEF call costs a register spill
 * and handles ranges these kernels never see). Vector only: included by
 * the kernel bodies after ops/simd.h, in the AVX2 and AVX-512 units.
 *
 * e^t = 2^k (1 + p): k = round(t / ln 2), rh = t - k ln2_hi is exact with
 * an FMA (t and k ln2_hi are multiples of 2^-25 when k != 0, and
 * |rh| < 1/2), r = rh - k ln2_lo is rounded once (|r| <= 0.347, so that
 * costs at most 2^-27 relative in e^t), and p = expm1(r) is the degree-7
 * fit of tools/gen_gelu_tables.py (0.002 ulp). Valid for t in [-150, 88]. */
#ifndef TAPEGRAD_ACT_FEXP_H
#define TAPEGRAD_ACT_FEXP_H

#include "ops/gelu_tables.h"

#if TG_SIMD_LEVEL >= 2

static const float tg_fexp_log2e = 1.44269504088896340736f;
static const float tg_fexp_ln2_hi = 0.693147182464599609375f; /* (float)ln 2 */
static const float tg_fexp_ln2_lo = -1.90465429995776769e-09f; /* ln 2 - ln2_hi */
/* 1.5 * 2^23: adding it rounds to an integer */
static const float tg_fexp_shifter = 12582912.0f;

/* q(r) with expm1(r) = r + r^2 q(r): the degree-7 fit, Horner */
static inline vf tg_fexp_q(vf r)
{
    const float *e = tg_exp7_coef; /* e[j] multiplies r^(j+2) */
    vf q = vf_set1(e[5]);
    q = vf_fma(q, r, vf_set1(e[4]));
    q = vf_fma(q, r, vf_set1(e[3]));
    q = vf_fma(q, r, vf_set1(e[2]));
    q = vf_fma(q, r, vf_set1(e[1]));
    return vf_fma(q, r, vf_set1(e[0]));
}

/* returns p and sets k (an integral float): e^t = 2^k (1 + p) */
static inline vf tg_fexp(vf t, vf *k)
{
    vf sh = vf_set1(tg_fexp_shifter);
    vf kk = vf_sub(vf_fma(t, vf_set1(tg_fexp_log2e), sh), sh);
    vf r = vf_fnma(kk, vf_set1(tg_fexp_ln2_hi), t);
    r = vf_fnma(kk, vf_set1(tg_fexp_ln2_lo), r);
    vf q = tg_fexp_q(r);
    *k = kk;
    return vf_fma(vf_mul(r, r), q, r);
}

/* The sigmoid family's e^(t + lo) (lo a small correction to t, or 0): the
 * same reduction with lo added to r, and the degree-6 expm1 fit (0.07 ulp
 * of e^t against 0.002, one multiply-add fewer: these kernels round e^t
 * once anyway and are held to the copy speed). The shifter carries the
 * exponent bias, so the bits of *n shifted left by 23 are those of 2^k
 * whenever k >= -126 (AVX2 scales by that; AVX-512 has vscalefps). */
static const float tg_fexp6_shifter = 12583039.0f; /* 1.5 * 2^23 + 127 */
static inline vf tg_fexp6(vf t, vf lo, bool has_lo, vf *k, vf *n)
{
    const float *e = tg_exp6_coef; /* e[j] multiplies r^(j+2) */
    vf sh = vf_set1(tg_fexp6_shifter);
    vf nn = vf_fma(t, vf_set1(tg_fexp_log2e), sh);
    vf kk = vf_sub(nn, sh);
    vf r = vf_fnma(kk, vf_set1(tg_fexp_ln2_hi), t);
    /* with lo: the small terms first, so that r is rounded once */
    if (has_lo)
        r = vf_add(r, vf_fnma(kk, vf_set1(tg_fexp_ln2_lo), lo));
    else
        r = vf_fnma(kk, vf_set1(tg_fexp_ln2_lo), r);
    /* Estrin, (E2 + E3 r) + r^2 ((E4 + E5 r) + E6 r^2): shorter
     * dependency chains for the same instructions, measured 6% faster in
     * sigmoid; Horner where lo is added (gelu_tanh, whose longer body
     * measured 7% slower with Estrin) */
    vf r2 = vf_mul(r, r), q;
    if (!has_lo) {
        vf a = vf_fma(vf_set1(e[1]), r, vf_set1(e[0]));
        vf b = vf_fma(vf_set1(e[3]), r, vf_set1(e[2]));
        b = vf_fma(vf_set1(e[4]), r2, b);
        q = vf_fma(b, r2, a);
    } else {
        q = vf_fma(vf_set1(e[4]), r, vf_set1(e[3]));
        q = vf_fma(q, r, vf_set1(e[2]));
        q = vf_fma(q, r, vf_set1(e[1]));
        q = vf_fma(q, r, vf_set1(e[0]));
    }
    *k = kk;
    *n = nn;
    return vf_fma(r2, q, r);
}

/* x sigmoid(z + zl) in f32 for |z| <= TG_XSIG_MAX (the fast path of
 * silu and gelu_tanh; docs/ops-elementwise.md, "The sigmoid family in
 * f32"). e = e^-|z + zl| = 2^k (1 + p) rounded once (normal: k >= -126),
 * num = 1 (z >= 0) or e, and from a reciprocal estimate y0 of 1 + e:
 *   q = num y0,  r = (num - q) - q e,  sigmoid = q + r y0
 * (r is num - q (1 + e) against the exact 1 + e; num - q is exact by
 * Sterbenz except next to z = 0, where the slip is < 2^-26 of the
 * result). x sigmoid = x q + x (r y0) with x q exact inside the FMA.
 * AVX-512 takes q = num y0 with y0 from vrcp14ps (14 bits: r y0 leaves
 * 2^-28); AVX2 divides for q (measured faster than vrcpps and a Newton
 * step) and uses vrcpps's 12 bits only for r y0, and builds 2^k from
 * the bits of the shifted exponent. Lanes beyond TG_XSIG_MAX or NaN give
 * garbage: tg_xsig_slow says whether a vector has one, and the callers
 * then blend in their f64 body's result for those lanes only. */
static const float tg_xsig_max = 87.0f;

#if TG_SIMD_LEVEL == 2
static inline vf tg_xsig_quot(vf num, vf d, vf y0) { (void)y0; return vf_div(num, d); }
/* e from k and 1 + p: the bits of n shifted (k >= -126) */
static inline vf tg_xsig_scale(vf p1, vf k, vf n)
{
    (void)k;
    return vf_mul(p1, vf_of_bits(vi_sll(vf_bits(n), 23)));
}
/* blendvps reads the sign bit of z itself (-0 picks e = 1 too) */
static inline vf tg_xsig_num(vf z, vf e) { return _mm256_blendv_ps(vf_set1(1.0f), e, z); }
#else
static inline vf tg_xsig_quot(vf num, vf d, vf y0) { (void)d; return vf_mul(num, y0); }
static inline vf tg_xsig_scale(vf p1, vf k, vf n) { (void)n; return vf_ldexp(p1, k); }
/* vfixupimmps response per class of z (one nibble each: QNaN, SNaN,
 * +-0, +1, -Inf, +Inf, negative, positive): 10 = +1.0, 2 = z quieted,
 * 0 = keep the first operand (e) */
static inline vf tg_xsig_num(vf z, vf e)
{
    return _mm512_fixupimm_ps(e, z, _mm512_set1_epi32((int)0xA0A0AA22), 0);
}
#endif

/* sigmoid(z + zl) = q + r y0 (see above); sets r and y0, returns q */
static inline vf tg_sig_parts(vf z, vf zl, bool has_lo, vf *rr, vf *yy)
{
    vf one = vf_set1(1.0f);
    vf t = vf_or(z, vf_signbit());
    /* -|z + zl| = t - zl for z >= 0, t + zl below */
    vf tl = has_lo ? vf_xor(zl, vf_andnot(z, vf_signbit())) : t;
    vf k, n, p = tg_fexp6(t, tl, has_lo, &k, &n);
    vf e = tg_xsig_scale(vf_add(one, p), k, n);
    vf num = tg_xsig_num(z, e);
    vf d = vf_add(one, e);
    vf y0 = vf_rcp(d);
    vf q = tg_xsig_quot(num, d, y0);
    *rr = vf_fnma(q, e, vf_sub(num, q));
    *yy = y0;
    return q;
}
static inline vf tg_xsig(vf x, vf z, vf zl, bool has_lo)
{
    vf r, y0, q = tg_sig_parts(z, zl, has_lo, &r, &y0);
    return vf_fma(x, q, vf_mul(x, vf_mul(r, y0)));
}
/* the lanes of z the fast path cannot take (|z| > TG_XSIG_MAX, NaN) */
static inline mf tg_xsig_slow_lanes(vf z)
{
    return vf_nge(vf_or(z, vf_signbit()), vf_set1(-tg_xsig_max));
}
static inline bool tg_xsig_slow(vf z) { return mf_bits(tg_xsig_slow_lanes(z)) != 0; }
/* y with the lanes flagged by tg_xsig_slow(z) taken from the f64 body f
 * (applied to x, rounded once) */
static inline vf tg_xsig_fix(vf y, vf x, vf z, vd (*f)(vd, tg_kp))
{
    tg_kp p = {0, 0, 0};
    vf ref = vf_of_vd2(f(vd_lo(x), p), f(vd_hi(x), p));
    return vf_blend(tg_xsig_slow_lanes(z), ref, y);
}

#endif
#endif
