// cnnc bench: compile a network, run it many times, report the median and
// spread, GFLOP/s and % of the machine's measured peak; per layer with
// --per-layer (Halide's profiler).
#pragma once

#include "backend/library.h"
#include "ir/graph.h"

#include <cstdint>
#include <map>
#include <string>

namespace cnnc {

struct BenchOptions {
  int64_t batch = 1;  // at least 1: parseArgs checks --batch
  LibraryOptions lib; // target and schedule parameters (a profiling build with perLayer)
  bool perLayer = false;
  bool json = false;
  double seconds = 3; // time spent running, after warm-up
};

// Returns the exit status.
int bench(const Graph &g, const BenchOptions &o);

// A node's share of Halide's profiler report: milliseconds per run, and the
// profiler's samples (one a millisecond) that the estimate rests on.
struct LayerProfile {
  double ms = 0;
  double samples = 0;
  LayerProfile &operator+=(const LayerProfile &o) {
    ms += o.ms;
    samples += o.samples;
    return *this;
  }
};

// By node id, from the report of Halide's profiler (`profile` feature) that
// a library's runtime prints at exit.
std::map<int, LayerProfile> parseProfile(const std::string &report);

} // namespace cnnc
