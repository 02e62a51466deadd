/* The sigmoid family: sigmoid, logsigmoid, silu and their fused backward
 * kernels.
 *   sigmoid(x)                 = 1 / (1 + e^-x)
 *   sigmoid_backward(g, y)     = g y (1 - y)          (y = sigmoid(x))
 *   logsigmoid(x)              = min(x, 0) - log1p(e^-|x|)
 *   logsigmoid_backward(g, x)  = g sigmoid(-x)
 *   silu(x)                    = x sigmoid(x)
 *   silu_backward(g, x)        = g s (1 + x (1 - s)),  s = sigmoid(x)
 * Limits: silu(-Inf) = -0 and silu'(+Inf) = 1, not NaN.
 * Every formula is evaluated from e = e^-|x| <= 1, which never overflows:
 * sigmoid(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0, and
 * sigmoid(-x) is the other one of the pair.
 * Precision: sigmoid in f32 is one f32 exp plus a corrected quotient
 * (inline exp on AVX2/AVX-512, SLEEF's on SSE2; it is on the hot path);
 * the others evaluate f32 in double and round once
 * (silu_backward has a root near x = -1.278 where f32 arithmetic would
 * lose every digit).
 * VJPs:  sigmoid: sigmoid_backward(g, y)
 *        sigmoid_backward(g, y): dg = sigmoid_backward(h, y),
 *                                dy = h g (1 - 2y)
 *        logsigmoid: logsigmoid_backward(g, x)
 *        logsigmoid_backward(g, x): dg = logsigmoid_backward(h, x),
 *                                   dx = -h g s (1 - s)
 *        silu: silu_backward(g, x)
 *        silu_backward(g, x): dg = silu_backward(h, x),
 *                             dx = h g s (1 - s) (2 + x (1 - 2s)) */
#include "ops/ew.h"

/* e = e^-|x|; *d = 1 + e; returns sigmoid(x) (pos = x >= 0 ? 1 : e over d) */
#define SIG_HELPERS(I)                                                      \
    /* sigmoid(x) and sigmoid(-x) from one exp */                           \
    TG_TARGET_##I static inline void sig2d_##I(TG_VD(I) x, TG_VD(I) *s,     \
                                               TG_VD(I) * t)                \
    {                                                                       \
        TG_VD(I) one = TG_SET1D(I, 1.0);                                    \
        TG_VD(I) e = TG_SLEEF_D(I, exp, u10)(TG_NEGD(I, TG_ABSD(I, x)));    \
        TG_VD(I) d = TG_ADDD(I, one, e);                                    \
        TG_MD(I) pos = TG_CMPD(I, x, ge, TG_ZEROD(I));                      \
        *s = TG_DIVD(I, TG_BLENDD(I, pos, one, e), d);                      \
        *t = TG_DIVD(I, TG_BLENDD(I, pos, e, one), d);                      \
    }                                                                       \
    /* f64 sigmoid with the same exact-denominator correction as f32 */     \
    TG_TARGET_##I static inline TG_VD(I) sigd_##I(TG_VD(I) x)               \
    {                                                                       \
        TG_VD(I) one = TG_SET1D(I, 1.0);                                    \
        TG_VD(I) e = TG_SLEEF_D(I, exp, u10)(TG_NEGD(I, TG_ABSD(I, x)));    \
        TG_VD(I) num = TG_BLENDD(I, TG_CMPD(I, x, ge, TG_ZEROD(I)), one, e); \
        TG_VD(I) d = TG_ADDD(I, one, e);                                    \
        TG_VD(I) dl = TG_SUBD(I, e, TG_SUBD(I, d, one));                    \
        TG_VD(I) q = TG_DIVD(I, num, d);                                    \
        TG_VD(I) r = TG_FNMAD(I, q, d, num);                                \
        r = TG_FNMAD(I, q, dl, r);                                          \
        return TG_ADDD(I, q, TG_DIVD(I, r, d));                             \
    }                                                                       \
    TG_TARGET_##I static inline TG_VD(I) logsigd_##I(TG_VD(I) x)            \
    {                                                                       \
        TG_VD(I) e = TG_SLEEF_D(I, exp, u10)(TG_NEGD(I, TG_ABSD(I, x)));    \
        return TG_SUBD(I, TG_MIND(I, x, TG_ZEROD(I)),                       \
                       TG_SLEEF_D(I, log1p, u10)(e));                       \
    }                                                                       \
    TG_TARGET_##I static inline TG_VD(I) logsig_bwd_##I(TG_VD(I) g,         \
                                                        TG_VD(I) x)         \
    {                                                                       \
        TG_VD(I) s, t;                                                      \
        sig2d_##I(x, &s, &t);                                               \
        return TG_MULD(I, g, t);                                            \
    }                                                                       \
    /* x = -Inf: the factor x is held at -1e6 so the result is -0, not      \
     * -Inf * 0 = NaN (below -1e6 the sigmoid is 0 anyway) */               \
    TG_TARGET_##I static inline TG_VD(I) silud_##I(TG_VD(I) x)              \
    {                                                                       \
        TG_VD(I) xl = TG_MAXD(I, TG_SET1D(I, -1e6), x);                     \
        return TG_MULD(I, xl, sigd_##I(x));                                 \
    }                                                                       \
    TG_TARGET_##I static inline TG_VD(I) silu_bwd_##I(TG_VD(I) g,           \
                                                      TG_VD(I) x)           \
    {                                                                       \
        TG_VD(I) s, t;                                                      \
        sig2d_##I(x, &s, &t);                                               \
        /* |x| held at 1e6 so that x t stays 0 (not Inf * 0) at +Inf */     \
        TG_VD(I) xc = TG_MIND(I, TG_SET1D(I, 1e6),                          \
                              TG_MAXD(I, TG_SET1D(I, -1e6), x));            \
        TG_VD(I) k = TG_FMAD(I, xc, t, TG_SET1D(I, 1.0));                   \
        return TG_MULD(I, TG_MULD(I, g, s), k);                             \
    }                                                                       \
    TG_TARGET_##I static inline TG_VD(I) sig_bwd_##I(TG_VD(I) g,            \
                                                     TG_VD(I) y)            \
    {                                                                       \
        return TG_MULD(I, TG_MULD(I, g, y),                                 \
                       TG_SUBD(I, TG_SET1D(I, 1.0), y));                    \
    }
