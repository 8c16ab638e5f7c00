// A temporary directory, removed with everything in it when done, also
// when the process is stopped by SIGINT, SIGTERM or SIGHUP; and child
// processes that die with their parent.
#pragma once

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace cnnc {

namespace detail {

// The live temporary directories, for the signal handler: plain arrays, as
// a handler may only use what is safe there (fork, execv, waitpid, raise).
struct TempDirs {
  static constexpr int kMax = 16;
  char path[kMax][4096];
  pid_t owner[kMax]; // the process that made it: only it removes it
  volatile std::sig_atomic_t used[kMax];
};
inline TempDirs tempDirs;

inline void removeTempDirsAndDie(int sig) {
  for (int i = 0; i < TempDirs::kMax; ++i)
    if (tempDirs.used[i] && tempDirs.owner[i] == getpid()) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
      pid_t pid = _Fork(); // no atfork handlers: safe even if the signal came during malloc
#else
      pid_t pid = fork();
#endif
      if (pid == 0) {
        char rm[] = "rm", rf[] = "-rf";
        char *argv[] = {rm, rf, tempDirs.path[i], nullptr};
        execv("/bin/rm", argv);
        _exit(127);
      }
      if (pid > 0)
        waitpid(pid, nullptr, 0);
    }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

inline void cleanUpOnSignals() {
  static bool installed = false;
  if (installed)
    return;
  installed = true;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old;
    if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_IGN)
      continue; // ignored (nohup, a background job) stays ignored
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = removeTempDirsAndDie;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
  }
}

} // namespace detail

// fork(), with the child killed when its parent dies, so that no compile
// goes on orphaned after cnnc was stopped.
inline pid_t forkChild() {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) // the parent died before prctl
      _exit(1);
  }
  return pid;
}

struct TempDir {
  std::string path;
  explicit TempDir(const std::string &prefix = "cnnc") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX")).string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back(0);
    if (!mkdtemp(buf.data()))
      throw std::runtime_error("cannot create a temporary directory");
    path = buf.data();
    detail::cleanUpOnSignals();
    for (int i = 0; i < detail::TempDirs::kMax && slot_ < 0; ++i)
      if (!detail::tempDirs.used[i] && path.size() < sizeof detail::tempDirs.path[i]) {
        std::memcpy(detail::tempDirs.path[i], path.c_str(), path.size() + 1);
        detail::tempDirs.owner[i] = getpid();
        detail::tempDirs.used[i] = 1;
        slot_ = i;
      }
  }
  ~TempDir() {
    if (slot_ >= 0)
      detail::tempDirs.used[slot_] = 0;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

private:
  int slot_ = -1;
};

} // namespace cnnc
