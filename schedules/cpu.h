// How each op is computed on a CPU: a template per op kind with named
// parameters, which a tuner may later search.
#pragma once

#include "backend/lower.h"

#include <string>
#include <utility>
#include <vector>

namespace cnnc {

struct CpuParams {
  int vec = 8;               // floats per SIMD vector
  int convVectors = 2;       // most output-channel vectors held in registers per tile
  int convAccumulators = 10; // vector registers a tile's accumulators may take
  int convMaxPixels = 14;    // most output pixels along x per tile
  int convFmasPerCycle = 2;  // vector FMAs a cycle, for the tile model (convBlock)
  int convUnroll = 8;        // input channels per step of a conv's reduction loop
  // A direct 1x1 conv prefetches, at each step of its reduction, the input
  // this many pixels ahead (the tile after next); 0: none.
  int convPrefetchPixels = 0;
  // Layers with fewer output rows than this run (row, channel block) pairs as
  // parallel tasks, not rows alone, so that 7x7 layers at batch 1 keep every
  // core busy. 8, not 16: GoogLeNet's 14x14 layers as rows (and their pools fused into
  // the 1x1 convs that read them) measured 0.92x and 0.96x at batch 8, 0.97x
  // and 0.99x at batch 1 (build/alternate, 2026-11-28).
  int convBlockTasksBelow = 8;
  // ... their weight blocks at most this many bytes of weights, where more
  // vectors would exceed it, and then whole blocks where some fit (0: no
  // limit; LowerOptions::convBlockWeightBytes): ResNet's 7x7 3x3 convs of 512
  // channels took blocks of 4 vectors, 1.18 MB, which each of a block's 7 row
  // tasks read from L3 (1 MB of L2 on the Zen 4 and 5); in blocks of 2
  // (590 KB) ResNet-18 took 0.95x the time at batch 1 and 8 (build/alternate,
  // Zen 5, 2026-12-08; docs/schedules.md).
  int convBlockWeightBytes = 917504;
  bool convIntoConcat = true; // convs write straight into the concat they feed
  bool convIntoAdd = true;    // ... and into the add they feed (convIntoAdd)
  bool poolIntoConv = true;   // pools computed by the row tasks of the 1x1 conv they feed
  // Pools (of a conv used by nothing else) computed in tasks of this many
  // rows that compute the conv rows they read; 0: convs at root.
  int convIntoPoolRows = 8;
  bool lrnIntoPool = true;       // ... and through an LRN, or run by the LRN that reads the pool
  bool pointwiseIntoPool = true; // ... and the 1x1 conv that the conv reads
  // ... as two tasks an image of half the channels each, all rows, where row
  // tasks would compute a tenth more conv rows or more (poolChannelTasks).
  bool poolChannelTasks = true;
  // ... and where an LRN between conv and pool rules channel tasks out, the
  // conv at root instead, the LRN and pool in row tasks (lrnConvAtRoot).
  bool lrnConvAtRoot = true;
  // ... that conv computed an image at a time, in the pool's loop over
  // images, rather than for all the images of a call (or a share) first:
  // an image's output (Caffe AlexNet's conv2: 746 KB) then stays in L2 for
  // the LRN and pool that read it, where a share's 4 images (3 MB) went
  // through L3: Caffe AlexNet 0.979x-0.990x the time at batch 8, 0.985x-
  // 0.992x at batch 1 (build/alternate, Sapphire Rapids, 2026-12-07); on a
  // Zen 4 (1 MB of L2) 0.983x the samples at batch 8 (perf over
  // build/alternate, 2026-12-07; docs/schedules.md).
  bool lrnConvPerImage = true;
  // Pools' and LRNs' loops over channel vectors unrolled where they have at
  // most this many vectors (0: none).
  int unrollChannelVectors = 16;
  // 3x3 and 5x5 convs with stride 1, at least this many input and output
  // channels and an output at least winogradWidth wide by Winograd's
  // F(2x2, 3x3) and F(3x3, 5x5) (0: none). Narrower layers have too few
  // tiles in a row for the register tile: GoogLeNet's 7-wide 3x3s 12 %
  // slower that way.
  int winogradChannels = 32;
  int winogradWidth = 8;
  bool winograd4x4 = false; // F(4x4, 3x3) instead of F(2x2, 3x3) on every 3x3 layer
  // ... and on 3x3 layers at least this wide (0: none): 4 times fewer
  // multiply-adds than the direct conv instead of 2.25, where their rows
  // hold whole 4x4 tiles (GoogLeNet's 28- and 56-wide layers; its 14-wide
  // ones would compute 16 columns for 14).
  int winograd4x4Width = 28;
  // 5x5 convs by F(3x3, 5x5) instead of F(2x2, 5x5): 49 multiplies a tile
  // of 9 outputs instead of 36 for 4, 40 % fewer (AlexNet's conv2: 27 wide,
  // 9 whole tiles a row).
  bool winograd5x5Tile3 = true;
  // 5x5 layers at least this wide by F(4x4, 5x5) (LowerOptions::
  // winograd5x5Tile4Width); 0: none.
  int winograd5x5Tile4Width = 0;
  int winograd5x5Tile4TaskTiles = 7; // ... their tiles per task (whole rows of tiles)
  // ... those that a pool alone reads too, computed at root in their own
  // tasks, the pool's row tasks computing only the pool's rows (convAtRoot).
  bool winograd5x5Tile4PoolRoot = false;
  // 5x5 layers narrower than this by F(2x2, 5x5) (LowerOptions::
  // winograd5x5Tile2Below); 0: none.
  int winograd5x5Tile2Below = 0;
  // 3x3 layers at least this wide by F(5x5, 3x3) where it computes fewer
  // products than F(4x4, 3x3) (LowerOptions::winograd5x5Width); 0: none.
  int winograd5x5Width = 0;
  // Winograd layers of at most this many tiles: weight blocks sized for one
  // register tile over all of them (LowerOptions::winogradRegisterTiles); 0:
  // none.
  int winogradRegisterTiles = 0;
  // Strided convs by Winograd over their phases (LowerOptions::winogradStrided).
  bool winogradStrided = true;
  int winogradTaskTiles = 28; // tiles per Winograd task (whole rows of tiles)
  // Winograd layers of fewer tiles than this: two tasks (per image) of half
  // the output channels each instead of rows of tiles.
  int winogradChannelTasksBelow = 64;
  // ... and of at least this many transformed weight floats (0: any).
  int winogradChannelTasksFloats = 0;
  // Row tasks of a Winograd conv with groups transform one group's input at
  // a time, before that group's weight blocks, rather than all of it first.
  bool winogradGroupInputs = true;
  // ... and, computed at root, run each (row task, group) pair as a task:
  // Caffe AlexNet's conv2 (27 rows by F(3x3, 5x5), 3 row tasks) at batch 1
  // took two tasks' time, one of two threads idle for one of them.
  bool winogradGroupTasks = true;
  int fcVectors = 2; // output vectors per fc weight block and task
  int fcUnroll = 4;  // steps of an fc's reduction per loop iteration
  // How far ahead of its FMAs an fc prefetches its weights into L2, in bytes
  // (0: not at all). Only where the library writer can make the prefetches
  // reach L2 (see library.cpp): x86 with an assembler.
  int fcPrefetchBytes = 0;
  // A batch of at least as many images as threads runs as one share of
  // images a thread, each share's layers one after another on its thread
  // (the library's runtime), where the network does at least this many
  // multiply-adds an image per weight (0: never): each share reads every
  // weight again, which networks bound by their fc weights (AlexNet: 12)
  // pay for more than the shares save (GoogLeNet: 227).
  int sharesMacsPerWeight = 64;
};

// A parameter of CpuParams as schedule files name it (docs/schedules.md,
// which says what each sets): an integer in [min, max], or a flag (0 or 1 in
// ParamSettings, false or true in files). `vec` is the target's and has none.
struct CpuParamInfo {
  const char *name;
  int CpuParams::*number; // or nullptr for a flag
  bool CpuParams::*flag;  // or nullptr for a number
  int min, max;
};
const std::vector<CpuParamInfo> &cpuParamInfo();
// The parameter called `name`, or nullptr.
const CpuParamInfo *findCpuParam(const std::string &name);

// Named parameters over a target's defaults, in the order given.
using ParamSettings = std::vector<std::pair<std::string, int>>;

// The target's defaults with `settings` applied; throws std::invalid_argument
// for an unknown name or a value out of range.
CpuParams cpuParams(const Halide::Target &t, const ParamSettings &settings);

// AVX-512: 32 vector registers hold 28 accumulators (tiles of 2 vectors by
// 14 pixels, or 4 by 7 on 7-wide rows); AVX2 and NEON: 16 registers,
// 10 accumulators (2 vectors by 5 pixels). fc: blocks of 3 vectors on
// AVX-512, 2 elsewhere; on x86 weights prefetched 4 KB ahead.
CpuParams defaultCpuParams(const Halide::Target &t);

// The layout choices of these parameters (weight blocks) for lower().
LowerOptions layoutOptions(const CpuParams &p);

void scheduleCpu(const Graph &g, LoweredNet &net, const CpuParams &p);

} // namespace cnnc
