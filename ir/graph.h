// The graph IR: nodes own their attributes, shapes, figures and source
// locations; the graph owns its nodes. Nothing here knows Halide.
#pragma once

#include "ir/diag.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cnnc {

// Every op of language.md section 3, plus the network input.
enum class OpKind {
  Input,
  Conv,
  Fc,
  MaxPool,
  AvgPool,
  GlobalAvgPool,
  Relu,
  Sigmoid,
  Tanh,
  Lrn,
  BatchNorm,
  Concat,
  Add,
  Softmax,
  Dropout,
  Flatten,
};

// A tensor of one image: channels, height, width.
struct Shape {
  int64_t c = 0, h = 0, w = 0;
  std::vector<int64_t> dims() const { return {c, h, w}; }
  bool operator==(const Shape &o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Shape &o) const { return !(*this == o); }
};

// Padding before/after each axis; `same` is resolved to numbers by inference.
struct Padding {
  int64_t top = 0, left = 0, bottom = 0, right = 0;
  bool same = false;
};

// The resolved arguments of an op; each op reads the fields it declares in
// the op table (ir/ops.cpp).
struct Attrs {
  int64_t out = 0;              // conv, fc: output channels
  int64_t kernel[2] = {1, 1};   // [h, w]
  int64_t stride[2] = {1, 1};   // [h, w]
  int64_t dilation[2] = {1, 1}; // [h, w]
  Padding pad;
  int64_t groups = 1;
  bool bias = true;
  bool ceil = false;
  double p = 0.5;   // dropout
  int64_t size = 5; // lrn
  double alpha = 1e-4, beta = 0.75, k = 1.0;
  double eps = 1e-5; // batchnorm
};

struct WeightInfo {
  std::string name; // "inc3a.b2.0.weight"
  std::vector<int64_t> shape;
  bool counted = true; // counts as a parameter (not running stats)
};

struct Node {
  int id = -1;
  OpKind op = OpKind::Input;
  std::vector<int> inputs; // ids of producer nodes (non-owning)
  Attrs attrs;
  Shape shape;
  std::string name; // layer name, unique in the graph
  std::string unit; // weight prefix; empty if no weights
  std::vector<WeightInfo> weights;
  Loc loc;
  std::vector<std::string> context; // block call sites, innermost first
  int64_t params = 0, macs = 0;
  int64_t rf[2] = {1, 1};   // receptive field [h, w] in input pixels
  int64_t jump[2] = {1, 1}; // input pixels between adjacent outputs
  // After a flatten (and the ops that keep its channels apart): the
  // receptive field of a layer that combines its channels, the whole plane
  // flattened into them; else 0. `rfOfPlane`: this layer's rf is that.
  int64_t planeRf[2] = {0, 0};
  bool rfOfPlane = false;
};

class Graph {
public:
  std::string name;
  std::string inputName;
  int input = -1;
  int output = -1;

  Node &add(OpKind op);
  Node &node(int id) { return *nodes_.at(static_cast<size_t>(id)); }
  const Node &node(int id) const { return *nodes_.at(static_cast<size_t>(id)); }
  size_t size() const { return nodes_.size(); }
  // Nodes in creation order, which is source and evaluation order.
  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }

private:
  std::vector<std::unique_ptr<Node>> nodes_; // owned; ids index this vector
};

const char *opName(OpKind op);
// relu, sigmoid, tanh, dropout, batchnorm: each output element from the same
// element of one input.
bool isElementwise(OpKind op);

} // namespace cnnc
