/* Shared helpers of the benchmark programs: clock, medians, the argument
 * convention, deterministic data and the result-line format.
 *
 * Every program prints one JSON object per line for each measurement
 * ({"bench": ..., "case": ..., ...}); bench/run collects them from this
 * side and from bench/torch_ref.py, which prints the same keys, and lays
 * them side by side. Lines that do not start with '{' are commentary.
 *
 * Data both sides share is made by a formula that NumPy reproduces bit for
 * bit (see bench_fill and fill() in torch_ref.py): no RNG state to keep in
 * step, no files to ship.
 */
#ifndef TAPEGRAD_BENCH_H
#define TAPEGRAD_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the whole process (every thread), in seconds. */
static inline double bench_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of n samples (sorts them in place). */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Options every program understands:
 *   --threads N   kernel and BLAS threads (tg_set_num_threads)
 *   --reps N      timed repetitions (median reported), after --warmup
 *   --warmup N    untimed repetitions first
 *   --tiny        shrink every size: the CI smoke run
 *   --case NAME   run only that case (repeatable: comma-separated)
 * Unknown options are left for the program (bench_opt_int/str). */
typedef struct bench_args {
    int threads, reps, warmup;
    int tiny;
    const char *only; /* comma-separated case names or NULL */
    int argc;
    char **argv;
} bench_args;

static inline const char *bench_opt_str(const bench_args *a,
                                        const char *name, const char *def)
{
    for (int i = 1; i + 1 < a->argc; i++)
        if (!strcmp(a->argv[i], name)) return a->argv[i + 1];
    return def;
}

static inline long bench_opt_int(const bench_args *a, const char *name,
                                 long def)
{
    const char *s = bench_opt_str(a, name, NULL);
    return s ? strtol(s, NULL, 10) : def;
}

static inline bench_args bench_parse(int argc, char **argv, int reps,
                                     int warmup)
{
    bench_args a = {0};
    a.argc = argc;
    a.argv = argv;
    a.threads = (int)bench_opt_int(&a, "--threads", 1);
    a.reps = (int)bench_opt_int(&a, "--reps", reps);
    a.warmup = (int)bench_opt_int(&a, "--warmup", warmup);
    a.only = bench_opt_str(&a, "--case", NULL);
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--tiny")) a.tiny = 1;
    if (a.reps < 1) a.reps = 1;
    if (a.warmup < 0) a.warmup = 0;
    return a;
}

/* Whether case `name` was selected by --case (all when none given). */
static inline int bench_want(const bench_args *a, const char *name)
{
    if (!a->only) return 1;
    size_t len = strlen(name);
    const char *p = a->only;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == len && !strncmp(p, name, l)) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

/* x[i] = lo + (hi - lo) * u_i, u_i in [0, 1) a hash of (i, stream):
 * z = (i + stream 2^32) * 0x9E3779B97F4A7C15, then two xorshift-multiply
 * rounds (splitmix64's finaliser), u = (z >> 11) 2^-53; evaluated in
 * double and rounded once to float. NumPy's uint64 arithmetic wraps the
 * same way, so fill() in torch_ref.py produces identical f32 values, and
 * different streams are unrelated sequences. */
static inline void bench_fill(float *x, int64_t n, uint64_t stream,
                              double lo, double hi)
{
    for (int64_t i = 0; i < n; i++) {
        uint64_t z = ((uint64_t)i + (stream << 32)) * 0x9E3779B97F4A7C15u;
        z ^= z >> 29;
        z *= 0xBF58476D1CE4E5B9u;
        z ^= z >> 32;
        double u = (double)(z >> 11) * (1.0 / 9007199254740992.0);
        x[i] = (float)(lo + (hi - lo) * u);
    }
}

/* A permutation of 0..n-1: Fisher-Yates driven by splitmix64 from `seed`
 * (permute() in torch_ref.py draws the same). */
static inline void bench_permute(int64_t *p, int64_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) p[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        uint64_t z = (s += 0x9E3779B97F4A7C15u);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
        z ^= z >> 31;
        int64_t j = (int64_t)(z % (uint64_t)(i + 1));
        int64_t t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

static inline double bench_sum_f32(const float *x, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += x[i];
    return s;
}

/* Start of a result line; finish it with bench_kv_* and bench_end. */
static inline void bench_begin(const char *bench, const char *name)
{
    printf("{\"bench\": \"%s\", \"case\": \"%s\"", bench, name);
}
static inline void bench_kv_num(const char *k, double v)
{
    printf(", \"%s\": %.9g", k, v);
}
static inline void bench_kv_str(const char *k, const char *v)
{
    printf(", \"%s\": \"%s\"", k, v);
}
static inline void bench_end(void)
{
    printf("}\n");
    fflush(stdout);
}

#endif
