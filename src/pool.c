/* The engine's own worker threads, for the work whose split must never
 * make a call slower than the calling thread alone would be: the f32
 * matrix products and the optimizer's step (src/internal.h,
 * tg__pool_run; docs/architecture.md, "The worker pool").
 *
 * Why not an OpenMP region: a region ends at a barrier, so the calling
 * thread waits for every worker of the team, including one that is still
 * being woken (12-27 us with the passive wait policy on the 2-core VM) or
 * that another process holds off its core. Here the work is a row of
 * chunks that any thread claims with one compare-and-swap, the calling
 * thread claims them too, and it waits only for chunks that a worker has
 * claimed and is running. A worker that arrives late finds nothing left
 * and goes back to waiting; the call itself never waits for a thread to
 * be scheduled.
 *
 * Waiting: after its last chunk a worker polls for the next job for
 * TG_POOL_SPIN_US microseconds (default below; the environment variable
 * replaces it, 0 = sleep at once), then sleeps on a futex. A training
 * step's products come tens of microseconds apart, so the worker is
 * still polling when the next one starts and joins it within a fraction
 * of a microsecond; between steps of a slow loop it sleeps, and costs the
 * machine nothing.
 *
 * One caller at a time: a second thread that calls while a job runs (two
 * graphs trained in two threads) runs its own chunks on its own thread.
 * A worker's own calls, and calls from inside an OpenMP region, run on
 * the calling thread too. */
#include "internal.h"

#include <stdlib.h>

_Atomic unsigned long tg__gemm_pool_splits;

#if defined(__EMSCRIPTEN__)

int tg__pool_team(void) { return 1; }
void tg__pool_run(int nt, int64_t n, tg_pool_fn fn, void *ctx)
{
    (void)nt;
    for (int64_t i = 0; i < n; i++) fn(ctx, i);
}

#else

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* How long an idle worker polls before it sleeps. 200 us covers the gaps
 * between the parallel calls of a training step (the serial ops between
 * two products take 5-60 us in the MLP and residual benchmarks), so the
 * worker sleeps only between steps of a loop that does other work. */
#define POOL_SPIN_US_DEFAULT 200
#define POOL_MAX_WORKERS 255

/* The job word: generation (32 bits) and number of chunks (32). Chunk i
 * belongs to participant i % P (P = the calling thread, participant 0,
 * and the workers that join, 1..P-1): each takes its own chunks first,
 * in order, then any left. So a split that a caller repeats over the same
 * data (the products of one layer, the optimizer's update of its weight)
 * gives each part to the same thread every time, while that thread keeps
 * it in its core's caches; on the 2-core VM a cache line written by one
 * core and read by the other costs several times a local one
 * (docs/architecture.md, "The worker pool"). A chunk is claimed by
 * raising claim[i] from an older generation to the job's own with a
 * compare-and-swap; the caller sets every claim[i] of its job to the
 * generation before, so a worker still holding an older job's word fails
 * every claim. */
#define W_GEN(w) ((uint32_t)((w) >> 32))
#define W_N(w) ((int64_t)((w)&0xffffffffu))

static struct {
    pthread_mutex_t lock; /* held by the caller of a job */
    _Atomic uint64_t word;
    _Atomic uint32_t claim[TG_POOL_CHUNKS_MAX];
    _Atomic uint32_t wake;   /* futex word, raised with every job */
    _Atomic int sleepers;    /* workers in or entering the futex wait */
    _Atomic int64_t done;    /* chunks finished of the current job */
    _Atomic int joiners;     /* workers that may take chunks of this job */
    tg_pool_fn fn;           /* the job; stable while chunks are left */
    void *ctx;
    int nworkers;            /* started; only grows (under lock) */
    int64_t spin_ns;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local bool in_worker;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool claim(uint32_t gen, int64_t i)
{
    uint32_t v = atomic_load_explicit(&pool.claim[i], memory_order_relaxed);
    return (int32_t)(gen - v) > 0 &&
           atomic_compare_exchange_strong_explicit(
               &pool.claim[i], &v, gen, memory_order_acquire,
               memory_order_relaxed);
}

static void run_one(int64_t i)
{
    /* the chunk is ours, so the job cannot end or change before it is
     * reported done: fn and ctx are this job's */
    pool.fn(pool.ctx, i);
    atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
}

/* Participant `me` of `np` in job `gen` of n chunks: its own chunks, then
 * whatever is left. */
static void run_chunks(uint32_t gen, int64_t n, int me, int np)
{
    for (int64_t i = me; i < n; i += np)
        if (claim(gen, i)) run_one(i);
    for (int64_t i = 0; i < n; i++)
        if (i % np != me && claim(gen, i)) run_one(i);
}

/* Polling yields to sleeping when the core is contended. A worker that
 * was preempted (the kernel's count of its involuntary context switches
 * rose while it ran a job, or a poll loop lost the core for longer than
 * PREEMPTED_NS between two looks at the clock) sleeps at once, and
 * sleeps without polling after its next `backoff` jobs, a count that
 * doubles with every such loss (up to BACKOFF_MAX) and halves with every
 * job that ran undisturbed. A
 * polling worker that is descheduled holds its core's share of the
 * machine while the chunk it claims waits; a sleeping one is woken with
 * the scheduler's preference for sleepers. */
#define PREEMPTED_NS 30000
#define BACKOFF_MAX 64

static long preemptions(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_THREAD, &ru) ? 0 : ru.ru_nivcsw;
}

