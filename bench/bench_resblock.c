/* Workload 4: 16 pre-LayerNorm residual MLP blocks,
 *     x <- x + linear(gelu(linear(layer_norm(x), d -> 4d)), 4d -> d),
 * d = 256, batch 64, mean-squared error to a fixed target, Adam (lr 1e-3,
 * torch's defaults otherwise). Reported: milliseconds per training step
 * (forward, backward, Adam, zeroing the gradients), the median of --reps
 * runs of --steps steps after --warmup untimed runs.
 *
 * Same data and initial weights as bench/torch_ref.py: input and target
 * from bench_fill, Linear weights uniform in +-1/sqrt(fan_in) (PyTorch's
 * default bound) from bench_fill, biases 0, LayerNorm weight 1, bias 0.
 */
#include <math.h>
#include <tapegrad/tapegrad.h>

#include "bench.h"

#define D 256
#define H (4 * D)
#define BATCH 64
#define MAX_BLOCKS 16

typedef struct block {
    tg_tensor *ln_w, *ln_b, *W1, *b1, *W2, *b2;
} block;

static void die(tg_graph *g, const char *what)
{
    fprintf(stderr, "bench_resblock: %s: %s\n", what,
            g && tg_graph_error(g) ? tg_graph_error(g) : tg_last_error());
    exit(1);
}

static tg_tensor *param(tg_graph *g, int ndim, const int64_t *shape,
                        double bound, uint64_t off, double fill)
{
    tg_tensor *p = tg_param(g, TG_F32, ndim, shape, NULL);
    if (!p) die(g, "tg_param");
    if (bound > 0) bench_fill(tg_f32(p), p->numel, off, -bound, bound);
    else
        for (int64_t i = 0; i < p->numel; i++) tg_f32(p)[i] = (float)fill;
    return p;
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 7, 1);
    int n_blocks = (int)bench_opt_int(&a, "--blocks", a.tiny ? 2 : 16);
    long steps = bench_opt_int(&a, "--steps", a.tiny ? 2 : 10);
    if (n_blocks < 1 || n_blocks > MAX_BLOCKS) n_blocks = MAX_BLOCKS;
    tg_set_num_threads(a.threads);
    if (!bench_want(&a, "step")) return 0; /* idle footprint */

    tg_graph *g = tg_graph_new();
    block blk[MAX_BLOCKS];
    tg_tensor *params[6 * MAX_BLOCKS];
    int np = 0;
    for (int k = 0; k < n_blocks; k++) {
        uint64_t off = 2000 + 2 * (uint64_t)k;
        blk[k].ln_w = param(g, 1, (int64_t[]){D}, 0, 0, 1.0);
        blk[k].ln_b = param(g, 1, (int64_t[]){D}, 0, 0, 0.0);
        blk[k].W1 = param(g, 2, (int64_t[]){D, H}, 1 / sqrt(D), off, 0);
        blk[k].b1 = param(g, 1, (int64_t[]){H}, 0, 0, 0.0);
        blk[k].W2 = param(g, 2, (int64_t[]){H, D}, 1 / sqrt(H), off + 1, 0);
        blk[k].b2 = param(g, 1, (int64_t[]){D}, 0, 0, 0.0);
        tg_tensor *ps[6] = {blk[k].ln_w, blk[k].ln_b, blk[k].W1,
                            blk[k].b1,   blk[k].W2,   blk[k].b2};
        for (int i = 0; i < 6; i++) params[np++] = ps[i];
    }
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = 1e-3;
    tg_optim *opt = tg_optim_new(&oc, np, params);
    if (!opt) die(NULL, "tg_optim_new");

    float *xv = malloc(sizeof(float) * BATCH * D);
    float *tv = malloc(sizeof(float) * BATCH * D);
    if (!xv || !tv) die(NULL, "out of memory");
    bench_fill(xv, BATCH * D, 5000, -1, 1);
    bench_fill(tv, BATCH * D, 6000, -1, 1);

    double *t = calloc((size_t)a.reps, sizeof *t);
    double loss_first = NAN, loss = NAN;
    for (int r = -a.warmup; r < a.reps; r++) {
        double t0 = bench_now();
        for (long s = 0; s < steps; s++) {
            tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(BATCH, D), xv);
            tg_tensor *tgt = tg_input(g, TG_F32, TG_SHAPE(BATCH, D), tv);
            for (int k = 0; k < n_blocks; k++) {
                tg_tensor *h = tg_layer_norm(x, blk[k].ln_w, blk[k].ln_b, 1e-5);
                h = tg_gelu(tg_linear(h, blk[k].W1, blk[k].b1));
                x = tg_add(x, tg_linear(h, blk[k].W2, blk[k].b2));
            }
            tg_tensor *l = tg_mse(x, tgt);
            if (tg_backward(g, l) != TG_OK) die(g, "backward");
            loss = tg_item(l);
            if (isnan(loss_first)) loss_first = loss;
            tg_optim_step(opt);
            tg_optim_zero_grad(opt);
            tg_graph_reset(g);
        }
        if (r >= 0) t[r] = bench_now() - t0;
    }
    double med = bench_median(t, a.reps) / (double)steps;
    bench_begin("resblock", "step");
    bench_kv_num("seconds", med);
    bench_kv_num("blocks", n_blocks);
    bench_kv_num("loss_first", loss_first);
    bench_kv_num("loss", loss);
    bench_end();
    free(t);
    free(xv);
    free(tv);
    tg_optim_free(opt);
    tg_graph_free(g);
    return 0;
}
