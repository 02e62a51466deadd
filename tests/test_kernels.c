/* Every vector kernel set against the scalar references (ops/kern_ref.c):
 * map and binary kernels over lengths that take every tail, broadcast
 * strides, position independence of the padded tail, the softmax row
 * kernels, the outer product, the matrix-vector products and the
 * optimizers' update rules. The sets
 * are those this CPU can run (ops/kernels.h: tg__kernels_for), whatever
 * TG_ISA says; the ulp-level sweep per set is tests/test_accuracy.c. A
 * few hand-derived values pin the references themselves, so the test
 * also means something in a build with only the references. */
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <tapegrad/tapegrad.h>

#include "ops/kernels.h"
#include "src/nn/optim_kern.h"
#include "tt.h"

enum { N = 1031 }; /* odd: a tail for every vector width */

static float xf[N], gf[N];
static double xd[N], gd[N];

static void make_inputs(void)
{
    static const double sp[] = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 20.0, -20.0,
                                88.0, -88.0, 100.0, -104.0, 1e-30, -1e-30,
                                -0.7517916, -1.2784645, 3.0, 1e6, -1e6};
    int ns = (int)(sizeof sp / sizeof sp[0]);
    tg_rng r;
    tg_rng_seed(&r, 5);
    for (int i = 0; i < N; i++) {
        double v;
        if (i < ns) v = sp[i];
        else if (i % 3 == 0) v = ldexp(tg_rng_uniform(&r) * 2 - 1, (int)(tg_rng_uniform(&r) * 40) - 20);
        else v = (tg_rng_uniform(&r) * 2 - 1) * 12;
        xd[i] = v;
        xf[i] = (float)v;
        gd[i] = (tg_rng_uniform(&r) * 2 - 1) * 3;
        gf[i] = (float)gd[i];
    }
    /* the specials last too, so that the tail holds them */
    for (int i = 0; i < 4; i++) xd[N - 1 - i] = sp[i * 3], xf[N - 1 - i] = (float)sp[i * 3];
}

/* |v - r| within rel of |r| (or of `floor`, for kernels whose result
 * passes through 0 with a nonzero gradient), both NaN, or equal */
static bool close(double v, double r, double rel, double floor)
{
    if (isnan(v) || isnan(r)) return isnan(v) && isnan(r);
    if (v == r) return true;
    double scale = fabs(r) > floor ? fabs(r) : floor;
    return fabs(v - r) <= rel * scale;
}

