/* Accuracy of the elementwise kernels against long-double libm.
 *
 * For every op, f32 results must lie within 2 ulp of the long-double
 * reference on a sweep of inputs that covers the whole float range (a
 * stride through all 2^32 bit patterns: subnormals, huge values, NaNs),
 * a dense stretch of [-128, 128], and the special values ±0, ±Inf, NaN,
 * the subnormal and normal extremes. f64 results are measured the same
 * way (the reference carries 11 more bits) against per-op bounds.
 *
 * meson registers this binary once per kernel set (TG_ISA=ref, sse2,
 * avx2 and the best the CPU has), so every kernel path is covered. Every
 * case is also run through the scalar reference kernels (ops/kern_ref.c)
 * and the vector results are compared with theirs.
 * TG_ACC_POINTS=N sets the number of sweep points per part (default
 * 2^16); docs/ops-elementwise.md quotes a run with 2^22. TG_ACC_ONLY=a,b
 * runs only the ops whose names start with one of the listed prefixes.
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#include "ops/kernels.h"
#include "tt.h"

#define PI_L 3.141592653589793238462643383279502884L

/* ------------------------------------------------------------ inputs */

static float *xs32;
static int64_t n32;
static double *xs64;
static int64_t n64;

static float f_of_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static double d_of_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static void make_inputs(int64_t pts)
{
    static const float sp32[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN,
                                 FLT_MIN, -FLT_MIN, FLT_MAX, -FLT_MAX,
                                 0x1p-149f, -0x1p-149f, 0x1.fffffcp-127f,
                                 -0x1.fffffcp-127f, 1.0f, -1.0f, 0.5f, -0.5f,
                                 88.72283f, 88.72284f, -103.97208f, -87.33655f,
                                 -0.7517916f, -1.2784645f, 20.0f, -20.0f};
    int nsp = (int)(sizeof sp32 / sizeof sp32[0]);
    n32 = nsp + 2 * pts;
    xs32 = malloc(sizeof(float) * (size_t)n32);
    int64_t k = 0;
    for (int i = 0; i < nsp; i++) xs32[k++] = sp32[i];
    /* every bit pattern class: a stride through the 32-bit space */
    uint64_t step = ((uint64_t)1 << 32) / (uint64_t)pts;
    for (int64_t i = 0; i < pts; i++)
        xs32[k++] = f_of_bits((uint32_t)(i * step + (uint64_t)(i * 7919) % step));
    /* dense in [-128, 128]: a stride through the bit patterns of (0, 128]
     * with random signs, so every binade down to 2^-30 is sampled */
    uint32_t lo = 0x30800000u /* 2^-30 */, hi = 0x43000000u /* 128 */;
    uint64_t st2 = (hi - lo) / (uint64_t)pts + 1;
    for (int64_t i = 0; i < pts; i++) {
        float v = f_of_bits((uint32_t)(lo + (uint64_t)i * st2 % (hi - lo)));
        xs32[k++] = (i * 2654435761u) & 0x80000u ? -v : v;
    }
    n32 = k;

    static const double sp64[] = {0.0, -0.0, INFINITY, -INFINITY, NAN,
                                  DBL_MIN, -DBL_MAX, 0x1p-1074, 1.0, -1.0,
                                  -0.7517915243, -1.2784645428, 700.0, -740.0};
    int nsp64 = (int)(sizeof sp64 / sizeof sp64[0]);
    int64_t p64 = pts / 4;
    n64 = nsp64 + 2 * p64;
    xs64 = malloc(sizeof(double) * (size_t)n64);
    k = 0;
    for (int i = 0; i < nsp64; i++) xs64[k++] = sp64[i];
    uint64_t s64 = UINT64_MAX / (uint64_t)p64;
    for (int64_t i = 0; i < p64; i++)
        xs64[k++] = d_of_bits((uint64_t)i * s64 + (uint64_t)i * 104729u);
    tg_rng r;
    tg_rng_seed(&r, 11);
    for (int64_t i = 0; i < p64; i++) {
        double u = tg_rng_uniform(&r);
        /* log-uniform magnitudes in [2^-30, 128] */
        double v = ldexp(1.0 + u, (int)(tg_rng_uniform(&r) * 37) - 30);
        xs64[k++] = tg_rng_uniform(&r) < 0.5 ? -v : v;
    }
    n64 = k;
}

