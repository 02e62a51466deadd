/* Pooling, interpolation and dropout2d: values against direct loops in
 * long double and against numbers PyTorch 1.13 printed for the same
 * inputs (ceil_mode, count_include_pad, adaptive windows, bilinear with
 * and without align_corners, fractional scale factors), gradient checks in
 * f64, the first-maximum convention, and error messages by text. */
#include "array_util.h"

static const double Y45[20] = {1, 5, 2, 0, 3, 4, 4, 1, 7, 2,
                               0, 2, 6, 1, 1, 3, 3, 3, 9, 0};

static void expect(tg_tensor *y, const double *want, int64_t n,
                   const int64_t *shape, int nd, double tol)
{
    TT_CHECK(y->ndim == nd);
    for (int i = 0; i < nd && i < y->ndim; i++) TT_CHECK(y->shape[i] == shape[i]);
    TT_CHECK(y->numel == n);
    for (int64_t i = 0; i < n && i < y->numel; i++)
        TT_NEAR(tg_get(y, i), want[i], tol);
}

/* PyTorch: F.max_pool2d(y, (2,3), stride=(2,2), padding=(1,1),
 * ceil_mode=True), F.avg_pool2d(y, 3, 2, 1, ceil_mode=True) with and
 * without count_include_pad, F.adaptive_avg_pool2d(y, (3,2)). */
static void t_torch_values(void)
{
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        double tol = d ? 1e-15 : 1e-6;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = ta_in(g, dt, 4, (int64_t[]){1, 1, 4, 5}, Y45, false);
        double mx[9] = {5, 5, 3, 4, 7, 7, 3, 9, 9};
        expect(tg_max_pool2d(x, &(tg_pool_opts){.kernel = {2, 3},
                                                .stride = {2, 2},
                                                .padding = {1, 1},
                                                .ceil_mode = true}),
               mx, 9, (int64_t[]){1, 1, 3, 3}, 4, tol);
        double av[9] = {1.5555555555555556, 2.111111111111111,
                        1.3333333333333333, 1.7777777777777777, 4.0,
                        2.2222222222222223, 1.0, 2.5, 1.5};
        tg_pool_opts o = {.kernel = {3, 3}, .stride = {2, 2},
                          .padding = {1, 1}, .ceil_mode = true};
        expect(tg_avg_pool2d(x, &o), av, 9, (int64_t[]){1, 1, 3, 3}, 4, tol);
        double ax[9] = {3.5, 3.1666666666666665, 3.0, 2.6666666666666665, 4.0,
                        3.3333333333333335, 3.0, 5.0, 4.5};
        o.exclude_pad = true;
        expect(tg_avg_pool2d(x, &o), ax, 9, (int64_t[]){1, 1, 3, 3}, 4, tol);
        double ad[6] = {2.8333333333333335, 2.5, 2.8333333333333335, 3.0,
                        2.8333333333333335, 3.3333333333333335};
        expect(tg_adaptive_avg_pool2d(x, 3, 2), ad, 6,
               (int64_t[]){1, 1, 3, 2}, 4, tol);
        double gl[1] = {2.85}; /* 57 / 20 */
        expect(tg_adaptive_avg_pool2d(x, 1, 1), gl, 1,
               (int64_t[]){1, 1, 1, 1}, 4, tol);
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
}

