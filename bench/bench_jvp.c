/* Cost of forward mode: a JVP (and a VJP for comparison) of a 3-layer
 * tanh MLP against the forward pass it differentiates, f32, batch 64,
 * widths 256 (--tiny: batch 4, widths 16).
 *
 *   case jvp   seconds = median time of one JVP (recorded reverse pass of
 *              <u, y>, then the reverse pass of that), with fwd_seconds,
 *              the median forward pass, and jvp_over_fwd their ratio.
 *   case vjp   the same for one VJP.
 * Each timed repetition records the forward pass afresh on a reset graph;
 * the forward time is subtracted from the forward + derivative time. */
#include <tapegrad/tapegrad.h>

#include "bench.h"

#define LAYERS 3

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 21, 3);
    tg_set_num_threads(a.threads);
    int64_t B = a.tiny ? 4 : 64, H = a.tiny ? 16 : 256;
    tg_graph *g = tg_graph_new();
    tg_tensor *W[LAYERS];
    for (int l = 0; l < LAYERS; l++) {
        W[l] = tg_param(g, TG_F32, TG_SHAPE(H, H), NULL);
        bench_fill(tg_f32(W[l]), H * H, 10 + (uint64_t)l, -1.0 / 16, 1.0 / 16);
    }
    float *xd = malloc(sizeof(float) * (size_t)(B * H));
    float *vd = malloc(sizeof(float) * (size_t)(B * H));
    bench_fill(xd, B * H, 1, -1, 1);
    bench_fill(vd, B * H, 2, -1, 1);
    int n = a.reps + a.warmup;
    double *tf = calloc((size_t)n, sizeof *tf), *td = calloc((size_t)n, sizeof *td);
    double check = 0;
    for (int mode = 0; mode < 2; mode++) {
        const char *name = mode == 0 ? "jvp" : "vjp";
        if (!bench_want(&a, name)) continue;
        for (int r = 0; r < n; r++) {
            for (int with = 0; with < 2; with++) {
                tg_graph_reset(g);
                double t0 = bench_now();
                tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(B, H), xd);
                tg_set_requires_grad(x, true);
                tg_tensor *h = x;
                for (int l = 0; l < LAYERS; l++) h = tg_tanh(tg_matmul(h, W[l]));
                if (with) {
                    tg_tensor *v = tg_input(g, TG_F32, TG_SHAPE(B, H), vd), *d;
                    tg_status st = mode == 0
                        ? tg_jvp(g, &h, 1, &x, 1, &v, false, &d)
                        : tg_vjp(g, &h, 1, &v, &x, 1, false, &d);
                    if (st != TG_OK) {
                        fprintf(stderr, "%s\n", tg_graph_error(g));
                        return 1;
                    }
                    check += tg_get(d, 0);
                } else {
                    check += tg_get(h, 0);
                }
                double t = bench_now() - t0;
                (with ? td : tf)[r] = t;
            }
        }
        double mf = bench_median(tf + a.warmup, a.reps);
        double md = bench_median(td + a.warmup, a.reps) - mf;
        bench_begin("jvp", name);
        bench_kv_num("seconds", md > 0 ? md : 0);
        bench_kv_num("fwd_seconds", mf);
        bench_kv_num(mode == 0 ? "jvp_over_fwd" : "vjp_over_fwd", md / mf);
        bench_kv_num("checksum", check);
        bench_end();
    }
    free(tf);
    free(td);
    free(xd);
    free(vd);
    tg_graph_free(g);
    return 0;
}
