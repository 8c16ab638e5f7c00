// How each op is computed on a CPU: a template per op kind with named
// parameters, which a tuner may later search.
#pragma once

#include "backend/lower.h"

namespace cnnc {

struct CpuParams {
  int vec = 8;         // floats per SIMD vector
  int convVectors = 2; // output-channel vectors held in registers per tile
  int convPixels = 5;  // output pixels along x held in registers per tile
  // Layers with fewer output rows than this run (row, channel block) pairs as
  // parallel tasks, not rows alone, so that 14x14 and 7x7 layers at batch 1
  // keep every core busy.
  int convBlockTasksBelow = 16;
  bool convIntoConcat = true; // convs write straight into the concat they feed
  int fcVectors = 2;          // output vectors per fc weight block and task
};

// AVX-512: 32 vector registers hold a 4x7 tile of accumulators (apps/conv_layer's
// choice); AVX2 and NEON: 16 registers, a 2x5 tile.
CpuParams defaultCpuParams(const Halide::Target &t);

void scheduleCpu(const Graph &g, LoweredNet &net, const CpuParams &p);

} // namespace cnnc
