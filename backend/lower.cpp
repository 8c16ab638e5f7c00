// IR -> Halide Funcs, op by op (the algorithm; schedules are elsewhere).
#include "backend/lower.h"

#include "backend/library.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "ir/ops.h"

namespace cnnc {

using namespace Halide;

namespace {

// Windows of at most this many elements (max pools, LRN across channels)
// are written out as one expression instead of a reduction loop, whose
// counters, clamps and accumulator cost more than the loads it makes.
constexpr int kUnrolledWindow = 16;

} // namespace

int convTilePixels(int vectors, int64_t width, const LowerOptions &o) {
  int64_t pixels = std::clamp(o.convAccumulators / vectors, 1, o.convMaxPixels);
  if (width <= 0)
    return static_cast<int>(pixels);
  int64_t tiles = (width + pixels - 1) / pixels;
  return static_cast<int>((width + tiles - 1) / tiles);
}

int convBlock(int64_t channels, int64_t width, const LowerOptions &o) {
  int best = o.vec;
  double bestCost = std::numeric_limits<double>::infinity();
  for (int v = 1; v <= o.convVectors; ++v) {
    int64_t b = int64_t(o.vec) * v;
    int64_t padded = (channels + b - 1) / b * b;
    int p = convTilePixels(v, width, o);
    double fmas = double(v) * p;
    double cycles = std::max(fmas / o.convFmasPerCycle, double(v + p)) + 1.2 * v;
    int64_t w = std::max<int64_t>(width, 1), computed = (w + p - 1) / p * p; // last tile shifted
    double cost = double(padded) * cycles / fmas * double(computed) / double(w);
    if (cost <= bestCost) { // ties: more vectors
      bestCost = cost;
      best = static_cast<int>(b);
    }
  }
  return best;
}

namespace {

// `o` for the weight block of a direct conv of `height` output rows,
// `inputs` input channels a group, a kernel of `area` pixels and `outputs`
// output channels a group: no more vectors than fit convBlockWeightBytes
// where the schedule runs its (row, block) pairs as tasks, and where that
// limit binds, the most vectors under it that make whole blocks, if any (a
// conv of whole blocks is written into the add or concat it feeds): ResNet's
// 7x7 3x3 convs of 512 channels in blocks of 2 vectors, not 3 (528
// channels computed, the add apart); ResNet-18 at batch 8 0.928x the time,
// at batch 1 1.025x (build/alternate, Zen 5, 2026-12-08).
LowerOptions directBlockOptions(const LowerOptions &o, int64_t height, int64_t inputs, int64_t area,
                                int64_t outputs) {
  LowerOptions b = o;
  if (o.convBlockWeightBytes <= 0 || height >= o.convBlockTasksBelow)
    return b;
  while (b.convVectors > 1 &&
         inputs * area * b.convVectors * o.vec * int64_t(sizeof(float)) > o.convBlockWeightBytes)
    --b.convVectors;
  if (b.convVectors < o.convVectors)
    for (int v = b.convVectors; v >= 1; --v)
      if (outputs % (int64_t(v) * o.vec) == 0) {
        b.convVectors = v;
        break;
      }
  return b;
}

} // namespace

bool convWinograd(const Node &node, int64_t inChannels, const LowerOptions &o) {
  const Attrs &a = node.attrs;
  if (node.op != OpKind::Conv || a.groups < 1)
    return false;
  if (a.stride[0] > 1 || a.stride[1] > 1) { // by its phases (winogradStrided)
    int r = winogradKernel(node);
    return o.winogradStrided && o.winogradChannels > 0 && a.stride[0] == a.stride[1] &&
           a.kernel[0] == a.kernel[1] && a.groups == 1 && a.dilation[0] == 1 &&
           a.dilation[1] == 1 && (r == 3 || r == 4) && a.out >= o.winogradChannels &&
           node.shape.w >= o.winogradWidth;
  }
  int64_t ci = inChannels / a.groups, co = a.out / a.groups;
  // Groups: whole vectors of output channels each, so that a weight block
  // (and vector) never spans two groups.
  return o.winogradChannels > 0 && (a.kernel[0] == 3 || a.kernel[0] == 5) &&
         a.kernel[1] == a.kernel[0] && a.stride[0] == 1 && a.stride[1] == 1 && a.dilation[0] == 1 &&
         a.dilation[1] == 1 && (a.groups == 1 || co % o.vec == 0) && ci >= o.winogradChannels &&
         co >= o.winogradChannels && node.shape.w >= o.winogradWidth;
}

bool winograd5x5(const Shape &out, const LowerOptions &o) {
  auto products = [&](int64_t m, int64_t t) {
    return (out.w + m - 1) / m * ((out.h + m - 1) / m) * t * t;
  };
  return o.winograd5x5Width > 0 && out.w >= o.winograd5x5Width && products(5, 7) < products(4, 6);
}

int winogradAllTilesBlock(int64_t channels, int64_t groups, int64_t tiles, const LowerOptions &o) {
  if (o.winogradRegisterTiles <= 0 || tiles > o.winogradRegisterTiles)
    return 0;
  for (int v = o.convVectors; v >= 2; --v) {
    int64_t b = int64_t(v) * o.vec;
    if (v * tiles <= o.convAccumulators && channels % b == 0 && groups * channels / b % 2 == 0)
      return static_cast<int>(b);
  }
  return 0;
}

int winogradKernel(const Node &conv) {
  int s = static_cast<int>(conv.attrs.stride[1]), k = static_cast<int>(conv.attrs.kernel[1]);
  return (k + s - 1) / s;
}

int64_t winogradInputs(const Node &conv, int64_t channels) {
  return channels * conv.attrs.stride[1] * conv.attrs.stride[1];
}

namespace {

Var c("c"), x("x"), y("y"), n("n");

// max(e, 0) that passes a NaN on, as PyTorch's relu does. select(e < 0, 0,
// e) is x86's maxps(0, e), which returns its second operand where either is
// NaN; strict_float keeps Halide from rewriting it to max(e, 0), maxps(e, 0),
// which returns the 0. One instruction either way: both AlexNets and both
// GoogLeNets took 1.000x-1.009x the time at batch 8 (build/alternate,
// 2026-12-04).
Expr relu(Expr e) { return strict_float(select(e < 0.0f, 0.0f, e)); }

class Lowerer {
public:
  Lowerer(const Graph &g, const LowerOptions &opts, const LowerPart &part)
      : g_(g), opts_(opts), part_(part) {}