typedef struct mcase {
    tg_map_kernel k;
    const char *name;
    tg_kp p;
} mcase;
static const mcase maps[] = {
    {TG_KM_exp, "exp", {0, 0, 0}}, {TG_KM_log, "log", {0, 0, 0}}, {TG_KM_log1p, "log1p", {0, 0, 0}},
    {TG_KM_expm1, "expm1", {0, 0, 0}}, {TG_KM_sin, "sin", {0, 0, 0}}, {TG_KM_cos, "cos", {0, 0, 0}},
    {TG_KM_erf, "erf", {0, 0, 0}}, {TG_KM_abs, "abs", {0, 0, 0}}, {TG_KM_sign, "sign", {0, 0, 0}},
    {TG_KM_sqrt, "sqrt", {0, 0, 0}}, {TG_KM_rsqrt, "rsqrt", {0, 0, 0}},
    {TG_KM_square, "square", {0, 0, 0}}, {TG_KM_reciprocal, "reciprocal", {0, 0, 0}},
    {TG_KM_pow_scalar, "pow_scalar", {2.5, 0, 0}},
    {TG_KM_clamp, "clamp", {-1, 2.5, 0}}, {TG_KM_clamp_mask, "clamp_mask", {-1, 2.5, 0}},
    {TG_KM_relu, "relu", {0, 0, 0}}, {TG_KM_leaky_relu, "leaky_relu", {0.1, 0, 0}},
    {TG_KM_posmask, "posmask", {0, 0, 0}}, {TG_KM_hardshrink, "hardshrink", {0.5, 0, 0}},
    {TG_KM_hardshrink_mask, "hardshrink_mask", {0.5, 0, 0}},
    {TG_KM_tanh, "tanh", {0, 0, 0}}, {TG_KM_sigmoid, "sigmoid", {0, 0, 0}},
    {TG_KM_logsigmoid, "logsigmoid", {0, 0, 0}}, {TG_KM_silu, "silu", {0, 0, 0}},
    {TG_KM_gelu, "gelu", {0, 0, 0}}, {TG_KM_gelu_tanh, "gelu_tanh", {0, 0, 0}},
    {TG_KM_elu, "elu", {1.3, 0, 0}}, {TG_KM_selu, "selu", {0, 0, 0}},
    {TG_KM_celu, "celu", {0.7, 0, 0}}, {TG_KM_nonpos, "nonpos", {0, 0, 0}},
    {TG_KM_softplus, "softplus", {1.5, 20, 0}},
    {TG_KM_softplus_mask, "softplus_mask", {1.5, 20, 0}},
    {TG_KM_tan, "tan", {0, 0, 0}}, {TG_KM_asin, "asin", {0, 0, 0}},
    {TG_KM_acos, "acos", {0, 0, 0}}, {TG_KM_atan, "atan", {0, 0, 0}},
    {TG_KM_sinh, "sinh", {0, 0, 0}}, {TG_KM_cosh, "cosh", {0, 0, 0}},
    {TG_KM_asinh, "asinh", {0, 0, 0}}, {TG_KM_acosh, "acosh", {0, 0, 0}},
    {TG_KM_atanh, "atanh", {0, 0, 0}}, {TG_KM_log2, "log2", {0, 0, 0}},
    {TG_KM_log10, "log10", {0, 0, 0}}, {TG_KM_exp2, "exp2", {0, 0, 0}},
    {TG_KM_floor, "floor", {0, 0, 0}}, {TG_KM_ceil, "ceil", {0, 0, 0}},
    {TG_KM_round, "round", {0, 0, 0}}, {TG_KM_trunc, "trunc", {0, 0, 0}},
    {TG_KM_frac, "frac", {0, 0, 0}}, {TG_KM_hardtanh_mask, "hardtanh_mask", {-1, 2.5, 0}},
    {TG_KM_gtmask, "gtmask", {0.5, 0, 0}}, {TG_KM_hardsigmoid, "hardsigmoid", {0, 0, 0}},
    {TG_KM_hardswish, "hardswish", {0, 0, 0}}, {TG_KM_softsign, "softsign", {0, 0, 0}},
    {TG_KM_mish, "mish", {0, 0, 0}}, {TG_KM_softshrink, "softshrink", {0.5, 0, 0}},
    {TG_KM_threshold, "threshold", {0.5, -7, 0}},
};
enum { NMAPS = (int)(sizeof maps / sizeof maps[0]) };

typedef struct bcase {
    tg_bin_kernel k;
    const char *name;
    tg_kp p;
    double floor; /* results through 0: relative to |g| / 256 */
} bcase;
static const bcase bins[] = {
    {TG_KB_pow, "pow", {0, 0, 0}, 0}, {TG_KB_maximum, "maximum", {0, 0, 0}, 0},
    {TG_KB_minimum, "minimum", {0, 0, 0}, 0}, {TG_KB_wmax, "wmax", {0, 0, 0}, 0},
    {TG_KB_wmin, "wmin", {0, 0, 0}, 0}, {TG_KB_relu_backward, "relu_backward", {0, 0, 0}, 0},
    {TG_KB_leaky_relu_backward, "leaky_relu_backward", {0.2, 0, 0}, 0},
    {TG_KB_tanh_backward, "tanh_backward", {0, 0, 0}, 0},
    {TG_KB_sigmoid_backward, "sigmoid_backward", {0, 0, 0}, 0},
    {TG_KB_logsigmoid_backward, "logsigmoid_backward", {0, 0, 0}, 0},
    {TG_KB_silu_backward, "silu_backward", {0, 0, 0}, 1.0 / 256},
    {TG_KB_gelu_backward, "gelu_backward", {0, 0, 0}, 1.0 / 256},
    {TG_KB_gelu_tanh_backward, "gelu_tanh_backward", {0, 0, 0}, 1.0 / 256},
    {TG_KB_elu_backward, "elu_backward", {1.5 * 1.05, 1.05, 1}, 0},
    {TG_KB_softplus_backward, "softplus_backward", {1.5, 20, 0}, 0},
    {TG_KB_atan2, "atan2", {0, 0, 0}, 0}, {TG_KB_hypot, "hypot", {0, 0, 0}, 0}, {TG_KB_fmod, "fmod", {0, 0, 0}, 0},
    {TG_KB_remainder, "remainder", {0, 0, 0}, 0}, {TG_KB_logaddexp, "logaddexp", {0, 0, 0}, 0},
};
enum { NBINS = (int)(sizeof bins / sizeof bins[0]) };

