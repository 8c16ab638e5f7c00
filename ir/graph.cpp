// Graph construction.
#include "ir/graph.h"

namespace cnnc {

Node &Graph::add(OpKind op) {
  auto n = std::make_unique<Node>();
  n->id = static_cast<int>(nodes_.size());
  n->op = op;
  nodes_.push_back(std::move(n));
  return *nodes_.back();
}

} // namespace cnnc