  LoweredNet run() {
    net_.nodes.resize(g_.size());
    net_.consumers.resize(g_.size());
    for (const auto &node : g_.nodes())
      for (int in : node->inputs)
        net_.consumers[static_cast<size_t>(in)].push_back(node->id);
    // A batchnorm whose input is a conv used by nothing else is folded into
    // that conv's weights and bias at load.
    folded_.assign(g_.size(), -1);
    for (const auto &node : g_.nodes())
      if (node->op == OpKind::BatchNorm) {
        const Node &src = g_.node(node->inputs[0]);
        if (src.op == OpKind::Conv && net_.consumers[static_cast<size_t>(src.id)].size() == 1)
          folded_[static_cast<size_t>(src.id)] = node->id;
      }
    // A relu that alone reads a conv (through such a batchnorm) or an add is
    // applied by it as it stores each output (reluAfter).
    reluApplied_.assign(g_.size(), false);
    for (const auto &node : g_.nodes()) {
      int relu = node->op == OpKind::Conv || node->op == OpKind::Add ? reluAfter(*node) : -1;
      if (relu >= 0)
        reluApplied_[static_cast<size_t>(relu)] = true;
    }
    net_.weightData = ImageParam(Float(32), 1, "weights");
    net_.weightData.dim(0).set_min(0);
    net_.cut = part_.cut;
    net_.last = part_.last < 0 ? g_.output : part_.last;
    if (part_.cut >= 0)
      lowerCut();
    for (const auto &node : g_.nodes())
      if (net_.computes(node->id))
        net_.nodes[static_cast<size_t>(node->id)] = lowerNode(*node);
    const Func &last = net_.nodes[static_cast<size_t>(net_.last)].value;
    if (net_.last != g_.output) {
      net_.output = last;
      return std::move(net_);
    }
    net_.output = Func("output");
    net_.output(x, y, c, n) = last(c, x, y, n);
    return std::move(net_);
  }

private:
  // A part after the first (LowerPart): the input, the weights of the
  // parts before at their places in weightData, and node `cut`, computed by
  // the part before from the input and weightData.
  void lowerCut() {
    inputParam(g_.node(g_.input).shape);
    for (const WeightArg &w : part_.before)
      addWeight(w);
    Func f("n" + std::to_string(part_.cut));
    f.define_extern(part_.cutFunction, {net_.input, net_.weightData}, Float(32), {c, x, y, n});
    net_.nodes[static_cast<size_t>(part_.cut)].value = f;
  }

  void inputParam(const Shape &s) {
    net_.input = ImageParam(Float(32), 4, "input");
    net_.input.dim(0).set_bounds(0, static_cast<int>(s.w));
    net_.input.dim(1).set_bounds(0, static_cast<int>(s.h));
    net_.input.dim(2).set_bounds(0, static_cast<int>(s.c));
  }

  const Func &in(const Node &node, size_t i = 0) const {
    return net_.nodes[static_cast<size_t>(node.inputs.at(i))].value;
  }
  const Shape &inShape(const Node &node, size_t i = 0) const {
    return g_.node(node.inputs.at(i)).shape;
  }

  // A weight tensor: a view of its place in weightData, packed densely
  // there by the loader (constant strides let the compiler fold addresses).
  Func weight(Pack pack, std::vector<WeightArg::Source> sources, std::vector<int64_t> dims,
              double eps = 0, int64_t groups = 1, int64_t stride = 1) {
    WeightArg w;
    w.pack = pack;
    w.eps = eps;
    w.groups = groups;
    w.stride = stride;
    w.sources = std::move(sources);
    w.dims = std::move(dims);
    Expr index = static_cast<int>(addWeight(w));
    Func view("w" + std::to_string(net_.weights.size() - 1));
    std::vector<Var> at;
    int64_t step = 1;
    for (size_t d = 0; d < w.dims.size(); ++d) {
      at.emplace_back("d" + std::to_string(d));
      index += at.back() * static_cast<int>(step);
      step *= w.dims[d];
    }
    view(at) = net_.weightData(index);
    return view;
  }

  // Places `w` after the weights before it, on a 64-byte boundary; its offset.
  int64_t addWeight(const WeightArg &w) {
    int64_t size = 1;
    for (int64_t d : w.dims)
      size *= d;
    int64_t offset = (net_.weightFloats + 15) / 16 * 16;
    if (offset + size > INT32_MAX)
      throw UserError("the network's weights, as the library stores them (a Winograd conv's "
                      "transformed, up to 4 times their number), take more than 2^31 - 1 floats: "
                      "too many for Halide's 32-bit indexing");
    net_.weightFloats = offset + size;
    net_.weights.push_back(w);
    net_.weights.back().offset = offset;
    return offset;
  }

