/* Workload conv: one 3x3 convolution, 64 -> 64 channels, 32x32 images,
 * batch 32, padding 1, f32 (the shape of a ResNet stage). Cases:
 *   fwd      y = conv2d(x, w, b)
 *   fwd_bwd  y, then dx, dw and db from tg_backward_seed(y, g)
 * Reported: seconds per call (median of --reps runs of --steps calls
 * after --warmup), and GFLOP/s counting 2 N O P Q C kH kW flops per
 * convolution (three convolutions for fwd_bwd). Data from bench_fill as
 * in bench/torch_ref.py's conv(): x, g in [-1, 1], w and b in
 * +-1/sqrt(C kH kW).
 */
#include <math.h>
#include <tapegrad/tapegrad.h>

#include "bench.h"

static void die(tg_graph *g, const char *what)
{
    fprintf(stderr, "bench_conv: %s: %s\n", what,
            g && tg_graph_error(g) ? tg_graph_error(g) : tg_last_error());
    exit(1);
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 7, 2);
    int64_t N = a.tiny ? 2 : 32, C = a.tiny ? 8 : 64, S = a.tiny ? 8 : 32;
    long steps = bench_opt_int(&a, "--steps", a.tiny ? 1 : 5);
    tg_set_num_threads(a.threads);
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F32, TG_SHAPE(C, C, 3, 3), "w");
    tg_tensor *b = tg_param(g, TG_F32, TG_SHAPE(C), "b");
    if (!w || !b) die(g, "tg_param");
    double bound = 1 / sqrt((double)(C * 9));
    bench_fill(tg_f32(w), w->numel, 11, -bound, bound);
    bench_fill(tg_f32(b), b->numel, 12, -bound, bound);
    int64_t xs[4] = {N, C, S, S};
    float *xv = malloc(sizeof(float) * (size_t)(N * C * S * S));
    float *gv = malloc(sizeof(float) * (size_t)(N * C * S * S));
    bench_fill(xv, N * C * S * S, 13, -1, 1);
    bench_fill(gv, N * C * S * S, 14, -1, 1);
    tg_conv_opts o = {.padding = {1, 1}};
    double flops = 2.0 * (double)(N * C * S * S) * (double)(C * 9);
    for (int c = 0; c < 2; c++) {
        const char *name = c ? "fwd_bwd" : "fwd";
        if (!bench_want(&a, name)) continue;
        double *t = malloc(sizeof(double) * (size_t)a.reps);
        for (int r = -a.warmup; r < a.reps; r++) {
            double t0 = bench_now();
            for (long s = 0; s < steps; s++) {
                tg_tensor *x = tg_input(g, TG_F32, 4, xs, xv);
                if (c) tg_set_requires_grad(x, true);
                tg_tensor *y = tg_conv2d(x, w, b, &o);
                if (c) {
                    tg_zero_grad(g);
                    tg_tensor *gt = tg_input(g, TG_F32, 4, xs, gv);
                    if (tg_backward_seed(g, y, gt) != TG_OK)
                        die(g, "tg_backward_seed");
                }
                if (tg_graph_error(g)) die(g, name);
                tg_graph_reset(g);
            }
            if (r >= 0) t[r] = (bench_now() - t0) / (double)steps;
        }
        double sec = bench_median(t, a.reps);
        double f = c ? 3 * flops : flops;
        printf("{\"bench\": \"conv\", \"case\": \"%s\", \"seconds\": %.6g, "
               "\"gflops\": %.3g, \"threads\": %d}\n",
               name, sec, f / sec * 1e-9, a.threads);
        free(t);
    }
    free(xv);
    free(gv);
    tg_graph_free(g);
    return 0;
}
