// The AST of a cnn file, with a source location on every node. Chains are
// desugared on construction: `A -> f(B)` is the call f(A, B).
#pragma once

#include "ir/diag.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cnnc::ast {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Arg {
  std::string keyword; // empty for a positional argument
  Loc keywordLoc;
  ExprPtr value;
};

struct Expr {
  enum class Kind { Call, Name, Int, Real, Bool, PadWord, List };
  Kind kind = Kind::Name;
  Loc loc;
  std::string name; // Call: callee; Name: identifier; PadWord: same|valid
  int64_t intValue = 0;
  double realValue = 0;
  bool boolValue = false;
  std::vector<Arg> args;      // Call
  std::vector<ExprPtr> items; // List
};

struct Statement {
  std::string name;
  Loc loc;
  ExprPtr shape; // asserted [C, H, W] list, or null
  ExprPtr value;
};

struct Body {
  std::vector<Statement> statements;
  ExprPtr result;
  Loc returnLoc;
};

struct Param {
  std::string name;
  Loc loc;
  ExprPtr def; // literal default, or null
};

struct Block {
  std::string name;
  Loc loc;
  std::vector<Param> params;
  Body body;
};

struct Network {
  std::string name;
  Loc loc;
  std::string input;
  Loc inputLoc;
  ExprPtr inputShape;
  Body body;
};

struct Import {
  std::string path;
  Loc loc;
};

struct File {
  int fileId = -1;
  std::vector<Import> imports;
  std::vector<std::unique_ptr<Block>> blocks;     // owned
  std::vector<std::unique_ptr<Network>> networks; // owned
};

// Prints the AST as an indented tree (cnnc --emit ast).
void dump(std::ostream &os, const File &file);

} // namespace cnnc::ast
