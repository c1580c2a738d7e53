#include "cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace poet {
namespace {

Isa detect() {
  const char* env = std::getenv("POET_NATIVE_ISA");
  if (env && std::strcmp(env, "scalar") == 0) return Isa::Scalar;
  if (env && std::strcmp(env, "avx2") == 0 && cpu_has_avx2()) return Isa::Avx2;
  if (cpu_has_avx512()) return Isa::Avx512;
  return cpu_has_avx2() ? Isa::Avx2 : Isa::Scalar;
}

std::atomic<int>& isa_slot() {
  static std::atomic<int> slot{static_cast<int>(detect())};
  return slot;
}

}  // namespace

bool cpu_has_avx2() {
#if POET_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool cpu_has_avx512() {
#if POET_X86
  __builtin_cpu_init();
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "scalar";
  }
}

Isa active_isa() { return static_cast<Isa>(isa_slot().load(std::memory_order_relaxed)); }

bool set_isa(Isa isa) {
  if (isa == Isa::Avx2 && !cpu_has_avx2()) return false;
  if (isa == Isa::Avx512 && !cpu_has_avx512()) return false;
  isa_slot().store(static_cast<int>(isa));
  return true;
}

}  // namespace poet