/* ------------------------------------------------------------- ulps */

/* Distance between got and the exact value ref in units of the last place
 * of the format (binade of ref; subnormal spacing below the normal range;
 * values beyond the largest finite count as 2^128 / 2^1024). */
static double ulp_err(long double ref, double got, int mant, int emin, int emax)
{
    if (isnan(ref) || isnan(got)) return (isnan(ref) && isnan(got)) ? 0 : INFINITY;
    if (isinf(ref) && isinf(got)) return !signbit(ref) == !signbit(got) ? 0 : INFINITY;
    /* beyond the largest finite value everything rounds to Inf: measure
     * both sides clamped to 2^(emax+1), where Inf sits in the ulp scale */
    long double big = ldexpl(1.0L, emax + 1), gl = got;
    if (fabsl(ref) > big) ref = copysignl(big, ref);
    if (isinf(got)) gl = copysignl(big, (long double)got);
    int e;
    frexpl(ref, &e); /* ref = m 2^e, 0.5 <= |m| < 1 */
    int ex = e - 1;
    if (ref == 0 || ex < emin) ex = emin;
    long double ulp = ldexpl(1.0L, ex - mant);
    return (double)(fabsl(gl - ref) / ulp);
}
static double ulp32(long double ref, float got) { return ulp_err(ref, got, 23, -126, 127); }
static double ulp64(long double ref, double got) { return ulp_err(ref, got, 52, -1022, 1023); }

/* --------------------------------------------------------- references */

