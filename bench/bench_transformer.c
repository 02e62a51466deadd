/* Workload `transformer`: one training step of one pre-LayerNorm
 * transformer block (tg_nn_transformer_block with TG_LN_PRE: PyTorch's
 * nn.TransformerEncoderLayer with norm_first=True), d = 128, 4 heads,
 * feed-forward 512 with ReLU, no dropout, batch-first [32, 64, 128], causal
 * self-attention: forward, mean-squared error against a fixed target,
 * backward, Adam (lr 1e-3), zeroing the gradients. Reported: seconds per
 * step, the median of --reps runs of --steps steps after --warmup untimed
 * runs.
 *
 * Same data and initial weights as bench/torch_ref.py: the parameters
 * have PyTorch's names and layout, and bench_fill writes them (in_proj
 * xavier-uniform bound, the linear layers U(±1/sqrt(fan_in)), the
 * attention biases 0, the layer norms 1 and 0).
 */
#include <math.h>
#include <tapegrad/tapegrad.h>

#include "bench.h"

static void die(tg_graph *g, const char *what)
{
    fprintf(stderr, "bench_transformer: %s: %s\n", what,
            g && tg_graph_error(g) ? tg_graph_error(g) : tg_last_error());
    exit(1);
}

static void set(tg_graph *g, tg_layer *l, const char *name, uint64_t stream,
                double bound)
{
    tg_tensor *p = tg_layer_find(l, name);
    if (!p) die(g, name);
    if (bound > 0) bench_fill(tg_f32(p), p->numel, stream, -bound, bound);
    else memset(p->data, 0, sizeof(float) * (size_t)p->numel);
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 7, 1);
    int64_t D = bench_opt_int(&a, "--dim", a.tiny ? 16 : 128);
    int64_t T = bench_opt_int(&a, "--seq", a.tiny ? 8 : 64);
    int64_t B = bench_opt_int(&a, "--batch", a.tiny ? 2 : 32);
    int64_t NH = 4, F = 4 * D;
    long steps = bench_opt_int(&a, "--steps", a.tiny ? 2 : 10);
    tg_set_num_threads(a.threads);
    if (!bench_want(&a, "step")) return 0; /* idle footprint */

    tg_graph *g = tg_graph_new();
    tg_block_opts bo = {.norm = TG_LN_PRE, .dim_ff = F, .batch_first = true,
                        .causal = true};
    tg_layer *blk = tg_nn_transformer_block(g, TG_F32, D, NH, &bo, "blk");
    if (!blk) die(g, "tg_nn_transformer_block");
    set(g, blk, "blk.self_attn.in_proj_weight", 4000,
        sqrt(6.0 / (double)(D + 3 * D)));
    set(g, blk, "blk.self_attn.in_proj_bias", 0, 0);
    set(g, blk, "blk.self_attn.out_proj.weight", 4001, 1 / sqrt((double)D));
    set(g, blk, "blk.self_attn.out_proj.bias", 0, 0);
    set(g, blk, "blk.linear1.weight", 4002, 1 / sqrt((double)D));
    set(g, blk, "blk.linear1.bias", 4003, 1 / sqrt((double)D));
    set(g, blk, "blk.linear2.weight", 4004, 1 / sqrt((double)F));
    set(g, blk, "blk.linear2.bias", 4005, 1 / sqrt((double)F));
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = 1e-3;
    oc.set_to_none = true; /* torch_ref.py: zero_grad(set_to_none=True) */
    tg_optim *opt = tg_optim_new(&oc, tg_layer_num_params(blk),
                                 tg_layer_params(blk));
    if (!opt) die(NULL, "tg_optim_new");
    float *xv = malloc(sizeof(float) * (size_t)(B * T * D));
    float *tv = malloc(sizeof(float) * (size_t)(B * T * D));
    if (!xv || !tv) die(NULL, "out of memory");
    bench_fill(xv, B * T * D, 4100, -1, 1);
    bench_fill(tv, B * T * D, 4101, -1, 1);

    double *t = calloc((size_t)a.reps, sizeof *t);
    double loss_first = NAN, loss = NAN;
    for (int r = -a.warmup; r < a.reps; r++) {
        double t0 = bench_now();
        for (long s = 0; s < steps; s++) {
            tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(B, T, D), xv);
            tg_tensor *tgt = tg_input(g, TG_F32, TG_SHAPE(B, T, D), tv);
            tg_tensor *l = tg_mse(tg_layer_forward(blk, x), tgt);
            if (tg_backward(g, l) != TG_OK) die(g, "backward");
            loss = tg_item(l);
            if (isnan(loss_first)) loss_first = loss;
            tg_optim_step_zero_grad(opt);
            tg_graph_reset(g);
        }
        if (r >= 0) t[r] = bench_now() - t0;
    }
    double med = bench_median(t, a.reps) / (double)steps;
    bench_begin("transformer", "step");
    bench_kv_num("seconds", med);
    bench_kv_num("dim", (double)D);
    bench_kv_num("seq", (double)T);
    bench_kv_num("batch", (double)B);
    bench_kv_num("loss_first", loss_first);
    bench_kv_num("loss", loss);
    bench_end();
    free(t);
    free(xv);
    free(tv);
    tg_optim_free(opt);
    tg_layer_free(blk);
    tg_graph_free(g);
    return 0;
}