/* run lengths: every tail of every vector width, and longer */
static const int lens[] = {1, 2, 3, 5, 7, 9, 15, 17, 31, 33, 100, N};
enum { NLENS = (int)(sizeof lens / sizeof lens[0]) };

/* the vector sets this CPU can run, each once */
static int vector_sets(const tg_kernel_set **out)
{
    int n = 0;
    for (tg_isa i = TG_ISA_SSE2; i < TG_ISA_COUNT; i++) {
        const tg_kernel_set *k = tg__kernels_for(i);
        if (k == &tg__kernels_ref || (n && out[n - 1] == k)) continue;
        out[n++] = k;
    }
    return n;
}

static void maps_vs_reference(void)
{
    const tg_kernel_set *sets[TG_ISA_COUNT], *ref = &tg__kernels_ref;
    int ns = vector_sets(sets);
    static float yf[N], rf[N];
    static double yd[N], rd[N];
    for (int s = 0; s < ns; s++)
        for (int c = 0; c < NMAPS; c++) {
            const mcase *m = &maps[c];
            int bad32 = -1, bad64 = -1, badpos = -1;
            ref->map[m->k].f32(N, rf, xf, m->p);
            ref->map[m->k].f64(N, rd, xd, m->p);
            for (int l = 0; l < NLENS; l++) {
                int n = lens[l];
                /* the last n inputs, so that short runs are all tail */
                sets[s]->map[m->k].f32(n, yf, xf + N - n, m->p);
                sets[s]->map[m->k].f64(n, yd, xd + N - n, m->p);
                for (int i = 0; i < n; i++) {
                    if (!close(yf[i], rf[N - n + i], 5e-7, 0)) bad32 = N - n + i;
                    if (!close(yd[i], rd[N - n + i], 1e-13, 0)) bad64 = N - n + i;
                }
                /* a result depends on its input only, not on its place;
                 * except in SLEEF's f32 sin and cos, which choose the
                 * argument reduction for a whole vector from its largest
                 * lane (within their 1 ulp either way) */
                static float full[N];
                sets[s]->map[m->k].f32(N, full, xf, m->p);
                bool whole_vector = m->k == TG_KM_sin || m->k == TG_KM_cos;
                for (int i = 0; i < n && !whole_vector; i++)
                    if (memcmp(&full[N - n + i], &yf[i], sizeof(float))) badpos = N - n + i;
            }
            if (bad32 >= 0 || bad64 >= 0 || badpos >= 0)
                fprintf(stderr, "%s %s: differs from the reference at f32 x = %.9g, "
                        "f64 x = %.17g; depends on its position at x = %.9g\n",
                        sets[s]->name, m->name, bad32 >= 0 ? xf[bad32] : 0,
                        bad64 >= 0 ? xd[bad64] : 0, badpos >= 0 ? xf[badpos] : 0);
            TT_CHECK(bad32 < 0);
            TT_CHECK(bad64 < 0);
            TT_CHECK(badpos < 0);
        }
}

