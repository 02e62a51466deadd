/* Convolution family: values against direct nested loops in long double
 * (f64 and f32, over strides, paddings, dilations, groups and odd sizes),
 * gradient checks in f64 with second derivatives, empty batches, the
 * threaded path, and the error messages by text. Every f32 value case and
 * the first and second derivatives of every gradient case run through
 * both kernels (im2col + GEMM, and oneDNN's primitives where the build has
 * them), each against the long-double reference. */
#include <omp.h>

#include "array_util.h"
#include "ops/conv_dnnl.h"

/* ----------------------------------------------------------- reference */

/* One configuration, in the user's terms. rank 1 uses index 0 of every
 * pair and H = kH = 1. */
typedef struct cfg {
    int rank;
    int64_t N, C, O, H, W, kh, kw;
    tg_conv_opts o;
    bool bias;
} cfg;

static int64_t dv(int64_t v) { return v ? v : 1; }

typedef struct geo {
    int64_t sh, sw, dh, dw, pt, pb, pl, pr, G;
} geo;

static geo geo_of(const cfg *c)
{
    geo q;
    int h = 0, w = c->rank == 2 ? 1 : 0;
    q.G = dv(c->o.groups);
    q.sh = c->rank == 2 ? dv(c->o.stride[h]) : 1;
    q.sw = dv(c->o.stride[w]);
    q.dh = c->rank == 2 ? dv(c->o.dilation[h]) : 1;
    q.dw = dv(c->o.dilation[w]);
    q.pt = q.pb = c->rank == 2 ? c->o.padding[h] : 0;
    q.pl = q.pr = c->o.padding[w];
    if (c->o.padding_mode == TG_PAD_SAME) {
        int64_t th = q.dh * (c->kh - 1), tw = q.dw * (c->kw - 1);
        q.pt = th / 2, q.pb = th - th / 2, q.pl = tw / 2, q.pr = tw - tw / 2;
    } else if (c->o.padding_mode == TG_PAD_VALID) {
        q.pt = q.pb = q.pl = q.pr = 0;
    }
    return q;
}

static int64_t out_size(int64_t H, int64_t a, int64_t b, int64_t d,
                        int64_t k, int64_t s)
{
    int64_t t = H + a + b - d * (k - 1) - 1;
    return t < 0 ? 0 : t / s + 1;
}

/* y[n,o,p,q] = b[o] + sum w[o,c,i,j] x[n,g Cg + c, p sh - pt + i dh, ...] */
static void ref_conv(const cfg *c, long double *y, int64_t P, int64_t Q,
                     const double *x, const double *w, const double *b)
{
    geo q = geo_of(c);
    int64_t Cg = c->C / q.G, Og = c->O / q.G;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t o = 0; o < c->O; o++)
            for (int64_t p = 0; p < P; p++)
                for (int64_t r = 0; r < Q; r++) {
                    long double s = b ? b[o] : 0;
                    int64_t g = o / Og;
                    for (int64_t ci = 0; ci < Cg; ci++)
                        for (int64_t i = 0; i < c->kh; i++)
                            for (int64_t j = 0; j < c->kw; j++) {
                                int64_t h = p * q.sh - q.pt + i * q.dh;
                                int64_t v = r * q.sw - q.pl + j * q.dw;
                                if (h < 0 || h >= c->H || v < 0 || v >= c->W)
                                    continue;
                                s += (long double)w[((o * Cg + ci) * c->kh +
                                                     i) * c->kw + j] *
                                     x[((n * c->C + g * Cg + ci) * c->H + h) *
                                           c->W + v];
                            }
                    y[((n * c->O + o) * P + p) * Q + r] = s;
                }
}

/* Transposed: x [N, Ci, H, W] (Ci = c->C), w [Ci, Co/G, kh, kw],
 * y [N, Co, Ho, Wo]: each input tap scattered. */
static void ref_convt(const cfg *c, long double *y, int64_t Ho, int64_t Wo,
                      const double *x, const double *w, const double *b)
{
    geo q = geo_of(c);
    int64_t Ci = c->C, Co = c->O, Cig = Ci / q.G, Cog = Co / q.G;
    for (int64_t k = 0; k < c->N * Co * Ho * Wo; k++)
        y[k] = b ? b[(k / (Ho * Wo)) % Co] : 0;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t ci = 0; ci < Ci; ci++)
            for (int64_t h = 0; h < c->H; h++)
                for (int64_t v = 0; v < c->W; v++) {
                    int64_t g = ci / Cig;
                    long double xv = x[((n * Ci + ci) * c->H + h) * c->W + v];
                    for (int64_t co = 0; co < Cog; co++)
                        for (int64_t i = 0; i < c->kh; i++)
                            for (int64_t j = 0; j < c->kw; j++) {
                                int64_t oh = h * q.sh - q.pt + i * q.dh;
                                int64_t ow = v * q.sw - q.pl + j * q.dw;
                                if (oh < 0 || oh >= Ho || ow < 0 || ow >= Wo)
                                    continue;
                                y[((n * Co + g * Cog + co) * Ho + oh) * Wo +
                                  ow] +=
                                    xv * w[((ci * Cog + co) * c->kh + i) *
                                               c->kw + j];
                            }
                }
}

static double *randv(int64_t n, unsigned *seed)
{
    double *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    for (int64_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        v[i] = ((*seed >> 8) & 0xffff) / 32768.0 - 1.0;
    }
    return v;
}

static int64_t prod(int nd, const int64_t *s)
{
    int64_t p = 1;
    for (int i = 0; i < nd; i++) p *= s[i];
    return p;
}

static void shape4(int rank, int64_t *s, int64_t a, int64_t b, int64_t h,
                   int64_t w)
{
    s[0] = a, s[1] = b;
    if (rank == 2) s[2] = h, s[3] = w;
    else s[2] = w;
}