static long double sig(long double x) { return 1.0L / (1.0L + expl(-x)); }
static long double r_exp(long double x, const double *p) { (void)p; return expl(x); }
static long double r_log(long double x, const double *p) { (void)p; return logl(x); }
static long double r_log1p(long double x, const double *p) { (void)p; return log1pl(x); }
static long double r_expm1(long double x, const double *p) { (void)p; return expm1l(x); }
static long double r_abs(long double x, const double *p) { (void)p; return fabsl(x); }
static long double r_sqrt(long double x, const double *p) { (void)p; return sqrtl(x); }
static long double r_rsqrt(long double x, const double *p) { (void)p; return 1.0L / sqrtl(x); }
static long double r_square(long double x, const double *p) { (void)p; return x * x; }
static long double r_recip(long double x, const double *p) { (void)p; return 1.0L / x; }
static long double r_sin(long double x, const double *p) { (void)p; return sinl(x); }
static long double r_cos(long double x, const double *p) { (void)p; return cosl(x); }
static long double r_erf(long double x, const double *p) { (void)p; return erfl(x); }
static long double r_tanh(long double x, const double *p) { (void)p; return tanhl(x); }
static long double r_sigmoid(long double x, const double *p) { (void)p; return sig(x); }
static long double r_logsig(long double x, const double *p)
{
    (void)p;
    return x < 0 ? x - log1pl(expl(x)) : -log1pl(expl(-x));
}
static long double r_silu(long double x, const double *p)
{
    (void)p;
    if (isinf(x)) return x > 0 ? x : -0.0L;
    return x * sig(x);
}
static long double r_relu(long double x, const double *p) { (void)p; return x < 0 ? 0 : x; }
static long double r_gelu(long double x, const double *p)
{
    (void)p;
    if (isinf(x)) return x > 0 ? x : -0.0L;
    return 0.5L * x * erfcl(-x / sqrtl(2.0L));
}
static long double gt_u2(long double x)
{
    return 2.0L * sqrtl(2.0L / PI_L) * (x + 0.044715L * x * x * x);
}
static long double r_gelu_tanh(long double x, const double *p)
{
    (void)p;
    if (isinf(x)) return x > 0 ? x : -0.0L;
    return x * sig(gt_u2(x));
}
static long double r_selu(long double x, const double *p)
{
    (void)p;
    return 1.0507009873554804934193349852946L *
           (x > 0 ? x : 1.6732632423543772848170429916717L * expm1l(x));
}
static long double r_elu(long double x, const double *p)
{
    return x > 0 ? x : (long double)p[0] * expm1l(x);
}
static long double r_celu(long double x, const double *p)
{
    return x > 0 ? x : (long double)p[0] * expm1l(x / (long double)p[0]);
}
static long double r_softplus(long double x, const double *p)
{
    /* the branch is decided on the double product, as the kernel does */
    if (p[0] * (double)x > p[1]) return x;
    long double z = (long double)p[0] * x;
    long double s = z > 0 ? z + log1pl(expl(-z)) : log1pl(expl(z));
    return s / (long double)p[0];
}
static long double r_leaky(long double x, const double *p)
{
    return x > 0 ? x : (long double)(float)p[0] * x;
}
static long double r_leaky64(long double x, const double *p)
{
    return x > 0 ? x : (long double)p[0] * x;
}
static long double r_hardshrink(long double x, const double *p)
{
    return fabsl(x) <= (long double)(float)p[0] ? 0 : x;
}
static long double r_hardshrink64(long double x, const double *p)
{
    return fabsl(x) <= (long double)p[0] ? 0 : x;
}
static long double r_clamp(long double x, const double *p)
{
    long double lo = (float)p[0], hi = (float)p[1];
    return isnan(x) ? x : x < lo ? lo : x > hi ? hi : x;
}
static long double r_pows(long double x, const double *p)
{
    return powl(x, (long double)(float)p[0]);
}
static long double r_pows64(long double x, const double *p) { return powl(x, p[0]); }

/* backward references: g is the first operand */
static long double b_sig(long double g, long double y, const double *p)
{
    (void)p;
    return g * y * (1.0L - y);
}
static long double b_tanh(long double g, long double y, const double *p)
{
    (void)p;
    return g * (1.0L - y) * (1.0L + y); /* exact factors; y*y is not, for f64 y */
}
static long double b_relu(long double g, long double x, const double *p)
{
    (void)p;
    return x > 0 ? g : 0;
}
/* f32 kernels round attributes that multiply an element to float */
static bool ref_f32;
static long double b_leaky(long double g, long double x, const double *p)
{
    return x > 0 ? g : g * (ref_f32 ? (long double)(float)p[0] : (long double)p[0]);
}
static long double b_gelu(long double g, long double x, const double *p)
{
    (void)p;
    if (isinf(x)) return x > 0 ? g : 0;
    long double Phi = 0.5L * erfcl(-x / sqrtl(2.0L));
    long double phi = expl(-0.5L * x * x) / sqrtl(2.0L * PI_L);
    return g * (Phi + x * phi);
}
static long double b_gelu_tanh(long double g, long double x, const double *p)
{
    (void)p;
    if (isinf(x)) return x > 0 ? g : 0;
    long double u2 = gt_u2(x);
    long double s = sig(u2), t = sig(-u2);
    long double du = sqrtl(2.0L / PI_L) * (1.0L + 3 * 0.044715L * x * x);
    return g * s * (1.0L + 2.0L * x * du * t);
}
static long double b_silu(long double g, long double x, const double *p)
{
    (void)p;
    if (isinf(x)) return x > 0 ? g : 0;
    long double s = sig(x), t = sig(-x);
    return g * s * (1.0L + x * t);
}
static long double b_logsig(long double g, long double x, const double *p)
{
    (void)p;
    return g * sig(-x);
}
static long double b_softplus(long double g, long double x, const double *p)
{
    if (p[0] * (double)x > p[1]) return g;
    return g * sig((long double)p[0] * x);
}
static long double b_elu(long double g, long double x, const double *p)
{
    return x > 0 ? g * (long double)p[1]
                 : g * (long double)p[1] * (long double)p[0] * (long double)p[2] *
                       expl(x * (long double)p[2]);
}

