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

class Pool {
 public:
  explicit Pool(int n) : n_(n) {
    for (int t = 1; t < n_; ++t) workers_.emplace_back([this, t] { loop(t); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int size() const { return n_; }

  void run(const std::function<void(int, int)>& fn, int nt) {
    job_ = &fn;
    job_threads_ = nt;
    pending_.store(nt - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    tl_in_region = true;
    fn(0, nt);
    tl_in_region = false;
    // Workers' shares are about as long as ours, so a short spin is the cheapest wait; past that (a
    // worker descheduled on a busy or oversubscribed machine) yield the core instead of burning it.
    for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
      if (spin < 20000) POET_PAUSE();
      else std::this_thread::yield();
    }
    job_ = nullptr;
  }

 private:
  void loop(int tid) {
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
      if (stop_) return;
      if (tid < job_threads_) {
        (*job_)(tid, job_threads_);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  int n_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  const std::function<void(int, int)>* job_ = nullptr;
  int job_threads_ = 1;
  bool stop_ = false;
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

}  // namespace

int num_threads() { return pool().size(); }

void parallel_run(const std::function<void(int, int)>& fn, int nthreads) {
  Pool& p = pool();
  int nt = nthreads <= 0 || nthreads > p.size() ? p.size() : nthreads;
  if (nt == 1 || tl_in_region) {
    for (int t = 0; t < nt; ++t) fn(t, nt);
    return;
  }
  std::unique_lock<std::mutex> lk(g_run_mu, std::try_to_lock);
  if (!lk.owns_lock()) {  // another JS thread is using the pool: do our share serially
    for (int t = 0; t < nt; ++t) fn(t, nt);
    return;
  }
  p.run(fn, nt);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int nt = num_threads();
  int64_t max_chunks = n / grain;
  if (max_chunks < 2 || nt == 1 || tl_in_region) {
    fn(0, n);
    return;
  }
  int use = static_cast<int>(max_chunks < nt ? max_chunks : nt);
  parallel_run(
      [&](int tid, int nth) {
        int64_t b = n * tid / nth, e = n * (tid + 1) / nth;
        if (b < e) fn(b, e);
      },
      use);
}

}  // namespace poet
