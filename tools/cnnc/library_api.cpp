// Loading a cnnc library's C interface.
#include "tools/cnnc/library_api.h"

#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fstream>
#include <random>

namespace cnnc {

namespace {

template <typename F> bool sym(void *h, const char *name, F &out) {
  out = reinterpret_cast<F>(dlsym(h, name));
  return out != nullptr;
}

#if defined(__x86_64__)
constexpr uint16_t kElfMachine = EM_X86_64;
constexpr const char *kThisMachine = "x86-64";
#elif defined(__aarch64__)
constexpr uint16_t kElfMachine = EM_AARCH64;
constexpr const char *kThisMachine = "AArch64";
#else
constexpr uint16_t kElfMachine = EM_NONE;
constexpr const char *kThisMachine = "processor";
#endif

// The processor an ELF file at `path` is for, where that is not this
// machine's; else "".
std::string foreignMachine(const std::string &path) {
  Elf64_Ehdr h;
  std::ifstream f(path, std::ios::binary);
  if (!f.read(reinterpret_cast<char *>(&h), sizeof h) ||
      std::memcmp(h.e_ident, ELFMAG, SELFMAG) != 0 || h.e_machine == kElfMachine ||
      kElfMachine == EM_NONE)
    return "";
  switch (h.e_machine) {
  case EM_AARCH64:
    return "AArch64";
  case EM_X86_64:
    return "x86-64";
  case EM_ARM:
    return "32-bit ARM";
  case EM_386:
    return "32-bit x86";
  case EM_RISCV:
    return "RISC-V";
  default:
    return "another processor (ELF machine " + std::to_string(h.e_machine) + ")";
  }
}

} // namespace

bool openLibrary(const std::string &path, LibraryApi &api, std::string &error) {
  // dlopen searches the library path for a bare name; a file here is meant.
  std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  api.handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!api.handle) {
    error = "cannot load '" + path + "': " + dlerror();
    // The loader says "No such file or directory" for a library of another
    // processor (one built with --target arm-64-linux): say which it is.
    std::string machine = foreignMachine(file);
    if (!machine.empty())
      error = "'" + path + "' is a library for " + machine + ", and this machine is " +
              kThisMachine + ": it runs only on " + machine;
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