/* Compare one configuration (forward, both dtypes) with the reference. */
static void value_case(const cfg *c, bool transposed)
{
    geo q = geo_of(c);
    int nd = c->rank + 2;
    int64_t xs[4], ws[4], ys[4];
    int64_t P, Q;
    if (!transposed) {
        P = out_size(c->H, q.pt, q.pb, q.dh, c->kh, q.sh);
        Q = out_size(c->W, q.pl, q.pr, q.dw, c->kw, q.sw);
        shape4(c->rank, ws, c->O, c->C / q.G, c->kh, c->kw);
    } else {
        int oh = 0, ow = c->rank == 2 ? 1 : 0;
        P = (c->H - 1) * q.sh - 2 * q.pt + q.dh * (c->kh - 1) +
            (c->rank == 2 ? c->o.output_padding[oh] : 0) + 1;
        Q = (c->W - 1) * q.sw - 2 * q.pl + q.dw * (c->kw - 1) +
            c->o.output_padding[ow] + 1;
        shape4(c->rank, ws, c->C, c->O / q.G, c->kh, c->kw);
    }
    shape4(c->rank, xs, c->N, c->C, c->H, c->W);
    shape4(c->rank, ys, c->N, c->O, P, Q);
    unsigned seed = 7;
    double *x = randv(prod(nd, xs), &seed), *w = randv(prod(nd, ws), &seed);
    double *b = randv(c->O, &seed);
    int64_t ny = prod(nd, ys);
    long double *ref = malloc((size_t)(ny ? ny : 1) * sizeof *ref);
    if (transposed) ref_convt(c, ref, P, Q, x, w, c->bias ? b : NULL);
    else ref_conv(c, ref, P, Q, x, w, c->bias ? b : NULL);
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_graph *g = tg_graph_new();
        tg_tensor *tx = ta_in(g, dt, nd, xs, x, false);
        tg_tensor *tw = ta_in(g, dt, nd, ws, w, false);
        int64_t bs[1] = {c->O};
        tg_tensor *tb = c->bias ? ta_in(g, dt, 1, bs, b, false) : NULL;
        tg_tensor *y;
        if (transposed)
            y = c->rank == 2 ? tg_conv_transpose2d(tx, tw, tb, &c->o)
                             : tg_conv_transpose1d(tx, tw, tb, &c->o);
        else
            y = c->rank == 2 ? tg_conv2d(tx, tw, tb, &c->o)
                             : tg_conv1d(tx, tw, tb, &c->o);
        if (tg_graph_error(g)) fprintf(stderr, "  %s\n", tg_graph_error(g));
        TT_CHECK(tg_graph_error(g) == NULL);
        TT_CHECK(y->ndim == nd);
        for (int i = 0; i < nd && i < y->ndim; i++)
            TT_CHECK(y->shape[i] == ys[i]);
        if (y->numel == ny) {
            double worst = 0;
            for (int64_t i = 0; i < ny; i++) {
                double e = fabs(tg_get(y, i) - (double)ref[i]) /
                           (1 + fabsl(ref[i]));
                if (e > worst) worst = e;
            }
            double tol = d ? 1e-13 : 2e-6;
            if (worst > tol)
                fprintf(stderr, "  %s %s: worst error %g\n",
                        transposed ? "transposed" : "conv", d ? "f64" : "f32",
                        worst);
            TT_CHECK(worst <= tol);
        }
        tg_graph_free(g);
    }
    free(x), free(w), free(b), free(ref);
}

#define O2(...) ((tg_conv_opts){__VA_ARGS__})

static const cfg conv_cases[] = {
    {2, 2, 3, 4, 5, 6, 3, 3, O2(.groups = 1), true},
    {2, 2, 3, 4, 7, 5, 3, 2, O2(.stride = {2, 3}, .padding = {1, 2}), true},
    {2, 1, 4, 6, 9, 8, 3, 3, O2(.dilation = {2, 3}, .padding = {2, 1}), false},
    {2, 2, 4, 6, 6, 7, 3, 3, O2(.groups = 2, .stride = {2, 1}), true},
    {2, 2, 6, 6, 5, 5, 3, 3, O2(.groups = 6, .padding = {1, 1}), true},
    {2, 3, 3, 2, 6, 5, 4, 2, O2(.padding_mode = TG_PAD_SAME), true},
    {2, 2, 3, 2, 6, 5, 3, 4,
     O2(.padding_mode = TG_PAD_SAME, .dilation = {2, 3}), false},
    {2, 2, 3, 2, 6, 5, 3, 3, O2(.padding_mode = TG_PAD_VALID), true},
    {2, 3, 5, 4, 4, 6, 1, 1, O2(.groups = 1), true},               /* direct 1x1 */
    {2, 2, 5, 4, 7, 6, 1, 1, O2(.stride = {2, 2}), false},
    {2, 4, 8, 16, 12, 12, 3, 3, O2(.padding = {1, 1}), true}, /* team */
    {1, 2, 3, 4, 1, 11, 1, 3, O2(.stride = {2}, .padding = {1}), true},
    {1, 2, 4, 2, 1, 9, 1, 2, O2(.dilation = {3}, .groups = 2), false},
    {1, 1, 3, 3, 1, 8, 1, 4, O2(.padding_mode = TG_PAD_SAME), true},
};

