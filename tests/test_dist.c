/* Data-parallel training (tapegrad/dist.h), run by every rank under
 * `mpirun -np 2` (tests/dist/run_dist_tests.sh). Each rank checks what it
 * sees; the exit status is non-zero if any check failed on this rank.
 *
 *   test_dist            the cases below
 *   test_dist hang N     rank 1 stops answering at step N of a training
 *                        loop (sleeps); the others must give up with
 *                        TG_ERR_COMM after TG_DIST_TIMEOUT and exit 3
 *   test_dist die N      rank 1 kills itself (SIGKILL) at step N */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/dist.h>
#include <tapegrad/tapegrad.h>
#include <unistd.h>

#include "tt.h"

static int rank, size;

/* Every block tapegrad allocates goes through here, so the end of main can
 * check that everything of ours was given back (LeakSanitizer is off for
 * these processes: the MPI libraries keep memory until exit). */
static long live_blocks;

static void *counting_alloc(size_t size, size_t align, void *ud)
{
    (void)ud;
    void *p = aligned_alloc(align, (size + align - 1) / align * align);
    if (p) __atomic_add_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
    return p;
}

static void counting_free(void *p, void *ud)
{
    (void)ud;
    if (p) __atomic_sub_fetch(&live_blocks, 1, __ATOMIC_RELAXED);
    free(p);
}

enum { FEAT = 6, HID = 16, OUT = 3, ROWS = 41 };

static tg_array X, Y;

/* The data set: the same on every rank (fixed seed). */
static void make_data(void)
{
    tg_rng r;
    tg_rng_seed(&r, 77);
    X = (tg_array){.ndim = 2, .shape = {ROWS, FEAT}, .numel = ROWS * FEAT};
    Y = (tg_array){.ndim = 1, .shape = {ROWS}, .numel = ROWS};
    X.data = malloc(sizeof(float) * ROWS * FEAT);
    Y.data = malloc(sizeof(float) * ROWS);
    for (int i = 0; i < ROWS * FEAT; i++)
        X.data[i] = (float)(2 * tg_rng_uniform(&r) - 1);
    for (int i = 0; i < ROWS; i++) Y.data[i] = (float)(tg_rng_next(&r) % OUT);
}

/* bn: 0 an MLP; otherwise linear, batch norm, tanh, linear (1: the batch
 * norm synchronised across ranks, 2: local). The first linear layer has
 * no bias, as usual before batch norm: its gradient would be zero up to
 * rounding, which Adam's normalised step turns into full-size steps of
 * noise. */
static tg_layer *make_net(tg_graph *g, tg_dtype dt, int bn)
{
    if (!bn)
        return tg_nn_mlp(g, dt, 4, (int64_t[]){FEAT, HID, HID, OUT}, "tanh",
                         NULL, TG_INIT_DEFAULT, "net");
    tg_layer *l[4] = {
        tg_nn_linear(g, dt, FEAT, HID, false, TG_INIT_DEFAULT, "fc1"),
        tg_nn_batchnorm(g, dt, HID, 0.1, 1e-5, "bn"),
        tg_nn_activation_named(g, "tanh"),
        tg_nn_linear(g, dt, HID, OUT, true, TG_INIT_DEFAULT, "fc2"),
    };
    tg_layer *net = tg_nn_sequential(g, 4, l, "net");
    if (net && bn == 1) TT_CHECK(tg_dist_sync_batchnorm(net, true) == TG_OK);
    return net;
}

/* Largest |a - b| / max(1, |b|) over two tensor lists. */
static double max_rel(int n, tg_tensor *const *a, tg_tensor *const *b)
{
    double worst = 0;
    for (int i = 0; i < n; i++)
        for (int64_t k = 0; k < a[i]->numel; k++) {
            double x = tg_get(a[i], k), y = tg_get(b[i], k);
            double e = fabs(x - y) / fmax(1, fabs(y));
            if (!(e <= worst)) worst = e;
        }
    return worst;
}

static void copy_values(int n, tg_tensor *const *dst, tg_tensor *const *src)
{
    for (int i = 0; i < n; i++)
        memcpy(dst[i]->data, src[i]->data,
               (size_t)src[i]->numel * (src[i]->dtype == TG_F64 ? 8 : 4));
}

