// The output-size rule on PyTorch's documented cases.
#include "ir/window.h"

#include <catch2/catch.hpp>

using cnnc::Window;
using cnnc::windowLost;
using cnnc::windowOut;

TEST_CASE("floor rule: out = floor((in + 2p - k) / s) + 1") {
  CHECK(*windowOut({227, 0, 0, 11, 4, 1, false}) == 55); // AlexNet conv1
  CHECK(*windowOut({224, 2, 2, 11, 4, 1, false}) == 55); // torchvision conv1
  CHECK(*windowOut({55, 0, 0, 3, 2, 1, false}) == 27);
  CHECK(*windowOut({224, 3, 3, 7, 2, 1, false}) == 112);
  CHECK(*windowOut({5, 0, 0, 2, 2, 1, false}) == 2); // last row dropped
  CHECK(*windowOut({28, 1, 1, 3, 1, 1, false}) == 28);
}

TEST_CASE("ceil rule rounds up") {
  // GoogLeNet: 112 -> 56 with a 3/2 ceil pool (floor would give 55).
  CHECK(*windowOut({112, 0, 0, 3, 2, 1, true}) == 56);
  CHECK(*windowOut({112, 0, 0, 3, 2, 1, false}) == 55);
  CHECK(*windowOut({5, 0, 0, 2, 2, 1, true}) == 3);
  CHECK(*windowOut({14, 0, 0, 2, 2, 1, true}) == 7);
}

TEST_CASE("ceil rule drops a last window that starts in the trailing padding") {
  // PyTorch: MaxPool2d(2, stride=2, padding=1, ceil_mode=True) on 4 -> 3:
  // span = 4 + 2 - 2 = 4, ceil(4/2) + 1 = 3, and (3-1)*2 = 4 < 4 + 1 keeps it.
  CHECK(*windowOut({4, 1, 1, 2, 2, 1, true}) == 3);
  // in 5, k 3, s 2, p 1: span = 4, ceil(4/2)+1 = 3; (3-1)*2 = 4 < 6: stays 3.
  CHECK(*windowOut({5, 1, 1, 3, 2, 1, true}) == 3);
  // in 6, k 1, s 3, p 0... span 5, ceil(5/3)+1 = 3; (3-1)*3 = 6 >= 6 + 0: 2.
  CHECK(*windowOut({6, 0, 0, 1, 3, 1, true}) == 2);
  // in 3, k 2, s 2, p 1: span 3, ceil(3/2)+1 = 3; (3-1)*2 = 4 >= 3 + 1: 2.
  CHECK(*windowOut({3, 1, 1, 2, 2, 1, true}) == 2);
}

TEST_CASE("dilation widens the kernel to d*(k-1)+1") {
  CHECK(*windowOut({32, 0, 0, 3, 1, 2, false}) == 28);
  CHECK(*windowOut({32, 2, 2, 3, 1, 2, false}) == 32);
  CHECK(*windowOut({10, 0, 0, 3, 1, 5, false}) == 0); // does not fit
}

TEST_CASE("asymmetric padding") {
  CHECK(*windowOut({10, 1, 0, 3, 1, 1, false}) == 9);
  CHECK(*windowOut({10, 0, 2, 3, 2, 1, false}) == 5);
  CHECK(*windowOut({7, 2, 1, 4, 3, 1, false}) == 3);
}

TEST_CASE("windows that do not fit give an output below 1") {
  CHECK(*windowOut({2, 0, 0, 3, 1, 1, false}) <= 0);
  CHECK(*windowOut({1, 0, 0, 5, 1, 1, true}) <= 0);
}

TEST_CASE("overflowing window arithmetic is reported, not wrapped") {
  CHECK_FALSE(windowOut({INT64_MAX, INT64_MAX, 0, 3, 1, 1, false}).has_value());
  CHECK_FALSE(windowOut({10, 0, 0, INT64_MAX, 1, 4, false}).has_value());
}

TEST_CASE("rows that no window reads") {
  // in 8, k 3, s 2: span 5, windows at 0,2,4 read rows 0..6; row 7 is lost.
  CHECK(windowLost({8, 0, 0, 3, 2, 1, false}) == 1);
  // trailing padding covers the skipped positions
  CHECK(windowLost({8, 0, 1, 3, 2, 1, false}) == 0);
  CHECK(windowLost({227, 0, 0, 11, 4, 1, false}) == 0);
  CHECK(windowLost({8, 0, 0, 3, 2, 1, true}) == 0);  // ceil reads them
  CHECK(windowLost({9, 0, 0, 1, 3, 1, false}) == 0); // kernel < stride: not this warning
  CHECK(windowLost({10, 0, 0, 3, 4, 1, false}) == 0);
  CHECK(windowLost({11, 0, 0, 5, 3, 1, false}) == 0);
  CHECK(windowLost({12, 0, 0, 5, 3, 1, false}) == 1);
}

// The arithmetic shown to the user when a shape assertion fails.
TEST_CASE("windowFormula writes the rule with the layer's numbers") {
  using cnnc::windowFormula;
  CHECK(windowFormula({227, 0, 0, 11, 4, 1, false}) == "floor((227 + 0 + 0 - 11) / 4) + 1 = 55");
  CHECK(windowFormula({28, 1, 1, 3, 1, 1, false}) == "floor((28 + 1 + 1 - 3) / 1) + 1 = 28");
  // Dilation: the kernel's reach d*(k-1)+1 takes k's place.
  CHECK(windowFormula({32, 0, 0, 3, 1, 2, false}) ==
        "floor((32 + 0 + 0 - 5) / 1) + 1 = 28 (3 taps at dilation 2 span 5)");
  CHECK(windowFormula({112, 0, 0, 3, 2, 1, true}) == "ceil((112 + 0 + 0 - 3) / 2) + 1 = 56");
  // ceil, and a last window that would start in the trailing padding.
  CHECK(windowFormula({3, 1, 1, 2, 2, 1, true}) ==
        "ceil((3 + 1 + 1 - 2) / 2) + 1 - 1 = 2 (the last window would start in the padding)");
  // Too small: the span is negative.
  CHECK(windowFormula({8, 0, 0, 11, 4, 1, false}) == "floor((8 + 0 + 0 - 11) / 4) + 1 = 0");
}
