// CPU schedules. Activations are (c, x, y, n), channels innermost, so every
// op vectorizes over channels. Elementwise ops are inlined into their
// consumers; every other op is computed once, at root, parallel over rows.
#include "schedules/cpu.h"

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace cnnc {

using namespace Halide;

CpuParams defaultCpuParams(const Target &t) {
  CpuParams p;
  if (t.has_feature(Target::AVX512_Skylake) || t.has_feature(Target::AVX512)) {
    p.vec = 16;
    p.convVectors = 4;
    p.convAccumulators = 28;
    // Tiles of up to 14 pixels, so that convBlock picks 2 vectors by 14
    // pixels on wide rows: as 4 vectors by 7, 4 weight vectors, the
    // broadcast and 28 accumulators take 33 registers and LLVM spilled an
    // accumulator every step of the reduction. A cap of 7 had measured
    // 0.95-0.98x before F(4x4, 3x3) and the two-step output transform; after
    // them 14 measured 0.98x and 0.96x on GoogLeNet at batch 8, 1.00x at
    // batch 1, AlexNet 0.97x and 0.99x (build/alternate, 2026-11-28).
    p.convMaxPixels = 14;
    // A 1x1 conv's input prefetched 28 pixels ahead (prefetchPixels): on a
    // Zen 4 at batch 8 SqueezeNet 1.1 0.968x-0.979x the time, GoogLeNet
    // 0.981x and 0.999x, Caffe GoogLeNet 0.975x, ResNet-50 0.959x; at batch
    // 1 within 1 % either way (build/alternate, 2026-12-07). AVX2 code on
    // the same machine gained nothing (SqueezeNet 0.993x, GoogLeNet 1.034x
    // and 0.985x at batch 8, an identical copy 0.982x, 1.017x and 0.982x):
    // off there, and on NEON, where it was not measured.
    p.convPrefetchPixels = 28;
    p.fcVectors = 3; // 8 images x 3 vectors: 24 accumulators
    // F(4x4, 5x5) on 5x5 layers but those a pool alone reads, as Zen 3: on
    // a Sapphire Rapids Xeon (2026-12-06, build/alternate) Caffe AlexNet
    // 0.992x and 0.994x the time at batch 8, 0.981x at batch 1 (its conv2,
    // through its LRN), Caffe GoogLeNet 0.983x at batch 1 and at batch 8;
    // torchvision's networks have no such layer. On Zen 4 (2026-12-04)
    // Caffe AlexNet 0.98x and 0.99x at batch 8, 0.99x at batch 1, Caffe
    // GoogLeNet 1.00x at both.
    p.winograd5x5Tile4Width = 1;
    if (t.has_feature(Target::AVX512_Zen5))
      p.winogradChannelTasksFloats = 3 << 18; // 3 MB of floats (winogradTasks)
    if (t.has_feature(Target::AVX512_Zen4) && !t.has_feature(Target::AVX512_Zen5)) {
      // Zen 4 runs a 512-bit FMA as two 256-bit halves, half the FMAs per
      // cycle of the Xeons these defaults were fitted on, so that fewer
      // multiplies pay for more transform work: F(4x4, 3x3) from 14 wide
      // and F(2x2) on 7-wide layers measured 0.95x on GoogLeNet at batch 8
      // and 0.97x at batch 1 (build/alternate, 2026-11-29), where the Xeon
      // had measured F(4x4) on every 3x3 layer 1.02x. AlexNet's 13-wide
      // layers kept F(2x2) (F(4x4) there measured 1.01x) until F(5x5, 3x3),
      // below. Winograd from 16
      // channels (GoogLeNet's 3x3 and Caffe GoogLeNet's 5x5 convs of 16-24
      // input channels): 0.96-0.99x on GoogLeNet at batch 8, 0.98x-1.00x on
      // Caffe's, 0.97x-1.03x at batch 1.
      p.winograd4x4Width = 14;
      p.winogradWidth = 1;
      p.winogradChannels = 16;
      // F(5x5, 3x3) where it computes fewer products than F(4x4, 3x3), from
      // 13 wide (AlexNet's conv3-conv5, GoogLeNet's 14-wide 3x3s: 9 tiles of
      // 49 products where F(4x4) has 16 of 36 and F(2x2) 49 of 16):
      // torchvision's AlexNet 0.88x-0.91x, Caffe's 0.88x-0.94x, GoogLeNet
      // 0.98x at batch 8 (build/alternate, 2026-11-29).
      p.winograd5x5Width = 13;
      // Their 3 x 3 tiles in one register tile (winogradAllTilesBlock):
      // torchvision's AlexNet 0.94x-0.96x, Caffe's 0.96x-1.00x at batch 8
      // (0.95x, 0.94x at batch 1), GoogLeNet 1.00x (build/alternate,
      // 2026-11-29).
      p.winogradRegisterTiles = 14;
      // F(4x4, 5x5) (above) also on 5x5 layers a pool alone reads,
      // computed at root (convAtRoot): torchvision AlexNet's conv2 (27
      // wide, where F(3x3, 5x5) in pool2's tasks had 9 whole tiles a row)
      // 0.970x-0.998x the time at batch 8 (four runs, mean 0.986x) and
      // 0.981x at batch 1 (two) (build/alternate, 2026-12-06). Caffe
      // AlexNet's conv2, through its LRN, was so already. On the Sapphire
      // Rapids Xeon (two 512-bit FMAs a cycle) torchvision's AlexNet took
      // 1.020x the time so at batch 8.
      p.winograd5x5Tile4PoolRoot = true;
      // One 512-bit FMA a cycle in convBlock's tile model (two on the
      // others): 1 vector by 14 pixels where 2 vectors would pad (inception
      // 4b's and 4d's 112- and 144-channel reduce convs), 4 vectors by 7 on
      // 7-wide layers of 192 and 384, and the Winograd products of five
      // inception 3x3s in 2-4 vectors instead of 3 or 4: GoogLeNet
      // 0.982x-0.992x the time at batch 8 (six runs; its direct convs'
      // blocks alone 0.990x, its Winograd convs' alone 0.989x), 0.95x-0.96x
      // at batch 1; Caffe GoogLeNet 1.000x and 0.982x, 0.99x at batch 1;
      // torchvision AlexNet 0.994x-1.010x (its conv2's products, 192
      // channels by 9 tiles, in 2 vectors instead of 3); Caffe AlexNet's
      // library the same bytes (build/alternate, 2026-12-05).
      p.convFmasPerCycle = 1;
    }
  } else if (t.arch == Target::X86 && t.has_feature(Target::AVX2)) {
    p.vec = 8;
    if (t.processor_tune == Target::ZnVer3) {
      // Two 256-bit FMAs a cycle, as Zen 4, and the same gain from more
      // transform work: F(4x4, 3x3) from 14 wide and F(2x2) on 7-wide
      // layers measured 0.94x on GoogLeNet at batch 8 and 0.97x at batch 1,
      // Caffe's 0.95x and 0.97x (build/alternate, 2026-12-03). Winograd
      // from 16 channels as well (GoogLeNet's 3x3 and Caffe GoogLeNet's
      // 5x5 convs of 16 and 24 input channels, direct at 32): 1.00x and
      // 0.99x on torchvision GoogLeNet, Caffe's 0.98x and 0.99x at batch 8,
      // 0.99x and 1.00x at batch 1; by `perf`, Caffe's inception 3a 0.95x
      // and 4b 0.96x, which had taken 12-17 % more samples than
      // torchvision's for 5 % more multiply-adds (build/alternate,
      // 2026-12-03). F(5x5, 3x3) on 13-wide layers measured 1.06x on
      // AlexNet (16 registers hold no register tile over all its tiles).
      p.winograd4x4Width = 14;
      p.winogradWidth = 1;
      p.winogradChannels = 16;
      // F(4x4, 5x5) on 5x5 layers (LowerOptions::winograd5x5Tile4Width:
      // not those a pool alone reads), in tasks of one or two rows of
      // tiles (winograd5x5Tile4TaskTiles): Caffe GoogLeNet 0.95x the time
      // at batch 8, 0.97x at batch 1, Caffe AlexNet 0.99x and 1.00x
      // (build/alternate, 2026-12-04); by `perf` at batch 8, Caffe
      // GoogLeNet's inceptions 0.92x-0.96x the samples, Caffe AlexNet's
      // conv2 0.88x.
      p.winograd5x5Tile4Width = 1;
      // ... but F(2x2, 5x5) on 7-wide ones (Caffe GoogLeNet's inception 5a
      // and 5b): at batch 1 F(4x4)'s 4 tiles share each of its transformed
      // weights, read from memory, and fill no register tile. By `perf`
      // (build/alternate, batch 1, 2026-12-04), their 5x5 stages 0.61x-0.71x
      // and 0.66x-0.82x the samples in three runs (direct convs had measured
      // 0.83x and 0.95x, F(3x3, 5x5) the network 1.00x; F(2x2, 5x5) on the
      // 14-wide 5x5s too 1.13x on inception 4e's); the network 1.00x at
      // batch 1 and 8.
      p.winograd5x5Tile2Below = 8;
    }
  } else {
    p.vec = 4;
  }
  if (t.arch == Target::X86)
    p.fcPrefetchBytes = 4096;
  return p;
}

const std::vector<CpuParamInfo> &cpuParamInfo() {
  static const std::vector<CpuParamInfo> info = {
      {"conv_vectors", &CpuParams::convVectors, nullptr, 1, 8},
      {"conv_accumulators", &CpuParams::convAccumulators, nullptr, 1, 64},
      {"conv_max_pixels", &CpuParams::convMaxPixels, nullptr, 1, 64},
      {"conv_fmas_per_cycle", &CpuParams::convFmasPerCycle, nullptr, 1, 4},
      {"conv_unroll", &CpuParams::convUnroll, nullptr, 1, 64},
      {"conv_prefetch_pixels", &CpuParams::convPrefetchPixels, nullptr, 0, 1 << 10},
      {"conv_block_tasks_below", &CpuParams::convBlockTasksBelow, nullptr, 0, 1 << 20},
      {"conv_block_weight_bytes", &CpuParams::convBlockWeightBytes, nullptr, 0, 1 << 30},
      {"conv_into_concat", nullptr, &CpuParams::convIntoConcat, 0, 1},
      {"conv_into_add", nullptr, &CpuParams::convIntoAdd, 0, 1},
      {"pool_into_conv", nullptr, &CpuParams::poolIntoConv, 0, 1},
      {"conv_into_pool_rows", &CpuParams::convIntoPoolRows, nullptr, 0, 1 << 20},
      {"lrn_into_pool", nullptr, &CpuParams::lrnIntoPool, 0, 1},
      {"pointwise_into_pool", nullptr, &CpuParams::pointwiseIntoPool, 0, 1},
      {"pool_channel_tasks", nullptr, &CpuParams::poolChannelTasks, 0, 1},
      {"lrn_conv_at_root", nullptr, &CpuParams::lrnConvAtRoot, 0, 1},
      {"lrn_conv_per_image", nullptr, &CpuParams::lrnConvPerImage, 0, 1},
      {"unroll_channel_vectors", &CpuParams::unrollChannelVectors, nullptr, 0, 1024},
      {"winograd_channels", &CpuParams::winogradChannels, nullptr, 0, 1 << 20},
      {"winograd_width", &CpuParams::winogradWidth, nullptr, 1, 1 << 20},
      {"winograd_4x4", nullptr, &CpuParams::winograd4x4, 0, 1},
      {"winograd_4x4_width", &CpuParams::winograd4x4Width, nullptr, 0, 1 << 20},
      {"winograd_5x5_3x3", nullptr, &CpuParams::winograd5x5Tile3, 0, 1},
      {"winograd_5x5_4x4_width", &CpuParams::winograd5x5Tile4Width, nullptr, 0, 1 << 20},
      {"winograd_5x5_4x4_task_tiles", &CpuParams::winograd5x5Tile4TaskTiles, nullptr, 1, 1 << 20},
      {"winograd_5x5_4x4_pool_root", nullptr, &CpuParams::winograd5x5Tile4PoolRoot, 0, 1},
      {"winograd_5x5_2x2_below", &CpuParams::winograd5x5Tile2Below, nullptr, 0, 1 << 20},
      {"winograd_5x5_width", &CpuParams::winograd5x5Width, nullptr, 0, 1 << 20},
      {"winograd_register_tiles", &CpuParams::winogradRegisterTiles, nullptr, 0, 1 << 20},
      {"winograd_strided", nullptr, &CpuParams::winogradStrided, 0, 1},
      {"winograd_task_tiles", &CpuParams::winogradTaskTiles, nullptr, 1, 1 << 20},
      {"winograd_channel_tasks_below", &CpuParams::winogradChannelTasksBelow, nullptr, 0, 1 << 20},
      {"winograd_channel_tasks_floats", &CpuParams::winogradChannelTasksFloats, nullptr, 0,
       1 << 30},
      {"winograd_group_inputs", nullptr, &CpuParams::winogradGroupInputs, 0, 1},
      {"winograd_group_tasks", nullptr, &CpuParams::winogradGroupTasks, 0, 1},
      {"fc_vectors", &CpuParams::fcVectors, nullptr, 1, 8},
      {"fc_unroll", &CpuParams::fcUnroll, nullptr, 1, 64},
      {"fc_prefetch_bytes", &CpuParams::fcPrefetchBytes, nullptr, 0, 1 << 20},
      {"shares_macs_per_weight", &CpuParams::sharesMacsPerWeight, nullptr, 0, 1 << 30},
  };
  return info;
}

const CpuParamInfo *findCpuParam(const std::string &name) {
  for (const CpuParamInfo &i : cpuParamInfo())
    if (name == i.name)
      return &i;
  return nullptr;
}

CpuParams cpuParams(const Target &t, const ParamSettings &settings) {
  CpuParams p = defaultCpuParams(t);
  for (const auto &[name, value] : settings) {
    const CpuParamInfo *it = findCpuParam(name);
    if (!it)
      throw std::invalid_argument("unknown schedule parameter '" + name + "'");
    if (value < it->min || value > it->max)
      throw std::invalid_argument("schedule parameter '" + name + "' out of range");
    if (it->number)
      p.*(it->number) = value;
    else
      p.*(it->flag) = value != 0;
  }
  return p;
}

LowerOptions layoutOptions(const CpuParams &p) {
  LowerOptions o;
  o.fcBlock = p.vec * p.fcVectors;
  o.vec = p.vec;
  o.convVectors = p.convVectors;
  o.convAccumulators = p.convAccumulators;
  o.convMaxPixels = p.convMaxPixels;
  o.convFmasPerCycle = p.convFmasPerCycle;
  o.winogradChannels = p.winogradChannels;
  o.winogradWidth = p.winogradWidth;
  o.winograd4x4Width = p.winograd4x4 ? 1 : p.winograd4x4Width;
  o.winograd5x5Tile3 = p.winograd5x5Tile3;
  o.winograd5x5Tile4Width = p.winograd5x5Tile4Width;
  o.winograd5x5Tile4PoolRoot = p.winograd5x5Tile4PoolRoot;
  o.winograd5x5Tile2Below = p.winograd5x5Tile2Below;
  o.winograd5x5Width = p.winograd5x5Width;
  o.winogradRegisterTiles = p.winogradRegisterTiles;
  o.winogradStrided = p.winogradStrided;
  o.convBlockTasksBelow = p.convBlockTasksBelow;
  o.convBlockWeightBytes = p.convBlockWeightBytes;
  return o;
}

namespace {

// The widest vector of at most `vec` lanes that fits `extent`: splitting an
// axis by more than its extent would read past the ends of the buffers.
int fit(int vec, int64_t extent) {
  int v = vec;
  while (v > 1 && v > extent)
    v /= 2;
  return v;
}

// Rows per parallel task for about `target` rows of `height` (at least 1):
// the same number of tasks with their rows evened out, and an even number
// of tasks where that is as near, so that two cores end together at batch 1
// (GoogLeNet's pool2: 4 tasks of 7 rows instead of 8, 8, 8 and 4).
int64_t balancedRows(int64_t target, int64_t height) {
  int64_t tasks = (height + target - 1) / std::max<int64_t>(target, 1);
  if (tasks % 2 == 1 && tasks > 1) {
    int64_t rows = (height + tasks) / (tasks + 1); // ceil(height / (tasks + 1))
    if ((height + rows - 1) / rows % 2 == 0)
      return rows;
  }
  return std::max<int64_t>(1, (height + tasks - 1) / std::max<int64_t>(tasks, 1));
}

// Parallel over rows (and images), vectorized over channels.
void rowsParallel(Stage st, VarOrRVar ch, int64_t channels, const CpuParams &p, Var y, Var n) {
  int v = fit(p.vec, channels);
  if (v > 1)
    st.vectorize(ch, v);
  st.parallel(y).parallel(n);
}

// The floats from one pixel to the next in a buffer of `channels` that
// padPixels places, where 1x1 convs of these strides read it.
int64_t pixelStride(int64_t channels, const std::vector<int> &strides) {
  for (int s : strides)
    if (channels * s % 1024 == 0)
      return channels + 16;
  return channels;
}

// Stores `f`'s pixels 16 floats (a cache line) further apart where a 1x1
// conv of stride s (`strides`: those that read it) would find the pixels of
// its tile a multiple of 4 KB apart: it broadcasts from each of them in
// turn, and at 4 KB apart those lines all map to one set of the L1 cache
// (8-way on Zen 4), evicting each other. Micro-networks of ResNet-50's 1x1
// convs after an add, `cnnc bench --per-layer` at batch 8: layer3's (1024
// channels, stride 1) 72 % of the peak, 87 % with 1040 (2026-12-07); the
// layer3_0 shortcut (512 channels, stride 2) 59 %, 90 % with 528
// (the same day). Pixels 2 KB apart (512 channels at stride 1, 256 at stride
// 2) share two sets: 85 % against 88 %, and 91-95 % against 90-97 %, left
// as they are.
void padPixels(Func f, Var c, int64_t channels, const std::vector<int> &strides) {
  if (pixelStride(channels, strides) != channels)
    f.bound_storage(c, static_cast<int>(pixelStride(channels, strides)));
}

// A reduction's update vectorized over channels; the tail is guarded, since
// recomputing an update would apply it twice.
void vectorizeUpdate(Func f, Var c, int vec) {
  if (vec > 1)
    f.update().vectorize(c, vec, TailStrategy::GuardWithIf);
  else
    f.update().unscheduled(); // a scalar loop, as Halide's default: no warning
}

struct Vars {
  Var c{"c"}, x{"x"}, y{"y"}, n{"n"};
  Var co{"co"}, ci{"ci"};
};

// A new loop variable `name` of the kind `axis` is (an RVar, "r"-prefixed,
// in an update that reduces over it), for splitting `axis`.
VarOrRVar likeAxis(const VarOrRVar &axis, const std::string &name) {
  return axis.is_rvar ? VarOrRVar(RVar("r" + name)) : VarOrRVar(Var(name));
}

// A conv's loop over steps of its reduction over input channels,
// `channels` input channels a step.
struct ChannelStep {
  RVar loop;
  int channels = 1;
};

// A conv's reduction over input channels `rx` split by convUnroll, halved
// until it divides their number, the inner part unrolled. Returns the loop
// over the steps.
ChannelStep unrollChannels(Stage update, RVar rx, const CpuParams &p, const std::string &suffix) {
  std::optional<int64_t> channels = Internal::as_const_int(rx.extent());
  int unroll = p.convUnroll;
  while (unroll > 1 && channels && *channels % unroll != 0)
    unroll /= 2;
  if (unroll <= 1)
    return {rx, 1};
  RVar rco("rxo" + suffix), rci("rxi" + suffix);
  update.split(rx, rco, rci, unroll).unroll(rci);
  return {rco, unroll};
}

// The register-tiled convolution of apps/conv_layer: a tile of `block`
// output channels (a whole weight block, some vectors) by some output
// columns (convTilePixels) is held in registers while the reduction over
// input channels, kx and ky runs, reading the block's weights contiguously;
// its loop over input channels is unrolled by convUnroll where that divides
// them, and entirely where they are fewer.
// `core` is computed per tile of `st`, whose channel axis is `ch`: the pure
// definition of the conv's own output (RoundUp: its buffer is padded to
// whole blocks), or the update of a concat that the conv writes into.
// Returns the loop of its parallel tasks, named uniquely for `st`, for
// Funcs that each task computes for itself (LoopLevel(owner, it)): a row of
// output where the layer has convBlockTasksBelow rows or more, else a
// (row, channel block) pair. Its reduction's loop over steps of input
// channels, where it has one, goes to `step`.
VarOrRVar convTile(Func owner, Stage st, VarOrRVar ch, Func core, RDom r, int block, int64_t width,
                   int64_t height, const CpuParams &p, const Vars &v, const std::string &suffix,
                   bool parallel = true, std::optional<ChannelStep> *step = nullptr,
                   bool blocksInner = false) {
  int pixels = convTilePixels(block / p.vec, width, layoutOptions(p));
  // Tiles are sized for the layer's whole width; a consumer that reads fewer
  // columns (a strided 1x1 conv) would have a tile wider than what it needs
  // shifted past the layer's left edge. The whole width is computed.
  owner.bound(v.x, 0, static_cast<int>(width));
  Var xo("xo" + suffix), xi("xi" + suffix), task("task" + suffix);
  VarOrRVar co = likeAxis(ch, "co" + suffix);
  VarOrRVar ci = likeAxis(ch, "ci" + suffix);
  st.split(ch, co, ci, block, ch.is_rvar ? TailStrategy::GuardWithIf : TailStrategy::RoundUp)
      .split(v.x, xo, xi, pixels,
             ch.is_rvar ? TailStrategy::GuardWithIf : TailStrategy::ShiftInwards)
      .reorder(ci, xi, xo, co, v.y, v.n)
      .vectorize(ci, p.vec)
      .unroll(ci)
      .unroll(xi);
  // Parallel tasks are rows, or (row, channel block) pairs on small layers.
  // Computed within a consumer's task (convIntoPool): rows, in turn.
  VarOrRVar taskLoop = task;
  if (!parallel) {
    Var row("row" + suffix);
    st.rename(v.y, row);
    taskLoop = row;
  } else if (height >= p.convBlockTasksBelow) {
    Var row("row" + suffix);
    st.rename(v.y, row).parallel(row).parallel(v.n);
    taskLoop = row;
  } else { // rows inside blocks: consecutive tasks share their weights
    st.reorder(ci, xi, xo, v.y, co, v.n).parallel(v.n);
    if (ch.is_rvar) { // an RVar fuses with no Var: nested parallel loops
      st.parallel(v.y).parallel(co);
      taskLoop = co;
    } else {
      st.fuse(v.y, co, task).parallel(task);
    }
  }
  // With blocksInner, a row's tiles in turn, each for every block (not
  // blocks in turn, each for every tile): `st` then reads and writes whole
  // pixels at a time.
  bool inner = blocksInner && !(parallel && height < p.convBlockTasksBelow);
  if (inner)
    st.reorder(ci, xi, co, xo);
  // Named without a stage: a LoopLevel naming an update stage's index is
  // refused (Halide 21); the loop's name, unique to `st`, is found.
  core.compute_at(inner ? LoopLevel(owner, co) : LoopLevel(owner, xo))
      .vectorize(v.c, p.vec)
      .unroll(v.c)
      .unroll(v.x);
  // r.x: input channel, r.y: kx, r.z: ky.
  core.update()
      .reorder(v.c, v.x, v.y, r.x, r.y, r.z, v.n)
      .vectorize(v.c, p.vec)
      .unroll(v.c)
      .unroll(v.x)
      .unroll(v.y);
  std::optional<int64_t> channels = Internal::as_const_int(r.x.extent());
  if (channels && *channels <= p.convUnroll) { // e.g. the RGB input: no loop at all
    core.update().unroll(r.x);
  } else {
    ChannelStep steps = unrollChannels(core.update(), r.x, p, suffix);
    if (step)
      *step = steps;
  }
  return taskLoop;
}

// A copy of a layer's input with its border, parallel over rows: vectorized
// over channels, or where they are fewer than a vector (the RGB input), over
// x, stored planar (a row of each channel) as the NCHW input is, so that the
// copy needs no shuffles: the conv broadcasts single values from it either
// way (GoogLeNet's conv1 1-2 % faster than with interleaved channels).
// Computed `at` a conv's task loop instead of at root, it covers what the
// task's window reads.
void schedulePadded(Func padded, int64_t channels, const CpuParams &p, const Vars &v,
                    std::optional<LoopLevel> at = std::nullopt) {
  if (at)
    padded.compute_at(*at);
  else
    padded.compute_root().parallel(v.y).parallel(v.n);
  if (channels >= p.vec)
    padded.vectorize(v.c, p.vec);
  else
    padded.bound(v.c, 0, static_cast<int>(channels))
        .reorder_storage(v.x, v.c, v.y, v.n)
        .unroll(v.c)
        .vectorize(v.x, p.vec);
}

// A Winograd conv (lowerWinograd), its output transform computed by stage
// `st` of `owner` (channel axis `ch`): the conv's own output (computed at
// root), or the update of a concat that it writes into (its output inlined
// there). Parallel over rows of m x m output tiles; each task transforms
// the input rows its tiles read, runs the (m+2)^2 products over
// input channels register-tiled as other convs (weight blocks by tiles
// along x) and transforms them into its m rows of output. With `groups`
// (the conv's; whole weight blocks each), row tasks transform one group's
// input channels at a time, before that group's blocks
// (winogradGroupInputs), rather than all of them first. `wholeImages`: not
// `parallel`, the consumer's tasks (a pool's channel tasks) need the whole
// output of the conv.
void winogradTasks(Func owner, Stage st, VarOrRVar ch, const Lowered &l, int64_t width,
                   int64_t height, int64_t inChannels, int64_t outChannels, int64_t groups,
                   const CpuParams &p, const Vars &v, const std::string &suffix,
                   bool parallel = true, bool wholeImages = false) {
  Var ty("ty" + suffix), yi("yi" + suffix), tx("tx" + suffix), xi("xi" + suffix);
  Var yt("yt" + suffix), yr("yr" + suffix);
  VarOrRVar co = likeAxis(ch, "co" + suffix);
  VarOrRVar ci = likeAxis(ch, "ci" + suffix);
  // A buffer of its own is rounded up to whole tiles and vectors (odd
  // widths and heights: the last tile's extra pixels land in its padding);
  // a concat's update is guarded instead.
  TailStrategy tail = ch.is_rvar ? TailStrategy::GuardWithIf : TailStrategy::RoundUp;
  const int tile = l.winograd;
  int64_t across = (width + tile - 1) / tile, down = (height + tile - 1) / tile;
  // Layers of few tiles (GoogLeNet's and AlexNet's 14- and 13-wide ones, 49
  // tiles) are split into two halves of the output channels: each task
  // then streams half the weights (16/9 of a direct conv's, read from
  // memory at batch 1) instead of all of them for half the tiles, at the
  // cost of transforming the whole input in both. Each half is whole weight
  // blocks (the weights end at the last block): an even number of blocks.
  // Not F(4x4, 5x5) (64 positions a tile): Caffe GoogLeNet's inception 3b
  // 5x5 (32 input channels, 96 outputs, 28 wide: 49 tiles) alone took 1.25x
  // the time of F(3x3, 5x5) so, 0.91x in row tasks (build/alternate, batch
  // 8, 2026-12-04).
  int64_t blocks = (outChannels + l.block - 1) / l.block;
  int64_t groupVectors = blocks / 2 * (l.block / p.vec);
  bool fourByFive = l.winogradInput == 8; // F(4x4, 5x5)
  // On the Zen 5 only layers of many transformed weights
  // (winogradChannelTasksFloats, 3 MB): with fewer, the second input
  // transform costs more than the weights saved. At batch 1 GoogLeNet
  // 0.952x-0.966x the time (its 28- and 14-wide 3x3s, 0.3-0.9 M floats, in
  // row tasks), ResNet-18 0.979x (its 28-wide 3x3s, 0.6 M; with its 14-wide
  // ones, 1.05 M, too: 1.023x-1.036x), SqueezeNet 1.1 0.926x; at batch 8
  // 0.985x-1.000x (build/alternate, 2026-12-08).
  int64_t weightFloats =
      inChannels / std::max<int64_t>(groups, 1) * outChannels * l.winogradInput * l.winogradInput;
  bool channelTasks = parallel && across * down < p.winogradChannelTasksBelow &&
                      weightFloats >= p.winogradChannelTasksFloats && blocks % 2 == 0 &&
                      !fourByFive;
  // Blocks sized for all the tiles (winogradAllTilesBlock), computed for
  // all of them at once where a task computes them all.
  bool allTiles = l.allTiles && (channelTasks || wholeImages);
  // Else rows of tiles per task: about winogradTaskTiles tiles, which share
  // each weight block the task loads, but at most half the rows, for two
  // tasks. F(4x4, 5x5) in tasks of about winograd5x5Tile4TaskTiles tiles
  // (7 by default: one row of tiles at 28 wide, two at 14): Caffe AlexNet's
  // conv2 (27 wide, 7 rows of 7 tiles; 48 input channels a group) took
  // 1.07x the samples of F(3x3, 5x5) in row tasks of 4 or 2 rows, 0.86x-0.89x
  // in tasks of one (`perf`, build/alternate, batch 8, 2026-12-04): a task's
  // transformed input, products and weights (V, M and U: 64 positions a
  // tile) stay nearer L2's 512 KB.
  int64_t taskTiles = fourByFive ? p.winograd5x5Tile4TaskTiles : p.winogradTaskTiles;
  int64_t rows =
      channelTasks || allTiles
          ? down
          : balancedRows(std::clamp<int64_t>((taskTiles + across - 1) / across, 1, (down + 1) / 2),
                         down);
  if (parallel) {
    st.split(v.y, yt, yr, tile * static_cast<int>(rows), tail).split(yr, ty, yi, tile);
  } else {
    // Within a pool's task (convIntoPool): the rows of tiles the task needs,
    // in chunks of `rows`, the last guarded rather than rounded up to a
    // whole chunk: AlexNet's conv2 by F(3x3, 5x5) needs 5 rows of tiles a
    // task and computed 6 in chunks of 3 (conv2 into pool2 alone 1.24x the
    // time, above).
    Var tiles("tiles" + suffix);
    st.split(v.y, tiles, yi, tile, tail)
        .split(tiles, yt, ty, static_cast<int>(rows), TailStrategy::GuardWithIf);
  }
  st.split(v.x, tx, xi, tile, tail)
      .split(ch, co, ci, p.vec, tail)
      .vectorize(ci)
      .unroll(xi)
      .unroll(yi);
  VarOrRVar taskLoop = yt, vectorLoop = co;
  std::optional<LoopLevel> blockLoop; // where each weight block's products are computed
  std::optional<LoopLevel> inputLoop; // where the input transform is, if not at the task
  if (channelTasks) {
    VarOrRVar cg = likeAxis(ch, "cg" + suffix);
    VarOrRVar cv = likeAxis(ch, "cv" + suffix);
    st.split(co, cg, cv, static_cast<int>(groupVectors), tail)
        .reorder(ci, xi, yi, cv, tx, ty, yt, cg, v.n)
        .parallel(cg)
        .parallel(v.n);
    taskLoop = cg;
    vectorLoop = cv;
  } else {
    // Each weight block's products computed and transformed in turn: M of
    // one block (258 KB for conv3's 28 tiles of F(4x4, 3x3)) stays in L2
    // with the block's weights, where M of all blocks (774 KB) and all
    // weights (1.8 MB) went through L3 (build/alternate: conv3 into pool2
    // alone 0.96x; GoogLeNet 1.00x and 0.97x at batch 8, 0.97x at batch 1).
    VarOrRVar cb = likeAxis(ch, "cb" + suffix);
    VarOrRVar cv = likeAxis(ch, "cv" + suffix);
    st.split(co, cb, cv, l.block / p.vec, tail).reorder(ci, xi, yi, cv, tx, ty, cb, yt, v.n);
    if (groups > 1 && p.winogradGroupInputs) {
      VarOrRVar cq = likeAxis(ch, "cq" + suffix);
      st.split(cb, cq, cb, static_cast<int>(blocks / groups), tail);
      inputLoop = LoopLevel(owner, cq);
      // Each (row task, group) pair a task (winogradGroupTasks), the same
      // work in smaller tasks: Caffe AlexNet's conv2 at root, 3 row tasks
      // an image, ran 6 at batch 1 instead of 3 on 2 threads: 0.97x-0.98x
      // the network's time at batch 1, 0.99x-1.01x at batch 8
      // (build/alternate, Zen 3, 2026-12-03). (A concat's update, whose
      // channels are a reduction domain, keeps its row tasks.) Numbered
      // group by group, so that a thread that runs them all in turn (a
      // share of the batch) keeps to one group's weights: Caffe AlexNet's
      // convs alone (to pool5) in shares, conv2's groups alternating every
      // row task, 0.94x-0.96x the time at batch 8 and 0.97x-0.98x at batch 2;
      // on both threads the same time (the whole network at batch 8 and 1,
      // the convs at batch 1; build/alternate, Sapphire Rapids,
      // 2026-12-06).
      if (parallel && p.winogradGroupTasks && !ch.is_rvar) {
        Var pair("tq" + suffix);
        st.reorder(yt, cq).fuse(yt, cq, pair);
        taskLoop = pair;
        inputLoop.reset(); // a task's group is its input transform's
      }
    }
    if (parallel) // else computed within a consumer's task (convIntoPool)
      st.parallel(taskLoop).parallel(v.n);
    vectorLoop = cv;
    blockLoop = LoopLevel(owner, cb);
  }
  // Named without a stage, as in convTile.
  LoopLevel task(owner, taskLoop);
  // The input transform reads the layer's input itself, zeros selected past
  // its edges, instead of a padded copy of the task's rows made first
  // (GoogLeNet 0.98x, 0.99x at batch 8, 0.97x at batch 1; AlexNet 0.98x,
  // 0.98x; build/alternate, 2026-11-28): lowerWinograd inlines it into V.
  Func in = l.helpers[0], m = l.tiles[0], product = l.parts[0];
  Var e("e"), t("tx"), mty("ty"), to("to" + suffix), ti("ti" + suffix), mo("mo" + suffix),
      mi("mi" + suffix);
  // Stored position by position: a product reads one position's tiles.
  // Computed a vector of channels at a time for all t^2 positions in one
  // loop body, so that the positions share the tile's loads and row
  // combinations (B^T d, CSE'd by LLVM): F(4x4, 3x3) took 849 arithmetic
  // instructions a tile and vector as 36 loops over channels, one a position,
  // and takes 237 so. GoogLeNet 0.99x at batch 8 (twice) and 1 (build/alternate,
  // 2026-11-29): the input transform is mostly waiting on its input's rows.
  // Vectors within a group's input channels: a task or a group's turn may
  // transform only those (6 channels a group by vectors of 8 reached
  // channel -2 of the input).
  const int inLanes = fit(p.vec, inChannels / groups);
  in.compute_at(inputLoop ? *inputLoop : task)
      .reorder_storage(v.c, t, e)
      .vectorize(v.c, inLanes)
      .reorder(e, v.c, t)
      .unroll(e);
  // Its first half, B^T d, a tile and vector of channels at a time.
  Func col = l.helpers[2];
  col.compute_at(in, v.c).vectorize(v.c, inLanes).unroll(e);
  int pixels = convTilePixels(l.block / p.vec, across, layoutOptions(p));
  m.compute_at(blockLoop ? *blockLoop : task)
      .split(v.c, mo, mi, l.block, TailStrategy::RoundUp)
      .split(t, to, ti, pixels, TailStrategy::ShiftInwards)
      .reorder(mi, ti, to, mty, mo, e)
      .vectorize(mi, p.vec)
      .unroll(mi)
      .unroll(ti);
  // A register tile of one block by the tiles along x (pixels), or by all
  // the tiles: each weight vector of a block and position is then loaded
  // once a task instead of once a row of tiles (AlexNet's conv3-conv5, 3 x 3
  // tiles: 3 vectors by 9 tiles where they were 4 by 3, their weights read
  // from L2 three times; AlexNet 0.94x-0.96x the time at batch 8, Caffe's
  // 0.96x-1.00x, GoogLeNet 1.00x; build/alternate, 2026-11-29).
  if (allTiles)
    product.compute_at(m, mo).vectorize(v.c, p.vec).unroll(v.c).unroll(t).unroll(mty);
  else
    product.compute_at(m, to).vectorize(v.c, p.vec).unroll(v.c).unroll(t);
  // The first half of the output transform, a tile's m x t vectors at a
  // time, for the m x m outputs of the tile and vector of channels.
  Var i("i"), row("p");
  Func half = l.helpers[1];
  half.compute_at(LoopLevel(owner, vectorLoop)).vectorize(v.c, p.vec).unroll(i).unroll(row);
  const RDom &r = l.reduce;
  Stage update = product.update();
  if (allTiles)
    update.reorder(v.c, t, mty, r.x, e).unroll(mty);
  else
    update.reorder(v.c, t, r.x, e);
  update.vectorize(v.c, p.vec).unroll(v.c).unroll(t);
  unrollChannels(update, r.x, p, suffix); // a group's input channels
}

// Computed at `within` (a consumer's task loop) where given, else at root.
void computeIn(Func f, const std::optional<LoopLevel> &within) {
  if (within)
    f.compute_at(*within);
  else
    f.compute_root();
}

// `pool`: the pool this conv reads, fused into it (fusedPool). `within`:
// the task loop of the pool that reads this conv, which computes the rows of
// it that it reads (convIntoPool); all of them where `wholeImages` (its
// channel tasks). `imageLevel`: where a Winograd conv that would be at root
// is computed instead, in its own parallel tasks (the loop over images of
// the pool that reads it through an LRN: lrnConvPerImage). `step`: where a
// direct conv of one group puts its reduction's step (convTile).
// `intoConsumer`: tiled by the concat or add that reads it (tileConvInto).
void scheduleConv(const Graph &g, const Node &node, Lowered &l, bool intoConsumer,
                  std::optional<Func> pool, std::optional<LoopLevel> within, const CpuParams &p,
                  const Vars &v, bool wholeImages = false,
                  std::optional<LoopLevel> imageLevel = std::nullopt,
                  std::optional<ChannelStep> *step = nullptr) {
  const Shape &s = node.shape;
  int64_t inChannels = g.node(node.inputs[0]).shape.c;
  if (l.winograd) {
    int64_t phases = winogradInputs(node, inChannels);
    // Its input stored channels innermost for V: a strided conv's phases, or
    // a copy of the network's planar input (lowerWinograd).
    if (l.padded.defined()) {
      computeIn(l.padded, within);
      if (!within)
        l.padded.parallel(v.y).parallel(v.n);
      if (node.attrs.stride[1] == 1) {
        // Vectors within a group's input channels where a consumer's task
        // copies only some groups' (a pool's channel tasks): vectors of 8
        // over a task's 4 channels reached channel -4 of the input.
        int64_t copied = within ? inChannels / node.attrs.groups : inChannels;
        l.padded.vectorize(v.c, fit(p.vec, copied));
      } else {
        // Each run of s phases (lowerWinograd) a vector of s lanes: a dense
        // load of the input where the run is inside it, a gather of clamped
        // pixels (zeros selected) where it reaches past an edge. Its columns
        // are partitioned into the edges and the inside even in a pool task's
        // guarded last rows, where Halide would not by itself (there Caffe
        // AlexNet's conv1 gathered all of them) and where there are edges
        // (else Halide stops with an error: nothing to partition). The
        // columns computed are all those the layer's tiles read, bounded so,
        // where its consumers read fewer (a 1x1 conv with a stride: the
        // columns past the edge were not computed, and Halide stopped).
        const int stride = static_cast<int>(node.attrs.stride[1]);
        int64_t tiles = (s.w + l.winograd - 1) / l.winograd;
        int64_t columns = tiles * l.winograd + winogradKernel(node) - 1; // of phases
        bool edges = node.attrs.pad.left > 0 ||
                     stride * columns - node.attrs.pad.left > g.node(node.inputs[0]).shape.w;
        Var run("run_" + l.padded.name()), phase("ph_" + l.padded.name());
        l.padded.split(v.c, run, phase, stride).vectorize(phase);
        if (phases / stride <= 16) // AlexNet's 12 runs, GoogLeNet's 6
          l.padded.unroll(run);
        if (edges)
          l.padded.bound(v.x, 0, static_cast<int>(columns)).partition(v.x, Partition::Always);
      }
    }
    if (!intoConsumer) {
      computeIn(l.value, imageLevel ? imageLevel : within);
      winogradTasks(l.value, l.value, v.c, l, s.w, s.h, phases, s.c, node.attrs.groups, p, v,
                    "_" + l.value.name(), !within, wholeImages);
    }
    return;
  }
  // The RGB stem's padded input is computed by each row task
  // for the input rows its kernel window covers (11 for AlexNet's conv1, read
  // again by the neighbouring rows' tasks) instead of for the whole batch
  // first: the copy stays in L1/L2 instead of making a round trip through
  // memory (5 MB at batch 8). AlexNet's conv1 alone: 8.7 -> 7.9 ms at batch
  // 8, 1.22 -> 1.18 ms at batch 1. A conv computed by its pool's tasks
  // (convIntoPool) has the copy made once a pool task, for all its conv
  // rows, instead of once a conv row (at stride 2, GoogLeNet's conv1 copied
  // each input row 3.5 times so): GoogLeNet's stem alone 0.96x at batch 8,
  // 0.94x at batch 1; the network 0.98x, 0.98x; AlexNet 0.95x at batch 8.
  bool stemRows = l.padded.defined() && !intoConsumer && l.parts.size() == 1 &&
                  inChannels < p.vec && s.h >= p.convBlockTasksBelow;
  if (l.padded.defined() && !stemRows)
    schedulePadded(l.padded, inChannels, p, v);
  if (intoConsumer)
    return; // tiled by the concat's update or the add (tileConvInto)
  if (l.parts.size() == 1) {
    computeIn(l.tiles[0], within);
    VarOrRVar task = convTile(l.tiles[0], l.tiles[0], v.c, l.parts[0], l.reduce, l.block, s.w, s.h,
                              p, v, "_" + l.tiles[0].name(), !within, step);
    if (stemRows)
      schedulePadded(l.padded, inChannels, p, v, within ? *within : LoopLevel(l.tiles[0], task));
    if (pool)
      pool->compute_at(LoopLevel(l.tiles[0], task));
    return;
  }
  int64_t perGroup = s.c / node.attrs.groups;
  if (perGroup % l.block == 0) {
    // Groups of whole weight blocks: each group's tiles are computed inside
    // the update that places the group, straight into the output (as convs
    // into a concat).
    l.value.compute_root();
    for (size_t g = 0; g < l.parts.size(); ++g)
      convTile(l.value, l.value.update(static_cast<int>(g)), l.updates[g].x, l.parts[g], l.reduce,
               l.block, s.w, s.h, p, v, "_" + l.tiles[g].name());
    return;
  }
  for (size_t g = 0; g < l.parts.size(); ++g) {
    l.tiles[g].compute_root();
    convTile(l.tiles[g], l.tiles[g], v.c, l.parts[g], l.reduce, l.block, s.w, s.h, p, v,
             "_" + l.tiles[g].name());
  }
  // Groups joined along channels, copied.
  l.value.compute_root();
  for (size_t g = 0; g < l.parts.size(); ++g)
    rowsParallel(l.value.update(static_cast<int>(g)), l.updates[g].x, perGroup, p, v.y, v.n);
}

// A 1x1 conv with one group and no padding.
bool isOneByOne(const Node &conv) {
  const Attrs &a = conv.attrs;
  return conv.op == OpKind::Conv && a.kernel[0] == 1 && a.kernel[1] == 1 && a.groups == 1 &&
         a.pad.top == 0 && a.pad.left == 0 && a.pad.bottom == 0 && a.pad.right == 0;
}

// A 1x1 conv with stride 1, no padding and one group: a row of it reads one
// row of its input.
bool isPointwise(const Node &conv) {
  const Attrs &a = conv.attrs;
  return isOneByOne(conv) && a.stride[0] == 1 && a.stride[1] == 1;
}

// The strides along x of the 1x1 convs (one group, no padding) that read
// node `id`'s buffer, directly or through elementwise ops inlined into them.
std::vector<int> oneByOneStrides(const Graph &g, const LoweredNet &net, int id) {
  std::vector<int> strides;
  for (int c : net.consumers[static_cast<size_t>(id)]) {
    const Node &n = g.node(c);
    if (isElementwise(n.op)) {
      std::vector<int> more = oneByOneStrides(g, net, c);
      strides.insert(strides.end(), more.begin(), more.end());
    } else if (isOneByOne(n)) {
      strides.push_back(static_cast<int>(n.attrs.stride[1]));
    }
  }
  return strides;
}

// The pool (max or average) that conv `conv` reads, where each of the conv's
// row tasks can compute the rows of it that the task reads, instead of the
// whole pool being computed at root and read back from memory: the conv is
// 1x1 with stride 1 and no padding (a row of it reads one row of the pool),
// its tasks are rows (convTile), and the pool has no other consumer. Else -1.
int fusedPool(const Graph &g, const LoweredNet &net, const Node &conv, const CpuParams &p) {
  if (!p.poolIntoConv || !isPointwise(conv) || conv.shape.h < p.convBlockTasksBelow)
    return -1;
  int id = conv.inputs[0];
  OpKind op = g.node(id).op;
  if ((op != OpKind::MaxPool && op != OpKind::AvgPool) ||
      net.consumers[static_cast<size_t>(id)].size() != 1)
    return -1;
  return id;
}

// The conv whose output reaches node `id` (the conv itself, or what reads
// it) only through elementwise ops, each node on the way, the conv
// included, used by nothing else; else -1. Where `lrn` is given, one LRN may
// be on the way too: set there (else -1).
int soleConvSource(const Graph &g, const LoweredNet &net, int id, int *lrn = nullptr) {
  int across = -1;
  while (net.consumers[static_cast<size_t>(id)].size() == 1) {
    const Node &n = g.node(id);
    if (n.op == OpKind::Conv) {
      if (lrn)
        *lrn = across;
      return id;
    }
    if (n.op == OpKind::Lrn && lrn && across < 0)
      across = id;
    else if (!isElementwise(n.op))
      return -1;
    id = n.inputs[0];
  }
  return -1;
}

// The conv (groups 1, whole weight blocks) whose output reaches input `i` of
// concat `cat` only through elementwise ops and is used by nothing else, or -1. Such a conv is
// computed tile by tile inside the concat's update that copies it, writing
// straight into the concat's buffer instead of a buffer of its own.
int convIntoConcat(const Graph &g, const LoweredNet &net, const Node &cat, size_t i,
                   const CpuParams &p) {
  int id = cat.inputs[i];
  if (!p.convIntoConcat)
    return -1;
  if (std::count(cat.inputs.begin(), cat.inputs.end(), id) != 1)
    return -1;
  int conv = soleConvSource(g, net, id);
  if (conv < 0)
    return -1;
  // Only whole weight blocks: a partial last tile of an update cannot be
  // padded (it would write the next input's channels).
  const Node &n = g.node(conv);
  return n.attrs.groups == 1 && n.shape.c % net.nodes[static_cast<size_t>(conv)].block == 0 ? conv
                                                                                            : -1;
}

// The direct conv (one group, whole weight blocks) whose output reaches an
// input of add `add` only through elementwise ops and is used by nothing
// else (the first such input), or -1. Such a conv is computed tile by tile
// inside the add, which adds the other inputs to each tile as it stores it:
// the conv's output is never written to memory and read back.
int convIntoAdd(const Graph &g, const LoweredNet &net, const Node &add, const CpuParams &p) {
  if (!p.convIntoAdd || add.op != OpKind::Add)
    return -1;
  for (int id : add.inputs) {
    if (std::count(add.inputs.begin(), add.inputs.end(), id) != 1)
      continue;
    int conv = soleConvSource(g, net, id);
    if (conv < 0 || !net.computes(conv) || conv == net.cut)
      continue;
    const Node &n = g.node(conv);
    const Lowered &c = net.nodes[static_cast<size_t>(conv)];
    if (!c.winograd && c.parts.size() == 1 && n.shape.c % c.block == 0)
      return conv;
  }
  return -1;
}

// The conv (one group) whose output reaches pool `pool` only through
// elementwise ops and is used by nothing else, where the pool's tasks (of
// convIntoPoolRows rows) can compute the rows of it that they read instead
// of the whole conv being written to memory and read back; else -1. With
// lrnIntoPool, one LRN may be on the way too (set in `lrn`, else -1): the
// tasks compute its rows as well (Caffe's GoogLeNet at batch 8 with this and
// lrnAfterPool 0.95x, 0.98x at batch 1; Caffe's AlexNet 1.00x:
// build/alternate, 2026-11-28).
int convIntoPool(const Graph &g, const LoweredNet &net, const Node &pool, const CpuParams &p,
                 int *lrn = nullptr) {
  if (p.convIntoPoolRows <= 0 || (pool.op != OpKind::MaxPool && pool.op != OpKind::AvgPool))
    return -1;
  int across = -1;
  int conv = soleConvSource(g, net, pool.inputs[0], p.lrnIntoPool ? &across : nullptr);
  if (conv < 0 || net.nodes[static_cast<size_t>(conv)].parts.size() != 1)
    return -1;
  if (lrn)
    *lrn = across;
  return conv;
}

// The 1x1 conv (stride 1, no padding, one group, not Winograd) whose output
// reaches conv `conv` only through elementwise ops and is used by nothing
// else, which the tasks that compute `conv` can compute too; else -1. Not
// where `conv` reads a padded copy of its input (computed at root).
// GoogLeNet's conv2 (into conv3 into pool2): torchvision's 0.97x, 0.97x at
// batch 8, 0.98x and 1.00x at batch 1; Caffe's 1.00x and 0.93x
// (build/alternate, 2026-11-28).
int pointwiseInto(const Graph &g, const LoweredNet &net, int conv, const CpuParams &p) {
  if (!p.pointwiseIntoPool || net.nodes[static_cast<size_t>(conv)].padded.defined())
    return -1;
  int id = soleConvSource(g, net, g.node(conv).inputs[0]);
  return id >= 0 && isPointwise(g.node(id)) && !net.nodes[static_cast<size_t>(id)].winograd ? id
                                                                                            : -1;
}

// Pool rows per row task of pool `pool` whose tasks compute a conv whose
// Winograd tile is `tile` (0: direct): convIntoPoolRows, but at most half
// the rows, for two tasks (AlexNet's conv5, 6 pool rows, ran on one core at
// batch 1 otherwise). Of a conv by F(4x4, 3x3), whose tiles and windows
// overlapping the next task's are 4 rows, two tasks an image (GoogLeNet's
// conv3 into pool2, batch 8 and 1: tasks of 7 pool rows 1.11x the time of
// F(2x2, 3x3), 8 rows 1.06x, 14 rows 0.84x and 0.81x). So too F(4x4, 4x4)
// (GoogLeNet's conv1 into pool1: tasks of 8 pool rows measured 0.99x and
// 1.05x the network's time at batch 8 and 1), and F(5x5, 3x3) likewise
// (not measured apart: no example's pool tasks compute one by rows).
int64_t poolTaskRows(const Node &pool, int64_t tile, const CpuParams &p) {
  int64_t half = (pool.shape.h + 1) / 2;
  return balancedRows(tile >= 4 ? half : std::min<int64_t>(p.convIntoPoolRows, half), pool.shape.h);
}

// Whether the row tasks of pool `pool`, computing Winograd conv `conv`
// (convIntoPool), would compute a tenth more conv rows than whole tiles of
// it: each task computes the conv rows its windows share with the next
// task's again and rounds its rows up to whole tiles. AlexNet's conv1, 55
// rows by F(4x4, 3x3), 60 rows in two tasks (the last guarded); conv2, 27
// rows by F(3x3, 5x5), 30; conv5, 13 rows by F(2x2, 3x3), 16.
bool rowTasksRecompute(const Graph &g, const LoweredNet &net, const Node &pool, int conv,
                       const CpuParams &p) {
  const Node &c = g.node(conv);
  const int64_t tile = net.nodes[static_cast<size_t>(conv)].winograd;
  if (!tile)
    return false;
  const int64_t height = c.shape.h, pooled = pool.shape.h, rows = poolTaskRows(pool, tile, p);
  const int64_t k = pool.attrs.kernel[0], stride = pool.attrs.stride[0], top = pool.attrs.pad.top;
  int64_t computed = 0;
  for (int64_t first = 0; first < pooled; first += rows) {
    int64_t last = std::min(first + rows, pooled) - 1; // the last task guarded
    int64_t lo = std::max<int64_t>(0, first * stride - top);
    int64_t hi = std::min(height - 1, last * stride - top + k - 1);
    computed += (hi - lo + tile) / tile * tile;
  }
  return computed * 10 >= (height + tile - 1) / tile * tile * 11;
}

// Whether pool `pool`, computing Winograd conv `conv` in its tasks
// (convIntoPool), runs two tasks an image of half the channels each, every
// row, instead of row tasks that compute a tenth more conv rows
// (rowTasksRecompute). Channel tasks compute each row once (each tile row
// in both halves) but transform the whole input in each: torchvision's
// AlexNet with conv5's, conv2's and conv1's in turn 0.97x, 0.95x and 0.92x
// the time at batch 8, 1.01x, 0.99x and 0.97x at batch 1; GoogLeNet's conv1
// (112 rows by F(4x4, 4x4), 120 in two tasks) and conv3 (with its 1x1 conv2
// in the task, computed twice so) 1.02x (build/alternate, 2026-11-29). So
// only where the halves are whole weight blocks and no 1x1 conv or LRN is
// computed in the task (an LRN's window would reach a block of the other
// half: convAtRoot). (Those figures were with the last row task shifted
// inwards; guarded, conv1's row tasks compute 60 rows, under the tenth,
// and measured as its channel tasks: 1.00x.) `lrn`: the LRN between conv
// and pool (convIntoPool), or -1.
bool poolChannelTasks(const Graph &g, const LoweredNet &net, const Node &pool, int conv, int lrn,
                      const CpuParams &p) {
  const Node &c = g.node(conv);
  const Lowered &l = net.nodes[static_cast<size_t>(conv)];
  return p.poolChannelTasks && l.winograd && c.attrs.out % 2 == 0 &&
         (c.attrs.out / 2) % l.block == 0 && lrn < 0 && pointwiseInto(g, net, conv, p) < 0 &&
         rowTasksRecompute(g, net, pool, conv, p);
}

// Whether Winograd conv `conv`, reaching pool `pool` through LRN `lrn`
// (convIntoPool), is computed at root, in its own tasks, rather than by the
// pool's row tasks, which compute only the LRN's rows and the pool's then:
// where those row tasks would compute a tenth more conv rows
// (rowTasksRecompute) and channel tasks cannot be had (the LRN's window
// crosses the halves). Caffe's AlexNet, conv2 so: 0.95x-0.96x the time at
// batch 8, 1.00x-1.01x at batch 1 (build/alternate, 2026-11-29); its conv1
// (60 rows computed for 55) stays. (Why the pool's row tasks cost more than
// their extra rows explain is open: docs/schedules.md.) A 5x5 conv by
// F(4x4, 5x5) that the pool reads with no LRN between is at root too:
// lower.cpp gives such a conv those tiles only for that
// (winograd5x5Tile4PoolRoot; readByPool), so that the parameter acts
// through the layout alone.
bool convAtRoot(const Graph &g, const LoweredNet &net, const Node &pool, int conv, int lrn,
                const CpuParams &p) {
  if (lrn < 0 && net.nodes[static_cast<size_t>(conv)].winograd == 4 &&
      winogradKernel(g.node(conv)) == 5)
    return true;
  return p.lrnConvAtRoot && lrn >= 0 && rowTasksRecompute(g, net, pool, conv, p);
}

// The LRN that reads pool `pool` (through elementwise ops; Caffe's
// GoogLeNet: pool1 -> norm1), itself and the pool used by nothing else, whose
// tasks then compute the pool's rows and its conv's; else the pool.
int lrnAfterPool(const Graph &g, const LoweredNet &net, const Node &pool, const CpuParams &p) {
  int id = pool.id;
  while (p.lrnIntoPool && net.consumers[static_cast<size_t>(id)].size() == 1) {
    id = net.consumers[static_cast<size_t>(id)][0];
    OpKind op = g.node(id).op;
    if (op == OpKind::Lrn)
      return net.consumers[static_cast<size_t>(id)].size() == 1 ? id : pool.id;
    if (!isElementwise(op))
      break;
  }
  return pool.id;
}

// Direct conv `conv` (one group) computed tile by tile (convTile) by stage
// `st` of `owner`, channel axis `ch`, of shape `s`: a concat's update or an
// add, which reads the conv as it stores; the pool that the conv's tasks
// compute (fusedPools) computed in the owner's tasks.
void tileConvInto(const Graph &g, LoweredNet &net, Func owner, Stage st, VarOrRVar ch, int conv,
                  const Shape &s, const std::vector<int> &fusedPools, const CpuParams &p,
                  const Vars &v, const std::string &suffix,
                  std::vector<std::optional<ChannelStep>> &steps, bool blocksInner = false) {
  const Lowered &c = net.nodes[static_cast<size_t>(conv)];
  VarOrRVar task = convTile(owner, st, ch, c.parts[0], c.reduce, c.block, s.w, s.h, p, v, suffix,
                            true, &steps[static_cast<size_t>(conv)], blocksInner);
  int pool = g.node(conv).inputs[0];
  if (fusedPools[static_cast<size_t>(pool)] == conv)
    net.nodes[static_cast<size_t>(pool)].value.compute_at(LoopLevel(owner, task));
}

// `fusedPools`: pool id -> the conv whose row tasks compute it, or -1.
// `steps`: conv id -> its reduction's step, set for the convs tiled here.
void scheduleConcat(const Graph &g, const Node &node, LoweredNet &net,
                    const std::vector<int> &fusedPools, const CpuParams &p, const Vars &v,
                    std::vector<std::optional<ChannelStep>> &steps) {
  Lowered &l = net.nodes[static_cast<size_t>(node.id)];
  l.value.compute_root();
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    Stage st = l.value.update(static_cast<int>(i));
    int conv = convIntoConcat(g, net, node, i, p);
    const Shape &s = g.node(node.inputs[i]).shape;
    if (conv < 0) {
      rowsParallel(st, l.updates[i].x, s.c, p, v.y, v.n);
      continue;
    }
    const Lowered &c = net.nodes[static_cast<size_t>(conv)];
    const std::string suffix = "_" + l.value.name() + "_" + std::to_string(i);
    if (c.winograd) {
      winogradTasks(l.value, st, l.updates[i].x, c, s.w, s.h,
                    winogradInputs(g.node(conv), g.node(g.node(conv).inputs[0]).shape.c), s.c, 1, p,
                    v, suffix);
      continue;
    }
    tileConvInto(g, net, l.value, st, l.updates[i].x, conv, s, fusedPools, p, v, suffix, steps);
  }
}

// A 1x1 conv's register tile broadcasts each input value from memory once,
// for all its output channels: where these are few (SqueezeNet's squeeze
// convs, 16-64 of them; GoogLeNet's 5x5 reduce convs, 16-48), it needs an
// input cache line every few FMAs. An input written a layer before, for a
// whole call or share, comes from L3 or memory, and the tile's pixels are
// 14 streams at once, which the hardware prefetchers did not keep ahead of
// (SqueezeNet's fire3.s, 128 -> 16 channels 55 wide, at 33-36 % of the peak;
// `perf annotate`: the FMAs of each step's first channel, whose broadcast
// starts a line, took the samples). So each step of the reduction
// prefetches the lines that the same step will read convPrefetchPixels
// pixels ahead: the same channels, that many pixel strides on (a tile
// after next, or the next row's first pixels at the end of a row). Halide
// prefetches a step's footprint shifted along the step's own loop, here
// over input channels, so the shift is given in steps: the pixels' stride
// in floats (fixed by bound_storage) over the step's channels. (A tile's
// whole footprint at once, along the loop over tiles, Halide 21 prefetches
// 256 bytes apart, not 64; placed right by a lowering pass, that burst of
// 112 lines took fire3.s's shape to 42 % of the peak, where these took it
// to 73-82 %.)
void prefetchPixels(const Graph &g, LoweredNet &net, const Node &conv, const ChannelStep &step,
                    const CpuParams &p, const Vars &v) {
  if (p.convPrefetchPixels <= 0 || !isPointwise(conv))
    return;
  int id = conv.inputs[0];
  while (isElementwise(g.node(id).op)) // inlined: the conv reads what they read
    id = g.node(id).inputs[0];
  if (!net.computes(id) || id == net.cut)
    return;
  const Node &src = g.node(id);
  Lowered &l = net.nodes[static_cast<size_t>(id)];
  Func store;
  int64_t stride = src.shape.c;
  switch (src.op) {
  case OpKind::Concat:
  case OpKind::MaxPool:
  case OpKind::AvgPool:
    store = l.value;
    break;
  case OpKind::Add:
    store = l.value;
    stride = pixelStride(src.shape.c, oneByOneStrides(g, net, id));
    break;
  case OpKind::Conv: // a buffer of whole weight blocks (convTile, winogradTasks)
    if (l.parts.size() != 1)
      return;
    store = l.winograd ? l.value : l.tiles[0];
    stride = (src.shape.c + l.block - 1) / l.block * l.block;
    break;
  default:
    return;
  }
  // Only a buffer of whole images: one computed within a task holds a few
  // rows, and what lies past them is not the next pixels.
  LoopLevel at = store.function().schedule().compute_level();
  at.lock(); // placed for good: the loop over nodes has scheduled every Func
  if (!at.is_root() || stride % step.channels != 0)
    return;
  store.bound_storage(v.c, static_cast<int>(stride));
  // The conv's reduction (convTile's `core`).
  net.nodes[static_cast<size_t>(conv.id)].parts[0].update().prefetch(
      store, step.loop, step.loop, static_cast<int>(p.convPrefetchPixels * stride / step.channels),
      PrefetchBoundStrategy::NonFaulting);
}

// fc, a matrix-vector product at batch 1 and a matrix-matrix product above:
// each task streams one block of fcBlock outputs' weights once and keeps the
// accumulators of a block of up to 8 images in registers (8 x 3 vectors on
// AVX-512), so that one weight vector loaded serves every image of the block.
// `weights`: the network's weights argument, which the fc's weights are a
// view of (prefetched).
void scheduleFc(const Node &node, Lowered &l, const ImageParam &weights, Expr batch,
                const CpuParams &p, const Vars &v) {
  int block = p.vec * p.fcVectors;
  int vec = fit(p.vec, node.shape.c);
  Var no("no"), ni("ni");
  Func out = l.value; // (c, x, y, n), x and y of extent 1
  out.compute_root();
  // Each block of images streams the weights once, its accumulators in
  // registers: 2-8 images in one block of all of them; more in the fewest
  // blocks of at most 8, of equal size (9 images as two blocks of 5), the
  // last one shifted back over images done before. (Blocks of 8 guarded for
  // 5-7 images kept the accumulators in memory: torchvision's AlexNet's fc
  // layers took 8.9-9.1 ms at batch 5 and 7 against 7.1 at batch 8; 2
  // images one at a time read the weights twice: 11.1 ms, the network 17.7
  // ms against 15.1 at batch 3. `cnnc bench --per-layer`, 2026-12-05.) A
  // task is a block of outputs for all the images, so that the blocks of
  // images after the first read its weights from the caches: batch 9, 12
  // and 16 0.95x the time (build/alternate).
  auto imageBlocks = [&](Stage s, int k) {
    s.split(v.c, v.co, v.ci, block, TailStrategy::GuardWithIf)
        .split(v.n, no, ni, k, TailStrategy::ShiftInwards)
        .reorder(v.ci, ni, v.x, v.y, no, v.co)
        .vectorize(v.ci, vec)
        .parallel(v.co);
  };
  const int most = 8; // images a block: 8 x 3 accumulators on AVX-512
  Expr blocks = (batch + most - 1) / most, images = (batch + blocks - 1) / blocks;
  for (int k = most; k >= 2; --k)
    imageBlocks(out.specialize(images == k), k);
  imageBlocks(out, 1); // 1 image

  // The accumulators of one block of outputs and images, in registers.
  const RDom &r = l.reduce;
  l.core.compute_at(out, no).vectorize(v.c, vec).unroll(v.c).unroll(v.n);
  Stage update = l.core.update();
  update.reorder(v.c, v.n, r.x, r.y, r.z).vectorize(v.c, vec).unroll(v.c).unroll(v.n);
  if (p.fcPrefetchBytes <= 0)
    return;
  // Each task streams its weights from memory once. At batch 8, 16 FMAs wait
  // on every weight line that misses, they fill the core's scheduler and
  // fewer lines are in flight: 7 GB/s per core against 13 at batch 1.
  // Prefetches far ahead, which wait on nothing, keep the stream going. The
  // reduction is unrolled so that the accumulators stay in registers around
  // the prefetch. Halide (21) covers a step's footprint of k cache lines with
  // k prefetches 256 bytes apart, not 64: with 2-line steps only every other
  // line is prefetched, with 3-line steps (AVX-512's 3 vectors) every line
  // once, with 1-line steps (AVX2's 2 vectors) exactly.
  VarOrRVar step = r.x;
  std::optional<int64_t> channels = Internal::as_const_int(r.x.extent());
  if (p.fcUnroll > 1 && channels && *channels % p.fcUnroll == 0) {
    RVar rxo(r.x.name() + "o"), rxi(r.x.name() + "i");
    update.split(r.x, rxo, rxi, p.fcUnroll).reorder(v.c, v.n, rxi, rxo).unroll(rxi);
    step = rxi;
  }
  int ahead = std::max(1, p.fcPrefetchBytes / (block * 4));
  update.prefetch(weights, step, step, ahead, PrefetchBoundStrategy::NonFaulting);
}

} // namespace

