// Atomic file output.
#include "tools/cnnc/output_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace cnnc {

bool writeFileAtomic(const std::string &path, const std::string &data, std::string &reason) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f) {
    reason = std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    reason = std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

std::string unwritableReason(const std::string &path) {
  struct stat st;
  if (path.empty())
    return "the name is empty";
  if (path.back() == '/' || (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)))
    return "it names a directory, not a file";
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (stat(dir.c_str(), &st) != 0)
    return errno == ENOENT ? "the directory '" + dir + "' does not exist"
                           : "'" + dir + "': " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode))
    return "'" + dir + "' is not a directory";
  if (access(dir.c_str(), W_OK | X_OK) != 0)
    return "the directory '" + dir + "' is not writable: " + std::strerror(errno);
  return "";
}

} // namespace cnnc
