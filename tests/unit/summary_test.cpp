// The figures of the four examples, and every layer shape of GoogLeNet.
#include "frontend/elaborate.h"
#include "ir/report.h"
#include "tests/unit/compile_text.h"

#include <catch2/catch.hpp>

#include <map>
#include <sstream>

namespace {

std::unique_ptr<cnnc::Graph> load(const std::string &rel) {
  cnnc::SourceManager sm;
  cnnc::DiagEngine diag(sm);
  auto g = cnnc::compileFile(std::string(CNNC_SOURCE_DIR) + "/" + rel, sm, diag);
  INFO(diag.str());
  REQUIRE(g != nullptr);
  CHECK(diag.warnings() == 0);
  return g;
}

const cnnc::Node &layer(const cnnc::Graph &g, const std::string &name) {
  for (const auto &n : g.nodes())
    if (n->name == name)
      return *n;
  FAIL("no layer " << name);
  throw;
}

cnnc::Shape shape(int64_t c, int64_t h, int64_t w) { return {c, h, w}; }

// The network `text` elaborated, without a warning.
std::unique_ptr<cnnc::Graph> source(const std::string &text) {
  cnnc::test::Result r = cnnc::test::compile(text);
  INFO(r.text);
  REQUIRE(r.graph != nullptr);
  CHECK(r.warnings == 0);
  return std::move(r.graph);
}

int64_t rf(const cnnc::Graph &g, const std::string &name) {
  const cnnc::Node &n = layer(g, name);
  CHECK(n.rf[0] == n.rf[1]);
  return n.rf[0];
}

} // namespace

TEST_CASE("AlexNet (Caffe): 60,965,224 parameters and conv1 105,415,200 MACs") {
  auto g = load("examples/alexnet.cnn");
  CHECK(cnnc::totals(*g).params == 60965224);
  CHECK(layer(*g, "conv1").macs == 105415200);
  CHECK(layer(*g, "conv1").shape == shape(96, 55, 55));
  CHECK(layer(*g, "conv1/maxpool").shape == shape(96, 27, 27));
  CHECK(layer(*g, "conv2").params == 307456); // 256 * 48 * 25 + 256
  CHECK(layer(*g, "conv5/maxpool").shape == shape(256, 6, 6));
  CHECK(layer(*g, "fc6").weights[0].shape == std::vector<int64_t>{4096, 9216});
  CHECK(g->node(g->output).shape == shape(1000, 1, 1));
}

TEST_CASE("torchvision AlexNet: 61,100,840 parameters") {
  auto g = load("examples/torchvision/alexnet.cnn");
  CHECK(cnnc::totals(*g).params == 61100840);
}

TEST_CASE("torchvision GoogLeNet: 6,624,904 parameters, torchvision's module order") {
  auto g = load("examples/torchvision/googlenet.cnn");
  CHECK(cnnc::totals(*g).params == 6624904);
  std::vector<std::string> weighted;
  for (const auto &n : g->nodes())
    if (!n->weights.empty())
      weighted.push_back(n->unit);
  // conv1..3 (conv+bn each), 9 inceptions x 6 BasicConv2d x 2, fc
  CHECK(weighted.size() == 3 * 2 + 9 * 12 + 1);
  CHECK(weighted[6] == "inception3a.branch1.c");
  CHECK(weighted[8] == "inception3a.branch2.0.c");
  CHECK(weighted[16] == "inception3a.branch4.c");
  CHECK(weighted.back() == "logits");
  CHECK(layer(*g, "pool4").shape == shape(832, 7, 7));
}

