/* Diagnostic for the pMNIST side by side (docs/EXPERIMENTS.md, "Subnormals"): an LD_PRELOAD
 * library that sets MXCSR's flush-to-zero and denormals-are-zero bits in the main thread when it
 * loads, so a benchmark runs with subnormal floats treated as zero, as XLA (JAX) does by default.
 * Not a supported mode of URNNSweep: results then differ from the default build's bits.
 * Build: cc -O2 -shared -fPIC -o ftz_preload.so scripts/bench/ftz_preload.c */
#include <xmmintrin.h>

__attribute__((constructor)) static void urnn_flush_subnormals(void) {
    _mm_setcsr(_mm_getcsr() | 0x8040); /* FTZ (bit 15) | DAZ (bit 6) */
}