static const cfg convt_cases[] = {
    {2, 2, 3, 4, 4, 5, 3, 3, O2(.groups = 1), true},
    {2, 2, 3, 4, 4, 3, 3, 2,
     O2(.stride = {2, 3}, .padding = {1, 0}, .output_padding = {1, 2}), true},
    {2, 1, 4, 6, 3, 4, 3, 3, O2(.dilation = {2, 2}, .padding = {1, 2}), false},
    {2, 2, 4, 6, 5, 4, 2, 3,
     O2(.groups = 2, .stride = {2, 2}, .output_padding = {1, 0}), true},
    {2, 2, 4, 4, 3, 3, 1, 1, O2(.groups = 1), true},               /* direct 1x1 */
    {2, 4, 16, 8, 6, 6, 4, 4, O2(.stride = {2, 2}, .padding = {1, 1}), true},
    {1, 2, 3, 4, 1, 6, 1, 3, O2(.stride = {2}, .output_padding = {1}), true},
};

static void t_values(void)
{
    for (size_t i = 0; i < sizeof conv_cases / sizeof *conv_cases; i++)
        value_case(&conv_cases[i], false);
    for (size_t i = 0; i < sizeof convt_cases / sizeof *convt_cases; i++)
        value_case(&convt_cases[i], true);
}

/* The kernels a test can force (ops/conv_dnnl.h): im2col always, oneDNN
 * where the build has it. */
static int n_paths(void) { return tg__conv_dnnl_available() ? 2 : 1; }
static tg_conv_path path_at(int i)
{
    return i ? TG_CONV_PATH_ONEDNN : TG_CONV_PATH_IM2COL;
}
static int64_t dnnl_calls(void)
{
    return tg__conv_dnnl_calls(TG_CONV_FWD) +
           tg__conv_dnnl_calls(TG_CONV_BWD_DATA) +
           tg__conv_dnnl_calls(TG_CONV_BWD_WEIGHTS);
}

/* The value cases through each kernel: with oneDNN forced, each f32 case
 * is one oneDNN call and none falls back. */
static void t_values_paths(void)
{
    tg_conv_path saved = tg__conv_get_path();
    size_t nc = sizeof conv_cases / sizeof *conv_cases;
    size_t nt = sizeof convt_cases / sizeof *convt_cases;
    for (int p = 0; p < n_paths(); p++) {
        tg__conv_set_path(path_at(p));
        int64_t c0 = dnnl_calls(), f0 = tg__conv_dnnl_failures();
        for (size_t i = 0; i < nc; i++) value_case(&conv_cases[i], false);
        for (size_t i = 0; i < nt; i++) value_case(&convt_cases[i], true);
        int64_t calls = dnnl_calls() - c0, fails = tg__conv_dnnl_failures() - f0;
        if (p == 1 && (calls != (int64_t)(nc + nt) || fails))
            fprintf(stderr, "  oneDNN: %lld calls, %lld fell back\n",
                    (long long)calls, (long long)fails);
        TT_CHECK(calls == (p ? (int64_t)(nc + nt) : 0));
        TT_CHECK(fails == 0);
    }
    tg__conv_set_path(saved);
}

/* Hand-derived: a 3x3 box filter on a 3x3 ramp with padding 1. */
static void t_hand(void)
{
    tg_graph *g = tg_graph_new();
    double xv[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, wv[9];
    for (int i = 0; i < 9; i++) wv[i] = 1;
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(1, 1, 3, 3), xv);
    tg_tensor *w = tg_input(g, TG_F64, TG_SHAPE(1, 1, 3, 3), wv);
    tg_tensor *y = tg_conv2d(x, w, NULL, &O2(.padding = {1, 1}));
    double want[9] = {12, 21, 16, 27, 45, 33, 24, 39, 28};
    TT_CHECK(y->numel == 9);
    for (int i = 0; i < 9 && i < y->numel; i++) TT_NEAR(tg_get(y, i), want[i], 0);
    tg_graph_free(g);
}

/* ----------------------------------------------------- gradient checks */

static tg_tensor *f_conv(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g;
    const cfg *c = ud;
    tg_tensor *b = n > 2 ? in[2] : NULL;
    return c->rank == 2 ? tg_conv2d(in[0], in[1], b, &c->o)
                        : tg_conv1d(in[0], in[1], b, &c->o);
}

static tg_tensor *f_convt(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g;
    const cfg *c = ud;
    tg_tensor *b = n > 2 ? in[2] : NULL;
    return c->rank == 2 ? tg_conv_transpose2d(in[0], in[1], b, &c->o)
                        : tg_conv_transpose1d(in[0], in[1], b, &c->o);
}

static tg_tensor *f_convw(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n;
    const cfg *c = ud;
    return c->rank == 2 ? tg_conv2d_weight(in[0], in[1], c->kh, c->kw, &c->o)
                        : tg_conv1d_weight(in[0], in[1], c->kw, &c->o);
}

static void grad_case(const cfg *c, int kind)
{
    geo q = geo_of(c);
    tg_check_arg a[3];
    int nd = c->rank + 2, na = 2;
    int64_t xs[4], ws[4], ys[4];
    shape4(c->rank, xs, c->N, c->C, c->H, c->W);
    if (kind == 1) shape4(c->rank, ws, c->C, c->O / q.G, c->kh, c->kw);
    else shape4(c->rank, ws, c->O, c->C / q.G, c->kh, c->kw);
    a[0] = ta_arg("x", nd, xs, NULL, false);
    if (kind == 2) { /* conv_weight(x, gy): gy of the conv's output size */
        int64_t P = out_size(c->H, q.pt, q.pb, q.dh, c->kh, q.sh);
        int64_t Q = out_size(c->W, q.pl, q.pr, q.dw, c->kw, q.sw);
        shape4(c->rank, ys, c->N, c->O, P, Q);
        a[1] = ta_arg("gy", nd, ys, NULL, false);
    } else {
        a[1] = ta_arg("w", nd, ws, NULL, false);
    }
    int64_t bs[1] = {c->O};
    if (kind != 2 && c->bias) a[na++] = ta_arg("b", 1, bs, NULL, false);
    ta_check(kind == 0 ? "conv" : kind == 1 ? "conv_transpose" : "conv_weight",
             kind == 0 ? f_conv : kind == 1 ? f_convt : f_convw, (void *)c,
             na, a, true);
}

