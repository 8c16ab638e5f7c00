// Value helpers.
#include "frontend/value.h"

namespace cnnc {

bool Value::poisoned() const {
  if (kind == Kind::Poison)
    return true;
  for (const auto &v : items)
    if (v.poisoned())
      return true;
  return false;
}

std::string describe(const Value &v) {
  switch (v.kind) {
  case Value::Kind::Poison:
    return "an invalid value";
  case Value::Kind::Tensor:
    return "a tensor";
  case Value::Kind::Int:
    return "the integer " + std::to_string(v.i);
  case Value::Kind::Real:
    return "a real number";
  case Value::Kind::Bool:
    return v.b ? "true" : "false";
  case Value::Kind::Word:
    return "'" + v.word + "'";
  case Value::Kind::List:
    return "a list of " + std::to_string(v.items.size());
  }
  return "?";
}

} // namespace cnnc
