// Where the library's pipeline is cut into parts compiled side by side
// (backend/library.cpp, libraryCuts), or into the layers run in shares of a
// batch and the fc head after them (shareCut).
#include "backend/library.h"
#include "frontend/elaborate.h"
#include "schedules/cpu.h"

#include <Halide.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace cnnc;

namespace {

// `path` (from the source tree) elaborated, or with `text` that network
// instead.
std::unique_ptr<Graph> graph(const std::string &path, const std::string &text = "") {
  ReadFile read = [&](const std::string &p, std::string &t, std::string &real, std::string &) {
    t = text;
    real = p;
    return true;
  };
  SourceManager sm;
  DiagEngine diag(sm);
  auto g = text.empty() ? compileFile(std::string(CNNC_TEST_DIR) + "/../" + path, sm, diag)
                        : compileFile(path, sm, diag, read);
  INFO(diag.str());
  REQUIRE(g != nullptr);
  return g;
}

// The names of the nodes after which `path` (from the source tree) is cut.
std::vector<std::string> cutNames(const std::string &path) {
  auto g = graph(path);
  std::vector<std::string> names;
  for (int id : libraryCuts(*g))
    names.push_back(g->node(id).name);
  return names;
}

// The node before the fc head of `g` that runs in shares (shareCut) with
// the AVX-512 defaults and `settings`, by name; "" where none.
std::string shareCutName(const Graph &g, const ParamSettings &settings = {}) {
  int id = shareCut(g, cpuParams(Halide::Target("x86-64-linux-avx512"), settings));
  return id < 0 ? "" : g.node(id).name;
}

} // namespace

TEST_CASE("GoogLeNet is compiled in two parts, cut at an inception's output") {
  // Caffe's: 58 weighted layers, 33 before the cut.
  CHECK(cutNames("examples/googlenet.cnn") == std::vector<std::string>{"inc4c.output"});
  std::vector<std::string> tv = cutNames("examples/torchvision/googlenet.cnn");
  REQUIRE(tv.size() == 1);
  CHECK(tv[0].rfind("inception4", 0) == 0);
}

TEST_CASE("no cut where no concat is a cut or the network is small") {
  CHECK(cutNames("examples/alexnet.cnn").empty()); // no concat
  CHECK(cutNames("tests/e2e/concat.cnn").empty()); // few layers
  CHECK(cutNames("tests/e2e/convpool.cnn").empty());
}

TEST_CASE("no cut where a later node reads one before it") {
  // p7's output balances the parts best, but the add after it reads p6.
  std::vector<std::string> cuts = cutNames("tests/e2e/parts.cnn");
  REQUIRE(cuts.size() == 1);
  CHECK(cuts[0].rfind("p8.output", 0) == 0);
}

TEST_CASE("the layers before an fc head run in shares where they alone do many multiply-adds a "
          "weight") {
  // AlexNet's convs do 265 (torchvision's) and 270 (Caffe's) an image per
  // weight; with the fc layers 12.
  CHECK(shareCutName(*graph("examples/torchvision/alexnet.cnn")) == "conv5/maxpool");
  CHECK(shareCutName(*graph("examples/alexnet.cnn")) == "conv5/maxpool");
  CHECK(shareCutName(*graph("tests/e2e/head.cnn")) == "a/maxpool");
  // Not where shares are off.
  CHECK(shareCutName(*graph("examples/alexnet.cnn"), {{"shares_macs_per_weight", 0}}).empty());
  // Not where the whole network runs in shares (GoogLeNet; the head too with a
  // lower bar).
  CHECK(shareCutName(*graph("examples/googlenet.cnn")).empty());
  CHECK(shareCutName(*graph("tests/e2e/head.cnn"), {{"shares_macs_per_weight", 2}}).empty());
  // Not where the layers before the head do too few: fc.cnn's conv, 9.
  CHECK(shareCutName(*graph("tests/e2e/fc.cnn")).empty());
}

TEST_CASE("a share cut only at the pool or concat where the head starts") {
  const std::string convs = "network n(data: [8, 16, 16]) {\n"
                            "    a = conv(data, 16, kernel=3, pad=1) -> relu\n";
  CHECK(shareCutName(*graph("main.cnn", convs + "    p = maxpool(a, kernel=2, stride=2)\n"
                                                "    return fc(p, 512) -> softmax\n}\n")) == "p");
  CHECK(shareCutName(*graph("main.cnn", convs + "    p = maxpool(a, kernel=2, stride=2)\n"
                                                "    q = avgpool(a, kernel=2, stride=2)\n"
                                                "    c = concat(p, q)\n"
                                                "    return fc(c, 512)\n}\n")) == "c");
  // Not at a conv, whose relu the head would start with (the conv applies
  // it as it stores), nor at an LRN.
  CHECK(shareCutName(*graph("main.cnn", convs + "    return fc(a, 512)\n}\n")).empty());
  CHECK(shareCutName(*graph("main.cnn", convs + "    l = lrn(a, size=5)\n"
                                                "    return fc(l, 512)\n}\n"))
            .empty());
}