static const cfg grad_cases[] = {
    {2, 2, 3, 2, 5, 4, 3, 2, O2(.padding = {1, 0}), true},
    {2, 1, 2, 3, 7, 6, 3, 3, O2(.stride = {2, 3}, .padding = {1, 2}), true},
    {2, 2, 2, 2, 7, 7, 2, 3, O2(.dilation = {2, 2}, .padding = {1, 1}), false},
    {2, 1, 4, 2, 5, 5, 3, 3, O2(.groups = 2, .stride = {2, 2}), true},
    {2, 2, 3, 3, 4, 5, 3, 3, O2(.groups = 3, .padding = {1, 1}), true},
    {2, 1, 2, 2, 4, 5, 2, 2, O2(.padding_mode = TG_PAD_SAME), true},
    {2, 2, 2, 3, 3, 3, 1, 1, O2(.groups = 1), true},
    {1, 2, 2, 3, 1, 9, 1, 3, O2(.stride = {2}, .padding = {1}), true},
    {1, 1, 2, 2, 1, 8, 1, 2, O2(.dilation = {2}, .groups = 2), true},
};

static const cfg gradt_cases[] = {
    {2, 2, 2, 3, 3, 4, 3, 2, O2(.padding = {1, 0}), true},
    {2, 1, 2, 2, 3, 3, 3, 3,
     O2(.stride = {2, 3}, .padding = {1, 1}, .output_padding = {1, 2}), true},
    {2, 1, 4, 2, 3, 3, 2, 2, O2(.groups = 2, .dilation = {2, 1}), false},
    {1, 2, 2, 3, 1, 5, 1, 3, O2(.stride = {2}, .output_padding = {1}), true},
};

static void t_grad(void)
{
    for (size_t i = 0; i < sizeof grad_cases / sizeof *grad_cases; i++) {
        grad_case(&grad_cases[i], 0);
        grad_case(&grad_cases[i], 2);
    }
    for (size_t i = 0; i < sizeof gradt_cases / sizeof *gradt_cases; i++)
        grad_case(&gradt_cases[i], 1);
}

/* ------------------------------------ derivatives through both kernels */

/* A convolution's geometry in the image / weight / column terms of
 * ops/conv.c: image [N, C, H, W], weight [O, C / G, KH, KW], columns
 * [N, O, P, Q]. */
typedef struct tgeo {
    int64_t N, C, H, W, O, P, Q, G, KH, KW, sh, sw, dh, dw, pt, pl;
} tgeo;

/* All three ops are derivatives of one trilinear form over the taps,
 * T(img, w, col) = sum img[x] w[k] col[y]; out = dT/d(slot) given the
 * other two (slot 0 image, 1 weight, 2 columns), in long double. */
static void tri(const tgeo *q, int slot, long double *out, int64_t nout,
                const double *img, const double *w, const double *col)
{
    int64_t Cg = q->C / q->G, Og = q->O / q->G;
    for (int64_t k = 0; k < nout; k++) out[k] = 0;
    for (int64_t n = 0; n < q->N; n++)
        for (int64_t o = 0; o < q->O; o++)
            for (int64_t p = 0; p < q->P; p++)
                for (int64_t r = 0; r < q->Q; r++)
                    for (int64_t ci = 0; ci < Cg; ci++)
                        for (int64_t i = 0; i < q->KH; i++)
                            for (int64_t j = 0; j < q->KW; j++) {
                                int64_t h = p * q->sh - q->pt + i * q->dh;
                                int64_t v = r * q->sw - q->pl + j * q->dw;
                                if (h < 0 || h >= q->H || v < 0 || v >= q->W)
                                    continue;
                                int64_t c = o / Og * Cg + ci;
                                int64_t xi = ((n * q->C + c) * q->H + h) *
                                                 q->W + v;
                                int64_t wi = ((o * Cg + ci) * q->KH + i) *
                                                 q->KW + j;
                                int64_t yi = ((n * q->O + o) * q->P + p) *
                                                 q->Q + r;
                                if (slot == 0)
                                    out[xi] += (long double)w[wi] * col[yi];
                                else if (slot == 1)
                                    out[wi] += (long double)img[xi] * col[yi];
                                else
                                    out[yi] += (long double)img[xi] * w[wi];
                            }
}

/* db of sum(r * (... + b)): r summed over all but the channel axis */
static void bias_ref(long double *db, const double *r, int64_t N, int64_t C,
                     int64_t HW)
{
    for (int64_t c = 0; c < C; c++) db[c] = 0;
    for (int64_t k = 0; k < N * C * HW; k++) db[(k / HW) % C] += r[k];
}

static double worst_err(const tg_tensor *t, const long double *ref,
                        int64_t n)
{
    if (!t || t->numel != n) return INFINITY;
    double w = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs(tg_get(t, i) - (double)ref[i]) / (1 + fabsl(ref[i]));
        if (e > w) w = e;
    }
    return w;
}

/* One gradient case, f32, through the kernel in force: L = sum(r op(..)),
 * its gradients with create_graph, then L2 = sum_i sum(s_i grad_i) and
 * its gradients in the first two inputs; every one against the
 * trilinear reference. */
