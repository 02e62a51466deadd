/* tanh and its fused backward.
 *   tanh:            y = tanh x
 *   tanh_backward:   z = g (1 - y^2), the VJP of tanh from its output y
 * f32 tanh on AVX2/AVX-512 is evaluated inline from one exponential,
 *   tanh a = -m / (2 + m),  m = expm1(-2a),  a = |x|
 * with e^-2a = 2^k (1 + p) (ops/act_fexp.h); m is carried exactly as a
 * pair built from the exact terms 2^k, 2^k p and -1 (two Fast2Sums), so
 * it keeps its relative accuracy for small a (where m = p) and its low
 * bits near m = -1; 2 + m is kept exactly as a pair too and the quotient
 * is corrected once with its FMA residual. a is held at 9.1, beyond which
 * tanh rounds to 1; the sign is put back last, so tanh(-0) = -0 and NaN
 * passes through. SSE2 and f64 use SLEEF's tanh (1.0-ulp variant).
 * tanh_backward computes 1 - y^2 with an FMA for |y| < 1/2 and as
 * (1 - |y|)(1 + |y|) beyond, where 1 - |y| is exact: 1 - y*y would lose
 * the low bits of y^2 next to |y| = 1 (hundreds of ulps). f32 is
 * evaluated in double and rounded once; runs of fewer than 4 elements
 * go through a scalar copy of the same body (bitwise the same results).
 * VJPs: tanh: tanh_backward(g, y).
 *       tanh_backward(g, y): dg = h (1 - y^2) = tanh_backward(h, y);
 *                            dy = -2 h g y.
 */
#include "ops/act_fexp.h"
#include "ops/elementwise.h"
#include "ops/ew.h"
#include "ops/kernels.h"
#include "ops/simd.h"

#include <math.h>

/* AVX-512: the quotient from the 14-bit reciprocal estimate, which the
 * residual correction brings to 2^-28 (a division costs more than the
 * rest of the kernel); AVX2's estimate has 12 bits, so it divides */
#define TANH_QUOT_avx2(n, d) TG_DIVF(avx2, n, d)
#define TANH_QUOT_avx512(n, d) TG_MULF(avx512, n, TG_RCPF(avx512, d))
#define TANH_FMA_HELPERS(I)                                                 \
    TG_TARGET_##I static inline TG_VF(I) tanh_fma_##I(TG_VF(I) x)           \
    {                                                                       \
        TG_VF(I) one = TG_SET1F(I, 1.0f), two = TG_SET1F(I, 2.0f);          \
        TG_VF(I) a = TG_MINF(I, TG_SET1F(I, 9.1f), TG_ABSF(I, x));          \
        TG_VF(I) k, p = tg_fexp_##I(TG_MULF(I, a, TG_SET1F(I, -2.0f)), &k); \
        TG_VF(I) s = TG_POW2F(I, k), sp = TG_MULF(I, s, p); /* both exact */ \
        /* e^-2a = s + s p = eh + el exactly (Fast2Sum, |s| >= |s p|),      \
         * m = eh - 1 + el = mh + ml exactly (Fast2Sum, 1 >= eh) */         \
        TG_VF(I) eh = TG_ADDF(I, s, sp);                                    \
        TG_VF(I) el = TG_SUBF(I, sp, TG_SUBF(I, eh, s));                    \
        TG_VF(I) mh = TG_SUBF(I, eh, one);                                  \
        TG_VF(I) ml = TG_ADDF(I, TG_SUBF(I, eh, TG_ADDF(I, mh, one)), el);  \
        /* renormalised, m = mm + lo with mm = fl(m) (mh = 0 for small a) */ \
        TG_VF(I) mm = TG_ADDF(I, mh, ml);                                   \
        TG_VF(I) lo = TG_SUBF(I, ml, TG_SUBF(I, mm, mh));                   \
        /* -m / (2 + m): d + dl = 2 + m exactly (Fast2Sum), quotient        \
         * corrected by its residual -m - q (2 + m) */                      \
        TG_VF(I) d = TG_ADDF(I, two, mm);                                   \
        TG_VF(I) dl = TG_ADDF(I, TG_SUBF(I, mm, TG_SUBF(I, d, two)), lo);   \
        TG_VF(I) n = TG_NEGF(I, mm);                                        \
        TG_VF(I) q = TANH_QUOT_##I(n, d);                                   \
        TG_VF(I) r = TG_FNMAF(I, q, dl, TG_FNMAF(I, q, d, n));              \
        TG_VF(I) y = TG_FMAF(I, TG_SUBF(I, r, lo), TG_RCPF(I, d), q);       \
        return TG_XORF(I, y, TG_ANDF(I, x, TG_SIGNBITF(I)));                \
    }
TANH_FMA_HELPERS(avx2)
TANH_FMA_HELPERS(avx512)

#define TANH_VF(I, v, p0, p1, p2) TANH_VF_##I(v)
#define TANH_VF_sse2(v) TG_SLEEF_F(sse2, tanh, u10)(v)
#define TANH_VF_avx2(v) tanh_fma_avx2(v)
#define TANH_VF_avx512(v) tanh_fma_avx512(v)
#define TANH_VD(I, v, p0, p1, p2) TG_SLEEF_D(I, tanh, u10)(v)
TG_SIMD_MAP(tanh, TANH_VF, TANH_VD)
TG_VEC_MAP0(tanh)

