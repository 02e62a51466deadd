/* The worker pool (src/pool.c, tg__pool_run): every chunk runs exactly
 * once at every thread count and chunk count, the workers take part, a
 * chunk's own calls stay on its thread with a team of one, concurrent
 * callers and a forked child get every chunk done, and a split f32
 * product made on the pool equals the same blocks made one by one.
 * Run with TG_POOL_SPIN_US=0 too (workers that sleep after every job). */
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <tapegrad/tapegrad.h>

#include "ops/gemm.h"
#include "src/internal.h"
#include "tt.h"

enum { MAXN = 70000 };
static _Atomic int hits[MAXN];

static void count_chunk(void *ctx, int64_t i)
{
    (void)ctx;
    atomic_fetch_add(&hits[i], 1);
}

/* every index in [0, n) hit exactly once since the last reset */
static bool all_once(int64_t n)
{
    bool ok = true;
    for (int64_t i = 0; i < n; i++) {
        if (atomic_load(&hits[i]) != 1) ok = false;
        atomic_store(&hits[i], 0);
    }
    return ok;
}

static void test_every_chunk_once(void)
{
    const int nts[] = {1, 2, 3, 4, 8};
    const int64_t ns[] = {0, 1, 2, 3, 7, 64, 1000, TG_POOL_CHUNKS_MAX,
                          TG_POOL_CHUNKS_MAX + 1, MAXN};
    for (size_t a = 0; a < sizeof nts / sizeof *nts; a++)
        for (size_t b = 0; b < sizeof ns / sizeof *ns; b++) {
            tg__pool_run(nts[a], ns[b], count_chunk, NULL);
            bool ok = all_once(ns[b]);
            if (!ok)
                fprintf(stderr, "  nt %d n %lld\n", nts[a], (long long)ns[b]);
            TT_CHECK(ok);
        }
    /* many short jobs back to back: the workers go between polling,
     * sleeping and joining */
    bool ok = true;
    for (int r = 0; r < 3000; r++) {
        int64_t n = 1 + r % 9;
        tg__pool_run(2 + r % 3, n, count_chunk, NULL);
        ok = all_once(n) && ok;
        if (r % 500 == 0) usleep(2000); /* let them fall asleep */
    }
    TT_CHECK(ok);
}

/* Each chunk notes its thread and, until a second thread has been seen
 * (at most 10 s), waits: so a job finishes only after a worker ran a
 * chunk, which holds whenever the pool has a worker that is ever
 * scheduled. */
typedef struct {
    pthread_t ids[64];
    _Atomic int nids;
    _Atomic bool two;
} seen_threads;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void note_thread(void *ctx, int64_t i)
{
    seen_threads *s = ctx;
    pthread_t me = pthread_self();
    int k = atomic_fetch_add(&s->nids, 1);
    s->ids[k] = me;
    for (int j = 0; j < k; j++)
        if (!pthread_equal(s->ids[j], me)) atomic_store(&s->two, true);
    (void)i;
    double t0 = now_s();
    while (!atomic_load(&s->two) && now_s() - t0 < 10) usleep(100);
}

static void test_workers_take_part(void)
{
    seen_threads s = {0};
    tg__pool_run(2, 64, note_thread, &s);
    TT_CHECK(atomic_load(&s.nids) == 64);
    TT_CHECK(atomic_load(&s.two));
}

/* Inside a chunk: a team of one, and a nested job runs on the same
 * thread. */
typedef struct {
    _Atomic int bad;
} nest_ctx;

static _Thread_local pthread_t chunk_thread;
static void inner_chunk(void *ctx, int64_t i)
{
    nest_ctx *c = ctx;
    (void)i;
    if (!pthread_equal(pthread_self(), chunk_thread))
        atomic_fetch_add(&c->bad, 1);
}
static void outer_chunk(void *ctx, int64_t i)
{
    nest_ctx *c = ctx;
    (void)i;
    chunk_thread = pthread_self();
    if (tg__pool_team() != 1 || omp_get_max_threads() != 1)
        atomic_fetch_add(&c->bad, 1);
    tg__pool_run(2, 16, inner_chunk, c);
}

