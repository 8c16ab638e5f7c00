// The conv register tile's shape: pixels per tile and channels per weight
// block, as the AVX-512 and AVX2 schedules choose them.
#include "backend/lower.h"
#include "frontend/elaborate.h"
#include "schedules/cpu.h"

#include <catch2/catch.hpp>

#include <map>

using namespace cnnc;

namespace {

LowerOptions avx512() {
  return layoutOptions(defaultCpuParams(Halide::Target("x86-64-linux-avx512_skylake")));
}

// The Winograd tile m of each conv of tests/e2e/`file` by name, and its
// packed weights' t^2 positions, under `o`.
std::map<std::string, std::pair<int, int64_t>> convTiles(const LowerOptions &o,
                                                         const std::string &file) {
  SourceManager sm;
  DiagEngine diag(sm);
  auto g = compileFile(std::string(CNNC_TEST_DIR) + "/e2e/" + file, sm, diag);
  INFO(diag.str());
  REQUIRE(g != nullptr);
  LoweredNet net = lower(*g, o);
  std::map<std::string, std::pair<int, int64_t>> tiles;
  size_t arg = 0; // each conv's packed weights, then its bias, in node order
  for (const auto &node : g->nodes()) {
    if (node->op != OpKind::Conv)
      continue;
    int m = net.nodes[static_cast<size_t>(node->id)].winograd;
    while (net.weights[arg].pack != Pack::Wino && net.weights[arg].pack != Pack::WinoBn &&
           net.weights[arg].pack != Pack::Conv && net.weights[arg].pack != Pack::ConvBn)
      ++arg;
    tiles[node->name] = {m, m ? net.weights[arg].dims[2] : 0};
    ++arg;
  }
  return tiles;
}

} // namespace

TEST_CASE("strided stems by Winograd: F(4x4, 4x4) on a 7x7/2 conv where F(4x4) is chosen, "
          "F(3x3, 4x4) where not") {
  // Zen 4: F(4x4, .) from 14 wide; stems' 7x7/2 conv `a` is 30 wide, its
  // 11x11/4 conv `b` 13 wide, the 5x5/2 convs `c.0` and `e` 8 wide.
  LowerOptions zen4 =
      layoutOptions(defaultCpuParams(Halide::Target("x86-64-linux-avx512_skylake-avx512_zen4")));
  auto tiles = convTiles(zen4, "stems.cnn");
  CHECK(tiles["a"] == std::make_pair(4, int64_t(49)));   // t = 4 + 4 - 1 = 7
  CHECK(tiles["b"] == std::make_pair(2, int64_t(16)));   // F(2x2, 3x3) over 48 phases
  CHECK(tiles["c.0"] == std::make_pair(2, int64_t(16))); // 3x3 phase kernels
  CHECK(tiles["e"] == std::make_pair(2, int64_t(16)));
  CHECK(tiles["d"].first == 0); // 2x2 phase kernels: direct
  zen4.winograd4x4Width = 0;    // never F(4x4, .)
  tiles = convTiles(zen4, "stems.cnn");
  CHECK(tiles["a"] == std::make_pair(3, int64_t(36)));
}

TEST_CASE("5x5 convs by F(3x3, 5x5), F(2x2, 5x5) under winograd_5x5_3x3 false") {
  LowerOptions o = avx512();
  o.winograd5x5Tile4Width = 0; // AVX-512's default takes F(4x4, 5x5)
  auto tiles = convTiles(o, "winograd5.cnn");
  CHECK(tiles["a"] == std::make_pair(3, int64_t(49))); // t = 3 + 5 - 1 = 7
  CHECK(tiles["b"] == std::make_pair(3, int64_t(49)));
  o.winograd5x5Tile3 = false;
  tiles = convTiles(o, "winograd5.cnn");
  CHECK(tiles["a"] == std::make_pair(2, int64_t(36)));
  CHECK(tiles["b"] == std::make_pair(2, int64_t(36)));
}

