/* GELU, exact and tanh-approximated, and their fused backward kernels.
 *   gelu(x)                = x Phi(x) = x/2 erfc(-x / sqrt 2)
 *   gelu_backward(g, x)    = g (Phi(x) + x phi(x)),  phi(x) = e^(-x^2/2) / sqrt(2 pi)
 *   gelu_tanh(x)           = x/2 (1 + tanh u) = x sigmoid(2u),
 *                            u = sqrt(2/pi) (x + 0.044715 x^3)
 *   gelu_tanh_backward(g, x) = g s (1 + 2 x u' (1 - s)),  s = sigmoid(2u),
 *                            u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
 * erfc (not 1 + erf) and sigmoid(2u) (not 1 + tanh u) keep full relative
 * precision for x << 0, where the naive forms cancel to 0. Both
 * derivatives have a root near x = -0.75 where a naive float formula
 * would lose every digit: f32 gelu and gelu_backward on AVX2/AVX-512 are
 * built to keep it in float (below, "f32 gelu and gelu_backward in f32
 * arithmetic"), and so is f32 gelu_tanh (below); gelu_tanh_backward, and
 * every f32 kernel on SSE2, evaluate in double and round once.
 * Limits: gelu(-Inf) = gelu_tanh(-Inf) = -0 (not -Inf * 0 = NaN), and
 * the derivatives are 0 at -Inf and 1 at +Inf.
 * VJPs:  gelu: gelu_backward(g, x)      gelu_tanh: gelu_tanh_backward(g, x)
 *        gelu_backward: dg = gelu_backward(h, x),
 *                       dx = h g phi(x) (2 - x^2)
 *        gelu_tanh_backward: dg = gelu_tanh_backward(h, x),
 *                       dx = h g d2(x) (composite of sigmoid ops). */
#include "ops/ew.h"

#define INV_SQRT2 0.70710678118654752440
#define INV_SQRT_2PI 0.39894228040143267794
#define SQRT_2_OVER_PI 0.79788456080286535588
#define GELU_C 0.044715
/* beyond |x| = 1e6 every derivative here is exactly 0 or 1 in double;
 * clamping there keeps x * 0 from becoming Inf * 0 = NaN */
#define BIG 1e6

