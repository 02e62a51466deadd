/* Workloads 3 and 5: a 784-256-256-10 ReLU MLP on Fashion-MNIST with
 * softmax cross-entropy and SGD with momentum (lr 0.02, momentum 0.9).
 *
 *   --case epoch    batch 128: seconds per epoch over the 60,000 training
 *                   images (the first epoch is the warm-up; the median of
 *                   the next --reps epochs is reported) and the test
 *                   accuracy after 3 epochs.
 *   --case batch1, --case batch16
 *                   the small-batch regime: training steps per second
 *                   (median of --reps timed runs of --steps steps each).
 *
 * Same data as bench/torch_ref.py: the training set is permuted once by a
 * shared splitmix64 Fisher-Yates (bench_permute) and then read in order
 * every epoch through tg_batcher. The model is built with the nn API
 * (tg_nn_mlp, tg_optim); its initial weights are then set from bench_fill
 * (He-uniform bounds), biases to 0.
 *
 * Gradients are cleared as torch_ref.py clears them: the optimizer has
 * set_to_none on, as torch's zero_grad(set_to_none=True), so no zeros are
 * stored over the gradients (tg_optim_step_zero_grad updates, then makes
 * every gradient absent; the next backward writes each one whole).
 * `--grads zero` stores zeros instead (the library's default, and this
 * program's behaviour before set_to_none existed): the results are the
 * same bit for bit, the difference is the cost of the stores.
 */
#include <math.h>
#include <tapegrad/tapegrad.h>

#include "bench.h"

#define N_LAYERS 3
static const int64_t DIMS[N_LAYERS + 1] = {784, 256, 256, 10};

typedef struct mlp {
    tg_layer *net;
    tg_optim *opt;
} mlp;

static void die(tg_graph *g, const char *what)
{
    fprintf(stderr, "bench_mlp: %s: %s\n", what,
            g && tg_graph_error(g) ? tg_graph_error(g) : tg_last_error());
    exit(1);
}

/* The network from the nn API (tg_nn_mlp, ReLU between layers); its
 * weights are then overwritten with the values the PyTorch side loads,
 * weight k ([in, out]) from bench_fill stream 1000 + k, biases zero. */
static bool grads_to_none = true; /* --grads none (default) | zero */

static void mlp_init(tg_graph *g, mlp *m)
{
    m->net = tg_nn_mlp(g, TG_F32, N_LAYERS + 1, DIMS, "relu", NULL,
                       TG_INIT_DEFAULT, "mlp");
    if (!m->net) die(g, "tg_nn_mlp");
    int np = tg_layer_num_params(m->net), k = 0;
    tg_tensor *const *ps = tg_layer_params(m->net);
    for (int i = 0; i < np; i++) {
        tg_tensor *p = ps[i];
        if (p->ndim == 2) {
            double bound = sqrt(6.0 / (double)p->shape[0]);
            bench_fill(tg_f32(p), p->numel, 1000 + (uint64_t)k++, -bound,
                       bound);
        } else {
            memset(p->data, 0, sizeof(float) * (size_t)p->numel);
        }
    }
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_MOMENTUM);
    oc.lr = 0.02;
    oc.momentum = 0.9;
    oc.set_to_none = grads_to_none;
    m->opt = tg_optim_new(&oc, np, ps);
    if (!m->opt) die(NULL, "tg_optim_new");
}

static void mlp_free(mlp *m)
{
    tg_optim_free(m->opt);
    tg_layer_free(m->net);
}

static tg_tensor *mlp_forward(mlp *m, tg_tensor *x)
{
    return tg_layer_forward(m->net, x);
}

/* One SGD step on (x, y); returns the loss. */
static double train_step(tg_graph *g, mlp *m, tg_tensor *x, tg_tensor *y)
{
    tg_tensor *loss = tg_cross_entropy(mlp_forward(m, x), y);
    if (tg_backward(g, loss) != TG_OK) die(g, "backward");
    double l = tg_item(loss);
    tg_optim_step_zero_grad(m->opt); /* step, then zero_grad(set_to_none) */
    tg_graph_reset(g);
    return l;
}