static void binaries_vs_reference(void)
{
    const tg_kernel_set *sets[TG_ISA_COUNT], *ref = &tg__kernels_ref;
    int ns = vector_sets(sets);
    static float yf[N], rf[N], af[N];
    static double yd[N], rd[N], ad[N];
    for (int i = 0; i < N; i++) { /* pow: positive bases, moderate exponents */
        ad[i] = fabs(gd[i]) + 0.25;
        af[i] = (float)ad[i];
    }
    static const int64_t strides[][2] = {{1, 1}, {0, 1}, {1, 0}};
    for (int s = 0; s < ns; s++)
        for (int c = 0; c < NBINS; c++) {
            const bcase *b = &bins[c];
            const float *a32 = b->k == TG_KB_pow ? af : gf;
            const double *a64 = b->k == TG_KB_pow ? ad : gd;
            const float *x32 = b->k == TG_KB_pow ? gf : xf;
            const double *x64 = b->k == TG_KB_pow ? gd : xd;
            int bad = 0;
            for (int st = 0; st < 3; st++)
                for (int l = 0; l < NLENS; l++) {
                    int n = lens[l];
                    int64_t sa = strides[st][0], sb = strides[st][1];
                    sets[s]->bin[b->k].f32(n, yf, a32, sa, x32, sb, b->p);
                    ref->bin[b->k].f32(n, rf, a32, sa, x32, sb, b->p);
                    sets[s]->bin[b->k].f64(n, yd, a64, sa, x64, sb, b->p);
                    ref->bin[b->k].f64(n, rd, a64, sa, x64, sb, b->p);
                    for (int i = 0; i < n; i++) {
                        double fl32 = b->floor * fabs(a32[i * sa]), fl64 = b->floor * fabs(a64[i * sa]);
                        if (!close(yf[i], rf[i], 5e-7, fl32) || !close(yd[i], rd[i], 1e-13, fl64)) {
                            if (!bad)
                                fprintf(stderr, "%s %s (strides %lld %lld, n %d) at %d: f32 %.9g vs %.9g, f64 %.17g vs %.17g\n",
                                        sets[s]->name, b->name, (long long)sa, (long long)sb, n, i,
                                        yf[i], rf[i], yd[i], rd[i]);
                            bad++;
                        }
                    }
                }
            TT_CHECK(bad == 0);
        }
}

static void row_kernels(void)
{
    const tg_kernel_set *sets[TG_ISA_COUNT], *ref = &tg__kernels_ref;
    int ns = vector_sets(sets);
    static float yf[N], rf[N];
    static double yd[N], rd[N];
    for (int s = 0; s < ns; s++)
        for (int n = 1; n <= N; n += n < 20 ? 1 : 101) {
            float mf = sets[s]->row_max_f32(n, xf);
            double md = sets[s]->row_max_f64(n, xd);
            TT_CHECK(mf == ref->row_max_f32(n, xf));
            TT_CHECK(md == ref->row_max_f64(n, xd));
            double sf = sets[s]->row_expsum_f32(n, yf, xf, mf);
            double sd = sets[s]->row_expsum_f64(n, yd, xd, md);
            double tf = ref->row_expsum_f32(n, rf, xf, mf);
            double td = ref->row_expsum_f64(n, rd, xd, md);
            TT_CHECK(close(sf, tf, 1e-6, 0));
            TT_CHECK(close(sd, td, 1e-13, 0));
            bool ok = sets[s]->row_expsum_f32(n, NULL, xf, mf) == sf;
            for (int i = 0; i < n; i++)
                ok &= close(yf[i], rf[i], 5e-7, 0) && close(yd[i], rd[i], 1e-13, 0);
            TT_CHECK(ok);
        }
    /* the reference itself: max of {1, 3, 2} is 3; sum e^(x - 3) */
    const double v[] = {1, 3, 2};
    double e[3];
    TT_CHECK(ref->row_max_f64(3, v) == 3);
    TT_NEAR(ref->row_expsum_f64(3, e, v, 3), exp(-2.0) + 1 + exp(-1.0), 1e-15);
    TT_NEAR(e[0], exp(-2.0), 1e-17);
}

static void outer_product(void)
{
    const tg_kernel_set *sets[TG_ISA_COUNT], *ref = &tg__kernels_ref;
    int ns = vector_sets(sets);
    enum { M = 7, NN = 37 };
    static float cf[M * NN], rf[M * NN];
    static double cd[M * NN], rd[M * NN];
    for (int s = 0; s < ns; s++)
        for (int beta = 0; beta < 2; beta++) {
            for (int i = 0; i < M * NN; i++) cf[i] = rf[i] = (float)(cd[i] = rd[i] = gd[i]);
            sets[s]->outer_f32(M, NN, xf, gf, beta * 0.5f, cf);
            ref->outer_f32(M, NN, xf, gf, beta * 0.5f, rf);
            sets[s]->outer_f64(M, NN, xd, gd, beta * 0.5, cd);
            ref->outer_f64(M, NN, xd, gd, beta * 0.5, rd);
            bool ok = true;
            for (int i = 0; i < M * NN; i++)
                ok &= close(cf[i], rf[i], 1e-6, 1e-30) && close(cd[i], rd[i], 1e-14, 1e-300);
            TT_CHECK(ok);
        }
    /* the reference: [1, 2] [3, 4, 5]^T + 0.5 C */
    double a[2] = {1, 2}, b[3] = {3, 4, 5}, c[6] = {2, 2, 2, 2, 2, 2};
    ref->outer_f64(2, 3, a, b, 0.5, c);
    TT_CHECK(c[0] == 4 && c[2] == 6 && c[3] == 7 && c[5] == 11);
}