/* --------------------------------------------------------- the table */

typedef void (*k32_0)(int64_t, float *, const float *);
typedef void (*k64_0)(int64_t, double *, const double *);
typedef void (*k32_1)(int64_t, float *, const float *, double);
typedef void (*k64_1)(int64_t, double *, const double *, double);
typedef void (*k32_2)(int64_t, float *, const float *, double, double);
typedef void (*k64_2)(int64_t, double *, const double *, double, double);
typedef void (*b32_0)(int64_t, float *, const float *, int64_t, const float *, int64_t);
typedef void (*b64_0)(int64_t, double *, const double *, int64_t, const double *, int64_t);

typedef struct acase {
    const char *name;
    int np;             /* parameters: 0, 1, 2; 10+np for binary (g, x) */
    void *k32, *k64;
    long double (*ref32)(long double, const double *);
    long double (*ref64)(long double, const double *); /* NULL: ref32 */
    long double (*bref)(long double, long double, const double *);
    double p[3];
    double bound64;     /* asserted f64 bound in ulp for |x| <= 10 */
} acase;

static void bw_leaky32(int64_t n, float *y, const float *g, int64_t sg,
                       const float *x, int64_t sx, const double *p)
{
    tg_vec_leaky_relu_backward_f32(n, y, g, sg, x, sx, p[0]);
}
static void bw_leaky64(int64_t n, double *y, const double *g, int64_t sg,
                       const double *x, int64_t sx, const double *p)
{
    tg_vec_leaky_relu_backward_f64(n, y, g, sg, x, sx, p[0]);
}
static void bw_softplus32(int64_t n, float *y, const float *g, int64_t sg,
                          const float *x, int64_t sx, const double *p)
{
    tg_vec_softplus_backward_f32(n, y, g, sg, x, sx, p[0], p[1]);
}
static void bw_softplus64(int64_t n, double *y, const double *g, int64_t sg,
                          const double *x, int64_t sx, const double *p)
{
    tg_vec_softplus_backward_f64(n, y, g, sg, x, sx, p[0], p[1]);
}
static void bw_elu32(int64_t n, float *y, const float *g, int64_t sg,
                     const float *x, int64_t sx, const double *p)
{
    tg_vec_elu_backward_f32(n, y, g, sg, x, sx, p[0], p[1], p[2]);
}
static void bw_elu64(int64_t n, double *y, const double *g, int64_t sg,
                     const double *x, int64_t sx, const double *p)
{
    tg_vec_elu_backward_f64(n, y, g, sg, x, sx, p[0], p[1], p[2]);
}

#define U0(nm, k, r, b64) {#nm, 0, (void *)tg_vec_##k##_f32, (void *)tg_vec_##k##_f64, r, NULL, NULL, {0}, b64}
#define U1(nm, k, r, r64, a, b64) {nm, 1, (void *)tg_vec_##k##_f32, (void *)tg_vec_##k##_f64, r, r64, NULL, {a}, b64}
#define U2(nm, k, r, r64, a, b, b64) {nm, 2, (void *)tg_vec_##k##_f32, (void *)tg_vec_##k##_f64, r, r64, NULL, {a, b}, b64}
#define B0(nm, k, r, b64) {#nm, 10, (void *)tg_vec_##k##_f32, (void *)tg_vec_##k##_f64, NULL, NULL, r, {0}, b64}
#define BP(nm, k32, k64, r, a, b, c, b64) {nm, 11, (void *)k32, (void *)k64, NULL, NULL, r, {a, b, c}, b64}