static void deriv_case(const cfg *c, int kind)
{
    geo g0 = geo_of(c);
    tgeo q = {0};
    int nd = c->rank + 2;
    q.N = c->N, q.G = g0.G, q.KH = c->kh, q.KW = c->kw;
    q.sh = g0.sh, q.sw = g0.sw, q.dh = g0.dh, q.dw = g0.dw;
    q.pt = g0.pt, q.pl = g0.pl;
    int64_t sa[4], sb[4], so[4];
    if (kind == 1) { /* columns: the input; image: the output */
        int oh = 0, ow = c->rank == 2 ? 1 : 0;
        q.O = c->C, q.P = c->H, q.Q = c->W, q.C = c->O;
        q.H = (c->H - 1) * g0.sh - 2 * g0.pt + g0.dh * (c->kh - 1) +
              (c->rank == 2 ? c->o.output_padding[oh] : 0) + 1;
        q.W = (c->W - 1) * g0.sw - 2 * g0.pl + g0.dw * (c->kw - 1) +
              c->o.output_padding[ow] + 1;
    } else {
        q.C = c->C, q.H = c->H, q.W = c->W, q.O = c->O;
        q.P = out_size(c->H, g0.pt, g0.pb, g0.dh, c->kh, g0.sh);
        q.Q = out_size(c->W, g0.pl, g0.pr, g0.dw, c->kw, g0.sw);
    }
    int64_t nimg = q.N * q.C * q.H * q.W, ncol = q.N * q.O * q.P * q.Q;
    int64_t nw = q.O * (q.C / q.G) * q.KH * q.KW;
    int64_t simg[4], scol[4], sw_[4];
    shape4(c->rank, simg, q.N, q.C, q.H, q.W);
    shape4(c->rank, scol, q.N, q.O, q.P, q.Q);
    shape4(c->rank, sw_, q.O, q.C / q.G, q.KH, q.KW);
    /* a, b: the op's inputs; out: its output */
    const int64_t *shp[3] = {simg, sw_, scol};
    int slot_a = kind == 1 ? 2 : 0, slot_b = kind == 2 ? 2 : 1;
    int slot_o = kind == 0 ? 2 : kind == 1 ? 0 : 1;
    int64_t nslot[3] = {nimg, nw, ncol};
    memcpy(sa, shp[slot_a], sizeof sa);
    memcpy(sb, shp[slot_b], sizeof sb);
    memcpy(so, shp[slot_o], sizeof so);
    bool bias = kind != 2 && c->bias;
    int64_t nbias = kind == 1 ? q.C : q.O;
    unsigned seed = 11;
    double *va = randv(nslot[slot_a], &seed), *vb = randv(nslot[slot_b], &seed);
    double *vbias = randv(nbias, &seed), *r = randv(nslot[slot_o], &seed);
    double *s0 = randv(nslot[slot_a], &seed), *s1 = randv(nslot[slot_b], &seed);
    double *s2 = randv(nbias, &seed);

    tg_graph *g = tg_graph_new();
    tg_tensor *ta = ta_in(g, TG_F32, nd, sa, va, true);
    tg_tensor *tb = ta_in(g, TG_F32, nd, sb, vb, true);
    int64_t bs[1] = {nbias};
    tg_tensor *tbias = bias ? ta_in(g, TG_F32, 1, bs, vbias, true) : NULL;
    tg_tensor *in[3] = {ta, tb, tbias};
    tg_tensor *y = kind == 0   ? f_conv(g, in, bias ? 3 : 2, (void *)c)
                   : kind == 1 ? f_convt(g, in, bias ? 3 : 2, (void *)c)
                               : f_convw(g, in, 2, (void *)c);
    tg_tensor *tr = ta_in(g, TG_F32, nd, so, r, false);
    tg_tensor *L = tg_sum(tg_mul(y, tr), 0, NULL, false);
    int nin = bias ? 3 : 2;
    tg_tensor *gr[3] = {0}, *gg[2] = {0};
    TT_CHECK(tg_grad(g, &L, 1, NULL, in, nin, true, gr) == TG_OK);
    tg_tensor *ts0 = ta_in(g, TG_F32, nd, sa, s0, false);
    tg_tensor *ts1 = ta_in(g, TG_F32, nd, sb, s1, false);
    tg_tensor *L2 = tg_add(tg_sum(tg_mul(gr[0], ts0), 0, NULL, false),
                           tg_sum(tg_mul(gr[1], ts1), 0, NULL, false));
    if (bias) {
        tg_tensor *ts2 = ta_in(g, TG_F32, 1, bs, s2, false);
        L2 = tg_add(L2, tg_sum(tg_mul(gr[2], ts2), 0, NULL, false));
    }
    TT_CHECK(tg_grad(g, &L2, 1, NULL, in, 2, false, gg) == TG_OK);
    if (tg_graph_error(g)) fprintf(stderr, "  %s\n", tg_graph_error(g));
    TT_CHECK(tg_graph_error(g) == NULL);

    /* the reference: L = T(...) with r in the output's slot */
    long double *ra = malloc(sizeof *ra * (size_t)(nslot[slot_a] + 1));
    long double *rb = malloc(sizeof *rb * (size_t)(nslot[slot_b] + 1));
    long double *rbias = malloc(sizeof *rbias * (size_t)(nbias + 1));
    long double *rga = malloc(sizeof *rga * (size_t)(nslot[slot_a] + 1));
    long double *rgb = malloc(sizeof *rgb * (size_t)(nslot[slot_b] + 1));
    /* the three operands of T by slot */
    const double *op1[3], *op2[3];
    op1[slot_a] = va, op1[slot_b] = vb, op1[slot_o] = r;
    /* first order: d/da T = tri(slot_a, others), d/db likewise */
    tri(&q, slot_a, ra, nslot[slot_a], op1[0], op1[1], op1[2]);
    tri(&q, slot_b, rb, nslot[slot_b], op1[0], op1[1], op1[2]);
    if (bias) bias_ref(rbias, r, q.N, nbias,
                       kind == 1 ? q.H * q.W : q.P * q.Q);
    /* second order: grad_a = tri(slot_a; b, r) is linear in b, so
     * d/db <grad_a, s0> = tri(slot_b; s0 in a's slot, r), and
     * d/da <grad_b, s1> = tri(slot_a; s1 in b's slot, r) */
    op2[slot_a] = va, op2[slot_b] = s1, op2[slot_o] = r;
    tri(&q, slot_a, rga, nslot[slot_a], op2[0], op2[1], op2[2]);
    op2[slot_a] = s0, op2[slot_b] = vb;
    tri(&q, slot_b, rgb, nslot[slot_b], op2[0], op2[1], op2[2]);
    double tol = 2e-5;
    double e[5] = {worst_err(gr[0], ra, nslot[slot_a]),
                   worst_err(gr[1], rb, nslot[slot_b]),
                   bias ? worst_err(gr[2], rbias, nbias) : 0,
                   worst_err(gg[0], rga, nslot[slot_a]),
                   worst_err(gg[1], rgb, nslot[slot_b])};
    for (int k = 0; k < 5; k++) {
        if (!(e[k] <= tol))
            fprintf(stderr, "  %s kind %d, path %d: derivative %d worst error "
                    "%g\n", c->rank == 2 ? "2-D" : "1-D", kind,
                    (int)tg__conv_get_path(), k, e[k]);
        TT_CHECK(e[k] <= tol);
    }
    tg_graph_free(g);
    free(va), free(vb), free(vbias), free(r), free(s0), free(s1), free(s2);
    free(ra), free(rb), free(rbias), free(rga), free(rgb);
}

