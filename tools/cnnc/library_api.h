// The C interface of a library made by cnnc, loaded with dlopen (cnnc run,
// cnnc bench and the tests).
#pragma once

#include <cstdint>
#include <string>

namespace cnnc {

struct LibraryApi {
  void *handle = nullptr;
  const char *(*name)() = nullptr;
  void (*inputDims)(int64_t *) = nullptr;
  void (*outputDims)(int64_t *) = nullptr;
  int64_t (*numParams)() = nullptr;
  void *(*load)(const char *) = nullptr;
  int (*run)(void *, const float *, int64_t, float *) = nullptr;
  void (*free)(void *) = nullptr;
  const char *(*lastError)() = nullptr;
};

// Opens `path` and finds the eight cnnc_* functions; false with `error` set
// if it cannot be loaded or is not a cnnc library.
bool openLibrary(const std::string &path, LibraryApi &api, std::string &error);

} // namespace cnnc
