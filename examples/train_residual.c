/* train_residual: why residual connections matter, the full-size
 * acceptance run. Two 16-block networks of width 256 on Fashion-MNIST,
 * identical but for the skip connection:
 *
 *   residual: x -> Linear(784,256) -> 16 x [x + F(LN(x))] -> LN -> Linear(256,10)
 *   plain:    x -> Linear(784,256) -> 16 x [F(LN(x))]     -> LN -> Linear(256,10)
 *
 * with F = Linear(256,256) -> GELU -> Linear(256,256), PyTorch's default
 * initialisation, Adam (lr 1e-3), mini-batches of 128, the same seed and
 * batch order for both. Prints each network's mean training loss and test
 * accuracy per epoch.
 *
 *   train_residual [--epochs N] [--train N] [--blocks N] [--width N]
 *                  [--batch N] [--lr X] [--seed N] [--threads N]
 *                  [--only residual|plain] [--data DIR]
 *
 * Public API only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
/* Wall time, and CPU time of all threads (on a shared machine the CPU
 * time of a one-thread run is the steadier figure). */
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

/* The network; residual selects x + F(LN(x)) over F(LN(x)). */
static tg_layer *build(tg_graph *g, int blocks, int64_t width, bool residual)
{
    tg_layer **parts = calloc((size_t)blocks + 3, sizeof *parts);
    int n = 0;
    parts[n++] = tg_nn_linear(g, TG_F32, 784, width, true, TG_INIT_DEFAULT, "embed");
    for (int i = 0; i < blocks; i++) {
        char name[64], fname[64];
        snprintf(name, sizeof name, "block%d", i);
        snprintf(fname, sizeof fname, "block%d.ff", i);
        tg_layer *f = tg_nn_mlp(g, TG_F32, 3, (int64_t[]){width, width, width},
                                "gelu", NULL, TG_INIT_DEFAULT, fname);
        if (residual) {
            parts[n++] = tg_nn_preln(g, TG_F32, width, f, name);
        } else {
            char lname[80];
            snprintf(lname, sizeof lname, "block%d.ln", i);
            tg_layer *seq[2] = {tg_nn_layernorm(g, TG_F32, width, 1e-5, lname), f};
            parts[n++] = tg_nn_sequential(g, 2, seq, name);
        }
    }
    parts[n++] = tg_nn_layernorm(g, TG_F32, width, 1e-5, "final_ln");
    parts[n++] = tg_nn_linear(g, TG_F32, width, 10, true, TG_INIT_DEFAULT, "head");
    tg_layer *net = tg_nn_sequential(g, n, parts, residual ? "residual" : "plain");
    free(parts);
    return net;
}

static int load(const char *dir, const char *name, tg_array *a)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tg_idx_load(path, a) != TG_OK) {
        fprintf(stderr, "train_residual: %s\n", tg_last_error());
        return 1;
    }
    return 0;
}

typedef struct run {
    const char *label;
    tg_graph *g;
    tg_layer *net;
    tg_optim *opt;
    tg_batcher *b;
} run;

static double evaluate(run *r, const tg_array *X, const tg_array *Y)
{
    tg_batch_opts bo = {.batch_size = 1000};
    tg_batcher *b = tg_batcher_new(X, Y, &bo);
    bool grad = tg_set_grad_enabled(r->g, false);
    tg_set_training(r->g, false);
    double right = 0;
    tg_tensor *x, *y;
    for (int64_t n; (n = tg_batcher_next(b, r->g, TG_F32, &x, &y)) > 0;) {
        right += tg_accuracy(tg_layer_forward(r->net, x), y) * (double)n;
        tg_graph_reset(r->g);
    }
    tg_set_grad_enabled(r->g, grad);
    tg_set_training(r->g, true);
    tg_batcher_free(b);
    return right / (double)X->shape[0];
}