/* Every gradient case (conv, its weight op, the transposed one), first and
 * second derivatives in f32 through each kernel. With oneDNN forced, no
 * call falls back to im2col. */
static void t_deriv_paths(void)
{
    tg_conv_path saved = tg__conv_get_path();
    for (int p = 0; p < n_paths(); p++) {
        tg__conv_set_path(path_at(p));
        int64_t c0 = dnnl_calls(), f0 = tg__conv_dnnl_failures();
        for (size_t i = 0; i < sizeof grad_cases / sizeof *grad_cases; i++) {
            deriv_case(&grad_cases[i], 0);
            deriv_case(&grad_cases[i], 2);
        }
        for (size_t i = 0; i < sizeof gradt_cases / sizeof *gradt_cases; i++)
            deriv_case(&gradt_cases[i], 1);
        TT_CHECK(tg__conv_dnnl_failures() == f0);
        if (p) TT_CHECK(dnnl_calls() > c0);
        else TT_CHECK(dnnl_calls() == c0);
    }
    tg__conv_set_path(saved);
}

/* y = conv2d(x, w, b) and dx, dw of sum(y * y) / 2 for an N x 8 x 10 x 10
 * -> 16 case (N <= 3), f32, into out (y, dx, dw concatenated). At N = 3
 * it is large enough (345 k multiply-adds) for a team of two threads. */
enum { FX_N = 8 * 10 * 10, FX_W = 16 * 8 * 9, FX_Y = 16 * 10 * 10 };
#define FX_ALL(N) ((N) * (FX_Y + FX_N) + FX_W)
#define FX_MAX FX_ALL(3)
static bool fixed_case(int64_t N, float *out)
{
    unsigned seed = 3;
    double *x = randv(N * FX_N, &seed), *w = randv(FX_W, &seed);
    double *b = randv(16, &seed);
    tg_graph *g = tg_graph_new();
    tg_tensor *tx = ta_in(g, TG_F32, TG_SHAPE(N, 8, 10, 10), x, true);
    tg_tensor *tw = ta_in(g, TG_F32, TG_SHAPE(16, 8, 3, 3), w, true);
    tg_tensor *tb = ta_in(g, TG_F32, TG_SHAPE(16), b, false);
    tg_tensor *y = tg_conv2d(tx, tw, tb, &O2(.padding = {1, 1}));
    tg_tensor *L = tg_mul_scalar(tg_sum(tg_mul(y, y), 0, NULL, false), 0.5);
    bool ok = tg_backward(g, L) == TG_OK && !tg_graph_error(g);
    if (ok) {
        size_t ny = (size_t)(N * FX_Y), nx = (size_t)(N * FX_N);
        memcpy(out, tg_f32(y), sizeof(float) * ny);
        memcpy(out + ny, tg_f32(tx->grad), sizeof(float) * nx);
        memcpy(out + ny + nx, tg_f32(tw->grad), sizeof(float) * FX_W);
    }
    tg_graph_free(g);
    free(x), free(w), free(b);
    return ok;
}

static double max_rel32(const float *a, const float *b, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]) / (1 + fabs((double)b[i]));
        if (e > m) m = e;
    }
    return m;
}

/* A failed oneDNN execution falls back to im2col: the same values, the
 * failure counted, nothing reported to the graph. */
static void t_dnnl_failure(void)
{
    if (!tg__conv_dnnl_available()) return;
    tg_conv_path saved = tg__conv_get_path();
    static float want[FX_MAX], got[FX_MAX];
    tg__conv_set_path(TG_CONV_PATH_IM2COL);
    TT_CHECK(fixed_case(2, want));
    tg__conv_set_path(TG_CONV_PATH_ONEDNN);
    int64_t c0 = dnnl_calls(), f0 = tg__conv_dnnl_failures();
    tg__conv_dnnl_fail_next(3); /* forward, backward-data, -weights */
    TT_CHECK(fixed_case(2, got));
    TT_CHECK(tg__conv_dnnl_failures() - f0 == 3);
    TT_CHECK(dnnl_calls() == c0);
    TT_CHECK(max_rel32(got, want, FX_ALL(2)) == 0); /* im2col both times */
    tg__conv_dnnl_fail_next(1); /* the forward only */
    TT_CHECK(fixed_case(2, got));
    TT_CHECK(tg__conv_dnnl_failures() - f0 == 4);
    TT_CHECK(dnnl_calls() - c0 == 2);
    TT_CHECK(max_rel32(got, want, FX_ALL(2)) < 1e-5);
    tg__conv_set_path(saved);
}