#define GELU_HELPERS(I)                                                     \
    TG_TARGET_##I static inline TG_VD(I) clampbig_##I(TG_VD(I) x)           \
    {                                                                       \
        return TG_MIND(I, TG_SET1D(I, BIG), TG_MAXD(I, TG_SET1D(I, -BIG), x)); \
    }                                                                       \
    /* Phi(x) = erfc(-x / sqrt 2) / 2 */                                    \
    TG_TARGET_##I static inline TG_VD(I) phid_##I(TG_VD(I) x)               \
    {                                                                       \
        TG_VD(I) z = TG_MULD(I, x, TG_SET1D(I, -INV_SQRT2));                \
        return TG_MULD(I, TG_SET1D(I, 0.5), TG_SLEEF_D(I, erfc, u15)(z));   \
    }                                                                       \
    TG_TARGET_##I static inline TG_VD(I) geluD_##I(TG_VD(I) x)              \
    {                                                                       \
        TG_VD(I) xl = TG_MAXD(I, TG_SET1D(I, -BIG), x);                     \
        return TG_MULD(I, xl, phid_##I(x));                                 \
    }                                                                       \
    /* normal density */                                                    \
    TG_TARGET_##I static inline TG_VD(I) densd_##I(TG_VD(I) x)              \
    {                                                                       \
        TG_VD(I) e = TG_SLEEF_D(I, exp, u10)(                               \
            TG_MULD(I, TG_MULD(I, x, x), TG_SET1D(I, -0.5)));               \
        return TG_MULD(I, e, TG_SET1D(I, INV_SQRT_2PI));                    \
    }                                                                       \
    TG_TARGET_##I static inline TG_VD(I) gelu_bwd_##I(TG_VD(I) g,           \
                                                      TG_VD(I) x)           \
    {                                                                       \
        TG_VD(I) xc = clampbig_##I(x);                                      \
        TG_VD(I) d = TG_FMAD(I, xc, densd_##I(xc), phid_##I(x));            \
        return TG_MULD(I, g, d);                                            \
    }                                                                       \
    /* s = sigmoid(2u), t = sigmoid(-2u) */                                 \
    TG_TARGET_##I static inline void gt_sig_##I(TG_VD(I) x, TG_VD(I) *s,    \
                                                TG_VD(I) * t)               \
    {                                                                       \
        TG_VD(I) one = TG_SET1D(I, 1.0);                                    \
        TG_VD(I) x2 = TG_MULD(I, x, x);                                     \
        TG_VD(I) u2 = TG_MULD(I, TG_MULD(I, x, TG_SET1D(I, 2 * SQRT_2_OVER_PI)), \
                              TG_FMAD(I, x2, TG_SET1D(I, GELU_C), one));    \
        TG_VD(I) e = TG_SLEEF_D(I, exp, u10)(TG_NEGD(I, TG_ABSD(I, u2)));   \
        TG_VD(I) d = TG_ADDD(I, one, e);                                    \
        TG_MD(I) pos = TG_CMPD(I, u2, ge, TG_ZEROD(I));                     \
        *s = TG_DIVD(I, TG_BLENDD(I, pos, one, e), d);                      \
        *t = TG_DIVD(I, TG_BLENDD(I, pos, e, one), d);                      \
    }                                                                       \
    TG_TARGET_##I static inline TG_VD(I) gelu_tanhd_##I(TG_VD(I) x)         \
    {                                                                       \
        TG_VD(I) s, t;                                                      \
        gt_sig_##I(clampbig_##I(x), &s, &t);                                \
        return TG_MULD(I, TG_MAXD(I, TG_SET1D(I, -BIG), x), s);             \
    }                                                                       \
    TG_TARGET_##I static inline TG_VD(I) gelu_tanh_bwd_##I(TG_VD(I) g,      \
                                                           TG_VD(I) x)      \
    {                                                                       \
        TG_VD(I) s, t, one = TG_SET1D(I, 1.0);                              \
        TG_VD(I) xc = clampbig_##I(x);                                      \
        gt_sig_##I(xc, &s, &t);                                             \
        TG_VD(I) du = TG_MULD(I, TG_SET1D(I, 2 * SQRT_2_OVER_PI),           \
                              TG_FMAD(I, TG_MULD(I, xc, xc),                \
                                      TG_SET1D(I, 3 * GELU_C), one));       \
        TG_VD(I) k = TG_FMAD(I, TG_MULD(I, xc, du), t, one);                \
        return TG_MULD(I, g, TG_MULD(I, s, k));                             \
    }
TG_EW_FOR_ISAS(GELU_HELPERS)

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
 * expanded around the float nearest the root. SSE2 has no FMA (no exact
 * square, no single-rounding assembly) and evaluates in double instead. */
#include "ops/act_fexp.h" /* tg_fexp_q: the shared expm1 fit */
#include "ops/gelu_tables.h"

#define GELU_LOG2E 1.44269504088896340736f
#define GELU_LN2_HI 0.693147182464599609375f /* (float)ln 2 */
#define GELU_LN2_LO -1.90465429995776769e-09f /* ln 2 - GELU_LN2_HI */
#define GELU_SHIFTER 12582912.0f /* 1.5 * 2^23: adding it rounds to an integer */
/* beyond a = 14.5, gelu(-a) < 2^-150 rounds to -0 and gelu(a) = a; the
 * derivative's E D stays nonzero in float further out (g up to 2^81
 * times it), so backward goes to 18 (E = 2^k (1+p), k >= -234) */
#define GELU_FWD_AMAX 14.5f
#define GELU_BWD_AMAX 18.0f

/* rows of the tables: centre, value at the centre (in one of two rows,
 * the other is 0), then S */
enum { GELU_T_C, GELU_T_C0, GELU_T_C0IN, GELU_T_S0, GELU_T_ROWS = GELU_T_S0 + 6 };
static const float gelu_tab_m[GELU_T_ROWS][16] __attribute__((aligned(64))) = {
    {GELU_M_CHI}, {GELU_M_C0}, {GELU_M_C0_IN}, {GELU_M_S0}, {GELU_M_S1},
    {GELU_M_S2},  {GELU_M_S3}, {GELU_M_S4},    {GELU_M_S5}};
