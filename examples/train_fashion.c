/* train_fashion: a 784-256-256-10 ReLU MLP on Fashion-MNIST, the full-size
 * acceptance run. He-normal weights, SGD with momentum 0.9, lr 0.05,
 * mini-batches of 128. Pixels are standardized with the training set's
 * mean and standard deviation (--norm scale: only scaled to [0, 1]).
 * Prints the training loss, test accuracy and wall time per epoch;
 * optionally saves the model and optimizer.
 *
 *   train_fashion [--epochs N] [--train N] [--batch N] [--lr X] [--seed N]
 *                 [--threads N] [--norm standard|scale] [--data DIR]
 *                 [--save FILE]
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

static int load(const char *dir, const char *name, tg_array *a)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tg_idx_load(path, a) != TG_OK) {
        fprintf(stderr, "train_fashion: %s\n", tg_last_error());
        return 1;
    }
    return 0;
}

/* Accuracy of net on (X, Y) in eval mode without recording a tape. */
static double evaluate(tg_graph *g, tg_layer *net, const tg_array *X,
                       const tg_array *Y)
{
    tg_batch_opts bo = {.batch_size = 1000};
    tg_batcher *b = tg_batcher_new(X, Y, &bo);
    bool grad = tg_set_grad_enabled(g, false), train = tg_set_training(g, false);
    double right = 0;
    tg_tensor *x, *y;
    for (int64_t n; (n = tg_batcher_next(b, g, TG_F32, &x, &y)) > 0;) {
        right += tg_accuracy(tg_layer_forward(net, x), y) * (double)n;
        tg_graph_reset(g);
    }
    tg_set_grad_enabled(g, grad);
    tg_set_training(g, train);
    tg_batcher_free(b);
    return right / (double)X->shape[0];
}

int main(int argc, char **argv)
{
    int epochs = 10, threads = 0;
    int64_t ntrain = 60000, batch = 128;
    double lr = 0.05;
    uint64_t seed = 1;
    const char *dir = "/usr/share/datasets/fashion-mnist", *save = NULL;
    bool standardize = true;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: train_fashion [--epochs N] [--train N] [--batch N] [--lr X]\n"
                "                     [--seed N] [--threads N] "
                "[--norm standard|scale]\n"
                "                     [--data DIR] [--save FILE]\n"
                "A 784-256-256-10 ReLU MLP on Fashion-MNIST (defaults: 10 "
                "epochs, 60000\nimages, batch 128, lr 0.05, seed 1, "
                "standardised pixels).\n");
            return 0;
        }
        if (!v) {
            fprintf(stderr, "train_fashion: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--epochs")) epochs = atoi(v);
        else if (!strcmp(a, "--train")) ntrain = atoll(v);
        else if (!strcmp(a, "--batch")) batch = atoll(v);
        else if (!strcmp(a, "--lr")) lr = atof(v);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--data")) dir = v;
        else if (!strcmp(a, "--save")) save = v;
        else if (!strcmp(a, "--norm")) standardize = strcmp(v, "scale") != 0;
        else {
            fprintf(stderr, "train_fashion: unknown option %s\n", a);
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
    if (ntrain < Xtr.shape[0]) { /* a prefix of the training set */
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
    if (standardize) { /* the training set's global mean and std for both */
        double mu, sd;
        tg_array_mean_std(&Xtr, &mu, &sd);
        tg_array_scale(&Xtr, 1 / sd, -mu / sd);
        tg_array_scale(&Xte, 1 / sd, -mu / sd);
    }

    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), seed);
    tg_layer *net = tg_nn_mlp(g, TG_F32, 4, (int64_t[]){784, 256, 256, 10},
                              "relu", NULL, TG_INIT_HE_NORMAL, "mlp");
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    oc.lr = lr;
    oc.momentum = 0.9;
    tg_optim *opt = net ? tg_optim_new(&oc, tg_layer_num_params(net),
                                       tg_layer_params(net))
                        : NULL;
    if (!opt) {
        fprintf(stderr, "train_fashion: %s\n",
                net ? tg_last_error() : tg_graph_error(g));
        return 1;
    }
    tg_batch_opts bo = {.batch_size = batch, .shuffle = true, .seed = seed};
    tg_batcher *b = tg_batcher_new(&Xtr, &Ytr, &bo);

    printf("train_fashion: 784-256-256-10 relu MLP, He init, SGD momentum "
           "0.9, lr %g, batch %lld, %lld training images, %s inputs, %d "
           "threads\n",
           lr, (long long)batch, (long long)Xtr.shape[0],
           standardize ? "standardized" : "[0,1]", tg_get_num_threads());
    printf("epoch  train_loss  test_acc  epoch_s  cpu_s\n");
    double total = 0;
    for (int ep = 1; ep <= epochs; ep++) {
        double t0 = now(), c0 = cpu(), loss_sum = 0;
        int64_t seen = 0;
        tg_tensor *x, *y;
        for (int64_t n; (n = tg_batcher_next(b, g, TG_F32, &x, &y)) > 0;) {
            tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), y);
            if (tg_backward(g, loss) != TG_OK) {
                fprintf(stderr, "train_fashion: %s\n", tg_graph_error(g));
                return 1;
            }
            tg_optim_step(opt);
            tg_optim_zero_grad(opt);
            loss_sum += tg_item(loss) * (double)n;
            seen += n;
            tg_graph_reset(g);
        }
        double dt = now() - t0, dc = cpu() - c0;
        total += dt;
        double acc = evaluate(g, net, &Xte, &Yte);
        printf("%5d  %10.4f  %8.4f  %7.2f  %5.2f\n", ep,
               loss_sum / (double)seen, acc, dt, dc);
        fflush(stdout);
    }
    printf("total training time %.2f s\n", total);
    if (save && tg_save(save, tg_layer_num_state(net), tg_layer_state(net),
                        opt) != TG_OK)
        fprintf(stderr, "train_fashion: %s\n", tg_last_error());
    tg_batcher_free(b);
    tg_optim_free(opt);
    tg_layer_free(net);
    tg_graph_free(g);
    tg_array_free(&Xtr);
    tg_array_free(&Ytr);
    tg_array_free(&Xte);
    tg_array_free(&Yte);
    return 0;
}