/* PyTorch: F.interpolate on arange(1, 7) as [1,1,2,3]. */
static void t_interp_values(void)
{
    static const double X[6] = {1, 2, 3, 4, 5, 6};
    static const double bl[15] = {1.0, 1.4, 2.0, 2.5999999999999996, 3.0,
                                  2.5, 2.8999999999999995, 3.4999999999999996,
                                  4.099999999999999, 4.499999999999999, 4.0,
                                  4.4, 5.0, 5.6000000000000005, 6.0};
    static const double ac[15] = {1.0, 1.5, 2.0, 2.5, 3.0, 2.5, 3.0, 3.5,
                                  4.0, 4.5, 4.0, 4.5, 5.0, 5.5, 6.0};
    static const double nn[21] = {1, 1, 1, 2, 2, 3, 3, 1, 1, 1, 2,
                                  2, 3, 3, 4, 4, 4, 5, 5, 6, 6};
    static const double sf[20] = {
        1.0, 1.3823529411764706, 1.9705882352941178, 2.5588235294117645, 3.0,
        1.75, 2.1323529411764706, 2.7205882352941178, 3.3088235294117645,
        3.75, 3.25, 3.632352941176471, 4.220588235294118, 4.8088235294117645,
        5.25, 4.0, 4.382352941176471, 4.970588235294118, 5.5588235294117645,
        6.0};
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        double tol = d ? 1e-14 : 1e-6;
        tg_graph *g = tg_graph_new();
        tg_tensor *x = ta_in(g, dt, 4, (int64_t[]){1, 1, 2, 3}, X, false);
        tg_interp_opts o = {.size = {3, 5}, .mode = TG_INTERP_LINEAR};
        expect(tg_interpolate(x, &o), bl, 15, (int64_t[]){1, 1, 3, 5}, 4, tol);
        o.align_corners = true;
        expect(tg_interpolate(x, &o), ac, 15, (int64_t[]){1, 1, 3, 5}, 4, tol);
        tg_interp_opts n = {.scale_factor = {1.5, 2.5}};
        expect(tg_interpolate(x, &n), nn, 21, (int64_t[]){1, 1, 3, 7}, 4, tol);
        tg_interp_opts s = {.scale_factor = {2, 1.7}, .mode = TG_INTERP_LINEAR};
        expect(tg_interpolate(x, &s), sf, 20, (int64_t[]){1, 1, 4, 5}, 4, tol);
        TT_CHECK(tg_graph_error(g) == NULL);
        tg_graph_free(g);
    }
}

/* ------------------------------------------------ long double loops */

typedef struct pcfg {
    int rank;
    int64_t N, C, H, W;
    tg_pool_opts o;
} pcfg;

static int64_t pout(int64_t H, int64_t k, int64_t s, int64_t p, int64_t d,
                    bool ceil_mode)
{
    /* the size rule written out as PyTorch documents it */
    long double v = (long double)(H + 2 * p - d * (k - 1) - 1) / s;
    int64_t o = (int64_t)(ceil_mode ? ceill(v) : floorl(v)) + 1;
    if (ceil_mode && (o - 1) * s >= H + p) o--;
    return o;
}

static void ref_pool(const pcfg *c, bool is_max, const double *x,
                     long double *y, int64_t *P_, int64_t *Q_)
{
    int h = 0, w = c->rank == 2 ? 1 : 0;
    int64_t kh = c->rank == 2 ? c->o.kernel[h] : 1, kw = c->o.kernel[w];
    int64_t sh = c->rank == 2 ? (c->o.stride[h] ? c->o.stride[h] : kh) : 1;
    int64_t sw = c->o.stride[w] ? c->o.stride[w] : kw;
    int64_t ph = c->rank == 2 ? c->o.padding[h] : 0, pw = c->o.padding[w];
    int64_t dh = is_max && c->rank == 2 && c->o.dilation[h] ? c->o.dilation[h] : 1;
    int64_t dw = is_max && c->o.dilation[w] ? c->o.dilation[w] : 1;
    int64_t P = pout(c->H, kh, sh, ph, dh, c->o.ceil_mode);
    int64_t Q = pout(c->W, kw, sw, pw, dw, c->o.ceil_mode);
    *P_ = P, *Q_ = Q;
    for (int64_t pl = 0; pl < c->N * c->C; pl++)
        for (int64_t p = 0; p < P; p++)
            for (int64_t q = 0; q < Q; q++) {
                long double best = -INFINITY, sum = 0;
                int64_t real = 0, padded = 0;
                for (int64_t i = 0; i < kh; i++)
                    for (int64_t j = 0; j < kw; j++) {
                        int64_t hh = p * sh - ph + i * dh;
                        int64_t ww = q * sw - pw + j * dw;
                        /* avg: a tap counts for the padded divisor when
                         * it lies inside [-pad, in + pad) */
                        if (hh < c->H + ph && ww < c->W + pw) padded++;
                        if (hh < 0 || hh >= c->H || ww < 0 || ww >= c->W)
                            continue;
                        long double v = x[(pl * c->H + hh) * c->W + ww];
                        real++, sum += v;
                        if (v > best) best = v;
                    }
                long double div = c->o.exclude_pad ? real : padded;
                y[(pl * P + p) * Q + q] = is_max ? best : sum / div;
            }
}

