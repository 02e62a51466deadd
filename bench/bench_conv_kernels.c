/* The convolution kernel decision: tapegrad's conv2d (im2col + the GEMM
 * dispatch) against oneDNN's convolution primitive, on the same shapes,
 * alternating in one process.
 *
 * Shapes (f32, 3x3, padding 1, stride 1, with bias):
 *   ws    32 x 64 x 32 x 32 -> 64   the conv workload (bench_conv)
 *   cnn1  128 x 1 x 28 x 28 -> 16   demo cnn's first convolution
 *   cnn2  128 x 16 x 14 x 14 -> 32  demo cnn's second convolution
 *
 * Per shape and round, in this order:
 *   tg_fwd       y = tg_conv2d(x, w, b), nothing recorded
 *   dnnl_plain   oneDNN forward on the NCHW / OIHW arrays as they are
 *   dnnl_any     oneDNN forward with the layouts it prefers
 *                (format "any"), the reorders from and to NCHW / OIHW
 *                timed with it: what a tapegrad op calling it would pay
 *   tg_train     forward, then dx (not for cnn1: images need none), dw
 *                and db through tg_backward_seed
 *   dnnl_train   the same three through oneDNN's forward-training,
 *                backward-data and backward-weights primitives, layouts
 *                "any" with every reorder timed
 * Each is the median of --reps timed calls after --warmup; per round the
 * ratios tapegrad / oneDNN; the summary is the median over --rounds of
 * each time and ratio ("seconds" in a result line is tg_train, for
 * the smoke test). The outputs of both are compared once (max
 * relative difference), so both compute the same thing.
 */
#include <math.h>
#include <omp.h>
#include <tapegrad/tapegrad.h>

#include "bench.h"

#if TG_HAVE_ONEDNN
#include <dnnl.h>

#define CK(call)                                                          \
    do {                                                                  \
        dnnl_status_t s_ = (call);                                        \
        if (s_ != dnnl_success) {                                         \
            fprintf(stderr, "bench_conv_kernels: %s failed (%d)\n",       \
                    #call, (int)s_);                                      \
            exit(1);                                                      \
        }                                                                 \
    } while (0)

typedef struct shape {
    const char *name;
    int64_t N, C, O, H;
    bool need_dx;
} shape;

static const shape SHAPES[] = {
    {"ws", 32, 64, 64, 32, true},
    {"cnn1", 128, 1, 16, 28, false},
    {"cnn2", 128, 16, 32, 14, true},
};

static dnnl_engine_t eng;
static dnnl_stream_t strm;

/* A primitive argument held in the user's plain layout, and (when the
 * primitive wants another) its own copy with the reorder between. */
typedef struct arg {
    dnnl_memory_t user, prim;
    dnnl_primitive_t to_prim, to_user; /* NULL when layouts agree */
} arg;

static void arg_init(arg *a, const dnnl_memory_desc_t *user_md, void *ptr,
                     const dnnl_memory_desc_t *prim_md, bool in, bool out)
{
    memset(a, 0, sizeof *a);
    CK(dnnl_memory_create(&a->user, user_md, eng, ptr));
    if (dnnl_memory_desc_equal(user_md, prim_md)) {
        a->prim = a->user;
        return;
    }
    CK(dnnl_memory_create(&a->prim, prim_md, eng, DNNL_MEMORY_ALLOCATE));
    dnnl_primitive_desc_t rpd;
    if (in) {
        CK(dnnl_reorder_primitive_desc_create(&rpd, user_md, eng, prim_md,
                                              eng, NULL));
        CK(dnnl_primitive_create(&a->to_prim, rpd));
        dnnl_primitive_desc_destroy(rpd);
    }
    if (out) {
        CK(dnnl_reorder_primitive_desc_create(&rpd, prim_md, eng, user_md,
                                              eng, NULL));
        CK(dnnl_primitive_create(&a->to_user, rpd));
        dnnl_primitive_desc_destroy(rpd);
    }
}

static void arg_free(arg *a)
{
    if (a->prim && a->prim != a->user) dnnl_memory_destroy(a->prim);
    if (a->user) dnnl_memory_destroy(a->user);
    if (a->to_prim) dnnl_primitive_destroy(a->to_prim);
    if (a->to_user) dnnl_primitive_destroy(a->to_user);
    memset(a, 0, sizeof *a);
}

static void reorder(dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to)
{
    if (!r) return;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    CK(dnnl_primitive_execute(r, strm, 2, args));
}

static const char *impl_name(const_dnnl_primitive_desc_t pd)
{
    const char *s = "?";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s);
    return s;
}