static const float gelu_tab_d[GELU_T_ROWS][16] __attribute__((aligned(64))) = {
    {GELU_D_CHI}, {GELU_D_C0}, {GELU_D_C0_IN}, {GELU_D_S0}, {GELU_D_S1},
    {GELU_D_S2},  {GELU_D_S3}, {GELU_D_S4},    {GELU_D_S5}};

#define GELU_FMA_HELPERS(I)                                                 \
    /* interval of a >= 0: a + 1 in quarter binades, [0,.25) [.25,.5) ...   \
     * [1,1.5) [1.5,2) ... [3,4) ... [7,9) ... [13,...); NaN -> 15 */       \
    TG_TARGET_##I static inline TG_VI(I) gelu_iv_##I(TG_VF(I) a)           \
    {                                                                       \
        TG_VI(I) b = TG_SRLI32(I, TG_BITSF(I, TG_ADDF(I, a, TG_SET1F(I, 1.0f))), 21); \
        return TG_MINI32(I, TG_SUBI32(I, b, TG_SET1I32(I, 508)),            \
                         TG_SET1I32(I, 15));                                \
    }                                                                       \
    /* e^(-a^2/2) = 2^k (1 + p), p = rh + z: sets k (an integral float)    \
     * and z, returns rh. a^2 = h + l exactly; rh = -h/2 - k ln2_hi is      \
     * exact with an FMA (both are multiples of 2^-25 and |rh| < 1/2); the  \
     * rest of the reduced argument, rl = -k ln2_lo - l/2 (up to 8e-6),     \
     * enters to first order: e^(rh + rl) = (1 + ph)(1 + rl). z = rh^2 q(rh) \
     * + rl (1 + ph) carries everything but rh, so p is never rounded. */   \
    TG_TARGET_##I static inline TG_VF(I) gelu_exp_##I(                     \
        TG_VF(I) a, TG_VF(I) * k, TG_VF(I) * z)                             \
    {                                                                       \
        TG_VF(I) h = TG_MULF(I, a, a);                                      \
        TG_VF(I) l = TG_FMSF(I, a, a, h);                                   \
        TG_VF(I) t = TG_MULF(I, h, TG_SET1F(I, -0.5f));                     \
        TG_VF(I) sh = TG_SET1F(I, GELU_SHIFTER);                            \
        TG_VF(I) kk = TG_SUBF(I, TG_FMAF(I, t, TG_SET1F(I, GELU_LOG2E), sh), sh); \
        TG_VF(I) rh = TG_FNMAF(I, kk, TG_SET1F(I, GELU_LN2_HI), t);         \
        TG_VF(I) rl = TG_FNMAF(I, kk, TG_SET1F(I, GELU_LN2_LO),             \
                               TG_MULF(I, l, TG_SET1F(I, -0.5f)));          \
        TG_VF(I) q = tg_fexp_q_##I(rh);                                     \
        TG_VF(I) r2 = TG_MULF(I, rh, rh);                                   \
        TG_VF(I) ph = TG_FMAF(I, r2, q, rh);                                \
        *z = TG_FMAF(I, r2, q, TG_FMAF(I, rl, ph, rl));                     \
        *k = kk;                                                            \
        return rh;                                                          \
    }                                                                       \
    /* f (1 + p) = c0 + w for f = c0 + d S(d), d = a - c, from table t:   \
     * sets c0, returns w = d s0 + (c0' + d^2 S1(d) + f p), S = s0 + d S1,  \
     * p = rh + z, where c0 stands alone when it dominates f and c0' holds  \
     * it where d s0 does (M near 0, D near its root). Either way one       \
     * rounding falls on the size of the result (the final c0 + w, or the   \
     * FMA with d s0) and every other one on a smaller term (f p uses f to  \
     * float accuracy). d is exact: c = 0 in the first interval, elsewhere  \
     * a is within a factor 2 of c (Sterbenz). */                           \
    TG_TARGET_##I static inline TG_VF(I) gelu_fw_##I(                       \
        const float (*t)[16], TG_VF(I) a, TG_VF(I) rh, TG_VF(I) z,          \
        TG_VF(I) * c0, TG_VF(I) * dd, TG_VF(I) * ss0)                       \
    {                                                                       \
        TG_VI(I) iv = gelu_iv_##I(a);                                       \
        TG_VF(I) d = TG_SUBF(I, a, TG_LUT16F(I, t[GELU_T_C], iv));          \
        TG_VF(I) s = TG_LUT16F(I, t[GELU_T_S0 + 5], iv);                    \
        for (int j = 4; j >= 1; j--)                                        \
            s = TG_FMAF(I, s, d, TG_LUT16F(I, t[GELU_T_S0 + j], iv));       \
        TG_VF(I) s0 = TG_LUT16F(I, t[GELU_T_S0], iv);                       \
        TG_VF(I) v = TG_FMAF(I, TG_MULF(I, d, s), d, TG_LUT16F(I, t[GELU_T_C0IN], iv)); \
        *c0 = TG_LUT16F(I, t[GELU_T_C0], iv);                               \
        TG_VF(I) f = TG_ADDF(I, *c0, TG_FMAF(I, d, s0, v));                 \
        *dd = d, *ss0 = s0;                                                 \
        return TG_FMAF(I, f, rh, TG_FMAF(I, f, z, v)); /* w - d s0 */       \
    }                                                                       \
    TG_TARGET_##I static inline TG_VF(I) geluF_##I(TG_VF(I) x)              \
    {                                                                       \
        /* min(AMAX, |x|) keeps NaN */                                      \
        TG_VF(I) a = TG_MINF(I, TG_SET1F(I, GELU_FWD_AMAX), TG_ABSF(I, x)); \
        TG_VF(I) k, z, rh = gelu_exp_##I(a, &k, &z);                        \
        TG_VF(I) c0, d, s0, vv = gelu_fw_##I(gelu_tab_m, a, rh, z, &c0, &d, &s0); \
        TG_VF(I) w = TG_FMAF(I, d, s0, vv);                                 \
        TG_VF(I) u = TG_LDEXPF(I, TG_ADDF(I, c0, w), k); /* E M */          \
        /* x > 0: x - E M; otherwise -E M, and -0 stays -0 */               \
        return TG_BLENDF(I, TG_CMPF(I, x, gt, TG_ZEROF(I)), TG_SUBF(I, x, u), \
                         TG_XORF(I, u, TG_ANDF(I, x, TG_SIGNBITF(I))));     \
    }                                                                       \
    /* g gelu'(x), E D = 2^k D (1 + p). x <= 0: g D is formed exactly     \
     * (hi + lo, FMA) and g D (1 + p) = hi + (hi rh + (hi z + lo)). The    \
     * scaling goes in two exact-or-once-rounded steps: D 2^k1 first        \
     * (k1 = max(k, -117), normal, exact) so that g multiplies before       \
     * anything can underflow or overflow, 2^k2 last. */                    \
    TG_TARGET_##I static inline TG_VF(I) gelu_bwdF_##I(TG_VF(I) g,          \
                                                       TG_VF(I) x)          \
    {                                                                       \
        TG_VF(I) a = TG_MINF(I, TG_SET1F(I, GELU_BWD_AMAX), TG_ABSF(I, x)); \
        TG_VF(I) k, z, rh = gelu_exp_##I(a, &k, &z);                        \
        TG_VF(I) k1 = TG_MAXF(I, k, TG_SET1F(I, -117.0f));                  \
        TG_VF(I) s2 = TG_POW2F(I, TG_SUBF(I, k, k1));                       \
        TG_VF(I) c0, d, s0, vv = gelu_fw_##I(gelu_tab_d, a, rh, z, &c0, &d, &s0); \
        TG_VF(I) w = TG_FMAF(I, d, s0, vv);                                 \
        TG_VF(I) s1 = TG_POW2F(I, k1);                                      \
        /* x > 0: g (1 - c0 2^k1 - w 2^k1) (below 2^-117, E D is nothing    \
         * next to 1). B = 1 - c0 2^k1 rounded, its error e exactly (FMA,    \
         * B - 1 is exact), and g B exactly as hi + lo: the only rounding on \
         * the size of the result is the last addition. */                  \
        TG_VF(I) one = TG_SET1F(I, 1.0f);                                   \
        TG_VF(I) bb = TG_FNMAF(I, c0, s1, one);                             \
        TG_VF(I) e = TG_FMAF(I, c0, s1, TG_SUBF(I, bb, one));               \
        TG_VF(I) pt = TG_FMAF(I, w, s1, e);                                 \
        TG_VF(I) ph = TG_MULF(I, g, bb), pl = TG_FMSF(I, g, bb, ph);        \
        TG_VF(I) pos = TG_ADDF(I, ph, TG_FNMAF(I, g, pt, pl));              \
        /* x <= 0: g 2^k1 (c0 + d s0 + vv) with g c0 2^k1 and g d 2^k1      \
         * formed exactly (hi + lo, FMA two-products), so that, whichever   \
         * of c0 and d s0 dominates, one rounding falls on the size of the  \
         * result. 2^k1 goes on c0, d and vv, not on g, which may be small  \
         * (d 2^k1 is exact where d s0 matters: there k1 >= -1). */         \
        TG_VF(I) cs = TG_MULF(I, c0, s1); /* exact: c0 >= 0.2 or 0 */       \
        TG_VF(I) hi = TG_MULF(I, g, cs), lo = TG_FMSF(I, g, cs, hi);        \
        TG_VF(I) ds = TG_MULF(I, d, s1);                                    \
        TG_VF(I) qh = TG_MULF(I, g, ds), ql = TG_FMSF(I, g, ds, qh);        \
        TG_VF(I) rest = TG_FMAF(I, ql, s0, TG_FMAF(I, g, TG_MULF(I, vv, s1), lo)); \
        TG_VF(I) neg = TG_MULF(I, TG_ADDF(I, hi, TG_FMAF(I, qh, s0, rest)), s2); \
        return TG_BLENDF(I, TG_CMPF(I, x, gt, TG_ZEROF(I)), pos, neg);      \
    }