static const pcfg pool_cases[] = {
    {2, 2, 3, 7, 6, {.kernel = {2, 2}}},
    {2, 1, 2, 7, 8, {.kernel = {3, 2}, .stride = {2, 3}, .padding = {1, 1}}},
    {2, 2, 1, 9, 7, {.kernel = {3, 3}, .stride = {2, 2}, .ceil_mode = true}},
    {2, 1, 2, 8, 9,
     {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1},
      .ceil_mode = true, .exclude_pad = true}},
    {2, 1, 2, 9, 9, {.kernel = {2, 3}, .dilation = {2, 2}, .stride = {1, 2}}},
    {1, 2, 3, 1, 11, {.kernel = {3}, .stride = {2}, .padding = {1}}},
    {1, 1, 2, 1, 10, {.kernel = {4}, .ceil_mode = true, .padding = {2}}},
    /* 2x2 at stride 2 (its own loop when every window is inside x): even,
     * odd, ceil mode on even and on odd sizes, a single window */
    {2, 2, 3, 8, 6, {.kernel = {2, 2}, .ceil_mode = true}},
    {2, 1, 2, 5, 9, {.kernel = {2, 2}, .ceil_mode = true}},
    {2, 3, 2, 2, 2, {.kernel = {2, 2}, .stride = {2, 2}}},
    {2, 1, 3, 9, 4, {.kernel = {2, 2}}},
    {2, 1, 2, 6, 6, {.kernel = {2, 2}, .padding = {1, 1}}},
};

static void t_loops(void)
{
    for (size_t k = 0; k < sizeof pool_cases / sizeof *pool_cases; k++) {
        const pcfg *c = &pool_cases[k];
        int nd = c->rank + 2;
        int64_t xs[4] = {c->N, c->C, c->H, c->W};
        if (c->rank == 1) xs[2] = c->W;
        int64_t n = c->N * c->C * c->H * c->W;
        double *x = malloc((size_t)n * sizeof *x);
        for (int64_t i = 0; i < n; i++) x[i] = sin(1.7 * (double)i + k);
        for (int m = 0; m < 2; m++) {
            long double *ref = malloc((size_t)n * 4 * sizeof *ref);
            int64_t P, Q;
            ref_pool(c, m == 0, x, ref, &P, &Q);
            for (int d = 0; d < 2; d++) {
                tg_graph *g = tg_graph_new();
                tg_tensor *t = ta_in(g, d ? TG_F64 : TG_F32, nd, xs, x, false);
                tg_tensor *y = m == 0 ? (c->rank == 2 ? tg_max_pool2d(t, &c->o)
                                                      : tg_max_pool1d(t, &c->o))
                                      : (c->rank == 2 ? tg_avg_pool2d(t, &c->o)
                                                      : tg_avg_pool1d(t, &c->o));
                if (tg_graph_error(g)) fprintf(stderr, "  %s\n", tg_graph_error(g));
                TT_CHECK(y->numel == c->N * c->C * P * Q);
                TT_CHECK(y->shape[nd - 1] == Q && (nd == 3 || y->shape[2] == P));
                for (int64_t i = 0; i < y->numel && y->numel == c->N * c->C * P * Q; i++)
                    TT_NEAR(tg_get(y, i), (double)ref[i], d ? 1e-15 : 1e-6);
                tg_graph_free(g);
            }
            free(ref);
        }
        free(x);
    }
}

