// cnnc bench --per-layer: Halide's profiler report read back as time per
// layer, over a library compiled as one pipeline or in parts.
#include "tools/cnnc/bench.h"

#include <catch2/catch.hpp>

using namespace cnnc;

namespace {

// Two pipelines as Halide's runtime prints them for a library in parts
// (tests/e2e/parts.cnn cut after node 41): the first part, then
// cnnc_pipeline, whose line for node 41 is its call of the first part.
const char *kPartsReport = R"(cnnc_part0
 total time: 20.000000 ms  samples: 10  runs: 10  time per run: 2.000000 ms
 heap allocations: 16  peak heap usage: 14400 bytes
    halide_malloc:                             0.100ms ( 5.0%)   
    n3_pad:                                    0.200ms (10.0%)    peak: 6336     num: 1         avg: 6336
    n1_conv:                                   0.500ms (25.0%)    stack: 224
    n3_conv:                                   0.400ms (20.0%)    stack: 224
    n41$0:                                     0.800ms (40.0%)    peak: 4032     num: 1         avg: 4032
cnnc_pipeline
 total time: 40.000000 ms  samples: 10  runs: 10  time per run: 4.000000 ms
 heap allocations: 6  peak heap usage: 14400 bytes
    halide_free:                               0.400ms (10.0%)   
    n41$1:                                     2.000ms (50.0%)    peak: 4032     num: 1         avg: 4032
    n52_fc:                                    1.000ms (25.0%)    stack: 512
    output:                                    0.600ms (15.0%)   
)";

} // namespace

TEST_CASE("the profiler's report gives each node its share of its pipeline's time per run") {
  std::map<int, LayerProfile> perNode = parseProfile(kPartsReport);
  REQUIRE(perNode.size() == 4);
  // A node's Funcs add up (n3's padded copy and its conv).
  CHECK(perNode[3].ms == Approx(0.6));
  CHECK(perNode[1].ms == Approx(0.5));
  CHECK(perNode[52].ms == Approx(1.0));
  // The cut node: its time in the first part only, not again as the call
  // of that part from cnnc_pipeline.
  CHECK(perNode[41].ms == Approx(0.8));
}

TEST_CASE("a node's samples are its share of its pipeline's samples") {
  std::map<int, LayerProfile> perNode = parseProfile(kPartsReport);
  CHECK(perNode[3].samples == Approx(3));    // 30 % of cnnc_part0's 10
  CHECK(perNode[52].samples == Approx(2.5)); // 25 % of cnnc_pipeline's 10
  CHECK(perNode[41].samples == Approx(4));   // the call of the part not counted again
}

TEST_CASE("a library in one pipeline has no call to skip") {
  std::map<int, LayerProfile> perNode = parseProfile(R"(cnnc_pipeline
 total time: 3.000000 ms  samples: 3  runs: 3  time per run: 1.000000 ms
    n1_conv:                                   0.600ms (60.0%)    stack: 224
    n2$0:                                      0.300ms (30.0%)
    waiting:                                   0.100ms (10.0%)
)");
  REQUIRE(perNode.size() == 2);
  CHECK(perNode[1].ms == Approx(0.6));
  CHECK(perNode[2].ms == Approx(0.3));
  CHECK(perNode[1].samples == Approx(1.8));
  CHECK(parseProfile("").empty());
}
