// Build-and-load helpers for the end-to-end tests.
#include "tests/e2e/library_harness.h"

#include "backend/library.h"
#include "frontend/elaborate.h"
#include "tools/cnnc/init_weights.h"

#include <dlfcn.h>
#include <fstream>
#include <stdexcept>
#include <stdlib.h>

namespace cnnc::test {

namespace {

template <typename F> void sym(void *h, const char *name, F &out) {
  out = reinterpret_cast<F>(dlsym(h, name));
  if (!out)
    throw std::runtime_error(std::string("library lacks ") + name);
}

} // namespace

std::vector<NamedTensor> weightsOf(const Graph &g) { return initWeights(g, 7); }

std::unique_ptr<Built> build(const std::string &cnnFile, const std::string &target) {
  auto b = std::make_unique<Built>();
  SourceManager sm;
  DiagEngine diag(sm);
  b->graph = compileFile(cnnFile, sm, diag);
  if (!b->graph)
    throw std::runtime_error("frontend failed:\n" + diag.str());
  char tmpl[] = "/tmp/cnnc-test.XXXXXX";
  if (!mkdtemp(tmpl))
    throw std::runtime_error("mkdtemp failed");
  b->dir = tmpl;
  LibraryOptions opts;
  opts.target = target;
  opts.runtime = CNNC_RUNTIME;
  buildLibrary(*b->graph, b->dir + "/net.so", opts);
  std::ofstream(b->dir + "/weights.safetensors", std::ios::binary)
      << safetensorsBytes(weightsOf(*b->graph));
  b->lib.handle = dlopen((b->dir + "/net.so").c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!b->lib.handle)
    throw std::runtime_error(std::string("dlopen: ") + dlerror());
  Library &l = b->lib;
  sym(l.handle, "cnnc_network_name", l.name);
  sym(l.handle, "cnnc_input_dims", l.inputDims);
  sym(l.handle, "cnnc_output_dims", l.outputDims);
  sym(l.handle, "cnnc_num_params", l.numParams);
  sym(l.handle, "cnnc_load", l.load);
  sym(l.handle, "cnnc_run", l.run);
  sym(l.handle, "cnnc_free", l.free);
  sym(l.handle, "cnnc_last_error", l.lastError);
  return b;
}

} // namespace cnnc::test
