/* e^t in f32 for the FMA instruction sets (AVX2, AVX-512), inlined into
 * the sigmoid and tanh kernels (a SLEEF call costs a register spill and
 * handles ranges these kernels never see).
 *
 * e^t = 2^k (1 + p): k = round(t / ln 2), rh = t - k ln2_hi is exact with
 * an FMA (t and k ln2_hi are multiples of 2^-25 when k != 0, and
 * |rh| < 1/2), r = rh - k ln2_lo is rounded once (|r| <= 0.347, so that
 * costs at most 2^-27 relative in e^t), and p = expm1(r) is the degree-7
 * fit of tools/gen_gelu_tables.py (0.002 ulp). Valid for t in [-150, 88]. */
#ifndef TAPEGRAD_ACT_FEXP_H
#define TAPEGRAD_ACT_FEXP_H

#include "ops/gelu_tables.h"
#include "ops/simd.h"

#define TG_FEXP_LOG2E 1.44269504088896340736f
#define TG_FEXP_LN2_HI 0.693147182464599609375f /* (float)ln 2 */
#define TG_FEXP_LN2_LO -1.90465429995776769e-09f /* ln 2 - TG_FEXP_LN2_HI */
#define TG_FEXP_SHIFTER 12582912.0f /* 1.5 * 2^23: adding it rounds to an integer */

#define TG_FEXP_HELPERS(I)                                                  \
    /* q(r) with expm1(r) = r + r^2 q(r): the degree-7 fit, Horner */       \
    TG_TARGET_##I static inline TG_VF(I) tg_fexp_q_##I(TG_VF(I) r)          \
    {                                                                       \
        TG_VF(I) q = TG_SET1F(I, GELU_EXP_E7);                              \
        q = TG_FMAF(I, q, r, TG_SET1F(I, GELU_EXP_E6));                     \
        q = TG_FMAF(I, q, r, TG_SET1F(I, GELU_EXP_E5));                     \
        q = TG_FMAF(I, q, r, TG_SET1F(I, GELU_EXP_E4));                     \
        q = TG_FMAF(I, q, r, TG_SET1F(I, GELU_EXP_E3));                     \
        return TG_FMAF(I, q, r, TG_SET1F(I, GELU_EXP_E2));                  \
    }                                                                       \
    /* returns p, sets k (an integral float): e^t = 2^k (1 + p) */          \
    TG_TARGET_##I static inline TG_VF(I) tg_fexp_##I(TG_VF(I) t,            \
                                                     TG_VF(I) * k)          \
    {                                                                       \
        TG_VF(I) sh = TG_SET1F(I, TG_FEXP_SHIFTER);                         \
        TG_VF(I) kk = TG_SUBF(I, TG_FMAF(I, t, TG_SET1F(I, TG_FEXP_LOG2E), sh), sh); \
        TG_VF(I) r = TG_FNMAF(I, kk, TG_SET1F(I, TG_FEXP_LN2_HI), t);       \
        r = TG_FNMAF(I, kk, TG_SET1F(I, TG_FEXP_LN2_LO), r);                \
        TG_VF(I) q = tg_fexp_q_##I(r);                                      \
        *k = kk;                                                            \
        return TG_FMAF(I, TG_MULF(I, r, r), q, r);                          \
    }
TG_FEXP_HELPERS(avx2)
TG_FEXP_HELPERS(avx512)

/* The sigmoid family's e^(t + lo) (lo a small correction to t, or 0): the
 * same reduction with lo added to r, and the degree-6 expm1 fit (0.07 ulp
 * of e^t against 0.002, one multiply-add fewer: these kernels round e^t
 * once anyway and are held to the copy speed). The shifter carries the
 * exponent bias, so the bits of *n shifted left by 23 are those of 2^k
 * whenever k >= -126 (AVX2 scales by that; AVX-512 has vscalefps). */
