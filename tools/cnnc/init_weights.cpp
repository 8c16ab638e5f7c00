// Random weights from a portable generator (splitmix64, Box-Muller).
#include "tools/cnnc/init_weights.h"

#include <cmath>

namespace cnnc {

namespace {

class Rng {
public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; } // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {
    double u = 1.0 - uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }

private:
  uint64_t state_;
};

} // namespace

std::vector<NamedTensor> initWeights(const Graph &g, uint64_t seed) {
  Rng rng(seed);
  std::vector<NamedTensor> out;
  for (const auto &node : g.nodes()) {
    for (const WeightInfo &w : node->weights) {
      NamedTensor t{w.name, w.shape, {}};
      size_t count = 1;
      for (int64_t d : w.shape)
        count *= static_cast<size_t>(d);
      t.data.resize(count);
      const std::string suffix = w.name.substr(w.name.rfind('.') + 1);
      bool isBn = node->op == OpKind::BatchNorm;
      double fanIn =
          w.shape.size() > 1 ? static_cast<double>(count / static_cast<size_t>(w.shape[0])) : 1;
      for (float &v : t.data) {
        double x;
        if (isBn && suffix == "weight")
          x = rng.uniform(0.5, 1.5);
        else if (isBn && suffix == "running_var")
          x = rng.uniform(0.5, 1.5);
        else if (isBn) // bias, running_mean
          x = rng.uniform(-0.2, 0.2);
        else if (suffix == "bias")
          x = rng.uniform(-0.05, 0.05);
        else
          x = rng.normal() * std::sqrt(2.0 / fanIn);
        v = static_cast<float>(x);
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

} // namespace cnnc
