// One end-to-end check: compile a .cnn to a library, run it on random input
// at batch 1 and 3 (or those --batches lists) with `cnnc init` weights, and
// compare with the float64 reference: ||out - ref|| / ||ref|| <= 1e-4, or
// where the reference is exactly zero (a conv whose windows all lie in its
// padding), ||out|| <= 1e-4.
//   e2e_check FILE.cnn [--target T] [--schedule S.json | --auto-schedule NAME]
//             [--threads N] [--batches 1,4,9] [--runner "CMD ARGS"]
// --threads also runs one model from N threads at once and requires
// identical results. --runner "CMD ARGS" runs a library this machine cannot
// load (arm-64-linux) by a program, tests/arm/run_library.c under
// qemu-aarch64: CMD ARGS net.so weights batch in.f32 out.f32.
#include "tests/e2e/library_harness.h"
#include "tests/reference/reference.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace cnnc;

namespace {

constexpr double kTolerance = 1e-4;
// An output whose terms cancel (an fc of one output, at 0.00078 a
// thousandth of its terms' size: tests/e2e/cancel.cnn) is also measured
// against the size its terms would sum to without cancelling, the
// reference run on |weights| and |input| (where an op can cancel even so, a
// batchnorm's shift, that size is smaller and the check stricter): an
// error within kTolerance * kCancelled of it, 1e-7, is a float32 rounding
// or two of the terms and passes.
constexpr double kCancelled = 1e-3;

std::vector<float> randomInput(size_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(count);
  for (float &x : v)
    x = normal(rng);
  return v;
}

// Runs `argv` and waits: whether it exited with status 0.
bool runProgram(const std::vector<std::string> &argv) {
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: e2e_check FILE.cnn [--target T] [--schedule S.json] "
                         "[--auto-schedule NAME] [--threads N] [--batches 1,4,9] "
                         "[--runner \"CMD ARGS\"]\n");
    return 2;
  }
  std::string target = "host", schedule, autoScheduler, runner;
  int threads = 0;
  std::vector<int64_t> batches = {1, 3};
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--target")) {
      target = argv[i + 1];
    } else if (!std::strcmp(argv[i], "--schedule")) {
      schedule = argv[i + 1];
    } else if (!std::strcmp(argv[i], "--auto-schedule")) {
      autoScheduler = argv[i + 1];
    } else if (!std::strcmp(argv[i], "--runner")) {
      runner = argv[i + 1];
    } else if (!std::strcmp(argv[i], "--threads")) {
      threads = std::atoi(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "--batches")) {
      batches.clear();
      for (const char *p = argv[i + 1]; *p;) {
        char *end = nullptr;
        long long n = std::strtoll(p, &end, 10);
        if (end == p || n < 1) {
          std::fprintf(stderr, "e2e_check: bad --batches '%s'\n", argv[i + 1]);
          return 2;
        }
        batches.push_back(n);
        p = *end == ',' ? end + 1 : end;
      }
    }
  }
  if (!runner.empty() && threads > 0) {
    std::fprintf(stderr, "e2e_check: --threads runs the library here, not by --runner\n");
    return 2;
  }
  std::unique_ptr<test::Built> b;
  try {
    b = test::build(argv[1], target, schedule, autoScheduler, runner.empty());
  } catch (const std::exception &e) {
    std::fprintf(stderr, "FAIL %s: %s\n", argv[1], e.what());
    return 1;
  }
  const Graph &g = *b->graph;
  ref::Weights ws;
  for (const auto &t : test::weightsOf(g))
    ws[t.name] = std::vector<double>(t.data.begin(), t.data.end());
  std::string weights = b->dir + "/weights.safetensors";
  // One batch through the library: x in, y out, or the reason it failed.
  std::function<std::string(const std::vector<float> &, int64_t, std::vector<float> &)> run;
  void *model = nullptr;
  if (runner.empty()) {
    model = b->lib.load(weights.c_str());
    if (!model) {
      std::fprintf(stderr, "FAIL %s: cnnc_load: %s\n", argv[1], b->lib.lastError());
      return 1;
    }
    run = [&](const std::vector<float> &x, int64_t batch, std::vector<float> &y) {
      return b->lib.run(model, x.data(), batch, y.data())
                 ? std::string("cnnc_run: ") + b->lib.lastError()
                 : std::string();
    };
  } else {
    std::vector<std::string> words;
    std::istringstream split(runner);
    for (std::string w; split >> w;)
      words.push_back(w);
    run = [&, words](const std::vector<float> &x, int64_t batch, std::vector<float> &y) {
      std::string in = b->dir + "/in.f32", out = b->dir + "/out.f32";
      std::ofstream(in, std::ios::binary)
          .write(reinterpret_cast<const char *>(x.data()),
                 static_cast<std::streamsize>(x.size() * sizeof(float)));
      std::vector<std::string> cmd = words;
      cmd.insert(cmd.end(), {b->dir + "/net.so", weights, std::to_string(batch), in, out});
      if (!runProgram(cmd))
        return runner + " failed";
      std::ifstream f(out, std::ios::binary);
      f.read(reinterpret_cast<char *>(y.data()),
             static_cast<std::streamsize>(y.size() * sizeof(float)));
      return f.gcount() == static_cast<std::streamsize>(y.size() * sizeof(float)) && f.peek() == EOF
                 ? std::string()
                 : runner + " wrote an output of another size";
    };
  }
  const Shape &in = g.node(g.input).shape, &out = g.node(g.output).shape;
  size_t inPer = static_cast<size_t>(in.c * in.h * in.w);
  size_t outPer = static_cast<size_t>(out.c * out.h * out.w);
  int failures = 0;
  for (int64_t batch : batches) {
    std::vector<float> x = randomInput(inPer * static_cast<size_t>(batch), 11);
    std::vector<float> y(outPer * static_cast<size_t>(batch));
    std::string why = run(x, batch, y);
    if (!why.empty()) {
      std::fprintf(stderr, "FAIL %s batch %lld: %s\n", argv[1], static_cast<long long>(batch),
                   why.c_str());
      ++failures;
      continue;
    }
    std::vector<double> ref = ref::run(g, ws, std::vector<double>(x.begin(), x.end()), batch);
    double diff = 0, norm = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      diff += (y[i] - ref[i]) * (y[i] - ref[i]);
      norm += ref[i] * ref[i];
    }
    // Relative to the reference's size; where that is zero, the error's own.
    bool absolute = norm == 0;
    double error = absolute ? std::sqrt(diff) : std::sqrt(diff) / std::sqrt(norm);
    bool ok = error <= kTolerance && std::isfinite(error);
    std::string cancelled;
    if (!ok && !absolute && std::isfinite(error)) {
      ref::Weights absWeights = ws;
      for (auto &[name, values] : absWeights)
        for (double &v : values)
          v = std::abs(v);
      std::vector<double> magnitudes(x.size());
      for (size_t i = 0; i < x.size(); ++i)
        magnitudes[i] = std::abs(x[i]);
      double terms = 0;
      for (double v : ref::run(g, absWeights, magnitudes, batch))
        terms += v * v;
      terms = std::sqrt(terms);
      if (std::sqrt(diff) <= kTolerance * kCancelled * terms) {
        ok = true;
        char note[160];
        std::snprintf(note, sizeof note,
                      "; terms that cancel: the error is %.2g of their size %.3g (within %.0e)",
                      std::sqrt(diff) / terms, terms, kTolerance * kCancelled);
        cancelled = note;
      }
    }
    std::printf("%s %s batch %lld: %s error %.3g (tolerance %.0e), |ref| %.3g%s\n",
                ok ? "PASS" : "FAIL", g.name.c_str(), static_cast<long long>(batch),
                absolute ? "absolute" : "relative", error, kTolerance, std::sqrt(norm),
                cancelled.c_str());
    failures += !ok;
  }
  if (threads > 0) {
    std::vector<float> x = randomInput(inPer * 2, 5);
    std::vector<float> expect(outPer * 2);
    b->lib.run(model, x.data(), 2, expect.data());
    std::vector<std::vector<float>> got(static_cast<size_t>(threads),
                                        std::vector<float>(outPer * 2));
    std::vector<int> rcs(static_cast<size_t>(threads));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        for (int rep = 0; rep < 3; ++rep)
          rcs[static_cast<size_t>(t)] |=
              b->lib.run(model, x.data(), 2, got[static_cast<size_t>(t)].data());
      });
    for (auto &th : pool)
      th.join();
    bool same = true;
    for (int t = 0; t < threads; ++t)
      same = same && rcs[static_cast<size_t>(t)] == 0 &&
             std::memcmp(got[static_cast<size_t>(t)].data(), expect.data(),
                         expect.size() * sizeof(float)) == 0;
    std::printf("%s %s: %d threads at once on one model give %s results\n", same ? "PASS" : "FAIL",
                g.name.c_str(), threads, same ? "identical" : "different");
    failures += !same;
  }
  if (model)
    b->lib.free(model);
  return failures ? 1 : 0; // b's directory goes with it
}
