// AST -> graph IR: evaluates the network body, expands block calls in place,
// binds op arguments through the op table, infers shapes and names weights
// (language.md sections 2-5).
#pragma once

#include "frontend/loader.h"
#include "ir/graph.h"

namespace cnnc {

// Most layers one network may expand to; more is diagnosed (a block that
// calls another twice, 30 levels deep, would otherwise exhaust memory).
constexpr size_t kMaxLayers = 200000;

// Returns the graph, or null after reporting errors.
std::unique_ptr<Graph> elaborate(const Module &module, const SourceManager &sm, DiagEngine &diag);

// Loads, parses and elaborates `path`: the whole frontend.
std::unique_ptr<Graph> compileFile(const std::string &path, SourceManager &sm, DiagEngine &diag,
                                   const ReadFile &read = diskReader());

} // namespace cnnc
