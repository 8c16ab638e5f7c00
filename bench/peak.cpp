// The machine's peak: fp32 FMA throughput and memory bandwidth.
#include "bench/peak.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <immintrin.h>
#include <set>
#include <thread>
#include <vector>

namespace cnnc {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// 12 independent FMA chains hide the FMA latency; each iteration is 12 FMAs of
// 16 lanes, 2 flops each.
__attribute__((target("avx512f"))) double fmaLoop512(long iters) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  float buf[16], sink = 0;
  for (int i = 0; i < 12; ++i) {
    _mm512_storeu_ps(buf, acc[i]);
    sink += buf[0];
  }
  return static_cast<double>(sink) * 1e-30 + static_cast<double>(iters) * 12 * 16 * 2;
}

__attribute__((target("avx2,fma"))) double fmaLoop256(long iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  float buf[8], sink = 0;
  for (int i = 0; i < 12; ++i) {
    _mm256_storeu_ps(buf, acc[i]);
    sink += buf[0];
  }
  return static_cast<double>(sink) * 1e-30 + static_cast<double>(iters) * 12 * 8 * 2;
}

} // namespace

// GFLOP/s of `threads` threads, best of `reps` runs of ~0.2 s.
double peakFlops(int threads, int reps) {
  bool avx512 = __builtin_cpu_supports("avx512f");
  const long iters = 20'000'000;
  double best = 0;
  for (int rep = 0; rep < reps; ++rep) {
    std::vector<std::thread> pool;
    std::vector<double> work(static_cast<size_t>(threads));
    double t0 = now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        work[static_cast<size_t>(t)] = avx512 ? fmaLoop512(iters) : fmaLoop256(iters);
      });
    for (auto &th : pool)
      th.join();
    double total = 0;
    for (double w : work)
      total += w;
    best = std::max(best, total / (now() - t0) / 1e9);
  }
  return best;
}

FmaPeak measureFmaPeak(int threads, int cores, int tries,
                       const std::function<double(int)> &gflopsOn,
                       const std::function<void()> &pause) {
  FmaPeak p;
  p.threads = threads;
  p.cores = std::max(1, std::min(cores, threads));
  p.one = gflopsOn(1);
  if (threads <= 1) {
    p.all = p.one;
    return p;
  }
  const double bar = 0.75 * p.cores * p.one;
  for (;;) {
    p.all = std::max(p.all, gflopsOn(threads));
    ++p.measured;
    if (p.all >= bar)
      return p;
    if (p.measured > tries) {
      p.busy = true;
      return p;
    }
    pause();
  }
}

FmaPeak measureFmaPeak(int reps) {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return measureFmaPeak(
      threads, physicalCores(threads), 3, [reps](int t) { return peakFlops(t, reps); },
      [] { std::this_thread::sleep_for(std::chrono::seconds(1)); });
}

int physicalCores(int threads) {
  std::set<std::string> cores;
  for (int i = 0; i < threads; ++i) {
    std::ifstream f("/sys/devices/system/cpu/cpu" + std::to_string(i) +
                    "/topology/thread_siblings_list");
    std::string siblings;
    if (!std::getline(f, siblings))
      return threads;
    cores.insert(siblings);
  }
  return static_cast<int>(cores.size());
}

std::string busyNote(const FmaPeak &p) {
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "the %d threads on %d cores gave %.1f GFLOP/s at best, %.2f times one thread's "
                "%.1f, in %d measurements a second apart: other work (or a CPU quota) had part "
                "of the cores, and %% of peak is of what they gave then",
                p.threads, p.cores, p.all, p.one > 0 ? p.all / p.one : 0.0, p.one, p.measured);
  return buf;
}

// Sums with 4 vector accumulators, so that the loads, not the adds, limit it.
__attribute__((target("avx2"))) float sumRange(const float *p, size_t n) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 4; ++k)
      acc[k] = _mm256_add_ps(acc[k], _mm256_loadu_ps(p + i + 8 * k));
  float buf[8], s = 0;
  for (int k = 0; k < 4; ++k) {
    _mm256_storeu_ps(buf, acc[k]);
    for (float v : buf)
      s += v;
  }
  for (; i < n; ++i)
    s += p[i];
  return s;
}

void peakBandwidth(int threads, double &read, double &copy) {
  const size_t n = (size_t(1) << 30) / sizeof(float);
  std::vector<float> a(n, 1.0f), b(n, 0.0f);
  read = copy = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<std::thread> pool;
    std::vector<float> sums(static_cast<size_t>(threads));
    double t0 = now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        size_t lo = n * static_cast<size_t>(t) / static_cast<size_t>(threads),
               hi = n * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
        sums[static_cast<size_t>(t)] = sumRange(&a[lo], hi - lo);
      });
    for (auto &th : pool)
      th.join();
    read = std::max(read, static_cast<double>(n * sizeof(float)) / (now() - t0) / 1e9);
    pool.clear();
    t0 = now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        size_t lo = n * static_cast<size_t>(t) / static_cast<size_t>(threads),
               hi = n * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
        std::memcpy(&b[lo], &a[lo], (hi - lo) * sizeof(float));
      });
    for (auto &th : pool)
      th.join();
    // A copy moves each byte twice (read and write).
    copy = std::max(copy, 2.0 * static_cast<double>(n * sizeof(float)) / (now() - t0) / 1e9);
  }
}

} // namespace cnnc
