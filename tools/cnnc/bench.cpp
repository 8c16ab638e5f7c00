// cnnc bench. Per-layer times come from Halide's profiler: the library is
// compiled with the `profile` feature, and the report its runtime prints when
// it is unloaded is read back and mapped from Func names (n<id>_...) to layers.
#include "tools/cnnc/bench.h"

#include "backend/library.h"
#include "backend/temp_dir.h"
#include "bench/peak.h"
#include "ir/report.h"
#include "tools/cnnc/init_weights.h"
#include "tools/cnnc/library_api.h"
#include "tools/cnnc/schedule_file.h"
#include "tools/cnnc/tensor_io.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace cnnc {

namespace {

// Halide's profiler takes a sample once a millisecond: a layer of k samples
// is timed to about 1/sqrt(k), and its rate is given from kRateSamples on
// (GoogLeNet's small 5x5 convs at batch 1 got 2 samples in 3 s and read as
// 434 % of peak).
constexpr double kRateSamples = 25;

// Whether a layer's rate is given (table and JSON alike): work with
// multiply-adds, timed by kRateSamples samples or more.
bool rated(int64_t macs, double samples) { return macs && samples >= kRateSamples; }

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  double pos = q * static_cast<double>(v.size() - 1);
  size_t i = static_cast<size_t>(pos);
  double frac = pos - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] * (1 - frac) + v[i + 1] * frac : v[i];
}