TEST_CASE("5x5 convs by F(4x4, 5x5) from winograd_5x5_4x4_width wide") {
  LowerOptions o = avx512();
  o.winogradChannels = 1;
  o.winograd5x5Tile4Width = 14;
  auto tiles = convTiles(o, "winograd45.cnn");
  CHECK(tiles["a"] == std::make_pair(4, int64_t(64)));      // t = 4 + 5 - 1 = 8
  CHECK(tiles["b"] == std::make_pair(4, int64_t(64)));      // 14 wide
  CHECK(tiles["output"] == std::make_pair(3, int64_t(49))); // 12 wide
  o.winograd5x5Tile4Width = 28;
  tiles = convTiles(o, "winograd45.cnn");
  CHECK(tiles["a"] == std::make_pair(4, int64_t(64)));
  CHECK(tiles["b"] == std::make_pair(3, int64_t(49)));
  o.winograd5x5Tile4Width = 0;
  tiles = convTiles(o, "winograd45.cnn");
  CHECK(tiles["a"] == std::make_pair(3, int64_t(49)));
  // Not a conv that a pool reads through its relu (its rows computed by the
  // pool's tasks, in whole tiles): winograd5.cnn's `b`; `a` reaches its pool
  // through an LRN.
  o.winograd5x5Tile4Width = 1;
  o.winogradWidth = 1; // the 4-wide output too
  tiles = convTiles(o, "winograd5.cnn");
  CHECK(tiles["a"] == std::make_pair(4, int64_t(64)));
  CHECK(tiles["b"] == std::make_pair(3, int64_t(49)));
  CHECK(tiles["output"] == std::make_pair(4, int64_t(64)));
  // ... unless such convs are computed at root (winograd_5x5_4x4_pool_root,
  // Zen 4's default), where whole tiles cost the pool nothing.
  o.winograd5x5Tile4PoolRoot = true;
  tiles = convTiles(o, "winograd5.cnn");
  CHECK(tiles["a"] == std::make_pair(4, int64_t(64)));
  CHECK(tiles["b"] == std::make_pair(4, int64_t(64)));
  CHECK(tiles["output"] == std::make_pair(4, int64_t(64)));
}

TEST_CASE("3x3 convs by F(5x5, 3x3) where whole 5x5 tiles compute fewer products than 4x4 "
          "ones") {
  LowerOptions o = avx512();
  o.winograd5x5Width = 13;
  auto wide = [](int64_t w, int64_t h) { return Shape{64, h, w}; };
  CHECK(winograd5x5(wide(13, 13), o)); // 9 tiles of 49 against 16 of 36
  CHECK(winograd5x5(wide(14, 14), o)); // GoogLeNet's 4a-4e
  CHECK(winograd5x5(wide(15, 15), o));
  CHECK(!winograd5x5(wide(16, 16), o)); // 16 of 36 against 16 of 49
  CHECK(!winograd5x5(wide(28, 28), o)); // 1764 either way: F(4x4)
  CHECK(winograd5x5(wide(20, 20), o));  // 16 of 49 against 25 of 36
  CHECK(!winograd5x5(wide(7, 7), o));   // under the width (and more products)
  CHECK(!winograd5x5(wide(10, 10), o)); // fewer products, under the width
  o.winograd5x5Width = 0;
  CHECK(!winograd5x5(wide(14, 14), o));
  // winograd.cnn's 3x3 convs from 1 wide: `a` (12 wide, 15 high) keeps
  // F(4x4), 3 x 3 tiles of 49 being more than 3 x 4 of 36; `b` (10 x 13)
  // and `c` (9 x 13) take F(5x5), 2 x 3 tiles of 49 against 3 x 4 of 36.
  // Strided convs keep their phases' tiles (stems.cnn).
  o.winograd5x5Width = 1;
  o.winogradChannels = 1;
  o.winogradWidth = 1;
  o.winograd4x4Width = 1;
  auto tiles = convTiles(o, "winograd.cnn");
  CHECK(tiles["a"] == std::make_pair(4, int64_t(36)));
  CHECK(tiles["b"] == std::make_pair(5, int64_t(49))); // t = 5 + 3 - 1 = 7
  CHECK(tiles["c"] == std::make_pair(5, int64_t(49)));
  LowerOptions zen4 =
      layoutOptions(defaultCpuParams(Halide::Target("x86-64-linux-avx512_skylake-avx512_zen4")));
  CHECK(convTiles(zen4, "stems.cnn")["b"] == std::make_pair(2, int64_t(16))); // 13 wide, 11x11/4
}

