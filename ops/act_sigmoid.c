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

/* f32 sigmoid on the FMA instruction sets: the quotient of
 * tg_sig_parts (ops/act_fexp.h): e = e^-|x| inline with the degree-6
 * expm1, rounded once, y = num / (1 + e) from a reciprocal estimate
 * corrected once by its residual against the exact 1 + e. Left besides
 * the final rounding: e's rounding, up to 2^-24 relative, which is up to
 * twice as many ulps when y sits at the bottom of its binade.
 * AVX-512 needs no fast/slow split: -min(|x|, 104) comes from one
 * vrangeps (e^-104 < 2^-150 rounds to 0; NaN passes through), vscalefps
 * rounds e once into the subnormal range, and one vfixupimmps on the
 * class of x picks num. AVX2 builds 2^k from bits, which needs
 * |x| <= 87: a vector with a lane beyond (or a NaN) has those lanes
 * replaced by the f64 body's result; the other lanes are computed the
 * same way either way, so a result never depends on its neighbours. */
#include "ops/act_fexp.h"
/* vrangeps: min(|a|, |b|) with the sign bit set */
#define SIG_RANGE_NEG_MINABS 0x0E

TG_TARGET_avx2 static inline TG_VF(avx2) sig_fma_avx2(TG_VF(avx2) x)
{
    TG_VF(avx2) r, y0, q = tg_sig_parts_avx2(x, x, false, &r, &y0);
    TG_VF(avx2) y = TG_FMAF(avx2, r, y0, q);
    if (__builtin_expect(tg_xsig_slow_avx2(x), 0))
        y = TG_XSIG_FIX(avx2, y, x, x, sigd_avx2);
    return y;
}
TG_TARGET_avx512 static inline TG_VF(avx512) sig_fma_avx512(TG_VF(avx512) x)
{
    TG_VF(avx512) one = TG_SET1F(avx512, 1.0f);
    TG_VF(avx512) t = _mm512_range_ps(x, TG_SET1F(avx512, 104.0f), SIG_RANGE_NEG_MINABS);
    TG_VF(avx512) k, n, p = tg_fexp6_avx512(t, t, false, &k, &n);
    (void)n;
    TG_VF(avx512) e = _mm512_scalef_ps(TG_ADDF(avx512, one, p), k);
    TG_VF(avx512) num = TG_XSIG_NUM_avx512(x, e);
    TG_VF(avx512) y0 = _mm512_rcp14_ps(TG_ADDF(avx512, one, e));
    TG_VF(avx512) q = TG_MULF(avx512, num, y0);
    TG_VF(avx512) r = TG_FNMAF(avx512, q, e, TG_SUBF(avx512, num, q));
    return TG_FMAF(avx512, r, y0, q);
}

/* silu = x sigmoid(x) = x q + x (r y0) (tg_xsig): x q is exact inside
 * the final FMA, so only e's rounding and the last one remain, as in
 * sigmoid. Fast path for |x| <= 87 on both instruction sets (there e is
 * normal and x e / (1 + e) keeps its relative accuracy; below, e would
 * lose bits to the subnormal range while the result is still normal),
 * the f64 body's result for the lanes beyond. */
#define SILU_FMA(I)                                                         \
    TG_TARGET_##I static inline TG_VF(I) silu_fma_##I(TG_VF(I) x)           \
    {                                                                       \
        TG_VF(I) y = tg_xsig_##I(x, x, x, false);                           \
        if (__builtin_expect(tg_xsig_slow_##I(x), 0))                       \
            y = TG_XSIG_FIX(I, y, x, x, silud_##I);                         \
        return y;                                                           \
    }
SILU_FMA(avx2)
SILU_FMA(avx512)
#define SILU_VF(I, v, p0, p1, p2) SILU_VF_##I(v)
#define SILU_VF_sse2(v) TG__WIDEN(sse2, v, SILU_VD, 0, 0, 0)
#define SILU_VF_avx2(v) silu_fma_avx2(v)
#define SILU_VF_avx512(v) silu_fma_avx512(v)
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
TG_SIMD_MAP(silu, SILU_VF, SILU_VD)
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

static tg_status sigmoid_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, sigmoid_k32, sigmoid_k64, 0, 0, 0);
}
TG_BUILTIN_OP(sigmoid,
    .n_inputs = 1,
    .forward = sigmoid_fwd,
    .vjp = sigmoid_vjp,
    .cases = "sigmoid(x) | x=3x4; sigmoid(6*x) | x=7");
tg_tensor *tg_sigmoid(tg_tensor *x) { return tg__apply1(TG_OP_sigmoid, x, NULL); }

static tg_status sigmoid_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, sigmoid_backward_b32, sigmoid_backward_b64, 0, 0, 0);
}
TG_BUILTIN_OP(sigmoid_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = sigmoid_backward_fwd,
    .vjp = sigmoid_backward_vjp,
    .cases = "sigmoid_backward(g, y) | g=3x4 y=3x4; "
        "sigmoid_backward(g, y) | g=3x4 y=4");
tg_tensor *tg_sigmoid_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_sigmoid_backward, a, b, NULL);
}

static tg_status logsigmoid_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, logsigmoid_k32, logsigmoid_k64, 0, 0, 0);
}
TG_BUILTIN_OP(logsigmoid,
    .n_inputs = 1,
    .forward = logsigmoid_fwd,
    .vjp = logsigmoid_vjp,
    .cases = "logsigmoid(x) | x=3x4; logsigmoid(8*x) | x=7");
tg_tensor *tg_logsigmoid(tg_tensor *x) { return tg__apply1(TG_OP_logsigmoid, x, NULL); }

static tg_status logsigmoid_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, logsigmoid_backward_b32, logsigmoid_backward_b64, 0, 0, 0);
}
TG_BUILTIN_OP(logsigmoid_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = logsigmoid_backward_fwd,
    .vjp = logsigmoid_backward_vjp,
    .cases = "logsigmoid_backward(g, x) | g=3x4 x=3x4; "
        "logsigmoid_backward(g, x) | g=4 x=3x4");
tg_tensor *tg_logsigmoid_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_logsigmoid_backward, a, b, NULL);
}

static tg_status silu_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_map_run(n, silu_k32, silu_k64, 0, 0, 0);
}
TG_BUILTIN_OP(silu,
    .n_inputs = 1,
    .forward = silu_fwd,
    .vjp = silu_vjp,
    .cases = "silu(x) | x=3x4; silu(4*x) | x=7");
tg_tensor *tg_silu(tg_tensor *x) { return tg__apply1(TG_OP_silu, x, NULL); }

static tg_status silu_backward_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__ew_binary_run(n, silu_backward_b32, silu_backward_b64, 0, 0, 0);
}
TG_BUILTIN_OP(silu_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = silu_backward_fwd,
    .vjp = silu_backward_vjp,
    .cases = "silu_backward(g, x) | g=3x4 x=3x4; "
        "silu_backward(g, 3*x) | g=3x1 x=1x4");
tg_tensor *tg_silu_backward(tg_tensor *a, tg_tensor *b)
{
    return tg__apply2(TG_OP_silu_backward, a, b, NULL);
}