static void ranks(void)
{
    TT_CHECK(size >= 2);
    TT_CHECK(rank >= 0 && rank < size);
    TT_CHECK(tg_dist_timeout() > 0);
    TT_CHECK(tg_dist_set_timeout(-1) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "tg_dist_set_timeout");
}

/* Rank 0's values everywhere; a shape that disagrees fails everywhere and
 * writes nothing. */
static void broadcast_and_same(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *a = tg_param(g, TG_F64, TG_SHAPE(3, 2), "a");
    tg_tensor *b = tg_param(g, TG_F32, TG_SHAPE(5), "b");
    for (int i = 0; i < 6; i++) tg_f64(a)[i] = 10 * rank + i;
    for (int i = 0; i < 5; i++) tg_f32(b)[i] = (float)(-rank - i);
    tg_tensor *ab[2] = {a, b};
    bool same = true;
    TT_CHECK(tg_dist_same(2, ab, &same) == TG_OK);
    TT_CHECK(!same);
    TT_CHECK(tg_dist_broadcast(2, ab) == TG_OK);
    for (int i = 0; i < 6; i++) TT_CHECK(tg_f64(a)[i] == i);
    for (int i = 0; i < 5; i++) TT_CHECK(tg_f32(b)[i] == (float)-i);
    TT_CHECK(tg_dist_same(2, ab, &same) == TG_OK);
    TT_CHECK(same);

    /* rank 1 passes a [2,3] where rank 0 has [3,2] */
    tg_tensor *c = rank == 1 ? tg_param(g, TG_F64, TG_SHAPE(2, 3), "c")
                             : tg_param(g, TG_F64, TG_SHAPE(3, 2), "c");
    tg_init_constant(c, rank + 1);
    TT_CHECK(tg_dist_broadcast(1, &c) == TG_ERR_SHAPE);
    TT_CONTAINS(tg_last_error(), "tg_dist_broadcast: rank 1 passes other "
                                 "tensors than rank 0");
    for (int i = 0; i < 6; i++) TT_CHECK(tg_f64(c)[i] == rank + 1);
    TT_CHECK(tg_dist_same(1, &c, &same) == TG_OK && !same);
    TT_CHECK(tg_dist_broadcast(1, (tg_tensor *[]){NULL}) == TG_ERR_ARG);
    /* a per-step leaf from before tg_graph_reset is refused, not read */
    tg_tensor *x = tg_full(g, TG_F64, TG_SHAPE(4), 1.0);
    TT_CHECK(tg_dist_same(1, &x, &same) == TG_OK && same);
    tg_graph_reset(g);
    TT_CHECK(tg_dist_broadcast(1, &x) == TG_ERR_STATE);
    TT_CONTAINS(tg_last_error(), "tg_dist_broadcast: the tensor is stale");
    TT_CHECK(tg_dist_same(1, &x, &same) == TG_ERR_STATE);
    tg_graph_free(g);
}

/* Sums in rank order: exact values here, and the same on every rank. */
static void sums(void)
{
    double v[3] = {rank + 1, 0.1 * (rank + 1), -1};
    TT_CHECK(tg_dist_sum(v, 3) == TG_OK);
    TT_CHECK(v[0] == size * (size + 1) / 2.0);
    double want = 0.1;
    for (int r = 1; r < size; r++) want += 0.1 * (r + 1);
    TT_CHECK(v[1] == want);
    TT_CHECK(v[2] == -size);
    tg_graph *g = tg_graph_new();
    tg_tensor *t = tg_param(g, TG_F64, TG_SHAPE(3), "sums");
    memcpy(t->data, v, sizeof v);
    bool same = false;
    TT_CHECK(tg_dist_same(1, &t, &same) == TG_OK && same);
    tg_graph_free(g);
    /* a count that differs between ranks is refused everywhere */
    TT_CHECK(tg_dist_sum(v, rank == 0 ? 2 : 3) == TG_ERR_ARG);
    TT_CONTAINS(tg_last_error(), "another number of values");
    TT_CHECK(tg_dist_barrier() == TG_OK);
}

/* The heart of it: P ranks on slices of each global batch take the steps
 * one process takes on the whole batch. After every step the parameters
 * are the same bits on every rank and equal the single-process ones to
 * rounding; the global loss too. Adam, so optimizer state matters. */
/* The wrapped model's optimizer clears gradients to none (set_to_none):
 * the exchange then starts from absent gradients every step. */
static bool clear_to_none;

