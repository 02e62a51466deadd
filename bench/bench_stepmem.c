/* The memory streams of one batch-1 training step of the 784-256-256-10
 * MLP (bench_mlp --case batch1), without the engine: what the step's
 * three kinds of work cost on their own and together, and what zeroing
 * the gradients in the optimizer's pass adds. Plain loops over the same
 * buffer sizes (weights [in, out] and biases of the three layers, their
 * gradients and momentum buffers, 269,322 f32 each):
 *
 *   fwd     y = x W for each layer (the forward matrix-vector products,
 *           reading every weight once)
 *   outer   dW = x (x) dy for each layer (the weight gradients of batch 1,
 *           writing every gradient once)
 *   step    m = b m - lr g; w += m (SGD with momentum), gradients kept
 *   step_zero  the same, storing zeros over each gradient once read, as
 *           tg_optim_step_zero_grad does
 *   full, full_zero  fwd + outer + step (or step_zero), in that order:
 *           a step's traffic with the engine's bookkeeping left out
 *   full_zero_rev  full_zero with the step taking the parameters last
 *           layer first, so that the first layer's are the most recently
 *           touched when the next forward reads them
 *
 * Reported per case: microseconds per step (wall and CPU time of the
 * process), the median of --reps runs of --steps steps. The loops are
 * compiled for x86-64-v4 (AVX-512) and the baseline, chosen at run time
 * (target_clones), as the library's kernels are. docs/benchmarks.md,
 * "Small batch: where a batch-1 step goes", has the figures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "default")))
#else
#define CLONES
#endif

#define NL 3
static const int64_t IN[NL] = {784, 256, 256}, OUT[NL] = {256, 256, 10};

/* y[N] = x[K] W[K, N] */
CLONES static void fwd(int64_t K, int64_t N, float *restrict y,
                       const float *restrict x, const float *restrict W)
{
    for (int64_t j = 0; j < N; j++) y[j] = 0;
    for (int64_t k = 0; k < K; k++) {
        const float xk = x[k], *restrict wr = W + k * N;
        for (int64_t j = 0; j < N; j++) y[j] += xk * wr[j];
    }
}

/* G[K, N] = x[K] dy[N]^T */
CLONES static void outer(int64_t K, int64_t N, float *restrict G,
                         const float *restrict x, const float *restrict dy)
{
    for (int64_t k = 0; k < K; k++) {
        const float xk = x[k];
        float *restrict gr = G + k * N;
        for (int64_t j = 0; j < N; j++) gr[j] = xk * dy[j];
    }
}

CLONES static void momentum(int64_t n, float *restrict w, float *restrict m,
                            float *restrict g, int zero_g)
{
    const float lr = 0.02f, b = 0.9f;
    if (zero_g) {
        for (int64_t i = 0; i < n; i++) {
            float gi = g[i];
            g[i] = 0;
            float mi = b * m[i] - lr * gi;
            m[i] = mi;
            w[i] += mi;
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            float mi = b * m[i] - lr * g[i];
            m[i] = mi;
            w[i] += mi;
        }
    }
}

typedef struct net {
    float *w[2 * NL], *g[2 * NL], *m[2 * NL]; /* weight, bias per layer */
    int64_t n[2 * NL];
    float *act[NL + 1], *dact[NL + 1];
} net;

static float *alloc_f32(int64_t n)
{
    float *p = malloc(sizeof(float) * (size_t)(n ? n : 1));
    if (!p) {
        fprintf(stderr, "bench_stepmem: out of memory\n");
        exit(1);
    }
    return p;
}

static void net_init(net *t)
{
    for (int l = 0; l < NL; l++) {
        t->n[2 * l] = IN[l] * OUT[l];
        t->n[2 * l + 1] = OUT[l];
    }
    for (int i = 0; i < 2 * NL; i++) {
        t->w[i] = alloc_f32(t->n[i]);
        t->g[i] = alloc_f32(t->n[i]);
        t->m[i] = alloc_f32(t->n[i]);
        bench_fill(t->w[i], t->n[i], 10 + (uint64_t)i, -0.05, 0.05);
        bench_fill(t->g[i], t->n[i], 20 + (uint64_t)i, -0.01, 0.01);
        memset(t->m[i], 0, sizeof(float) * (size_t)t->n[i]);
    }
    for (int l = 0; l <= NL; l++) {
        int64_t d = l == 0 ? IN[0] : OUT[l - 1];
        t->act[l] = alloc_f32(d);
        t->dact[l] = alloc_f32(d);
        bench_fill(t->act[l], d, 30 + (uint64_t)l, 0, 1);
        bench_fill(t->dact[l], d, 40 + (uint64_t)l, -0.01, 0.01);
    }
}

static void net_free(net *t)
{
    for (int i = 0; i < 2 * NL; i++) {
        free(t->w[i]);
        free(t->g[i]);
        free(t->m[i]);
    }
    for (int l = 0; l <= NL; l++) {
        free(t->act[l]);
        free(t->dact[l]);
    }
}

enum { F_FWD = 1, F_OUTER = 2, F_STEP = 4, F_ZERO = 8, F_REV = 16 };

static void one_step(net *t, int what)
{
    if (what & F_FWD)
        for (int l = 0; l < NL; l++)
            fwd(IN[l], OUT[l], t->act[l + 1], t->act[l], t->w[2 * l]);
    if (what & F_OUTER) /* backward produces the last layer's first */
        for (int l = NL - 1; l >= 0; l--) {
            outer(IN[l], OUT[l], t->g[2 * l], t->act[l], t->dact[l + 1]);
            memcpy(t->g[2 * l + 1], t->dact[l + 1],
                   sizeof(float) * (size_t)OUT[l]);
        }
    if (what & F_STEP)
        for (int k = 0; k < 2 * NL; k++) {
            int i = what & F_REV ? 2 * NL - 1 - k : k;
            momentum(t->n[i], t->w[i], t->m[i], t->g[i], what & F_ZERO);
        }
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 5, 1);
    long steps = bench_opt_int(&a, "--steps", a.tiny ? 10 : 2000);
    static const struct {
        const char *name;
        int what;
    } cases[] = {
        {"fwd", F_FWD},
        {"outer", F_OUTER},
        {"step", F_STEP},
        {"step_zero", F_STEP | F_ZERO},
        {"full", F_FWD | F_OUTER | F_STEP},
        {"full_zero", F_FWD | F_OUTER | F_STEP | F_ZERO},
        {"full_zero_rev", F_FWD | F_OUTER | F_STEP | F_ZERO | F_REV},
    };
    net t;
    net_init(&t);
    double *wall = calloc((size_t)a.reps * 2, sizeof *wall);
    if (!wall) return 1;
    double *cpu = wall + a.reps;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (!bench_want(&a, cases[c].name)) continue;
        for (int r = -a.warmup; r < a.reps; r++) {
            double t0 = bench_now(), c0 = bench_cpu();
            for (long s = 0; s < steps; s++) one_step(&t, cases[c].what);
            if (r >= 0) {
                wall[r] = (bench_now() - t0) / (double)steps;
                cpu[r] = (bench_cpu() - c0) / (double)steps;
            }
        }
        bench_begin("stepmem", cases[c].name);
        bench_kv_num("seconds", bench_median(wall, a.reps));
        bench_kv_num("cpu_seconds", bench_median(cpu, a.reps));
        bench_kv_num("w0", t.w[0][0]); /* keeps the loops' results live */
        bench_end();
    }
    free(wall);
    net_free(&t);
    return 0;
}
