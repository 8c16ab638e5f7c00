// The op table and each op's shape rule, checks and weights.
#include "ir/ops.h"

#include "ir/checked.h"
#include "ir/window.h"

#include <algorithm>
#include <sstream>

namespace cnnc {

Loc InferCtx::at(const std::string &arg) const {
  auto it = argLocs.find(arg);
  return it == argLocs.end() ? node.loc : it->second;
}

Diagnostic &InferCtx::error(const std::string &arg, std::string message) {
  ok = false;
  return diag.error(at(arg), what() + ": " + message);
}

Diagnostic &InferCtx::warning(const std::string &arg, std::string message) {
  return diag.warning(at(arg), what() + ": " + message);
}

std::string InferCtx::what() const { return std::string(opName(node.op)) + " '" + node.name + "'"; }

namespace {

// ---- checks shared by several ops -------------------------------------

bool positive(InferCtx &c, const char *arg, const char *what, int64_t v) {
  if (v >= 1)
    return true;
  c.error(arg, std::string(what) + " must be positive, not " + std::to_string(v));
  return false;
}

bool positivePair(InferCtx &c, const char *arg, const int64_t v[2]) {
  return positive(c, arg, arg, v[0]) && positive(c, arg, arg, v[1]);
}

std::string pairStr(const int64_t v[2]) {
  return v[0] == v[1] ? std::to_string(v[0])
                      : "[" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + "]";
}

std::string plural(int64_t n, const char *one, const char *many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The height and width windows of a conv or pool with padding resolved.
void windowsOf(const Attrs &a, const Shape &in, Window w[2]) {
  const Padding &p = a.pad;
  w[0] = {in.h, p.top, p.bottom, a.kernel[0], a.stride[0], a.dilation[0], a.ceil};
  w[1] = {in.w, p.left, p.right, a.kernel[1], a.stride[1], a.dilation[1], a.ceil};
}

// Resolves `same` and checks padding, then computes the output size of a
// conv or pool window on both axes.
bool windows(InferCtx &c, bool isPool) {
  Attrs &a = c.node.attrs;
  const Shape &in = c.in[0];
  if (!positivePair(c, "kernel", a.kernel) || !positivePair(c, "stride", a.stride) ||
      !positivePair(c, "dilation", a.dilation))
    return false;
  int64_t eff[2];
  for (int i = 0; i < 2; ++i) {
    auto reach = mulChecked(a.dilation[i], a.kernel[i] - 1);
    if (!reach || *reach > (int64_t(1) << 40)) {
      c.error("kernel", "kernel size is too large");
      return false;
    }
    eff[i] = *reach + 1;
  }
  Padding &p = a.pad;
  if (p.same) {
    if (a.stride[0] != 1 || a.stride[1] != 1) {
      c.error("pad", "pad=same needs stride 1, not stride " + pairStr(a.stride));
      return false;
    }
    if (eff[0] % 2 == 0 || eff[1] % 2 == 0) {
      c.error("pad", "pad=same cannot centre an even kernel (" + pairStr(eff) +
                         "): use an odd kernel or an explicit [top, left, bottom, right] pad");
      return false;
    }
    p.top = p.bottom = (eff[0] - 1) / 2;
    p.left = p.right = (eff[1] - 1) / 2;
  }
  if (p.top < 0 || p.left < 0 || p.bottom < 0 || p.right < 0) {
    c.error("pad", "padding must not be negative");
    return false;
  }
  if (isPool) {
    int64_t most[2] = {a.kernel[0] / 2, a.kernel[1] / 2};
    if (p.top > most[0] || p.bottom > most[0] || p.left > most[1] || p.right > most[1]) {
      c.error("pad", "padding " + shapeStr({p.top, p.left, p.bottom, p.right}) +
                         " is above half the kernel (" + pairStr(a.kernel) +
                         "): a pool's padding may be at most " + pairStr(most));
      return false;
    }
  }
  Window w[2];
  windowsOf(a, in, w);
  int64_t out[2];
  for (int i = 0; i < 2; ++i) {
    auto o = windowOut(w[i]);
    if (!o) {
      c.error("", "window arithmetic overflows");
      return false;
    }
    out[i] = *o;
  }
  if (out[0] < 1 || out[1] < 1) {
    c.error("kernel", "output size " + shapeStr({out[0], out[1]}) + " is below 1: the " +
                          std::to_string(eff[0]) + "x" + std::to_string(eff[1]) +
                          " window does not fit the padded " +
                          shapeStr({in.h + p.top + p.bottom, in.w + p.left + p.right}) + " input");
    return false;
  }
  const char *axis[2] = {"row", "column"};
  const char *axes[2] = {"rows", "columns"};
  const char *edge[2] = {"bottom", "right"};
  for (int i = 0; i < 2; ++i)
    if (int64_t lost = windowLost(w[i]))
      c.warning("stride", "windows stop short of the " + std::string(edge[i]) + " edge: the last " +
                              plural(lost, axis[i], axes[i]) + " of the input " +
                              (lost == 1 ? "is" : "are") + " never read");
  c.node.shape = {c.in[0].c, out[0], out[1]};
  for (int i = 0; i < 2; ++i) {
    auto rf = mulChecked(eff[i] - 1, c.node.jump[i]);
    auto j = mulChecked(c.node.jump[i], a.stride[i]);
    if (!rf || !j || !addChecked(c.node.rf[i], *rf)) {
      c.error("", "receptive field too large to count");
      return false;
    }
    c.node.rf[i] += *rf;
    c.node.jump[i] = *j;
  }
  return true;
}

// Receptive field `r` and jump `j` (the input's on entry) of an op that
// reads its whole input plane at once.
void wholePlane(const InferCtx &c, int64_t r[2], int64_t j[2]) {
  int64_t size[2] = {c.in[0].h, c.in[0].w};
  for (int i = 0; i < 2; ++i) {
    auto rf = mulChecked(size[i] - 1, j[i]);
    auto jump = mulChecked(j[i], size[i]);
    if (rf && jump && addChecked(r[i], *rf)) {
      r[i] += *rf;
      j[i] = *jump;
    }
  }
}

void wholePlane(InferCtx &c) { wholePlane(c, c.node.rf, c.node.jump); }

bool tooLarge(InferCtx &c, const char *what) {
  c.error("", std::string(what) + " too large to count");
  return false;
}

// ---- infer functions, one per op --------------------------------------

bool inferInput(InferCtx &) { return true; }

bool inferConv(InferCtx &c) {
  Attrs &a = c.node.attrs;
  const Shape &in = c.in[0];
  if (!positive(c, "out", "output channel count", a.out) ||
      !positive(c, "groups", "groups", a.groups))
    return false;
  if (in.c % a.groups || a.out % a.groups) {
    c.error("groups", "groups=" + std::to_string(a.groups) + " does not divide " +
                          (in.c % a.groups ? "the input's " + std::to_string(in.c) + " channels"
                                           : "the " + std::to_string(a.out) + " output channels"));
    return false;
  }
  if (a.kernel[0] % 2 == 0 || a.kernel[1] % 2 == 0)
    if (a.kernel[0] > 0 && a.kernel[1] > 0)
      c.warning("kernel", "even kernel " + pairStr(a.kernel) +
                              " has no centre pixel: its output is shifted half a pixel");
  if (!windows(c, false))
    return false;
  c.node.shape.c = a.out;
  c.node.weights.push_back(
      {c.node.unit + ".weight", {a.out, in.c / a.groups, a.kernel[0], a.kernel[1]}, true});
  if (a.bias)
    c.node.weights.push_back({c.node.unit + ".bias", {a.out}, true});
  auto macs =
      product(c.node.shape.h, c.node.shape.w, a.out, in.c / a.groups, a.kernel[0], a.kernel[1]);
  if (!macs)
    return tooLarge(c, "multiply-add count");
  c.node.macs = *macs;
  return true;
}

bool inferFc(InferCtx &c) {
  Attrs &a = c.node.attrs;
  const Shape &in = c.in[0];
  if (!positive(c, "out", "output count", a.out))
    return false;
  auto n = product(in.c, in.h, in.w);
  auto macs = n ? mulChecked(*n, a.out) : std::nullopt;
  if (!macs)
    return tooLarge(c, "multiply-add count");
  c.node.shape = {a.out, 1, 1};
  c.node.weights.push_back({c.node.unit + ".weight", {a.out, *n}, true});
  if (a.bias)
    c.node.weights.push_back({c.node.unit + ".bias", {a.out}, true});
  c.node.macs = *macs;
  wholePlane(c);
  return true;
}

bool inferPool(InferCtx &c) { return windows(c, true); }

bool inferGlobalPool(InferCtx &c) {
  c.node.shape = {c.in[0].c, 1, 1};
  wholePlane(c);
  return true;
}

bool inferSame(InferCtx &c) {
  c.node.shape = c.in[0];
  return true;
}

bool inferDropout(InferCtx &c) {
  double p = c.node.attrs.p;
  if (!(p >= 0 && p < 1)) {
    std::ostringstream s;
    s << "p=" << p << " is outside [0, 1)";
    c.error("p", s.str());
    return false;
  }
  return inferSame(c);
}

bool inferLrn(InferCtx &c) {
  const Attrs &a = c.node.attrs;
  if (!positive(c, "size", "lrn size", a.size))
    return false;
  if (a.size % 2 == 0)
    c.warning("size", "even lrn size " + std::to_string(a.size) +
                          " cannot be centred on a channel: the window reaches one channel "
                          "further back than forward");
  return inferSame(c);
}

bool inferBatchNorm(InferCtx &c) {
  if (!(c.node.attrs.eps > 0)) {
    c.error("eps", "eps must be positive");
    return false;
  }
  int64_t ch = c.in[0].c;
  for (const char *w : {"weight", "bias", "running_mean", "running_var"})
    c.node.weights.push_back({c.node.unit + "." + w, {ch}, w[0] != 'r'});
  return inferSame(c);
}

// Lists each input's shape: "b1 is [64, 28, 28], b2 is [128, 28, 28]".
std::string listInputs(const InferCtx &c) {
  std::string s;
  for (size_t i = 0; i < c.in.size(); ++i)
    s += (i ? ", " : "") + c.inputLabels[i] + " is " + shapeStr(c.in[i].dims());
  return s;
}

bool inferConcat(InferCtx &c) {
  int64_t channels = 0;
  bool agree = true;
  for (const Shape &s : c.in) {
    agree = agree && s.h == c.in[0].h && s.w == c.in[0].w;
    auto sum = addChecked(channels, s.c);
    if (!sum)
      return tooLarge(c, "channel count");
    channels = *sum;
  }
  if (!agree) {
    c.ok = false;
    c.diag.error(c.node.loc, "concat inputs disagree in height and width")
        .notes.push_back({std::nullopt, listInputs(c)});
    return false;
  }
  c.node.shape = {channels, c.in[0].h, c.in[0].w};
  return true;
}

bool inferAdd(InferCtx &c) {
  for (const Shape &s : c.in)
    if (s != c.in[0]) {
      c.ok = false;
      c.diag.error(c.node.loc, "add inputs disagree in shape")
          .notes.push_back({std::nullopt, listInputs(c)});
      return false;
    }
  return inferSame(c);
}

// Each element of a flatten's output is one position's: its rf is its
// input's. Its planeRf is what a layer sees that combines its channels: the
// whole plane (language-notes.md, "Figures").
bool inferFlatten(InferCtx &c) {
  auto n = product(c.in[0].c, c.in[0].h, c.in[0].w);
  if (!n)
    return tooLarge(c, "element count");
  c.node.shape = {*n, 1, 1};
  int64_t plane[2] = {c.node.rf[0], c.node.rf[1]}, jump[2] = {c.node.jump[0], c.node.jump[1]};
  wholePlane(c, plane, jump);
  for (int i = 0; i < 2; ++i)
    c.node.planeRf[i] = std::max(c.node.planeRf[i], plane[i]);
  return true;
}

// ---- argument setters ------------------------------------------------

#define SET(field, member) [](Attrs &a, const ArgValue &v) { a.field = v.member; }
#define SET_PAIR(field)                                                                            \
  [](Attrs &a, const ArgValue &v) {                                                                \
    a.field[0] = v.pair[0];                                                                        \
    a.field[1] = v.pair[1];                                                                        \
  }

const ArgSpec X{"x", ArgKind::Tensor, nullptr, nullptr};
const ArgSpec XS{"inputs", ArgKind::Tensors, nullptr, nullptr};

} // namespace

const std::vector<OpInfo> &opTable() {
  static const std::vector<OpInfo> table = {
      {OpKind::Input, "input", {}, false, inferInput},
      {OpKind::Conv,
       "conv",
       {X,
        {"out", ArgKind::Int, nullptr, SET(out, i)},
        {"kernel", ArgKind::Pair, nullptr, SET_PAIR(kernel)},
        {"stride", ArgKind::Pair, "1", SET_PAIR(stride)},
        {"pad", ArgKind::Pad, "0", SET(pad, pad)},
        {"dilation", ArgKind::Pair, "1", SET_PAIR(dilation)},
        {"groups", ArgKind::Int, "1", SET(groups, i)},
        {"bias", ArgKind::Bool, "true", SET(bias, b)}},
       true,
       inferConv},
      {OpKind::Fc,
       "fc",
       {X,
        {"out", ArgKind::Int, nullptr, SET(out, i)},
        {"bias", ArgKind::Bool, "true", SET(bias, b)}},
       true,
       inferFc},
      {OpKind::MaxPool,
       "maxpool",
       {X,
        {"kernel", ArgKind::Pair, nullptr, SET_PAIR(kernel)},
        {"stride", ArgKind::Pair, "=kernel", SET_PAIR(stride)},
        {"pad", ArgKind::Pad, "0", SET(pad, pad)},
        {"ceil", ArgKind::Bool, "false", SET(ceil, b)}},
       false,
       inferPool},
      {OpKind::AvgPool,
       "avgpool",
       {X,
        {"kernel", ArgKind::Pair, nullptr, SET_PAIR(kernel)},
        {"stride", ArgKind::Pair, "=kernel", SET_PAIR(stride)},
        {"pad", ArgKind::Pad, "0", SET(pad, pad)},
        {"ceil", ArgKind::Bool, "false", SET(ceil, b)}},
       false,
       inferPool},
      {OpKind::GlobalAvgPool, "global_avgpool", {X}, false, inferGlobalPool},
      {OpKind::Relu, "relu", {X}, false, inferSame},
      {OpKind::Sigmoid, "sigmoid", {X}, false, inferSame},
      {OpKind::Tanh, "tanh", {X}, false, inferSame},
      {OpKind::Lrn,
       "lrn",
       {X,
        {"size", ArgKind::Int, "5", SET(size, i)},
        {"alpha", ArgKind::Real, "0.0001", SET(alpha, r)},
        {"beta", ArgKind::Real, "0.75", SET(beta, r)},
        {"k", ArgKind::Real, "1", SET(k, r)}},
       false,
       inferLrn},
      {OpKind::BatchNorm,
       "batchnorm",
       {X, {"eps", ArgKind::Real, "0.00001", SET(eps, r)}},
       true,
       inferBatchNorm},
      {OpKind::Concat, "concat", {XS}, false, inferConcat},
      {OpKind::Add, "add", {XS}, false, inferAdd},
      {OpKind::Softmax, "softmax", {X}, false, inferSame},
      {OpKind::Dropout,
       "dropout",
       {X, {"p", ArgKind::Real, "0.5", SET(p, r)}},
       false,
       inferDropout},
      {OpKind::Flatten, "flatten", {X}, false, inferFlatten},
  };
  return table;
}

#undef SET
#undef SET_PAIR

const OpInfo *findOp(const std::string &name) {
  for (const auto &op : opTable())
    if (name == op.name && op.kind != OpKind::Input)
      return &op;
  return nullptr;
}

const OpInfo &opInfo(OpKind kind) { return opTable().at(static_cast<size_t>(kind)); }

const char *opName(OpKind op) { return opInfo(op).name; }

bool isElementwise(OpKind op) {
  return op == OpKind::Relu || op == OpKind::Sigmoid || op == OpKind::Tanh ||
         op == OpKind::Dropout || op == OpKind::BatchNorm;
}

bool inferNode(InferCtx &ctx) {
  Node &n = ctx.node;
  // A concat or add sees as far as the widest of its inputs.
  ctx.in.clear();
  for (int i = 0; i < 2; ++i) {
    n.rf[i] = 1;
    n.jump[i] = 1;
    n.planeRf[i] = 0;
  }
  for (int id : n.inputs) {
    const Node &src = ctx.graph.node(id);
    ctx.in.push_back(src.shape);
    for (int i = 0; i < 2; ++i) {
      n.rf[i] = std::max(n.rf[i], src.rf[i]);
      n.jump[i] = std::max(n.jump[i], src.jump[i]);
      n.planeRf[i] = std::max(n.planeRf[i], src.planeRf[i]);
    }
  }
  if (!opInfo(n.op).infer(ctx) || !ctx.ok)
    return false;
  // A conv, fc or softmax combines its input's channels: after a flatten,
  // the positions flattened into them (an LRN's few channels: not counted).
  n.rfOfPlane = false;
  if (n.op == OpKind::Conv || n.op == OpKind::Fc || n.op == OpKind::Softmax)
    for (int i = 0; i < 2; ++i)
      if (n.planeRf[i] > n.rf[i]) {
        n.rf[i] = n.planeRf[i];
        n.rfOfPlane = true;
      }
  int64_t params = 0;
  for (const auto &w : n.weights) {
    if (!w.counted)
      continue;
    std::optional<int64_t> size = 1;
    for (int64_t d : w.shape)
      size = size ? mulChecked(*size, d) : size;
    auto sum = size ? addChecked(params, *size) : std::nullopt;
    if (!sum)
      return tooLarge(ctx, "parameter count");
    params = *sum;
  }
  n.params = params;
  return true;
}

std::string windowArithmetic(const Graph &g, const Node &n) {
  if (n.op != OpKind::Conv && n.op != OpKind::MaxPool && n.op != OpKind::AvgPool)
    return "";
  const Attrs &a = n.attrs;
  if (a.kernel[0] == 1 && a.kernel[1] == 1 && a.stride[0] == 1 && a.stride[1] == 1 &&
      a.pad.top == 0 && a.pad.left == 0 && a.pad.bottom == 0 && a.pad.right == 0)
    return ""; // keeps the height and width: nothing to explain
  Window w[2];
  windowsOf(a, g.node(n.inputs.at(0)).shape, w);
  std::string rule[2] = {windowFormula(w[0]), windowFormula(w[1])};
  return "height " + rule[0] + ", width " + (rule[1] == rule[0] ? "the same" : rule[1]);
}

std::string channelArithmetic(const Graph &g, const Node &n) {
  if (n.op != OpKind::Concat)
    return "";
  std::string sum;
  for (size_t i = 0; i < n.inputs.size(); ++i)
    sum += (i ? " + " : "") + std::to_string(g.node(n.inputs[i]).shape.c);
  return sum + " = " + std::to_string(n.shape.c) + " channels";
}

std::string inputShapes(const Graph &g, const Node &n) {
  std::string inputs;
  for (size_t i = 0; i < n.inputs.size(); ++i)
    inputs += (i ? ", " : "") + shapeStr(g.node(n.inputs[i]).shape.dims());
  return inputs;
}

std::string shapeArithmetic(const Graph &g, const Node &n, bool spatial) {
  std::string how = spatial ? windowArithmetic(g, n) : channelArithmetic(g, n);
  if (how.empty())
    return "";
  return std::string(opName(n.op)) + " '" + n.name + "'" + (spatial ? " on " : " of ") +
         inputShapes(g, n) + ": " + how;
}

} // namespace cnnc
