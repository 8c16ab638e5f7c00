// The peak probe: fp32 FMA throughput on 1 and all threads (AVX-512 when the
// CPU has it, else AVX2), and memory bandwidth (a streaming read and a copy of
// 1 GiB). `cnnc bench` measures the same to print "% of peak". Where all
// threads give under 3/4 of their cores' worth, they are measured again and,
// if they stay short, "busy" says so (bench/peak.h).
//   peak [--json]
#include "bench/peak.h"

#include <cstdio>
#include <cstring>

using namespace cnnc;

int main(int argc, char **argv) {
  bool json = argc > 1 && !std::strcmp(argv[1], "--json");
  bool avx512 = __builtin_cpu_supports("avx512f");
  FmaPeak fma = measureFmaPeak(5);
  const int threads = fma.threads;
  double read, copy;
  peakBandwidth(threads, read, copy);
  if (json) {
    std::printf("{\"isa\": \"%s\", \"threads\": %d, \"gflops_1\": %.1f, \"gflops_all\": %.1f, "
                "\"read_gbs\": %.1f, \"copy_gbs\": %.1f, \"cores\": %d, \"busy\": %s}\n",
                avx512 ? "avx512" : "avx2", threads, fma.one, fma.all, read, copy, fma.cores,
                fma.busy ? "true" : "false");
    return 0;
  }
  std::printf("fp32 FMA peak (%s): %.1f GFLOP/s on 1 thread, %.1f on %d threads\n"
              "memory: read %.1f GB/s, copy %.1f GB/s (%d threads)\n",
              avx512 ? "AVX-512" : "AVX2", fma.one, fma.all, threads, read, copy, threads);
  if (fma.busy)
    std::printf("note: %s\n", busyNote(fma).c_str());
  return 0;
}