/* At two threads the samples are split across the team, each thread a
 * single-threaded primitive on its block (batch 3: blocks of 1 and 2
 * samples, new cache entries, the one-sample ones at least), made once;
 * the values are those of one thread up to the order of the weight
 * gradient's sum. */
static void t_dnnl_threads(void)
{
    if (!tg__conv_dnnl_available()) return;
    tg_conv_path saved = tg__conv_get_path();
    int nt = tg_get_num_threads();
    static float one[FX_MAX], two[FX_MAX];
    tg__conv_set_path(TG_CONV_PATH_ONEDNN);
    tg_set_num_threads(1);
    TT_CHECK(fixed_case(3, one)); /* batch 3: no other test's geometry */
    int n1 = tg__conv_dnnl_cached();
    TT_CHECK(fixed_case(3, one)); /* found, not made again */
    TT_CHECK(tg__conv_dnnl_cached() == n1);
    tg_set_num_threads(2);
    TT_CHECK(fixed_case(3, two));
    int n2 = tg__conv_dnnl_cached();
    TT_CHECK(n2 >= n1 + 3 && n2 <= n1 + 6);
    TT_CHECK(fixed_case(3, two));
    TT_CHECK(tg__conv_dnnl_cached() == n2);
    if (!(max_rel32(two, one, FX_ALL(3)) < 3e-5))
        fprintf(stderr, "  1 vs 2 threads: %g\n",
                max_rel32(two, one, FX_ALL(3)));
    TT_CHECK(max_rel32(two, one, FX_ALL(3)) < 3e-5);
    tg_set_num_threads(nt);
    tg__conv_set_path(saved);
}

/* Separate graphs in separate threads, all through oneDNN at once. */
#include <pthread.h>
typedef struct job {
    float out[FX_MAX];
    bool ok;
} job;
static void *job_run(void *p)
{
    job *j = p;
    j->ok = true;
    for (int r = 0; r < 3; r++) j->ok &= fixed_case(2, j->out);
    return NULL;
}
static void t_dnnl_concurrent(void)
{
    if (!tg__conv_dnnl_available()) return;
    tg_conv_path saved = tg__conv_get_path();
    static float want[FX_MAX];
    static job jobs[3];
    tg__conv_set_path(TG_CONV_PATH_ONEDNN);
    TT_CHECK(fixed_case(2, want));
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        TT_CHECK(pthread_create(&th[i], NULL, job_run, &jobs[i]) == 0);
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++) {
        TT_CHECK(jobs[i].ok);
        TT_CHECK(max_rel32(jobs[i].out, want, FX_ALL(2)) < 1e-5);
    }
    /* from inside a user's OpenMP team (each call then single-threaded),
     * at batch 3, which outside a team would be split across it */
    static float want3[FX_MAX], got3[2][FX_MAX];
    bool ok3[2] = {false, false};
    TT_CHECK(fixed_case(3, want3));
#pragma omp parallel num_threads(2)
    {
        int t = omp_get_thread_num();
        if (t < 2) ok3[t] = fixed_case(3, got3[t]);
    }
    for (int t = 0; t < 2; t++) {
        TT_CHECK(ok3[t]);
        TT_CHECK(max_rel32(got3[t], want3, FX_ALL(3)) < 1e-5);
    }
    tg__conv_set_path(saved);
}

/* --------------------------------------------------------- edge cases */

static void t_empty(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(0, 3, 5, 5), NULL);
    tg_tensor *w = tg_param(g, TG_F32, TG_SHAPE(4, 3, 3, 3), NULL);
    tg_tensor *y = tg_conv2d(x, w, NULL, NULL);
    TT_CHECK(tg_graph_error(g) == NULL);
    TT_CHECK(y->ndim == 4 && y->shape[0] == 0 && y->shape[1] == 4 &&
             y->shape[2] == 3 && y->shape[3] == 3);
    /* an empty batch gives a zero weight gradient */
    tg_tensor *gw = NULL;
    tg_tensor *s = tg_sum(y, 0, NULL, false);
    TT_CHECK(tg_grad(g, &s, 1, NULL, &w, 1, false, &gw) == TG_OK);
    if (tg_graph_error(g)) fprintf(stderr, "  %s\n", tg_graph_error(g));
    TT_CHECK(gw && gw->numel == 108);
    for (int64_t i = 0; gw && i < gw->numel; i++) TT_CHECK(tg_get(gw, i) == 0);
    tg_graph_free(g);

    /* zero input channels: the output is the bias */
    g = tg_graph_new();
    x = tg_input(g, TG_F64, TG_SHAPE(2, 0, 4, 4), NULL);
    w = tg_input(g, TG_F64, TG_SHAPE(3, 0, 3, 3), NULL);
    tg_tensor *b = tg_input(g, TG_F64, TG_SHAPE(3), (double[]){1, 2, 3});
    y = tg_conv2d(x, w, b, NULL);
    TT_CHECK(tg_graph_error(g) == NULL);
    TT_CHECK(y->numel == 2 * 3 * 2 * 2);
    for (int64_t i = 0; i < y->numel; i++)
        TT_CHECK(tg_get(y, i) == (double)(1 + (i / 4) % 3));
    tg_graph_free(g);
}

static const char *err_of(tg_tensor *(*f)(tg_graph *), tg_graph **gp)
{
    tg_graph *g = tg_graph_new();
    f(g);
    *gp = g;
    return tg_graph_error(g);
}

#define ERRCASE(name, body)                                                  \
    static tg_tensor *name(tg_graph *g) { body }