static double accuracy(tg_graph *g, mlp *m, const tg_array *X,
                       const tg_array *Y)
{
    bool prev = tg_set_grad_enabled(g, false);
    int64_t n = X->shape[0], d = X->shape[1], right = 0, chunk = 1000;
    for (int64_t s = 0; s < n; s += chunk) {
        int64_t c = n - s < chunk ? n - s : chunk;
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(c, d), X->data + s * d);
        tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(c), Y->data + s);
        tg_tensor *lg = mlp_forward(m, x);
        if (tg_graph_error(g)) die(g, "eval");
        right += (int64_t)(tg_accuracy(lg, y) * (double)c + 0.5);
        tg_graph_reset(g);
    }
    tg_set_grad_enabled(g, prev);
    return (double)right / (double)n;
}

static void load(const char *dir, const char *name, tg_array *a)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tg_idx_load(path, a) != TG_OK) die(NULL, path);
}

/* Reorder a's rows in place so that row i becomes old row perm[i]
 * (cycle by cycle, one spare row), then keep the first n: no second copy
 * of the training set, which would double the peak RSS. */
static void permute_rows(tg_array *a, const int64_t *perm, int64_t n)
{
    int64_t rows = a->shape[0], row = a->numel / rows;
    size_t rb = sizeof(float) * (size_t)row;
    float *tmp = malloc(rb);
    unsigned char *done = calloc((size_t)rows, 1);
    if (!tmp || !done) die(NULL, "out of memory");
    for (int64_t i = 0; i < rows; i++) {
        if (done[i]) continue;
        memcpy(tmp, a->data + i * row, rb);
        int64_t j = i;
        for (;;) {
            done[j] = 1;
            int64_t k = perm[j];
            if (k == i) {
                memcpy(a->data + j * row, tmp, rb);
                break;
            }
            memcpy(a->data + j * row, a->data + k * row, rb);
            j = k;
        }
    }
    free(tmp);
    free(done);
    a->shape[0] = n;
    a->numel = n * row;
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 5, 1);
    const char *dir = bench_opt_str(&a, "--data",
                                    "/usr/share/datasets/fashion-mnist");
    tg_set_num_threads(a.threads);
    const char *grads = bench_opt_str(&a, "--grads", "none");
    if (strcmp(grads, "none") && strcmp(grads, "zero")) {
        fprintf(stderr, "bench_mlp: --grads %s: expected none or zero\n",
                grads);
        return 2;
    }
    grads_to_none = !strcmp(grads, "none");
    int want_epoch = bench_want(&a, "epoch");
    int want_b1 = bench_want(&a, "batch1"), want_b16 = bench_want(&a, "batch16");
    if (!want_epoch && !want_b1 && !want_b16) return 0; /* idle footprint */

    tg_array X = {0}, Y = {0}, Xt = {0}, Yt = {0};
    load(dir, "train-images-idx3-ubyte.gz", &X);
    load(dir, "train-labels-idx1-ubyte.gz", &Y);
    load(dir, "t10k-images-idx3-ubyte.gz", &Xt);
    load(dir, "t10k-labels-idx1-ubyte.gz", &Yt);
    tg_array_reshape_rows(&X);
    tg_array_reshape_rows(&Xt);
    tg_array_scale(&X, 1.0 / 255, 0);
    tg_array_scale(&Xt, 1.0 / 255, 0);
    int64_t n_train = a.tiny ? 1024 : X.shape[0];
    int64_t *perm = malloc(sizeof *perm * (size_t)X.shape[0]);
    if (!perm) die(NULL, "out of memory");
    bench_permute(perm, X.shape[0], 2024);
    permute_rows(&X, perm, n_train);
    permute_rows(&Y, perm, n_train);
    free(perm);
    if (a.tiny) { /* evaluate on the first 512 test images only */
        Xt.shape[0] = Yt.shape[0] = 512;
        Xt.numel = 512 * 784;
        Yt.numel = 512;
    }

    if (want_epoch) {
        tg_graph *g = tg_graph_new();
        mlp m;
        mlp_init(g, &m);
        tg_batch_opts bo = {.batch_size = 128, .shuffle = false};
        tg_batcher *bt = tg_batcher_new(&X, &Y, &bo);
        if (!bt) die(NULL, "tg_batcher_new");
        int epochs = a.warmup + a.reps;
        if (epochs < 3) epochs = 3;
        double *t = calloc((size_t)epochs * 2, sizeof *t), acc = 0, loss = 0;
        double *tc = t + epochs; /* CPU time of the process, all threads */
        for (int e = 0; e < epochs; e++) {
            tg_tensor *x, *y;
            double t0 = bench_now(), c0 = bench_cpu();
            while (tg_batcher_next(bt, g, TG_F32, &x, &y) > 0)
                loss = train_step(g, &m, x, y);
            t[e] = bench_now() - t0;
            tc[e] = bench_cpu() - c0;
            if (e == 2) acc = accuracy(g, &m, &Xt, &Yt);
        }
        int timed = epochs - a.warmup;
        bench_begin("mlp", "epoch");
        bench_kv_num("seconds", bench_median(t + a.warmup, timed));
        bench_kv_num("cpu_seconds", bench_median(tc + a.warmup, timed));
        bench_kv_num("accuracy", acc);
        bench_kv_num("loss", loss);
        bench_kv_num("epochs_timed", timed);
        bench_end();
        free(t);
        tg_batcher_free(bt);
        mlp_free(&m);
        tg_graph_free(g);
    }

    for (int k = 0; k < 2; k++) {
        int64_t bs = k == 0 ? 1 : 16;
        if (!(k == 0 ? want_b1 : want_b16)) continue;
        long steps = bench_opt_int(&a, "--steps", a.tiny ? 20 : k == 0 ? 2000 : 1000);
        tg_graph *g = tg_graph_new();
        mlp m;
        mlp_init(g, &m);
        tg_batch_opts bo = {.batch_size = bs, .shuffle = false};
        tg_batcher *bt = tg_batcher_new(&X, &Y, &bo);
        if (!bt) die(NULL, "tg_batcher_new");
        double *t = calloc((size_t)a.reps * 2, sizeof *t), loss = 0;
        double *tc = t + a.reps; /* CPU time of the process, all threads */
        for (int r = -a.warmup; r < a.reps; r++) {
            double t0 = bench_now(), c0 = bench_cpu();
            for (long s = 0; s < steps; s++) {
                tg_tensor *x, *y;
                if (tg_batcher_next(bt, g, TG_F32, &x, &y) <= 0)
                    tg_batcher_next(bt, g, TG_F32, &x, &y); /* new epoch */
                loss = train_step(g, &m, x, y);
            }
            if (r >= 0) {
                t[r] = bench_now() - t0;
                tc[r] = bench_cpu() - c0;
            }
        }
        double med = bench_median(t, a.reps);
        bench_begin("mlp", k == 0 ? "batch1" : "batch16");
        bench_kv_num("seconds", med / (double)steps); /* per step */
        bench_kv_num("steps_per_s", (double)steps / med);
        bench_kv_num("cpu_seconds", bench_median(tc, a.reps) / (double)steps);
        bench_kv_num("loss", loss);
        bench_end();
        free(t);
        tg_batcher_free(bt);
        mlp_free(&m);
        tg_graph_free(g);
    }
    tg_array_free(&X);
    tg_array_free(&Y);
    tg_array_free(&Xt);
    tg_array_free(&Yt);
    return 0;
}
