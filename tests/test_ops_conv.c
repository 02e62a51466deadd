/* Convolution family: values against direct nested loops in long double
 * (f64 and f32, over strides, paddings, dilations, groups and odd sizes),
 * gradient checks in f64 with second derivatives, empty batches, the
 * threaded path, and the error messages by text. */
#include "array_util.h"

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
        TT(t_values), TT(t_hand), TT(t_grad), TT(t_empty), TT(t_errors),
    };
    return tt_main(cases, (int)(sizeof cases / sizeof *cases), argc, argv);
}
