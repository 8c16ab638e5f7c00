// The FMA peak's check against one thread's: where the threads together
// give much less than their cores' worth (another process or the host had a
// core), measured again, and said so where it stays so.
#include "bench/peak.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace cnnc;

namespace {

// GFLOP/s by thread count: one thread always 100; all threads the next of
// `all`, the last one repeated.
struct FakeProbe {
  std::vector<double> all;
  size_t next = 0;
  int calls = 0, pauses = 0;
  double operator()(int threads) {
    ++calls;
    if (threads == 1)
      return 100;
    double v = all[std::min(next, all.size() - 1)];
    ++next;
    return v;
  }
};

FmaPeak measureWith(FakeProbe &probe, int threads, int tries, int cores = 0) {
  return measureFmaPeak(
      threads, cores ? cores : threads, tries, [&](int t) { return probe(t); },
      [&] { ++probe.pauses; });
}

} // namespace

TEST_CASE("a peak of its cores' worth is measured once") {
  FakeProbe probe{{190}};
  FmaPeak p = measureWith(probe, 2, 3);
  CHECK(p.one == 100);
  CHECK(p.all == 190);
  CHECK(p.threads == 2);
  CHECK_FALSE(p.busy);
  CHECK(p.measured == 1);
  CHECK(probe.pauses == 0);
}

TEST_CASE("a peak short of its cores' worth is measured again and the best kept") {
  FakeProbe probe{{110, 120, 195, 100}};
  FmaPeak p = measureWith(probe, 2, 3);
  CHECK(p.all == 195);
  CHECK_FALSE(p.busy);
  CHECK(p.measured == 3);
  CHECK(probe.pauses == 2);
}

TEST_CASE("a peak that stays short is marked busy after its tries") {
  FakeProbe probe{{110, 130, 120, 105}};
  FmaPeak p = measureWith(probe, 2, 3);
  CHECK(p.all == 130); // the best seen
  CHECK(p.busy);
  CHECK(p.measured == 4); // the first and three more
  CHECK(probe.pauses == 3);
  // Three quarters of 4 cores' worth is the bar: 290 of 400 is short.
  FakeProbe four{{290, 310}};
  FmaPeak q = measureWith(four, 4, 3);
  CHECK(q.all == 310);
  CHECK_FALSE(q.busy);
  CHECK(q.measured == 2);
}

TEST_CASE("two threads of a core count as that core") {
  // 8 threads on 4 cores: 350 is past 3/4 of 4 cores' worth (300), though
  // under 3/4 of 8 threads' (600).
  FakeProbe probe{{350}};
  FmaPeak p = measureWith(probe, 8, 3, 4);
  CHECK(p.cores == 4);
  CHECK_FALSE(p.busy);
  CHECK(p.measured == 1);
  FakeProbe busy{{200}};
  CHECK(measureWith(busy, 8, 3, 4).busy);
}

TEST_CASE("two of the machine's threads sit on one core or two") {
  int threads = 2;
  int cores = physicalCores(threads);
  CHECK(cores >= 1);
  CHECK(cores <= threads);
}

TEST_CASE("one thread is its own peak") {
  FakeProbe probe{{0}};
  FmaPeak p = measureWith(probe, 1, 3);
  CHECK(p.one == 100);
  CHECK(p.all == 100);
  CHECK_FALSE(p.busy);
  CHECK(probe.calls == 1);
}