ERRCASE(e_channels, {
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(2, 3, 8, 8), NULL);
    tg_tensor *w = tg_input(g, TG_F32, TG_SHAPE(4, 2, 3, 3), NULL);
    return tg_conv2d(x, w, NULL, NULL);
})
ERRCASE(e_empty, {
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(2, 3, 4, 8), NULL);
    tg_tensor *w = tg_input(g, TG_F32, TG_SHAPE(4, 3, 5, 3), NULL);
    return tg_conv2d(x, w, NULL, NULL);
})
ERRCASE(e_rank, {
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(3, 8, 8), NULL);
    tg_tensor *w = tg_input(g, TG_F32, TG_SHAPE(4, 3, 3, 3), NULL);
    return tg_conv2d(x, w, NULL, NULL);
})
ERRCASE(e_groups, {
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(1, 6, 8, 8), NULL);
    tg_tensor *w = tg_input(g, TG_F32, TG_SHAPE(4, 3, 3, 3), NULL);
    return tg_conv2d(x, w, NULL, &O2(.groups = 4));
})
ERRCASE(e_bias, {
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(1, 3, 8, 8), NULL);
    tg_tensor *w = tg_input(g, TG_F32, TG_SHAPE(4, 3, 3, 3), NULL);
    tg_tensor *b = tg_input(g, TG_F32, TG_SHAPE(3), NULL);
    return tg_conv2d(x, w, b, NULL);
})
ERRCASE(e_stride, {
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(1, 3, 8, 8), NULL);
    tg_tensor *w = tg_input(g, TG_F32, TG_SHAPE(4, 3, 3, 3), NULL);
    return tg_conv2d(x, w, NULL, &O2(.stride = {-1, 1}));
})
ERRCASE(e_same_stride, {
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(1, 3, 8, 8), NULL);
    tg_tensor *w = tg_input(g, TG_F32, TG_SHAPE(4, 3, 3, 3), NULL);
    return tg_conv2d(x, w, NULL,
                     &O2(.stride = {2, 2}, .padding_mode = TG_PAD_SAME));
})
ERRCASE(e_outpad, {
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(1, 3, 4, 4), NULL);
    tg_tensor *w = tg_input(g, TG_F32, TG_SHAPE(3, 2, 3, 3), NULL);
    return tg_conv_transpose2d(x, w, NULL,
                               &O2(.stride = {2, 2}, .output_padding = {2, 0}));
})
ERRCASE(e_t_empty, {
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(1, 3, 1, 2), NULL);
    tg_tensor *w = tg_input(g, TG_F32, TG_SHAPE(3, 2, 1, 1), NULL);
    return tg_conv_transpose2d(x, w, NULL, &O2(.padding = {1, 0}));
})
ERRCASE(e_1d_empty, {
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2, 3, 4), NULL);
    tg_tensor *w = tg_input(g, TG_F64, TG_SHAPE(5, 3, 3), NULL);
    return tg_conv1d(x, w, NULL, &O2(.dilation = {2}));
})

static void t_errors(void)
{
    tg_graph *g;
    TT_STREQ(err_of(e_channels, &g),
             "tg_conv2d: input channels differ: x [2,3,8,8] has 3, weight "
             "[4,2,3,3] expects 2 (weight.shape[1] * groups); hint: weight "
             "is [C_out, C_in / groups, k...]");
    tg_graph_free(g);
    TT_STREQ(err_of(e_empty, &g),
             "tg_conv2d: the output would be empty: x [2,3,4,8], weight "
             "[4,3,5,3] give 0 x 6 (padding 0+0, 0+0, stride 1, 1, dilation "
             "1, 1); hint: the padded input must be at least dilation * "
             "(kernel - 1) + 1");
    tg_graph_free(g);
    TT_STREQ(err_of(e_rank, &g),
             "tg_conv2d: input must be 4-D [N, C, H, W], got [3,8,8]");
    tg_graph_free(g);
    TT_STREQ(err_of(e_groups, &g),
             "tg_conv2d: groups = 4 must divide the input channels and the "
             "output channels: x [1,6,8,8], weight [4,3,3,3]");
    tg_graph_free(g);
    TT_STREQ(err_of(e_bias, &g),
             "tg_conv2d: bias [3] must be [4] (one per output channel)");
    tg_graph_free(g);
    TT_STREQ(err_of(e_stride, &g),
             "tg_conv2d: stride must be >= 1, got (-1, 1)");
    tg_graph_free(g);
    TT_STREQ(err_of(e_same_stride, &g),
             "tg_conv2d: padding \"same\" needs stride 1 (as PyTorch) "
             "(padding 0, 0, stride 2, 2)");
    tg_graph_free(g);
    TT_STREQ(err_of(e_outpad, &g),
             "tg_conv_transpose2d: output_padding (2, 0) must be >= 0 and "
             "smaller than the stride or the dilation (stride 2, 2, "
             "dilation 1, 1)");
    tg_graph_free(g);
    TT_STREQ(err_of(e_t_empty, &g),
             "tg_conv_transpose2d: the output would be empty: x [1,3,1,2], "
             "weight [3,2,1,1] give -1 x 2; hint: (in - 1) * stride - 2 * "
             "padding + dilation * (kernel - 1) + output_padding + 1 must "
             "be >= 1");
    tg_graph_free(g);
    TT_STREQ(err_of(e_1d_empty, &g),
             "tg_conv1d: the output would be empty: x [2,3,4], weight "
             "[5,3,3] give length 0 (padding 0+0, stride 1, dilation 2); "
             "hint: the padded input must be at least dilation * (kernel - "
             "1) + 1");
    tg_graph_free(g);
}

int main(int argc, char **argv)
{
    static const tt_entry cases[] = {
        TT(t_values), TT(t_values_paths), TT(t_hand), TT(t_grad),
        TT(t_deriv_paths), TT(t_dnnl_failure), TT(t_dnnl_threads),
        TT(t_dnnl_concurrent), TT(t_empty), TT(t_errors),
    };
    return tt_main(cases, (int)(sizeof cases / sizeof *cases), argc, argv);
}
