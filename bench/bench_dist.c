/* Data-parallel training steps (tapegrad/dist.h), run under mpirun:
 *
 *   mpirun -np P bench_dist [--model mlp|res] [--rounds R] [--steps S]
 *                           [--bucket-kb K]
 *
 * Models: mlp, the fashion demo's 784-256-256-10 ReLU MLP, f32, global
 * batch 128, SGD with momentum; res, 16 pre-LayerNorm residual blocks
 * (d 256, hidden 1024, GELU), f32, global batch 64, MSE, Adam (bench
 * workload 4). Inputs are random (fixed seed): the time of a step does not
 * depend on the values.
 *
 * Each round runs S steps with the exchange overlapped with backward, then
 * S steps with it after backward (two tg_ddp wrappers over the same
 * parameters), so both variants see the same machine load; the figures
 * are medians over the R rounds, as rank 0 measured them: the whole step
 * (forward, backward, exchange, optimizer), the backward call, and the
 * wait after it for the exchange to finish (the communication that was
 * not hidden). Run it with -np 1 for the single-process reference (the
 * whole global batch on one process, nothing to exchange). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/dist.h>
#include <tapegrad/tapegrad.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void die(tg_graph *g, const char *what)
{
    fprintf(stderr, "bench_dist: %s: %s\n", what,
            g && tg_graph_error(g) ? tg_graph_error(g) : tg_last_error());
    tg_dist_abort(1);
}

static tg_layer *res_block(tg_graph *g, int k)
{
    char name[32];
    snprintf(name, sizeof name, "b%d", k);
    tg_layer *parts[3] = {
        tg_nn_linear(g, TG_F32, 256, 1024, true, TG_INIT_DEFAULT, "fc1"),
        tg_nn_activation_named(g, "gelu"),
        tg_nn_linear(g, TG_F32, 1024, 256, true, TG_INIT_DEFAULT, "fc2")};
    return tg_nn_preln(g, TG_F32, 256, tg_nn_sequential(g, 3, parts, "mlp"),
                       name);
}

int main(int argc, char **argv)
{
    if (tg_dist_init(&argc, &argv) != TG_OK) die(NULL, "tg_dist_init");
    const char *model = "mlp";
    int rounds = 5, steps = 20;
    long bucket_kb = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--model")) model = argv[i + 1];
        else if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--bucket-kb")) bucket_kb = atol(argv[i + 1]);
    }
    bool mlp = !strcmp(model, "mlp");
    if ((!mlp && strcmp(model, "res")) || rounds < 1 || rounds > 100 ||
        steps < 1) {
        fprintf(stderr, "usage: bench_dist [--model mlp|res] [--rounds R] "
                        "[--steps S] [--bucket-kb K]\n");
        return 2;
    }
    int rank = tg_dist_rank(), size = tg_dist_size();
    int64_t global = mlp ? 128 : 64, in = mlp ? 784 : 256, out = mlp ? 10 : 256;
    int64_t local = global * (rank + 1) / size - global * rank / size;

    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 1);
    tg_layer *net;
    if (mlp) {
        net = tg_nn_mlp(g, TG_F32, 4, (int64_t[]){784, 256, 256, 10}, "relu",
                        NULL, TG_INIT_HE_NORMAL, "mlp");
    } else {
        tg_layer *blocks[16];
        for (int k = 0; k < 16; k++) blocks[k] = res_block(g, k);
        net = tg_nn_sequential(g, 16, blocks, "net");
    }
    if (!net) die(g, "building the model");
    int np = tg_layer_num_params(net);
    tg_tensor *const *params = tg_layer_params(net);
    tg_ddp_opts on = {.bucket_bytes = bucket_kb * 1024};
    tg_ddp_opts off = {.bucket_bytes = bucket_kb * 1024, .no_overlap = true};
    tg_ddp *ddp[2] = {tg_ddp_new(g, np, params, &on),
                      tg_ddp_new(g, np, params, &off)};
    if (!ddp[0] || !ddp[1]) die(g, "tg_ddp_new");
    tg_optim_config oc = tg_optim_defaults(mlp ? TG_OPTIM_MOMENTUM
                                               : TG_OPTIM_ADAM);
    oc.lr = mlp ? 0.01 : 1e-3;
    tg_optim *opt = tg_optim_new(&oc, np, params);
    if (!opt) die(NULL, "tg_optim_new");

    /* random inputs and targets, made once */
    float *xd = malloc(sizeof(float) * (size_t)(local * in));
    float *yd = malloc(sizeof(float) * (size_t)(local * (mlp ? 1 : out)));
    tg_rng r;
    tg_rng_seed(&r, 7 + (uint64_t)rank);
    for (int64_t i = 0; i < local * in; i++)
        xd[i] = (float)(2 * tg_rng_uniform(&r) - 1);
    for (int64_t i = 0; i < local * (mlp ? 1 : out); i++)
        yd[i] = mlp ? (float)(tg_rng_next(&r) % 10)
                    : (float)(2 * tg_rng_uniform(&r) - 1);

    int64_t bytes = 0;
    for (int i = 0; i < np; i++) bytes += params[i]->numel * 4;
    double *step_ms[2], *bw_ms[2], *wait_ms[2], early[2] = {0, 0};
    for (int v = 0; v < 2; v++) {
        step_ms[v] = calloc((size_t)rounds, sizeof(double));
        bw_ms[v] = calloc((size_t)rounds, sizeof(double));
        wait_ms[v] = calloc((size_t)rounds, sizeof(double));
    }
    for (int round = -1; round < rounds; round++) { /* round -1: warm-up */
        for (int v = 0; v < 2; v++) {
            if (tg_dist_barrier() != TG_OK) die(NULL, "tg_dist_barrier");
            tg_ddp_reset_stats(ddp[v]);
            double t0 = now();
            for (int s = 0; s < steps; s++) {
                tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(local, in), xd);
                tg_tensor *y =
                    mlp ? tg_input(g, TG_F32, TG_SHAPE(local), yd)
                        : tg_input(g, TG_F32, TG_SHAPE(local, out), yd);
                tg_tensor *o = tg_layer_forward(net, x);
                tg_tensor *loss = mlp ? tg_cross_entropy(o, y) : tg_mse(o, y);
                if (tg_ddp_backward(ddp[v], loss) != TG_OK)
                    die(g, "tg_ddp_backward");
                tg_optim_step_zero_grad(opt);
                tg_graph_reset(g);
            }
            double t = now() - t0;
            if (round < 0) continue;
            tg_ddp_stats st = tg_ddp_get_stats(ddp[v]);
            step_ms[v][round] = 1e3 * t / steps;
            bw_ms[v][round] = 1e3 * st.backward_s / steps;
            wait_ms[v][round] = 1e3 * st.wait_s / steps;
            early[v] = st.started_early;
        }
    }
    if (rank == 0) {
        tg_ddp_stats st = tg_ddp_get_stats(ddp[0]);
        printf("bench_dist: model %s, %d parameter tensors, %lld bytes of f32 "
               "gradients in %lld bucket%s; global batch %lld on %d "
               "process%s (%lld rows here), %d thread%s each; medians of %d "
               "rounds of %d steps\n",
               model, np, (long long)bytes, (long long)st.buckets,
               st.buckets == 1 ? "" : "s", (long long)global, size,
               size == 1 ? "" : "es", (long long)local, tg_get_num_threads(),
               tg_get_num_threads() == 1 ? "" : "s", rounds, steps);
        double s[2], b[2], w[2];
        for (int v = 0; v < 2; v++) {
            s[v] = median(step_ms[v], rounds);
            b[v] = median(bw_ms[v], rounds);
            w[v] = median(wait_ms[v], rounds);
            printf("  %-11s step %8.3f ms   backward %8.3f ms   waiting for "
                   "the exchange after it %7.3f ms (%4.1f%% of the step)   "
                   "buckets started during backward %3.0f%%\n",
                   v ? "after" : "overlapped", s[v], b[v], w[v],
                   100 * w[v] / s[v], 100 * early[v]);
        }
        int64_t epoch_steps = mlp ? (60000 + global - 1) / global : 0;
        printf("  overlap saves %.3f ms per step (%.1f%% of the step without "
               "it)\n",
               s[1] - s[0], 100 * (s[1] - s[0]) / s[1]);
        if (mlp)
            printf("  epoch of 60000 images (%lld steps): %.2f s overlapped, "
                   "%.2f s after\n",
                   (long long)epoch_steps, s[0] * (double)epoch_steps / 1e3,
                   s[1] * (double)epoch_steps / 1e3);
    }
    for (int v = 0; v < 2; v++) {
        free(step_ms[v]);
        free(bw_ms[v]);
        free(wait_ms[v]);
        tg_ddp_free(ddp[v]);
    }
    free(xd);
    free(yd);
    tg_optim_free(opt);
    tg_layer_free(net);
    tg_graph_free(g);
    return tg_dist_finalize() == TG_OK ? 0 : 1;
}
