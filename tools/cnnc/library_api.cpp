// Loading a cnnc library's C interface.
#include "tools/cnnc/library_api.h"

#include <dlfcn.h>
#include <random>

namespace cnnc {

namespace {

template <typename F> bool sym(void *h, const char *name, F &out) {
  out = reinterpret_cast<F>(dlsym(h, name));
  return out != nullptr;
}

} // namespace

bool openLibrary(const std::string &path, LibraryApi &api, std::string &error) {
  // dlopen searches the library path for a bare name; a file here is meant.
  std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  api.handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!api.handle) {
    error = "cannot load '" + path + "': " + dlerror();
    return false;
  }
  void *h = api.handle;
  if (!sym(h, "cnnc_network_name", api.name) || !sym(h, "cnnc_input_dims", api.inputDims) ||
      !sym(h, "cnnc_output_dims", api.outputDims) || !sym(h, "cnnc_num_params", api.numParams) ||
      !sym(h, "cnnc_load", api.load) || !sym(h, "cnnc_run", api.run) ||
      !sym(h, "cnnc_free", api.free) || !sym(h, "cnnc_last_error", api.lastError)) {
    error = "'" + path + "' is not a library made by cnnc";
    return false;
  }
  return true;
}

std::vector<float> randomInput(const LibraryApi &api, int64_t batch) {
  int64_t in[3];
  api.inputDims(in);
  std::vector<float> x(static_cast<size_t>(batch * in[0] * in[1] * in[2]));
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (float &v : x)
    v = normal(rng);
  return x;
}

size_t outputSize(const LibraryApi &api, int64_t batch) {
  int64_t out[3];
  api.outputDims(out);
  return static_cast<size_t>(batch * out[0] * out[1] * out[2]);
}

} // namespace cnnc
