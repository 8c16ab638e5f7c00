// Schedule files: the named parameters they set, and the errors they get,
// with the line and column of what is wrong.
#include "backend/library.h"
#include "schedules/cpu.h"
#include "tools/cnnc/schedule_file.h"

#include <catch2/catch.hpp>

using namespace cnnc;

namespace {

std::string errorOf(const std::string &text) {
  try {
    parseScheduleFile(text, "s.json");
  } catch (const UserError &e) {
    return e.what();
  }
  return "no error";
}

} // namespace

TEST_CASE("a schedule file sets parameters over the target's defaults") {
  auto settings = parseScheduleFile(R"({"cpu": {"conv_unroll": 16, "pool_into_conv": false,
                                            "fc_vectors": 1}})",
                                    "s.json");
  REQUIRE(settings.size() == 3);
  CHECK(settings[0] == std::make_pair(std::string("conv_unroll"), 16));
  CHECK(settings[1] == std::make_pair(std::string("pool_into_conv"), 0));
  Halide::Target avx512("x86-64-linux-avx512_skylake");
  CpuParams d = defaultCpuParams(avx512), p = cpuParams(avx512, settings);
  CHECK(p.convUnroll == 16);
  CHECK(!p.poolIntoConv);
  CHECK(p.fcVectors == 1);
  CHECK(p.convVectors == d.convVectors); // not set: the target's
  CHECK(p.vec == 16);
  CHECK(parseScheduleFile("{}", "s.json").empty());
  CHECK(parseScheduleFile(R"({"cpu": {}})", "s.json").empty());
}

TEST_CASE("Zen 4's defaults take Winograd further than other AVX-512 targets") {
  // Zen 4 executes a 512-bit FMA as two 256-bit halves: fewer multiplies pay
  // for more transform work there (docs/schedules.md).
  CpuParams skylake = defaultCpuParams(Halide::Target("x86-64-linux-avx512_skylake"));
  CpuParams zen4 = defaultCpuParams(Halide::Target("x86-64-linux-avx512_skylake-avx512_zen4"));
  CpuParams zen5 =
      defaultCpuParams(Halide::Target("x86-64-linux-avx512_skylake-avx512_zen4-avx512_zen5"));
  CHECK(skylake.winogradWidth == 8);
  CHECK(skylake.winograd4x4Width == 28);
  CHECK(zen4.winogradWidth == 1);
  CHECK(zen4.winograd4x4Width == 14);
  CHECK(zen4.winogradChannels == 16);
  CHECK(skylake.winogradChannels == 32);
  CHECK(zen4.winograd5x5Width == 13); // F(5x5, 3x3) on 13- to 15-wide layers
  CHECK(skylake.winograd5x5Width == 0);
  CHECK(zen5.winograd5x5Width == 0);
  CHECK(zen4.winogradRegisterTiles == 14); // 3 x 3 tiles in one register tile
  CHECK(skylake.winogradRegisterTiles == 0);
  CHECK(zen5.winogradRegisterTiles == 0);
  // F(4x4, 5x5) on every AVX-512 target, as Zen 3 (measured on Zen 4 and
  // on a Sapphire Rapids Xeon)
  CHECK(zen4.winograd5x5Tile4Width == 1);
  CHECK(skylake.winograd5x5Tile4Width == 1);
  CHECK(zen5.winograd5x5Tile4Width == 1);
  // ... on 5x5 convs that a pool alone reads too, at root (torchvision
  // AlexNet's conv2)
  CHECK(zen4.winograd5x5Tile4PoolRoot);
  CHECK_FALSE(skylake.winograd5x5Tile4PoolRoot);
  CHECK_FALSE(zen5.winograd5x5Tile4PoolRoot);
  CHECK(zen4.vec == 16);
  // The conv tile model counts one 512-bit FMA a cycle on Zen 4, two on the
  // others (Zen 5's full-width units included).
  CHECK(zen4.convFmasPerCycle == 1);
  CHECK(skylake.convFmasPerCycle == 2);
  CHECK(zen5.convFmasPerCycle == 2);
  CHECK(zen5.winogradWidth == skylake.winogradWidth);
  CHECK(zen5.winograd4x4Width == skylake.winograd4x4Width);
  CHECK(zen5.winogradChannels == skylake.winogradChannels);
  // strided convs over their phases on every target (docs/schedules.md)
  CHECK(skylake.winogradStrided);
  CHECK(zen4.winogradStrided);
  CHECK(defaultCpuParams(Halide::Target("x86-64-linux-avx2")).winogradStrided);
}