#define TG_FEXP6_SHIFTER 12583039.0f /* 1.5 * 2^23 + 127 */
#define TG_FEXP6_HELPERS(I)                                                 \
    TG_TARGET_##I static inline TG_VF(I) tg_fexp6_##I(                      \
        TG_VF(I) t, TG_VF(I) lo, bool has_lo, TG_VF(I) * k, TG_VF(I) * n)   \
    {                                                                       \
        TG_VF(I) sh = TG_SET1F(I, TG_FEXP6_SHIFTER);                        \
        TG_VF(I) nn = TG_FMAF(I, t, TG_SET1F(I, TG_FEXP_LOG2E), sh);        \
        TG_VF(I) kk = TG_SUBF(I, nn, sh);                                   \
        TG_VF(I) r = TG_FNMAF(I, kk, TG_SET1F(I, TG_FEXP_LN2_HI), t);       \
        /* with lo: the small terms first, so that r is rounded once */    \
        if (has_lo)                                                         \
            r = TG_ADDF(I, r, TG_FNMAF(I, kk, TG_SET1F(I, TG_FEXP_LN2_LO), lo)); \
        else                                                                \
            r = TG_FNMAF(I, kk, TG_SET1F(I, TG_FEXP_LN2_LO), r);            \
        /* Estrin, (E2 + E3 r) + r^2 ((E4 + E5 r) + E6 r^2): shorter     \
         * dependency chains for the same instructions, measured 6%       \
         * faster in sigmoid; Horner where lo is added (gelu_tanh, whose   \
         * longer body measured 7% slower with Estrin) */                  \
        TG_VF(I) r2 = TG_MULF(I, r, r), q;                                  \
        if (!has_lo) {                                                      \
            TG_VF(I) a = TG_FMAF(I, TG_SET1F(I, GELU_EXP6_E3), r,           \
                                 TG_SET1F(I, GELU_EXP6_E2));                \
            TG_VF(I) b = TG_FMAF(I, TG_SET1F(I, GELU_EXP6_E5), r,           \
                                 TG_SET1F(I, GELU_EXP6_E4));                \
            b = TG_FMAF(I, TG_SET1F(I, GELU_EXP6_E6), r2, b);               \
            q = TG_FMAF(I, b, r2, a);                                       \
        } else {                                                            \
            q = TG_FMAF(I, TG_SET1F(I, GELU_EXP6_E6), r,                    \
                        TG_SET1F(I, GELU_EXP6_E5));                         \
            q = TG_FMAF(I, q, r, TG_SET1F(I, GELU_EXP6_E4));                \
            q = TG_FMAF(I, q, r, TG_SET1F(I, GELU_EXP6_E3));                \
            q = TG_FMAF(I, q, r, TG_SET1F(I, GELU_EXP6_E2));                \
        }                                                                   \
        *k = kk;                                                            \
        *n = nn;                                                            \
        return TG_FMAF(I, r2, q, r);                                        \
    }
TG_FEXP6_HELPERS(avx2)
TG_FEXP6_HELPERS(avx512)

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
 * the bits of the shifted exponent. Lanes beyond TG_XSIG_MAX or NaN give garbage:
 * tg_xsig_slow_I says whether a vector has one, and the callers then
 * blend in their f64 body's result for those lanes only. */
#define TG_XSIG_MAX 87.0f
/* vfixupimmps response per class of z (one nibble each: QNaN, SNaN,
 * +-0, +1, -Inf, +Inf, negative, positive): 10 = +1.0, 2 = z quieted,
 * 0 = keep the first operand (e) */
#define TG_XSIG_FIX_NUM 0xA0A0AA22
#define TG_XSIG_RECIP_avx2(d) TG_RCPF(avx2, d)
#define TG_XSIG_QUOT_avx2(num, d, y0) TG_DIVF(avx2, num, d)
#define TG_XSIG_QUOT_avx512(num, d, y0) TG_MULF(avx512, num, y0)
#define TG_XSIG_RECIP_avx512(d) _mm512_rcp14_ps(d)
/* e from k and 1 + p: the bits of n shifted (k >= -126), or vscalefps */
#define TG_XSIG_SCALE_avx2(p1, k, n)                                        \
    TG_MULF(avx2, p1, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(n), 23)))
#define TG_XSIG_SCALE_avx512(p1, k, n) _mm512_scalef_ps(p1, k)
/* ~a & b */
#define TG_XSIG_ANDNOT_avx2(a, b) _mm256_andnot_ps(a, b)
#define TG_XSIG_ANDNOT_avx512(a, b) _mm512_andnot_ps(a, b)
/* AVX2: blendvps reads the sign bit of z itself (-0 picks e = 1 too) */
#define TG_XSIG_NUM_avx2(z, e) _mm256_blendv_ps(TG_SET1F(avx2, 1.0f), e, z)
#define TG_XSIG_NUM_avx512(z, e)                                            \
    _mm512_fixupimm_ps(e, z, _mm512_set1_epi32((int)TG_XSIG_FIX_NUM), 0)