static const acase cases[] = {
    U0(exp, exp, r_exp, 1.5), U0(log, log, r_log, 1.5),
    U0(log1p, log1p, r_log1p, 1.5), U0(expm1, expm1, r_expm1, 1.5),
    U0(abs, abs, r_abs, 0), U0(sqrt, sqrt, r_sqrt, 0.5),
    U0(rsqrt, rsqrt, r_rsqrt, 1.5), U0(square, square, r_square, 0.5),
    U0(reciprocal, reciprocal, r_recip, 0.5), U0(sin, sin, r_sin, 1.5),
    U0(cos, cos, r_cos, 1.5), U0(erf, erf, r_erf, 1.5),
    U0(tanh, tanh, r_tanh, 1.5),
    U0(sigmoid, sigmoid, r_sigmoid, 2), U0(logsigmoid, logsigmoid, r_logsig, 4),
    U0(silu, silu, r_silu, 4), U0(relu, relu, r_relu, 0),
    U0(gelu, gelu, r_gelu, 256 /* grows as x^2, see docs */),
    U0(gelu_tanh, gelu_tanh, r_gelu_tanh, 256 /* as gelu */),
    U0(selu, selu, r_selu, 4),
    U1("elu(1)", elu, r_elu, NULL, 1.0, 4), U1("elu(0.3)", elu, r_elu, NULL, 0.3, 4),
    U1("celu(0.7)", celu, r_celu, NULL, 0.7, 4),
    U2("softplus(1,20)", softplus, r_softplus, NULL, 1, 20, 4),
    U2("softplus(0.7,5)", softplus, r_softplus, NULL, 0.7, 5, 16),
    U1("leaky_relu(0.01)", leaky_relu, r_leaky, r_leaky64, 0.01, 0.5),
    U1("hardshrink(0.5)", hardshrink, r_hardshrink, r_hardshrink64, 0.5, 0),
    U2("clamp(-1,2.5)", clamp, r_clamp, NULL, -1, 2.5, 0),
    U1("pow_scalar(2.5)", pow_scalar, r_pows, r_pows64, 2.5, 1.5),
    U1("pow_scalar(-1.5)", pow_scalar, r_pows, r_pows64, -1.5, 1.5),
    U1("pow_scalar(3)", pow_scalar, r_pows, r_pows64, 3, 1.5),
    B0(tanh_backward, tanh_backward, b_tanh, 2.5 /* SSE2: no FMA, 1.86 */),
    B0(sigmoid_backward, sigmoid_backward, b_sig, 2),
    B0(relu_backward, relu_backward, b_relu, 0),
    B0(gelu_backward, gelu_backward, b_gelu, 256),
    B0(gelu_tanh_backward, gelu_tanh_backward, b_gelu_tanh, 256),
    B0(silu_backward, silu_backward, b_silu, 128),
    B0(logsigmoid_backward, logsigmoid_backward, b_logsig, 4),
    BP("leaky_relu_backward(0.2)", bw_leaky32, bw_leaky64, b_leaky, 0.2, 0, 0, 0.5),
    BP("softplus_backward(1.5,20)", bw_softplus32, bw_softplus64, b_softplus, 1.5, 20, 0, 32),
    BP("elu_backward(1.5,1,1)", bw_elu32, bw_elu64, b_elu, 1.5, 1, 1, 4),
    BP("elu_backward(selu)", bw_elu32, bw_elu64, b_elu, 1.6732632423543772, 1.0507009873554805, 1, 4),
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

typedef void (*bwp32)(int64_t, float *, const float *, int64_t, const float *, int64_t, const double *);
typedef void (*bwp64)(int64_t, double *, const double *, int64_t, const double *, int64_t, const double *);

/* upstream gradients paired with the sweep: varied magnitudes and signs */
static float g_of(int64_t i)
{
    static const float gs[] = {1.0f, -0.7f, 3.25f, 1e-3f, -2.5e4f, 0.3333333f};
    return gs[i % 6];
}

static double results[N_CASES][3]; /* f32, f64 |x| <= 10, f64 all */
static double worst_x[N_CASES][3];
static double vs_ref[N_CASES][2]; /* vector vs reference: f32, f64 |x| <= 10 */

/* Derivative kernels with a root (gelu', gelu_tanh', silu' vanish near
 * x = -0.75, -0.75, -1.28): no fixed precision keeps a relative error
 * there, so for f64 they are measured in ulps of max(|ref|, |g| / 256). */
static bool has_root(const acase *a)
{
    return a->bref == b_gelu || a->bref == b_gelu_tanh || a->bref == b_silu;
}

/* the case's kernels on the whole sweep, with the current kernel set */
static void call_case(const acase *a, float *y, const float *g, double *yd,
                      const double *gd)
{
    const double *p = a->p;
    switch (a->np) {
    case 0: ((k32_0)a->k32)(n32, y, xs32); ((k64_0)a->k64)(n64, yd, xs64); break;
    case 1: ((k32_1)a->k32)(n32, y, xs32, p[0]); ((k64_1)a->k64)(n64, yd, xs64, p[0]); break;
    case 2:
        ((k32_2)a->k32)(n32, y, xs32, p[0], p[1]);
        ((k64_2)a->k64)(n64, yd, xs64, p[0], p[1]);
        break;
    case 10:
        ((b32_0)a->k32)(n32, y, g, 1, xs32, 1);
        ((b64_0)a->k64)(n64, yd, gd, 1, xs64, 1);
        break;
    default:
        ((bwp32)a->k32)(n32, y, g, 1, xs32, 1, p);
        ((bwp64)a->k64)(n64, yd, gd, 1, xs64, 1, p);
        break;
    }
}

static void run_case(int c)
{
    const acase *a = &cases[c];
    float *y = malloc(sizeof(float) * (size_t)n32);
    float *g = malloc(sizeof(float) * (size_t)n32);
    double *yd = malloc(sizeof(double) * (size_t)n64);
    double *gd = malloc(sizeof(double) * (size_t)n64);
    for (int64_t i = 0; i < n32; i++) g[i] = g_of(i);
    for (int64_t i = 0; i < n64; i++) gd[i] = g_of(i);
    const double *p = a->p;
    call_case(a, y, g, yd, gd);
    /* the same inputs through the scalar references (ops/kern_ref.c): the
     * vector kernels against their specification */
    float *yr = malloc(sizeof(float) * (size_t)n32);
    double *ydr = malloc(sizeof(double) * (size_t)n64);
    tg__use_kernels(tg__kernels_for(TG_ISA_REF));
    call_case(a, yr, g, ydr, gd);
    tg__use_kernels(NULL);
    double m32 = 0, m64 = 0, w32 = 0, w64 = 0, a64 = 0, wa64 = 0;
    /* the long-double references dominate the run time: both cores */
    double *err = malloc(sizeof(double) * (size_t)(n32 > n64 ? n32 : n64));
    ref_f32 = true;
#pragma omp parallel for schedule(dynamic, 4096)
    for (int64_t i = 0; i < n32; i++) {
        long double x = xs32[i];
        long double ref = a->bref ? a->bref(g[i], x, p) : a->ref32(x, p);
        err[i] = ulp32(ref, y[i]);
    }
    for (int64_t i = 0; i < n32; i++)
        if (!(err[i] <= m32)) m32 = err[i], w32 = xs32[i];
    ref_f32 = false;
#pragma omp parallel for schedule(dynamic, 4096)
    for (int64_t i = 0; i < n64; i++) {
        long double x = xs64[i];
        long double ref = a->bref ? a->bref(gd[i], x, p)
                                  : (a->ref64 ? a->ref64 : a->ref32)(x, p);
        double e = ulp64(ref, yd[i]);
        if (has_root(a) && isfinite(yd[i]) && fabsl(ref) < fabs(gd[i]) / 256) {
            long double fl = fabsl((long double)gd[i]) / 256;
            e = (double)(fabsl((long double)yd[i] - ref) / ldexpl(1.0L, ilogbl(fl) - 52));
        }
        err[i] = e;
    }
    for (int64_t i = 0; i < n64; i++) {
        double e = err[i];
        if (!(e <= a64)) a64 = e, wa64 = xs64[i];
        if (fabs(xs64[i]) <= 10 && !(e <= m64)) m64 = e, w64 = xs64[i];
    }
    /* vector against reference, in ulps of the reference's value (f64:
     * |x| <= 10, the range of the asserted bound) */
    double v32 = 0, v64 = 0;
    for (int64_t i = 0; i < n32; i++) v32 = fmax(v32, ulp32(yr[i], y[i]));
    for (int64_t i = 0; i < n64; i++) {
        if (!(fabs(xs64[i]) <= 10)) continue;
        double e = ulp64(ydr[i], yd[i]);
        if (has_root(a) && isfinite(yd[i]) && fabs(ydr[i]) < fabs(gd[i]) / 256) {
            long double fl = fabsl((long double)gd[i]) / 256;
            e = (double)(fabsl((long double)yd[i] - ydr[i]) / ldexpl(1.0L, ilogbl(fl) - 52));
        }
        v64 = fmax(v64, e);
    }
    vs_ref[c][0] = v32, vs_ref[c][1] = v64;
    free(yr), free(ydr);
    free(err);
    results[c][0] = m32, results[c][1] = m64, results[c][2] = a64;
    worst_x[c][0] = w32, worst_x[c][1] = w64, worst_x[c][2] = wa64;
    free(y), free(g), free(yd), free(gd);
}

/* whether name starts with one of the comma-separated prefixes in list */
static bool selected(const char *list, const char *name)
{
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len && !strncmp(name, p, len)) return true;
        p += len + (p[len] == ',');
    }
    return false;
}