int main(int argc, char **argv)
{
    int epochs = 3, blocks = 16, threads = 0;
    int64_t ntrain = 60000, width = 256, batch = 128;
    double lr = 1e-3;
    uint64_t seed = 1;
    const char *dir = "/usr/share/datasets/fashion-mnist", *only = NULL;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: train_residual [--epochs N] [--train N] [--blocks N] "
                "[--width N]\n"
                "                      [--batch N] [--lr X] [--seed N] "
                "[--threads N]\n"
                "                      [--only residual|plain] [--data DIR]\n"
                "Residual MLPs on Fashion-MNIST (defaults: 3 epochs, 16 "
                "blocks of width 256,\nbatch 128, lr 1e-3, seed 1).\n");
            return 0;
        }
        if (!v) {
            fprintf(stderr, "train_residual: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--epochs")) epochs = atoi(v);
        else if (!strcmp(a, "--train")) ntrain = atoll(v);
        else if (!strcmp(a, "--blocks")) blocks = atoi(v);
        else if (!strcmp(a, "--width")) width = atoll(v);
        else if (!strcmp(a, "--batch")) batch = atoll(v);
        else if (!strcmp(a, "--lr")) lr = atof(v);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--only")) only = v;
        else if (!strcmp(a, "--data")) dir = v;
        else {
            fprintf(stderr, "train_residual: unknown option %s\n", a);
            return 2;
        }
    }
    tg_set_num_threads(threads);
    tg_array Xtr, Ytr, Xte, Yte;
    if (load(dir, "train-images-idx3-ubyte.gz", &Xtr) ||
        load(dir, "train-labels-idx1-ubyte.gz", &Ytr) ||
        load(dir, "t10k-images-idx3-ubyte.gz", &Xte) ||
        load(dir, "t10k-labels-idx1-ubyte.gz", &Yte))
        return 1;
    if (ntrain < Xtr.shape[0]) {
        tg_array a, b;
        tg_array_rows(&Xtr, 0, ntrain, &a);
        tg_array_rows(&Ytr, 0, ntrain, &b);
        tg_array_free(&Xtr);
        tg_array_free(&Ytr);
        Xtr = a;
        Ytr = b;
    }
    tg_array_reshape_rows(&Xtr);
    tg_array_reshape_rows(&Xte);
    tg_array_scale(&Xtr, 1.0 / 255, 0);
    tg_array_scale(&Xte, 1.0 / 255, 0);

    run runs[2] = {{.label = "residual"}, {.label = "plain"}};
    int nruns = 0;
    for (int k = 0; k < 2; k++) {
        if (only && strcmp(only, runs[k].label)) continue;
        run *r = &runs[nruns++];
        *r = runs[k];
        r->g = tg_graph_new();
        tg_rng_seed(tg_graph_rng(r->g), seed);
        r->net = build(r->g, blocks, width, k == 0);
        tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
        oc.lr = lr;
        r->opt = r->net ? tg_optim_new(&oc, tg_layer_num_params(r->net),
                                       tg_layer_params(r->net))
                        : NULL;
        if (!r->opt) {
            fprintf(stderr, "train_residual: %s\n",
                    r->net ? tg_last_error() : tg_graph_error(r->g));
            return 1;
        }
        tg_batch_opts bo = {.batch_size = batch, .shuffle = true, .seed = seed};
        r->b = tg_batcher_new(&Xtr, &Ytr, &bo);
    }
    printf("train_residual: %d blocks of width %lld (pre-LN, GELU MLP), Adam "
           "lr %g, batch %lld, %lld training images, %d threads\n",
           blocks, (long long)width, lr, (long long)batch,
           (long long)Xtr.shape[0], tg_get_num_threads());
    printf("epoch  network   train_loss  test_acc  epoch_s  ms/step  cpu_ms/step\n");
    for (int ep = 1; ep <= epochs; ep++)
        for (int k = 0; k < nruns; k++) {
            run *r = &runs[k];
            double t0 = now(), c0 = cpu(), sum = 0;
            int64_t seen = 0, steps = 0;
            tg_tensor *x, *y;
            for (int64_t n; (n = tg_batcher_next(r->b, r->g, TG_F32, &x, &y)) > 0;) {
                tg_tensor *loss = tg_cross_entropy(tg_layer_forward(r->net, x), y);
                if (tg_backward(r->g, loss) != TG_OK) {
                    fprintf(stderr, "train_residual: %s\n", tg_graph_error(r->g));
                    return 1;
                }
                tg_optim_step(r->opt);
                tg_optim_zero_grad(r->opt);
                sum += tg_item(loss) * (double)n;
                seen += n;
                steps++;
                tg_graph_reset(r->g);
            }
            double dt = now() - t0, dc = cpu() - c0;
            printf("%5d  %-8s  %10.4f  %8.4f  %7.2f  %7.2f  %11.2f\n", ep,
                   r->label, sum / (double)seen, evaluate(r, &Xte, &Yte), dt,
                   1e3 * dt / (double)steps, 1e3 * dc / (double)steps);
            fflush(stdout);
        }
    for (int k = 0; k < nruns; k++) {
        tg_batcher_free(runs[k].b);
        tg_optim_free(runs[k].opt);
        tg_layer_free(runs[k].net);
        tg_graph_free(runs[k].g);
    }
    tg_array_free(&Xtr);
    tg_array_free(&Ytr);
    tg_array_free(&Xte);
    tg_array_free(&Yte);
    return 0;
}
