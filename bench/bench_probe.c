/* The machine under the two-thread figures: how long a cache line takes to
 * travel between two cores and back, and whether the two cores run
 * arithmetic at their full rate side by side.
 *
 * On a virtual machine the host decides where the vCPUs run. On the 2-vCPU
 * VM the benchmarks were taken on, it switched within seconds between a
 * placement where a line written by one thread and read by the other made
 * the round trip in 150-260 ns and one where it took 440-530 ns, and the
 * MLP's two-thread epoch gained 1.63-1.73x from its second thread in the
 * first and 1.2-1.3x in the second (docs/benchmarks.md, "Running them").
 * bench/run runs this program's round trip just before and just after each
 * two-thread measurement, so that every two-thread figure says which
 * placement it ran in.
 *
 * Cases (--case, comma-separated; both when none is given):
 *   roundtrip  two threads, pinned to two different CPUs, bounce one
 *              64-byte-aligned atomic word: the first stores an odd
 *              count and waits for the second to store the next even one.
 *              --reps batches of --trips round trips are timed (after
 *              --warmup untimed batches; 51 of 1,000 after 2); the
 *              median batch gives the nanoseconds of one round trip.
 *              Batches are short (about 0.5 ms) so that the median
 *              passes over those another process's time slice fell
 *              into: on the loaded machine, batches of 20,000 gave
 *              850-1,070 ns where batches of 1,000 gave 440-460.
 *              About 0.06 s.
 *   fma        a loop of independent fused multiply-adds that touches no
 *              memory, for a window of --fma-ms on one thread and then on
 *              both threads at once, --fma-windows times alternating;
 *              GFLOP/s per thread (medians). Two threads at the
 *              one-thread rate each: the cores themselves scale, and a
 *              two-thread workload that does not is held back by its data.
 *              About 0.6 s.
 *
 * Lines like every other program's ({"bench": "probe", "case": ...,
 * "seconds": ...}); "seconds" is the median time of one round trip, or the
 * window of the FMA loop. --threads is accepted and ignored: the probe
 * always uses two threads (one for fma_1thread).
 */
#ifndef _GNU_SOURCE /* the project's arguments define it */
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PROBE_X86 1
#endif

#include "bench.h"

/* ------------------------------------------------------------ pinning */

/* The first two CPUs this process may run on; cpu[1] = -1 when it has only
 * one (the threads then share it, and the round trip measures the
 * scheduler, which the output says). */
static void probe_pick_cpus(int cpu[2])
{
    cpu[0] = cpu[1] = -1;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return;
    int k = 0;
    for (int c = 0; c < CPU_SETSIZE && k < 2; c++)
        if (CPU_ISSET(c, &set)) cpu[k++] = c;
}

