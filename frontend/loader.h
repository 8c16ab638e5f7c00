// Reads a cnn file and everything it imports into one module: the network
// of the main file and the blocks of every file.
#pragma once

#include "frontend/ast.h"

#include <functional>
#include <map>
#include <optional>

namespace cnnc {

struct Module {
  std::vector<std::unique_ptr<ast::File>> files;    // owned, main file first
  std::map<std::string, const ast::Block *> blocks; // by name, into files
  const ast::Network *network = nullptr;            // the main file's
};

// Reads `path` into `text` and its canonical form into `realPath`; on failure
// returns false with a reason ("No such file or directory").
using ReadFile = std::function<bool(const std::string &path, std::string &text,
                                    std::string &realPath, std::string &reason)>;

ReadFile diskReader();

// Loads `path` and its imports. Returns nullopt after reporting errors.
std::optional<Module> loadModule(const std::string &path, SourceManager &sm, DiagEngine &diag,
                                 const ReadFile &read);

} // namespace cnnc