  // The input of a window op, extended past its edges with `outside`. Also
  // used without padding when ceil-mode windows may run past the input, or
  // `always`.
  Func padInput(const Node &node, Expr outside, const std::string &name, bool always = false,
                bool likelyInside = false) {
    const Padding &p = node.attrs.pad;
    const Func &src = in(node);
    bool padded = always || p.top || p.left || p.bottom || p.right || node.attrs.ceil;
    if (!padded)
      return src;
    const Shape &s = inShape(node);
    Func f(name);
    // `likelyInside`: each bound likely on its own, so that the simplifier
    // cannot fold them together (x < w && y < h into max(x, y) < w).
    auto bound = [&](Expr e) { return likelyInside ? likely(e) : e; };
    Expr inside = bound(x >= 0) && bound(x < static_cast<int>(s.w)) && bound(y >= 0) &&
                  bound(y < static_cast<int>(s.h));
    f(c, x, y, n) = select(
        inside,
        src(c, clamp(x, 0, static_cast<int>(s.w) - 1), clamp(y, 0, static_cast<int>(s.h) - 1), n),
        outside);
    return f;
  }

  Lowered lowerNode(const Node &node) {
    switch (node.op) {
    case OpKind::Conv:
      return lowerConv(node);
    case OpKind::Fc:
      return lowerFc(node);
    case OpKind::MaxPool:
    case OpKind::AvgPool:
      return lowerPool(node);
    case OpKind::Lrn:
      return lowerLrn(node);
    default:
      return lowerSimple(node);
    }
  }

  // Ops that need no reduction of their own over a window.
  Lowered lowerSimple(const Node &node) {
    Lowered l;
    const std::string name = "n" + std::to_string(node.id);
    Func f(name);
    const Attrs &a = node.attrs;
    switch (node.op) {
    case OpKind::Input: {
      inputParam(node.shape);
      f(c, x, y, n) = net_.input(x, y, c, n);
      break;
    }
    case OpKind::GlobalAvgPool: {
      const Shape &s = inShape(node);
      RDom r(0, static_cast<int>(s.w), 0, static_cast<int>(s.h), name + "_r");
      Func sum(name + "_sum");
      sum(c, n) += in(node)(c, r.x, r.y, n);
      f(c, x, y, n) = sum(c, n) * (1.0f / static_cast<float>(s.h * s.w));
      l.helpers.push_back(sum);
      break;
    }
    case OpKind::Relu:
      if (reluApplied_[static_cast<size_t>(node.id)])
        f(c, x, y, n) = in(node)(c, x, y, n); // applied by its conv or add (reluAfter)
      else
        f(c, x, y, n) = relu(in(node)(c, x, y, n));
      break;
    case OpKind::Sigmoid:
      f(c, x, y, n) = 1.0f / (1.0f + exp(-in(node)(c, x, y, n)));
      break;
    case OpKind::Tanh:
      f(c, x, y, n) = tanh(in(node)(c, x, y, n));
      break;
    case OpKind::Dropout: // identity at inference
      f(c, x, y, n) = in(node)(c, x, y, n);
      break;
    case OpKind::BatchNorm: {
      if (folded_[static_cast<size_t>(node.inputs[0])] == node.id) {
        f(c, x, y, n) = in(node)(c, x, y, n); // folded into the conv
        break;
      }
      int64_t ch = node.shape.c;
      std::vector<WeightArg::Source> src;
      for (const auto &w : node.weights)
        src.push_back({w.name, w.shape});
      Func scale = weight(Pack::BnScale, src, {ch}, a.eps);
      Func shift = weight(Pack::BnShift, src, {ch}, a.eps);
      f(c, x, y, n) = in(node)(c, x, y, n) * scale(c) + shift(c);
      break;
    }
    case OpKind::Concat: {
      // One update per input, each writing its channel range.
      f(c, x, y, n) = undef<float>();
      int64_t offset = 0;
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const Shape &s = inShape(node, i);
        RDom r(0, static_cast<int>(s.c), name + "_r" + std::to_string(i));
        f(r + static_cast<int>(offset), x, y, n) = in(node, i)(r, x, y, n);
        l.updates.push_back(r);
        offset += s.c;
      }
      break;
    }
    case OpKind::Add: {
      Expr sum = in(node, 0)(c, x, y, n);
      for (size_t i = 1; i < node.inputs.size(); ++i)
        sum += in(node, i)(c, x, y, n);
      f(c, x, y, n) = activate(node, sum);
      break;
    }
    case OpKind::Softmax: {
      const Shape &s = inShape(node);
      RDom r(0, static_cast<int>(s.c), name + "_r");
      Func mx(name + "_max"), e(name + "_exp"), sum(name + "_sum");
      mx(x, y, n) = maximum(in(node)(r, x, y, n), name + "_max");
      e(c, x, y, n) = exp(in(node)(c, x, y, n) - mx(x, y, n));
      sum(x, y, n) += e(r, x, y, n);
      f(c, x, y, n) = e(c, x, y, n) / sum(x, y, n);
      l.helpers = {mx, e, sum};
      break;
    }
    case OpKind::Flatten: {
      // Element i of the flat vector is (c, y, x) in C, H, W order.
      const Shape &s = inShape(node);
      int hw = static_cast<int>(s.h * s.w), w = static_cast<int>(s.w);
      f(c, x, y, n) = in(node)(c / hw, c % w, (c / w) % static_cast<int>(s.h), n);
      break;
    }
    default: // lowered by their own functions
      break;
    }
    l.value = f;
    return l;
  }