GELU_FMA_HELPERS(avx2)
GELU_FMA_HELPERS(avx512)

/* SSE2: the double bodies, rounded once */
TG_TARGET_sse2 static inline __m128 geluF_sse2(__m128 x)
{
    return TG_D2_F32(sse2, geluD_sse2(TG_F32LO_D(sse2, x)),
                     geluD_sse2(TG_F32HI_D(sse2, x)));
}
TG_TARGET_sse2 static inline __m128 gelu_bwdF_sse2(__m128 g, __m128 x)
{
    return TG_D2_F32(sse2,
                     gelu_bwd_sse2(TG_F32LO_D(sse2, g), TG_F32LO_D(sse2, x)),
                     gelu_bwd_sse2(TG_F32HI_D(sse2, g), TG_F32HI_D(sse2, x)));
}

/* ---- f32 gelu_tanh (AVX2, AVX-512): x sigmoid(z), z = 2u =
 * x (C1 + C3 x^2), through tg_xsig (ops/act_fexp.h). For x < 0 the
 * result is ~ x e^z, whose relative error is the absolute error of z:
 * z (up to 87 in magnitude on the fast path) is carried as a pair
 * zh + zl good to ~2^-46 relative: x^2 and C3h x^2 exact (FMA), C1 + C3 x^2
 * by Fast2Sum (larger term first: max/min), the small terms (the low
 * halves of the constants and of x^2) added into the low part, and
 * x (vh + vl) as an exact product plus x vl. zl goes into the reduced
 * argument of exp before its single rounding. Lanes with |z| > 87
 * (|x| > ~9.99) or NaN take the f64 body's result. */
