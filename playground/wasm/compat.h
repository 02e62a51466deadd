/* Forced into every unit of the WebAssembly build (-include): x86's CPU
 * feature probes do not exist there; answering "no" for every feature
 * keeps tg__isa() (src/kernels.c) on the SSE2 kernels, which Emscripten
 * compiles to WebAssembly SIMD128. */
#define __builtin_cpu_init() ((void)0)
#define __builtin_cpu_supports(feature) 0