  // conv: out(o, x, y) = bias(o) + sum over (i, kx, ky) of
  //   W(o, i, kx, ky) * in(g*I + i, x*s + kx*d - left, y*s + ky*d - top)
  // A grouped conv is one reduction per group, joined along channels.
  // The loader packs W in blocks of B output channels of one group,
  // (o % B, i, kx, ky, block), zero-padded to whole blocks: the reduction,
  // input channels innermost, then streams through contiguous weights.
  Lowered lowerConv(const Node &node) {
    Lowered l;
    const Attrs &a = node.attrs;
    const Shape &s = inShape(node);
    const std::string name = "n" + std::to_string(node.id);
    int groups = static_cast<int>(a.groups);
    int ci = static_cast<int>(s.c / a.groups), co = static_cast<int>(a.out / a.groups);
    int kh = static_cast<int>(a.kernel[0]), kw = static_cast<int>(a.kernel[1]);
    int block =
        convBlock(co, node.shape.w, directBlockOptions(opts_, node.shape.h, ci, kh * kw, co));
    int blocks = (co + block - 1) / block; // per group
    l.block = block;
    // Folded batchnorm: W' = W * scale, b' = (b - mean) * scale + shift with
    // scale = gamma / sqrt(var + eps); the sources list the conv's tensors,
    // then the batchnorm's four.
    std::vector<WeightArg::Source> convSrc, bnSrc;
    for (const auto &wi : node.weights)
      convSrc.push_back({wi.name, wi.shape});
    int bnId = folded_[static_cast<size_t>(node.id)];
    double eps = 0;
    if (bnId >= 0) {
      for (const auto &wi : g_.node(bnId).weights)
        bnSrc.push_back({wi.name, wi.shape});
      eps = g_.node(bnId).attrs.eps;
    }
    std::vector<WeightArg::Source> wSrc = {convSrc[0]}, bSrc;
    if (a.bias)
      bSrc.push_back(convSrc[1]);
    wSrc.insert(wSrc.end(), bnSrc.begin(), bnSrc.end());
    bSrc.insert(bSrc.end(), bnSrc.begin(), bnSrc.end());
    bool wino = convWinograd(node, s.c, opts_);
    Func w;
    if (wino) { // weight blocks by tiles, not pixels, along x
      int r = winogradKernel(node);
      // m = 4 (F(4x4, 3x3), F(4x4, 4x4)) on layers winograd4x4Width wide
      bool wide = opts_.winograd4x4Width > 0 && node.shape.w >= opts_.winograd4x4Width;
      l.winograd = wide && r <= 4 ? 4 : r == 4 || (r == 5 && opts_.winograd5x5Tile3) ? 3 : 2;
      if (r == 5 && opts_.winograd5x5Tile4Width > 0 &&
          node.shape.w >= opts_.winograd5x5Tile4Width &&
          (opts_.winograd5x5Tile4PoolRoot || !readByPool(node)))
        l.winograd = 4;
      if (r == 5 && node.shape.w < opts_.winograd5x5Tile2Below)
        l.winograd = 2;
      if (r == 3 && a.stride[1] == 1 && winograd5x5(node.shape, opts_))
        l.winograd = 5;
      int64_t tiles = (node.shape.w + l.winograd - 1) / l.winograd;
      int64_t down = (node.shape.h + l.winograd - 1) / l.winograd;
      int all = winogradAllTilesBlock(co, groups, tiles * down, opts_);
      l.allTiles = all > 0;
      if (l.allTiles) {
        l.block = block = all;
      } else {
        l.block = block = convBlock(co, tiles, opts_);
        while (groups > 1 && co % block != 0) // blocks within groups
          l.block = block -= opts_.vec;
      }
      blocks = (co + block - 1) / block;
      int64_t t = l.winogradInput = l.winograd + r - 1; // t^2 positions
      w = weight(bnId >= 0 ? Pack::WinoBn : Pack::Wino, wSrc,
                 {block, winogradInputs(node, ci), t * t, int64_t(blocks) * groups}, eps, groups,
                 a.stride[1]);
    } else {
      w = weight(bnId >= 0 ? Pack::ConvBn : Pack::Conv, wSrc,
                 {block, ci, kw, kh, int64_t(blocks) * groups}, eps, groups);
    }
    Func b;
    bool hasBias = a.bias || bnId >= 0;
    if (hasBias)
      b = weight(bnId >= 0 ? Pack::BnBias : Pack::Copy, bSrc, {a.out}, eps);
    if (wino)
      return lowerWinograd(node, l, w, hasBias ? Expr(b(min(c, int(a.out) - 1))) : Expr(0.0f));
    Func src = padInput(node, 0.0f, name + "_pad");
    if (src.name() != in(node).name())
      l.padded = src;
    RDom r(0, ci, 0, kw, 0, kh, name + "_r");
    Expr ix = x * static_cast<int>(a.stride[1]) + r.y * static_cast<int>(a.dilation[1]) -
              static_cast<int>(a.pad.left);
    Expr iy = y * static_cast<int>(a.stride[0]) + r.z * static_cast<int>(a.dilation[0]) -
              static_cast<int>(a.pad.top);
    // Each group: a reduction (part) and the tiled output it is computed
    // within (tile).
    for (int g = 0; g < groups; ++g) {
      std::string suffix = groups == 1 ? "" : "_g" + std::to_string(g);
      Func part(name + "_conv" + suffix), tile(name + "_tile" + suffix);
      // Channels past the group's end (padding to a whole block) read the
      // last bias and zero weights; nothing reads their results.
      part(c, x, y, n) = hasBias ? b(min(c + g * co, int(a.out) - 1)) : Expr(0.0f);
      part(c, x, y, n) +=
          w(c % block, r.x, r.y, r.z, c / block + g * blocks) * src(r.x + g * ci, ix, iy, n);
      tile(c, x, y, n) = activate(node, part(c, x, y, n));
      l.parts.push_back(part);
      l.tiles.push_back(tile);
    }
    Func f(name);
    if (groups == 1) {
      f = l.tiles[0];
    } else {
      f(c, x, y, n) = undef<float>();
      for (int g = 0; g < groups; ++g) {
        RDom rc(0, co, name + "_rc" + std::to_string(g));
        f(rc + g * co, x, y, n) = l.tiles[static_cast<size_t>(g)](rc, x, y, n);
        l.updates.push_back(rc);
      }
    }
    l.reduce = r;
    l.value = f;
    return l;
  }