static void train_matches_one_process(tg_dtype dt, int64_t batch,
                                      int64_t bucket_bytes, bool overlap,
                                      int bn)
{
    tg_graph *g = tg_graph_new(), *g1 = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 100 + (uint64_t)rank); /* differ on purpose */
    tg_layer *net = make_net(g, dt, bn), *ref = make_net(g1, dt, bn ? 2 : 0);
    int np = tg_layer_num_params(net);
    tg_tensor *const *p = tg_layer_params(net), *const *p1 = tg_layer_params(ref);
    tg_ddp_opts o = {.bucket_bytes = bucket_bytes, .no_overlap = !overlap};
    tg_ddp *ddp = tg_ddp_new(g, np, p, &o);
    TT_CHECK(ddp != NULL);
    if (!ddp) {
        fprintf(stderr, "%s\n", tg_graph_error(g));
        return;
    }
    bool same = false;
    TT_CHECK(tg_dist_same(np, p, &same) == TG_OK && same);
    copy_values(np, p1, p); /* the reference starts from rank 0's weights */
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_ADAM);
    oc.lr = 0.01;
    tg_optim *opt1 = tg_optim_new(&oc, np, p1);
    oc.set_to_none = clear_to_none;
    tg_optim *opt = tg_optim_new(&oc, np, p);
    tg_batch_opts bo = {.batch_size = batch, .shuffle = true, .seed = 5,
                        .shard_count = size, .shard_index = rank};
    tg_batch_opts bo1 = {.batch_size = batch, .shuffle = true, .seed = 5};
    tg_batcher *b = tg_batcher_new(&X, &Y, &bo), *b1 = tg_batcher_new(&X, &Y, &bo1);
    double tol = dt == TG_F64 ? 1e-12 : 2e-5;
    int steps = 0, bits_differ = 0;
    double worst_p = 0, worst_loss = 0;
    for (int epoch = 0; epoch < 2; epoch++) {
        tg_tensor *x, *y, *x1, *y1;
        for (int64_t n; (n = tg_batcher_next(b, g, dt, &x, &y)) > 0;) {
            int64_t n1 = tg_batcher_next(b1, g1, dt, &x1, &y1);
            TT_CHECK(n1 == tg_batcher_global_rows(b));
            tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), y);
            tg_tensor *loss1 = tg_cross_entropy(tg_layer_forward(ref, x1), y1);
            double share = (double)n / (double)n1;
            TT_CHECK(tg_ddp_set_weight(ddp, share) == TG_OK);
            TT_CHECK(tg_ddp_backward(ddp, loss) == TG_OK);
            TT_CHECK(tg_backward(g1, loss1) == TG_OK);
            double gl = tg_item(loss) * share;
            TT_CHECK(tg_dist_sum(&gl, 1) == TG_OK);
            double e = fabs(gl - tg_item(loss1)) / fabs(tg_item(loss1));
            if (e > worst_loss) worst_loss = e;
            tg_optim_step_zero_grad(opt);
            tg_optim_step_zero_grad(opt1);
            TT_CHECK(tg_dist_same(np, p, &same) == TG_OK);
            bits_differ += !same;
            e = max_rel(np, p, p1);
            if (e > worst_p) worst_p = e;
            steps++;
            tg_graph_reset(g);
            tg_graph_reset(g1);
        }
        /* the sharded batcher drops a last batch too small to share */
        while (tg_batcher_next(b1, g1, dt, &x1, &y1) > 0) {
            TT_CHECK(tg_batcher_global_rows(b1) < size);
            tg_graph_reset(g1);
        }
        tg_graph_reset(g1);
    }
    TT_CHECK(steps >= 2 * (ROWS / batch));
    TT_CHECK(bits_differ == 0);
    if (bn == 2) {
        /* local statistics: each rank normalises its own half, which is
         * not what one process with the whole batch computes */
        TT_CHECK(worst_p > 1e-3 && worst_loss > 1e-4);
    } else {
        TT_CHECK(worst_p <= tol);
        TT_CHECK(worst_loss <= tol);
    }
    if (bn == 1) { /* the running statistics too, and the same everywhere */
        int ns = tg_layer_num_state(net);
        tg_tensor *const *st = tg_layer_state(net), *const *st1 = tg_layer_state(ref);
        TT_CHECK(ns == tg_layer_num_state(ref) && ns == np + 2);
        TT_CHECK(np == 5);
        TT_CHECK(tg_dist_same(ns, st, &same) == TG_OK && same);
        double e = max_rel(ns, st, st1);
        TT_CHECK(e <= tol);
        TT_CHECK(fabs(tg_get(tg_layer_find(net, "bn.running_var"), 0) - 1) > 1e-3);
        if (e > tol) fprintf(stderr, "rank %d: running stats off by %g\n", rank, e);
    }
    if (bn != 2 && (worst_p > tol || worst_loss > tol))
        fprintf(stderr, "rank %d: params off by %g, loss by %g (tol %g)\n",
                rank, worst_p, worst_loss, tol);
    tg_ddp_stats s = tg_ddp_get_stats(ddp);
    TT_CHECK(s.steps == steps);
    int64_t bytes = 0;
    for (int i = 0; i < np; i++) bytes += p[i]->numel * (dt == TG_F64 ? 8 : 4);
    TT_CHECK(s.bytes == bytes);
    if (bucket_bytes && bucket_bytes < 200) TT_CHECK(s.buckets >= 3);
    /* with overlap, the last layers' buckets leave during backward */
    if (overlap && s.buckets > 1) TT_CHECK(s.started_early > 0);
    if (!overlap) TT_CHECK(s.started_early == 0);
    tg_batcher_free(b);
    tg_batcher_free(b1);
    tg_optim_free(opt);
    tg_optim_free(opt1);
    tg_ddp_free(ddp);
    tg_layer_free(net);
    tg_layer_free(ref);
    tg_graph_free(g);
    tg_graph_free(g1);
}

