// Test helper: elaborate .cnn files held in memory.
#pragma once

#include "frontend/elaborate.h"

#include <map>
#include <memory>
#include <string>

namespace cnnc::test {

struct Result {
  std::unique_ptr<Graph> graph;
  int errors = 0;
  int warnings = 0;
  std::string text; // the diagnostics as printed
};

// Compiles in-memory files; "main.cnn" is the one compiled.
inline Result compile(const std::map<std::string, std::string> &files) {
  ReadFile read = [&](const std::string &path, std::string &text, std::string &real,
                      std::string &reason) {
    auto it = files.find(path);
    if (it == files.end()) {
      reason = "No such file or directory";
      return false;
    }
    text = it->second;
    real = path;
    return true;
  };
  Result r;
  SourceManager sm;
  DiagEngine diag(sm);
  r.graph = compileFile("main.cnn", sm, diag, read);
  r.errors = diag.errors();
  r.warnings = diag.warnings();
  r.text = diag.str();
  return r;
}

inline Result compile(const std::string &text) { return compile({{"main.cnn", text}}); }

} // namespace cnnc::test
