/* The OpenMP wait policy of the programs tapegrad builds (the tapegrad
 * command, the examples, the benchmarks): passive unless the user chose
 * one (OMP_WAIT_POLICY or GOMP_SPINCOUNT in the environment).
 *
 * libgomp's default lets a thread that has run out of work spin for about
 * 300,000 iterations before it sleeps. When another process competes for
 * every core, a spinning worker is scheduled like any busy process and
 * each parallel region waits for its turn on a core, while a worker that
 * sleeps is woken with the scheduler's preference for sleepers. Measured
 * here (bench_mlp, batch-16 step, 2 threads, load average 26 on 2 cores):
 * 256 ms per step with libgomp's default, 0.5 ms passive
 * (docs/benchmarks.md, "Under competing load").
 *
 * libgomp reads the variable once, in its constructor, before any code of
 * the program or of libtapegrad runs. The executable's .preinit_array runs
 * earlier, but a setenv there is lost: the C library's own initialisation,
 * which comes after it, sets environ back to the array the kernel passed.
 * So when the variable is missing, the program re-executes itself once
 * with it added (about a millisecond); if that fails it goes on with
 * libgomp's default. A program of the user's own that links libtapegrad
 * gets libgomp's default unless it sets OMP_WAIT_POLICY=passive itself
 * (docs/architecture.md, "Kernels and threads"). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void tg_omp_defaults(int argc, char **argv, char **envp)
{
    (void)argc;
    size_t n = 0;
    for (; envp && envp[n]; n++)
        if (!strncmp(envp[n], "OMP_WAIT_POLICY=", 16) ||
            !strncmp(envp[n], "GOMP_SPINCOUNT=", 15))
            return;
    char **env = malloc((n + 2) * sizeof *env);
    if (!env) return;
    if (n) memcpy(env, envp, n * sizeof *env);
    env[n] = "OMP_WAIT_POLICY=passive";
    env[n + 1] = NULL;
    execve("/proc/self/exe", argv, env);
    free(env); /* exec failed: run on with libgomp's default */
}

__attribute__((section(".preinit_array"), used)) static void (
    *const tg_omp_defaults_entry)(int, char **, char **) = tg_omp_defaults;
