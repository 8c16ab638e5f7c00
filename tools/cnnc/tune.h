// cnnc tune: searches the CPU schedule's named parameters for a network on
// this machine and writes the best as a schedule file (docs/schedules.md).
#pragma once

#include "ir/graph.h"

#include <string>

namespace cnnc {

struct TuneOptions {
  std::string output; // the schedule file to write
  std::string target = "host";
  int64_t batch = 1;   // at least 1: parseArgs checks --batch
  double budget = 300; // seconds, compiles included
};

// Returns the exit status.
int tune(const Graph &g, const TuneOptions &o);

} // namespace cnnc
