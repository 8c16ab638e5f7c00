// cnnc tune: a coordinate search. From the target's defaults, each candidate
// changes one parameter of the best settings so far; it is compiled, loaded
// beside the best, and both are called in turn in this process, so that the
// machine's slow and fast moments fall on both alike. A candidate is kept
// when its median is at least 3 % below the best's twice in a row (the
// machine's noise between identical libraries reaches 4 % in one
// measurement, less in two).
#include "tools/cnnc/tune.h"

#include "backend/library.h"
#include "backend/temp_dir.h"
#include "schedules/cpu.h"
#include "tools/cnnc/init_weights.h"
#include "tools/cnnc/library_api.h"
#include "tools/cnnc/output_file.h"
#include "tools/cnnc/schedule_file.h"
#include "tools/cnnc/tensor_io.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <set>
#include <stdexcept>

namespace cnnc {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// A compiled candidate, loaded with its weights.
struct Loaded {
  LibraryApi api;
  void *model = nullptr;
  std::vector<float> input, output;
  ~Loaded() {
    if (model)
      api.free(model);
  }
};

class Tuner {
public:
  Tuner(const Graph &g, const TuneOptions &o) : g_(g), o_(o) {
    std::ofstream(tmp_.path + "/w.safetensors", std::ios::binary)
        << safetensorsBytes(initWeights(g, 1));
  }

  std::unique_ptr<Loaded> build(const ParamSettings &s) {
    std::string so = tmp_.path + "/c" + std::to_string(++built_) + ".so";
    LibraryOptions lib;
    lib.target = o_.target;
    lib.params = s;
    auto t0 = Clock::now();
    buildLibrary(g_, so, lib);
    lastCompile_ = seconds(t0);
    auto l = std::make_unique<Loaded>();
    std::string error;
    if (!openLibrary(so, l->api, error))
      throw std::runtime_error(error);
    l->model = l->api.load((tmp_.path + "/w.safetensors").c_str());
    if (!l->model)
      throw std::runtime_error(std::string("cnnc_load: ") + l->api.lastError());
    l->input = randomInput(l->api, o_.batch);
    l->output.resize(outputSize(l->api, o_.batch));
    return l;
  }

  // The time of `calls` calls of `l` in a row.
  double call(Loaded &l, int calls = 1) {
    auto t0 = Clock::now();
    for (int i = 0; i < calls; ++i)
      if (l.api.run(l.model, l.input.data(), o_.batch, l.output.data()) != 0)
        throw std::runtime_error(std::string("cnnc_run: ") + l.api.lastError());
    return seconds(t0);
  }

  // Times `a` and `b` in turn `rounds` times, `calls` calls each time; the
  // ratio of b's median to a's.
  double ratio(Loaded &a, Loaded &b, int rounds, int calls) {
    call(a, calls);
    call(b, calls);
    std::vector<double> ta, tb;
    for (int r = 0; r < rounds; ++r) {
      ta.push_back(call(a, calls));
      tb.push_back(call(b, calls));
    }
    std::sort(ta.begin(), ta.end());
    std::sort(tb.begin(), tb.end());
    return tb[tb.size() / 2] / ta[ta.size() / 2];
  }