/* g (1 - y^2) in double: for |y| < 1/2, 1 - y^2 in one FMA; beyond, the
 * factor u = 1 - |y| (exact below |y| = 2^53) first, g (1 - |y|)(1 + |y|)
 * = t + t |y| with t = g u in one FMA (SSE2 rounds the product and the
 * sum separately), which also keeps a finite result finite when y^2
 * alone would overflow; from 2^53 on, 1 - y^2 = -y^2 to far below an ulp,
 * t = -g |y| and the FMA adds 0. f32 goes through this body (memory
 * bound either way): for a float y, y^2 is exact in double, so the f32
 * result is correctly rounded. */
#define TANH_BW_HELPERS(I)                                                  \
    TG_TARGET_##I static inline TG_VD(I) tanh_bw_far_##I(TG_VD(I) g,        \
                                                         TG_VD(I) a)        \
    {                                                                       \
        TG_MD(I) big = TG_CMPD(I, a, ge, TG_SET1D(I, 0x1p53));              \
        TG_VD(I) u = TG_BLENDD(I, big, TG_NEGD(I, a), TG_SUBD(I, TG_SET1D(I, 1.0), a)); \
        TG_VD(I) t = TG_MULD(I, g, u);                                      \
        return TG_FMAD(I, t, a, TG_BLENDD(I, big, TG_ZEROD(I), t));         \
    }                                                                       \
    TG_TARGET_##I static inline TG_VD(I) tanh_bwd_##I(TG_VD(I) g, TG_VD(I) y) \
    {                                                                       \
        TG_VD(I) a = TG_ABSD(I, y);                                         \
        return TG_BLENDD(I, TG_CMPD(I, a, lt, TG_SET1D(I, 0.5)),            \
                         TG_MULD(I, g, TG_FNMAD(I, y, y, TG_SET1D(I, 1.0))), \
                         tanh_bw_far_##I(g, a));                            \
    }
TG_EW_FOR_ISAS(TANH_BW_HELPERS)
#define TANH_BW_VD(I, g, y, p0, p1, p2) tanh_bwd_##I(g, y)
TG_SIMD_BIN_WIDE(tanh_backward, TANH_BW_VD)

/* Tiny runs (a 0-d loss, a few elements, short broadcast rows) take a
 * scalar copy of the double body instead of the vector kernel, whose
 * padded tail costs ~170 instructions even for one element. Same
 * operations in the same order (fused where the vector kernel fuses:
 * not on SSE2; C's fma is correctly rounded everywhere), so the result
 * is bitwise the one the vector kernel gives. */
#define TANH_BW_TINY 4
static inline double tanh_bw_scalar(double g, double y, bool fused)
{
    double a = fabs(y);
    if (a < 0.5) return g * (fused ? fma(-y, y, 1.0) : 1.0 - y * y);
    bool big = a >= 0x1p53;
    double t = g * (big ? -a : 1.0 - a), c = big ? 0.0 : t;
    return fused ? fma(t, a, c) : t * a + c;
}
void tg_vec_tanh_backward_f32(int64_t n, float *z, const float *g, int64_t sg,
                              const float *y, int64_t sy)
{
    if (n < TANH_BW_TINY) {
        bool fused = tg__isa() != TG_ISA_SSE2;
        for (int64_t i = 0; i < n; i++)
            z[i] = (float)tanh_bw_scalar(g[i * sg], y[i * sy], fused);
        return;
    }
    tanh_backward_b32[tg__isa()](n, z, g, sg, y, sy, 0, 0, 0);
}
void tg_vec_tanh_backward_f64(int64_t n, double *z, const double *g,
                              int64_t sg, const double *y, int64_t sy)
{
    if (n < TANH_BW_TINY) {
        bool fused = tg__isa() != TG_ISA_SSE2;
        for (int64_t i = 0; i < n; i++)
            z[i] = tanh_bw_scalar(g[i * sg], y[i * sy], fused);
        return;
    }
    tanh_backward_b64[tg__isa()](n, z, g, sg, y, sy, 0, 0, 0);
}

static tg_status tanh_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__unary_run(n, tg_vec_tanh_f32, tg_vec_tanh_f64);
}

static void tanh_vjp(tg_graph *g, tg_node *n, tg_tensor *gy, const bool *need,
                     tg_tensor **gx)
{
    (void)g, (void)need;
    gx[0] = tg_tanh_backward(gy, n->out);
}

static tg_status tanh_bw_fwd(tg_graph *g, tg_node *n)
{
    (void)g;
    return tg__binary_run(n, tg_vec_tanh_backward_f32, tg_vec_tanh_backward_f64);
}

static void tanh_bw_vjp(tg_graph *g, tg_node *n, tg_tensor *h,
                        const bool *need, tg_tensor **gx)
{
    (void)g;
    tg_tensor *gin = n->in[0], *y = n->in[1];
    if (need[0]) gx[0] = tg_tanh_backward(h, y);
    if (need[1]) gx[1] = tg_mul_scalar(tg_mul(tg_mul(h, gin), y), -2.0);
}

TG_BUILTIN_OP(tanh,
    .n_inputs = 1,
    .forward = tanh_fwd,
    .vjp = tanh_vjp,
    .cases = "tanh(x) | x=3x4; tanh(3*x) | x=7");
TG_BUILTIN_OP(tanh_backward,
    .n_inputs = 2,
    .shape = tg_shape_broadcast,
    .forward = tanh_bw_fwd,
    .vjp = tanh_bw_vjp,
    .cases = "tanh_backward(g, y) | g=3x4 y=3x4; tanh_backward(g, y) | g=3x4 y=4");

tg_tensor *tg_tanh(tg_tensor *x) { return tg__apply1(TG_OP_tanh, x, NULL); }
tg_tensor *tg_tanh_backward(tg_tensor *g, tg_tensor *y)
{
    return tg__apply2(TG_OP_tanh_backward, g, y, NULL);
}
