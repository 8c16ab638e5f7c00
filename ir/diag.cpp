// Diagnostic collection and clang-style printing.
#include "ir/diag.h"

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <sstream>

namespace cnnc {

std::string SourceFile::lineText(int line) const {
  if (line < 1 || static_cast<size_t>(line) > lineStarts.size())
    return "";
  size_t begin = lineStarts[static_cast<size_t>(line) - 1];
  size_t end = text.find('\n', begin);
  if (end == std::string::npos)
    end = text.size();
  if (end > begin && text[end - 1] == '\r')
    --end;
  return text.substr(begin, end - begin);
}

int SourceManager::add(std::string path, std::string realPath, std::string text) {
  SourceFile f;
  f.path = std::move(path);
  f.realPath = std::move(realPath);
  f.text = std::move(text);
  f.lineStarts.push_back(0);
  for (size_t i = 0; i < f.text.size(); ++i)
    if (f.text[i] == '\n')
      f.lineStarts.push_back(i + 1);
  files_.push_back(std::move(f));
  return static_cast<int>(files_.size()) - 1;
}

Diagnostic &DiagEngine::add(Severity sev, Loc loc, std::string message) {
  if (sev == Severity::Warning && werror_) {
    sev = Severity::Error;
    message += " [-Werror]";
  }
  if (sev == Severity::Error && errors_ >= limit_) {
    discarded_ = Diagnostic{};
    return discarded_;
  }
  // A block body expanded at several calls repeats its warnings: keep one.
  if (sev == Severity::Warning)
    for (auto &d : diags_)
      if (d.severity == sev && d.loc.file == loc.file && d.loc.line == loc.line &&
          d.loc.col == loc.col && d.message == message) {
        discarded_ = Diagnostic{};
        return discarded_;
      }
  (sev == Severity::Error ? errors_ : warnings_)++;
  Diagnostic d{sev, loc, std::move(message), {}, {}};
  d.context.assign(context_.rbegin(), context_.rend());
  diags_.push_back(std::move(d));
  return diags_.back();
}

Diagnostic &DiagEngine::error(Loc loc, std::string message) {
  return add(Severity::Error, loc, std::move(message));
}

Diagnostic &DiagEngine::warning(Loc loc, std::string message) {
  return add(Severity::Warning, loc, std::move(message));
}

int utf8Length(const std::string &s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned c = byte(i);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || (len == 2 && c < 0xc2) || i + static_cast<size_t>(len) > s.size())
    return 0;
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1fu) : len == 3 ? (c & 0x0fu) : (c & 0x07u);
  for (int k = 1; k < len; ++k) {
    unsigned next = byte(i + static_cast<size_t>(k));
    if ((next >> 6) != 2)
      return 0;
    cp = (cp << 6) | (next & 0x3fu);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

namespace {

// Makes a source line printable, a character at a time: UTF-8 characters
// as they are, control characters and stray bytes as '?'; a very long line
// (binary junk) is cut to a window around the column. col counts characters.
void quoteLine(std::ostream &os, const std::string &raw, int col) {
  std::vector<std::string> chars;
  for (size_t i = 0; i < raw.size();) {
    int len = utf8Length(raw, i);
    auto c = static_cast<unsigned char>(raw[i]);
    bool control = len == 0 || (c != '\t' && (c < 0x20 || c == 0x7f)) ||
                   (len == 2 && c == 0xc2 && static_cast<unsigned char>(raw[i + 1]) < 0xa0);
    chars.push_back(control ? "?" : raw.substr(i, static_cast<size_t>(len)));
    i += static_cast<size_t>(std::max(len, 1));
  }
  const size_t width = 160;
  size_t c = static_cast<size_t>(std::max(col, 1)) - 1;
  size_t begin = 0;
  if (chars.size() > width && c > width / 2)
    begin = std::min(c - width / 2, chars.size() - width);
  size_t end = std::min(chars.size(), begin + width);
  std::string line, marks;
  for (size_t i = begin; i < end; ++i) {
    line += chars[i];
    if (i < c)
      marks += chars[i] == "\t" ? '\t' : ' ';
  }
  os << line << '\n' << marks << "^\n";
}

const char *label(Severity s) {
  switch (s) {
  case Severity::Error:
    return "error";
  case Severity::Warning:
    return "warning";
  case Severity::Note:
    return "note";
  }
  return "?";
}

void printOne(std::ostream &os, const SourceManager &sm, Severity sev, const Loc &loc,
              const std::string &msg) {
  if (loc.valid()) {
    const SourceFile &f = sm.file(loc.file);
    os << f.path << ':' << loc.line << ':' << loc.col << ": " << label(sev) << ": " << msg << '\n';
    quoteLine(os, f.lineText(loc.line), loc.col);
  } else if (loc.file >= 0) {
    os << sm.file(loc.file).path << ": " << label(sev) << ": " << msg << '\n';
  } else {
    os << label(sev) << ": " << msg << '\n';
  }
}

} // namespace

void DiagEngine::print(std::ostream &os) const {
  for (const auto &d : diags_) {
    printOne(os, sm_, d.severity, d.loc, d.message);
    for (const auto &n : d.notes)
      printOne(os, sm_, Severity::Note, n.loc.value_or(Loc{}), n.message);
    for (const auto &c : d.context)
      printOne(os, sm_, Severity::Note, Loc{}, c);
  }
  if (errors_ >= limit_)
    os << "fatal error: too many errors emitted, stopping now\n";
  if (errors_ || warnings_) {
    auto plural = [](int n, const char *w) {
      return std::to_string(n) + " " + w + (n == 1 ? "" : "s");
    };
    if (warnings_ && errors_)
      os << plural(warnings_, "warning") << " and " << plural(errors_, "error");
    else if (errors_)
      os << plural(errors_, "error");
    else
      os << plural(warnings_, "warning");
    os << " generated.\n";
  }
}

std::string DiagEngine::str() const {
  std::ostringstream os;
  print(os);
  return os.str();
}

std::string shapeStr(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string withCommas(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

} // namespace cnnc
