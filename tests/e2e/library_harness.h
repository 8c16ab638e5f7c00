// Test helpers: build a network's library in a temporary directory, load it
// with dlopen, and call its C interface.
#pragma once

#include "backend/temp_dir.h"
#include "ir/graph.h"
#include "tools/cnnc/library_api.h"
#include "tools/cnnc/tensor_io.h"

#include <memory>
#include <string>
#include <vector>

namespace cnnc::test {

using Library = LibraryApi;

struct Built {
  TempDir tmp{"cnnc-test"}; // first: removed last, after the library closes
  std::unique_ptr<Graph> graph;
  std::string dir = tmp.path; // holds net.so, net.h, weights.safetensors
  Library lib;
};

// Compiles `cnnFile` for `target` (with the schedule file `schedule`, or
// Halide's autoscheduler `autoScheduler`, if any), writes `cnnc init`
// weights (seed 7) and, unless `load` is false (a library for another
// processor), loads the library. Throws on failure.
std::unique_ptr<Built> build(const std::string &cnnFile, const std::string &target = "host",
                             const std::string &schedule = "",
                             const std::string &autoScheduler = "", bool load = true);

std::vector<NamedTensor> weightsOf(const Graph &g);

} // namespace cnnc::test