/* oneDNN's side of one shape. */
typedef struct dn_case {
    const shape *s;
    dnnl_primitive_t fwd_plain, fwd, fwd_train, bwd_data, bwd_w;
    dnnl_memory_t px, pw, pb, py; /* plain layouts, for fwd_plain */
    arg x, w, b, y;               /* fwd ("any" layouts)            */
    arg xt, wt, bt, yt;           /* fwd_train                      */
    arg gy_d, w_d, gx;            /* bwd_data                       */
    arg x_w, gy_w, gw, gb;        /* bwd_w                          */
    char impl[4][64];
} dn_case;

/* Everything dn_setup created (the program is checked for leaks). */
static void dn_free(dn_case *d)
{
    dnnl_primitive_t p[5] = {d->fwd_plain, d->fwd, d->fwd_train, d->bwd_data,
                             d->bwd_w};
    for (int i = 0; i < 5; i++)
        if (p[i]) dnnl_primitive_destroy(p[i]);
    dnnl_memory_t m[4] = {d->px, d->pw, d->pb, d->py};
    for (int i = 0; i < 4; i++)
        if (m[i]) dnnl_memory_destroy(m[i]);
    arg *a[15] = {&d->x,    &d->w,    &d->b,  &d->y,  &d->xt,
                  &d->wt,   &d->bt,   &d->yt, &d->gy_d, &d->w_d,
                  &d->gx,   &d->x_w,  &d->gy_w, &d->gw, &d->gb};
    for (int i = 0; i < 15; i++) arg_free(a[i]);
    memset(d, 0, sizeof *d);
}

static const dnnl_memory_desc_t *md(const_dnnl_primitive_desc_t pd,
                                    dnnl_query_t q, int i)
{
    return dnnl_primitive_desc_query_md(pd, q, i);
}