/* The gradient goes to the first maximum; a NaN wins. */
static void t_first_max(void)
{
    tg_graph *g = tg_graph_new();
    double v[8] = {3, 1, 0, 3, 3, NAN, 2, 3};
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(1, 1, 2, 4), v);
    tg_set_requires_grad(x, true);
    tg_tensor *y = tg_max_pool2d(x, &(tg_pool_opts){.kernel = {2, 2}});
    TT_CHECK(isnan(tg_get(y, 0)) && tg_get(y, 1) == 3);
    tg_tensor *s = tg_sum(y, 0, NULL, false), *gx = NULL;
    TT_CHECK(tg_grad(g, &s, 1, NULL, &x, 1, false, &gx) == TG_OK);
    double want[8] = {0, 0, 0, 1, 0, 1, 0, 0};
    for (int i = 0; i < 8; i++) TT_CHECK(tg_get(gx, i) == want[i]);
    tg_graph_free(g);
}

/* 2x2 windows at stride 2 over small whole numbers (many ties) and NaNs,
 * odd sizes: the gradient of sum(y r) puts r at each window's first
 * maximum in row-major order, a NaN winning (the last NaN of a window if
 * it holds several), as PyTorch's `val > max || isnan(val)` scan. */
static void t_argmax_22(void)
{
    enum { N = 2, C = 3, H = 7, W = 11, P = 3, Q = 5 };
    double x[N * C * H * W], r[N * C * P * Q];
    for (int i = 0; i < N * C * H * W; i++)
        x[i] = (i * 7 + i / 5) % 11 == 3 ? NAN : (double)((i * 5 + i / 3) % 3);
    for (int i = 0; i < N * C * P * Q; i++) r[i] = 1 + i;
    for (int d = 0; d < 2; d++) {
        tg_dtype dt = d ? TG_F64 : TG_F32;
        tg_graph *g = tg_graph_new();
        tg_tensor *t = ta_in(g, dt, TG_SHAPE(N, C, H, W), x, true);
        tg_tensor *y = tg_max_pool2d(t, &(tg_pool_opts){.kernel = {2, 2}});
        TT_CHECK(y->numel == N * C * P * Q);
        tg_tensor *rt = ta_in(g, dt, TG_SHAPE(N, C, P, Q), r, false);
        tg_tensor *s = tg_sum_all(tg_mul(y, rt)), *gx = NULL;
        TT_CHECK(tg_grad(g, &s, 1, NULL, &t, 1, false, &gx) == TG_OK);
        double want[N * C * H * W] = {0};
        int nans = 0;
        for (int pl = 0; pl < N * C; pl++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    int at = -1;
                    double best = 0;
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++) {
                            int k = (pl * H + 2 * p + i) * W + 2 * q + j;
                            if (at < 0 || x[k] > best || isnan(x[k]))
                                best = x[k], at = k;
                        }
                    int o = (pl * P + p) * Q + q;
                    want[at] += r[o];
                    double got = tg_get(y, o);
                    if (isnan(best)) nans++;
                    TT_CHECK(isnan(best) ? isnan(got) : got == best);
                }
        TT_CHECK(nans > 3 && nans < N * C * P * Q / 2);
        for (int i = 0; i < N * C * H * W && gx; i++)
            TT_CHECK(tg_get(gx, i) == want[i]);
        tg_graph_free(g);
    }
}

/* --------------------------------------------------- gradient checks */

typedef struct gcase {
    int kind; /* 0 max, 1 avg, 2 adaptive, 3 interpolate */
    int rank;
    tg_pool_opts o;
    tg_interp_opts io;
    int64_t out[2];
} gcase;

