// Source text -> AST, through the ANTLR grammar in grammar/Cnn.g4.
#pragma once

#include "frontend/ast.h"

namespace cnnc {

// Deepest bracket nesting accepted; deeper input gets a diagnostic, never a
// stack overflow.
constexpr int kMaxNesting = 200;
// Deepest expression after chains are desugared into nested calls.
constexpr int kMaxExprDepth = 2000;

// Parses file `fileId` of `sm`. Reports syntax errors to `diag` and returns
// null if there were any.
std::unique_ptr<ast::File> parseFile(const SourceManager &sm, int fileId, DiagEngine &diag);

} // namespace cnnc