#include "ops/act_fexp.h"
#define GT_C1 1.595769121605730711759784   /* 2 sqrt(2/pi) */
#define GT_C3 0.07135481627260024877633875 /* 2 sqrt(2/pi) 0.044715 */
#define GT_HI(c) ((float)(c))
#define GT_LO(c) ((float)((c) - (double)(float)(c)))
#define GELU_TANH_F(I)                                                      \
    TG_TARGET_##I static inline TG_VF(I) gt_z_##I(TG_VF(I) x, TG_VF(I) *zl) \
    {                                                                       \
        TG_VF(I) c1 = TG_SET1F(I, GT_HI(GT_C1)), c3 = TG_SET1F(I, GT_HI(GT_C3)); \
        TG_VF(I) s = TG_MULF(I, x, x), sl = TG_FMSF(I, x, x, s);            \
        TG_VF(I) ph = TG_MULF(I, c3, s), pl = TG_FMSF(I, c3, s, ph);        \
        TG_VF(I) big = TG_MAXF(I, c1, ph), small = TG_MINF(I, c1, ph);      \
        TG_VF(I) vh = TG_ADDF(I, big, small);                               \
        TG_VF(I) e1 = TG_SUBF(I, small, TG_SUBF(I, vh, big));               \
        TG_VF(I) vl = TG_FMAF(I, c3, sl, pl);                               \
        vl = TG_FMAF(I, TG_SET1F(I, GT_LO(GT_C3)), s, vl);                  \
        vl = TG_ADDF(I, vl, TG_ADDF(I, e1, TG_SET1F(I, GT_LO(GT_C1))));     \
        TG_VF(I) zh = TG_MULF(I, x, vh);                                    \
        *zl = TG_FMAF(I, x, vl, TG_FMSF(I, x, vh, zh));                     \
        return zh;                                                          \
    }                                                                       \
    TG_TARGET_##I static inline TG_VF(I) gelu_tanhF_##I(TG_VF(I) x)         \
    {                                                                       \
        TG_VF(I) zl, zh = gt_z_##I(x, &zl);                                 \
        TG_VF(I) y = tg_xsig_##I(x, zh, zl, true);                          \
        if (__builtin_expect(tg_xsig_slow_##I(zh), 0))                      \
            y = TG_XSIG_FIX(I, y, x, zh, gelu_tanhd_##I);                   \
        return y;                                                           \
    }
GELU_TANH_F(avx2)
GELU_TANH_F(avx512)
#define GELU_TANH_VF(I, v, p0, p1, p2) GELU_TANH_VF_##I(v)
#define GELU_TANH_VF_sse2(v) TG__WIDEN(sse2, v, GELU_TANH_VD, 0, 0, 0)
#define GELU_TANH_VF_avx2(v) gelu_tanhF_avx2(v)
#define GELU_TANH_VF_avx512(v) gelu_tanhF_avx512(v)

#define GELU_VF(I, v, p0, p1, p2) geluF_##I(v)
#define GELU_VD(I, v, p0, p1, p2) geluD_##I(v)
#define GELU_TANH_VD(I, v, p0, p1, p2) gelu_tanhd_##I(v)
#define GELU_BW_VD(I, g, x, p0, p1, p2) gelu_bwd_##I(g, x)
#define GELU_BW_VF(I, g, x, p0, p1, p2) gelu_bwdF_##I(g, x)
#define GELU_TANH_BW_VD(I, g, x, p0, p1, p2) gelu_tanh_bwd_##I(g, x)
TG_SIMD_MAP(gelu, GELU_VF, GELU_VD)
TG_SIMD_MAP(gelu_tanh, GELU_TANH_VF, GELU_TANH_VD)
TG_SIMD_BIN(gelu_backward, GELU_BW_VF, GELU_BW_VD)
TG_SIMD_BIN_WIDE(gelu_tanh_backward, GELU_TANH_BW_VD)
TG_VEC_MAP0(gelu)
TG_VEC_MAP0(gelu_tanh)
TG_VEC_BIN0(gelu_backward)
TG_VEC_BIN0(gelu_tanh_backward)

static void gelu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_gelu_backward(gy, n->in[0]);
}
/* d/dx (Phi + x phi) = 2 phi - x^2 phi = phi (2 - x^2) */
static void gelu_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                              const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *x = n->in[1];
    if (need[0]) gx[0] = tg_gelu_backward(h, x);
    if (need[1]) {
        tg_tensor *x2 = tg_square(x);
        tg_tensor *phi = tg_mul_scalar(tg_exp(tg_mul_scalar(x2, -0.5)), INV_SQRT_2PI);
        tg_tensor *k = tg_add_scalar(tg_neg(x2), 2.0);
        gx[1] = tg_mul(tg_mul(h, gin), tg_mul(phi, k));
    }
}
static void gelu_tanh_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                          const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_gelu_tanh_backward(gy, n->in[0]);
}
/* With s = sigmoid(2u), s' = 2u' s (1 - s) and f' = s + x s' :
 * f'' = 2 s' + x s'',  s'' = 2u'' s(1-s) + 2u' s' (1 - 2s),
 * u' = a (1 + 3c x^2), u'' = 6 a c x. */