static tg_tensor *f_pool(tg_graph *g, tg_tensor *const *in, int n, void *ud)
{
    (void)g, (void)n;
    const gcase *c = ud;
    switch (c->kind) {
    case 0: return c->rank == 2 ? tg_max_pool2d(in[0], &c->o)
                                : tg_max_pool1d(in[0], &c->o);
    case 1: return c->rank == 2 ? tg_avg_pool2d(in[0], &c->o)
                                : tg_avg_pool1d(in[0], &c->o);
    case 2: return c->rank == 2 ? tg_adaptive_avg_pool2d(in[0], c->out[0],
                                                         c->out[1])
                                : tg_adaptive_avg_pool1d(in[0], c->out[0]);
    default: return tg_interpolate(in[0], &c->io);
    }
}

static void t_grad(void)
{
    static const gcase cases[] = {
        {.kind = 0, .rank = 2, .o = {.kernel = {2, 2}}},
        {.kind = 0, .rank = 2,
         .o = {.kernel = {3, 2}, .stride = {2, 1}, .padding = {1, 1},
               .dilation = {1, 2}, .ceil_mode = true}},
        {.kind = 0, .rank = 1,
         .o = {.kernel = {3}, .stride = {2}, .padding = {1}}},
        {.kind = 1, .rank = 2,
         .o = {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1},
               .ceil_mode = true}},
        {.kind = 1, .rank = 2,
         .o = {.kernel = {2, 3}, .padding = {1, 1}, .exclude_pad = true}},
        {.kind = 1, .rank = 1, .o = {.kernel = {3}, .stride = {2}}},
        {.kind = 2, .rank = 2, .out = {3, 2}},
        {.kind = 2, .rank = 2, .out = {1, 1}},
        {.kind = 2, .rank = 1, .out = {4, 0}},
        {.kind = 3, .rank = 2,
         .io = {.size = {7, 4}, .mode = TG_INTERP_LINEAR}},
        {.kind = 3, .rank = 2,
         .io = {.size = {3, 9}, .mode = TG_INTERP_LINEAR,
                .align_corners = true}},
        {.kind = 3, .rank = 2, .io = {.scale_factor = {2, 1.5}}},
        {.kind = 3, .rank = 1,
         .io = {.size = {11}, .mode = TG_INTERP_LINEAR}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const gcase *c = &cases[k];
        tg_check_arg a = c->rank == 2 ? ARG("x", 2, 2, 5, 6) : ARG("x", 2, 2, 7);
        /* max has kinks, but they are measure-zero: no gradgrad */
        ta_check(c->kind == 0 ? "max_pool" : c->kind == 1 ? "avg_pool"
                 : c->kind == 2 ? "adaptive" : "interpolate",
                 f_pool, (const P *)c, 1, &a, c->kind != 0);
    }
}

/* ------------------------------------------------------------ dropout2d */

static void t_dropout2d(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_full(g, TG_F64, TG_SHAPE(8, 16, 3, 3), 1.0);
    tg_tensor *y = tg_dropout2d(x, 0.5);
    int zero = 0;
    for (int64_t nc = 0; nc < 8 * 16; nc++) {
        double v0 = tg_get(y, nc * 9);
        TT_CHECK(v0 == 0 || v0 == 2);
        for (int k = 1; k < 9; k++) TT_CHECK(tg_get(y, nc * 9 + k) == v0);
        zero += v0 == 0;
    }
    TT_CHECK(zero > 30 && zero < 98); /* Binomial(128, 1/2): 6 sigma */
    tg_set_training(g, false);
    TT_CHECK(tg_dropout2d(x, 0.5) == x);
    tg_dropout2d(x, 1.0);
    TT_STREQ(tg_graph_error(g),
             "tg_dropout2d: x [8,16,3,3]: p must lie in [0, 1), got 1");
    tg_graph_free(g);
}

/* -------------------------------------------------------------- errors */