static void train_f64_buckets(void) { train_matches_one_process(TG_F64, 8, 128, true, 0); }
static void train_f64_odd_batch(void) { train_matches_one_process(TG_F64, 7, 0, true, 0); }
static void train_f64_no_overlap(void) { train_matches_one_process(TG_F64, 8, 128, false, 0); }
static void train_f32(void) { train_matches_one_process(TG_F32, 10, 300, true, 0); }
/* batch norm over the global batch: the same training as one process;
 * an odd batch gives the ranks unequal shares (4 and 3 rows), so the
 * gradient's exchange inside the backward pass must weigh them */
static void sync_bn_f64(void) { train_matches_one_process(TG_F64, 8, 128, true, 1); }
static void sync_bn_f64_odd(void) { train_matches_one_process(TG_F64, 7, 0, true, 1); }
static void sync_bn_f32(void) { train_matches_one_process(TG_F32, 10, 300, true, 1); }
static void local_bn_differs(void) { train_matches_one_process(TG_F64, 8, 128, true, 2); }
static void train_none(void)
{
    clear_to_none = true;
    train_matches_one_process(TG_F64, 8, 128, true, 0);
    train_matches_one_process(TG_F32, 10, 300, false, 1);
    clear_to_none = false;
}

static void sync_bn_errors(void)
{
    tg_graph *g = tg_graph_new();
    TT_CHECK(tg_dist_sync_batchnorm(NULL, true) == TG_ERR_ARG);
    TT_STREQ(tg_last_error(), "tg_dist_sync_batchnorm: layer is NULL");
    tg_layer *net = make_net(g, TG_F64, 0);
    TT_CHECK(tg_dist_sync_batchnorm(net, true) == TG_ERR_ARG);
    TT_STREQ(tg_last_error(),
             "tg_dist_sync_batchnorm: layer \"net\" holds no batch-norm "
             "layer; hint: pass the model that contains them");
    /* one row per rank is two over the global batch: allowed; a [1, C]
     * input on one process alone would not be */
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(1, 3),
                            (double[]){rank + 1.0, 2.0 * rank, -1.0});
    tg_tensor *y = tg_dist_batch_norm(x, NULL, NULL, NULL, NULL, 0.1, 1e-5);
    TT_CHECK(tg_graph_error(g) == NULL);
    /* two rows (1, 0, -1) and (2, 2, -1): normalised to -+1, -+1, 0 */
    TT_NEAR(tg_get(y, 0), rank ? 1 : -1, 1e-4);
    TT_NEAR(tg_get(y, 1), rank ? 1 : -1, 1e-4);
    TT_NEAR(tg_get(y, 2), 0, 1e-12);
    tg_tensor *z = tg_input(g, TG_F64, TG_SHAPE(4), NULL);
    tg_dist_batch_norm(z, NULL, NULL, NULL, NULL, 0.1, 1e-5);
    TT_STREQ(tg_graph_error(g),
             "tg_dist_batch_norm: x [4] must be [N, C, ...] with C >= 1");
    tg_layer_free(net);
    tg_graph_free(g);
}

