/* The convolution dispatch rule: each of tapegrad's three convolution ops
 * (conv2d forward, conv_transpose2d as the input gradient, conv2d_weight
 * as the weight gradient) through each of its two f32 kernels, im2col +
 * GEMM and oneDNN's primitives (forced with the internal switch of
 * ops/conv_dnnl.h), alternating in one process, on the shapes of the
 * workloads and on smaller ones that locate the size below which the
 * primitives' reorders and start cost more than they save.
 *
 * Per round, shape and op: the im2col time, then oneDNN's, each the
 * median of --reps calls after --warmup (the first oneDNN call of a
 * geometry creates its primitives: the warm-up takes it). Printed per
 * round as JSON lines, then per shape and op the medians over --rounds
 * and the median of the per-round ratios im2col / oneDNN (above 1:
 * oneDNN is faster). Also prints what the automatic rule picks for each,
 * and the implementation oneDNN chose.
 */
#include <omp.h>
#include <tapegrad/tapegrad.h>

#include "bench.h"
#include "ops/conv_dnnl.h"

typedef struct shape {
    const char *name;
    int64_t N, C, O, H, K, pad;
} shape;

static const shape SHAPES[] = {
    {"ws", 32, 64, 64, 32, 3, 1},     /* the conv workload            */
    {"cnn1", 128, 1, 16, 28, 3, 1},   /* demo cnn's first layer       */
    {"cnn2", 128, 16, 32, 14, 3, 1},  /* demo cnn's second layer      */
    {"rgb", 128, 3, 16, 28, 3, 1},    /* three channels               */
    {"c2", 32, 2, 8, 16, 3, 1},       /* two channels                 */
    {"mid", 32, 16, 32, 14, 3, 1},    /* cnn2 at batch 32             */
    {"small", 8, 16, 16, 8, 3, 1},    /* 2.4 M multiply-adds          */
    {"tiny", 2, 8, 16, 6, 3, 1},      /* 83 k                         */
    {"t41k", 2, 8, 8, 6, 3, 1},       /* 41 k                         */
    {"t5k", 1, 4, 4, 6, 3, 1},        /* 5 k                          */
    {"c8", 32, 8, 16, 14, 3, 1},      /* eight channels               */
    {"pw", 32, 32, 64, 14, 1, 0},     /* 1x1                          */
};
#define NS ((int)(sizeof SHAPES / sizeof *SHAPES))

enum { K_FWD, K_DX, K_DW, NK };
static const char *KN[NK] = {"fwd", "dx", "dw"};

typedef struct job {
    const shape *s;
    int kind;
    tg_graph *g;
    float *x, *w, *gy;
} job;

static void die(tg_graph *g, const char *what)
{
    fprintf(stderr, "bench_conv_paths: %s: %s\n", what,
            g && tg_graph_error(g) ? tg_graph_error(g) : tg_last_error());
    exit(1);
}

static void call(void *ud)
{
    job *j = ud;
    const shape *s = j->s;
    tg_graph *g = j->g;
    tg_conv_opts o = {.padding = {s->pad, s->pad}};
    bool grad = tg_set_grad_enabled(g, false);
    tg_tensor *w = tg_input(g, TG_F32, TG_SHAPE(s->O, s->C, s->K, s->K),
                            j->w);
    tg_tensor *r;
    if (j->kind == K_FWD) {
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(s->N, s->C, s->H, s->H),
                                j->x);
        r = tg_conv2d(x, w, NULL, &o);
    } else if (j->kind == K_DX) {
        tg_tensor *gy = tg_input(g, TG_F32,
                                 TG_SHAPE(s->N, s->O, s->H, s->H), j->gy);
        r = tg_conv_transpose2d(gy, w, NULL, &o);
    } else {
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(s->N, s->C, s->H, s->H),
                                j->x);
        tg_tensor *gy = tg_input(g, TG_F32,
                                 TG_SHAPE(s->N, s->O, s->H, s->H), j->gy);
        r = tg_conv2d_weight(x, gy, s->K, s->K, &o);
    }
    if (!r || tg_graph_error(g)) die(g, KN[j->kind]);
    tg_set_grad_enabled(g, grad);
    tg_graph_reset(g);
}

/* median wall-clock seconds of --reps calls; *cpu: median process CPU
 * seconds (every thread), the steadier figure on a loaded machine */
static double timed(const bench_args *a, void *ud, double *cpu)
{
    double t[64], c[64];
    int reps = a->reps < 64 ? a->reps : 64;
    for (int r = -a->warmup; r < reps; r++) {
        double t0 = bench_now(), c0 = bench_cpu();
        call(ud);
        if (r >= 0) t[r] = bench_now() - t0, c[r] = bench_cpu() - c0;
    }
    *cpu = bench_median(c, reps);
    return bench_median(t, reps);
}