static void sweep(void)
{
    const char *env = getenv("TG_ACC_POINTS");
    int64_t pts = env ? atoll(env) : (1 << 16);
    if (pts < 1024) pts = 1024;
    make_inputs(pts);
    printf("ISA %s, %lld f32 and %lld f64 inputs\n", tg__isa_name(tg__isa()),
           (long long)n32, (long long)n64);
    printf("%-28s %8s %14s %8s %14s %10s %14s %8s %8s\n", "op", "f32 ulp", "at x",
           "f64<=10", "at x", "f64 all", "at x", "ref f32", "ref f64");
    const char *only = getenv("TG_ACC_ONLY");
    for (int c = 0; c < N_CASES; c++) {
        if (only && !selected(only, cases[c].name)) continue;
        run_case(c);
        printf("%-28s %8.3f %14.7g %8.3f %14.7g %10.4g %14.7g %8.3f %8.3f\n",
               cases[c].name, results[c][0], worst_x[c][0], results[c][1],
               worst_x[c][1], results[c][2], worst_x[c][2], vs_ref[c][0],
               vs_ref[c][1]);
        if (!(results[c][0] <= 2.0))
            fprintf(stderr, "%s: f32 error %.3f ulp at x = %.9g\n", cases[c].name,
                    results[c][0], worst_x[c][0]);
        TT_CHECK(results[c][0] <= 2.0);
        if (!(results[c][1] <= cases[c].bound64))
            fprintf(stderr, "%s: f64 error %.3f ulp at x = %.17g (bound %.1f)\n",
                    cases[c].name, results[c][1], worst_x[c][1], cases[c].bound64);
        TT_CHECK(results[c][1] <= cases[c].bound64);
        /* each side within its bound of the exact value (the reference set
         * is held to the same bounds in the TG_ISA=ref run), so within
         * twice the bound of each other; exact ops agree exactly */
        if (!(vs_ref[c][0] <= 4.0) || !(vs_ref[c][1] <= 2 * cases[c].bound64))
            fprintf(stderr, "%s: vector and reference differ by %.3f (f32), %.3f (f64) ulp\n",
                    cases[c].name, vs_ref[c][0], vs_ref[c][1]);
        TT_CHECK(vs_ref[c][0] <= 4.0);
        TT_CHECK(vs_ref[c][1] <= 2 * cases[c].bound64);
    }
    free(xs32);
    free(xs64);
}