/* Gradients accumulate over two calls as tg_backward's do; a parameter
 * the loss does not reach keeps (the average of) what it held. */
/* pl = {w [2] = (1, 2), unused [1]} in f64, unused's gradient 4 (the
 * same on every rank), and a DDP over both. */
static tg_ddp *w_and_unused(tg_graph *g, tg_tensor *pl[2])
{
    tg_tensor *w = pl[0] = tg_param(g, TG_F64, TG_SHAPE(2), "w");
    tg_tensor *u = pl[1] = tg_param(g, TG_F64, TG_SHAPE(1), "unused");
    tg_ddp *ddp = tg_ddp_new(g, 2, pl, NULL);
    TT_CHECK(ddp != NULL);
    tg_f64(w)[0] = 1, tg_f64(w)[1] = 2;
    tg_f64(u->grad)[0] = 4;
    return ddp;
}

static void accumulate_and_unused(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *pl[2];
    tg_ddp *ddp = w_and_unused(g, pl);
    tg_tensor *w = pl[0], *u = pl[1];
    /* rank r's loss: (r + 1) * sum(w * w): grad 2 (r + 1) w */
    for (int k = 0; k < 2; k++) {
        tg_tensor *l = tg_mul_scalar(tg_sum_all(tg_mul(w, w)), rank + 1);
        TT_CHECK(tg_ddp_backward(ddp, l) == TG_OK);
        tg_graph_reset(g);
    }
    double mean = (size + 1) / 2.0; /* mean of r + 1 */
    TT_NEAR(tg_f64(w->grad)[0], 2 * 2 * mean * 1, 1e-15);
    TT_NEAR(tg_f64(w->grad)[1], 2 * 2 * mean * 2, 1e-15);
    TT_NEAR(tg_f64(u->grad)[0], 4, 1e-15);
    TT_CHECK(tg_ddp_set_weight(ddp, NAN) == TG_ERR_ARG);
    TT_CONTAINS(tg_graph_error(g), "tg_ddp_set_weight: weight nan");
    tg_graph_reset(g);
    tg_ddp_free(ddp);
    tg_graph_free(g);
}

/* Absent gradients (cleared to none) take part as zeros: a parameter no
 * rank's loss reaches gets its buffer back holding zeros, on every rank,
 * and one the loss reaches the averaged gradient. When one rank's pass
 * fails, every rank's gradients are absent again. */
static void absent_gradients(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *pl[2];
    tg_ddp *ddp = w_and_unused(g, pl);
    tg_tensor *w = pl[0], *u = pl[1];
    tg_optim_config oc = tg_optim_defaults(TG_OPTIM_SGD);
    oc.set_to_none = true;
    tg_optim *o = tg_optim_new(&oc, 2, pl);
    tg_optim_zero_grad(o);
    TT_CHECK(w->grad == NULL && u->grad == NULL);
    tg_tensor *l = tg_mul_scalar(tg_sum_all(tg_mul(w, w)), rank + 1);
    TT_CHECK(tg_ddp_backward(ddp, l) == TG_OK);
    double mean = (size + 1) / 2.0; /* mean of r + 1 */
    TT_CHECK(w->grad && u->grad);
    if (w->grad && u->grad) {
        TT_NEAR(tg_f64(w->grad)[0], 2 * mean * 1, 1e-15);
        TT_NEAR(tg_f64(w->grad)[1], 2 * mean * 2, 1e-15);
        TT_CHECK(tg_f64(u->grad)[0] == 0 && tg_tensor_has_grad(u));
    }
    tg_graph_reset(g);
    tg_optim_zero_grad(o);
    /* rank 1's "loss" has two elements: tg_backward refuses it */
    l = rank == 1 ? tg_mul(w, w) : tg_sum_all(tg_mul(w, w));
    tg_status st = tg_ddp_backward(ddp, l);
    TT_CHECK(st == (rank == 1 ? TG_ERR_SHAPE : TG_ERR_COMM));
    TT_CHECK(w->grad == NULL && u->grad == NULL);
    tg_graph_reset(g);
    TT_CHECK(tg_ddp_backward(ddp, tg_sum_all(tg_mul(w, w))) == TG_OK);
    TT_CHECK(w->grad && tg_f64(w->grad)[0] == 2 && tg_f64(w->grad)[1] == 4);
    tg_optim_free(o);
    tg_ddp_free(ddp);
    tg_graph_free(g);
}

