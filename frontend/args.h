// Matching a call's arguments to the callee's parameters, and converting
// them to the kinds the op table asks for.
#pragma once

#include "frontend/value.h"
#include "ir/ops.h"

#include <string>
#include <vector>

namespace cnnc {

struct CallArg {
  std::string keyword; // empty: positional
  Loc keywordLoc;
  Value value;
};

// For each parameter, the indexes of the arguments bound to it: one, or
// none, or for the variadic parameter (index `variadic`, or -1) every extra
// positional argument. Reports unknown, repeated and surplus arguments.
// `callee` names the callee in messages: "conv", "block 'stem'".
bool matchArgs(const std::string &callee, const std::vector<std::string> &params, int variadic,
               const std::vector<CallArg> &args, DiagEngine &diag,
               std::vector<std::vector<size_t>> &slots);

// Converts `v` to `kind`; on a mismatch returns false and sets `expected`.
bool convertArg(ArgKind kind, const Value &v, ArgValue &out, std::string &expected);

// Parses an op table default ("1", "true", "0.5") as `kind`.
ArgValue parseDefault(ArgKind kind, const char *text);

// The closest candidate within two edits, or "".
std::string closest(const std::string &word, const std::vector<std::string> &candidates);

} // namespace cnnc