/* vecmat (y = x W) and matvec (y = W x) of every set, the references
 * included, against long double: sizes that take every panel (16, 4 and
 * 1 vectors at each width) and tail, rows ldw > N apart with NaN in the
 * gap (never read), beta 0 over NaN (never read) and beta 0.5. The bound
 * scales with sum |x w| as in tests/test_gemm.c. */
static bool mv_case(const tg_kernel_set *ks, bool vm, int64_t K, int64_t N,
                    double beta)
{
    /* vm: y[N] = x[K] W[K,N]; else y[K] = W[K,N] x[N] */
    int64_t ld = N + 3, ny = vm ? N : K, nx = vm ? K : N;
    float *Wf = malloc(sizeof(float) * (size_t)(K * ld));
    double *Wd = malloc(sizeof(double) * (size_t)(K * ld));
    float *yf = malloc(sizeof(float) * (size_t)ny), xf1[512];
    double *yd = malloc(sizeof(double) * (size_t)ny), xd1[512];
    bool ok = Wf && Wd && yf && yd && nx <= 512;
    for (int64_t k = 0; ok && k < K; k++)
        for (int64_t j = 0; j < ld; j++) {
            double v = j < N ? gd[(k * 7 + j * 3) % N] : NAN;
            Wd[k * ld + j] = v;
            Wf[k * ld + j] = (float)v;
        }
    for (int64_t i = 0; ok && i < nx; i++) {
        xd1[i] = xd[(i * 5 + 20) % N];
        xf1[i] = (float)xd1[i];
    }
    double y0 = beta == 0 ? NAN : 1.25;
    for (int64_t i = 0; ok && i < ny; i++) yf[i] = (float)(yd[i] = y0 * (double)(i % 5 - 2));
    if (ok) {
        if (vm) {
            ks->vecmat_f32(K, N, yf, xf1, Wf, ld, (float)beta);
            ks->vecmat_f64(K, N, yd, xd1, Wd, ld, beta);
        } else {
            ks->matvec_f32(K, N, yf, Wf, ld, xf1, (float)beta);
            ks->matvec_f64(K, N, yd, Wd, ld, xd1, beta);
        }
    }
    double worst32 = 0, worst64 = 0;
    for (int64_t i = 0; ok && i < ny; i++) {
        long double s32 = 0, s64 = 0, b32 = 0, b64 = 0;
        int64_t n = vm ? K : N;
        for (int64_t t = 0; t < n; t++) {
            int64_t at = vm ? t * ld + i : i * ld + t;
            long double p32 = (long double)xf1[t] * Wf[at];
            long double p64 = (long double)xd1[t] * Wd[at];
            s32 += p32, b32 += fabsl(p32);
            s64 += p64, b64 += fabsl(p64);
        }
        if (beta != 0) {
            long double c = (long double)beta * (1.25 * (double)(i % 5 - 2));
            s32 += c, s64 += c, b32 += fabsl(c), b64 += fabsl(c);
        }
        double e32 = (double)(fabsl((long double)yf[i] - s32) / (b32 + 1e-300L));
        double e64 = (double)(fabsl((long double)yd[i] - s64) / (b64 + 1e-300L));
        if (!(e32 <= worst32)) worst32 = isnan(e32) ? INFINITY : e32;
        if (!(e64 <= worst64)) worst64 = isnan(e64) ? INFINITY : e64;
    }
    double k = (double)(vm ? K : N) + 2;
    ok = ok && worst32 <= 4e-7 * k && worst64 <= 4e-16 * k;
    if (!ok)
        fprintf(stderr, "  %s %s K=%lld N=%lld beta=%g: worst %g (f32) %g (f64)\n",
                ks->name, vm ? "vecmat" : "matvec", (long long)K, (long long)N,
                beta, worst32, worst64);
    free(Wf), free(Wd), free(yf), free(yd);
    return ok;
}