static void dn_setup(dn_case *d, const shape *s, float *x, float *w,
                     float *b, float *y, float *gy, float *gx, float *gw,
                     float *gb)
{
    memset(d, 0, sizeof *d);
    d->s = s;
    dnnl_dims_t xd = {s->N, s->C, s->H, s->H}, wd = {s->O, s->C, 3, 3},
                bd = {s->O}, yd = {s->N, s->O, s->H, s->H};
    dnnl_dims_t st = {1, 1}, pad = {1, 1};
    dnnl_memory_desc_t xm, wm, bm, ym, xa, wa, ya;
    CK(dnnl_memory_desc_init_by_tag(&xm, 4, xd, dnnl_f32, dnnl_nchw));
    CK(dnnl_memory_desc_init_by_tag(&wm, 4, wd, dnnl_f32, dnnl_oihw));
    CK(dnnl_memory_desc_init_by_tag(&bm, 1, bd, dnnl_f32, dnnl_x));
    CK(dnnl_memory_desc_init_by_tag(&ym, 4, yd, dnnl_f32, dnnl_nchw));
    CK(dnnl_memory_desc_init_by_tag(&xa, 4, xd, dnnl_f32,
                                    dnnl_format_tag_any));
    CK(dnnl_memory_desc_init_by_tag(&wa, 4, wd, dnnl_f32,
                                    dnnl_format_tag_any));
    CK(dnnl_memory_desc_init_by_tag(&ya, 4, yd, dnnl_f32,
                                    dnnl_format_tag_any));
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd, fpd;

    /* forward on the plain layouts, no reorders */
    CK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference,
                                          dnnl_convolution_direct, &xm, &wm,
                                          &bm, &ym, st, pad, pad));
    CK(dnnl_primitive_desc_create(&pd, &cd, NULL, eng, NULL));
    snprintf(d->impl[0], 64, "%s", impl_name(pd));
    CK(dnnl_primitive_create(&d->fwd_plain, pd));
    dnnl_primitive_desc_destroy(pd);
    CK(dnnl_memory_create(&d->px, &xm, eng, x));
    CK(dnnl_memory_create(&d->pw, &wm, eng, w));
    CK(dnnl_memory_create(&d->pb, &bm, eng, b));
    CK(dnnl_memory_create(&d->py, &ym, eng, y));

    /* forward, the layouts oneDNN prefers */
    CK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference,
                                          dnnl_convolution_direct, &xa, &wa,
                                          &bm, &ya, st, pad, pad));
    CK(dnnl_primitive_desc_create(&pd, &cd, NULL, eng, NULL));
    snprintf(d->impl[1], 64, "%s", impl_name(pd));
    CK(dnnl_primitive_create(&d->fwd, pd));
    arg_init(&d->x, &xm, x, md(pd, dnnl_query_src_md, 0), true, false);
    arg_init(&d->w, &wm, w, md(pd, dnnl_query_weights_md, 0), true, false);
    arg_init(&d->b, &bm, b, md(pd, dnnl_query_weights_md, 1), true, false);
    arg_init(&d->y, &ym, y, md(pd, dnnl_query_dst_md, 0), false, true);
    dnnl_primitive_desc_destroy(pd);

    /* training: forward-training, the hint of both backward primitives */
    CK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training,
                                          dnnl_convolution_direct, &xa, &wa,
                                          &bm, &ya, st, pad, pad));
    CK(dnnl_primitive_desc_create(&fpd, &cd, NULL, eng, NULL));
    CK(dnnl_primitive_create(&d->fwd_train, fpd));
    arg_init(&d->xt, &xm, x, md(fpd, dnnl_query_src_md, 0), true, false);
    arg_init(&d->wt, &wm, w, md(fpd, dnnl_query_weights_md, 0), true, false);
    arg_init(&d->bt, &bm, b, md(fpd, dnnl_query_weights_md, 1), true, false);
    arg_init(&d->yt, &ym, y, md(fpd, dnnl_query_dst_md, 0), false, true);
    snprintf(d->impl[2], 64, "-");
    if (s->need_dx) {
        CK(dnnl_convolution_backward_data_desc_init(
            &cd, dnnl_convolution_direct, &xa, &wa, &ya, st, pad, pad));
        CK(dnnl_primitive_desc_create(&pd, &cd, NULL, eng, fpd));
        snprintf(d->impl[2], 64, "%s", impl_name(pd));
        CK(dnnl_primitive_create(&d->bwd_data, pd));
        arg_init(&d->gy_d, &ym, gy, md(pd, dnnl_query_diff_dst_md, 0), true,
                 false);
        arg_init(&d->w_d, &wm, w, md(pd, dnnl_query_weights_md, 0), true,
                 false);
        arg_init(&d->gx, &xm, gx, md(pd, dnnl_query_diff_src_md, 0), false,
                 true);
        dnnl_primitive_desc_destroy(pd);
    }
    CK(dnnl_convolution_backward_weights_desc_init(
        &cd, dnnl_convolution_direct, &xa, &wa, &bm, &ya, st, pad, pad));
    CK(dnnl_primitive_desc_create(&pd, &cd, NULL, eng, fpd));
    snprintf(d->impl[3], 64, "%s", impl_name(pd));
    CK(dnnl_primitive_create(&d->bwd_w, pd));
    arg_init(&d->x_w, &xm, x, md(pd, dnnl_query_src_md, 0), true, false);
    arg_init(&d->gy_w, &ym, gy, md(pd, dnnl_query_diff_dst_md, 0), true,
             false);
    arg_init(&d->gw, &wm, gw, md(pd, dnnl_query_diff_weights_md, 0), false,
             true);
    arg_init(&d->gb, &bm, gb, md(pd, dnnl_query_diff_weights_md, 1), false,
             true);
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_desc_destroy(fpd);
}

static void in(arg *a) { reorder(a->to_prim, a->user, a->prim); }
static void out(arg *a) { reorder(a->to_user, a->prim, a->user); }

static void dn_fwd_plain(void *ud)
{
    dn_case *d = ud;
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, d->px}, {DNNL_ARG_WEIGHTS, d->pw},
                            {DNNL_ARG_BIAS, d->pb}, {DNNL_ARG_DST, d->py}};
    CK(dnnl_primitive_execute(d->fwd_plain, strm, 4, a));
    CK(dnnl_stream_wait(strm));
}

