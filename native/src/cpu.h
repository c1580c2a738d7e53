// Run-time choice of the instruction set for the hot kernels. The file is compiled for baseline
// x86-64; kernels that use AVX2/FMA (or AVX-512) carry __attribute__((target(...))) and are only called
// when the CPU has them. POET_NATIVE_ISA=scalar|avx2|avx512 (or setIsa from JS, for tests) picks a path;
// the default is the best the CPU supports. Only GEMM has an AVX-512 kernel; everything else runs its
// AVX2 version on the avx512 path.
#pragma once

namespace poet {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

Isa active_isa();
// Returns false if `isa` is not supported by this CPU (the active path is then unchanged).
bool set_isa(Isa isa);
bool cpu_has_avx2();
bool cpu_has_avx512();
// True on the avx2 and avx512 paths: the AVX2/FMA versions of the non-GEMM kernels may run.
inline bool use_avx2() { return active_isa() != Isa::Scalar; }
const char* isa_name(Isa isa);

}  // namespace poet

// POET_NO_X86 builds the portable code only (to check that non-x86 builds compile).
#if (defined(__x86_64__) || defined(__i386__)) && !defined(POET_NO_X86)
#define POET_X86 1
#define POET_AVX2 __attribute__((target("avx2,fma")))
#define POET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#else
#define POET_X86 0
#define POET_AVX2
#define POET_AVX512
#endif