TG_EW_FOR_ISAS(SIG_HELPERS)

/* f32 on SSE2: y = num / (1 + e) with num = 1 (x >= 0) or e (x < 0). The sum
 * 1 + e is kept exactly as d + dl (Fast2Sum: 1 >= e) and the quotient
 * is corrected once with its exact FMA residual, so the only error
 * left besides the final rounding is exp's own. */
TG_TARGET_sse2 static inline TG_VF(sse2) sigf_sse2(TG_VF(sse2) x)
{
    TG_VF(sse2) one = TG_SET1F(sse2, 1.0f);
    TG_VF(sse2) e = TG_SLEEF_F(sse2, exp, u10)(TG_NEGF(sse2, TG_ABSF(sse2, x)));
    TG_VF(sse2) num = TG_BLENDF(sse2, TG_CMPF(sse2, x, ge, TG_ZEROF(sse2)), one, e);
    TG_VF(sse2) d = TG_ADDF(sse2, one, e);
    TG_VF(sse2) dl = TG_SUBF(sse2, e, TG_SUBF(sse2, d, one));
    TG_VF(sse2) q = TG_DIVF(sse2, num, d);
    /* r = num - q (d + dl); q + r/d, r/d from a reciprocal estimate */
    TG_VF(sse2) r = TG_FNMAF(sse2, q, d, num);
    r = TG_FNMAF(sse2, q, dl, r);
    return TG_FMAF(sse2, r, TG_RCPF(sse2, d), q);
}

/* f32 sigmoid on the FMA instruction sets: the same quotient num / (1 + e)
 * with its residual correction, but e = e^-|x| inline (ops/act_fexp.h),
 * rounded once (keeping its low part as well measured 0.88 instead of
 * 1.29 ulp but cost 5 of the loop's 30 instructions, and this kernel is
 * held to the copy speed), and on AVX-512 the quotient from a
 * 14-bit reciprocal estimate instead of a division: q0 = num rcp(d) is
 * then corrected by r rcp(d) with r = num - q0 (d + dl) (FMA), which
 * leaves 2^-28 relative. AVX2's estimate has 12 bits, too few for one
 * correction, so it divides. |x| is held at 104, where e^-104 < 2^-150
 * rounds to 0; NaN passes through. */
#include "ops/act_fexp.h"
#define SIG_QUOT_avx2(num, d) TG_DIVF(avx2, num, d)
#define SIG_QUOT_avx512(num, d) TG_MULF(avx512, num, TG_RCPF(avx512, d))
#define SIG_FMA_HELPERS(I)                                                  \
    TG_TARGET_##I static inline TG_VF(I) sig_fma_##I(TG_VF(I) x)            \
    {                                                                       \
        TG_VF(I) one = TG_SET1F(I, 1.0f);                                   \
        /* -|x| held at -104 (max(-104, NaN) keeps NaN) */                  \
        TG_VF(I) t = TG_MAXF(I, TG_SET1F(I, -104.0f),                       \
                             TG_ORF(I, x, TG_SIGNBITF(I)));                 \
        TG_VF(I) k, p = tg_fexp_##I(t, &k);                                 \
        TG_VF(I) e = TG_LDEXPF(I, TG_ADDF(I, one, p), k);                   \
        TG_VF(I) num = TG_BLENDF(I, TG_CMPF(I, x, ge, TG_ZEROF(I)), one, e); \
        TG_VF(I) d = TG_ADDF(I, one, e);                                    \
        TG_VF(I) dl = TG_SUBF(I, e, TG_SUBF(I, d, one));                    \
        TG_VF(I) q = SIG_QUOT_##I(num, d);                                  \
        TG_VF(I) r = TG_FNMAF(I, q, dl, TG_FNMAF(I, q, d, num));            \
        return TG_FMAF(I, r, TG_RCPF(I, d), q);                             \
    }
