#include "backend/doomed.h"

#include <Halide.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace cnnc {

namespace {

// Prints warnings as Halide does and keeps the first that dooms the
// pipeline; errors end the compile as Halide's own reporter ends it.
class Watch : public Halide::CompileTimeErrorReporter {
public:
  std::string doomed;
  void warning(const char *msg) override {
    std::fputs(msg, stderr); // "Warning: ..."
    std::string m = msg;
    if (doomed.empty() && m.find("guaranteed to fail") != std::string::npos)
      doomed = m.rfind("Warning: ", 0) == 0 ? m.substr(9) : m;
  }
  [[noreturn]] void error(const char *msg) override { throw Halide::CompileError(msg); }
};

// Halide's reporter back, however the compile ends.
struct Restore {
  ~Restore() { Halide::set_custom_compile_time_error_reporter(nullptr); }
};

} // namespace

void compileOrThrowIfDoomed(const std::function<void()> &compile,
                            const std::string &autoScheduler) {
  Watch watch;
  {
    Restore restore;
    Halide::set_custom_compile_time_error_reporter(&watch);
    compile();
  }
  if (watch.doomed.empty())
    return;
  std::string whose = autoScheduler.empty()
                          ? "a bug in cnnc"
                          : "Halide's autoscheduler " + autoScheduler + "'s schedule";
  throw std::runtime_error("the schedule would give a library that fails on every run (" + whose +
                           "; nothing was written). Halide: " + watch.doomed);
}

} // namespace cnnc
