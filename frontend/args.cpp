// Argument matching and kind conversion.
#include "frontend/args.h"

#include <algorithm>
#include <cstdlib>

namespace cnnc {

std::string closest(const std::string &word, const std::vector<std::string> &candidates) {
  std::string best;
  size_t bestDist = 3;
  for (const auto &c : candidates) {
    // Levenshtein distance, one row at a time.
    std::vector<size_t> row(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j)
      row[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      size_t diag = row[0];
      row[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (word[i - 1] != c[j - 1])});
        diag = up;
      }
    }
    if (row[c.size()] < bestDist && row[c.size()] < std::max<size_t>(word.size(), 2)) {
      bestDist = row[c.size()];
      best = c;
    }
  }
  return best;
}

bool matchArgs(const std::string &callee, const std::vector<std::string> &params, int variadic,
               const std::vector<CallArg> &args, DiagEngine &diag,
               std::vector<std::vector<size_t>> &slots) {
  slots.assign(params.size(), {});
  bool ok = true;
  bool sawKeyword = false;
  size_t nextPositional = 0;
  for (size_t a = 0; a < args.size(); ++a) {
    const CallArg &arg = args[a];
    if (arg.keyword.empty()) {
      if (sawKeyword) {
        diag.error(arg.value.loc,
                   "positional argument after keyword arguments in call to " + callee);
        ok = false;
        continue;
      }
      if (variadic >= 0 && nextPositional >= static_cast<size_t>(variadic)) {
        slots[static_cast<size_t>(variadic)].push_back(a);
        nextPositional = static_cast<size_t>(variadic);
        continue;
      }
      if (nextPositional >= params.size()) {
        diag.error(arg.value.loc, "too many arguments to " + callee + ": it takes at most " +
                                      std::to_string(params.size()));
        ok = false;
        continue;
      }
      slots[nextPositional++].push_back(a);
      continue;
    }
    sawKeyword = true;
    auto it = std::find(params.begin(), params.end(), arg.keyword);
    if (it == params.end() || (it - params.begin()) == variadic) {
      std::string hint = closest(arg.keyword, params);
      diag.error(arg.keywordLoc, callee + " has no argument '" + arg.keyword + "'" +
                                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      ok = false;
      continue;
    }
    auto &slot = slots[static_cast<size_t>(it - params.begin())];
    if (!slot.empty()) {
      const CallArg &first = args[slot.front()];
      diag.error(arg.keywordLoc,
                 "argument '" + arg.keyword + "' of " + callee + " is given twice")
          .notes.push_back(
              {first.keyword.empty() ? first.value.loc : first.keywordLoc, "first given here"});
      ok = false;
      continue;
    }
    slot.push_back(a);
  }
  return ok;
}

namespace {

bool asInt(const Value &v, int64_t &out) {
  if (v.kind != Value::Kind::Int)
    return false;
  out = v.i;
  return true;
}

} // namespace

bool convertArg(ArgKind kind, const Value &v, ArgValue &out, std::string &expected) {
  using K = Value::Kind;
  switch (kind) {
  case ArgKind::Tensor:
  case ArgKind::Tensors:
    expected = "a tensor";
    return v.kind == K::Tensor;
  case ArgKind::Int:
    expected = "an integer";
    return asInt(v, out.i);
  case ArgKind::Real:
    expected = "a number";
    if (v.kind == K::Int)
      out.r = static_cast<double>(v.i);
    else if (v.kind == K::Real)
      out.r = v.r;
    else
      return false;
    return true;
  case ArgKind::Bool:
    expected = "true or false";
    out.b = v.b;
    return v.kind == K::Bool;
  case ArgKind::Pair:
    expected = "an integer or [h, w]";
    if (asInt(v, out.pair[0])) {
      out.pair[1] = out.pair[0];
      return true;
    }
    return v.kind == K::List && v.items.size() == 2 && asInt(v.items[0], out.pair[0]) &&
           asInt(v.items[1], out.pair[1]);
  case ArgKind::Pad: {
    expected = "an integer, [h, w], [top, left, bottom, right], same or valid";
    Padding &p = out.pad;
    p = Padding{};
    if (v.kind == K::Word) {
      p.same = v.word == "same";
      return true;
    }
    int64_t x[4];
    if (asInt(v, x[0])) {
      p.top = p.left = p.bottom = p.right = x[0];
      return true;
    }
    if (v.kind != K::List || (v.items.size() != 2 && v.items.size() != 4))
      return false;
    for (size_t i = 0; i < v.items.size(); ++i)
      if (!asInt(v.items[i], x[i]))
        return false;
    if (v.items.size() == 2) {
      p.top = p.bottom = x[0];
      p.left = p.right = x[1];
    } else {
      p.top = x[0];
      p.left = x[1];
      p.bottom = x[2];
      p.right = x[3];
    }
    return true;
  }
  }
  return false;
}

ArgValue parseDefault(ArgKind kind, const char *text) {
  ArgValue v;
  std::string s = text;
  if (s == "true" || s == "false") {
    v.b = s == "true";
    return v;
  }
  v.r = std::strtod(text, nullptr);
  v.i = std::strtoll(text, nullptr, 10);
  v.pair[0] = v.pair[1] = v.i;
  v.pad.top = v.pad.left = v.pad.bottom = v.pad.right = v.i;
  (void)kind;
  return v;
}

} // namespace cnnc
