// cnnc bench: compile a network, run it many times, report the median and
// spread, GFLOP/s and % of the machine's measured peak; per layer with
// --per-layer (Halide's profiler).
#pragma once

#include "ir/graph.h"

#include <string>
#include <utility>
#include <vector>

namespace cnnc {

struct BenchOptions {
  int64_t batch = 1;
  std::string target = "host";
  std::vector<std::pair<std::string, int>> params; // schedule parameters (LibraryOptions)
  bool perLayer = false;
  bool json = false;
  double seconds = 3; // time spent running, after warm-up
};

// Returns the exit status.
int bench(const Graph &g, const BenchOptions &o);

} // namespace cnnc
