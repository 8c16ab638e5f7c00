// Build-and-load helpers for the end-to-end tests.
#include "tests/e2e/library_harness.h"

#include "backend/library.h"
#include "frontend/elaborate.h"
#include "tools/cnnc/init_weights.h"
#include "tools/cnnc/schedule_file.h"

#include <Halide.h>

#include <fstream>
#include <stdexcept>

namespace cnnc::test {

std::vector<NamedTensor> weightsOf(const Graph &g) { return initWeights(g, 7); }

std::unique_ptr<Built> build(const std::string &cnnFile, const std::string &target,
                             const std::string &schedule, const std::string &autoScheduler,
                             bool load) {
  auto b = std::make_unique<Built>();
  SourceManager sm;
  DiagEngine diag(sm);
  b->graph = compileFile(cnnFile, sm, diag);
  if (!b->graph)
    throw std::runtime_error("frontend failed:\n" + diag.str());
  LibraryOptions opts;
  opts.target = target;
  opts.runtime = CNNC_RUNTIME;
#ifdef CNNC_RUNTIME_AARCH64
  if (target.rfind("arm-64-linux", 0) == 0)
    opts.runtime = CNNC_RUNTIME_AARCH64;
#endif
  if (!schedule.empty())
    opts.params = readScheduleFile(schedule);
  opts.autoScheduler = autoScheduler;
  try {
    buildLibrary(*b->graph, b->dir + "/net.so", opts);
  } catch (const Halide::Error &e) { // lowering, scheduling: no std::exception
    throw std::runtime_error(std::string("Halide: ") + e.what());
  }
  std::ofstream(b->dir + "/weights.safetensors", std::ios::binary)
      << safetensorsBytes(weightsOf(*b->graph));
  std::string error;
  if (load && !openLibrary(b->dir + "/net.so", b->lib, error))
    throw std::runtime_error(error);
  return b;
}

} // namespace cnnc::test
