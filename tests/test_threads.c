/* Thread safety: separate graphs in separate threads. Several pthreads
 * each train their own model (own graph, own RNG stream, own optimizer)
 * at the same time; every thread's final weights must equal, bit for bit,
 * those of the same training run alone on the main thread. The model
 * touches every process-wide piece of the engine: the ISA cache (SLEEF
 * kernels), OpenMP regions (tensors above TG_PAR_MIN), CBLAS, the
 * allocation counter and the thread-local last error. */
#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapegrad/tapegrad.h>

#include "tt.h"

enum { N_THREADS = 4, IN = 24, HID = 48, OUT = 5, BATCH = 64, STEPS = 25 };
/* one wide activation above TG_PAR_MIN elements, so kernels go parallel */
enum { WIDE_R = 128, WIDE_C = 320 };

typedef struct run {
    uint64_t seed;
    float w[IN * HID + HID + HID * OUT + OUT];
    double last_loss;
    uint64_t allocs;        /* allocation count delta (meaningful alone) */
    tg_status st;
    char err[256];
    char own_error[128];    /* this thread's tg_last_error after a graph-less failure */
} run;

static void train(run *r)
{
    uint64_t a0 = tg_alloc_count();
    tg_graph *g = tg_graph_new();
    if (!g) {
        r->st = TG_ERR_OOM;
        return;
    }
    tg_rng_seed(tg_graph_rng(g), r->seed);
    tg_tensor *W1 = tg_param(g, TG_F32, TG_SHAPE(IN, HID), "W1");
    tg_tensor *b1 = tg_param(g, TG_F32, TG_SHAPE(HID), "b1");
    tg_tensor *W2 = tg_param(g, TG_F32, TG_SHAPE(HID, OUT), "W2");
    tg_tensor *b2 = tg_param(g, TG_F32, TG_SHAPE(OUT), "b2");
    tg_init_xavier_uniform(W1, tg_graph_rng(g));
    tg_init_xavier_uniform(W2, tg_graph_rng(g));
    tg_tensor *ps[4] = {W1, b1, W2, b2};
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    cfg.lr = 0.01;
    tg_optim *opt = tg_optim_new(&cfg, 4, ps);

    /* the data: from the seed too */
    tg_rng data;
    tg_rng_seed(&data, r->seed ^ 0xabcdef);
    static _Thread_local float X[BATCH * IN], Y[BATCH], Z[WIDE_R * WIDE_C];
    for (int i = 0; i < BATCH * IN; i++) X[i] = (float)tg_rng_normal(&data);
    for (int i = 0; i < BATCH; i++) Y[i] = (float)(tg_rng_next(&data) % OUT);
    for (int i = 0; i < WIDE_R * WIDE_C; i++)
        Z[i] = (float)tg_rng_uniform(&data);

    r->st = opt ? TG_OK : TG_ERR_OOM;
    for (int step = 0; step < STEPS && r->st == TG_OK; step++) {
        tg_tensor *x = tg_input(g, TG_F32, TG_SHAPE(BATCH, IN), X);
        tg_tensor *y = tg_input(g, TG_F32, TG_SHAPE(BATCH), Y);
        tg_tensor *h = tg_tanh(tg_add(tg_matmul(x, W1), b1));
        h = tg_dropout(h, 0.1); /* draws from the graph's RNG */
        tg_tensor *logits = tg_add(tg_matmul(h, W2), b2);
        tg_tensor *loss = tg_cross_entropy(logits, y);
        /* a wide term: sigmoid and mean over 40960 elements, scaled by
         * a parameter so it reaches backward */
        tg_tensor *z = tg_input(g, TG_F32, TG_SHAPE(WIDE_R, WIDE_C), Z);
        tg_tensor *wide = tg_mean(tg_sigmoid(tg_mul(z, tg_sum_all(b2))), 0,
                                  NULL, false);
        loss = tg_add(loss, tg_mul_scalar(wide, 0.01));
        r->st = tg_backward(g, loss);
        if (r->st == TG_OK) {
            r->last_loss = tg_item(loss);
            r->st = tg_optim_step(opt);
        }
        tg_optim_zero_grad(opt);
        if (r->st != TG_OK && tg_graph_error(g))
            snprintf(r->err, sizeof r->err, "%s", tg_graph_error(g));
        tg_graph_reset(g);
    }
    size_t k = 0;
    for (int p = 0; p < 4; p++) {
        memcpy(r->w + k, ps[p]->data, sizeof(float) * (size_t)ps[p]->numel);
        k += (size_t)ps[p]->numel;
    }
    tg_optim_free(opt);
    tg_graph_free(g);

    /* graph-less failure: the message lands in this thread's slot only */
    char name[64];
    snprintf(name, sizeof name, "/nonexistent/dir/seed-%llu.idx",
             (unsigned long long)r->seed);
    tg_array arr = {0};
    tg_idx_load(name, &arr);
    snprintf(r->own_error, sizeof r->own_error, "%s", tg_last_error());
    r->allocs = tg_alloc_count() - a0;
}