static void matrix_vector(void)
{
    const tg_kernel_set *sets[TG_ISA_COUNT + 1];
    int ns = vector_sets(sets);
    sets[ns++] = &tg__kernels_ref;
    static const int64_t ks[] = {1, 3, 37, 200};
    static const int64_t ns_[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33,
                                  63, 64, 65, 127, 129, 255, 256, 257, 300, 511};
    for (int s = 0; s < ns; s++)
        for (size_t a = 0; a < sizeof ks / sizeof ks[0]; a++)
            for (size_t b = 0; b < sizeof ns_ / sizeof ns_[0]; b++)
                for (int beta = 0; beta < 2; beta++) {
                    TT_CHECK(mv_case(sets[s], true, ks[a], ns_[b], beta * 0.5));
                    TT_CHECK(mv_case(sets[s], false, ns_[b], ks[a] + 2, beta * 0.5));
                    TT_CHECK(mv_case(sets[s], false, ks[a], ns_[b], beta * 0.5));
                }
    /* the references: [1, 2] [[1, 2, 3], [4, 5, 6]] = [9, 12, 15], and
     * [[1, 2, 3], [4, 5, 6]] [1, 0, -1] + 0.5 [2, 2] = [-1, -1] */
    const tg_kernel_set *r = &tg__kernels_ref;
    double W[6] = {1, 2, 3, 4, 5, 6}, x[3] = {1, 2, 0}, y[3], v[3] = {1, 0, -1},
           z[2] = {2, 2};
    r->vecmat_f64(2, 3, y, x, W, 3, 0);
    TT_CHECK(y[0] == 9 && y[1] == 12 && y[2] == 15);
    r->matvec_f64(2, 3, z, W, 3, v, 0.5);
    TT_CHECK(z[0] == -1 && z[1] == -1);
}

/* One step of every method, vector set against reference, on copies of
 * the same state; lengths with tails, zeroing on and off. */