  // An r x r conv with stride 1 (or a strided conv over its input's phases,
  // r its phases' kernel: winogradStrided) by Winograd's minimal filtering
  // F(m x m, r x r) (Lavin and Gray, 2015), F(2x2, 3x3), F(4x4, 3x3),
  // F(5x5, 3x3), F(3x3, 4x4), F(4x4, 4x4), F(2x2, 5x5) or F(3x3, 5x5): each m x m tile
  // of output pixels comes from the t x t tile d of input pixels around it,
  // t = m + r - 1, as
  // Y = A^T [sum over input channels of U . V] A, with U = G g G^T (the
  // loader transforms the weights g) and V = B^T d B: t^2 multiplies a tile
  // and a pair of channels instead of r^2 m^2. The t^2 positions e of the
  // transformed tiles are independent products over input channels,
  // register-tiled as a 1x1 conv is.
  //   helpers[0]: V(c, e, tx, ty, n), the transformed input tiles
  //   helpers[1]: H(c, i, p, tx, ty, n) = (A^T M)[p][i], half the output
  //               transform
  //   helpers[2]: (B^T d)(c, p t + i, tx, ty, n), half the input transform
  //   parts[0]:   the product at (c % block, c / block, tx, e, ty, n),
  //               reduced over `reduce` (one group's input channels)
  //   tiles[0]:   its register tiles' owner, M(c, tx, e, ty, n)
  //   value:      Y(c, x, y, n), the output, bias added (and the relu: activate)
  // Reads past the input's edges (padding, and the last tile of a width or
  // height that is not a multiple of m) see zeros.
  Lowered lowerWinograd(const Node &node, Lowered &l, Func w, Expr bias) {
    // B^T and A^T of F(2, 3) (interpolation points 0, 1, -1 and infinity),
    // of F(4, 3), F(3, 4) and F(2, 5) (0, 1, -1, 2, -2 and infinity: the
    // same B^T, A^T's first rows but for the point at infinity), and of
    // F(5, 3), F(4, 4) and F(3, 5) (0, 1, -1, 2, -2, -1/2 and infinity), and
    // of F(4, 5) (1/2 too). Row j of B^T holds the coefficients (of x^0,
    // x^1, ...) of the product of (x - p) over the finite points p other
    // than the j-th (over all of them for the point at infinity); row k of
    // A^T the k-th powers of the finite points, and in the point at
    // infinity's column 1 in row m - 1. G is the loader's.
    using Matrix = double[8][8];
    static const Matrix BT4 = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
    static const Matrix AT23 = {{1, 1, 1, 0}, {0, 1, -1, -1}};
    static const double points[] = {0, 1, -1, 2, -2, -0.5, 0.5}; // t = 6, 7, 8: the first t - 1
    const Attrs &a = node.attrs;
    const Shape &s = inShape(node);
    const std::string name = "n" + std::to_string(node.id);
    const int stride = static_cast<int>(a.stride[1]);
    const int m = l.winograd, t = m + winogradKernel(node) - 1;
    // For t > 4, B^T's rows by multiplying in one factor (x - p) at a time
    // (all exact: the points are 0, +-1, +-2 and +-1/2).
    Matrix bt = {}, powers = {};
    for (int j = 0; t > 4 && j < t; ++j) {
      bt[j][0] = 1;
      for (int q = 0, degree = 0; q < t - 1; ++q) {
        if (q == j)
          continue;
        ++degree; // times (x - points[q])
        for (int d = degree; d >= 0; --d)
          bt[j][d] = (d > 0 ? bt[j][d - 1] : 0) - points[q] * bt[j][d];
      }
    }
    for (int k = 0; k < m; ++k) {
      for (int j = 0; j < t - 1; ++j)
        powers[k][j] = std::pow(points[j], k);
      powers[k][t - 1] = k == m - 1 ? 1 : 0;
    }
    const Matrix &BT = t == 4 ? BT4 : static_cast<const Matrix &>(bt);
    const Matrix &AT = t == 4 ? AT23 : static_cast<const Matrix &>(powers);
    Func src = padInput(node, 0.0f, name + "_pad", true, stride > 1);
    int left = static_cast<int>(a.pad.left), top = static_cast<int>(a.pad.top);
    int ci = static_cast<int>(s.c / a.groups);
    if (stride > 1) {
      // The phases, P(s C py + s c + px, X, Y) = in(c, s X + px - left,
      // s Y + py - top), zeros past the input: the conv is the stride-1 conv
      // of P and the phases' kernels, no padding. In this order each s
      // consecutive phases at (X, Y) are s consecutive pixels of one input
      // channel's row, a dense run of the network's (planar) input, which the
      // schedule copies as one vector (in the order P(s^2 c + s py + px, X,
      // Y) each vector was gathered one float at a time: 15 % of the samples
      // of Caffe AlexNet's conv1-norm1-pool1 stage).
      const int channels = static_cast<int>(s.c), run = channels * stride;
      Func phases(name + "_phase");
      phases(c, x, y, n) =
          src(c / stride % channels, stride * x + c % stride - left, stride * y + c / run - top, n);
      src = phases;
      l.padded = phases;
      left = top = 0;
      ci = static_cast<int>(winogradInputs(node, ci));
    } else if (g_.node(node.inputs[0]).op == OpKind::Input) {
      // The network's input is planar (x innermost): a vector of its
      // channels is a gather, which the input transform made at each of its
      // t^2 positions (a 16-channel 5x5 conv on the input compiled in 20 s,
      // its transform 74 K instructions, most of them single-float loads
      // and inserts). Copied channels innermost first (zeros past the
      // edges), once an element, for the transform to read vectors of.
      Func chw(name + "_chw");
      chw(c, x, y, n) = src(c, x, y, n);
      src = chw;
      l.padded = chw;
    }
    // sum of k[i] * v[i] over the nonzero k[i]
    auto combine = [](const std::vector<double> &k, const std::vector<Expr> &v) {
      Expr sum;
      for (size_t i = 0; i < v.size(); ++i) {
        if (k[i] == 0)
          continue;
        double mag = std::abs(k[i]);
        Expr term = mag == 1 ? v[i] : v[i] * static_cast<float>(mag);
        if (!sum.defined())
          sum = k[i] > 0 ? term : -term;
        else
          sum = k[i] > 0 ? sum + term : sum - term;
      }
      return sum;
    };
    // K v for the first `outs` rows of K and the t values v, in fewer
    // operations where the interpolation points come in pairs p and -p.
    // Columns a and b that are equal or opposite in every row (A^T: p^k and
    // (-p)^k) are added and subtracted once for all the rows; else two rows
    // whose terms of one parity are equal and of the other opposite (B^T:
    // the polynomials of p and -p) are computed as S + D and S - D from
    // the part they share and the part they oppose (below). F(4x4, 5x5)'s
    // B^T takes 28 operations so where its rows one by one took 40, its A^T
    // 16 where they took 22 (the sums' order changes, not their terms).
    // F(5x5, 3x3)'s B^T has no such rows (its -1/2 has no pair).
    auto transform = [&](const Matrix &k, int outs, const std::vector<Expr> &v) {
      std::vector<std::vector<double>> rows;
      for (int p = 0; p < outs; ++p)
        rows.emplace_back(k[p], k[p] + t);
      std::vector<Expr> values = v;
      std::vector<bool> paired(static_cast<size_t>(t), false);
      bool columnsPaired = false;
      for (int a = 0; a < t; ++a) {
        for (int b = a + 1; b < t && !paired[static_cast<size_t>(a)]; ++b) {
          bool same = !paired[static_cast<size_t>(b)], used = false;
          for (int p = 0; p < outs && same; ++p) {
            same = std::abs(k[p][a]) == std::abs(k[p][b]);
            used = used || k[p][a] != 0;
          }
          if (!same || !used)
            continue;
          paired[static_cast<size_t>(a)] = paired[static_cast<size_t>(b)] = columnsPaired = true;
          values.push_back(v[static_cast<size_t>(a)] + v[static_cast<size_t>(b)]);
          values.push_back(v[static_cast<size_t>(a)] - v[static_cast<size_t>(b)]);
          for (auto &row : rows) {
            double ka = row[static_cast<size_t>(a)], kb = row[static_cast<size_t>(b)];
            row[static_cast<size_t>(a)] = row[static_cast<size_t>(b)] = 0;
            row.push_back(ka == kb ? ka : 0);
            row.push_back(ka == kb ? 0 : ka);
          }
        }
      }
      // Rows p and q whose terms of one parity are equal and of the other
      // opposite (in B^T, the rows of points p and -p; in A^T none): their
      // half sum is the part of the parity they share, their half difference
      // the part of the other (E and O, or O and E).
      auto mirrored = [&](const std::vector<double> &kp, const std::vector<double> &kq) {
        bool evenSame = true, oddSame = true;
        for (size_t i = 0; i < kp.size(); ++i) {
          bool same = kp[i] == kq[i], opposite = kp[i] == -kq[i];
          evenSame = evenSame && (i % 2 == 0 ? same : opposite);
          oddSame = oddSame && (i % 2 == 1 ? same : opposite);
        }
        return evenSame || oddSame;
      };
      std::vector<Expr> result(static_cast<size_t>(outs));
      std::vector<bool> done(static_cast<size_t>(outs), false);
      for (int p = 0; p < outs; ++p) {
        if (done[static_cast<size_t>(p)])
          continue;
        done[static_cast<size_t>(p)] = true;
        const auto &kp = rows[static_cast<size_t>(p)];
        int q = columnsPaired ? outs : p + 1; // rows paired only where columns are not
        while (q < outs &&
               (done[static_cast<size_t>(q)] || !mirrored(kp, rows[static_cast<size_t>(q)])))
          ++q;
        if (q == outs) {
          result[static_cast<size_t>(p)] = combine(kp, values);
          continue;
        }
        const auto &kq = rows[static_cast<size_t>(q)];
        std::vector<double> sum(kp.size()), diff(kp.size());
        for (size_t i = 0; i < kp.size(); ++i) {
          sum[i] = (kp[i] + kq[i]) / 2;
          diff[i] = (kp[i] - kq[i]) / 2;
        }
        Expr shared = combine(sum, values), opposed = combine(diff, values);
        result[static_cast<size_t>(p)] = shared + opposed;
        result[static_cast<size_t>(q)] = shared - opposed;
        done[static_cast<size_t>(q)] = true;
      }
      return result;
    };
    Var e("e"), tx("tx"), ty("ty");
    Expr x0 = m * tx - left, y0 = m * ty - top;
    // V = B^T d B in two stages, each value of each computed once: B^T d,
    // column by column of the tile, stored at (c, p t + i), then each of
    // its rows times B. As one expression a position (the rows' B^T d
    // shared by LLVM's CSE), F(4x4, 5x5) took 1376 arithmetic instructions
    // a tile and vector of channels, each input vector loaded 12 times.
    Func vcol(name + "_wino_col"), v(name + "_wino_in");
    std::vector<Expr> firstPass(static_cast<size_t>(t * t));
    for (int i = 0; i < t; ++i) {
      std::vector<Expr> column;
      for (int j = 0; j < t; ++j)
        column.push_back(src(c, x0 + i, y0 + j, n));
      std::vector<Expr> out = transform(BT, t, column);
      for (int p = 0; p < t; ++p)
        firstPass[static_cast<size_t>(p * t + i)] = out[static_cast<size_t>(p)];
    }
    vcol(c, e, tx, ty, n) = mux(e, firstPass);
    std::vector<Expr> secondPass;
    for (int p = 0; p < t; ++p) {
      std::vector<Expr> row;
      for (int i = 0; i < t; ++i)
        row.push_back(vcol(c, p * t + i, tx, ty, n));
      for (const Expr &x : transform(BT, t, row))
        secondPass.push_back(x);
    }
    v(c, e, tx, ty, n) = mux(e, secondPass);
    // The product by weight block b and channel c within it: a register
    // tile's block, and so its group and input channels, is one b.
    int block = l.block;
    int perGroup = static_cast<int>(a.out / a.groups) / block; // blocks
    RDom r(0, ci, name + "_r");
    Var b("b");
    Func product(name + "_wino"), mt(name + "_wino_m");
    Expr channel = a.groups == 1 ? Expr(r) : r + b / perGroup * ci;
    product(c, b, tx, e, ty, n) = 0.0f;
    product(c, b, tx, e, ty, n) += w(c, r, e, b) * v(channel, e, tx, ty, n);
    mt(c, tx, e, ty, n) = product(c % block, c / block, tx, e, ty, n);
    // Y = A^T M A in two steps, M at this pixel's tile: H = A^T M, its m x t
    // entries computed once a tile (each is read by m outputs), then H A;
    // x % m and y % m pick the entry. Written as one sum, the m^2 outputs
    // each combined t rows again: F(4x4, 3x3) did 36 operations an output.
    Var i("i"), row("p");
    std::vector<Expr> column;
    for (int j = 0; j < t; ++j)
      column.push_back(mt(c, tx, j * t + i, ty, n));
    std::vector<Expr> rowsOf = transform(AT, m, column);
    Func half(name + "_wino_out");
    half(c, i, row, tx, ty, n) = mux(row, rowsOf);
    std::vector<Expr> entries;
    for (int j = 0; j < t; ++j)
      entries.push_back(half(c, j, y % m, x / m, y / m, n));
    std::vector<Expr> out = transform(AT, m, entries);
    Func f(name);
    f(c, x, y, n) = activate(node, bias + mux(x % m, out));
    // V reads src (the input, zeros past its edges) inline rather than from
    // a copy the schedule places; l.padded is only the phases of a strided
    // conv.
    l.helpers = {v, half, vcol};
    l.parts = {product};
    l.tiles = {mt};
    l.reduce = r;
    l.value = f;
    return l;
  }

