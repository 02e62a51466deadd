/* OpenMP's run-time calls for the WebAssembly build, which runs on one
 * thread: the engine's parallel regions (pragmas, ignored without
 * -fopenmp) then run on the calling thread, as with OMP_NUM_THREADS=1. */
#ifndef TAPEGRAD_WASM_OMP_H
#define TAPEGRAD_WASM_OMP_H
static inline int omp_get_max_threads(void) { return 1; }
static inline int omp_get_num_threads(void) { return 1; }
static inline int omp_get_thread_num(void) { return 0; }
static inline int omp_get_num_procs(void) { return 1; }
static inline int omp_in_parallel(void) { return 0; }
static inline void omp_set_num_threads(int n) { (void)n; }
#endif