static void t_errors(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(2, 3, 4, 4), NULL);
    tg_max_pool2d(x, &(tg_pool_opts){.kernel = {5, 5}});
    TT_STREQ(tg_graph_error(g),
             "tg_max_pool2d: the output would be empty: x [2,3,4,4] with "
             "kernel (5, 5), stride (5, 5), padding (0, 0) gives 0 x 0; "
             "hint: the padded input must hold one window");
    tg_graph_free(g);
    g = tg_graph_new();
    x = tg_input(g, TG_F32, TG_SHAPE(2, 3, 4, 4), NULL);
    tg_avg_pool2d(x, &(tg_pool_opts){.kernel = {2, 2}, .padding = {2, 0}});
    TT_STREQ(tg_graph_error(g),
             "tg_avg_pool2d: padding (2, 0) must be >= 0 and at most half "
             "the kernel (2, 2)");
    tg_graph_free(g);
    /* dilation 3 steps over a 2-wide input from padding 1: taps -1 and
     * 2, a window with no element (PyTorch returns -inf there) */
    g = tg_graph_new();
    x = tg_input(g, TG_F64, TG_SHAPE(1, 1, 2, 5), NULL);
    tg_tensor *y = tg_max_pool2d(x, &(tg_pool_opts){.kernel = {2, 2},
                                                    .stride = {1, 1},
                                                    .padding = {1, 1},
                                                    .dilation = {3, 1}});
    TT_CHECK(y->numel == 0 || tg_get(y, 0) != -INFINITY);
    TT_STREQ(tg_graph_error(g),
             "tg_max_pool2d: x [1,1,2,5]: window 0 along H (kernel 2, "
             "stride 1, padding 1, dilation 3) lies entirely in the padding "
             "and has no maximum; hint: lower the padding or the dilation");
    tg_graph_free(g);
    g = tg_graph_new();
    x = tg_input(g, TG_F32, TG_SHAPE(1, 2, 2), NULL);
    tg_max_pool1d(x, &(tg_pool_opts){.kernel = {2}, .padding = {1},
                                     .dilation = {3}});
    TT_STREQ(tg_graph_error(g),
             "tg_max_pool1d: x [1,2,2]: window 0 along L (kernel 2, "
             "stride 2, padding 1, dilation 3) lies entirely in the padding "
             "and has no maximum; hint: lower the padding or the dilation");
    tg_graph_free(g);
    /* the same dilation where every window meets x is accepted */
    g = tg_graph_new();
    x = tg_full(g, TG_F64, TG_SHAPE(1, 1, 3, 3), 2.0);
    y = tg_max_pool2d(x, &(tg_pool_opts){.kernel = {2, 2}, .stride = {1, 1},
                                         .padding = {1, 1},
                                         .dilation = {2, 2}});
    TT_CHECK(tg_graph_error(g) == NULL);
    TT_CHECK(y->numel == 9 && tg_get(y, 0) == 2 && tg_get(y, 8) == 2);
    tg_graph_free(g);
    g = tg_graph_new();
    x = tg_input(g, TG_F32, TG_SHAPE(3, 4, 4), NULL);
    tg_max_pool2d(x, NULL);
    TT_STREQ(tg_graph_error(g),
             "tg_max_pool2d: input must be 4-D [N, C, H, W], got [3,4,4]");
    tg_graph_free(g);
    g = tg_graph_new();
    x = tg_input(g, TG_F32, TG_SHAPE(2, 3, 4, 4), NULL);
    tg_adaptive_avg_pool2d(x, 0, 2);
    TT_STREQ(tg_graph_error(g),
             "tg_adaptive_avg_pool2d: output size (0, 2) must be >= 1 (and at "
             "most 2^30)");
    tg_graph_free(g);
    g = tg_graph_new();
    x = tg_input(g, TG_F32, TG_SHAPE(2, 3, 4, 4), NULL);
    tg_interpolate(x, &(tg_interp_opts){.size = {8, 0}});
    TT_STREQ(tg_graph_error(g),
             "tg_interpolate: x [2,3,4,4]: give size[k] > 0 or a finite "
             "scale_factor[k] > 0 for every spatial axis (axis 1 has "
             "neither)");
    tg_graph_free(g);
    g = tg_graph_new();
    x = tg_input(g, TG_F32, TG_SHAPE(2, 3, 4, 4), NULL);
    tg_interpolate(x, &(tg_interp_opts){.scale_factor = {0.1, 1}});
    TT_STREQ(tg_graph_error(g),
             "tg_interpolate: x [2,3,4,4]: the output would be empty along "
             "spatial axis 0; hint: in * scale_factor must be >= 1");
    tg_graph_free(g);
}

