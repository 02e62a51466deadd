/* The playground's work natively: the entry points the page calls
 * (playground/pg.c) on the configuration the browser test times, so the
 * native step can be set beside the WebAssembly one (bench/playground.js
 * runs the same sequence under node). Prints figures (medians of CPU
 * time per call), asserts nothing.
 *
 *   bench_playground [rounds] [step]
 *
 * With `step` only the step runs: under valgrind --tool=callgrind
 * --toggle-collect=pg_train that is 200 + 1000 x rounds steps of batch
 * 200 and nothing else (docs/benchmarks.md).
 *
 * step:  a 2-8-8-1 tanh network, SGD, batch 200 of 200 training points
 *        (XOR, 400 points), rounds of 1000 steps after 200 to warm up;
 * grid:  pg_grid(100, 6): the 100x100 forward pass and the unit maps;
 * eval:  pg_eval: loss and accuracy over the training and test sets;
 * frame: what the page does per frame while training (batch 10):
 *        pg_train(10), pg_eval, pg_grid(100, 6). */
#include "playground/pg.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU time of this thread: on a shared, loaded machine the wall clock
 * also counts the time other processes held the core (run with
 * OMP_NUM_THREADS=1: the page has one thread) */
static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* XOR as the page draws it (playground/data.js), from a fixed LCG */
static void xor_data(int n, double *xy, double *lab)
{
    unsigned long long s = 1;
    for (int i = 0; i < n; i++) {
        double v[2];
        for (int k = 0; k < 2; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            v[k] = (double)(s >> 11) / 9007199254740992.0 * 10 - 5;
            v[k] += v[k] > 0 ? 0.3 : -0.3;
        }
        xy[2 * i] = v[0], xy[2 * i + 1] = v[1];
        lab[i] = v[0] * v[1] > 0;
    }
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp);
    return t[n / 2];
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (rounds < 1) rounds = 1;
    bool step_only = argc > 2 && !strcmp(argv[2], "step");
    enum { N = 400 };
    static double xy[2 * N], lab[N];
    xor_data(N, xy, lab);
    if (pg_build("features=3;layers=8,8;act=tanh;optim=sgd;lr=0.03;"
                 "batch=200;seed=1") ||
        pg_set_data(N, N / 2, xy, lab)) {
        fprintf(stderr, "bench_playground: %s\n", pg_error());
        return 1;
    }
    double t[64];
    if (rounds > 64) rounds = 64;
    pg_train(200);
    for (int r = 0; r < rounds; r++) {
        double t0 = now_us();
        pg_train(1000);
        t[r] = (now_us() - t0) / 1000;
    }
    double step = median(t, rounds);
    if (step_only) {
        printf("playground native: step_2-8-8-1_batch200_us %.2f  (median of %d rounds)\n",
               step, rounds);
        return 0;
    }
    for (int r = 0; r < rounds; r++) {
        double t0 = now_us();
        for (int i = 0; i < 10; i++) pg_grid(100, 6);
        t[r] = (now_us() - t0) / 10 / 1000;
    }
    double grid = median(t, rounds);
    for (int r = 0; r < rounds; r++) {
        double t0 = now_us();
        for (int i = 0; i < 10; i++) pg_eval();
        t[r] = (now_us() - t0) / 10;
    }
    double eval = median(t, rounds);
    pg_build("features=3;layers=8,8;act=tanh;optim=sgd;lr=0.03;batch=10;seed=1");
    pg_set_data(N, N / 2, xy, lab);
    for (int r = 0; r < rounds; r++) {
        double t0 = now_us();
        for (int i = 0; i < 10; i++) {
            pg_train(10);
            pg_eval();
            pg_grid(100, 6);
        }
        t[r] = (now_us() - t0) / 10 / 1000;
    }
    double frame = median(t, rounds);
    double *s = pg_eval();
    printf("playground native: step_2-8-8-1_batch200_us %.2f  grid_100x100_ms %.3f"
           "  eval_us %.1f  frame_ms %.3f  (medians of %d rounds; final train "
           "accuracy %.3f)\n",
           step, grid, eval, frame, rounds, s ? s[2] : NAN);
    return 0;
}