static void test_nested_serial(void)
{
    tg_set_num_threads(2);
    TT_CHECK(tg__pool_team() == 2);
    nest_ctx c = {0};
    tg__pool_run(2, 8, outer_chunk, &c);
    TT_CHECK(atomic_load(&c.bad) == 0);
    /* the caller's own count is back afterwards */
    TT_CHECK(omp_get_max_threads() == 2);
    /* inside a user's OpenMP region the team is one */
    int inside = -1;
#pragma omp parallel num_threads(2)
    {
#pragma omp master
        inside = tg__pool_team();
    }
    TT_CHECK(inside == 1);
}

/* Several threads calling at once: one gets the workers, the others run
 * their chunks themselves; every job is whole. */
enum { CALLERS = 4, PER_CALLER = 1024 };
typedef struct {
    _Atomic int h[PER_CALLER];
} caller_hits;

static void caller_chunk(void *ctx, int64_t i)
{
    caller_hits *c = ctx;
    atomic_fetch_add(&c->h[i], 1);
}

static void *caller_main(void *arg)
{
    intptr_t bad = 0;
    (void)arg;
    static _Thread_local caller_hits c;
    for (int r = 0; r < 400; r++) {
        int64_t n = 1 + (r * 37) % PER_CALLER;
        for (int64_t i = 0; i < n; i++) atomic_store(&c.h[i], 0);
        tg__pool_run(2, n, caller_chunk, &c);
        for (int64_t i = 0; i < n; i++)
            if (atomic_load(&c.h[i]) != 1) bad++;
    }
    return (void *)bad;
}

static void test_concurrent_callers(void)
{
    pthread_t t[CALLERS];
    for (int i = 0; i < CALLERS; i++)
        TT_CHECK(pthread_create(&t[i], NULL, caller_main, NULL) == 0);
    for (int i = 0; i < CALLERS; i++) {
        void *bad = (void *)1;
        pthread_join(t[i], &bad);
        TT_CHECK(bad == NULL);
    }
}

/* A child forked after the pool has workers has none of them; its jobs
 * still finish, all chunks once. */
static void test_fork_child(void)
{
    tg__pool_run(2, 100, count_chunk, NULL);
    TT_CHECK(all_once(100));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int ok = 1;
        for (int r = 0; r < 50; r++) {
            tg__pool_run(2, 500, count_chunk, NULL);
            ok &= all_once(500);
        }
        _exit(ok ? 0 : 3);
    }
    int st = -1;
    TT_CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
    TT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A product big enough to be split (ops/gemm.h), made at 2 threads on the
 * pool, against the same product at 1 thread: oneDNN makes each block
 * with the same kernel, rows whole, so the two agree to rounding of the
 * block edges (at most a few ulp), checked against a double reference. */
static void test_split_product(void)
{
    enum { M = 256, K = 300, N = 200 };
    static float A[M * K], B[K * N];
    uint64_t s = 12345;
    for (int i = 0; i < M * K; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        A[i] = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
    }
    for (int i = 0; i < K * N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        B[i] = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
    }
    double worst = 0;
    for (int t = 1; t <= 2; t++) {
        tg_set_num_threads(t);
        for (int rep = 0; rep < 20; rep++) {
            static float C[M * N];
            tg__gemm_f32(false, false, M, N, K, A, K, B, N, 0.0f, C);
            for (int i = 0; i < M; i += 17)
                for (int j = 0; j < N; j += 13) {
                    double r = 0;
                    for (int k = 0; k < K; k++)
                        r += (double)A[i * K + k] * B[k * N + j];
                    double e = fabs(C[i * N + j] - r);
                    if (e > worst) worst = e;
                }
        }
    }
    TT_CHECK(worst < 1e-4);
    tg_set_num_threads(2);
}

TT_RUN(TT(test_every_chunk_once), TT(test_workers_take_part),
       TT(test_nested_serial), TT(test_concurrent_callers),
       TT(test_fork_child), TT(test_split_product))