TEST_CASE("Zen 3's AVX2 defaults take Winograd as far as Zen 4's F(4x4) and F(2x2)") {
  // Two 256-bit FMAs a cycle, as Zen 4: fewer multiplies pay for more
  // transform work (docs/schedules.md). Other AVX2 targets keep theirs.
  CpuParams avx2 = defaultCpuParams(Halide::Target("x86-64-linux-avx-avx2-f16c-fma-sse41"));
  CpuParams zen3 =
      defaultCpuParams(Halide::Target("x86-64-linux-tune_znver3-avx-avx2-f16c-fma-sse41"));
  CHECK(zen3.vec == 8);
  CHECK(zen3.winograd4x4Width == 14);
  CHECK(zen3.winogradWidth == 1);
  CHECK(avx2.winograd4x4Width == 28);
  CHECK(avx2.winogradWidth == 8);
  // Caffe GoogLeNet's 5x5 convs of 16 and 24 input channels by Winograd
  CHECK(zen3.winogradChannels == 16);
  CHECK(avx2.winogradChannels == 32);
  // measured slower or no faster on Zen 3 (docs/performance-log.md)
  CHECK(zen3.winograd5x5Width == 0);
  CHECK(zen3.convAccumulators == avx2.convAccumulators);
  // F(4x4, 5x5) on every 5x5 conv (but those a pool alone reads)
  CHECK(zen3.winograd5x5Tile4Width == 1);
  CHECK(avx2.winograd5x5Tile4Width == 0);
  // ... but F(2x2, 5x5) on those narrower than 8 (inception 5a and 5b)
  CHECK(zen3.winograd5x5Tile2Below == 8);
  CHECK(avx2.winograd5x5Tile2Below == 0);
}

TEST_CASE("settings written as JSON read back") {
  std::vector<std::pair<std::string, int>> settings = {
      {"conv_unroll", 16}, {"pool_into_conv", 0}, {"conv_into_concat", 1}};
  std::string json = cpuSettingsJson(settings);
  CHECK(json == R"({"conv_unroll": 16, "pool_into_conv": false, "conv_into_concat": true})");
  CHECK(parseScheduleFile("{\"cpu\": " + json + "}", "s.json") == settings);
  CHECK(cpuSettingsJson({}) == "{}");
}

TEST_CASE("every parameter of the table can be set") {
  Halide::Target avx2("x86-64-linux-avx2");
  for (const auto &info : cpuParamInfo()) {
    CpuParams p = cpuParams(avx2, {{info.name, info.min}});
    CHECK((info.number ? p.*(info.number) : static_cast<int>(p.*(info.flag))) == info.min);
  }
  CHECK_THROWS_AS(cpuParams(avx2, {{"vec", 4}}), std::invalid_argument);
  CHECK_THROWS_AS(cpuParams(avx2, {{"conv_vectors", 0}}), std::invalid_argument);
}