#define TG_XSIG_HELPERS(I)                                                  \
    /* sigmoid(z + zl) = q + r y0 (see above) */                            \
    TG_TARGET_##I static inline TG_VF(I) tg_sig_parts_##I(                  \
        TG_VF(I) z, TG_VF(I) zl, bool has_lo, TG_VF(I) * rr, TG_VF(I) * yy) \
    {                                                                       \
        TG_VF(I) one = TG_SET1F(I, 1.0f);                                   \
        TG_VF(I) t = TG_ORF(I, z, TG_SIGNBITF(I));                          \
        /* -|z + zl| = t - zl for z >= 0, t + zl below */                   \
        TG_VF(I) tl = has_lo ? TG_XORF(I, zl, TG_XSIG_ANDNOT_##I(z, TG_SIGNBITF(I))) : t; \
        TG_VF(I) k, n, p = tg_fexp6_##I(t, tl, has_lo, &k, &n);             \
        TG_VF(I) e = TG_XSIG_SCALE_##I(TG_ADDF(I, one, p), k, n);           \
        TG_VF(I) num = TG_XSIG_NUM_##I(z, e);                               \
        TG_VF(I) d = TG_ADDF(I, one, e);                                    \
        TG_VF(I) y0 = TG_XSIG_RECIP_##I(d);                                 \
        TG_VF(I) q = TG_XSIG_QUOT_##I(num, d, y0);                          \
        *rr = TG_FNMAF(I, q, e, TG_SUBF(I, num, q));                        \
        *yy = y0;                                                           \
        return q;                                                           \
    }                                                                       \
    TG_TARGET_##I static inline TG_VF(I) tg_xsig_##I(                       \
        TG_VF(I) x, TG_VF(I) z, TG_VF(I) zl, bool has_lo)                   \
    {                                                                       \
        TG_VF(I) r, y0, q = tg_sig_parts_##I(z, zl, has_lo, &r, &y0);       \
        return TG_FMAF(I, x, q, TG_MULF(I, x, TG_MULF(I, r, y0)));          \
    }
TG_XSIG_HELPERS(avx2)
TG_XSIG_HELPERS(avx512)
/* the lanes of z the fast path cannot take (|z| > TG_XSIG_MAX, NaN) */
TG_TARGET_avx2 static inline int tg_xsig_slow_avx2(TG_VF(avx2) z)
{
    TG_VF(avx2) t = TG_ORF(avx2, z, TG_SIGNBITF(avx2));
    return _mm256_movemask_ps(_mm256_cmp_ps(t, TG_SET1F(avx2, -TG_XSIG_MAX), _CMP_NGE_UQ));
}
TG_TARGET_avx512 static inline int tg_xsig_slow_avx512(TG_VF(avx512) z)
{
    TG_VF(avx512) t = TG_ORF(avx512, z, TG_SIGNBITF(avx512));
    return _mm512_cmp_ps_mask(t, TG_SET1F(avx512, -TG_XSIG_MAX), _CMP_NGE_UQ);
}
/* y with the lanes flagged by tg_xsig_slow_I(z) taken from the f64 body
 * f (applied to x, rounded once) */
#define TG_XSIG_FIX(I, y, x, z, f)                                          \
    TG_XSIG_FIX_##I(y, TG_D2_F32(I, f(TG_F32LO_D(I, x)), f(TG_F32HI_D(I, x))), z)
#define TG_XSIG_FIX_avx2(y, ref, z)                                         \
    _mm256_blendv_ps(y, ref, _mm256_cmp_ps(TG_ORF(avx2, z, TG_SIGNBITF(avx2)), \
                                           TG_SET1F(avx2, -TG_XSIG_MAX), _CMP_NGE_UQ))
#define TG_XSIG_FIX_avx512(y, ref, z)                                       \
    _mm512_mask_blend_ps(tg_xsig_slow_avx512(z), y, ref)

#endif
