// A small persistent thread pool for the native kernels. Calls are synchronous: the calling (JS main)
// thread takes part and returns when all the work is done. Work is split in chunks that any thread may
// take, so the caller never waits for a worker whose core is busy elsewhere: it runs the chunks itself.
// Size = hardware concurrency, overridable with POET_NUM_THREADS (read once, at first use).
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>

namespace poet {

// Number of threads a parallel region uses (>= 1).
int num_threads();

// Runs fn(tid, nthreads) once for each tid in [0, nthreads) (0 = pool size). Each tid runs exactly once but
// not necessarily on its own thread: the caller may run several tids in turn, so fn must not wait for
// another tid (it may wait for work another tid has already claimed). Nested calls from inside a region
// run serially on the caller, so kernels may call each other freely.
void parallel_run(const std::function<void(int tid, int nthreads)>& fn, int nthreads = 0);

// Splits [0, n) into contiguous chunks of at least `grain` items (up to 4 per thread) and runs
// fn(begin, end) on them in parallel. Small ranges (n < 2 * grain) run on the caller alone.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

}  // namespace poet