  double lastCompile() const { return lastCompile_; }

private:
  const Graph &g_;
  const TuneOptions &o_;
  TempDir tmp_;
  int built_ = 0;
  double lastCompile_ = 0;
};

bool has(const Graph &g, OpKind op) {
  for (const auto &n : g.nodes())
    if (n->op == op)
      return true;
  return false;
}

// Whether `g` has a conv that Winograd could compute with other thresholds
// (of stride 1, or `strided`: over its phases).
bool hasWinogradConv(const Graph &g, bool strided) {
  LowerOptions all;
  all.winogradChannels = all.winogradWidth = 1;
  all.winogradStrided = strided;
  for (const auto &n : g.nodes())
    if (n->op == OpKind::Conv && (n->attrs.stride[0] > 1 || n->attrs.stride[1] > 1) == strided &&
        convWinograd(*n, g.node(n->inputs[0]).shape.c, all))
      return true;
  return false;
}

// One-parameter changes worth trying on `g`, around the target's defaults.
ParamSettings candidates(const Graph &g, const CpuParams &d) {
  ParamSettings c;
  // Each of `values` but the default `current`.
  auto others = [&c](const char *name, std::initializer_list<int> values, int current) {
    for (int v : values)
      if (v != current)
        c.push_back({name, v});
  };
  bool strided = hasWinogradConv(g, true);
  if (strided || hasWinogradConv(g, false)) { // the largest changes first
    others("winograd_channels", {0, 16, 32}, d.winogradChannels);
    c.push_back({"winograd_width", d.winogradWidth > 1 ? 1 : 8});
    c.push_back({"winograd_channel_tasks_below", d.winogradChannelTasksBelow ? 0 : 64});
    others("winograd_channel_tasks_floats", {0, 786432}, d.winogradChannelTasksFloats);
    others("winograd_4x4_width", {0, 14, 28}, d.winograd4x4Width);
    others("winograd_5x5_width", {0, 13}, d.winograd5x5Width);
    others("winograd_register_tiles", {0, 14}, d.winogradRegisterTiles);
    c.push_back({"winograd_4x4", d.winograd4x4 ? 0 : 1});
    bool fives = false, groups = false; // 5x5 convs of stride 1; convs with groups
    for (const auto &n : g.nodes()) {
      fives |= n->op == OpKind::Conv && n->attrs.kernel[0] == 5 && n->attrs.stride[0] == 1;
      groups |= n->op == OpKind::Conv && n->attrs.groups > 1;
    }
    if (fives) {
      c.push_back({"winograd_5x5_3x3", d.winograd5x5Tile3 ? 0 : 1});
      others("winograd_5x5_4x4_width", {0, 14, 28}, d.winograd5x5Tile4Width);
      others("winograd_5x5_2x2_below", {0, 8}, d.winograd5x5Tile2Below);
      if (has(g, OpKind::MaxPool) || has(g, OpKind::AvgPool))
        c.push_back({"winograd_5x5_4x4_pool_root", d.winograd5x5Tile4PoolRoot ? 0 : 1});
    }
    if (groups)
      c.push_back({"winograd_group_inputs", d.winogradGroupInputs ? 0 : 1});
    if (strided)
      c.push_back({"winograd_strided", d.winogradStrided ? 0 : 1});
  }
  c.push_back({"conv_unroll", 16});
  c.push_back({"conv_unroll", 4});
  bool pointwise = false; // 1x1 convs, which may prefetch their input
  for (const auto &n : g.nodes())
    pointwise |= n->op == OpKind::Conv && n->attrs.kernel[0] == 1 && n->attrs.kernel[1] == 1;
  if (pointwise)
    others("conv_prefetch_pixels", {0, 28}, d.convPrefetchPixels);
  for (int v = d.convVectors - 1; v >= 1 && v >= d.convVectors - 2; --v)
    c.push_back({"conv_vectors", v});
  c.push_back({"conv_accumulators", std::max(1, d.convAccumulators - 4)});
  c.push_back({"conv_max_pixels", d.convMaxPixels > 7 ? 7 : 14});
  c.push_back({"conv_fmas_per_cycle", d.convFmasPerCycle == 1 ? 2 : 1});
  others("conv_block_tasks_below", {0, 8, 16, 32}, d.convBlockTasksBelow);
  others("conv_block_weight_bytes", {0, 917504}, d.convBlockWeightBytes);
  if (has(g, OpKind::Concat))
    c.push_back({"conv_into_concat", d.convIntoConcat ? 0 : 1});
  if (has(g, OpKind::Add))
    c.push_back({"conv_into_add", d.convIntoAdd ? 0 : 1});
  bool pools = has(g, OpKind::MaxPool) || has(g, OpKind::AvgPool);
  if (pools) {
    c.push_back({"pool_into_conv", d.poolIntoConv ? 0 : 1});
    c.push_back({"pointwise_into_pool", d.pointwiseIntoPool ? 0 : 1});
    c.push_back({"pool_channel_tasks", d.poolChannelTasks ? 0 : 1});
  }
  if (has(g, OpKind::Lrn)) {
    c.push_back({"lrn_into_pool", d.lrnIntoPool ? 0 : 1});
    if (pools) {
      c.push_back({"lrn_conv_at_root", d.lrnConvAtRoot ? 0 : 1});
      c.push_back({"lrn_conv_per_image", d.lrnConvPerImage ? 0 : 1});
    }
  }
  if (pools || has(g, OpKind::Lrn))
    others("unroll_channel_vectors", {0, 64}, d.unrollChannelVectors);
  if (has(g, OpKind::Fc)) {
    c.push_back({"fc_vectors", std::max(1, d.fcVectors - 1)});
    c.push_back({"fc_vectors", d.fcVectors + 1});
    if (d.fcPrefetchBytes > 0) {
      c.push_back({"fc_prefetch_bytes", d.fcPrefetchBytes * 2});
      c.push_back({"fc_prefetch_bytes", 0});
    }
  }
  // Shares of a batch off where the rule takes them (for the whole network
  // or up to a head of fc layers: shareCut), on where it does not.
  c.push_back({"shares_macs_per_weight", batchShares(g, d) || shareCut(g, d) >= 0 ? 0 : 1});
  return c;
}

// What lower() chooses with `p`'s layout, node by node and weight by
// weight: each conv's Winograd tile, input tile, weight block and register
// tile over all its tiles, and every weight's packing.
std::string layoutDecisions(const Graph &g, const CpuParams &p) {
  LoweredNet net = lower(g, layoutOptions(p));
  std::string s;
  for (const Lowered &l : net.nodes)
    s += std::to_string(l.winograd) + "," + std::to_string(l.winogradInput) + "," +
         std::to_string(l.block) + "," + std::to_string(l.allTiles) + ";";
  for (const WeightArg &w : net.weights) {
    s += std::to_string(static_cast<int>(w.pack)) + ":";
    for (int64_t d : w.dims)
      s += std::to_string(d) + ",";
  }
  return s;
}

// Whether `to` (the best settings with parameter `name` changed) compiles
// to the same code as `from` (whose layoutDecisions are `fromLayout`), as far
// as that can be told without compiling: the Winograd parameters and
// conv_block_weight_bytes act only through the layout lower() chooses
// (layoutOptions; the schedule reads what it chose), conv_block_tasks_below
// only by comparison with the convs' heights, shares_macs_per_weight only
// where it turns shares of a batch of `batch` images on or off or moves
// them between the whole network and the layers before its fc head
// (shareCut). Any other change may matter.
bool changesNothing(const Graph &g, int64_t batch, const std::string &name, const CpuParams &from,
                    const std::string &fromLayout, const CpuParams &to) {
  static const std::set<std::string> layoutOnly = {"winograd_channels",
                                                   "winograd_width",
                                                   "winograd_4x4",
                                                   "winograd_4x4_width",
                                                   "winograd_5x5_3x3",
                                                   "winograd_5x5_4x4_width",
                                                   "winograd_5x5_2x2_below",
                                                   "winograd_5x5_width",
                                                   "winograd_register_tiles",
                                                   "winograd_strided",
                                                   "winograd_5x5_4x4_pool_root",
                                                   "conv_block_weight_bytes"};
  if (layoutOnly.count(name))
    return layoutDecisions(g, to) == fromLayout;
  if (name == "shares_macs_per_weight") // the same shares, of the same layers
    return callShares(g, from, batch) == callShares(g, to, batch) &&
           (callShares(g, from, batch) == 0 || batchShares(g, from) == batchShares(g, to));
  if (name == "conv_block_tasks_below") {
    for (const auto &n : g.nodes())
      if (n->op == OpKind::Conv &&
          (n->shape.h < from.convBlockTasksBelow) != (n->shape.h < to.convBlockTasksBelow))
        return false;
    return true;
  }
  return false;
}

ParamSettings with(ParamSettings s, const std::pair<std::string, int> &change) {
  for (auto &kv : s)
    if (kv.first == change.first) {
      kv.second = change.second;
      return s;
    }
  s.push_back(change);
  return s;
}

} // namespace