  // fc: out(o) = bias(o) + sum over (c, x, y) of W(o, c, x, y) * in(c, x, y).
  // The loader reorders W from the C, H, W flattening of the reference into
  // blocks of `fcBlock` outputs, (o % B, c, x, y, o / B), so that one block of
  // outputs streams through contiguous memory.
  Lowered lowerFc(const Node &node) {
    Lowered l;
    const Attrs &a = node.attrs;
    const Shape &s = inShape(node);
    const std::string name = "n" + std::to_string(node.id);
    int block = opts_.fcBlock;
    int64_t blocks = (a.out + block - 1) / block;
    Func w = weight(Pack::Fc, {{node.weights[0].name, node.weights[0].shape}},
                    {block, s.c, s.w, s.h, blocks});
    Func b;
    if (a.bias)
      b = weight(Pack::Copy, {{node.weights[1].name, node.weights[1].shape}}, {a.out});
    RDom r(0, static_cast<int>(s.c), 0, static_cast<int>(s.w), 0, static_cast<int>(s.h),
           name + "_r");
    Func core(name + "_fc");
    core(c, n) = a.bias ? b(c) : Expr(0.0f);
    core(c, n) += w(c % block, r.x, r.y, r.z, c / block) * in(node)(r.x, r.y, r.z, n);
    Func f(name);
    f(c, x, y, n) = core(c, n);
    l.core = core;
    l.reduce = r;
    l.value = f;
    return l;
  }