static void optimizer_rules(void)
{
    const tg_kernel_set *sets[TG_ISA_COUNT], *ref = &tg__kernels_ref;
    int ns = vector_sets(sets);
    enum { L = 103 };
    static float w32[2][L], m32[2][L], v32[2][L], g32[2][L];
    static double w64[2][L], m64[2][L], v64[2][L], g64[2][L];
    /* sgd, momentum, nesterov, adam, adamw-style decay, rmsprop, rmsprop
     * with momentum */
    static const struct {
        int method, nesterov, rms_m;
        double decay, wd;
    } cfg[] = {{TG_OPT_SGD, 0, 0, 1, 0.01}, {TG_OPT_MOMENTUM, 0, 0, 1, 0.01},
               {TG_OPT_MOMENTUM, 1, 0, 1, 0}, {TG_OPT_ADAM, 0, 0, 1, 0.01},
               {TG_OPT_ADAM, 0, 0, 0.999, 0}, {TG_OPT_RMSPROP, 0, 0, 1, 0.01},
               {TG_OPT_RMSPROP, 0, 1, 1, 0}};
    for (int s = 0; s < ns; s++)
        for (int c = 0; c < (int)(sizeof cfg / sizeof cfg[0]); c++)
            for (int zg = 0; zg < 2; zg++) {
                for (int k = 0; k < 2; k++)
                    for (int i = 0; i < L; i++) {
                        w64[k][i] = xd[i + 20] * 0.1, w32[k][i] = (float)w64[k][i];
                        g64[k][i] = gd[i], g32[k][i] = (float)g64[k][i];
                        m64[k][i] = gd[i + 200] * 0.1, m32[k][i] = (float)m64[k][i];
                        v64[k][i] = fabs(gd[i + 400]), v32[k][i] = (float)v64[k][i];
                    }
                tg_optim_args a = {.zero_g = zg, .lr = 0.05, .wd = cfg[c].wd,
                                   .beta = 0.9, .nesterov = cfg[c].nesterov,
                                   .decay = cfg[c].decay, .b1 = 0.9, .b2 = 0.999,
                                   .ss = 0.05 / (1 - 0.9), .rbc2 = 1 / sqrt(1 - 0.999),
                                   .eps = 1e-8, .alpha = 0.99};
                int meth = cfg[c].method;
                bool ok = true;
                for (int k = 0; k < 2; k++) { /* 0: vector, 1: reference */
                    const tg_kernel_set *ks = k ? ref : sets[s];
                    tg_optim_args b = a;
                    b.w = w32[k], b.g = g32[k], b.v = v32[k];
                    b.m = meth == TG_OPT_RMSPROP && !cfg[c].rms_m ? NULL : m32[k];
                    ks->optim_f32[meth](0, L, &b);
                    b.w = w64[k], b.g = g64[k], b.v = v64[k];
                    b.m = meth == TG_OPT_RMSPROP && !cfg[c].rms_m ? NULL : m64[k];
                    ks->optim_f64[meth](0, L, &b);
                }
                for (int i = 0; i < L; i++) {
                    ok &= close(w32[0][i], w32[1][i], 2e-6, 1e-6) && close(m32[0][i], m32[1][i], 2e-6, 1e-6) &&
                          close(v32[0][i], v32[1][i], 2e-6, 1e-6) && g32[0][i] == g32[1][i];
                    ok &= close(w64[0][i], w64[1][i], 1e-14, 1e-14) && close(m64[0][i], m64[1][i], 1e-14, 1e-14) &&
                          close(v64[0][i], v64[1][i], 1e-14, 1e-14) && g64[0][i] == g64[1][i];
                    ok &= zg ? g32[0][i] == 0 : g32[0][i] == (float)gd[i];
                }
                if (!ok) fprintf(stderr, "%s: method %d (config %d), zero_g %d differs\n", sets[s]->name, meth, c, zg);
                TT_CHECK(ok);
            }
    /* the reference: SGD with weight decay, w = 1, g = 2: w - 0.1 (2 + 0.5) */
    double w = 1, g = 2;
    tg_optim_args a = {.w = &w, .g = &g, .lr = 0.1, .wd = 0.5};
    ref->optim_f64[TG_OPT_SGD](0, 1, &a);
    TT_NEAR(w, 0.75, 1e-15);
}

/* hand-derived values of the references */
static void reference_values(void)
{
    const tg_kernel_set *r = &tg__kernels_ref;
    double x[4] = {-2, 0, 0.5, 3}, y[4], g[4] = {1, 1, 2, 1};
    tg_kp p0 = {0, 0, 0};
    r->map[TG_KM_sigmoid].f64(4, y, x, p0);
    TT_NEAR(y[1], 0.5, 0);
    TT_NEAR(y[3], 1 / (1 + exp(-3.0)), 2e-16);
    r->map[TG_KM_relu].f64(4, y, x, p0);
    TT_CHECK(y[0] == 0 && y[2] == 0.5);
    r->map[TG_KM_clamp].f64(4, y, x, (tg_kp){-1, 1, 0});
    TT_CHECK(y[0] == -1 && y[3] == 1 && y[2] == 0.5);
    r->map[TG_KM_elu].f64(4, y, x, (tg_kp){2, 0, 0});
    TT_NEAR(y[0], 2 * expm1(-2.0), 1e-15);
    r->bin[TG_KB_tanh_backward].f64(4, y, g, 1, x, 1, p0); /* g (1 - y^2) */
    TT_NEAR(y[2], 2 * 0.75, 0);
    r->bin[TG_KB_wmax].f64(4, y, x, 1, g, 1, p0); /* x vs 1: 0, 0, 0, 1 */
    TT_CHECK(y[0] == 0 && y[3] == 1);
    float xf1 = 0.5f, yf1;
    r->map[TG_KM_gelu].f32(1, &yf1, &xf1, p0);
    TT_NEAR(yf1, 0.5 * 0.5 * erfc(-0.5 / sqrt(2.0)), 1e-7);
}

static void setup(void) { make_inputs(); }

TT_RUN(TT(setup), TT(reference_values), TT(maps_vs_reference),
       TT(binaries_vs_reference), TT(row_kernels), TT(outer_product),
       TT(matrix_vector), TT(optimizer_rules))
