/* Workload `gemm`: single-precision matrix products, row-major, at the
 * shapes the MLP and residual benchmarks multiply, and one square one.
 * For every shape the same product is timed through each library the
 * build links, alternating between them so that drifting load hits all of
 * them alike:
 *
 *   openblas   cblas_sgemm, OpenBLAS's own threading
 *   onednn     dnnl_sgemm, oneDNN's own threading (when the build has it)
 *   tapegrad   tg__gemm_f32, the engine's dispatch (ops/gemm.c), which is
 *              what matmul and linear call
 *
 * A case is named "MxNxK XY": C[M,N] = op(A) op(B), K the summed length,
 * X and Y the transpose flags of A and B (N plain, T transposed), as the
 * MLP's forward (NN), input gradient (NT) and weight gradient (TN) use
 * them. Reported per library: GFLOP/s, 2 M N K flops over the median time
 * of --reps timed runs, each run a loop of calls lasting about 20 ms:
 * gflops_LIB by wall time, cpu_gflops_LIB by the process's CPU time (all
 * threads). On a machine shared with other work the wall figure includes
 * the time spent waiting for a core; at one thread the CPU figure does
 * not, and is the steadier measure of the kernels themselves.
 * "seconds" is tapegrad's time per call, the figure bench/run sets against
 * torch.mm's.
 */
#include <math.h>
#include <tapegrad/tapegrad.h>

#include "bench.h"
#include "ops/gemm.h"

#include <cblas.h>
#if TG_HAVE_ONEDNN
#include <dnnl.h>
#endif

typedef struct gcase {
    int64_t M, N, K;
    bool ta, tb;
} gcase;

/* MLP 784-256-256-10 at batch 128 and 16 (forward, input gradient, weight
 * gradient of the first two layers), the residual block's 256 -> 1024 ->
 * 256 at batch 64, 1024^3, the MLP's last layer, and batch 1. */
static const gcase CASES[] = {
    {128, 256, 784, false, false}, {128, 784, 256, false, true},
    {784, 256, 128, true, false},  {128, 256, 256, false, false},
    {128, 256, 256, false, true},  {256, 256, 128, true, false},  {16, 256, 784, false, false},
    {16, 784, 256, false, true},   {784, 256, 16, true, false},
    {64, 1024, 256, false, false}, {64, 256, 1024, false, false},
    {64, 256, 1024, false, true},  {256, 1024, 64, true, false},
    {1024, 1024, 1024, false, false},
    /* the smallest products of the MLP (its 10-wide last layer) */
    {128, 10, 256, false, false},  {128, 256, 10, false, true},
    {256, 10, 128, true, false},   {16, 10, 256, false, false},
    /* batch 1: matrix-vector products and the outer product */
    {1, 256, 784, false, false},   {1, 256, 256, false, true},
    {784, 256, 1, true, false},
};

enum { LIB_OPENBLAS, LIB_ONEDNN, LIB_TAPEGRAD, N_LIBS };
static const char *const LIB_NAMES[N_LIBS] = {"openblas", "onednn",
                                              "tapegrad"};