void scheduleCpu(const Graph &g, LoweredNet &net, const CpuParams &p) {
  Vars v;
  std::vector<bool> intoConsumer(g.size(), false); // conv id -> tiled by a concat or an add
  std::vector<int> fusedPools(g.size(), -1);       // pool id -> the conv that computes it
  std::vector<int> poolConvs(g.size(), -1);        // pool id -> its conv (convIntoPool)
  // A pool that computes its conv (convIntoPool) owns parallel tasks of
  // rows, or the LRN that reads it (lrnAfterPool) does. taskOwner: node id
  // -> the owner whose tasks compute it (the conv, unless convAtRoot puts
  // it at root; an LRN between conv and pool, the pool under an LRN, the
  // 1x1 conv feeding the conv: pointwiseInto); ownerPool: owner -> its pool.
  std::vector<int> taskOwner(g.size(), -1);
  std::vector<int> ownerPool(g.size(), -1);
  // pool id -> whether its tasks are channel halves of whole images
  // (poolChannelTasks), read by the pool and by the conv it computes.
  std::vector<bool> halves(g.size(), false);
  // conv id -> its owner's loop over images, where it is computed
  // (lrnConvPerImage); else none.
  std::vector<std::optional<LoopLevel>> imageLoop(g.size());
  // conv id -> its reduction's loop over steps of input channels, where it
  // is a direct conv of one group with such a loop.
  std::vector<std::optional<ChannelStep>> steps(g.size());
  for (const auto &nodePtr : g.nodes()) {
    if (!net.computes(nodePtr->id)) // another part's
      continue;
    int lrn = -1;
    int conv = convIntoPool(g, net, *nodePtr, p, &lrn);
    if (conv < 0)
      continue;
    int pool = nodePtr->id, owner = lrnAfterPool(g, net, *nodePtr, p);
    poolConvs[static_cast<size_t>(pool)] = conv;
    ownerPool[static_cast<size_t>(owner)] = pool;
    bool root = convAtRoot(g, net, *nodePtr, conv, lrn, p);
    if (root && lrn >= 0 && p.lrnConvPerImage)
      imageLoop[static_cast<size_t>(conv)] =
          LoopLevel(net.nodes[static_cast<size_t>(owner)].value, v.n);
    halves[static_cast<size_t>(pool)] =
        owner == pool && poolChannelTasks(g, net, *nodePtr, conv, lrn, p);
    for (int id : {root ? -1 : conv, lrn, owner == pool ? -1 : pool,
                   root ? -1 : pointwiseInto(g, net, conv, p)})
      if (id >= 0)
        taskOwner[static_cast<size_t>(id)] = owner;
  }
  // The task loop of owner `id`, where convIntoPool places its conv, and
  // the loop over rows within a task.
  auto poolTask = [&](int id) {
    return Var("prow_" + net.nodes[static_cast<size_t>(id)].value.name());
  };
  auto taskRow = [&](int id) {
    return Var("pyi_" + net.nodes[static_cast<size_t>(id)].value.name());
  };
  for (const auto &nodePtr : g.nodes()) {
    if (!net.computes(nodePtr->id))
      continue;
    if (nodePtr->op == OpKind::Concat)
      for (size_t i = 0; i < nodePtr->inputs.size(); ++i) {
        int conv = convIntoConcat(g, net, *nodePtr, i, p);
        if (conv >= 0)
          intoConsumer[static_cast<size_t>(conv)] = true;
      }
    if (int conv = convIntoAdd(g, net, *nodePtr, p); conv >= 0)
      intoConsumer[static_cast<size_t>(conv)] = true;
    int pool = fusedPool(g, net, *nodePtr, p);
    if (pool >= 0 && poolConvs[static_cast<size_t>(pool)] < 0) // conv into pool goes first
      fusedPools[static_cast<size_t>(pool)] = nodePtr->id;
  }
  for (const auto &nodePtr : g.nodes()) {
    const Node &node = *nodePtr;
    Lowered &l = net.nodes[static_cast<size_t>(node.id)];
    const Shape &s = node.shape;
    if (node.id == net.cut) // computed by the part before, into a buffer
      l.value.compute_root();
    if (!net.computes(node.id))
      continue;
    switch (node.op) {
    case OpKind::Input:
    case OpKind::Relu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::Dropout:
    case OpKind::BatchNorm:
      break; // inlined into consumers
    case OpKind::Conv: {
      size_t in = static_cast<size_t>(node.inputs[0]);
      int owner = taskOwner[static_cast<size_t>(node.id)];
      scheduleConv(
          g, node, l, intoConsumer[static_cast<size_t>(node.id)],
          fusedPools[in] == node.id ? std::optional<Func>(net.nodes[in].value) : std::nullopt,
          owner >= 0 ? std::optional<LoopLevel>(
                           LoopLevel(net.nodes[static_cast<size_t>(owner)].value, poolTask(owner)))
                     : std::nullopt,
          p, v, owner >= 0 && halves[static_cast<size_t>(owner)],
          imageLoop[static_cast<size_t>(node.id)], &steps[static_cast<size_t>(node.id)]);
      break;
    }
    case OpKind::Fc:
      scheduleFc(node, l, net.weightData, net.input.dim(3).extent(), p, v);
      break;
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::Lrn: {
      const int lanes = fit(p.vec, s.c); // floats per vector over channels
      Var row = v.y, chan = v.c;
      int owner = taskOwner[static_cast<size_t>(node.id)];
      if (owner >= 0) {
        // A row at a time as the owner's rows need them, each computed once
        // a task (the rows of its window kept from row to row).
        Func f = net.nodes[static_cast<size_t>(owner)].value;
        l.value.store_at(LoopLevel(f, poolTask(owner)))
            .compute_at(LoopLevel(f, taskRow(owner)))
            .vectorize(v.c, lanes);
        // An LRN's rows, kept for its pool's window, in a ring of rows:
        // Caffe GoogLeNet's norm2 stored a task's 29 rows (1.2 MB), the
        // task's F(4x4) conv3 rows beside them (1.4 MB) overflowing L2; as
        // 4 rows, 0.97x the time at batch 8.
        if (node.op == OpKind::Lrn && ownerPool[static_cast<size_t>(owner)] >= 0) {
          const Attrs &pool = g.node(ownerPool[static_cast<size_t>(owner)]).attrs;
          int rows = 1;
          while (rows < std::max(pool.kernel[0], pool.stride[0]))
            rows *= 2;
          l.value.fold_storage(v.y, rows);
        }
      } else if (fusedPools[static_cast<size_t>(node.id)] >= 0) { // placed by its conv
        if (lanes > 1)
          l.value.vectorize(v.c, lanes);
      } else if (ownerPool[static_cast<size_t>(node.id)] >= 0) {
        // Tasks of poolTaskRows rows, each computing the conv rows it reads
        // (unless the conv is at root: convAtRoot). A task's tiles start
        // at its first row, wherever that is. (Its rows were rounded up to
        // whole tiles of the conv's: by F(3x3, 5x5) AlexNet's 13 pool rows
        // made two tasks of 9 instead of 7, 21 conv rows each instead of 15,
        // computed as 27 in chunks of 3 tiles; torchvision's conv2 into
        // pool2 alone at batch 8 took 12.7 ms so, 7.6 ms in tasks of 7,
        // 6.1 ms with the chunks guarded (winogradTasks), against 9.8 ms by
        // F(2x2, 5x5).) The last task is guarded, not shifted inwards: two
        // tasks writing the same pool rows, each computing them by its own
        // tiles or code path, left which one's rounding stayed to the
        // threads (tests/e2e/lrnpool.cnn gave two different outputs in 8
        // runs at batch 2); torchvision AlexNet 1.00x, Caffe AlexNet 1.01x at
        // batch 8.
        const Node &pool = g.node(ownerPool[static_cast<size_t>(node.id)]);
        int conv = poolConvs[static_cast<size_t>(pool.id)];
        bool inTask = taskOwner[static_cast<size_t>(conv)] == node.id;
        int64_t rows =
            poolTaskRows(pool, inTask ? net.nodes[static_cast<size_t>(conv)].winograd : 0, p);
        row = taskRow(node.id);
        if (halves[static_cast<size_t>(node.id)]) {
          Var half("ch_" + l.value.name());
          chan = Var("cv_" + l.value.name());
          l.value.compute_root()
              .split(v.c, half, chan, static_cast<int>(g.node(conv).attrs.out / 2))
              .split(v.y, poolTask(node.id), row, static_cast<int>(s.h))
              .vectorize(chan, lanes)
              .reorder(chan, v.x, row, poolTask(node.id), half, v.n)
              .parallel(half)
              .parallel(v.n);
        } else {
          l.value.compute_root()
              .split(v.y, poolTask(node.id), row, static_cast<int>(rows), TailStrategy::GuardWithIf)
              .vectorize(v.c, lanes)
              .parallel(poolTask(node.id))
              .parallel(v.n);
        }
      } else {
        l.value.compute_root();
        rowsParallel(l.value, v.c, s.c, p, v.y, v.n);
      }
      if (l.padded.defined())
        l.padded.compute_at(l.value, row).vectorize(v.c, lanes);
      if (l.core.defined()) {
        l.core.compute_at(l.value, row).vectorize(v.c, lanes);
        vectorizeUpdate(l.core, v.c, lanes);
      }
      // Short loops over channel vectors unrolled, with the LRN's squares:
      // a loop of a few vectors a pixel ends in a branch each pixel. Caffe
      // AlexNet's norm1 (6 vectors) between conv1 and pool1 added 1.1-1.4 ms
      // to them at batch 8 looped, 0.6-0.7 ms unrolled (a micro-network).
      bool unrolled = lanes == p.vec && s.c <= int64_t(p.unrollChannelVectors) * p.vec;
      if (unrolled)
        l.value.unroll(chan);
      for (Func &h : l.helpers) {
        h.compute_at(l.value, row).vectorize(v.c, lanes);
        // The squares of an unrolled LRN over whole vectors, those past
        // the channels' edges zeros: else the first vector selected its
        // two lanes below channel 0 and the last gathered clamped
        // channels, a pixel at a time (Caffe AlexNet's conv1, norm1 and
        // pool1 alone: the squares' loops 0.83x the samples by `perf` at
        // batch 8; the time 0.989x and 0.998x at batch 8, 0.974x at batch
        // 1, where an identical copy took 1.000x, 0.998x and 1.003x;
        // build/alternate, Sapphire Rapids, 2026-12-06).
        if (unrolled && node.op == OpKind::Lrn)
          h.align_bounds(v.c, lanes);
        // The LRN's squares, over its channels and up to size/2 beyond each
        // edge, read the input at clamped channels: Halide splits their loop
        // into the edge vectors and the dense ones between, but by itself
        // not in the tail case of an outer partitioned loop (the second of
        // Caffe AlexNet's two norm2 row tasks gathered every vector, a
        // quarter of that stage's samples; partitioned, the stage 0.79x by
        // `perf` at batch 8). Asked where there are edges and vectors
        // between them (Halide stops with an error where it finds nothing
        // to split).
        if (unrolled)
          h.unroll(v.c);
        else if (node.op == OpKind::Lrn && lanes > 1 && node.attrs.size > 1 &&
                 s.c + node.attrs.size - 1 >= 3 * int64_t(lanes))
          h.partition(v.c, Partition::Always);
      }
      break;
    }
    case OpKind::GlobalAvgPool:
      l.helpers[0].compute_root().vectorize(v.c, fit(p.vec, s.c)).parallel(v.n);
      vectorizeUpdate(l.helpers[0], v.c, fit(p.vec, s.c));
      break;
    case OpKind::Concat:
      scheduleConcat(g, node, net, fusedPools, p, v, steps);
      break;
    case OpKind::Softmax:
      l.value.compute_root().parallel(v.n);
      for (Func &h : l.helpers) {
        h.compute_root().parallel(v.n);
        if (h.has_update_definition())
          h.update().parallel(v.n);
      }
      break;
    case OpKind::Add:
    case OpKind::Flatten: {
      l.value.compute_root();
      int conv = convIntoAdd(g, net, node, p);
      if (conv < 0) {
        rowsParallel(l.value, v.c, s.c, p, v.y, v.n);
      } else {
        tileConvInto(g, net, l.value, l.value, v.c, conv, s, fusedPools, p, v, "_" + l.value.name(),
                     steps, true);
      }
      if (node.op == OpKind::Add) // read by ResNet-50's 1x1 convs
        padPixels(l.value, v.c, s.c, oneByOneStrides(g, net, node.id));
      break;
    }
    }
  }
  for (const auto &nodePtr : g.nodes())
    if (steps[static_cast<size_t>(nodePtr->id)])
      prefetchPixels(g, net, *nodePtr, *steps[static_cast<size_t>(nodePtr->id)], p, v);
  if (net.last != g.output) // a part's last node, scheduled above
    return;
  const Shape &out = g.node(g.output).shape;
  net.output.compute_root().parallel(v.n);
  if (out.w >= p.vec)
    net.output.vectorize(v.x, p.vec);
}

} // namespace cnnc