/* Empty batch: pools give empty outputs and empty gradients. */
static void t_empty(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(0, 3, 4, 4), NULL);
    tg_set_requires_grad(x, true);
    tg_tensor *y = tg_add(tg_sum(tg_max_pool2d(x, &(tg_pool_opts){.kernel = {2, 2}}), 0, NULL, false),
                          tg_sum(tg_avg_pool2d(x, &(tg_pool_opts){.kernel = {2, 2}}), 0, NULL, false));
    TT_CHECK(tg_graph_error(g) == NULL);
    TT_CHECK(tg_get(y, 0) == 0);
    tg_tensor *gx = NULL;
    TT_CHECK(tg_grad(g, &y, 1, NULL, &x, 1, false, &gx) == TG_OK);
    TT_CHECK(gx && gx->numel == 0 && gx->shape[1] == 3);
    tg_graph_free(g);
}

/* Empty batch with a huge length: average pooling and its gradient
 * finish at once (they used to walk all output positions for zero
 * planes: 2^40 of them hung the op-table sweep); a length beyond what
 * the gradient's size attribute holds is refused up front. */
static void t_empty_huge_length(void)
{
    tg_graph *g = tg_graph_new();
    const int64_t L = (int64_t)1 << 30;
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(0, 1, L), NULL);
    tg_set_requires_grad(x, true);
    tg_tensor *y = tg_avg_pool1d(x, &(tg_pool_opts){.kernel = {1}});
    TT_CHECK(tg_graph_error(g) == NULL);
    TT_CHECK(y->numel == 0 && y->ndim == 3 && y->shape[2] == L);
    tg_tensor *a = tg_adaptive_avg_pool1d(x, 1 << 29);
    TT_CHECK(tg_graph_error(g) == NULL && a->numel == 0 &&
             a->shape[2] == 1 << 29);
    tg_tensor *s = tg_add(tg_sum(y, 0, NULL, false),
                          tg_sum(a, 0, NULL, false)), *gx = NULL;
    TT_CHECK(tg_grad(g, &s, 1, NULL, &x, 1, false, &gx) == TG_OK);
    TT_CHECK(gx && gx->numel == 0 && gx->shape[2] == L);
    tg_graph_reset(g);
    x = tg_input(g, TG_F64, TG_SHAPE(0, 1, (int64_t)1 << 40), NULL);
    tg_avg_pool1d(x, &(tg_pool_opts){.kernel = {1}});
    TT_STREQ(tg_graph_error(g),
             "tg_avg_pool1d: x [0,1,1099511627776]: spatial extents are "
             "limited to 2^30; hint: the gradient (avg_pool_backward) takes "
             "the input size as an attribute, which has that bound");
    tg_graph_free(g);
}

int main(int argc, char **argv)
{
    static const tt_entry cases[] = {
        TT(t_torch_values), TT(t_interp_values), TT(t_loops), TT(t_first_max),
        TT(t_argmax_22),
        TT(t_grad), TT(t_dropout2d), TT(t_errors), TT(t_empty),
        TT(t_empty_huge_length),
    };
    return tt_main(cases, (int)(sizeof cases / sizeof *cases), argc, argv);
}
