#ifndef URNN_CCPU_H
#define URNN_CCPU_H
// Does this CPU (and its operating system) run x86-64-v3 code: AVX, AVX2, FMA, BMI1/2, LZCNT,
// MOVBE, POPCNT, F16C, with the YMM registers saved by the OS? Header-only and static inline, so
// it is compiled into the caller with the caller's (baseline) instruction set and can run on any
// x86-64 CPU before code built for x86-64-v3 does. Always false on other architectures.
#include <stdbool.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

static inline bool urnn_cpu_runs_x86_64_v3(void) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const unsigned leaf1 = (1u << 12) /* FMA */ | (1u << 22) /* MOVBE */ | (1u << 23) /* POPCNT */
                         | (1u << 27) /* OSXSAVE */ | (1u << 28) /* AVX */ | (1u << 29) /* F16C */;
    if ((c & leaf1) != leaf1) return false;
    unsigned xcr0lo, xcr0hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0lo), "=d"(xcr0hi) : "c"(0));
    if ((xcr0lo & 6u) != 6u) return false;  // XMM and YMM state enabled by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    const unsigned leaf7 = (1u << 3) /* BMI1 */ | (1u << 5) /* AVX2 */ | (1u << 8) /* BMI2 */;
    if ((b & leaf7) != leaf7) return false;
    if (!__get_cpuid(0x80000001u, &a, &b, &c, &d)) return false;
    return (c & (1u << 5)) != 0;  // LZCNT (ABM)
#else
    return false;
#endif
}

// This thread's MXCSR, the SSE/AVX control register: bit 15 (FTZ) flushes subnormal results to
// zero, bit 6 (DAZ) reads subnormal inputs as zero. Per thread; 0 and no-op off x86-64.
static inline unsigned urnn_mxcsr_get(void) {
#if defined(__x86_64__)
    return __builtin_ia32_stmxcsr();
#else
    return 0;
#endif
}

static inline void urnn_mxcsr_set(unsigned value) {
#if defined(__x86_64__)
    __builtin_ia32_ldmxcsr(value);
#else
    (void)value;
#endif
}

#endif