/* Binary pow and maximum/minimum on a grid of (a, b) pairs. */
static void binary_grid(void)
{
    enum { NA = 700, NB = 61 };
    static float a32[NA * NB], b32[NA * NB], y32[NA * NB];
    static double a64[NA * NB], b64[NA * NB], y64[NA * NB];
    int64_t k = 0;
    for (int i = 0; i < NA; i++)
        for (int j = 0; j < NB; j++, k++) {
            float av = f_of_bits(0x00800000u + (uint32_t)i * 0x00290000u); /* 2^-126 .. 2^97 */
            if (i % 5 == 0) av = -av;
            float bv = (float)(j - 30) * 0.37f;
            if (j % 10 == 0) bv = (float)(j / 10 - 3); /* integers: pow of negatives */
            a32[k] = av, b32[k] = bv, a64[k] = av, b64[k] = bv;
        }
    tg_vec_pow_f32(k, y32, a32, 1, b32, 1);
    tg_vec_pow_f64(k, y64, a64, 1, b64, 1);
    double m32 = 0, m64 = 0;
    for (int64_t i = 0; i < k; i++) {
        m32 = fmax(m32, ulp32(powl(a32[i], b32[i]), y32[i]));
        m64 = fmax(m64, ulp64(powl(a64[i], b64[i]), y64[i]));
    }
    static float r32[NA * NB];
    static double r64[NA * NB];
    tg__use_kernels(tg__kernels_for(TG_ISA_REF));
    tg_vec_pow_f32(k, r32, a32, 1, b32, 1);
    tg_vec_pow_f64(k, r64, a64, 1, b64, 1);
    tg__use_kernels(NULL);
    double v32 = 0, v64 = 0;
    for (int64_t i = 0; i < k; i++) {
        v32 = fmax(v32, ulp32(r32[i], y32[i]));
        v64 = fmax(v64, ulp64(r64[i], y64[i]));
    }
    printf("%-28s %10.3f %16s %10.3f   vs ref %.3f %.3f\n", "pow (grid)", m32, "",
           m64, v32, v64);
    TT_CHECK(v32 <= 4.0);
    TT_CHECK(v64 <= 3.0);
    TT_CHECK(m32 <= 2.0);
    TT_CHECK(m64 <= 1.5);
    /* maximum/minimum are exact, NaN in either operand gives NaN */
    a32[0] = NAN, b32[1] = NAN;
    tg_vec_maximum_f32(k, y32, a32, 1, b32, 1);
    bool ok = isnan(y32[0]) && isnan(y32[1]);
    for (int64_t i = 2; i < k; i++) ok &= y32[i] == fmaxf(a32[i], b32[i]);
    tg_vec_minimum_f32(k, y32, a32, 1, b32, 1);
    ok &= isnan(y32[0]) && isnan(y32[1]);
    for (int64_t i = 2; i < k; i++) ok &= y32[i] == fminf(a32[i], b32[i]);
    /* broadcast operand (stride 0) */
    tg_vec_maximum_f32(k, y32, a32 + 5, 0, b32, 1);
    for (int64_t i = 2; i < k; i++) ok &= y32[i] == fmaxf(a32[5], b32[i]);
    TT_CHECK(ok);
}

TT_RUN(TT(sweep), TT(binary_grid))