// The child: loads the library, warms up, runs for o.seconds and writes each
// run's milliseconds to `timesPath` ("error: ..." on failure).
int runChild(const std::string &dir, const BenchOptions &o, const std::string &timesPath,
             const std::string &reportPath) {
  FILE *times = std::fopen(timesPath.c_str(), "w");
  if (!times)
    return 1;
  if (o.perLayer) {
    // Halide's runtime prints the report on standard output.
    FILE *rep = std::fopen(reportPath.c_str(), "w");
    if (!rep || dup2(fileno(rep), 1) < 0)
      return 1;
  }
  LibraryApi api;
  std::string error;
  if (!openLibrary(dir + "/net.so", api, error)) {
    std::fprintf(times, "error: %s\n", error.c_str());
    return 1;
  }
  auto load = api.load;
  auto run = api.run;
  auto lastError = api.lastError;
  void *model = load((dir + "/w.safetensors").c_str());
  if (!model) {
    std::fprintf(times, "error: cnnc_load: %s\n", lastError());
    return 1;
  }
  std::vector<float> x = randomInput(api, o.batch), y(outputSize(api, o.batch));
  for (int i = 0; i < 3; ++i) // warm up: threads, page faults, caches
    if (run(model, x.data(), o.batch, y.data()) != 0) {
      std::fprintf(times, "error: cnnc_run: %s\n", lastError());
      return 1;
    }
  auto start = std::chrono::steady_clock::now();
  for (int runs = 0;
       runs < 5 ||
       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < o.seconds;
       ++runs) {
    auto a = std::chrono::steady_clock::now();
    run(model, x.data(), o.batch, y.data());
    std::fprintf(
        times, "%.6f\n",
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::fclose(times);
  return 0; // exit() runs the profiler's report
}

} // namespace

// Reads Halide's profiler report: for each pipeline, its name on a line of
// its own, "samples: S ... time per run: T ms", then lines "    NAME:
// 1.234ms (5.6%) ..."; a Func's time per run is its percentage of T, its
// samples that percentage of S. Func names start with
// n<node id>; others (waiting, malloc) are skipped. A library compiled in
// parts (backend/library.cpp) reports each part's pipeline: cnnc_pipeline's
// line for the node where the part before ends is the call of that part,
// whose own lines hold the time, and is skipped.
std::map<int, LayerProfile> parseProfile(const std::string &report) {
  std::map<std::string, std::map<int, LayerProfile>> pipelines;
  std::string pipeline;
  double perRun = 0, samples = 0;
  std::smatch m;
  std::regex header(R"(samples: ([0-9]+) .*time per run: ([0-9.]+) ms)");
  std::regex line(R"(^\s+n(\d+)[^:\s]*:\s+[0-9.]+ms\s+\(\s*([0-9.]+)%\))");
  std::istringstream in(report);
  std::string l;
  while (std::getline(in, l)) {
    if (!l.empty() && !std::isspace(static_cast<unsigned char>(l[0]))) {
      pipeline = l;
      perRun = samples = 0;
    } else if (std::regex_search(l, m, header)) {
      samples = std::stod(m[1]);
      perRun = std::stod(m[2]);
    } else if (std::regex_search(l, m, line)) {
      LayerProfile &p = pipelines[pipeline][std::stoi(m[1])];
      double share = std::stod(m[2]) / 100;
      p.ms += perRun * share;
      p.samples += samples * share;
    }
  }
  std::map<int, LayerProfile> perNode;
  for (const auto &[name, nodes] : pipelines)
    for (const auto &[id, prof] : nodes) {
      bool call = name == "cnnc_pipeline" &&
                  std::any_of(pipelines.begin(), pipelines.end(),
                              [&](const auto &p) { return p.first != name && p.second.count(id); });
      if (!call)
        perNode[id] += prof;
    }
  return perNode;
}

int bench(const Graph &g, const BenchOptions &o) {
  TempDir tmp;
  LibraryOptions lib = o.lib;
  if (o.perLayer)
    lib.target = profiledTarget(lib.target);
  if (!o.json)
    std::cerr << "compiling " << g.name << " for " << lib.target << "...\n";
  auto t0 = std::chrono::steady_clock::now();
  buildLibrary(g, tmp.path + "/net.so", lib);
  double compileS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  {
    std::ofstream w(tmp.path + "/w.safetensors", std::ios::binary);
    w << safetensorsBytes(initWeights(g, 1));
  }
  // The runs happen in a child process: with --per-layer, Halide's profiler
  // prints its report when that process exits, into a file read here.
  std::string timesPath = tmp.path + "/times.txt", reportPath = tmp.path + "/profile.txt";
  std::fflush(nullptr);
  pid_t pid = forkChild();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    std::exit(runChild(tmp.path, o, timesPath, reportPath)); // exit: the report prints
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::vector<double> times;
  std::string failure;
  {
    std::ifstream in(timesPath);
    std::string word;
    while (in >> word) {
      if (word == "error:") {
        std::getline(in, failure);
        break;
      }
      times.push_back(std::stod(word));
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || times.empty())
    throw std::runtime_error("the benchmark run failed" + (failure.empty() ? "" : ":" + failure));
  std::string report;
  if (o.perLayer) {
    std::ifstream r(reportPath);
    std::stringstream ss;
    ss << r.rdbuf();
    report = ss.str();
  }

  FmaPeak fma = measureFmaPeak(3);
  double peak = fma.all;
  double median = percentile(times, 0.5), p10 = percentile(times, 0.1),
         p90 = percentile(times, 0.9);
  Totals tot = totals(g);
  auto gflops = [&](int64_t macs, double ms) {
    return ms > 0 ? 2.0 * static_cast<double>(macs) * static_cast<double>(o.batch) / ms / 1e6 : 0;
  };
  double netGflops = gflops(tot.macs, median);
  std::map<int, LayerProfile> perNode = parseProfile(report);
  double profiled = 0;
  for (const auto &[id, prof] : perNode)
    profiled += prof.ms;
  // The shares of the batch a call ran as, one a thread (0: none; the
  // runtime's rule, backend/runtime/cnnc_rt.c).
  int shares = callShares(g, lib, o.batch);

  if (o.json) {
    std::printf("{\"network\": %s, \"batch\": %lld, \"target\": %s, \"runs\": %zu, "
                "\"median_ms\": %.6g, \"p10_ms\": %.6g, \"p90_ms\": %.6g, \"images_per_s\": %.2f, "
                "\"gflops\": %.2f, \"peak_gflops\": %.2f, \"percent_of_peak\": %.2f, "
                "\"peak_busy\": %s, \"compile_s\": %.2f, \"schedule\": %s, \"shares\": %d",
                jsonString(g.name).c_str(), static_cast<long long>(o.batch),
                jsonString(lib.target).c_str(), times.size(), median, p10, p90,
                static_cast<double>(o.batch) * 1000 / median, netGflops, peak,
                100 * netGflops / peak, fma.busy ? "true" : "false", compileS,
                cpuSettingsJson(o.lib.params).c_str(), shares);
    if (o.perLayer) {
      std::printf(", \"layers\": [");
      bool first = true;
      for (const auto &n : g.nodes()) {
        auto found = perNode.find(n->id);
        if (found == perNode.end())
          continue;
        const LayerProfile &prof = found->second;
        // A rate where the table prints one, else null (not 0, nor a rate
        // from a sample or two).
        std::string rate = "null", percent = "null";
        if (rated(n->macs, prof.samples)) {
          char buf[64];
          std::snprintf(buf, sizeof buf, "%.2f", gflops(n->macs, prof.ms));
          rate = buf;
          std::snprintf(buf, sizeof buf, "%.2f", 100 * gflops(n->macs, prof.ms) / peak);
          percent = buf;
        }
        std::printf("%s\n  {\"name\": %s, \"op\": %s, \"ms\": %.6g, \"samples\": %.0f, "
                    "\"gflops\": %s, \"percent_of_peak\": %s}",
                    first ? "" : ",", jsonString(n->name).c_str(),
                    jsonString(opName(n->op)).c_str(), prof.ms, prof.samples, rate.c_str(),
                    percent.c_str());
        first = false;
      }
      std::printf("]");
    }
    std::printf("}\n");
    return 0;
  }
  // Milliseconds to two decimals, below 1 ms to three, below 0.1 ms in
  // microseconds to three digits (a small network's "0.00 ms").
  double unit = median < 0.1 ? 1e-3 : 1;
  const char *format = median < 0.1 ? "%.3g" : median < 1 ? "%.3f" : "%.2f";
  auto time = [&](double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, format, ms / unit);
    return std::string(buf);
  };
  const char *unitName = median < 0.1 ? "us" : "ms";
  // The target the runs' library was built for: with --per-layer, the
  // profiled one ("host-profile"), whose runs are a little slower.
  std::printf("%s, batch %lld, %s: median %s %s (p10 %s, p90 %s %s; %zu runs), %.1f images/s\n",
              g.name.c_str(), static_cast<long long>(o.batch), lib.target.c_str(),
              time(median).c_str(), unitName, time(p10).c_str(), time(p90).c_str(), unitName,
              times.size(), static_cast<double>(o.batch) * 1000 / median);
  std::printf("%.1f GFLOP/s = %.0f%% of the measured %.0f GFLOP/s fp32 FMA peak (%d threads); "
              "compiled in %.1f s\n",
              netGflops, 100 * netGflops / peak, peak, fma.threads, compileS);
  if (fma.busy)
    std::printf("note: %s\n", busyNote(fma).c_str());
  if (o.perLayer) {
    // The layers' times are their shares of the profiler's mean run; the
    // rest of a run it puts in no layer (waiting for parallel tasks,
    // allocations).
    std::printf("\nper layer (Halide's profiler, a sample a millisecond): the layers add up to %s "
                "%s a run (the\nprofiler's mean; the median run above took %s %s, the rest of a "
                "run waits for parallel tasks,\nallocates or is in no layer); profiled runs are a "
                "little slower than plain ones\n",
                time(profiled).c_str(), unitName, time(median).c_str(), unitName);
    // A run of the pipeline is a share's where the library shares a batch;
    // of the layers up to the cut only, where it shares those (shareCut).
    if (shares) {
      long long each = o.batch / shares, left = o.batch % shares;
      int cut = shareCut(g, lib);
      std::string what =
          cut < 0 ? "each call ran" : "each call ran its layers to " + g.node(cut).name;
      std::printf("%s as %d shares of %lld image%s, one a thread at once%s "
                  "(docs/schedules.md):\n%s a share's%s%s\n",
                  what.c_str(), shares, each, each == 1 ? "" : "s",
                  left ? (", then " + std::to_string(left) + " on all threads").c_str() : "",
                  cut < 0 ? "a run is" : "a run of those is",
                  left ? " or the one of the images left over, and the mean mixes them" : "",
                  cut < 0 ? ""
                          : "; the layers after it ran once a call, all images on all threads");
    }
    std::printf("%-32s %-14s %9s %8s %9s %7s\n", "layer", "op", "ms", "samples", "GFLOP/s",
                "% peak");
    bool few = false;
    // A line of the table: the rate from kRateSamples samples on, of work
    // that has multiply-adds.
    auto row = [&](const std::string &name, const char *op, double ms, double samples,
                   int64_t macs) {
      if (rated(macs, samples)) {
        std::printf("%-32s %-14s %9.3f %8.0f %9.1f %6.0f%%\n", name.c_str(), op, ms, samples,
                    gflops(macs, ms), 100 * gflops(macs, ms) / peak);
      } else {
        few = few || macs > 0;
        std::printf("%-32s %-14s %9.3f %8.0f %9s %7s\n", name.c_str(), op, ms, samples,
                    macs ? "few" : "-", macs ? "few" : "-");
      }
    };
    LayerProfile convs, concats;
    int64_t convMacs = 0;
    for (const auto &n : g.nodes()) {
      auto found = perNode.find(n->id);
      if (found == perNode.end())
        continue;
      const LayerProfile &prof = found->second;
      if (n->op == OpKind::Conv) {
        convs += prof;
        convMacs += n->macs;
      }
      if (n->op == OpKind::Concat)
        concats += prof;
      row(n->name, opName(n->op), prof.ms, prof.samples, n->macs);
    }
    // Convs that write into a concat store their tiles in the concat's
    // update: the second line counts that time too.
    if (convs.ms > 0)
      row("all convolutions", "conv", convs.ms, convs.samples, convMacs);
    if (convs.ms > 0 && concats.ms > 0) {
      LayerProfile both = convs;
      both += concats;
      row("all convolutions and concats", "", both.ms, both.samples, convMacs);
    }
    std::printf("\nGFLOP/s count a conv's direct multiply-adds: a Winograd conv computes fewer, "
                "and may pass 100 %% of peak.\nA conv written into its concat in place has its "
                "last stage in the concat's time.\n");
    if (few)
      std::printf("\"few\": under %.0f samples, no rate (run longer: --seconds).\n", kRateSamples);
  }
  return 0;
}

} // namespace cnnc