/* Pins the calling thread to `cpu` (no-op for -1); 0 on success. */
static int probe_pin(int cpu)
{
    if (cpu < 0) return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static inline void probe_relax(void)
{
#ifdef PROBE_X86
    _mm_pause();
#endif
}

/* ------------------------------------------------------- round trip */

/* The bounced word alone in its cache line, so that nothing else the
 * threads touch shares it. */
typedef struct probe_line {
    _Alignas(64) atomic_long word;
    char pad[64 - sizeof(atomic_long)];
} probe_line;

typedef struct probe_rt {
    probe_line line;
    atomic_int stop;  /* set when the timing side could not start */
    long trips;       /* round trips per batch */
    int batches;      /* warm-up and timed batches together */
    int warmup;       /* the first `warmup` batches are not timed */
    int cpu[2];
    double *ns;       /* ns per round trip of each timed batch */
    int pin_failed[2]; /* each side's own flag: no shared write */
} probe_rt;

/* Spins until the word holds `want` (0) or `stop` is set (1). A thread
 * that spins long without seeing it yields the CPU, so that if both
 * threads share one CPU the other gets it without waiting out a time
 * slice. */
static inline int probe_wait_for(atomic_long *w, long want, atomic_int *stop)
{
    unsigned spins = 0;
    while (atomic_load_explicit(w, memory_order_acquire) != want) {
        probe_relax();
        if (++spins == 1u << 14) {
            spins = 0;
            if (atomic_load_explicit(stop, memory_order_relaxed)) return 1;
            sched_yield();
        }
    }
    return 0;
}

/* The answering side: waits for each odd count and stores the next. */
static void *probe_rt_echo(void *arg)
{
    probe_rt *p = arg;
    if (probe_pin(p->cpu[1]) != 0) p->pin_failed[1] = 1;
    long total = p->trips * p->batches;
    for (long k = 0; k < total; k++) {
        if (probe_wait_for(&p->line.word, 2 * k + 1, &p->stop)) break;
        atomic_store_explicit(&p->line.word, 2 * k + 2, memory_order_release);
    }
    return NULL;
}

/* The timing side: one round trip = store 2k+1, see 2k+2. */
static void *probe_rt_ping(void *arg)
{
    probe_rt *p = arg;
    if (probe_pin(p->cpu[0]) != 0) p->pin_failed[0] = 1;
    long k = 0;
    for (int b = 0; b < p->batches; b++) {
        double t0 = bench_now();
        for (long i = 0; i < p->trips; i++, k++) {
            atomic_store_explicit(&p->line.word, 2 * k + 1,
                                  memory_order_release);
            probe_wait_for(&p->line.word, 2 * k + 2, &p->stop);
        }
        double t1 = bench_now();
        if (b >= p->warmup)
            p->ns[b - p->warmup] = (t1 - t0) * 1e9 / (double)p->trips;
    }
    return NULL;
}

static int probe_roundtrip(const bench_args *a, long trips)
{
    probe_rt *p = aligned_alloc(64, sizeof *p);
    if (!p) return 1;
    memset(p, 0, sizeof *p);
    atomic_init(&p->line.word, 0);
    atomic_init(&p->stop, 0);
    p->trips = trips;
    p->warmup = a->warmup;
    p->batches = a->warmup + a->reps;
    probe_pick_cpus(p->cpu);
    p->ns = calloc((size_t)a->reps, sizeof *p->ns);
    if (!p->ns) {
        free(p);
        return 1;
    }
    pthread_t th[2];
    double t0 = bench_now();
    int e = pthread_create(&th[1], NULL, probe_rt_echo, p);
    if (e == 0) {
        e = pthread_create(&th[0], NULL, probe_rt_ping, p);
        if (e != 0) {
            /* the echo thread waits for counts that will never come */
            fprintf(stderr, "bench_probe: roundtrip: pthread_create: %s\n",
                    strerror(e));
            atomic_store(&p->stop, 1);
        } else {
            pthread_join(th[0], NULL);
        }
        pthread_join(th[1], NULL);
    } else {
        fprintf(stderr, "bench_probe: roundtrip: pthread_create: %s\n",
                strerror(e));
    }
    double wall = bench_now() - t0;
    if (e != 0) {
        free(p->ns);
        free(p);
        return 1;
    }
    double lo = p->ns[0], hi = p->ns[0];
    for (int i = 1; i < a->reps; i++) {
        if (p->ns[i] < lo) lo = p->ns[i];
        if (p->ns[i] > hi) hi = p->ns[i];
    }
    double med = bench_median(p->ns, a->reps);
    char cpus[32];
    snprintf(cpus, sizeof cpus, "%d,%d", p->cpu[0], p->cpu[1]);
    bench_begin("probe", "roundtrip");
    bench_kv_num("seconds", med * 1e-9);
    bench_kv_num("ns_per_round_trip", med);
    bench_kv_num("ns_min", lo);
    bench_kv_num("ns_max", hi);
    bench_kv_num("batches", a->reps);
    bench_kv_num("trips_per_batch", (double)trips);
    bench_kv_num("wall_seconds", wall);
    bench_kv_str("cpus", cpus);
    bench_kv_str("pinned", p->cpu[1] < 0 ? "one CPU only: threads share it"
                           : p->pin_failed[0] || p->pin_failed[1]
                           ? "no (pinning failed)" : "yes");
    bench_end();
    free(p->ns);
    free(p);
    return 0;
}

/* ------------------------------------------------------------- FMA */

/* Independent accumulators per iteration: enough to cover the latency of
 * an FMA times the units that issue them (4 cycles x 2 units on current
 * x86 cores) with room to spare, few enough to stay in registers. Each
 * accumulator converges to c / (1 - m), so nothing overflows or turns
 * denormal however long the loop runs. */
#define PROBE_ACC 12

#ifdef PROBE_X86
__attribute__((target("avx2,fma"))) static double
probe_fma_avx2(long iters)
{
    __m256 acc[PROBE_ACC];
    const __m256 m = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-3f);
    for (int j = 0; j < PROBE_ACC; j++) acc[j] = _mm256_set1_ps((float)j);
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < PROBE_ACC; j++)
            acc[j] = _mm256_fmadd_ps(acc[j], m, c);
    float out[8];
    double s = 0;
    for (int j = 0; j < PROBE_ACC; j++) {
        _mm256_storeu_ps(out, acc[j]);
        for (int l = 0; l < 8; l++) s += out[l];
    }
    return s;
}
#endif

/* Without AVX2 and FMA: the same chains in scalar multiply and add (two
 * flops each, as the FMA's). */
static double probe_fma_scalar(long iters)
{
    double acc[PROBE_ACC];
    for (int j = 0; j < PROBE_ACC; j++) acc[j] = j;
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < PROBE_ACC; j++) acc[j] = acc[j] * 0.999 + 1e-3;
    double s = 0;
    for (int j = 0; j < PROBE_ACC; j++) s += acc[j];
    return s;
}

