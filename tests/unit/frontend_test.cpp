// The frontend answers every input cleanly: junk, deep nesting, huge numbers,
// import cycles, runaway block expansion.
#include "tests/unit/compile_text.h"

#include <catch2/catch.hpp>

#include <map>
#include <random>

namespace {

using cnnc::test::compile;
using cnnc::test::Result;

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("binary junk gets diagnostics, not a crash") {
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::string junk(1000, '\0');
    for (char &c : junk)
      c = static_cast<char>(rng() & 0xff);
    Result r = compile(junk);
    CHECK(r.graph == nullptr);
    CHECK(r.errors > 0);
  }
}

TEST_CASE("invalid UTF-8 is named") {
  Result r = compile("network n(d: [1, 2, 2]) {\n  \xff\xfe return d }");
  CHECK(r.errors == 1);
  CHECK(contains(r.text, "main.cnn:2:3: error: invalid UTF-8 byte 0xff"));
}

TEST_CASE("20,000-deep nesting is a diagnostic, not a stack overflow") {
  for (const char *open : {"(", "["}) {
    std::string deep = "network n(d: [1, 2, 2]) { x = ";
    for (int i = 0; i < 20000; ++i)
      deep += open;
    deep += "d";
    for (int i = 0; i < 20000; ++i)
      deep += open[0] == '(' ? ")" : "]";
    deep += "\n return d }";
    Result r = compile(deep);
    CHECK(r.graph == nullptr);
    CHECK(contains(r.text, "nested more than 200 levels deep"));
  }
}

TEST_CASE("a 20,000-step chain is a diagnostic, not a stack overflow") {
  std::string chain = "network n(d: [1, 2, 2]) { x = d";
  for (int i = 0; i < 20000; ++i)
    chain += " -> relu";
  chain += "\n return x }";
  Result r = compile(chain);
  CHECK(r.graph == nullptr);
  CHECK(contains(r.text, "expression nested more than 2000 levels deep"));
}

TEST_CASE("a long but reasonable chain compiles") {
  std::string chain = "network n(d: [1, 2, 2]) { x = d";
  for (int i = 0; i < 500; ++i)
    chain += " -> relu";
  chain += "\n return x }";
  Result r = compile(chain);
  REQUIRE(r.graph != nullptr);
  CHECK(r.graph->size() == 501);
  CHECK(r.graph->node(500).name == "x/relu.499");
}

TEST_CASE("a 30-digit number is diagnosed") {
  Result r = compile("network n(d: [1, 2, 2]) { return conv(d, "
                     "123456789012345678901234567890, kernel=1) }");
  CHECK(r.errors == 1);
  CHECK(contains(r.text, "is too large"));
  r = compile("network n(d: [1, 2, 2]) { return lrn(d, alpha=1e999) }");
  CHECK(r.errors == 1);
  CHECK(contains(r.text, "number 1e999 is out of range"));
}

TEST_CASE("the empty file") {
  Result r = compile("");
  CHECK(r.errors == 1);
  CHECK(contains(r.text, "no network in this file"));
}

TEST_CASE("import cycles are diagnosed with the chain") {
  Result r = compile({{"main.cnn", "import \"a.cnn\"\nnetwork n(d: [1, 2, 2]) { return d }"},
                      {"a.cnn", "import \"b.cnn\"\n"},
                      {"b.cnn", "import \"a.cnn\"\n"}});
  CHECK(r.errors == 1);
  CHECK(contains(r.text, "import cycle: a.cnn -> b.cnn -> a.cnn"));
  r = compile({{"main.cnn", "import \"main.cnn\"\nnetwork n(d: [1, 2, 2]) { return d }"}});
  CHECK(contains(r.text, "import cycle: main.cnn -> main.cnn"));
}

TEST_CASE("imports bring in blocks and diamonds load once") {
  Result r = compile({{"main.cnn", "import \"lib/a.cnn\"\nimport \"lib/b.cnn\"\n"
                                   "network n(d: [1, 2, 2]) { return d -> fa -> fb }"},
                      {"lib/a.cnn", "import \"c.cnn\"\nblock fa(x) { return fc_(x) }"},
                      {"lib/b.cnn", "import \"c.cnn\"\nblock fb(x) { return fc_(x) }"},
                      {"lib/c.cnn", "block fc_(x) { return relu(x) }"}});
  INFO(r.text);
  REQUIRE(r.graph != nullptr);
  CHECK(r.graph->size() == 3);
}

TEST_CASE("exponential block expansion is stopped") {
  std::string src = "block b0(x) { return relu(x) }\n";
  for (int i = 1; i <= 30; ++i)
    src += "block b" + std::to_string(i) + "(x) { y = b" + std::to_string(i - 1) +
           "(x)\n return b" + std::to_string(i - 1) + "(y) }\n";
  src += "network n(d: [1, 2, 2]) { return b30(d) }";
  Result r = compile(src);
  CHECK(r.graph == nullptr);
  CHECK(contains(r.text, "expands to more than"));
}

TEST_CASE("weight names follow the unit rule") {
  Result r = compile(R"(
block inc(x, n) {
  b1 = conv(x, n, kernel=1)
  b2 = conv(x, n, kernel=1) -> relu -> conv(n, kernel=3, pad=1)
  return concat(b1, b2)
}
network n(d: [4, 8, 8]) {
  a = inc(d, 2)
  b = conv(inc(a, 2), 3, kernel=1) -> batchnorm
  return b
})");
  INFO(r.text);
  REQUIRE(r.graph != nullptr);
  std::vector<std::string> names;
  for (const auto &n : r.graph->nodes())
    for (const auto &w : n->weights)
      names.push_back(w.name);
  std::vector<std::string> want = {
      "a.b1.weight",       "a.b1.bias",          "a.b2.0.weight",       "a.b2.0.bias",
      "a.b2.1.weight",     "a.b2.1.bias",        "b.0.b1.weight",       "b.0.b1.bias",
      "b.0.b2.0.weight",   "b.0.b2.0.bias",      "b.0.b2.1.weight",     "b.0.b2.1.bias",
      "b.1.weight",        "b.1.bias",           "b.2.weight",          "b.2.bias",
      "b.2.running_mean",  "b.2.running_var"};
  CHECK(names == want);
}
