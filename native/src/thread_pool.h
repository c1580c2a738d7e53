// A small persistent thread pool for the native kernels. Calls are synchronous: the calling (JS main)
// thread takes part as worker 0 and returns when every worker has finished its share.
// Size = hardware concurrency, overridable with POET_NUM_THREADS (read once, at first use).
#pragma once
#include <cstdint>
#include <functional>

namespace poet {

// Number of threads a parallel region uses (>= 1).
int num_threads();

// Runs fn(tid, nthreads) once on each of `nthreads` threads (0 = all). Nested calls from inside a
// region run serially on the caller, so kernels may call each other freely.
void parallel_run(const std::function<void(int tid, int nthreads)>& fn, int nthreads = 0);

// Splits [0, n) into contiguous chunks of at least `grain` items and runs fn(begin, end) on them in
// parallel. Small ranges (n < 2 * grain) run on the caller alone, avoiding the wake-up cost.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

}  // namespace poet
