// CPU schedules. Activations are (c, x, y, n), channels innermost, so every
// op vectorizes over channels. Elementwise ops are inlined into their
// consumers; every other op is computed once, at root, parallel over rows.
#include "schedules/cpu.h"

#include <algorithm>

namespace cnnc {

using namespace Halide;

CpuParams defaultCpuParams(const Target &t) {
  CpuParams p;
  if (t.has_feature(Target::AVX512_Skylake) || t.has_feature(Target::AVX512)) {
    p.vec = 16;
    p.convVectors = 4;
    p.convPixels = 7;
  } else if (t.arch == Target::X86 && t.has_feature(Target::AVX2)) {
    p.vec = 8;
  } else {
    p.vec = 4;
  }
  return p;
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

// Parallel over rows (and images), vectorized over channels.
void rowsParallel(Stage st, VarOrRVar ch, int64_t channels, const CpuParams &p, Var y, Var n) {
  int v = fit(p.vec, channels);
  if (v > 1)
    st.vectorize(ch, v);
  st.parallel(y).parallel(n);
}

// A reduction's update vectorized over channels; the tail is guarded, since
// recomputing an update would apply it twice.
void vectorizeUpdate(Func f, Var c, int vec) {
  if (vec > 1)
    f.update().vectorize(c, vec, TailStrategy::GuardWithIf);
}

struct Vars {
  Var c{"c"}, x{"x"}, y{"y"}, n{"n"};
  Var co{"co"}, ci{"ci"}, xo{"xo"}, xi{"xi"};
};

// The register-tiled convolution of apps/conv_layer: a tile of `block`
// output channels (a whole weight block, some vectors) by `convPixels`
// output columns is held in registers while the reduction over input
// channels, kx and ky runs, reading the block's weights contiguously. The
// output is tiled over whole blocks (RoundUp: the buffer is padded to them).
void convTile(Func tile, Func core, RDom r, int block, int64_t width, int64_t height,
              const CpuParams &p, const Vars &v) {
  int pixels = static_cast<int>(std::min<int64_t>(p.convPixels, width));
  // Parallel tasks are rows, or (row, channel block) pairs on small layers.
  Var task("task");
  tile.compute_root()
      .split(v.c, v.co, v.ci, block, TailStrategy::RoundUp)
      .split(v.x, v.xo, v.xi, pixels)
      .reorder(v.ci, v.xi, v.xo, v.co, v.y, v.n)
      .vectorize(v.ci, p.vec)
      .unroll(v.ci)
      .unroll(v.xi)
      .parallel(v.n);
  if (height < p.convBlockTasksBelow)
    tile.fuse(v.co, v.y, task).parallel(task);
  else
    tile.parallel(v.y);
  core.compute_at(tile, v.xo).vectorize(v.c, p.vec).unroll(v.c).unroll(v.x);
  // r.x: input channel, r.y: kx, r.z: ky.
  core.update()
      .reorder(v.c, v.x, v.y, r.x, r.y, r.z, v.n)
      .vectorize(v.c, p.vec)
      .unroll(v.c)
      .unroll(v.x)
      .unroll(v.y);
}

void scheduleConv(const Node &node, Lowered &l, const CpuParams &p, const Vars &v) {
  const Shape &s = node.shape;
  if (l.padded.defined())
    l.padded.compute_root().parallel(v.y).parallel(v.n);
  int64_t perGroup = s.c / node.attrs.groups;
  for (size_t g = 0; g < l.parts.size(); ++g)
    convTile(l.tiles[g], l.parts[g], l.reduce, l.block, s.w, s.h, p, v);
  if (l.parts.size() > 1) { // groups joined along channels
    l.value.compute_root();
    for (size_t g = 0; g < l.parts.size(); ++g)
      rowsParallel(l.value.update(static_cast<int>(g)), l.updates[g].x, perGroup, p, v.y, v.n);
  }
}

// fc, a matrix-vector product at batch 1 and a matrix-matrix product above:
// each task streams one block of fcBlock outputs' weights once, and with 4 or
// 8 images keeps their accumulators in registers (8 x 2 vectors on AVX-512),
// so that one weight vector loaded serves every image of the batch block.
void scheduleFc(const Node &node, Lowered &l, Expr batch, const CpuParams &p, const Vars &v) {
  int block = p.vec * p.fcVectors;
  int vec = fit(p.vec, node.shape.c);
  Var no("no"), ni("ni");
  Func out = l.value; // (c, x, y, n), x and y of extent 1
  out.compute_root();
  for (int images : {8, 4})
    out.specialize(batch >= images / 2 + 1) // 5+ images: 8 at a time; 3 or 4: 4
        .split(v.c, v.co, v.ci, block, TailStrategy::GuardWithIf)
        .split(v.n, no, ni, images, TailStrategy::GuardWithIf)
        .reorder(v.ci, ni, v.x, v.y, v.co, no)
        .vectorize(v.ci, vec)
        .parallel(v.co);
  out.split(v.c, v.co, v.ci, block, TailStrategy::GuardWithIf)
      .reorder(v.ci, v.x, v.y, v.co, v.n)
      .vectorize(v.ci, vec)
      .parallel(v.co);
  // The accumulators of one block of outputs and images, in registers.
  const RDom &r = l.reduce;
  l.core.compute_at(out, v.co).vectorize(v.c, vec).unroll(v.c).unroll(v.n);
  l.core.update().reorder(v.c, v.n, r.x, r.y, r.z).vectorize(v.c, vec).unroll(v.c).unroll(v.n);
}

} // namespace

void scheduleCpu(const Graph &g, LoweredNet &net, const CpuParams &p) {
  Vars v;
  for (const auto &nodePtr : g.nodes()) {
    const Node &node = *nodePtr;
    Lowered &l = net.nodes[static_cast<size_t>(node.id)];
    const Shape &s = node.shape;
    switch (node.op) {
    case OpKind::Input:
    case OpKind::Relu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::Dropout:
    case OpKind::BatchNorm:
      break; // inlined into consumers
    case OpKind::Conv:
      scheduleConv(node, l, p, v);
      break;
    case OpKind::Fc:
      scheduleFc(node, l, net.input.dim(3).extent(), p, v);
      break;
    case OpKind::MaxPool:
    case OpKind::AvgPool:
    case OpKind::Lrn:
      l.value.compute_root();
      rowsParallel(l.value, v.c, s.c, p, v.y, v.n);
      if (l.padded.defined())
        l.padded.compute_at(l.value, v.y).vectorize(v.c, fit(p.vec, s.c));
      if (l.core.defined()) {
        l.core.compute_at(l.value, v.y).vectorize(v.c, fit(p.vec, s.c));
        vectorizeUpdate(l.core, v.c, fit(p.vec, s.c));
      }
      for (Func &h : l.helpers)
        h.compute_at(l.value, v.y).vectorize(v.c, fit(p.vec, s.c));
      break;
    case OpKind::GlobalAvgPool:
      l.helpers[0].compute_root().vectorize(v.c, fit(p.vec, s.c)).parallel(v.n);
      vectorizeUpdate(l.helpers[0], v.c, fit(p.vec, s.c));
      break;
    case OpKind::Concat: {
      l.value.compute_root();
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        rowsParallel(l.value.update(static_cast<int>(i)), l.updates[i].x,
                     g.node(node.inputs[i]).shape.c, p, v.y, v.n);
      }
      break;
    }
    case OpKind::Softmax:
      l.value.compute_root().parallel(v.n);
      for (Func &h : l.helpers) {
        h.compute_root().parallel(v.n);
        if (h.has_update_definition())
          h.update().parallel(v.n);
      }
      break;
    case OpKind::Add:
    case OpKind::Flatten:
      l.value.compute_root();
      rowsParallel(l.value, v.c, s.c, p, v.y, v.n);
      break;
    }
  }
  const Shape &out = g.node(g.output).shape;
  net.output.compute_root().parallel(v.n);
  if (out.w >= p.vec)
    net.output.vectorize(v.x, p.vec);
}

} // namespace cnnc