static void call(int lib, const gcase *c, const float *A, const float *B,
                 float *C)
{
    int64_t lda = c->ta ? c->M : c->K, ldb = c->tb ? c->K : c->N;
    switch (lib) {
    case LIB_OPENBLAS:
        cblas_sgemm(CblasRowMajor, c->ta ? CblasTrans : CblasNoTrans,
                    c->tb ? CblasTrans : CblasNoTrans, (int)c->M, (int)c->N,
                    (int)c->K, 1, A, (int)lda, B, (int)ldb, 0, C, (int)c->N);
        break;
#if TG_HAVE_ONEDNN
    case LIB_ONEDNN:
        dnnl_sgemm(c->ta ? 'T' : 'N', c->tb ? 'T' : 'N', c->M, c->N, c->K, 1,
                   A, lda, B, ldb, 0, C, c->N);
        break;
#endif
    default:
        tg__gemm_f32(c->ta, c->tb, c->M, c->N, c->K, A, lda, B, ldb, 0, C);
    }
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 7, 1);
    tg_set_num_threads(a.threads);
    double target = a.tiny ? 1e-3 : 0.02; /* seconds per timed run */
    for (size_t ci = 0; ci < sizeof CASES / sizeof *CASES; ci++) {
        gcase c = CASES[ci];
        if (a.tiny) {
            c.M = (c.M + 7) / 8;
            c.N = (c.N + 7) / 8;
            c.K = (c.K + 7) / 8;
        }
        char name[64];
        snprintf(name, sizeof name, "%lldx%lldx%lld %c%c", (long long)c.M,
                 (long long)c.N, (long long)c.K, c.ta ? 'T' : 'N',
                 c.tb ? 'T' : 'N');
        if (!bench_want(&a, name)) continue;
        float *A = malloc(sizeof(float) * (size_t)(c.M * c.K));
        float *B = malloc(sizeof(float) * (size_t)(c.K * c.N));
        float *C = malloc(sizeof(float) * (size_t)(c.M * c.N));
        float *Cref = malloc(sizeof(float) * (size_t)(c.M * c.N));
        if (!A || !B || !C || !Cref) return 1;
        bench_fill(A, c.M * c.K, 1, -1, 1);
        bench_fill(B, c.K * c.N, 2, -1, 1);
        double flops = 2.0 * (double)c.M * (double)c.N * (double)c.K;
        bool have[N_LIBS] = {true, TG_HAVE_ONEDNN, true};
        /* calls per timed run, from one call's time after a warm-up */
        call(LIB_TAPEGRAD, &c, A, B, Cref);
        long inner[N_LIBS];
        double maxdiff[N_LIBS] = {0};
        for (int l = 0; l < N_LIBS; l++) {
            if (!have[l]) continue;
            call(l, &c, A, B, C);
            double t0 = bench_now();
            call(l, &c, A, B, C);
            double dt = bench_now() - t0;
            inner[l] = dt > 0 ? (long)(target / dt) + 1 : 1000;
            if (inner[l] > 100000) inner[l] = 100000;
            for (int64_t i = 0; i < c.M * c.N; i++) {
                double d = fabs((double)C[i] - (double)Cref[i]);
                if (d > maxdiff[l]) maxdiff[l] = d;
            }
        }
        double *t[N_LIBS], *tc[N_LIBS];
        for (int l = 0; l < N_LIBS; l++) {
            t[l] = calloc((size_t)a.reps, sizeof(double));
            tc[l] = calloc((size_t)a.reps, sizeof(double));
        }
        for (int r = -a.warmup; r < a.reps; r++)
            for (int l = 0; l < N_LIBS; l++) {
                if (!have[l]) continue;
                double t0 = bench_now(), c0 = bench_cpu();
                for (long k = 0; k < inner[l]; k++) call(l, &c, A, B, C);
                double dt = (bench_now() - t0) / (double)inner[l];
                double dc = (bench_cpu() - c0) / (double)inner[l];
                if (r >= 0) {
                    t[l][r] = dt;
                    tc[l][r] = dc;
                }
            }
        double med[N_LIBS] = {0}, medc[N_LIBS] = {0};
        for (int l = 0; l < N_LIBS; l++)
            if (have[l]) {
                med[l] = bench_median(t[l], a.reps);
                medc[l] = bench_median(tc[l], a.reps);
            }
        bench_begin("gemm", name);
        bench_kv_num("seconds", med[LIB_TAPEGRAD]);
        for (int l = 0; l < N_LIBS; l++) {
            if (!have[l]) continue;
            char key[48];
            snprintf(key, sizeof key, "gflops_%s", LIB_NAMES[l]);
            bench_kv_num(key, flops / med[l] * 1e-9);
            snprintf(key, sizeof key, "cpu_gflops_%s", LIB_NAMES[l]);
            bench_kv_num(key, flops / medc[l] * 1e-9);
            if (l == LIB_TAPEGRAD) continue;
            snprintf(key, sizeof key, "maxdiff_%s", LIB_NAMES[l]);
            bench_kv_num(key, maxdiff[l]);
        }
        bench_kv_num("checksum", bench_sum_f32(Cref, c.M * c.N));
        bench_end();
        for (int l = 0; l < N_LIBS; l++) {
            free(t[l]);
            free(tc[l]);
        }
        free(A);
        free(B);
        free(C);
        free(Cref);
    }
    return 0;
}