static void dn_fwd_any(void *ud)
{
    dn_case *d = ud;
    in(&d->x), in(&d->w), in(&d->b);
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, d->x.prim},
                            {DNNL_ARG_WEIGHTS, d->w.prim},
                            {DNNL_ARG_BIAS, d->b.prim},
                            {DNNL_ARG_DST, d->y.prim}};
    CK(dnnl_primitive_execute(d->fwd, strm, 4, a));
    out(&d->y);
    CK(dnnl_stream_wait(strm));
}

/* forward-training, then dx (when wanted), dw and db; every operand
 * reordered from / to the plain layout by the primitive that uses it, as
 * separate tapegrad ops would */
static void dn_train(void *ud)
{
    dn_case *d = ud;
    in(&d->xt), in(&d->wt), in(&d->bt);
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, d->xt.prim},
                            {DNNL_ARG_WEIGHTS, d->wt.prim},
                            {DNNL_ARG_BIAS, d->bt.prim},
                            {DNNL_ARG_DST, d->yt.prim}};
    CK(dnnl_primitive_execute(d->fwd_train, strm, 4, a));
    out(&d->yt);
    if (d->bwd_data) {
        in(&d->gy_d), in(&d->w_d);
        dnnl_exec_arg_t b[3] = {{DNNL_ARG_DIFF_DST, d->gy_d.prim},
                                {DNNL_ARG_WEIGHTS, d->w_d.prim},
                                {DNNL_ARG_DIFF_SRC, d->gx.prim}};
        CK(dnnl_primitive_execute(d->bwd_data, strm, 3, b));
        out(&d->gx);
    }
    in(&d->x_w), in(&d->gy_w);
    dnnl_exec_arg_t c[4] = {{DNNL_ARG_SRC, d->x_w.prim},
                            {DNNL_ARG_DIFF_DST, d->gy_w.prim},
                            {DNNL_ARG_DIFF_WEIGHTS, d->gw.prim},
                            {DNNL_ARG_DIFF_BIAS, d->gb.prim}};
    CK(dnnl_primitive_execute(d->bwd_w, strm, 4, c));
    out(&d->gw), out(&d->gb);
    CK(dnnl_stream_wait(strm));
}

/* ------------------------------------------------------ tapegrad's side */

typedef struct tg_case {
    const shape *s;
    tg_graph *g;
    tg_tensor *w, *b;
    float *x, *gy;
    float *y_out, *gx_out; /* copies for the comparison (or NULL) */
} tg_case;

static void die(tg_graph *g, const char *what)
{
    fprintf(stderr, "bench_conv_kernels: %s: %s\n", what,
            g && tg_graph_error(g) ? tg_graph_error(g) : tg_last_error());
    exit(1);
}

static void tg_fwd(void *ud)
{
    tg_case *t = ud;
    const shape *s = t->s;
    bool grad = tg_set_grad_enabled(t->g, false);
    tg_tensor *x = tg_input(t->g, TG_F32, TG_SHAPE(s->N, s->C, s->H, s->H),
                            t->x);
    tg_tensor *y = tg_conv2d(x, t->w, t->b, &(tg_conv_opts){.padding = {1, 1}});
    if (tg_graph_error(t->g)) die(t->g, "conv2d");
    if (t->y_out) memcpy(t->y_out, tg_f32(y), sizeof(float) * (size_t)y->numel);
    tg_set_grad_enabled(t->g, grad);
    tg_graph_reset(t->g);
}

static void tg_train(void *ud)
{
    tg_case *t = ud;
    const shape *s = t->s;
    tg_zero_grad(t->g);
    tg_tensor *x = tg_input(t->g, TG_F32, TG_SHAPE(s->N, s->C, s->H, s->H),
                            t->x);
    if (s->need_dx) tg_set_requires_grad(x, true);
    tg_tensor *y = tg_conv2d(x, t->w, t->b, &(tg_conv_opts){.padding = {1, 1}});
    tg_tensor *g = tg_input(t->g, TG_F32, TG_SHAPE(s->N, s->O, s->H, s->H),
                            t->gy);
    if (tg_backward_seed(t->g, y, g) != TG_OK) die(t->g, "backward");
    if (t->gx_out && s->need_dx)
        memcpy(t->gx_out, tg_f32(x->grad), sizeof(float) * (size_t)x->numel);
    tg_graph_reset(t->g);
}