static void *worker_main(void *arg)
{
    int id = (int)(intptr_t)arg;
    in_worker = true;
    /* the products a worker runs are single-threaded (oneDNN asks the
     * OpenMP count of the thread that calls it) */
    omp_set_num_threads(1);
    uint32_t seen = W_GEN(atomic_load(&pool.word));
    unsigned backoff = 0, skip = 0;
    long nivcsw = preemptions();
    for (;;) {
        int64_t t = now_ns(), spin_end = t + (skip ? 0 : pool.spin_ns);
        if (skip) skip--;
        bool lost = false;
        uint64_t w;
        for (unsigned k = 1;; k++) {
            w = atomic_load_explicit(&pool.word, memory_order_acquire);
            if (W_GEN(w) != seen) break;
            cpu_relax();
            if (k & 63) continue;
            int64_t t1 = now_ns();
            if (t1 - t > PREEMPTED_NS) lost = true;
            t = t1;
            if (t1 < spin_end && !lost) continue;
            uint32_t v = atomic_load(&pool.wake);
            atomic_fetch_add(&pool.sleepers, 1);
            if (W_GEN(atomic_load(&pool.word)) == seen)
                syscall(SYS_futex, &pool.wake, FUTEX_WAIT_PRIVATE, v, NULL,
                        NULL, 0);
            atomic_fetch_sub(&pool.sleepers, 1);
            t = now_ns();
            spin_end = t; /* after a sleep, look and sleep again */
        }
        long now_iv = preemptions();
        if (now_iv != nivcsw) lost = true;
        nivcsw = now_iv;
        if (lost) {
            backoff = backoff ? (backoff < BACKOFF_MAX ? 2 * backoff
                                                       : BACKOFF_MAX)
                              : 1;
            skip = backoff;
        } else if (!skip) {
            backoff /= 2;
        }
        seen = W_GEN(w);
        int np = atomic_load_explicit(&pool.joiners, memory_order_acquire);
        if (id < np) run_chunks(seen, W_N(w), id + 1, np + 1);
    }
    return NULL;
}

/* Start workers up to `want` (under the lock). Returns how many run. */
static int grow(int want)
{
    if (want > POOL_MAX_WORKERS) want = POOL_MAX_WORKERS;
    while (pool.nworkers < want) {
        if (pool.nworkers == 0) {
            const char *s = getenv("TG_POOL_SPIN_US");
            char *end;
            long us = s ? strtol(s, &end, 10) : -1;
            if (!s || end == s || *end || us < 0 || us > 1000000)
                us = POOL_SPIN_US_DEFAULT;
            pool.spin_ns = (int64_t)us * 1000;
        }
        pthread_attr_t at;
        if (pthread_attr_init(&at)) break;
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        /* user signals go to the program's own threads */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_t t;
        int rc = pthread_create(&t, &at, worker_main,
                                (void *)(intptr_t)pool.nworkers);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&at);
        if (rc) break; /* run with the workers there are */
        pool.nworkers++;
    }
    return pool.nworkers;
}

/* A forked child has the caller's thread only: forget the workers, and
 * the lock that a thread of the parent may have held. */
static void after_fork_child(void)
{
    pthread_mutex_init(&pool.lock, NULL);
    pool.nworkers = 0;
    atomic_store(&pool.sleepers, 0);
    atomic_store(&pool.joiners, 0);
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void register_fork(void)
{
    pthread_atfork(NULL, NULL, after_fork_child);
}

int tg__pool_team(void)
{
    if (in_worker || omp_in_parallel()) return 1;
    tg__sync_threads();
    return omp_get_max_threads();
}

void tg__pool_run(int nt, int64_t n, tg_pool_fn fn, void *ctx)
{
    if (nt <= 1 || n <= 1 || n > TG_POOL_CHUNKS_MAX || in_worker ||
        pthread_mutex_trylock(&pool.lock) != 0) {
        for (int64_t i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    pthread_once(&fork_once, register_fork);
    int joiners = grow(nt - 1);
    if (joiners > nt - 1) joiners = nt - 1;
    pool.fn = fn;
    pool.ctx = ctx;
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.joiners, joiners, memory_order_relaxed);
    uint32_t gen = W_GEN(atomic_load_explicit(&pool.word,
                                              memory_order_relaxed)) + 1;
    for (int64_t i = 0; i < n; i++)
        atomic_store_explicit(&pool.claim[i], gen - 1, memory_order_relaxed);
    atomic_store(&pool.word, (uint64_t)gen << 32 | (uint64_t)n);
    atomic_fetch_add(&pool.wake, 1);
    if (atomic_load(&pool.sleepers) > 0)
        syscall(SYS_futex, &pool.wake, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
                NULL, 0);
    /* the chunks' own calls stay on this thread, and a library they call
     * (oneDNN) sees a team of one */
    in_worker = true;
    int saved = omp_get_max_threads();
    if (saved != 1) omp_set_num_threads(1);
    run_chunks(gen, n, 0, joiners + 1);
    if (saved != 1) omp_set_num_threads(saved);
    in_worker = false;
    /* what is left was claimed by workers and is running */
    for (unsigned k = 1;
         atomic_load_explicit(&pool.done, memory_order_acquire) < n; k++) {
        cpu_relax();
        if (!(k & 1023)) sched_yield();
    }
    pthread_mutex_unlock(&pool.lock);
}

#endif