int tune(const Graph &g, const TuneOptions &o) {
  auto start = Clock::now();
  Tuner tuner(g, o);
  std::fprintf(stderr, "tune: %s at batch %lld for %s, budget %.0f s\n", g.name.c_str(),
               static_cast<long long>(o.batch), o.target.c_str(), o.budget);
  ParamSettings best;
  std::unique_ptr<Loaded> bestLib = tuner.build(best); // a bad target fails here
  CpuParams defaults = cpuParams(Halide::Target(o.target), {});
  double compile = tuner.lastCompile();
  // About a second of calls of each library per measurement, in 9 to 250
  // turns of at least a millisecond each: single calls of a network that runs
  // in microseconds timed the clock and the switch between libraries (tune
  // kept no-op changes at 0.2x-0.3x the best's time and claimed 0.01x).
  tuner.call(*bestLib); // the first run allocates
  double once = std::max(tuner.call(*bestLib, 5) / 5, 1e-7);
  int calls = static_cast<int>(std::ceil(1e-3 / once));
  int rounds = static_cast<int>(std::clamp(1.0 / (calls * once), 9.0, 250.0));
  double measure = 4 * rounds * calls * once; // two measurements of two libraries
  double total = 1;                           // best's time over the defaults'
  int tried = 0, untried = 0;
  std::string leftOut; // the changes that change nothing in this network
  CpuParams bestParams = defaults;
  std::string bestLayout = layoutDecisions(g, bestParams); // changed with the best
  for (const auto &change : candidates(g, defaults)) {
    ParamSettings s = with(best, change);
    CpuParams params = cpuParams(Halide::Target(o.target), s);
    if (changesNothing(g, o.batch, change.first, bestParams, bestLayout, params)) {
      leftOut +=
          (leftOut.empty() ? "" : ", ") + change.first + " = " + std::to_string(change.second);
      continue;
    }
    if (seconds(start) + compile + measure > o.budget) {
      ++untried;
      continue;
    }
    std::unique_ptr<Loaded> lib = tuner.build(s);
    compile = tuner.lastCompile();
    ++tried;
    double r1 = tuner.ratio(*bestLib, *lib, rounds, calls);
    double r2 = r1 < 0.97 ? tuner.ratio(*bestLib, *lib, rounds, calls) : r1;
    bool kept = r1 < 0.97 && r2 < 0.97;
    char line[160];
    std::snprintf(line, sizeof line, "tune: %s = %d: %.3fx the best's time", change.first.c_str(),
                  change.second, r1);
    std::string msg = line;
    if (r1 < 0.97) {
      std::snprintf(line, sizeof line, ", then %.3fx", r2);
      msg += line;
    }
    std::fprintf(stderr, "%s%s\n", msg.c_str(), kept ? ": kept" : "");
    if (kept) {
      best = s;
      bestParams = params;
      bestLayout = layoutDecisions(g, params);
      bestLib = std::move(lib);
      total *= r2;
    }
  }
  if (!leftOut.empty())
    std::fprintf(stderr, "tune: left out, as they change nothing in %s: %s\n", g.name.c_str(),
                 leftOut.c_str());
  std::string settings = cpuSettingsJson(best), reason;
  if (!writeFileAtomic(o.output, "{\"cpu\": " + settings + "}\n", reason)) {
    std::fprintf(stderr, "cnnc: error: cannot write '%s': %s\n", o.output.c_str(), reason.c_str());
    return 1;
  }
  std::string more = untried ? " (" + std::to_string(untried) + " more not tried within the budget)"
                             : std::string();
  std::fprintf(stderr,
               "tune: %d candidate%s in %.0f s%s; wrote %s: %s (about %.2fx the defaults' time)\n",
               tried, tried == 1 ? "" : "s", seconds(start), more.c_str(), o.output.c_str(),
               settings.c_str(), total);
  return 0;
}

} // namespace cnnc
