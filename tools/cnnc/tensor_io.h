// Files that cnnc reads and writes around a library: safetensors weights and
// .npy arrays (float32, C order).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cnnc {

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Serializes tensors as a safetensors file (dtype F32).
std::string safetensorsBytes(const std::vector<NamedTensor> &tensors);

// Reads a float32 .npy; returns false with `reason` set.
bool readNpy(const std::string &path, std::vector<int64_t> &shape, std::vector<float> &data,
             std::string &reason);
std::string npyBytes(const std::vector<int64_t> &shape, const std::vector<float> &data);

} // namespace cnnc
