/* Workload 2: scalar-graph overhead. A chain x <- tanh(x * w + b) of 0-d
 * f32 nodes (three per link: mul, add, tanh) is recorded and
 * backpropagated; w and b are parameters, so each receives one gradient
 * contribution per link (fan-in the engine accumulates). What this costs
 * per node is what a teaching-size graph costs.
 *
 * Reported per node: recording (forward), backward, and both; the graph is
 * reset between repetitions, so after the first one the arena is reused
 * and nothing is allocated.
 */
#include <tapegrad/tapegrad.h>

#include "bench.h"

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 9, 2);
    long nodes_wanted = bench_opt_int(&a, "--nodes", a.tiny ? 300 : 100000);
    long links = (nodes_wanted + 2) / 3;
    tg_set_num_threads(a.threads);

    tg_graph *g = tg_graph_new();
    tg_tensor *w = tg_param(g, TG_F32, 0, NULL, "w");
    tg_tensor *b = tg_param(g, TG_F32, 0, NULL, "b");
    if (!w || !b) {
        fprintf(stderr, "bench_scalar: %s\n", tg_graph_error(g));
        return 1;
    }
    tg_f32(w)[0] = 0.9f;
    tg_f32(b)[0] = 0.1f;
    if (!bench_want(&a, "chain")) { /* e.g. --case none: idle footprint */
        tg_graph_free(g);
        return 0;
    }

    double *tf = calloc((size_t)a.reps, sizeof *tf);
    double *tb = calloc((size_t)a.reps, sizeof *tb);
    double *tt = calloc((size_t)a.reps, sizeof *tt);
    int64_t nodes = 0;
    double xval = 0;
    for (int r = -a.warmup; r < a.reps; r++) {
        tg_zero_grad(g);
        double t0 = bench_now();
        tg_tensor *x = tg_scalar(g, TG_F32, 0.5);
        for (long i = 0; i < links; i++) x = tg_tanh(tg_add(tg_mul(x, w), b));
        double t1 = bench_now();
        tg_status st = tg_backward(g, x);
        double t2 = bench_now();
        if (st != TG_OK) {
            fprintf(stderr, "bench_scalar: %s\n", tg_graph_error(g));
            return 1;
        }
        nodes = tg_graph_num_nodes(g);
        xval = tg_item(x);
        tg_graph_reset(g);
        if (r >= 0) {
            tf[r] = t1 - t0;
            tb[r] = t2 - t1;
            tt[r] = t2 - t0;
        }
    }
    double mf = bench_median(tf, a.reps), mb = bench_median(tb, a.reps);
    double mt = bench_median(tt, a.reps);
    bench_begin("scalar", "chain");
    bench_kv_num("seconds", mt);
    bench_kv_num("nodes", (double)nodes);
    bench_kv_num("ns_per_node", mt * 1e9 / (double)nodes);
    bench_kv_num("fwd_ns_per_node", mf * 1e9 / (double)nodes);
    bench_kv_num("bwd_ns_per_node", mb * 1e9 / (double)nodes);
    bench_kv_num("checksum", tg_item(w->grad) + tg_item(b->grad) + xval);
    bench_end();
    free(tf);
    free(tb);
    free(tt);
    tg_graph_free(g);
    return 0;
}
