/* The two OpenBLAS calls outside ops/gemm.c (the thread count), for the
 * WebAssembly build: its products are ops/gemm_wasm.c, on one thread. */
#ifndef TAPEGRAD_WASM_CBLAS_H
#define TAPEGRAD_WASM_CBLAS_H
static inline void openblas_set_num_threads(int n) { (void)n; }
static inline int openblas_get_num_threads(void) { return 1; }
#endif