static int probe_have_avx2_fma(void)
{
#ifdef PROBE_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

typedef struct probe_fma_arg {
    int cpu;
    double window;             /* seconds */
    int vector;                /* AVX2 + FMA kernel */
    pthread_barrier_t *start;  /* NULL for one thread */
    double gflops;
    double sink;  /* the loops' results, kept so that they are computed */
} probe_fma_arg;

/* Runs the loop in chunks until the window is over; GFLOP/s of this thread
 * over its own wall time. */
static void *probe_fma_thread(void *arg)
{
    probe_fma_arg *f = arg;
    probe_pin(f->cpu);
    if (f->start) pthread_barrier_wait(f->start);
    const long chunk = 20000;
    double flops_per_iter = f->vector ? 2.0 * 8 * PROBE_ACC
                                      : 2.0 * PROBE_ACC;
    double t0 = bench_now(), t = t0, flops = 0, sink = 0;
    while (t - t0 < f->window) {
#ifdef PROBE_X86
        if (f->vector)
            sink += probe_fma_avx2(chunk);
        else
#endif
            sink += probe_fma_scalar(chunk);
        flops += flops_per_iter * (double)chunk;
        t = bench_now();
    }
    f->gflops = flops / (t - t0) * 1e-9;
    f->sink = sink;
    return NULL;
}

/* One window with `n` threads (1 or 2) on the picked CPUs; the per-thread
 * rates go to rate[0..n-1]. */
static int probe_fma_window(int n, const int cpu[2], double window,
                            int vector, double rate[2])
{
    probe_fma_arg f[2] = {0};
    pthread_barrier_t start;
    if (n == 2 && pthread_barrier_init(&start, NULL, 2) != 0) return 1;
    pthread_t th[2];
    int made = 0, e = 0;
    for (int i = 0; i < n; i++) {
        f[i] = (probe_fma_arg){.cpu = cpu[i], .window = window,
                               .vector = vector,
                               .start = n == 2 ? &start : NULL};
        e = pthread_create(&th[i], NULL, probe_fma_thread, &f[i]);
        if (e != 0) break;
        made++;
    }
    if (e != 0 && made == 1 && n == 2) {
        /* the first thread waits at the barrier for the second */
        fprintf(stderr, "bench_probe: fma: pthread_create: %s\n",
                strerror(e));
        pthread_barrier_wait(&start);
    }
    for (int i = 0; i < made; i++) pthread_join(th[i], NULL);
    if (n == 2) pthread_barrier_destroy(&start);
    if (e != 0) return 1;
    for (int i = 0; i < n; i++) rate[i] = f[i].gflops;
    return 0;
}

static int probe_fma(double window, int windows)
{
    int cpu[2];
    probe_pick_cpus(cpu);
    int vector = probe_have_avx2_fma();
    double *one = calloc((size_t)windows, sizeof *one);
    double *two = calloc((size_t)windows * 2, sizeof *two);
    double *two_lo = calloc((size_t)windows, sizeof *two_lo);
    int failed = !one || !two || !two_lo;
    /* one thread and two alternating, so that a change of the machine
     * during the probe touches both alike */
    for (int w = 0; w < windows && !failed; w++) {
        double r1[2], r2[2];
        if (probe_fma_window(1, cpu, window, vector, r1) ||
            probe_fma_window(2, cpu, window, vector, r2)) {
            failed = 1;
            break;
        }
        one[w] = r1[0];
        two[2 * w] = r2[0];
        two[2 * w + 1] = r2[1];
        two_lo[w] = r2[0] < r2[1] ? r2[0] : r2[1];
    }
    if (!failed) {
        double m1 = bench_median(one, windows);
        double m2 = bench_median(two, 2 * windows);
        double m2lo = bench_median(two_lo, windows);
        const char *kernel = vector ? "avx2-fma f32" : "scalar f64";
        bench_begin("probe", "fma_1thread");
        bench_kv_num("seconds", window);
        bench_kv_num("gflops_per_thread", m1);
        bench_kv_num("windows", windows);
        bench_kv_str("kernel", kernel);
        bench_end();
        bench_begin("probe", "fma_2threads");
        bench_kv_num("seconds", window);
        bench_kv_num("gflops_per_thread", m2);
        /* the slower thread of each window: a core lost to other work
         * shows here first */
        bench_kv_num("gflops_slower_thread", m2lo);
        /* two threads' rate over one thread's */
        bench_kv_num("scaling", 2.0 * m2 / m1);
        bench_kv_num("windows", windows);
        bench_kv_str("kernel", kernel);
        bench_end();
    }
    free(one);
    free(two);
    free(two_lo);
    return failed;
}

int main(int argc, char **argv)
{
    bench_args a = bench_parse(argc, argv, 51, 2);
    long trips = bench_opt_int(&a, "--trips", a.tiny ? 500 : 1000);
    double fma_ms = (double)bench_opt_int(&a, "--fma-ms", a.tiny ? 10 : 100);
    int windows = (int)bench_opt_int(&a, "--fma-windows", a.tiny ? 1 : 3);
    if (trips < 1 || fma_ms <= 0 || windows < 1) {
        fprintf(stderr, "bench_probe: --trips, --fma-ms and --fma-windows "
                        "must be positive\n");
        return 2;
    }
    if (bench_want(&a, "roundtrip") && probe_roundtrip(&a, trips)) {
        fprintf(stderr, "bench_probe: roundtrip failed\n");
        return 1;
    }
    if (bench_want(&a, "fma") && probe_fma(fma_ms * 1e-3, windows)) {
        fprintf(stderr, "bench_probe: fma failed\n");
        return 1;
    }
    return 0;
}