static void gelu_tanh_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                                   const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *x = n->in[1];
    if (need[0]) gx[0] = tg_gelu_tanh_backward(h, x);
    if (!need[1]) return;
    const double a = SQRT_2_OVER_PI, c = GELU_C;
    tg_tensor *x2 = tg_square(x);
    tg_tensor *du = tg_mul_scalar(tg_add_scalar(tg_mul_scalar(x2, 3 * c), 1.0), a);
    tg_tensor *u2 = tg_mul_scalar(tg_mul(x, tg_add_scalar(tg_mul_scalar(x2, c), 1.0)), 2 * a);
    tg_tensor *s = tg_sigmoid(u2);
    tg_tensor *ss = tg_sigmoid_backward(tg_scalar(x->graph, x->dtype, 1.0), s); /* s(1-s) */
    tg_tensor *ds = tg_mul_scalar(tg_mul(du, ss), 2.0);                          /* s' */
    tg_tensor *dds = tg_add(tg_mul_scalar(tg_mul(x, ss), 12 * a * c),
                            tg_mul(tg_mul_scalar(tg_mul(du, ds), 2.0),
                                   tg_add_scalar(tg_mul_scalar(s, -2.0), 1.0)));
    tg_tensor *f2 = tg_add(tg_mul_scalar(ds, 2.0), tg_mul(x, dds));
    gx[1] = tg_mul(tg_mul(h, gin), f2);
}

