// The C interface of a library made by cnnc, loaded with dlopen (cnnc run,
// cnnc bench and the tests).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// `batch` images of the library's input shape, standard normal values from
// seed 1: the input of cnnc run without --input, cnnc bench and
// bench/alternate.
std::vector<float> randomInput(const LibraryApi &api, int64_t batch);

// Floats in the output of `batch` images.
size_t outputSize(const LibraryApi &api, int64_t batch);

} // namespace cnnc
