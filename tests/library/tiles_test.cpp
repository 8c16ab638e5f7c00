// The conv register tile's shape: pixels per tile and channels per weight
// block, as the AVX-512 and AVX2 schedules choose them.
#include "backend/lower.h"
#include "schedules/cpu.h"

#include <catch2/catch.hpp>

using namespace cnnc;

namespace {

LowerOptions avx512() {
  return layoutOptions(defaultCpuParams(Halide::Target("x86-64-linux-avx512_skylake")));
}

} // namespace

TEST_CASE("a conv tile's pixels fill its accumulators and even out over the row") {
  LowerOptions o = avx512();
  CHECK(convTilePixels(4, 0, o) == 7);  // 28 accumulators
  CHECK(convTilePixels(2, 0, o) == 14); // 28, at most convMaxPixels
  CHECK(convTilePixels(3, 0, o) == 9);  // 27
  CHECK(convTilePixels(1, 0, o) == 14); // capped: more would be load-bound
  CHECK(convTilePixels(4, 56, o) == 7); // 8 tiles
  CHECK(convTilePixels(4, 13, o) == 7); // 2 tiles, the second shifted by 1
  CHECK(convTilePixels(3, 56, o) == 8); // 7 tiles of 9 would leave a 2
  CHECK(convTilePixels(3, 14, o) == 7); // 2 tiles
  CHECK(convTilePixels(4, 5, o) == 5);  // narrower than a tile
  CHECK(convTilePixels(2, 1, o) == 1);
  LowerOptions avx2 = layoutOptions(defaultCpuParams(Halide::Target("x86-64-linux-avx2")));
  CHECK(convTilePixels(2, 0, avx2) == 5); // 10 accumulators
}

TEST_CASE("a conv's weight block: 2 vectors by 14 pixels, 3 by 8 where they pad nothing, "
          "4 by 7 on narrow layers") {
  LowerOptions o = avx512();
  CHECK(convBlock(64, 56, o) == 32);
  CHECK(convBlock(192, 28, o) == 32);
  CHECK(convBlock(256, 13, o) == 32); // one tile of 13 covers the row; 4 x 7 computes 14
  // 208 = 13 x 16: one vector by 14 pixels pads nothing but loads more than
  // it multiplies; 2 vectors pad to 224.
  CHECK(convBlock(208, 14, o) == 32);
  CHECK(convBlock(832, 7, o) == 64); // 2 x 7 would leave half the accumulators idle
  CHECK(convBlock(128, 7, o) == 64);
  // Multiples of 3 vectors: 3 x 8 loads 11 values for 24 FMAs where 2 x 14
  // loads 16 for 28 (Caffe AlexNet's conv1, 96 channels 55 wide).
  CHECK(convBlock(96, 55, o) == 48);
  CHECK(convBlock(384, 7, o) == 48);
  CHECK(convBlock(16, 28, o) == 16); // two vectors would double the work
  CHECK(convBlock(24, 28, o) == 32); // 2 x 14 beats 1 x 14 at the same padding
}

TEST_CASE("AVX-512's default tiles: up to 14 pixels, 4 vectors at most") {
  LowerOptions o = avx512();
  CHECK(o.convMaxPixels == 14);
  CHECK(o.convVectors == 4);
  CHECK(o.convAccumulators == 28);
}