TEST_CASE("GoogLeNet (Caffe): 6,998,552 parameters and every layer's shape") {
  auto g = load("examples/googlenet.cnn");
  CHECK(cnnc::totals(*g).params == 6998552);
  std::map<std::string, cnnc::Shape> stem = {
      {"conv1", shape(64, 112, 112)}, {"pool1/maxpool", shape(64, 56, 56)},
      {"pool1/lrn", shape(64, 56, 56)}, {"conv2", shape(64, 56, 56)},
      {"conv3", shape(192, 56, 56)}, {"pool2", shape(192, 28, 28)},
      {"pool3", shape(480, 14, 14)}, {"pool4", shape(832, 7, 7)},
      {"pool5/avgpool", shape(1024, 1, 1)}, {"classifier", shape(1000, 1, 1)},
      {"output", shape(1000, 1, 1)}};
  for (const auto &[name, s] : stem) {
    INFO(name);
    CHECK(layer(*g, name).shape == s);
  }
  struct Inc {
    const char *name;
    int64_t in, hw, c1, r3, c3, r5, c5, proj;
  };
  const Inc incs[] = {{"inc3a", 192, 28, 64, 96, 128, 16, 32, 32},
                      {"inc3b", 256, 28, 128, 128, 192, 32, 96, 64},
                      {"inc4a", 480, 14, 192, 96, 208, 16, 48, 64},
                      {"inc4b", 512, 14, 160, 112, 224, 24, 64, 64},
                      {"inc4c", 512, 14, 128, 128, 256, 24, 64, 64},
                      {"inc4d", 512, 14, 112, 144, 288, 32, 64, 64},
                      {"inc4e", 528, 14, 256, 160, 320, 32, 128, 128},
                      {"inc5a", 832, 7, 256, 160, 320, 32, 128, 128},
                      {"inc5b", 832, 7, 384, 192, 384, 48, 128, 128}};
  size_t checked = 0;
  for (const Inc &i : incs) {
    std::string p = std::string(i.name) + ".";
    std::map<std::string, cnnc::Shape> want = {
        {"b1", shape(i.c1, i.hw, i.hw)},         {"b1/relu", shape(i.c1, i.hw, i.hw)},
        {"b2.0", shape(i.r3, i.hw, i.hw)},       {"b2/relu", shape(i.r3, i.hw, i.hw)},
        {"b2.1", shape(i.c3, i.hw, i.hw)},       {"b2/relu.1", shape(i.c3, i.hw, i.hw)},
        {"b3.0", shape(i.r5, i.hw, i.hw)},       {"b3/relu", shape(i.r5, i.hw, i.hw)},
        {"b3.1", shape(i.c5, i.hw, i.hw)},       {"b3/relu.1", shape(i.c5, i.hw, i.hw)},
        {"b4/maxpool", shape(i.in, i.hw, i.hw)}, {"b4", shape(i.proj, i.hw, i.hw)},
        {"b4/relu", shape(i.proj, i.hw, i.hw)},
        {"output", shape(i.c1 + i.c3 + i.c5 + i.proj, i.hw, i.hw)}};
    for (const auto &[name, s] : want) {
      INFO(p + name);
      CHECK(layer(*g, p + name).shape == s);
      ++checked;
    }
  }
  // Every layer of the network is one of the above.
  size_t layers = g->size() - 1; // less the input
  CHECK(checked + stem.size() + 5 == layers); // + conv1/relu, conv2/relu, conv3/relu, conv3/lrn, pool5/dropout
}

TEST_CASE("summary --json lists weights in language.md order") {
  auto g = load("examples/torchvision/googlenet.cnn");
  std::ostringstream os;
  cnnc::printSummaryJson(os, *g);
  std::string json = os.str();
  CHECK(json.find("\"params\": 6624904") != std::string::npos);
  CHECK(json.find("{\"name\": \"conv1.bn\", \"op\": \"batchnorm\", \"shape\": [64, 112, 112], "
                  "\"params\": 128, \"macs\": 0, \"receptive_field\": 7, \"weights\": "
                  "[{\"name\": \"conv1.bn.weight\", \"shape\": [64]}, {\"name\": "
                  "\"conv1.bn.bias\", \"shape\": [64]}, {\"name\": \"conv1.bn.running_mean\", "
                  "\"shape\": [64]}, {\"name\": \"conv1.bn.running_var\", \"shape\": [64]}]}") !=
        std::string::npos);
}

// A layer that combines the channels of a flattened map sees every position
// flattened into them, as the same layer reading the map itself does
// (torchvision's AlexNet flattens before its classifier); the flatten's own
// elements are each one position's.
TEST_CASE("an fc after a flatten sees the whole plane flattened") {
  const std::string head =
      "network n(data: [3, 32, 32]) {\n"
      "    a = conv(data, 8, kernel=3, stride=2, pad=1) -> maxpool(kernel=2)\n";
  auto direct = source(head + "    return fc(a, 10)\n}\n");
  auto flat = source(head + "    f = flatten(a) -> dropout(0.5)\n"
                            "    c = conv(f, 6, kernel=1)\n"
                            "    s = softmax(f)\n"
                            "    return concat(fc(f, 10), c, s)\n}\n");
  // a: 3 + (2 - 1) x 2 = 5, j = 4, 8 x 8 positions: 5 + (8 - 1) x 4 = 33.
  CHECK(rf(*direct, "a/maxpool") == 5);
  CHECK(rf(*direct, "output") == 33);
  CHECK(rf(*flat, "f/flatten") == 5);
  CHECK(rf(*flat, "f/dropout") == 5);
  CHECK(rf(*flat, "c") == 33);
  CHECK(rf(*flat, "s") == 33);
  CHECK(rf(*flat, "output") == 33);
}