SIG_FMA_HELPERS(avx2)
SIG_FMA_HELPERS(avx512)
#define SIGMOID_VF(I, v, p0, p1, p2) SIGMOID_VF_##I(v)
#define SIGMOID_VF_sse2(v) sigf_sse2(v)
#define SIGMOID_VF_avx2(v) sig_fma_avx2(v)
#define SIGMOID_VF_avx512(v) sig_fma_avx512(v)
#define SIGMOID_VD(I, v, p0, p1, p2) sigd_##I(v)
#define LOGSIG_VD(I, v, p0, p1, p2) logsigd_##I(v)
#define SILU_VD(I, v, p0, p1, p2) silud_##I(v)
#define SIG_BW_VD(I, g, y, p0, p1, p2) sig_bwd_##I(g, y)
#define LOGSIG_BW_VD(I, g, x, p0, p1, p2) logsig_bwd_##I(g, x)
#define SILU_BW_VD(I, g, x, p0, p1, p2) silu_bwd_##I(g, x)
TG_SIMD_MAP(sigmoid, SIGMOID_VF, SIGMOID_VD)
TG_SIMD_MAP_WIDE(logsigmoid, LOGSIG_VD)
TG_SIMD_MAP_WIDE(silu, SILU_VD)
TG_SIMD_BIN_WIDE(sigmoid_backward, SIG_BW_VD)
TG_SIMD_BIN_WIDE(logsigmoid_backward, LOGSIG_BW_VD)
TG_SIMD_BIN_WIDE(silu_backward, SILU_BW_VD)
TG_VEC_MAP0(sigmoid)
TG_VEC_MAP0(logsigmoid)
TG_VEC_MAP0(silu)
TG_VEC_BIN0(sigmoid_backward)
TG_VEC_BIN0(logsigmoid_backward)
TG_VEC_BIN0(silu_backward)

static void sigmoid_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                        const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_sigmoid_backward(gy, n->out);
}
static void sigmoid_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                                 const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *y = n->in[1];
    if (need[0]) gx[0] = tg_sigmoid_backward(h, y);
    if (need[1])
        gx[1] = tg_mul(tg_mul(h, gin), tg_add_scalar(tg_mul_scalar(y, -2.0), 1.0));
}
static void logsigmoid_vjp(tg_graph *g, tg_node *n, tg_tensor *gy,
                           const bool *need, tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_logsigmoid_backward(gy, n->in[0]);
}
static void logsigmoid_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                                    const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *x = n->in[1];
    if (need[0]) gx[0] = tg_logsigmoid_backward(h, x);
    if (need[1])
        gx[1] = tg_neg(tg_sigmoid_backward(tg_mul(h, gin), tg_sigmoid(x)));
}
static void silu_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_silu_backward(gy, n->in[0]);
}
static void silu_backward_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                              const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *x = n->in[1];
    if (need[0]) gx[0] = tg_silu_backward(h, x);
    if (need[1]) {
        tg_tensor *s = tg_sigmoid(x);
        tg_tensor *k = tg_add_scalar(
            tg_mul(x, tg_add_scalar(tg_mul_scalar(s, -2.0), 1.0)), 2.0);
        gx[1] = tg_mul(tg_sigmoid_backward(tg_mul(h, gin), s), k);
    }
}

TG_EW_UNARY_OP(sigmoid, 0, "sigmoid(x) | x=3x4; sigmoid(6*x) | x=7")
TG_EW_BINARY_OP(sigmoid_backward, 0,
                "sigmoid_backward(g, y) | g=3x4 y=3x4; "
                "sigmoid_backward(g, y) | g=3x4 y=4")
TG_EW_UNARY_OP(logsigmoid, 0, "logsigmoid(x) | x=3x4; logsigmoid(8*x) | x=7")
TG_EW_BINARY_OP(logsigmoid_backward, 0,
                "logsigmoid_backward(g, x) | g=3x4 x=3x4; "
                "logsigmoid_backward(g, x) | g=4 x=3x4")
TG_EW_UNARY_OP(silu, 0, "silu(x) | x=3x4; silu(4*x) | x=7")
TG_EW_BINARY_OP(silu_backward, 0,
                "silu_backward(g, x) | g=3x4 x=3x4; "
                "silu_backward(g, 3*x) | g=3x1 x=1x4")
