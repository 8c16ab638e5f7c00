// The output-size rule of conv and pooling windows (language.md section 3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cnnc {

struct Window {
  int64_t in = 0; // input size on this axis
  int64_t lo = 0; // padding before
  int64_t hi = 0; // padding after
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t dilation = 1;
  bool ceil = false;
};

// span = in + lo + hi - d*(k-1) - 1
// out  = floor(span/stride) + 1, or with ceil: ceil(span/stride) + 1, less one
//        if the last window would start past the input and its leading pad.
// Returns nullopt if the arithmetic overflows; a result below 1 means the
// window does not fit.
std::optional<int64_t> windowOut(const Window &w);

// The rule with w's numbers, as a student would check it by hand:
// "floor((227 + 0 + 0 - 11) / 4) + 1 = 55"; with dilation, the kernel's reach
// in k's place and a note of it; with ceil, a "- 1" where the last window
// would start past the input and its leading padding. Not for overflowing
// sizes (windowOut's nullopt).
std::string windowFormula(const Window &w);

// Input rows (or columns) at the far edge that no window reads, beyond the
// trailing padding: positive only with ceil=false and kernel >= stride.
int64_t windowLost(const Window &w);

} // namespace cnnc
