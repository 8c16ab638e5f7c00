// Source files, locations and clang-style diagnostics shared by every stage.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace cnnc {

// A place in a source file; file indexes SourceManager::files. Lines and
// columns count from 1, columns in characters (UTF-8 code points, as ANTLR
// counts them), not bytes; line 0 means "no location".
struct Loc {
  int file = -1;
  int line = 0;
  int col = 0;
  bool valid() const { return file >= 0 && line > 0; }
};

struct SourceFile {
  std::string path;     // as shown in diagnostics
  std::string realPath; // canonical, to detect import cycles
  std::string text;
  std::vector<size_t> lineStarts; // byte offset of each line
  std::string lineText(int line) const;
};

// Owns every source file read during one compilation.
class SourceManager {
public:
  int add(std::string path, std::string realPath, std::string text);
  const SourceFile &file(int i) const { return files_.at(static_cast<size_t>(i)); }
  int count() const { return static_cast<int>(files_.size()); }

private:
  std::vector<SourceFile> files_; // one per file read, in reading order
};

// The length in bytes of the well-formed UTF-8 sequence that starts at
// s[i] (1-4), or 0 where none does (a stray, overlong or surrogate byte).
int utf8Length(const std::string &s, size_t i);

enum class Severity { Error, Warning, Note };

struct Note {
  std::optional<Loc> loc; // a located note quotes its source line too
  std::string message;
};

struct Diagnostic {
  Severity severity;
  Loc loc;
  std::string message;
  std::vector<Note> notes;
  std::vector<std::string> context; // block call sites, innermost first
};

// Collects the diagnostics of one compilation. -Werror turns warnings into
// errors; after `limit` errors the rest are dropped with one final message.
class DiagEngine {
public:
  explicit DiagEngine(const SourceManager &sm) : sm_(sm) {}

  void setWerror(bool on) { werror_ = on; }
  Diagnostic &error(Loc loc, std::string message);
  Diagnostic &warning(Loc loc, std::string message);
  // Notes added to every later diagnostic, innermost last (block call sites).
  void pushContext(std::string note) { context_.push_back(std::move(note)); }
  void popContext() { context_.pop_back(); }

  int errors() const { return errors_; }
  int warnings() const { return warnings_; }
  bool tooMany() const { return errors_ >= limit_; }
  const std::vector<Diagnostic> &all() const { return diags_; }

  void print(std::ostream &os) const;
  std::string str() const;

private:
  Diagnostic &add(Severity sev, Loc loc, std::string message);

  const SourceManager &sm_;
  std::vector<Diagnostic> diags_; // in the order they were found
  std::vector<std::string> context_;
  Diagnostic discarded_; // target for diagnostics past the limit
  bool werror_ = false;
  int errors_ = 0;
  int warnings_ = 0;
  int limit_ = 50;
};

// "[64, 28, 28]"
std::string shapeStr(const std::vector<int64_t> &dims);
// Groups digits: 60965224 -> "60,965,224".
std::string withCommas(int64_t v);

} // namespace cnnc
