// The op table: one row per op with its arguments, defaults and kinds, shape
// rule, checks, weights and figures. Argument binding (frontend/), shape
// inference, figures and lowering (backend/) all read it.
//
// Adding an op:
//   1. a value in OpKind (ir/graph.h) and a row in opTable() (ir/ops.cpp),
//      with its arguments and an infer function (shape, checks, weights);
//   2. its lowering in backend/lower_ops.cpp and its schedule in schedules/;
//   3. a reference implementation in tests/reference/ and a test.
#pragma once

#include "ir/graph.h"

#include <map>
#include <string>
#include <vector>

namespace cnnc {

enum class ArgKind {
  Tensor,  // one tensor
  Tensors, // the rest of the positional arguments, all tensors
  Int,
  Real, // an integer is accepted too
  Bool,
  Pair, // an integer (both axes) or [h, w]
  Pad,  // an integer, [h, w], [top, left, bottom, right], same or valid
};

// An argument after kind checking.
struct ArgValue {
  int64_t i = 0;
  double r = 0;
  bool b = false;
  int64_t pair[2] = {0, 0};
  Padding pad;
};

struct ArgSpec {
  const char *name;
  ArgKind kind;
  // Default as source text; nullptr: required. "=NAME" copies argument NAME.
  const char *def;
  void (*set)(Attrs &, const ArgValue &); // nullptr for tensors
};

// What an infer function sees: the node (attributes bound, inputs wired),
// its input shapes, and where to report.
struct InferCtx {
  DiagEngine &diag;
  const Graph &graph;
  Node &node;
  std::vector<Shape> in;                // filled by inferNode
  std::vector<std::string> inputLabels; // how the source names each input
  std::map<std::string, Loc> argLocs;   // where each argument was written
  bool ok = true;

  Loc at(const std::string &arg) const;
  Diagnostic &error(const std::string &arg, std::string message);
  Diagnostic &warning(const std::string &arg, std::string message);
  std::string what() const; // "conv 'inc3a.b2.1'"
};

struct OpInfo {
  OpKind kind;
  const char *name;
  std::vector<ArgSpec> args;
  bool weighted; // a unit of the weight-naming rule
  // Checks the arguments, sets node.shape, node.weights, figures and the
  // receptive field. Returns false after reporting an error.
  bool (*infer)(InferCtx &);
};

const std::vector<OpInfo> &opTable();
const OpInfo *findOp(const std::string &name);
const OpInfo &opInfo(OpKind kind);

// Runs the op's infer function, then the figures every op shares.
bool inferNode(InferCtx &ctx);

// How a conv's or pool's height and width follow from its input's, by the
// rule with its numbers: "height floor((55 + 0 + 0 - 3) / 2) + 1 = 27, width
// the same". Empty for other ops and for windows that keep the size by
// construction (1x1, stride 1, no padding).
std::string windowArithmetic(const Graph &g, const Node &n);
// A concat's channels: "64 + 128 + 32 + 32 = 256 channels"; else empty.
std::string channelArithmetic(const Graph &g, const Node &n);
// The shapes of node n's inputs: "[64, 28, 28], [128, 28, 28]".
std::string inputShapes(const Graph &g, const Node &n);
// The note of a failed shape assertion for node n: with `spatial`, its
// windowArithmetic ("maxpool 'pool1' on [96, 55, 55]: height ..."), else
// its channelArithmetic; empty where that is.
std::string shapeArithmetic(const Graph &g, const Node &n, bool spatial);

} // namespace cnnc