TEST_CASE("schedule file errors name the place and what was expected") {
  CHECK(errorOf("{\"cpu\": {\n  \"conv_vector\": 2}}") ==
        "s.json:2:3: unknown parameter 'conv_vector'; known: conv_vectors, conv_accumulators, "
        "conv_max_pixels, conv_fmas_per_cycle, conv_unroll, conv_prefetch_pixels, "
        "conv_block_tasks_below, conv_block_weight_bytes, "
        "conv_into_concat, conv_into_add, "
        "pool_into_conv, conv_into_pool_rows, lrn_into_pool, pointwise_into_pool, "
        "pool_channel_tasks, lrn_conv_at_root, lrn_conv_per_image, unroll_channel_vectors, "
        "winograd_channels, "
        "winograd_width, "
        "winograd_4x4, "
        "winograd_4x4_width, winograd_5x5_3x3, winograd_5x5_4x4_width, "
        "winograd_5x5_4x4_task_tiles, winograd_5x5_4x4_pool_root, winograd_5x5_2x2_below, "
        "winograd_5x5_width, "
        "winograd_register_tiles, "
        "winograd_strided, "
        "winograd_task_tiles, "
        "winograd_channel_tasks_below, winograd_channel_tasks_floats, "
        "winograd_group_inputs, winograd_group_tasks, fc_vectors, "
        "fc_unroll, "
        "fc_prefetch_bytes, shares_macs_per_weight");
  CHECK(errorOf("{\"cpu\": {\"conv_vectors\": 9}}") ==
        "s.json:1:26: 'conv_vectors' takes an integer in [1, 8]");
  CHECK(errorOf("{\"cpu\": {\"conv_unroll\": 2.5}}") ==
        "s.json:1:25: 'conv_unroll' takes an integer in [1, 64]");
  CHECK(errorOf("{\"cpu\": {\"conv_unroll\": \"8\"}}") ==
        "s.json:1:25: 'conv_unroll' takes an integer in [1, 64]");
  CHECK(errorOf("{\"cpu\": {\"pool_into_conv\": 0}}") ==
        "s.json:1:28: 'pool_into_conv' takes true or false, not a number");
  CHECK(errorOf("{\"cpu\": {\"fc_unroll\": 2, \"fc_unroll\": 4}}") ==
        "s.json:1:26: 'fc_unroll' is given twice");
  CHECK(errorOf("{\"gpu\": {}}") == "s.json:1:2: unknown key 'gpu'; a schedule file has \"cpu\"");
  CHECK(errorOf("{\"cpu\": 3}") ==
        "s.json:1:9: \"cpu\" takes an object of parameters, not a number");
  CHECK(errorOf("[1]") == "s.json:1:1: expected an object {\"cpu\": {...}}, not an array");
  CHECK(errorOf("{\"cpu\": {\"fc_unroll\": 2,}}") ==
        "s.json:1:25: expected a key in double quotes");
  CHECK(errorOf("{\"cpu\": {\"fc_unroll\" 2}}") == "s.json:1:22: expected ':' after the key");
  CHECK(errorOf("{\"cpu\": {}") == "s.json:1:11: expected ',' or '}' in the object");
  CHECK(errorOf("{\"cpu\": {}} x") == "s.json:1:13: expected the end of the file after the "
                                      "top-level value");
  CHECK(errorOf("") == "s.json:1:1: unexpected end of the file");
  CHECK(errorOf("{\"cpu\": {\"fc_unroll\": 1-2}}") == "s.json:1:23: '1-2' is not a number");
  // JSON's numbers, not strtod's: no leading zero, no '.' or exponent
  // without digits after it, no '-' alone.
  for (const char *literal : {"02", "-02", "2.", "-", "2e", "1e+", "-.5", "00"})
    CHECK(errorOf(std::string("{\"cpu\": {\"fc_unroll\": ") + literal + "}}") ==
          std::string("s.json:1:23: '") + literal + "' is not a number");
  CHECK(errorOf("{\"cpu\": {\"fc_unroll\": 2.0e0}}") == "no error");
  CHECK(errorOf("{\"cpu\": tru}") == "s.json:1:9: expected a JSON value");
  // A flag's value of each other JSON kind names that kind.
  for (auto [value, kind] : {std::pair{"\"yes\"", "a string"},
                             {"null", "null"},
                             {"[true]", "an array"},
                             {"{}", "an object"}})
    CHECK(errorOf(std::string("{\"cpu\": {\"pool_into_conv\": ") + value + "}}") ==
          std::string("s.json:1:28: 'pool_into_conv' takes true or false, not ") + kind);
  CHECK(errorOf("{\"cpu\": true}") ==
        "s.json:1:9: \"cpu\" takes an object of parameters, not true or false");
  CHECK(errorOf("{\"cpu\": {}, \"cpu\": {}}") == "s.json:1:13: \"cpu\" is given twice");
  CHECK(errorOf("{\"cpu\": {\"fc_unroll") == "s.json:1:10: this string has no closing '\"'");
  CHECK(errorOf("{\"cpu\": {\"fc_unroll\\") == "s.json:1:10: this string has no closing '\"'");
  CHECK_THROWS_WITH(readScheduleFile("/nonexistent/s.json"),
                    "cannot read the schedule file '/nonexistent/s.json'");
}
