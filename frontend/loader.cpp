// Loading a file and its imports; import cycles and duplicate blocks are
// diagnosed here.
#include "frontend/loader.h"

#include "frontend/parser.h"
#include "ir/ops.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace cnnc {

ReadFile diskReader() {
  return
      [](const std::string &path, std::string &text, std::string &realPath, std::string &reason) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
          reason = std::strerror(errno);
          return false;
        }
        // A directory opens as a stream and reads as empty: say what it is.
        struct stat st;
        if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
          reason = std::strerror(EISDIR);
          return false;
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        if (in.bad()) {
          reason = "read error";
          return false;
        }
        text = ss.str();
        char buf[PATH_MAX];
        realPath = realpath(path.c_str(), buf) ? buf : path;
        return true;
      };
}

namespace {

std::string dirOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

// "a/./b/../c.cnn" -> "a/c.cnn", so that diagnostics show tidy paths.
std::string tidy(const std::string &path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  bool absolute = !path.empty() && path[0] == '/';
  while (std::getline(ss, part, '/')) {
    if (part.empty() || part == ".")
      continue;
    if (part == ".." && !parts.empty() && parts.back() != "..")
      parts.pop_back();
    else
      parts.push_back(part);
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? "/" : "") + parts[i];
  return out;
}

class Loader {
public:
  Loader(SourceManager &sm, DiagEngine &diag, const ReadFile &read)
      : sm_(sm), diag_(diag), read_(read) {}

  bool load(const std::string &path, Loc from, Module &m) {
    std::string text, real, reason;
    if (!read_(path, text, real, reason)) {
      diag_.error(from, "cannot read '" + path + "': " + reason);
      return false;
    }
    for (size_t i = 0; i < stack_.size(); ++i)
      if (stack_[i] == real) {
        std::string chain;
        for (size_t k = i; k < stack_.size(); ++k)
          chain += stackNames_[k] + " -> ";
        diag_.error(from, "import cycle: " + chain + path);
        return false;
      }
    for (const auto &f : m.files)
      if (sm_.file(f->fileId).realPath == real)
        return true; // already loaded through another import
    int id = sm_.add(path, real, std::move(text));
    auto file = parseFile(sm_, id, diag_);
    if (!file)
      return false;
    const ast::File *f = file.get();
    m.files.push_back(std::move(file));
    stack_.push_back(real);
    stackNames_.push_back(path);
    bool ok = true;
    for (const auto &imp : f->imports)
      ok = load(tidy(dirOf(path) + imp.path), imp.loc, m) && ok;
    stack_.pop_back();
    stackNames_.pop_back();
    for (const auto &b : f->blocks)
      ok = addBlock(*b, m) && ok;
    return ok;
  }

private:
  bool addBlock(const ast::Block &b, Module &m) {
    if (findOp(b.name)) {
      diag_.error(b.loc, "'" + b.name + "' is an operator and cannot name a block");
      return false;
    }
    auto [it, fresh] = m.blocks.emplace(b.name, &b);
    if (!fresh) {
      diag_.error(b.loc, "block '" + b.name + "' is defined twice")
          .notes.push_back({it->second->loc, "first defined here"});
      return false;
    }
    return true;
  }

  SourceManager &sm_;
  DiagEngine &diag_;
  const ReadFile &read_;
  std::vector<std::string> stack_;      // real paths of files being loaded
  std::vector<std::string> stackNames_; // the same, as shown
};

} // namespace

std::optional<Module> loadModule(const std::string &path, SourceManager &sm, DiagEngine &diag,
                                 const ReadFile &read) {
  Module m;
  bool ok = Loader(sm, diag, read).load(path, Loc{}, m);
  if (m.files.empty())
    return std::nullopt;
  const ast::File &main = *m.files.front();
  if (main.networks.empty()) {
    if (ok)
      diag.error({main.fileId, 0, 0}, "no network in this file: it must define exactly one");
    return std::nullopt;
  }
  m.network = main.networks.front().get();
  for (size_t i = 1; i < main.networks.size(); ++i) {
    diag.error(main.networks[i]->loc, "a file holds exactly one network")
        .notes.push_back({m.network->loc, "network '" + m.network->name + "' is defined here"});
    ok = false;
  }
  if (!ok)
    return std::nullopt;
  return m;
}

} // namespace cnnc
