/* Workload 1: elementwise ops over 2^24 f32, forward and forward+backward,
 * next to the copy bandwidth of the same run.
 *
 * Forward: y = op(x) through the public API with grad mode off, the graph
 * reset after each call (its arena keeps the output buffer, so a steady
 * loop allocates nothing). Forward+backward: y = op(x) recorded, then
 * tg_backward_seed(y, ones) accumulating into x->grad, which is how
 * PyTorch's y.backward(ones) with an existing x.grad behaves.
 *
 * The floor of a case is the time memcpy needs to move the bytes the case
 * must touch at least once (counted in whole arrays of n floats):
 *   unary forward      2  (read x, write y)
 *   binary forward     3  (read a, b, write y)
 *   unary fwd+bwd      6  (forward 2; seed, saved x or y, read+write grad)
 *   add fwd+bwd        8  (forward 3; seed, read+write both grads)
 *   mul fwd+bwd       10  (forward 3; seed, a, b, read+write both grads)
 * floor = arrays / 2 * t_copy, where t_copy is the median time of copying
 * n floats (2 arrays) with the same thread count.
 */
#include <omp.h>
#include <tapegrad/tapegrad.h>

#include "bench.h"

typedef struct op_case {
    const char *name;
    tg_tensor *(*unary)(tg_tensor *);
    tg_tensor *(*binary)(tg_tensor *, tg_tensor *);
    int fwd_arrays, fwdbwd_arrays;
} op_case;

