// libFuzzer target: any bytes given to the frontend get diagnostics or a
// graph (and its summary), never a crash, hang or runaway allocation. Imports resolve to a
// second copy of the input, so import cycles are reachable too.
#include "frontend/elaborate.h"
#include "ir/report.h"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  cnnc::ReadFile read = [&](const std::string &path, std::string &out, std::string &real,
                            std::string &reason) {
    if (path != "fuzz.cnn" && path != "a.cnn") {
      reason = "No such file or directory";
      return false;
    }
    out = text;
    real = path;
    return true;
  };
  cnnc::SourceManager sm;
  cnnc::DiagEngine diag(sm);
  auto graph = cnnc::compileFile("fuzz.cnn", sm, diag, read);
  (void)diag.str();
  if (graph) { // what `cnnc summary` prints of it, with --json and --explain
    std::ostringstream out;
    cnnc::printSummary(out, *graph);
    cnnc::printExplanation(out, *graph);
    cnnc::printSummaryJson(out, *graph);
  }
  return 0;
}
