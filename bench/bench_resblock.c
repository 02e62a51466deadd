/* Workload 4: 16 pre-LayerNorm residual MLP blocks,
 *     x <- x + linear(gelu(linear(layer_norm(x), d -> 4d)), 4d -> d),
 * d = 256, batch 64, mean-squared error to a fixed target, Adam (lr 1e-3,
 * torch's defaults otherwise). Reported: milliseconds per training step
 * (forward, backward, Adam, clearing the gradients to none as the PyTorch
 * side does), the median of --reps runs of --steps steps after --warmup
 * untimed runs.
 *
 * The network comes from the nn API (tg_nn_preln, tg_nn_sequential,
 * tg_nn_linear, tg_optim). Same data and initial weights as
 * bench/torch_ref.py: input and target from bench_fill, Linear weights
 * uniform in +-1/sqrt(fan_in) (PyTorch's default bound) from bench_fill,
 * biases 0, LayerNorm weight 1, bias 0.
 */
#include <math.h>
#include <tapegrad/tapegrad.h>

#include "bench.h"

#define D 256
#define H (4 * D)
#define BATCH 64
#define MAX_BLOCKS 16

static void die(tg_graph *g, const char *what)
{
    fprintf(stderr, "bench_resblock: %s: %s\n", what,
            g && tg_graph_error(g) ? tg_graph_error(g) : tg_last_error());
    exit(1);
}

/* Block k: tg_nn_preln(256, sequential(linear 256->1024, gelu,
 * linear 1024->256)), built with the nn API; the Linear weights are then
 * overwritten with the PyTorch side's values (bench_fill streams
 * 2000 + 2k and 2001 + 2k, +-1/sqrt(fan_in)), biases zeroed, and the
 * layer norm keeps its initial weight 1 and bias 0. */
static tg_layer *block(tg_graph *g, int k)
{
    char name[32];
    snprintf(name, sizeof name, "b%d", k);
    tg_layer *parts[3] = {
        tg_nn_linear(g, TG_F32, D, H, true, TG_INIT_DEFAULT, "fc1"),
        tg_nn_activation_named(g, "gelu"),
        tg_nn_linear(g, TG_F32, H, D, true, TG_INIT_DEFAULT, "fc2")};
    tg_layer *b = tg_nn_preln(g, TG_F32, D,
                              tg_nn_sequential(g, 3, parts, "mlp"), name);
    if (!b) die(g, "tg_nn_preln");
    int np = tg_layer_num_params(b), w = 0;
    tg_tensor *const *ps = tg_layer_params(b);
    for (int i = 0; i < np; i++) {
        tg_tensor *p = ps[i];
        size_t len = p->name ? strlen(p->name) : 0;
        if (p->ndim == 2) {
            double bound = 1 / sqrt((double)p->shape[0]);
            bench_fill(tg_f32(p), p->numel, 2000 + 2 * (uint64_t)k + (uint64_t)w++,
                       -bound, bound);
        } else if (!(len > 10 && !strcmp(p->name + len - 10, ".ln.weight"))) {
            memset(p->data, 0, sizeof(float) * (size_t)p->numel);
        }
    }
    return b;
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
    tg_layer *blocks[MAX_BLOCKS];
    for (int k = 0; k < n_blocks; k++) blocks[k] = block(g, k);
    tg_layer *net = tg_nn_sequential(g, n_blocks, blocks, "net");
    if (!net) die(g, "tg_nn_sequential");
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = 1e-3;
    /* as torch_ref.py clears them: zero_grad(set_to_none=True), so no
     * zeros are stored over the gradients (bench_mlp.c does the same) */
    oc.set_to_none = true;
    tg_optim *opt = tg_optim_new(&oc, tg_layer_num_params(net),
                                 tg_layer_params(net));
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
            tg_tensor *l = tg_mse(tg_layer_forward(net, x), tgt);
            if (tg_backward(g, l) != TG_OK) die(g, "backward");
            loss = tg_item(l);
            if (isnan(loss_first)) loss_first = loss;
            tg_optim_step_zero_grad(opt); /* step, then zero_grad */
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
    tg_layer_free(net);
    tg_graph_free(g);
    return 0;
}