static const op_case cases[] = {
    {"relu", tg_relu, NULL, 2, 6},
    {"add", NULL, tg_add, 3, 8},
    {"mul", NULL, tg_mul, 3, 10},
    {"exp", tg_exp, NULL, 2, 6},
    {"sigmoid", tg_sigmoid, NULL, 2, 6},
    {"tanh", tg_tanh, NULL, 2, 6},
    {"gelu", tg_gelu, NULL, 2, 6}, /* exact (erf) GELU, as torch's default */
    {"silu", tg_silu, NULL, 2, 6},
    {"gelu_tanh", tg_gelu_tanh, NULL, 2, 6}, /* gelu(approximate='tanh') */
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static double *samples;

/* Median seconds of the threaded copy of n floats. */
static double time_copy(const bench_args *a, int64_t n)
{
    float *src = aligned_alloc(64, (size_t)n * 4);
    float *dst = aligned_alloc(64, (size_t)n * 4);
    if (!src || !dst) {
        fprintf(stderr, "bench_elementwise: out of memory\n");
        exit(1);
    }
    bench_fill(src, n, 1, -4, 4);
    memset(dst, 0, (size_t)n * 4); /* fault the pages in before timing */
    int nt = a->threads;
    for (int r = -a->warmup; r < a->reps; r++) {
        double t0 = bench_now();
#pragma omp parallel num_threads(nt)
        {
            int t = omp_get_thread_num(), k = omp_get_num_threads();
            int64_t per = ((n + k - 1) / k + 15) & ~(int64_t)15;
            int64_t lo = per * t, hi = lo + per < n ? lo + per : n;
            if (lo < hi) memcpy(dst + lo, src + lo, (size_t)(hi - lo) * 4);
        }
        double t1 = bench_now();
        if (r >= 0) samples[r] = t1 - t0;
    }
    double med = bench_median(samples, a->reps);
    free(src);
    free(dst);
    return med;
}

static void report(const char *name, const char *mode, int64_t n,
                   int arrays, double t, double t_copy, double checksum)
{
    char label[64];
    snprintf(label, sizeof label, "%s %s", name, mode);
    double bytes = (double)arrays * (double)n * 4.0;
    bench_begin("elementwise", label);
    bench_kv_num("seconds", t);
    bench_kv_num("ns_per_elem", t * 1e9 / (double)n);
    bench_kv_num("gbps", bytes / t * 1e-9);
    bench_kv_num("floor_seconds", arrays / 2.0 * t_copy);
    bench_kv_num("x_floor", t / (arrays / 2.0 * t_copy));
    bench_kv_num("checksum", checksum);
    bench_end();
}

static tg_tensor *apply(const op_case *c, tg_tensor *x, tg_tensor *b)
{
    return c->unary ? c->unary(x) : c->binary(x, b);
}

static void run_case(const bench_args *a, const op_case *c, int64_t n,
                     double t_copy)
{
    tg_graph *g = tg_graph_new();
    tg_tensor *x = tg_param(g, TG_F32, 1, &n, "x");
    tg_tensor *b = tg_param(g, TG_F32, 1, &n, "b");
    tg_tensor *seed = tg_param(g, TG_F32, 1, &n, "seed");
    if (tg_graph_error(g)) {
        fprintf(stderr, "bench_elementwise: %s\n", tg_graph_error(g));
        exit(1);
    }
    tg_set_requires_grad(seed, false);
    bench_fill(tg_f32(x), n, 0, -4, 4);
    bench_fill(tg_f32(b), n, 7777, -2, 2);
    for (int64_t i = 0; i < n; i++) tg_f32(seed)[i] = 1.0f;

    /* forward */
    double checksum = 0;
    tg_set_grad_enabled(g, false);
    for (int r = -a->warmup; r < a->reps; r++) {
        double t0 = bench_now();
        tg_tensor *y = apply(c, x, b);
        double t1 = bench_now();
        if (tg_graph_error(g)) {
            fprintf(stderr, "bench_elementwise: %s\n", tg_graph_error(g));
            exit(1);
        }
        if (r >= 0) samples[r] = t1 - t0;
        if (r == a->reps - 1) checksum = bench_sum_f32(tg_f32(y), n);
        tg_graph_reset(g);
    }
    report(c->name, "fwd", n, c->fwd_arrays, bench_median(samples, a->reps),
           t_copy, checksum);

    /* forward + backward */
    tg_set_grad_enabled(g, true);
    for (int r = -a->warmup; r < a->reps; r++) {
        double t0 = bench_now();
        tg_tensor *y = apply(c, x, b);
        tg_status st = tg_backward_seed(g, y, seed);
        double t1 = bench_now();
        if (st != TG_OK) {
            fprintf(stderr, "bench_elementwise: %s\n", tg_graph_error(g));
            exit(1);
        }
        if (r >= 0) samples[r] = t1 - t0;
        tg_graph_reset(g);
    }
    double t = bench_median(samples, a->reps);
    /* checksum of one pass from zeroed gradients */
    tg_zero_grad(g);
    tg_backward_seed(g, apply(c, x, b), seed);
    checksum = bench_sum_f32(tg_f32(x->grad), n);
    if (c->binary) checksum += bench_sum_f32(tg_f32(b->grad), n);
    tg_graph_reset(g);
    report(c->name, "fwd+bwd", n, c->fwdbwd_arrays, t, t_copy, checksum);
    tg_graph_free(g);
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 9, 2);
    int64_t n = (int64_t)1 << (a.tiny ? 12 : 24);
    n = bench_opt_int(&a, "--n", n);
    tg_set_num_threads(a.threads);
    samples = calloc((size_t)a.reps, sizeof *samples);

    double t_copy = time_copy(&a, n);
    bench_begin("elementwise", "copy");
    bench_kv_num("seconds", t_copy);
    bench_kv_num("ns_per_elem", t_copy * 1e9 / (double)n);
    bench_kv_num("gbps", 2.0 * (double)n * 4.0 / t_copy * 1e-9);
    bench_kv_num("n", (double)n);
    bench_kv_num("threads", a.threads);
    bench_end();

    for (int i = 0; i < N_CASES; i++)
        if (bench_want(&a, cases[i].name)) run_case(&a, &cases[i], n, t_copy);
    free(samples);
    return 0;
}
