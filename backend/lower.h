// IR -> Halide algorithm: one Func per node, the weights in the layouts the
// schedules want, packed into one pipeline argument. Only the algorithm
// lives here; schedules/ decides how each Func is computed.
#pragma once

#include "ir/graph.h"

#include <Halide.h>

#include <string>
#include <vector>

namespace cnnc {

// How the library's loader turns safetensors tensors into one weight tensor
// of the pipeline (backend/runtime/cnnc_rt.c does the work, once, at load).
enum class Pack {
  Copy,    // as stored
  Conv,    // [O, I, kh, kw] -> (o % B, i, kx, ky, block), per group, zero-padded
  Fc,      // [O, C*H*W] -> (o % B, c, x, y, o / B), zero-padded to whole blocks
  BnScale, // weight / sqrt(running_var + eps)
  BnShift, // bias - running_mean * scale
  ConvBn,  // Conv of the weights times a folded batchnorm's scale
  BnBias,  // (conv bias or 0 - running_mean) * scale + bias
  Wino,    // [O, I, r, r] -> Winograd F(m x m, r x r) G g G^T: (o % B, i, e, block),
           // e = t * row + column of the t x t transformed kernel, t = m + r - 1
           // (4, 6 or 7, from the extent of e), zero-padded. For a conv of stride
           // s > 1 (winogradStrided), i runs over s^2 I channels: channel
           // i = s I py + s c + px is the phase (px, py) of input channel c,
           // whose kernel is g(c, s ky + py, s kx + px) over ceil(r/s) x
           // ceil(r/s) (zeros past r)
  WinoBn,  // Wino of the weights times a folded batchnorm's scale
};

struct WeightArg {
  Pack pack = Pack::Copy;
  double eps = 0;     // batchnorm
  int64_t groups = 1; // conv
  int64_t stride = 1; // Wino: a strided conv's, over its phases
  struct Source {
    std::string name;
    std::vector<int64_t> shape; // as in the safetensors file
  };
  std::vector<Source> sources;
  std::vector<int64_t> dims; // its extents, innermost first (at most 5), packed densely
  int64_t offset = 0;        // where it starts in the weights argument, in floats
};

// What a node lowered to. Activations are Funcs (c, x, y, n): channels
// innermost, then width, height, batch.
struct Lowered {
  Halide::Func value;              // the node's result
  Halide::Func core;               // fc, pools, lrn: the reduction; else undefined
  std::vector<Halide::Func> parts; // conv: one reduction per group
  std::vector<Halide::Func> tiles; // conv: the output of each group, tiled
  int block = 0;                   // conv: output channels per weight block
  int winograd = 0;      // conv: Winograd's tile m (parts[0] is its product, see lower.cpp), or 0
  int winogradInput = 0; // conv (Winograd): its input tiles' side t = m + r - 1
  Halide::Func padded;   // conv/pool: the padded input, if it needs one
  std::vector<Halide::Func> helpers; // other Funcs a schedule must place
  Halide::RDom reduce;               // the reduction domain of core or of parts
  std::vector<Halide::RDom> updates; // concat/grouped conv: one per update
  // conv (Winograd): its blocks sized for one register tile over all its
  // output's tiles (winogradAllTilesBlock)
  bool allTiles = false;
};

struct LoweredNet {
  Halide::ImageParam input; // (x, y, c, n): NCHW float32
  // Every weight tensor, packed one after another (WeightArg::offset, each
  // on a 64-byte boundary): one pipeline argument instead of one a tensor,
  // whose checks made the pipeline's entry function tens of thousands of
  // instructions long for GoogLeNet's 140 (docs/performance-log.md).
  Halide::ImageParam weightData;
  int64_t weightFloats = 0; // its extent
  // (x, y, c, n): NCHW float32; a part's (LowerPart) that ends before the
  // network's output: its last node's value, (c, x, y, n)
  Halide::Func output;
  std::vector<WeightArg> weights;          // what weightData holds, in order
  std::vector<Lowered> nodes;              // by node id
  std::vector<std::vector<int>> consumers; // by node id
  // The nodes lowered (LowerPart): those after `cut` (the node the part
  // before computes, an extern Func here; -1: none) up to `last`.
  int cut = -1, last = -1;
  bool computes(int id) const { return id > cut && id <= last; }
};

// A part of the network lowered as a pipeline of its own (the library is
// compiled in parts: backend/library.cpp): the nodes after node `cut` up to
// node `last` (-1: the network's output), which read no node before `cut`.
// Node `cut` (-1: none, the part starts at the input) is computed by
// calling `cutFunction`, the part before, with the network's input and
// weights; `before`: the weights of the parts before, which come first in
// weightData.
struct LowerPart {
  int cut = -1, last = -1;
  std::string cutFunction;
  std::vector<WeightArg> before;
};

// Layout choices the algorithm must know, made by the schedule's parameters.
struct LowerOptions {
  int fcBlock = 64;          // fc outputs per contiguous weight block
  int vec = 16;              // floats per vector
  int convVectors = 4;       // most output-channel vectors in a conv's register tile
  int convAccumulators = 28; // vector registers a conv's register tile may hold
  int convMaxPixels = 14;    // most output pixels along x in a register tile
  int convFmasPerCycle = 2;  // vector FMAs a cycle, for convBlock's model
  // 3x3 and 5x5 convs with stride 1, at least this many input and output
  // channels per group and an output at least winogradWidth wide (no
  // dilation; groups of whole vectors of output channels) computed by
  // Winograd's F(2x2, 3x3) (F(4x4, 3x3) where the output is at least
  // winograd4x4Width wide; 0: never) or F(3x3, 5x5) (F(2x2, 5x5) where
  // winograd5x5Tile3 is off); 0: none.
  int winogradChannels = 0;
  int winogradWidth = 1;
  int winograd4x4Width = 0;
  bool winograd5x5Tile3 = false;
  // ... and by F(4x4, 5x5) where the output is at least this wide (0:
  // none): 64 multiplies a 4x4 tile (8 x 8 input tiles) instead of 49 a 3x3
  // one, 3136 a pair of channels over a 28 x 28 output where F(3x3) has
  // 4900; not where a pool alone reads the conv (readByPool in lower.cpp)
  // unless winograd5x5Tile4PoolRoot (the schedule computes such a conv at
  // root, not in the pool's tasks in whole 4-row tiles).
  int winograd5x5Tile4Width = 0;
  bool winograd5x5Tile4PoolRoot = false;
  // ... and by F(2x2, 5x5) where the output is narrower than this (0: none),
  // whatever the two above: a 7 x 7 output is 16 tiles of 36 positions
  // instead of 4 of 64, more products (576 a pair of channels, not 256)
  // but fewer transformed weights to read (36 a pair, not 64) and more
  // tiles to share each.
  int winograd5x5Tile2Below = 0;
  // 3x3 convs with stride 1 and an output at least this wide (0: none) by
  // F(5x5, 3x3) where it computes fewer products than F(4x4, 3x3): 49 a 5x5
  // tile against 36 a 4x4 one, over the whole tiles that cover the output
  // (14 x 14: 9 tiles and 441 products a pair of channels against 16 tiles
  // of 16 x 16 pixels and 576).
  int winograd5x5Width = 0;
  // Winograd convs whose output is at most this many tiles (0: none) have
  // weight blocks sized for a register tile over all of them
  // (winogradAllTilesBlock).
  int winogradRegisterTiles = 0;
  // Strided convs (one group, no dilation, stride s in both directions and
  // k x k kernels with ceil(k/s) = 3 or 4: AlexNet's 11x11/4 and GoogLeNet's
  // 7x7/2 stems) by Winograd too, as the stride-1 conv of ceil(k/s) x
  // ceil(k/s) kernels over the input's s^2 phases (s^2 C channels, a phase
  // per offset within an s x s block of input pixels): F(2x2, 3x3) or
  // F(4x4, 3x3) as above, for 4 F(4x4, 4x4) where F(4x4, 3x3) would be
  // chosen (winograd4x4Width), else F(3x3, 4x4).
  bool winogradStrided = false;
  // Direct convs of fewer output rows than convBlockTasksBelow (the
  // schedule runs their (row, weight block) pairs as tasks, rows inside
  // blocks) take weight blocks of at most convBlockWeightBytes bytes of
  // weights where more vectors would exceed it, and there the most vectors
  // under it that make whole blocks, if any (0: no limit): a block's row
  // tasks then find its weights in L2 (directBlockOptions in lower.cpp).
  int convBlockTasksBelow = 0;
  int convBlockWeightBytes = 0;
};

// Whether `node` (a conv) is computed by Winograd's minimal filtering under `o`.
bool convWinograd(const Node &node, int64_t inChannels, const LowerOptions &o);

// Whether a 3x3 conv of stride 1 with output `out` is computed by
// F(5x5, 3x3) under `o` (LowerOptions::winograd5x5Width).
bool winograd5x5(const Shape &out, const LowerOptions &o);

// The output channels per weight block of a Winograd conv of `tiles` output
// tiles and `channels` output channels a group (of `groups`) whose products,
// a weight block and position at a time, are computed for all the tiles in
// one register tile (tiles x vectors accumulators; AlexNet's 13x13 and
// GoogLeNet's 14x14 layers by F(5x5, 3x3): 9 tiles), or 0: where tiles are at
// most winogradRegisterTiles, the most vectors, at least 2, whose
// accumulators fit and whose blocks split the output channels into two
// halves of whole blocks (the channel tasks of winogradTasks), else 0.
int winogradAllTilesBlock(int64_t channels, int64_t groups, int64_t tiles, const LowerOptions &o);

// For a conv that Winograd computes: the r of its F(m x m, r x r) (its
// kernel, or ceil(k/s) over the phases of a stride s), and the channels its
// input transform reads of `channels` input channels (s^2 times as many: the
// phases).
int winogradKernel(const Node &conv);
int64_t winogradInputs(const Node &conv, int64_t channels);

// Output pixels along x in a conv's register tile of `vectors` vectors: as
// many as the accumulators allow, up to convMaxPixels; with `width` given,
// evened out over the row so that its last tile overlaps the one before least.
int convTilePixels(int vectors, int64_t width, const LowerOptions &o);

// Output channels per conv weight block (and register tile): vec times the
// number of vectors, up to convVectors, that makes a conv of output `width`
// cheapest in a model of the tile's loop, fitted to measurements on AVX-512:
// channels padded to whole blocks, pixels computed twice where the last tile
// of a row overlaps; per step of the reduction, one FMA per accumulator (two
// a cycle), one load per vector and per pixel (one a cycle) and 1.2 more
// cycles per weight vector, which streams from L2. It prefers 2 vectors by 14
// pixels to 4 by 7 (measured 6-30 % faster on AlexNet's layers, equal on
// GoogLeNet's at 28 and 56 wide) but 4 by 7 on layers 7 wide, and 3 vectors
// where the channels are a multiple of 3 vectors: 3 by 8 on 55-wide layers
// (Caffe AlexNet's conv1, 96 channels). The weight vector's cycles were 2
// until 2026-11-28, which chose 2 by 14 there: 1.2 measured Caffe AlexNet
// 0.97-0.99x at batch 8, other networks' changed layers (GoogLeNet's 7-wide
// ones) within noise. (A cap of 7 pixels on AVX-512 from the fifth to the
// seventh session measured faster for a while; docs/schedules.md.)
int convBlock(int64_t channels, int64_t width, const LowerOptions &o);

LoweredNet lower(const Graph &g, const LowerOptions &opts, const LowerPart &part = {});

} // namespace cnnc