static tg_status gelu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, gelu_k32, gelu_k64, 0, 0, 0);
}
TG_BUILTIN_OP(gelu,
    .n_inputs = 1,
    .forward = gelu_fwd,
    .vjp = gelu_vjp,
    .cases = "gelu(x) | x=3x4; gelu(3*x) | x=7");
tg_tensor *tg_gelu(tg_tensor *x) { return tg__apply1(TG_OP_gelu, x, NULL); }

static tg_status gelu_tanh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, gelu_tanh_k32, gelu_tanh_k64, 0, 0, 0);
}
TG_BUILTIN_OP(gelu_tanh,
    .n_inputs = 1,
    .forward = gelu_tanh_fwd,
    .vjp = gelu_tanh_vjp,
    .cases = "gelu_tanh(x) | x=3x4; gelu_tanh(3*x) | x=7");
tg_tensor *tg_gelu_tanh(tg_tensor *x) { return tg__apply1(TG_OP_gelu_tanh, x, NULL); }

static tg_status gelu_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, gelu_backward_b32, gelu_backward_b64, 0, 0, 0);
}
TG_BUILTIN_OP(gelu_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = gelu_backward_fwd,
    .vjp = gelu_backward_vjp,
    .cases = "gelu_backward(g, x) | g=3x4 x=3x4; "
        "gelu_backward(g, 3*x) | g=4 x=3x4");
tg_tensor *tg_gelu_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_gelu_backward, a, b, NULL);
}

static tg_status gelu_tanh_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, gelu_tanh_backward_b32, gelu_tanh_backward_b64, 0, 0, 0);
}
TG_BUILTIN_OP(gelu_tanh_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = gelu_tanh_backward_fwd,
    .vjp = gelu_tanh_backward_vjp,
    .cases = "gelu_tanh_backward(g, x) | g=3x4 x=3x4; "
        "gelu_tanh_backward(g, 3*x) | g=3x1 x=1x4");
tg_tensor *tg_gelu_tanh_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_gelu_tanh_backward, a, b, NULL);
}