/* A backward pass that fails on one rank fails the step on every rank,
 * nobody's gradients change, and the next step works. */
static void failure_on_one_rank(void)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F64, TG_SHAPE(2), "w");
    tg_ddp *ddp = tg_ddp_new(g, 1, &w, NULL);
    TT_CHECK(ddp != NULL);
    tg_f64(w)[0] = 3, tg_f64(w)[1] = -1;
    tg_zero_grad(g); /* as the usual loop leaves it */
    /* rank 1's "loss" has two elements: tg_backward refuses it */
    tg_tensor *l = rank == 1 ? tg_mul(w, w) : tg_sum_all(tg_mul(w, w));
    tg_status st = tg_ddp_backward(ddp, l);
    if (rank == 1) {
        TT_CHECK(st == TG_ERR_SHAPE);
        TT_CONTAINS(tg_graph_error(g), "not one element");
    } else {
        TT_CHECK(st == TG_ERR_COMM);
        TT_CONTAINS(tg_graph_error(g), "backward pass failed on another rank");
    }
    TT_CHECK(tg_f64(w->grad)[0] == 0 && tg_f64(w->grad)[1] == 0);
    tg_graph_reset(g);
    TT_CHECK(tg_ddp_backward(ddp, tg_sum_all(tg_mul(w, w))) == TG_OK);
    TT_CHECK(tg_f64(w->grad)[0] == 6 && tg_f64(w->grad)[1] == -2);
    /* not a parameter */
    tg_graph_reset(g);
    tg_tensor *x = tg_input(g, TG_F64, TG_SHAPE(2), NULL);
    TT_CHECK(tg_ddp_new(g, 1, &x, NULL) == NULL);
    TT_CONTAINS(tg_graph_error(g), "tg_ddp_new: entry 1 is not a parameter");
    tg_ddp_free(ddp);
    tg_graph_free(g);
}

/* Rank 0 writes; loading reads on rank 0 and gives every rank rank 0's
 * tensors and optimizer state. */
static void save_load_rank0(void)
{
    char path[256];
    /* the same path string everywhere; only rank 0 touches the file */
    snprintf(path, sizeof path, "dist-test-%d.tgw", (int)getppid());
    tg_graph *g = tg_graph_new();
    tg_rng_seed(tg_graph_rng(g), 7);
    tg_layer *net = make_net(g, TG_F64, 0);
    int np = tg_layer_num_params(net);
    tg_tensor *const *p = tg_layer_params(net);
    tg_ddp *ddp = tg_ddp_new(g, np, p, NULL);
    tg_optim *opt = tg_optim_new(&(tg_optim_config){.kind = TG_OPTIM_ADAM,
                                                    .lr = 0.01, .beta1 = 0.9,
                                                    .beta2 = 0.999,
                                                    .eps = 1e-8},
                                 np, p);
    tg_batch_opts bo = {.batch_size = 8, .seed = 1, .shard_count = size,
                        .shard_index = rank};
    tg_batcher *b = tg_batcher_new(&X, &Y, &bo);
    tg_tensor *x, *y;
    for (int s = 0; s < 3; s++) {
        tg_batcher_next(b, g, TG_F64, &x, &y);
        TT_CHECK(tg_ddp_backward(ddp, tg_cross_entropy(tg_layer_forward(net, x), y)) == TG_OK);
        tg_optim_step_zero_grad(opt);
        tg_graph_reset(g);
    }
    TT_CHECK(tg_dist_save(path, np, p, opt) == TG_OK);
    TT_CHECK(access(path, F_OK) == 0);
    /* keep rank 0's saved values, then let every rank drift its own way */
    double saved[64];
    for (int i = 0; i < 64 && i < p[0]->numel; i++) saved[i] = tg_get(p[0], i);
    for (int i = 0; i < np; i++) tg_init_constant(p[i], rank + 0.5);
    tg_optim_set_lr(opt, 0.5 + rank);
    TT_CHECK(tg_dist_load(path, np, p, opt) == TG_OK);
    bool same = false;
    TT_CHECK(tg_dist_same(np, p, &same) == TG_OK && same);
    for (int i = 0; i < 64 && i < p[0]->numel; i++)
        TT_CHECK(tg_get(p[0], i) == saved[i]);
    TT_CHECK(tg_optim_steps(opt) == 3);
    TT_CHECK(tg_optim_get_lr(opt) == 0.01);
    /* and training goes on in step on every rank (Adam's moments came too) */
    tg_batcher_next(b, g, TG_F64, &x, &y);
    TT_CHECK(tg_ddp_backward(ddp, tg_cross_entropy(tg_layer_forward(net, x), y)) == TG_OK);
    tg_optim_step_zero_grad(opt);
    TT_CHECK(tg_dist_same(np, p, &same) == TG_OK && same);
    tg_graph_reset(g);
    /* a missing file: rank 0's error on every rank, nothing written */
    TT_CHECK(tg_dist_load("/nonexistent/x.tgw", np, p, opt) == TG_ERR_IO);
    TT_CONTAINS(tg_last_error(), "tg_dist_load: rank 0: tg_load: cannot open \"/nonexistent/x.tgw\"");
    TT_CHECK(tg_optim_steps(opt) == 4);
    TT_CHECK(tg_dist_barrier() == TG_OK);
    if (rank == 0) remove(path);
    tg_batcher_free(b);
    tg_optim_free(opt);
    tg_ddp_free(ddp);
    tg_layer_free(net);
    tg_graph_free(g);
}

