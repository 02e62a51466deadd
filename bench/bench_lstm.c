/* Workload `lstm`: one training step of a one-layer LSTM, hidden 256,
 * input 256, T = 50 steps, batch 32, time-major ([T, B, I], PyTorch's
 * default layout): forward over the sequence, mean-squared error of every
 * output against a fixed target, backward, Adam (lr 1e-3), zeroing the
 * gradients. Reported: seconds per step, the median of --reps runs of
 * --steps steps after --warmup untimed runs.
 *
 * The layer is tg_nn_lstm (tapegrad/nn_seq.h). Same data and initial
 * weights as bench/torch_ref.py: the four parameters (PyTorch's layout
 * and names, so no transposes) and the input and target come from
 * bench_fill, the weights and biases U(±1/sqrt(H)) as nn.LSTM draws them.
 */
#include <math.h>
#include <tapegrad/tapegrad.h>

#include "bench.h"

static void die(tg_graph *g, const char *what)
{
    fprintf(stderr, "bench_lstm: %s: %s\n", what,
            g && tg_graph_error(g) ? tg_graph_error(g) : tg_last_error());
    exit(1);
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 7, 1);
    int64_t H = bench_opt_int(&a, "--hidden", a.tiny ? 16 : 256);
    int64_t T = bench_opt_int(&a, "--seq", a.tiny ? 5 : 50);
    int64_t B = bench_opt_int(&a, "--batch", a.tiny ? 4 : 32);
    int64_t I = H;
    long steps = bench_opt_int(&a, "--steps", a.tiny ? 2 : 5);
    tg_set_num_threads(a.threads);
    if (!bench_want(&a, "step")) return 0; /* idle footprint */

    tg_graph *g = tg_graph_new();
    tg_layer *lstm = tg_nn_lstm(g, TG_F32, I, H, NULL, "lstm");
    if (!lstm) die(g, "tg_nn_lstm");
    static const char *names[4] = {"lstm.weight_ih_l0", "lstm.weight_hh_l0",
                                   "lstm.bias_ih_l0", "lstm.bias_hh_l0"};
    double bound = 1 / sqrt((double)H);
    for (int k = 0; k < 4; k++) {
        tg_tensor *p = tg_layer_find(lstm, names[k]);
        if (!p) die(g, names[k]);
        bench_fill(tg_f32(p), p->numel, 3000 + (uint64_t)k, -bound, bound);
    }
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = 1e-3;
    oc.set_to_none = true; /* torch_ref.py: zero_grad(set_to_none=True) */
    tg_optim *opt = tg_optim_new(&oc, tg_layer_num_params(lstm),
                                 tg_layer_params(lstm));
    if (!opt) die(NULL, "tg_optim_new");
    float *xv = malloc(sizeof(float) * (size_t)(T * B * I));
    float *tv = malloc(sizeof(float) * (size_t)(T * B * H));
    if (!xv || !tv) die(NULL, "out of memory");
    bench_fill(xv, T * B * I, 3100, -1, 1);
    bench_fill(tv, T * B * H, 3101, -1, 1);

    double *t = calloc((size_t)a.reps, sizeof *t);
    double loss_first = NAN, loss = NAN;
    for (int r = -a.warmup; r < a.reps; r++) {
        double t0 = bench_now();
        for (long s = 0; s < steps; s++) {
            tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(T, B, I), xv);
            tg_tensor *tgt = tg_input(g, TG_F32, TG_SHAPE(T, B, H), tv);
            tg_tensor *l = tg_mse(tg_layer_forward(lstm, x), tgt);
            if (tg_backward(g, l) != TG_OK) die(g, "backward");
            loss = tg_item(l);
            if (isnan(loss_first)) loss_first = loss;
            tg_optim_step_zero_grad(opt);
            tg_graph_reset(g);
        }
        if (r >= 0) t[r] = bench_now() - t0;
    }
    double med = bench_median(t, a.reps) / (double)steps;
    bench_begin("lstm", "step");
    bench_kv_num("seconds", med);
    bench_kv_num("hidden", (double)H);
    bench_kv_num("seq", (double)T);
    bench_kv_num("batch", (double)B);
    bench_kv_num("loss_first", loss_first);
    bench_kv_num("loss", loss);
    bench_end();
    free(t);
    free(xv);
    free(tv);
    tg_optim_free(opt);
    tg_layer_free(lstm);
    tg_graph_free(g);
    return 0;
}