static void *thread_main(void *arg)
{
    train(arg);
    return NULL;
}

static void parallel_training_matches_serial(void)
{
    static run alone[N_THREADS], together[N_THREADS];
    for (int t = 0; t < N_THREADS; t++) {
        alone[t].seed = together[t].seed = 1000 + 7 * (uint64_t)t;
        train(&alone[t]);
        TT_CHECK(alone[t].st == TG_OK);
        if (alone[t].st != TG_OK) fprintf(stderr, "%s\n", alone[t].err);
    }
    /* training did something: losses differ between seeds and are finite */
    TT_CHECK(alone[0].last_loss != alone[1].last_loss);
    TT_CHECK(alone[0].last_loss > 0 && alone[0].last_loss < 10);

    uint64_t before = tg_alloc_count();
    pthread_t th[N_THREADS];
    for (int t = 0; t < N_THREADS; t++)
        TT_CHECK(pthread_create(&th[t], NULL, thread_main, &together[t]) == 0);
    for (int t = 0; t < N_THREADS; t++) pthread_join(th[t], NULL);
    uint64_t total = tg_alloc_count() - before;

    uint64_t want = 0;
    for (int t = 0; t < N_THREADS; t++) {
        TT_CHECK(together[t].st == TG_OK);
        TT_CHECK(memcmp(together[t].w, alone[t].w, sizeof alone[t].w) == 0);
        TT_CHECK(together[t].last_loss == alone[t].last_loss);
        want += alone[t].allocs;
        /* each thread saw its own error message, naming its own file */
        char seed[32];
        snprintf(seed, sizeof seed, "seed-%llu.idx",
                 (unsigned long long)together[t].seed);
        TT_CONTAINS(together[t].own_error, seed);
    }
    /* the process-wide counter lost no increment */
    TT_CHECK(total == want);
}

/* The same run twice on the main thread is bit-identical too (no
 * dependence on reduction order across OpenMP threads or on leftovers). */
static void serial_runs_repeat(void)
{
    static run a, b;
    a.seed = b.seed = 99;
    train(&a);
    train(&b);
    TT_CHECK(a.st == TG_OK && b.st == TG_OK);
    TT_CHECK(memcmp(a.w, b.w, sizeof a.w) == 0);
}

/* tg_set_num_threads is process-wide: a thread that exists before the
 * call, and one made after it, both run with the new count (OpenMP alone
 * would keep it per thread). */
static int seen_before_op, seen_after_op;
static pthread_barrier_t bar;
static void *count_threads(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&bar); /* main has called tg_set_num_threads */
    seen_before_op = tg_get_num_threads();
    tg_graph *g = tg_graph_new();
    tg_tanh(tg_full(g, TG_F32, TG_SHAPE(4), 1.0));
    seen_after_op = omp_get_max_threads();
    tg_graph_free(g);
    return NULL;
}

static void set_num_threads_is_process_wide(void)
{
    int old = tg_get_num_threads();
    for (int want = 1; want <= 3; want += 2) {
        pthread_t th;
        pthread_barrier_init(&bar, NULL, 2);
        TT_CHECK(pthread_create(&th, NULL, count_threads, NULL) == 0);
        tg_set_num_threads(want); /* the thread already exists */
        pthread_barrier_wait(&bar);
        pthread_join(th, NULL);
        pthread_barrier_destroy(&bar);
        TT_CHECK(seen_before_op == want);
        TT_CHECK(seen_after_op == want);
        TT_CHECK(tg_get_num_threads() == want);
    }
    tg_set_num_threads(old);
}

TT_RUN(TT(serial_runs_repeat), TT(parallel_training_matches_serial),
       TT(set_num_threads_is_process_wide))
