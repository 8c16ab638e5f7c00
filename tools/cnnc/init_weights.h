// cnnc init: deterministic random weights for a network.
#pragma once

#include "ir/graph.h"
#include "tools/cnnc/tensor_io.h"

namespace cnnc {

// He-normal conv and fc weights (std sqrt(2 / fan_in)), small non-zero
// biases, batchnorm with non-trivial scale, shift, mean and variance. The
// same seed gives the same bytes on every machine.
std::vector<NamedTensor> initWeights(const Graph &g, uint64_t seed);

} // namespace cnnc