static double loadavg(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = -1;
        fclose(f);
    }
    return l;
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 5, 1);
    int rounds = (int)bench_opt_int(&a, "--rounds", a.tiny ? 1 : 5);
    if (rounds < 1 || rounds > 64) rounds = 5;
    tg_set_num_threads(a.threads);
    if (!tg__conv_dnnl_available()) {
        printf("# bench_conv_paths: this build has no oneDNN\n");
        return 0;
    }
    printf("# threads %d, rounds %d, reps %d, load average %.2f at the "
           "start\n",
           a.threads, rounds, a.reps, loadavg());
    shape sh[NS];
    memcpy(sh, SHAPES, sizeof sh);
    job jobs[NS][NK];
    static double t[NS][NK][2][64], cp[NS][NK][2][64];
    for (int i = 0; i < NS; i++) {
        shape *s = &sh[i];
        if (a.tiny && s->N > 2) s->N = 2;
        int64_t nx = s->N * s->C * s->H * s->H, ny = s->N * s->O * s->H * s->H;
        int64_t nw = s->O * s->C * s->K * s->K;
        float *x = malloc(sizeof(float) * (size_t)nx);
        float *w = malloc(sizeof(float) * (size_t)nw);
        float *gy = malloc(sizeof(float) * (size_t)ny);
        tg_graph *g = tg_graph_new();
        if (!x || !w || !gy || !g) die(NULL, "allocation");
        bench_fill(x, nx, 11 + (uint64_t)i, -1, 1);
        bench_fill(w, nw, 21 + (uint64_t)i, -0.1, 0.1);
        bench_fill(gy, ny, 31 + (uint64_t)i, -1, 1);
        for (int k = 0; k < NK; k++)
            jobs[i][k] = (job){.s = s, .kind = k, .g = g, .x = x, .w = w,
                               .gy = gy};
    }
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < NS; i++) {
            if (!bench_want(&a, sh[i].name)) continue;
            for (int k = 0; k < NK; k++)
                for (int p = 0; p < 2; p++) {
                    tg__conv_set_path(p ? TG_CONV_PATH_ONEDNN
                                        : TG_CONV_PATH_IM2COL);
                    t[i][k][p][r] = timed(&a, &jobs[i][k], &cp[i][k][p][r]);
                }
            printf("{\"bench\": \"conv_paths\", \"case\": \"%s\", \"round\": "
                   "%d, \"threads\": %d, \"seconds\": %.6g",
                   sh[i].name, r + 1, a.threads, t[i][K_FWD][1][r]);
            for (int k = 0; k < NK; k++)
                printf(", \"%s_im2col\": %.6g, \"%s_onednn\": %.6g, "
                       "\"%s_im2col_cpu\": %.6g, \"%s_onednn_cpu\": %.6g",
                       KN[k], t[i][k][0][r], KN[k], t[i][k][1][r], KN[k],
                       cp[i][k][0][r], KN[k], cp[i][k][1][r]);
            printf("}\n");
            fflush(stdout);
        }
    printf("# medians over %d rounds, load average %.2f at the end; "
           "ratios = medians of per-round im2col / oneDNN (> 1: oneDNN "
           "faster), of wall-clock and of process CPU time\n",
           rounds, loadavg());
    printf("# %-6s %-4s %9s %10s %10s %6s %6s %-6s %s\n", "case", "op",
           "Mmadds", "im2col s", "oneDNN s", "wall", "cpu", "auto",
           "oneDNN implementation");
    tg__conv_set_path(TG_CONV_PATH_AUTO);
    for (int i = 0; i < NS; i++) {
        if (!bench_want(&a, sh[i].name)) continue;
        const shape *s = &sh[i];
        tg_conv_geo q = {s->N, s->C, s->H, s->H, s->O, s->H, s->H, 1,
                         s->K, s->K, 1, 1, 1, 1, s->pad, s->pad};
        double mad = (double)s->N * s->O * s->H * s->H * s->C * s->K * s->K;
        for (int k = 0; k < NK; k++) {
            double ratio[64], cratio[64];
            for (int r = 0; r < rounds; r++) {
                ratio[r] = t[i][k][0][r] / t[i][k][1][r];
                cratio[r] = cp[i][k][0][r] / cp[i][k][1][r];
            }
            tg_conv_kind ck = k == K_FWD  ? TG_CONV_FWD
                              : k == K_DX ? TG_CONV_BWD_DATA
                                          : TG_CONV_BWD_WEIGHTS;
            printf("# %-6s %-4s %9.2f %10.6f %10.6f %6.2f %6.2f %-6s %s\n",
                   s->name, KN[k], mad / 1e6,
                   bench_median(t[i][k][0], rounds),
                   bench_median(t[i][k][1], rounds),
                   bench_median(ratio, rounds), bench_median(cratio, rounds),
                   tg__conv_dnnl_wanted(ck, &q) ? "oneDNN" : "im2col",
                   tg__conv_dnnl_impl(ck, &q));
        }
    }
    /* everything this program made (the sanitizer build checks leaks) */
    for (int i = 0; i < NS; i++) {
        tg_graph_free(jobs[i][0].g);
        free(jobs[i][0].x), free(jobs[i][0].w), free(jobs[i][0].gy);
    }
    return 0;
}
