// Loading a cnnc library's C interface.
#include "tools/cnnc/library_api.h"

#include <dlfcn.h>

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

} // namespace cnnc
