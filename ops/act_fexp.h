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

#endif
