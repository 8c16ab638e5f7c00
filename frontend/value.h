// The values an expression evaluates to during elaboration.
#pragma once

#include "ir/diag.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cnnc {

struct Value {
  enum class Kind { Poison, Tensor, Int, Real, Bool, Word, List };
  Kind kind = Kind::Poison; // Poison: an error was already reported
  int node = -1;            // Tensor: the producing node
  int64_t i = 0;
  double r = 0;
  bool b = false;
  std::string word;         // same | valid
  std::vector<Value> items; // List
  std::string label;        // Tensor: how the source refers to it
  Loc loc;                  // where the value was written

  bool poisoned() const; // itself or any item
};

// "a tensor", "an integer", "a list of 2"...
std::string describe(const Value &v);

} // namespace cnnc
