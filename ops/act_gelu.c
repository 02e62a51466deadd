/* GELU, exact and tanh-approximated, and their fused backward kernels.
 *   gelu(x)                = x Phi(x) = x/2 erfc(-x / sqrt 2)
 *   gelu_backward(g, x)    = g (Phi(x) + x phi(x)),  phi(x) = e^(-x^2/2) / sqrt(2 pi)
 *   gelu_tanh(x)           = x/2 (1 + tanh u) = x sigmoid(2u),
 *                            u = sqrt(2/pi) (x + 0.044715 x^3)
 *   gelu_tanh_backward(g, x) = g s (1 + 2 x u' (1 - s)),  s = sigmoid(2u),
 *                            u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
 * erfc (not 1 + erf) and sigmoid(2u) (not 1 + tanh u) keep full relative
 * precision for x << 0, where the naive forms cancel to 0. f32 is
 * evaluated in double and rounded once: both derivatives have a root
 * near x = -0.75 where float arithmetic would lose every digit.
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

/* ---- f32 gelu in f32 arithmetic (docs/ops-elementwise.md, "GELU in
 * f32"). With a = -x and z = a / sqrt 2 split as z = zh + zl (zh the
 * float product, zl its rounding error, so z is known to ~2^-48):
 *   erfc(zh + zl) = erfc(zh) - (2/sqrt pi) e^(-zh^2) zl + O(zh zl^2 e^(-zh^2))
 * The first-order term removes the error that the rounding of x / sqrt 2
 * would cause (erfc's condition number grows like 2 z^2). SLEEF's erfcf
 * (1.5 ulp) then leaves gelu within 1.9 ulp for x >= GELU_F32_MIN; below,
 * its error exceeds the 2-ulp budget, so a vector with any lane there
 * (or NaN-free -Inf) is computed by the f64 body instead. Typical
 * activations rarely reach it, so most vectors stay in f32. */
#define GELU_F32_MIN (-1.5f)
#define TWO_OVER_SQRT_PI 1.12837916709551257390
#define INV_SQRT2_HI ((float)INV_SQRT2)
#define INV_SQRT2_LO ((float)(INV_SQRT2 - (double)(float)INV_SQRT2))

/* any lane of a mask set */
#define GELU_ANY_sse2(m) (_mm_movemask_ps(m) != 0)
#define GELU_ANY_avx2(m) (_mm256_movemask_ps(m) != 0)
#define GELU_ANY_avx512(m) ((m) != 0)

/* zl: the rounding error of zh = fl(a * INV_SQRT2_HI), plus the low part
 * of 1/sqrt 2. An FMA gives the product's error exactly; SSE2 has no
 * FMA and forms the product in double. */
TG_TARGET_sse2 static inline __m128 gelu_zlo_sse2(__m128 a, __m128 zh)
{
    __m128d c = _mm_set1_pd(INV_SQRT2);
    __m128d l = _mm_sub_pd(_mm_mul_pd(_mm_cvtps_pd(a), c), _mm_cvtps_pd(zh));
    __m128d h = _mm_sub_pd(_mm_mul_pd(_mm_cvtps_pd(_mm_movehl_ps(a, a)), c),
                           _mm_cvtps_pd(_mm_movehl_ps(zh, zh)));
    return _mm_movelh_ps(_mm_cvtpd_ps(l), _mm_cvtpd_ps(h));
}
TG_TARGET_avx2 static inline __m256 gelu_zlo_avx2(__m256 a, __m256 zh)
{
    __m256 e = _mm256_fmsub_ps(a, _mm256_set1_ps(INV_SQRT2_HI), zh);
    return _mm256_fmadd_ps(a, _mm256_set1_ps(INV_SQRT2_LO), e);
}
TG_TARGET_avx512 static inline __m512 gelu_zlo_avx512(__m512 a, __m512 zh)
{
    __m512 e = _mm512_fmsub_ps(a, _mm512_set1_ps(INV_SQRT2_HI), zh);
    return _mm512_fmadd_ps(a, _mm512_set1_ps(INV_SQRT2_LO), e);
}

#define GELU_F32_HELPERS(I)                                                 \
    TG_TARGET_##I static inline TG_VF(I) geluF_##I(TG_VF(I) x)              \
    {                                                                       \
        if (GELU_ANY_##I(TG_CMPF(I, x, lt, TG_SET1F(I, GELU_F32_MIN))))    \
            return TG_D2_F32(I, geluD_##I(TG_F32LO_D(I, x)),                \
                             geluD_##I(TG_F32HI_D(I, x)));                  \
        /* a is clamped to -16, where erfc(a / sqrt 2) = 2 exactly in     \
         * float, so +Inf and huge lanes keep a finite correction */      \
        TG_VF(I) a = TG_MAXF(I, TG_SET1F(I, -16.0f), TG_NEGF(I, x));        \
        TG_VF(I) zh = TG_MULF(I, a, TG_SET1F(I, INV_SQRT2_HI));             \
        TG_VF(I) zl = gelu_zlo_##I(a, zh);                                  \
        TG_VF(I) e = TG_SLEEF_F(I, erfc, u15)(zh);                          \
        TG_VF(I) g = TG_SLEEF_F(I, exp, u10)(TG_NEGF(I, TG_MULF(I, zh, zh))); \
        TG_VF(I) k = TG_MULF(I, g, TG_SET1F(I, (float)TWO_OVER_SQRT_PI));  \
        TG_VF(I) phi2 = TG_FNMAF(I, k, zl, e); /* 2 Phi(x) */               \
        return TG_MULF(I, TG_MULF(I, x, TG_SET1F(I, 0.5f)), phi2);          \
    }
TG_EW_FOR_ISAS(GELU_F32_HELPERS)

#define GELU_VF(I, v, p0, p1, p2) geluF_##I(v)
#define GELU_VD(I, v, p0, p1, p2) geluD_##I(v)
#define GELU_TANH_VD(I, v, p0, p1, p2) gelu_tanhd_##I(v)
#define GELU_BW_VD(I, g, x, p0, p1, p2) gelu_bwd_##I(g, x)
#define GELU_TANH_BW_VD(I, g, x, p0, p1, p2) gelu_tanh_bwd_##I(g, x)
TG_SIMD_MAP(gelu, GELU_VF, GELU_VD)
TG_SIMD_MAP_WIDE(gelu_tanh, GELU_TANH_VD)
TG_SIMD_BIN_WIDE(gelu_backward, GELU_BW_VD)
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

TG_EW_UNARY_OP(gelu, 0, "gelu(x) | x=3x4; gelu(3*x) | x=7")
TG_EW_UNARY_OP(gelu_tanh, 0, "gelu_tanh(x) | x=3x4; gelu_tanh(3*x) | x=7")
TG_EW_BINARY_OP(gelu_backward, 0,
                "gelu_backward(g, x) | g=3x4 x=3x4; "
                "gelu_backward(g, 3*x) | g=4 x=3x4")
TG_EW_BINARY_OP(gelu_tanh_backward, 0,
                "gelu_tanh_backward(g, x) | g=3x4 x=3x4; "
                "gelu_tanh_backward(g, 3*x) | g=3x1 x=1x4")
