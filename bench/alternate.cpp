// A/B timing of compiled libraries: loads each (LIB.so:WEIGHTS) in one
// process and runs them in turn, one call each per round, so that the
// machine's slow and fast moments fall on all of them alike; prints the
// minimum, first quartile and median per library, and each median's ratio
// to the first library's. LIB.so:W.safetensors:P calls that library on
// parts of at most P images of the batch, one after the other (the same
// library can be named twice, with and without parts).
//   alternate [--batch N] [--rounds R] LIB.so:W.safetensors[:P] ...
#include "tools/cnnc/library_api.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace cnnc;

namespace {

struct Entry {
  std::string lib;
  LibraryApi api;
  void *model = nullptr;
  std::vector<float> input, output;
  int64_t part = 0; // 0: the whole batch in one call
  std::vector<double> ms;
};

int usage() {
  std::fprintf(stderr, "usage: alternate [--batch N] [--rounds R] LIB.so:WEIGHTS[:PART] ...\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  int64_t batch = 1;
  int rounds = 30;
  std::vector<Entry> entries;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--batch" || a == "--rounds") && i + 1 < argc) {
      long v = std::strtol(argv[++i], nullptr, 10);
      if (v < 1)
        return usage();
      if (a == "--batch")
        batch = v;
      else
        rounds = static_cast<int>(std::min(v, 100000L));
      continue;
    }
    size_t colon = a.find(':');
    if (colon == std::string::npos)
      return usage();
    Entry e;
    e.lib = a.substr(0, colon);
    std::string weights = a.substr(colon + 1);
    size_t partColon = weights.rfind(':');
    if (partColon != std::string::npos &&
        weights.find_first_not_of("0123456789", partColon + 1) == std::string::npos) {
      e.part = std::strtol(weights.c_str() + partColon + 1, nullptr, 10);
      if (e.part < 1)
        return usage();
      weights.resize(partColon);
    }
    std::string error;
    if (!openLibrary(e.lib, e.api, error)) {
      std::fprintf(stderr, "alternate: %s\n", error.c_str());
      return 1;
    }
    e.model = e.api.load(weights.c_str());
    if (!e.model) {
      std::fprintf(stderr, "alternate: %s: %s\n", e.lib.c_str(), e.api.lastError());
      return 1;
    }
    entries.push_back(std::move(e));
  }
  if (entries.empty())
    return usage();
  for (Entry &e : entries) {
    e.input = randomInput(e.api, batch);
    e.output.resize(outputSize(e.api, batch));
  }
  auto call = [&](Entry &e) {
    int64_t part = e.part ? e.part : batch;
    size_t in = e.input.size() / batch, out = e.output.size() / batch;
    for (int64_t done = 0; done < batch; done += part) {
      int64_t n = std::min(part, batch - done);
      if (e.api.run(e.model, e.input.data() + done * in, n, e.output.data() + done * out) != 0) {
        std::fprintf(stderr, "alternate: %s: %s\n", e.lib.c_str(), e.api.lastError());
        std::exit(1);
      }
    }
  };
  for (Entry &e : entries) // warm up
    for (int w = 0; w < 3; ++w)
      call(e);
  for (int r = 0; r < rounds; ++r)
    for (Entry &e : entries) {
      auto t0 = std::chrono::steady_clock::now();
      call(e);
      e.ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  double base = 0;
  for (Entry &e : entries) {
    std::sort(e.ms.begin(), e.ms.end());
    double median = e.ms[e.ms.size() / 2];
    if (base == 0)
      base = median;
    std::string name = e.part ? e.lib + " (parts of " + std::to_string(e.part) + ")" : e.lib;
    std::printf("%-40s min %8.3f  p25 %8.3f  median %8.3f ms  %5.3fx\n", name.c_str(), e.ms[0],
                e.ms[e.ms.size() / 4], median, median / base);
  }
  return 0;
}