  // maxpool: padding never wins: every window holds an element of the input
  // (padding is at most half the kernel, and a ceil-mode window starts in
  // the input or its leading padding), so reads past the edges are clamped
  // to the edge, an element of the same window, and no padded copy is made.
  // avgpool: divides by the window clipped at the padded edge
  // (count_include_pad).
  Lowered lowerPool(const Node &node) {
    Lowered l;
    const Attrs &a = node.attrs;
    const Shape &s = inShape(node);
    const std::string name = "n" + std::to_string(node.id);
    int kh = static_cast<int>(a.kernel[0]), kw = static_cast<int>(a.kernel[1]);
    int sh = static_cast<int>(a.stride[0]), sw = static_cast<int>(a.stride[1]);
    int top = static_cast<int>(a.pad.top), left = static_cast<int>(a.pad.left);
    RDom r(0, kw, 0, kh, name + "_r");
    Expr ix = x * sw + r.x - left, iy = y * sh + r.y - top;
    Func f(name);
    if (node.op == OpKind::MaxPool) {
      auto at = [&](Expr ix, Expr iy) {
        return in(node)(c, clamp(ix, 0, static_cast<int>(s.w) - 1),
                        clamp(iy, 0, static_cast<int>(s.h) - 1), n);
      };
      if (kw * kh <= kUnrolledWindow) {
        Expr m;
        for (int dy = 0; dy < kh; ++dy)
          for (int dx = 0; dx < kw; ++dx) {
            Expr v = at(x * sw + dx - left, y * sh + dy - top);
            m = m.defined() ? max(m, v) : v;
          }
        f(c, x, y, n) = m;
      } else {
        f(c, x, y, n) = maximum(at(ix, iy), name + "_max");
      }
    } else {
      Func src = padInput(node, 0.0f, name + "_pad");
      if (src.name() != in(node).name())
        l.padded = src;
      Expr y0 = y * sh - top, x0 = x * sw - left;
      Expr y1 = min(y0 + kh, static_cast<int>(s.h + a.pad.bottom));
      Expr x1 = min(x0 + kw, static_cast<int>(s.w + a.pad.right));
      Expr count = cast<float>((y1 - y0) * (x1 - x0));
      // The padded input reads 0 outside the input, also past the padded
      // edge where ceil-mode windows may reach; `count` leaves those out.
      Func sum(name + "_sum");
      sum(c, x, y, n) += src(c, ix, iy, n);
      f(c, x, y, n) = sum(c, x, y, n) / count;
      l.core = sum;
    }
    l.value = f;
    return l;
  }

