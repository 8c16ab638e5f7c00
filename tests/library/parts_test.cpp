// Where the library's pipeline is cut into parts compiled side by side
// (backend/library.cpp, libraryCuts).
#include "backend/library.h"
#include "frontend/elaborate.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace cnnc;

namespace {

// The names of the nodes after which `path` (from the source tree) is cut.
std::vector<std::string> cutNames(const std::string &path) {
  SourceManager sm;
  DiagEngine diag(sm);
  auto g = compileFile(std::string(CNNC_TEST_DIR) + "/../" + path, sm, diag);
  INFO(diag.str());
  REQUIRE(g != nullptr);
  std::vector<std::string> names;
  for (int id : libraryCuts(*g))
    names.push_back(g->node(id).name);
  return names;
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
