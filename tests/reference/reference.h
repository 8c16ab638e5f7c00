// A float64 reference of every op, written from language.md for the tests
// alone: plain loops over NCHW arrays, sharing no code with the backend.
#pragma once

#include "ir/graph.h"

#include <map>
#include <string>
#include <vector>

namespace cnnc::ref {

using Weights = std::map<std::string, std::vector<double>>;

// Runs the graph on `input` (batch x C x H x W) and returns the output
// (batch x C' x H' x W').
std::vector<double> run(const Graph &g, const Weights &weights, const std::vector<double> &input,
                        int64_t batch);

} // namespace cnnc::ref
