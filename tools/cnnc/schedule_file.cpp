#include "tools/cnnc/schedule_file.h"

#include "backend/library.h"
#include "schedules/cpu.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cnnc {

namespace {

// A JSON value with the position where it starts.
struct Value {
  enum Kind { Object, Array, Number, Bool, String, Null } kind = Null;
  double number = 0;
  bool flag = false;
  std::string text;
  std::vector<std::pair<Value, Value>> members; // key (a String) -> value
  std::vector<Value> items;
  int line = 1, col = 1;
};

const char *kindName(Value::Kind k) {
  switch (k) {
  case Value::Object:
    return "an object";
  case Value::Array:
    return "an array";
  case Value::Number:
    return "a number";
  case Value::Bool:
    return "true or false";
  case Value::String:
    return "a string";
  case Value::Null:
    return "null";
  }
  return "a value";
}

// Whether `t` is a number as JSON writes one: -?(0|[1-9][0-9]*)(.[0-9]+)?
// ([eE][+-]?[0-9]+)? (strtod also takes "02", "2." and "-.5").
bool jsonNumber(const std::string &t) {
  size_t i = t[0] == '-' ? 1 : 0;
  auto digits = [&] {
    size_t from = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])))
      ++i;
    return i - from;
  };
  size_t whole = digits();
  if (whole == 0 || (whole > 1 && t[i - whole] == '0'))
    return false;
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (digits() == 0)
      return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-'))
      ++i;
    if (digits() == 0)
      return false;
  }
  return i == t.size();
}

class Parser {
public:
  Parser(const std::string &text, const std::string &path) : s_(text), path_(path) {}

  Value document() {
    Value v = value();
    skipSpace();
    if (i_ < s_.size())
      fail(line_, col_, "expected the end of the file after the top-level value");
    return v;
  }

  [[noreturn]] void fail(int line, int col, const std::string &what) const {
    throw UserError(path_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  }

private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void advance() {
    if (s_[i_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++i_;
  }
  void skipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      advance();
  }
  void expect(char c, const char *what) {
    skipSpace();
    if (peek() != c)
      fail(line_, col_, std::string("expected ") + what);
    advance();
  }
  bool word(const char *w) {
    size_t n = std::char_traits<char>::length(w);
    if (s_.compare(i_, n, w) != 0)
      return false;
    for (size_t k = 0; k < n; ++k)
      advance();
    return true;
  }

  Value value() {
    skipSpace();
    Value v;
    v.line = line_;
    v.col = col_;
    char c = peek();
    if (c == '{') {
      v.kind = Value::Object;
      advance();
      skipSpace();
      if (peek() == '}') {
        advance();
        return v;
      }
      while (true) {
        skipSpace();
        if (peek() != '"')
          fail(line_, col_, "expected a key in double quotes");
        Value key = value();
        expect(':', "':' after the key");
        Value member = value();
        v.members.emplace_back(std::move(key), std::move(member));
        skipSpace();
        if (peek() == ',') {
          advance();
          continue;
        }
        expect('}', "',' or '}' in the object");
        return v;
      }
    }
    if (c == '[') {
      v.kind = Value::Array;
      advance();
      skipSpace();
      if (peek() == ']') {
        advance();
        return v;
      }
      while (true) {
        v.items.push_back(value());
        skipSpace();
        if (peek() == ',') {
          advance();
          continue;
        }
        expect(']', "',' or ']' in the array");
        return v;
      }
    }
    if (c == '"') {
      v.kind = Value::String;
      advance();
      while (peek() != '"') {
        if (i_ >= s_.size() || peek() == '\n')
          fail(v.line, v.col, "this string has no closing '\"'");
        if (peek() == '\\') {
          advance();
          if (i_ >= s_.size())
            fail(v.line, v.col, "this string has no closing '\"'");
        }
        v.text += peek();
        advance();
      }
      advance();
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Value::Number;
      size_t start = i_;
      while (peek() && std::string("+-0123456789.eE").find(peek()) != std::string::npos)
        advance();
      std::string literal = s_.substr(start, i_ - start);
      if (!jsonNumber(literal))
        fail(v.line, v.col, "'" + literal + "' is not a number");
      v.number = std::strtod(literal.c_str(), nullptr); // all of it: a JSON number
      return v;
    }
    if (word("true")) {
      v.kind = Value::Bool;
      v.flag = true;
      return v;
    }
    if (word("false")) {
      v.kind = Value::Bool;
      return v;
    }
    if (word("null"))
      return v;
    fail(line_, col_, i_ < s_.size() ? "expected a JSON value" : "unexpected end of the file");
  }

  const std::string &s_;
  const std::string &path_;
  size_t i_ = 0;
  int line_ = 1, col_ = 1;
};

std::string knownNames() {
  std::string names;
  for (const auto &p : cpuParamInfo())
    names += (names.empty() ? "" : ", ") + std::string(p.name);
  return names;
}

} // namespace

std::vector<std::pair<std::string, int>> parseScheduleFile(const std::string &text,
                                                           const std::string &path) {
  Parser parser(text, path);
  Value doc = parser.document();
  if (doc.kind != Value::Object)
    parser.fail(doc.line, doc.col,
                std::string("expected an object {\"cpu\": {...}}, not ") + kindName(doc.kind));
  std::vector<std::pair<std::string, int>> settings;
  bool seenCpu = false;
  for (const auto &[key, cpu] : doc.members) {
    if (key.text != "cpu")
      parser.fail(key.line, key.col, "unknown key '" + key.text + "'; a schedule file has \"cpu\"");
    if (seenCpu)
      parser.fail(key.line, key.col, "\"cpu\" is given twice");
    seenCpu = true;
    if (cpu.kind != Value::Object)
      parser.fail(cpu.line, cpu.col,
                  std::string("\"cpu\" takes an object of parameters, not ") + kindName(cpu.kind));
    for (const auto &[name, v] : cpu.members) {
      const CpuParamInfo *it = findCpuParam(name.text);
      if (!it)
        parser.fail(name.line, name.col,
                    "unknown parameter '" + name.text + "'; known: " + knownNames());
      for (const auto &earlier : settings)
        if (earlier.first == name.text)
          parser.fail(name.line, name.col, "'" + name.text + "' is given twice");
      if (!it->number) {
        if (v.kind != Value::Bool)
          parser.fail(v.line, v.col,
                      "'" + name.text + "' takes true or false, not " + kindName(v.kind));
        settings.emplace_back(name.text, v.flag ? 1 : 0);
        continue;
      }
      std::string range =
          "an integer in [" + std::to_string(it->min) + ", " + std::to_string(it->max) + "]";
      if (v.kind != Value::Number || v.number != std::floor(v.number) || v.number < it->min ||
          v.number > it->max)
        parser.fail(v.line, v.col, "'" + name.text + "' takes " + range);
      settings.emplace_back(name.text, static_cast<int>(v.number));
    }
  }
  return settings;
}

std::string cpuSettingsJson(const std::vector<std::pair<std::string, int>> &settings) {
  std::string out = "{";
  for (const auto &[name, value] : settings) {
    const CpuParamInfo *it = findCpuParam(name);
    bool flag = it && !it->number;
    out += (out.size() > 1 ? ", \"" : "\"") + name +
           "\": " + (flag ? (value ? "true" : "false") : std::to_string(value));
  }
  return out + "}";
}

std::vector<std::pair<std::string, int>> readScheduleFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw UserError("cannot read the schedule file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return parseScheduleFile(ss.str(), path);
}

} // namespace cnnc
