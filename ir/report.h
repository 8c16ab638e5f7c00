// What cnnc shows of a graph: the summary table and its JSON form, the IR
// dump and a Graphviz drawing.
#pragma once

#include "ir/graph.h"

#include <iosfwd>

namespace cnnc {

// The network's parameters and multiply-adds; the frontend rejects a graph
// whose totals overflow (overflowAt: the node where they did, else -1).
struct Totals {
  int64_t params = 0, macs = 0;
  int overflowAt = -1;
};
Totals totals(const Graph &g);

void printSummary(std::ostream &os, const Graph &g);
// After the summary table: how each layer's figures follow from its
// arguments and input (`cnnc summary --explain`): the output size rule with
// its numbers, the weights' shapes, the multiply-adds' factors and the
// receptive field's step.
void printExplanation(std::ostream &os, const Graph &g);
void printSummaryJson(std::ostream &os, const Graph &g);
void printIR(std::ostream &os, const Graph &g);
void printDot(std::ostream &os, const Graph &g);

std::string jsonString(const std::string &s);

} // namespace cnnc