TEST_CASE("Winograd convs of at most winograd_register_tiles tiles: blocks for one register "
          "tile over all of them, in two halves of whole blocks") {
  LowerOptions o = avx512();
  o.winogradRegisterTiles = 14;
  CHECK(winogradAllTilesBlock(384, 1, 9, o) == 48); // AlexNet's conv3: 3 vectors by 9 tiles
  CHECK(winogradAllTilesBlock(256, 1, 9, o) == 32); // 48 does not divide 256
  CHECK(winogradAllTilesBlock(192, 2, 9, o) == 48); // Caffe's conv4: a group a half
  CHECK(winogradAllTilesBlock(128, 2, 9, o) == 32);
  CHECK(winogradAllTilesBlock(208, 1, 9, o) == 0);   // GoogLeNet's 4a: 13 vectors
  CHECK(winogradAllTilesBlock(224, 1, 9, o) == 0);   // 7 blocks of 2 vectors: no halves
  CHECK(winogradAllTilesBlock(128, 1, 4, o) == 64);  // 4 vectors by 4 tiles
  CHECK(winogradAllTilesBlock(64, 1, 4, o) == 32);   // one block of 4 vectors: two of 2
  CHECK(winogradAllTilesBlock(384, 1, 12, o) == 32); // 3 vectors by 12: 36 accumulators
  CHECK(winogradAllTilesBlock(384, 1, 15, o) == 0);  // over 14 tiles
  o.winogradRegisterTiles = 0;
  CHECK(winogradAllTilesBlock(384, 1, 9, o) == 0);
  // The lowering takes those blocks: alltiles.cnn's 13x13 convs by F(5x5,
  // 3x3) under Zen 4's defaults; `d` (3 x 3 tiles of F(2x2, 3x3), one block)
  // and every conv under Skylake's keep theirs.
  LowerOptions zen4 =
      layoutOptions(defaultCpuParams(Halide::Target("x86-64-linux-avx512_skylake-avx512_zen4")));
  for (const LowerOptions &opts : {zen4, avx512()}) {
    SourceManager sm;
    DiagEngine diag(sm);
    auto g = compileFile(std::string(CNNC_TEST_DIR) + "/e2e/alltiles.cnn", sm, diag);
    REQUIRE(g != nullptr);
    LoweredNet net = lower(*g, opts);
    std::map<std::string, std::pair<int, bool>> blocks;
    for (const auto &node : g->nodes())
      if (node->op == OpKind::Conv)
        blocks[node->name] = {net.nodes[static_cast<size_t>(node->id)].block,
                              net.nodes[static_cast<size_t>(node->id)].allTiles};
    bool on = opts.winogradRegisterTiles > 0;
    INFO(on);
    CHECK(blocks["a"].first == 48); // Skylake: 3 vectors by 3 tiles (4 do not divide 96)
    CHECK(blocks["a"].second == on);
    CHECK(blocks["b.0"].first == 32); // a group's 32 channels
    CHECK(blocks["b.0"].second == on);
    CHECK(blocks["f"].second == on);
    CHECK(blocks["c"].second == on);
    CHECK(!blocks["d"].second);
    CHECK(!blocks["e"].second); // 1x1: direct
  }
}

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

TEST_CASE("Zen 4's tile model counts one FMA a cycle: one vector by 14 pixels where two "
          "vectors pad") {
  LowerOptions zen4 =
      layoutOptions(defaultCpuParams(Halide::Target("x86-64-linux-avx512_skylake-avx512_zen4")));
  LowerOptions skylake = avx512();
  // GoogLeNet's inception 4b and 4d reduce convs, 112 and 144 channels 14
  // wide: 2 vectors pad them to 128 and 160. At one FMA a cycle 2 vectors by
  // 14 pixels are bound by their 28 FMAs a step, and the padded channels cost
  // more than 1 vector's 15 loads for 14 FMAs; 3 vectors by 7 (Skylake's for
  // 144, no padding) stream a weight vector for each 7 FMAs.
  CHECK(convBlock(112, 14, zen4) == 16);
  CHECK(convBlock(144, 14, zen4) == 16);
  CHECK(convBlock(112, 14, skylake) == 32);
  CHECK(convBlock(144, 14, skylake) == 48);
  // Where nothing pads, the same tiles as elsewhere.
  CHECK(convBlock(64, 56, zen4) == 32);
  CHECK(convBlock(256, 14, zen4) == 32);
  CHECK(convBlock(128, 7, zen4) == 64);
}

TEST_CASE("AVX-512's default tiles: up to 14 pixels, 4 vectors at most") {
  LowerOptions o = avx512();
  CHECK(o.convMaxPixels == 14);
  CHECK(o.convVectors == 4);
  CHECK(o.convAccumulators == 28);
}
