// Diagnostic collection and clang-style printing.
#include "ir/diag.h"

#include <algorithm>
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

namespace {

// Makes a source line printable: control bytes become '?', and a very long
// line (binary junk) is cut to a window around the column.
void quoteLine(std::ostream &os, const std::string &raw, int col) {
  const size_t width = 160;
  size_t c = static_cast<size_t>(std::max(col, 1)) - 1;
  size_t begin = 0;
  if (raw.size() > width && c > width / 2)
    begin = std::min(c - width / 2, raw.size() - std::min(raw.size(), width));
  std::string line = raw.substr(begin, width);
  std::string marks;
  for (char &ch : line) {
    auto u = static_cast<unsigned char>(ch);
    if (u != '\t' && (u < 0x20 || u == 0x7f || u >= 0x80))
      ch = '?';
  }
  for (size_t i = begin; i < c && i - begin < line.size(); ++i)
    marks += line[i - begin] == '\t' ? '\t' : ' ';
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