/* A training loop in which rank 1 stops answering or dies at step `at`. */
static int faulty_run(const char *mode, int at)
{
    tg_graph *g = tg_graph_new();
    tg_layer *net = make_net(g, TG_F32, 0);
    tg_ddp *ddp = tg_ddp_new(g, tg_layer_num_params(net), tg_layer_params(net),
                             NULL);
    if (!ddp) {
        fprintf(stderr, "%s\n", tg_graph_error(g));
        return 1;
    }
    tg_batch_opts bo = {.batch_size = 8, .seed = 1, .shard_count = size,
                        .shard_index = rank};
    tg_batcher *b = tg_batcher_new(&X, &Y, &bo);
    for (int step = 0; step < 1000; step++) {
        if (rank == 1 && step == at) {
            fprintf(stderr, "rank 1: %s at step %d\n", mode, step);
            if (!strcmp(mode, "die")) raise(SIGKILL);
            for (;;) sleep(100);
        }
        tg_tensor *x, *y;
        if (tg_batcher_next(b, g, TG_F32, &x, &y) == 0) continue;
        tg_tensor *loss = tg_cross_entropy(tg_layer_forward(net, x), y);
        if (tg_ddp_backward(ddp, loss) != TG_OK) {
            fprintf(stderr, "rank %d: step %d: %s\n", rank, step,
                    tg_graph_error(g));
            return 3;
        }
        tg_graph_reset(g);
    }
    return 0; /* not reached when the fault is noticed */
}

int main(int argc, char **argv)
{
    tg_set_allocator(counting_alloc, counting_free, NULL);
    if (tg_dist_init(&argc, &argv) != TG_OK) {
        fprintf(stderr, "%s\n", tg_last_error());
        return 1;
    }
    rank = tg_dist_rank();
    size = tg_dist_size();
    make_data();
    if (argc == 3) {
        int rc = faulty_run(argv[1], atoi(argv[2]));
        fflush(stderr);
        _exit(rc); /* no finalize: the others are not coming */
    }
    static const tt_entry cases[] = {
        TT(ranks),
        TT(broadcast_and_same),
        TT(sums),
        TT(train_f64_buckets),
        TT(train_f64_odd_batch),
        TT(train_f64_no_overlap),
        TT(train_f32),
        TT(sync_bn_f64),
        TT(sync_bn_f64_odd),
        TT(sync_bn_f32),
        TT(local_bn_differs),
        TT(sync_bn_errors),
        TT(accumulate_and_unused),
        TT(failure_on_one_rank),
        TT(train_none),
        TT(absent_gradients),
        TT(save_load_rank0),
    };
    int rc = tt_main(cases, (int)(sizeof cases / sizeof cases[0]), argc, argv);
    free(X.data);
    free(Y.data);
    if (tg_dist_finalize() != TG_OK) rc = 1;
    if (live_blocks != 0) {
        fprintf(stderr, "rank %d: %ld blocks not freed\n", rank, live_blocks);
        rc = 1;
    }
    return rc;
}
