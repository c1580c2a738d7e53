#include "thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define POET_PAUSE() _mm_pause()
#else
#define POET_PAUSE() std::this_thread::yield()
#endif

namespace poet {
namespace {

thread_local bool tl_in_region = false;

// A job is `nchunks` calls fn(chunk) that any thread may take, the caller included. The caller never waits
// for a worker that has not started: if a worker's core is busy with another process and it wakes late,
// the caller simply runs the remaining chunks itself. It only waits for chunks already being run.
//
// Protocol (all job fields live in the pool, so a late worker never touches freed memory):
//   caller: fill fields → open = true → generation++ → notify; claim chunks; wait done == nchunks;
//           open = false; wait active == 0 (only workers inside the job, i.e. running right now).
//   worker: see a new generation → active++ → if open and the generation is still the one it saw, claim
//           chunks → active--.
class Pool {
 public:
  explicit Pool(int n) : n_(n) {
    for (int t = 1; t < n_; ++t) workers_.emplace_back([this] { loop(); });
  }
  int size() const { return n_; }

  void run(const std::function<void(int64_t)>& fn, int64_t nchunks) {
    fn_ = &fn;
    nchunks_ = nchunks;
    next_.store(0, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    open_.store(true, std::memory_order_seq_cst);  // publishes the fields above to early workers
    {
      std::lock_guard<std::mutex> lk(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    tl_in_region = true;
    work();
    tl_in_region = false;
    // Chunks claimed by other threads are running now; short spin, then yield (never sleep on a worker).
    for (int spin = 0; done_.load(std::memory_order_acquire) < nchunks_; ++spin) {
      if (spin < 20000) POET_PAUSE();
      else std::this_thread::yield();
    }
    open_.store(false, std::memory_order_seq_cst);
    for (int spin = 0; active_.load(std::memory_order_seq_cst) != 0; ++spin) {
      if (spin < 20000) POET_PAUSE();
      else std::this_thread::yield();
    }
    fn_ = nullptr;
  }

 private:
  void work() {
    for (int64_t c = next_.fetch_add(1, std::memory_order_acq_rel); c < nchunks_;
         c = next_.fetch_add(1, std::memory_order_acq_rel)) {
      (*fn_)(c);
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  void loop() {
    uint64_t seen = 0;
    tl_in_region = true;
    for (;;) {
      // Spin a little before sleeping: kernels of one training step come in quick succession.
      uint64_t g = generation_.load(std::memory_order_acquire);
      for (int spin = 0; g == seen && spin < 4000; ++spin) {
        POET_PAUSE();
        g = generation_.load(std::memory_order_acquire);
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        g = generation_.load(std::memory_order_acquire);
      }
      seen = g;
      active_.fetch_add(1, std::memory_order_seq_cst);
      if (open_.load(std::memory_order_seq_cst) && generation_.load(std::memory_order_seq_cst) == seen) work();
      active_.fetch_sub(1, std::memory_order_seq_cst);
    }
  }

  int n_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> open_{false};
  std::atomic<int> active_{0};
  std::atomic<int64_t> next_{0}, done_{0};
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t nchunks_ = 0;
};

int configured_threads() {
  if (const char* env = std::getenv("POET_NUM_THREADS")) {
    int v = std::atoi(env);
    if (v >= 1) return v > 256 ? 256 : v;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

Pool& pool() {
  // Leaked on purpose: joining threads during process exit (static destructors) can deadlock.
  static Pool* p = new Pool(configured_threads());
  return *p;
}

std::mutex g_run_mu;  // one region at a time (worker_threads could call in concurrently)

// Runs fn(0..nchunks-1) on the pool, or serially on the caller when that is all we can do.
void run_chunks(const std::function<void(int64_t)>& fn, int64_t nchunks) {
  if (nchunks <= 0) return;
  Pool& p = pool();
  if (nchunks == 1 || p.size() == 1 || tl_in_region) {
    for (int64_t c = 0; c < nchunks; ++c) fn(c);
    return;
  }
  std::unique_lock<std::mutex> lk(g_run_mu, std::try_to_lock);
  if (!lk.owns_lock()) {  // another JS thread is using the pool: run serially
    for (int64_t c = 0; c < nchunks; ++c) fn(c);
    return;
  }
  p.run(fn, nchunks);
}

}  // namespace

int num_threads() { return pool().size(); }

void parallel_run(const std::function<void(int, int)>& fn, int nthreads) {
  const int size = pool().size();
  const int nt = nthreads <= 0 || nthreads > size ? size : nthreads;
  // Each "thread index" is one chunk: it runs exactly once, on whichever thread claims it.
  run_chunks([&](int64_t c) { fn(static_cast<int>(c), nt); }, nt);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  const int nt = num_threads();
  const int64_t max_chunks = n / grain;
  if (max_chunks < 2 || nt == 1 || tl_in_region) {
    fn(0, n);
    return;
  }
  // A few chunks per thread, so a thread slowed by other load costs little.
  const int64_t chunks = std::min<int64_t>(max_chunks, 4 * static_cast<int64_t>(nt));
  run_chunks([&](int64_t c) { fn(n * c / chunks, n * (c + 1) / chunks); }, chunks);
}

}  // namespace poet