/* --------------------------------------------------------------- timing */

typedef void (*step_fn)(void *ud);
static double timed(const bench_args *a, step_fn fn, void *ud)
{
    double t[64];
    int reps = a->reps < 64 ? a->reps : 64;
    for (int r = -a->warmup; r < reps; r++) {
        double t0 = bench_now();
        fn(ud);
        if (r >= 0) t[r] = bench_now() - t0;
    }
    return bench_median(t, reps);
}

static double max_rel(const float *a, const float *b, int64_t n)
{
    double m = 0, scale = 0;
    for (int64_t i = 0; i < n; i++) scale = fmax(scale, fabs(b[i]));
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - b[i]) / (scale > 0 ? scale : 1));
    return m;
}

static double loadavg(void)
{
    double l = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = NAN;
        fclose(f);
    }
    return l;
}

enum { K_TG_FWD, K_DN_PLAIN, K_DN_ANY, K_TG_TRAIN, K_DN_TRAIN, NK };
static const char *KNAME[NK] = {"tg_fwd", "dnnl_plain", "dnnl_any",
                                "tg_train", "dnnl_train"};

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 5, 1);
    int rounds = (int)bench_opt_int(&a, "--rounds", a.tiny ? 1 : 5);
    if (rounds < 1 || rounds > 64) rounds = 5;
    tg_set_num_threads(a.threads);
    omp_set_num_threads(a.threads);
    CK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
    int ns = (int)(sizeof SHAPES / sizeof *SHAPES);
    shape sh[3];
    memcpy(sh, SHAPES, sizeof sh);
    if (a.tiny)
        for (int i = 0; i < ns; i++) sh[i].N = 2;
    tg_case tc[3];
    dn_case dc[3];
    float *buf[3][8];
    printf("# threads %d, rounds %d, reps %d, load average %.2f at the "
           "start\n",
           a.threads, rounds, a.reps, loadavg());
    for (int i = 0; i < ns; i++) {
        const shape *s = &sh[i];
        int64_t nx = s->N * s->C * s->H * s->H, ny = s->N * s->O * s->H * s->H;
        int64_t nw = s->O * s->C * 9;
        int64_t sz[8] = {nx, nw, s->O, ny, ny, nx, nw, s->O};
        for (int k = 0; k < 8; k++) {
            buf[i][k] = calloc((size_t)sz[k], sizeof(float));
            if (!buf[i][k]) die(NULL, "calloc");
        }
        bench_fill(buf[i][0], nx, 41 + (uint64_t)i, -1, 1);
        double bound = 1 / sqrt((double)(s->C * 9));
        bench_fill(buf[i][1], nw, 51 + (uint64_t)i, -bound, bound);
        bench_fill(buf[i][2], s->O, 61 + (uint64_t)i, -bound, bound);
        bench_fill(buf[i][4], ny, 71 + (uint64_t)i, -1, 1);
        tc[i] = (tg_case){.s = s, .g = tg_graph_new(), .x = buf[i][0],
                          .gy = buf[i][4]};
        tc[i].w = tg_param(tc[i].g, TG_F32, TG_SHAPE(s->O, s->C, 3, 3), "w");
        tc[i].b = tg_param(tc[i].g, TG_F32, TG_SHAPE(s->O), "b");
        if (!tc[i].w || !tc[i].b) die(tc[i].g, "tg_param");
        memcpy(tg_f32(tc[i].w), buf[i][1], sizeof(float) * (size_t)nw);
        memcpy(tg_f32(tc[i].b), buf[i][2], sizeof(float) * (size_t)s->O);
        /* buffers: 0 x, 1 w, 2 b, 3 y, 4 gy, 5 gx, 6 gw, 7 gb */
        dn_setup(&dc[i], s, buf[i][0], buf[i][1], buf[i][2], buf[i][3],
                 buf[i][4], buf[i][5], buf[i][6], buf[i][7]);
        printf("# %s: N %lld, %lld -> %lld channels, %lldx%lld; oneDNN "
               "implementations: plain fwd %s, fwd %s, bwd data %s, bwd "
               "weights %s\n",
               s->name, (long long)s->N, (long long)s->C, (long long)s->O,
               (long long)s->H, (long long)s->H, dc[i].impl[0],
               dc[i].impl[1], dc[i].impl[2], dc[i].impl[3]);
        /* the same numbers on both sides */
        float *ty = malloc(sizeof(float) * (size_t)ny);
        float *tgx = malloc(sizeof(float) * (size_t)nx);
        if (!ty || !tgx) die(NULL, "malloc");
        tc[i].y_out = ty, tc[i].gx_out = tgx;
        tg_fwd(&tc[i]);
        tg_train(&tc[i]);
        tc[i].y_out = tc[i].gx_out = NULL;
        dn_fwd_plain(&dc[i]);
        double e_plain = max_rel(buf[i][3], ty, ny);
        dn_train(&dc[i]);
        double e_any = max_rel(buf[i][3], ty, ny);
        double e_gw = max_rel(buf[i][6], tg_f32(tc[i].w->grad), nw);
        double e_gb = max_rel(buf[i][7], tg_f32(tc[i].b->grad), s->O);
        double e_gx = s->need_dx ? max_rel(buf[i][5], tgx, nx) : 0;
        printf("# %s: max difference / max |value|: y %.2g (plain) %.2g "
               "(any), dx %.2g, dw %.2g, db %.2g\n",
               s->name, e_plain, e_any, e_gx, e_gw, e_gb);
        free(ty);
        free(tgx);
    }
    fflush(stdout);
    static double t[3][NK][64];
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < ns; i++) {
            step_fn fn[NK] = {tg_fwd, dn_fwd_plain, dn_fwd_any, tg_train,
                              dn_train};
            void *ud[NK] = {&tc[i], &dc[i], &dc[i], &tc[i], &dc[i]};
            for (int k = 0; k < NK; k++) t[i][k][r] = timed(&a, fn[k], ud[k]);
            printf("{\"bench\": \"conv_kernels\", \"case\": \"%s\", "
                   "\"round\": %d, \"threads\": %d, \"seconds\": %.6g",
                   sh[i].name, r + 1, a.threads, t[i][K_TG_TRAIN][r]);
            for (int k = 0; k < NK; k++)
                printf(", \"%s\": %.6g", KNAME[k], t[i][k][r]);
            printf("}\n");
            fflush(stdout);
        }
    }
    printf("# medians over %d rounds, load average %.2f at the end; "
           "ratios are the medians of the per-round ratios\n",
           rounds, loadavg());
    printf("# %-5s %10s %10s %10s %10s %10s  %8s %8s %8s\n", "case",
           "tg_fwd", "dnnl_plain", "dnnl_any", "tg_train", "dnnl_train",
           "fwd tg/pl", "fwd tg/any", "train tg/dn");
    for (int i = 0; i < ns; i++) {
        double m[NK], q[3][64];
        for (int r = 0; r < rounds; r++) {
            q[0][r] = t[i][K_TG_FWD][r] / t[i][K_DN_PLAIN][r];
            q[1][r] = t[i][K_TG_FWD][r] / t[i][K_DN_ANY][r];
            q[2][r] = t[i][K_TG_TRAIN][r] / t[i][K_DN_TRAIN][r];
        }
        for (int k = 0; k < NK; k++) m[k] = bench_median(t[i][k], rounds);
        printf("# %-5s %10.5f %10.5f %10.5f %10.5f %10.5f  %8.2f %8.2f "
               "%8.2f\n",
               sh[i].name, m[0], m[1], m[2], m[3], m[4],
               bench_median(q[0], rounds), bench_median(q[1], rounds),
               bench_median(q[2], rounds));
    }
    for (int i = 0; i < ns; i++) {
        dn_free(&dc[i]);
        tg_graph_free(tc[i].g);
        for (int k = 0; k < 8; k++) free(buf[i][k]);
    }
    dnnl_stream_destroy(strm);
    dnnl_engine_destroy(eng);
    return 0;
}

#else
int main(void)
{
    printf("# bench_conv_kernels: this build has no oneDNN (-Donednn)\n");
    return 0;
}
#endif
