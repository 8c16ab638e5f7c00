// The output-size rule; see window.h for the formula.
#include "ir/window.h"

#include "ir/checked.h"

namespace cnnc {

namespace {

std::optional<int64_t> span(const Window &w) {
  auto reach = mulChecked(w.dilation, w.kernel - 1); // d*(k-1)
  auto sum = addChecked(w.in, w.lo);
  if (sum)
    sum = addChecked(*sum, w.hi);
  if (!reach || !sum)
    return std::nullopt;
  return *sum - *reach - 1;
}

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

} // namespace

std::optional<int64_t> windowOut(const Window &w) {
  auto s = span(w);
  if (!s)
    return std::nullopt;
  if (*s < 0)
    return 0;
  if (!w.ceil)
    return floorDiv(*s, w.stride) + 1;
  int64_t out = (*s + w.stride - 1) / w.stride + 1;
  // PyTorch and Caffe: the last window must start inside the input or its
  // leading padding.
  if ((out - 1) * w.stride >= w.in + w.lo)
    --out;
  return out;
}

std::string windowFormula(const Window &w) {
  using std::to_string;
  int64_t reach = w.dilation * (w.kernel - 1) + 1;
  int64_t span = w.in + w.lo + w.hi - reach;
  int64_t out = w.ceil ? -floorDiv(-span, w.stride) + 1 : floorDiv(span, w.stride) + 1;
  std::string text = std::string(w.ceil ? "ceil" : "floor") + "((" + to_string(w.in) + " + " +
                     to_string(w.lo) + " + " + to_string(w.hi) + " - " + to_string(reach) + ") / " +
                     to_string(w.stride) + ") + 1";
  bool dropped = w.ceil && out > 1 && (out - 1) * w.stride >= w.in + w.lo;
  if (dropped) {
    --out;
    text += " - 1";
  }
  text += " = " + to_string(out);
  if (w.dilation > 1)
    text += " (" + to_string(w.kernel) + " taps at dilation " + to_string(w.dilation) + " span " +
            to_string(reach) + ")";
  if (dropped)
    text += " (the last window would start in the padding)";
  return text;
}

int64_t windowLost(const Window &w) {
  int64_t effKernel = w.dilation * (w.kernel - 1) + 1;
  if (w.ceil || effKernel < w.stride)
    return 0;
  auto s = span(w);
  if (!s || *s < 0)
    return 0;
  int64_t skipped = *s % w.stride;
  return skipped > w.hi ? skipped - w.hi : 0;
}

} // namespace cnnc
