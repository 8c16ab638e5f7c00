// Integer arithmetic on shapes and figures that reports overflow instead of
// wrapping: a 2e9-channel conv is diagnosed, never a wrapped count.
#pragma once

#include <cstdint>
#include <optional>

namespace cnnc {

inline std::optional<int64_t> mulChecked(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

inline std::optional<int64_t> addChecked(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

// Product of all factors, or nullopt on overflow.
template <typename... T> std::optional<int64_t> product(int64_t first, T... rest) {
  std::optional<int64_t> acc = first;
  for (int64_t f : {static_cast<int64_t>(rest)...}) {
    if (!acc)
      return acc;
    acc = mulChecked(*acc, f);
  }
  return acc;
}

} // namespace cnnc