  // lrn: x / (k + alpha/size * sum of x^2 over channels [c - size/2,
  // c + (size-1)/2], clipped at the edges)^beta, as PyTorch.
  Lowered lowerLrn(const Node &node) {
    Lowered l;
    const Attrs &a = node.attrs;
    const Shape &s = inShape(node);
    const std::string name = "n" + std::to_string(node.id);
    int size = static_cast<int>(a.size), channels = static_cast<int>(s.c);
    Func sq(name + "_sq"), sum(name + "_sum"), f(name);
    Expr v = in(node)(clamp(c, 0, channels - 1), x, y, n);
    sq(c, x, y, n) = select(c >= 0 && c < channels, v * v, 0.0f);
    if (size <= kUnrolledWindow) {
      Expr total = sq(c - size / 2, x, y, n);
      for (int i = 1; i < size; ++i)
        total += sq(c + i - size / 2, x, y, n);
      sum(c, x, y, n) = total;
    } else {
      RDom r(0, size, name + "_r");
      sum(c, x, y, n) += sq(c + r - size / 2, x, y, n);
    }
    Expr base = static_cast<float>(a.k) + static_cast<float>(a.alpha / a.size) * sum(c, x, y, n);
    // base^-beta; the usual betas by inverse square roots, not pow: the
    // hardware's estimate (12 bits) and one Newton step (about 22 bits).
    // base^-3/4 as q sqrt(q) with q = base^-1/2, one vsqrtps (the divide
    // and square root unit, beside the FMAs) where a second estimate (two
    // 8-lane vrsqrtps, an extract and an insert) and Newton step were about 10
    // vector instructions: Caffe AlexNet 0.99x the time at batch 8 (Zen 4).
    auto rsqrt = [](Expr t) {
      Expr e = fast_inverse_sqrt(t);
      return e * (1.5f - 0.5f * t * e * e);
    };
    Expr scale;
    if (a.beta == 0.75) {
      Expr q = rsqrt(base); // base^-1/2
      scale = q * sqrt(q);
    } else if (a.beta == 0.5) {
      scale = rsqrt(base);
    } else {
      scale = a.beta == 1 ? 1.0f / base : pow(base, static_cast<float>(-a.beta));
    }
    f(c, x, y, n) = in(node)(c, x, y, n) * scale;
    if (sum.has_update_definition())
      l.core = sum; // else inlined
    l.helpers = {sq};
    l.value = f;
    return l;
  }

  // The relu that alone reads conv or add `node` (through the batchnorm
  // folded into a conv), or -1: the conv or add applies it as it stores each
  // output, once, instead of every read of its consumers doing so (a 1x1
  // conv reading a relu'd conv broadcast max(x, 0) from each input, 14 maxes
  // beside 28 FMAs a step; a 1x1 conv of ResNet-50's layer3 shape after an
  // add ran at 58 % of the peak so, 73 % with the add applying it: `cnnc
  // bench --per-layer` of a micro-network, batch 8, 2026-12-07).
  int reluAfter(const Node &node) const {
    const auto &uses = net_.consumers;
    if (uses[static_cast<size_t>(node.id)].size() != 1)
      return -1;
    int next = uses[static_cast<size_t>(node.id)][0];
    if (folded_[static_cast<size_t>(node.id)] == next) {
      if (uses[static_cast<size_t>(next)].size() != 1)
        return -1;
      next = uses[static_cast<size_t>(next)][0];
    }
    return g_.node(next).op == OpKind::Relu ? next : -1;
  }

  // Whether a pool reads conv `conv` through nothing but elementwise ops,
  // each read by nothing else: the pool's row tasks may compute it (the
  // schedule's convIntoPool), each the conv rows its pool rows need
  // rounded to whole tiles. Those keep F(3x3, 5x5): torchvision AlexNet's
  // conv2 into pool2 by F(4x4, 5x5) took 1.05x the samples (build/alternate,
  // `perf`, batch 8, 2026-12-04).
  bool readByPool(const Node &conv) const {
    int id = conv.id;
    while (net_.consumers[static_cast<size_t>(id)].size() == 1) {
      id = net_.consumers[static_cast<size_t>(id)][0];
      OpKind op = g_.node(id).op;
      if (op == OpKind::MaxPool || op == OpKind::AvgPool)
        return true;
      if (!isElementwise(op))
        return false;
    }
    return false;
  }

  // Conv or add `node`'s output `e`, with the relu it applies (reluAfter) if
  // any.
  Expr activate(const Node &node, Expr e) const { return reluAfter(node) >= 0 ? relu(e) : e; }

  const Graph &g_;
  LowerOptions opts_;
  const LowerPart &part_;
  std::vector<int> folded_;       // by conv id: the batchnorm folded into it, or -1
  std::vector<bool> reluApplied_; // by relu id: applied by its conv or add (reluAfter)
  LoweredNet net_;
};

} // namespace

LoweredNet lower(const Graph &g, const LowerOptions &opts, const LowerPart &part) {
  return Lowerer(g, opts, part).run();
}

} // namespace cnnc
